//! `neighbours.discovery`: CDP or LLDP runs on the switch (on every user port, where the
//! switch reports it per port), so phones learn the voice VLAN (Cisco phones from CDP,
//! others from the LLDP-MED network policy, which must name the plan's voice VLAN).

use lanready_schema::{Finding, Interface, Snapshot};

use super::{Check, FindingExt, interface_fix, table};
use crate::plan::SwitchPlan;

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::Neighbours;
    let a = plan.address.as_str();
    if users
        .iter()
        .any(|i| i.cdp_enabled.is_some() || i.lldp_admin_status.is_some())
    {
        return per_port(snap, plan, users);
    }
    let seen = |proto: &str| {
        snap.neighbours
            .iter()
            .filter(|n| n.protocol == proto)
            .count()
    };
    let cdp_if = table(snap, "cdpInterfaceTable");
    let lldp_if = table(snap, "lldpPortConfigTable");
    let med = table(snap, "lldpXMedLocMediaPolicyTable");
    let cdp = cdp_if == Some(true) || seen("cdp") > 0;
    let lldp = lldp_if == Some(true) || seen("lldp") > 0;
    let describe = |t: Option<bool>| match t {
        Some(true) => "present",
        Some(false) => "absent",
        None => "not read",
    };
    let evidence = |f: Finding| {
        f.evidence("cdpInterfaceTable", describe(cdp_if))
            .evidence("cdpCacheTable", format!("{} neighbours", seen("cdp")))
            .evidence("lldpPortConfigTable", describe(lldp_if))
            .evidence("lldpRemTable", format!("{} neighbours", seen("lldp")))
            .evidence("lldpXMedLocMediaPolicyTable", describe(med))
    };
    if cdp || lldp {
        let which = match (cdp, lldp) {
            (true, true) => "CDP and LLDP run",
            (true, false) => "CDP runs (LLDP does not: non-Cisco phones need LLDP-MED)",
            _ => "LLDP runs (CDP does not: Cisco phones prefer CDP)",
        };
        return vec![evidence(c.pass(a, which))];
    }
    if cdp_if.is_none() && lldp_if.is_none() {
        return vec![evidence(c.unknown(
            a,
            "CDP and LLDP state could not be read: verify with `show cdp` and `show lldp`",
        ))];
    }
    vec![evidence(c.fail(a, None, "neither CDP nor LLDP runs: phones cannot learn the voice VLAN or negotiate power"))
        .fix("cdp run\nlldp run\n! and on user ports, if disabled there:\n!  cdp enable\n!  lldp transmit\n!  lldp receive")]
}

