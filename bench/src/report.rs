//! BENCHMARKS.md: the machine, each figure as a ratio with its target and verdict, and the
//! standing analysis (what dominates each cost, why a target is missed, the plan), which
//! lives in `analysis.md` beside this file so that a rerun keeps it.

use std::fmt::Write as _;

use crate::{AllArgs, Cpu, Estate, EstateFigures, SubjectFigures};

/// Where the figures were taken.
pub struct Machine {
    pub date: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub commit: String,
    pub netsnmp: String,
    /// /proc/loadavg when the run started: other work on the machine skews every figure.
    pub load: String,
}

impl Machine {
    pub fn here() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let netsnmp = std::process::Command::new("snmpbulkwalk")
            .arg("--version")
            .output()
            .ok()
            .map(|o| {
                let t = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&t).trim().to_string()
            })
            .unwrap_or_default();
        let load = std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        Machine {
            load,
            date,
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cpu_model,
            commit,
            netsnmp,
        }
    }
}

const ANALYSIS: &str = include_str!("analysis.md");

fn ms(c: &Cpu) -> String {
    format!("{:.1} ms", c.total_us() as f64 / 1000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

/// The whole file.
pub fn render(m: &Machine, args: &AllArgs, subjects: &[SubjectFigures], estate: &Estate) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Benchmarks\n");
    let _ = writeln!(
        o,
        "Written by `cargo run --release -p lanready-bench -- all`; every figure below comes \
         from one run of it, side by side. Regenerate after any change to the poller.\n"
    );
    let _ = writeln!(
        o,
        "- Taken: {} at commit `{}`\n- Machine: {} CPUs, {}; load average at the start {} \
         (anything above 0 is other work sharing the cores)\n- net-snmp: {}\n- Responder: \
         the test tree's snmprec responder (`tests/src/responder.rs`, answers as snmpsim does, \
         64 varbinds a GETBULK at most); max-repetitions {} for the agent and `-Cr{}` for \
         net-snmp; CPU figures are the median of {} runs.\n",
        m.date,
        m.commit,
        m.cpus,
        m.cpu_model,
        m.load,
        m.netsnmp,
        args.max_repetitions,
        args.max_repetitions,
        args.runs
    );

    let _ = writeln!(o, "## 1. Round trips (PDUs to poll one switch)\n");
    let _ = writeln!(
        o,
        "Floor: one GET for the scalars plus, per table group, ceil(varbinds / per-request \
         limit), where the limit is columns x min(max-repetitions, 64 / columns), and never \
         fewer than ceil(longest column / max-repetitions), since a GETBULK moves each column \
         on by at most max-repetitions rows (a walker that reads each column from its start \
         cannot beat that on a sparse group). No request is counted for learning which \
         groups are empty or where a table ends. Counted by \
         the responder (requests received). net-snmp: one `snmpget` for the scalars and one \
         `snmpbulkwalk` per column. Target: agent <= 1.15x the floor, and fewer than net-snmp. \
         The response size limit (65,507 bytes) never binds here: the largest answer of a \
         poll was {} bytes.\n",
        subjects.iter().map(|s| s.largest_answer).max().unwrap_or(0)
    );
    let _ = writeln!(
        o,
        "| switch | values | floor | agent | agent / floor | net-snmp | agent / net-snmp | \
         empty groups | target |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for s in subjects {
        let r = s.agent_requests as f64 / s.floor.requests as f64;
        let n = s.agent_requests as f64 / s.netsnmp_requests as f64;
        let _ = writeln!(
            o,
            "| {} | {} (+{} VLAN contexts) | {} | {} | {:.2}x | {} | {:.2}x | {} of {} | {} |",
            s.name,
            s.values,
            s.vlan_contexts,
            s.floor.requests,
            s.agent_requests,
            r,
            s.netsnmp_requests,
            n,
            s.floor.empty_groups,
            s.floor.groups.len(),
            verdict(r <= 1.15 && s.agent_requests < s.netsnmp_requests)
        );
    }
    let _ = writeln!(
        o,
        "\nWith answers capped at 1,500 bytes (IOS's default `snmp-server packetsize`; the \
         64-varbind floor above then no longer holds, as answers of up to 64 values no \
         longer fit): {}.",
        subjects
            .iter()
            .map(|s| match s.agent_requests_1500 {
                Some(n) => format!("{} {} PDUs", s.name, n),
                None => format!("{}: the poll failed", s.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    for s in subjects {
        let _ = writeln!(
            o,
            "\n<details><summary>{}: the floor by group</summary>\n\n| group | columns | \
             varbinds | longest column | per request | floor |\n|---|---|---|---|---|---|",
            s.name
        );
        for g in s.floor.groups.iter().filter(|g| g.varbinds > 0) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                g.name, g.columns, g.varbinds, g.longest, g.per_request, g.requests
            );
        }
        let _ = writeln!(
            o,
            "\n{} groups are empty on this switch (floor 0 each).\n</details>",
            s.floor.empty_groups
        );
    }

    let _ = writeln!(o, "\n## 2. Client CPU (user+sys) against net-snmp\n");
    let _ = writeln!(
        o,
        "The agent: `lanready_snmp::poll` in a child process (start, tokio runtime, \
         poll, exit). net-snmp: the same subtrees with `snmpget` + `snmpbulkwalk` per column \
         (one process each) against the same responder. Target: agent <= 0.5x net-snmp.\n"
    );
    let _ = writeln!(
        o,
        "| switch | agent | net-snmp (processes) | agent / net-snmp | target | agent, warm \
         (per poll, 20 in one process) | agent process start alone | one `snmpbulkwalk` \
         process alone | `lanready-agent poll --format json` (poll + decode + JSON) |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for s in subjects {
        let r = s.agent_cpu.total_us() as f64 / s.netsnmp_cpu.total_us().max(1) as f64;
        let _ = writeln!(
            o,
            "| {} | {} | {} ({}) | {:.3}x | {} | {} | {} | {} | {} |",
            s.name,
            ms(&s.agent_cpu),
            ms(&s.netsnmp_cpu),
            s.netsnmp_processes,
            r,
            verdict(r <= 0.5),
            ms(&s.agent_warm_cpu),
            ms(&s.agent_floor_cpu),
            ms(&s.netsnmp_floor_cpu),
            s.agent_binary_cpu.as_ref().map_or_else(
                || "not built".to_string(),
                |c| format!(
                    "{} ({:.3}x net-snmp)",
                    ms(c),
                    c.total_us() as f64 / s.netsnmp_cpu.total_us().max(1) as f64
                )
            ),
        );
    }

    let _ = writeln!(o, "\n## 3. Estate scale\n");
    let lib = &estate.library;
    let _ = writeln!(
        o,
        "{} simulated `{}` switches (one responder endpoint each, distinct loopback ports), \
         polled {} at a time by one agent process: `lanready_snmp::poll` in a child \
         process ({}), and the real `lanready-agent scan` over a site \
         plan listing every endpoint (poll, decode, checks and the report of 1,000 \
         switches). The responder runs {} thread(s) in the bench process{}; its capacity for \
         this request mix is measured in the same run by replaying one poll's recorded \
         requests at it as fast as it answers. Responder-bound time = requests / capacity. \
         Targets: peak memory under 100 MB; wall time within 1.2x the responder-bound \
         time.\n",
        lib.switches,
        lib.subject,
        lib.concurrency,
        if args.agent_workers == 0 {
            "a current-thread tokio runtime, as `lanready-agent` uses".to_string()
        } else {
            format!("tokio, {} worker threads", args.agent_workers)
        },
        lib.responder_threads,
        if lib.responder_pinned {
            ", pinned to CPU 0 (the agent may use both CPUs)"
        } else {
            ", free to run on any CPU"
        }
    );
    let runs: Vec<&EstateFigures> = std::iter::once(lib).chain(estate.scan.as_ref()).collect();
    let _ = write!(o, "| figure |");
    for r in &runs {
        let _ = write!(o, " {} |", r.how);
    }
    let _ = writeln!(o, " target |");
    let _ = writeln!(o, "|---|{}---|", "---|".repeat(runs.len()));
    let row = |o: &mut String, name: &str, f: &dyn Fn(&EstateFigures) -> String, t: &str| {
        let _ = write!(o, "| {name} |");
        for r in &runs {
            let _ = write!(o, " {} |", f(r));
        }
        let _ = writeln!(o, " {t} |");
    };
    let bound_ratio = |r: &EstateFigures| r.wall.as_secs_f64() / r.responder_bound().as_secs_f64();
    let all_ratio_ok = runs.iter().all(|r| bound_ratio(r) <= 1.2 && r.failed == 0);
    let all_rss_ok = runs.iter().all(|r| (r.peak_rss_kb as f64 / 1024.0) < 100.0);
    row(
        &mut o,
        "switches polled",
        &|r| format!("{} ok, {} failed", r.ok, r.failed),
        "all",
    );
    row(
        &mut o,
        "wall time",
        &|r| {
            format!(
                "{:.2} s ({:.0} switches/s)",
                r.wall.as_secs_f64(),
                r.ok as f64 / r.wall.as_secs_f64()
            )
        },
        "",
    );
    row(
        &mut o,
        "requests",
        &|r| {
            format!(
                "{} ({:.1} a switch)",
                r.requests,
                r.requests as f64 / r.switches as f64
            )
        },
        "",
    );
    row(
        &mut o,
        "responder capacity",
        &|r| format!("{:.0} requests/s", r.capacity_rps),
        "",
    );
    row(
        &mut o,
        "responder-bound time",
        &|r| format!("{:.2} s", r.responder_bound().as_secs_f64()),
        "",
    );
    row(
        &mut o,
        "**wall / responder-bound**",
        &|r| format!("**{:.2}x**", bound_ratio(r)),
        &format!("<= 1.2x: {}", verdict(all_ratio_ok)),
    );
    row(
        &mut o,
        "**agent peak memory (VmHWM)**",
        &|r| format!("**{:.1} MB**", r.peak_rss_kb as f64 / 1024.0),
        &format!("< 100 MB: {}", verdict(all_rss_ok)),
    );
    row(
        &mut o,
        "agent CPU",
        &|r| {
            format!(
                "{} = {:.0} ms user + {:.0} ms sys",
                ms(&r.agent_cpu),
                r.agent_cpu.user_us as f64 / 1000.0,
                r.agent_cpu.sys_us as f64 / 1000.0
            )
        },
        "",
    );
    row(
        &mut o,
        "responder CPU during the run",
        &|r| {
            format!(
                "{} ({:.0}% of one core)",
                ms(&r.responder_cpu),
                r.responder_cpu.total_us() as f64 / 1e4 / r.wall.as_secs_f64()
            )
        },
        "",
    );
    row(
        &mut o,
        "CPU a request: agent, responder",
        &|r| {
            let per = |c: &Cpu| c.total_us() as f64 / r.requests.max(1) as f64;
            format!(
                "{:.1} us, {:.1} us",
                per(&r.agent_cpu),
                per(&r.responder_cpu)
            )
        },
        "",
    );
    row(
        &mut o,
        &format!("both, of the machine's {} cores", m.cpus),
        &|r| {
            format!(
                "{:.0}% busy",
                (r.agent_cpu.total_us() + r.responder_cpu.total_us()) as f64
                    / 1e4
                    / r.wall.as_secs_f64()
                    / m.cpus as f64
            )
        },
        "",
    );
    let list = |which: fn(&(f64, Option<f64>)) -> Option<f64>| {
        estate
            .ratios
            .iter()
            .filter_map(which)
            .map(|r| format!("{r:.2}x"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        o,
        "\n{} runs; the table is the median run (by the scan's ratio). Wall / responder-bound \
         of every run, in order: library {}",
        estate.ratios.len(),
        list(|r| Some(r.0))
    );
    if estate.scan.is_some() {
        let _ = write!(o, "; scan {}", list(|r| r.1));
    }
    let _ = writeln!(o, ".");
    let _ = writeln!(o, "\n{ANALYSIS}");
    o
}

/// A few lines for the terminal.
pub fn summary(subjects: &[SubjectFigures], estate: &Estate) -> String {
    let mut o = String::new();
    for s in subjects {
        let _ = writeln!(
            o,
            "{}: PDUs agent {} / floor {} ({:.2}x), net-snmp {}; CPU agent {} vs net-snmp {} \
             ({:.3}x)",
            s.name,
            s.agent_requests,
            s.floor.requests,
            s.agent_requests as f64 / s.floor.requests as f64,
            s.netsnmp_requests,
            ms(&s.agent_cpu),
            ms(&s.netsnmp_cpu),
            s.agent_cpu.total_us() as f64 / s.netsnmp_cpu.total_us().max(1) as f64
        );
    }
    for e in std::iter::once(&estate.library).chain(estate.scan.as_ref()) {
        let _ = writeln!(
            o,
            "estate ({}): {} switches in {:.2} s ({} failed), responder-bound {:.2} s \
             ({:.2}x), peak {:.1} MB",
            e.how,
            e.switches,
            e.wall.as_secs_f64(),
            e.failed,
            e.responder_bound().as_secs_f64(),
            e.wall.as_secs_f64() / e.responder_bound().as_secs_f64(),
            e.peak_rss_kb as f64 / 1024.0
        );
    }
    o
}
