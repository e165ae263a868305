//! How interfaces are built and wired: Port-channel membership (IF-MIB ifStackTable,
//! IEEE8023-LAG-MIB, CISCO-PAGP-MIB), IP addresses on interfaces (IP-MIB ipAddrTable) and a
//! port's medium (ENTITY-MIB transceivers, MAU-MIB ifMauType).
//!
//! These are configuration facts the port roles are built on: a member of a Port-channel,
//! a routed port or a fibre port is never a phone socket, whatever its link does now.

use std::collections::BTreeMap;

use lanready_schema::{Channel, Interface, Media};

use super::entity::{Entities, PhysicalClass};
use super::table::{Problems, read};
use crate::{Oid, Value};

pub const IF_STACK_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 2, 1];
pub const DOT3AD_AGG_ENTRY: &[u32] = &[1, 2, 840, 10006, 300, 43, 1, 1, 1, 1];
pub const DOT3AD_AGG_PORT_ENTRY: &[u32] = &[1, 2, 840, 10006, 300, 43, 1, 2, 1, 1];
pub const PAGP_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 98, 1, 1, 1, 1];
pub const IP_ADDR_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 4, 20, 1];
pub const IF_MAU_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 26, 2, 1, 1];
/// dot3MauType (IANA-MAU-MIB): ifMauType values are `DOT3_MAU_TYPE.<n>`.
pub const DOT3_MAU_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 26, 4];

/// IANA ifType propVirtual (how Cisco types a Port-channel) and ieee8023adLag.
const PROP_VIRTUAL: u32 = 53;
const IEEE8023AD_LAG: u32 = 161;

/// pagpEthcOperationMode values.
const PAGP_OFF: i64 = 1;
const PAGP_MANUAL: i64 = 2;
const PAGP_ON: i64 = 3;

/// Whether an interface is a Port-channel (by type, then by name).
pub fn is_port_channel(i: &Interface) -> bool {
    let name = i.name.to_ascii_lowercase();
    let named = name.starts_with("po") && name[2..].starts_with(|c: char| c.is_ascii_digit())
        || name.starts_with("port-channel");
    i.if_type == Some(IEEE8023AD_LAG) || (i.if_type == Some(PROP_VIRTUAL) && named)
}

