//! The bill of works of one report ([`bill`]) and of an estate ([`estate`]): hardware lines
//! from the PoE and power findings and the switches' pools and supplies as read, the
//! configuration per switch from the merged fix configuration, and what to verify by hand.

use std::collections::BTreeMap;

use lanready_schema::works::*;
use lanready_schema::{Evidence, Finding, PortRole, Report, Severity, Status, SwitchResult};

use crate::config;
use crate::render::count;
use crate::supplies;

/// Sockets per PoE line card when the card must be chosen: the 48-port cards the Catalyst
/// 9400, 4500E and 6500 PoE line cards come as.
const PORTS_PER_LINE_CARD: u32 = 48;

pub fn bill(report: &Report) -> Works {
    let mut hardware = Vec::new();
    for sw in &report.switches {
        hardware.extend(hardware_of(report, sw));
    }
    let configuration: Vec<SwitchWork> = config::switches(report)
        .into_iter()
        .filter_map(|s| configuration_of(report, s, &hardware))
        .collect();
    let verify = verify_of(report);
    let totals = totals(report, &hardware, &configuration, &verify);
    Works {
        schema: WORKS_SCHEMA.into(),
        site: report.site.clone(),
        report_id: report.id.clone(),
        generated_at: report.generated_at.clone(),
        poe_headroom_pct: report.plan.poe_headroom_pct,
        hardware,
        configuration,
        verify,
        totals,
    }
}

/// The estate: each site's totals (sites by name) and their sum.
pub fn estate(as_of: &str, sites: Vec<SiteWorks>) -> EstateWorks {
    let mut sites = sites;
    sites.sort_by(|a, b| a.site.cmp(&b.site));
    let mut totals = WorksTotals::default();
    for s in &sites {
        totals.add(&s.totals);
    }
    EstateWorks {
        schema: ESTATE_WORKS_SCHEMA.into(),
        as_of: as_of.into(),
        sites,
        totals,
    }
}

/// A site's line in the estate.
pub fn site_line(w: &Works) -> SiteWorks {
    SiteWorks {
        site: w.site.clone(),
        report_id: w.report_id.clone(),
        generated_at: w.generated_at.clone(),
        totals: w.totals.clone(),
    }
}

fn present(sw: &SwitchResult, member: Option<u32>) -> Vec<SupplyPresent> {
    sw.supplies
        .iter()
        .filter(|p| p.state != "notPresent")
        .filter(|p| member.is_none() || p.member == member)
        .map(|p| SupplyPresent {
            model: p.model.clone(),
            rated_w: p.model.as_deref().and_then(supplies::rated_w),
            member: p.member,
            state: p.state.clone(),
            ok: p.ok,
        })
        .collect()
}

fn supply_evidence(sw: &SwitchResult, member: Option<u32>) -> Vec<Evidence> {
    let mut out = Vec::new();
    for p in sw
        .supplies
        .iter()
        .filter(|p| member.is_none() || p.member == member)
    {
        if let Some(m) = &p.model {
            out.push(Evidence {
                object: format!("entPhysicalModelName.{}", p.index),
                value: m.clone(),
            });
        }
        out.push(Evidence {
            object: format!("{}.{}", p.source, p.index),
            value: p.state.clone(),
        });
    }
    out
}

/// The model of the member (or the switch) supplies go into, for its bay count.
fn box_model(sw: &SwitchResult, member: Option<u32>) -> Option<&str> {
    member
        .and_then(|n| sw.members.iter().find(|m| m.number == n))
        .and_then(|m| m.model.as_deref())
        .or(sw.model.as_deref())
}

/// Supply bays where the item goes: the member's, else every member's (a power stack), else
/// the switch's or chassis's.
fn bays_of(sw: &SwitchResult, member: Option<u32>) -> Option<u32> {
    if member.is_none() && sw.members.len() > 1 {
        return sw
            .members
            .iter()
            .map(|m| m.model.as_deref().and_then(supplies::bays))
            .sum();
    }
    box_model(sw, member).and_then(supplies::bays)
}

/// The fewest supplies that could cover a shortfall by rated output, and how.
struct Least {
    /// Supplies of the family's largest part into free bays.
    adds: u32,
    /// Supplies of that part in place of present ones.
    swaps: u32,
    how: String,
}

