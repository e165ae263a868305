//! A walk: every varbind read from one switch, ordered by OID, plus what went wrong while
//! reading it. Reads and writes the `.snmprec` format (`OID|TYPE|VALUE`) that snmpsim serves,
//! so a site's evidence can be kept and replayed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Bound;

use crate::{Oid, Value};

/// What was read from one switch (one SNMP context).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Every varbind, ordered numerically by OID.
    pub values: BTreeMap<Oid, Value>,
    /// BRIDGE-MIB and other per-VLAN data read through Cisco's per-VLAN contexts
    /// (`community@vlan`, or SNMPv3 context `vlan-N`), by VLAN id.
    pub vlan_contexts: BTreeMap<u16, BTreeMap<Oid, Value>>,
    /// Problems met while reading (a non-increasing OID, a subtree cut short), in words.
    pub problems: Vec<String>,
}

/// A line of an `.snmprec` file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SnmprecError {
    pub line: usize,
    pub reason: String,
}

impl Walk {
    /// The varbinds under `prefix`, in order, with the index arcs after the prefix.
    pub fn subtree<'a>(
        &'a self,
        prefix: &'a [u32],
    ) -> impl Iterator<Item = (&'a [u32], &'a Value)> + 'a {
        subtree(&self.values, prefix)
    }

    /// One scalar or instance.
    pub fn get(&self, oid: &[u32]) -> Option<&Value> {
        self.values.get(oid)
    }

    /// True when anything was read under `prefix`.
    pub fn has(&self, prefix: &[u32]) -> bool {
        self.subtree(prefix).next().is_some()
    }

    /// Reads an `.snmprec` file's text. Lines are `OID|TYPE|VALUE`; `#` lines and blank lines
    /// are skipped. The text is taken as snmpsim reads it (ISO-8859-1 when it is not UTF-8).
    pub fn from_snmprec(text: &str) -> Result<Walk, SnmprecError> {
        let mut walk = Walk::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| SnmprecError {
                line: n + 1,
                reason,
            };
            let mut parts = line.splitn(3, '|');
            let (Some(oid), Some(tag), Some(val)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(err("expected OID|TYPE|VALUE".into()));
            };
            let oid: Oid = oid.parse().map_err(|e| err(format!("{e}")))?;
            let value = parse_value(tag, val).map_err(err)?;
            walk.values.insert(oid, value);
        }
        Ok(walk)
    }

    /// Writes the walk as `.snmprec` text, sorted by OID (snmpsim needs it sorted).
    /// Per-VLAN contexts are not included: see [`Walk::vlan_context_snmprec`].
    pub fn to_snmprec(&self) -> String {
        write_snmprec(&self.values)
    }

    /// One per-VLAN context as `.snmprec` text, for a `name@VLAN.snmprec` file.
    pub fn vlan_context_snmprec(&self, vlan: u16) -> Option<String> {
        self.vlan_contexts.get(&vlan).map(write_snmprec)
    }
}

/// The varbinds of `values` under `prefix`, with the arcs after it.
pub fn subtree<'a>(
    values: &'a BTreeMap<Oid, Value>,
    prefix: &'a [u32],
) -> impl Iterator<Item = (&'a [u32], &'a Value)> + 'a {
    // The subtree ends before `prefix` with its last arc one higher: every key from `prefix`
    // up to there starts with `prefix`, so none needs comparing with it. Searched by the
    // arcs themselves, so no `Oid` is built either.
    let mut end = [0u32; 32];
    let bounded = match prefix.split_last() {
        Some((&last, _)) if last < u32::MAX && prefix.len() <= end.len() => {
            end[..prefix.len()].copy_from_slice(prefix);
            end[prefix.len() - 1] = last + 1;
            true
        }
        _ => false,
    };
    let upper = if bounded {
        Bound::Excluded(&end[..prefix.len()])
    } else {
        Bound::Unbounded
    };
    let n = prefix.len();
    values
        .range::<[u32], _>((Bound::Included(prefix), upper))
        .map_while(move |(k, v)| {
            let rest = if bounded {
                k.arcs().get(n..)
            } else {
                k.suffix(prefix)
            };
            rest.map(|s| (s, v))
        })
}

