//! What LibreNMS's own test data expects for the corpus recordings
//! (`../shared/corpus/librenms-expected`), and how a snapshot of ours differs from it.
//!
//! The comparison covers every port LibreNMS lists (ifName, ifVlan, ifTrunk, ifDuplex), the
//! VLAN table, and the PoE budgets. Where the two could have differed, the MIB decides, and
//! it is on our side:
//! - ifVlan is LibreNMS's single VLAN per port: the access VLAN (vmVlan) on an access port,
//!   the native VLAN (vlanTrunkPortNativeVlan) on a trunk. We compare it with the same one.
//! - 2960-X: LibreNMS lists VLANs 1, 99, 1002-1005 only, as the VTP table does, although
//!   ports sit in 511, 512, 527, 534, ...: we report the same table and add a problem line
//!   rather than invent VLANs (vtpVlanTable is the VLAN database; vmVlan is membership).
//! - 9400/9500 SVL: vlanTrunkPortTable has rows but no trunking encapsulation
//!   (vlanTrunkPortEncapsulationOperType notApplicable(6), no DynamicStatus), so neither of
//!   us calls them trunks.
//! - PoE: POWER-ETHERNET-MIB's pethMainPsePower and pethMainPseConsumptionPower are watts;
//!   CISCO-POWER-ETHERNET-EXT-MIB's cpeExtMainPseUsedPower and cpeExtMainPseRemainingPower
//!   are milliwatts, which LibreNMS shows divided by 1000 and we keep as milliwatts; we
//!   compare after the same division. LibreNMS keys its sensors by the PSE group in the OID
//!   (pethMainPseGroupIndex), as we key `poe.modules`.
//! - LibreNMS leaves out some interfaces (it filters ports by type); we list every IF-MIB
//!   row, so we have more interfaces, never different ones: only ports LibreNMS lists are
//!   compared.

use std::collections::BTreeMap;
use std::path::Path;

use lanready_schema::{Interface, Snapshot};

/// pethMainPseEntry: column 2 pethMainPsePower (W), 4 pethMainPseConsumptionPower (W).
const PETH_MAIN_PSE: &str = "1.3.6.1.2.1.105.1.3.1.1.";
/// cpeExtMainPseEntry: column 4 cpeExtMainPseUsedPower (mW), 5 cpeExtMainPseRemainingPower (mW).
const CPE_EXT_MAIN_PSE: &str = "1.3.6.1.4.1.9.9.402.1.3.1.";

/// LibreNMS's expectations for the recording `name` in the corpus folder `corpus`
/// (`librenms-expected/NAME.json`): None when there is none (not every recording comes
/// from LibreNMS). A file that is there but cannot be read is a test failure.
pub fn expected(corpus: &Path, name: &str) -> Option<serde_json::Value> {
    let path = corpus
        .join("librenms-expected")
        .join(format!("{name}.json"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    };
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display())),
    )
}

/// How our snapshot differs from LibreNMS's expectations `exp` for the same recording: one
/// line per difference, so each can be explained (see the module documentation for the
/// places where we could differ and why the MIB decides). Empty when we agree.
pub fn differences(s: &Snapshot, exp: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    ports(s, exp, &mut out);
    vlans(s, exp, &mut out);
    poe(s, exp, &mut out);
    out
}

