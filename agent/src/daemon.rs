//! The daemon's loop: scans on the schedule (one at a time, jittered), submits each report to
//! the sink (the collector, else the spool), and drains the spool with capped, jittered
//! exponential backoff between scans, until the scan budget is spent or it is told to stop.
//! Generic over the clock, the sink and the scan, so it is tested with a fake collector on
//! tokio's paused clock.

use std::fmt::Display;
use std::future::Future;

use lanready_schema::Report;
use rand::Rng;
use time::OffsetDateTime;

use crate::push::{Backoff, PushError, PushOutcome, ReportSink};
use crate::schedule::{Schedule, Timer};

/// What the loop needs besides the clock, the sink and the scan.
#[derive(Clone, Debug)]
pub struct LoopConfig {
    pub schedule: Schedule,
    pub backoff: Backoff,
    /// Stop after this many scans.
    pub max_scans: Option<u64>,
}

/// What a loop did (for logs and tests).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    pub scans: u64,
    pub scan_failures: u64,
    /// Reports the collector has (stored now or before), counted when submitted.
    pub delivered: u64,
    /// Reports left in the spool by their submit.
    pub spooled: u64,
    pub rejected: u64,
    /// Scheduled starts skipped because a scan was still running.
    pub skipped_slots: u64,
    /// Resend passes over the spool (not counting the one each submit makes).
    pub retries: u64,
}

/// The pending resend: when, and how many have failed before it.
#[derive(Clone, Copy, Debug)]
struct Retry {
    at: OffsetDateTime,
    attempt: u32,
}

/// Runs scans on `cfg.schedule` until `shutdown` resolves or `cfg.max_scans` is reached:
/// first a pass over what earlier runs left in the spool, then for each slot a scan, whose
/// report goes to `sink`, and between scans resends with backoff while reports wait. Scans
/// run one at a time; a slot that passes while a scan runs is skipped. Push failures are
/// logged, never fatal: the spool keeps the reports.
pub async fn run_loop<C, K, R, F, Fut, E>(
    cfg: &LoopConfig,
    clock: &C,
    sink: &K,
    rng: &mut R,
    mut scan: F,
    shutdown: impl Future<Output = ()>,
) -> LoopStats
where
    C: Timer,
    K: ReportSink,
    R: Rng,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Report, E>>,
    E: Display,
{
    let mut stats = LoopStats::default();
    tokio::pin!(shutdown);

    // Deliver what a previous run (or a killed one) left.
    let mut retry = tokio::select! {
        d = sink.drain() => after_drain(cfg, clock, rng, d, None),
        () = &mut shutdown => return stats,
    };

    let Some(mut slot) = cfg.schedule.first_slot(clock.now()) else {
        tracing::warn!(message = "The schedule has no time in the future; nothing to do.");
        return stats;
    };
    let mut start = cfg.schedule.start_of(slot, rng);
    loop {
        let wake = match retry {
            Some(Retry { at, .. }) if at < start => at,
            _ => start,
        };
        tokio::select! {
            () = clock.sleep_until(wake) => {}
            () = &mut shutdown => break,
        }
        let now = clock.now();
        if now >= start {
            tracing::info!(message = "Scan starting.", slot = %slot);
            // A stop cancels a scan (nothing is lost: there is no report yet) but not the
            // push of a finished one, so a report is never dropped on a graceful stop.
            let scanned = tokio::select! {
                r = scan() => r,
                () = &mut shutdown => break,
            };
            stats.scans += 1;
            let scanned = submit(scanned, sink).await;
            match scanned {
                Scanned::ScanFailed(error) => {
                    stats.scan_failures += 1;
                    tracing::error!(message = "Scan failed; no report this time.", %error);
                }
                Scanned::PushFailed(error) => {
                    tracing::error!(message = "Could not spool the report.", error = %error);
                    retry = retry.or_else(|| first_retry(cfg, clock, rng));
                }
                Scanned::Pushed(outcome) => match outcome {
                    PushOutcome::Stored | PushOutcome::Duplicate => {
                        stats.delivered += 1;
                        retry = None;
                    }
                    PushOutcome::Rejected { .. } => {
                        stats.rejected += 1;
                        retry = None;
                    }
                    PushOutcome::Spooled { .. } => {
                        stats.spooled += 1;
                        retry = retry.or_else(|| first_retry(cfg, clock, rng));
                    }
                },
            }
            if cfg.max_scans.is_some_and(|n| stats.scans >= n) {
                break;
            }
            let end = clock.now();
            let missed = cfg.schedule.missed(slot, end);
            if missed > 0 {
                stats.skipped_slots += missed;
                tracing::warn!(
                    message = "The scan ran past scheduled starts; they are skipped.",
                    skipped = missed
                );
            }
            match cfg.schedule.next_slot(slot, end) {
                Some(s) => slot = s,
                None => {
                    tracing::info!(message = "The schedule has no more times; stopping.");
                    break;
                }
            }
            start = cfg.schedule.start_of(slot, rng);
        } else if retry.is_some_and(|r| now >= r.at) {
            stats.retries += 1;
            let d = tokio::select! {
                d = sink.drain() => d,
                () = &mut shutdown => break,
            };
            retry = after_drain(cfg, clock, rng, d, retry);
        }
    }
    stats
}

