//! A hostile SNMPv2c agent on loopback: it knows how to answer honestly (GET, GETNEXT and
//! GETBULK over `.snmprec` walks, as snmpsim does) and lets a test's script bend each answer:
//! wrong types, raw BER values, truncated or garbage datagrams, OIDs that go backwards,
//! tables that never end, more varbinds than asked for, wrong request ids, tooBig forever.
//!
//! Its BER is `lanready_snmp::testing`, written by hand (not by an SNMP library) so that it
//! can be wrong on purpose; it is re-exported here.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use lanready_mibs::{Oid, Value, Walk};
pub use lanready_snmp::testing::*;

/// What the agent does with one request.
pub enum Reply {
    /// Encoded as a proper GetResponse to the request.
    Answer(Answer),
    /// These bytes, as they are (truncated, garbage, another request's answer...).
    Bytes(Vec<u8>),
    /// Several datagrams, in order.
    Datagrams(Vec<Vec<u8>>),
    /// No answer.
    Silence,
}

/// The data an agent serves: a walk per community (`name` and `name@VLAN`).
#[derive(Clone, Default)]
pub struct Data {
    pub communities: BTreeMap<String, BTreeMap<Oid, Value>>,
    /// Varbinds per GETBULK answer at most (snmpsim's default is 64).
    pub max_varbinds: usize,
}

impl Data {
    /// Loads `.snmprec` files; each file's stem is its community.
    pub fn from_files(files: &[std::path::PathBuf]) -> Data {
        let mut communities = BTreeMap::new();
        for f in files {
            let text = std::fs::read_to_string(f)
                .unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
            let walk = Walk::from_snmprec(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let stem = f.file_stem().and_then(|s| s.to_str()).expect("a file stem");
            communities.insert(stem.to_string(), walk.values);
        }
        Data {
            communities,
            max_varbinds: 64,
        }
    }

    /// The answer an honest agent gives, or None for an unknown community.
    pub fn honest(&self, req: &Request) -> Option<Answer> {
        let values = self.communities.get(&req.community)?;
        let next = |oid: &[u32]| -> (Vec<u32>, Cell) {
            match values
                .range((
                    std::ops::Bound::Excluded(Oid::new(oid)),
                    std::ops::Bound::Unbounded,
                ))
                .next()
            {
                Some((o, v)) => (o.arcs().to_vec(), Cell::Value(v.clone())),
                None => (oid.to_vec(), Cell::EndOfMibView),
            }
        };
        let mut a = Answer::default();
        match req.kind {
            PduKind::Get => {
                for o in &req.oids {
                    let cell = match values.get(&Oid::new(o)) {
                        Some(v) => Cell::Value(v.clone()),
                        None => Cell::NoSuchObject,
                    };
                    a.varbinds.push((o.clone(), cell));
                }
            }
            PduKind::GetNext => {
                for o in &req.oids {
                    a.varbinds.push(next(o));
                }
            }
            PduKind::GetBulk => {
                let n = (req.non_repeaters.max(0) as usize).min(req.oids.len());
                for o in &req.oids[..n] {
                    a.varbinds.push(next(o));
                }
                let mut last: Vec<Vec<u32>> = req.oids[n..].to_vec();
                'rows: for _ in 0..req.max_repetitions.max(0) {
                    for l in last.iter_mut() {
                        if a.varbinds.len() >= self.max_varbinds {
                            break 'rows;
                        }
                        let (o, cell) = next(l);
                        *l = o.clone();
                        a.varbinds.push((o, cell));
                    }
                }
            }
            PduKind::Other(_) => a.error_status = 5,
        }
        Some(a)
    }
}

/// A script: given the request and the honest answer (None: unknown community), what to
/// send. Called on the agent's thread, one request at a time.
pub type Script = dyn Fn(&Request, Option<Answer>) -> Reply + Send + Sync;

/// A running hostile agent, stopped on drop.
pub struct HostileAgent {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl HostileAgent {
    /// Serves `data` on 127.0.0.1:0, bent by `script`.
    pub fn start(
        data: Data,
        script: impl Fn(&Request, Option<Answer>) -> Reply + Send + Sync + 'static,
    ) -> HostileAgent {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("binding a loopback UDP port");
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("socket timeout");
        let addr = sock.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let (st, rq) = (stop.clone(), requests.clone());
        let thread = std::thread::Builder::new()
            .name("hostile-agent".into())
            .spawn(move || {
                let mut buf = vec![0u8; 65_536];
                while !st.load(Ordering::SeqCst) {
                    let Ok((n, from)) = sock.recv_from(&mut buf) else {
                        continue;
                    };
                    let Some(req) = parse_request(&buf[..n]) else {
                        continue;
                    };
                    rq.fetch_add(1, Ordering::Relaxed);
                    let honest = data.honest(&req);
                    let out = match script(&req, honest) {
                        Reply::Answer(a) => vec![encode_response(&req, &a)],
                        Reply::Bytes(b) => vec![b],
                        Reply::Datagrams(d) => d,
                        Reply::Silence => Vec::new(),
                    };
                    for d in out {
                        let _ = sock.send_to(&d, from);
                    }
                }
            })
            .expect("starting the hostile agent");
        HostileAgent {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for HostileAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the hostile agent's script panicked (see its message above)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_getbulk_walks_columns_like_snmpsim() {
        let w = Walk::from_snmprec("1.3.6.1.1.1|2|1\n1.3.6.1.1.2|2|2\n1.3.6.1.2.1|2|3\n").unwrap();
        let data = Data {
            communities: [("c".to_string(), w.values)].into(),
            max_varbinds: 64,
        };
        let req = Request {
            version: 1,
            community: "c".into(),
            kind: PduKind::GetBulk,
            request_id: 1,
            non_repeaters: 0,
            max_repetitions: 4,
            oids: vec![vec![1, 3, 6, 1, 1]],
        };
        let a = data.honest(&req).unwrap();
        let oids: Vec<_> = a
            .varbinds
            .iter()
            .map(|(o, _)| Oid(o.clone()).to_string())
            .collect();
        assert_eq!(
            oids,
            ["1.3.6.1.1.1", "1.3.6.1.1.2", "1.3.6.1.2.1", "1.3.6.1.2.1"]
        );
        assert_eq!(a.varbinds[3].1, Cell::EndOfMibView);
        assert!(
            data.honest(&Request {
                community: "other".into(),
                ..req
            })
            .is_none()
        );
    }
}
