//! The rollout programme's calendar: each site's cutover day, wave, extensions and owner, as
//! `programme set` and `programme import` give them, checked before anything is stored; and
//! the pure arithmetic of `GET /api/v1/programme` (days left, phase, the blocker burn-down
//! projection). Days are calendar days in UTC.

use std::collections::BTreeSet;

use lanready_schema::Verdict;
use lanready_schema::programme::{
    BurnPoint, PROGRAMME_SCHEMA, Phase, ProgrammeResponse, ProgrammeSite, Projection,
    RegressionDoc, Waiver,
};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::aggregate::rfc3339;
use crate::validate;

/// One site's row of the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarEntry {
    pub site: String,
    pub cutover: Date,
    pub wave: Option<u32>,
    pub extensions: Option<u32>,
    pub owner: Option<String>,
}

/// The header a calendar CSV must start with.
pub const CSV_HEADER: &str = "site,cutover,wave,extensions,owner";

/// The most extensions one site may list (a site of a national estate is well under this).
const MAX_EXTENSIONS: u32 = 1_000_000;
/// The highest wave number.
const MAX_WAVE: u32 = 999;
/// The longest owner text.
const MAX_OWNER_CHARS: usize = 100;

/// A day as the calendar writes it.
pub fn parse_day(text: &str) -> Result<Date, String> {
    let fmt = format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &fmt)
        .map_err(|_| format!("{text:?} is not a day written YYYY-MM-DD"))
        .and_then(|d| {
            if (2000..=2100).contains(&d.year()) {
                Ok(d)
            } else {
                Err(format!("{text:?} is not a day from 2000 to 2100"))
            }
        })
}

/// A day as the programme document writes it.
pub fn day(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl CalendarEntry {
    /// Checks and builds one entry from its fields as written; the error says which field.
    pub fn parse(
        site: &str,
        cutover: &str,
        wave: Option<&str>,
        extensions: Option<&str>,
        owner: Option<&str>,
    ) -> Result<CalendarEntry, String> {
        let site = site.trim();
        validate::site_name(site).map_err(|e| format!("site: {e}"))?;
        let cutover = parse_day(cutover).map_err(|e| format!("cutover: {e}"))?;
        let number = |what: &str, text: Option<&str>, max: u32| -> Result<Option<u32>, String> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => t
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= max)
                    .map(Some)
                    .ok_or_else(|| format!("{what}: {t:?} is not a whole number from 0 to {max}")),
            }
        };
        let wave = number("wave", wave, MAX_WAVE)?;
        let extensions = number("extensions", extensions, MAX_EXTENSIONS)?;
        let owner = match owner.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(o) if o.chars().count() > MAX_OWNER_CHARS => {
                return Err(format!("owner: longer than {MAX_OWNER_CHARS} characters"));
            }
            Some(o) if o.chars().any(char::is_control) => {
                return Err("owner: contains a control character".into());
            }
            Some(o) => Some(o.to_string()),
        };
        Ok(CalendarEntry {
            site: site.to_string(),
            cutover,
            wave,
            extensions,
            owner,
        })
    }
}

/// Reads a calendar CSV: the header [`CSV_HEADER`], then a row per site (fields may be
/// quoted; empty `wave`, `extensions` and `owner` are unset). Every bad row is reported with
/// its line and reason, and then none of the file is taken.
pub fn parse_csv(text: &str) -> Result<Vec<CalendarEntry>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    match reader.headers() {
        Ok(h) => {
            let got: Vec<String> = h.iter().map(str::to_ascii_lowercase).collect();
            if got.join(",") != CSV_HEADER {
                return Err(vec![format!(
                    "line 1: the header is {:?}; it must be {CSV_HEADER:?}",
                    h.iter().collect::<Vec<_>>().join(",")
                )]);
            }
        }
        Err(e) => return Err(vec![format!("line 1: {e}")]),
    }
    let mut entries = Vec::new();
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 5 {
            errors.push(format!(
                "line {line}: {} fields; a row has 5 ({CSV_HEADER})",
                record.len()
            ));
            continue;
        }
        match CalendarEntry::parse(
            &record[0],
            &record[1],
            Some(&record[2]),
            Some(&record[3]),
            Some(&record[4]),
        ) {
            Ok(e) if !seen.insert(e.site.clone()) => {
                errors.push(format!("line {line}: site {:?} is listed twice", e.site));
            }
            Ok(e) => entries.push(e),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Days from `today` to `cutover` (negative after it), and the phase they put the site in.
pub fn days_left(today: Date, cutover: Date) -> (i64, Phase) {
    let d = (cutover - today).whole_days();
    (d, if d < 0 { Phase::After } else { Phase::Before })
}

/// One report's place in a site's blocker history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    pub at: OffsetDateTime,
    pub blockers: u32,
}

