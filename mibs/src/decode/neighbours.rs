//! Neighbours: CISCO-CDP-MIB cdpCacheTable and LLDP-MIB lldpRemTable, plus what this switch
//! itself advertises (CDP per interface, LLDP admin status, LLDP-MED network policy).
//!
//! LLDP's lldpLocPortNum is not an ifIndex. It is joined to one, in this order:
//! 1. lldpLocPortId (any subtype but macAddress/networkAddress) equal to an interface's
//!    ifName or ifDescr, or to its ifAlias when the subtype is interfaceAlias(1);
//! 2. lldpLocPortId of subtype local(7) holding a decimal number that is an ifIndex;
//! 3. lldpLocPortNum as a dot1dBasePort (what IEEE 802.1AB asks bridges to use), through
//!    dot1dBasePortIfIndex.
//!
//! Ports that match none of these are reported and their neighbours dropped.

use std::collections::BTreeMap;

use lanready_schema::{Interface, Neighbour};

use super::mib_enum;
use super::table::{OctetsIndex, Problems, Row, read};
use crate::{Oid, Value, Walk};

pub const CDP_GLOBAL_RUN: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 3, 1, 0];
pub const CDP_INTERFACE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 1, 1, 1];
pub const CDP_CACHE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1];
pub const LLDP_PORT_CONFIG_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 1, 6, 1];
pub const LLDP_LOC_PORT_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 7, 1];
pub const LLDP_REM_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];
pub const LLDP_MED_LOC_POLICY_ENTRY: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 5, 4795, 1, 2, 1, 1];

/// CDP capability bits (the CDP specification's Capabilities TLV), network order.
const CDP_CAPS: &[(u32, &str)] = &[
    (0x001, "router"),
    (0x002, "trans-bridge"),
    (0x004, "source-route-bridge"),
    (0x008, "switch"),
    (0x010, "host"),
    (0x020, "igmp"),
    (0x040, "repeater"),
    (0x080, "phone"),
    (0x100, "remotely-managed"),
    (0x200, "cvta"),
    (0x400, "two-port-mac-relay"),
];
const CDP_PHONE: u32 = 0x080;

/// LLDP-MIB LldpSystemCapabilitiesMap bit numbers (bit 0 is the first octet's MSB).
const LLDP_CAPS: &[(usize, &str)] = &[
    (0, "other"),
    (1, "repeater"),
    (2, "switch"),
    (3, "wlan-access-point"),
    (4, "router"),
    (5, "phone"),
    (6, "docsis-cable-device"),
    (7, "host"),
    (8, "c-vlan-component"),
    (9, "s-vlan-component"),
    (10, "two-port-mac-relay"),
];
const LLDP_TELEPHONE_BIT: usize = 5;

mib_enum! {
    /// lldpPortConfigAdminStatus.
    LldpAdminStatus {
        TxOnly = 1 => "txOnly",
        RxOnly = 2 => "rxOnly",
        TxAndRx = 3 => "txAndRx",
        Disabled = 4 => "disabled",
    }
}

mib_enum! {
    /// lldpLocPortIdSubtype (LldpPortIdSubtype).
    PortIdSubtype {
        InterfaceAlias = 1 => "interfaceAlias",
        PortComponent = 2 => "portComponent",
        MacAddress = 3 => "macAddress",
        NetworkAddress = 4 => "networkAddress",
        InterfaceName = 5 => "interfaceName",
        AgentCircuitId = 6 => "agentCircuitId",
        Local = 7 => "local",
    }
}

/// Octets of a BITS or bitmap value. Some recordings hold net-snmp's rendering as text
/// (`28 00 2 4`: hex octets, then bit numbers); those leading hex pairs are decoded. A real
/// value is taken as is: the text form is recognised only when it starts `hh hh`.
pub fn bits_octets(raw: &[u8]) -> Vec<u8> {
    let is_hex = |c: &u8| c.is_ascii_hexdigit();
    let texty = raw.len() >= 5 && raw[..2].iter().all(is_hex) && raw[2] == b' ';
    if !texty {
        return raw.to_vec();
    }
    String::from_utf8_lossy(raw)
        .split(' ')
        .take_while(|t| t.len() == 2 && t.bytes().all(|c| c.is_ascii_hexdigit()))
        .filter_map(|t| u8::from_str_radix(t, 16).ok())
        .collect()
}

