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
use std::time::Duration;

use lanready_schema::{Counts, Report, Verdict};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{SiteScope, StoredToken, TokenKind};
use crate::view::{BlockerGroup, PoeBar};

/// The schema, one step per version; step `i` takes the database from `user_version` `i` to
/// `i + 1`. Never edit a released step: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: reports and tokens.
    "CREATE TABLE reports (
        pk            INTEGER PRIMARY KEY,
        report_id     TEXT    NOT NULL UNIQUE,
        site          TEXT    NOT NULL,
        generated_at  INTEGER NOT NULL,   -- the scan's start, unix seconds
        received_at   INTEGER NOT NULL,   -- when the collector stored it, unix seconds
        agent         TEXT    NOT NULL,
        agent_version TEXT    NOT NULL,
        token_name    TEXT    NOT NULL,   -- the token that posted it
        score         INTEGER NOT NULL,
        verdict       TEXT    NOT NULL,
        blockers      INTEGER NOT NULL,
        warnings      INTEGER NOT NULL,
        unknown       INTEGER NOT NULL,
        passed        INTEGER NOT NULL,
        user_ports    INTEGER NOT NULL,
        body_sha256   BLOB    NOT NULL,   -- of `body`, to tell a resend from an id reused
        body          TEXT    NOT NULL    -- the report as lanready.report/v1 JSON
    );
    CREATE INDEX reports_site_time ON reports(site, generated_at DESC, pk DESC);
    CREATE TABLE tokens (
        pk         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL,
        kind       TEXT    NOT NULL CHECK (kind IN ('agent', 'read_only')),
        all_sites  INTEGER NOT NULL CHECK (all_sites IN (0, 1)),
        hash       BLOB    NOT NULL UNIQUE,  -- SHA-256 of the token; the token is not kept
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL;
    CREATE TABLE token_sites (
        token_pk INTEGER NOT NULL REFERENCES tokens(pk),
        site     TEXT    NOT NULL,
        PRIMARY KEY (token_pk, site)
    );",
    // 2: per-site summaries kept at ingest, and a covering index for trends. `site_latest`
    // is filled from `reports` by `refresh_sites` right after this step.
    "CREATE TABLE site_latest (
        site      TEXT    PRIMARY KEY,
        report_pk INTEGER NOT NULL,       -- reports.pk of the site's latest scan
        card      TEXT    NOT NULL,       -- SiteCard JSON: what a dashboard row shows
        trend     TEXT    NOT NULL        -- the last TREND_KEPT points, oldest first, JSON
    ) WITHOUT ROWID;
    CREATE INDEX reports_trend ON reports(site, generated_at DESC, pk DESC, score, verdict, blockers);
    DROP INDEX reports_site_time;",
    // 3: report ids unique per site, not across sites: a site's token must not learn from a
    // 409 that an id is used on a site it cannot read. SQLite cannot drop a column's UNIQUE,
    // so the table is rebuilt (pks kept: `site_latest` points at them).
    "CREATE TABLE reports_v3 (
        pk            INTEGER PRIMARY KEY,
        report_id     TEXT    NOT NULL,
        site          TEXT    NOT NULL,
        generated_at  INTEGER NOT NULL,   -- the scan's start, unix seconds
        received_at   INTEGER NOT NULL,   -- when the collector stored it, unix seconds
        agent         TEXT    NOT NULL,
        agent_version TEXT    NOT NULL,
        token_name    TEXT    NOT NULL,   -- the token that posted it
        score         INTEGER NOT NULL,
        verdict       TEXT    NOT NULL,
        blockers      INTEGER NOT NULL,
        warnings      INTEGER NOT NULL,
        unknown       INTEGER NOT NULL,
        passed        INTEGER NOT NULL,
        user_ports    INTEGER NOT NULL,
        body_sha256   BLOB    NOT NULL,   -- of `body`, to tell a resend from an id reused
        body          TEXT    NOT NULL,   -- the report as lanready.report/v1 JSON
        UNIQUE (site, report_id)
    );
    INSERT INTO reports_v3 SELECT pk, report_id, site, generated_at, received_at, agent,
        agent_version, token_name, score, verdict, blockers, warnings, unknown, passed,
        user_ports, body_sha256, body FROM reports;
    DROP TABLE reports;
    ALTER TABLE reports_v3 RENAME TO reports;
    CREATE INDEX reports_trend ON reports(site, generated_at DESC, pk DESC, score, verdict, blockers);",
];