/// How many days of history the burn-down rate is taken over.
pub const BURN_DOWN_DAYS: i64 = 28;

/// The projection from the latest report and the window's first (the one at or before 28
/// days before the latest, or else the oldest after it). With no report at all the site is
/// slipping: nothing says it will be ready.
///
/// The rate is of blockers as stored (a waiver is not progress: it closes nothing on the
/// LAN); `left` is what remains once waivers in force are taken out (None: the latest's
/// stored blockers), and is what the rate must burn down.
pub fn project(
    today: Date,
    cutover: Date,
    latest: Option<(Point, Verdict)>,
    first: Option<Point>,
    left: Option<u32>,
) -> Projection {
    let Some((now, _verdict)) = latest else {
        return Projection {
            blockers_per_day: None,
            since: None,
            projected_ready: None,
            slipping: true,
        };
    };
    let rate = first.and_then(|f| {
        let days = (now.at - f.at).as_seconds_f64() / 86_400.0;
        (days >= 1.0).then(|| (f64::from(f.blockers) - f64::from(now.blockers)) / days)
    });
    let since = first.filter(|_| rate.is_some()).map(|f| rfc3339(f.at));
    let left = left.unwrap_or(now.blockers);
    let projected = if left == 0 {
        Some(today)
    } else {
        match rate {
            Some(r) if r > 0.0 => {
                let days = (f64::from(left) / r).ceil();
                // Beyond the calendar's range the date means "never": no projection.
                (days < 365.0 * 50.0)
                    .then(|| today.checked_add(time::Duration::days(days as i64)))
                    .flatten()
            }
            _ => None,
        }
    };
    Projection {
        blockers_per_day: rate.map(|r| (r * 100.0).round() / 100.0),
        since,
        projected_ready: projected.map(day),
        slipping: projected.is_none_or(|p| p > cutover),
    }
}

/// What the store knows of one calendar site, for [`document`].
#[derive(Clone, Debug)]
pub struct SiteFacts {
    pub entry: CalendarEntry,
    /// The latest report: when, its verdict, score and blockers, judged with the waivers in
    /// force.
    pub latest: Option<(Point, Verdict, u8)>,
    /// The latest report's blockers as stored (before waivers), when waivers changed them.
    pub latest_stored_blockers: Option<u32>,
    /// The latest report scanned at least 7 days before now.
    pub week_ago: Option<Point>,
    /// The burn-down window's first report (see [`window_start`]).
    pub window_first: Option<Point>,
    /// The site's waivers in force.
    pub waivers: Vec<Waiver>,
    /// Its regressions of the last 7 days.
    pub regressions: Vec<RegressionDoc>,
    /// The blockers of each day's last report from [`burndown_start`] on, oldest first.
    pub burndown: Vec<(Date, u32)>,
}

/// The first day of the burn-down the programme shows for `today`.
pub fn burndown_start(today: Date) -> Date {
    today - time::Duration::days(BURN_DOWN_DAYS)
}

/// Where the burn-down window starts for a site whose latest scan was at `latest`: the
/// window's first report is the last one at or before this, or else the oldest after it.
pub fn window_start(latest: OffsetDateTime) -> OffsetDateTime {
    latest - time::Duration::days(BURN_DOWN_DAYS)
}

/// The document form of a stored regression.
pub fn regression_doc(r: &crate::store::StoredRegression) -> RegressionDoc {
    let g = &r.regression;
    RegressionDoc {
        id: r.id,
        report_id: r.report_id.clone(),
        previous_id: r.previous_id.clone(),
        kind: g.kind.as_str().into(),
        check: g.check.clone(),
        switch: g.switch.clone(),
        port: g.port.clone(),
        severity: g.severity,
        was: g.was.clone(),
        now: g.now.clone(),
        incident: r.phase == "after",
        phase: r.phase.clone(),
        found_at: rfc3339(r.found_at),
    }
}

