//! `port.duplex`: no user-facing port or trunk that is up runs half duplex (collisions and
//! late collisions make voice choppy).

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt, interface_fix, ports};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::PortDuplex;
    let a = plan.address.as_str();
    let checked: Vec<_> = snap
        .interfaces
        .iter()
        .filter(|i| i.trunk || ports::is_user_port(i, &plan.ports))
        .collect();
    if checked.iter().all(|i| i.duplex.is_none()) {
        return vec![c.unknown(a, "the switch does not report duplex (dot3StatsDuplexStatus): verify with `show interfaces status`")];
    }
    let out: Vec<Finding> = checked
        .iter()
        .filter(|i| i.duplex.as_deref() == Some("half") && i.oper_up != Some(false))
        .map(|i| {
            c.fail(a, Some(&i.name), "running half duplex")
                .evidence(
                    format!("dot3StatsDuplexStatus.{}", i.if_index),
                    "halfDuplex",
                )
                .evidence(
                    format!("dot3StatsLateCollisions.{}", i.if_index),
                    i.late_collisions
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "?".into()),
                )
                .fix(format!(
                    "! Usually a hard-set speed/duplex at one end: set both ends to auto.\n{}",
                    interface_fix(&i.name, &["speed auto", "duplex auto"])
                ))
        })
        .collect();
    if out.is_empty() {
        vec![c.pass(a, "no port runs half duplex")]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn half_duplex_up_only() {
        let mut s = ready();
        check(Check::PortDuplex, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/4").duplex = Some("half".into());
        let p = port(&mut s, "Gi1/0/5");
        p.duplex = Some("half".into());
        p.oper_up = Some(false);
        check(Check::PortDuplex, &s, &plan(), &["fail warning Gi1/0/4"]);
    }
}
