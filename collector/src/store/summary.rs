//! Each site's summary kept at ingest in `site_latest` (the latest report's pk, its
//! dashboard card and its last trend points), and the reads that use it.

use std::sync::Arc;

use lanready_schema::Report;
use rusqlite::{Connection, OptionalExtension, params};

use super::*;

pub(super) const SUMMARY_COLUMNS: &str = "r.report_id, r.site, r.generated_at, r.received_at, r.agent, \
     r.token_name, r.score, r.verdict, r.blockers, r.warnings, r.user_ports";

pub(super) fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SiteSummary> {
    Ok(SiteSummary {
        meta: meta_from_row(row)?,
        warnings: row.get(9)?,
        user_ports: row.get(10)?,
    })
}

/// Brings `site`'s `site_latest` row up to date: its latest report (the card is rebuilt only
/// when that changed; from `just_stored` when that is the latest, else from the stored body)
/// and its last [`TREND_KEPT`] trend points. Removes the row when the site has no report.
pub(super) fn refresh_site(
    conn: &Connection,
    site: &str,
    just_stored: Option<(i64, &Report)>,
) -> Result<(), StoreError> {
    let latest: Option<i64> = conn
        .prepare_cached(
            "SELECT pk FROM reports WHERE site = ?1 ORDER BY generated_at DESC, pk DESC LIMIT 1",
        )
        .and_then(|mut st| st.query_row(params![site], |r| r.get(0)).optional())
        .map_err(sql("finding a site's latest report"))?;
    let Some(latest) = latest else {
        conn.execute("DELETE FROM site_latest WHERE site = ?1", params![site])
            .map_err(sql("removing a site summary"))?;
        return Ok(());
    };
    let points: Vec<StoredPoint> = conn
        .prepare_cached(
            "SELECT generated_at, score, verdict, blockers FROM reports WHERE site = ?1
             ORDER BY generated_at DESC, pk DESC LIMIT ?2",
        )
        .and_then(|mut st| {
            st.query_map(params![site, TREND_KEPT], |r| {
                Ok(StoredPoint(
                    r.get(0)?,
                    r.get(1)?,
                    verdict_at(r, 2)?,
                    r.get(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql("reading a site's trend"))?;
    let points: Vec<StoredPoint> = points.into_iter().rev().collect();
    let trend = serde_json::to_string(&points).map_err(|source| StoreError::CorruptSummary {
        site: site.to_string(),
        source,
    })?;
    let current: Option<i64> = conn
        .prepare_cached("SELECT report_pk FROM site_latest WHERE site = ?1")
        .and_then(|mut st| st.query_row(params![site], |r| r.get(0)).optional())
        .map_err(sql("reading a site summary"))?;
    if current == Some(latest) {
        conn.prepare_cached("UPDATE site_latest SET trend = ?2 WHERE site = ?1")
            .and_then(|mut st| st.execute(params![site, trend]))
            .map_err(sql("updating a site's trend"))?;
        return Ok(());
    }
    let card = match just_stored {
        Some((pk, report)) if pk == latest => SiteCard::of(report),
        _ => {
            let (report_id, body): (String, String) = conn
                .query_row(
                    "SELECT report_id, body FROM reports WHERE pk = ?1",
                    params![latest],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(sql("reading a site's latest report"))?;
            let report: Report = serde_json::from_str(&body)
                .map_err(|source| StoreError::Corrupt { report_id, source })?;
            SiteCard::of(&report)
        }
    };
    let card = serde_json::to_string(&card).map_err(|source| StoreError::CorruptSummary {
        site: site.to_string(),
        source,
    })?;
    conn.prepare_cached(
        "INSERT INTO site_latest (site, report_pk, card, trend) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (site) DO UPDATE SET report_pk = ?2, card = ?3, trend = ?4",
    )
    .and_then(|mut st| st.execute(params![site, latest, card, trend]))
    .map_err(sql("writing a site summary"))?;
    Ok(())
}

/// Refreshes `site_latest` for every site that has reports, and drops rows of sites that
/// have none (after migration 2 and after pruning).
pub(super) fn refresh_sites(conn: &Connection) -> Result<(), StoreError> {
    let sites: Vec<String> = conn
        .prepare("SELECT DISTINCT site FROM reports UNION SELECT site FROM site_latest")
        .and_then(|mut st| {
            st.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql("listing sites"))?;
    for site in sites {
        refresh_site(conn, &site, None)?;
    }
    Ok(())
}

impl Store {
    /// The latest report (by scan time) of every site, without bodies, by site name.
    pub fn latest_summaries(&self) -> Result<Vec<SiteSummary>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM site_latest l JOIN reports r ON r.pk = l.report_pk
                 ORDER BY l.site"
            ))
            .map_err(sql("reading the site summaries"))?;
        stmt.query_map([], summary_from_row)
            .map_err(sql("reading the site summaries"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading the site summaries"))
    }

    /// Every site's latest columns, dashboard card and trend, by site name: one row per
    /// site, no report body read.
    pub fn latest_cards(&self) -> Result<Vec<SiteLatest>, StoreError> {
        self.latest_cards_reusing(&[])
    }

    /// As [`Store::latest_cards`], taking the card of a site from `previous` when the site's
    /// latest report is still the one it was made from (only trends and columns are read
    /// again, and only changed cards are parsed).
    pub fn latest_cards_reusing(
        &self,
        previous: &[SiteLatest],
    ) -> Result<Vec<SiteLatest>, StoreError> {
        let what = "reading the dashboard cards";
        let known: std::collections::HashMap<(&str, i64), &Arc<SiteCard>> = previous
            .iter()
            .map(|p| ((p.summary.meta.site.as_str(), p.report_pk), &p.card))
            .collect();
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS}, l.report_pk, l.trend
                 FROM site_latest l JOIN reports r ON r.pk = l.report_pk ORDER BY l.site"
            ))
            .map_err(sql(what))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    summary_from_row(row)?,
                    row.get::<_, i64>(11)?,
                    row.get::<_, String>(12)?,
                ))
            })
            .map_err(sql(what))?;
        let mut card_of = conn
            .prepare_cached("SELECT card FROM site_latest WHERE site = ?1")
            .map_err(sql(what))?;
        let mut out = Vec::new();
        for row in rows {
            let (summary, report_pk, trend) = row.map_err(sql(what))?;
            let corrupt = |source| StoreError::CorruptSummary {
                site: summary.meta.site.clone(),
                source,
            };
            let card = match known.get(&(summary.meta.site.as_str(), report_pk)) {
                Some(card) => Arc::clone(card),
                None => {
                    let text: String = card_of
                        .query_row(params![summary.meta.site], |r| r.get(0))
                        .map_err(sql(what))?;
                    Arc::new(serde_json::from_str(&text).map_err(corrupt)?)
                }
            };
            let trend: Vec<StoredPoint> = serde_json::from_str(&trend).map_err(corrupt)?;
            out.push(SiteLatest {
                summary,
                report_pk,
                card,
                trend: trend.into_iter().map(TrendPoint::from).collect(),
            });
        }
        Ok(out)
    }
}
