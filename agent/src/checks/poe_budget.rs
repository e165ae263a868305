//! `poe.budget`: each PSE (stack member) can power the planned phones at their class's PSE
//! power, plus what other powered devices on it already take, and keep the plan's headroom.

use lanready_schema::{Finding, Interface, PoeBudget, PoeModule, Snapshot};

use super::{Check, FindingExt, ports, table};
use crate::plan::{SwitchPlan, share, watts};

/// What one PSE must power.
#[derive(Debug)]
struct Demand<'a> {
    module: &'a PoeModule,
    /// The PSE's budget (pethMainPsePower, else the member's cswSwitchPowerBudget), and
    /// which object said so.
    budget: Option<(u32, String)>,
    user_ports: u32,
    phones: u32,
    planned_mw: u64,
    /// Power already reserved for devices on ports that are not user-facing (access
    /// points, cameras), milliwatts.
    other_mw: u64,
}

fn demands<'a>(snap: &'a Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Demand<'a>> {
    let modules = &snap.poe.modules;
    let joined = snap.interfaces.iter().any(|i| i.poe.is_some());
    let on = |m: &PoeModule, i: &Interface| match &i.poe {
        Some(p) => p.group == m.group,
        // The port-to-PSE join failed: with a single PSE every port is on it.
        None => !joined && modules.len() == 1,
    };
    let user_counts: Vec<u32> = modules
        .iter()
        .map(|m| users.iter().filter(|i| on(m, i)).count() as u32)
        .collect();
    let phones = match plan.phone_count {
        None => user_counts.clone(),
        Some(n) => share(n, &user_counts),
    };
    modules
        .iter()
        .zip(user_counts.iter().zip(phones))
        .map(|(m, (&u, p))| {
            let budget = m
                .budget_w
                .map(|w| (w, format!("pethMainPsePower.{}", m.group)))
                .or_else(|| {
                    let member = snap
                        .stack
                        .iter()
                        .find(|s| Some(s.number) == m.stack_member)?;
                    member.power_budget_w.map(|w| {
                        (
                            w,
                            format!("cswSwitchPowerBudget.{}", member.ent_physical_index),
                        )
                    })
                });
            let other_mw = snap
                .interfaces
                .iter()
                .filter(|i| !ports::is_user_port(i, &plan.ports))
                .filter_map(|i| i.poe.as_ref().filter(|p| p.group == m.group))
                .map(|p| u64::from(p.allocated_mw.or(p.consumed_mw).unwrap_or(0)))
                .sum();
            Demand {
                module: m,
                budget,
                user_ports: u,
                phones: p,
                planned_mw: u64::from(p) * u64::from(plan.phone_budget_mw),
                other_mw,
            }
        })
        .collect()
}

/// Each PSE's budget, use and planned draw, for the report's dashboard bars.
/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn budgets(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<PoeBudget> {
    demands(snap, plan, users)
        .iter()
        .map(|d| PoeBudget {
            group: d.module.group,
            stack_member: d.module.stack_member,
            budget_w: d.budget.as_ref().map(|b| b.0).unwrap_or(0),
            consumed_w: d.module.consumed_w.unwrap_or(0),
            // What the phones need (the contract); other devices are in the finding.
            planned_w: (d.planned_mw / 1000) as u32,
        })
        .collect()
}

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::PoeBudget;
    let a = plan.address.as_str();
    if !plan.poe_required {
        return vec![c.pass(a, "the plan powers phones locally (phones.poe = false)")];
    }
    if snap.poe.modules.is_empty() {
        return match table(snap, "pethMainPseTable") {
            None => vec![c.unknown(a, "the PoE tables could not be read (pethMainPseTable): verify by hand with `show power inline`")],
            Some(_) => vec![c
                .fail(a, None, "the switch has no PoE: no PSE in POWER-ETHERNET-MIB, so no port can power a phone")
                .evidence("pethMainPseTable", "absent")
                .fix("! No configuration gives PoE to a switch without it: replace it with a PoE model,\n! or power the phones locally and set `poe = false` under [sites.phones].")],
        };
    }
    let headroom = u64::from(plan.thresholds.poe_headroom_pct);
    let mut failed = Vec::new();
    let mut passed = Vec::new();
    for d in demands(snap, plan, users) {
        let m = d.module;
        let label = match m.stack_member {
            Some(n) => format!("stack member {n} (PSE {})", m.group),
            None => format!("PSE {}", m.group),
        };
        let need = d.planned_mw + d.other_mw;
        let mut f = c.fail(a, None, String::new()).evidence(
            format!("pethMainPseOperStatus.{}", m.group),
            m.oper_status.as_deref().unwrap_or("?"),
        );
        if let Some((w, obj)) = &d.budget {
            f = f.evidence(obj, format!("{w} W"));
        }
        if let Some(w) = m.consumed_w {
            f = f.evidence(
                format!("pethMainPseConsumptionPower.{}", m.group),
                format!("{w} W"),
            );
        }
        f = f
            .evidence(
                "plan.phones",
                format!(
                    "{} phones x {} W = {} W",
                    d.phones,
                    watts(plan.phone_budget_mw),
                    mw(d.planned_mw)
                ),
            )
            .evidence(
                "other powered devices (cpeExtPsePortPwrAllocated)",
                format!("{} W", mw(d.other_mw)),
            )
            .evidence("plan.poe_headroom_pct", format!("{headroom}%"));
        if m.oper_status.as_deref() == Some("faulty") {
            f.message = format!("{label}: the PSE reports a fault (pethMainPseOperStatus faulty)");
            f = f.fix(format!("! {label}: check the power supplies (`show power inline`, `show environment power`)\n! and replace a failed supply; the PSE cannot power phones until then."));
            failed.push(f);
            continue;
        }
        let Some((budget_w, _)) = d.budget else {
            f.status = lanready_schema::Status::Unknown;
            f.message = format!(
                "{label}: the switch does not report its PoE budget: verify with `show power inline`"
            );
            f.remediation = None;
            failed.push(f);
            continue;
        };
        let budget_mw = u64::from(budget_w) * 1000;
        let usable = budget_mw * (100 - headroom) / 100;
        if need <= usable {
            passed.push(format!(
                "{label}: {} W of {budget_w} W for {} phones ({} W free after {headroom}% headroom)",
                mw(need), d.phones, mw(usable - need)
            ));
            continue;
        }
        let short = need - usable;
        f.message = format!(
            "{label}: {} phones need {} W (+{} W for other devices) but the budget is {budget_w} W, {} W after {headroom}% headroom: short by {} W",
            d.phones,
            mw(d.planned_mw),
            mw(d.other_mw),
            mw(usable),
            mw(short)
        );
        let member = m.stack_member.unwrap_or(m.group);
        f = f.fix(format!(
            "! {label} needs {} W more PoE budget. Add or upgrade a power supply in it, or\n\
             ! pool the stack's power (StackPower) so members share their supplies:\n\
             stack-power stack Powerstack-1\n mode power-shared\n\
             stack-power switch {member}\n stack Powerstack-1\n\
             ! or plan fewer phones on its {} user ports (phones.count).",
            mw(short),
            d.user_ports
        ));
        failed.push(f);
    }
    if failed.is_empty() {
        vec![c.pass(a, passed.join("; "))]
    } else {
        failed
    }
}

