//! `neighbours.discovery`: the planned phones can learn the voice VLAN. Cisco phones learn it
//! from CDP (or LLDP-MED); Avaya 96x1 and J100 phones from LLDP-MED (or DHCP), never CDP, and
//! Catalyst IOS has `lldp run` off by default. So with LLDP-MED phones in the plan, LLDP must
//! run on the switch and transmit on every socket (a blocker), and the LLDP-MED voice policy
//! must name the plan's voice VLAN; a CDP-only switch never passes. With only Cisco phones,
//! CDP or LLDP on each socket is enough (a warning when neither runs).

use lanready_mibs::decode::neighbours::LldpAdminStatus;
use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Interface, Severity, TableStatus};

use super::{Check, Ctx, FindingExt, compact_ports, plural};

fn lldp_tx(i: &Interface) -> bool {
    matches!(i.lldp_admin_status.as_deref(), Some("txOnly" | "txAndRx"))
}

fn admin_ev(i: &Interface) -> lanready_schema::Evidence {
    match (i.lldp_port, i.lldp_admin_status.as_deref()) {
        (Some(n), Some(s)) => ev::read(
            "lldpPortConfigAdminStatus",
            n,
            LldpAdminStatus::raw(s),
            None,
        ),
        (Some(n), None) => ev::no_row("lldpPortConfigAdminStatus", n),
        (None, _) => ev::note(
            "lldpLocPortTable",
            format!("no LLDP port joined to {} (ifIndex {})", i.name, i.if_index),
        ),
    }
}

fn cdp_ev(i: &Interface) -> lanready_schema::Evidence {
    match i.cdp_enabled {
        Some(on) => ev::read(
            "cdpInterfaceEnable",
            i.if_index,
            if on { 1 } else { 2 },
            Some(if on { "true" } else { "false" }),
        ),
        None => ev::no_row("cdpInterfaceEnable", i.if_index),
    }
}

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::Neighbours;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if c.plan.phones.lldp_med {
        lldp_med(c)
    } else {
        cdp_or_lldp(c)
    }
    .into_iter()
    .map(|mut f| {
        if f.status == lanready_schema::Status::Fail && c.plan.phones.lldp_med {
            f.severity = Severity::Blocker;
        }
        let _ = a;
        f
    })
    .collect()
}

/// LLDP's state on the switch: Some(true) runs, Some(false) does not (LLDP-MIB answered
/// nothing while the switch answered), None when LLDP-MIB could not be read.
fn lldp_running(c: &Ctx<'_>) -> Option<bool> {
    if c.snap.system.lldp_chassis_id.is_some() || c.table("lldpPortConfigTable") == Some(true) {
        return Some(true);
    }
    match c.snap.tables.get("lldpPortConfigTable") {
        Some(TableStatus::Error { .. }) => None,
        Some(_) => Some(false),
        None => None,
    }
}

