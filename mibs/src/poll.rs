//! What the poller reads: scalars fetched with one GET, and table groups whose columns are
//! walked together with GETBULK (one request fetches a row of every column). The decoders
//! in this crate read only what is listed here.

/// Scalars read with a single GET (sysDescr, sysObjectID, sysUpTime, sysName, sysLocation,
/// cdpGlobalRun, stpxFastStartBpduGuardEnable, stpxFastStartGlobalDefaultMode,
/// cErrDisableRecoveryInterval, lldpLocChassisId).
pub const SCALARS: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 1, 1, 0],
    &[1, 3, 6, 1, 2, 1, 1, 2, 0],
    &[1, 3, 6, 1, 2, 1, 1, 3, 0],
    &[1, 3, 6, 1, 2, 1, 1, 5, 0],
    &[1, 3, 6, 1, 2, 1, 1, 6, 0],
    &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 3, 1, 0],
    &[1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 1, 0],
    &[1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 4, 0],
    &[1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 1, 1, 0],
    &[1, 0, 8802, 1, 1, 2, 1, 3, 2, 0],
];

/// Columns of one table, walked in lockstep: they share an index, so each GETBULK
/// repetition brings one row of every column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The name reported in `Snapshot::tables`.
    pub name: &'static str,
    pub columns: &'static [&'static [u32]],
}

macro_rules! cols {
    (@one [$($b:expr),+]; $c:expr) => {
        &[$($b),+, $c]
    };
    ($base:tt; $($c:expr),+ $(,)?) => {
        &[$( cols!(@one $base; $c) ),+]
    };
}

/// Groups whose rows are bounded by the hardware or a few lines of configuration (stack
/// members, power supplies, PSEs, QoS policy and class definitions): the poller walks
/// the ones a switch has together, so a handful of one-row tables costs one request, not
/// one each.
pub const FEW_ROWS: &[&str] = &[
    "cswSwitchInfoTable",
    "ciscoEnvMonSupplyStatusTable",
    "cefcFRUPowerStatusTable",
    "pethMainPseTable",
    "cpeExtMainPseTable",
    "cbQosPolicyMapCfgTable",
    "cbQosCMCfgTable",
    "cbQosMatchStmtCfgTable",
    "cbQosQueueingCfgTable",
];

