//! lanready-bench: measures the agent's SNMP poll side by side with its references in one
//! run (round trips against the computed floor and against net-snmp's `snmpbulkwalk`, client
//! CPU against `snmpbulkwalk`, and 1,000 simulated switches against the responder's own
//! capacity) and writes the figures, as ratios, to BENCHMARKS.md.
//!
//! `cargo run --release -p lanready-bench -- all` (see the README). Network traffic stays on
//! loopback: every switch is an endpoint of the in-process responder.

mod blast;
mod child;
mod minimum;
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use lanready_agent::secret::Secret;
use lanready_agent::snmp::{Credentials, PollOptions, Target, poll_with_stats};
use lanready_mibs::Walk;
use lanready_mibs::poll::{GROUPS, PER_VLAN_GROUPS, SCALARS};
use lanready_tests::responder::{
    DEFAULT_MAX_VARBINDS, Dataset, Responder, ResponderOptions, answer, read_snmprec,
};
use nix::sys::resource::{UsageWho, getrusage};

#[derive(Parser)]
#[command(about = "lanready's benchmarks, written to BENCHMARKS.md")]
enum Cli {
    /// Run every benchmark and write BENCHMARKS.md.
    All(AllArgs),
    /// Serve `.snmprec` files on a loopback port until killed (for profiling a client).
    Serve {
        /// Port on 127.0.0.1 (0: any free one; the addresses are printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Endpoints, each serving every file, on consecutive ports from --port (or free
        /// ports when --port is 0).
        #[arg(long, default_value_t = 1)]
        endpoints: u16,
        files: Vec<PathBuf>,
    },
    #[command(hide = true)]
    PollChild(child::PollChildArgs),
    #[command(hide = true)]
    EstateChild(child::EstateChildArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct AllArgs {
    /// Where the report goes.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Runs per CPU figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Simulated switches for the estate run.
    #[arg(long, default_value_t = 1000)]
    switches: usize,
    /// Switches the estate run polls at once (the site plan's default).
    #[arg(long, default_value_t = lanready_agent::plan::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Tokio worker threads of the estate's library-poll process; 0 (the default) is a
    /// current-thread runtime, as `lanready-agent` runs.
    #[arg(long, default_value_t = 0)]
    agent_workers: usize,
    /// Threads of the responder in the estate run.
    #[arg(long, default_value_t = 1)]
    responder_threads: usize,
    /// Pin the estate's responder threads to CPU 0 (by default they run anywhere). For
    /// experiments on scheduling: the responder and the agent wake each other for every
    /// request, and the scheduler tends to stack such partners on one core.
    #[arg(long)]
    pin_responder: bool,
    /// Write the report only for the estate (quicker, for tuning; the figures of 1 and 2
    /// are then left out of the file).
    #[arg(long)]
    estate_only: bool,
    /// Estate runs; the report shows the median run and lists every run's ratios.
    #[arg(long, default_value_t = 5)]
    estate_runs: usize,
    /// GETBULK max-repetitions, for the agent and net-snmp (`-Cr`) alike.
    #[arg(long, default_value_t = 25)]
    max_repetitions: u32,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse() {
        Cli::All(a) => all(&a),
        Cli::Serve {
            port,
            endpoints,
            files,
        } => serve(port, endpoints, &files),
        Cli::PollChild(a) => child::poll_child(&a),
        Cli::EstateChild(a) => child::estate_child(&a),
    }
}

/// A switch the benchmark polls: a recording and whether its VLAN contexts are read.
pub struct Subject {
    pub name: String,
    pub files: Vec<PathBuf>,
    pub walk: Walk,
    pub vlan_contexts: bool,
}

fn subjects() -> anyhow::Result<Vec<Subject>> {
    let mut out = Vec::new();
    let fixture = lanready_tests::fixtures_dir().join("access48.snmprec");
    if fixture.exists() {
        out.push(subject(
            "access48",
            lanready_tests::fixture_files(&["access48"]),
            true,
        )?);
    }
    if let Some(c) = lanready_tests::corpus_dir() {
        // ios_2960x lists VLANs 99 (operational) but the corpus holds no per-VLAN files for
        // it: its contexts are not read, or every poll would wait out a timeout.
        out.push(subject(
            "ios_2960x",
            vec![c.join("recordings/ios_2960x.snmprec")],
            false,
        )?);
    }
    if out.is_empty() {
        bail!("neither tests/fixtures/snmprec/access48.snmprec nor the corpus is present");
    }
    Ok(out)
}

fn subject(name: &str, files: Vec<PathBuf>, vlan_contexts: bool) -> anyhow::Result<Subject> {
    let mut walk = read_snmprec(&files[0])?;
    for f in &files[1..] {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if let Some(vlan) = stem
            .rsplit_once('@')
            .and_then(|(_, v)| v.parse::<u16>().ok())
        {
            walk.vlan_contexts.insert(vlan, read_snmprec(f)?.values);
        }
    }
    Ok(Subject {
        name: name.to_string(),
        files,
        walk,
        vlan_contexts,
    })
}

fn dataset(s: &Subject) -> anyhow::Result<Dataset> {
    let mut d = Dataset::default();
    d.insert(&s.name, &s.walk)?;
    Ok(d)
}

/// CPU time (user, sys) of every child waited for so far, in microseconds.
fn children_cpu() -> anyhow::Result<(u64, u64)> {
    cpu_of(UsageWho::RUSAGE_CHILDREN)
}

/// CPU time (user, sys) of this process (the responder's threads, in the estate run).
fn own_cpu() -> anyhow::Result<Cpu> {
    let (user_us, sys_us) = cpu_of(UsageWho::RUSAGE_SELF)?;
    Ok(Cpu { user_us, sys_us })
}

fn cpu_of(who: UsageWho) -> anyhow::Result<(u64, u64)> {
    let u = getrusage(who)?;
    let us = |t: nix::sys::time::TimeVal| (t.tv_sec() as u64) * 1_000_000 + t.tv_usec() as u64;
    Ok((us(u.user_time()), us(u.system_time())))
}

/// Runs `f` (which spawns and waits for children) and returns the CPU its children used.
fn child_cpu_of(f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<Cpu> {
    let (u0, s0) = children_cpu()?;
    f()?;
    let (u1, s1) = children_cpu()?;
    Ok(Cpu {
        user_us: u1 - u0,
        sys_us: s1 - s0,
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub user_us: u64,
    pub sys_us: u64,
}

impl Cpu {
    pub fn total_us(&self) -> u64 {
        self.user_us + self.sys_us
    }

    fn minus(&self, earlier: &Cpu) -> Cpu {
        Cpu {
            user_us: self.user_us.saturating_sub(earlier.user_us),
            sys_us: self.sys_us.saturating_sub(earlier.sys_us),
        }
    }
}

fn median(mut v: Vec<Cpu>) -> Cpu {
    v.sort_by_key(Cpu::total_us);
    v[v.len() / 2]
}

fn self_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding the bench binary")
}

fn run_checked(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn field(line: &str, key: &str) -> Option<u64> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// The agent polling `address` once, in a child process.
fn agent_poll_child(
    address: &str,
    community: &str,
    args: &AllArgs,
    vlan_contexts: bool,
    runs: u32,
) -> anyhow::Result<String> {
    let mut cmd = Command::new(self_exe()?);
    cmd.env(child::ENV_COMMUNITY, community)
        .args(["poll-child", "--address", address])
        .args(["--runs", &runs.to_string()])
        .args(["--max-repetitions", &args.max_repetitions.to_string()]);
    if !vlan_contexts {
        cmd.arg("--no-vlan-contexts");
    }
    run_checked(&mut cmd, "the agent's poll (child)")
}

/// net-snmp reading what the agent reads, one subtree at a time: one `snmpget` for the
/// scalars, one `snmpbulkwalk -Cr<M>` per column, and per VLAN context the same for the
/// per-VLAN columns.
fn netsnmp_walk(address: &str, s: &Subject, m: u32) -> anyhow::Result<usize> {
    let mut runs = 0;
    let mut get = Command::new("snmpget");
    get.env("MIBS", "")
        .args(["-v2c", "-c", &s.name, "-On", "-t", "2", "-r", "1", address]);
    for o in SCALARS {
        get.arg(oid_text(o));
    }
    run_checked(&mut get, "snmpget (net-snmp)")?;
    runs += 1;
    let mut walk = |community: &str, col: &[u32]| -> anyhow::Result<()> {
        let mut c = Command::new("snmpbulkwalk");
        c.env("MIBS", "").args([
            "-v2c",
            "-c",
            community,
            "-On",
            &format!("-Cr{m}"),
            "-t",
            "2",
            "-r",
            "1",
            address,
            &oid_text(col),
        ]);
        run_checked(&mut c, "snmpbulkwalk (net-snmp)")?;
        runs += 1;
        Ok(())
    };
    for g in GROUPS {
        for col in g.columns {
            walk(&s.name, col)?;
        }
    }
    if s.vlan_contexts {
        for vlan in minimum::vlans(&s.walk) {
            for g in PER_VLAN_GROUPS {
                for col in g.columns {
                    walk(&format!("{}@{vlan}", s.name), col)?;
                }
            }
        }
    }
    Ok(runs)
}

fn oid_text(o: &[u32]) -> String {
    o.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// Figures for one subject.
pub struct SubjectFigures {
    pub name: String,
    pub values: usize,
    pub vlan_contexts: usize,
    pub floor: minimum::Floor,
    pub agent_requests: u64,
    pub agent_varbinds: u64,
    pub netsnmp_requests: u64,
    pub netsnmp_processes: usize,
    pub agent_cpu: Cpu,
    pub netsnmp_cpu: Cpu,
    /// A child that starts, builds its runtime and polls nothing: the fixed cost.
    pub agent_floor_cpu: Cpu,
    /// One `snmpbulkwalk` of an empty subtree: net-snmp's fixed cost per process.
    pub netsnmp_floor_cpu: Cpu,
    /// CPU of 20 polls in one process, divided by 20: the poll without process start.
    pub agent_warm_cpu: Cpu,
    /// The real `lanready-agent poll --format json` (poll, decode, JSON), when it built.
    pub agent_binary_cpu: Option<Cpu>,
    /// The request datagrams of one poll, in order (for the capacity blast).
    pub recorded: Vec<Vec<u8>>,
    /// The largest answer of that poll, in bytes (the message-size limit is 65,507).
    pub largest_answer: usize,
    /// PDUs of the same poll when answers are capped at 1,500 bytes (Cisco IOS's default
    /// `snmp-server packetsize`), and whether that poll succeeded.
    pub agent_requests_1500: Option<u64>,
}

/// Builds `lanready-agent` in this binary's profile, beside it; None when that fails.
fn agent_binary() -> Option<PathBuf> {
    let exe = self_exe().ok()?;
    let dir = exe.parent()?;
    let release = dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(lanready_tests::workspace_root()).args([
        "build",
        "--quiet",
        "-p",
        "lanready-agent",
        "--bin",
        "lanready-agent",
    ]);
    if release {
        cmd.arg("--release");
    }
    let ok = cmd.status().is_ok_and(|s| s.success());
    let p = dir.join("lanready-agent");
    if !ok || !p.exists() {
        eprintln!("lanready-agent did not build: its CPU column is left out");
        return None;
    }
    Some(p)
}

fn agent_binary_poll(bin: &Path, address: &str, s: &Subject, args: &AllArgs) -> anyhow::Result<()> {
    let mut cmd = Command::new(bin);
    cmd.env("LANREADY_COMMUNITY", &s.name)
        .env("RUST_LOG", "error")
        .args(["poll", "--target", address, "--format", "json"])
        .args(["--max-repetitions", &args.max_repetitions.to_string()]);
    if !s.vlan_contexts {
        cmd.arg("--no-vlan-contexts");
    }
    run_checked(&mut cmd, "lanready-agent poll").map(drop)
}

fn measure_subject(
    s: &Subject,
    args: &AllArgs,
    agent_bin: Option<&Path>,
) -> anyhow::Result<SubjectFigures> {
    eprintln!("[{}] serving {} values", s.name, s.walk.values.len());
    let responder = Responder::start(dataset(s)?, &ResponderOptions::default())?;
    let address = responder.address();

    // (1) Round trips: the agent's poll, in-process, counted by the responder.
    let target = Target {
        address: address.clone(),
        credentials: Credentials::V2c {
            community: Secret::new(s.name.clone()),
        },
    };
    let opts = PollOptions {
        max_repetitions: args.max_repetitions,
        vlan_contexts: s.vlan_contexts,
        ..PollOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    responder.reset_counts();
    responder.record(true);
    let (walk, _) = rt
        .block_on(poll_with_stats(&target, &opts))
        .with_context(|| format!("the agent polling {}", s.name))?;
    responder.record(false);
    let agent = responder.counts(0);
    let recorded = responder.take_recorded(0);
    let served = dataset(s)?;
    let largest_answer = recorded
        .iter()
        .filter_map(|r| answer(r, &served, &ResponderOptions::default()))
        .map(|(bytes, _)| bytes.len())
        .max()
        .unwrap_or(0);
    let floor = minimum::floor(
        &s.walk,
        args.max_repetitions as usize,
        DEFAULT_MAX_VARBINDS,
        s.vlan_contexts,
    );

    // The same poll with answers capped at 1,500 bytes, as IOS does by default.
    let small = Responder::start(
        dataset(s)?,
        &ResponderOptions {
            max_message_size: 1500,
            ..ResponderOptions::default()
        },
    )?;
    let small_target = Target {
        address: small.address(),
        ..target.clone()
    };
    let agent_requests_1500 = rt
        .block_on(poll_with_stats(&small_target, &opts))
        .ok()
        .map(|_| small.counts(0).requests);
    drop(small);

    // net-snmp, one subtree at a time, counted the same way.
    responder.reset_counts();
    let netsnmp_processes = netsnmp_walk(&address, s, args.max_repetitions)?;
    let netsnmp_requests = responder.counts(0).requests;

    // (2) CPU, median of several runs each.
    eprintln!("[{}] CPU: {} runs each", s.name, args.runs);
    let mut agent_cpu = Vec::new();
    let mut netsnmp_cpu = Vec::new();
    for _ in 0..args.runs {
        agent_cpu.push(child_cpu_of(|| {
            agent_poll_child(&address, &s.name, args, s.vlan_contexts, 1).map(drop)
        })?);
        netsnmp_cpu.push(child_cpu_of(|| {
            netsnmp_walk(&address, s, args.max_repetitions).map(drop)
        })?);
    }
    let mut agent_floor = Vec::new();
    let mut netsnmp_floor = Vec::new();
    for _ in 0..args.runs {
        agent_floor.push(child_cpu_of(|| {
            agent_poll_child(&address, &s.name, args, s.vlan_contexts, 0).map(drop)
        })?);
        netsnmp_floor.push(child_cpu_of(|| {
            let mut c = Command::new("snmpbulkwalk");
            c.env("MIBS", "")
                .args(["-v2c", "-c", &s.name, "-On", "-Cr25", &address])
                .arg("1.3.6.1.4.1.99999");
            run_checked(&mut c, "snmpbulkwalk of an empty subtree").map(drop)
        })?);
    }
    let agent_binary_cpu = match agent_bin {
        Some(bin) => {
            let mut v = Vec::new();
            for _ in 0..args.runs {
                v.push(child_cpu_of(|| agent_binary_poll(bin, &address, s, args))?);
            }
            Some(median(v))
        }
        None => None,
    };
    const WARM: u32 = 20;
    let warm = child_cpu_of(|| {
        agent_poll_child(&address, &s.name, args, s.vlan_contexts, WARM).map(drop)
    })?;
    let warm = Cpu {
        user_us: warm.user_us / u64::from(WARM),
        sys_us: warm.sys_us / u64::from(WARM),
    };
    Ok(SubjectFigures {
        name: s.name.clone(),
        values: walk.values.len(),
        vlan_contexts: walk.vlan_contexts.len(),
        floor,
        agent_requests: agent.requests,
        agent_varbinds: agent.varbinds,
        netsnmp_requests,
        netsnmp_processes,
        agent_cpu: median(agent_cpu),
        netsnmp_cpu: median(netsnmp_cpu),
        agent_floor_cpu: median(agent_floor),
        netsnmp_floor_cpu: median(netsnmp_floor),
        agent_warm_cpu: warm,
        agent_binary_cpu,
        recorded,
        largest_answer,
        agent_requests_1500,
    })
}

/// Figures of the estate run.
pub struct EstateFigures {
    /// What polled: the library in a child process, or the real scan command.
    pub how: String,
    pub subject: String,
    pub switches: usize,
    pub concurrency: usize,
    pub ok: u64,
    pub failed: u64,
    pub requests: u64,
    pub wall: Duration,
    pub peak_rss_kb: u64,
    pub agent_cpu: Cpu,
    /// CPU of the bench process (the responder's thread) while the agent ran.
    pub responder_cpu: Cpu,
    /// Requests a second the responder sustains for this request mix (the blast).
    pub capacity_rps: f64,
    pub responder_threads: usize,
    /// The responder's threads ran on CPU 0 only.
    pub responder_pinned: bool,
}

impl EstateFigures {
    pub fn responder_bound(&self) -> Duration {
        Duration::from_secs_f64(self.requests as f64 / self.capacity_rps)
    }
}

/// Peak memory (VmHWM, kB) of a running child, sampled until it exits: VmHWM only grows, so
/// the last sample misses at most the final few milliseconds.
fn run_sampling_hwm(cmd: &mut Command, what: &str) -> anyhow::Result<(Duration, u64)> {
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut hwm = 0u64;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            hwm = hwm.max(kb);
        }
        if let Some(st) = child.try_wait()? {
            break st;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    // Exit 0 is "ready", 1 "not ready": both are a finished scan.
    if !matches!(status.code(), Some(0 | 1)) {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read as _;
            let _ = e.read_to_string(&mut err);
        }
        bail!("{what} failed ({status}): {}", err.trim());
    }
    Ok((wall, hwm))
}

/// The estate: one responder with an endpoint a switch, polled by the library in one child
/// process, then scanned by the real `lanready-agent scan` (when it built).
pub struct Estate {
    pub library: EstateFigures,
    pub scan: Option<EstateFigures>,
    /// Every run's wall / responder-bound ratios (library, scan), in run order; the figures
    /// above are the median run's.
    pub ratios: Vec<(f64, Option<f64>)>,
}

impl Estate {
    fn ratios(&self) -> (f64, Option<f64>) {
        let r = |f: &EstateFigures| f.wall.as_secs_f64() / f.responder_bound().as_secs_f64();
        (r(&self.library), self.scan.as_ref().map(r))
    }
}

fn measure_estate(
    s: &Subject,
    recorded: &[Vec<u8>],
    args: &AllArgs,
    agent_bin: Option<&Path>,
) -> anyhow::Result<Estate> {
    let data = dataset(s)?;
    let responder_threads = args.responder_threads;
    let endpoints = (0..args.switches)
        .map(|_| ("127.0.0.1:0".parse().expect("an address"), data.clone()))
        .collect();
    // Threads inherit the affinity of the thread that spawns them: pin this one while the
    // responder's threads start, then let it (and the children started later) go anywhere.
    let pinned = args.pin_responder && pin_this_thread(Some(0)).is_ok();
    let responder = Responder::start_many(
        endpoints,
        &ResponderOptions {
            threads: responder_threads,
            ..ResponderOptions::default()
        },
    );
    if pinned {
        pin_this_thread(None)?;
    }
    let responder = responder?;
    eprintln!(
        "[estate] {} endpoints of {}; blasting for capacity",
        args.switches, s.name
    );
    let capacity_rps = blast::capacity(responder.addresses(), recorded, Duration::from_secs(3))?;
    responder.reset_counts();
    let dir = tempdir()?;
    let list = dir.join("addresses.txt");
    let text: String = responder
        .addresses()
        .iter()
        .map(|a| format!("{a}\n"))
        .collect();
    std::fs::write(&list, text)?;
    eprintln!("[estate] polling {} switches (library)", args.switches);
    let mut line = String::new();
    let before = own_cpu()?;
    let agent_cpu = child_cpu_of(|| {
        let mut cmd = Command::new(self_exe()?);
        cmd.env(child::ENV_COMMUNITY, &s.name)
            .arg("estate-child")
            .arg("--addresses")
            .arg(&list)
            .args(["--concurrency", &args.concurrency.to_string()])
            .args(["--workers", &args.agent_workers.to_string()])
            .args(["--max-repetitions", &args.max_repetitions.to_string()]);
        if !s.vlan_contexts {
            cmd.arg("--no-vlan-contexts");
        }
        line = run_checked(&mut cmd, "the estate poll (child)")?;
        Ok(())
    })?;
    let responder_cpu = own_cpu()?.minus(&before);
    let get = |k: &str| field(&line, k).with_context(|| format!("{k} in {line:?}"));
    let library = EstateFigures {
        how: "library `snmp::poll`, one child process".into(),
        subject: s.name.clone(),
        switches: args.switches,
        concurrency: args.concurrency,
        ok: get("ok")?,
        failed: get("failed")?,
        requests: responder.total().requests,
        wall: Duration::from_micros(get("wall_us")?),
        peak_rss_kb: get("vm_hwm_kb")?,
        agent_cpu,
        responder_cpu,
        capacity_rps,
        responder_threads,
        responder_pinned: pinned,
    };

    let scan = match agent_bin {
        Some(bin) => {
            eprintln!(
                "[estate] scanning {} switches (lanready-agent scan)",
                args.switches
            );
            let plan = dir.join("estate.toml");
            std::fs::write(&plan, estate_plan(responder.addresses(), &s.name, args))?;
            responder.reset_counts();
            let before = own_cpu()?;
            let mut wall_hwm = (Duration::ZERO, 0);
            let agent_cpu = child_cpu_of(|| {
                let mut cmd = Command::new(bin);
                cmd.env("RUST_LOG", "error")
                    .arg("scan")
                    .arg("--plan")
                    .arg(&plan)
                    .arg("--out")
                    .arg(dir.join("report.json"));
                wall_hwm = run_sampling_hwm(&mut cmd, "lanready-agent scan")?;
                Ok(())
            })?;
            let responder_cpu = own_cpu()?.minus(&before);
            let requests = responder.total().requests;
            // Every switch answered the scan when each endpoint was asked as often as the
            // library's poll asked on average.
            let polled = (0..args.switches)
                .filter(|&i| responder.counts(i).requests > 0)
                .count() as u64;
            Some(EstateFigures {
                how: "`lanready-agent scan` (poll, decode, checks, report)".into(),
                subject: s.name.clone(),
                switches: args.switches,
                concurrency: args.concurrency,
                ok: polled,
                failed: args.switches as u64 - polled,
                requests,
                wall: wall_hwm.0,
                peak_rss_kb: wall_hwm.1,
                agent_cpu,
                responder_cpu,
                capacity_rps,
                responder_threads,
                responder_pinned: pinned,
            })
        }
        None => None,
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Estate {
        library,
        scan,
        ratios: Vec::new(),
    })
}

/// A site plan with one switch entry for each endpoint.
fn estate_plan(addresses: &[std::net::SocketAddr], community: &str, args: &AllArgs) -> String {
    let mut t = format!(
        "agent = \"lanready-bench\"\nconcurrency = {}\n\n[[sites]]\nname = \"estate\"\n\
         voice_vlan = 110\ndata_vlan = 10\nswitches = [\n",
        args.concurrency
    );
    for a in addresses {
        t.push_str(&format!(
            "  {{ address = \"{a}\", community = \"{community}\" }},\n"
        ));
    }
    t.push_str("]\n");
    t
}

fn serve(port: u16, endpoints: u16, files: &[PathBuf]) -> anyhow::Result<()> {
    let data = Dataset::from_files(files)?;
    let at = |i: u16| if port == 0 { 0 } else { port.saturating_add(i) };
    let r = Responder::start_many(
        (0..endpoints.max(1))
            .map(|i| (([127, 0, 0, 1], at(i)).into(), data.clone()))
            .collect(),
        &ResponderOptions::default(),
    )?;
    for a in r.addresses() {
        println!("{a}");
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Restricts the calling thread to `cpu`, or (None) lets it run on every CPU again.
fn pin_this_thread(cpu: Option<usize>) -> anyhow::Result<()> {
    use nix::sched::{CpuSet, sched_setaffinity};
    use nix::unistd::Pid;
    let mut set = CpuSet::new();
    match cpu {
        Some(c) => set.set(c)?,
        // Every CPU the set can name (the kernel keeps the ones that exist); not
        // available_parallelism, which reads the pinned mask itself.
        None => {
            for c in 0..CpuSet::count() {
                set.set(c)?;
            }
        }
    }
    sched_setaffinity(Pid::from_raw(0), &set).context("setting CPU affinity")
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("lanready-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn all(args: &AllArgs) -> anyhow::Result<()> {
    let machine = report::Machine::here();
    let subjects = subjects()?;
    let agent_bin = if args.estate_only {
        None
    } else {
        agent_binary()
    };
    let mut figures = Vec::new();
    for s in &subjects {
        figures.push(measure_subject(s, args, agent_bin.as_deref())?);
        if args.estate_only {
            break;
        }
    }
    // The estate is made of the first subject (the project's own 48-port access switch when
    // it is there).
    let estate_bin = if args.estate_only {
        agent_binary()
    } else {
        agent_bin.clone()
    };
    // A run on a shared 2-core machine varies by 10-20%: take several, report the median
    // (by the scan's ratio, or the library's without a scan) and list every run's ratios.
    let mut runs = Vec::new();
    for run in 1..=args.estate_runs.max(1) {
        eprintln!("[estate] run {run} of {}", args.estate_runs.max(1));
        runs.push(measure_estate(
            &subjects[0],
            &figures[0].recorded,
            args,
            estate_bin.as_deref(),
        )?);
    }
    let ratios: Vec<(f64, Option<f64>)> = runs.iter().map(Estate::ratios).collect();
    let key = |e: &Estate| {
        let (lib, scan) = e.ratios();
        scan.unwrap_or(lib)
    };
    runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let mut estate = runs.swap_remove(runs.len() / 2);
    estate.ratios = ratios;
    let text = report::render(&machine, args, &figures, &estate);
    write(&args.out, &text)?;
    eprintln!("wrote {}", args.out.display());
    print!("{}", report::summary(&figures, &estate));
    Ok(())
}

/// Writes the report, keeping the collector benchmark's section (written by
/// `src/bin/collector.rs` between its markers) from the file being replaced.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut text = text.to_string();
    if let Ok(old) = std::fs::read_to_string(path)
        && let Some(kept) = collector_section(&old)
    {
        text.push('\n');
        text.push_str(kept);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The collector section of an existing BENCHMARKS.md, markers included.
fn collector_section(old: &str) -> Option<&str> {
    const BEGIN: &str = "<!-- collector:begin -->";
    const END: &str = "<!-- collector:end -->";
    let start = old.find(BEGIN)?;
    let end = old[start..].find(END)? + start + END.len();
    Some(&old[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_keeps_the_collector_section() {
        let dir = std::env::temp_dir().join(format!("bench-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("B.md");
        std::fs::write(
            &p,
            "# old\nold figures\n<!-- collector:begin -->\n## 4. Collector\nx\n<!-- collector:end -->\n",
        )
        .unwrap();
        write(&p, "# Benchmarks\nnew figures\n").unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.starts_with("# Benchmarks\nnew figures\n"));
        assert!(!t.contains("old figures"));
        assert!(t.contains("<!-- collector:begin -->\n## 4. Collector\nx\n<!-- collector:end -->"));
        write(&p, "# again\n").unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            t.matches("collector:begin").count(),
            1,
            "kept once, not doubled"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
