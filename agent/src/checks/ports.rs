//! Which interfaces are user-facing (sockets a phone may be plugged into) and which are
//! trunks toward the core. The rules are in `docs/checks.md`.

use lanready_schema::{Interface, Snapshot};

use crate::plan::{PortSelection, SwitchPlan};

/// IANA ifType ethernetCsmacd.
pub const ETHERNET_CSMACD: u32 = 6;

/// Name prefixes of ports that are uplinks by default: 10G and faster, and the app-hosting
/// port of Catalyst 9000 (`Ap1/0/1`). `Tw` (2.5G) and `Fi` (5G) are mGig user ports.
const UPLINK_PREFIXES: &[&str] = &[
    "Te",
    "Twe",
    "Fo",
    "Hu",
    "Ap",
    "TenGig",
    "TwentyFive",
    "Forty",
    "Hundred",
    "AppGig",
];

/// The user-facing ports of a switch, in ifIndex order.
pub fn user_ports<'a>(snap: &'a Snapshot, plan: &SwitchPlan) -> Vec<&'a Interface> {
    snap.interfaces
        .iter()
        .filter(|i| is_user_port(i, &plan.ports))
        .collect()
}

/// Trunking ports (uplinks toward the core), in ifIndex order.
pub fn trunks(snap: &Snapshot) -> Vec<&Interface> {
    snap.interfaces.iter().filter(|i| i.trunk).collect()
}

/// A user-facing port: a physical Ethernet port that is not trunking, whose name passes the
/// plan's patterns, and that is not an uplink by speed or name, unless an include pattern
/// names it explicitly (mGig user ports on Te interfaces).
pub fn is_user_port(i: &Interface, sel: &PortSelection) -> bool {
    if i.trunk || i.if_type != Some(ETHERNET_CSMACD) || !sel.selects(&i.name) {
        return false;
    }
    if !sel.include.is_empty() {
        // The plan named its user ports: trust it over the uplink heuristics.
        return true;
    }
    let fast = i.speed_mbps.is_some_and(|s| s >= sel.uplink_speed_mbps);
    !fast && !is_uplink_name(&i.name)
}

fn is_uplink_name(name: &str) -> bool {
    // The prefix is the letters before the first digit.
    let letters: &str = name
        .split(|c: char| c.is_ascii_digit())
        .next()
        .unwrap_or("");
    UPLINK_PREFIXES
        .iter()
        .any(|p| letters == *p || (p.len() > 3 && letters.starts_with(p)))
}

/// Parses a VLAN list (`1-99,110,200-4094`) and says whether it has `vlan`; None when the
/// list cannot be read.
pub fn vlan_list_contains(list: &str, vlan: u16) -> Option<bool> {
    let list = list.trim();
    if list.is_empty() || list.eq_ignore_ascii_case("none") {
        return Some(false);
    }
    for part in list.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?),
            None => {
                let n = part.parse::<u16>().ok()?;
                (n, n)
            }
        };
        if (lo..=hi).contains(&vlan) {
            return Some(true);
        }
    }
    Some(false)
}

/// Orders port names as people do: `Gi1/0/2` before `Gi1/0/10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x, y) {
            ((true, n), (true, m)) => {
                let (n, m) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                n.len().cmp(&m.len()).then_with(|| n.cmp(m))
            }
            ((_, n), (_, m)) => n.cmp(m),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, speed: u64) -> Interface {
        Interface {
            if_index: 1,
            name: name.into(),
            if_type: Some(ETHERNET_CSMACD),
            speed_mbps: Some(speed),
            ..Interface::default()
        }
    }

    fn check(i: Interface, sel: &PortSelection, expected: bool) {
        assert_eq!(is_user_port(&i, sel), expected, "{i:?}");
    }

    #[test]
    fn user_facing_by_default() {
        let sel = PortSelection::default();
        check(port("Gi1/0/1", 1000), &sel, true);
        check(port("Fa0/5", 100), &sel, true);
        check(port("Te1/1/1", 10_000), &sel, false);
        check(port("Te1/0/37", 1000), &sel, false);
        check(port("TwentyFiveGigE1/1/1", 25_000), &sel, false);
        check(port("Twe1/0/1", 1000), &sel, false);
        check(port("Gi0/0", 1000), &sel, false);
        check(port("Fa0", 100), &sel, false);
        check(
            Interface {
                trunk: true,
                ..port("Gi1/0/48", 1000)
            },
            &sel,
            false,
        );
        check(
            Interface {
                if_type: Some(53),
                ..port("Vl10", 1000)
            },
            &sel,
            false,
        );
        check(
            Interface {
                if_type: Some(161),
                ..port("Po1", 2000)
            },
            &sel,
            false,
        );
        // Administratively down ports are still sockets someone will use.
        check(
            Interface {
                admin_up: Some(false),
                ..port("Gi1/0/2", 1000)
            },
            &sel,
            true,
        );
    }

    #[test]
    fn include_and_exclude_patterns() {
        let sel = PortSelection::new(
            vec!["Gi1/0/*".into(), "Te1/0/*".into()],
            vec!["Gi1/0/4[78]".into()],
            10_000,
        )
        .unwrap();
        check(port("Gi1/0/1", 1000), &sel, true);
        check(port("Gi1/0/47", 1000), &sel, false);
        check(port("Gi2/0/1", 1000), &sel, false);
        // Named by an include pattern: a user port even at 10G.
        check(port("Te1/0/40", 10_000), &sel, true);
    }

    #[test]
    fn vlan_lists() {
        assert_eq!(vlan_list_contains("1-99,110,200-4094", 110), Some(true));
        assert_eq!(vlan_list_contains("1-99,111,200-4094", 110), Some(false));
        assert_eq!(vlan_list_contains("1-4094", 110), Some(true));
        assert_eq!(vlan_list_contains("", 110), Some(false));
        assert_eq!(vlan_list_contains("1-x", 110), None);
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["Gi1/0/10", "Gi1/0/2", "Gi2/0/1", "Gi1/0/1", "Te1/1/1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec!["Gi1/0/1", "Gi1/0/2", "Gi1/0/10", "Gi2/0/1", "Te1/1/1"]
        );
    }
}
