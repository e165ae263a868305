//! `lanready-agent run`: scans a site on a schedule (an interval or a cron expression, with
//! jitter; one scan at a time) and pushes each report to the collector; what cannot be sent
//! waits in the spool and is resent with capped, jittered exponential backoff.

use std::future::Future;

use anyhow::Context as _;
use lanready_schema::Report;

use crate::daemon::{LoopConfig, run_loop};
use crate::plan::Plan;
use crate::push::{Backoff, PushArgs, Pusher, RunLock};
use crate::report::ScanContext;
use crate::scan;
use crate::schedule::{Schedule, SystemTimer, parse_duration};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: super::PlanArgs,
    #[command(flatten)]
    pub push: PushArgs,
    /// Scan every DURATION (90s, 15m, 1h); the first scan starts at once (plus jitter).
    #[arg(
        long,
        value_name = "DURATION",
        conflicts_with = "cron",
        required_unless_present = "cron"
    )]
    pub every: Option<String>,
    /// Scan at the times of a cron expression, in UTC: "*/15 * * * *", "30 6 * * MON-FRI".
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Delay each scan's start by a random time below DURATION, so stations spread out.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub jitter: String,
    /// The wait before the first resend of a report the collector did not take (doubling
    /// after each failure, with jitter).
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub retry_min: String,
    /// The longest wait between resends.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub retry_max: String,
    /// Stop after N scans (default: run until SIGINT or SIGTERM).
    #[arg(long, value_name = "N")]
    pub scans: Option<u64>,
}

/// Validates the flags into a loop configuration.
pub fn loop_config(args: &Args) -> anyhow::Result<LoopConfig> {
    let jitter = parse_duration(&args.jitter).context("reading --jitter")?;
    let schedule = match (&args.every, &args.cron) {
        (Some(every), None) => {
            let interval = parse_duration(every).context("reading --every")?;
            Schedule::every(interval, jitter).context("checking --every and --jitter")?
        }
        (None, Some(expr)) => Schedule::cron(expr, jitter).context("reading --cron")?,
        _ => anyhow::bail!("give one of --every DURATION or --cron EXPR"),
    };
    let backoff = Backoff {
        initial: parse_duration(&args.retry_min).context("reading --retry-min")?,
        max: parse_duration(&args.retry_max).context("reading --retry-max")?,
    };
    anyhow::ensure!(
        !backoff.initial.is_zero() && backoff.initial <= backoff.max,
        "--retry-min must be above zero and at most --retry-max"
    );
    Ok(LoopConfig {
        schedule,
        backoff,
        max_scans: args.scans,
    })
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let cfg = loop_config(&args)?;
    let pusher = Pusher::from_args(&args.push, &args.target.plan)?
        .context("`run` pushes its reports: give --collector URL (and --token-file FILE)")?;
    let _lock = RunLock::acquire(pusher.spool().dir())?;
    let scan = scan_fn(&args)?;
    tracing::info!(
        message = "Agent running.",
        collector = %pusher.collector().endpoint(),
        spool = %pusher.spool().dir().display()
    );
    let mut rng = rand::rngs::StdRng::from_entropy();
    let stats = run_loop(
        &cfg,
        &SystemTimer,
        &pusher,
        &mut rng,
        scan,
        shutdown_signal(),
    )
    .await;
    let pending = pusher.spool().pending()?;
    tracing::info!(message = "Agent stopped.", scans = stats.scans, pending);
    Ok(0)
}

use rand::SeedableRng as _;

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!(message = "Stopping on a signal; spooled reports stay for the next run.");
}

/// The scan `run` repeats: reads the plan afresh each time (so edits apply at the next
/// scan) and scans the site with a fresh report id. The plan is checked once at start, so
/// a broken plan stops `run` at once instead of failing every scan.
fn scan_fn(args: &Args) -> anyhow::Result<impl FnMut() -> ScanFuture + use<>> {
    let path = args.target.plan.clone();
    let site = args.target.site.clone();
    let plan = Plan::load(&path)?;
    scan::choose_site(&plan, site.as_deref())?;
    Ok(move || -> ScanFuture {
        let path = path.clone();
        let site = site.clone();
        Box::pin(async move {
            let plan = Plan::load(&path)?;
            let site = scan::choose_site(&plan, site.as_deref())?;
            let agent = plan.agent.clone().unwrap_or_else(scan::host_name);
            let ctx = ScanContext::real(agent);
            Ok(scan::scan(&plan, site, &ctx).await)
        })
    })
}

type ScanFuture = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<Report>>>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_a_loop_config_or_a_clear_error() {
        let args = |every: Option<&str>, cron: Option<&str>, jitter: &str| Args {
            target: crate::cmd::PlanArgs {
                plan: "site.toml".into(),
                site: None,
            },
            push: PushArgs::default(),
            every: every.map(String::from),
            cron: cron.map(String::from),
            jitter: jitter.into(),
            retry_min: "2s".into(),
            retry_max: "5m".into(),
            scans: None,
        };
        assert!(loop_config(&args(Some("15m"), None, "30s")).is_ok());
        assert!(loop_config(&args(None, Some("*/5 * * * *"), "0s")).is_ok());
        let e = format!(
            "{:#}",
            loop_config(&args(Some("5m"), None, "10m")).unwrap_err()
        );
        assert!(
            e.contains("--every") && e.contains("shorter than the interval"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            loop_config(&args(Some("5x"), None, "0s")).unwrap_err()
        );
        assert!(e.contains("reading --every"), "{e}");
        let e = format!(
            "{:#}",
            loop_config(&args(None, Some("nope"), "0s")).unwrap_err()
        );
        assert!(e.contains("reading --cron"), "{e}");
    }
}
