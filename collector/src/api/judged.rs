//! Sites judged with their waivers in force, as the gate judges them: the summaries behind
//! `GET /api/v1/sites` and `/metrics`, the dashboard's cards and a site's detail. A waived
//! finding passes; the site's verdict, score and counts are worked out again
//! ([`lanready_gate::waivers::apply`]). Only a site with a waiver in force is read whole.

use super::*;
use lanready_schema::programme::{Waiver, WaiverState};

use crate::model::{SiteCard, SiteLatest, SiteSummary};
use crate::store::BySite;

/// Every site's waivers as documents on `now`'s day (only those in force with `in_force`).
pub(super) fn waivers_by_site(
    st: &Store,
    now: OffsetDateTime,
    in_force: bool,
) -> Result<BySite<Waiver>, StoreError> {
    let today = crate::waiver::today(now);
    let mut out: BySite<_> = Default::default();
    for w in st.waivers(None)? {
        let doc = crate::waiver::document(&w, today);
        if !in_force || doc.state == WaiverState::InForce {
            out.entry(doc.site.clone()).or_default().push(doc);
        }
    }
    Ok(out)
}

/// `summary` (a site's latest report's columns) judged with `ws`, the site's waivers in
/// force, and the report as judged; None (the summary unchanged) when they waive nothing or
/// its latest report is not the one the summary names.
pub(super) fn judge(
    st: &Store,
    summary: &mut SiteSummary,
    ws: &[Waiver],
) -> Result<Option<Report>, StoreError> {
    if ws.is_empty() {
        return Ok(None);
    }
    let Some(stored) = st.latest_report(&summary.meta.site)? else {
        return Ok(None);
    };
    if stored.meta.report_id != summary.meta.report_id {
        return Ok(None);
    }
    let applied = lanready_gate::waivers::apply(&stored.report, ws);
    if applied.waived.is_empty() {
        return Ok(None);
    }
    let r = applied.report;
    judged_meta(&mut summary.meta, &r);
    summary.warnings = r.counts.warnings;
    Ok(Some(r))
}

/// A stored report's columns as `judged` gives them.
fn judged_meta(meta: &mut crate::model::ReportMeta, judged: &Report) {
    meta.verdict = judged.verdict;
    meta.score = judged.score;
    meta.blockers = judged.counts.blockers;
}

/// Summaries judged with the waivers in force on `now`'s day.
pub(super) fn summaries(
    st: &Store,
    mut rows: Vec<SiteSummary>,
    now: OffsetDateTime,
) -> Result<Vec<SiteSummary>, StoreError> {
    let waivers = waivers_by_site(st, now, true)?;
    if waivers.is_empty() {
        return Ok(rows);
    }
    for s in &mut rows {
        if let Some(ws) = waivers.get(&s.meta.site) {
            judge(st, s, ws)?;
        }
    }
    Ok(rows)
}

/// Dashboard rows judged with the waivers in force on `now`'s day: a waived site's card is
/// made again from its report as judged. None when no waiver is in force: the rows as
/// stored are the rows as judged, and need no copy.
pub(super) fn cards(
    st: &Store,
    rows: &[SiteLatest],
    now: OffsetDateTime,
) -> Result<Option<Vec<SiteLatest>>, StoreError> {
    let waivers = waivers_by_site(st, now, true)?;
    if waivers.is_empty() {
        return Ok(None);
    }
    let mut out = rows.to_vec();
    for row in &mut out {
        let Some(ws) = waivers.get(&row.summary.meta.site) else {
            continue;
        };
        if let Some(r) = judge(st, &mut row.summary, ws)? {
            row.card = Arc::new(SiteCard::of(&r));
        }
    }
    Ok(Some(out))
}

/// A site's latest report judged with its waivers in force on `now`'s day: its verdict,
/// score, counts and switches' verdicts as judged; its findings as the agent reported them,
/// so a page can show each waived finding with its waiver.
pub(super) fn report(
    st: &Store,
    mut stored: crate::model::StoredReport,
    now: OffsetDateTime,
) -> Result<crate::model::StoredReport, StoreError> {
    let waivers = waivers_by_site(st, now, true)?;
    if let Some(ws) = waivers.get(&stored.meta.site) {
        let applied = lanready_gate::waivers::apply(&stored.report, ws);
        if !applied.waived.is_empty() {
            judged_meta(&mut stored.meta, &applied.report);
            let findings = std::mem::take(&mut stored.report.findings);
            stored.report = Report {
                findings,
                ..applied.report
            };
        }
    }
    Ok(stored)
}
