//! A fast SNMPv1/v2c responder that serves `.snmprec` walks on loopback, for benchmarks and
//! for tests that need more than snmpsim's ~100 GETBULKs a second. It answers as snmpsim does
//! (the `responder` integration test compares the two on the corpus), counts the requests each
//! endpoint receives, and can listen on many endpoints at once (one per simulated switch).
//!
//! BER comes from `rasn`/`rasn-snmp`: requests are decoded as `v2c::Message<v2::Pdus>`, and
//! each recorded varbind is encoded once, at load, so an answer is a copy of ready bytes.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use lanready_mibs::{Oid, Value, Walk};
use rasn::prelude::*;
use rasn::types::Any;
use rasn_smi::v1::{Counter, Gauge, IpAddress, TimeTicks};
use rasn_smi::v2::{ApplicationSyntax, Counter64, ObjectSyntax, Opaque, SimpleSyntax};
use rasn_snmp::{v2, v2c};

/// snmpsim's cap on the varbinds of one GETBULK answer (pysnmp's `BulkCommandResponder`).
pub const DEFAULT_MAX_VARBINDS: usize = 64;
/// The largest UDP payload over IPv4: what snmpsim sends at most.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_507;

const ERR_TOO_BIG: u32 = 1;
const ERR_NO_SUCH_NAME: u32 = 2;

/// Why the responder could not load its data or start.
#[derive(Debug, thiserror::Error)]
pub enum ResponderError {
    #[error("reading {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: lanready_mibs::walk::SnmprecError,
    },
    #[error("{path}: has no file stem to use as the community")]
    NoStem { path: PathBuf },
    #[error("community {community:?}: cannot encode {oid} as BER: {reason}")]
    Encode {
        community: String,
        oid: String,
        reason: String,
    },
    #[error("binding UDP {address}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the responder's threads")]
    Start(#[source] std::io::Error),
}

/// One recorded varbind, encoded.
struct Entry {
    oid: Box<[u32]>,
    /// The whole `VarBind` SEQUENCE, BER.
    ber: Vec<u8>,
    counter64: bool,
}

/// One walk, ready to serve: its varbinds sorted by OID, each pre-encoded.
pub struct Served {
    entries: Vec<Entry>,
}

