//! Evidence as lanready writes it: the MIB object and the index actually read, then the raw
//! value with its meaning beside it (`vmVoiceVlanId.10107 = 4096 (none)`), "no row" for a row
//! the switch did not give, and whole-table statements that say which table and how many
//! rows. Every `object.index = value` can be checked against the walk it came from:
//! [`objects`] names each object's OID and [`render`] writes a value the way evidence does.

use std::fmt::Display;

use lanready_schema::Evidence;

use crate::Value;

/// The value written for a row the switch did not give.
pub const NO_ROW: &str = "no row";

/// A value read: `object.index = raw` or `raw (meaning)`.
pub fn read(
    object: &str,
    index: impl Display,
    raw: impl Display,
    meaning: Option<&str>,
) -> Evidence {
    let raw = raw.to_string();
    Evidence {
        object: format!("{object}.{index}"),
        value: match meaning {
            Some(m) if !m.is_empty() && m != raw => format!("{raw} ({m})"),
            _ => raw,
        },
    }
}

/// A text value read, quoted as [`render`] writes OCTET STRINGs.
pub fn text(object: &str, index: impl Display, text: &str) -> Evidence {
    Evidence {
        object: format!("{object}.{index}"),
        value: quote(text),
    }
}

/// A row the switch did not give: `object.index = no row`.
pub fn no_row(object: &str, index: impl Display) -> Evidence {
    Evidence {
        object: format!("{object}.{index}"),
        value: NO_ROW.into(),
    }
}

/// A statement about a whole table: `table = <what>` (`cbQosServicePolicyTable = 1 rows, none
/// with cbQosIfIndex 26 and direction input`).
pub fn table(table: &str, what: impl Display) -> Evidence {
    Evidence {
        object: table.to_string(),
        value: what.to_string(),
    }
}

/// Something that is not a value read: the plan's figures, a computed total
/// (`plan.phones = 48 x 7 W`, `computed: phones placed = 40`).
pub fn note(what: &str, value: impl Display) -> Evidence {
    Evidence {
        object: what.to_string(),
        value: value.to_string(),
    }
}

/// Text as evidence quotes it.
pub fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// A value as evidence writes it raw: numbers in decimal, OIDs dotted, printable OCTET
/// STRINGs quoted, other octets as `0x` and hex.
pub fn render(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => u.to_string(),
        Value::Counter64(u) => u.to_string(),
        Value::ObjectId(o) => o.to_string(),
        Value::IpAddress(a) => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        Value::OctetString(b) | Value::Opaque(b) => {
            let text = crate::value::octets_text(b);
            if !b.is_empty() && text.chars().all(|c| (' '..='~').contains(&c)) {
                quote(&text)
            } else {
                format!(
                    "0x{}",
                    b.iter().map(|c| format!("{c:02x}")).collect::<String>()
                )
            }
        }
        Value::Null => "null".into(),
    }
}

/// Every MIB object lanready's evidence names, with its OID (a column, or a scalar without
/// its `.0`). The evidence test resolves `object.index` through this table.
pub fn objects() -> &'static [(&'static str, &'static [u32])] {
    OBJECTS
}

/// The OID of a named object.
pub fn oid_of(name: &str) -> Option<&'static [u32]> {
    OBJECTS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
}

macro_rules! objs {
    ($($name:literal => [$($a:expr),+]),+ $(,)?) => {
        &[$(($name, &[$($a),+])),+]
    };
}

