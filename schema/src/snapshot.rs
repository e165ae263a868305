//! `lanready.snapshot/v1`: everything read from one switch that IP-telephony readiness
//! depends on. Units are in the field names (`_w` watts, `_mw` milliwatts); `None` means the
//! switch did not say (the table is absent or the row has no such column), never zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const SNAPSHOT_SCHEMA: &str = "lanready.snapshot/v1";

/// One switch, as read over SNMP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_SCHEMA`].
    pub schema: String,
    /// The address polled (`host:port`), as given.
    pub target: String,
    pub system: System,
    /// What the switch is (model, family, fixed or modular, stack or chassis), from
    /// ENTITY-MIB, sysDescr and sysObjectID.
    #[serde(default)]
    pub platform: Platform,
    /// StackWise members (CISCO-STACKWISE-MIB); empty when the table is absent.
    pub stack: Vec<StackMember>,
    /// StackPower power stacks (cswStackPowerInfoTable); empty when the switch has none.
    #[serde(default)]
    pub stack_power: Vec<PowerStack>,
    /// Power supplies (CISCO-ENVMON-MIB, else CISCO-ENTITY-FRU-CONTROL-MIB).
    pub power_supplies: Vec<PowerSupply>,
    /// Every interface in IF-MIB, by ifIndex order.
    pub interfaces: Vec<Interface>,
    /// The VLAN table (CISCO-VTP-MIB, else Q-BRIDGE-MIB), by id.
    pub vlans: Vec<Vlan>,
    pub poe: Poe,
    pub qos: Qos,
    /// CDP and LLDP neighbours, by local ifIndex.
    pub neighbours: Vec<Neighbour>,
    /// Spanning-tree global defaults (CISCO-STP-EXTENSIONS-MIB).
    #[serde(default)]
    pub stp: StpGlobals,
    /// Err-disable recovery (CISCO-ERR-DISABLE-MIB).
    #[serde(default)]
    pub errdisable: ErrDisable,
    /// For each table group lanready reads, whether the switch had it.
    pub tables: BTreeMap<String, TableStatus>,
    /// Things read that do not fit together (two PoE rows on one port, a VLAN a port uses
    /// that the VLAN table lacks, a walk cut short), in words a network engineer reads.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub descr: Option<String>,
    pub object_id: Option<String>,
    pub name: Option<String>,
    pub location: Option<String>,
    /// sysUpTime in hundredths of a second.
    pub uptime_centiseconds: Option<u64>,
    /// cdpGlobalRun: true when CDP runs on the switch; None when not reported.
    #[serde(default)]
    pub cdp_enabled: Option<bool>,
    /// lldpLocChassisId: the chassis id this switch sends in LLDP, which is only there while
    /// LLDP runs; None when not reported.
    #[serde(default)]
    pub lldp_chassis_id: Option<String>,
}

/// The switch's platform: one family decides which checks apply and which commands a fix
/// may use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    /// The model (`C9300-48P`, `WS-C2960X-48FPD-L`, `C9404R`), from the chassis entity,
    /// else sysDescr.
    pub model: Option<String>,
    /// `ios` (classic Catalyst IOS: 2960, 3560, 3750, IE 2000/4000), `ios_xe` (3650, 3850,
    /// 9000, IE 3x00), `cat4500`, `cat6500`, or `unknown`.
    pub family: String,
    /// The software as sysDescr names it (`C2960X-UNIVERSALK9-M`, `CAT9K_IOSXE`).
    pub image: Option<String>,
    /// True for a chassis with line cards (9400, 9600, 4500, 6500).
    pub modular: bool,
    /// `standalone`, `stack` (StackWise members), `svl` (StackWise Virtual pair of chassis or
    /// 9500s), `vss` (6500/4500 Virtual Switching System).
    pub stack_kind: String,
    /// Where each fact came from, in words (`model: entPhysicalModelName.1000`).
    pub sources: Vec<String>,
}

/// Whether a table group was readable on this switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TableStatus {
    /// Read; `rows` rows (or scalars) found.
    Present { rows: usize },
    /// The switch answered but has no such table (noSuchObject, or nothing under it).
    Absent,
    /// The read failed or was cut short.
    Error { reason: String },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StackMember {
    /// cswSwitchNumCurrent: the member number (1 for Gi1/0/x).
    pub number: u32,
    /// entPhysicalIndex of the member's chassis (the table's index).
    pub ent_physical_index: u32,
    /// master / member / notMember / standby / unknown(N).
    pub role: String,
    /// ready / progressing / ... as CISCO-STACKWISE-MIB names it.
    pub state: String,
    /// cswSwitchPowerBudget, watts.
    pub power_budget_w: Option<u32>,
    /// cswSwitchPowerAllocated, watts: what the member's PoE ports are given now.
    #[serde(default)]
    pub power_allocated_w: Option<u32>,
    pub model: Option<String>,
    pub serial: Option<String>,
}

