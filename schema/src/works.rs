//! The bill of works: what a site must buy and what must be configured before its cutover,
//! made from one report alone. `lanready.works/v1` is one site
//! (`GET /api/v1/sites/{site}/works`, `lanready-agent works`); `lanready.estate-works/v1` is
//! every site's totals and the estate's (`GET /api/v1/works`). Figures come from what the
//! switches said and the plan; what is unknown stays unknown, listed under `verify` with what
//! to check by hand.

use serde::{Deserialize, Serialize};

use crate::{Evidence, PortRole};

pub const WORKS_SCHEMA: &str = "lanready.works/v1";
pub const ESTATE_WORKS_SCHEMA: &str = "lanready.estate-works/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Works {
    pub schema: String,
    pub site: String,
    /// The report the bill is made from.
    pub report_id: String,
    pub generated_at: String,
    /// The plan's PoE headroom, percent: shortfalls are counted at it.
    pub poe_headroom_pct: u8,
    pub hardware: Vec<HardwareLine>,
    /// One entry per switch that has configuration to apply, in the report's switch order.
    pub configuration: Vec<SwitchWork>,
    /// What the report could not say, to verify by hand (one entry per switch and check; one
    /// per switch that did not answer).
    pub verify: Vec<Verify>,
    pub totals: WorksTotals,
}

/// One thing to buy or fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareLine {
    pub switch: String,
    pub switch_name: Option<String>,
    /// The switch's model as read.
    pub model: Option<String>,
    /// `poe_power` (a pool short of PoE budget), `chassis_power` (a chassis's supplies short),
    /// `poe_line_card` (a chassis without PoE line cards), `poe_switch` (a fixed switch or
    /// member without PoE, to replace), `failed_supply`, `second_supply` (no redundant
    /// power), `stack_power` (members that could share power do not).
    pub item: String,
    /// The PoE pool (`member-2`, `pool-1`, `stackpower-1`), for PoE power.
    pub pool: Option<String>,
    /// The stack member (or chassis) the item is for.
    pub member: Option<u32>,
    /// How many to buy, when the report says it; None when only a person can say.
    pub quantity: Option<u32>,
    /// What the pool lacks at the plan's headroom, watts.
    pub short_w: Option<u32>,
    /// The sockets the item serves.
    pub sockets: Option<u32>,
    /// The supplies present where the item goes, as read.
    pub supplies_present: Vec<SupplyPresent>,
    /// Supplies of the same family that would give more power: a second one of the same
    /// part, or a larger part in its place.
    pub options: Vec<SupplyOption>,
    /// Why, in words, with what to check before ordering.
    pub reason: String,
    /// The check whose finding this line answers.
    pub check: String,
    /// The finding's evidence (and the supplies' as read).
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyPresent {
    /// entPhysicalModelName; None for a supply ENTITY-MIB gives no part for (fixed).
    pub model: Option<String>,
    /// The part's rated output, watts, from lanready's table of Catalyst supplies; None for
    /// a part not in it.
    pub rated_w: Option<u32>,
    pub member: Option<u32>,
    pub state: String,
    pub ok: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyOption {
    /// `add` (a second supply of this part in a free bay) or `replace` (this larger part
    /// instead of a present one).
    pub action: String,
    pub model: String,
    /// Rated output, watts (the PoE it adds is less: the switch's own draw comes first;
    /// the platform's data sheet gives the PoE figure).
    pub rated_w: u32,
}

/// The configuration one switch needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchWork {
    pub switch: String,
    pub switch_name: Option<String>,
    pub model: Option<String>,
    /// The platform family the lines are written for (`ios`, `ios_xe`, ...).
    pub family: Option<String>,
    /// Global configuration (a VLAN, QoS, StackPower), one entry per block.
    pub global: Vec<GlobalWork>,
    /// Interfaces to change, in port order.
    pub interfaces: Vec<InterfaceWork>,
    /// Configuration lines to enter: global blocks' lines and interface lines (not the
    /// `interface` heads, not comments).
    pub lines: u32,
    /// The checks the configuration fixes: those with a line of their own fix written (not
    /// an `interface` head, not a comment; a fix that leaves a value to fill in by hand,
    /// `<data VLAN>`, does not count). A check whose fix is advice alone is not here.
    pub checks: Vec<String>,
    /// True when a change needs a maintenance window: a block's or an interface's own, or a
    /// QoS line on a port that changes QoS for the whole switch (`auto qos`, `mls qos trust`).
    pub window: bool,
    /// Why a window is needed, one sentence per reason.
    pub window_reasons: Vec<String>,
    /// Lines the platform does not accept, left out of the configuration as comments.
    pub not_written: u32,
    /// Set when the bill replaces the switch or some of its members (a `poe_switch` line):
    /// says which, and that their lines are for the replacement, to enter when it is
    /// installed, not work on the switch as read. None otherwise.
    pub replacement: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalWork {
    /// The block's first line (`vlan 110`, `mls qos`, `policy-map ...`).
    pub head: String,
    pub lines: u32,
    pub checks: Vec<String>,
    pub window: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceWork {
    pub interface: String,
    /// The port's role as the report gives it; None when the report does not list it.
    pub role: Option<PortRole>,
    pub lines: u32,
    pub checks: Vec<String>,
    pub window: bool,
}

/// Something the report could not say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    pub switch: String,
    pub check: String,
    /// Findings of this check on this switch that are unknown; for `switch.reachable` (a
    /// switch that did not answer, one entry for it) the checks it left unknown.
    pub findings: u32,
    /// The first one's words (they say what to check); for a switch that did not answer,
    /// what to check by hand.
    pub what: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorksTotals {
    /// Switches in the report.
    pub switches: u32,
    /// Switches with hardware or configuration to change.
    pub switches_to_touch: u32,
    /// Power supplies to buy where the number is known (failed, redundant, at least one per
    /// short pool that can take one).
    pub supplies_to_buy: u32,
    pub line_cards_to_buy: u32,
    /// Fixed switches or members to replace with PoE models.
    pub switches_to_replace: u32,
    /// Stacks to cable for StackPower.
    pub stack_power: u32,
    /// Hardware lines whose quantity is unknown (verify by hand).
    pub hardware_unknown: u32,
    pub interfaces_to_configure: u32,
    pub lines: u32,
    /// Switches whose change needs a maintenance window.
    pub windows: u32,
    /// Entries to verify by hand.
    pub verify: u32,
}

/// `GET /api/v1/works`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstateWorks {
    pub schema: String,
    /// The collector's clock when it answered, RFC 3339 UTC.
    pub as_of: String,
    /// Sites by name, each from its latest report.
    pub sites: Vec<SiteWorks>,
    pub totals: WorksTotals,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteWorks {
    pub site: String,
    pub report_id: String,
    pub generated_at: String,
    pub totals: WorksTotals,
}

impl WorksTotals {
    /// Adds another's counts (the estate's totals are the sites' summed).
    pub fn add(&mut self, o: &WorksTotals) {
        self.switches += o.switches;
        self.switches_to_touch += o.switches_to_touch;
        self.supplies_to_buy += o.supplies_to_buy;
        self.line_cards_to_buy += o.line_cards_to_buy;
        self.switches_to_replace += o.switches_to_replace;
        self.stack_power += o.stack_power;
        self.hardware_unknown += o.hardware_unknown;
        self.interfaces_to_configure += o.interfaces_to_configure;
        self.lines += o.lines;
        self.windows += o.windows;
        self.verify += o.verify;
    }
}
