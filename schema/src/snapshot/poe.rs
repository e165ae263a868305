//! PoE as read: a port's power, the PSE groups, the pools they draw from, a chassis's
//! supplies and its modules. Watts (`_w`) from POWER-ETHERNET-MIB, milliwatts (`_mw`) from
//! Cisco's cpeExt tables.

use serde::{Deserialize, Serialize};

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
