//! POWER-ETHERNET-MIB and CISCO-POWER-ETHERNET-EXT-MIB: PSE budgets per group (stack
//! member) and per-port power, joined to interfaces through ENTITY-MIB aliases.
//!
//! Units: pethMainPseTable is in watts, every cpeExt column in milliwatts. A PoE port is
//! (group, port), never an ifIndex: the only join used is (group, port) ->
//! cpeExtPsePortEntPhyIndex -> entAliasMappingIdentifier -> ifIndex. Names are not parsed.

use std::collections::{BTreeMap, BTreeSet};

use lanready_schema::{Poe, PoeModule, PortPoe, StackMember};

use super::entity::Entities;
use super::mib_enum;
use super::stack::{member_of, single_switch_member};
use super::table::{Problems, read};
use crate::{Oid, Value};

pub const PETH_MAIN_PSE_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1];
pub const CPE_EXT_MAIN_PSE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1];
pub const PETH_PSE_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 105, 1, 1, 1];
pub const CPE_EXT_PSE_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1];

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

    let groups: BTreeSet<u32> = main.keys().chain(cpe_main.keys()).copied().collect();
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
    PoeDecoded {
        poe: Poe { modules },
        ports,
    }
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
    fn classes_outside_the_mib_are_none() {
        assert_eq!(power_class(1), Some(0));
        assert_eq!(power_class(5), Some(4));
        assert_eq!(power_class(0), None);
        assert_eq!(power_class(6), None);
    }
}