/// Port-channel membership by member ifIndex.
pub fn channels(
    values: &BTreeMap<Oid, Value>,
    ifs: &BTreeMap<u32, Interface>,
    p: &mut Problems,
) -> BTreeMap<u32, Channel> {
    let name = |i: u32| ifs.get(&i).map(|x| x.name.clone());
    let po = |i: u32| ifs.get(&i).is_some_and(is_port_channel);
    let mut out: BTreeMap<u32, Channel> = BTreeMap::new();

    // IF-MIB: a Port-channel stacked on its members.
    for ((higher, lower), r) in read::<(u32, u32)>(values, "ifStackTable", IF_STACK_ENTRY, p) {
        if higher == 0 || lower == 0 || !po(higher) {
            continue;
        }
        let status = r.int(3, p).unwrap_or(0);
        out.insert(
            lower,
            Channel {
                if_index: higher,
                name: name(higher),
                protocol: "unknown".into(),
                source: format!("ifStackStatus.{higher}.{lower} = {status}"),
            },
        );
    }

    // IEEE8023-LAG-MIB: LACP ports, attached (bundled), selected, or by admin key.
    let aggs = read::<u32>(values, "dot3adAggTable", DOT3AD_AGG_ENTRY, p);
    let agg_by_key: BTreeMap<i64, u32> = aggs
        .iter()
        .filter_map(|(&agg, r)| r.int(6, p).filter(|&k| k != 0).map(|k| (k, agg)))
        .collect();
    for (member, r) in read::<u32>(values, "dot3adAggPortTable", DOT3AD_AGG_PORT_ENTRY, p) {
        let attached = r.uint(13, p).filter(|&a| a != 0);
        let selected = r.uint(12, p).filter(|&a| a != 0);
        let key = r.int(4, p).filter(|&k| k != 0);
        let (agg, source) = match (attached, selected, key.and_then(|k| agg_by_key.get(&k))) {
            (Some(a), _, _) => (a, format!("dot3adAggPortAttachedAggID.{member} = {a}")),
            (None, Some(s), _) => (s, format!("dot3adAggPortSelectedAggID.{member} = {s}")),
            (None, None, Some(&a)) => (
                a,
                format!(
                    "dot3adAggPortActorAdminKey.{member} = {} (the key of aggregator {a})",
                    key.unwrap_or(0)
                ),
            ),
            _ => continue,
        };
        match out.get_mut(&member) {
            Some(c) => c.protocol = "lacp".into(),
            None => {
                out.insert(
                    member,
                    Channel {
                        if_index: agg,
                        name: name(agg),
                        protocol: "lacp".into(),
                        source,
                    },
                );
            }
        }
    }

    // CISCO-PAGP-MIB: pagpGroupIfIndex names the agport a port is bundled into; the
    // operation mode says a port is configured into a channel even while it is down.
    for (port, r) in read::<u32>(values, "pagpEtherChannelTable", PAGP_ENTRY, p) {
        let mode = r.int(1, p);
        let group = r.uint(8, p).filter(|&g| g != 0 && g != port);
        let protocol = match mode {
            Some(PAGP_ON) => "pagp",
            Some(PAGP_MANUAL) => "static",
            _ => "unknown",
        };
        if let Some(c) = out.get_mut(&port) {
            if c.protocol == "unknown" {
                c.protocol = protocol.into();
            }
            continue;
        }
        match (group, mode) {
            (Some(g), _) => {
                out.insert(
                    port,
                    Channel {
                        if_index: g,
                        name: name(g),
                        protocol: protocol.into(),
                        source: format!("pagpGroupIfIndex.{port} = {g}"),
                    },
                );
            }
            (None, Some(m @ (PAGP_ON | PAGP_MANUAL))) => {
                // Configured into a channel, not bundled now: which one is not said.
                out.insert(
                    port,
                    Channel {
                        if_index: 0,
                        name: None,
                        protocol: protocol.into(),
                        source: format!(
                            "pagpEthcOperationMode.{port} = {m} ({})",
                            if m == PAGP_ON { "pagpOn" } else { "manual" }
                        ),
                    },
                );
            }
            (None, Some(PAGP_OFF) | Some(_) | None) => {}
        }
    }
    out
}