fn write_snmprec(values: &BTreeMap<Oid, Value>) -> String {
    let mut out = String::new();
    for (oid, v) in values {
        let (tag, text) = match v {
            Value::Integer(i) => ("2", i.to_string()),
            Value::OctetString(b) => {
                // snmpsim strips whitespace around a value: such strings go as hex.
                let padded = b.first() == Some(&b' ') || b.last() == Some(&b' ');
                if !padded && b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'|') {
                    ("4", String::from_utf8_lossy(b).into_owned())
                } else {
                    ("4x", hex(b))
                }
            }
            Value::Null => ("5", String::new()),
            Value::ObjectId(o) => ("6", o.to_string()),
            Value::IpAddress(a) => ("64", format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
            Value::Counter32(u) => ("65", u.to_string()),
            Value::Gauge32(u) => ("66", u.to_string()),
            Value::TimeTicks(u) => ("67", u.to_string()),
            Value::Opaque(b) => ("68x", hex(b)),
            Value::Counter64(u) => ("70", u.to_string()),
        };
        let _ = writeln!(out, "{oid}|{tag}|{text}");
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, c| {
            let _ = write!(s, "{c:02x}");
            s
        })
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.is_ascii() {
        return Err(format!("hex value {s:?} is not hex"));
    }
    if !s.len().is_multiple_of(2) {
        return Err(format!("hex value {s:?} has an odd number of digits"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("hex value {s:?} is not hex"))
        })
        .collect()
}

fn parse_value(tag: &str, val: &str) -> Result<Value, String> {
    let (base, is_hex) = match tag.strip_suffix('x') {
        Some(b) => (b, true),
        None => (tag, false),
    };
    let bytes = || -> Result<Vec<u8>, String> {
        if is_hex {
            unhex(val)
        } else {
            Ok(latin1_bytes(val))
        }
    };
    let num = |what: &str| -> Result<u64, String> {
        val.trim()
            .parse::<u64>()
            .map_err(|_| format!("{what} value {val:?} is not a number in range"))
    };
    let u32v = |what: &str| -> Result<u32, String> {
        u32::try_from(num(what)?).map_err(|_| format!("{what} value {val:?} exceeds 32 bits"))
    };
    Ok(match base {
        "2" => Value::Integer(
            val.trim()
                .parse::<i64>()
                .map_err(|_| format!("INTEGER value {val:?} is not a number"))?,
        ),
        "4" => Value::OctetString(bytes()?),
        "5" => Value::Null,
        "6" => Value::ObjectId(val.parse().map_err(|e| format!("{e}"))?),
        "64" => {
            let b = if is_hex {
                unhex(val)?
            } else {
                val.trim()
                    .split('.')
                    .map(|p| p.parse::<u8>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| format!("IpAddress value {val:?} is not dotted-quad"))?
            };
            let a: [u8; 4] = b
                .try_into()
                .map_err(|_| format!("IpAddress value {val:?} is not 4 bytes"))?;
            Value::IpAddress(a)
        }
        "65" => Value::Counter32(u32v("Counter32")?),
        "66" => Value::Gauge32(u32v("Gauge32")?),
        "67" => Value::TimeTicks(u32v("TimeTicks")?),
        "68" => Value::Opaque(bytes()?),
        "70" => Value::Counter64(num("Counter64")?),
        _ => return Err(format!("unknown type tag {tag:?}")),
    })
}