/// The fewest supplies that could cover `short_w` by rated output (a lower bound: the PoE a
/// supply adds is less than its rating), and how: the family's largest part in the free
/// bays first (never more than there are), then in place of present ones. None when even
/// that cannot.
fn fewest(
    short_w: u32,
    options: &[SupplyOption],
    present: &[SupplyPresent],
    free_bays: Option<u32>,
) -> Option<Least> {
    let now = present.iter().filter_map(|p| p.rated_w).min().unwrap_or(0);
    let (largest, part) = options
        .iter()
        .map(|o| (o.rated_w, o.model.as_str()))
        .max_by_key(|(w, _)| *w)?;
    if largest == 0 {
        return None;
    }
    let free = free_bays.unwrap_or(0);
    let adds = free.min(short_w.div_ceil(largest));
    let left = short_w.saturating_sub(adds * largest);
    let gain = largest.saturating_sub(now);
    let swaps = if left == 0 {
        0
    } else if gain == 0 {
        return None;
    } else {
        left.div_ceil(gain)
    };
    if swaps > present.len() as u32 {
        return None;
    }
    let how = match (adds, swaps) {
        (a, 0) => format!("{a} more {part}"),
        (0, r) => format!("{r} {part} in place of present supplies"),
        (a, r) => format!("{a} more {part} and {r} in place of present supplies"),
    };
    Some(Least { adds, swaps, how })
}

/// Where supplies go, for counting bays: a stack member, or None for a switch that is not
/// a stack (a standalone switch's one member is the switch) or a chassis.
fn slot(sw: &SwitchResult, member: Option<u32>) -> Option<u32> {
    member.filter(|_| sw.members.len() > 1)
}

/// Supplies the bill has already placed in each slot's free bays (by PoE lines), so that
/// the redundancy lines count them and no line asks for a bay that is taken.
#[derive(Default)]
struct Bays {
    filled: BTreeMap<Option<u32>, u32>,
}

impl Bays {
    fn filled(&self, slot: Option<u32>) -> u32 {
        self.filled.get(&slot).copied().unwrap_or(0)
    }

    /// The free bays of one slot: its bays less the supplies present and those placed.
    fn free(&self, sw: &SwitchResult, slot: Option<u32>) -> Option<u32> {
        let fitted = present(sw, slot).len() as u32 + self.filled(slot);
        bays_of(sw, slot).map(|b| b.saturating_sub(fitted))
    }

    /// The free bays where a line's supplies go: its slot's, or across a power stack's
    /// members.
    fn free_for(&self, sw: &SwitchResult, member: Option<u32>) -> Option<u32> {
        if member.is_none() && sw.members.len() > 1 {
            return sw
                .members
                .iter()
                .map(|m| self.free(sw, Some(m.number)))
                .sum();
        }
        self.free(sw, slot(sw, member))
    }

    /// Places `n` supplies for a line at `member` (None on a stack: the power stack's
    /// members, those with fewer than two working supplies first, one each in turn), and
    /// says which slots took them.
    fn place(&mut self, sw: &SwitchResult, member: Option<u32>, n: u32) -> Vec<(Option<u32>, u32)> {
        let mut placed: BTreeMap<Option<u32>, u32> = BTreeMap::new();
        if member.is_none() && sw.members.len() > 1 {
            let mut order: Vec<(bool, u32)> = sw
                .members
                .iter()
                .map(|m| {
                    let working = present(sw, Some(m.number)).iter().filter(|p| p.ok).count();
                    (working >= 2, m.number)
                })
                .collect();
            order.sort();
            let mut left = n;
            while left > 0 {
                let mut any = false;
                for &(_, m) in &order {
                    if left > 0 && self.free(sw, Some(m)).unwrap_or(0) > 0 {
                        *self.filled.entry(Some(m)).or_insert(0) += 1;
                        *placed.entry(Some(m)).or_insert(0) += 1;
                        left -= 1;
                        any = true;
                    }
                }
                if !any {
                    break;
                }
            }
        } else if n > 0 {
            let s = slot(sw, member);
            *self.filled.entry(s).or_insert(0) += n;
            placed.insert(s, n);
        }
        placed.into_iter().collect()
    }
}

