//! Turns a [`Walk`] into a [`Snapshot`]: one decoder per MIB area, then the joins.
//!
//! Areas: [`system`], [`interfaces`] (IF-MIB, EtherLike-MIB), [`entity`] (ENTITY-MIB),
//! [`stack`] (StackWise members, power supplies), [`poe`], [`vlans`] (VTP, trunks,
//! membership, voice, Q-BRIDGE), [`stp`] (bridge ports, portfast), [`neighbours`] (CDP,
//! LLDP, LLDP-MED) and [`qos`] (cbQoS, port trust). Each is a pure function of the walk;
//! this module joins their results by ifIndex and reports what does not fit.

use std::collections::{BTreeMap, BTreeSet};

use lanready_schema::{SNAPSHOT_SCHEMA, Snapshot, TableStatus};

use crate::Walk;
use crate::poll::{GROUPS, PER_VLAN_GROUPS};

pub mod entity;
pub mod interfaces;
pub mod links;
pub mod neighbours;
pub mod platform;
pub mod poe;
pub mod qos;
pub mod roles;
pub mod security;
pub mod stack;
pub mod stp;
pub mod system;
pub mod table;
pub mod vlans;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod fixture_tests;

pub use table::{DecodeError, Index, Problems};

/// Declares an enum of a MIB's named numbers, with an `Unknown(i64)` arm for the rest.
/// `name()` gives the MIB's label (`unknown(N)` for numbers the MIB does not name).
macro_rules! mib_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident = $n:literal => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($var,)+
            /// A number the MIB does not name.
            Unknown(i64),
        }

        impl $name {
            pub fn from_i64(v: i64) -> Self {
                match v {
                    $($n => Self::$var,)+
                    other => Self::Unknown(other),
                }
            }

            pub fn name(&self) -> String {
                match self {
                    $(Self::$var => $s.to_string(),)+
                    Self::Unknown(n) => format!("unknown({n})"),
                }
            }

            /// The number the MIB gives this value.
            pub fn number(&self) -> i64 {
                match self {
                    $(Self::$var => $n,)+
                    Self::Unknown(n) => *n,
                }
            }

            /// The value `name()` gave this name (`unknown(N)` included).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($s => Some(Self::$var),)+
                    other => other
                        .strip_prefix("unknown(")
                        .and_then(|r| r.strip_suffix(')'))
                        .and_then(|n| n.parse().ok())
                        .map(Self::Unknown),
                }
            }

            /// `N (name)`: how evidence writes a value read, the number first.
            pub fn raw(name: &str) -> String {
                match Self::from_name(name) {
                    Some(v) => format!("{} ({name})", v.number()),
                    None => name.to_string(),
                }
            }
        }
    };
}
pub(crate) use mib_enum;