/// snmpsim reads files as ISO-8859-1: a character U+0000..U+00FF is one byte. Characters
/// beyond that (a UTF-8 file) are kept as their UTF-8 bytes.
fn latin1_bytes(s: &str) -> Vec<u8> {
    if s.chars().all(|c| (c as u32) < 0x100) {
        s.chars().map(|c| c as u32 as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let text = "\
1.3.6.1.2.1.1.1.0|4|Cisco IOS Software
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1208
1.3.6.1.2.1.1.3.0|67|12345
1.3.6.1.2.1.1.5.0|4x|22736f6d65
1.3.6.1.2.1.2.2.1.5.10101|66|1000000000
1.3.6.1.2.1.2.2.1.14.10101|65|3
1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1
1.3.6.1.2.1.31.1.1.1.6.10101|70|18446744073709551615
1.3.6.1.2.1.105.1.1.1.3.1.1|2|-1
";
        let walk = Walk::from_snmprec(text).unwrap();
        assert_eq!(walk.values.len(), 9);
        assert_eq!(
            walk.get(&[1, 3, 6, 1, 2, 1, 1, 5, 0])
                .unwrap()
                .as_text()
                .unwrap(),
            "\"some"
        );
        let again = Walk::from_snmprec(&walk.to_snmprec()).unwrap();
        assert_eq!(again, walk);
        // A string with a space at either end is written as hex, which snmpsim keeps.
        let mut padded = Walk::default();
        padded.values.insert(
            Oid::new(&[1, 3, 6, 1]),
            Value::OctetString(b"Match any ".to_vec()),
        );
        assert_eq!(padded.to_snmprec(), "1.3.6.1|4x|4d6174636820616e7920\n");
    }

    #[test]
    fn reads_hex_ip_and_rejects_bad_lines_with_their_number() {
        let w = Walk::from_snmprec("1.3.6.1.2.1.3.1.1.3.2.1.10.1.100.1|64x|0a016401\n").unwrap();
        assert_eq!(
            w.values.values().next(),
            Some(&Value::IpAddress([10, 1, 100, 1]))
        );
        let e = Walk::from_snmprec("# c\n\n1.3.6|2|x\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            Walk::from_snmprec("1.3.6|99|1\n")
                .unwrap_err()
                .reason
                .contains("unknown type")
        );
        assert!(Walk::from_snmprec("1.3.6|65|4294967296\n").is_err());
    }

    #[test]
    fn subtree_holds_exactly_the_oids_under_its_prefix() {
        let w = Walk::from_snmprec(
            "1.3.5.9|2|0\n1.3.6|2|1\n1.3.6.0|2|2\n1.3.6.4294967295|2|3\n1.3.6.4294967295.7|2|4\n\
             1.3.7|2|5\n1.3.7.1|2|6\n1.4|2|7\n",
        )
        .unwrap();
        let under = |prefix: &[u32]| -> Vec<(Vec<u32>, i64)> {
            w.subtree(prefix)
                .map(|(s, v)| (s.to_vec(), v.as_i64().unwrap()))
                .collect()
        };
        assert_eq!(
            under(&[1, 3, 6]),
            vec![
                (vec![], 1),
                (vec![0], 2),
                (vec![u32::MAX], 3),
                (vec![u32::MAX, 7], 4)
            ]
        );
        // A last arc of 2^32-1 has no successor: the end is found by comparing.
        assert_eq!(under(&[1, 3, 6, u32::MAX]), vec![(vec![], 3), (vec![7], 4)]);
        assert_eq!(under(&[1, 3, 7]), vec![(vec![], 5), (vec![1], 6)]);
        assert_eq!(under(&[1, 3, 8]), vec![]);
        assert_eq!(under(&[]).len(), 8);
        let long: Vec<u32> = (0..40).collect();
        assert_eq!(under(&long), vec![]);
    }

    #[test]
    fn subtree_yields_index_arcs_in_numeric_order() {
        let w = Walk::from_snmprec(
            "1.3.6.1.2.1.2.2.1.1.10|2|10\n1.3.6.1.2.1.2.2.1.1.9|2|9\n1.3.6.1.2.1.2.2.1.2.1|4|x\n",
        )
        .unwrap();
        let idx: Vec<_> = w
            .subtree(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1])
            .map(|(i, _)| i.to_vec())
            .collect();
        assert_eq!(idx, vec![vec![9], vec![10]]);
    }
}
