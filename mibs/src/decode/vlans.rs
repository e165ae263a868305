//! VLANs: the VLAN table (CISCO-VTP-MIB vtpVlanTable, else Q-BRIDGE-MIB), trunks
//! (vlanTrunkPortTable), access VLANs (CISCO-VLAN-MEMBERSHIP-MIB vmVlan, else Q-BRIDGE
//! dot1qPvid) and voice VLANs (vmVoiceVlanId).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lanready_schema::Vlan;

use super::mib_enum;
use super::table::{Problems, read};
use crate::{Oid, Value};

pub const VTP_VLAN_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1];
pub const VLAN_TRUNK_PORT_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 6, 1, 1];
pub const VM_MEMBERSHIP_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1];
pub const VM_VOICE_VLAN_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 5, 1, 1];
pub const DOT1Q_VLAN_STATIC_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 3, 1];
pub const DOT1Q_PORT_VLAN_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 5, 1];

mib_enum! {
    /// vtpVlanState.
    VtpVlanState {
        Operational = 1 => "operational",
        Suspended = 2 => "suspended",
        MtuTooBigForDevice = 3 => "mtuTooBigForDevice",
        MtuTooBigForTrunk = 4 => "mtuTooBigForTrunk",
    }
}

mib_enum! {
    /// vtpVlanType (VlanType).
    VtpVlanType {
        Ethernet = 1 => "ethernet",
        Fddi = 2 => "fddi",
        TokenRing = 3 => "tokenRing",
        FddiNet = 4 => "fddiNet",
        TrNet = 5 => "trNet",
        Deprecated = 6 => "deprecated",
    }
}

mib_enum! {
    /// vlanTrunkPortEncapsulationOperType: the encapsulation in use on a trunk;
    /// negotiating(5) and notApplicable(6) mean the port is not trunking.
    TrunkEncapsulation {
        Isl = 1 => "isl",
        Dot10 = 2 => "dot10",
        Lane = 3 => "lane",
        Dot1Q = 4 => "dot1Q",
        Negotiating = 5 => "negotiating",
        NotApplicable = 6 => "notApplicable",
    }
}

mib_enum! {
    /// vlanTrunkPortDynamicStatus: whether the port is trunking now.
    TrunkStatus {
        Trunking = 1 => "trunking",
        NotTrunking = 2 => "notTrunking",
    }
}

mib_enum! {
    /// vlanTrunkPortDynamicState: how the port is configured to trunk (`switchport mode
    /// trunk` is on(1), `access` off(2), `dynamic desirable` desirable(3), `dynamic auto`
    /// auto(4), `switchport nonegotiate` with trunk onNoNegotiate(5)).
    TrunkState {
        On = 1 => "on",
        Off = 2 => "off",
        Desirable = 3 => "desirable",
        Auto = 4 => "auto",
        OnNoNegotiate = 5 => "onNoNegotiate",
    }
}

/// The octets a CISCO-VTP-MIB VLAN bitmap column has (VLANs base..base+1023).
pub const BITMAP_OCTETS: usize = 128;

/// vmVoiceVlanId: what a port does with voice traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceVlan {
    /// 0: 802.1p priority tagging in VLAN 0.
    Dot1p,
    /// 1-4094: the voice VLAN.
    Vlan(u16),
    /// 4095: untagged.
    Untagged,
    /// 4096: no voice VLAN.
    None,
    Unknown(i64),
}

impl VoiceVlan {
    pub fn from_i64(v: i64) -> Self {
        match v {
            0 => VoiceVlan::Dot1p,
            1..=4094 => VoiceVlan::Vlan(v as u16),
            4095 => VoiceVlan::Untagged,
            4096 => VoiceVlan::None,
            n => VoiceVlan::Unknown(n),
        }
    }

    /// `Interface::voice_vlan_mode`.
    pub fn mode(&self) -> Option<&'static str> {
        match self {
            VoiceVlan::Dot1p => Some("dot1p"),
            VoiceVlan::Vlan(_) => Some("vlan"),
            VoiceVlan::Untagged => Some("untagged"),
            VoiceVlan::None => Some("none"),
            VoiceVlan::Unknown(_) => None,
        }
    }
}