impl Served {
    /// Encodes `values` (already ordered numerically by OID, as a `Walk` keeps them).
    pub fn new(
        community: &str,
        values: &std::collections::BTreeMap<Oid, Value>,
    ) -> Result<Served, ResponderError> {
        let mut entries = Vec::with_capacity(values.len());
        for (oid, value) in values {
            let err = |reason: String| ResponderError::Encode {
                community: community.to_string(),
                oid: oid.to_string(),
                reason,
            };
            let name = object_name(oid.arcs()).ok_or_else(|| err("not a valid OID".into()))?;
            let encoded = syntax(value).map_err(err)?;
            let ber = rasn::ber::encode(&v2::VarBind {
                name,
                value: encoded,
            })
            .map_err(|e| err(e.to_string()))?;
            entries.push(Entry {
                oid: oid.arcs().into(),
                ber,
                counter64: matches!(value, Value::Counter64(_)),
            });
        }
        Ok(Served { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The varbinds under `prefix`: how many, and their encoded bytes (each a whole VarBind
    /// SEQUENCE, as an answer carries it).
    pub fn under(&self, prefix: &[u32]) -> (usize, usize) {
        let start = self.entries.partition_point(|e| e.oid.as_ref() < prefix);
        self.entries[start..]
            .iter()
            .take_while(|e| e.oid.starts_with(prefix))
            .fold((0, 0), |(n, b), e| (n + 1, b + e.ber.len()))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn exact(&self, oid: &[u32]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.oid.as_ref().cmp(oid))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The first entry after `oid`, skipping Counter64 values for SNMPv1 (RFC 2576 4.1.2.1).
    fn next(&self, oid: &[u32], v1: bool) -> Option<&Entry> {
        let start = self.entries.partition_point(|e| e.oid.as_ref() <= oid);
        self.entries[start..].iter().find(|e| !(v1 && e.counter64))
    }
}

fn object_name(arcs: &[u32]) -> Option<ObjectIdentifier> {
    ObjectIdentifier::new(arcs.to_vec())
}

fn syntax(value: &Value) -> Result<v2::VarBindValue, String> {
    use ApplicationSyntax as A;
    use SimpleSyntax as S;
    let s = match value {
        Value::Null => return Ok(v2::VarBindValue::Unspecified),
        Value::Integer(i) => ObjectSyntax::Simple(S::Integer((*i).into())),
        Value::OctetString(b) => ObjectSyntax::Simple(S::String(OctetString::from(b.clone()))),
        Value::ObjectId(o) => ObjectSyntax::Simple(S::ObjectId(
            object_name(o.arcs()).ok_or_else(|| format!("value {o} is not a valid OID"))?,
        )),
        Value::IpAddress(a) => {
            ObjectSyntax::ApplicationWide(A::Address(IpAddress(FixedOctetString::new(*a))))
        }
        Value::Counter32(u) => ObjectSyntax::ApplicationWide(A::Counter(Counter(*u))),
        Value::Gauge32(u) => ObjectSyntax::ApplicationWide(A::Unsigned(Gauge(*u))),
        Value::TimeTicks(u) => ObjectSyntax::ApplicationWide(A::Ticks(TimeTicks(*u))),
        Value::Counter64(u) => ObjectSyntax::ApplicationWide(A::BigCounter(Counter64(*u))),
        Value::Opaque(b) => ObjectSyntax::ApplicationWide(A::Arbitrary(opaque(b)?)),
    };
    Ok(v2::VarBindValue::Value(s))
}

/// rasn's `Opaque` has no constructor from raw bytes: encode them as an OCTET STRING and
/// decode that with Opaque's tag ([APPLICATION 4], primitive: 0x44).
fn opaque(bytes: &[u8]) -> Result<Opaque, String> {
    let mut ber =
        rasn::ber::encode(&OctetString::from(bytes.to_vec())).map_err(|e| e.to_string())?;
    ber[0] = 0x44;
    rasn::ber::decode::<Opaque>(&ber).map_err(|e| e.to_string())
}

/// What one endpoint serves: walks by community (snmpsim's rule: the file stem, and
/// `name@VLAN` for a per-VLAN context file).
#[derive(Clone, Default)]
pub struct Dataset {
    walks: HashMap<Vec<u8>, Arc<Served>>,
}

impl Dataset {
    /// Loads `.snmprec` files; each one's community is its file stem.
    pub fn from_files(paths: &[PathBuf]) -> Result<Dataset, ResponderError> {
        let mut d = Dataset::default();
        for p in paths {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| ResponderError::NoStem { path: p.clone() })?;
            d.insert(stem, &read_snmprec(p)?)?;
        }
        Ok(d)
    }

    /// Serves `walk` (its main values) to `community`, and each of its VLAN contexts to
    /// `community@VLAN`.
    pub fn insert(&mut self, community: &str, walk: &Walk) -> Result<(), ResponderError> {
        self.walks.insert(
            community.as_bytes().to_vec(),
            Arc::new(Served::new(community, &walk.values)?),
        );
        for (vlan, values) in &walk.vlan_contexts {
            let c = format!("{community}@{vlan}");
            self.walks
                .insert(c.as_bytes().to_vec(), Arc::new(Served::new(&c, values)?));
        }
        Ok(())
    }

    /// The communities served, sorted.
    pub fn communities(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .walks
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        v.sort();
        v
    }

    fn get(&self, community: &[u8]) -> Option<&Served> {
        self.walks.get(community).map(|a| a.as_ref())
    }

    /// The walk served to `community`.
    pub fn served(&self, community: &str) -> Option<&Served> {
        self.get(community.as_bytes())
    }
}

/// Reads an `.snmprec` file as snmpsim does: UTF-8 when it is, else ISO-8859-1.
pub fn read_snmprec(path: &Path) -> Result<Walk, ResponderError> {
    let bytes = std::fs::read(path).map_err(|source| ResponderError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    };
    Walk::from_snmprec(&text).map_err(|source| ResponderError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// How the responder answers.
#[derive(Clone, Debug)]
pub struct ResponderOptions {
    /// At most this many varbinds in a GETBULK answer (snmpsim: 64): max-repetitions is cut
    /// to `max_varbinds / repeaters`, as pysnmp does.
    pub max_varbinds: usize,
    /// The largest answer in bytes. A larger GETBULK answer loses trailing varbinds; a larger
    /// GET or GETNEXT answer becomes `tooBig` with no varbinds (RFC 3416 4.2.1, 4.2.3).
    pub max_message_size: usize,
    /// Threads serving the endpoints (each runs its share of them).
    pub threads: usize,
    /// Each endpoint answers one request at a time, each after this long (a switch's SNMP
    /// process: IOS serves GETBULK from a low-priority process that takes milliseconds).
    /// Requests that arrive meanwhile wait their turn.
    pub service_time: std::time::Duration,
    /// A GETBULK answer larger than `max_message_size` is tooBig with no varbinds instead
    /// of trimmed (as some agents do, against RFC 3416 4.2.3).
    pub too_big_bulk: bool,
    /// Answers larger than this many bytes are never sent (a firewall dropping fragmented
    /// UDP: 1,472 on a 1,500-byte path). Counted as `dropped`.
    pub drop_over: Option<usize>,
}

impl Default for ResponderOptions {
    fn default() -> Self {
        ResponderOptions {
            max_varbinds: DEFAULT_MAX_VARBINDS,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            threads: 1,
            service_time: std::time::Duration::ZERO,
            too_big_bulk: false,
            drop_over: None,
        }
    }
}

/// What one endpoint has seen.
#[derive(Default, Debug)]
pub struct Counters {
    requests: AtomicU64,
    responses: AtomicU64,
    varbinds: AtomicU64,
    dropped: AtomicU64,
    busy_us: AtomicU64,
    recording: AtomicBool,
    recorded: Mutex<Vec<Vec<u8>>>,
}

/// A snapshot of [`Counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Datagrams received (answered or not).
    pub requests: u64,
    pub responses: u64,
    /// Varbinds sent in responses.
    pub varbinds: u64,
    /// Answers not sent for their size ([`ResponderOptions::drop_over`]).
    pub dropped: u64,
    /// Time spent serving requests, from each one's arrival to its answer's send (with a
    /// service time, what the switch's one SNMP process was busy for).
    pub busy_us: u64,
}

impl Counters {
    fn snapshot(&self) -> Counts {
        Counts {
            requests: self.requests.load(Ordering::Relaxed),
            responses: self.responses.load(Ordering::Relaxed),
            varbinds: self.varbinds.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            busy_us: self.busy_us.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.responses.store(0, Ordering::Relaxed);
        self.varbinds.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
        self.busy_us.store(0, Ordering::Relaxed);
    }
}

/// A running responder: endpoints on loopback, stopped on drop.
pub struct Responder {
    addresses: Vec<SocketAddr>,
    counters: Vec<Arc<Counters>>,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Responder {
    /// One endpoint on a free port of 127.0.0.1 serving `data`.
    pub fn start(data: Dataset, opts: &ResponderOptions) -> Result<Responder, ResponderError> {
        Self::start_many(
            vec![("127.0.0.1:0".parse().expect("a socket address"), data)],
            opts,
        )
    }

    /// Serves `files` (communities from file stems) on a free port of 127.0.0.1, with
    /// snmpsim's limits.
    pub fn serve_files(files: &[PathBuf]) -> Result<Responder, ResponderError> {
        Self::start(Dataset::from_files(files)?, &ResponderOptions::default())
    }

    /// Many endpoints, each bound to its address (port 0 picks a free port) and serving its
    /// dataset. Endpoints are shared among `opts.threads` threads, each with its own
    /// single-threaded tokio runtime.
    pub fn start_many(
        endpoints: Vec<(SocketAddr, Dataset)>,
        opts: &ResponderOptions,
    ) -> Result<Responder, ResponderError> {
        let mut sockets = Vec::with_capacity(endpoints.len());
        for (address, data) in endpoints {
            let s = StdUdpSocket::bind(address)
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .map_err(|source| ResponderError::Bind { address, source })?;
            let local = s
                .local_addr()
                .map_err(|source| ResponderError::Bind { address, source })?;
            sockets.push((local, s, Arc::new(data), Arc::new(Counters::default())));
        }
        let addresses = sockets.iter().map(|s| s.0).collect();
        let counters = sockets.iter().map(|s| s.3.clone()).collect();
        let nthreads = opts.threads.max(1).min(sockets.len().max(1));
        let mut shares: Vec<Vec<_>> = (0..nthreads).map(|_| Vec::new()).collect();
        for (i, s) in sockets.into_iter().enumerate() {
            shares[i % nthreads].push(s);
        }
        let mut stop = Vec::new();
        let mut threads = Vec::new();
        for (t, share) in shares.into_iter().enumerate() {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let opts = opts.clone();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
                .map_err(ResponderError::Start)?;
            let handle = std::thread::Builder::new()
                .name(format!("responder-{t}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        let opts = Arc::new(opts);
                        for (_, sock, data, counters) in share {
                            let sock = match tokio::net::UdpSocket::from_std(sock) {
                                Ok(s) => s,
                                Err(_) => continue,
                            };
                            tokio::spawn(serve_endpoint(sock, data, counters, opts.clone()));
                        }
                        let _ = rx.await;
                    });
                })
                .map_err(ResponderError::Start)?;
            stop.push(tx);
            threads.push(handle);
        }
        Ok(Responder {
            addresses,
            counters,
            stop,
            threads,
        })
    }

    /// Every endpoint's address, in the order given.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// The first endpoint's `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addresses[0].to_string()
    }

    /// What endpoint `i` has seen so far.
    pub fn counts(&self, i: usize) -> Counts {
        self.counters[i].snapshot()
    }

    /// The sum over all endpoints.
    pub fn total(&self) -> Counts {
        self.counters.iter().fold(Counts::default(), |a, c| {
            let c = c.snapshot();
            Counts {
                requests: a.requests + c.requests,
                responses: a.responses + c.responses,
                varbinds: a.varbinds + c.varbinds,
                dropped: a.dropped + c.dropped,
                busy_us: a.busy_us + c.busy_us,
            }
        })
    }

    /// Starts or stops keeping every request datagram each endpoint receives (for replaying
    /// a client's exact request mix, as the benchmark's capacity blast does).
    pub fn record(&self, on: bool) {
        for c in &self.counters {
            c.recording.store(on, Ordering::Relaxed);
        }
    }

    /// The request datagrams endpoint `i` kept since [`Responder::record`], taken out.
    pub fn take_recorded(&self, i: usize) -> Vec<Vec<u8>> {
        std::mem::take(&mut *lock(&self.counters[i].recorded))
    }

    /// Zeroes every endpoint's counters.
    pub fn reset_counts(&self) {
        for c in &self.counters {
            c.reset();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        for tx in self.stop.drain(..) {
            let _ = tx.send(());
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn serve_endpoint(
    sock: tokio::net::UdpSocket,
    data: Arc<Dataset>,
    counters: Arc<Counters>,
    opts: Arc<ResponderOptions>,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let arrived = std::time::Instant::now();
        let busy = |c: &Counters| {
            c.busy_us
                .fetch_add(arrived.elapsed().as_micros() as u64, Ordering::Relaxed);
        };
        counters.requests.fetch_add(1, Ordering::Relaxed);
        if counters.recording.load(Ordering::Relaxed) {
            lock(&counters.recorded).push(buf[..n].to_vec());
        }
        if !opts.service_time.is_zero() {
            // One at a time: the next request is read only after this one is answered.
            tokio::time::sleep(opts.service_time).await;
        }
        if let Some((reply, varbinds)) = answer(&buf[..n], &data, &opts) {
            if opts.drop_over.is_some_and(|max| reply.len() > max) {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
                busy(&counters);
                continue;
            }
            // Counted before the send, so a client holding the answer sees it counted.
            counters.responses.fetch_add(1, Ordering::Relaxed);
            counters
                .varbinds
                .fetch_add(varbinds as u64, Ordering::Relaxed);
            if sock.send_to(&reply, peer).await.is_err() {
                counters.responses.fetch_sub(1, Ordering::Relaxed);
                counters
                    .varbinds
                    .fetch_sub(varbinds as u64, Ordering::Relaxed);
            }
        }
        busy(&counters);
    }
}

/// A Response-PDU whose varbinds are already BER (each a whole `VarBind` SEQUENCE).
#[derive(AsnType, Encode)]
struct RawMessage {
    version: Integer,
    community: OctetString,
    data: RawResponse,
}

#[derive(AsnType, Encode)]
#[rasn(tag(context, 2))]
struct RawResponse {
    request_id: i32,
    error_status: u32,
    error_index: u32,
    variable_bindings: Vec<Any>,
}

/// The answer to one request datagram and the number of varbinds in it, or None when it is
/// not one to answer (undecodable, SNMPv3, unknown community, not a read request): snmpsim
/// drops those silently too.
pub fn answer(request: &[u8], data: &Dataset, opts: &ResponderOptions) -> Option<(Vec<u8>, usize)> {
    let msg: v2c::Message<v2::Pdus> = rasn::ber::decode(request).ok()?;
    let version = msg.version.to_string();
    let v1 = match version.as_str() {
        "0" => true,
        "1" => false,
        _ => return None,
    };
    let served = data.get(&msg.community)?;
    let (request_id, out) = match &msg.data {
        v2::Pdus::GetRequest(v2::GetRequest(p)) => (p.request_id, get(served, p, v1)),
        v2::Pdus::GetNextRequest(v2::GetNextRequest(p)) => (p.request_id, get_next(served, p, v1)),
        v2::Pdus::GetBulkRequest(v2::GetBulkRequest(p)) if !v1 => {
            (p.request_id, get_bulk(served, p, opts.max_varbinds)?)
        }
        _ => return None,
    };
    let encode = |out: &Outcome| -> Option<Vec<u8>> {
        rasn::ber::encode(&RawMessage {
            version: msg.version.clone(),
            community: msg.community.clone(),
            data: RawResponse {
                request_id,
                error_status: out.error_status,
                error_index: out.error_index,
                variable_bindings: out.varbinds.iter().map(|b| Any::new(b.clone())).collect(),
            },
        })
        .ok()
    };
    let mut out = out;
    let mut reply = encode(&out)?;
    if reply.len() > opts.max_message_size {
        if out.bulk && !opts.too_big_bulk {
            // RFC 3416 4.2.3: drop varbinds from the end until it fits.
            while reply.len() > opts.max_message_size && !out.varbinds.is_empty() {
                let mut excess = reply.len() - opts.max_message_size;
                while excess > 0 && !out.varbinds.is_empty() {
                    let last = out.varbinds.pop().expect("not empty");
                    excess = excess.saturating_sub(last.len());
                }
                reply = encode(&out)?;
            }
        } else {
            // RFC 3416 4.2.1: tooBig, error-index 0, no varbinds (and so, with
            // `too_big_bulk`, for GETBULK too).
            out = Outcome {
                error_status: ERR_TOO_BIG,
                error_index: 0,
                varbinds: Vec::new(),
                bulk: false,
            };
            reply = encode(&out)?;
        }
        if reply.len() > opts.max_message_size {
            return None;
        }
    }
    Some((reply, out.varbinds.len()))
}

/// A response's status and varbinds (BER).
struct Outcome {
    error_status: u32,
    error_index: u32,
    varbinds: Vec<Vec<u8>>,
    bulk: bool,
}

impl Outcome {
    fn ok(varbinds: Vec<Vec<u8>>, bulk: bool) -> Outcome {
        Outcome {
            error_status: 0,
            error_index: 0,
            varbinds,
            bulk,
        }
    }

    /// An error answer carrying the request's own varbinds (SNMPv1 noSuchName, genErr).
    fn error(status: u32, index: usize, request: &[v2::VarBind]) -> Outcome {
        Outcome {
            error_status: status,
            error_index: u32::try_from(index).unwrap_or(u32::MAX),
            varbinds: request
                .iter()
                .filter_map(|vb| rasn::ber::encode(vb).ok())
                .collect(),
            bulk: false,
        }
    }
}

fn exception(name: &[u32], value: v2::VarBindValue) -> Vec<u8> {
    rasn::ber::encode(&v2::VarBind {
        name: ObjectIdentifier::new_unchecked(name.to_vec().into()),
        value,
    })
    .unwrap_or_default()
}

/// The name and encoding of one GETNEXT step from `name`.
fn next_step(served: &Served, name: &[u32], v1: bool) -> (Vec<u32>, Option<Vec<u8>>) {
    match served.next(name, v1) {
        Some(e) => (e.oid.to_vec(), Some(e.ber.clone())),
        None => (name.to_vec(), None),
    }
}

fn get(served: &Served, p: &v2::Pdu, v1: bool) -> Outcome {
    let mut out = Vec::with_capacity(p.variable_bindings.len());
    for (i, vb) in p.variable_bindings.iter().enumerate() {
        match served.exact(&vb.name) {
            Some(e) => out.push(e.ber.clone()),
            None if v1 => return Outcome::error(ERR_NO_SUCH_NAME, i + 1, &p.variable_bindings),
            // snmpsim answers noSuchInstance for any missing OID, never noSuchObject.
            None => out.push(exception(&vb.name, v2::VarBindValue::NoSuchInstance)),
        }
    }
    Outcome::ok(out, false)
}

fn get_next(served: &Served, p: &v2::Pdu, v1: bool) -> Outcome {
    let mut out = Vec::with_capacity(p.variable_bindings.len());
    for (i, vb) in p.variable_bindings.iter().enumerate() {
        match next_step(served, &vb.name, v1) {
            (_, Some(ber)) => out.push(ber),
            _ if v1 => return Outcome::error(ERR_NO_SUCH_NAME, i + 1, &p.variable_bindings),
            (name, None) => out.push(exception(&name, v2::VarBindValue::EndOfMibView)),
        }
    }
    Outcome::ok(out, false)
}

/// GETBULK as pysnmp's `BulkCommandResponder` does it: N non-repeaters, then M rounds over
/// the R repeaters with M cut to `max_varbinds / R`; each round steps from the names the
/// previous round returned (so past the end, the same name repeats with endOfMibView).
fn get_bulk(served: &Served, p: &v2::BulkPdu, max_varbinds: usize) -> Option<Outcome> {
    let vbs = &p.variable_bindings;
    let n = (p.non_repeaters as usize).min(vbs.len());
    let r = vbs.len() - n;
    let m = match max_varbinds.checked_div(r) {
        Some(cap) => (p.max_repetitions as usize).min(cap),
        None => p.max_repetitions as usize,
    };
    let mut out = Vec::with_capacity(n + m * r);
    let step = |name: &[u32], out: &mut Vec<Vec<u8>>| -> Vec<u32> {
        let (next, ber) = next_step(served, name, false);
        out.push(ber.unwrap_or_else(|| exception(&next, v2::VarBindValue::EndOfMibView)));
        next
    };
    for vb in &vbs[..n] {
        step(&vb.name, &mut out);
    }
    let mut names: Vec<Vec<u32>> = vbs[n..].iter().map(|vb| vb.name.to_vec()).collect();
    if r > 0 {
        for _ in 0..m {
            for name in names.iter_mut() {
                *name = step(name, &mut out);
            }
        }
    }
    if out.is_empty() {
        // pysnmp raises a bare SmiError here and snmpsim sends nothing at all (the edge-case
        // integration test checks it).
        return None;
    }
    Some(Outcome::ok(out, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Dataset {
        let walk = Walk::from_snmprec(
            "1.3.6.1.2.1.1.1.0|4|Cisco IOS\n1.3.6.1.2.1.2.2.1.2.1|4|Gi1/0/1\n\
             1.3.6.1.2.1.2.2.1.2.2|4|Gi1/0/2\n1.3.6.1.2.1.2.2.1.3.1|2|6\n\
             1.3.6.1.2.1.2.2.1.3.2|2|6\n1.3.6.1.2.1.31.1.1.1.6.1|70|5\n",
        )
        .unwrap();
        let mut d = Dataset::default();
        d.insert("public", &walk).unwrap();
        d
    }

    fn request(version: i32, community: &str, pdu: v2::Pdus) -> Vec<u8> {
        rasn::ber::encode(&v2c::Message {
            version: version.into(),
            community: community.as_bytes().to_vec().into(),
            data: pdu,
        })
        .unwrap()
    }

    fn vbs(oids: &[&[u32]]) -> Vec<v2::VarBind> {
        oids.iter()
            .map(|o| v2::VarBind {
                name: ObjectIdentifier::new(o.to_vec()).unwrap(),
                value: v2::VarBindValue::Unspecified,
            })
            .collect()
    }

    fn pdu(request_id: i32, oids: &[&[u32]]) -> v2::Pdu {
        v2::Pdu {
            request_id,
            error_status: 0,
            error_index: 0,
            variable_bindings: vbs(oids),
        }
    }

    fn bulk(n: u32, m: u32, oids: &[&[u32]]) -> v2::Pdus {
        v2::Pdus::GetBulkRequest(v2::GetBulkRequest(v2::BulkPdu {
            request_id: 7,
            non_repeaters: n,
            max_repetitions: m,
            variable_bindings: vbs(oids),
        }))
    }

    fn reply(bytes: &[u8], opts: &ResponderOptions) -> v2::Pdu {
        let (raw, _) = answer(bytes, &data(), opts).expect("an answer");
        let msg: v2c::Message<v2::Pdus> = rasn::ber::decode(&raw).unwrap();
        match msg.data {
            v2::Pdus::Response(v2::Response(p)) => p,
            other => panic!("not a response: {other:?}"),
        }
    }

    fn names(p: &v2::Pdu) -> Vec<String> {
        p.variable_bindings
            .iter()
            .map(|vb| {
                let tail = match vb.value {
                    v2::VarBindValue::EndOfMibView => "=end",
                    v2::VarBindValue::NoSuchInstance => "=nsi",
                    _ => "",
                };
                format!(
                    "{}{tail}",
                    vb.name
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(".")
                )
            })
            .collect()
    }

    const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
    const IF_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];

    #[test]
    fn bulk_walks_columns_in_lockstep_and_repeats_the_end() {
        let opts = ResponderOptions::default();
        let p = reply(
            &request(1, "public", bulk(0, 3, &[IF_DESCR, IF_TYPE])),
            &opts,
        );
        assert_eq!(p.request_id, 7);
        assert_eq!(
            names(&p),
            [
                "1.3.6.1.2.1.2.2.1.2.1",
                "1.3.6.1.2.1.2.2.1.3.1",
                "1.3.6.1.2.1.2.2.1.2.2",
                "1.3.6.1.2.1.2.2.1.3.2",
                "1.3.6.1.2.1.2.2.1.3.1",
                "1.3.6.1.2.1.31.1.1.1.6.1",
            ]
        );
        let p = reply(
            &request(
                1,
                "public",
                bulk(1, 2, &[&[1, 3, 6, 1, 2, 1, 1, 1], &[1, 3, 6, 1, 2, 1, 31]]),
            ),
            &opts,
        );
        assert_eq!(
            names(&p),
            [
                "1.3.6.1.2.1.1.1.0",
                "1.3.6.1.2.1.31.1.1.1.6.1",
                "1.3.6.1.2.1.31.1.1.1.6.1=end",
            ]
        );
    }

    #[test]
    fn caps_varbinds_like_pysnmp_and_truncates_to_the_size_limit() {
        let opts = ResponderOptions {
            max_varbinds: 3,
            ..Default::default()
        };
        let p = reply(
            &request(1, "public", bulk(0, 25, &[IF_DESCR, IF_TYPE])),
            &opts,
        );
        assert_eq!(
            p.variable_bindings.len(),
            2,
            "max-repetitions cut to 3 / 2 = 1"
        );
        let full = answer(
            &request(1, "public", bulk(0, 4, &[IF_DESCR])),
            &data(),
            &Default::default(),
        )
        .unwrap()
        .0
        .len();
        let opts = ResponderOptions {
            max_message_size: full - 1,
            ..Default::default()
        };
        let p = reply(&request(1, "public", bulk(0, 4, &[IF_DESCR])), &opts);
        assert_eq!(p.variable_bindings.len(), 3, "the last varbind dropped");
        let p = reply(
            &request(
                1,
                "public",
                v2::Pdus::GetRequest(v2::GetRequest(pdu(3, &[&[1, 3, 6, 1, 2, 1, 1, 1, 0]]))),
            ),
            &ResponderOptions {
                max_message_size: 40,
                ..Default::default()
            },
        );
        assert_eq!(
            (p.error_status, p.variable_bindings.len()),
            (ERR_TOO_BIG, 0)
        );
    }

    #[test]
    fn get_and_getnext_exceptions_for_v2c_and_v1() {
        let opts = ResponderOptions::default();
        let missing: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 9, 0];
        let get = |v| {
            request(
                v,
                "public",
                v2::Pdus::GetRequest(v2::GetRequest(pdu(
                    1,
                    &[&[1, 3, 6, 1, 2, 1, 1, 1, 0], missing],
                ))),
            )
        };
        let p = reply(&get(1), &opts);
        assert_eq!(names(&p), ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.9.0=nsi"]);
        let p = reply(&get(0), &opts);
        assert_eq!((p.error_status, p.error_index), (ERR_NO_SUCH_NAME, 2));
        // SNMPv1 GETNEXT skips Counter64 (RFC 2576), so ifHCInOctets is the end for it.
        let next = |v| {
            request(
                v,
                "public",
                v2::Pdus::GetNextRequest(v2::GetNextRequest(pdu(
                    1,
                    &[IF_TYPE, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 2]],
                ))),
            )
        };
        let p = reply(&next(1), &opts);
        assert_eq!(
            names(&p),
            ["1.3.6.1.2.1.2.2.1.3.1", "1.3.6.1.2.1.31.1.1.1.6.1"]
        );
        let p = reply(&next(0), &opts);
        assert_eq!((p.error_status, p.error_index), (ERR_NO_SUCH_NAME, 2));
    }

    #[test]
    fn unknown_community_and_bulk_in_v1_get_no_answer() {
        let opts = ResponderOptions::default();
        assert!(
            answer(
                &request(1, "private", bulk(0, 1, &[IF_DESCR])),
                &data(),
                &opts
            )
            .is_none()
        );
        assert!(
            answer(
                &request(0, "public", bulk(0, 1, &[IF_DESCR])),
                &data(),
                &opts
            )
            .is_none()
        );
        assert!(answer(b"\x30\x03garbage", &data(), &opts).is_none());
    }

    #[test]
    fn serves_over_udp_and_counts_requests() {
        let r = Responder::start(data(), &ResponderOptions::default()).unwrap();
        let sock = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let req = request(1, "public", bulk(0, 10, &[IF_DESCR]));
        let mut buf = [0u8; 4096];
        for _ in 0..3 {
            sock.send_to(&req, r.addresses()[0]).unwrap();
            let (n, _) = sock.recv_from(&mut buf).unwrap();
            assert_eq!(
                buf[..n],
                answer(&req, &data(), &Default::default()).unwrap().0[..]
            );
        }
        let c = r.counts(0);
        assert_eq!((c.requests, c.responses, c.varbinds), (3, 3, 30));
        assert!(r.take_recorded(0).is_empty(), "not recording yet");
        r.record(true);
        sock.send_to(&req, r.addresses()[0]).unwrap();
        sock.recv_from(&mut buf).unwrap();
        assert_eq!(r.take_recorded(0), vec![req.clone()]);
        r.reset_counts();
        assert_eq!(r.total(), Counts::default());
    }
}
