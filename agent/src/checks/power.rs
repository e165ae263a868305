//! `power.redundancy`: power supplies are healthy (a failed one is a warning) and
//! redundant (one supply per switch is noted as info).

use lanready_mibs::decode::stack::{EnvMonState, FruPowerStatus};
use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, PowerSupply, Severity, words};

use super::{Check, Ctx, FindingExt};

fn state_ev(p: &PowerSupply) -> lanready_schema::Evidence {
    let raw = if p.source == "ciscoEnvMonSupplyState" {
        EnvMonState::raw(&p.state)
    } else {
        FruPowerStatus::raw(&p.state)
    };
    ev::read(&p.source, p.index, raw, None)
}

pub fn evaluate(ctx: &Ctx<'_>) -> Vec<Finding> {
    let c = Check::PowerRedundancy;
    let a = ctx.addr();
    let snap = ctx.snap;
    let psus = &snap.power_supplies;
    if psus.is_empty() {
        return vec![c.unknown(
            a,
            "the switch does not report its power supplies: verify with `show environment power`",
        )
        .evidence("ciscoEnvMonSupplyStatusTable", ctx.table_text("ciscoEnvMonSupplyStatusTable"))
        .evidence("cefcFRUPowerStatusTable", ctx.table_text("cefcFRUPowerStatusTable"))];
    }
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
            .ev(state_ev(p))
            .fix("! Replace or reseat the failed supply (`show environment power` names it).")
        })
        .collect();
    let ok = psus.iter().filter(|p| p.ok).count();
    let members = snap.stack.len().max(snap.platform.modular as usize).max(1);
    if out.is_empty() && ok < 2 * members {
        let mut f = c
            .fail(a, None, format!(
                "{} for {}: no redundant power",
                words::count(ok as u64, "working power supply", "working power supplies"),
                words::count(members as u64, "switch", "switches")
            ))
            .severity(Severity::Info)
            .fix("! Optional: add a second power supply to each member (or StackPower) so a supply failure does not drop phones.");
        for p in psus {
            f = f.ev(state_ev(p));
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