/// The VLAN facts of one port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortVlans {
    pub access_vlan: Option<u16>,
    pub voice: Option<VoiceVlan>,
    /// Trunking now.
    pub trunk: bool,
    /// vlanTrunkPortDynamicState (configuration).
    pub trunk_state: Option<TrunkState>,
    /// vlanTrunkPortDynamicStatus (now).
    pub trunk_status: Option<TrunkStatus>,
    /// vlanTrunkPortEncapsulationOperType.
    pub encapsulation: Option<TrunkEncapsulation>,
    pub native_vlan: Option<u16>,
    pub allowed_vlans: Option<String>,
    /// VLANs the allowed-VLAN bitmaps did not cover, as ranges.
    pub allowed_unread: Option<String>,
}

impl PortVlans {
    /// Configured as a trunk (mode trunk or nonegotiate), whatever the link does, or
    /// trunking now (a dynamic port that negotiated a trunk).
    pub fn trunk_configured(&self) -> bool {
        matches!(
            self.trunk_state,
            Some(TrunkState::On | TrunkState::OnNoNegotiate)
        ) || self.trunk
    }
}

/// The VLAN ids whose bits are set in a Cisco VLAN bitmap covering `base..base+1024`.
/// The first octet's most significant bit is VLAN `base`.
pub fn bitmap_vlans(bytes: &[u8], base: u16) -> impl Iterator<Item = u16> + '_ {
    bytes.iter().take(128).enumerate().flat_map(move |(i, &b)| {
        (0..8u16)
            .filter(move |&bit| b & (0x80 >> bit) != 0)
            .map(move |bit| base + (i as u16) * 8 + bit)
    })
}

