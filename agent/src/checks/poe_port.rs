//! `poe.port`: every user-facing port can power a phone: PoE is enabled, its maximum allows
//! the planned phone, and it shows no fault. Power denied or overloaded before, and a port
//! without PoE on a PoE switch (usually an SFP slot), are warnings.

use lanready_schema::{Finding, Interface, Severity, Snapshot};

use super::{Check, FindingExt, interface_fix, no_user_ports, table};
use crate::plan::{SwitchPlan, watts};

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::PoePort;
    let a = plan.address.as_str();
    if !plan.poe_required {
        return vec![c.pass(a, "the plan powers phones locally (phones.poe = false)")];
    }
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    if snap.poe.modules.is_empty() && !users.iter().any(|i| i.poe.is_some()) {
        return match table(snap, "pethPsePortTable") {
            None => vec![c.unknown(a, "the PoE port table could not be read: verify with `show power inline`")],
            Some(_) => vec![c
                .fail(a, None, format!("the switch has no PoE ports: none of its {} user-facing ports can power a phone", users.len()))
                .evidence("pethPsePortTable", "absent")
                .fix("! Replace the switch with a PoE model, or power the phones locally (phones.poe = false).")],
        };
    }
    if !users.iter().any(|i| i.poe.is_some()) {
        return vec![c.unknown(a, "the switch has PoE but its ports could not be matched to interfaces (the ENTITY-MIB join failed): verify with `show power inline`")];
    }
    let mut out = Vec::new();
    for i in users {
        let name = i.name.as_str();
        let Some(p) = &i.poe else {
            out.push(
                // On a PoE switch such a port is most often an SFP slot, not a socket: a
                // warning, so the plan can exclude it, rather than a blocker.
                c.fail(a, Some(name), "no PoE on this port (an SFP slot? else a phone plugged here gets no power)")
                    .severity(Severity::Warning)
                    .evidence(format!("pethPsePortTable[ifIndex {}]", i.if_index), "no row")
                    .fix("! This port has no PoE: if it is an uplink or SFP slot, exclude it from the plan\n! ([sites.ports] exclude); if it is a desk socket, patch it to a PoE port."),
            );
            continue;
        };
        let idx = format!("{}.{}", p.group, p.port);
        if p.admin_enabled == Some(false) {
            out.push(
                c.fail(a, Some(name), "PoE is disabled (power inline never)")
                    .evidence(format!("pethPsePortAdminEnable.{idx}"), "false")
                    .fix(interface_fix(name, &["power inline auto"])),
            );
            continue;
        }
        if let Some(max) = p.max_mw.filter(|&m| m < plan.phone_budget_mw) {
            out.push(
                c.fail(
                    a,
                    Some(name),
                    format!(
                        "the port's PoE maximum is {} W, below the {} W a planned phone needs",
                        watts(max),
                        watts(plan.phone_budget_mw)
                    ),
                )
                .evidence(format!("cpeExtPsePortPwrMax.{idx}"), format!("{max} mW"))
                .fix(interface_fix(name, &["power inline auto"])),
            );
            continue;
        }
        let detection = p.detection.as_deref().unwrap_or("");
        if matches!(detection, "fault" | "otherFault") {
            out.push(
                c.fail(
                    a,
                    Some(name),
                    format!("PoE fault on the port ({detection})"),
                )
                .evidence(format!("pethPsePortDetectionStatus.{idx}"), detection)
                .fix(format!(
                    "! Check the cable and the powered device, then reset the port:\n{}",
                    interface_fix(name, &["shutdown", "no shutdown"])
                )),
            );
            continue;
        }
        let denied = p.denied_count.unwrap_or(0);
        let overload = p.overload_count.unwrap_or(0);
        if denied > 0 || overload > 0 {
            out.push(
                c.fail(a, Some(name), format!("power was denied {denied} time(s) and overloaded {overload} time(s) on this port"))
                    .severity(Severity::Warning)
                    .evidence(format!("pethPsePortPowerDeniedCounter.{idx}"), denied)
                    .evidence(format!("pethPsePortOverLoadCounter.{idx}"), overload)
                    .fix(format!("! The PSE ran short or the device drew more than allowed: see poe.budget, and\n! give phones priority over other devices:\n{}", interface_fix(name, &["power inline port priority high"]))),
            );
        }
    }
    if out.is_empty() {
        vec![c.pass(a, "PoE is enabled and healthy on every user-facing port")]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn healthy() {
        check(Check::PoePort, &ready(), &plan(), &["pass blocker -"]);
    }

    #[test]
    fn each_kind_of_trouble() {
        let mut s = ready();
        port(&mut s, "Gi1/0/1").poe = None;
        port(&mut s, "Gi1/0/2").poe.as_mut().unwrap().admin_enabled = Some(false);
        port(&mut s, "Gi1/0/3").poe.as_mut().unwrap().detection = Some("fault".into());
        port(&mut s, "Gi1/0/4").poe.as_mut().unwrap().denied_count = Some(3);
        port(&mut s, "Gi1/0/5").poe.as_mut().unwrap().max_mw = Some(4_000);
        let f = check(
            Check::PoePort,
            &s,
            &plan(),
            &[
                "fail warning Gi1/0/1",
                "fail blocker Gi1/0/2",
                "fail blocker Gi1/0/3",
                "fail warning Gi1/0/4",
                "fail blocker Gi1/0/5",
            ],
        );
        assert_eq!(
            f[1].remediation.as_deref(),
            Some("interface Gi1/0/2\n power inline auto")
        );
        assert_eq!(f[1].evidence[0].object, "pethPsePortAdminEnable.1.2");
    }

    #[test]
    fn no_poe_at_all() {
        let mut s = ready();
        s.poe.modules.clear();
        for i in &mut s.interfaces {
            i.poe = None;
        }
        check(Check::PoePort, &s, &plan(), &["fail blocker -"]);
        s.tables.remove("pethPsePortTable");
        check(Check::PoePort, &s, &plan(), &["unknown blocker -"]);
    }
}
