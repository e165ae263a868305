//! The scan pipeline: polls a site's switches (listed ones and swept subnet hosts)
//! concurrently under the scan's byte budget, decodes and checks each as soon as it is
//! read, shares phones across switches where the plan gives a site count, and assembles the
//! report. `lanready-agent scan` and the daemon (`run`) both call [`scan`].

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context as _;
use lanready_schema::{Report, Snapshot};
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::checks::ports;
use crate::plan::{Plan, SitePlan, SwitchSpec, TargetSpec, sweep};
use crate::report::{self, ScanContext, Sweep, SwitchOutcome};
use lanready_snmp::{PollError, Target};

pub fn choose_site<'a>(plan: &'a Plan, name: Option<&str>) -> anyhow::Result<&'a SitePlan> {
    let names = || {
        plan.sites
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(n) => plan
            .site(n)
            .with_context(|| format!("the plan has no site {n:?} (it has: {})", names())),
        None if plan.sites.len() == 1 => Ok(&plan.sites[0]),
        None => anyhow::bail!(
            "the plan has {} sites ({}): choose one with --site",
            plan.sites.len(),
            names()
        ),
    }
}

pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lanready-agent".into())
}

/// One address to poll: a listed switch, or a host of a swept subnet.
struct Job {
    /// Index of the plan entry.
    entry: usize,
    address: String,
    /// True for a subnet host: no answer means "no switch here", not a failure.
    swept: bool,
}

