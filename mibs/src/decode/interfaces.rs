//! IF-MIB (ifTable, ifXTable) and EtherLike-MIB dot3StatsTable: the interface list that
//! every other area joins to by ifIndex.

use std::collections::BTreeMap;

use lanready_schema::Interface;

use super::mib_enum;
use super::table::{Problems, read};
use crate::Oid;
use crate::Value;

pub const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
pub const IFX_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
pub const DOT3_STATS_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 10, 7, 2, 1];
/// ifSpeed's ceiling (Gauge32): a port at or above 4.29 Gb/s reports this.
pub const IF_SPEED_MAX: u64 = 4_294_967_295;
/// ifIndex column: ENTITY-MIB aliases point at `IF_INDEX.<ifIndex>`.
pub const IF_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 1];

mib_enum! {
    /// dot3StatsDuplexStatus (EtherLike-MIB): the current mode of operation of the MAC.
    Duplex {
        NotKnown = 1 => "unknown",
        Half = 2 => "half",
        Full = 3 => "full",
    }
}

/// Every interface in ifTable or ifXTable, by ifIndex.
pub fn decode(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> BTreeMap<u32, Interface> {
    let if_rows = read::<u32>(values, "ifTable", IF_ENTRY, p);
    let ifx_rows = read::<u32>(values, "ifXTable", IFX_ENTRY, p);
    let dot3 = read::<u32>(values, "dot3StatsTable", DOT3_STATS_ENTRY, p);

    let mut out: BTreeMap<u32, Interface> = BTreeMap::new();
    for &i in if_rows.keys().chain(ifx_rows.keys()) {
        out.entry(i).or_insert_with(|| Interface {
            if_index: i,
            ..Interface::default()
        });
    }
    for (i, itf) in out.iter_mut() {
        let row = if_rows.get(i);
        let xrow = ifx_rows.get(i);
        itf.descr = row.and_then(|r| r.text(2, p));
        let if_name = xrow.and_then(|r| r.text(1, p)).filter(|n| !n.is_empty());
        itf.name = if_name
            .or_else(|| itf.descr.clone().filter(|d| !d.is_empty()))
            .unwrap_or_else(|| format!("ifIndex {i}"));
        itf.alias = xrow.and_then(|r| r.text(18, p)).filter(|a| !a.is_empty());
        itf.if_type = row.and_then(|r| r.uint(3, p));
        itf.admin_up = row.and_then(|r| r.int(7, p)).map(|s| s == 1);
        itf.oper_up = row.and_then(|r| r.int(8, p)).map(|s| s == 1);
        // ifHighSpeed is already Mb/s; ifSpeed (bits/s) saturates at 4.29 Gb/s: at its
        // maximum it only says "at least that fast".
        let high = xrow.and_then(|r| r.u64(15, p));
        let low = row.and_then(|r| r.u64(5, p));
        match (high, low) {
            (Some(h), _) => itf.speed_mbps = Some(h),
            (None, Some(IF_SPEED_MAX)) => {
                itf.speed_at_least_mbps = Some(IF_SPEED_MAX / 1_000_000);
                p.note(
                    "speed saturated",
                    format!(
                        "ifSpeed of ifIndex {i} is at its maximum (4294967295) and ifHighSpeed \
                         is not reported: the port runs at 4.29 Gb/s or faster, exactly how fast \
                         is unknown"
                    ),
                );
            }
            (None, Some(bps)) => itf.speed_mbps = Some(bps / 1_000_000),
            (None, None) => {}
        }
        itf.in_errors = row.and_then(|r| r.u64(14, p));
        itf.out_errors = row.and_then(|r| r.u64(20, p));
        if let Some(d) = dot3.get(i) {
            itf.fcs_errors = d.u64(3, p);
            itf.late_collisions = d.u64(8, p);
            itf.duplex = d.int(19, p).map(|v| Duplex::from_i64(v).name());
        }
    }
    for i in dot3.keys().filter(|i| !out.contains_key(i)) {
        p.note(
            "dot3 orphan",
            format!("dot3StatsTable has a row for ifIndex {i}, which IF-MIB does not list"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;

    fn check(snmprec: &str, if_index: u32, expect: impl Fn(&Interface)) {
        let w = Walk::from_snmprec(snmprec).unwrap();
        let mut p = Problems::default();
        let m = decode(&w.values, &mut p);
        expect(&m[&if_index]);
    }

    #[test]
    fn name_speed_and_duplex_fall_back_in_order() {
        // ifName wins over ifDescr; ifHighSpeed over ifSpeed.
        check(
            "1.3.6.1.2.1.2.2.1.2.10101|4|GigabitEthernet1/0/1\n\
             1.3.6.1.2.1.2.2.1.5.10101|66|100000000\n\
             1.3.6.1.2.1.2.2.1.7.10101|2|1\n1.3.6.1.2.1.2.2.1.8.10101|2|7\n\
             1.3.6.1.2.1.31.1.1.1.1.10101|4|Gi1/0/1\n\
             1.3.6.1.2.1.31.1.1.1.15.10101|66|10000\n\
             1.3.6.1.2.1.10.7.2.1.19.10101|2|3\n",
            10101,
            |i| {
                assert_eq!(i.name, "Gi1/0/1");
                assert_eq!(i.speed_mbps, Some(10000));
                assert_eq!(i.duplex.as_deref(), Some("full"));
                assert_eq!(i.admin_up, Some(true));
                assert_eq!(i.oper_up, Some(false), "lowerLayerDown(7) is not up");
            },
        );
        // No ifXTable: ifDescr and ifSpeed / 1e6; half duplex; an odd duplex code.
        check(
            "1.3.6.1.2.1.2.2.1.2.3|4|FastEthernet0/3\n1.3.6.1.2.1.2.2.1.5.3|66|100000000\n\
             1.3.6.1.2.1.10.7.2.1.19.3|2|2\n",
            3,
            |i| {
                assert_eq!(i.name, "FastEthernet0/3");
                assert_eq!(i.speed_mbps, Some(100));
                assert_eq!(i.duplex.as_deref(), Some("half"));
            },
        );
        check(
            "1.3.6.1.2.1.10.7.2.1.19.4|2|9\n1.3.6.1.2.1.2.2.1.3.4|2|6\n",
            4,
            |i| {
                assert_eq!(i.name, "ifIndex 4");
                assert_eq!(i.duplex.as_deref(), Some("unknown(9)"));
            },
        );
    }
}
