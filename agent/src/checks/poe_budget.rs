//! `poe.budget`: each PoE pool can power the planned phones at their class's PSE power,
//! plus what other powered devices on it are allocated now, and keep the plan's headroom.
//!
//! The power model (docs/checks.md): a pool is a stack member's PSE, a StackPower power
//! stack, a chassis's common pool (one budget, however many PSE rows repeat it), or a
//! module; its budget is counted once. Every planned phone is placed on a pool: by its
//! socket's PoE row, else by ENTITY-MIB containment; phones that cannot be placed make the
//! check unknown with their number, never a pass. A 6500's chassis power
//! (cefcFRUPowerSupplyGroupTable) must cover what its modules' phones add.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, PoeBudget, PoePool, Status};

use super::{Check, Ctx, FindingExt};
use crate::plan::{share, watts};

/// What one pool must power.
#[derive(Debug)]
struct Demand<'a> {
    pool: &'a PoePool,
    /// Sockets placed on it.
    sockets: u32,
    phones: u32,
    planned_mw: u64,
    /// Allocated now to devices on ports that are not sockets (access points, cameras),
    /// milliwatts.
    other_mw: u64,
}

/// The switch's planned phones: its share, or one on every socket.
fn planned_phones(c: &Ctx<'_>) -> u32 {
    c.plan.phone_count.unwrap_or(c.users.len() as u32)
}

/// Demands per pool, and how many planned phones no pool could be found for.
fn demands<'a>(c: &'a Ctx<'a>) -> (Vec<Demand<'a>>, u32, u32) {
    let pools = &c.snap.poe.pools;
    let per_pool: Vec<u32> = pools
        .iter()
        .map(|p| {
            c.users
                .iter()
                .filter(|i| i.poe_pool.as_ref().is_some_and(|x| x.pool == p.id))
                .count() as u32
        })
        .collect();
    let placed: u32 = per_pool.iter().sum();
    let unplaced_sockets = c.users.len() as u32 - placed;
    let total = planned_phones(c);
    // Phones share the sockets: those on unplaced sockets cannot be placed.
    let mut weights = per_pool.clone();
    weights.push(unplaced_sockets);
    let shares = if weights.iter().all(|&w| w == 0) {
        vec![0; weights.len()]
    } else {
        share(total, &weights)
    };
    let unplaced_phones = *shares.last().unwrap_or(&0);
    let each = u64::from(c.plan.phones.average_mw.max(1));
    let out = pools
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let other_mw = c
                .snap
                .interfaces
                .iter()
                .zip(&c.roles)
                .filter(|(_, r)| r.role != lanready_schema::PortRole::User)
                .filter(|(i, _)| i.poe_pool.as_ref().is_some_and(|x| x.pool == p.id))
                .filter_map(|(i, _)| i.poe.as_ref())
                .map(|x| u64::from(x.allocated_mw.unwrap_or(0)))
                .sum();
            Demand {
                pool: p,
                sockets: per_pool[k],
                phones: shares[k],
                planned_mw: u64::from(shares[k]) * each,
                other_mw,
            }
        })
        .collect();
    (out, unplaced_phones, unplaced_sockets)
}

/// Each pool's budget, use and planned draw, for the report's dashboard bars.
pub fn budgets(c: &Ctx<'_>) -> Vec<PoeBudget> {
    let (ds, unplaced, _) = demands(c);
    let headroom = u64::from(c.plan.thresholds.poe_headroom_pct);
    ds.iter()
        .enumerate()
        .map(|(k, d)| PoeBudget {
            other_w: (d.other_mw / 1000) as u32,
            // The same arithmetic as `evaluate`, rounded up to whole watts.
            short_w: pool_budget_w(c, d.pool).map(|(w, _)| {
                let usable = u64::from(w) * 1000 * (100 - headroom) / 100;
                (d.planned_mw + d.other_mw)
                    .saturating_sub(usable)
                    .div_ceil(1000) as u32
            }),
            group: d.pool.groups.first().copied().unwrap_or(0),
            stack_member: (d.pool.members.len() == 1).then(|| d.pool.members[0]),
            budget_w: d.pool.budget_w.unwrap_or(0),
            consumed_w: d.pool.consumed_w.unwrap_or(0),
            planned_w: (d.planned_mw / 1000) as u32,
            pool: Some(d.pool.id.clone()),
            groups: d.pool.groups.clone(),
            allocated_w: d.pool.allocated_mw.map(|m| (m / 1000) as u32),
            unplaced_phones: if k == 0 { unplaced } else { 0 },
        })
        .collect()
}