/// CDP capability names and whether the phone bit is set.
pub fn cdp_capabilities(raw: &[u8]) -> (Vec<String>, bool) {
    let b = bits_octets(raw);
    let v = b
        .iter()
        .rev()
        .take(4)
        .rev()
        .fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
    let names = CDP_CAPS
        .iter()
        .filter(|(bit, _)| v & bit != 0)
        .map(|(_, n)| (*n).to_string())
        .collect();
    (names, v & CDP_PHONE != 0)
}

fn bit_set(octets: &[u8], bit: usize) -> bool {
    octets
        .get(bit / 8)
        .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
}

/// LLDP capability names set in a LldpSystemCapabilitiesMap.
pub fn lldp_capabilities(raw: &[u8]) -> Vec<String> {
    let b = bits_octets(raw);
    LLDP_CAPS
        .iter()
        .filter(|(bit, _)| bit_set(&b, *bit))
        .map(|(_, n)| (*n).to_string())
        .collect()
}

/// Text when printable, else colon-separated hex (chassis MACs).
fn text_or_hex(b: &[u8]) -> String {
    let printable = !b.is_empty() && b.iter().all(|&c| (0x20..0x7f).contains(&c));
    if printable {
        String::from_utf8_lossy(b).into_owned()
    } else {
        b.iter()
            .map(|c| format!("{c:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// CDP neighbours (interface names are filled in by the caller).
pub fn decode_cdp(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> Vec<Neighbour> {
    read::<(u32, u32)>(values, "cdpCacheTable", CDP_CACHE_ENTRY, p)
        .into_iter()
        .map(|((if_index, dev), r)| {
            let raw = r.bytes(9, p);
            let (capabilities, is_phone) = raw.map(cdp_capabilities).unwrap_or((Vec::new(), false));
            Neighbour {
                if_index,
                interface: None,
                protocol: "cdp".into(),
                device_id: nonempty(r.bytes(6, p).map(text_or_hex)),
                port_id: nonempty(r.text(7, p)),
                platform: nonempty(r.text(8, p)),
                capabilities,
                is_phone,
                voice_vlan: r.u16(14, p).filter(|v| (1..=4094).contains(v)),
                power_mw: r.uint(15, p).filter(|&mw| mw != 0),
                native_vlan: r.u16(11, p).filter(|v| (1..=4094).contains(v)),
                row: Some(format!("{if_index}.{dev}")),
                capabilities_raw: r.get(9).map(crate::evidence::render),
            }
        })
        .collect()
}

/// lldpLocPortNum -> ifIndex (see the module documentation for the rules).
pub fn lldp_port_map(
    values: &BTreeMap<Oid, Value>,
    interfaces: &BTreeMap<u32, Interface>,
    bridge_ports: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for (num, r) in read::<u32>(values, "lldpLocPortTable", LLDP_LOC_PORT_ENTRY, p) {
        let subtype = r.int(2, p).map(PortIdSubtype::from_i64);
        let id = r
            .bytes(3, p)
            .map(|b| crate::value::octets_text(b).trim().to_string());
        if let Some(i) = match_port(subtype, id.as_deref(), interfaces) {
            out.insert(num, i);
        } else if let Some(&i) = bridge_ports.get(&num) {
            out.insert(num, i);
        } else {
            p.note(
                "lldp port unmapped",
                format!(
                    "LLDP local port {num} (id {:?}) matches no interface name, ifIndex or \
                     bridge port; its LLDP data is not joined",
                    id.unwrap_or_default()
                ),
            );
        }
    }
    out
}

fn match_port(
    subtype: Option<PortIdSubtype>,
    id: Option<&str>,
    interfaces: &BTreeMap<u32, Interface>,
) -> Option<u32> {
    let id = id.filter(|s| !s.is_empty())?;
    if matches!(
        subtype,
        Some(PortIdSubtype::MacAddress | PortIdSubtype::NetworkAddress)
    ) {
        return None;
    }
    let by =
        |f: &dyn Fn(&Interface) -> bool| interfaces.values().find(|i| f(i)).map(|i| i.if_index);
    by(&|i| i.name == id)
        .or_else(|| by(&|i| i.descr.as_deref() == Some(id)))
        .or_else(|| {
            (subtype == Some(PortIdSubtype::InterfaceAlias))
                .then(|| by(&|i| i.alias.as_deref() == Some(id)))
                .flatten()
        })
        .or_else(|| {
            (subtype == Some(PortIdSubtype::Local))
                .then(|| id.parse::<u32>().ok())
                .flatten()
                .filter(|n| interfaces.contains_key(n))
        })
}

/// LLDP neighbours, on the ifIndex their local port maps to.
pub fn decode_lldp(
    values: &BTreeMap<Oid, Value>,
    port_map: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> Vec<Neighbour> {
    let mut out = Vec::new();
    for ((time, local, idx), r) in
        read::<(u32, u32, u32)>(values, "lldpRemTable", LLDP_REM_ENTRY, p)
    {
        let Some(&if_index) = port_map.get(&local) else {
            p.note(
                "lldp rem unmapped",
                format!("an LLDP neighbour on local port {local} is not joined to an interface"),
            );
            continue;
        };
        let mut n = lldp_neighbour(if_index, &r, p);
        n.row = Some(format!("{time}.{local}.{idx}"));
        out.push(n);
    }
    out
}

fn lldp_neighbour(if_index: u32, r: &Row<'_>, p: &mut Problems) -> Neighbour {
    let supported = r.bytes(11, p).map(bits_octets).unwrap_or_default();
    let enabled = r.bytes(12, p).map(bits_octets);
    let caps = enabled.clone().unwrap_or_else(|| supported.clone());
    let is_phone = bit_set(&supported, LLDP_TELEPHONE_BIT)
        || enabled
            .as_deref()
            .is_some_and(|e| bit_set(e, LLDP_TELEPHONE_BIT));
    let platform = nonempty(r.text(10, p)).map(|d| d.lines().next().unwrap_or("").to_string());
    Neighbour {
        if_index,
        interface: None,
        protocol: "lldp".into(),
        device_id: nonempty(r.text(9, p)).or_else(|| nonempty(r.bytes(5, p).map(text_or_hex))),
        port_id: nonempty(r.bytes(7, p).map(text_or_hex)),
        platform,
        capabilities: lldp_capabilities(&caps),
        is_phone,
        voice_vlan: None,
        power_mw: None,
        native_vlan: None,
        row: None,
        capabilities_raw: r.get(12).map(crate::evidence::render),
    }
}

/// The LLDP-MED voice network policy this switch advertises on a port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MedVoicePolicy {
    pub vlan: Option<u16>,
    pub priority: Option<u8>,
    pub dscp: Option<u8>,
    pub tagged: Option<bool>,
}

/// lldpXMedLocMediaPolicyAppType: PolicyClassType BITS (voice is bit 1), as an
/// OCTET STRING index (length then octets). A bare integer 1 is also taken as voice.
fn is_voice_app_type(arcs: &[u32]) -> Option<bool> {
    match arcs {
        [n] => Some(*n == 1),
        _ => {
            let (OctetsIndex(octets), rest) =
                <OctetsIndex as super::table::Index>::parse(arcs).ok()?;
            rest.is_empty().then(|| bit_set(&octets, 1))
        }
    }
}

/// LLDP-MED voice policies by ifIndex.
pub fn decode_med_policies(
    values: &BTreeMap<Oid, Value>,
    port_map: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> BTreeMap<u32, MedVoicePolicy> {
    let mut out = BTreeMap::new();
    // The app type index is parsed here, so rows are keyed by their raw arcs.
    let rows = read::<(u32, RawRest)>(
        values,
        "lldpXMedLocMediaPolicyTable",
        LLDP_MED_LOC_POLICY_ENTRY,
        p,
    );
    for ((local, RawRest(app)), r) in rows {
        match is_voice_app_type(&app) {
            Some(true) => {}
            Some(false) => continue,
            None => {
                p.note(
                    "med app type",
                    format!(
                        "lldpXMedLocMediaPolicyTable: application type index {app:?} unreadable"
                    ),
                );
                continue;
            }
        }
        let Some(&if_index) = port_map.get(&local) else {
            continue;
        };
        out.insert(
            if_index,
            MedVoicePolicy {
                vlan: r.u16(2, p),
                priority: r.uint(3, p).and_then(|v| u8::try_from(v).ok()),
                dscp: r.uint(4, p).and_then(|v| u8::try_from(v).ok()),
                tagged: r.truth(6, p),
            },
        );
    }
    out
}

/// Whatever arcs remain, unparsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawRest(pub Vec<u32>);

impl super::table::Index for RawRest {
    fn parse(arcs: &[u32]) -> Result<(Self, &[u32]), super::table::DecodeError> {
        Ok((RawRest(arcs.to_vec()), &[]))
    }
}

/// cdpGlobalRun.
pub fn cdp_global_run(walk: &Walk, p: &mut Problems) -> Option<bool> {
    let v = walk.get(CDP_GLOBAL_RUN)?;
    match v.as_i64() {
        Some(1) => Some(true),
        Some(2) => Some(false),
        _ => {
            p.line(format!("cdpGlobalRun: unexpected value {v:?}"));
            None
        }
    }
}

/// cdpInterfaceEnable by ifIndex.
pub fn cdp_interfaces(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> BTreeMap<u32, bool> {
    read::<u32>(values, "cdpInterfaceTable", CDP_INTERFACE_ENTRY, p)
        .into_iter()
        .filter_map(|(i, r)| r.truth(2, p).map(|t| (i, t)))
        .collect()
}

/// lldpPortConfigAdminStatus by ifIndex (lldpPortConfigPortNum is an lldpLocPortNum).
pub fn lldp_admin(
    values: &BTreeMap<Oid, Value>,
    port_map: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> BTreeMap<u32, String> {
    read::<u32>(values, "lldpPortConfigTable", LLDP_PORT_CONFIG_ENTRY, p)
        .into_iter()
        .filter_map(|(num, r)| {
            let i = *port_map.get(&num)?;
            r.int(2, p)
                .map(|v| (i, LldpAdminStatus::from_i64(v).name()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifs(list: &[(u32, &str, &str)]) -> BTreeMap<u32, Interface> {
        list.iter()
            .map(|&(i, name, descr)| {
                (
                    i,
                    Interface {
                        if_index: i,
                        name: name.into(),
                        descr: Some(descr.into()),
                        ..Interface::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn cdp_capability_bits() {
        let cases: &[(&[u8], &[&str], bool)] = &[
            (&[0, 0, 0, 0x29], &["router", "switch", "igmp"], false),
            (
                &[0, 0, 0, 0x26],
                &["trans-bridge", "source-route-bridge", "igmp"],
                false,
            ),
            (&[0, 0, 0x02, 0x90], &["host", "phone", "cvta"], true),
            (
                b"00 00 04 90",
                &["host", "phone", "two-port-mac-relay"],
                true,
            ),
            (&[0x80], &["phone"], true),
            (&[], &[], false),
        ];
        for (raw, names, phone) in cases {
            let (n, ph) = cdp_capabilities(raw);
            assert_eq!(&n, names, "{raw:?}");
            assert_eq!(ph, *phone, "{raw:?}");
        }
    }

    #[test]
    fn lldp_capability_bits_including_text_renderings() {
        assert_eq!(lldp_capabilities(&[0x28, 0x00]), vec!["switch", "router"]);
        assert_eq!(lldp_capabilities(b"28 00 2 4"), vec!["switch", "router"]);
        assert_eq!(lldp_capabilities(b"01 00 7"), vec!["host"]);
        assert_eq!(lldp_capabilities(&[0x24, 0x00]), vec!["switch", "phone"]);
        assert_eq!(lldp_capabilities(&[0x00, 0x20]), vec!["two-port-mac-relay"]);
    }

    #[test]
    fn cdp_cache_is_keyed_by_ifindex_then_device() {
        let w = Walk::from_snmprec(
            "1.3.6.1.4.1.9.9.23.1.2.1.1.6.10105.3|4|SEP001122334455\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.7.10105.3|4|Port 1\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.8.10105.3|4|Cisco IP Phone 8845\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.9.10105.3|4x|00000490\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.11.10105.3|2|0\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.14.10105.3|2|110\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.15.10105.3|2|6300\n\
             1.3.6.1.4.1.9.9.23.1.2.1.1.6.10106.1|4x|0011223344\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let n = decode_cdp(&w.values, &mut p);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].if_index, 10105);
        assert!(n[0].is_phone);
        assert_eq!(n[0].voice_vlan, Some(110));
        assert_eq!(n[0].power_mw, Some(6300));
        assert_eq!(n[0].native_vlan, None);
        assert_eq!(n[0].platform.as_deref(), Some("Cisco IP Phone 8845"));
        assert_eq!(n[1].if_index, 10106);
        assert_eq!(n[1].device_id.as_deref(), Some("00:11:22:33:44"));
        assert!(!n[1].is_phone);
    }

    #[test]
    fn lldp_local_ports_map_by_name_number_or_bridge_port() {
        let w = Walk::from_snmprec(
            "1.0.8802.1.1.2.1.3.7.1.2.1|2|5\n1.0.8802.1.1.2.1.3.7.1.3.1|4|Gi1/0/1\n\
             1.0.8802.1.1.2.1.3.7.1.2.2|2|5\n1.0.8802.1.1.2.1.3.7.1.3.2|4|GigabitEthernet1/0/2\n\
             1.0.8802.1.1.2.1.3.7.1.2.3|2|7\n1.0.8802.1.1.2.1.3.7.1.3.3|4|10103\n\
             1.0.8802.1.1.2.1.3.7.1.2.4|2|7\n1.0.8802.1.1.2.1.3.7.1.3.4|4|port-004\n\
             1.0.8802.1.1.2.1.3.7.1.2.5|2|7\n1.0.8802.1.1.2.1.3.7.1.3.5|4|port-005\n\
             1.0.8802.1.1.2.1.3.7.1.2.6|2|3\n1.0.8802.1.1.2.1.3.7.1.3.6|4x|001122334455\n",
        )
        .unwrap();
        let interfaces = ifs(&[
            (10101, "Gi1/0/1", "GigabitEthernet1/0/1"),
            (10102, "Gi1/0/2", "GigabitEthernet1/0/2"),
            (10103, "Gi1/0/3", "GigabitEthernet1/0/3"),
            (10104, "Gi1/0/4", "GigabitEthernet1/0/4"),
        ]);
        let bridge = BTreeMap::from([(4, 10104)]);
        let mut p = Problems::default();
        let m = lldp_port_map(&w.values, &interfaces, &bridge, &mut p);
        assert_eq!(
            m,
            BTreeMap::from([(1, 10101), (2, 10102), (3, 10103), (4, 10104)])
        );
        let lines = p.into_lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("port-005"));
    }

    #[test]
    fn lldp_remote_index_is_timemark_localport_index() {
        let w = Walk::from_snmprec(
            "1.0.8802.1.1.2.1.4.1.1.5.0.3.1|4x|788517840b80\n\
             1.0.8802.1.1.2.1.4.1.1.7.0.3.1|4|Port 1\n\
             1.0.8802.1.1.2.1.4.1.1.9.0.3.1|4|\n\
             1.0.8802.1.1.2.1.4.1.1.10.0.3.1|4x|4176617961204a3137390a6c696e652074776f\n\
             1.0.8802.1.1.2.1.4.1.1.11.0.3.1|4x|2400\n\
             1.0.8802.1.1.2.1.4.1.1.12.0.3.1|4x|0400\n\
             1.0.8802.1.1.2.1.4.1.1.9.500.9.2|4|elsewhere\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let n = decode_lldp(&w.values, &BTreeMap::from([(3, 10103)]), &mut p);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].if_index, 10103);
        assert_eq!(n[0].device_id.as_deref(), Some("78:85:17:84:0b:80"));
        assert_eq!(n[0].platform.as_deref(), Some("Avaya J179"));
        assert_eq!(n[0].capabilities, vec!["phone"]);
        assert!(n[0].is_phone);
        assert_eq!(p.into_lines().len(), 1, "local port 9 is not mapped");
    }

    #[test]
    fn med_voice_policy_by_bits_index() {
        let w = Walk::from_snmprec(
            "1.0.8802.1.1.2.1.5.4795.1.2.1.1.2.3.1.64|2|110\n\
             1.0.8802.1.1.2.1.5.4795.1.2.1.1.3.3.1.64|2|5\n\
             1.0.8802.1.1.2.1.5.4795.1.2.1.1.4.3.1.64|2|46\n\
             1.0.8802.1.1.2.1.5.4795.1.2.1.1.6.3.1.64|2|1\n\
             1.0.8802.1.1.2.1.5.4795.1.2.1.1.2.3.1.32|2|111\n\
             1.0.8802.1.1.2.1.5.4795.1.2.1.1.2.4.1|2|120\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let m = decode_med_policies(&w.values, &BTreeMap::from([(3, 10103), (4, 10104)]), &mut p);
        assert_eq!(
            m[&10103],
            MedVoicePolicy {
                vlan: Some(110),
                priority: Some(5),
                dscp: Some(46),
                tagged: Some(true)
            }
        );
        assert_eq!(m[&10104].vlan, Some(120));
    }
}