/// Polls the site's switches and builds its report.
pub async fn scan(plan: &Plan, site: &SitePlan, ctx: &ScanContext) -> Report {
    // Listed addresses first; a subnet host already listed (or in an earlier subnet) is
    // polled once, as the earlier entry.
    let mut seen: HashSet<String> = site
        .switches
        .iter()
        .filter_map(|s| match &s.target {
            TargetSpec::Address(a) => Some(a.clone()),
            TargetSpec::Subnet { .. } => None,
        })
        .collect();
    let mut jobs = Vec::new();
    for (entry, spec) in site.switches.iter().enumerate() {
        match &spec.target {
            TargetSpec::Address(a) => jobs.push(Job {
                entry,
                address: a.clone(),
                swept: false,
            }),
            TargetSpec::Subnet { network, port } => {
                for address in sweep::hosts(network, *port) {
                    if seen.insert(address.clone()) {
                        jobs.push(Job {
                            entry,
                            address,
                            swept: true,
                        });
                    }
                }
            }
        }
    }
    let bar = progress_bar(jobs.len() as u64);
    // Each poll task checks its switch against the site's plan.
    let site_arc = Arc::new(site.clone());
    let switches = Arc::new(Semaphore::new(plan.concurrency));
    let sweeps = Arc::new(Semaphore::new(site.sweep_concurrency));
    let budget = lanready_snmp::ScanBudget::new(plan.scan_memory_bytes);
    let mut set = tokio::task::JoinSet::new();
    for (i, job) in jobs.iter().enumerate() {
        let spec: SwitchSpec = site.switches[job.entry].clone();
        let site = site_arc.clone();
        let address = job.address.clone();
        let sem = if job.swept {
            sweeps.clone()
        } else {
            switches.clone()
        };
        let bar = bar.clone();
        let budget = budget.clone();
        let span = tracing::info_span!("poll", target = %address);
        set.spawn(
            async move {
                let _permit = sem
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let target = Target {
                    address: address.clone(),
                    credentials: spec.credentials.clone(),
                };
                // What the walk holds stays charged to the scan until the walk is dropped.
                let result = lanready_snmp::poll_in_scan(&target, &spec.poll, &budget).await;
                let swept = matches!(spec.target, TargetSpec::Subnet { .. });
                match &result {
                    Ok(_) => tracing::info!(message = "Polled."),
                    // A swept address that does not answer is most of a subnet: each one is
                    // listed under -v, and the sweep says how many in one line.
                    Err(e) if swept && e.failure.is_unanswered() => {
                        tracing::info!(message = "No SNMP answer.", target = %e.address, error = %e.failure)
                    }
                    // The address once, as its own field (the span is not shown at warn).
                    Err(e) => tracing::warn!(message = "Poll failed.", target = %e.address, error = %e.failure),
                }
                bar.inc(1);
                // Decode and check here, so that only the findings outlive the task: the walk
                // and the snapshot (~90 KB a switch) are dropped as soon as each switch is done.
                let result = match result {
                    // CPU work (~3 ms a switch): off the runtime's workers, so the other
                    // polls' answers are not kept waiting behind it.
                    Ok((walk, _, held)) => {
                        let phones = spec.phones;
                        match tokio::task::spawn_blocking(move || {
                            let polled = check(&site, &address, phones, walk);
                            drop(held);
                            polled
                        })
                        .await
                        {
                            Ok(polled) => Ok(polled),
                            // A panic in the checks fails this task, as it did inline.
                            Err(e) => std::panic::resume_unwind(e.into_panic()),
                        }
                    }
                    Err(e) => Err(e),
                };
                (i, result)
            }
            .instrument(span),
        );
    }
    let mut results: Vec<Option<Result<Polled, PollError>>> =
        (0..jobs.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some(r),
            Err(e) => tracing::error!(message = "A poll task failed.", error = %e),
        }
    }
    bar.finish_and_clear();

    // Gather the switches in plan order; a swept host that did not answer is no switch.
    let mut found: Vec<(usize, String, Result<Polled, String>)> = Vec::new();
    for (job, result) in jobs.iter().zip(results) {
        let result = match result {
            Some(Ok(polled)) => Ok(polled),
            Some(Err(e)) if job.swept && e.failure.is_unanswered() => {
                continue;
            }
            // The report names the switch beside its error: the failure alone.
            Some(Err(e)) => Err(e.failure.to_string()),
            None => Err("the poll task failed (see the log)".to_string()),
        };
        found.push((job.entry, job.address.clone(), result));
    }
    // Addresses where SNMP answered (a listed switch that timed out does not count).
    let answered: HashSet<&str> = found
        .iter()
        .filter(|(e, _, r)| {
            r.is_ok() || matches!(site.switches[*e].target, TargetSpec::Subnet { .. })
        })
        .map(|(_, a, _)| a.as_str())
        .collect();
    let sweeps: Vec<Sweep> = site
        .switches
        .iter()
        .filter_map(|s| match &s.target {
            TargetSpec::Subnet { network, port } => Some(Sweep {
                label: s.target.label(),
                probed: sweep::hosts(network, *port).len(),
                found: sweep::hosts(network, *port)
                    .iter()
                    .filter(|h| answered.contains(h.as_str()))
                    .count(),
            }),
            TargetSpec::Address(_) => None,
        })
        .collect();
    for s in &sweeps {
        if s.found < s.probed {
            tracing::warn!(
                "Swept {}: {} of {} addresses answered SNMP; {} did not (-v lists them).",
                s.label,
                s.found,
                s.probed,
                s.probed - s.found
            );
        }
    }

    // Share the site's phones by user-facing ports, then check the switches that needed
    // their share (the others were checked in their poll task, with their own count).
    let own: Vec<Option<u32>> = found
        .iter()
        .map(|(e, _, _)| site.switches[*e].phones)
        .collect();
    let user_ports: Vec<u32> = found
        .iter()
        .map(|(_, _, r)| match r {
            Ok(Polled::Checked(_, n) | Polled::Shared(_, n)) => *n,
            Err(_) => 0,
        })
        .collect();
    let shares = site.share_phones(&own, &user_ports);
    let evaluated: Vec<report::Evaluated> = found
        .into_iter()
        .zip(shares)
        .map(|((_, address, result), phones)| match result {
            Ok(Polled::Checked(done, _)) => *done,
            Ok(Polled::Shared(snap, _)) => report::evaluate(
                &SwitchOutcome {
                    plan: site.switch_plan(&address, phones),
                    result: Ok(*snap),
                },
                &site.thresholds,
            ),
            Err(error) => report::evaluate(
                &SwitchOutcome {
                    plan: site.switch_plan(&address, phones),
                    result: Err(error),
                },
                &site.thresholds,
            ),
        })
        .collect();
    report::assemble(site, evaluated, &sweeps, ctx)
}

/// Decodes a switch's walk and, when its phone count is known now, checks it: only the
/// findings outlive this (the walk and the snapshot, ~90 KB a switch, are dropped here).
fn check(site: &SitePlan, address: &str, phones: Option<u32>, walk: lanready_mibs::Walk) -> Polled {
    let snap = lanready_mibs::decode::snapshot(&walk, address);
    drop(walk);
    let user_ports = ports::user_ports(&snap, &site.switch_plan(address, None)).len() as u32;
    // The phone count is known now unless it is a share of the site's count, which needs
    // every switch's user ports.
    if site.phones.count.is_none() || phones.is_some() {
        let outcome = SwitchOutcome {
            plan: site.switch_plan(address, phones),
            result: Ok(snap),
        };
        Polled::Checked(
            Box::new(report::evaluate(&outcome, &site.thresholds)),
            user_ports,
        )
    } else {
        Polled::Shared(Box::new(snap), user_ports)
    }
}

/// What a poll task keeps of a switch that answered.
enum Polled {
    /// Checked already (its phone count did not depend on the others), with its user ports.
    Checked(Box<report::Evaluated>, u32),
    /// Its phones are a share of the site's count: checked once every switch's user ports
    /// are known.
    Shared(Box<Snapshot>, u32),
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (CI logs, pipes).
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} polling {pos}/{len} switches {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar
}