fn label(p: &PoePool) -> String {
    let name = p
        .name
        .as_deref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    match p.kind.as_str() {
        "member" => format!(
            "stack member {} (PSE {})",
            p.members.first().copied().unwrap_or(0),
            p.groups[0]
        ),
        "stack_power" => format!("power stack{name} (members {})", join(&p.members)),
        "common_pool" => format!("common power pool{name} (PSE groups {})", join(&p.groups)),
        _ => format!(
            "PSE {}{}",
            p.groups[0],
            if p.line_cards.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.line_cards.join(", "))
            }
        ),
    }
}

fn join(v: &[u32]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn mw(v: u64) -> String {
    watts(v.min(u64::from(u32::MAX)) as u32)
}

/// What to do about a short or missing budget, by how the switch is built.
fn short_fix(c: &Ctx<'_>, p: &PoePool, short_mw: u64, sockets: u32) -> String {
    let pf = &c.snap.platform;
    match p.kind.as_str() {
        "common_pool" => format!(
            "! {} needs {} W more PoE budget: add a power supply to the chassis (or a larger one),\n\
             ! or move sockets to another chassis's line cards. No configuration adds power.",
            label(p),
            mw(short_mw)
        ),
        "stack_power" => format!(
            "! {} needs {} W more: add or upgrade a power supply in one of its members.",
            label(p),
            mw(short_mw)
        ),
        "module" => format!(
            "! {} needs {} W more PoE budget: add chassis power supplies or move sockets to another\n\
             ! PoE line card.",
            label(p),
            mw(short_mw)
        ),
        _ => {
            let member = p.members.first().copied().unwrap_or(1);
            let mut s = format!(
                "! {} needs {} W more PoE budget: add or upgrade a power supply in it",
                label(p),
                mw(short_mw)
            );
            if crate::remediation::has_stack_power(pf) && c.snap.stack.len() > 1 {
                s.push_str(&format!(
                    ", or pool the stack's\n! power with StackPower (cables between the members, then):\n\
                     stack-power stack Powerstack-1\n mode power-shared\n\
                     stack-power switch {member}\n stack Powerstack-1"
                ));
            } else {
                s.push('.');
            }
            s.push_str(&format!(
                "\n! Or plan fewer phones on its {sockets} sockets (phones.count)."
            ));
            s
        }
    }
}

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PoeBudget;
    let a = c.addr();
    let snap = c.snap;
    if let Some(f) = c.poe_not_judged(k) {
        return f;
    }
    if snap.poe.pools.is_empty() {
        return no_pse(c, k);
    }
    let headroom = u64::from(c.plan.thresholds.poe_headroom_pct);
    let (ds, unplaced, unplaced_sockets) = demands(c);
    let mut failed = Vec::new();
    let mut passed = Vec::new();
    let plan_ev = |d: &Demand<'_>| {
        ev::note(
            "plan.phones",
            format!(
                "{} phones x {} W = {} W ({})",
                d.phones,
                watts(c.plan.phones.average_mw),
                mw(d.planned_mw),
                if c.plan.phones.labels.is_empty() {
                    "the plan's class".to_string()
                } else {
                    c.plan.phones.labels.join(", ")
                }
            ),
        )
    };
    for d in &ds {
        let p = d.pool;
        let lbl = label(p);
        let mut f = k.fail(a, None, String::new());
        for g in &p.groups {
            if let Some(st) = snap
                .poe
                .modules
                .iter()
                .find(|m| m.group == *g)
                .and_then(|m| m.oper_status.as_ref())
            {
                f = f.ev(ev::read(
                    "pethMainPseOperStatus",
                    g,
                    lanready_mibs::decode::poe::PseOperStatus::raw(st),
                    None,
                ));
            }
        }
        let budget = pool_budget_w(c, p);
        if let Some((w, source)) = &budget {
            if source.contains(" + ") {
                f = f.ev(ev::note("computed: budget", format!("{w} W ({source})")));
            } else {
                let object = source.split(' ').next().unwrap_or(source);
                let rest = source.strip_prefix(object).unwrap_or("").trim();
                let meaning = if rest.is_empty() {
                    "W".to_string()
                } else {
                    format!("W, {}", rest.trim_matches(|c| c == '(' || c == ')'))
                };
                f = f.evidence(object, format!("{w} ({meaning})"));
            }
        }
        if let Some(alloc) = p.allocated_mw {
            let first = snap.poe.modules.iter().find(|m| m.group == p.groups[0]);
            if first.and_then(|m| m.used_mw).map(u64::from) == Some(alloc) {
                f = f.ev(ev::read(
                    "cpeExtMainPseUsedPower",
                    p.groups[0],
                    alloc,
                    Some(if p.groups.len() > 1 {
                        "mW allocated now, the pool's figure: counted once"
                    } else {
                        "mW allocated now"
                    }),
                ));
            } else {
                f = f.ev(ev::note(
                    "computed: allocated now",
                    format!(
                        "{alloc} mW (cpeExtMainPseUsedPower of PSE groups {} summed)",
                        join(&p.groups)
                    ),
                ));
            }
        }
        f = f
            .ev(plan_ev(d))
            .ev(ev::note(
                "other powered devices (cpeExtPsePortPwrAllocated on ports that are not sockets)",
                format!("{} W", mw(d.other_mw)),
            ))
            .ev(ev::note("plan.poe_headroom_pct", format!("{headroom}%")));
        let faulty = p.groups.iter().any(|g| {
            snap.poe
                .modules
                .iter()
                .any(|m| m.group == *g && m.oper_status.as_deref() == Some("faulty"))
        });
        if faulty {
            f.message = format!("{lbl}: a PSE reports a fault (pethMainPseOperStatus faulty)");
            f = f.fix(format!("! {lbl}: check the power supplies (`show power inline`, `show environment power`)\n! and replace a failed supply; the PSE cannot power phones until then."));
            failed.push(f);
            continue;
        }
        let Some((budget_w, _)) = budget else {
            f.status = Status::Unknown;
            f.message = format!(
                "{lbl}: the switch does not report its PoE budget: verify with `show power inline`"
            );
            f.remediation = None;
            failed.push(f);
            continue;
        };
        let need = d.planned_mw + d.other_mw;
        let budget_mw = u64::from(budget_w) * 1000;
        let usable = budget_mw * (100 - headroom) / 100;
        if need <= usable {
            passed.push(format!(
                "{lbl}: {} W of {budget_w} W for {} phones on {} sockets ({} W free after {headroom}% headroom)",
                mw(need),
                d.phones,
                d.sockets,
                mw(usable - need)
            ));
            continue;
        }
        let short = need - usable;
        f.message = format!(
            "{lbl}: {} phones need {} W (+{} W allocated to other devices) but the budget is {budget_w} W, {} W after {headroom}% headroom: short by {} W",
            d.phones,
            mw(d.planned_mw),
            mw(d.other_mw),
            mw(usable),
            mw(short)
        );
        f = f.fix(short_fix(c, p, short, d.sockets));
        failed.push(f);
    }
    match chassis_power(c, &ds) {
        Some(Ok(fine)) => passed.push(fine),
        Some(Err(f)) => failed.push(f),
        None => {}
    }
    if unplaced > 0 {
        let names: Vec<&str> = c
            .users
            .iter()
            .filter(|i| i.poe_pool.is_none())
            .map(|i| i.name.as_str())
            .collect();
        failed.push(
            k.unknown(
                a,
                format!(
                    "{unplaced} planned phones on {unplaced_sockets} sockets could not be placed on a PoE pool (no per-port PoE row and no ENTITY-MIB path from the port to a pool): {}; verify with `show power inline`",
                    super::compact_ports(&names)
                ),
            )
            .evidence("pethPsePortTable", c.table_text("pethPsePortTable"))
            .evidence("entAliasMappingTable", c.table_text("entAliasMappingTable")),
        );
    }
    if failed.is_empty() {
        vec![k.pass(a, passed.join("; "))]
    } else {
        failed
    }
}