/// Working supplies present in a slot.
fn working(sw: &SwitchResult, slot: Option<u32>) -> u32 {
    present(sw, slot).iter().filter(|p| p.ok).count() as u32
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Members (or the switch) by slot: `member 2`, `members 1, 2 and 3`, `the switch`.
fn slots_text(slots: &[(Option<u32>, u32)], counts: bool) -> String {
    let numbered: Vec<String> = slots
        .iter()
        .filter_map(|(s, n)| {
            s.map(|m| {
                if counts && *n > 1 {
                    format!("{m} ({n})")
                } else {
                    m.to_string()
                }
            })
        })
        .collect();
    match numbered.len() {
        0 => "the switch".into(),
        1 => format!("member {}", numbered[0]),
        _ => format!("members {}", and_list(&numbered)),
    }
}

/// Where a PoE line's added supplies go (a stack's members), and the second supply they
/// give where a slot had fewer than two working: those slots get no second_supply line.
fn placed_note(sw: &SwitchResult, placed: &[(Option<u32>, u32)]) -> String {
    let seconds: Vec<(Option<u32>, u32)> = placed
        .iter()
        .filter(|(s, n)| {
            let w = working(sw, *s);
            w < 2 && w + n >= 2
        })
        .copied()
        .collect();
    let stack = placed.iter().any(|(s, _)| s.is_some());
    let gives = "(power.redundancy: no second_supply line for it)";
    match (stack, seconds.is_empty()) {
        (false, true) => String::new(),
        (false, false) => format!("; they also give the switch its second supply {gives}"),
        (true, true) => format!("; they go in the free bays of {}", slots_text(placed, true)),
        (true, false) if seconds.len() == placed.len() => format!(
            "; they go in the free bays of {} and give each its second supply {gives}",
            slots_text(placed, true)
        ),
        (true, false) => format!(
            "; they go in the free bays of {} and give {} its second supply {gives}",
            slots_text(placed, true),
            slots_text(&seconds, false)
        ),
    }
}

fn whose(sw: &SwitchResult, m: Option<u32>) -> String {
    match m {
        Some(n) if sw.members.len() > 1 => format!("stack member {n}"),
        _ => "the switch".into(),
    }
}

/// A second supply of a present part in a free bay, and the larger parts of its family.
fn options(sw: &SwitchResult, member: Option<u32>, present: &[SupplyPresent]) -> Vec<SupplyOption> {
    let mut out = Vec::new();
    let Some(part) = present.iter().find_map(|p| p.model.as_deref()) else {
        return out;
    };
    let bays = bays_of(sw, member);
    let fitted = present.len() as u32;
    if let (Some(b), Some(w)) = (bays, supplies::rated_w(part))
        && fitted < b
    {
        out.push(SupplyOption {
            action: "add".into(),
            model: part.to_string(),
            rated_w: w,
        });
    }
    for (m, w) in supplies::larger(part) {
        out.push(SupplyOption {
            action: "replace".into(),
            model: m.into(),
            rated_w: w,
        });
    }
    out
}

fn line(sw: &SwitchResult, item: &str, f: &Finding) -> HardwareLine {
    HardwareLine {
        switch: sw.address.clone(),
        switch_name: sw.name.clone(),
        model: sw.model.clone(),
        item: item.into(),
        pool: None,
        member: None,
        quantity: None,
        short_w: None,
        sockets: None,
        supplies_present: vec![],
        options: vec![],
        reason: String::new(),
        check: f.check.clone(),
        evidence: f.evidence.clone(),
    }
}

/// The sockets on each stack member, from the user ports' names (`Gi2/0/7` is member 2).
fn sockets_per_member(sw: &SwitchResult) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for g in sw.roles.iter().filter(|g| g.role == PortRole::User) {
        for p in &g.ports {
            let digits: String = p
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if p.matches('/').count() == 2
                && let Ok(n) = digits.parse::<u32>()
            {
                *out.entry(n).or_insert(0) += 1;
            }
        }
    }
    out
}

