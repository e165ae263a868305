//! POWER-ETHERNET-MIB and CISCO-POWER-ETHERNET-EXT-MIB: PSE budgets per group (stack
//! member) and per-port power, joined to interfaces through ENTITY-MIB aliases.
//!
//! Units: pethMainPseTable is in watts, every cpeExt column in milliwatts. A PoE port is
//! (group, port), never an ifIndex: the only join used is (group, port) ->
//! cpeExtPsePortEntPhyIndex -> entAliasMappingIdentifier -> ifIndex. Names are not parsed.

use std::collections::{BTreeMap, BTreeSet};

use lanready_schema::{
    ChassisPower, Poe, PoeModule, PoePool, PoolPlacement, PortPoe, PowerStack, StackMember,
};

use super::entity::Entities;
use super::mib_enum;
use super::stack::{member_of, single_switch_member};
use super::table::{Problems, read};
use crate::{Oid, Value};

pub const PETH_MAIN_PSE_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1];
pub const CPE_EXT_MAIN_PSE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1];
pub const PETH_PSE_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 105, 1, 1, 1];
pub const CPE_EXT_PSE_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1];
pub const CEFC_POWER_SUPPLY_GROUP_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1];

mib_enum! {
    /// cefcPowerRedundancyOperMode (PowerRedundancyType).
    RedundancyMode {
        NotSupported = 1 => "notsupported",
        Redundant = 2 => "redundant",
        Combined = 3 => "combined",
        NonRedundant = 4 => "nonRedundant",
        PsRedundant = 5 => "psRedundant",
        InPwrSrcRedundant = 6 => "inPwrSrcRedundant",
        PsRedundantSingleInput = 7 => "psRedundantSingleInput",
    }
}

mib_enum! {
    /// pethMainPseOperStatus.
    PseOperStatus {
        On = 1 => "on",
        Off = 2 => "off",
        Faulty = 3 => "faulty",
    }
}

mib_enum! {
    /// pethPsePortDetectionStatus.
    DetectionStatus {
        Disabled = 1 => "disabled",
        Searching = 2 => "searching",
        DeliveringPower = 3 => "deliveringPower",
        Fault = 4 => "fault",
        Test = 5 => "test",
        OtherFault = 6 => "otherFault",
    }
}

mib_enum! {
    /// pethPsePortPowerPriority.
    PortPriority {
        Critical = 1 => "critical",
        High = 2 => "high",
        Low = 3 => "low",
    }
}

/// pethPsePortPowerClassifications: class0(1) .. class4(5), as the class number 0-4.
fn power_class(v: i64) -> Option<u8> {
    (1..=5).contains(&v).then(|| (v - 1) as u8)
}

/// The PoE budgets per group, and per-port PoE keyed by the ifIndex it joined to.
pub struct PoeDecoded {
    pub poe: Poe,
    pub ports: BTreeMap<u32, PortPoe>,
}