/// A pool's budget, watts, and the object it comes from: pethMainPsePower, else for a
/// member pool the member's cswSwitchPowerBudget.
fn pool_budget_w(c: &Ctx<'_>, p: &PoePool) -> Option<(u32, String)> {
    p.budget_w
        .map(|w| (w, p.budget_source.clone().unwrap_or_default()))
        .or_else(|| {
            let n = (p.kind == "member")
                .then(|| p.members.first().copied())
                .flatten()?;
            let m = c.snap.stack.iter().find(|s| s.number == n)?;
            m.power_budget_w
                .filter(|&w| w > 0)
                .map(|w| (w, format!("cswSwitchPowerBudget.{}", m.ent_physical_index)))
        })
}

/// A 6500-style chassis: its power supplies' total must cover what is drawn plus what the
/// planned phones add beyond today's inline draw. Ok: the words for the pass message; Err:
/// the finding (short, or units unreadable); None: no chassis power was read.
fn chassis_power(c: &Ctx<'_>, ds: &[Demand<'_>]) -> Option<Result<String, Finding>> {
    let k = Check::PoeBudget;
    let cp = c.snap.poe.chassis_power.as_ref()?;
    let (Some(avail), Some(drawn)) = (cp.available, cp.drawn) else {
        return None;
    };
    let units = cp.units.as_deref().unwrap_or("?");
    let mut f = k
        .fail(c.addr(), None, String::new())
        .ev(ev::text("cefcPowerUnits", cp.index, units))
        .ev(ev::read("cefcTotalAvailableCurrent", cp.index, avail, None))
        .ev(ev::read("cefcTotalDrawnCurrent", cp.index, drawn, None));
    if let Some(i) = cp.drawn_inline {
        f = f.ev(ev::read("cefcTotalDrawnInlineCurrent", cp.index, i, None));
    }
    let Some(wpu) = cp.watts_per_unit else {
        f.status = Status::Unknown;
        f.message = format!(
            "the chassis power is reported in units lanready cannot read ({units:?}): verify with `show power`"
        );
        return Some(Err(f));
    };
    let to_mw = |x: i64| (x.max(0) as f64 * wpu * 1000.0) as u64;
    let planned: u64 = ds.iter().map(|d| d.planned_mw).sum();
    let inline_now = cp.drawn_inline.map(to_mw).unwrap_or(0);
    let extra = planned.saturating_sub(inline_now);
    let headroom = u64::from(c.plan.thresholds.poe_headroom_pct);
    let usable = to_mw(avail) * (100 - headroom) / 100;
    let need = to_mw(drawn) + extra;
    if need <= usable {
        return Some(Ok(format!(
            "chassis power: the supplies give {} W, {} W are drawn now and the planned phones add {} W ({} W free after {headroom}% headroom)",
            whole_w(to_mw(avail)),
            whole_w(to_mw(drawn)),
            whole_w(extra),
            whole_w(usable - need)
        )));
    }
    f.message = format!(
        "chassis power: the supplies give {} W ({} x {wpu} W), {} W are drawn now and the planned phones add {} W beyond today's inline draw: short by {} W after {headroom}% headroom",
        whole_w(to_mw(avail)),
        avail,
        whole_w(to_mw(drawn)),
        whole_w(extra),
        whole_w(need - usable)
    );
    Some(Err(f.fix("! The chassis's power supplies cannot carry the planned phones: fit larger or more\n! power supplies (`show power` lists them), or move sockets to another chassis.")))
}