/// Decodes everything lanready reads from one switch. Never fails: what cannot be read
/// becomes an `Absent`/`Error` table status or a line in `problems`.
pub fn snapshot(walk: &Walk, target: &str) -> Snapshot {
    let mut p = Problems::default();
    let v = &walk.values;

    let mut system = system::decode(walk, &mut p);
    let cdp_global = neighbours::cdp_global_run(walk, &mut p);
    system.cdp_enabled = cdp_global;

    let mut ifs = interfaces::decode(v, &mut p);
    let if_set: BTreeSet<u32> = ifs.keys().copied().collect();
    let ent = entity::decode(v, &mut p);
    let stack = stack::decode_stack(v, &ent, &mut p);
    let stack_power = stack::decode_power_stacks(v, &stack, &mut p);
    let platform = platform::decode(&system, &ent, &stack, &mut p);
    let power_supplies = stack::decode_power_supplies(v, &ent, &stack, &mut p);
    let mut poe = poe::decode(v, &ent, &stack, &if_set, &mut p);
    poe.poe.pools = poe::pools(&poe.poe.modules, &stack_power);
    poe.poe.chassis_power = poe::chassis_power(v, &mut p);
    let channels = links::channels(v, &ifs, &mut p);
    let addresses = links::ip_addresses(v, &mut p);
    let media = links::media(v, &ent, &ifs, &mut p);
    let auth = security::auth(v, &mut p);
    let port_security = security::port_security(v, &mut p);
    let errdisable = security::errdisable(walk, &mut p);
    let stp = stp::globals(walk, &mut p);

    let bridge_ports = stp::bridge_ports(walk, &mut p);
    let vlans = vlans::decode_table(v, &mut p);
    let port_vlans = vlans::decode_ports(v, &bridge_ports, &mut p);
    let portfast = stp::decode_portfast(v, &bridge_ports, &mut p);

    let lldp_ports = neighbours::lldp_port_map(v, &ifs, &bridge_ports, &mut p);
    let cdp_ifs = neighbours::cdp_interfaces(v, &mut p);
    let lldp_admin = neighbours::lldp_admin(v, &lldp_ports, &mut p);
    let med = neighbours::decode_med_policies(v, &lldp_ports, &mut p);
    let mut neighbours = neighbours::decode_cdp(v, &mut p);
    neighbours.extend(neighbours::decode_lldp(v, &lldp_ports, &mut p));
    // By local ifIndex; CDP before LLDP on one port (the sort is stable).
    neighbours.sort_by_key(|n| n.if_index);

    let qos = qos::decode(v, &ifs, &mut p);

    // Joins by ifIndex.
    let mut orphans: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut orphan = |what: &'static str, i: u32, ok: bool| {
        if !ok {
            orphans.entry(what).or_default().push(i);
        }
    };
    for (i, pv) in &port_vlans {
        orphan("VLAN membership or trunk", *i, if_set.contains(i));
        if let Some(itf) = ifs.get_mut(i) {
            itf.access_vlan = pv.access_vlan;
            itf.voice_vlan = match pv.voice {
                Some(vlans::VoiceVlan::Vlan(n)) => Some(n),
                _ => None,
            };
            itf.voice_vlan_mode = pv.voice.and_then(|x| x.mode()).map(str::to_string);
            itf.trunk = pv.trunk;
            itf.trunk_mode = pv.trunk_state.map(|x| x.name());
            itf.trunk_status = pv.trunk_status.map(|x| x.name());
            itf.trunk_encapsulation = pv.encapsulation.map(|x| x.name());
            itf.native_vlan = pv.native_vlan;
            itf.allowed_vlans = pv.allowed_vlans.clone();
            itf.allowed_vlans_unread = pv.allowed_unread.clone();
        }
    }
    for (i, (mode, guard)) in portfast {
        orphan("portfast", i, if_set.contains(&i));
        if let Some(itf) = ifs.get_mut(&i) {
            itf.portfast = mode;
            itf.bpdu_guard = guard;
        }
    }
    for (i, port) in poe.ports {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.poe = Some(port);
        }
    }
    for (i, e) in ent.entities_by_if_index() {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.entity = Some(e);
            itf.module_model = ent.module_of(e).map(|(_, m)| m.to_string());
        }
    }
    for (bp, i) in &bridge_ports {
        if let Some(itf) = ifs.get_mut(i) {
            itf.bridge_port.get_or_insert(*bp);
        }
    }
    for (num, i) in &lldp_ports {
        if let Some(itf) = ifs.get_mut(i) {
            itf.lldp_port.get_or_insert(*num);
        }
    }
    for (i, c) in channels {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.channel = Some(c);
        }
    }
    for (i, a) in addresses {
        orphan("IP address", i, if_set.contains(&i));
        if let Some(itf) = ifs.get_mut(&i) {
            itf.ip_addresses = a;
        }
    }
    for (i, m) in media {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.media = Some(m);
        }
    }
    for (i, a) in auth {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.auth = Some(a);
        }
    }
    for (i, s) in port_security {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.port_security = Some(s);
        }
    }
    let placements = poe::place(&ifs, &poe.poe.pools, &poe.poe.modules, &ent, &stack);
    for (i, pl) in placements {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.poe_pool = Some(pl);
        }
    }
    for (i, t) in &qos.trust {
        orphan("QoS trust", *i, if_set.contains(i));
        if let Some(itf) = ifs.get_mut(i) {
            itf.qos_trust = Some(t.clone());
        }
    }
    for (i, on) in cdp_ifs {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.cdp_enabled = Some(on && cdp_global != Some(false));
        }
    }
    for (i, s) in lldp_admin {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.lldp_admin_status = Some(s);
        }
    }
    for (i, m) in med {
        if let Some(itf) = ifs.get_mut(&i) {
            itf.lldp_med_voice_vlan = m.vlan;
            itf.lldp_med_voice_priority = m.priority;
            itf.lldp_med_voice_dscp = m.dscp;
            itf.lldp_med_voice_tagged = m.tagged;
        }
    }
    for n in &mut neighbours {
        n.interface = ifs.get(&n.if_index).map(|i| i.name.clone());
        orphan("neighbour", n.if_index, n.interface.is_some());
    }
    if !if_set.is_empty() {
        for (what, list) in orphans {
            p.line(format!(
                "{what} data for {} ifIndex(es) that IF-MIB does not list (first: {})",
                list.len(),
                list[0]
            ));
        }
    }

    // VLANs that ports use but the VLAN table lacks.
    if !vlans.is_empty() {
        let known: BTreeSet<u16> = vlans.iter().map(|v| v.id).collect();
        let mut missing: BTreeMap<u16, usize> = BTreeMap::new();
        for itf in ifs.values() {
            for vl in [itf.access_vlan, itf.voice_vlan, itf.native_vlan]
                .into_iter()
                .flatten()
            {
                if !known.contains(&vl) {
                    *missing.entry(vl).or_default() += 1;
                }
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            p.line(format!(
                "ports use VLANs that the VLAN table does not list: {} (VLAN (ports))",
                list.join(", ")
            ));
        }
    }

    let mut problems = walk.problems.clone();
    problems.extend(p.into_lines());
    let mut snap = Snapshot {
        schema: SNAPSHOT_SCHEMA.to_string(),
        target: target.to_string(),
        system,
        platform,
        stack: by_member_number(stack),
        stack_power,
        power_supplies,
        interfaces: ifs.into_values().collect(),
        vlans,
        poe: poe.poe,
        qos: qos.qos,
        neighbours,
        stp,
        errdisable,
        tables: table_status(walk),
        problems,
    };
    let roles = roles::classify(&snap, &roles::RoleOptions::default());
    for (itf, r) in snap.interfaces.iter_mut().zip(roles) {
        itf.role = Some(r);
    }
    snap
}

