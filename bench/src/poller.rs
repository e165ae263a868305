//! One subject's poller figures: PDUs against the floor and net-snmp's `snmpbulkwalk`, and
//! the client CPU of lanready's poll beside net-snmp's.

use super::*;

/// The agent polling `address` once, in a child process.
pub(crate) fn agent_poll_child(
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
pub(crate) fn netsnmp_walk(address: &str, s: &Subject, m: u32) -> anyhow::Result<usize> {
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

pub(crate) fn oid_text(o: &[u32]) -> String {
    o.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// Figures for one subject.
pub struct SubjectFigures {
    pub name: String,
    pub values: usize,
    pub vlan_contexts: usize,
    pub floor: minimum::Floor,
    pub agent_requests: u64,
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
pub(crate) fn agent_binary() -> Option<PathBuf> {
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

pub(crate) fn agent_binary_poll(
    bin: &Path,
    address: &str,
    s: &Subject,
    args: &AllArgs,
) -> anyhow::Result<()> {
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

pub(crate) fn measure_subject(
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