/// Read connections (WAL lets each read beside the writer and the others).
const READERS: usize = 4;

/// Trend points kept per site in `site_latest` (the dashboard shows this many).
pub const TREND_KEPT: u32 = 30;

/// Reports committed in one transaction at most.
pub const MAX_GROUP_COMMIT: usize = 256;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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
            top_blockers: crate::aggregate::top_blockers(report, crate::aggregate::TOP_BLOCKERS),
            poe: crate::aggregate::poe_bars(report),
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

/// A token as `token list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub kind: TokenKind,
    pub scope: SiteScope,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
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

fn parse_verdict(s: &str) -> Verdict {
    match s {
        "ready" => Verdict::Ready,
        "at_risk" => Verdict::AtRisk,
        _ => Verdict::NotReady,
    }
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves the connection usable (SQLite rolls back an
    // unfinished transaction when the next one begins), so a poisoned lock is taken anyway.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Opens a connection. Only the writer sets the journal mode (WAL is kept in the file, so
/// readers opened after it inherit it; switching modes takes a lock that several connections
/// opening at once would fight over).
fn connect(path: &Path, writer: bool) -> Result<Connection, StoreError> {
    let open = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    // A new database file is its user's alone (0600): it holds tokens' hashes and every
    // report. SQLite gives its -wal and -shm files the database file's permissions.
    #[cfg(unix)]
    if writer && !path.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    let conn = Connection::open(path).map_err(open)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(open)?;
    // WAL: readers do not block the writer. synchronous=FULL: a commit is fsynced before
    // it returns, so a 2xx is only sent for a report that survives a power cut.
    // Switching a new file to WAL takes an exclusive lock, and SQLite does not call the busy
    // handler for it when another opener holds a shared one (it would risk a deadlock): it
    // answers SQLITE_BUSY at once. So the switch is retried here, for as long as the busy
    // timeout.
    let started = std::time::Instant::now();
    let mode: String = loop {
        let got = if writer {
            conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        } else {
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        };
        match got {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < Duration::from_secs(10) =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => break other.map_err(open)?,
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(message = "SQLite refused WAL mode.", mode = %mode, path = %path.display());
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(open)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    // Each step runs in an IMMEDIATE transaction that re-reads the version under the write
    // lock, so two processes opening a new file at once (serve and `token add`) cannot both
    // apply the same step.
    loop {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Migrate { version: 0, source })?;
        let found: u32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| StoreError::Migrate { version: 0, source })?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(found);
        }
        let version = found + 1;
        let err = |source| StoreError::Migrate { version, source };
        tx.execute_batch(MIGRATIONS[found as usize]).map_err(err)?;
        if version == 2 {
            refresh_sites(&tx).map_err(|e| match e {
                StoreError::Sql { source, .. } => StoreError::Migrate { version, source },
                other => other,
            })?;
        }
        tx.pragma_update(None, "user_version", version)
            .map_err(err)?;
        tx.commit().map_err(err)?;
        tracing::info!(message = "Database migrated.", version);
    }
}

const META_COLUMNS: &str =
    "report_id, site, generated_at, received_at, agent, token_name, score, verdict, blockers";

fn meta_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportMeta> {
    Ok(ReportMeta {
        report_id: r.get(0)?,
        site: r.get(1)?,
        generated_at: from_unix(r.get(2)?),
        received_at: from_unix(r.get(3)?),
        agent: r.get(4)?,
        token_name: r.get(5)?,
        score: r.get(6)?,
        verdict: parse_verdict(&r.get::<_, String>(7)?),
        blockers: r.get(8)?,
    })
}

impl Store {
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

    /// The active token with this hash (SHA-256 of the presented token), if any: one indexed
    /// lookup, however many tokens exist.
    pub fn active_token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        let conn = self.read();
        let row: Option<(i64, String, String, bool, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT pk, name, kind, all_sites, hash FROM tokens
                 WHERE hash = ?1 AND revoked_at IS NULL",
            )
            .and_then(|mut st| {
                st.query_row(params![&hash[..]], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(sql("looking up a token"))?;
        match row {
            Some(row) => stored_token(&conn, row),
            None => Ok(None),
        }
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
                    verdict: parse_verdict(&r.get::<_, String>(2)?),
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

    /// Checks the whole file: SQLite's `integrity_check`, then every report body against its
    /// SHA-256 and as a `lanready.report/v1` document, and every `site_latest` row against
    /// the site's latest report. For recovery checks after a crash; reads everything.
    pub fn verify(&self) -> Result<Verification, StoreError> {
        let conn = self.read();
        let what = "verifying the database";
        let integrity: Vec<String> = conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(sql(what))?;
        let mut out = Verification {
            integrity,
            reports: 0,
            bad_reports: Vec::new(),
            bad_summaries: Vec::new(),
        };
        let mut st = conn
            .prepare("SELECT report_id, body_sha256, body FROM reports")
            .map_err(sql(what))?;
        let mut rows = st.query([]).map_err(sql(what))?;
        while let Some(r) = rows.next().map_err(sql(what))? {
            let id: String = r.get(0).map_err(sql(what))?;
            let hash: Vec<u8> = r.get(1).map_err(sql(what))?;
            let body: String = r.get(2).map_err(sql(what))?;
            out.reports += 1;
            let actual: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()).into();
            if hash != actual || serde_json::from_str::<Report>(&body).is_err() {
                out.bad_reports.push(id);
            }
        }
        let mut st = conn
            .prepare(
                "SELECT s.site FROM (SELECT DISTINCT site FROM reports) s
                 LEFT JOIN site_latest l ON l.site = s.site
                 WHERE l.report_pk IS NOT (SELECT pk FROM reports WHERE site = s.site
                     ORDER BY generated_at DESC, pk DESC LIMIT 1)",
            )
            .map_err(sql(what))?;
        out.bad_summaries = st
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql(what))?;
        Ok(out)
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

    /// Adds a token (its hash only). Fails if an active token has the same name.
    pub fn add_token(
        &self,
        name: &str,
        kind: TokenKind,
        scope: &SiteScope,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the token transaction"))?;
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM tokens WHERE name = ?1 AND revoked_at IS NULL)",
                params![name],
                |r| r.get(0),
            )
            .map_err(sql("checking the token name"))?;
        if taken {
            return Err(StoreError::TokenNameTaken(name.to_string()));
        }
        tx.execute(
            "INSERT INTO tokens (name, kind, all_sites, hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                name,
                kind.as_str(),
                matches!(scope, SiteScope::All),
                &hash[..],
                now.unix_timestamp()
            ],
        )
        .map_err(sql("inserting the token"))?;
        let pk = tx.last_insert_rowid();
        if let SiteScope::Only(sites) = scope {
            for site in sites {
                tx.execute(
                    "INSERT OR IGNORE INTO token_sites (token_pk, site) VALUES (?1, ?2)",
                    params![pk, site],
                )
                .map_err(sql("inserting the token's sites"))?;
            }
        }
        tx.commit().map_err(sql("committing the token"))
    }

    /// Revokes the active token named `name`. Returns false when there is none.
    pub fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![name, now.unix_timestamp()],
            )
            .map_err(sql("revoking the token"))?;
        Ok(n > 0)
    }

    /// Every active (unrevoked) token, for matching a request.
    pub fn active_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare("SELECT pk, name, kind, all_sites, hash FROM tokens WHERE revoked_at IS NULL")
            .map_err(sql("reading tokens"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .map_err(sql("reading tokens"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading tokens"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.extend(stored_token(&conn, row)?);
        }
        Ok(out)
    }

    /// Every token ever made, revoked ones too, by name.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let conn = self.read();
        let mut stmt = conn
            .prepare(
                "SELECT pk, name, kind, all_sites, created_at, revoked_at FROM tokens
                 ORDER BY name, created_at",
            )
            .map_err(sql("listing tokens"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })
            .map_err(sql("listing tokens"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql("listing tokens"))?;
        let mut out = Vec::new();
        for (pk, name, kind, all_sites, created, revoked) in rows {
            let scope = if all_sites {
                SiteScope::All
            } else {
                SiteScope::Only(token_sites(&conn, pk)?)
            };
            out.push(TokenInfo {
                name,
                kind: TokenKind::parse(&kind).unwrap_or(TokenKind::ReadOnly),
                scope,
                created_at: from_unix(created),
                revoked_at: revoked.map(from_unix),
            });
        }
        Ok(out)
    }
}

const SUMMARY_COLUMNS: &str = "r.report_id, r.site, r.generated_at, r.received_at, r.agent, \
     r.token_name, r.score, r.verdict, r.blockers, r.warnings, r.user_ports";

fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SiteSummary> {
    Ok(SiteSummary {
        meta: meta_from_row(row)?,
        warnings: row.get(9)?,
        user_ports: row.get(10)?,
    })
}

/// A trend point as `site_latest.trend` keeps it: `[unix seconds, score, verdict, blockers]`.
#[derive(Serialize, Deserialize)]
struct StoredPoint(i64, u8, String, u32);

impl From<StoredPoint> for TrendPoint {
    fn from(p: StoredPoint) -> Self {
        TrendPoint {
            generated_at: from_unix(p.0),
            score: p.1,
            verdict: parse_verdict(&p.2),
            blockers: p.3,
        }
    }
}

/// The writer thread: takes the first waiting report, then everything else already queued
/// (up to [`MAX_GROUP_COMMIT`]), stores them in one transaction, and answers each caller
/// after the commit. Ends when the store is dropped.
fn writer_loop(conn: &Mutex<Connection>, rx: &mpsc::Receiver<Job>, generation: &AtomicU64) {
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
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<Inserted, StoreError>> {
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

/// Inserts one report row unless its id is stored; returns the outcome and, for a new row,
/// its pk. Does not commit.
fn insert_row(conn: &Connection, new: &NewReport) -> Result<(Inserted, Option<i64>), StoreError> {
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
    Ok((
        Inserted::New(ReportMeta {
            report_id: r.id.clone(),
            site: r.site.clone(),
            generated_at: from_unix(new.generated_at.unix_timestamp()),
            received_at: from_unix(new.received_at.unix_timestamp()),
            agent: r.agent.clone(),
            token_name: new.token_name.clone(),
            score: r.score,
            verdict: r.verdict,
            blockers: r.counts.blockers,
        }),
        Some(pk),
    ))
}

/// Brings `site`'s `site_latest` row up to date: its latest report (the card is rebuilt only
/// when that changed; from `just_stored` when that is the latest, else from the stored body)
/// and its last [`TREND_KEPT`] trend points. Removes the row when the site has no report.
fn refresh_site(
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
                Ok(StoredPoint(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
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
fn refresh_sites(conn: &Connection) -> Result<(), StoreError> {
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

/// A `tokens` row (pk, name, kind, all_sites, hash) as a [`StoredToken`]; None (with a
/// warning) for a malformed row, which then matches nothing.
fn stored_token(
    conn: &Connection,
    (pk, name, kind, all_sites, hash): (i64, String, String, bool, Vec<u8>),
) -> Result<Option<StoredToken>, StoreError> {
    let (Some(kind), Ok(hash)) = (TokenKind::parse(&kind), <[u8; 32]>::try_from(hash)) else {
        tracing::warn!(message = "Skipping a malformed token row.", token = %name);
        return Ok(None);
    };
    let scope = if all_sites {
        SiteScope::All
    } else {
        SiteScope::Only(token_sites(conn, pk)?)
    };
    Ok(Some(StoredToken {
        name,
        kind,
        scope,
        hash,
    }))
}

fn token_sites(conn: &Connection, pk: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT site FROM token_sites WHERE token_pk = ?1 ORDER BY site")
        .map_err(sql("reading a token's sites"))?;
    stmt.query_map(params![pk], |r| r.get(0))
        .map_err(sql("reading a token's sites"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading a token's sites"))
}

fn parse_stored(meta: ReportMeta, body: &str) -> Result<StoredReport, StoreError> {
    let report = serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
        report_id: meta.report_id.clone(),
        source,
    })?;
    Ok(StoredReport { meta, report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{report, t};

    fn insert(store: &Store, r: &Report, received: OffsetDateTime) -> Inserted {
        let body = serde_json::to_string(r).unwrap();
        let generated_at = time::OffsetDateTime::parse(
            &r.generated_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        store
            .insert_report(NewReport {
                report: Arc::new(r.clone()),
                body,
                generated_at,
                received_at: received,
                token_name: "agent-1".into(),
            })
            .unwrap()
    }

    #[test]
    fn migrates_a_new_file_and_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let s = Store::open(&path).unwrap();
            assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
            insert(&s, &report("r1", "s1", "2026-01-01T00:00:00Z", 80), t(0));
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(s.report_count().unwrap(), 1);
        let mode: String = s
            .read()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = lock(&s.writer)
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_is_readable_by_its_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        for p in [path.clone(), dir.path().join("c.db-wal")] {
            if p.exists() {
                let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
            }
        }
    }

    #[test]
    fn two_openers_of_a_new_file_migrate_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Store::open(&p).map(|s| s.schema_version().unwrap()))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
        }
    }

    #[test]
    fn refuses_a_database_from_a_newer_build() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = Store::open(&path).err().expect("newer schema refused");
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    }

    /// Ids are unique per site: the same id on another site is another report, never a
    /// conflict, so a 409 tells nothing of a site the poster cannot read.
    #[test]
    fn the_same_id_on_two_sites_is_two_reports() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        let a = report("r1", "s1", "2026-01-01T00:00:00Z", 80);
        let b = report("r1", "s2", "2026-01-01T00:00:00Z", 30);
        assert!(matches!(insert(&s, &a, t(10)), Inserted::New(_)));
        assert!(matches!(insert(&s, &b, t(11)), Inserted::New(_)));
        assert_eq!(s.report_count().unwrap(), 2);
        assert_eq!(s.report_by_id("s1", "r1").unwrap().unwrap().report, a);
        assert_eq!(s.report_by_id("s2", "r1").unwrap().unwrap().report, b);
        assert!(s.report_by_id("s3", "r1").unwrap().is_none());
    }

    #[test]
    fn stores_an_id_once_and_tells_resend_from_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        let r = report("r1", "s1", "2026-01-01T00:00:00Z", 80);
        let first = insert(&s, &r, t(10));
        let Inserted::New(meta) = first else {
            panic!("{first:?}")
        };
        assert_eq!(meta.received_at, t(10));
        // A resend later: same meta, including the first received_at.
        assert_eq!(insert(&s, &r, t(20)), Inserted::Duplicate(meta.clone()));
        let mut changed = r.clone();
        changed.score = 10;
        assert_eq!(insert(&s, &changed, t(30)), Inserted::Conflict(meta));
        assert_eq!(s.report_count().unwrap(), 1);
        assert_eq!(s.latest_report("s1").unwrap().unwrap().report, r);
    }

    #[test]
    fn latest_is_by_scan_time_not_arrival() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        insert(&s, &report("new", "s1", "2026-01-02T00:00:00Z", 90), t(0));
        // A spooled older scan arrives afterwards.
        insert(&s, &report("old", "s1", "2026-01-01T00:00:00Z", 40), t(5));
        insert(&s, &report("b", "s2", "2026-01-01T00:00:00Z", 70), t(6));
        let latest = s.latest_reports().unwrap();
        let ids: Vec<_> = latest.iter().map(|r| r.meta.report_id.as_str()).collect();
        assert_eq!(ids, ["new", "b"]);
        let summaries = s.latest_summaries().unwrap();
        let metas: Vec<_> = latest.iter().map(|r| r.meta.clone()).collect();
        assert_eq!(
            summaries.iter().map(|s| s.meta.clone()).collect::<Vec<_>>(),
            metas
        );
        assert_eq!(summaries[0].user_ports, 48);
        let trend = s.trend("s1", 10).unwrap();
        let scores: Vec<_> = trend.iter().map(|p| p.score).collect();
        assert_eq!(scores, [40, 90], "oldest first");
        assert_eq!(
            s.trend("s1", 1).unwrap()[0].score,
            90,
            "limit keeps the newest"
        );
        assert!(s.latest_report("nowhere").unwrap().is_none());
    }

    #[test]
    fn migration_2_fills_site_latest_from_existing_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            // A version-1 database with two reports of one site.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            for (id, at, score) in [
                ("a", "2026-01-02T00:00:00Z", 90),
                ("b", "2026-01-01T00:00:00Z", 40),
            ] {
                let r = report(id, "s1", at, score);
                let new = NewReport {
                    body: serde_json::to_string(&r).unwrap(),
                    report: Arc::new(r),
                    generated_at: OffsetDateTime::parse(
                        at,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .unwrap(),
                    received_at: t(0),
                    token_name: "x".into(),
                };
                insert_row(&conn, &new).unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let v = s.verify().unwrap();
        assert!(
            v.bad_reports.is_empty() && v.bad_summaries.is_empty(),
            "{v:?}"
        );
        // Schema 3: the id of site s1 is free on another site.
        let elsewhere = report("a", "s2", "2026-01-03T00:00:00Z", 10);
        assert!(matches!(insert(&s, &elsewhere, t(9)), Inserted::New(_)));
        assert!(s.report_by_id("s2", "a").unwrap().is_some());
        let cards = s.latest_cards().unwrap();
        let cards: Vec<_> = cards
            .into_iter()
            .filter(|c| c.summary.meta.site == "s1")
            .collect();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].summary.meta.report_id, "a");
        assert_eq!(
            *cards[0].card,
            SiteCard::of(&report("a", "s1", "2026-01-02T00:00:00Z", 90))
        );
        let scores: Vec<_> = cards[0].trend.iter().map(|p| p.score).collect();
        assert_eq!(scores, [40, 90]);
    }

    #[test]
    fn concurrent_inserts_share_commits_and_keep_summaries_right() {
        let dir = tempfile::tempdir().unwrap();
        let s = Arc::new(Store::open(&dir.path().join("c.db")).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|k| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    for i in 0..40i64 {
                        let at = aggregate_time(i);
                        let r = report(
                            &format!("r{k}-{i}"),
                            &format!("site{}", k % 4),
                            &at,
                            (i % 100) as u8,
                        );
                        assert!(matches!(insert(&s, &r, t(i)), Inserted::New(_)));
                        // A resend inside the same burst is a duplicate, never a second row.
                        assert!(matches!(insert(&s, &r, t(i)), Inserted::Duplicate(_)));
                    }
                })
            })
            .collect();
        for h in threads {
            h.join().unwrap();
        }
        assert_eq!(s.report_count().unwrap(), 320);
        let v = s.verify().unwrap();
        assert!(v.is_sound(), "{v:?}");
        assert_eq!(v.reports, 320);
        assert!(s.report_by_id("site3", "r3-7").unwrap().is_some());
        let cards = s.latest_cards().unwrap();
        assert_eq!(cards.len(), 4);
        for c in &cards {
            // Two writers per site wrote scans at the same times; the latest is at i = 39.
            assert_eq!(c.summary.meta.generated_at, t(39 * 60));
            assert_eq!(c.trend.len(), TREND_KEPT as usize);
            let full = s.trend(&c.summary.meta.site, TREND_KEPT).unwrap();
            assert_eq!(c.trend, full, "kept trend equals the one read from reports");
        }
    }

    #[test]
    fn cards_are_reused_until_a_site_has_a_new_latest_report() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        insert(&s, &report("a1", "a", "2026-01-02T00:00:00Z", 50), t(0));
        insert(&s, &report("b1", "b", "2026-01-02T00:00:00Z", 60), t(0));
        let g0 = s.generation();
        let first = s.latest_cards().unwrap();
        // An older scan of a: a's trend changes, its card does not. A newer scan of b.
        insert(&s, &report("a0", "a", "2026-01-01T00:00:00Z", 10), t(1));
        insert(&s, &report("b2", "b", "2026-01-03T00:00:00Z", 70), t(1));
        assert!(s.generation() > g0, "stored reports change the generation");
        let second = s.latest_cards_reusing(&first).unwrap();
        assert!(
            Arc::ptr_eq(&first[0].card, &second[0].card),
            "a's card reused"
        );
        assert_eq!(second[0].trend.len(), 2, "a's trend reread");
        assert!(
            !Arc::ptr_eq(&first[1].card, &second[1].card),
            "b's card reread"
        );
        assert_eq!(second[1].summary.meta.report_id, "b2");
        assert_eq!(second, s.latest_cards().unwrap(), "same as a fresh read");
    }

    fn aggregate_time(i: i64) -> String {
        crate::aggregate::rfc3339(t(i * 60))
    }

    #[test]
    fn prune_keeps_recent_reports_and_each_sites_latest() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        insert(&s, &report("a1", "a", "2026-01-01T00:00:00Z", 10), t(0));
        insert(&s, &report("a2", "a", "2026-01-05T00:00:00Z", 20), t(0));
        insert(&s, &report("a3", "a", "2026-01-20T00:00:00Z", 30), t(0));
        // Site b has only old reports: its latest survives.
        insert(&s, &report("b1", "b", "2026-01-01T00:00:00Z", 50), t(0));
        insert(&s, &report("b2", "b", "2026-01-02T00:00:00Z", 60), t(0));
        let cutoff = OffsetDateTime::parse(
            "2026-01-10T00:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(s.prune(cutoff).unwrap(), 3);
        let a: Vec<_> = s.trend("a", 10).unwrap().iter().map(|p| p.score).collect();
        let b: Vec<_> = s.trend("b", 10).unwrap().iter().map(|p| p.score).collect();
        assert_eq!((a, b), (vec![30], vec![60]));
        assert_eq!(s.prune(cutoff).unwrap(), 0, "idempotent");
    }

    #[test]
    fn tokens_add_list_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("c.db")).unwrap();
        let scope = SiteScope::Only(vec!["s1".into(), "s2".into()]);
        s.add_token("agent-1", TokenKind::Agent, &scope, &[1; 32], t(0))
            .unwrap();
        s.add_token(
            "reader",
            TokenKind::ReadOnly,
            &SiteScope::All,
            &[2; 32],
            t(0),
        )
        .unwrap();
        let err = s
            .add_token("agent-1", TokenKind::Agent, &scope, &[3; 32], t(0))
            .unwrap_err();
        assert!(matches!(err, StoreError::TokenNameTaken(_)), "{err}");
        let active = s.active_tokens().unwrap();
        assert_eq!(active.len(), 2);
        let a = active.iter().find(|t| t.name == "agent-1").unwrap();
        assert_eq!(
            (a.kind, &a.scope, a.hash),
            (TokenKind::Agent, &scope, [1; 32])
        );
        assert!(s.revoke_token("agent-1", t(5)).unwrap());
        assert!(!s.revoke_token("agent-1", t(6)).unwrap(), "already revoked");
        assert!(!s.revoke_token("nobody", t(6)).unwrap());
        let active = s.active_tokens().unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].name, "reader");
        // The name is free again once revoked.
        s.add_token("agent-1", TokenKind::Agent, &scope, &[4; 32], t(7))
            .unwrap();
        let listed = s.list_tokens().unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].revoked_at, Some(t(5)));
    }
}