enum Scanned<E> {
    ScanFailed(E),
    PushFailed(PushError),
    Pushed(PushOutcome),
}

async fn submit<E, K: ReportSink>(scanned: Result<Report, E>, sink: &K) -> Scanned<E> {
    let report = match scanned {
        Ok(r) => r,
        Err(e) => return Scanned::ScanFailed(e),
    };
    tracing::info!(
        message = "Scan done.",
        id = %report.id,
        generated_at = %report.generated_at,
        verdict = ?report.verdict,
        score = report.score
    );
    match sink.submit(&report).await {
        Ok(o) => Scanned::Pushed(o),
        Err(e) => Scanned::PushFailed(e),
    }
}

fn first_retry<C: Timer>(cfg: &LoopConfig, clock: &C, rng: &mut impl Rng) -> Option<Retry> {
    Some(Retry {
        at: clock.now() + cfg.backoff.delay(0, rng),
        attempt: 0,
    })
}

/// The next resend after a pass over the spool: none when it is empty, else one more
/// backoff step.
fn after_drain<C: Timer>(
    cfg: &LoopConfig,
    clock: &C,
    rng: &mut impl Rng,
    drained: Result<crate::push::Drain, PushError>,
    prev: Option<Retry>,
) -> Option<Retry> {
    match drained {
        Ok(d) if d.pending == 0 => return None,
        Ok(_) => {}
        Err(error) => {
            tracing::error!(message = "Could not read the spool.", error = %error);
        }
    }
    let attempt = prev.map_or(0, |r| r.attempt.saturating_add(1));
    let wait = cfg.backoff.delay(attempt, rng);
    tracing::info!(message = "Next resend scheduled.", attempt, wait = ?wait);
    Some(Retry {
        at: clock.now() + wait,
        attempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::Drain;
    use crate::schedule::TokioTimer;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::cell::{Cell, RefCell};
    use std::path::PathBuf;
    use std::rc::Rc;
    use std::time::Duration;
    use time::format_description::well_known::Rfc3339;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-25 14:00:00 UTC);
    const MIN: Duration = Duration::from_secs(60);

    /// A collector that is down until `up_at`, with a spool in memory: records when each
    /// pass happened and each delivery.
    struct FakeSink {
        clock: TokioTimer,
        up_at: OffsetDateTime,
        spool: RefCell<Vec<String>>,
        delivered: RefCell<Vec<(String, OffsetDateTime)>>,
        drains: RefCell<Vec<OffsetDateTime>>,
        /// How long a submit takes before its pass.
        submit_takes: Duration,
    }

    impl FakeSink {
        fn new(clock: TokioTimer, up_at: OffsetDateTime, left_over: &[&str]) -> FakeSink {
            FakeSink {
                clock,
                up_at,
                spool: RefCell::new(left_over.iter().map(|s| s.to_string()).collect()),
                delivered: RefCell::default(),
                drains: RefCell::default(),
                submit_takes: Duration::ZERO,
            }
        }

        fn pass(&self) -> Drain {
            let now = self.clock.now();
            self.drains.borrow_mut().push(now);
            if now < self.up_at {
                return Drain {
                    pending: self.spool.borrow().len(),
                    waiting: Some("connection refused".into()),
                    ..Drain::default()
                };
            }
            let sent: Vec<String> = self.spool.borrow_mut().drain(..).collect();
            let mut d = Drain::default();
            for id in sent {
                d.stored += 1;
                d.outcomes.push((id.clone(), PushOutcome::Stored));
                self.delivered.borrow_mut().push((id, now));
            }
            d
        }

        fn delivered_ids(&self) -> Vec<String> {
            self.delivered
                .borrow()
                .iter()
                .map(|(i, _)| i.clone())
                .collect()
        }
    }

    impl ReportSink for FakeSink {
        async fn submit(&self, report: &Report) -> Result<PushOutcome, PushError> {
            self.spool.borrow_mut().push(report.id.clone());
            tokio::time::sleep(self.submit_takes).await;
            let d = self.pass();
            Ok(match d.outcomes.iter().find(|(n, _)| *n == report.id) {
                Some((_, o)) => o.clone(),
                None => PushOutcome::Spooled {
                    reason: d.waiting.unwrap_or_default(),
                    path: PathBuf::new(),
                },
            })
        }

        async fn drain(&self) -> Result<Drain, PushError> {
            Ok(self.pass())
        }
    }

    /// A scan that takes `took(n)` and records its start and end; panics on overlap.
    struct Scanner {
        clock: TokioTimer,
        running: Cell<bool>,
        runs: RefCell<Vec<(OffsetDateTime, OffsetDateTime)>>,
    }

    fn scanner(clock: TokioTimer) -> Rc<Scanner> {
        Rc::new(Scanner {
            clock,
            running: Cell::new(false),
            runs: RefCell::default(),
        })
    }

    fn scan_with(
        s: &Rc<Scanner>,
        took: impl Fn(usize) -> Duration + 'static,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = Result<Report, String>>>> {
        let s = s.clone();
        let took = Rc::new(took);
        move || {
            let s = s.clone();
            let took = took.clone();
            Box::pin(async move {
                assert!(!s.running.replace(true), "two scans overlap");
                let start = s.clock.now();
                let n = s.runs.borrow().len();
                tokio::time::sleep(took(n)).await;
                let end = s.clock.now();
                s.runs.borrow_mut().push((start, end));
                s.running.set(false);
                Ok(Report {
                    id: format!("r{n}"),
                    generated_at: start.format(&Rfc3339).unwrap(),
                    ..Report::default()
                })
            })
        }
    }

    fn every(interval: Duration, jitter: Duration, max: u64) -> LoopConfig {
        LoopConfig {
            schedule: Schedule::every(interval, jitter).unwrap(),
            backoff: Backoff {
                initial: MIN,
                max: 8 * MIN,
            },
            max_scans: Some(max),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn scans_never_overlap_and_a_long_scan_skips_slots() {
        let clock = TokioTimer::starting_at(T0);
        let sink = FakeSink::new(clock, T0, &[]);
        let s = scanner(clock);
        // Scan 1 takes 25 minutes on a 10-minute schedule; the others 2 minutes.
        let scan = scan_with(&s, |n| if n == 1 { 25 * MIN } else { 2 * MIN });
        let cfg = every(10 * MIN, Duration::ZERO, 4);
        let mut rng = StdRng::seed_from_u64(3);
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan, std::future::pending()).await;
        let starts: Vec<OffsetDateTime> = s.runs.borrow().iter().map(|r| r.0).collect();
        assert_eq!(
            starts,
            [T0, T0 + 10 * MIN, T0 + 40 * MIN, T0 + 50 * MIN],
            "slots 14:20 and 14:30 fell inside the long scan and are skipped"
        );
        assert_eq!(stats.skipped_slots, 2);
        assert_eq!(stats.scans, 4);
        assert_eq!(stats.delivered, 4);
        assert_eq!(sink.delivered_ids(), ["r0", "r1", "r2", "r3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_delays_each_start_within_bounds_without_drift() {
        let clock = TokioTimer::starting_at(T0);
        let sink = FakeSink::new(clock, T0, &[]);
        let s = scanner(clock);
        let scan = scan_with(&s, |_| Duration::from_secs(5));
        let cfg = every(10 * MIN, 3 * MIN, 6);
        let mut rng = StdRng::seed_from_u64(11);
        run_loop(&cfg, &clock, &sink, &mut rng, scan, std::future::pending()).await;
        let runs = s.runs.borrow();
        // Each scan, the first too (many stations restarted together spread out), starts
        // within [slot, slot + jitter), on the grid of the first slot: no drift.
        let offsets: Vec<Duration> = runs
            .iter()
            .enumerate()
            .map(|(n, (start, _))| {
                let slot = T0 + 10 * MIN * n as u32;
                assert!(
                    *start >= slot && *start < slot + 3 * MIN,
                    "scan {n} at {start}"
                );
                Duration::try_from(*start - slot).unwrap()
            })
            .collect();
        let distinct: std::collections::BTreeSet<_> = offsets.iter().collect();
        assert!(distinct.len() >= 4, "jitter did not vary: {offsets:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn spooled_reports_are_resent_with_backoff_until_the_collector_is_up() {
        let clock = TokioTimer::starting_at(T0);
        // Left by a killed run; the collector comes up 20 minutes in.
        let sink = FakeSink::new(clock, T0 + 20 * MIN, &["old"]);
        let s = scanner(clock);
        let scan = scan_with(&s, |_| Duration::from_secs(30));
        let cfg = every(60 * MIN, Duration::ZERO, 2);
        let mut rng = StdRng::seed_from_u64(5);
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan, std::future::pending()).await;

        // Everything arrives once, oldest first, at the first pass after the collector is up.
        let delivered = sink.delivered.borrow().clone();
        let ids: Vec<&str> = delivered.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["old", "r0", "r1"]);
        let up_pass = delivered[0].1;
        assert!(
            up_pass >= T0 + 20 * MIN && up_pass < T0 + 28 * MIN,
            "{up_pass}"
        );
        assert_eq!(delivered[1].1, up_pass);

        // Passes: start-up, the first scan's submit, then resends with growing gaps from
        // the start-up pass, each gap within [ceiling/2, ceiling] of 1, 2, 4, 8 (cap) min.
        let drains = sink.drains.borrow().clone();
        assert_eq!(drains[0], T0);
        let submit = T0 + Duration::from_secs(30);
        assert_eq!(drains[1], submit);
        let resends: Vec<OffsetDateTime> = drains
            .iter()
            .copied()
            .filter(|t| *t != submit && *t <= up_pass)
            .collect();
        for (k, pair) in resends.windows(2).enumerate() {
            let gap = Duration::try_from(pair[1] - pair[0]).unwrap();
            let ceiling = cfg.backoff.ceiling(k as u32);
            assert!(
                gap >= ceiling / 2 && gap <= ceiling,
                "resend {k}: gap {gap:?}, ceiling {ceiling:?}; passes {drains:?}"
            );
        }
        assert!(resends.len() >= 4, "too few resends: {drains:?}");
        // No resends once the spool is empty: only the second scan's submit follows.
        assert_eq!(
            drains.iter().filter(|t| **t > up_pass).count(),
            1,
            "{drains:?}"
        );
        assert_eq!(stats.spooled, 1);
        assert_eq!(stats.delivered, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_scan_is_logged_and_the_schedule_goes_on() {
        let clock = TokioTimer::starting_at(T0);
        let sink = FakeSink::new(clock, T0, &[]);
        let calls = Rc::new(Cell::new(0u32));
        let c = calls.clone();
        let scan = move || {
            let c = c.clone();
            async move {
                c.set(c.get() + 1);
                if c.get() == 1 {
                    Err("plan unreadable".to_string())
                } else {
                    Ok(Report {
                        id: format!("r{}", c.get()),
                        ..Report::default()
                    })
                }
            }
        };
        let cfg = every(10 * MIN, Duration::ZERO, 3);
        let mut rng = StdRng::seed_from_u64(1);
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan, std::future::pending()).await;
        assert_eq!(stats.scans, 3);
        assert_eq!(stats.scan_failures, 1);
        assert_eq!(sink.delivered_ids(), ["r2", "r3"]);
        assert_eq!(clock.now(), T0 + 20 * MIN);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_between_scans() {
        let clock = TokioTimer::starting_at(T0);
        let sink = FakeSink::new(clock, T0, &[]);
        let s = scanner(clock);
        let scan = scan_with(&s, |_| MIN);
        let cfg = LoopConfig {
            max_scans: None,
            ..every(10 * MIN, Duration::ZERO, 0)
        };
        let mut rng = StdRng::seed_from_u64(1);
        let stop = tokio::time::sleep(35 * MIN);
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan, stop).await;
        assert_eq!(stats.scans, 4);
        assert_eq!(clock.now(), T0 + 35 * MIN);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_cancels_a_running_scan_but_never_a_push() {
        let clock = TokioTimer::starting_at(T0);
        let s = scanner(clock);
        let cfg = LoopConfig {
            max_scans: None,
            ..every(10 * MIN, Duration::ZERO, 0)
        };
        let mut rng = StdRng::seed_from_u64(1);

        // Stopped 30 s into the third scan (which takes a minute): it is dropped unfinished.
        let sink = FakeSink::new(clock, T0, &[]);
        let stop = tokio::time::sleep(20 * MIN + 30 * Duration::from_secs(1));
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan_with(&s, |_| MIN), stop).await;
        assert_eq!(stats.scans, 2);
        assert_eq!(sink.delivered_ids(), ["r0", "r1"]);
        assert_eq!(clock.now(), T0 + 20 * MIN + 30 * Duration::from_secs(1));

        // Stopped while a report is being pushed (pushes take 2 minutes): the push ends.
        let clock = TokioTimer::starting_at(T0);
        let s = scanner(clock);
        let mut sink = FakeSink::new(clock, T0, &[]);
        sink.submit_takes = 2 * MIN;
        let stop = tokio::time::sleep(11 * MIN + 30 * Duration::from_secs(1));
        let scan = scan_with(&s, |_| MIN);
        let stats = run_loop(&cfg, &clock, &sink, &mut rng, scan, stop).await;
        assert_eq!(stats.scans, 2);
        assert_eq!(sink.delivered_ids(), ["r0", "r1"]);
        assert_eq!(clock.now(), T0 + 13 * MIN);
    }

    #[tokio::test(start_paused = true)]
    async fn cron_schedule_waits_for_its_first_time() {
        let clock = TokioTimer::starting_at(datetime!(2026-11-25 14:07:00 UTC));
        let sink = FakeSink::new(clock, T0, &[]);
        let s = scanner(clock);
        let scan = scan_with(&s, |_| MIN);
        let cfg = LoopConfig {
            schedule: Schedule::cron("*/15 * * * *", Duration::ZERO).unwrap(),
            backoff: Backoff::default(),
            max_scans: Some(2),
        };
        let mut rng = StdRng::seed_from_u64(1);
        run_loop(&cfg, &clock, &sink, &mut rng, scan, std::future::pending()).await;
        let starts: Vec<OffsetDateTime> = s.runs.borrow().iter().map(|r| r.0).collect();
        assert_eq!(
            starts,
            [
                datetime!(2026-11-25 14:15:00 UTC),
                datetime!(2026-11-25 14:30:00 UTC)
            ]
        );
    }
}
