//! One interface as read, and what lanready decides about it: its role, its PoE pool, its
//! 802.1X and port-security settings.

use serde::{Deserialize, Serialize};

use super::PortPoe;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    pub if_index: u32,
    /// ifName (short, `Gi1/0/1`), else ifDescr.
    pub name: String,
    pub descr: Option<String>,
    /// ifAlias: the description an engineer configured.
    pub alias: Option<String>,
    /// ifType number (6 ethernetCsmacd, 53 propVirtual, 161 ieee8023adLag, ...).
    pub if_type: Option<u32>,
    pub admin_up: Option<bool>,
    pub oper_up: Option<bool>,
    /// ifHighSpeed (or ifSpeed / 1e6), megabits per second. None when only a saturated
    /// ifSpeed was read (see `speed_at_least_mbps`).
    pub speed_mbps: Option<u64>,
    /// Set when ifSpeed was at its maximum (4294967295) and ifHighSpeed was not reported:
    /// the port runs at least this fast (4294 Mb/s), exactly how fast is unknown.
    #[serde(default)]
    pub speed_at_least_mbps: Option<u64>,
    /// dot3StatsDuplexStatus: `unknown`, `half`, `full`; None when not reported.
    pub duplex: Option<String>,
    pub in_errors: Option<u64>,
    pub out_errors: Option<u64>,
    /// dot3StatsFCSErrors.
    pub fcs_errors: Option<u64>,
    /// dot3StatsLateCollisions.
    pub late_collisions: Option<u64>,
    /// vmVlan: the access (data) VLAN of a static access port.
    pub access_vlan: Option<u16>,
    /// vmVoiceVlanId when it names a VLAN (1-4094).
    pub voice_vlan: Option<u16>,
    /// What vmVoiceVlanId says: `vlan`, `dot1p` (0), `untagged` (4095), `none` (4096);
    /// None when the switch does not report it.
    pub voice_vlan_mode: Option<String>,
    /// True when the port is trunking now (vlanTrunkPortDynamicStatus, else encapsulation).
    pub trunk: bool,
    /// How the port is configured to trunk (vlanTrunkPortDynamicState): `on`, `off`,
    /// `desirable`, `auto`, `onNoNegotiate`; None when not reported.
    #[serde(default)]
    pub trunk_mode: Option<String>,
    /// vlanTrunkPortDynamicStatus: `trunking`, `notTrunking`; None when not reported.
    #[serde(default)]
    pub trunk_status: Option<String>,
    /// vlanTrunkPortEncapsulationOperType: `dot1Q`, `isl`, `negotiating`, `notApplicable`.
    #[serde(default)]
    pub trunk_encapsulation: Option<String>,
    pub native_vlan: Option<u16>,
    /// The VLANs a trunk allows, as ranges (`1-99,110,200-4094`); None when not a trunk
    /// or not reported. Only VLANs the bitmaps covered are in it: see
    /// `allowed_vlans_unread`.
    pub allowed_vlans: Option<String>,
    /// VLANs (ranges) that the trunk's allowed-VLAN bitmaps did not cover (a bitmap shorter
    /// than 128 octets, or no 2k/3k/4k columns): whether the trunk allows them is unknown.
    #[serde(default)]
    pub allowed_vlans_unread: Option<String>,
    /// dot1dBasePort of this interface (BRIDGE-MIB, any VLAN context); the index of the
    /// spanning-tree tables.
    #[serde(default)]
    pub bridge_port: Option<u32>,
    /// lldpLocPortNum of this interface; the index of the LLDP tables.
    #[serde(default)]
    pub lldp_port: Option<u32>,
    /// entPhysicalIndex of the port (ENTITY-MIB alias mapping).
    #[serde(default)]
    pub entity: Option<u32>,
    /// The model of the line card, module or member the port is on (ENTITY-MIB).
    #[serde(default)]
    pub module_model: Option<String>,
    /// The Port-channel this port is configured into, when it is.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// IP addresses configured on the interface (ipAdEntIfIndex).
    #[serde(default)]
    pub ip_addresses: Vec<String>,
    /// What the port's medium is, when the switch says.
    #[serde(default)]
    pub media: Option<Media>,
    /// The port's role (a socket, a trunk, a channel member, ...) and why.
    #[serde(default)]
    pub role: Option<RoleInfo>,
    /// Which PoE pool the port draws from, and how that was found.
    #[serde(default)]
    pub poe_pool: Option<PoolPlacement>,
    /// 802.1X / MAB on the port (CISCO-AUTH-FRAMEWORK-MIB, else IEEE8021-PAE-MIB).
    #[serde(default)]
    pub auth: Option<PortAuth>,
    /// Port security (CISCO-PORT-SECURITY-MIB).
    #[serde(default)]
    pub port_security: Option<PortSecurity>,
    /// stpxFastStartPortMode (joined through dot1dBasePortIfIndex): `enable`, `disable`,
    /// `enableForTrunk`, `default`, `network`.
    pub portfast: Option<String>,
    /// stpxFastStartBpduGuardMode: `enable`, `disable`, `default`.
    pub bpdu_guard: Option<String>,
    /// csqIfTrustState: `untrusted`, `trustCoS`, `trustIpPrec`, `trustDscp`.
    pub qos_trust: Option<String>,
    /// Per-port PoE where the switch has it, joined from (group, port) through
    /// ENTITY-MIB aliases, never by parsing names.
    pub poe: Option<PortPoe>,
    /// cdpInterfaceEnable: true when CDP runs on this port (false too when cdpGlobalRun is
    /// off); None when not reported.
    #[serde(default)]
    pub cdp_enabled: Option<bool>,
    /// lldpPortConfigAdminStatus: `txOnly`, `rxOnly`, `txAndRx`, `disabled`; None when not
    /// reported or the LLDP port could not be joined to this ifIndex.
    #[serde(default)]
    pub lldp_admin_status: Option<String>,
    /// LLDP-MED network policy this switch advertises on the port for application type
    /// voice (lldpXMedLocMediaPolicyVlanID): VLAN id, 0 meaning priority-tagged; None when
    /// no voice policy is reported.
    #[serde(default)]
    pub lldp_med_voice_vlan: Option<u16>,
    /// The same policy's 802.1p priority (0-7, lldpXMedLocMediaPolicyPriority).
    #[serde(default)]
    pub lldp_med_voice_priority: Option<u8>,
    /// The same policy's DSCP (0-63, lldpXMedLocMediaPolicyDscp).
    #[serde(default)]
    pub lldp_med_voice_dscp: Option<u8>,
    /// The same policy's tagged flag (lldpXMedLocMediaPolicyTagged).
    #[serde(default)]
    pub lldp_med_voice_tagged: Option<bool>,
}

