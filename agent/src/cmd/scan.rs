//! `lanready-agent scan`: reads a site plan, polls the site's switches concurrently
//! (sweeping subnets for SNMP responders), evaluates the checks and writes the site report
//! (`lanready.report/v1`). `--check-config` validates the plan without polling.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use lanready_schema::Report;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::plan::{Plan, TargetSpec, sweep};
use crate::report::ScanContext;
use crate::scan::{choose_site, host_name, scan};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: super::PlanArgs,
    /// Write the report to FILE (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Validate the plan (syntax, values, secrets) and exit without polling.
    #[arg(long)]
    pub check_config: bool,
    /// The report's id (default: a random UUID v4). For replays and tests.
    #[arg(long, value_name = "ID", hide = true)]
    pub report_id: Option<String>,
    /// The scan's time, RFC 3339 (default: now). For replays and tests.
    #[arg(long, value_name = "TIME", hide = true)]
    pub now: Option<String>,
    /// Push the report to a collector (`--collector URL --token-file FILE`).
    #[command(flatten)]
    pub push: crate::push::PushArgs,
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let plan = Plan::load(&args.target.plan)?;
    if args.check_config {
        return check_config(&plan, args.target.site.as_deref());
    }
    let site = choose_site(&plan, args.target.site.as_deref())?;
    let ctx = context(&plan, &args)?;
    // Checked before polling, so a bad URL or token file fails at once.
    let pusher = crate::push::Pusher::from_args(&args.push, &args.target.plan)?;
    let report = scan(&plan, site, &ctx).await;
    deliver(&report, &args)?;
    if let Some(pusher) = &pusher {
        push(pusher, &report).await?;
    }
    eprintln!(
        "site {}: {} (score {}): {} blockers, {} warnings, {} unknown, {} passed",
        report.site,
        report.verdict.headline(),
        report.score,
        report.counts.blockers,
        report.counts.warnings,
        report.counts.unknown,
        report.counts.passed
    );
    Ok(0)
}

/// Writes the report where asked. The push to the collector goes here too.
fn deliver(report: &Report, args: &Args) -> anyhow::Result<()> {
    // Streamed: the report is never held as one string (a 1,000-switch report is ~7 MB).
    fn write(report: &Report, w: impl std::io::Write) -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(w);
        serde_json::to_writer_pretty(&mut w, report)?;
        w.write_all(b"\n")?;
        w.flush()
    }
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("writing the report to {}", path.display()))?;
            write(report, file)
                .with_context(|| format!("writing the report to {}", path.display()))?
        }
        None => write(report, std::io::stdout().lock())
            .context("writing the report to standard output")?,
    }
    Ok(())
}

/// Pushes the report through the spool: stored, or spooled for the next `scan`/`run` to
/// resend (not an error: the report is safe on disk), or rejected (an error).
async fn push(pusher: &crate::push::Pusher, report: &Report) -> anyhow::Result<()> {
    use crate::push::PushOutcome;
    let endpoint = pusher.collector().endpoint();
    match pusher.submit(report).await? {
        PushOutcome::Stored => eprintln!("report {} stored by {endpoint}", report.id),
        PushOutcome::Duplicate => {
            eprintln!("report {} was already stored by {endpoint}", report.id)
        }
        PushOutcome::Spooled { reason, path } => eprintln!(
            "warning: the collector at {endpoint} is unavailable ({reason}); the report waits \
             at {} and is resent by the next scan or run",
            path.display()
        ),
        PushOutcome::Rejected {
            status,
            message,
            path,
        } => anyhow::bail!(
            "the collector at {endpoint} rejected the report (HTTP {status}: {message}); it is \
             kept at {}",
            path.display()
        ),
    }
    Ok(())
}

fn check_config(plan: &Plan, site: Option<&str>) -> anyhow::Result<u8> {
    if let Some(name) = site {
        choose_site(plan, Some(name))?;
    }
    println!(
        "{}: the plan is valid ({})",
        plan.path.display(),
        lanready_schema::words::count(plan.sites.len() as u64, "site", "sites")
    );
    for s in &plan.sites {
        println!(
            "  site {}: voice VLAN {}, phones {} W each ({}), {}; {} switch entr{}",
            s.name,
            s.voice_vlan,
            crate::plan::watts(s.phones.budget_mw),
            s.phones.source,
            match s.phones.count {
                Some(n) => format!("{n} phones"),
                None => "a phone on every user-facing port".into(),
            },
            s.switches.len(),
            if s.switches.len() == 1 { "y" } else { "ies" }
        );
        for sw in &s.switches {
            let how = match &sw.credentials {
                lanready_snmp::Credentials::V2c { .. } => "SNMPv2c".to_string(),
                lanready_snmp::Credentials::V3(v3) => format!("SNMPv3 user {}", v3.user),
            };
            match &sw.target {
                TargetSpec::Address(a) => println!("    {a} ({how})"),
                TargetSpec::Subnet { network, port } => println!(
                    "    sweep {network} port {port}: {} addresses ({how})",
                    sweep::hosts(network, *port).len()
                ),
            }
        }
    }
    Ok(0)
}

fn context(plan: &Plan, args: &Args) -> anyhow::Result<ScanContext> {
    let agent = plan.agent.clone().unwrap_or_else(host_name);
    let mut ctx = ScanContext::real(agent);
    if let Some(id) = &args.report_id {
        ctx.id = id.clone();
    }
    if let Some(now) = &args.now {
        ctx.now = OffsetDateTime::parse(now, &Rfc3339)
            .with_context(|| format!("--now {now:?} is not an RFC 3339 time"))?;
    }
    Ok(ctx)
}
