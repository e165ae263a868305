//! A hostile SNMPv2c agent on loopback: it knows how to answer honestly (GET, GETNEXT and
//! GETBULK over `.snmprec` walks, as snmpsim does) and lets a test's script bend each answer:
//! wrong types, raw BER values, truncated or garbage datagrams, OIDs that go backwards,
//! tables that never end, more varbinds than asked for, wrong request ids, tooBig forever.
//!
//! BER is written by hand here (not by an SNMP library) so that it can be wrong on purpose.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use lanready_mibs::{Oid, Value, Walk};

/// The PDU types of requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduKind {
    Get,
    GetNext,
    GetBulk,
    /// Any other PDU tag.
    Other(u8),
}

/// A decoded v1/v2c request.
#[derive(Clone, Debug)]
pub struct Request {
    pub version: i64,
    pub community: String,
    pub kind: PduKind,
    pub request_id: i64,
    pub non_repeaters: i64,
    pub max_repetitions: i64,
    pub oids: Vec<Vec<u32>>,
}

/// One varbind value as the agent sends it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Value(Value),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
    /// Any tag and body, sent as is.
    Raw {
        tag: u8,
        body: Vec<u8>,
    },
}

/// An answer before it is encoded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    pub error_status: i64,
    pub error_index: i64,
    pub varbinds: Vec<(Vec<u32>, Cell)>,
}

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

// ---------------------------------------------------------------------------------------
// BER
// ---------------------------------------------------------------------------------------

/// A tag, length and body.
pub fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(length(body.len()));
    v.extend_from_slice(body);
    v
}

/// A BER definite length.
pub fn length(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = (n as u64)
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut v = vec![0x80 | bytes.len() as u8];
    v.extend(bytes);
    v
}

