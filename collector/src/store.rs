//! The collector's SQLite store: reports (history) and tokens, with ordered migrations
//! (`PRAGMA user_version`), WAL journaling and `synchronous=FULL`, so a report is on disk
//! when its transaction commits. All SQL is parameterised; nothing from a request is ever
//! spliced into a statement.
//!
//! The store is synchronous; the HTTP layer calls it from `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use lanready_schema::{Report, Verdict};
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use crate::auth::{SiteScope, StoredToken, TokenKind};

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
];

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
    /// The id was stored before with different content (or for another site).
    Conflict(ReportMeta),
}

/// A report to store, with what the ingest layer worked out about it.
pub struct NewReport<'a> {
    pub report: &'a Report,
    /// The report as JSON (what is stored and hashed).
    pub body: &'a str,
    pub generated_at: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub token_name: &'a str,
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

/// The database. One connection writes; another reads, which WAL lets run beside a write.
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

pub fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Ready => "ready",
        Verdict::AtRisk => "at_risk",
        Verdict::NotReady => "not_ready",
    }
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

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(open)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(open)?;
    // WAL: readers do not block the writer. synchronous=FULL: a commit is fsynced before
    // it returns, so a 2xx is only sent for a report that survives a power cut.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(open)?;
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
        let mut writer = connect(path)?;
        migrate(&mut writer)?;
        let reader = connect(path)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        lock(&self.reader)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql("reading the schema version"))
    }

    /// Stores a report once, in one transaction that is on disk when this returns `New`.
    pub fn insert_report(&self, new: &NewReport<'_>) -> Result<Inserted, StoreError> {
        let r = new.report;
        let body_hash: [u8; 32] =
            <sha2::Sha256 as sha2::Digest>::digest(new.body.as_bytes()).into();
        let user_ports: u32 = r.switches.iter().map(|s| s.user_ports).sum();
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the report transaction"))?;
        let existing: Option<(ReportMeta, Vec<u8>)> = tx
            .query_row(
                &format!("SELECT {META_COLUMNS}, body_sha256 FROM reports WHERE report_id = ?1"),
                params![r.id],
                |row| Ok((meta_from_row(row)?, row.get(9)?)),
            )
            .optional()
            .map_err(sql("looking up the report id"))?;
        if let Some((meta, hash)) = existing {
            return Ok(if hash == body_hash && meta.site == r.site {
                Inserted::Duplicate(meta)
            } else {
                Inserted::Conflict(meta)
            });
        }
        tx.execute(
            "INSERT INTO reports (report_id, site, generated_at, received_at, agent,
                 agent_version, token_name, score, verdict, blockers, warnings, unknown,
                 passed, user_ports, body_sha256, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                r.id,
                r.site,
                new.generated_at.unix_timestamp(),
                new.received_at.unix_timestamp(),
                r.agent,
                r.agent_version,
                new.token_name,
                r.score,
                verdict_str(r.verdict),
                r.counts.blockers,
                r.counts.warnings,
                r.counts.unknown,
                r.counts.passed,
                user_ports,
                &body_hash[..],
                new.body,
            ],
        )
        .map_err(sql("inserting the report"))?;
        tx.commit().map_err(sql("committing the report"))?;
        Ok(Inserted::New(ReportMeta {
            report_id: r.id.clone(),
            site: r.site.clone(),
            generated_at: from_unix(new.generated_at.unix_timestamp()),
            received_at: from_unix(new.received_at.unix_timestamp()),
            agent: r.agent.clone(),
            token_name: new.token_name.to_string(),
            score: r.score,
            verdict: r.verdict,
            blockers: r.counts.blockers,
        }))
    }

    /// The latest report (by scan time) of every site, by site name.
    pub fn latest_reports(&self) -> Result<Vec<StoredReport>, StoreError> {
        let conn = lock(&self.reader);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {META_COLUMNS}, body FROM (
                    SELECT *, ROW_NUMBER() OVER (
                        PARTITION BY site ORDER BY generated_at DESC, pk DESC) AS rn
                    FROM reports)
                 WHERE rn = 1 ORDER BY site"
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
        let conn = lock(&self.reader);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {META_COLUMNS}, warnings, user_ports FROM (
                    SELECT *, ROW_NUMBER() OVER (
                        PARTITION BY site ORDER BY generated_at DESC, pk DESC) AS rn
                    FROM reports)
                 WHERE rn = 1 ORDER BY site"
            ))
            .map_err(sql("reading the site summaries"))?;
        stmt.query_map([], |row| {
            Ok(SiteSummary {
                meta: meta_from_row(row)?,
                warnings: row.get(9)?,
                user_ports: row.get(10)?,
            })
        })
        .map_err(sql("reading the site summaries"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading the site summaries"))
    }

    /// The latest report (by scan time) of one site.
    pub fn latest_report(&self, site: &str) -> Result<Option<StoredReport>, StoreError> {
        let conn = lock(&self.reader);
        let row = conn
            .query_row(
                &format!(
                    "SELECT {META_COLUMNS}, body FROM reports WHERE site = ?1
                     ORDER BY generated_at DESC, pk DESC LIMIT 1"
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
        let conn = lock(&self.reader);
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

    /// How many reports are kept.
    pub fn report_count(&self) -> Result<u64, StoreError> {
        lock(&self.reader)
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
            .map_err(sql("counting reports"))
    }

    /// Deletes reports scanned before `cutoff`, except each site's latest, which is kept
    /// whatever its age so a site never disappears from the dashboard. Returns how many
    /// were deleted.
    pub fn prune(&self, cutoff: OffsetDateTime) -> Result<usize, StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "DELETE FROM reports WHERE generated_at < ?1 AND pk NOT IN (
                SELECT pk FROM (
                    SELECT pk, ROW_NUMBER() OVER (
                        PARTITION BY site ORDER BY generated_at DESC, pk DESC) AS rn
                    FROM reports)
                WHERE rn = 1)",
            params![cutoff.unix_timestamp()],
        )
        .map_err(sql("pruning old reports"))
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
        let conn = lock(&self.reader);
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
        for (pk, name, kind, all_sites, hash) in rows {
            let (Some(kind), Ok(hash)) = (TokenKind::parse(&kind), <[u8; 32]>::try_from(hash))
            else {
                tracing::warn!(message = "Skipping a malformed token row.", token = %name);
                continue;
            };
            let scope = if all_sites {
                SiteScope::All
            } else {
                SiteScope::Only(token_sites(&conn, pk)?)
            };
            out.push(StoredToken {
                name,
                kind,
                scope,
                hash,
            });
        }
        Ok(out)
    }

    /// Every token ever made, revoked ones too, by name.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let conn = lock(&self.reader);
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
            .insert_report(&NewReport {
                report: r,
                body: &body,
                generated_at,
                received_at: received,
                token_name: "agent-1",
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
        let mode: String = lock(&s.reader)
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = lock(&s.writer)
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
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