fn hardware_of(report: &Report, sw: &SwitchResult) -> Vec<HardwareLine> {
    let mut out = Vec::new();
    if !sw.reachable {
        return out;
    }
    let on = |check: &'static str| {
        report
            .findings
            .iter()
            .filter(move |f| f.switch == sw.address && f.check == check && f.status == Status::Fail)
    };
    let modular = sw.platform.as_ref().is_some_and(|p| p.modular);
    let stacked = sw.members.len() > 1;
    let mut bays = Bays::default();
    // Slots a poe_switch line replaces: no supply is bought for them.
    let mut replaced: Vec<Option<u32>> = Vec::new();
    let unredundant = |slot: Option<u32>| {
        let info = on("power.redundancy").any(|f| f.severity == Severity::Info);
        if info && working(sw, slot) < 2 {
            "; it has no redundant supply either (power.redundancy): order the replacement with two supplies where the model takes them"
        } else {
            ""
        }
    };
    for f in on("poe.budget") {
        if sw.poe.is_empty() && f.message.starts_with("the switch has no PoE") {
            // No PSE at all: PoE line cards in a chassis, else PoE switches.
            if modular {
                let mut l = line(sw, "poe_line_card", f);
                l.sockets = Some(sw.user_ports);
                l.quantity = Some(sw.user_ports.div_ceil(PORTS_PER_LINE_CARD));
                l.reason = format!(
                    "no PoE line card in the chassis ({}) for its {} sockets: {} of the chassis's family, and the power supplies they need (the chassis's PoE budget comes from its supplies)",
                    sw.model.as_deref().unwrap_or("model unknown"),
                    sw.user_ports,
                    count(
                        sw.user_ports.div_ceil(PORTS_PER_LINE_CARD),
                        "48-port PoE line card",
                        "48-port PoE line cards"
                    )
                );
                l.supplies_present = present(sw, None);
                out.push(l);
            } else if stacked {
                for (member, sockets) in sockets_per_member(sw) {
                    let mut l = line(sw, "poe_switch", f);
                    l.member = Some(member);
                    l.sockets = Some(sockets);
                    l.quantity = Some(1);
                    let model = box_model(sw, Some(member)).unwrap_or("model unknown");
                    l.reason = format!(
                        "stack member {member} ({model}) has no PoE and carries {sockets} sockets: replace it with a PoE model of its family{}",
                        unredundant(Some(member))
                    );
                    replaced.push(Some(member));
                    out.push(l);
                }
            } else {
                let mut l = line(sw, "poe_switch", f);
                l.sockets = Some(sw.user_ports);
                l.quantity = Some(1);
                l.reason = format!(
                    "a fixed switch without PoE ({}) serving {} sockets: replace it with a PoE model (no configuration or supply adds PoE to it){}",
                    sw.model.as_deref().unwrap_or("model unknown"),
                    sw.user_ports,
                    unredundant(None)
                );
                replaced.push(None);
                out.push(l);
            }
            continue;
        }
        if f.message.starts_with("chassis power") {
            let mut l = line(sw, "chassis_power", f);
            l.supplies_present = present(sw, None);
            l.options = options(sw, None, &l.supplies_present);
            l.quantity = (!l.options.is_empty()).then_some(1);
            l.reason = format!("{}: fit a larger or a further supply", f.message);
            l.evidence.extend(supply_evidence(sw, None));
            out.push(l);
        }
    }
    // Pools short of budget, from the switch's pools (the same figures as the findings).
    let pool_findings: Vec<&Finding> = on("poe.budget")
        .filter(|f| {
            !f.message.starts_with("chassis power")
                && !f.message.starts_with("the switch has no PoE")
        })
        .collect();
    let short_finding = pool_findings.first().copied();
    for bar in sw.poe.iter().filter(|b| b.short_w.unwrap_or(0) > 0) {
        let kind = bar.pool.as_deref().unwrap_or("");
        let member = bar.stack_member.filter(|_| kind.starts_with("member-"));
        // The pool's own finding: a member's names it first.
        let own = member.and_then(|n| {
            pool_findings
                .iter()
                .copied()
                .find(|f| f.message.starts_with(&format!("stack member {n} (")))
        });
        let Some(f) = own.or(short_finding) else {
            break;
        };
        let mut l = line(sw, "poe_power", f);
        l.pool = bar.pool.clone();
        l.member = member;
        l.short_w = bar.short_w;
        l.supplies_present = present(sw, member);
        l.options = options(sw, member, &l.supplies_present);
        let fixed =
            !l.supplies_present.is_empty() && l.supplies_present.iter().all(|p| p.model.is_none());
        let free = bays.free_for(sw, member);
        let short = bar.short_w.unwrap_or(0);
        let least = fewest(short, &l.options, &l.supplies_present, free);
        l.quantity = least.as_ref().map(|le| le.adds + le.swaps);
        let placed = least
            .as_ref()
            .map(|le| bays.place(sw, member, le.adds))
            .unwrap_or_default();
        let placed_note = placed_note(sw, &placed);
        let failed_note = if l.supplies_present.iter().any(|p| !p.ok) {
            "; one of them has failed (see its failed_supply line): the budget may return when it is replaced"
        } else {
            ""
        };
        let had = l
            .supplies_present
            .iter()
            .map(|p| match (&p.model, p.rated_w) {
                (Some(m), Some(w)) => format!("{m} ({w} W)"),
                (Some(m), None) => m.clone(),
                (None, _) => "a fixed supply".into(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let where_ = match (member, kind) {
            (Some(_), _) => whose(sw, member),
            (None, k) if k.starts_with("stackpower-") => format!("power stack {k}"),
            (None, k) => format!("PoE pool {k}"),
        };
        let head = format!(
            "{where_} is {short} W short at {}% headroom ({} W budget, {} W planned, {} W to other devices)",
            report.plan.poe_headroom_pct, bar.budget_w, bar.planned_w, bar.other_w
        );
        l.reason = if fixed {
            format!(
                "{head}; its supply is fixed: no supply can be added, so replace it with a model with a larger PoE budget or plan fewer phones"
            )
        } else if l.options.is_empty() {
            let had = if had.is_empty() {
                "none read".into()
            } else {
                had
            };
            format!(
                "{head}; supplies present: {had}{failed_note}; lanready knows no larger or further supply for it: verify the options with `show environment power` and the data sheet"
            )
        } else if let Some(Least { how, .. }) = &least {
            format!(
                "{head}; supplies present: {had}{failed_note}; at least {how}, by rated output: the PoE a supply adds is less than its rating, so check the data sheet's PoE figure against the shortfall{placed_note}"
            )
        } else {
            format!(
                "{head}; supplies present: {had}{failed_note}; even its free bays and the family's largest supplies cannot cover that by rated output: move sockets to another switch or plan fewer phones"
            )
        };
        l.evidence.extend(supply_evidence(sw, member));
        out.push(l);
    }
    // StackPower: a stack whose members keep their own budgets while one is short.
    let stack_power_capable = sw
        .platform
        .as_ref()
        .is_some_and(crate::remediation::has_stack_power);
    let pooled = sw.poe.iter().any(|b| {
        b.pool
            .as_deref()
            .is_some_and(|p| p.starts_with("stackpower-"))
    });
    let member_short = sw.poe.iter().any(|b| {
        b.short_w.unwrap_or(0) > 0 && b.pool.as_deref().is_some_and(|p| p.starts_with("member-"))
    });
    if stacked
        && stack_power_capable
        && !pooled
        && member_short
        && let Some(f) = short_finding
    {
        let spare: i64 = sw
            .poe
            .iter()
            .map(|b| {
                i64::from(b.budget_w) * i64::from(100 - report.plan.poe_headroom_pct) / 100
                    - i64::from(b.planned_w)
                    - i64::from(b.other_w)
            })
            .sum();
        let mut l = line(sw, "stack_power", f);
        l.quantity = Some(sw.members.len() as u32);
        l.reason = format!(
            "the stack's {} members keep their own PoE budgets while one is short; StackPower cables (one per member, a ring) would pool them: the members' budgets together {} at {}% headroom",
            sw.members.len(),
            if spare >= 0 {
                format!("leave {spare} W spare")
            } else {
                format!("are still {} W short", -spare)
            },
            report.plan.poe_headroom_pct
        );
        out.push(l);
    }
    for f in on("power.redundancy") {
        if f.severity == Severity::Info {
            // No redundant supply: one per member with fewer than two working supplies,
            // counting those a PoE line already puts in its free bays, never more than
            // its free bays take, and none for a switch or member the bill replaces.
            let members: Vec<Option<u32>> = if stacked {
                sw.members.iter().map(|m| Some(m.number)).collect()
            } else {
                vec![None]
            };
            for m in members {
                let here = present(sw, m);
                let placed = bays.filled(m);
                let working = here.iter().filter(|p| p.ok).count() as u32 + placed;
                if working >= 2 || replaced.contains(&m) {
                    continue;
                }
                let need = 2 - working;
                let mut l = line(sw, "second_supply", f);
                l.member = m;
                let part = here.iter().find_map(|p| p.model.clone());
                let taken = if placed > 0 {
                    format!(", {placed} of them taken by the poe_power line's supplies")
                } else {
                    String::new()
                };
                match (part, bays_of(sw, m), bays.free(sw, m)) {
                    (Some(part), Some(b), Some(0)) => {
                        l.reason = format!(
                            "{} has {} ({part}) and no free bay ({b} bays{taken}): redundancy needs a bay freed or StackPower; verify with `show environment power`",
                            whose(sw, m),
                            count(working, "working supply", "working supplies")
                        );
                    }
                    (Some(part), Some(_), Some(free)) => {
                        let n = need.min(free);
                        l.quantity = Some(n);
                        l.options = vec![SupplyOption {
                            action: "add".into(),
                            rated_w: supplies::rated_w(&part).unwrap_or(0),
                            model: part.clone(),
                        }];
                        l.reason = if n == 1 && working == 1 {
                            format!(
                                "{} has one working supply ({part}): a second in its free bay makes its power redundant",
                                whose(sw, m)
                            )
                        } else if n < need {
                            format!(
                                "{} has {} ({part}) and {}{taken}: {n} more is all it takes, one short of redundant power: verify with `show environment power`",
                                whose(sw, m),
                                count(working, "working supply", "working supplies"),
                                count(free, "free bay", "free bays")
                            )
                        } else {
                            format!(
                                "{} has {} ({part}): {n} more in its free bays make its power redundant",
                                whose(sw, m),
                                count(working, "working supply", "working supplies")
                            )
                        };
                        bays.place(sw, m, n);
                    }
                    (None, _, _) if !here.is_empty() => {
                        l.reason = format!(
                            "{} has a fixed supply (ENTITY-MIB gives no part): redundancy needs an external redundant power system where the model takes one; verify with `show environment power`",
                            whose(sw, m)
                        );
                    }
                    _ => {
                        l.reason = format!(
                            "{} has fewer than two working supplies and lanready cannot say what it takes: verify with `show environment power`",
                            whose(sw, m)
                        );
                    }
                }
                l.supplies_present = here;
                l.evidence = supply_evidence(sw, m);
                out.push(l);
            }
        } else {
            // A failed supply: replace it with the same part.
            let failed: Vec<_> = sw
                .supplies
                .iter()
                .filter(|p| !p.ok && p.state != "notPresent")
                .filter(|p| {
                    p.descr.as_deref().is_some_and(|d| f.message.contains(d))
                        || f.message.contains(&p.index.to_string())
                })
                .collect();
            let mut l = line(sw, "failed_supply", f);
            l.quantity = Some(1);
            if let Some(p) = failed.first() {
                l.member = slot(sw, p.member);
                if let Some(m) = &p.model {
                    l.options = vec![SupplyOption {
                        action: "replace".into(),
                        model: m.clone(),
                        rated_w: supplies::rated_w(m).unwrap_or(0),
                    }];
                }
                l.supplies_present = present(sw, p.member);
            }
            l.reason = format!("{}: replace it (or reseat it) before cutover", f.message);
            out.push(l);
        }
    }
    out
}

/// Whether a global block needs a window, and why.
fn global_window(head: &str) -> Option<&'static str> {
    let h = head.trim();
    // Defining a class-map or policy-map changes nothing until a service-policy applies it
    // (on the interface, which is judged by its role); enabling or re-mapping QoS does.
    let qos = ["mls qos", "auto qos", "qos queue", "qos map"];
    if qos.iter().any(|p| h.starts_with(p)) {
        Some("a global QoS change re-programs every port's queues")
    } else if h.starts_with("stack-power") {
        Some("a StackPower change moves power between members")
    } else {
        None
    }
}

/// Whether an interface line changes QoS for the whole switch, and how, on the switch's
/// platform family: the first such line on a switch puts its configuration in a window.
/// Classic IOS (2960, 3560, 3750) and the 6500 keep QoS off until `mls qos` is on
/// globally; auto-QoS turns it on, and `mls qos trust` does nothing without it, and once it
/// is on every port without trust re-marks DSCP to 0. On IOS-XE auto-QoS writes global
/// class-maps and policy-maps (Cisco's auto-QoS configuration guides for the Catalyst 2960,
/// 3750 and 3850/9300 describe both behaviours).
fn switch_wide_qos(family: Option<&str>, line: &str) -> Option<&'static str> {
    let l = line.trim();
    let auto = l.starts_with("auto qos ");
    let trust = l.starts_with("mls qos trust");
    if !auto && !trust {
        return None;
    }
    Some(match (family, auto) {
        (Some("ios") | Some("cat6500"), true) => {
            "on classic IOS auto-QoS turns `mls qos` on for the whole switch, after which every port without trust re-marks DSCP to 0"
        }
        (Some("ios") | Some("cat6500"), false) => {
            "port trust takes effect only with `mls qos` on globally, and with it on every port without trust re-marks DSCP to 0"
        }
        (Some("ios_xe"), _) => {
            "on IOS-XE auto-QoS writes global class-maps and policy-maps (a global QoS change)"
        }
        _ => {
            "a QoS command lanready cannot confine to the port on this platform: treat it as a global QoS change"
        }
    })
}