/// Decodes both PSE tables and both port tables, and joins ports to interfaces.
/// `if_indexes` are the interfaces IF-MIB lists.
pub fn decode(
    values: &BTreeMap<Oid, Value>,
    ent: &Entities,
    stack: &BTreeMap<u32, StackMember>,
    if_indexes: &BTreeSet<u32>,
    p: &mut Problems,
) -> PoeDecoded {
    let main = read::<u32>(values, "pethMainPseTable", PETH_MAIN_PSE_ENTRY, p);
    let cpe_main = read::<u32>(values, "cpeExtMainPseTable", CPE_EXT_MAIN_PSE_ENTRY, p);
    let port = read::<(u32, u32)>(values, "pethPsePortTable", PETH_PSE_PORT_ENTRY, p);
    let cpe_port = read::<(u32, u32)>(values, "cpeExtPsePortTable", CPE_EXT_PSE_PORT_ENTRY, p);

    // (group, port) -> entPhysicalIndex of the port.
    let port_ent: BTreeMap<(u32, u32), u32> = cpe_port
        .iter()
        .filter_map(|(&k, r)| r.uint(11, p).filter(|&e| e != 0).map(|e| (k, e)))
        .collect();

    // Groups the port rows name count too: a stack whose members' PSEs are not all in
    // pethMainPseTable still has those PSEs (their budget then is unknown, not zero).
    let groups: BTreeSet<u32> = main
        .keys()
        .chain(cpe_main.keys())
        .copied()
        .chain(port.keys().chain(cpe_port.keys()).map(|(g, _)| *g))
        .collect();
    let mut modules = Vec::new();
    for g in groups {
        let m = main.get(&g);
        let c = cpe_main.get(&g);
        let stack_member = c
            .and_then(|c| c.uint(1, p))
            .filter(|&e| e != 0)
            .and_then(|e| member_of(e, ent, stack))
            .or_else(|| member_from_ports(g, &port_ent, ent, stack))
            .or_else(|| single_switch_member(ent, stack));
        modules.push(PoeModule {
            group: g,
            stack_member,
            budget_w: m.and_then(|m| m.uint(2, p)),
            consumed_w: m.and_then(|m| m.uint(4, p)),
            oper_status: m
                .and_then(|m| m.int(3, p))
                .map(|v| PseOperStatus::from_i64(v).name()),
            usage_threshold_pct: m.and_then(|m| m.uint(5, p)),
            used_mw: c.and_then(|c| c.uint(4, p)),
            remaining_mw: c.and_then(|c| c.uint(5, p)),
            descr: c
                .and_then(|c| c.text(2, p))
                .filter(|d| !d.trim().is_empty()),
            ent_physical_index: c.and_then(|c| c.uint(1, p)).filter(|&e| e != 0),
            module_model: None,
        });
    }

    let keys: BTreeSet<(u32, u32)> = port.keys().chain(cpe_port.keys()).copied().collect();
    let mut ports: BTreeMap<u32, PortPoe> = BTreeMap::new();
    let mut owner: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for key @ (group, pnum) in keys {
        let s = port.get(&key);
        let c = cpe_port.get(&key);
        let if_index = match port_ent.get(&key) {
            None => {
                p.note(
                    "poe no entity",
                    format!(
                        "PoE port {group}.{pnum} has no cpeExtPsePortEntPhyIndex, so it cannot be \
                         joined to an interface"
                    ),
                );
                continue;
            }
            Some(e) => match ent.if_index_of.get(e) {
                Some(&i) => i,
                None => {
                    p.note(
                        "poe no alias",
                        format!(
                            "PoE port {group}.{pnum} (entity {e}) has no ENTITY-MIB alias to an \
                             ifIndex, so it cannot be joined to an interface"
                        ),
                    );
                    continue;
                }
            },
        };
        if !if_indexes.contains(&if_index) {
            p.note(
                "poe no interface",
                format!(
                    "PoE port {group}.{pnum} maps to ifIndex {if_index}, which IF-MIB does not list"
                ),
            );
            continue;
        }
        if let Some((g0, p0)) = owner.get(&if_index) {
            p.line(format!(
                "PoE ports {g0}.{p0} and {group}.{pnum} both map to ifIndex {if_index}; \
                 keeping {g0}.{p0}"
            ));
            continue;
        }
        owner.insert(if_index, key);
        let row = PortPoe {
            group,
            port: pnum,
            admin_enabled: s.and_then(|s| s.truth(3, p)),
            detection: s
                .and_then(|s| s.int(6, p))
                .map(|v| DetectionStatus::from_i64(v).name()),
            class: s.and_then(|s| s.int(10, p)).and_then(power_class),
            priority: s
                .and_then(|s| s.int(7, p))
                .map(|v| PortPriority::from_i64(v).name()),
            max_mw: c.and_then(|c| c.uint(6, p)),
            allocated_mw: c.and_then(|c| c.uint(7, p)),
            available_mw: c.and_then(|c| c.uint(8, p)),
            consumed_mw: c.and_then(|c| c.uint(9, p)),
            max_drawn_mw: c.and_then(|c| c.uint(10, p)),
            denied_count: s.and_then(|s| s.u64(12, p)),
            overload_count: s.and_then(|s| s.u64(13, p)),
        };
        ports.insert(if_index, row);
    }
    // The module (line card, member) each PSE group powers, from its ports' entities.
    for m in &mut modules {
        let mut models: BTreeMap<&str, usize> = BTreeMap::new();
        for (&(g, _), &e) in &port_ent {
            if g == m.group
                && let Some((_, model)) = ent.module_of(e)
            {
                *models.entry(model).or_default() += 1;
            }
        }
        m.module_model = models
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(model, _)| model.to_string());
    }
    PoeDecoded {
        poe: Poe {
            modules,
            pools: Vec::new(),
            hardware: poe_hardware(ent),
            chassis_power: None,
        },
        ports,
    }
}

