//! A lossy UDP relay on loopback for fault-injection tests: sits between the poller and an
//! SNMP agent and drops, delays, duplicates, reorders and replays datagrams at configurable
//! rates, drawn from a seeded generator so a failing run can be repeated.
//!
//! The poller sends to [`Relay::address`]. Each client address (every snmp2 session binds
//! its own port) gets its own upstream socket, connected to the agent, so answers go back to
//! the session that asked. Faults apply per direction: [`Faults`] for requests on their way
//! to the agent, and for answers on their way back.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the relay's threads look at the stop flag.
const TICK: Duration = Duration::from_millis(20);

/// The most client addresses the relay keeps an upstream socket for.
const MAX_CLIENTS: usize = 4096;

/// What happens to datagrams going one way. Rates are probabilities from 0.0 to 1.0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Dropped outright.
    pub drop: f64,
    /// Every datagram waits this long...
    pub delay: Duration,
    /// ...plus a uniform extra of up to this much.
    pub jitter: Duration,
    /// Sent twice; the copy follows after `duplicate_after` (plus jitter).
    pub duplicate: f64,
    pub duplicate_after: Duration,
    /// Held back by `reorder_by`, so datagrams sent after it overtake it.
    pub reorder: f64,
    pub reorder_by: Duration,
    /// Answers only: before this answer, the client is first sent a copy of the previous
    /// answer the relay forwarded (to any client): a stale reply to another request.
    pub replay: f64,
    /// Datagrams of more than this many bytes (the UDP payload) are dropped, always: a
    /// firewall or ACL that drops fragmented UDP drops every answer over about 1,472 bytes
    /// on a 1,500-byte path. Counted as `oversized`, not in `dropped`.
    pub drop_over: Option<usize>,
}

impl Faults {
    /// No faults: a transparent relay.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Drops this share of datagrams and does nothing else.
    pub fn loss(rate: f64) -> Faults {
        Faults {
            drop: rate,
            ..Faults::default()
        }
    }
}

/// The relay's settings: faults each way and the generator's seed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelayConfig {
    /// Requests, client to agent.
    pub to_agent: Faults,
    /// Answers, agent to client.
    pub to_client: Faults,
    pub seed: u64,
}

/// What the relay did, one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Datagrams that arrived to be relayed.
    pub received: u64,
    pub dropped: u64,
    /// Extra copies sent.
    pub duplicated: u64,
    /// Held back to be overtaken.
    pub reordered: u64,
    /// Stale answers sent ahead of the real one.
    pub replayed: u64,
    /// Dropped for their size (`Faults::drop_over`).
    pub oversized: u64,
    /// Datagrams handed to the socket (copies included).
    pub sent: u64,
}

/// What the relay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    pub to_agent: DirectionStats,
    pub to_client: DirectionStats,
    /// Distinct client addresses seen (one per snmp2 session).
    pub clients: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    dropped: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    replayed: AtomicU64,
    oversized: AtomicU64,
    sent: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> DirectionStats {
        DirectionStats {
            received: self.received.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            duplicated: self.duplicated.load(Ordering::Relaxed),
            reordered: self.reordered.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
            oversized: self.oversized.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
        }
    }
}

/// SplitMix64: small, seeded, good enough to draw fault decisions.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    fn upto(&mut self, d: Duration) -> Duration {
        if d.is_zero() {
            Duration::ZERO
        } else {
            d.mul_f64(self.unit())
        }
    }
}

/// Where a datagram goes: out of the listening socket to a client, or up a client's
/// connected socket to the agent.
#[derive(Clone)]
enum Dest {
    Client(SocketAddr),
    Agent(Arc<UdpSocket>),
}

