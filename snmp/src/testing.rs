//! The SNMP wire format written by hand, for the test agents that answer lanready's
//! requests: a v1/v2c request's decoding, a GetResponse's encoding, and the BER pieces a test
//! needs to answer wrongly on purpose (any tag, any length, raw bytes). Not the client's codec
//! (that is snmp2's); written apart from it so that each can check the other.

use lanready_mibs::Value;

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
}
