//! `power.redundancy`: power supplies are healthy (a failed one is a warning) and
//! redundant (one supply per switch is noted as info).

use lanready_schema::{Finding, Severity, Snapshot};

use super::{Check, FindingExt};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::PowerRedundancy;
    let a = plan.address.as_str();
    let psus = &snap.power_supplies;
    if psus.is_empty() {
        return vec![c.unknown(
            a,
            "the switch does not report its power supplies: verify with `show environment power`",
        )];
    }
    let object = |p: &lanready_schema::PowerSupply| format!("{}.{}", p.source, p.index);
    let mut out: Vec<Finding> = psus
        .iter()
        .filter(|p| !p.ok && p.state != "notPresent")
        .map(|p| {
            c.fail(
                a,
                None,
                format!(
                    "power supply {} is {}",
                    p.descr.as_deref().unwrap_or(&p.index.to_string()),
                    p.state
                ),
            )
            .evidence(object(p), &p.state)
            .fix("! Replace or reseat the failed supply (`show environment power` names it).")
        })
        .collect();
    let ok = psus.iter().filter(|p| p.ok).count();
    let members = snap.stack.len().max(1);
    if out.is_empty() && ok < 2 * members {
        let mut f = c
            .fail(a, None, format!("{ok} working power supply(ies) for {members} switch(es): no redundant power"))
            .severity(Severity::Info)
            .fix("! Optional: add a second power supply to each member (or StackPower) so a supply failure does not drop phones.");
        for p in psus {
            f = f.evidence(object(p), &p.state);
        }
        out.push(f);
    }
    if out.is_empty() {
        vec![c.pass(a, format!("{ok} power supplies working"))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn failed_single_unknown() {
        let mut s = ready();
        check(Check::PowerRedundancy, &s, &plan(), &["pass warning -"]);
        s.power_supplies[1] = psu(2, false);
        check(Check::PowerRedundancy, &s, &plan(), &["fail warning -"]);
        s.power_supplies.pop();
        check(Check::PowerRedundancy, &s, &plan(), &["fail info -"]);
        s.power_supplies.clear();
        check(Check::PowerRedundancy, &s, &plan(), &["unknown warning -"]);
    }
}