struct Pending {
    due: Instant,
    seq: u64,
    dest: Dest,
    bytes: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

struct Shared {
    listen: Arc<UdpSocket>,
    agent: SocketAddr,
    config: Mutex<RelayConfig>,
    rng_to_agent: Mutex<Rng>,
    rng_to_client: Mutex<Rng>,
    to_agent: Counters,
    to_client: Counters,
    clients: Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>,
    last_answer: Mutex<Option<Vec<u8>>>,
    queue: Mutex<BinaryHeap<Reverse<Pending>>>,
    queued: Condvar,
    seq: AtomicU64,
    stop: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// A running relay, stopped (and its threads joined) on drop.
pub struct Relay {
    shared: Arc<Shared>,
    address: SocketAddr,
}

impl Relay {
    /// Listens on 127.0.0.1:0 and relays to `agent` (a loopback address).
    pub fn start(agent: SocketAddr, config: RelayConfig) -> std::io::Result<Relay> {
        assert!(
            agent.ip().is_loopback(),
            "the relay only forwards to loopback, not {agent}"
        );
        let listen = UdpSocket::bind("127.0.0.1:0")?;
        listen.set_read_timeout(Some(TICK))?;
        let address = listen.local_addr()?;
        let seed = config.seed;
        let shared = Arc::new(Shared {
            listen: Arc::new(listen),
            agent,
            config: Mutex::new(config),
            rng_to_agent: Mutex::new(Rng(seed)),
            rng_to_client: Mutex::new(Rng(seed ^ 0x5bd1_e995_1234_5678)),
            to_agent: Counters::default(),
            to_client: Counters::default(),
            clients: Mutex::new(HashMap::new()),
            last_answer: Mutex::new(None),
            queue: Mutex::new(BinaryHeap::new()),
            queued: Condvar::new(),
            seq: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let listener = std::thread::Builder::new()
            .name("relay-listen".into())
            .spawn(move || listen_loop(&s))?;
        let s = shared.clone();
        let sender = std::thread::Builder::new()
            .name("relay-send".into())
            .spawn(move || send_loop(&s))?;
        lock(&shared.threads).extend([listener, sender]);
        Ok(Relay { shared, address })
    }

    /// Where the poller sends: `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    pub fn socket_addr(&self) -> SocketAddr {
        self.address
    }

    /// Changes the faults from now on (the generator keeps its sequence).
    pub fn set_faults(&self, to_agent: Faults, to_client: Faults) {
        let mut c = lock(&self.shared.config);
        c.to_agent = to_agent;
        c.to_client = to_client;
    }

    pub fn stats(&self) -> RelayStats {
        RelayStats {
            to_agent: self.shared.to_agent.snapshot(),
            to_client: self.shared.to_client.snapshot(),
            clients: lock(&self.shared.clients).len() as u64,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.queued.notify_all();
        let threads: Vec<JoinHandle<()>> = lock(&self.shared.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Requests from clients: find (or open) the client's upstream socket, apply the faults.
fn listen_loop(s: &Arc<Shared>) {
    let mut buf = vec![0u8; 65_536];
    while !s.stop.load(Ordering::SeqCst) {
        let (n, from) = match s.listen.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if is_timeout(&e) => continue,
            Err(_) => {
                std::thread::sleep(TICK);
                continue;
            }
        };
        let Some(up) = upstream(s, from) else {
            continue;
        };
        let faults = lock(&s.config).to_agent.clone();
        relay_one(
            s,
            &faults,
            &s.rng_to_agent,
            &s.to_agent,
            Dest::Agent(up),
            buf[..n].to_vec(),
            false,
        );
    }
}

/// The upstream socket for one client, opened on first sight with its reader thread.
fn upstream(s: &Arc<Shared>, client: SocketAddr) -> Option<Arc<UdpSocket>> {
    let mut clients = lock(&s.clients);
    if let Some(u) = clients.get(&client) {
        return Some(u.clone());
    }
    if clients.len() >= MAX_CLIENTS {
        return None;
    }
    let sock = UdpSocket::bind("127.0.0.1:0").ok()?;
    sock.connect(s.agent).ok()?;
    sock.set_read_timeout(Some(TICK)).ok()?;
    let sock = Arc::new(sock);
    clients.insert(client, sock.clone());
    drop(clients);
    let s2 = s.clone();
    let up = sock.clone();
    let reader = std::thread::Builder::new()
        .name(format!("relay-up-{}", client.port()))
        .spawn(move || answer_loop(&s2, &up, client))
        .ok()?;
    lock(&s.threads).push(reader);
    Some(sock)
}

/// Answers from the agent to one client.
fn answer_loop(s: &Arc<Shared>, up: &UdpSocket, client: SocketAddr) {
    let mut buf = vec![0u8; 65_536];
    while !s.stop.load(Ordering::SeqCst) {
        let n = match up.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if is_timeout(&e) => continue,
            // The agent's port refused (ICMP): nothing to relay.
            Err(_) => {
                std::thread::sleep(TICK);
                continue;
            }
        };
        let faults = lock(&s.config).to_client.clone();
        relay_one(
            s,
            &faults,
            &s.rng_to_client,
            &s.to_client,
            Dest::Client(client),
            buf[..n].to_vec(),
            true,
        );
    }
}

/// Draws the faults for one datagram and queues what is to be sent.
fn relay_one(
    s: &Shared,
    f: &Faults,
    rng: &Mutex<Rng>,
    count: &Counters,
    dest: Dest,
    bytes: Vec<u8>,
    is_answer: bool,
) {
    count.received.fetch_add(1, Ordering::Relaxed);
    // Every draw is made for every datagram, in the same order, so one seed gives one
    // sequence of decisions whatever the rates.
    let (dropped, reorder, duplicate, replay, delay, dup_delay) = {
        let mut r = lock(rng);
        (
            r.chance(f.drop),
            r.chance(f.reorder),
            r.chance(f.duplicate),
            r.chance(f.replay),
            f.delay + r.upto(f.jitter),
            f.duplicate_after + r.upto(f.jitter),
        )
    };
    let now = Instant::now();
    let stale = if is_answer {
        let mut last = lock(&s.last_answer);
        let prev = last.clone();
        *last = Some(bytes.clone());
        prev
    } else {
        None
    };
    if f.drop_over.is_some_and(|max| bytes.len() > max) {
        count.oversized.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if dropped {
        count.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut due = now + delay;
    if replay && let Some(old) = stale {
        count.replayed.fetch_add(1, Ordering::Relaxed);
        queue(s, due, dest.clone(), old);
        due += Duration::from_micros(200);
    }
    if reorder {
        count.reordered.fetch_add(1, Ordering::Relaxed);
        due += f.reorder_by;
    }
    if duplicate {
        count.duplicated.fetch_add(1, Ordering::Relaxed);
        queue(s, due + dup_delay, dest.clone(), bytes.clone());
    }
    queue(s, due, dest, bytes);
}

fn queue(s: &Shared, due: Instant, dest: Dest, bytes: Vec<u8>) {
    let seq = s.seq.fetch_add(1, Ordering::Relaxed);
    lock(&s.queue).push(Reverse(Pending {
        due,
        seq,
        dest,
        bytes,
    }));
    s.queued.notify_one();
}

/// Sends each queued datagram when it is due.
fn send_loop(s: &Shared) {
    let mut q = lock(&s.queue);
    loop {
        if s.stop.load(Ordering::SeqCst) {
            return;
        }
        let now = Instant::now();
        match q.peek() {
            Some(Reverse(p)) if p.due <= now => {
                let Some(Reverse(p)) = q.pop() else { continue };
                drop(q);
                let ok = match &p.dest {
                    Dest::Client(c) => s.listen.send_to(&p.bytes, c).is_ok(),
                    Dest::Agent(up) => up.send(&p.bytes).is_ok(),
                };
                if ok {
                    let c = match p.dest {
                        Dest::Client(_) => &s.to_client,
                        Dest::Agent(_) => &s.to_agent,
                    };
                    c.sent.fetch_add(1, Ordering::Relaxed);
                }
                q = lock(&s.queue);
            }
            Some(Reverse(p)) => {
                let wait = (p.due - now).min(TICK);
                q = s
                    .queued
                    .wait_timeout(q, wait)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            None => {
                q = s
                    .queued
                    .wait_timeout(q, TICK)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on loopback, for the relay's own tests.
    fn echo() -> (SocketAddr, Arc<AtomicBool>, JoinHandle<()>) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(TICK)).unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let h = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !st.load(Ordering::SeqCst) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    let _ = sock.send_to(&buf[..n], from);
                }
            }
        });
        (addr, stop, h)
    }

    fn client() -> UdpSocket {
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        c
    }

    fn recv_all(c: &UdpSocket) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(n) = c.recv(&mut buf) {
            out.push(buf[..n].to_vec());
        }
        out
    }

    #[test]
    fn a_clean_relay_forwards_both_ways_and_keeps_clients_apart() {
        let (agent, stop, h) = echo();
        let relay = Relay::start(agent, RelayConfig::default()).unwrap();
        let (a, b) = (client(), client());
        a.send_to(b"from a", relay.socket_addr()).unwrap();
        b.send_to(b"from b", relay.socket_addr()).unwrap();
        assert_eq!(recv_all(&a), vec![b"from a".to_vec()]);
        assert_eq!(recv_all(&b), vec![b"from b".to_vec()]);
        let st = relay.stats();
        assert_eq!(st.clients, 2);
        assert_eq!((st.to_agent.sent, st.to_client.sent), (2, 2));
        drop(relay);
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap();
    }

    #[test]
    fn faults_follow_the_seed_and_the_rates() {
        let (agent, stop, h) = echo();
        let run = |seed: u64| {
            let relay = Relay::start(
                agent,
                RelayConfig {
                    to_agent: Faults::loss(0.3),
                    to_client: Faults {
                        duplicate: 0.5,
                        ..Faults::none()
                    },
                    seed,
                },
            )
            .unwrap();
            let c = client();
            for i in 0..200u8 {
                c.send_to(&[i], relay.socket_addr()).unwrap();
                std::thread::sleep(Duration::from_micros(500));
            }
            let mut got = vec![0usize; 200];
            for d in recv_all(&c) {
                got[usize::from(d[0])] += 1;
            }
            (got, relay.stats())
        };
        let (a, sa) = run(7);
        let (b, sb) = run(7);
        assert_eq!(a, b, "one seed, one sequence of faults");
        assert_eq!(sa, sb);
        let lost = a.iter().filter(|&&n| n == 0).count();
        let doubled = a.iter().filter(|&&n| n == 2).count();
        assert!((40..=80).contains(&lost), "30% of 200 lost, got {lost}");
        assert!(
            (50..=100).contains(&doubled),
            "half of ~140 doubled, got {doubled}"
        );
        assert_eq!(sa.to_agent.dropped as usize, lost);
        let (c, _) = run(8);
        assert_ne!(a, c, "another seed, other faults");
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap();
    }

    #[test]
    fn delay_reorder_and_replay() {
        let (agent, stop, h) = echo();
        let relay = Relay::start(
            agent,
            RelayConfig {
                to_agent: Faults {
                    delay: Duration::from_millis(30),
                    ..Faults::none()
                },
                to_client: Faults {
                    replay: 1.0,
                    ..Faults::none()
                },
                seed: 1,
            },
        )
        .unwrap();
        let c = client();
        let t = Instant::now();
        c.send_to(b"one", relay.socket_addr()).unwrap();
        assert_eq!(recv_all(&c), vec![b"one".to_vec()]);
        c.send_to(b"two", relay.socket_addr()).unwrap();
        // The stale answer first, then the real one.
        assert_eq!(recv_all(&c), vec![b"one".to_vec(), b"two".to_vec()]);
        assert!(t.elapsed() >= Duration::from_millis(60));
        relay.set_faults(
            Faults {
                reorder: 1.0,
                reorder_by: Duration::from_millis(80),
                ..Faults::none()
            },
            Faults::none(),
        );
        c.send_to(b"late", relay.socket_addr()).unwrap();
        while relay.stats().to_agent.reordered == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        relay.set_faults(Faults::none(), Faults::none());
        c.send_to(b"early", relay.socket_addr()).unwrap();
        assert_eq!(recv_all(&c), vec![b"early".to_vec(), b"late".to_vec()]);
        // A fragment-dropping path: answers over 1,472 bytes never arrive, smaller ones do.
        relay.set_faults(
            Faults::none(),
            Faults {
                drop_over: Some(1472),
                ..Faults::none()
            },
        );
        c.send_to(&[7u8; 1473], relay.socket_addr()).unwrap();
        c.send_to(&[8u8; 1472], relay.socket_addr()).unwrap();
        assert_eq!(recv_all(&c), vec![vec![8u8; 1472]]);
        assert_eq!(relay.stats().to_client.oversized, 1);
        assert_eq!(relay.stats().to_client.dropped, 0);
        drop(relay);
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap();
    }
}