/// Every table group lanready reads, in the order the poller walks them.
pub const GROUPS: &[Group] = &[
    Group {
        name: "ifTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 2, 2, 1]; 2, 3, 5, 7, 8, 14, 20),
    },
    Group {
        name: "ifXTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 31, 1, 1, 1]; 1, 15, 18),
    },
    Group {
        name: "dot3StatsTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 10, 7, 2, 1]; 3, 8, 19),
    },
    Group {
        name: "ifStackTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 31, 1, 2, 1]; 3),
    },
    Group {
        name: "ipAddrTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 4, 20, 1]; 2),
    },
    Group {
        name: "ifMauTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 26, 2, 1, 1]; 3),
    },
    Group {
        name: "dot3adAggTable",
        columns: cols!([1, 2, 840, 10006, 300, 43, 1, 1, 1, 1]; 6),
    },
    Group {
        name: "dot3adAggPortTable",
        columns: cols!([1, 2, 840, 10006, 300, 43, 1, 2, 1, 1]; 4, 12, 13),
    },
    Group {
        name: "pagpEtherChannelTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 98, 1, 1, 1, 1]; 1, 8),
    },
    Group {
        name: "entPhysicalTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1]; 2, 4, 5, 7, 11, 13),
    },
    Group {
        name: "entAliasMappingTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 47, 1, 3, 2, 1]; 2),
    },
    Group {
        name: "cswSwitchInfoTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 2, 1, 1]; 1, 3, 6, 9, 14),
    },
    Group {
        name: "cswStackPowerInfoTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 3, 1, 1]; 2, 4, 5, 7),
    },
    Group {
        name: "cswStackPowerPortInfoTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 3, 2, 1]; 4, 5),
    },
    Group {
        name: "ciscoEnvMonSupplyStatusTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 13, 1, 5, 1]; 2, 3),
    },
    Group {
        name: "cefcFRUPowerSupplyGroupTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1]; 2, 3, 4, 5, 7),
    },
    Group {
        name: "cefcFRUPowerStatusTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 2, 1]; 2),
    },
    Group {
        name: "pethMainPseTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1]; 2, 3, 4, 5),
    },
    Group {
        name: "cpeExtMainPseTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1]; 1, 2, 4, 5),
    },
    Group {
        name: "pethPsePortTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 105, 1, 1, 1]; 3, 6, 7, 10, 12, 13),
    },
    Group {
        name: "cpeExtPsePortTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1]; 6, 7, 8, 9, 10, 11),
    },
    Group {
        name: "vtpVlanTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1]; 2, 3, 4),
    },
    Group {
        name: "vlanTrunkPortTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1]; 4, 5, 13, 14, 16, 17, 18, 19),
    },
    Group {
        name: "vmMembershipTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1]; 1, 2),
    },
    Group {
        name: "vmVoiceVlanTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 5, 1, 1]; 1),
    },
    Group {
        name: "dot1qVlanStaticTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 3, 1]; 1, 2, 4),
    },
    Group {
        name: "dot1qPortVlanTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 5, 1]; 1),
    },
    Group {
        name: "dot1dBasePortTable",
        columns: cols!([1, 3, 6, 1, 2, 1, 17, 1, 4, 1]; 2),
    },
    Group {
        name: "stpxFastStartPortTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 3, 1]; 3, 4),
    },
    Group {
        name: "cdpInterfaceTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 1, 1, 1]; 2),
    },
    Group {
        name: "cdpCacheTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1]; 6, 7, 8, 9, 11, 12, 14, 15),
    },
    Group {
        name: "lldpPortConfigTable",
        columns: cols!([1, 0, 8802, 1, 1, 2, 1, 1, 6, 1]; 2),
    },
    Group {
        name: "lldpLocPortTable",
        columns: cols!([1, 0, 8802, 1, 1, 2, 1, 3, 7, 1]; 2, 3),
    },
    Group {
        name: "lldpRemTable",
        columns: cols!([1, 0, 8802, 1, 1, 2, 1, 4, 1, 1]; 5, 7, 8, 9, 10, 11, 12),
    },
    Group {
        name: "lldpXMedLocMediaPolicyTable",
        columns: cols!([1, 0, 8802, 1, 1, 2, 1, 5, 4795, 1, 2, 1, 1]; 2, 3, 4, 5, 6, 7),
    },
    Group {
        name: "cbQosServicePolicyTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 1, 1, 1]; 2, 3, 4),
    },
    Group {
        name: "cbQosObjectsTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 5, 1, 1]; 2, 3, 4),
    },
    Group {
        name: "cbQosPolicyMapCfgTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 6, 1, 1]; 1),
    },
    Group {
        name: "cbQosCMCfgTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 7, 1, 1]; 1),
    },
    Group {
        name: "cbQosMatchStmtCfgTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 8, 1, 1]; 1),
    },
    Group {
        name: "cbQosQueueingCfgTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 9, 1, 1]; 4),
    },
    Group {
        name: "cbQosSetCfgTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 14, 1, 1]; 1, 2, 5),
    },
    Group {
        name: "csqIfConfigTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 580, 1, 4, 1, 1]; 2),
    },
    Group {
        name: "cafPortConfigTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 656, 1, 2, 1, 1]; 3, 5),
    },
    Group {
        name: "dot1xAuthConfigTable",
        columns: cols!([1, 0, 8802, 1, 1, 1, 1, 2, 1, 1]; 6),
    },
    Group {
        name: "cpsIfConfigTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 315, 1, 2, 1, 1]; 1, 2, 3, 8),
    },
    Group {
        name: "cErrDisableFeatureTable",
        columns: cols!([1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 2, 1, 1]; 4),
    },
];

/// Read again in every VLAN's context (Cisco community-string indexing, `community@VLAN`;
/// SNMPv3 context `vlan-VLAN`): BRIDGE-MIB on Cisco is per VLAN, so bridge port to ifIndex
/// for ports outside VLAN 1 is only found there.
pub const PER_VLAN_GROUPS: &[Group] = &[Group {
    name: "dot1dBasePortTable",
    columns: cols!([1, 3, 6, 1, 2, 1, 17, 1, 4, 1]; 2),
}];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_has_columns_of_one_table() {
        for g in GROUPS {
            let first = g.columns[0];
            let entry = &first[..first.len() - 1];
            for c in g.columns {
                assert_eq!(
                    &c[..c.len() - 1],
                    entry,
                    "{}: columns of one table entry",
                    g.name
                );
            }
            let mut sorted = g.columns.to_vec();
            sorted.sort();
            assert_eq!(sorted, g.columns, "{}: columns in ascending order", g.name);
        }
    }

    #[test]
    fn few_row_groups_are_groups_and_fit_one_request_with_room_for_two_rows() {
        let columns: usize = FEW_ROWS
            .iter()
            .map(|name| match GROUPS.iter().find(|g| g.name == *name) {
                Some(g) => g.columns.len(),
                None => panic!("{name} is not a group"),
            })
            .sum();
        // Two rows and the end of each column in one 64-varbind answer.
        assert!(columns * 3 <= 64, "{columns} columns");
    }
}
