//! lanready-bench: measures the agent's SNMP poll side by side with its references in one
//! run (round trips against the computed floor and against net-snmp's `snmpbulkwalk`, client
//! CPU against `snmpbulkwalk`, and 1,000 simulated switches against the responder's own
//! capacity) and writes the figures, as ratios, to BENCHMARKS.md.
//!
//! `cargo run --release -p lanready-bench -- all` (see the README). Network traffic stays on
//! loopback: every switch is an endpoint of the in-process responder.

mod blast;
mod child;
mod conditions;
mod estate;
mod minimum;
mod poller;
mod report;

use estate::{Estate, EstateFigures, measure_estate};
use poller::{SubjectFigures, agent_binary, measure_subject};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use lanready_mibs::Walk;
use lanready_mibs::poll::{GROUPS, PER_VLAN_GROUPS, SCALARS};
use lanready_schema::secret::Secret;
use lanready_snmp::{Credentials, PollOptions, Target, poll_with_stats};
use lanready_tests::responder::{
    DEFAULT_MAX_VARBINDS, Dataset, Responder, ResponderOptions, answer, read_snmprec,
};
use nix::sys::resource::{UsageWho, getrusage};

#[derive(Parser)]
#[command(about = "lanready's benchmarks, written to BENCHMARKS.md")]
enum Cli {
    /// Run every benchmark and write BENCHMARKS.md.
    All(AllArgs),
    /// Measure polls under real switches' conditions (answer caps, tooBig, a path dropping
    /// fragments, service time, a 180-VLAN chassis) and write that section of BENCHMARKS.md.
    Conditions {
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
    },
    /// Print the 1,500-byte floor of each subject, group by group.
    #[command(hide = true)]
    ByteFloor,
    /// Serve `.snmprec` files on a loopback port until killed (for profiling a client).
    Serve {
        /// Port on 127.0.0.1 (0: any free one; the addresses are printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Endpoints, each serving every file, on consecutive ports from --port (or free
        /// ports when --port is 0).
        #[arg(long, default_value_t = 1)]
        endpoints: u16,
        /// Trim GETBULK answers to this many bytes (IOS: 1,500).
        #[arg(long, default_value_t = lanready_tests::responder::DEFAULT_MAX_MESSAGE_SIZE)]
        max_message_size: usize,
        /// Never send answers over this many bytes (a path dropping fragments: 1,472).
        #[arg(long)]
        drop_over: Option<usize>,
        /// Answer each request after this many milliseconds, one at a time per endpoint.
        #[arg(long, default_value_t = 0)]
        service_ms: u64,
        /// Answer a GETBULK too large for --max-message-size with tooBig, not trimmed.
        #[arg(long)]
        too_big: bool,
        /// At most this many varbinds in a GETBULK answer (snmpsim: 64).
        #[arg(long, default_value_t = DEFAULT_MAX_VARBINDS)]
        max_varbinds: usize,
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
        Cli::Conditions { out } => run_conditions(&out),
        Cli::ByteFloor => {
            for s in subjects()? {
                let f = conditions::byte_floor(&s, &dataset(&s)?, 1500);
                println!("{}: {} requests, {} bytes", s.name, f.requests, f.bytes);
                for (name, n, bytes, req) in f.groups {
                    println!("  {name} {n} varbinds {bytes} bytes {req}");
                }
            }
            Ok(())
        }
        Cli::Serve {
            port,
            endpoints,
            max_message_size,
            drop_over,
            service_ms,
            too_big,
            max_varbinds,
            files,
        } => serve(
            port,
            endpoints,
            &files,
            &ResponderOptions {
                max_message_size,
                drop_over,
                service_time: Duration::from_millis(service_ms),
                too_big_bulk: too_big,
                max_varbinds,
                ..ResponderOptions::default()
            },
        ),
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

fn serve(
    port: u16,
    endpoints: u16,
    files: &[PathBuf],
    opts: &ResponderOptions,
) -> anyhow::Result<()> {
    let data = Dataset::from_files(files)?;
    let at = |i: u16| if port == 0 { 0 } else { port.saturating_add(i) };
    let r = Responder::start_many(
        (0..endpoints.max(1))
            .map(|i| (([127, 0, 0, 1], at(i)).into(), data.clone()))
            .collect(),
        opts,
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

fn run_conditions(out: &Path) -> anyhow::Result<()> {
    let subjects = subjects()?;
    let bin = agent_binary();
    let c = conditions::measure(&subjects, bin.as_deref())?;
    let section = conditions::render(&c);
    let old = std::fs::read_to_string(out).unwrap_or_default();
    let text = match section_of(&old, "conditions") {
        Some(s) => old.replacen(s, &section, 1),
        None => format!("{}\n{section}\n", old.trim_end()),
    };
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("{section}");
    Ok(())
}

/// Writes the report, keeping the sections other runs write between their markers (the
/// collector benchmark's, `src/bin/collector.rs`, and `conditions`') from the file being
/// replaced.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut text = text.to_string();
    if let Ok(old) = std::fs::read_to_string(path) {
        for name in ["collector", "conditions"] {
            if let Some(kept) = section_of(&old, name) {
                text.push('\n');
                text.push_str(kept);
                text.push('\n');
            }
        }
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The section `name` of an existing BENCHMARKS.md, markers included.
fn section_of<'a>(old: &'a str, name: &str) -> Option<&'a str> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = old.find(&begin)?;
    let stop = old[start..].find(&end)? + start + end.len();
    Some(&old[start..stop])
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
