//! The estate: 1,000 simulated switches scanned as one plan, wall time and memory high-water
//! mark against the per-switch figures.

use super::*;

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
pub(crate) fn run_sampling_hwm(cmd: &mut Command, what: &str) -> anyhow::Result<(Duration, u64)> {
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
    pub(crate) fn ratios(&self) -> (f64, Option<f64>) {
        let r = |f: &EstateFigures| f.wall.as_secs_f64() / f.responder_bound().as_secs_f64();
        (r(&self.library), self.scan.as_ref().map(r))
    }
}

pub(crate) fn measure_estate(
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
        how: "`lanready_snmp::poll`, one child process".into(),
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
pub(crate) fn estate_plan(
    addresses: &[std::net::SocketAddr],
    community: &str,
    args: &AllArgs,
) -> String {
    let mut t = format!(
        "agent = \"lanready-bench\"\nconcurrency = {}\n\n[[sites]]\nname = \"estate\"\n\
         voice_vlan = 110\ndata_vlan = 10\nmax_repetitions = {}\nswitches = [\n",
        args.concurrency, args.max_repetitions
    );
    for a in addresses {
        t.push_str(&format!(
            "  {{ address = \"{a}\", community = \"{community}\" }},\n"
        ));
    }
    t.push_str("]\n");
    t
}