/// The chassis power budget (cefcFRUPowerSupplyGroupTable, first row), whose currents are in
/// cefcPowerUnits.
pub fn chassis_power(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> Option<ChassisPower> {
    let rows = read::<u32>(
        values,
        "cefcFRUPowerSupplyGroupTable",
        CEFC_POWER_SUPPLY_GROUP_ENTRY,
        p,
    );
    let (&index, r) = rows.iter().next()?;
    let units = r.text(2, p).filter(|u| !u.trim().is_empty());
    Some(ChassisPower {
        index,
        watts_per_unit: units.as_deref().and_then(watts_per_unit),
        units,
        available: r.int(3, p),
        drawn: r.int(4, p),
        drawn_inline: r.int(7, p),
        redundancy: r.int(5, p).map(|v| RedundancyMode::from_i64(v).name()),
    })
}

/// Watts per unit of a cefcPowerUnits text: a current unit (`CentiAmps`, `Amps`,
/// `milliamps`) at a voltage (`@ 42V`, `at 10 volts DC`). None when either is missing.
pub fn watts_per_unit(units: &str) -> Option<f64> {
    let u = units.to_ascii_lowercase();
    let amps = if u.contains("centiamp") {
        0.01
    } else if u.contains("deciamp") {
        0.1
    } else if u.contains("milliamp") {
        0.001
    } else if u.contains("amp") {
        1.0
    } else {
        return None;
    };
    // The number right before `v` / `volt`.
    let at = u.find("volt").or_else(|| {
        u.char_indices()
            .find(|&(i, c)| c == 'v' && i > 0 && u.as_bytes()[i - 1].is_ascii_digit())
            .map(|(i, _)| i)
    })?;
    let before = u[..at].trim_end();
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let volts: f64 = digits.parse().ok()?;
    (volts > 0.0).then_some(amps * volts)
}

/// Part numbers of members and line cards that have PoE ([`super::entity::is_poe_part`]).
pub fn poe_hardware(ent: &Entities) -> Vec<String> {
    let mut out: Vec<String> = ent
        .physical
        .values()
        .filter(|e| {
            matches!(
                e.class,
                Some(super::entity::PhysicalClass::Chassis | super::entity::PhysicalClass::Module)
            )
        })
        .filter_map(super::entity::part_number)
        .filter(|m| super::entity::is_poe_part(m))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The pools the PSE groups draw from. Rows of one common pool (cpeExtMainPseDescr naming a
/// pool, or several groups powered by one entity) are one pool; StackPower members share
/// one; else each group is its own. A pool's budget is counted once: when its rows repeat
/// one figure (a 9400's common pool), that figure; when they differ, their sum.
pub fn pools(modules: &[PoeModule], power_stacks: &[PowerStack]) -> Vec<PoePool> {
    // Pool key per group.
    let shared_ent = |e: Option<u32>| {
        e.is_some_and(|e| {
            modules
                .iter()
                .filter(|m| m.ent_physical_index == Some(e))
                .count()
                > 1
        })
    };
    let mut keyed: Vec<(String, String, Option<String>, &PoeModule)> = Vec::new();
    for m in modules {
        let descr = m.descr.clone();
        let pool_named = descr
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().contains("pool"));
        let stack_power = m.stack_member.and_then(|n| {
            power_stacks
                .iter()
                .find(|ps| ps.members.contains(&n) && ps.members.len() > 1)
        });
        let (key, kind, name) = if pool_named {
            (
                format!("pool:{}", descr.clone().unwrap_or_default()),
                "common_pool",
                descr,
            )
        } else if shared_ent(m.ent_physical_index) {
            (
                format!("ent:{}", m.ent_physical_index.unwrap_or(0)),
                "common_pool",
                descr,
            )
        } else if let Some(ps) = stack_power {
            (
                format!("stackpower:{}", ps.number),
                "stack_power",
                ps.name
                    .clone()
                    .or_else(|| Some(format!("power stack {}", ps.number))),
            )
        } else {
            // Several groups on one member (a chassis's line cards, a 6500's modules) are
            // modules; one group per member is that member's PSE.
            let per_member = m
                .stack_member
                .is_some_and(|n| modules.iter().filter(|x| x.stack_member == Some(n)).count() == 1);
            let kind = if per_member { "member" } else { "module" };
            (format!("group:{}", m.group), kind, descr)
        };
        keyed.push((key, kind.to_string(), name, m));
    }
    let mut order: Vec<String> = Vec::new();
    for (k, _, _, _) in &keyed {
        if !order.contains(k) {
            order.push(k.clone());
        }
    }
    let mut out = Vec::new();
    for (n, key) in order.iter().enumerate() {
        let rows: Vec<&(String, String, Option<String>, &PoeModule)> =
            keyed.iter().filter(|(k, ..)| k == key).collect();
        let kind = rows[0].1.clone();
        let name = rows[0].2.clone();
        let groups: Vec<u32> = rows.iter().map(|r| r.3.group).collect();
        let once_or_sum = |vals: Vec<Option<u64>>| -> Option<u64> {
            let known: Vec<u64> = vals.into_iter().flatten().collect();
            if known.is_empty() {
                None
            } else if kind == "common_pool" && known.iter().all(|&v| v == known[0]) {
                Some(known[0])
            } else {
                Some(known.iter().sum())
            }
        };
        let mut budget = once_or_sum(rows.iter().map(|r| r.3.budget_w.map(u64::from)).collect());
        // A power stack in a redundant mode holds back its largest supply (Cisco's StackPower
        // configuration guides): without per-supply figures, the largest member budget is
        // held back, which errs on the safe side.
        let redundant = (kind == "stack_power")
            .then(|| {
                power_stacks.iter().find(|ps| {
                    format!("stackpower:{}", ps.number) == *key
                        && ps
                            .mode
                            .as_deref()
                            .is_some_and(|m| m.starts_with("redundant"))
                })
            })
            .flatten();
        let held_back = redundant.and_then(|_| rows.iter().filter_map(|r| r.3.budget_w).max());
        if let (Some(b), Some(h)) = (budget, held_back) {
            budget = Some(b.saturating_sub(u64::from(h)));
        }
        let repeated = kind == "common_pool"
            && rows.len() > 1
            && rows
                .iter()
                .all(|r| r.3.budget_w.is_some() && r.3.budget_w == rows[0].3.budget_w);
        let budget_source = budget.map(|_| {
            let objects: Vec<String> = groups
                .iter()
                .map(|g| format!("pethMainPsePower.{g}"))
                .collect();
            if let (Some(ps), Some(h)) = (redundant, held_back) {
                format!(
                    "{} (summed) - {h} W, the largest member budget, held back: power stack mode {}",
                    objects.join(" + "),
                    ps.mode.as_deref().unwrap_or("redundant")
                )
            } else if repeated {
                format!(
                    "{} (the pool's budget, repeated on every row: counted once)",
                    objects[0]
                )
            } else if objects.len() > 1 {
                format!("{} (summed)", objects.join(" + "))
            } else {
                objects[0].clone()
            }
        });
        let mut members: Vec<u32> = rows.iter().filter_map(|r| r.3.stack_member).collect();
        members.sort_unstable();
        members.dedup();
        let mut line_cards: Vec<String> = rows
            .iter()
            .filter_map(|r| r.3.module_model.clone())
            .collect();
        line_cards.sort();
        line_cards.dedup();
        let id = match kind.as_str() {
            "common_pool" => format!("pool-{}", n + 1),
            "stack_power" => format!("stackpower-{}", key.trim_start_matches("stackpower:")),
            "member" if members.len() == 1 => format!("member-{}", members[0]),
            _ => format!("group-{}", groups[0]),
        };
        out.push(PoePool {
            id,
            kind: kind.clone(),
            name,
            groups,
            members,
            budget_w: budget.map(|b| b.min(u64::from(u32::MAX)) as u32),
            budget_source,
            allocated_mw: once_or_sum(rows.iter().map(|r| r.3.used_mw.map(u64::from)).collect()),
            consumed_w: once_or_sum(rows.iter().map(|r| r.3.consumed_w.map(u64::from)).collect())
                .map(|w| w.min(u64::from(u32::MAX)) as u32),
            line_cards,
        });
    }
    out
}

/// Where each interface draws PoE from: its own PoE row's group, else the pool of the
/// chassis (or stack member) its entity is in, when exactly one pool powers it.
pub fn place(
    ifs: &BTreeMap<u32, lanready_schema::Interface>,
    pools: &[PoePool],
    modules: &[PoeModule],
    ent: &Entities,
    stack: &BTreeMap<u32, StackMember>,
) -> BTreeMap<u32, PoolPlacement> {
    let mut out = BTreeMap::new();
    let pool_of_group = |g: u32| pools.iter().find(|p| p.groups.contains(&g));
    // The chassis entities each pool powers.
    let chassis_of_pool: Vec<Vec<u32>> = pools
        .iter()
        .map(|pool| {
            let mut v: Vec<u32> = Vec::new();
            for m in modules.iter().filter(|m| pool.groups.contains(&m.group)) {
                if let Some(c) = m.ent_physical_index.and_then(|e| ent.chassis_of(e)) {
                    v.push(c);
                }
                if let Some(n) = m.stack_member {
                    v.extend(stack.iter().filter(|(_, s)| s.number == n).map(|(&e, _)| e));
                }
            }
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let single_chassis = ent.chassis().len() <= 1;
    for (&i, itf) in ifs {
        if let Some(pool) = itf.poe.as_ref().and_then(|p| pool_of_group(p.group)) {
            out.insert(
                i,
                PoolPlacement {
                    pool: pool.id.clone(),
                    by: "pethPsePortTable".into(),
                },
            );
            continue;
        }
        let Some(e) = itf.entity else { continue };
        let chassis = ent.chassis_of(e);
        let matching: Vec<usize> = (0..pools.len())
            .filter(|&k| chassis.is_some_and(|c| chassis_of_pool[k].contains(&c)))
            .collect();
        let pick = match matching.as_slice() {
            [k] => Some(*k),
            [] if pools.len() == 1 && single_chassis => Some(0),
            _ => None,
        };
        if let Some(k) = pick {
            out.insert(
                i,
                PoolPlacement {
                    pool: pools[k].id.clone(),
                    by: "ENTITY-MIB".into(),
                },
            );
        }
    }
    out
}

/// When cpeExtMainPseEntPhyIndex is absent: the stack member every port of the group sits
/// in, if they all agree.
fn member_from_ports(
    group: u32,
    port_ent: &BTreeMap<(u32, u32), u32>,
    ent: &Entities,
    stack: &BTreeMap<u32, StackMember>,
) -> Option<u32> {
    let members: BTreeSet<Option<u32>> = port_ent
        .range((group, 0)..=(group, u32::MAX))
        .map(|(_, &e)| member_of(e, ent, stack))
        .collect();
    match members.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(m)] => Some(*m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;
    use crate::decode::{entity, interfaces, stack};

    /// A two-member stack; member numbers are not the entity order (chassis 2001 is
    /// member 1) and PoE port numbers are not ifIndexes.
    const BASE: &str = "\
1.3.6.1.2.1.2.2.1.2.10101|4|GigabitEthernet2/0/1
1.3.6.1.2.1.2.2.1.2.10102|4|GigabitEthernet2/0/2
1.3.6.1.2.1.2.2.1.2.10601|4|GigabitEthernet1/0/1
1.3.6.1.2.1.47.1.1.1.1.4.1001|2|1
1.3.6.1.2.1.47.1.1.1.1.5.1001|2|3
1.3.6.1.2.1.47.1.1.1.1.4.1002|2|1001
1.3.6.1.2.1.47.1.1.1.1.5.1002|2|9
1.3.6.1.2.1.47.1.1.1.1.4.1010|2|1002
1.3.6.1.2.1.47.1.1.1.1.4.1011|2|1002
1.3.6.1.2.1.47.1.1.1.1.4.1020|2|1001
1.3.6.1.2.1.47.1.1.1.1.5.1020|2|6
1.3.6.1.2.1.47.1.1.1.1.4.2001|2|1
1.3.6.1.2.1.47.1.1.1.1.5.2001|2|3
1.3.6.1.2.1.47.1.1.1.1.4.2010|2|2001
1.3.6.1.2.1.47.1.3.2.1.2.1010.0|6|1.3.6.1.2.1.2.2.1.1.10101
1.3.6.1.2.1.47.1.3.2.1.2.1011.0|6|1.3.6.1.2.1.2.2.1.1.10102
1.3.6.1.2.1.47.1.3.2.1.2.2010.0|6|1.3.6.1.2.1.2.2.1.1.10601
1.3.6.1.4.1.9.9.500.1.2.1.1.1.1001|66|2
1.3.6.1.4.1.9.9.500.1.2.1.1.1.2001|66|1
";

    fn run(extra: &str) -> (PoeDecoded, Vec<String>) {
        let w = Walk::from_snmprec(&format!("{BASE}{extra}")).unwrap();
        let mut p = Problems::default();
        let e = entity::decode(&w.values, &mut p);
        let s = stack::decode_stack(&w.values, &e, &mut p);
        let ifs: BTreeSet<u32> = interfaces::decode(&w.values, &mut p).into_keys().collect();
        let d = decode(&w.values, &e, &s, &ifs, &mut p);
        (d, p.into_lines())
    }

    #[test]
    fn ports_join_through_entity_aliases_not_port_numbers() {
        // Port 1.1 is ifIndex 10101 (on member 2), port 2.1 is 10601: port number 1 is
        // no ifIndex at all, and group 1 is not member 1.
        let (d, lines) = run("\
1.3.6.1.2.1.105.1.1.1.3.1.1|2|1
1.3.6.1.2.1.105.1.1.1.6.1.1|2|3
1.3.6.1.2.1.105.1.1.1.7.1.1|2|2
1.3.6.1.2.1.105.1.1.1.10.1.1|2|3
1.3.6.1.2.1.105.1.1.1.12.1.1|65|4
1.3.6.1.2.1.105.1.1.1.13.1.1|65|0
1.3.6.1.4.1.9.9.402.1.2.1.6.1.1|66|30000
1.3.6.1.4.1.9.9.402.1.2.1.7.1.1|66|15400
1.3.6.1.4.1.9.9.402.1.2.1.8.1.1|66|15400
1.3.6.1.4.1.9.9.402.1.2.1.9.1.1|66|6100
1.3.6.1.4.1.9.9.402.1.2.1.10.1.1|66|6900
1.3.6.1.4.1.9.9.402.1.2.1.11.1.1|2|1010
1.3.6.1.4.1.9.9.402.1.2.1.11.2.1|2|2010
");
        assert!(lines.is_empty(), "{lines:?}");
        let p = &d.ports[&10101];
        assert_eq!((p.group, p.port), (1, 1));
        assert_eq!(p.admin_enabled, Some(true));
        assert_eq!(p.detection.as_deref(), Some("deliveringPower"));
        assert_eq!(p.priority.as_deref(), Some("high"));
        assert_eq!(p.class, Some(2), "class2(3) is class 2");
        assert_eq!(p.max_mw, Some(30000));
        assert_eq!(p.allocated_mw, Some(15400));
        assert_eq!(p.consumed_mw, Some(6100));
        assert_eq!(p.max_drawn_mw, Some(6900));
        assert_eq!(p.denied_count, Some(4));
        assert_eq!((d.ports[&10601].group, d.ports[&10601].port), (2, 1));
        assert!(!d.ports.contains_key(&1));
    }

    #[test]
    fn two_rows_on_one_port_keep_the_first_and_unmapped_rows_are_reported() {
        let (d, lines) = run("\
1.3.6.1.4.1.9.9.402.1.2.1.11.1.1|2|1010
1.3.6.1.4.1.9.9.402.1.2.1.11.1.2|2|1010
1.3.6.1.4.1.9.9.402.1.2.1.11.1.3|2|1099
1.3.6.1.4.1.9.9.402.1.2.1.9.1.4|66|100
");
        assert_eq!(d.ports.len(), 1);
        assert_eq!(d.ports[&10101].port, 1);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("1.1 and 1.2 both map to ifIndex 10101"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("1.3 (entity 1099) has no ENTITY-MIB alias"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("1.4 has no cpeExtPsePortEntPhyIndex"))
        );
    }

    #[test]
    fn budgets_keep_watts_and_milliwatts_apart_and_find_the_member() {
        // PSE group 1 is powered from PSU 1020 in chassis 1001, which is stack member 2.
        let (d, _) = run("\
1.3.6.1.2.1.105.1.3.1.1.2.1|66|370
1.3.6.1.2.1.105.1.3.1.1.3.1|2|1
1.3.6.1.2.1.105.1.3.1.1.4.1|66|115
1.3.6.1.2.1.105.1.3.1.1.5.1|2|80
1.3.6.1.4.1.9.9.402.1.3.1.1.1|2|1020
1.3.6.1.4.1.9.9.402.1.3.1.4.1|66|26100
1.3.6.1.4.1.9.9.402.1.3.1.5.1|66|343900
1.3.6.1.2.1.105.1.3.1.1.2.2|66|740
1.3.6.1.4.1.9.9.402.1.2.1.11.2.1|2|2010
");
        let m = &d.poe.modules[0];
        assert_eq!(m.group, 1);
        assert_eq!(m.budget_w, Some(370));
        assert_eq!(m.consumed_w, Some(115));
        assert_eq!(m.oper_status.as_deref(), Some("on"));
        assert_eq!(m.usage_threshold_pct, Some(80));
        assert_eq!(m.used_mw, Some(26100));
        assert_eq!(m.remaining_mw, Some(343900));
        assert_eq!(m.stack_member, Some(2));
        // Group 2 has no cpeExt main row: its ports (entity 2010 in chassis 2001) say member 1.
        let m2 = &d.poe.modules[1];
        assert_eq!((m2.group, m2.budget_w, m2.used_mw), (2, Some(740), None));
        assert_eq!(m2.stack_member, Some(1));
    }

    #[test]
    fn a_single_switch_without_stack_table_or_links_is_member_one() {
        let one = "1.3.6.1.2.1.47.1.1.1.1.5.1001|2|3\n1.3.6.1.2.1.105.1.3.1.1.2.1|66|370\n";
        let two = format!("{one}1.3.6.1.2.1.47.1.1.1.1.5.2001|2|3\n");
        for (text, want) in [(one.to_string(), Some(1)), (two, None)] {
            let w = Walk::from_snmprec(&text).unwrap();
            let mut p = Problems::default();
            let e = entity::decode(&w.values, &mut p);
            let d = decode(&w.values, &e, &BTreeMap::new(), &BTreeSet::new(), &mut p);
            assert_eq!(d.poe.modules[0].stack_member, want, "{text}");
        }
    }

    #[test]
    fn pools_count_a_shared_budget_once_and_hold_back_a_redundant_supply() {
        let module = |group: u32, member: u32, budget: u32, descr: &str, ent: u32| PoeModule {
            group,
            stack_member: Some(member),
            budget_w: Some(budget),
            used_mw: Some(10_000),
            descr: Some(descr.into()),
            ent_physical_index: Some(ent),
            ..PoeModule::default()
        };
        // A 9400's common pool: three rows repeat one budget; counted once.
        let chassis = [
            module(1, 1, 4800, "PoE Common Power Pool 1", 9000),
            module(2, 1, 4800, "PoE Common Power Pool 1", 9000),
            module(4, 1, 4800, "PoE Common Power Pool 1", 9000),
        ];
        let p = pools(&chassis, &[]);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(
            (p[0].kind.as_str(), p[0].budget_w),
            ("common_pool", Some(4800))
        );
        assert_eq!(p[0].groups, vec![1, 2, 4]);
        // Milliwatts stay milliwatts: a repeated allocation is counted once too.
        assert_eq!(p[0].allocated_mw, Some(10_000));
        // Three StackPower members: one budget, their sum.
        let stack = [
            module(1, 1, 435, "", 1001),
            module(2, 2, 435, "", 2001),
            module(3, 3, 445, "", 3001),
        ];
        let mut ps = PowerStack {
            number: 1,
            name: Some("Powerstack-1".into()),
            mode: Some("powerSharing".into()),
            members_count: Some(3),
            members: vec![1, 2, 3],
        };
        let p = pools(&stack, std::slice::from_ref(&ps));
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(
            (p[0].kind.as_str(), p[0].budget_w),
            ("stack_power", Some(1315))
        );
        assert_eq!(p[0].allocated_mw, Some(30_000));
        // Redundant mode holds the largest member budget back.
        ps.mode = Some("redundant".into());
        let p = pools(&stack, std::slice::from_ref(&ps));
        assert_eq!(p[0].budget_w, Some(870));
        assert!(
            p[0].budget_source
                .as_deref()
                .unwrap()
                .contains("445 W, the largest member budget, held back"),
            "{:?}",
            p[0].budget_source
        );
        // Without a power stack, each member is its own pool.
        let p = pools(&stack, &[]);
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|x| x.kind == "member"), "{p:#?}");
    }

    #[test]
    fn classes_outside_the_mib_are_none() {
        assert_eq!(power_class(1), Some(0));
        assert_eq!(power_class(5), Some(4));
        assert_eq!(power_class(0), None);
        assert_eq!(power_class(6), None);
    }
}