/// How far back `blockers_week_ago` (and the programme's regressions) look.
pub fn week_before(now: OffsetDateTime) -> OffsetDateTime {
    now - time::Duration::days(7)
}

/// The programme document at `now`, its sites in cutover order (then by name).
pub fn document(mut sites: Vec<SiteFacts>, now: OffsetDateTime) -> ProgrammeResponse {
    let today = now.to_offset(time::UtcOffset::UTC).date();
    sites.sort_by(|a, b| (a.entry.cutover, &a.entry.site).cmp(&(b.entry.cutover, &b.entry.site)));
    let rows = sites
        .into_iter()
        .map(|f| {
            let (days_left, phase) = days_left(today, f.entry.cutover);
            // The rate compares stored blockers with stored blockers; waivers only shorten
            // what is left.
            let stored = f.latest.map(|(p, v, _)| {
                let blockers = f.latest_stored_blockers.unwrap_or(p.blockers);
                (Point { blockers, ..p }, v)
            });
            let projection = project(
                today,
                f.entry.cutover,
                stored,
                f.window_first,
                f.latest.map(|(p, _, _)| p.blockers),
            );
            ProgrammeSite {
                cutover: day(f.entry.cutover),
                wave: f.entry.wave,
                extensions: f.entry.extensions,
                owner: f.entry.owner,
                days_left,
                phase,
                verdict: f.latest.map(|(_, v, _)| v),
                score: f.latest.map(|(_, _, s)| s),
                blockers: f.latest.map(|(p, _, _)| p.blockers),
                last_scan: f.latest.map(|(p, _, _)| rfc3339(p.at)),
                blockers_week_ago: f.week_ago.map(|p| p.blockers),
                projection,
                waivers: f.waivers,
                regressions: f.regressions,
                burndown: f
                    .burndown
                    .into_iter()
                    .map(|(d, blockers)| BurnPoint {
                        day: day(d),
                        blockers,
                    })
                    .collect(),
                site: f.entry.site,
            }
        })
        .collect();
    ProgrammeResponse {
        schema: PROGRAMME_SCHEMA.into(),
        as_of: rfc3339(now),
        today: day(today),
        sites: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn entries_are_checked_field_by_field() {
        let e = CalendarEntry::parse(
            "hitchin",
            "2027-03-01",
            Some("2"),
            Some("120"),
            Some(" Jo Bloggs "),
        )
        .unwrap();
        assert_eq!(
            e,
            CalendarEntry {
                site: "hitchin".into(),
                cutover: date!(2027 - 03 - 01),
                wave: Some(2),
                extensions: Some(120),
                owner: Some("Jo Bloggs".into()),
            }
        );
        let bad = |site, cutover, wave: Option<&str>, ext: Option<&str>| {
            CalendarEntry::parse(site, cutover, wave, ext, None).unwrap_err()
        };
        assert!(bad("hit chin", "2027-03-01", None, None).starts_with("site:"));
        assert!(bad("hitchin", "2027-02-30", None, None).starts_with("cutover:"));
        assert!(bad("hitchin", "01/03/2027", None, None).starts_with("cutover:"));
        assert!(bad("hitchin", "1999-12-31", None, None).contains("2000 to 2100"));
        assert!(bad("hitchin", "2027-03-01", Some("-1"), None).starts_with("wave:"));
        assert!(bad("hitchin", "2027-03-01", Some("1000"), None).starts_with("wave:"));
        assert!(bad("hitchin", "2027-03-01", None, Some("lots")).starts_with("extensions:"));
        let long = "x".repeat(101);
        assert!(
            CalendarEntry::parse("hitchin", "2027-03-01", None, None, Some(&long))
                .unwrap_err()
                .starts_with("owner:")
        );
    }

    #[test]
    fn a_csv_is_taken_whole_or_not_at_all() {
        let good = "site,cutover,wave,extensions,owner\n\
                    hitchin,2027-03-01,1,120,\"Bloggs, Jo\"\n\
                    \n\
                    letchworth,2027-04-12,,,\n";
        let e = parse_csv(good).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].owner.as_deref(), Some("Bloggs, Jo"));
        assert_eq!(
            (e[1].wave, e[1].extensions, &e[1].owner),
            (None, None, &None)
        );

        let bad = "site,cutover,wave,extensions,owner\n\
                   hitchin,2027-03-01,1,120,Jo\n\
                   stevenage,2027-13-01,1,,\n\
                   hitchin,2027-05-01,2,,\n\
                   royston,2027-05-01\n";
        let errs = parse_csv(bad).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("line 3: cutover:"), "{errs:?}");
        assert!(
            errs[1].starts_with("line 4: site \"hitchin\" is listed twice"),
            "{errs:?}"
        );
        assert!(errs[2].starts_with("line 5: 2 fields"), "{errs:?}");

        let errs = parse_csv("name,date\nhitchin,2027-03-01\n").unwrap_err();
        assert!(errs[0].starts_with("line 1: the header"), "{errs:?}");
    }

    #[test]
    fn days_left_count_to_the_cutover_day() {
        let cut = date!(2027 - 03 - 01);
        assert_eq!(days_left(date!(2027 - 02 - 19), cut), (10, Phase::Before));
        assert_eq!(days_left(cut, cut), (0, Phase::Before));
        assert_eq!(days_left(date!(2027 - 03 - 02), cut), (-1, Phase::After));
    }

    #[test]
    fn the_projection_carries_the_burn_down_forward() {
        let today = date!(2027 - 02 - 01);
        let p = |at: OffsetDateTime, blockers| Point { at, blockers };
        let now = p(datetime!(2027-02-01 06:00 UTC), 20);
        let four_weeks = p(datetime!(2027-01-04 06:00 UTC), 48);
        // 28 blockers closed in 28 days: 1 a day, the last of 20 on 21 February.
        let on_time = project(
            today,
            date!(2027 - 03 - 01),
            Some((now, Verdict::NotReady)),
            Some(four_weeks),
            None,
        );
        assert_eq!(on_time.blockers_per_day, Some(1.0));
        assert_eq!(on_time.projected_ready.as_deref(), Some("2027-02-21"));
        assert!(!on_time.slipping);
        // The same rate, with the cutover on the 15th: slipping.
        let late = project(
            today,
            date!(2027 - 02 - 15),
            Some((now, Verdict::NotReady)),
            Some(four_weeks),
            None,
        );
        assert!(late.slipping);
        // No blockers closed: no date, slipping.
        let stuck = project(
            today,
            date!(2027 - 06 - 01),
            Some((now, Verdict::NotReady)),
            Some(p(four_weeks.at, 20)),
            None,
        );
        assert_eq!((stuck.projected_ready, stuck.slipping), (None, true));
        // Nothing left: ready today, whatever the rate.
        let done = project(
            today,
            date!(2027 - 03 - 01),
            Some((p(now.at, 0), Verdict::Ready)),
            None,
            None,
        );
        assert_eq!(
            (done.projected_ready.as_deref(), done.slipping),
            (Some("2027-02-01"), false)
        );
        // One report only, blockers left: no rate, no date.
        let single = project(
            today,
            date!(2027 - 03 - 01),
            Some((now, Verdict::NotReady)),
            Some(now),
            None,
        );
        assert_eq!((single.blockers_per_day, single.slipping), (None, true));
        // Waivers shorten what is left, but are no progress: 20 stored, 10 of them waived,
        // no blockers closed in four weeks: still no date.
        let waived_stuck = project(
            today,
            date!(2027 - 06 - 01),
            Some((now, Verdict::NotReady)),
            Some(p(four_weeks.at, 20)),
            Some(10),
        );
        assert_eq!(
            (waived_stuck.projected_ready, waived_stuck.slipping),
            (None, true)
        );
        // At 1 a day, 10 left after waivers: ready on the 11th.
        let waived = project(
            today,
            date!(2027 - 03 - 01),
            Some((now, Verdict::NotReady)),
            Some(four_weeks),
            Some(10),
        );
        assert_eq!(waived.projected_ready.as_deref(), Some("2027-02-11"));
        // Every blocker left waived: ready today.
        let all_waived = project(
            today,
            date!(2027 - 03 - 01),
            Some((now, Verdict::NotReady)),
            Some(p(four_weeks.at, 20)),
            Some(0),
        );
        assert_eq!(all_waived.projected_ready.as_deref(), Some("2027-02-01"));
        // No scan: slipping, never assumed ready.
        let none = project(today, date!(2027 - 03 - 01), None, None, None);
        assert_eq!((none.projected_ready, none.slipping), (None, true));
    }
}
