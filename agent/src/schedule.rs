//! When `run` scans: every fixed interval or at the times of a cron expression (UTC), each
//! start delayed by a random jitter so many stations do not scan and push at the same
//! instant. The clock and the randomness are passed in, so the schedule is tested with
//! deterministic time ([`TokioTimer`] under `tokio::time::pause`).

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("the interval must be longer than zero")]
    ZeroInterval,
    #[error("the jitter ({jitter:?}) must be shorter than the interval ({interval:?})")]
    JitterTooLong {
        jitter: Duration,
        interval: Duration,
    },
    #[error("the cron expression {expr:?} is not valid: {reason}")]
    Cron { expr: String, reason: String },
    #[error("the duration {text:?} is not valid: {reason} (write e.g. 90s, 15m, 1h30m, 500ms)")]
    Duration { text: String, reason: String },
}

#[derive(Clone, Debug)]
enum Cadence {
    Every(Duration),
    Cron(Box<cron::Schedule>),
}

/// A schedule of scans.
#[derive(Clone, Debug)]
pub struct Schedule {
    cadence: Cadence,
    jitter: Duration,
}

impl Schedule {
    /// A scan every `interval`, the first one at once.
    pub fn every(interval: Duration, jitter: Duration) -> Result<Schedule, ScheduleError> {
        if interval.is_zero() {
            return Err(ScheduleError::ZeroInterval);
        }
        if jitter >= interval {
            return Err(ScheduleError::JitterTooLong { jitter, interval });
        }
        Ok(Schedule {
            cadence: Cadence::Every(interval),
            jitter,
        })
    }