fn ports(s: &Snapshot, exp: &serde_json::Value, out: &mut Vec<String>) {
    let by_index: BTreeMap<u32, &Interface> =
        s.interfaces.iter().map(|i| (i.if_index, i)).collect();
    for port in exp["ports"].as_array().into_iter().flatten() {
        let i = port["ifIndex"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or_else(|| panic!("a LibreNMS port without a valid ifIndex: {port}"));
        let Some(ours) = by_index.get(&i) else {
            out.push(format!("port {i}: missing"));
            continue;
        };
        if let Some(n) = port["ifName"].as_str().filter(|n| ours.name != *n) {
            out.push(format!("port {i}: name {} vs {n}", ours.name));
        }
        // LibreNMS's ifTrunk is the encapsulation name ("dot1Q", "isl") on a trunk, null
        // on an access port.
        let trunk = !port["ifTrunk"].is_null();
        if trunk != ours.trunk {
            out.push(format!(
                "port {i} {}: trunk {} vs {}",
                ours.name, ours.trunk, trunk
            ));
        }
        let their_vlan = port["ifVlan"].as_str().and_then(|v| v.parse::<u16>().ok());
        let our_vlan = if ours.trunk {
            ours.native_vlan
        } else {
            ours.access_vlan
        };
        if their_vlan != our_vlan {
            out.push(format!(
                "port {i} {}: vlan {our_vlan:?} vs {their_vlan:?}",
                ours.name
            ));
        }
        // EtherLike-MIB dot3StatsDuplexStatus: LibreNMS keeps the enum name, we shorten it.
        let their_duplex = port["ifDuplex"].as_str().map(|d| match d {
            "fullDuplex" => "full",
            "halfDuplex" => "half",
            other => other,
        });
        if their_duplex != ours.duplex.as_deref() {
            out.push(format!(
                "port {i} {}: duplex {:?} vs {their_duplex:?}",
                ours.name, ours.duplex
            ));
        }
    }
}

fn vlans(s: &Snapshot, exp: &serde_json::Value, out: &mut Vec<String>) {
    let ours: BTreeMap<u16, Option<&str>> =
        s.vlans.iter().map(|v| (v.id, v.name.as_deref())).collect();
    let theirs: BTreeMap<u16, Option<&str>> = exp["vlans"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let id = v["id"]
                .as_u64()
                .and_then(|i| u16::try_from(i).ok())
                .unwrap_or_else(|| panic!("a LibreNMS VLAN without a valid id: {v}"));
            (id, v["name"].as_str())
        })
        .collect();
    if ours != theirs {
        out.push(format!("vlans {ours:?} vs {theirs:?}"));
    }
}

fn poe(s: &Snapshot, exp: &serde_json::Value, out: &mut Vec<String>) {
    for sensor in exp["poe"].as_array().into_iter().flatten() {
        let oid = sensor["sensor_oid"]
            .as_str()
            .unwrap_or_else(|| panic!("a LibreNMS PoE sensor without sensor_oid: {sensor}"))
            .trim_start_matches('.');
        // Only the PSE budget sensors (LibreNMS's other PoE sensor, the count of powered devices
        // cpeExtPdStatsTotalDevices, is not part of a snapshot).
        let (watts, rest) = match (
            oid.strip_prefix(PETH_MAIN_PSE),
            oid.strip_prefix(CPE_EXT_MAIN_PSE),
        ) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => continue,
        };
        let cur = sensor["sensor_current"]
            .as_f64()
            .unwrap_or_else(|| panic!("a LibreNMS PoE sensor without sensor_current: {sensor}"));
        let Some((col, group)) = rest.split_once('.') else {
            panic!("a LibreNMS PoE sensor OID without a group: {oid}");
        };
        let group: u32 = group
            .parse()
            .unwrap_or_else(|_| panic!("a LibreNMS PoE sensor OID with a bad group: {oid}"));
        let Some(m) = s.poe.modules.iter().find(|m| m.group == group) else {
            out.push(format!("poe group {group}: missing"));
            continue;
        };
        let ours = match (watts, col) {
            (true, "2") => m.budget_w.map(f64::from),
            (true, "4") => m.consumed_w.map(f64::from),
            (false, "4") => m.used_mw.map(|v| f64::from(v) / 1000.0),
            (false, "5") => m.remaining_mw.map(|v| f64::from(v) / 1000.0),
            _ => continue,
        };
        if ours != Some(cur) {
            out.push(format!("poe {oid}: {ours:?} vs {cur}"));
        }
    }
}
