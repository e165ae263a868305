//! The rollout programme's documents. `lanready.programme/v1` is `GET /api/v1/programme`:
//! each site in the cutover calendar, in cutover order, with its readiness now and a week ago
//! and where its blocker burn-down is heading. `lanready.waivers/v1` is a list of waivers:
//! accepted exceptions, each with its reason, owner and expiry. Dates are calendar days
//! (`YYYY-MM-DD`) in UTC.

use serde::{Deserialize, Serialize};

use crate::Verdict;

pub const PROGRAMME_SCHEMA: &str = "lanready.programme/v1";
pub const WAIVERS_SCHEMA: &str = "lanready.waivers/v1";

/// `GET /api/v1/programme`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeResponse {
    pub schema: String,
    /// The collector's clock when it answered, RFC 3339 UTC.
    pub as_of: String,
    /// `as_of`'s day, from which `days_left` counts.
    pub today: String,
    /// In cutover order (then by name).
    pub sites: Vec<ProgrammeSite>,
}

/// Before or after a site's cutover day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The cutover day has not ended (`days_left` 0 or more).
    Before,
    /// The cutover day is past (`days_left` negative).
    After,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSite {
    pub site: String,
    /// The planned cutover day.
    pub cutover: String,
    pub wave: Option<u32>,
    /// Extensions moving at this cutover.
    pub extensions: Option<u32>,
    pub owner: Option<String>,
    /// Days from `today` to `cutover`: 0 on the day, negative after it.
    pub days_left: i64,
    pub phase: Phase,
    /// The latest report's, judged with the waivers in force (as the gate judges it), like
    /// `score` and `blockers`; None when no report has arrived yet ("no scan yet"). The
    /// burn-down and `blockers_week_ago` are the reports' counts as they were stored.
    pub verdict: Option<Verdict>,
    pub score: Option<u8>,
    pub blockers: Option<u32>,
    /// The latest report's scan time, RFC 3339 UTC.
    pub last_scan: Option<String>,
    /// Blockers in the latest report scanned at least 7 days before `as_of`; None when the
    /// history does not reach back that far.
    pub blockers_week_ago: Option<u32>,
    pub projection: Projection,
    /// The site's waivers in force.
    pub waivers: Vec<Waiver>,
    /// Regressions found in the 7 days before `as_of`, oldest first.
    pub regressions: Vec<RegressionDoc>,
    /// The blocker burn-down: the blockers of each day's last report, for the days with a
    /// report in the 28 days before `today` and `today` itself, oldest first.
    pub burndown: Vec<BurnPoint>,
}

/// One day of a site's blocker burn-down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnPoint {
    /// The day (`YYYY-MM-DD`, UTC).
    pub day: String,
    /// Blockers in the day's last report.
    pub blockers: u32,
}

/// What a report did worse than the site's report scanned before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionDoc {
    pub id: u64,
    pub report_id: String,
    pub previous_id: String,
    /// `finding` (a check that passed on the switch now fails) or `verdict` (it got worse).
    pub kind: String,
    pub check: Option<String>,
    pub switch: Option<String>,
    pub port: Option<String>,
    pub severity: Option<crate::Severity>,
    /// `pass`, or the previous verdict.
    pub was: String,
    /// The failing finding's message, or the new verdict.
    pub now: String,
    /// `before` or `after` the site's cutover day when it was found (`none` outside the
    /// calendar).
    pub phase: String,
    /// Found after cutover: something that worked has broken.
    pub incident: bool,
    /// When the report that brought it arrived, RFC 3339 UTC.
    pub found_at: String,
}

/// Where the blocker burn-down is heading: the blockers closed per day between the latest
/// report and the one 28 days before it (or the oldest within those 28 days), carried
/// forward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    /// Blockers closed per day over the window; None with fewer than two reports a day or
    /// more apart.
    pub blockers_per_day: Option<f64>,
    /// The window's first report, RFC 3339 UTC.
    pub since: Option<String>,
    /// The day the last blocker closes at that rate (today when none is left); None when
    /// blockers remain and none are being closed, or nothing has been scanned.
    pub projected_ready: Option<String>,
    /// True when `projected_ready` is after the cutover, when blockers remain and none are
    /// being closed, or when no report has arrived: readiness is never assumed.
    pub slipping: bool,
}

/// A list of waivers (`GET /api/v1/waivers`, `GET /api/v1/sites/{site}/waivers`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiversResponse {
    pub schema: String,
    /// The collector's clock when it answered, RFC 3339 UTC.
    pub as_of: String,
    /// `as_of`'s day, against which each waiver's expiry is judged.
    pub today: String,
    /// Oldest first.
    pub waivers: Vec<Waiver>,
}

/// Whether a waiver applies today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    /// Applies: before its expiry day, not revoked.
    InForce,
    /// Its expiry day has come.
    Expired,
    Revoked,
}

/// An accepted exception: findings of one check at one site (on one switch, on ports that
/// match a glob) that do not count against the site until the waiver expires. A waived
/// finding is still in the report, shown with its waiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub id: u64,
    pub site: String,
    /// The check id (`poe.budget`).
    pub check: String,
    /// The switch (its address as findings name it); None for every switch of the site.
    pub switch: Option<String>,
    /// A glob over port names (`Gi1/0/*`; `*` any run, `?` one character); None for every
    /// finding, with or without a port. With a glob, a finding without a port is not waived.
    pub port: Option<String>,
    pub reason: String,
    /// The day the waiver stops applying.
    pub expires: String,
    /// Who accepted the exception.
    pub by: String,
    /// When it was added, RFC 3339 UTC, and the token or command that added it.
    pub created_at: String,
    pub created_via: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub state: WaiverState,
}
