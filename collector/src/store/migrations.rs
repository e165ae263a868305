//! The schema, one step per version, and opening a connection: WAL journaling,
//! `synchronous=FULL`, the migration steps applied once under the write lock.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::{StoreError, refresh_sites};

/// The schema, one step per version; step `i` takes the database from `user_version` `i` to
/// `i + 1`. Never edit a released step: append a new one.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 4: the rollout programme's cutover calendar, a row per site (a site may be planned
    // before any report of it arrives).
    "CREATE TABLE programme (
        site       TEXT    PRIMARY KEY,
        cutover    TEXT    NOT NULL,      -- the cutover day, YYYY-MM-DD (UTC)
        wave       INTEGER,
        extensions INTEGER,
        owner      TEXT,
        updated_at INTEGER NOT NULL       -- when this row was last set, unix seconds
    ) WITHOUT ROWID;",
    // 5: waivers, accepted exceptions. Rows are never deleted: a revoke is kept with who and
    // when, and an expired waiver stays listed.
    "CREATE TABLE waivers (
        id          INTEGER PRIMARY KEY,
        site        TEXT    NOT NULL,
        check_id    TEXT    NOT NULL,
        switch      TEXT,                -- NULL: every switch of the site
        port_glob   TEXT,                -- NULL: every finding of the check
        reason      TEXT    NOT NULL,
        expires     TEXT    NOT NULL,    -- the day it stops applying, YYYY-MM-DD (UTC)
        created_by  TEXT    NOT NULL,    -- who accepted the exception
        created_via TEXT    NOT NULL,    -- `cli`, or `token NAME`
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER,
        revoked_by  TEXT
    );
    CREATE INDEX waivers_site ON waivers(site, id);",
    // 6: regressions found at ingest: what a report does worse than the site's report
    // scanned before it, with both reports and the phase (before or after the cutover, or
    // none outside the calendar) when it was found.
    "CREATE TABLE regressions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a webhook's cursor is an id
        site        TEXT    NOT NULL,
        report_pk   INTEGER NOT NULL REFERENCES reports(pk) ON DELETE CASCADE,
        report_id   TEXT    NOT NULL,
        previous_id TEXT    NOT NULL,
        kind        TEXT    NOT NULL CHECK (kind IN ('finding', 'verdict')),
        check_id    TEXT,
        switch      TEXT,
        port        TEXT,
        severity    TEXT,
        was         TEXT    NOT NULL,
        now         TEXT    NOT NULL,
        phase       TEXT    NOT NULL CHECK (phase IN ('before', 'after', 'none')),
        found_at    INTEGER NOT NULL
    );
    CREATE INDEX regressions_site ON regressions(site, found_at);
    CREATE INDEX regressions_report ON regressions(report_pk);",
    // 7: each site's last report of each UTC day (the blocker burn-down the programme and
    // the dashboard draw), kept by the writer and backfilled here. A row goes with its
    // report when history is pruned.
    "CREATE TABLE site_days (
        site         TEXT    NOT NULL,
        day          INTEGER NOT NULL,   -- generated_at / 86400: days since 1970-01-01 UTC
        generated_at INTEGER NOT NULL,
        pk           INTEGER NOT NULL REFERENCES reports(pk) ON DELETE CASCADE,
        blockers     INTEGER NOT NULL,
        score        INTEGER NOT NULL,
        verdict      TEXT    NOT NULL,
        PRIMARY KEY (site, day)
    ) WITHOUT ROWID;
    CREATE INDEX site_days_pk ON site_days(pk);
    CREATE INDEX site_days_day ON site_days(day);
    INSERT INTO site_days (site, day, generated_at, pk, blockers, score, verdict)
        SELECT site, day, generated_at, pk, blockers, score, verdict FROM (
            SELECT site, generated_at / 86400 AS day, generated_at, pk, blockers, score,
                verdict, ROW_NUMBER() OVER (PARTITION BY site, generated_at / 86400
                    ORDER BY generated_at DESC, pk DESC) AS n
            FROM reports)
        WHERE n = 1;",
    // 8: how far each webhook has been sent the regressions: the last regression id it
    // acknowledged. Regressions after it are the webhook's spool.
    "CREATE TABLE webhook_cursor (
        url     TEXT    PRIMARY KEY,
        last_id INTEGER NOT NULL,
        sent_at INTEGER NOT NULL          -- when last_id was acknowledged, unix seconds
    ) WITHOUT ROWID;",
    // 9: what the site's next report is compared against for regressions (the passed
    // (check, switch) pairs; the verdict is the report's own column), so ingest reads a few
    // hundred bytes rather than the previous body. Not backfilled: a report without a row
    // is compared from its body.
    "CREATE TABLE report_basis (
        pk     INTEGER PRIMARY KEY REFERENCES reports(pk) ON DELETE CASCADE,
        passed TEXT    NOT NULL           -- JSON array of [check, switch]
    );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Opens a connection. Only the writer sets the journal mode (WAL is kept in the file, so
/// readers opened after it inherit it; switching modes takes a lock that several connections
/// opening at once would fight over).
pub(super) fn connect(path: &Path, writer: bool) -> Result<Connection, StoreError> {
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

pub(super) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
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