const OBJECTS: &[(&str, &[u32])] = objs![
    "sysDescr" => [1, 3, 6, 1, 2, 1, 1, 1],
    "sysObjectID" => [1, 3, 6, 1, 2, 1, 1, 2],
    "sysUpTime" => [1, 3, 6, 1, 2, 1, 1, 3],
    "sysName" => [1, 3, 6, 1, 2, 1, 1, 5],
    "ifDescr" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 2],
    "ifType" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 3],
    "ifSpeed" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 5],
    "ifAdminStatus" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 7],
    "ifOperStatus" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 8],
    "ifInErrors" => [1, 3, 6, 1, 2, 1, 2, 2, 1, 14],
    "ifName" => [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1],
    "ifHighSpeed" => [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15],
    "ifStackStatus" => [1, 3, 6, 1, 2, 1, 31, 1, 2, 1, 3],
    "ipAdEntIfIndex" => [1, 3, 6, 1, 2, 1, 4, 20, 1, 2],
    "ifMauType" => [1, 3, 6, 1, 2, 1, 26, 2, 1, 1, 3],
    "dot3StatsFCSErrors" => [1, 3, 6, 1, 2, 1, 10, 7, 2, 1, 3],
    "dot3StatsLateCollisions" => [1, 3, 6, 1, 2, 1, 10, 7, 2, 1, 8],
    "dot3StatsDuplexStatus" => [1, 3, 6, 1, 2, 1, 10, 7, 2, 1, 19],
    "entPhysicalDescr" => [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2],
    "entPhysicalClass" => [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5],
    "entPhysicalName" => [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7],
    "entPhysicalModelName" => [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13],
    "entAliasMappingIdentifier" => [1, 3, 6, 1, 2, 1, 47, 1, 3, 2, 1, 2],
    "dot3adAggActorAdminKey" => [1, 2, 840, 10006, 300, 43, 1, 1, 1, 1, 6],
    "dot3adAggPortActorAdminKey" => [1, 2, 840, 10006, 300, 43, 1, 2, 1, 1, 4],
    "dot3adAggPortSelectedAggID" => [1, 2, 840, 10006, 300, 43, 1, 2, 1, 1, 12],
    "dot3adAggPortAttachedAggID" => [1, 2, 840, 10006, 300, 43, 1, 2, 1, 1, 13],
    "pagpEthcOperationMode" => [1, 3, 6, 1, 4, 1, 9, 9, 98, 1, 1, 1, 1, 1],
    "pagpGroupIfIndex" => [1, 3, 6, 1, 4, 1, 9, 9, 98, 1, 1, 1, 1, 8],
    "cswSwitchNumCurrent" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 2, 1, 1, 1],
    "cswSwitchPowerBudget" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 2, 1, 1, 9],
    "cswSwitchPowerAllocated" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 2, 1, 1, 14],
    "cswStackPowerMode" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 3, 1, 1, 2],
    "cswStackPowerNumMembers" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 3, 1, 1, 5],
    "cswStackPowerName" => [1, 3, 6, 1, 4, 1, 9, 9, 500, 1, 3, 1, 1, 7],
    "ciscoEnvMonSupplyState" => [1, 3, 6, 1, 4, 1, 9, 9, 13, 1, 5, 1, 3],
    "cefcFRUPowerOperStatus" => [1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 2, 1, 2],
    "cefcPowerUnits" => [1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1, 2],
    "cefcTotalAvailableCurrent" => [1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1, 3],
    "cefcTotalDrawnCurrent" => [1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1, 4],
    "cefcTotalDrawnInlineCurrent" => [1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 1, 1, 7],
    "pethMainPsePower" => [1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1, 2],
    "pethMainPseOperStatus" => [1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1, 3],
    "pethMainPseConsumptionPower" => [1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1, 4],
    "cpeExtMainPseEntPhyIndex" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1, 1],
    "cpeExtMainPseDescr" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1, 2],
    "cpeExtMainPseUsedPower" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1, 4],
    "cpeExtMainPseRemainingPower" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 3, 1, 5],
    "pethPsePortAdminEnable" => [1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 3],
    "pethPsePortDetectionStatus" => [1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 6],
    "pethPsePortPowerClassifications" => [1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 10],
    "pethPsePortPowerDeniedCounter" => [1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 12],
    "pethPsePortOverLoadCounter" => [1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 13],
    "cpeExtPsePortPwrMax" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1, 6],
    "cpeExtPsePortPwrAllocated" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1, 7],
    "cpeExtPsePortEntPhyIndex" => [1, 3, 6, 1, 4, 1, 9, 9, 402, 1, 2, 1, 11],
    "vtpVlanState" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2],
    "vlanTrunkPortVlansEnabled" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1, 4],
    "vlanTrunkPortNativeVlan" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1, 5],
    "vlanTrunkPortDynamicState" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1, 13],
    "vlanTrunkPortDynamicStatus" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1, 14],
    "vlanTrunkPortEncapsulationOperType" => [1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1, 16],
    "vmVlan" => [1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1, 2],
    "vmVoiceVlanId" => [1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 5, 1, 1, 1],
    "dot1dBasePortIfIndex" => [1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2],
    "stpxFastStartPortMode" => [1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 3, 1, 3],
    "stpxFastStartPortBpduGuardMode" => [1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 3, 1, 4],
    "stpxFastStartBpduGuardEnable" => [1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 1],
    "stpxFastStartGlobalDefaultMode" => [1, 3, 6, 1, 4, 1, 9, 9, 82, 1, 9, 4],
    "cdpInterfaceEnable" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 1, 1, 1, 2],
    "cdpCacheDeviceId" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 6],
    "cdpCachePlatform" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 8],
    "cdpCacheCapabilities" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 9],
    "cdpCacheVlanID" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 14],
    "cdpGlobalRun" => [1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 3, 1],
    "lldpLocChassisId" => [1, 0, 8802, 1, 1, 2, 1, 3, 2],
    "lldpPortConfigAdminStatus" => [1, 0, 8802, 1, 1, 2, 1, 1, 6, 1, 2],
    "lldpRemSysName" => [1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9],
    "lldpRemSysCapEnabled" => [1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 12],
    "lldpXMedLocMediaPolicyVlanID" => [1, 0, 8802, 1, 1, 2, 1, 5, 4795, 1, 2, 1, 1, 2],
    "cbQosIfIndex" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 1, 1, 1, 4],
    "cbQosPolicyMapName" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 6, 1, 1, 1],
    "cbQosCMName" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 7, 1, 1, 1],
    "cbQosMatchStmtName" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 8, 1, 1, 1],
    "cbQosQueueingCfgPriorityEnabled" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 9, 1, 1, 4],
    "cbQosSetCfgIpDSCPValue" => [1, 3, 6, 1, 4, 1, 9, 9, 166, 1, 14, 1, 1, 2],
    "csqIfTrustState" => [1, 3, 6, 1, 4, 1, 9, 9, 580, 1, 4, 1, 1, 2],
    "cafPortAuthHostMode" => [1, 3, 6, 1, 4, 1, 9, 9, 656, 1, 2, 1, 1, 3],
    "cafPortAuthorizeControl" => [1, 3, 6, 1, 4, 1, 9, 9, 656, 1, 2, 1, 1, 5],
    "dot1xAuthAuthControlledPortControl" => [1, 0, 8802, 1, 1, 1, 1, 2, 1, 1, 6],
    "cpsIfPortSecurityEnable" => [1, 3, 6, 1, 4, 1, 9, 9, 315, 1, 2, 1, 1, 1],
    "cpsIfMaxSecureMacAddr" => [1, 3, 6, 1, 4, 1, 9, 9, 315, 1, 2, 1, 1, 3],
    "cpsIfViolationAction" => [1, 3, 6, 1, 4, 1, 9, 9, 315, 1, 2, 1, 1, 8],
    "cErrDisableRecoveryInterval" => [1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 1, 1],
    "cErrDisableFeatureRecoveryEnable" => [1, 3, 6, 1, 4, 1, 9, 9, 548, 1, 2, 1, 1, 4],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_as_evidence_writes_them() {
        assert_eq!(render(&Value::Integer(4096)), "4096");
        assert_eq!(
            render(&Value::OctetString(b"Gi1/0/1".to_vec())),
            "\"Gi1/0/1\""
        );
        assert_eq!(
            render(&Value::OctetString(vec![0, 0, 4, 0x90])),
            "0x00000490"
        );
        assert_eq!(
            read("vmVoiceVlanId", 3, 4096, Some("none")).value,
            "4096 (none)"
        );
        assert_eq!(read("vmVlan", 3, 10, None).object, "vmVlan.3");
        assert_eq!(no_row("vmVoiceVlanId", 3).value, "no row");
        let mut names: Vec<&str> = OBJECTS.iter().map(|(n, _)| *n).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "object names are unique");
        assert_eq!(oid_of("vmVoiceVlanId").map(|o| o.len()), Some(14));
    }
}
