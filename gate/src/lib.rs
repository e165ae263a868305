//! The cutover gate: one rule for `lanready-agent gate` (a report file) and
//! `lanready-collector gate` (the site's latest stored report). Pure: it reads a report and
//! what the caller knows of its age, and gives the decision, the text for a CI log and the
//! JUnit XML, which tell the same story.
//!
//! The rule (docs/checks.md, "The gate"):
//! - the site fails when its verdict is `not_ready`, or `at_risk` with `--strict`; when its
//!   score is below `--min-score`; and, where its age is known, when the collector marks its
//!   latest scan stale or it is older than `--max-age`;
//! - each of those is a site-level JUnit case (`site verdict`, `site freshness`, `site min
//!   score`) that fails exactly when it is a reason the gate fails;
//! - a check's case on a switch fails exactly when one of its findings is a failing blocker,
//!   or a failing warning with `--strict` (each such finding is what makes the verdict fail);
//!   a failing warning without `--strict` is in the case's output, not a failure; unknowns are
//!   skipped with their reason.

use std::time::Duration;

use lanready_schema::{Finding, REPORT_SCHEMA, Report, Severity, Status, Verdict};

pub mod junit;
pub mod text;
pub mod waivers;

/// What passes the gate.
#[derive(Clone, Debug, Default)]
pub struct Criteria {
    /// The site's score must be at least this.
    pub min_score: Option<u8>,
    /// Fail an `at_risk` site, and its failing warnings, too.
    pub strict: bool,
    /// The latest scan must be at most this old (where its age is known).
    pub max_age: Option<Duration>,
    /// Fail an `at_risk` site for this reason too (the collector's `--cutover-window`: the
    /// site's cutover is near or past).
    pub at_risk_fails: Option<String>,
}

/// What the caller knows of the report's age: the collector knows when it arrived and how
/// often it expects one; a report file on its own has none of this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// Since the scan (at most since its arrival), seconds.
    pub age_seconds: u64,
    /// The collector expects a scan at least this often, seconds (None for a report file).
    pub stale_after_seconds: Option<u64>,
    /// The collector's own flag: older than `stale_after_seconds`.
    pub stale: bool,
}

/// The site-level questions the gate asks; each is a JUnit case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteCase {
    Verdict,
    Freshness,
    MinScore,
}

impl SiteCase {
    /// The case's name in JUnit.
    pub fn name(self) -> &'static str {
        match self {
            SiteCase::Verdict => "site verdict",
            SiteCase::Freshness => "site freshness",
            SiteCase::MinScore => "site min score",
        }
    }
}

/// One reason the gate fails, and the case it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub case: SiteCase,
    pub text: String,
}

/// The gate's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub pass: bool,
    /// Why it failed (empty when it passed), verdict first.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// The exit code: 0 pass, 1 fail.
    pub fn exit_code(&self) -> u8 {
        if self.pass { 0 } else { 1 }
    }

    /// The reasons' texts.
    pub fn texts(&self) -> Vec<&str> {
        self.reasons.iter().map(|r| r.text.as_str()).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("not a lanready report: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("a {found:?} document; the gate reads {REPORT_SCHEMA:?}")]
    Schema { found: String },
    #[error("the report's judgement disagrees with its findings, so it cannot be gated: {}", .0.join("; "))]
    Forged(Vec<String>),
}

/// Reads a report for the gate: its schema first (so a newer or foreign document says so
/// plainly), then its shape, then its judgement against the shared scoring model (a report
/// edited to say "ready" over a failed blocker is an error, never a pass).
pub fn parse(text: &str) -> Result<Report, ReportError> {
    let found = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("schema").and_then(|s| s.as_str()).map(str::to_string));
    if let Some(found) = found.filter(|s| s != REPORT_SCHEMA) {
        return Err(ReportError::Schema { found });
    }
    let report: Report = serde_json::from_str(text).map_err(ReportError::Parse)?;
    let wrong = lanready_schema::score::disagreements(&report);
    if !wrong.is_empty() {
        return Err(ReportError::Forged(wrong));
    }
    Ok(report)
}

/// A duration as people read it (`1h 5m`).
pub fn human(secs: u64) -> String {
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// Whether a finding fails the gate: a failing blocker always, a failing warning with
/// `strict`.
pub fn fails(f: &Finding, strict: bool) -> bool {
    f.status == Status::Fail
        && (f.severity == Severity::Blocker || (strict && f.severity == Severity::Warning))
}

/// Decides from the report (and its age, where known).
pub fn decide(report: &Report, freshness: Option<&Freshness>, c: &Criteria) -> Decision {
    let mut reasons = Vec::new();
    let mut add = |case, text| reasons.push(Reason { case, text });
    match report.verdict {
        Verdict::NotReady if report.counts.blockers > 0 => add(
            SiteCase::Verdict,
            format!(
                "the site is not ready ({})",
                lanready_schema::words::count(report.counts.blockers, "blocker", "blockers")
            ),
        ),
        Verdict::NotReady => add(
            SiteCase::Verdict,
            format!(
                "the site is not ready (score {}, below the plan's at-risk score {})",
                report.score, report.plan.at_risk_score
            ),
        ),
        Verdict::AtRisk if c.strict => add(
            SiteCase::Verdict,
            "the site is at risk and --strict is set".to_string(),
        ),
        Verdict::AtRisk if c.at_risk_fails.is_some() => add(
            SiteCase::Verdict,
            format!(
                "the site is at risk and {}",
                c.at_risk_fails.as_deref().unwrap_or_default()
            ),
        ),
        _ => {}
    }
    if let Some(f) = freshness {
        if f.stale {
            add(
                SiteCase::Freshness,
                format!(
                    "the latest scan is stale: {} old, the collector expects one every {}",
                    human(f.age_seconds),
                    human(f.stale_after_seconds.unwrap_or_default())
                ),
            );
        }
        if let Some(max) = c.max_age.filter(|m| f.age_seconds > m.as_secs()) {
            add(
                SiteCase::Freshness,
                format!(
                    "the latest scan is {} old, more than --max-age {}",
                    human(f.age_seconds),
                    human(max.as_secs())
                ),
            );
        }
    }
    if let Some(min) = c.min_score.filter(|&m| report.score < m) {
        add(
            SiteCase::MinScore,
            format!("the score {} is below --min-score {min}", report.score),
        );
    }
    Decision {
        pass: reasons.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests;
