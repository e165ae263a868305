//! Which interfaces are sockets: the port roles of [`lanready_mibs::decode::roles`] with
//! the plan applied (its include and exclude patterns, its role overrides, its uplink
//! speed), and the helpers that list ports for people. The rules are in `docs/checks.md`.

use lanready_mibs::decode::roles::{RoleOptions, classify};
use lanready_schema::{Interface, PortRole, RoleGroup, RoleInfo, Snapshot};

use crate::plan::SwitchPlan;

/// IANA ifType ethernetCsmacd.
pub const ETHERNET_CSMACD: u32 = 6;

/// Every interface's role under the plan, in the snapshot's order.
pub fn roles(snap: &Snapshot, plan: &SwitchPlan) -> Vec<RoleInfo> {
    let say = |i: &Interface| plan.ports.say(&i.name);
    classify(
        snap,
        &RoleOptions {
            uplink_speed_mbps: plan.ports.uplink_speed_mbps,
            plan: &say,
        },
    )
}

/// The sockets of a switch under the plan, in ifIndex order.
pub fn user_ports<'a>(snap: &'a Snapshot, plan: &SwitchPlan) -> Vec<&'a Interface> {
    snap.interfaces
        .iter()
        .zip(roles(snap, plan))
        .filter(|(_, r)| r.role == PortRole::User)
        .map(|(i, _)| i)
        .collect()
}

/// Roles grouped by role and reason, ports in port order, groups in role order: what the
/// report lists so an engineer can see, and correct, which ports are sockets.
pub fn role_groups(snap: &Snapshot, roles: &[RoleInfo]) -> Vec<RoleGroup> {
    let mut out: Vec<RoleGroup> = Vec::new();
    for (i, r) in snap.interfaces.iter().zip(roles) {
        match out
            .iter_mut()
            .find(|g| g.role == r.role && g.reason == r.reason)
        {
            Some(g) => g.ports.push(i.name.clone()),
            None => out.push(RoleGroup {
                role: r.role,
                reason: r.reason.clone(),
                ports: vec![i.name.clone()],
            }),
        }
    }
    for g in &mut out {
        g.ports.sort_by(|a, b| natural_cmp(a, b));
    }
    out.sort_by_key(|g| g.role);
    out
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

/// Port names in a compact form: consecutive last numbers with the same prefix become a
/// range (`Gi1/0/1-44, Gi1/0/46, Te1/1/1-2`).
/// One row of a port-role table (`user  48  Gi1/0/1-48: an access port: a socket`), as the
/// poll text and the gate print it.
pub fn role_row(g: &lanready_schema::RoleGroup) -> String {
    format!(
        "{:<15} {:>3}  {}: {}",
        g.role.name(),
        g.ports.len(),
        compact(&g.ports),
        g.reason
    )
}

pub fn compact<S: AsRef<str>>(names: &[S]) -> String {
    let mut sorted: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
    sorted.sort_by(|a, b| natural_cmp(a, b));
    sorted.dedup();
    let split = |n: &str| -> (String, Option<u32>) {
        let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, tail) = n.split_at(n.len() - digits);
        (head.to_string(), tail.parse().ok())
    };
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(String, u32, u32)> = None;
    let flush = |run: &mut Option<(String, u32, u32)>, out: &mut Vec<String>| {
        if let Some((head, a, b)) = run.take() {
            out.push(if a == b {
                format!("{head}{a}")
            } else {
                format!("{head}{a}-{b}")
            });
        }
    };
    for n in sorted {
        match split(n) {
            (head, Some(k)) => match &mut run {
                Some((h, _, b)) if *h == head && *b + 1 == k => *b = k,
                _ => {
                    flush(&mut run, &mut out);
                    run = Some((head, k, k));
                }
            },
            (head, None) => {
                flush(&mut run, &mut out);
                out.push(head);
            }
        }
    }
    flush(&mut run, &mut out);
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;
    use crate::plan::PortSelection;

    #[test]
    fn the_plan_moves_roles() {
        let snap = testutil::ready();
        let mut plan = testutil::plan();
        assert_eq!(user_ports(&snap, &plan).len(), 48);
        plan.ports = PortSelection::new(vec![], vec!["Gi1/0/4[78]".into()], 10_000).unwrap();
        assert_eq!(user_ports(&snap, &plan).len(), 46);
        plan.ports = PortSelection::new(vec![], vec![], 10_000)
            .unwrap()
            .with_roles(vec![("Gi1/0/1".into(), PortRole::Uplink)])
            .unwrap();
        let r = roles(&snap, &plan);
        assert_eq!(r[0].role, PortRole::Uplink);
        assert!(
            r[0].reason.starts_with("the plan sets role uplink"),
            "{}",
            r[0].reason
        );
        let groups = role_groups(&snap, &r);
        assert_eq!(groups[0].role, PortRole::User);
        assert_eq!(groups[0].ports.len(), 47);
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
    fn natural_order_and_compact_lists() {
        let mut v = vec!["Gi1/0/10", "Gi1/0/2", "Gi2/0/1", "Gi1/0/1", "Te1/1/1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec!["Gi1/0/1", "Gi1/0/2", "Gi1/0/10", "Gi2/0/1", "Te1/1/1"]
        );
        let names = [
            "Gi1/0/3", "Gi1/0/1", "Gi1/0/2", "Gi1/0/5", "Te1/1/1", "Te1/1/2", "Vlan1", "Nu0",
        ];
        assert_eq!(compact(&names), "Gi1/0/1-3, Gi1/0/5, Nu0, Te1/1/1-2, Vlan1");
    }
}
