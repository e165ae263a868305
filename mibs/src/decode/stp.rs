//! BRIDGE-MIB bridge ports and CISCO-STP-EXTENSIONS-MIB portfast / BPDU guard.
//!
//! Cisco's BRIDGE-MIB is per VLAN: dot1dBasePortIfIndex read in the default context only
//! lists VLAN 1's ports. The bridge-port map is the union of the default context and every
//! VLAN context the poller read.

use std::collections::BTreeMap;

use super::mib_enum;
use super::table::{Problems, read};
use crate::{Oid, Value, Walk};

pub const DOT1D_BASE_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 1, 4, 1];
pub const STPX_FAST_START_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 3, 1];
/// stpxFastStartBpduGuardEnable.0 (TruthValue): `spanning-tree portfast bpduguard default`.
pub const STPX_BPDU_GUARD_DEFAULT: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 1, 0];
/// stpxFastStartGlobalDefaultMode.0: enable(1) / disable(2), `spanning-tree portfast default`.
pub const STPX_GLOBAL_DEFAULT_MODE: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 4, 0];

/// The spanning-tree global defaults.
pub fn globals(walk: &Walk, p: &mut Problems) -> lanready_schema::StpGlobals {
    let mut flag = |oid: &[u32], what: &str| {
        let v = walk.get(oid)?;
        match v.as_i64() {
            Some(1) => Some(true),
            Some(2) => Some(false),
            Some(_) => None,
            None => {
                p.line(format!("{what}: expected INTEGER, got {}", v.type_name()));
                None
            }
        }
    };
    lanready_schema::StpGlobals {
        portfast_default: flag(STPX_GLOBAL_DEFAULT_MODE, "stpxFastStartGlobalDefaultMode"),
        bpduguard_default: flag(STPX_BPDU_GUARD_DEFAULT, "stpxFastStartBpduGuardEnable"),
    }
}

mib_enum! {
    /// stpxFastStartPortMode.
    FastStartMode {
        Enable = 1 => "enable",
        Disable = 2 => "disable",
        EnableForTrunk = 3 => "enableForTrunk",
        Default = 4 => "default",
        Network = 5 => "network",
    }
}

mib_enum! {
    /// stpxFastStartPortBpduGuardMode.
    BpduGuardMode {
        Enable = 1 => "enable",
        Disable = 2 => "disable",
        Default = 3 => "default",
    }
}

fn read_base_ports(
    values: &BTreeMap<Oid, Value>,
    where_: &str,
    out: &mut BTreeMap<u32, u32>,
    p: &mut Problems,
) {
    for (bp, r) in read::<u32>(values, "dot1dBasePortTable", DOT1D_BASE_PORT_ENTRY, p) {
        let Some(i) = r.uint(2, p) else { continue };
        match out.get(&bp) {
            Some(&prev) if prev != i => p.note(
                "bridge port conflict",
                format!(
                    "bridge port {bp} is ifIndex {prev} in one context and {i} in {where_}; \
                     keeping {prev}"
                ),
            ),
            Some(_) => {}
            None => {
                out.insert(bp, i);
            }
        }
    }
}

/// dot1dBasePort -> ifIndex, merged from the default context and every VLAN context
/// (the default context wins a conflict, which is reported).
pub fn bridge_ports(walk: &Walk, p: &mut Problems) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    read_base_ports(&walk.values, "the default context", &mut out, p);
    for (vlan, values) in &walk.vlan_contexts {
        read_base_ports(values, &format!("VLAN {vlan}'s context"), &mut out, p);
    }
    out
}

/// Portfast and BPDU guard by ifIndex: (mode, bpdu guard) names.
pub fn decode_portfast(
    values: &BTreeMap<Oid, Value>,
    bridge_ports: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> BTreeMap<u32, (Option<String>, Option<String>)> {
    let mut out = BTreeMap::new();
    let rows = read::<u32>(
        values,
        "stpxFastStartPortTable",
        STPX_FAST_START_PORT_ENTRY,
        p,
    );
    let mut unmapped = Vec::new();
    for (bp, r) in rows {
        let Some(&i) = bridge_ports.get(&bp) else {
            unmapped.push(bp);
            continue;
        };
        let mode = r.int(3, p).map(|v| FastStartMode::from_i64(v).name());
        let guard = r.int(4, p).map(|v| BpduGuardMode::from_i64(v).name());
        out.insert(i, (mode, guard));
    }
    if !unmapped.is_empty() {
        p.line(format!(
            "portfast is known for {} bridge port(s) that no dot1dBasePortIfIndex maps to an \
             interface (first: {}); read BRIDGE-MIB in each VLAN's context to join them",
            unmapped.len(),
            unmapped[0]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portfast_joins_by_bridge_port_merged_across_vlan_contexts() {
        // Bridge port 3 (ifIndex 10103) is only visible in VLAN 20's context; bridge port
        // numbers are not ifIndexes.
        let mut w = Walk::from_snmprec(
            "1.3.6.1.2.1.17.1.4.1.2.1|2|10101\n\
             1.3.6.1.4.1.9.9.82.1.9.3.1.3.1|2|1\n1.3.6.1.4.1.9.9.82.1.9.3.1.4.1|2|1\n\
             1.3.6.1.4.1.9.9.82.1.9.3.1.3.3|2|2\n\
             1.3.6.1.4.1.9.9.82.1.9.3.1.3.9|2|4\n",
        )
        .unwrap();
        let ctx = Walk::from_snmprec(
            "1.3.6.1.2.1.17.1.4.1.2.3|2|10103\n1.3.6.1.2.1.17.1.4.1.2.1|2|10199\n",
        )
        .unwrap();
        w.vlan_contexts.insert(20, ctx.values);
        let mut p = Problems::default();
        let bp = bridge_ports(&w, &mut p);
        assert_eq!(bp, BTreeMap::from([(1, 10101), (3, 10103)]));
        let pf = decode_portfast(&w.values, &bp, &mut p);
        assert_eq!(
            pf[&10101],
            (Some("enable".to_string()), Some("enable".to_string()))
        );
        assert_eq!(pf[&10103].0.as_deref(), Some("disable"));
        assert!(!pf.contains_key(&1) && !pf.contains_key(&3));
        let lines = p.into_lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("keeping 10101"));
        assert!(lines[1].contains("first: 9"));
    }
}
