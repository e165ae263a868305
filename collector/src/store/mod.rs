//! The collector's SQLite store: reports (history) and tokens, with ordered migrations
//! (`PRAGMA user_version`), WAL journaling and `synchronous=FULL`, so a report is on disk
//! when its transaction commits. All SQL is parameterised; nothing from a request is ever
//! spliced into a statement.
//!
//! The store is synchronous; the HTTP layer calls it from `spawn_blocking`.
//!
//! Reports are written by one writer thread that commits whatever has queued up in one
//! transaction (group commit): each caller is answered only after the transaction holding its
//! report is committed (fsynced), so durability per report is unchanged while one fsync is
//! shared by every report that arrived during the previous one.
//!
//! What the read API needs of each site is kept up to date at ingest in `site_latest` (the
//! latest report's pk, a dashboard card and the last trend points), so the dashboard reads
//! one small row per site and never parses a report body.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use lanready_schema::{Report, Verdict};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{SiteScope, TokenKind};
pub use crate::model::{
    Inserted, NewReport, ReportMeta, SiteCard, SiteLatest, SiteSummary, StoredReport, TokenInfo,
    TrendPoint,
};

pub mod location;
mod migrations;
pub mod pg;
mod programme;
mod regressions;
mod reports;
mod summary;
mod tokens;
mod verify;
mod waivers;
mod webhook;
mod writer;

pub use migrations::SCHEMA_VERSION;
use migrations::{connect, migrate};
pub use programme::BySite;
pub use regressions::StoredRegression;
use reports::{META_COLUMNS, StoredPoint, meta_from_row};
use summary::{refresh_site, refresh_sites};
pub use waivers::Revoked;
use writer::writer_loop;

/// Read connections (WAL lets each read beside the writer and the others).
const READERS: usize = 4;

/// Trend points kept per site in `site_latest` (the dashboard shows this many).
pub const TREND_KEPT: u32 = 30;

/// Reports committed in one transaction at most.
pub const MAX_GROUP_COMMIT: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no collector database at {0}: check --db (a database is made by `lanready-collector serve` or `token add`)"
    )]
    Missing(String),
    #[error("opening the database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("migrating the database to schema version {version}")]
    Migrate {
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database has schema version {found}, newer than this lanready-collector knows ({known}); use a newer build"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error("{what}")]
    Sql {
        what: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("stored report {report_id} cannot be read back")]
    Corrupt {
        report_id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("an active token named {0:?} already exists; revoke it first or pick another name")]
    TokenNameTaken(String),
    #[error("the database writer thread has stopped")]
    WriterGone,
    #[error("summary of site {site} cannot be read back")]
    CorruptSummary {
        site: String,
        #[source]
        source: serde_json::Error,
    },
}

fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql { what, source }
}

/// What [`Store::verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// `PRAGMA integrity_check`'s answer: `["ok"]` for a sound file.
    pub integrity: Vec<String>,
    pub reports: u64,
    /// Ids whose body does not match its hash or does not parse.
    pub bad_reports: Vec<String>,
    /// Sites whose `site_latest` row does not point at their latest report.
    pub bad_summaries: Vec<String>,
}

impl Verification {
    pub fn is_sound(&self) -> bool {
        self.integrity == ["ok"] && self.bad_reports.is_empty() && self.bad_summaries.is_empty()
    }
}

/// A report waiting for the writer thread, and where to send the outcome.
struct Job {
    new: NewReport,
    reply: mpsc::SyncSender<Result<Inserted, StoreError>>,
}

/// The database. One connection writes (reports through the writer thread, tokens and
/// pruning directly under the same lock); another reads, which WAL lets run beside a write.
pub struct Store {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicU64,
    queue: Mutex<mpsc::Sender<Job>>,
    /// Bumped after every commit that changed reports; read caches compare it.
    generation: Arc<AtomicU64>,
}

/// A stored verdict column; a value this build does not know is an error naming it, never
/// a guess (an unknown verdict read as `not_ready` would hide a corrupt row).
fn verdict_at(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Verdict> {
    let text: String = r.get(idx)?;
    serde_json::from_value(serde_json::Value::String(text.clone())).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("{text:?} is not a verdict (ready, at_risk, not_ready)").into(),
        )
    })
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What either backend says of a report it has just stored (times to the second, as
/// stored).
fn stored_meta(new: &NewReport) -> ReportMeta {
    let r = &new.report;
    ReportMeta {
        report_id: r.id.clone(),
        site: r.site.clone(),
        generated_at: from_unix(new.generated_at.unix_timestamp()),
        received_at: from_unix(new.received_at.unix_timestamp()),
        agent: r.agent.clone(),
        token_name: new.token_name.clone(),
        score: r.score,
        verdict: r.verdict,
        blockers: r.counts.blockers,
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves the connection usable (SQLite rolls back an
    // unfinished transaction when the next one begins), so a poisoned lock is taken anyway.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// Opens and migrates the database at `path`, which must exist: for the commands that
    /// work on a collector's data (`programme`, `waiver`, `prune`), where a mistyped path
    /// would otherwise leave an empty database behind and act on it.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        Store::open(path)
    }

    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut writer = connect(path, true)?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| connect(path, false).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let writer = Arc::new(Mutex::new(writer));
        let generation = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mpsc::channel::<Job>();
        {
            let writer = Arc::clone(&writer);
            let generation = Arc::clone(&generation);
            std::thread::Builder::new()
                .name("lanready-db-writer".into())
                .spawn(move || writer_loop(&writer, &rx, &generation))
                .map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
                })?;
        }
        Ok(Store {
            writer,
            readers,
            next_reader: AtomicU64::new(0),
            queue: Mutex::new(tx),
            generation,
        })
    }

    /// A read connection: a free one if any, else the next in turn.
    fn read(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) as usize % self.readers.len();
        lock(&self.readers[i])
    }

    /// Changes whenever stored reports change (a report stored, history pruned).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.read()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql("reading the schema version"))
    }
}

#[cfg(test)]
mod tests;
