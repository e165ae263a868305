//! `poe.port`: every socket can power a phone: PoE is enabled, its maximum allows the planned
//! phone, and it shows no fault. Power denied or overloaded before is a warning. A socket on
//! a module or member without PoE is a blocker; one without a PoE row where its module is
//! not known is a warning (an SFP slot?). When the per-port PoE tables are missing, or their
//! rows cannot be joined to interfaces, the answer is unknown and says which.

use lanready_mibs::decode::entity::is_poe_part;
use lanready_mibs::decode::poe::DetectionStatus;
use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Severity};

use super::{Check, Ctx, FindingExt};
use crate::plan::watts;

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PoePort;
    let a = c.addr();
    let snap = c.snap;
    if let Some(f) = c.poe_not_judged(k) {
        return f;
    }
    let any_row = c.users.iter().any(|i| i.poe.is_some());
    if snap.poe.pools.is_empty() && !any_row {
        return super::poe_budget::no_pse(c, k);
    }
    if !any_row {
        let rows = c.table_text("pethPsePortTable");
        let cpe = c.table_text("cpeExtPsePortTable");
        let alias = c.table_text("entAliasMappingTable");
        let message = if c.table("pethPsePortTable") == Some(true)
            || c.table("cpeExtPsePortTable") == Some(true)
        {
            format!(
                "the per-port PoE rows (pethPsePortTable {rows}, cpeExtPsePortTable {cpe}) could not be joined to the sockets through ENTITY-MIB (entAliasMappingTable {alias}): verify with `show power inline`"
            )
        } else {
            format!(
                "the switch has PoE, but its per-port PoE tables were not given (pethPsePortTable {rows}, cpeExtPsePortTable {cpe}): each socket's PoE state is unknown, verify with `show power inline`"
            )
        };
        return vec![
            k.unknown(a, message)
                .evidence("pethPsePortTable", rows)
                .evidence("cpeExtPsePortTable", cpe)
                .evidence("entAliasMappingTable", alias),
        ];
    }
    let mut out = Vec::new();
    for i in &c.users {
        let name = i.name.as_str();
        let Some(p) = &i.poe else {
            let module = i.module_model.as_deref();
            let f = match module {
                Some(m) if !is_poe_part(m) => k
                    .fail(a, Some(name), format!("no PoE on this socket: it is on {m}, which has none"))
                    .evidence(format!("pethPsePortTable[ifIndex {}]", i.if_index), "no row")
                    .fix(format!("! {name} is on {m} (no PoE): patch the desk socket to a PoE port, or fit a PoE\n! module/member for it.")),
                _ => k
                    .fail(a, Some(name), "no PoE on this port (an SFP slot? else a phone plugged here gets no power)")
                    .severity(Severity::Warning)
                    .evidence(format!("pethPsePortTable[ifIndex {}]", i.if_index), "no row")
                    .fix("! This port has no PoE: if it is an uplink or SFP slot, exclude it from the plan\n! ([sites.ports] exclude, or roles); if it is a desk socket, patch it to a PoE port."),
            };
            out.push(f);
            continue;
        };
        let idx = format!("{}.{}", p.group, p.port);
        if p.admin_enabled == Some(false) {
            out.push(
                k.fail(a, Some(name), "PoE is disabled (power inline never)")
                    .ev(ev::read("pethPsePortAdminEnable", &idx, 2, Some("false")))
                    .fix(c.fixes.interface(name, &["power inline auto"])),
            );
            continue;
        }
        if let Some(max) = p.max_mw.filter(|&m| m < c.plan.phone_budget_mw) {
            out.push(
                k.fail(
                    a,
                    Some(name),
                    format!(
                        "the port's PoE maximum is {} W, below the {} W a planned phone needs",
                        watts(max),
                        watts(c.plan.phone_budget_mw)
                    ),
                )
                .ev(ev::read("cpeExtPsePortPwrMax", &idx, max, Some("mW")))
                .fix(format!(
                    "! If the port's hardware maximum is lower (a PoE, not PoE+, port), the phone needs another port.\n{}",
                    c.fixes.interface(name, &["power inline auto"])
                )),
            );
            continue;
        }
        let detection = p.detection.as_deref().unwrap_or("");
        if matches!(detection, "fault" | "otherFault") {
            out.push(
                k.fail(a, Some(name), format!("PoE fault on the port ({detection})"))
                    .ev(ev::read("pethPsePortDetectionStatus", &idx, DetectionStatus::raw(detection), None))
                    .fix(format!(
                        "! {name}: check the cable and the powered device, then reset the port by hand\n! (`shutdown`, `no shutdown`) once the fault is cleared."
                    )),
            );
            continue;
        }
        let denied = p.denied_count.unwrap_or(0);
        let overload = p.overload_count.unwrap_or(0);
        if denied > 0 || overload > 0 {
            out.push(
                k.fail(a, Some(name), format!("power was denied {denied} time(s) and overloaded {overload} time(s) on this port"))
                    .severity(Severity::Warning)
                    .ev(ev::read("pethPsePortPowerDeniedCounter", &idx, denied, None))
                    .ev(ev::read("pethPsePortOverLoadCounter", &idx, overload, None))
                    .fix(format!(
                        "! The PSE ran short or the device drew more than allowed: see poe.budget, and\n! give phones priority over other devices:\n{}",
                        c.fixes.interface(name, &["power inline port priority high"])
                    )),
            );
        }
    }
    if out.is_empty() {
        vec![k.pass(a, "PoE is enabled and healthy on every user-facing port")]
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
        let p = port(&mut s, "Gi1/0/6");
        p.poe = None;
        p.module_model = Some("C9300-48T".into());
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
                "fail blocker Gi1/0/6",
            ],
        );
        assert_eq!(
            f[1].remediation.as_deref(),
            Some("interface Gi1/0/2\n power inline auto")
        );
        assert_eq!(f[1].evidence[0].object, "pethPsePortAdminEnable.1.2");
        assert!(
            !f[2].remediation.as_deref().unwrap().contains("\n shutdown"),
            "no port bounce is written"
        );
    }

    #[test]
    fn no_poe_at_all_and_missing_port_tables() {
        let mut s = ready();
        s.poe.modules.clear();
        s.poe.pools.clear();
        for i in &mut s.interfaces {
            i.poe = None;
        }
        s.tables.insert(
            "pethMainPseTable".into(),
            lanready_schema::TableStatus::Absent,
        );
        s.tables.insert(
            "entPhysicalTable".into(),
            lanready_schema::TableStatus::Present { rows: 60 },
        );
        s.poe.hardware.clear();
        check(Check::PoePort, &s, &plan(), &["fail blocker -"]);
        let mut s = ready();
        for i in &mut s.interfaces {
            i.poe = None;
        }
        let f = check(Check::PoePort, &s, &plan(), &["unknown blocker -"]);
        assert!(
            f[0].message.contains("could not be joined") || f[0].message.contains("were not given"),
            "{}",
            f[0].message
        );
    }
}
