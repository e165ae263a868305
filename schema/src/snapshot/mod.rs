//! `lanready.snapshot/v1`: everything read from one switch that IP-telephony readiness
//! depends on. Units are in the field names (`_w` watts, `_mw` milliwatts); `None` means the
//! switch did not say (the table is absent or the row has no such column), never zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod interface;
mod poe;

pub use interface::*;
pub use poe::*;

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
    /// The supply's part number (entPhysicalModelName of the entity the row's index names,
    /// `PWR-C1-715WAC-P`, `C9400-PWR-3200AC`); None when ENTITY-MIB has no part for it (a
    /// fixed internal supply reports an empty model).
    #[serde(default)]
    pub model: Option<String>,
    /// The stack member (or chassis of a StackWise Virtual pair) the supply is in, through
    /// entPhysicalContainedIn; None when the join could not be made.
    #[serde(default)]
    pub member: Option<u32>,
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
