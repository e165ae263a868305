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

pub use lanready_schema::ports::{compact, natural_cmp, role_row};

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
}
