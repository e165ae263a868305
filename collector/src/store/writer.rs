//! The writer: one thread commits whatever has queued up in one transaction (group
//! commit), answering each caller after the commit; a report row is stored once per site and
//! id; each stored report brings its site's `site_latest` row up to date.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};

use rusqlite::{Connection, OptionalExtension, params};

use super::*;

impl Store {
    /// Stores a report once. Returns `New` only once the transaction holding it is committed
    /// (on disk); concurrent callers share a transaction (group commit).
    pub fn insert_report(&self, new: NewReport) -> Result<Inserted, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Job { new, reply })
            .map_err(|_| StoreError::WriterGone)?;
        answer.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Stores many reports in one transaction on the calling thread (bulk loads, seeding),
    /// then brings `site_latest` up to date for their sites. Returns how many were new.
    pub fn import(&self, reports: &[NewReport]) -> Result<usize, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the import transaction"))?;
        let mut stored = 0;
        let mut sites: Vec<&str> = Vec::new();
        for new in reports {
            if let Inserted::New(_) = insert_row(&tx, new)?.0 {
                stored += 1;
                if !sites.contains(&new.report.site.as_str()) {
                    sites.push(&new.report.site);
                }
            }
        }
        for site in sites {
            refresh_site(&tx, site, None)?;
        }
        tx.commit().map_err(sql("committing the import"))?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(stored)
    }
}

/// The writer thread: takes the first waiting report, then everything else already queued
/// (up to [`MAX_GROUP_COMMIT`]), stores them in one transaction, and answers each caller
/// after the commit. Ends when the store is dropped.
pub(super) fn writer_loop(
    conn: &Mutex<Connection>,
    rx: &mpsc::Receiver<Job>,
    generation: &AtomicU64,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP_COMMIT {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcomes = commit_batch(&mut lock(conn), &batch);
        let changed = outcomes.iter().any(|o| matches!(o, Ok(Inserted::New(_))));
        if changed {
            generation.fetch_add(1, Ordering::AcqRel);
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            // A caller that went away (its request was cancelled) needs no answer.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Stores `batch` in one transaction, each report inside its own savepoint so one failing
/// statement takes back only that report. If the commit fails, every report fails.
pub(super) fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
) -> Vec<Result<Inserted, StoreError>> {
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(source) => {
            let msg = source.to_string();
            return batch
                .iter()
                .map(|_| {
                    Err(StoreError::Sql {
                        what: "starting the report transaction",
                        source: rusqlite::Error::ToSqlConversionFailure(msg.clone().into()),
                    })
                })
                .collect();
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let one = (|| {
            let sp = tx
                .savepoint()
                .map_err(sql("starting the report savepoint"))?;
            let (outcome, pk) = insert_row(&sp, &job.new)?;
            if let Some(pk) = pk {
                refresh_site(&sp, &job.new.report.site, Some((pk, &job.new.report)))?;
            }
            sp.commit().map_err(sql("releasing the report savepoint"))?;
            Ok(outcome)
        })();
        outcomes.push(one);
    }
    if let Err(source) = tx.commit() {
        let msg = source.to_string();
        return batch
            .iter()
            .map(|_| {
                Err(StoreError::Sql {
                    what: "committing the reports",
                    source: rusqlite::Error::ToSqlConversionFailure(msg.clone().into()),
                })
            })
            .collect();
    }
    outcomes
}

/// Inserts one report unless its id is stored, with its day (`site_days`) and its
/// regressions; returns the outcome and, for a new row, its pk. Does not commit.
pub(super) fn insert_row(
    conn: &Connection,
    new: &NewReport,
) -> Result<(Inserted, Option<i64>), StoreError> {
    let (outcome, pk) = insert_report_row(conn, new)?;
    if let Some(pk) = pk {
        record_day(conn, pk, new)?;
        regressions::record(conn, pk, new)?;
    }
    Ok((outcome, pk))
}

/// Inserts the `reports` row alone unless its id is stored (the other tables are the
/// caller's).
pub(super) fn insert_report_row(
    conn: &Connection,
    new: &NewReport,
) -> Result<(Inserted, Option<i64>), StoreError> {
    let r = &new.report;
    let body_hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(new.body.as_bytes()).into();
    let user_ports: u32 = r.switches.iter().map(|s| s.user_ports).sum();
    let existing: Option<(ReportMeta, Vec<u8>)> = conn
        .prepare_cached(&format!(
            "SELECT {META_COLUMNS}, body_sha256 FROM reports WHERE site = ?1 AND report_id = ?2"
        ))
        .and_then(|mut st| {
            st.query_row(params![r.site, r.id], |row| {
                Ok((meta_from_row(row)?, row.get(9)?))
            })
            .optional()
        })
        .map_err(sql("looking up the report id"))?;
    // Ids are unique per site: the same id on another site is another report, so a 409
    // never tells a site's token what another site holds.
    if let Some((meta, hash)) = existing {
        return Ok((
            if hash == body_hash {
                Inserted::Duplicate(meta)
            } else {
                Inserted::Conflict(meta)
            },
            None,
        ));
    }
    conn.prepare_cached(
        "INSERT INTO reports (report_id, site, generated_at, received_at, agent,
             agent_version, token_name, score, verdict, blockers, warnings, unknown,
             passed, user_ports, body_sha256, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )
    .and_then(|mut st| {
        st.execute(params![
            r.id,
            r.site,
            new.generated_at.unix_timestamp(),
            new.received_at.unix_timestamp(),
            r.agent,
            r.agent_version,
            new.token_name,
            r.score,
            r.verdict.as_str(),
            r.counts.blockers,
            r.counts.warnings,
            r.counts.unknown,
            r.counts.passed,
            user_ports,
            &body_hash[..],
            new.body,
        ])
    })
    .map_err(sql("inserting the report"))?;
    let pk = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO report_basis (pk, passed) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute(params![pk, crate::regression::Basis::of(r).judged_json()]))
        .map_err(sql("storing the report's regression basis"))?;
    Ok((Inserted::New(stored_meta(new)), Some(pk)))
}

/// Makes the report just stored as `pk` its site's day in `site_days` when it is the day's
/// last: by scan time, then by arrival.
fn record_day(conn: &Connection, pk: i64, new: &NewReport) -> Result<(), StoreError> {
    let r = &new.report;
    conn.prepare_cached(
        "INSERT INTO site_days (site, day, generated_at, pk, blockers, score, verdict)
         VALUES (?1, ?2 / 86400, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (site, day) DO UPDATE SET generated_at = excluded.generated_at,
             pk = excluded.pk, blockers = excluded.blockers, score = excluded.score,
             verdict = excluded.verdict
         WHERE excluded.generated_at > site_days.generated_at
            OR (excluded.generated_at = site_days.generated_at AND excluded.pk > site_days.pk)",
    )
    .and_then(|mut st| {
        st.execute(params![
            r.site,
            new.generated_at.unix_timestamp(),
            pk,
            r.counts.blockers,
            r.score,
            r.verdict.as_str(),
        ])
    })
    .map_err(sql("recording the site's day"))?;
    Ok(())
}