fn lldp_med(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::Neighbours;
    let a = c.addr();
    let v = c.plan.voice_vlan;
    let phones = c.plan.phones.labels.join(", ");
    match lldp_running(c) {
        None => {
            return vec![k.unknown(a, format!(
                "the planned phones ({phones}) learn the voice VLAN by LLDP-MED, and LLDP could not be read: verify with `show lldp`"
            ))
            .evidence("lldpPortConfigTable", c.table_text("lldpPortConfigTable"))];
        }
        Some(false) => {
            let cdp = c.snap.system.cdp_enabled == Some(true);
            return vec![k.fail(a, None, format!(
                "LLDP does not run{}: the planned phones ({phones}) learn the voice VLAN by LLDP-MED, not CDP, and would land in the data VLAN",
                if cdp { " (only CDP does)" } else { "" }
            ))
            .ev(ev::no_row("lldpLocChassisId", 0))
            .evidence("lldpPortConfigTable", c.table_text("lldpPortConfigTable"))
            .evidence("cdpGlobalRun.0", match c.snap.system.cdp_enabled {
                Some(true) => "1 (true)",
                Some(false) => "2 (false)",
                None => "no row",
            })
            .fix("lldp run\n! On sockets where LLDP was turned off, also `lldp transmit` and `lldp receive`.\n! Cisco advertises the port's `switchport voice vlan` in the LLDP-MED network policy.")];
        }
        Some(true) => {}
    }
    let mut out = Vec::new();
    let mut unjoined = Vec::new();
    for i in &c.users {
        if i.lldp_admin_status.is_none() {
            unjoined.push(i.name.as_str());
            continue;
        }
        if !lldp_tx(i) {
            out.push(
                k.fail(a, Some(&i.name), "LLDP does not transmit on this socket: an LLDP-MED phone here cannot learn the voice VLAN")
                    .ev(admin_ev(i))
                    .fix(c.fixes.interface(&i.name, &["lldp transmit", "lldp receive"])),
            );
            continue;
        }
        if let Some(med) = i.lldp_med_voice_vlan.filter(|&m| m != 0 && m != v) {
            let idx = i.lldp_port.map_or("?".into(), |n| format!("{n}.1.64"));
            out.push(
                k.fail(
                    a,
                    Some(&i.name),
                    format!("LLDP-MED tells phones to use VLAN {med} for voice, not {v}"),
                )
                .ev(ev::read("lldpXMedLocMediaPolicyVlanID", idx, med, None))
                .fix(format!(
                    "! {}: the LLDP-MED voice policy names VLAN {med}. A `network-policy` profile on the\n\
                     ! port overrides the voice VLAN: check `show network-policy profile` and the port's\n\
                     ! `network-policy` line, and set the profile's voice VLAN to {v}.",
                    i.name
                )),
            );
        }
    }
    if !unjoined.is_empty() {
        out.push(k.unknown(
            a,
            format!(
                "{} whose LLDP state could not be joined: {}; verify with `show lldp interface`",
                plural(unjoined.len(), "socket"),
                compact_ports(&unjoined)
            ),
        ));
    }
    if out.is_empty() {
        let med = c
            .users
            .iter()
            .filter(|i| i.lldp_med_voice_vlan == Some(v))
            .count();
        let note = if med == c.users.len() {
            format!("the LLDP-MED voice policy names VLAN {v} on every socket")
        } else if med == 0 {
            format!(
                "no LLDP-MED policy row was read; Cisco advertises the port's voice VLAN ({v}) by default"
            )
        } else {
            format!(
                "the LLDP-MED voice policy names VLAN {v} on {med} sockets; the others advertise their voice VLAN by default"
            )
        };
        return vec![k.pass(a, format!(
            "LLDP runs and transmits on all {} sockets, for the planned LLDP-MED phones; {note}",
            c.users.len()
        ))
        .evidence("lldpPortConfigTable", c.table_text("lldpPortConfigTable"))
        .evidence("lldpXMedLocMediaPolicyTable", c.table_text("lldpXMedLocMediaPolicyTable"))];
    }
    out
}

