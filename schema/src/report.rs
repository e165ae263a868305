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

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSummary {
    pub voice_vlan: u16,
    /// PSE power budgeted for one phone, milliwatts (from the phone model or PoE class).
    pub phone_budget_mw: u32,
    /// Headroom kept free on each PSE, percent.
    pub poe_headroom_pct: u8,
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
    /// PoE budget per PSE (stack member), for the dashboard's bars.
    pub poe: Vec<PoeBudget>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoeBudget {
    pub group: u32,
    pub stack_member: Option<u32>,
    pub budget_w: u32,
    pub consumed_w: u32,
    /// What the plan's phones need from this PSE, watts.
    pub planned_w: u32,
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
}
