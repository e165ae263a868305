//! The webhook's cursor: per webhook, the id of the last regression it acknowledged. The
//! regressions after it are its spool, durable in the database like the reports themselves,
//! so a restart (or a receiver that was down for a day) loses nothing.
//!
//! A webhook without a cursor row starts from the regressions found from then on (the
//! current largest id), never from the whole history: [`Store::start_webhook_cursor`].

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::regressions::{COLUMNS, row};
use super::*;

impl Store {
    /// The last regression id the webhook `url` acknowledged; None before it has a cursor.
    pub fn webhook_cursor(&self, url: &str) -> Result<Option<u64>, StoreError> {
        self.read()
            .query_row(
                "SELECT last_id FROM webhook_cursor WHERE url = ?1",
                params![url],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("reading the webhook cursor"))
    }

    /// The webhook `url`'s cursor, made first if it has none: then at the largest regression
    /// id stored now, so the webhook is sent the regressions found from now on, not the
    /// history. Made under the writer's lock, so no regression is being stored meanwhile.
    pub fn start_webhook_cursor(&self, url: &str, now: OffsetDateTime) -> Result<u64, StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "INSERT INTO webhook_cursor (url, last_id, sent_at)
             SELECT ?1, COALESCE(MAX(id), 0), ?2 FROM regressions WHERE true
             ON CONFLICT (url) DO NOTHING",
            params![url, now.unix_timestamp()],
        )
        .map_err(sql("starting the webhook cursor"))?;
        conn.query_row(
            "SELECT last_id FROM webhook_cursor WHERE url = ?1",
            params![url],
            |r| r.get(0),
        )
        .map_err(sql("reading the webhook cursor"))
    }

    /// Records that the webhook `url` acknowledged every regression up to `last_id`, at `now`.
    pub fn set_webhook_cursor(
        &self,
        url: &str,
        last_id: u64,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "INSERT INTO webhook_cursor (url, last_id, sent_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (url) DO UPDATE SET last_id = excluded.last_id,
                    sent_at = excluded.sent_at",
                params![url, last_id, now.unix_timestamp()],
            )
            .map_err(sql("advancing the webhook cursor"))?;
        Ok(())
    }

    /// Up to `limit` regressions (of every site) with an id above `id`, oldest (lowest id)
    /// first.
    pub fn regressions_after(
        &self,
        id: u64,
        limit: usize,
    ) -> Result<Vec<StoredRegression>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM regressions WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))
            .map_err(sql("reading the webhook's regressions"))?;
        let rows = st
            .query_map(params![id, limit as i64], row)
            .map_err(sql("reading the webhook's regressions"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading the webhook's regressions"))
    }

    /// How many regressions have an id above `id` (a webhook's spool).
    pub fn regressions_pending(&self, id: u64) -> Result<u64, StoreError> {
        self.read()
            .query_row(
                "SELECT COUNT(*) FROM regressions WHERE id > ?1",
                params![id],
                |r| r.get(0),
            )
            .map_err(sql("counting the webhook's regressions"))
    }
}