/// VLAN ids as ranges, `1-99,110`. Only 1-4094 (real VLANs) are kept.
pub fn ranges(vlans: impl IntoIterator<Item = u16>) -> String {
    let mut v: Vec<u16> = vlans
        .into_iter()
        .filter(|v| (1..=4094).contains(v))
        .collect();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

/// The VLAN table: vtpVlanTable when it has rows, else dot1qVlanStaticTable.
pub fn decode_table(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> Vec<Vlan> {
    let vtp = read::<(u32, u16)>(values, "vtpVlanTable", VTP_VLAN_ENTRY, p);
    let mut out: BTreeMap<u16, Vlan> = BTreeMap::new();
    if !vtp.is_empty() {
        for ((domain, id), r) in vtp {
            // With several management domains the first one listed wins.
            out.entry(id).or_insert_with(|| Vlan {
                id,
                domain: Some(domain),
                name: r.text(4, p),
                state: r
                    .int(2, p)
                    .map(|v| VtpVlanState::from_i64(v).name())
                    .unwrap_or_else(|| "unknown".into()),
                vlan_type: r.int(3, p).map(|v| VtpVlanType::from_i64(v).name()),
            });
        }
    } else {
        for (id, r) in read::<u16>(values, "dot1qVlanStaticTable", DOT1Q_VLAN_STATIC_ENTRY, p) {
            out.insert(
                id,
                Vlan {
                    id,
                    domain: None,
                    name: r.text(1, p),
                    state: "active".into(),
                    vlan_type: None,
                },
            );
        }
    }
    out.into_values().collect()
}

/// Per-port VLAN facts by ifIndex. `bridge_ports` maps dot1dBasePort to ifIndex (for the
/// Q-BRIDGE fallback, used only when the Cisco membership table is absent).
pub fn decode_ports(
    values: &BTreeMap<Oid, Value>,
    bridge_ports: &BTreeMap<u32, u32>,
    p: &mut Problems,
) -> BTreeMap<u32, PortVlans> {
    let mut out: BTreeMap<u32, PortVlans> = BTreeMap::new();

    for (i, r) in read::<u32>(values, "vlanTrunkPortTable", VLAN_TRUNK_PORT_ENTRY, p) {
        let status = r.int(14, p).map(TrunkStatus::from_i64);
        let encap = r.int(16, p).map(TrunkEncapsulation::from_i64);
        let state = r.int(13, p).map(TrunkState::from_i64);
        let trunk = match (status, encap) {
            (Some(s), _) => s == TrunkStatus::Trunking,
            (None, Some(e)) => matches!(
                e,
                TrunkEncapsulation::Isl
                    | TrunkEncapsulation::Dot10
                    | TrunkEncapsulation::Lane
                    | TrunkEncapsulation::Dot1Q
            ),
            (None, None) => false,
        };
        let port = out.entry(i).or_default();
        port.trunk = trunk;
        port.trunk_state = state;
        port.trunk_status = status;
        port.encapsulation = encap;
        if !port.trunk_configured() {
            continue;
        }
        // A configured trunk's allowed list is its configuration, readable with the link
        // down too.
        port.native_vlan = r.u16(5, p);
        if let Some(low) = r.bytes(4, p) {
            let mut all: Vec<u16> = bitmap_vlans(low, 0).collect();
            // (column, octets read, first VLAN of the column)
            let mut columns = vec![(4u32, low.len(), 0u16)];
            for (col, base) in [(17, 1024u16), (18, 2048), (19, 3072)] {
                if let Some(b) = r.bytes(col, p) {
                    columns.push((col, b.len(), base));
                    all.extend(bitmap_vlans(b, base));
                }
            }
            let mut unread: Vec<(u16, u16)> = Vec::new();
            for &(col, len, base) in &columns {
                if len < BITMAP_OCTETS {
                    let from = base + (len as u16) * 8;
                    unread.push((from, base + 1023));
                    p.note(
                        format!("short bitmap {col}"),
                        format!(
                            "vlanTrunkPortTable column {col} on ifIndex {i} has {len} of \
                             {BITMAP_OCTETS} octets (a short read): whether VLANs {from}-{} are \
                             allowed is unknown",
                            base + 1023
                        ),
                    );
                }
            }
            if columns.len() == 1 {
                unread.push((1024, 4094));
                p.note(
                    "trunk no 2k",
                    format!(
                        "trunk ifIndex {i} reports allowed VLANs 0-1023 only \
                         (no vlanTrunkPortVlansEnabled2k/3k/4k): VLANs above 1023 unknown"
                    ),
                );
            }
            port.allowed_vlans = Some(ranges(all));
            if !unread.is_empty() {
                port.allowed_unread =
                    Some(ranges(unread.iter().flat_map(|&(a, b)| a..=b.min(4094))));
            }
        }
    }

    let vm = read::<u32>(values, "vmMembershipTable", VM_MEMBERSHIP_ENTRY, p);
    if !vm.is_empty() {
        for (i, r) in vm {
            if let Some(v) = r.u16(2, p) {
                out.entry(i).or_default().access_vlan = Some(v);
            }
        }
    } else {
        for (bp, r) in read::<u32>(values, "dot1qPortVlanTable", DOT1Q_PORT_VLAN_ENTRY, p) {
            let Some(pvid) = r.u16(1, p) else { continue };
            match bridge_ports.get(&bp) {
                Some(&i) => {
                    let port = out.entry(i).or_default();
                    if !port.trunk {
                        port.access_vlan = Some(pvid);
                    }
                }
                None => p.note(
                    "pvid unmapped",
                    format!(
                        "dot1qPvid for bridge port {bp} has no dot1dBasePortIfIndex; not joined"
                    ),
                ),
            }
        }
    }

    for (i, r) in read::<u32>(values, "vmVoiceVlanTable", VM_VOICE_VLAN_ENTRY, p) {
        if let Some(v) = r.int(1, p) {
            let voice = VoiceVlan::from_i64(v);
            if let VoiceVlan::Unknown(n) = voice {
                p.note(
                    "voice odd",
                    format!("vmVoiceVlanId {n} on ifIndex {i} is outside 0-4096; ignored"),
                );
            }
            out.entry(i).or_default().voice = Some(voice);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;

    fn hex_bitmap(set: &[u16], base: u16) -> String {
        let mut b = [0u8; 128];
        for &v in set {
            let off = usize::from(v - base);
            b[off / 8] |= 0x80 >> (off % 8);
        }
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn ports(snmprec: &str) -> (BTreeMap<u32, PortVlans>, Vec<String>) {
        let w = Walk::from_snmprec(snmprec).unwrap();
        let mut p = Problems::default();
        let bp = BTreeMap::from([(1, 10101), (2, 10102)]);
        let out = decode_ports(&w.values, &bp, &mut p);
        (out, p.into_lines())
    }

    #[test]
    fn bitmaps_are_msb_first_and_cross_the_1023_1024_boundary() {
        assert_eq!(bitmap_vlans(&[0x80], 0).collect::<Vec<_>>(), vec![0]);
        assert_eq!(
            bitmap_vlans(&[0x40, 0x01], 0).collect::<Vec<_>>(),
            vec![1, 15]
        );
        assert_eq!(bitmap_vlans(&[0x80], 1024).collect::<Vec<_>>(), vec![1024]);
        let cases: &[(&[u16], &[u16], &str)] = &[
            (&[1, 2, 3, 99, 110], &[], "1-3,99,110"),
            (&[1022, 1023], &[1024, 1025], "1022-1025"),
            (&[1023], &[], "1023"),
            (&[], &[1024], "1024"),
            (&[0, 1], &[], "1"),
        ];
        for (low, high, want) in cases {
            let text = format!(
                "1.3.6.1.4.1.9.9.46.1.6.1.1.14.9|2|1\n1.3.6.1.4.1.9.9.46.1.6.1.1.4.9|4x|{}\n\
                 1.3.6.1.4.1.9.9.46.1.6.1.1.17.9|4x|{}\n",
                hex_bitmap(low, 0),
                hex_bitmap(high, 1024)
            );
            let (out, _) = ports(&text);
            assert_eq!(
                out[&9].allowed_vlans.as_deref(),
                Some(*want),
                "{low:?} {high:?}"
            );
        }
    }

    #[test]
    fn all_vlans_allowed_render_as_1_4094() {
        let ff = "ff".repeat(128);
        let (out, _) = ports(&format!(
            "1.3.6.1.4.1.9.9.46.1.6.1.1.4.9|4x|{ff}\n1.3.6.1.4.1.9.9.46.1.6.1.1.5.9|2|534\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.14.9|2|1\n1.3.6.1.4.1.9.9.46.1.6.1.1.17.9|4x|{ff}\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.18.9|4x|{ff}\n1.3.6.1.4.1.9.9.46.1.6.1.1.19.9|4x|{ff}\n"
        ));
        assert_eq!(out[&9].allowed_vlans.as_deref(), Some("1-4094"));
        assert_eq!(out[&9].native_vlan, Some(534));
    }

    #[test]
    fn trunk_status_wins_over_encapsulation_and_encapsulation_is_the_fallback() {
        let (out, _) = ports(
            "1.3.6.1.4.1.9.9.46.1.6.1.1.5.1|2|534\n1.3.6.1.4.1.9.9.46.1.6.1.1.16.1|2|4\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.5.2|2|1\n1.3.6.1.4.1.9.9.46.1.6.1.1.16.2|2|6\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.14.3|2|2\n1.3.6.1.4.1.9.9.46.1.6.1.1.16.3|2|4\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.14.4|2|1\n1.3.6.1.4.1.9.9.46.1.6.1.1.16.4|2|5\n\
             1.3.6.1.4.1.9.9.46.1.6.1.1.16.5|2|1\n1.3.6.1.4.1.9.9.46.1.6.1.1.16.6|2|5\n",
        );
        let t = |i: u32| out[&i].trunk;
        assert!(t(1) && !t(2) && !t(3) && t(4) && t(5) && !t(6));
        assert_eq!(out[&1].native_vlan, Some(534));
        assert_eq!(out[&2].native_vlan, None, "native VLAN only for trunks");
        assert_eq!(out[&1].allowed_vlans, None, "no VlansEnabled column");
        let (out, lines) = ports(&format!(
            "1.3.6.1.4.1.9.9.46.1.6.1.1.4.9|4x|{}\n1.3.6.1.4.1.9.9.46.1.6.1.1.14.9|2|1\n",
            "ff".repeat(128)
        ));
        assert_eq!(out[&9].allowed_vlans.as_deref(), Some("1-1023"));
        assert!(lines[0].contains("VLANs above 1023 unknown"), "{lines:?}");
    }

    #[test]
    fn voice_vlan_codes() {
        let (out, lines) = ports(
            "1.3.6.1.4.1.9.9.68.1.5.1.1.1.1|2|0\n1.3.6.1.4.1.9.9.68.1.5.1.1.1.2|2|110\n\
             1.3.6.1.4.1.9.9.68.1.5.1.1.1.3|2|4095\n1.3.6.1.4.1.9.9.68.1.5.1.1.1.4|2|4096\n\
             1.3.6.1.4.1.9.9.68.1.5.1.1.1.5|2|4097\n1.3.6.1.4.1.9.9.68.1.5.1.1.1.6|2|4094\n",
        );
        assert_eq!(out[&1].voice, Some(VoiceVlan::Dot1p));
        assert_eq!(out[&2].voice, Some(VoiceVlan::Vlan(110)));
        assert_eq!(out[&3].voice, Some(VoiceVlan::Untagged));
        assert_eq!(out[&4].voice, Some(VoiceVlan::None));
        assert_eq!(out[&4].voice.unwrap().mode(), Some("none"));
        assert_eq!(out[&5].voice, Some(VoiceVlan::Unknown(4097)));
        assert_eq!(out[&6].voice, Some(VoiceVlan::Vlan(4094)));
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn access_vlan_from_vm_and_q_bridge_only_without_it() {
        let (out, _) =
            ports("1.3.6.1.2.1.17.7.1.4.5.1.1.1|66|20\n1.3.6.1.4.1.9.9.68.1.2.2.1.2.10101|2|527\n");
        assert_eq!(out[&10101].access_vlan, Some(527), "Cisco vmVlan wins");
        let (out, lines) = ports(
            "1.3.6.1.2.1.17.7.1.4.5.1.1.1|66|20\n1.3.6.1.2.1.17.7.1.4.5.1.1.2|66|30\n\
             1.3.6.1.2.1.17.7.1.4.5.1.1.7|66|40\n",
        );
        // Bridge port 1 is ifIndex 10101, port 2 is 10102: the PVID follows the bridge port.
        assert_eq!(out[&10101].access_vlan, Some(20));
        assert_eq!(out[&10102].access_vlan, Some(30));
        assert!(!out.contains_key(&1));
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn vlan_table_from_vtp_else_q_bridge() {
        let w = Walk::from_snmprec(
            "1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1|2|1\n1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.1002|2|2\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.3.1.1|2|1\n1.3.6.1.4.1.9.9.46.1.3.1.1.3.1.1002|2|2\n\
             1.3.6.1.4.1.9.9.46.1.3.1.1.4.1.1|4|default\n1.3.6.1.2.1.17.7.1.4.3.1.1.5|4|q\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let v = decode_table(&w.values, &mut p);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name.as_deref(), Some("default"));
        assert_eq!(v[0].state, "operational");
        assert_eq!(v[1].id, 1002);
        assert_eq!(v[1].vlan_type.as_deref(), Some("fddi"));
        assert_eq!(v[1].state, "suspended");
        let w = Walk::from_snmprec("1.3.6.1.2.1.17.7.1.4.3.1.1.5|4|voice\n").unwrap();
        let v = decode_table(&w.values, &mut p);
        assert_eq!(v[0].id, 5);
        assert_eq!(v[0].state, "active");
    }
}
