//! The collector's row types: what the store keeps and gives back of each report and site,
//! and the dashboard card made once per report at ingest. The store, the aggregation and the
//! API all read these; none of them is needed to build them.

use std::sync::Arc;

use lanready_schema::{Counts, Report, Severity, Status, Verdict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{SiteScope, TokenKind};
use lanready_schema::api::{BlockerGroup, PoeBar};

/// How many blocker groups a dashboard row shows.
pub const TOP_BLOCKERS: usize = 5;

/// What the store says about one stored report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportMeta {
    pub report_id: String,
    pub site: String,
    pub generated_at: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub agent: String,
    pub token_name: String,
    pub score: u8,
    pub verdict: Verdict,
    pub blockers: u32,
}

/// The outcome of [`Store::insert_report`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Stored now.
    New(ReportMeta),
    /// The same id with the same content was stored before: nothing changed.
    Duplicate(ReportMeta),
    /// The id was stored before for the same site with different content.
    Conflict(ReportMeta),
}

/// A report to store, with what the ingest layer worked out about it.
#[derive(Clone, Debug)]
pub struct NewReport {
    pub report: Arc<Report>,
    /// The report as JSON (what is stored and hashed).
    pub body: String,
    pub generated_at: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub token_name: String,
    /// The site's report scanned before this one (its id) and what this one does worse,
    /// found by the ingest layer on a read connection (stored with the report); None for a
    /// site's first report and for bulk imports.
    pub previous: Option<(String, Vec<crate::regression::Regression>)>,
}

/// What a dashboard row shows of a site's latest report, computed once at ingest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCard {
    pub counts: Counts,
    pub user_ports: u32,
    pub top_blockers: Vec<BlockerGroup>,
    pub poe: Vec<PoeBar>,
}

impl SiteCard {
    pub fn of(report: &Report) -> SiteCard {
        SiteCard {
            counts: report.counts.clone(),
            user_ports: report.switches.iter().map(|s| s.user_ports).sum(),
            top_blockers: top_blockers(report, TOP_BLOCKERS),
            poe: poe_bars(report),
        }
    }
}

/// One site as the dashboard reads it: the latest report's columns, its card and its trend
/// (oldest first), without the report body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteLatest {
    pub summary: SiteSummary,
    /// The pk of the report the card was made from.
    pub report_pk: i64,
    pub card: Arc<SiteCard>,
    pub trend: Vec<TrendPoint>,
}

/// A site's latest report without its body: what lists and metrics need, read from
/// columns only (no JSON parsing however large the reports are).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteSummary {
    pub meta: ReportMeta,
    pub warnings: u32,
    pub user_ports: u32,
}

/// A stored report, read back.
#[derive(Clone, Debug)]
pub struct StoredReport {
    pub meta: ReportMeta,
    pub report: Report,
}

/// One point of a site's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrendPoint {
    pub generated_at: OffsetDateTime,
    pub score: u8,
    pub verdict: Verdict,
    pub blockers: u32,
}

/// A token as `token list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub kind: TokenKind,
    pub scope: SiteScope,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

pub fn poe_bars(report: &Report) -> Vec<PoeBar> {
    report
        .switches
        .iter()
        .flat_map(|sw| {
            sw.poe.iter().map(move |p| PoeBar {
                switch: sw.address.clone(),
                switch_name: sw.name.clone(),
                group: p.group,
                stack_member: p.stack_member,
                budget_w: p.budget_w,
                consumed_w: p.consumed_w,
                planned_w: p.planned_w,
            })
        })
        .collect()
}

/// Failing blocker findings grouped by check, most frequent first, then by check id.
pub fn top_blockers(report: &Report, limit: usize) -> Vec<BlockerGroup> {
    // One pass, with the groups and the switches' names indexed: linear in the findings,
    // however many distinct checks a report holds.
    let names: std::collections::HashMap<&str, Option<&String>> = report
        .switches
        .iter()
        .map(|s| (s.address.as_str(), s.name.as_ref()))
        .collect();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut groups: Vec<BlockerGroup> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker && f.status == Status::Fail)
    {
        match index.get(f.check.as_str()) {
            Some(&i) => groups[i].count += 1,
            None => {
                index.insert(f.check.as_str(), groups.len());
                groups.push(BlockerGroup {
                    check: f.check.clone(),
                    count: 1,
                    message: f.message.clone(),
                    switch: f.switch.clone(),
                    switch_name: names.get(f.switch.as_str()).copied().flatten().cloned(),
                    port: f.port.clone(),
                });
            }
        }
    }
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.check.cmp(&b.check)));
    groups.truncate(limit);
    groups
}
