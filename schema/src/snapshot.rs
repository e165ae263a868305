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
    /// StackWise members (CISCO-STACKWISE-MIB); empty when the table is absent.
    pub stack: Vec<StackMember>,
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
    pub model: Option<String>,
    pub serial: Option<String>,
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
    /// ifHighSpeed (or ifSpeed / 1e6), megabits per second.
    pub speed_mbps: Option<u64>,
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
    /// True when the port is trunking (vlanTrunkPortDynamicStatus, else encapsulation).
    pub trunk: bool,
    pub native_vlan: Option<u16>,
    /// The VLANs a trunk allows, as ranges (`1-99,110,200-4094`); None when not a trunk
    /// or not reported.
    pub allowed_vlans: Option<String>,
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
    /// One per PSE group (a stack member's PoE budget).
    pub modules: Vec<PoeModule>,
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
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Vlan {
    pub id: u16,
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
}
