//! Regressions as rows: found when a report is stored (in its transaction), against the
//! site's report scanned before it; read back per site or since a time.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::reports::parse_stored;
use super::*;
use crate::programme::parse_day;
use crate::regression::{self, Kind};

/// A stored regression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRegression {
    pub id: u64,
    pub site: String,
    pub report_id: String,
    pub previous_id: String,
    pub regression: regression::Regression,
    /// `before` or `after` the site's cutover day when it was found, or `none` for a site
    /// outside the calendar.
    pub phase: String,
    pub found_at: OffsetDateTime,
}

/// The phase a report's regressions are found in: `after` the site's cutover day (an
/// incident), `before` it, or `none` for a site outside the calendar. The scan's day counts,
/// not the arrival's: a scan made before the cutover and delivered after it (a spooled
/// report) is not an incident.
pub(super) fn phase(cutover: Option<&str>, generated_at: OffsetDateTime) -> &'static str {
    let today = generated_at.to_offset(time::UtcOffset::UTC).date();
    match cutover.map(parse_day) {
        Some(Ok(day)) if today > day => "after",
        Some(Ok(_)) => "before",
        _ => "none",
    }
}

/// A regression's severity as its column holds it (`blocker`, `warning`).
pub(super) fn severity_text(g: &regression::Regression) -> Option<String> {
    g.severity.map(|s| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    })
}

/// Stores the regressions the ingest layer found for the report just stored as `pk`.
pub(super) fn record(conn: &Connection, pk: i64, new: &NewReport) -> Result<(), StoreError> {
    let r = &new.report;
    let Some((previous_id, found)) = new.previous.as_ref().filter(|(_, f)| !f.is_empty()) else {
        return Ok(());
    };
    let cutover: Option<String> = conn
        .query_row(
            "SELECT cutover FROM programme WHERE site = ?1",
            params![r.site],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql("reading the site's cutover"))?;
    let phase = phase(cutover.as_deref(), new.generated_at);
    let mut st = conn
        .prepare_cached(
            "INSERT INTO regressions (site, report_pk, report_id, previous_id, kind, check_id,
                switch, port, severity, was, now, phase, found_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(sql("storing regressions"))?;
    for g in found {
        let severity = severity_text(g);
        st.execute(params![
            r.site,
            pk,
            r.id,
            previous_id,
            g.kind.as_str(),
            g.check,
            g.switch,
            g.port,
            severity,
            g.was,
            g.now,
            phase,
            new.received_at.unix_timestamp()
        ])
        .map_err(sql("storing a regression"))?;
    }
    if phase == "after" {
        tracing::warn!(message = "Regression after cutover.", site = %r.site, report = %r.id);
    }
    Ok(())
}

pub(super) const COLUMNS: &str =
    "id, site, report_id, previous_id, kind, check_id, switch, port, severity,
    was, now, phase, found_at";

pub(super) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRegression> {
    let kind: String = r.get(4)?;
    let kind = Kind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("{kind:?} is not a regression kind").into(),
        )
    })?;
    let severity: Option<String> = r.get(8)?;
    let severity = severity
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(
                    8,
                    rusqlite::types::Type::Text,
                    format!("{s:?} is not a severity").into(),
                )
            })
        })
        .transpose()?;
    Ok(StoredRegression {
        id: r.get(0)?,
        site: r.get(1)?,
        report_id: r.get(2)?,
        previous_id: r.get(3)?,
        regression: regression::Regression {
            kind,
            check: r.get(5)?,
            switch: r.get(6)?,
            port: r.get(7)?,
            severity,
            was: r.get(9)?,
            now: r.get(10)?,
        },
        phase: r.get(11)?,
        found_at: from_unix(r.get(12)?),
    })
}

impl Store {
    /// What the site's report scanned before `generated_at` gives a new report to be
    /// compared against: its id and its basis (from `report_basis`, or from its body for a
    /// report stored before that table).
    pub fn previous_basis(
        &self,
        site: &str,
        generated_at: OffsetDateTime,
    ) -> Result<Option<(String, regression::Basis)>, StoreError> {
        let conn = self.read();
        let row = conn
            .prepare_cached(
                "SELECT r.pk, r.report_id, r.verdict, b.passed FROM reports r
                 LEFT JOIN report_basis b ON b.pk = r.pk
                 WHERE r.site = ?1 AND r.generated_at < ?2
                 ORDER BY r.generated_at DESC, r.pk DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![site, generated_at.unix_timestamp()], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(sql("reading the previous report"))?;
        let Some((pk, id, verdict, passed)) = row else {
            return Ok(None);
        };
        if let Some(b) = passed.and_then(|p| regression::Basis::from_stored(&verdict, &p)) {
            return Ok(Some((id, b)));
        }
        let (meta, body) = conn
            .prepare_cached(&format!(
                "SELECT {META_COLUMNS}, body FROM reports WHERE pk = ?1"
            ))
            .and_then(|mut st| {
                st.query_row(params![pk], |row| {
                    Ok((meta_from_row(row)?, row.get::<_, String>(9)?))
                })
            })
            .map_err(sql("reading the previous report"))?;
        let stored = parse_stored(meta, &body)?;
        Ok(Some((id, regression::Basis::of(&stored.report))))
    }

    /// The regressions found since `t` (of every site), oldest first.
    pub fn regressions_since(
        &self,
        t: OffsetDateTime,
    ) -> Result<Vec<StoredRegression>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM regressions WHERE found_at >= ?1 ORDER BY found_at, id"
            ))
            .map_err(sql("reading regressions"))?;
        let rows = st
            .query_map(params![t.unix_timestamp()], row)
            .map_err(sql("reading regressions"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading regressions"))
    }
}