/// Port-channel membership.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// The Port-channel's ifIndex.
    pub if_index: u32,
    /// The Port-channel's name (`Po1`).
    pub name: Option<String>,
    /// `lacp`, `pagp`, `static` or `unknown`.
    pub protocol: String,
    /// The object that says so, with its index and value (`ifStackStatus.5001.10152 = 1`).
    pub source: String,
}

/// A port's medium.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// `fibre`, `copper`, `twinax` (direct-attach copper), or `transceiver` (a pluggable of
    /// unknown kind).
    pub kind: String,
    /// What said so: the transceiver's model or description, or the MAU type name.
    pub what: String,
    /// The object read (`entPhysicalModelName.1062`, `ifMauType.52.1`).
    pub source: String,
    /// The value read, as evidence writes it (`"SFP-10G-SR"`, `1.3.6.1.2.1.26.4.36`).
    #[serde(default)]
    pub raw: String,
}

/// The role of an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortRole {
    /// A socket a phone may be plugged into.
    User,
    /// A configured trunk (whatever its link state).
    Trunk,
    /// A member of a Port-channel.
    ChannelMember,
    /// A Port-channel (the aggregate itself).
    PortChannel,
    /// A routed port (it has an IP address).
    Routed,
    /// An uplink by speed, name or module.
    Uplink,
    /// Faces a switch, router or access point (CDP/LLDP), not a phone.
    Infrastructure,
    /// The out-of-band management port.
    Management,
    /// Not a physical Ethernet port (VLAN interface, loopback, tunnel, Bluetooth, app
    /// hosting, null).
    NotEthernet,
    /// Excluded by the plan.
    Excluded,
}

impl PortRole {
    /// The role's name as the JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            PortRole::User => "user",
            PortRole::Trunk => "trunk",
            PortRole::ChannelMember => "channel_member",
            PortRole::PortChannel => "port_channel",
            PortRole::Routed => "routed",
            PortRole::Uplink => "uplink",
            PortRole::Infrastructure => "infrastructure",
            PortRole::Management => "management",
            PortRole::NotEthernet => "not_ethernet",
            PortRole::Excluded => "excluded",
        }
    }

    pub const ALL: [PortRole; 10] = [
        PortRole::User,
        PortRole::Trunk,
        PortRole::ChannelMember,
        PortRole::PortChannel,
        PortRole::Routed,
        PortRole::Uplink,
        PortRole::Infrastructure,
        PortRole::Management,
        PortRole::NotEthernet,
        PortRole::Excluded,
    ];

    pub fn from_name(name: &str) -> Option<PortRole> {
        PortRole::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A role and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub role: PortRole,
    /// Why, in words (`configured trunk (vlanTrunkPortDynamicState on)`).
    pub reason: String,
    /// The values read that decided it.
    pub evidence: Vec<crate::report::Evidence>,
    /// A trunking mode that is not set to access (`dynamic desirable` / `dynamic auto`):
    /// the port is a socket now, but a switch plugged into it would form a trunk.
    #[serde(default)]
    pub dynamic: bool,
}

/// Where a port draws PoE from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolPlacement {
    /// The pool's id (`PoePool::id`).
    pub pool: String,
    /// `pethPsePortTable` (the port's own PoE row) or `ENTITY-MIB` (containment).
    pub by: String,
}

/// 802.1X / MAB on a port.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortAuth {
    /// `auto` (authentication enforced), `forceAuthorized` (not enforced),
    /// `forceUnauthorized`.
    pub control: String,
    /// `singleHost`, `multiHost`, `multiAuth`, `multiDomain`; None when only
    /// IEEE8021-PAE-MIB was readable.
    pub host_mode: Option<String>,
    /// `cafPortConfigTable` or `dot1xAuthConfigTable`.
    pub source: String,
}

/// Port security on a port.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortSecurity {
    pub enabled: bool,
    /// cpsIfMaxSecureMacAddr.
    pub max_mac: Option<u32>,
    /// `shutdown`, `dropNotify` (restrict), `drop` (protect).
    pub violation: Option<String>,
    /// `secureup`, `securedown`, `shutdown`.
    pub status: Option<String>,
}
