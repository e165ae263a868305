//! Reading reports back: a site's latest, its trend, one by site and id, counts; pruning.

use std::sync::atomic::Ordering;

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::*;

pub(super) const META_COLUMNS: &str =
    "report_id, site, generated_at, received_at, agent, token_name, score, verdict, blockers";

pub(super) fn meta_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportMeta> {
    Ok(ReportMeta {
        report_id: r.get(0)?,
        site: r.get(1)?,
        generated_at: from_unix(r.get(2)?),
        received_at: from_unix(r.get(3)?),
        agent: r.get(4)?,
        token_name: r.get(5)?,
        score: r.get(6)?,
        verdict: verdict_at(r, 7)?,
        blockers: r.get(8)?,
    })
}

/// A trend point as `site_latest.trend` keeps it: `[unix seconds, score, verdict, blockers]`.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredPoint(
    pub(super) i64,
    pub(super) u8,
    pub(super) Verdict,
    pub(super) u32,
);

impl From<StoredPoint> for TrendPoint {
    fn from(p: StoredPoint) -> Self {
        TrendPoint {
            generated_at: from_unix(p.0),
            score: p.1,
            verdict: p.2,
            blockers: p.3,
        }
    }
}

pub(super) fn parse_stored(meta: ReportMeta, body: &str) -> Result<StoredReport, StoreError> {
    let report = serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
        report_id: meta.report_id.clone(),
        source,
    })?;
    Ok(StoredReport { meta, report })
}

impl Store {
    /// The latest report (by scan time) of every site, by site name.
    pub fn latest_reports(&self) -> Result<Vec<StoredReport>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {META_COLUMNS}, body FROM reports
                 WHERE pk IN (SELECT report_pk FROM site_latest) ORDER BY site"
            ))
            .map_err(sql("reading the latest reports"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((meta_from_row(row)?, row.get::<_, String>(9)?))
            })
            .map_err(sql("reading the latest reports"))?;
        let mut out = Vec::new();
        for row in rows {
            let (meta, body) = row.map_err(sql("reading the latest reports"))?;
            out.push(parse_stored(meta, &body)?);
        }
        Ok(out)
    }

    /// The latest report (by scan time) of one site.
    pub fn latest_report(&self, site: &str) -> Result<Option<StoredReport>, StoreError> {
        let conn = self.read();
        let row = conn
            .query_row(
                &format!(
                    "SELECT {META_COLUMNS}, body FROM reports
                     WHERE pk = (SELECT report_pk FROM site_latest WHERE site = ?1)"
                ),
                params![site],
                |row| Ok((meta_from_row(row)?, row.get::<_, String>(9)?)),
            )
            .optional()
            .map_err(sql("reading a site's latest report"))?;
        row.map(|(meta, body)| parse_stored(meta, &body))
            .transpose()
    }

    /// A site's latest report scanned at or before `t`.
    pub fn report_at_or_before(
        &self,
        site: &str,
        t: OffsetDateTime,
    ) -> Result<Option<StoredReport>, StoreError> {
        let conn = self.read();
        let row = conn
            .query_row(
                &format!(
                    "SELECT {META_COLUMNS}, body FROM reports
                     WHERE site = ?1 AND generated_at <= ?2
                     ORDER BY generated_at DESC, pk DESC LIMIT 1"
                ),
                params![site, t.unix_timestamp()],
                |row| Ok((meta_from_row(row)?, row.get::<_, String>(9)?)),
            )
            .optional()
            .map_err(sql("reading a site's earlier report"))?;
        row.map(|(meta, body)| parse_stored(meta, &body))
            .transpose()
    }

    /// A site's last `limit` reports as trend points, oldest first.
    pub fn trend(&self, site: &str, limit: u32) -> Result<Vec<TrendPoint>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare(
                "SELECT generated_at, score, verdict, blockers FROM reports WHERE site = ?1
                 ORDER BY generated_at DESC, pk DESC LIMIT ?2",
            )
            .map_err(sql("reading a site's trend"))?;
        let mut points = stmt
            .query_map(params![site, limit], |r| {
                Ok(TrendPoint {
                    generated_at: from_unix(r.get(0)?),
                    score: r.get(1)?,
                    verdict: verdict_at(r, 2)?,
                    blockers: r.get(3)?,
                })
            })
            .map_err(sql("reading a site's trend"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading a site's trend"))?;
        points.reverse();
        Ok(points)
    }

    /// One stored report by its site and id (ids are unique within a site).
    pub fn report_by_id(
        &self,
        site: &str,
        report_id: &str,
    ) -> Result<Option<StoredReport>, StoreError> {
        let conn = self.read();
        let row = conn
            .query_row(
                &format!(
                    "SELECT {META_COLUMNS}, body FROM reports WHERE site = ?1 AND report_id = ?2"
                ),
                params![site, report_id],
                |row| Ok((meta_from_row(row)?, row.get::<_, String>(9)?)),
            )
            .optional()
            .map_err(sql("reading a report by id"))?;
        row.map(|(meta, body)| parse_stored(meta, &body))
            .transpose()
    }

    /// How many reports are kept.
    pub fn report_count(&self) -> Result<u64, StoreError> {
        self.read()
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
            .map_err(sql("counting reports"))
    }

    /// Deletes reports scanned before `cutoff`, except each site's latest, which is kept
    /// whatever its age so a site never disappears from the dashboard. Returns how many
    /// were deleted.
    pub fn prune(&self, cutoff: OffsetDateTime) -> Result<usize, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the prune transaction"))?;
        let deleted = tx
            .execute(
                "DELETE FROM reports WHERE generated_at < ?1 AND pk NOT IN (
                SELECT pk FROM (
                    SELECT pk, ROW_NUMBER() OVER (
                        PARTITION BY site ORDER BY generated_at DESC, pk DESC) AS rn
                    FROM reports)
                WHERE rn = 1)",
                params![cutoff.unix_timestamp()],
            )
            .map_err(sql("pruning old reports"))?;
        if deleted > 0 {
            refresh_sites(&tx)?;
        }
        tx.commit().map_err(sql("committing the prune"))?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(deleted)
    }
}