/// Whether a line on an access port bounces or moves what is attached to it.
fn bounces(line: &str) -> bool {
    let l = line.trim();
    [
        "speed ",
        "duplex ",
        "switchport mode ",
        "shutdown",
        "no shutdown",
        "switchport access vlan ",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// What a switch's configuration is for when the bill replaces the switch or members.
fn replacement_of(hw: &[HardwareLine], switch: &str) -> Option<String> {
    let lines: Vec<&HardwareLine> = hw
        .iter()
        .filter(|h| h.switch == switch && h.item == "poe_switch")
        .collect();
    if lines.is_empty() {
        return None;
    }
    let members: Vec<(Option<u32>, u32)> = lines.iter().map(|h| (h.member, 1)).collect();
    Some(if members.iter().all(|(m, _)| m.is_none()) {
        "the bill replaces this switch (poe_switch): this configuration is for its replacement, to enter when it is installed, not work on the switch as read".into()
    } else {
        format!(
            "the bill replaces stack {} (poe_switch): the lines on {} interfaces are for the replacement, to enter when it is installed",
            slots_text(&members, false),
            if members.len() > 1 { "their" } else { "its" }
        )
    })
}

fn configuration_of(report: &Report, switch: &str, hw: &[HardwareLine]) -> Option<SwitchWork> {
    let text = config::switch_config_by_interface(report, switch)?;
    let sw = report.switches.iter().find(|s| s.address == switch);
    let fixes = config::fixes(report, switch);
    let role_of = |name: &str| {
        sw.and_then(|s| {
            s.roles
                .iter()
                .find(|g| g.ports.iter().any(|p| p == name))
                .map(|g| g.role)
        })
    };
    // What each check's fix writes: only a check with a line of its own in the
    // configuration (not its `interface` head, not a comment) is fixed by it.
    // The configuration's own lines, read the same way (a line the platform does not
    // accept is a comment there, so not written).
    let written = fix_lines(&text);
    let fixed: Vec<(&str, Vec<(&str, &str)>)> = fixes
        .iter()
        .filter_map(|f| {
            let r = f.remediation.as_deref()?;
            if leaves_work_by_hand(r) {
                return None;
            }
            let mine: Vec<(&str, &str)> = fix_lines(r)
                .into_iter()
                .filter(|pair| written.contains(pair))
                .collect();
            (!mine.is_empty()).then_some((f.check.as_str(), mine))
        })
        .collect();
    let checks_of = |head: &str| {
        let mut c: Vec<String> = fixed
            .iter()
            .filter(|(_, mine)| mine.iter().any(|(h, _)| *h == head))
            .map(|(check, _)| check.to_string())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let mut global: Vec<GlobalWork> = Vec::new();
    let mut interfaces: Vec<InterfaceWork> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut not_written = 0u32;
    let mut in_interface = false;
    let family = sw
        .and_then(|s| s.platform.as_ref())
        .map(|p| p.family.as_str());
    // Whether a QoS line has already put the switch in a window.
    let mut qos_window = false;
    for l in text.lines() {
        if l.starts_with("! (not written") {
            not_written += 1;
            continue;
        }
        if l.starts_with('!') || l.trim().is_empty() || l == "end" {
            continue;
        }
        if let Some(name) = l.strip_prefix("interface ") {
            in_interface = true;
            let role = role_of(name);
            interfaces.push(InterfaceWork {
                interface: name.to_string(),
                role,
                lines: 0,
                checks: checks_of(l),
                window: false,
            });
            continue;
        }
        if l.starts_with(' ') {
            if in_interface {
                if let Some(i) = interfaces.last_mut() {
                    i.lines += 1;
                    if !qos_window && let Some(why) = switch_wide_qos(family, l) {
                        qos_window = true;
                        reasons.push(format!(
                            "interface {}: `{}` changes QoS for the whole switch: {why}",
                            i.interface,
                            l.trim()
                        ));
                    }
                    if role_is_access(i.role) && bounces(l) {
                        i.window = true;
                        reasons.push(format!(
                            "interface {}: `{}` drops or moves what is plugged into it",
                            i.interface,
                            l.trim()
                        ));
                    }
                }
            } else if let Some(g) = global.last_mut() {
                g.lines += 1;
            }
            continue;
        }
        in_interface = false;
        let why = global_window(l);
        if let Some(w) = why {
            reasons.push(format!("`{l}`: {w}"));
        }
        global.push(GlobalWork {
            head: l.to_string(),
            lines: 1,
            checks: checks_of(l),
            window: why.is_some(),
        });
    }
    for i in &mut interfaces {
        let why = match i.role {
            Some(PortRole::User) | Some(PortRole::Excluded) => None,
            Some(PortRole::Trunk) => Some("a trunk"),
            Some(PortRole::ChannelMember) => Some("a Port-channel member"),
            Some(PortRole::PortChannel) => Some("a Port-channel"),
            Some(PortRole::Uplink) => Some("an uplink"),
            Some(PortRole::Routed) => Some("a routed port"),
            Some(PortRole::Infrastructure) => Some("faces a switch, router or access point"),
            Some(PortRole::Management) => Some("the management port"),
            Some(PortRole::NotEthernet) => Some("not a switchport"),
            None if i.interface.starts_with("Vlan") => None,
            None => Some("not in the report's port roles"),
        };
        if let Some(w) = why {
            i.window = true;
            reasons.push(format!("interface {} is {w}", i.interface));
        }
    }
    let mut checks: Vec<String> = fixed.iter().map(|(c, _)| c.to_string()).collect();
    checks.sort();
    checks.dedup();
    let lines = global.iter().map(|g| g.lines).sum::<u32>()
        + interfaces.iter().map(|i| i.lines).sum::<u32>();
    if lines == 0 && not_written == 0 {
        return None;
    }
    let window =
        qos_window || global.iter().any(|g| g.window) || interfaces.iter().any(|i| i.window);
    Some(SwitchWork {
        switch: switch.to_string(),
        switch_name: sw.and_then(|s| s.name.clone()),
        model: sw.and_then(|s| s.model.clone()),
        family: sw
            .and_then(|s| s.platform.as_ref())
            .map(|p| p.family.clone()),
        global,
        interfaces,
        lines,
        checks,
        window,
        window_reasons: reasons,
        not_written,
        replacement: replacement_of(hw, switch),
    })
}

/// A fix's configuration lines by the block they are in: `(head, line)` for each line of
/// an `interface` block (the head alone is no line of the fix), and for a global block its
/// head `(head, head)` and each of its lines. Comments are not lines. Read from a
/// switch's configuration, the lines it writes.
fn fix_lines(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut head: Option<&str> = None;
    for l in text.lines() {
        if l.trim().is_empty() || l.starts_with('!') || l == "end" {
            continue;
        }
        if l.starts_with(' ') {
            if let Some(h) = head {
                out.push((h, l));
            }
            continue;
        }
        head = Some(l);
        if !l.starts_with("interface ") {
            out.push((l, l));
        }
    }
    out
}

/// Whether a fix leaves part of itself to a person: a comment that holds a command with a
/// value to fill in (`<data VLAN>`), or says a line is not written. Such a check is not
/// fixed by the configuration even where its other lines are written.
fn leaves_work_by_hand(text: &str) -> bool {
    text.lines().filter(|l| l.starts_with('!')).any(|l| {
        let placeholder = l
            .split('`')
            .skip(1)
            .step_by(2)
            .any(|cmd| cmd.contains('<') && cmd.contains('>'));
        placeholder || l.contains("is not written") || l.contains("(not written")
    })
}

fn role_is_access(r: Option<PortRole>) -> bool {
    matches!(r, Some(PortRole::User))
}

fn verify_of(report: &Report) -> Vec<Verify> {
    let unreachable: Vec<&SwitchResult> = report.switches.iter().filter(|s| !s.reachable).collect();
    let silent = |addr: &str| unreachable.iter().any(|s| s.address == addr);
    let mut out: Vec<Verify> = Vec::new();
    let unknown = || {
        report
            .findings
            .iter()
            .filter(|f| f.status == Status::Unknown && f.severity != Severity::Info)
    };
    for f in unknown().filter(|f| !silent(&f.switch)) {
        match out
            .iter_mut()
            .find(|v| v.switch == f.switch && v.check == f.check)
        {
            Some(v) => v.findings += 1,
            None => out.push(Verify {
                switch: f.switch.clone(),
                check: f.check.clone(),
                findings: 1,
                what: f.message.clone(),
            }),
        }
    }
    // A switch that did not answer: one entry for the switch, not one per check it left
    // unknown (they all say only that it did not answer).
    for sw in unreachable {
        let findings = unknown().filter(|f| f.switch == sw.address).count() as u32;
        let name = sw
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push(Verify {
            switch: sw.address.clone(),
            check: "switch.reachable".into(),
            findings: findings.max(1),
            what: format!(
                "the switch{name} did not answer SNMP, so none of its {findings} other checks could be judged and the bill has nothing for it: first check from the host lanready polls from that the switch answers SNMP there (address, UDP port, community or SNMPv3 credentials, the switch's SNMP ACL) and scan again; else by hand its PoE hardware and budget (`show power inline`), its supplies (`show environment power`) and its ports' configuration (`show running-config`, `show interfaces status`)"
            ),
        });
    }
    out
}

fn totals(
    report: &Report,
    hw: &[HardwareLine],
    cfg: &[SwitchWork],
    verify: &[Verify],
) -> WorksTotals {
    let mut t = WorksTotals {
        switches: report.switches.len() as u32,
        ..Default::default()
    };
    let mut touched: Vec<&str> = hw.iter().map(|h| h.switch.as_str()).collect();
    touched.extend(cfg.iter().map(|c| c.switch.as_str()));
    touched.sort();
    touched.dedup();
    t.switches_to_touch = touched.len() as u32;
    for h in hw {
        let q = h.quantity;
        match (h.item.as_str(), q) {
            ("poe_line_card", Some(n)) => t.line_cards_to_buy += n,
            ("poe_switch", Some(n)) => t.switches_to_replace += n,
            ("stack_power", Some(_)) => t.stack_power += 1,
            (_, Some(n)) => t.supplies_to_buy += n,
            (_, None) => t.hardware_unknown += 1,
        }
    }
    t.interfaces_to_configure = cfg.iter().map(|c| c.interfaces.len() as u32).sum();
    t.lines = cfg.iter().map(|c| c.lines).sum();
    t.windows = cfg.iter().filter(|c| c.window).count() as u32;
    t.verify = verify.len() as u32;
    t
}