    /// A scan at each time of a cron expression, in UTC. Five fields are crontab's (minute
    /// hour day-of-month month day-of-week, with 0 or 7 for Sunday); six or seven fields
    /// add seconds first (and a year last), with the `cron` crate's day numbers (1 =
    /// Sunday). Day names (MON-FRI) mean the same in both.
    pub fn cron(expr: &str, jitter: Duration) -> Result<Schedule, ScheduleError> {
        let err = |reason: String| ScheduleError::Cron {
            expr: expr.to_string(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let full = match fields.len() {
            5 => {
                let dow = crontab_dow(fields[4]).map_err(err)?;
                format!(
                    "0 {} {} {} {} {dow}",
                    fields[0], fields[1], fields[2], fields[3]
                )
            }
            6 | 7 => fields.join(" "),
            n => {
                return Err(err(format!(
                    "it has {n} fields; write 5 (min hour day month weekday) or 6-7 (with seconds first)"
                )));
            }
        };
        let parsed = cron::Schedule::from_str(&full).map_err(|e| err(e.to_string()))?;
        if parsed.upcoming(chrono::Utc).next().is_none() {
            return Err(err("it has no time in the future".into()));
        }
        Ok(Schedule {
            cadence: Cadence::Cron(Box::new(parsed)),
            jitter,
        })
    }

    pub fn jitter(&self) -> Duration {
        self.jitter
    }

    /// The first slot: `now` for an interval, the next cron time after `now`.
    pub fn first_slot(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match &self.cadence {
            Cadence::Every(_) => Some(now),
            Cadence::Cron(c) => cron_after(c, now),
        }
    }

    /// The slot after `prev` that is later than `now`: a scan that ran past one or more
    /// slots skips them (scans never overlap and never pile up). None when a cron
    /// expression has no more times.
    pub fn next_slot(&self, prev: OffsetDateTime, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match &self.cadence {
            Cadence::Every(interval) => {
                let interval = time::Duration::try_from(*interval).ok()?;
                let elapsed = now - prev;
                let steps = if elapsed < time::Duration::ZERO {
                    1
                } else {
                    (elapsed.whole_nanoseconds() / interval.whole_nanoseconds()) + 1
                };
                let steps = i32::try_from(steps).ok()?;
                prev.checked_add(interval.checked_mul(steps)?)
            }
            Cadence::Cron(c) => cron_after(c, prev.max(now)),
        }
    }

    /// When the scan of `slot` starts: `slot` plus a uniform random delay in `[0, jitter)`.
    pub fn start_of(&self, slot: OffsetDateTime, rng: &mut impl Rng) -> OffsetDateTime {
        let nanos = self.jitter.as_nanos() as u64;
        if nanos == 0 {
            return slot;
        }
        slot + Duration::from_nanos(rng.gen_range(0..nanos))
    }

    /// How many slots a scan that started at `prev` and ended at `now` ran past.
    pub fn missed(&self, prev: OffsetDateTime, now: OffsetDateTime) -> u64 {
        match &self.cadence {
            Cadence::Every(interval) => {
                let elapsed = (now - prev).whole_nanoseconds().max(0) as u128;
                (elapsed / interval.as_nanos().max(1)) as u64
            }
            Cadence::Cron(c) => {
                let Some(from) = cron_after(c, prev) else {
                    return 0;
                };
                let from = to_chrono(from);
                let until = to_chrono(now);
                let mut n = 0;
                for t in c.after(&(from - chrono::Duration::nanoseconds(1))) {
                    if t > until || n >= 10_000 {
                        break;
                    }
                    n += 1;
                }
                n
            }
        }
    }
}

fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    let nanos = t.unix_timestamp_nanos();
    chrono::DateTime::from_timestamp(
        (nanos.div_euclid(1_000_000_000)) as i64,
        (nanos.rem_euclid(1_000_000_000)) as u32,
    )
    .unwrap_or_default()
}

fn from_chrono(t: chrono::DateTime<chrono::Utc>) -> Option<OffsetDateTime> {
    let nanos = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

fn cron_after(c: &cron::Schedule, t: OffsetDateTime) -> Option<OffsetDateTime> {
    c.after(&to_chrono(t)).next().and_then(from_chrono)
}

/// Rewrites a crontab day-of-week field (0-7, 0 and 7 Sunday, names, ranges, steps, lists)
/// as a list of names, which the `cron` crate reads the same way.
fn crontab_dow(field: &str) -> Result<String, String> {
    const NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    if field == "*" || field == "?" {
        return Ok(field.to_string());
    }
    let day = |s: &str| -> Result<u32, String> {
        if let Ok(n) = s.parse::<u32>() {
            return if n <= 7 {
                Ok(n)
            } else {
                Err(format!("day of week {n} is not in 0-7"))
            };
        }
        let upper = s.to_ascii_uppercase();
        NAMES
            .iter()
            .position(|n| upper.starts_with(n) && upper.len() >= 3)
            .map(|i| i as u32)
            .ok_or_else(|| format!("{s:?} is not a day of the week"))
    };
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("step {s:?} is not a positive number"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = match range {
            "*" => (0, 6),
            r => match r.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                None if step > 1 => (day(r)?, 6),
                None => (day(r)?, day(r)?),
            },
        };
        if lo > hi {
            return Err(format!("the range {range:?} runs backwards"));
        }
        let mut d = lo;
        while d <= hi {
            days[(d % 7) as usize] = true;
            d += step;
        }
    }
    let names: Vec<&str> = (0..7).filter(|&i| days[i]).map(|i| NAMES[i]).collect();
    Ok(names.join(","))
}

/// Parses `90s`, `15m`, `1h30m`, `500ms`, `2d` (humantime: a unit after every number).
pub fn parse_duration(text: &str) -> Result<Duration, ScheduleError> {
    humantime::parse_duration(text.trim()).map_err(|e| ScheduleError::Duration {
        text: text.to_string(),
        reason: e.to_string(),
    })
}

/// Wall time and sleeping, passed in so the run loop can be tested with paused time. (The
/// collector's `Clock` only reads the time; this one also waits.)
pub trait Timer {
    fn now(&self) -> OffsetDateTime;
    /// Returns at `t` (at once when it is past).
    fn sleep_until(&self, t: OffsetDateTime) -> impl Future<Output = ()>;
}

/// The system's wall clock. Sleeps wake at least once a minute to re-read it, so a clock
/// step (NTP, a suspended laptop) delays a scan by a minute at most.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemTimer;

impl Timer for SystemTimer {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    async fn sleep_until(&self, t: OffsetDateTime) {
        loop {
            let left = t - self.now();
            if left <= time::Duration::ZERO {
                return;
            }
            let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
            tokio::time::sleep(left.min(Duration::from_secs(60))).await;
        }
    }
}

/// A wall clock driven by tokio's timer: `now` is a fixed start time plus tokio's elapsed
/// time, so under `tokio::time::pause` it is deterministic and sleeps take no real time.
#[derive(Clone, Copy, Debug)]
pub struct TokioTimer {
    wall: OffsetDateTime,
    start: tokio::time::Instant,
}

impl TokioTimer {
    pub fn starting_at(wall: OffsetDateTime) -> TokioTimer {
        TokioTimer {
            wall,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Timer for TokioTimer {
    fn now(&self) -> OffsetDateTime {
        self.wall + self.start.elapsed()
    }

    async fn sleep_until(&self, t: OffsetDateTime) {
        let offset = Duration::try_from(t - self.wall).unwrap_or(Duration::ZERO);
        tokio::time::sleep_until(self.start + offset).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use time::macros::datetime;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn durations() {
        let ok = |s: &str| parse_duration(s).unwrap();
        assert_eq!(ok("90s"), 90 * S);
        assert_eq!(ok("15m"), 900 * S);
        assert_eq!(ok("1h30m"), 5400 * S);
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("2d"), 172_800 * S);
        for bad in ["", "15", "m", "1x", "1h30", "-5s", "99999999999999999999s"] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn interval_slots_skip_what_a_long_scan_ran_past() {
        let s = Schedule::every(600 * S, Duration::ZERO).unwrap();
        let t0 = datetime!(2026-11-25 14:00:00 UTC);
        assert_eq!(s.first_slot(t0), Some(t0));
        // A quick scan: the next slot is one interval on.
        assert_eq!(
            s.next_slot(t0, datetime!(2026-11-25 14:01:00 UTC)),
            Some(datetime!(2026-11-25 14:10:00 UTC))
        );
        // Exactly at the next slot: that slot is due now... no, strictly later than now.
        assert_eq!(
            s.next_slot(t0, datetime!(2026-11-25 14:10:00 UTC)),
            Some(datetime!(2026-11-25 14:20:00 UTC))
        );
        // A 25-minute scan ran past two slots: they are skipped, the grid is kept.
        let end = datetime!(2026-11-25 14:25:00 UTC);
        assert_eq!(
            s.next_slot(t0, end),
            Some(datetime!(2026-11-25 14:30:00 UTC))
        );
        assert_eq!(s.missed(t0, end), 2);
        assert_eq!(s.missed(t0, datetime!(2026-11-25 14:05:00 UTC)), 0);
    }

    #[test]
    fn interval_rejects_zero_and_jitter_past_the_interval() {
        assert!(matches!(
            Schedule::every(Duration::ZERO, Duration::ZERO),
            Err(ScheduleError::ZeroInterval)
        ));
        let e = Schedule::every(60 * S, 60 * S).unwrap_err().to_string();
        assert!(e.contains("shorter than the interval"), "{e}");
    }

    #[test]
    fn jitter_is_within_range_and_seeded() {
        let s = Schedule::every(600 * S, 30 * S).unwrap();
        let slot = datetime!(2026-11-25 14:00:00 UTC);
        let mut rng = StdRng::seed_from_u64(1);
        let starts: Vec<OffsetDateTime> = (0..200).map(|_| s.start_of(slot, &mut rng)).collect();
        assert!(starts.iter().all(|t| *t >= slot && *t < slot + 30 * S));
        let distinct: std::collections::BTreeSet<_> = starts.iter().collect();
        assert!(distinct.len() > 150, "jitter barely varies");
        let mut rng2 = StdRng::seed_from_u64(1);
        assert_eq!(s.start_of(slot, &mut rng2), starts[0]);
        let none = Schedule::every(600 * S, Duration::ZERO).unwrap();
        assert_eq!(none.start_of(slot, &mut rng), slot);
    }

    #[test]
    fn crontab_five_fields_with_sunday_zero() {
        // 06:30 on weekdays, crontab-style numbers (1-5 = Mon-Fri).
        let s = Schedule::cron("30 6 * * 1-5", Duration::ZERO).unwrap();
        // Friday 2026-11-27 07:00 -> next is Monday 2026-11-30 06:30.
        let fri = datetime!(2026-11-27 07:00:00 UTC);
        assert_eq!(s.first_slot(fri), Some(datetime!(2026-11-30 06:30:00 UTC)));
        // Sunday as 0 and as 7.
        for expr in ["0 12 * * 0", "0 12 * * 7", "0 12 * * sun"] {
            let s = Schedule::cron(expr, Duration::ZERO).unwrap();
            assert_eq!(
                s.first_slot(fri),
                Some(datetime!(2026-11-29 12:00:00 UTC)),
                "{expr}"
            );
        }
        // Every 15 minutes.
        let s = Schedule::cron("*/15 * * * *", Duration::ZERO).unwrap();
        let t = datetime!(2026-11-25 14:07:12 UTC);
        assert_eq!(s.first_slot(t), Some(datetime!(2026-11-25 14:15:00 UTC)));
        assert_eq!(
            s.next_slot(
                datetime!(2026-11-25 14:15:00 UTC),
                datetime!(2026-11-25 14:16:00 UTC)
            ),
            Some(datetime!(2026-11-25 14:30:00 UTC))
        );
        // A scan that ran from 14:15 to 14:52 skips 14:30 and 14:45.
        let end = datetime!(2026-11-25 14:52:00 UTC);
        let prev = datetime!(2026-11-25 14:15:00 UTC);
        assert_eq!(
            s.next_slot(prev, end),
            Some(datetime!(2026-11-25 15:00:00 UTC))
        );
        assert_eq!(s.missed(prev, end), 2);
    }

    #[test]
    fn crontab_dow_rewrites() {
        let check = |f: &str, want: &str| assert_eq!(crontab_dow(f).unwrap(), want, "{f}");
        check("*", "*");
        check("1-5", "MON,TUE,WED,THU,FRI");
        check("5-7", "SUN,FRI,SAT");
        check("0,6", "SUN,SAT");
        check("*/2", "SUN,TUE,THU,SAT");
        check("1/3", "MON,THU");
        check("mon-wed", "MON,TUE,WED");
        for bad in ["8", "5-1", "*/0", "funday"] {
            assert!(crontab_dow(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn six_fields_and_bad_expressions() {
        let s = Schedule::cron("*/10 * * * * *", Duration::ZERO).unwrap();
        let t = datetime!(2026-11-25 14:00:03 UTC);
        assert_eq!(s.first_slot(t), Some(datetime!(2026-11-25 14:00:10 UTC)));
        for bad in ["* * *", "61 * * * *", "0 0 31 2 *", "0 0 0 1 1 * 2001"] {
            let e = Schedule::cron(bad, Duration::ZERO).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_sleeps_on_paused_time() {
        let t0 = datetime!(2026-11-25 14:00:00 UTC);
        let c = TokioTimer::starting_at(t0);
        assert_eq!(c.now(), t0);
        c.sleep_until(t0 + 3600 * S).await;
        assert_eq!(c.now(), t0 + 3600 * S);
        // A time in the past returns at once.
        c.sleep_until(t0).await;
        assert_eq!(c.now(), t0 + 3600 * S);
    }
}
