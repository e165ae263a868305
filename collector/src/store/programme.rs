//! The cutover calendar (`programme`), and the two points of a site's blocker history that
//! the programme's projection reads.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::*;
use crate::programme::{CalendarEntry, Point, day, parse_day};

/// Rows per site, by site name.
pub type BySite<T> = std::collections::BTreeMap<String, Vec<T>>;

/// A `programme` row (site, cutover, wave, extensions, owner).
fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<CalendarEntry> {
    let cutover: String = r.get(1)?;
    let cutover = parse_day(&cutover).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(CalendarEntry {
        site: r.get(0)?,
        cutover,
        wave: r.get(2)?,
        extensions: r.get(3)?,
        owner: r.get(4)?,
    })
}

impl Store {
    /// Sets these sites' calendar rows (adding or replacing each), all or none.
    pub fn set_calendar(
        &self,
        entries: &[CalendarEntry],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the calendar transaction"))?;
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO programme (site, cutover, wave, extensions, owner, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (site) DO UPDATE SET cutover = excluded.cutover,
                        wave = excluded.wave, extensions = excluded.extensions,
                        owner = excluded.owner, updated_at = excluded.updated_at",
                )
                .map_err(sql("preparing the calendar update"))?;
            for e in entries {
                st.execute(params![
                    e.site,
                    day(e.cutover),
                    e.wave,
                    e.extensions,
                    e.owner,
                    now.unix_timestamp()
                ])
                .map_err(sql("writing a calendar row"))?;
            }
        }
        tx.commit().map_err(sql("committing the calendar"))?;
        // What the programme is made from has changed.
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(())
    }

    /// Removes a site from the calendar; false when it was not in it.
    pub fn remove_from_calendar(&self, site: &str) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute("DELETE FROM programme WHERE site = ?1", params![site])
            .map_err(sql("removing a calendar row"))?;
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(n > 0)
    }

    /// The calendar, in cutover order (then by site).
    pub fn calendar(&self) -> Result<Vec<CalendarEntry>, StoreError> {
        let conn = self.read();
        let mut st = conn
            .prepare_cached(
                "SELECT site, cutover, wave, extensions, owner FROM programme
                 ORDER BY cutover, site",
            )
            .map_err(sql("reading the calendar"))?;
        let rows = st
            .query_map([], entry)
            .map_err(sql("reading the calendar"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql("reading the calendar"))
    }

    /// One site's calendar row.
    pub fn calendar_entry(&self, site: &str) -> Result<Option<CalendarEntry>, StoreError> {
        let conn = self.read();
        conn.prepare_cached(
            "SELECT site, cutover, wave, extensions, owner FROM programme WHERE site = ?1",
        )
        .and_then(|mut st| st.query_row(params![site], entry).optional())
        .map_err(sql("reading the calendar"))
    }

    /// Every site's burn-down from `first` on: the blockers of each day's last report
    /// (`site_days`), oldest day first.
    pub fn burndowns(&self, first: time::Date) -> Result<BySite<(time::Date, u32)>, StoreError> {
        let conn = self.read();
        let first_day = (first.midnight().assume_utc().unix_timestamp()).div_euclid(86_400);
        let mut st = conn
            .prepare_cached(
                "SELECT site, day, blockers FROM site_days WHERE day >= ?1 ORDER BY site, day",
            )
            .map_err(sql("reading the burn-downs"))?;
        let rows = st
            .query_map(params![first_day], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })
            .map_err(sql("reading the burn-downs"))?;
        let mut out: BySite<_> = Default::default();
        for row in rows {
            let (site, d, blockers) = row.map_err(sql("reading the burn-downs"))?;
            let date = OffsetDateTime::from_unix_timestamp(d * 86_400)
                .map(|t| t.date())
                .unwrap_or(first);
            out.entry(site).or_default().push((date, blockers));
        }
        Ok(out)
    }

    /// The site's latest report scanned at or before `t`.
    pub fn blockers_at(&self, site: &str, t: OffsetDateTime) -> Result<Option<Point>, StoreError> {
        point(&self.read(), AT_OR_BEFORE, site, t)
    }

    /// The site's oldest report scanned at or after `t`.
    pub fn first_blockers_since(
        &self,
        site: &str,
        t: OffsetDateTime,
    ) -> Result<Option<Point>, StoreError> {
        point(&self.read(), AT_OR_AFTER, site, t)
    }

    /// What the programme reads of each site's blocker history, on one connection in one
    /// read transaction (one snapshot; a few thousand index seeks for 1,000 sites without a
    /// lock and a connection taken per seek). `sites` are (site, its latest scan's time);
    /// `first` is the burn-down's first day.
    pub fn histories(
        &self,
        sites: &[(&str, Option<OffsetDateTime>)],
        week_ago: OffsetDateTime,
        first: time::Date,
    ) -> Result<Vec<History>, StoreError> {
        let what = "reading the sites' blocker history";
        let mut conn = self.read();
        let tx = conn.transaction().map_err(sql(what))?;
        let first_day = (first.midnight().assume_utc().unix_timestamp()).div_euclid(86_400);
        let mut out = Vec::with_capacity(sites.len());
        let mut days = tx
            .prepare_cached(
                "SELECT day, blockers FROM site_days WHERE site = ?1 AND day >= ?2 ORDER BY day",
            )
            .map_err(sql(what))?;
        for (site, latest) in sites {
            let mut h = History::default();
            if let Some(latest) = latest {
                let start = crate::programme::window_start(*latest);
                h.window_first = match point(&tx, AT_OR_BEFORE, site, start)? {
                    Some(p) => Some(p),
                    None => point(&tx, AT_OR_AFTER, site, start)?,
                };
                h.week_ago = point(&tx, AT_OR_BEFORE, site, week_ago)?;
            }
            let rows = days
                .query_map(params![site, first_day], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?))
                })
                .map_err(sql(what))?;
            for row in rows {
                let (d, blockers) = row.map_err(sql(what))?;
                let date = OffsetDateTime::from_unix_timestamp(d * 86_400)
                    .map(|t| t.date())
                    .unwrap_or(first);
                h.burndown.push((date, blockers));
            }
            out.push(h);
        }
        Ok(out)
    }
}

/// What [`Store::histories`] gives of one site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The latest report scanned at or before a week ago.
    pub week_ago: Option<Point>,
    /// The burn-down window's first report (see [`crate::programme::window_start`]).
    pub window_first: Option<Point>,
    /// Each day's last report's blockers from the first day asked for, oldest first.
    pub burndown: Vec<(time::Date, u32)>,
}

const AT_OR_BEFORE: &str = "SELECT generated_at, blockers FROM reports
    WHERE site = ?1 AND generated_at <= ?2 ORDER BY generated_at DESC, pk DESC LIMIT 1";
const AT_OR_AFTER: &str = "SELECT generated_at, blockers FROM reports
    WHERE site = ?1 AND generated_at >= ?2 ORDER BY generated_at ASC, pk ASC LIMIT 1";

fn point(
    conn: &rusqlite::Connection,
    query: &'static str,
    site: &str,
    t: OffsetDateTime,
) -> Result<Option<Point>, StoreError> {
    conn.prepare_cached(query)
        .and_then(|mut st| {
            st.query_row(params![site, t.unix_timestamp()], |r| {
                Ok(Point {
                    at: from_unix(r.get(0)?),
                    blockers: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(sql("reading a site's blocker history"))
}