/// Stack members ordered by member number (then chassis entPhysicalIndex).
fn by_member_number(
    stack: BTreeMap<u32, lanready_schema::StackMember>,
) -> Vec<lanready_schema::StackMember> {
    let mut v: Vec<_> = stack.into_values().collect();
    v.sort_by_key(|m| (m.number, m.ent_physical_index));
    v
}

/// One entry per group in the poll plan: `Present { rows }` (distinct row indexes across
/// its columns, per-VLAN contexts included for per-VLAN groups), `Error` when a walk
/// problem is about the group (the poller starts those lines with `NAME:` or, for a VLAN
/// context, `VLAN N NAME:`), else `Absent`.
pub fn table_status(walk: &Walk) -> BTreeMap<String, TableStatus> {
    let mut out = BTreeMap::new();
    let mut counter = table::RowCounter::default();
    for g in GROUPS {
        let per_vlan = PER_VLAN_GROUPS.iter().any(|x| x.name == g.name);
        let vlan_contexts = walk.vlan_contexts.values().filter(|_| per_vlan);
        let rows = counter.count(
            std::iter::once(&walk.values).chain(vlan_contexts),
            g.columns,
        );
        let error = walk.problems.iter().find(|line| names_group(line, g.name));
        let status = match (rows, error) {
            (_, Some(reason)) => TableStatus::Error {
                reason: reason.clone(),
            },
            (0, None) => TableStatus::Absent,
            (rows, None) => TableStatus::Present { rows },
        };
        out.insert(g.name.to_string(), status);
    }
    out
}

