//! Storing a report on PostgreSQL, as the SQLite writer does (`store/writer.rs`): once per
//! site and id (a resend is a duplicate, another body under a stored id a conflict), with its
//! regression basis, its day in `site_days`, the regressions ingest found and its site's
//! `site_latest` row; and reading a site's latest report back.
//!
//! Each report is one transaction that first takes its site's advisory lock
//! ([`SITE_LOCK`], `hashtext(site)`): two collectors storing reports of one site queue there,
//! and as each statement of the second then sees what the first committed (READ COMMITTED),
//! a resend through another collector is a duplicate and `site_latest` is computed from
//! every stored report, never from a snapshot missing one.

use lanready_schema::{Report, Verdict};
use tokio_postgres::Row;

use super::{PgError, PgStore, SITE_LOCK, fit, sql};
use crate::model::{Inserted, NewReport, ReportMeta, SiteCard, StoredReport};
use crate::store::TREND_KEPT;
use crate::store::reports::StoredPoint;

const META_COLUMNS: &str =
    "report_id, site, generated_at, received_at, agent, token_name, score, verdict, blockers";

use crate::store::from_unix;

/// A stored verdict; one this build does not know is an error naming it, never a guess.
fn verdict_of(text: &str) -> Result<Verdict, PgError> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        PgError::BadValue {
            what: "reading a stored verdict",
            detail: format!("{text:?} is not a verdict (ready, at_risk, not_ready)"),
        }
    })
}

/// [`META_COLUMNS`] from the start of `row`.
fn meta_from_row(row: &Row) -> Result<ReportMeta, PgError> {
    Ok(ReportMeta {
        report_id: row.get(0),
        site: row.get(1),
        generated_at: from_unix(row.get(2)),
        received_at: from_unix(row.get(3)),
        agent: row.get(4),
        token_name: row.get(5),
        score: fit("reading a stored score", row.get(6))?,
        verdict: verdict_of(row.get(7))?,
        blockers: fit("reading stored blockers", row.get(8))?,
    })
}

/// A count as an `INTEGER` column takes it.
fn int(what: &'static str, v: u32) -> Result<i32, PgError> {
    i32::try_from(v).map_err(|_| PgError::BadValue {
        what,
        detail: format!("{v} is too large to store"),
    })
}

