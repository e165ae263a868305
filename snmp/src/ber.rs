//! OIDs to and from BER octets (differentially tested against asn1-rs), and snmp2's answers
//! copied out of its buffer into owned values.

use lanready_mibs::Value;

use super::session::{Item, Response};
use super::sizing;

pub(crate) fn to_snmp_oid(arcs: &[u32]) -> Result<snmp2::Oid<'static>, snmp2::Error> {
    ber_of_arcs(arcs)
        .map(|octets| snmp2::Oid::new(std::borrow::Cow::Owned(octets)))
        .ok_or_else(|| {
            snmp2::Error::Mib(format!(
                "OID {} cannot be encoded",
                lanready_mibs::Oid::new(arcs)
            ))
        })
}

/// An OBJECT IDENTIFIER's BER content octets, as asn1-rs's `Oid::from` encodes them and with
/// the same refusals (fewer than two arcs other than `0`; a first arc from 7 or a second from
/// 40), written in one pass into one buffer: asn1-rs's chained iterators cost a few thousand
/// instructions an OID, for every OID of every request.
pub(super) fn ber_of_arcs(arcs: &[u32]) -> Option<Vec<u8>> {
    match arcs {
        [0] => Some(vec![0]),
        [] | [_] => None,
        [a, b, ..] if *a >= 7 || *b >= 40 => None,
        [a, b, rest @ ..] => {
            let mut out = Vec::with_capacity(1 + rest.len() * 2);
            // asn1-rs keeps only the low octet of 40a+b; real OIDs start 0, 1 or 2.
            out.push((a * 40 + b) as u8);
            for &arc in rest {
                let octets = ((32 - arc.leading_zeros()).div_ceil(7)).max(1);
                for i in (0..octets).rev() {
                    let more = if i == 0 { 0 } else { 0x80 };
                    out.push(((arc >> (7 * i)) & 0x7f) as u8 | more);
                }
            }
            Some(out)
        }
    }
}

/// The OID's arcs, or None when one is beyond 32 bits. Sized up front: collecting through
/// an `Option` iterator loses the size hint and grows every OID by reallocation.
pub(super) fn oid_arcs(oid: &snmp2::Oid<'_>) -> Option<Vec<u32>> {
    arcs_of_ber(oid.as_bytes())
}

/// The arcs of an OBJECT IDENTIFIER's BER content octets, read as asn1-rs's `Oid::iter`
/// reads them (the first octet is two arcs, X/40 and X%40; each later arc is base 128,
/// high bit set on all but its last octet; a last arc cut short is taken as it stands), but
/// straight into a `Vec<u32>` sized from the octets: `None` when an arc does not fit 32
/// bits, or when asn1-rs would refuse it (more than 64 bits of octets, even leading zeros).
/// One of these per varbind was a tenth of the agent's CPU through asn1-rs's iterator.
pub(super) fn arcs_of_ber(b: &[u8]) -> Option<Vec<u32>> {
    let Some((&first, rest)) = b.split_first() else {
        return Some(Vec::new());
    };
    let mut v = Vec::with_capacity(b.len() + 1);
    v.push(u32::from(first / 40));
    if first == 0 && rest.is_empty() {
        return Some(v);
    }
    v.push(u32::from(first % 40));
    let (mut acc, mut octets) = (0u64, 0u32);
    for &o in rest {
        octets += 1;
        if octets * 7 > 64 {
            return None;
        }
        acc = (acc << 7) | u64::from(o & 0x7f);
        if o & 0x80 == 0 {
            v.push(u32::try_from(acc).ok()?);
            (acc, octets) = (0, 0);
        }
    }
    if octets > 0 {
        v.push(u32::try_from(acc).ok()?);
    }
    Some(v)
}

/// Copies an answer out of snmp2's borrowed buffer. Stops where snmp2's iterator stops.
/// Each varbind's encoded size is kept beside it (from the OID's octets, which are at
/// hand here, and the value).
pub(crate) fn own(pdu: &snmp2::Pdu<'_>) -> Response {
    let mut varbinds = Vec::with_capacity(64);
    let mut sizes = Vec::with_capacity(64);
    for (oid, value) in pdu.varbinds.clone() {
        let Some(arcs) = oid_arcs(&oid) else {
            break;
        };
        let item = item(value);
        sizes.push(sizing::encoded_varbind_bytes(oid.as_bytes().len(), &item) as u32);
        varbinds.push((arcs, item));
    }
    Response {
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds,
        sizes,
        ..Response::default()
    }
}

pub(super) fn item(v: snmp2::Value<'_>) -> Item {
    use snmp2::Value as S;
    match v {
        S::Integer(i) => Item::Value(Value::Integer(i)),
        S::OctetString(b) => Item::Value(Value::OctetString(b.to_vec())),
        S::ObjectIdentifier(o) => match oid_arcs(&o) {
            Some(arcs) => Item::Value(Value::ObjectId(lanready_mibs::Oid(arcs))),
            None => Item::Unsupported("OBJECT IDENTIFIER with an arc beyond 32 bits"),
        },
        S::IpAddress(a) => Item::Value(Value::IpAddress(a)),
        S::Counter32(u) => Item::Value(Value::Counter32(u)),
        S::Unsigned32(u) => Item::Value(Value::Gauge32(u)),
        S::Timeticks(u) => Item::Value(Value::TimeTicks(u)),
        S::Opaque(b) => Item::Value(Value::Opaque(b.to_vec())),
        S::Counter64(u) => Item::Value(Value::Counter64(u)),
        S::Null => Item::Value(Value::Null),
        S::EndOfMibView => Item::EndOfMibView,
        S::NoSuchObject => Item::NoSuchObject,
        S::NoSuchInstance => Item::NoSuchInstance,
        S::Boolean(_) => Item::Unsupported("BOOLEAN"),
        _ => Item::Unsupported("a constructed or PDU type"),
    }
}