/// True when a walk problem line is about table group `name`.
fn names_group(line: &str, name: &str) -> bool {
    let rest = match line.strip_prefix("VLAN ") {
        Some(r) => r
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start(),
        None => line,
    };
    rest.strip_prefix(name).is_some_and(|r| r.starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_problems_name_their_group() {
        let cases = [
            ("ifTable: table cut short", "ifTable", true),
            ("ifXTable: table cut short", "ifTable", false),
            (
                "VLAN 10 dot1dBasePortTable: cut short",
                "dot1dBasePortTable",
                true,
            ),
            (
                "scalars: 1.3.6.1.2.1.1.5.0 could not be read",
                "ifTable",
                false,
            ),
            ("ifTableX: odd", "ifTable", false),
        ];
        for (line, name, want) in cases {
            assert_eq!(names_group(line, name), want, "{line}");
        }
    }

    #[test]
    fn every_poll_group_gets_a_table_status() {
        let mut w = Walk::from_snmprec(
            "1.3.6.1.2.1.2.2.1.2.1|4|Gi1/0/1\n1.3.6.1.2.1.2.2.1.3.1|2|6\n1.3.6.1.2.1.2.2.1.2.2|4|x\n\
             1.3.6.1.2.1.17.1.4.1.2.1|2|1\n",
        )
        .unwrap();
        let ctx = Walk::from_snmprec("1.3.6.1.2.1.17.1.4.1.2.5|2|2\n").unwrap();
        w.vlan_contexts.insert(20, ctx.values);
        w.problems
            .push("cbQosObjectsTable: walk stopped at a non-increasing OID".into());
        let s = snapshot(&w, "127.0.0.1:161");
        let names: BTreeSet<&str> = GROUPS.iter().map(|g| g.name).collect();
        assert_eq!(s.tables.len(), names.len());
        assert_eq!(s.tables["ifTable"], TableStatus::Present { rows: 2 });
        assert_eq!(
            s.tables["dot1dBasePortTable"],
            TableStatus::Present { rows: 2 }
        );
        assert_eq!(s.tables["pethMainPseTable"], TableStatus::Absent);
        assert!(matches!(
            s.tables["cbQosObjectsTable"],
            TableStatus::Error { .. }
        ));
        assert_eq!(
            s.problems[0],
            "cbQosObjectsTable: walk stopped at a non-increasing OID"
        );
        assert_eq!(s.schema, SNAPSHOT_SCHEMA);
        assert_eq!(s.target, "127.0.0.1:161");
    }

    #[test]
    fn joins_land_on_the_right_interface_and_missing_vlans_are_reported() {
        let text = "\
1.3.6.1.2.1.2.2.1.2.10101|4|GigabitEthernet1/0/1
1.3.6.1.2.1.2.2.1.2.10102|4|GigabitEthernet1/0/2
1.3.6.1.2.1.31.1.1.1.1.10101|4|Gi1/0/1
1.3.6.1.2.1.31.1.1.1.1.10102|4|Gi1/0/2
1.3.6.1.2.1.17.1.4.1.2.2|2|10102
1.3.6.1.4.1.9.9.23.1.1.1.1.2.10101|2|1
1.3.6.1.4.1.9.9.23.1.3.1.0|2|2
1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1|2|1
1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.10|2|1
1.3.6.1.4.1.9.9.46.1.6.1.1.5.10102|2|534
1.3.6.1.4.1.9.9.46.1.6.1.1.16.10102|2|4
1.3.6.1.4.1.9.9.68.1.2.2.1.2.10101|2|10
1.3.6.1.4.1.9.9.68.1.5.1.1.1.10101|2|110
1.3.6.1.4.1.9.9.82.1.9.3.1.3.2|2|1
1.3.6.1.4.1.9.9.68.1.2.2.1.2.999|2|10
";
        let s = snapshot(&Walk::from_snmprec(text).unwrap(), "t");
        let a = &s.interfaces[0];
        assert_eq!(
            (a.name.as_str(), a.access_vlan, a.voice_vlan),
            ("Gi1/0/1", Some(10), Some(110))
        );
        assert_eq!(a.voice_vlan_mode.as_deref(), Some("vlan"));
        assert_eq!(a.portfast, None, "bridge port 2 is 10102, not 10101");
        assert_eq!(a.cdp_enabled, Some(false), "cdpGlobalRun is off");
        assert_eq!(s.system.cdp_enabled, Some(false));
        let b = &s.interfaces[1];
        assert!(b.trunk);
        assert_eq!(b.native_vlan, Some(534));
        assert_eq!(b.portfast.as_deref(), Some("enable"));
        assert!(
            s.problems
                .iter()
                .any(|l| l.contains("VLAN table does not list: 110 (1), 534 (1)")),
            "{:?}",
            s.problems
        );
        assert!(
            s.problems
                .iter()
                .any(|l| l.starts_with("VLAN membership or trunk data for 1 ifIndex(es)")),
            "{:?}",
            s.problems
        );
    }

    #[test]
    fn garbage_never_panics() {
        let text = "\
1.3.6.1.2.1.2.2.1.2|4|no index
1.3.6.1.2.1.2.2.1.3.1|4|six
1.3.6.1.2.1.47.1.3.2.1.2.5|6|1.3.6.1.2.1.2.2.1.1.1
1.3.6.1.4.1.9.9.402.1.2.1.11.1|2|5
1.3.6.1.4.1.9.9.402.1.2.1.11.1.1|4|x
1.3.6.1.4.1.9.9.46.1.6.1.1.4.1|2|7
1.3.6.1.4.1.9.9.46.1.6.1.1.14.1|2|1
1.3.6.1.4.1.9.9.68.1.5.1.1.1.1|2|-5
1.3.6.1.4.1.9.9.166.1.5.1.1.3.1.1|2|99
1.3.6.1.4.1.9.9.166.1.1.1.1.3.1|4|in
1.0.8802.1.1.2.1.4.1.1.9.1|4|short index
1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.70000|2|1
1.3.6.1.4.1.9.9.23.1.2.1.1.9.1.1|2|5
";
        let s = snapshot(&Walk::from_snmprec(text).unwrap(), "t");
        assert!(s.problems.len() >= 6, "{:#?}", s.problems);
        assert_eq!(s.interfaces.len(), 1);
        assert_eq!(s.interfaces[0].if_type, None);
    }
}