/// IP addresses by ifIndex (ipAdEntIfIndex, indexed by the address).
pub fn ip_addresses(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> BTreeMap<u32, Vec<String>> {
    let mut out: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (((a, b), (c, d)), r) in
        read::<((u32, u32), (u32, u32))>(values, "ipAddrTable", IP_ADDR_ENTRY, p)
    {
        if let Some(i) = r.uint(2, p) {
            out.entry(i).or_default().push(format!("{a}.{b}.{c}.{d}"));
        }
    }
    out
}

/// What an IANA dot3MauType number is: `(name, kind)`, kind `fibre`, `copper`, `twinax` or
/// `backplane`. Source: IANA-MAU-MIB's dot3MauType assignments.
pub fn mau_type(n: u32) -> Option<(&'static str, &'static str)> {
    Some(match n {
        3 => ("FOIRL", "fibre"),
        5 | 10 | 11 => ("10BASE-T", "copper"),
        6..=8 | 12 | 13 => ("10BASE-F", "fibre"),
        14..=16 | 19 | 20 => ("100BASE-T", "copper"),
        17 | 18 => ("100BASE-FX", "fibre"),
        21 | 22 => ("1000BASE-X", "fibre"),
        23 | 24 => ("1000BASE-LX", "fibre"),
        25 | 26 => ("1000BASE-SX", "fibre"),
        27 | 28 => ("1000BASE-CX", "twinax"),
        29 | 30 => ("1000BASE-T", "copper"),
        31 => ("10GBASE-X", "fibre"),
        32 => ("10GBASE-LX4", "fibre"),
        33 => ("10GBASE-R", "fibre"),
        34 => ("10GBASE-ER", "fibre"),
        35 => ("10GBASE-LR", "fibre"),
        36 => ("10GBASE-SR", "fibre"),
        37..=40 => ("10GBASE-W", "fibre"),
        41 => ("10GBASE-CX4", "twinax"),
        44..=53 => ("1000BASE-BX/PX/LX10", "fibre"),
        54 => ("10GBASE-T", "copper"),
        55 => ("10GBASE-LRM", "fibre"),
        56..=58 | 70 => ("backplane", "backplane"),
        59..=69 => ("10GBASE-PR", "fibre"),
        71 | 75 => ("40/100GBASE-CR", "twinax"),
        72..=74 | 76..=78 => ("40/100GBASE-SR/LR", "fibre"),
        _ => return None,
    })
}

/// What a transceiver's description or part number says about it: `fibre`, `copper`,
/// `twinax`, or `transceiver` (pluggable, kind unknown); None when the text names no
/// transceiver at all.
pub fn transceiver_kind(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_uppercase();
    let tokens: Vec<&str> = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let pluggable = tokens.iter().any(|w| {
        [
            "SFP", "XFP", "GBIC", "QSFP", "X2", "CFP", "SFP28", "QSFP28", "QSFPDD", "GLC",
        ]
        .iter()
        .any(|k| w.starts_with(k))
    }) || t.contains("TRANSCEIVER")
        || t.contains("QSFP-DD");
    let twinax = tokens.iter().any(|w| {
        (w.starts_with("CU") && w[2..].starts_with(|c: char| c.is_ascii_digit()))
            || *w == "DAC"
            || *w == "TWINAX"
            || w.ends_with("CR4")
            || w.ends_with("BASECX")
    });
    let fibre_suffix = [
        "SX", "LX", "LH", "ZX", "EX", "SR", "LR", "ER", "ZR", "LRM", "SR4", "LR4", "BX", "FX",
        "SR10", "LR10", "CWDM", "DWDM", "SMD", "MMD", "MM", "SM", "BXD", "BXU", "FR", "DR",
    ];
    let fibre = tokens.iter().any(|w| {
        fibre_suffix.iter().any(|s| {
            w.ends_with(s)
                && (w.len() == s.len()
                    || w[..w.len() - s.len()].ends_with("BASE")
                    || w[..w.len() - s.len()].ends_with(|c: char| c.is_ascii_digit()))
        })
    });
    let copper = tokens.iter().any(|w| {
        w.ends_with("BASET") || *w == "T" || *w == "TE" || *w == "RJ45" || w.ends_with("BASETX")
    });
    if twinax {
        Some("twinax")
    } else if fibre {
        Some("fibre")
    } else if copper && pluggable {
        Some("copper")
    } else if pluggable {
        Some("transceiver")
    } else {
        None
    }
}

/// The medium of each interface whose entity or MAU says: a transceiver entity at or inside
/// the port's entity first, then ifMauType.
pub fn media(
    values: &BTreeMap<Oid, Value>,
    ent: &Entities,
    ifs: &BTreeMap<u32, Interface>,
    p: &mut Problems,
) -> BTreeMap<u32, Media> {
    let mut out = BTreeMap::new();
    let by_if = ent.entities_by_if_index();
    for (&if_index, &e) in &by_if {
        if !ifs.contains_key(&if_index) {
            continue;
        }
        let mut candidates: Vec<(u32, &super::entity::Physical)> = Vec::new();
        if let Some(x) = ent.physical.get(&e) {
            candidates.push((e, x));
        }
        candidates.extend(ent.children(e).filter(|(_, x)| {
            matches!(
                x.class,
                Some(PhysicalClass::Module | PhysicalClass::Port | PhysicalClass::Other)
                    | Some(PhysicalClass::UnknownClass)
            )
        }));
        let found = candidates.iter().find_map(|(i, x)| {
            let model = x.model.as_deref().filter(|m| !m.trim().is_empty());
            let by_model = model.and_then(|m| transceiver_kind(m).map(|k| (k, m, 13)));
            let by_descr = x
                .descr
                .as_deref()
                .and_then(|d| transceiver_kind(d).map(|k| (k, d, 2)));
            // The more specific answer wins: a model saying only "transceiver" loses to
            // a description saying "fibre".
            let pick = match (by_model, by_descr) {
                (Some(m), Some(d)) if m.0 == "transceiver" => d,
                (Some(m), _) => m,
                (None, d) => d?,
            };
            Some((*i, pick))
        });
        if let Some((i, (kind, what, col))) = found {
            let object = if col == 13 {
                "entPhysicalModelName"
            } else {
                "entPhysicalDescr"
            };
            out.insert(
                if_index,
                Media {
                    kind: kind.into(),
                    what: what.trim().to_string(),
                    source: format!("{object}.{i}"),
                    raw: crate::evidence::quote(what),
                },
            );
        }
    }
    for ((if_index, mau), r) in read::<(u32, u32)>(values, "ifMauTable", IF_MAU_ENTRY, p) {
        if out.contains_key(&if_index) || !ifs.contains_key(&if_index) {
            continue;
        }
        let Some(t) = r.oid(3, p) else { continue };
        let Some([n]) = t.suffix(DOT3_MAU_TYPE) else {
            continue;
        };
        if let Some((name, kind)) = mau_type(*n) {
            out.insert(
                if_index,
                Media {
                    kind: kind.into(),
                    what: name.into(),
                    source: format!("ifMauType.{if_index}.{mau}"),
                    raw: t.to_string(),
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;
    use crate::decode::{entity, interfaces};

    fn decode_all(text: &str) -> (BTreeMap<u32, Channel>, Vec<String>) {
        let w = Walk::from_snmprec(text).unwrap();
        let mut p = Problems::default();
        let ifs = interfaces::decode(&w.values, &mut p);
        let c = channels(&w.values, &ifs, &mut p);
        (c, p.into_lines())
    }

    const IFS: &str = "\
1.3.6.1.2.1.2.2.1.2.50|4|TenGigabitEthernet1/1/1
1.3.6.1.2.1.2.2.1.3.50|2|6
1.3.6.1.2.1.2.2.1.2.51|4|TenGigabitEthernet1/1/2
1.3.6.1.2.1.2.2.1.3.51|2|6
1.3.6.1.2.1.2.2.1.2.48|4|GigabitEthernet1/0/47
1.3.6.1.2.1.2.2.1.3.48|2|6
1.3.6.1.2.1.2.2.1.2.49|4|GigabitEthernet1/0/48
1.3.6.1.2.1.2.2.1.3.49|2|6
1.3.6.1.2.1.2.2.1.2.63|4|Port-channel1
1.3.6.1.2.1.2.2.1.3.63|2|53
1.3.6.1.2.1.2.2.1.2.64|4|Port-channel2
1.3.6.1.2.1.2.2.1.3.64|2|53
1.3.6.1.2.1.2.2.1.2.60|4|Vlan1
1.3.6.1.2.1.2.2.1.3.60|2|53
1.3.6.1.2.1.31.1.1.1.1.63|4|Po1
1.3.6.1.2.1.31.1.1.1.1.64|4|Po2
1.3.6.1.2.1.31.1.1.1.1.60|4|Vl1
";

    #[test]
    fn members_from_if_stack_lag_and_pagp() {
        let (c, lines) = decode_all(&format!(
            "{IFS}\
1.3.6.1.2.1.31.1.2.1.3.0.63|2|1
1.3.6.1.2.1.31.1.2.1.3.63.50|2|1
1.3.6.1.2.1.31.1.2.1.3.60.0|2|1
1.3.6.1.2.1.31.1.2.1.3.0.60|2|1
1.2.840.10006.300.43.1.1.1.1.6.63|2|1
1.2.840.10006.300.43.1.2.1.1.4.50|2|1
1.2.840.10006.300.43.1.2.1.1.13.50|2|63
1.2.840.10006.300.43.1.2.1.1.4.51|2|1
1.2.840.10006.300.43.1.2.1.1.13.51|2|0
1.3.6.1.4.1.9.9.98.1.1.1.1.1.48|2|3
1.3.6.1.4.1.9.9.98.1.1.1.1.8.48|2|64
1.3.6.1.4.1.9.9.98.1.1.1.1.1.49|2|3
1.3.6.1.4.1.9.9.98.1.1.1.1.8.49|2|0
1.3.6.1.4.1.9.9.98.1.1.1.1.1.50|2|1
1.3.6.1.4.1.9.9.98.1.1.1.1.8.50|2|63
"
        ));
        assert!(lines.is_empty(), "{lines:?}");
        // Te1/1/1: ifStack names Po1; LAG-MIB adds the protocol.
        assert_eq!(c[&50].if_index, 63);
        assert_eq!(c[&50].name.as_deref(), Some("Po1"));
        assert_eq!(c[&50].protocol, "lacp");
        assert_eq!(c[&50].source, "ifStackStatus.63.50 = 1");
        // Te1/1/2 is down: not attached, but its admin key is Po1's.
        assert_eq!(c[&51].if_index, 63);
        assert!(
            c[&51]
                .source
                .starts_with("dot3adAggPortActorAdminKey.51 = 1"),
            "{}",
            c[&51].source
        );
        // Gi1/0/47 bundled in Po2 by PAgP; Gi1/0/48 configured but down: no agport named.
        assert_eq!((c[&48].if_index, c[&48].protocol.as_str()), (64, "pagp"));
        assert_eq!(c[&48].source, "pagpGroupIfIndex.48 = 64");
        assert_eq!((c[&49].if_index, c[&49].name.clone()), (0, None));
        assert_eq!(c[&49].source, "pagpEthcOperationMode.49 = 3 (pagpOn)");
        // The SVI stacked under nothing is no member.
        assert!(!c.contains_key(&60));
    }

    #[test]
    fn transceivers_by_text() {
        let cases = [
            ("1000BaseSX SFP", Some("fibre")),
            ("SFP-10GBase-SR", Some("fibre")),
            ("SFP-10G-SR", Some("fibre")),
            ("SFP 10/25GE LR-S", Some("fibre")),
            ("GLC-SX-MMD", Some("fibre")),
            ("GLC-LH-SMD", Some("fibre")),
            ("QSFP-40G-SR4", Some("fibre")),
            ("SFP-H10GB-CU1-5M", Some("twinax")),
            ("QSFP-DD 400GE CU1M", Some("twinax")),
            ("1000BaseT SFP", Some("copper")),
            ("GLC-TE", Some("copper")),
            ("SFP-10G-T-X", Some("copper")),
            ("Unknown SFP", Some("transceiver")),
            ("Cisco Catalyst 9400 Series 4 Slot Chassis", None),
            ("C9300-48P", None),
            ("Gi1/0/1", None),
            ("WS-C2960X-48FPD-L", None),
        ];
        for (text, want) in cases {
            assert_eq!(transceiver_kind(text), want, "{text}");
        }
        assert_eq!(mau_type(36), Some(("10GBASE-SR", "fibre")));
        assert_eq!(mau_type(30), Some(("1000BASE-T", "copper")));
        assert_eq!(mau_type(999), None);
    }

    #[test]
    fn media_from_entities_then_mau() {
        let text = format!(
            "{IFS}\
1.3.6.1.2.1.47.1.1.1.1.2.1050|4|TenGigabitEthernet1/1/1
1.3.6.1.2.1.47.1.1.1.1.5.1050|2|10
1.3.6.1.2.1.47.1.1.1.1.2.1150|4|SFP-10GBase-SR
1.3.6.1.2.1.47.1.1.1.1.4.1150|2|1050
1.3.6.1.2.1.47.1.1.1.1.5.1150|2|9
1.3.6.1.2.1.47.1.1.1.1.13.1150|4|SFP-10G-SR
1.3.6.1.2.1.47.1.1.1.1.2.1048|4|1000BaseSX SFP
1.3.6.1.2.1.47.1.1.1.1.5.1048|2|10
1.3.6.1.2.1.47.1.3.2.1.2.1050.0|6|1.3.6.1.2.1.2.2.1.1.50
1.3.6.1.2.1.47.1.3.2.1.2.1048.0|6|1.3.6.1.2.1.2.2.1.1.48
1.3.6.1.2.1.26.2.1.1.3.51.1|6|1.3.6.1.2.1.26.4.35
1.3.6.1.2.1.26.2.1.1.3.50.1|6|1.3.6.1.2.1.26.4.30
"
        );
        let w = Walk::from_snmprec(&text).unwrap();
        let mut p = Problems::default();
        let ifs = interfaces::decode(&w.values, &mut p);
        let e = entity::decode(&w.values, &mut p);
        let m = media(&w.values, &e, &ifs, &mut p);
        assert_eq!(m[&50].kind, "fibre");
        assert_eq!(m[&50].what, "SFP-10G-SR");
        assert_eq!(m[&50].source, "entPhysicalModelName.1150");
        assert_eq!(m[&48].source, "entPhysicalDescr.1048");
        assert_eq!(
            (m[&51].kind.as_str(), m[&51].source.as_str()),
            ("fibre", "ifMauType.51.1")
        );
    }
}
