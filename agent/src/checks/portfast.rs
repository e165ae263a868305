//! `port.portfast`: user-facing ports use portfast, so a phone gets a link (and DHCP) at
//! once instead of after 30 s of spanning-tree listening and learning.

use lanready_schema::{Finding, Interface};

use super::{Check, FindingExt, interface_fix, no_user_ports};
use crate::plan::SwitchPlan;

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::Portfast;
    let a = plan.address.as_str();
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    if users.iter().all(|i| i.portfast.is_none()) {
        return vec![c.unknown(a, "the switch does not report portfast (stpxFastStartPortMode): verify with `show spanning-tree interface <port> portfast`")];
    }
    let mut out = Vec::new();
    for i in users {
        let Some(mode) = i.portfast.as_deref() else {
            continue;
        };
        let message = match mode {
            "enable" | "enableForTrunk" => continue,
            "default" => {
                "portfast follows the global default (`spanning-tree portfast default`), which SNMP does not show: set it on the port"
            }
            "network" => "the port is a spanning-tree network port, not an edge port",
            _ => "portfast is off: a phone waits about 30 s for spanning tree after each link-up",
        };
        out.push(
            c.fail(a, Some(&i.name), message)
                .evidence(
                    format!("stpxFastStartPortMode[ifIndex {}]", i.if_index),
                    mode,
                )
                .fix(interface_fix(
                    &i.name,
                    &["spanning-tree portfast", "spanning-tree bpduguard enable"],
                )),
        );
    }
    if out.is_empty() {
        vec![c.pass(
            a,
            format!("portfast on all {} user-facing ports", users.len()),
        )]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn off_default_unreadable() {
        let mut s = ready();
        check(Check::Portfast, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/10").portfast = Some("disable".into());
        port(&mut s, "Gi1/0/11").portfast = Some("default".into());
        port(&mut s, "Gi1/0/12").portfast = None;
        check(
            Check::Portfast,
            &s,
            &plan(),
            &["fail warning Gi1/0/10", "fail warning Gi1/0/11"],
        );
        for i in &mut s.interfaces {
            i.portfast = None;
        }
        check(Check::Portfast, &s, &plan(), &["unknown warning -"]);
    }
}
