//! Waivers as rows: added, revoked (kept, with who and when), listed.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::*;
use crate::programme::{day, parse_day};
use crate::waiver::{CheckedWaiver, StoredWaiver};

/// What `revoke_waiver` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    Now,
    /// Revoked before; nothing changed.
    Already,
    NoSuchWaiver,
}

const COLUMNS: &str = "id, site, check_id, switch, port_glob, reason, expires, created_by,
    created_via, created_at, revoked_at, revoked_by";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredWaiver> {
    let expires: String = r.get(6)?;
    let expires = parse_day(&expires).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(StoredWaiver {
        id: r.get(0)?,
        waiver: CheckedWaiver {
            site: r.get(1)?,
            check: r.get(2)?,
            switch: r.get(3)?,
            port: r.get(4)?,
            reason: r.get(5)?,
            expires,
            by: r.get(7)?,
        },
        created_via: r.get(8)?,
        created_at: from_unix(r.get(9)?),
        revoked_at: r.get::<_, Option<i64>>(10)?.map(from_unix),
        revoked_by: r.get(11)?,
    })
}

impl Store {
    /// Stores a checked waiver; its id.
    pub fn add_waiver(
        &self,
        w: &CheckedWaiver,
        via: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "INSERT INTO waivers (site, check_id, switch, port_glob, reason, expires, created_by,
                created_via, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                w.site,
                w.check,
                w.switch,
                w.port,
                w.reason,
                day(w.expires),
                w.by,
                via,
                now.unix_timestamp()
            ],
        )
        .map_err(sql("adding a waiver"))?;
        // What the dashboard and summaries judge with has changed.
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(conn.last_insert_rowid() as u64)
    }

    /// Revokes a waiver (the row stays, with who and when).
    pub fn revoke_waiver(
        &self,
        id: u64,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Revoked, StoreError> {
        let conn = lock(&self.writer);
        let found: Option<Option<i64>> = conn
            .query_row(
                "SELECT revoked_at FROM waivers WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("reading a waiver"))?;
        match found {
            None => Ok(Revoked::NoSuchWaiver),
            Some(Some(_)) => Ok(Revoked::Already),
            Some(None) => {
                conn.execute(
                    "UPDATE waivers SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
                    params![id, now.unix_timestamp(), by],
                )
                .map_err(sql("revoking a waiver"))?;
                self.generation
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                Ok(Revoked::Now)
            }
        }
    }

    /// One waiver by id.
    pub fn waiver(&self, id: u64) -> Result<Option<StoredWaiver>, StoreError> {
        let conn = self.read();
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM waivers WHERE id = ?1"))
            .and_then(|mut st| st.query_row(params![id], row).optional())
            .map_err(sql("reading a waiver"))
    }

    /// Every waiver (of one site, or of all), oldest first: in force, expired and revoked.
    pub fn waivers(&self, site: Option<&str>) -> Result<Vec<StoredWaiver>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM waivers WHERE ?1 IS NULL OR site = ?1 ORDER BY id"
            ))
            .map_err(sql("reading waivers"))?;
        let rows = st
            .query_map(params![site], row)
            .map_err(sql("reading waivers"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading waivers"))
    }
}
