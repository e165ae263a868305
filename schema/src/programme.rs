//! `lanready.programme/v1`: the rollout programme as the collector answers
//! `GET /api/v1/programme`: each site in the cutover calendar, in cutover order, with its
//! readiness now and a week ago and where its blocker burn-down is heading. Dates are
//! calendar days (`YYYY-MM-DD`) in UTC.

use serde::{Deserialize, Serialize};

use crate::Verdict;

pub const PROGRAMME_SCHEMA: &str = "lanready.programme/v1";

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
    /// The latest report's; None when no report has arrived yet ("no scan yet").
    pub verdict: Option<Verdict>,
    pub score: Option<u8>,
    pub blockers: Option<u32>,
    /// The latest report's scan time, RFC 3339 UTC.
    pub last_scan: Option<String>,
    /// Blockers in the latest report scanned at least 7 days before `as_of`; None when the
    /// history does not reach back that far.
    pub blockers_week_ago: Option<u32>,
    pub projection: Projection,
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