/// Per user port: CDP on (cdpInterfaceEnable) or LLDP transmitting
/// (lldpPortConfigAdminStatus txOnly / txAndRx).
fn per_port(
    snap: &Snapshot,
    plan: &SwitchPlan,
    users: &[&lanready_schema::Interface],
) -> Vec<Finding> {
    let c = Check::Neighbours;
    let a = plan.address.as_str();
    let mut out = Vec::new();
    for i in users {
        let cdp = i.cdp_enabled == Some(true);
        let lldp = matches!(i.lldp_admin_status.as_deref(), Some("txOnly" | "txAndRx"));
        if let Some(med) = i
            .lldp_med_voice_vlan
            .filter(|&m| lldp && m != 0 && m != plan.voice_vlan)
        {
            out.push(
                c.fail(
                    a,
                    Some(&i.name),
                    format!(
                        "LLDP-MED tells phones to use VLAN {med} for voice, not {}",
                        plan.voice_vlan
                    ),
                )
                .evidence(
                    format!(
                        "lldpXMedLocMediaPolicyVlanID[ifIndex {}, voice]",
                        i.if_index
                    ),
                    med,
                )
                .fix(interface_fix(
                    &i.name,
                    &[&format!("switchport voice vlan {}", plan.voice_vlan)],
                )),
            );
            continue;
        }
        if cdp || lldp || (i.cdp_enabled.is_none() && i.lldp_admin_status.is_none()) {
            continue;
        }
        let mut lines = Vec::new();
        if i.cdp_enabled == Some(false) {
            lines.push("cdp enable");
        }
        if i.lldp_admin_status.is_some() {
            lines.push("lldp transmit");
            lines.push("lldp receive");
        }
        let mut fix = interface_fix(&i.name, &lines);
        if snap.system.cdp_enabled == Some(false) {
            fix = format!("cdp run\n{fix}");
        }
        out.push(
            c.fail(
                a,
                Some(&i.name),
                "neither CDP nor LLDP runs on the port: a phone here cannot learn the voice VLAN",
            )
            .evidence(
                format!("cdpInterfaceEnable.{}", i.if_index),
                fmt(i.cdp_enabled.map(|b| b.to_string())),
            )
            .evidence(
                format!("lldpPortConfigAdminStatus[ifIndex {}]", i.if_index),
                fmt(i.lldp_admin_status.clone()),
            )
            .evidence(
                "cdpGlobalRun.0",
                fmt(snap.system.cdp_enabled.map(|b| b.to_string())),
            )
            .fix(fix),
        );
    }
    if out.is_empty() {
        let n = |f: &dyn Fn(&&&lanready_schema::Interface) -> bool| users.iter().filter(f).count();
        let cdp = n(&|i| i.cdp_enabled == Some(true));
        let lldp = n(&|i| matches!(i.lldp_admin_status.as_deref(), Some("txOnly" | "txAndRx")));
        vec![
            c.pass(
                a,
                format!(
                    "CDP or LLDP runs on every user-facing port (CDP on {cdp}, LLDP on {lldp})"
                ),
            )
            .evidence(
                "cdpGlobalRun.0",
                fmt(snap.system.cdp_enabled.map(|b| b.to_string())),
            ),
        ]
    } else {
        out
    }
}

fn fmt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "not reported".into())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::TableStatus;

    #[test]
    fn running_off_unreadable() {
        let mut s = ready();
        check(Check::Neighbours, &s, &plan(), &["pass warning -"]);
        s.tables
            .insert("cdpInterfaceTable".into(), TableStatus::Absent);
        s.tables
            .insert("lldpPortConfigTable".into(), TableStatus::Absent);
        check(Check::Neighbours, &s, &plan(), &["fail warning -"]);
        s.tables.remove("cdpInterfaceTable");
        s.tables.remove("lldpPortConfigTable");
        check(Check::Neighbours, &s, &plan(), &["unknown warning -"]);
    }

    #[test]
    fn per_port_when_reported() {
        let mut s = ready();
        for i in &mut s.interfaces {
            i.cdp_enabled = Some(true);
            i.lldp_admin_status = Some("disabled".into());
        }
        check(Check::Neighbours, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/3").cdp_enabled = Some(false);
        let p = port(&mut s, "Gi1/0/4");
        p.cdp_enabled = Some(false);
        p.lldp_admin_status = Some("txAndRx".into());
        let f = check(Check::Neighbours, &s, &plan(), &["fail warning Gi1/0/3"]);
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/3\n cdp enable\n lldp transmit\n lldp receive")
        );
        // LLDP-MED advertising another voice VLAN (Gi1/0/4 transmits LLDP).
        port(&mut s, "Gi1/0/4").lldp_med_voice_vlan = Some(120);
        port(&mut s, "Gi1/0/5").lldp_med_voice_vlan = Some(120);
        check(
            Check::Neighbours,
            &s,
            &plan(),
            &["fail warning Gi1/0/3", "fail warning Gi1/0/4"],
        );
        port(&mut s, "Gi1/0/4").lldp_med_voice_vlan = Some(110);
        check(Check::Neighbours, &s, &plan(), &["fail warning Gi1/0/3"]);
    }
}