fn mw(v: u64) -> String {
    watts(v.min(u64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::{PortPoe, TableStatus};

    #[test]
    fn enough_budget() {
        // 48 x 7 W = 336 W of 740 W.
        let f = check(Check::PoeBudget, &ready(), &plan(), &["pass blocker -"]);
        assert!(
            f[0].message.contains("336 W of 740 W for 48 phones"),
            "{}",
            f[0].message
        );
        let (snap, plan) = (ready(), plan());
        let b = budgets(&snap, &plan, &ports::user_ports(&snap, &plan));
        assert_eq!((b[0].budget_w, b[0].planned_w), (740, 336));
    }

    #[test]
    fn class_4_phones_on_a_stack_member_with_a_small_supply() {
        let mut s = stack(3, 48, 1100);
        s.poe.modules[1].budget_w = Some(715);
        let mut p = plan();
        p.phone_budget_mw = 30_000;
        // 48 x 30 W = 1440 W: every member is short with 10% headroom (990 W, 643.5 W).
        let f = check(
            Check::PoeBudget,
            &s,
            &p,
            &["fail blocker -", "fail blocker -", "fail blocker -"],
        );
        assert!(f[1].message.contains("stack member 2"), "{}", f[1].message);
        assert!(
            f[1].message.contains("short by 796.5 W"),
            "{}",
            f[1].message
        );
        // 20 phones (class 4) over the stack: 7/7/6 -> 210 W, fits everywhere.
        p.phone_count = Some(20);
        check(Check::PoeBudget, &s, &p, &["pass blocker -"]);
        // 60 phones: 20 each, 600 W; member 2's 715 W leaves 643.5 W: fits; 66 -> 22 each, 660 W: short.
        p.phone_count = Some(66);
        let f = check(Check::PoeBudget, &s, &p, &["fail blocker -"]);
        assert!(
            f[0].message.starts_with("stack member 2"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn other_powered_devices_count() {
        let mut s = ready();
        // An access point on the second trunk reserves 600 W (absurd, but clear).
        port(&mut s, "Te1/1/2").poe = Some(PortPoe {
            group: 1,
            port: 99,
            allocated_mw: Some(600_000),
            ..PortPoe::default()
        });
        let f = check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
        assert!(
            f[0].message.contains("+600 W for other devices"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn no_poe_unknown_budget_and_fault() {
        let mut s = ready();
        s.poe.modules.clear();
        s.tables
            .insert("pethMainPseTable".into(), TableStatus::Absent);
        check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
        s.tables.insert(
            "pethMainPseTable".into(),
            TableStatus::Error {
                reason: "timeout".into(),
            },
        );
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
        let mut p = plan();
        p.poe_required = false;
        check(Check::PoeBudget, &s, &p, &["pass blocker -"]);

        let mut s = ready();
        s.poe.modules[0].budget_w = None;
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
        s.poe.modules[0].oper_status = Some("faulty".into());
        check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
    }

    #[test]
    fn budget_from_the_stack_table_when_the_pse_has_none() {
        let mut s = stack(2, 24, 0);
        for m in &mut s.poe.modules {
            m.budget_w = None;
        }
        s.stack[0].power_budget_w = Some(500);
        s.stack[1].power_budget_w = Some(100);
        // 24 x 7 = 168 W: member 1 fits, member 2 (90 W usable) does not.
        let f = check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.object == "cswSwitchPowerBudget.2000"),
            "{f:#?}"
        );
    }
}