fn int_body(i: i64) -> Vec<u8> {
    let b = i.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((b[start] == 0 && b[start + 1] & 0x80 == 0)
            || (b[start] == 0xff && b[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    b[start..].to_vec()
}

fn uint_body(u: u64) -> Vec<u8> {
    let mut v: Vec<u8> = u
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    v
}

/// An OID's BER body (the first two arcs combined).
pub fn oid_body(arcs: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |mut n: u64| {
        let mut tmp = vec![(n & 0x7f) as u8];
        n >>= 7;
        while n > 0 {
            tmp.push(0x80 | (n & 0x7f) as u8);
            n >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    };
    match arcs {
        [] => {}
        [a] => push(u64::from(*a) * 40),
        [a, b, rest @ ..] => {
            push(u64::from(*a) * 40 + u64::from(*b));
            for &r in rest {
                push(u64::from(r));
            }
        }
    }
    out
}

/// One value's BER.
pub fn cell_ber(c: &Cell) -> Vec<u8> {
    match c {
        Cell::Value(v) => match v {
            Value::Integer(i) => tlv(0x02, &int_body(*i)),
            Value::OctetString(b) => tlv(0x04, b),
            Value::Null => tlv(0x05, &[]),
            Value::ObjectId(o) => tlv(0x06, &oid_body(o.arcs())),
            Value::IpAddress(a) => tlv(0x40, a),
            Value::Counter32(u) => tlv(0x41, &uint_body(u64::from(*u))),
            Value::Gauge32(u) => tlv(0x42, &uint_body(u64::from(*u))),
            Value::TimeTicks(u) => tlv(0x43, &uint_body(u64::from(*u))),
            Value::Opaque(b) => tlv(0x44, b),
            Value::Counter64(u) => tlv(0x46, &uint_body(*u)),
        },
        Cell::NoSuchObject => tlv(0x80, &[]),
        Cell::NoSuchInstance => tlv(0x81, &[]),
        Cell::EndOfMibView => tlv(0x82, &[]),
        Cell::Raw { tag, body } => tlv(*tag, body),
    }
}

/// One varbind's BER.
pub fn varbind_ber(oid: &[u32], c: &Cell) -> Vec<u8> {
    tlv(0x30, &[tlv(0x06, &oid_body(oid)), cell_ber(c)].concat())
}

/// A GetResponse to `req` around already-encoded varbinds (the VarBindList's body).
pub fn response_with_varbind_bytes(req: &Request, a: &Answer, varbinds: &[u8]) -> Vec<u8> {
    let pdu = tlv(
        0xa2,
        &[
            tlv(0x02, &int_body(req.request_id)),
            tlv(0x02, &int_body(a.error_status)),
            tlv(0x02, &int_body(a.error_index)),
            tlv(0x30, varbinds),
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[
            tlv(0x02, &int_body(req.version)),
            tlv(0x04, req.community.as_bytes()),
            pdu,
        ]
        .concat(),
    )
}

/// The GetResponse carrying `a`.
pub fn encode_response(req: &Request, a: &Answer) -> Vec<u8> {
    let vbs: Vec<u8> = a
        .varbinds
        .iter()
        .flat_map(|(o, c)| varbind_ber(o, c))
        .collect();
    response_with_varbind_bytes(req, a, &vbs)
}

/// Reads one TLV: (tag, body, rest).
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (usize::from(l0), rest)
    } else {
        let k = usize::from(l0 & 0x7f);
        if k == 0 || k > 4 || rest.len() < k {
            return None;
        }
        let len = rest[..k]
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, &rest[k..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn read_int(b: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, body, rest) = read_tlv(b)?;
    if tag != 0x02 || body.is_empty() || body.len() > 8 {
        return None;
    }
    let mut v: i64 = if body[0] & 0x80 != 0 { -1 } else { 0 };
    for &x in body {
        v = (v << 8) | i64::from(x);
    }
    Some((v, rest))
}

fn read_oid(body: &[u8]) -> Option<Vec<u32>> {
    let mut arcs = Vec::new();
    let mut n: u64 = 0;
    for (i, &x) in body.iter().enumerate() {
        n = (n << 7) | u64::from(x & 0x7f);
        if n > u64::from(u32::MAX) * 40 + 39 {
            return None;
        }
        if x & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (n / 40).min(2);
                arcs.push(first as u32);
                arcs.push(u32::try_from(n - first * 40).ok()?);
            } else {
                arcs.push(u32::try_from(n).ok()?);
            }
            n = 0;
        } else if i + 1 == body.len() {
            return None;
        }
    }
    Some(arcs)
}

/// Decodes a v1/v2c request; None for anything else.
pub fn parse_request(b: &[u8]) -> Option<Request> {
    let (0x30, msg, _) = read_tlv(b)? else {
        return None;
    };
    let (version, rest) = read_int(msg)?;
    let (0x04, community, rest) = read_tlv(rest)? else {
        return None;
    };
    let (tag, pdu, _) = read_tlv(rest)?;
    let kind = match tag {
        0xa0 => PduKind::Get,
        0xa1 => PduKind::GetNext,
        0xa5 => PduKind::GetBulk,
        t => PduKind::Other(t),
    };
    let (request_id, rest) = read_int(pdu)?;
    let (non_repeaters, rest) = read_int(rest)?;
    let (max_repetitions, rest) = read_int(rest)?;
    let (0x30, mut list, _) = read_tlv(rest)? else {
        return None;
    };
    let mut oids = Vec::new();
    while !list.is_empty() {
        let (0x30, vb, rest) = read_tlv(list)? else {
            return None;
        };
        let (0x06, oid, _) = read_tlv(vb)? else {
            return None;
        };
        oids.push(read_oid(oid)?);
        list = rest;
    }
    Some(Request {
        version,
        community: String::from_utf8_lossy(community).into_owned(),
        kind,
        request_id,
        non_repeaters,
        max_repetitions,
        oids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_round_trips_through_the_request_parser() {
        for arcs in [
            vec![1, 3, 6, 1, 2, 1, 1, 1, 0],
            vec![1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 5, u32::MAX],
            vec![2, 999, 3],
        ] {
            assert_eq!(read_oid(&oid_body(&arcs)), Some(arcs.clone()));
        }
        for i in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            65_535,
            i64::MAX,
            i64::MIN,
        ] {
            let b = tlv(0x02, &int_body(i));
            assert_eq!(read_int(&b).map(|x| x.0), Some(i), "{i}");
        }
        assert_eq!(uint_body(0), vec![0]);
        assert_eq!(uint_body(0x80), vec![0, 0x80]);
        assert_eq!(length(300), vec![0x82, 1, 44]);
        // A request looks like an answer with another PDU tag: build one and read it back.
        let req = Request {
            version: 1,
            community: "public".into(),
            kind: PduKind::GetBulk,
            request_id: 77,
            non_repeaters: 0,
            max_repetitions: 10,
            oids: vec![vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2]],
        };
        let mut bytes = encode_response(
            &req,
            &Answer {
                error_status: 0,
                error_index: 10,
                varbinds: vec![(req.oids[0].clone(), Cell::Value(Value::Null))],
            },
        );
        let at = bytes.iter().position(|&b| b == 0xa2).unwrap();
        bytes[at] = 0xa5;
        let back = parse_request(&bytes).unwrap();
        assert_eq!(back.kind, PduKind::GetBulk);
        assert_eq!(
            (back.request_id, back.max_repetitions),
            (77, 10),
            "{back:?}"
        );
        assert_eq!(back.oids, req.oids);
        assert!(parse_request(&bytes[..bytes.len() - 1]).is_none());
    }

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