/// Milliwatts as whole watts (chassis power comes from current units times a voltage: its
/// fractions of a watt mean nothing).
fn whole_w(mw: u64) -> String {
    format!("{}", (mw + 500) / 1000)
}

/// No PSE row at all: no PoE hardware (a fail), PoE hardware whose MIBs were not readable
/// (unknown), or an unreadable table (unknown).
pub(crate) fn no_pse(c: &Ctx<'_>, k: Check) -> Vec<Finding> {
    let a = c.addr();
    let snap = c.snap;
    let hw = &snap.poe.hardware;
    let cdp_power = snap
        .neighbours
        .iter()
        .filter(|n| n.power_mw.is_some())
        .count();
    if c.table("pethMainPseTable").is_none() {
        return vec![k.unknown(a, "the PoE tables could not be read (pethMainPseTable): verify with `show power inline`")
            .evidence("pethMainPseTable", c.table_text("pethMainPseTable"))];
    }
    if hw.is_empty() && cdp_power == 0 && c.table("entPhysicalTable") != Some(true) {
        return vec![k.unknown(
            a,
            "neither POWER-ETHERNET-MIB nor ENTITY-MIB answered, so whether the switch has PoE is unknown: verify with `show power inline`",
        )
        .evidence("pethMainPseTable", c.table_text("pethMainPseTable"))
        .evidence("entPhysicalTable", c.table_text("entPhysicalTable"))];
    }
    if !hw.is_empty() || cdp_power > 0 {
        let why = if hw.is_empty() {
            format!("{cdp_power} CDP neighbours draw power from it")
        } else {
            format!("ENTITY-MIB shows PoE hardware ({})", hw.join(", "))
        };
        return vec![k.unknown(
            a,
            format!(
                "{why}, but POWER-ETHERNET-MIB was not readable (absent from the walk: an SNMP view?): {}, verify with `show power inline`",
                if k == Check::PoePort {
                    "each socket's PoE state is unknown"
                } else {
                    "the PoE budget is unknown"
                }
            ),
        )
        .evidence("pethMainPseTable", c.table_text("pethMainPseTable"))
        .evidence("cpeExtMainPseTable", c.table_text("cpeExtMainPseTable"))];
    }
    let pf = &snap.platform;
    let fix = if pf.modular {
        "! This chassis has no PoE line card: fit a PoE line card for the sockets (and the\n! power supplies it needs), or power the phones locally (phones.poe = false)."
    } else if snap.stack.len() > 1 {
        "! No member of this stack has PoE: replace the members that carry sockets with PoE\n! models, or power the phones locally (phones.poe = false)."
    } else {
        "! No configuration gives PoE to a switch without it: replace it with a PoE model,\n! or power the phones locally and set `poe = false` under [sites.phones]."
    };
    vec![k
        .fail(a, None, format!(
            "the switch has no PoE: no PSE in POWER-ETHERNET-MIB and no PoE hardware in ENTITY-MIB ({}), so no socket can power a phone",
            pf.model.as_deref().unwrap_or("model unknown")
        ))
        .evidence("pethMainPseTable", c.table_text("pethMainPseTable"))
        .evidence("entPhysicalTable", format!("{}; no PoE model among its chassis and modules", c.table_text("entPhysicalTable")))
        .fix(fix)]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::{PoolPlacement, PortPoe, TableStatus};

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
        let b = budgets(&Ctx::new(&snap, &plan));
        assert_eq!((b[0].budget_w, b[0].planned_w), (740, 336));
    }

    #[test]
    fn class_4_phones_on_a_stack_member_with_a_small_supply() {
        let mut s = stack(3, 48, 1100);
        s.poe.pools[1].budget_w = Some(715);
        let mut p = plan();
        p.phone_budget_mw = 30_000;
        p.phones.average_mw = 30_000;
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
        p.phone_count = Some(20);
        check(Check::PoeBudget, &s, &p, &["pass blocker -"]);
        p.phone_count = Some(66);
        let f = check(Check::PoeBudget, &s, &p, &["fail blocker -"]);
        assert!(
            f[0].message.starts_with("stack member 2"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_common_pool_is_counted_once_and_unplaced_phones_are_unknown() {
        // Three PSE rows of one 2425 W pool: one budget, not 7275 W.
        let mut s = stack(1, 48, 2425);
        s.poe.pools[0].kind = "common_pool".into();
        s.poe.pools[0].groups = vec![1, 5, 6];
        s.poe.pools[0].name = Some("PoE Common Power Pool 1".into());
        let mut p = plan();
        p.phones.average_mw = 60_000;
        p.phone_budget_mw = 60_000;
        let f = check(Check::PoeBudget, &s, &p, &["fail blocker -"]);
        assert!(
            f[0].message.contains("budget is 2425 W"),
            "{}",
            f[0].message
        );
        // Sockets with no pool: never a pass.
        let mut s = stack(1, 48, 740);
        for i in &mut s.interfaces {
            i.poe_pool = None;
            i.poe = None;
        }
        let f = check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
        assert!(
            f[0].message.starts_with("48 planned phones on 48 sockets"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn other_powered_devices_count() {
        let mut s = ready();
        let t = port(&mut s, "Te1/1/2");
        t.poe = Some(PortPoe {
            group: 1,
            port: 99,
            allocated_mw: Some(600_000),
            ..PortPoe::default()
        });
        t.poe_pool = Some(PoolPlacement {
            pool: "member-1".into(),
            by: "pethPsePortTable".into(),
        });
        let f = check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
        assert!(
            f[0].message.contains("+600 W allocated to other devices"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn no_poe_hidden_poe_unknown_budget_and_fault() {
        let mut s = ready();
        s.poe.modules.clear();
        s.poe.pools.clear();
        s.tables
            .insert("pethMainPseTable".into(), TableStatus::Absent);
        s.platform.model = Some("C9300-48T".into());
        s.poe.hardware.clear();
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
        s.tables
            .insert("entPhysicalTable".into(), TableStatus::Present { rows: 60 });
        check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
        // PoE hardware that the PoE MIB does not show: unknown, not "no PoE".
        s.poe.hardware = vec!["C9300-48P".into()];
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
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
        s.poe.pools[0].budget_w = None;
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
        s.poe.modules[0].oper_status = Some("faulty".into());
        check(Check::PoeBudget, &s, &plan(), &["fail blocker -"]);
    }

    #[test]
    fn a_switch_without_sockets_is_not_applicable() {
        let mut s = ready();
        s.interfaces.retain(|i| i.name.starts_with("Te"));
        s.tables
            .insert("ifTable".into(), TableStatus::Present { rows: 2 });
        check(Check::PoeBudget, &s, &plan(), &["not_applicable blocker -"]);
        s.tables.insert(
            "ifTable".into(),
            TableStatus::Error {
                reason: "timeout".into(),
            },
        );
        check(Check::PoeBudget, &s, &plan(), &["unknown blocker -"]);
    }
}