impl PgStore {
    /// Stores a report once, committed before this returns. See the module's doc for
    /// what two collectors storing at once see.
    pub async fn insert_report(&self, new: &NewReport) -> Result<Inserted, PgError> {
        let r = &new.report;
        let mut client = self.client("storing a report").await?;
        let tx = client
            .transaction()
            .await
            .map_err(sql("starting the report transaction"))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&SITE_LOCK, &r.site],
        )
        .await
        .map_err(sql("locking the report's site"))?;
        let body_hash: [u8; 32] =
            <sha2::Sha256 as sha2::Digest>::digest(new.body.as_bytes()).into();
        let existing = tx
            .query_opt(
                &format!(
                    "SELECT {META_COLUMNS}, body_sha256 FROM reports
                     WHERE site = $1 AND report_id = $2"
                ),
                &[&r.site, &r.id],
            )
            .await
            .map_err(sql("looking up the report id"))?;
        // Ids are unique per site: the same id on another site is another report, so a 409
        // never tells a site's token what another site holds.
        if let Some(row) = existing {
            let meta = meta_from_row(&row)?;
            let hash: Vec<u8> = row.get(9);
            // Nothing was written: the transaction ends with the lock when dropped.
            return Ok(if hash == body_hash {
                Inserted::Duplicate(meta)
            } else {
                Inserted::Conflict(meta)
            });
        }
        let user_ports: u32 = r.switches.iter().map(|s| s.user_ports).sum();
        let what = "storing the report";
        let pk: i64 = tx
            .query_one(
                "INSERT INTO reports (report_id, site, generated_at, received_at, agent,
                     agent_version, token_name, score, verdict, blockers, warnings, unknown,
                     passed, user_ports, body_sha256, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 RETURNING pk",
                &[
                    &r.id,
                    &r.site,
                    &new.generated_at.unix_timestamp(),
                    &new.received_at.unix_timestamp(),
                    &r.agent,
                    &r.agent_version,
                    &new.token_name,
                    &i32::from(r.score),
                    &r.verdict.as_str(),
                    &int(what, r.counts.blockers)?,
                    &int(what, r.counts.warnings)?,
                    &int(what, r.counts.unknown)?,
                    &int(what, r.counts.passed)?,
                    &int(what, user_ports)?,
                    &&body_hash[..],
                    &new.body,
                ],
            )
            .await
            .map_err(sql("inserting the report"))?
            .get(0);
        tx.execute(
            "INSERT INTO report_basis (pk, passed) VALUES ($1, $2)",
            &[&pk, &crate::regression::Basis::of(r).judged_json()],
        )
        .await
        .map_err(sql("storing the report's regression basis"))?;
        record_day(&tx, pk, new).await?;
        record_regressions(&tx, pk, new).await?;
        refresh_site(&tx, &r.site, Some((pk, r))).await?;
        tx.commit().await.map_err(sql("committing the report"))?;
        Ok(Inserted::New(crate::store::stored_meta(new)))
    }

    /// The latest report (by scan time) of one site.
    pub async fn latest_report(&self, site: &str) -> Result<Option<StoredReport>, PgError> {
        let client = self.client("reading a site's latest report").await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {META_COLUMNS}, body FROM reports
                     WHERE pk = (SELECT report_pk FROM site_latest WHERE site = $1)"
                ),
                &[&site],
            )
            .await
            .map_err(sql("reading a site's latest report"))?;
        let Some(row) = row else { return Ok(None) };
        let meta = meta_from_row(&row)?;
        let body: String = row.get(9);
        let report = serde_json::from_str(&body).map_err(|source| PgError::Corrupt {
            report_id: meta.report_id.clone(),
            source,
        })?;
        Ok(Some(StoredReport { meta, report }))
    }

    /// How many reports are kept.
    pub async fn report_count(&self) -> Result<u64, PgError> {
        let client = self.client("counting reports").await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM reports", &[])
            .await
            .map_err(sql("counting reports"))?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Makes the report just stored as `pk` its site's day in `site_days` when it is the day's
/// last: by scan time, then by arrival.
async fn record_day(
    tx: &deadpool_postgres::Transaction<'_>,
    pk: i64,
    new: &NewReport,
) -> Result<(), PgError> {
    let r = &new.report;
    let generated = new.generated_at.unix_timestamp();
    let day = i32::try_from(generated.div_euclid(86_400)).map_err(|_| PgError::BadValue {
        what: "recording the site's day",
        detail: format!("scan time {generated} is out of range"),
    })?;
    tx.execute(
        "INSERT INTO site_days (site, day, generated_at, pk, blockers, score, verdict)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (site, day) DO UPDATE SET generated_at = excluded.generated_at,
             pk = excluded.pk, blockers = excluded.blockers, score = excluded.score,
             verdict = excluded.verdict
         WHERE excluded.generated_at > site_days.generated_at
            OR (excluded.generated_at = site_days.generated_at AND excluded.pk > site_days.pk)",
        &[
            &r.site,
            &day,
            &generated,
            &pk,
            &int("recording the site's day", r.counts.blockers)?,
            &i32::from(r.score),
            &r.verdict.as_str(),
        ],
    )
    .await
    .map_err(sql("recording the site's day"))?;
    Ok(())
}

/// Stores the regressions the ingest layer found for the report just stored as `pk`, with
/// the phase of its scan against the site's cutover day.
async fn record_regressions(
    tx: &deadpool_postgres::Transaction<'_>,
    pk: i64,
    new: &NewReport,
) -> Result<(), PgError> {
    let r = &new.report;
    let Some((previous_id, found)) = new.previous.as_ref().filter(|(_, f)| !f.is_empty()) else {
        return Ok(());
    };
    let cutover: Option<String> = tx
        .query_opt("SELECT cutover FROM programme WHERE site = $1", &[&r.site])
        .await
        .map_err(sql("reading the site's cutover"))?
        .map(|row| row.get(0));
    let phase = crate::store::regressions::phase(cutover.as_deref(), new.generated_at);
    let insert = tx
        .prepare(
            "INSERT INTO regressions (site, report_pk, report_id, previous_id, kind, check_id,
                switch, port, severity, was, now, phase, found_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .await
        .map_err(sql("storing regressions"))?;
    for g in found {
        let severity = crate::store::regressions::severity_text(g);
        tx.execute(
            &insert,
            &[
                &r.site,
                &pk,
                &r.id,
                previous_id,
                &g.kind.as_str(),
                &g.check,
                &g.switch,
                &g.port,
                &severity,
                &g.was,
                &g.now,
                &phase,
                &new.received_at.unix_timestamp(),
            ],
        )
        .await
        .map_err(sql("storing a regression"))?;
    }
    if phase == "after" {
        tracing::warn!(message = "Regression after cutover.", site = %r.site, report = %r.id);
    }
    Ok(())
}

/// Brings `site`'s `site_latest` row up to date, as `store/summary.rs` does: its latest
/// report (the card made again only when that changed; from `just_stored` when that is the
/// latest) and its last [`TREND_KEPT`] trend points. Removes the row when the site has no
/// report. The caller holds the site's lock.
async fn refresh_site(
    tx: &deadpool_postgres::Transaction<'_>,
    site: &str,
    just_stored: Option<(i64, &Report)>,
) -> Result<(), PgError> {
    let latest: Option<i64> = tx
        .query_opt(
            "SELECT pk FROM reports WHERE site = $1 ORDER BY generated_at DESC, pk DESC LIMIT 1",
            &[&site],
        )
        .await
        .map_err(sql("finding a site's latest report"))?
        .map(|row| row.get(0));
    let Some(latest) = latest else {
        tx.execute("DELETE FROM site_latest WHERE site = $1", &[&site])
            .await
            .map_err(sql("removing a site summary"))?;
        return Ok(());
    };
    let rows = tx
        .query(
            "SELECT generated_at, score, verdict, blockers FROM reports WHERE site = $1
             ORDER BY generated_at DESC, pk DESC LIMIT $2",
            &[&site, &i64::from(TREND_KEPT)],
        )
        .await
        .map_err(sql("reading a site's trend"))?;
    let mut points = Vec::with_capacity(rows.len());
    for row in rows.iter().rev() {
        points.push(StoredPoint(
            row.get(0),
            fit("reading a stored score", row.get(1))?,
            verdict_of(row.get(2))?,
            fit("reading stored blockers", row.get(3))?,
        ));
    }
    let corrupt = |source| PgError::CorruptSummary {
        site: site.to_string(),
        source,
    };
    let trend = serde_json::to_string(&points).map_err(corrupt)?;
    let current: Option<i64> = tx
        .query_opt(
            "SELECT report_pk FROM site_latest WHERE site = $1",
            &[&site],
        )
        .await
        .map_err(sql("reading a site summary"))?
        .map(|row| row.get(0));
    if current == Some(latest) {
        tx.execute(
            "UPDATE site_latest SET trend = $2 WHERE site = $1",
            &[&site, &trend],
        )
        .await
        .map_err(sql("updating a site's trend"))?;
        return Ok(());
    }
    let card = match just_stored {
        Some((pk, report)) if pk == latest => SiteCard::of(report),
        _ => {
            let row = tx
                .query_one(
                    "SELECT report_id, body FROM reports WHERE pk = $1",
                    &[&latest],
                )
                .await
                .map_err(sql("reading a site's latest report"))?;
            let (report_id, body): (String, String) = (row.get(0), row.get(1));
            let report: Report = serde_json::from_str(&body)
                .map_err(|source| PgError::Corrupt { report_id, source })?;
            SiteCard::of(&report)
        }
    };
    let card = serde_json::to_string(&card).map_err(corrupt)?;
    tx.execute(
        "INSERT INTO site_latest (site, report_pk, card, trend) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site) DO UPDATE SET report_pk = $2, card = $3, trend = $4",
        &[&site, &latest, &card, &trend],
    )
    .await
    .map_err(sql("writing a site summary"))?;
    Ok(())
}
