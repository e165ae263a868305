//! The collector's JSON documents (`lanready.sites/v1`, `lanready.site/v1`,
//! `lanready.dashboard/v1`), the ingest answer and the error body. The collector writes them,
//! its clients read them; `docs/api.md` documents each with a JSON Schema, checked against
//! real answers (`collector/tests/api_doc.rs`). Report parts (`Counts`, `SwitchResult`,
//! `Finding`, ...) are embedded as `lanready.report/v1` defines them.

use crate::{Counts, Finding, PlanSummary, SwitchResult, Verdict};
use serde::{Deserialize, Serialize};

pub const SITES_SCHEMA: &str = "lanready.sites/v1";
pub const SITE_SCHEMA: &str = "lanready.site/v1";
pub const DASHBOARD_SCHEMA: &str = "lanready.dashboard/v1";

/// The answer to `POST /api/v1/reports` (201 when stored, 200 for a resend of a stored id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestResponse {
    pub id: String,
    pub site: String,
    /// The scan time, RFC 3339 UTC.
    pub generated_at: String,
    /// When the collector first stored this id, RFC 3339 UTC (the same on a resend).
    pub received_at: String,
    pub score: u8,
    pub verdict: Verdict,
}

/// `GET /api/v1/sites`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitesResponse {
    pub schema: String,
    /// The collector's clock when it answered, RFC 3339 UTC.
    pub as_of: String,
    /// Worst first: not_ready, then at_risk, then ready; then by score, then by name.
    pub sites: Vec<SiteRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRow {
    pub site: String,
    pub score: u8,
    pub verdict: Verdict,
    pub blockers: u32,
    pub warnings: u32,
    /// The latest report's scan time, RFC 3339 UTC.
    pub last_scan: String,
    /// Seconds from `last_scan` to `as_of` (0 if the scan is dated later).
    pub age_seconds: u64,
    /// True when `age_seconds` exceeds `stale_after_seconds`.
    pub stale: bool,
    pub stale_after_seconds: u64,
    pub report_id: String,
    pub agent: String,
}

/// `GET /api/v1/sites/{site}`: the site's latest report and its trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDetail {
    pub schema: String,
    pub as_of: String,
    pub site: String,
    pub score: u8,
    pub verdict: Verdict,
    pub counts: Counts,
    pub last_scan: String,
    pub received_at: String,
    pub age_seconds: u64,
    pub stale: bool,
    pub stale_after_seconds: u64,
    pub report_id: String,
    pub agent: String,
    pub agent_version: String,
    pub plan: PlanSummary,
    pub switches: Vec<SwitchResult>,
    /// Every finding of the latest report, in the report's order (blockers first).
    pub findings: Vec<Finding>,
    /// PoE budget per PSE (stack member) of every switch, flattened for bars.
    pub poe: Vec<PoeBar>,
    /// Oldest first.
    pub trend: Vec<TrendPoint>,
}

/// One PSE's PoE budget, with the switch it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoeBar {
    /// The switch's address.
    pub switch: String,
    /// The switch's sysName, when known.
    pub switch_name: Option<String>,
    pub group: u32,
    pub stack_member: Option<u32>,
    pub budget_w: u32,
    pub consumed_w: u32,
    pub planned_w: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendPoint {
    /// The scan time, RFC 3339 UTC.
    pub at: String,
    pub score: u8,
    pub verdict: Verdict,
    pub blockers: u32,
}

/// `GET /api/v1/dashboard`: the estate summary and one row per site, worst first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub schema: String,
    pub as_of: String,
    pub estate: Estate,
    pub sites: Vec<DashboardSite>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Estate {
    pub sites: u32,
    pub ready: u32,
    pub at_risk: u32,
    pub not_ready: u32,
    pub stale: u32,
    pub blockers: u32,
    pub user_ports: u32,
    /// Site scores averaged with each site weighted by its user-facing ports (a plain
    /// mean when no site counted any port); null when there is no site.
    pub score: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSite {
    /// 1 is the least ready site.
    pub rank: u32,
    pub site: String,
    pub score: u8,
    pub verdict: Verdict,
    pub counts: Counts,
    pub user_ports: u32,
    pub last_scan: String,
    pub age_seconds: u64,
    pub stale: bool,
    pub stale_after_seconds: u64,
    /// Score change since the previous report; null for a site's first report.
    pub score_delta: Option<i16>,
    /// Failing blocker findings grouped by check, most frequent first (at most 5).
    pub top_blockers: Vec<BlockerGroup>,
    pub poe: Vec<PoeBar>,
    /// Oldest first, at most the last 30 reports.
    pub trend: Vec<TrendPoint>,
}

/// Failing blocker findings of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockerGroup {
    pub check: String,
    /// How many failing blocker findings the check has.
    pub count: u32,
    /// The first such finding's message, switch and port, as an example.
    pub message: String,
    /// The switch's address.
    pub switch: String,
    /// The switch's sysName, when known.
    pub switch_name: Option<String>,
    pub port: Option<String>,
}

/// The body of every 4xx and 5xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: String,
    pub status: u16,
}