/// A StackPower power stack: members that share their supplies' power.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerStack {
    /// cswStackPowerStackNumber.
    pub number: u32,
    /// cswStackPowerName.
    pub name: Option<String>,
    /// `powerSharing`, `redundant`, `powerSharingStrict`, `redundantStrict`.
    pub mode: Option<String>,
    /// cswStackPowerNumMembers.
    pub members_count: Option<u32>,
    /// The stack members in this power stack, as the stack-power port links show them
    /// (cswStackPowerPortNeighborSwitchNum); every member when there is one power stack
    /// with as many members as the data stack.
    pub members: Vec<u32>,
}

/// Spanning-tree global defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StpGlobals {
    /// stpxFastStartGlobalDefaultMode: true when `spanning-tree portfast default` is set
    /// (access ports in portfast mode `default` then are edge ports).
    pub portfast_default: Option<bool>,
    /// stpxFastStartBpduGuardEnable: `spanning-tree portfast bpduguard default`.
    pub bpduguard_default: Option<bool>,
}

/// Err-disable recovery.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrDisable {
    /// cErrDisableRecoveryInterval, seconds.
    pub interval_s: Option<u32>,
    /// cErrDisableFeatureRecoveryEnable by cause (`portSecurityViolation`, `bpduGuard`,
    /// `dot1xSecurityViolation`, ...): true when the port recovers by itself.
    pub recovery: BTreeMap<String, bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerSupply {
    /// The table's index.
    pub index: u32,
    pub descr: Option<String>,
    /// normal / warning / critical / shutdown / notPresent / notFunctioning (envmon), or
    /// on / offEnvOther / failed / ... (entity FRU); as the MIB names it.
    pub state: String,
    /// True when the state means the supply delivers power.
    pub ok: bool,
    /// `ciscoEnvMonSupplyState` or `cefcFRUPowerOperStatus`.
    pub source: String,
}

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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortPoe {
    /// pethPsePortGroupIndex: the PSE (stack member) the port draws from.
    pub group: u32,
    /// pethPsePortIndex within the group; not an ifIndex.
    pub port: u32,
    pub admin_enabled: Option<bool>,
    /// pethPsePortDetectionStatus: disabled / searching / deliveringPower / fault / test /
    /// otherFault.
    pub detection: Option<String>,
    /// Power class 0-8 of the attached device (pethPsePortPowerClassifications gives 0-4;
    /// the LLDP table may say more).
    pub class: Option<u8>,
    /// critical / high / low.
    pub priority: Option<String>,
    pub max_mw: Option<u32>,
    pub allocated_mw: Option<u32>,
    pub available_mw: Option<u32>,
    pub consumed_mw: Option<u32>,
    pub max_drawn_mw: Option<u32>,
    /// pethPsePortPowerDeniedCounter.
    pub denied_count: Option<u64>,
    /// pethPsePortOverLoadCounter.
    pub overload_count: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Poe {
    /// One per PSE group (a stack member's PoE budget, a line card, a 6500 module).
    pub modules: Vec<PoeModule>,
    /// The power pools the PSE groups draw from: one budget each, never one per PSE.
    #[serde(default)]
    pub pools: Vec<PoePool>,
    /// PoE hardware ENTITY-MIB shows (models of members, line cards), whether or not the
    /// PoE MIBs were readable.
    #[serde(default)]
    pub hardware: Vec<String>,
    /// Chassis power (CISCO-ENTITY-FRU-CONTROL-MIB cefcFRUPowerSupplyGroupTable), on
    /// chassis that report it (6500, 4500).
    #[serde(default)]
    pub chassis_power: Option<ChassisPower>,
}

/// One PoE budget: a stack member, a StackPower power stack, a chassis's common pool, or a
/// module.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoePool {
    /// A stable id (`member-2`, `pool-1`, `stackpower-1`, `group-3`).
    pub id: String,
    /// `member`, `stack_power`, `common_pool` or `module`.
    pub kind: String,
    /// What the switch calls it (cpeExtMainPseDescr, cswStackPowerName).
    pub name: Option<String>,
    /// The PSE groups (pethMainPseGroupIndex) in it.
    pub groups: Vec<u32>,
    /// The stack members or chassis it powers.
    pub members: Vec<u32>,
    /// The budget, watts, counted once.
    pub budget_w: Option<u32>,
    /// The object(s) the budget comes from (`pethMainPsePower.1 (repeated on 5, 6)`).
    pub budget_source: Option<String>,
    /// Power allocated to devices now (cpeExtMainPseUsedPower), milliwatts, counted once.
    pub allocated_mw: Option<u64>,
    /// Power drawn now (pethMainPseConsumptionPower), watts.
    pub consumed_w: Option<u32>,
    /// The PoE modules feeding it (line cards, members), by model.
    pub line_cards: Vec<String>,
}

