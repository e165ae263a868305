//! The agent side of the benchmark, run as child processes so that their CPU time and peak
//! memory are theirs alone: one switch polled (`poll-child`), or many at once (`estate-child`).
//! Each prints one `key=value` line the parent reads.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use lanready_schema::secret::Secret;
use lanready_snmp::{Credentials, PollOptions, Target, poll_with_stats};

/// The community reaches children through the environment, never an argument.
pub const ENV_COMMUNITY: &str = "LANREADY_BENCH_COMMUNITY";

#[derive(Debug, Clone, clap::Args)]
pub struct PollChildArgs {
    /// The switch, HOST:PORT.
    #[arg(long)]
    pub address: String,
    /// Polls to run one after another.
    #[arg(long, default_value_t = 1)]
    pub runs: u32,
    #[arg(long, default_value_t = 25)]
    pub max_repetitions: u32,
    #[arg(long)]
    pub no_vlan_contexts: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct EstateChildArgs {
    /// A file with one HOST:PORT a line.
    #[arg(long)]
    pub addresses: PathBuf,
    /// Switches polled at once.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Tokio worker threads; 0 is a current-thread runtime (as `lanready-agent` runs).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,
    #[arg(long, default_value_t = 25)]
    pub max_repetitions: u32,
    #[arg(long)]
    pub no_vlan_contexts: bool,
}

fn community() -> anyhow::Result<Secret> {
    std::env::var(ENV_COMMUNITY)
        .map(Secret::new)
        .with_context(|| format!("${ENV_COMMUNITY} is not set"))
}

fn options(max_repetitions: u32, no_vlan_contexts: bool) -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(2),
        retries: 2,
        max_repetitions,
        vlan_contexts: !no_vlan_contexts,
        max_requests_per_second: None,
    }
}

/// Peak resident memory of this process, from /proc/self/status, in kB.
pub fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

pub fn poll_child(args: &PollChildArgs) -> anyhow::Result<()> {
    let target = Target {
        address: args.address.clone(),
        credentials: Credentials::V2c {
            community: community()?,
        },
    };
    let opts = options(args.max_repetitions, args.no_vlan_contexts);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut requests = 0;
    let mut values = 0;
    for _ in 0..args.runs {
        let (walk, stats) = rt
            .block_on(poll_with_stats(&target, &opts))
            .with_context(|| format!("polling {}", args.address))?;
        requests += stats.requests;
        values += walk.values.len() + walk.vlan_contexts.values().map(|v| v.len()).sum::<usize>();
    }
    println!(
        "requests={requests} values={values} vm_hwm_kb={}",
        vm_hwm_kb()
    );
    Ok(())
}

pub fn estate_child(args: &EstateChildArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.addresses)
        .with_context(|| format!("reading {}", args.addresses.display()))?;
    let addresses: Vec<String> = text.lines().map(str::to_string).collect();
    let community = community()?;
    let opts = Arc::new(options(args.max_repetitions, args.no_vlan_contexts));
    let rt = if args.workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.workers)
            .enable_all()
            .build()?
    };
    let concurrency = args.concurrency.max(1);
    let (ok, failed, requests, elapsed) = rt.block_on(async move {
        let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for address in addresses {
            let permit = gate.clone().acquire_owned().await.expect("semaphore open");
            let target = Target {
                address,
                credentials: Credentials::V2c {
                    community: community.clone(),
                },
            };
            let opts = opts.clone();
            set.spawn(async move {
                let r = poll_with_stats(&target, &opts).await;
                drop(permit);
                r.map(|(_, s)| s.requests)
            });
        }
        let (mut ok, mut failed, mut requests) = (0u64, 0u64, 0u64);
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(n)) => {
                    ok += 1;
                    requests += n;
                }
                _ => failed += 1,
            }
        }
        (ok, failed, requests, started.elapsed())
    });
    println!(
        "ok={ok} failed={failed} requests={requests} wall_us={} vm_hwm_kb={}",
        elapsed.as_micros(),
        vm_hwm_kb()
    );
    Ok(())
}
