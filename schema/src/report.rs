//! `lanready.report/v1`: one scan of one site: per-switch results, every check's findings,
//! scores and the verdict. The agent writes it, pushes it to the collector, and the gate
//! reads it. Reports carry an `id` so a resend is never counted twice.

use serde::{Deserialize, Serialize};

pub const REPORT_SCHEMA: &str = "lanready.report/v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// Unique per scan (the agent makes it); the collector stores a given id once.
    pub id: String,
    pub site: String,
    /// When the scan started, RFC 3339 UTC.
    pub generated_at: String,
    /// The agent that scanned (its name from the plan or host), and its version.
    pub agent: String,
    pub agent_version: String,
    /// What the site was checked against.
    pub plan: PlanSummary,
    pub switches: Vec<SwitchResult>,
    /// Every finding, blockers first, then by switch, port and check id.
    pub findings: Vec<Finding>,
    /// The site's score, 0-100.
    pub score: u8,
    pub verdict: Verdict,
    pub counts: Counts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSummary {
    pub voice_vlan: u16,
    /// PSE power budgeted for one phone, milliwatts (from the phone model or PoE class).
    pub phone_budget_mw: u32,
    /// Headroom kept free on each PSE, percent.
    pub poe_headroom_pct: u8,
    /// The planned phone models, in words (`avaya-9641g x 300 (class 2; learns its VLAN by
    /// LLDP-MED)`); empty when the plan gave a class or watts.
    #[serde(default)]
    pub phones: Vec<String>,
    /// The score at or above which the site, without a failed warning, is ready (the plan's
    /// `ready_score`); a report without it was judged with 90.
    #[serde(default = "default_ready_score")]
    pub ready_score: u8,
    /// The score below which the site is not ready (`at_risk_score`; default 60).
    #[serde(default = "default_at_risk_score")]
    pub at_risk_score: u8,
}

impl Default for PlanSummary {
    fn default() -> Self {
        PlanSummary {
            voice_vlan: 0,
            phone_budget_mw: 0,
            poe_headroom_pct: 0,
            phones: Vec::new(),
            ready_score: default_ready_score(),
            at_risk_score: default_at_risk_score(),
        }
    }
}

fn default_ready_score() -> u8 {
    crate::score::DEFAULT_READY_SCORE
}

fn default_at_risk_score() -> u8 {
    crate::score::DEFAULT_AT_RISK_SCORE
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    AtRisk,
    #[default]
    NotReady,
}

impl Verdict {
    /// The verdict as the report spells it (`ready`, `at_risk`, `not_ready`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::AtRisk => "at_risk",
            Verdict::NotReady => "not_ready",
        }
    }

    /// The verdict as a headline prints it (`READY`, `AT RISK`, `NOT READY`).
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Ready => "READY",
            Verdict::AtRisk => "AT RISK",
            Verdict::NotReady => "NOT READY",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchResult {
    /// The address polled (`host:port`).
    pub address: String,
    /// sysName, when the switch answered.
    pub name: Option<String>,
    /// The model (entPhysicalModelName of the chassis, or sysDescr's platform).
    pub model: Option<String>,
    pub reachable: bool,
    /// Why the switch could not be read (timeout, wrong credentials), when it could not.
    pub error: Option<String>,
    /// The number of user-facing ports checked.
    pub user_ports: u32,
    pub score: u8,
    pub verdict: Verdict,
    /// PoE budget per pool (a stack member, a StackPower stack, a chassis's common pool),
    /// for the dashboard's bars.
    pub poe: Vec<PoeBudget>,
    /// What the switch is (model, family, stack or chassis).
    #[serde(default)]
    pub platform: Option<crate::snapshot::Platform>,
    /// Every interface's role, grouped by role and reason (the sockets and why the other
    /// ports are not sockets).
    #[serde(default)]
    pub roles: Vec<RoleGroup>,
    /// The power supplies as read (state, part and member through ENTITY-MIB), for the
    /// bill of works.
    #[serde(default)]
    pub supplies: Vec<crate::snapshot::PowerSupply>,
    /// The stack members (CISCO-STACKWISE-MIB), each with its model and power budget.
    #[serde(default)]
    pub members: Vec<crate::snapshot::StackMember>,
    /// PoE hardware ENTITY-MIB shows (the models of PoE members and line cards).
    #[serde(default)]
    pub poe_hardware: Vec<String>,
}

/// Interfaces that share a role and its reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGroup {
    pub role: crate::snapshot::PortRole,
    pub reason: String,
    /// Interface names, in port order.
    pub ports: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoeBudget {
    /// The pool's first PSE group (pethMainPseGroupIndex).
    pub group: u32,
    pub stack_member: Option<u32>,
    pub budget_w: u32,
    pub consumed_w: u32,
    /// What the plan's phones need from this pool, watts.
    pub planned_w: u32,
    /// The pool's id (`member-2`, `pool-1`, `stackpower-1`).
    #[serde(default)]
    pub pool: Option<String>,
    /// Every PSE group in the pool.
    #[serde(default)]
    pub groups: Vec<u32>,
    /// Power allocated to devices now (cpeExtMainPseUsedPower), watts.
    #[serde(default)]
    pub allocated_w: Option<u32>,
    /// Planned phones that could not be placed on any pool (counted on the switch's first
    /// pool's bar).
    #[serde(default)]
    pub unplaced_phones: u32,
    /// Allocated now to devices on ports that are not sockets (access points, cameras),
    /// watts: the pool must carry them too.
    #[serde(default)]
    pub other_w: u32,
    /// What the pool lacks to power the planned phones and the other devices at the plan's
    /// headroom, watts (0 when it has enough); None when its budget is unknown.
    #[serde(default)]
    pub short_w: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Blocker,
    Warning,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Unknown,
    Pass,
    /// The check does not apply to this switch (the socket checks, PoE among them, on a switch without sockets):
    /// it weighs nothing in the score.
    NotApplicable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The check's stable id (`poe.budget`, `voice_vlan.port`, ...).
    pub check: String,
    pub severity: Severity,
    pub status: Status,
    /// The switch's address.
    pub switch: String,
    /// The interface name, for a per-port finding.
    pub port: Option<String>,
    /// What was found, in a sentence.
    pub message: String,
    /// The values read, each with its MIB object name.
    pub evidence: Vec<Evidence>,
    /// The IOS configuration that fixes it, when it failed.
    pub remediation: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The MIB object (`pethMainPsePower.1`, `vmVoiceVlanId.10101`).
    pub object: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub blockers: u32,
    pub warnings: u32,
    pub unknown: u32,
    pub passed: u32,
    /// Findings of checks that do not apply (the socket checks, PoE among them, on a switch without sockets).
    #[serde(default)]
    pub not_applicable: u32,
}