/// A chassis's power supply budget, in the units the switch reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChassisPower {
    /// entPhysicalIndex of the power supply group.
    pub index: u32,
    /// cefcPowerUnits as read (`CentiAmps @ 42V`).
    pub units: Option<String>,
    /// cefcTotalAvailableCurrent, in `units`.
    pub available: Option<i64>,
    /// cefcTotalDrawnCurrent, in `units`.
    pub drawn: Option<i64>,
    /// cefcTotalDrawnInlineCurrent, in `units`: what PoE draws.
    pub drawn_inline: Option<i64>,
    /// Watts per unit, when `units` could be read (`CentiAmps @ 42V` is 0.42 W).
    pub watts_per_unit: Option<f64>,
    /// cefcPowerRedundancyOperMode.
    pub redundancy: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoeModule {
    /// pethMainPseGroupIndex.
    pub group: u32,
    /// The stack member this PSE belongs to, joined through ENTITY-MIB; None when unknown.
    pub stack_member: Option<u32>,
    /// pethMainPsePower, watts.
    pub budget_w: Option<u32>,
    /// pethMainPseConsumptionPower, watts.
    pub consumed_w: Option<u32>,
    /// on / off / faulty.
    pub oper_status: Option<String>,
    /// pethMainPseUsageThreshold, percent.
    pub usage_threshold_pct: Option<u32>,
    /// cpeExtMainPseUsedPower, milliwatts (allocated, not drawn).
    pub used_mw: Option<u32>,
    /// cpeExtMainPseRemainingPower, milliwatts.
    pub remaining_mw: Option<u32>,
    /// cpeExtMainPseDescr (`PoE Common Power Pool 1`, `Switch 2 - Power Supply A`).
    #[serde(default)]
    pub descr: Option<String>,
    /// cpeExtMainPseEntPhyIndex: the entity (power supply, module) that powers the PSE.
    #[serde(default)]
    pub ent_physical_index: Option<u32>,
    /// The model of the module or member the PSE belongs to (ENTITY-MIB).
    #[serde(default)]
    pub module_model: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Vlan {
    pub id: u16,
    /// The VTP management domain index of its vtpVlanTable row (None from Q-BRIDGE-MIB).
    #[serde(default)]
    pub domain: Option<u32>,
    pub name: Option<String>,
    /// operational / suspended / mtuTooBigForDevice / mtuTooBigForTrunk, or `active` from
    /// Q-BRIDGE-MIB.
    pub state: String,
    /// ethernet / fddi / tokenRing / ... (CISCO-VTP-MIB vtpVlanType).
    pub vlan_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Qos {
    /// `mqc` when class-based QoS policies were read, `absent` when the switch exposes
    /// cbQoS but no policy is attached, `unknown` when nothing about QoS is readable
    /// over SNMP (mls-qos platforms): verify by hand.
    ///
    /// Precisely: `mqc` when at least one service policy is attached to an interface
    /// (a control-plane policy alone does not count); `absent` when some cbQoS table
    /// answered but no interface has a policy; `trust` when no cbQoS table answered but
    /// csqIfTrustState did (mls-qos platforms that expose port trust: see
    /// `Interface::qos_trust`); `unknown` otherwise. A switch with no policies at all
    /// usually answers nothing under cbQoS, so it reads as `unknown`, not `absent`.
    pub status: String,
    pub policies: Vec<QosPolicy>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QosPolicy {
    /// cbQosPolicyIndex (changes across reboots unless persisted).
    pub policy_index: u32,
    pub if_index: Option<u32>,
    /// The interface's name, when the ifIndex is known.
    pub interface: Option<String>,
    /// `input` / `output`.
    pub direction: String,
    pub policy_name: String,
    pub classes: Vec<QosClass>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QosClass {
    pub name: String,
    /// Match statements as configured (`match dscp ef`).
    pub matches: Vec<String>,
    /// True when the class has a priority (LLQ) queue.
    pub priority: bool,
    /// What the class marks (cbQosSetCfgTable): `dscp 0`, `cos 5`.
    #[serde(default)]
    pub sets: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub if_index: u32,
    pub interface: Option<String>,
    /// `cdp` / `lldp`.
    pub protocol: String,
    pub device_id: Option<String>,
    pub port_id: Option<String>,
    pub platform: Option<String>,
    /// Capability names (`router`, `switch`, `phone`, `host`, ...).
    pub capabilities: Vec<String>,
    /// True when the neighbour says it is a phone (CDP phone bit, LLDP telephone
    /// capability, or an LLDP-MED voice policy).
    pub is_phone: bool,
    /// The VLAN the neighbour uses for voice (CDP voice VLAN, LLDP-MED policy).
    pub voice_vlan: Option<u16>,
    /// Power the neighbour says it draws (cdpCachePowerConsumption), milliwatts.
    pub power_mw: Option<u32>,
    /// The neighbour's native VLAN (cdpCacheNativeVLAN, 1-4094); None for LLDP or when
    /// not reported.
    #[serde(default)]
    pub native_vlan: Option<u16>,
    /// The row's index in its table (`10101.1` in cdpCacheTable: ifIndex.deviceIndex;
    /// `0.3.1` in lldpRemTable: timeMark.localPort.remIndex), so evidence can name it.
    #[serde(default)]
    pub row: Option<String>,
    /// The capability bits as read (cdpCacheCapabilities as hex, lldpRemSysCapEnabled as
    /// hex).
    #[serde(default)]
    pub capabilities_raw: Option<String>,
}