fn cdp_or_lldp(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::Neighbours;
    let a = c.addr();
    let v = c.plan.voice_vlan;
    let snap = c.snap;
    if c.users
        .iter()
        .all(|i| i.cdp_enabled.is_none() && i.lldp_admin_status.is_none())
    {
        let seen = |p: &str| snap.neighbours.iter().filter(|n| n.protocol == p).count();
        let cdp = c.table("cdpInterfaceTable") == Some(true)
            || seen("cdp") > 0
            || snap.system.cdp_enabled == Some(true);
        let lldp = lldp_running(c) == Some(true) || seen("lldp") > 0;
        let describe = |f: Finding| {
            f.evidence("cdpInterfaceTable", c.table_text("cdpInterfaceTable"))
                .evidence("cdpCacheTable", format!("{} neighbours", seen("cdp")))
                .evidence("lldpPortConfigTable", c.table_text("lldpPortConfigTable"))
                .evidence("lldpRemTable", format!("{} neighbours", seen("lldp")))
        };
        if cdp || lldp {
            let which = match (cdp, lldp) {
                (true, true) => "CDP and LLDP run",
                (true, false) => {
                    "CDP runs (LLDP does not: phones that learn their VLAN by LLDP-MED need `lldp run`)"
                }
                _ => "LLDP runs (CDP does not: Cisco phones prefer CDP)",
            };
            return vec![describe(k.pass(a, which))];
        }
        if c.table("cdpInterfaceTable").is_none() && lldp_running(c).is_none() {
            return vec![describe(k.unknown(
                a,
                "CDP and LLDP state could not be read: verify with `show cdp` and `show lldp`",
            ))];
        }
        return vec![
            describe(k.fail(
                a,
                None,
                "neither CDP nor LLDP runs: phones cannot learn the voice VLAN or negotiate power",
            ))
            .fix("cdp run\nlldp run"),
        ];
    }
    let mut out = Vec::new();
    for i in &c.users {
        let cdp = i.cdp_enabled == Some(true);
        let lldp = lldp_tx(i);
        if let Some(med) = i.lldp_med_voice_vlan.filter(|&m| lldp && m != 0 && m != v) {
            let idx = i.lldp_port.map_or("?".into(), |n| format!("{n}.1.64"));
            out.push(
                k.fail(a, Some(&i.name), format!("LLDP-MED tells phones to use VLAN {med} for voice, not {v}"))
                    .ev(ev::read("lldpXMedLocMediaPolicyVlanID", idx, med, None))
                    .fix(format!(
                        "! {}: the LLDP-MED voice policy names VLAN {med}: check `show network-policy profile`\n! and the port's `network-policy` line, and set its voice VLAN to {v}.",
                        i.name
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
        let mut fix = c.fixes.interface(&i.name, &lines);
        if snap.system.cdp_enabled == Some(false) {
            fix = format!("cdp run\n{fix}");
        }
        out.push(
            k.fail(
                a,
                Some(&i.name),
                "neither CDP nor LLDP runs on the port: a phone here cannot learn the voice VLAN",
            )
            .ev(cdp_ev(i))
            .ev(admin_ev(i))
            .fix(fix),
        );
    }
    if out.is_empty() {
        let cdp = c
            .users
            .iter()
            .filter(|i| i.cdp_enabled == Some(true))
            .count();
        let lldp = c.users.iter().filter(|i| lldp_tx(i)).count();
        vec![k.pass(
            a,
            format!("CDP or LLDP runs on every user-facing port (CDP on {cdp}, LLDP on {lldp})"),
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
    }

    #[test]
    fn lldp_med_phones_need_lldp_not_cdp() {
        let mut s = ready();
        let mut p = plan();
        p.phones.lldp_med = true;
        // CDP only: LLDP-MIB answered nothing.
        for i in &mut s.interfaces {
            i.cdp_enabled = Some(true);
        }
        s.system.cdp_enabled = Some(true);
        s.tables
            .insert("lldpPortConfigTable".into(), TableStatus::Absent);
        let f = check(Check::Neighbours, &s, &p, &["fail blocker -"]);
        assert!(
            f[0].message.contains("LLDP does not run (only CDP does)"),
            "{}",
            f[0].message
        );
        assert!(f[0].remediation.as_deref().unwrap().starts_with("lldp run"));
        // LLDP runs on every socket but the MED policy names the wrong VLAN on one.
        s.tables.insert(
            "lldpPortConfigTable".into(),
            TableStatus::Present { rows: 50 },
        );
        for i in &mut s.interfaces {
            i.lldp_admin_status = Some("txAndRx".into());
            i.lldp_port = Some(i.if_index);
            i.lldp_med_voice_vlan = Some(110);
        }
        check(Check::Neighbours, &s, &p, &["pass warning -"]);
        port(&mut s, "Gi1/0/6").lldp_med_voice_vlan = Some(120);
        let f = check(Check::Neighbours, &s, &p, &["fail blocker Gi1/0/6"]);
        assert_eq!(
            f[0].evidence[0].object,
            "lldpXMedLocMediaPolicyVlanID.1006.1.64"
        );
        // Unreadable LLDP: unknown.
        s.tables.insert(
            "lldpPortConfigTable".into(),
            TableStatus::Error {
                reason: "timeout".into(),
            },
        );
        s.system.lldp_chassis_id = None;
        for i in &mut s.interfaces {
            i.lldp_admin_status = None;
        }
        check(Check::Neighbours, &s, &p, &["unknown warning -"]);
    }
}
