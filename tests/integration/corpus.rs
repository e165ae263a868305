//! The real-device corpus end to end: one snmpsim serves every recording of
//! `../shared/corpus/recordings`, the poller reads each over SNMP (per-VLAN contexts
//! included), and what came over the wire must be what the files hold (value by value, and
//! decoded into a snapshot), and agree with LibreNMS's expectations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lanready_mibs::decode::snapshot;
use lanready_mibs::poll::{GROUPS, PER_VLAN_GROUPS, SCALARS};
use lanready_mibs::{Oid, Value, Walk};
use lanready_schema::Snapshot;
use lanready_schema::secret::Secret;
use lanready_snmp::{Credentials, PollOptions, Target, poll};
use lanready_tests::{Snmpsim, corpus_dir, librenms};

/// Switches polled at once. snmpsim answers on one core, so more would only queue.
const CONCURRENCY: usize = 4;

/// vtpVlanState (CISCO-VTP-MIB), indexed by (management domain, VLAN): operational(1).
const VTP_VLAN_STATE: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 46, 1, 3, 1, 1, 2];

/// A file as snmpsim reads it: UTF-8 where valid, else ISO-8859-1, and each line stripped
/// of whitespace at both ends (Python's `str.strip()` in snmpsim's record parser). So a
/// value recorded with trailing spaces (the 9400's and 9500's entPhysicalSerialNum are
/// padded to 16 or 32 characters) goes over the wire without them; comparing with the
/// stripped line compares with what snmpsim serves.
fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    };
    let python_space = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
    text.lines()
        .map(|l| l.trim_matches(python_space))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_walk(path: &Path) -> Walk {
    Walk::from_snmprec(&read_text(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.snmprec` of `dir` (sorted), and the stems of the main recordings (not `name@N`,
/// which snmpsim serves as community `name@N`: a per-VLAN context of `name`).
fn recordings(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
        .collect();
    files.sort();
    let names = files
        .iter()
        .filter_map(|p| p.file_stem()?.to_str())
        .filter(|s| !s.contains('@'))
        .map(str::to_string)
        .collect();
    (files, names)
}

/// The recording `name` as read from its files: the main file, and each `name@N` file as
/// VLAN N's context.
fn file_walk(dir: &Path, name: &str) -> Walk {
    let mut walk = read_walk(&dir.join(format!("{name}.snmprec")));
    let prefix = format!("{name}@");
    for entry in std::fs::read_dir(dir).expect("the recordings folder") {
        let path = entry.expect("a directory entry").path();
        let Some(vlan) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(".snmprec"))
        else {
            continue;
        };
        let vlan: u16 = vlan
            .parse()
            .unwrap_or_else(|_| panic!("{}: not name@VLAN", path.display()));
        walk.vlan_contexts.insert(vlan, read_walk(&path).values);
    }
    walk
}

/// The VLANs whose contexts the poller reads (agent/src/snmp/vlan.rs, restated here so the
/// test does not take it from the code under test): operational in vtpVlanTable, except
/// VLAN 1 (the default context already is its bridge) and the FDDI/Token Ring defaults
/// 1002-1005.
fn contexts_to_read(file: &Walk) -> BTreeSet<u16> {
    file.subtree(VTP_VLAN_STATE)
        .filter(|(_, v)| matches!(v, Value::Integer(1)))
        .filter_map(|(idx, _)| match idx {
            [_domain, vlan] => u16::try_from(*vlan).ok(),
            _ => None,
        })
        .filter(|v| *v > 1 && *v < 4095 && !(1002..=1005).contains(v))
        .collect()
}

/// What the poller is asked to read of a recording: the poll plan's scalars and table
/// columns, and the per-VLAN columns in the contexts of [`contexts_to_read`] that the
/// recording has. The rest of a file is never asked for, so it cannot come over the wire.
///
/// This, not the whole file, is what the SNMP side is compared with: decoding the whole
/// file gives a different snapshot in two places, neither a fault of the conversation.
/// - `ios_c3560`: contexts `@10` ... `@178` are recorded, but vtpVlanState calls those
///   VLANs suspended(2), so the poller reads only VLAN 2's context: dot1dBasePortTable has
///   44 rows over SNMP, 53 from all the files (Fa0/25, ifIndex 10025, is an access port in
///   suspended VLAN 178; its bridge port 29 is only in `@178`).
/// - `iosxe_c9400-svl`: ifTable row 2 has only ifIndex (column 1) and ifLastChange (9),
///   columns the plan does not poll, and dot3StatsDuplexStatus.2: the whole file decodes an
///   interface "ifIndex 2"; over SNMP it is a dot3StatsTable row IF-MIB does not list.
fn plan_view(file: &Walk) -> Walk {
    let under = |values: &BTreeMap<Oid, Value>, groups: &[lanready_mibs::poll::Group]| {
        values
            .iter()
            .filter(|(oid, _)| {
                groups
                    .iter()
                    .flat_map(|g| g.columns)
                    .any(|c| oid.arcs().len() > c.len() && oid.starts_with(c))
            })
            .map(|(o, v)| (o.clone(), v.clone()))
            .collect::<BTreeMap<Oid, Value>>()
    };
    let mut values = under(&file.values, GROUPS);
    for s in SCALARS {
        if let Some(v) = file.get(s) {
            values.insert(Oid::new(s), v.clone());
        }
    }
    let vlan_contexts = contexts_to_read(file)
        .into_iter()
        .filter_map(|vlan| Some((vlan, under(file.vlan_contexts.get(&vlan)?, PER_VLAN_GROUPS))))
        .collect();
    Walk {
        values,
        vlan_contexts,
        problems: Vec::new(),
    }
}

/// Where two sets of varbinds differ: OIDs only one has, and OIDs whose values differ (the
/// first few of each, and how many).
fn values_diff(
    what: &str,
    snmp: &BTreeMap<Oid, Value>,
    file: &BTreeMap<Oid, Value>,
    out: &mut Vec<String>,
) {
    let missing: Vec<&Oid> = file.keys().filter(|o| !snmp.contains_key(*o)).collect();
    let extra: Vec<&Oid> = snmp.keys().filter(|o| !file.contains_key(*o)).collect();
    let changed: Vec<String> = file
        .iter()
        .filter_map(|(o, f)| {
            let s = snmp.get(o)?;
            (s != f).then(|| format!("{o}: over SNMP {s:?}, in the file {f:?}"))
        })
        .collect();
    let show = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    let names = |v: &[&Oid]| v.iter().map(|o| o.to_string()).collect::<Vec<_>>();
    if !missing.is_empty() {
        out.push(format!(
            "{what}: {} OIDs in the file did not come over SNMP: {}",
            missing.len(),
            show(&names(&missing))
        ));
    }
    if !extra.is_empty() {
        out.push(format!(
            "{what}: {} OIDs came over SNMP that the file's plan view lacks: {}",
            extra.len(),
            show(&names(&extra))
        ));
    }
    if !changed.is_empty() {
        out.push(format!(
            "{what}: {} values differ: {}",
            changed.len(),
            show(&changed)
        ));
    }
}

struct Polled {
    name: String,
    result: Result<Walk, String>,
    took: Duration,
}

/// Polls every recording over SNMP, at most [`CONCURRENCY`] at a time.
async fn poll_all(address: String, names: Vec<String>) -> Vec<Polled> {
    // Patient: snmpsim answers one request at a time for every poller here, and the poller
    // caps a VLAN context's timeout at 1 s, so a busy machine must not cost a context.
    let opts = PollOptions {
        timeout: Duration::from_secs(10),
        retries: 3,
        max_repetitions: 25,
        vlan_contexts: true,
        max_requests_per_second: None,
    };
    let mut pending = names.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut done = Vec::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some(name) = pending.next() else { break };
            let target = Target {
                address: address.clone(),
                credentials: Credentials::V2c {
                    community: Secret::new(&name),
                },
            };
            let opts = opts.clone();
            running.spawn(async move {
                let started = Instant::now();
                let result = poll(&target, &opts).await.map_err(|e| e.to_string());
                Polled {
                    name,
                    result,
                    took: started.elapsed(),
                }
            });
        }
        match running.join_next().await {
            Some(r) => done.push(r.expect("a poll task panicked")),
            None => break,
        }
    }
    done.sort_by(|a, b| a.name.cmp(&b.name));
    done
}

/// Where two lists differ: their lengths, and the first few elements that are not equal.
fn list_diff<T: PartialEq + std::fmt::Debug>(
    what: &str,
    snmp: &[T],
    file: &[T],
    out: &mut Vec<String>,
) {
    if snmp.len() != file.len() {
        out.push(format!(
            "{what}: {} over SNMP, {} from the file",
            snmp.len(),
            file.len()
        ));
    }
    for (k, (a, b)) in snmp
        .iter()
        .zip(file)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(3)
    {
        out.push(format!(
            "{what}[{k}]:\n  over SNMP: {a:?}\n  from file: {b:?}"
        ));
    }
}

fn value_diff<T: PartialEq + std::fmt::Debug>(
    what: &str,
    snmp: &T,
    file: &T,
    out: &mut Vec<String>,
) {
    if snmp != file {
        out.push(format!(
            "{what}:\n  over SNMP: {snmp:?}\n  from file: {file:?}"
        ));
    }
}

/// Whether a line of the poller's own problems (how the conversation went) is one this
/// corpus explains. The only one: a VLAN that vtpVlanTable calls operational but whose
/// `name@N` file the recording lacks. snmpsim silently drops a request for a community it
/// has no file for, so that context times out and the poller says it skipped it. Every
/// recording is sorted, so a non-increasing OID (snmpsim's answer from an unsorted file)
/// would be a failure here, as would any other line.
fn explained_walk_problem(line: &str, file: &Walk) -> bool {
    let Some((vlan, _)) = line
        .strip_prefix("VLAN ")
        .and_then(|r| r.split_once(" context: skipped: no answer"))
    else {
        return false;
    };
    vlan.parse::<u16>()
        .is_ok_and(|v| contexts_to_read(file).contains(&v) && !file.vlan_contexts.contains_key(&v))
}

/// How the snapshot decoded from the walk read over SNMP (`snmp`, whose walk reported
/// `walk_problems`) differs from the one decoded from the files (`file`).
fn snapshot_differences(snmp: &Snapshot, walk_problems: &[String], file: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    value_diff("system", &snmp.system, &file.system, &mut out);
    list_diff("stack", &snmp.stack, &file.stack, &mut out);
    list_diff(
        "power_supplies",
        &snmp.power_supplies,
        &file.power_supplies,
        &mut out,
    );
    list_diff("interfaces", &snmp.interfaces, &file.interfaces, &mut out);
    list_diff("vlans", &snmp.vlans, &file.vlans, &mut out);
    value_diff("poe", &snmp.poe, &file.poe, &mut out);
    value_diff("qos", &snmp.qos, &file.qos, &mut out);
    list_diff("neighbours", &snmp.neighbours, &file.neighbours, &mut out);
    value_diff("tables", &snmp.tables, &file.tables, &mut out);
    // The decoder starts `problems` with the walk's own lines, which a file cannot have
    // (each is checked by `explained_walk_problem`); what follows is what the decoder found
    // in the data, and that must be the same.
    let decoded: Vec<String> = match snmp.problems.strip_prefix(walk_problems) {
        Some(rest) => rest.to_vec(),
        None => {
            out.push("problems: the walk's lines do not lead the snapshot's".into());
            snmp.problems.clone()
        }
    };
    list_diff("problems", &decoded, &file.problems, &mut out);
    out
}

/// Every recording of the corpus, polled over SNMP through one snmpsim: no poll fails, the
/// snapshot equals the one decoded from the file (system, stack, power supplies, every
/// interface, VLANs, PoE, QoS, neighbours, table statuses, and the decoder's problem
/// lines), and for LibreNMS's recordings every port's access VLAN and trunk flag, the VLAN
/// table and the PoE budgets agree with `librenms-expected` (see `lanready_tests::librenms`
/// for where we could differ and why the MIB decides).
#[test]
fn every_recording_polled_over_snmp_decodes_as_its_file_and_agrees_with_librenms() {
    let Some(corpus) = corpus_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the shared corpus (../shared/corpus/recordings) is missing"
        );
        eprintln!("the shared corpus (../shared/corpus) is not here: nothing to poll");
        return;
    };
    let dir = corpus.join("recordings");
    let (files, names) = recordings(&dir);
    assert!(names.len() >= 8, "recordings: {names:?}");

    let started = Instant::now();
    let sim = Snmpsim::start(&files);
    let indexed = started.elapsed();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let polled = rt.block_on(poll_all(sim.address(), names.clone()));
    let polling = started.elapsed() - indexed;
    eprintln!(
        "snmpsim indexed {} files in {indexed:.1?}; {} recordings polled in {polling:.1?}",
        files.len(),
        polled.len()
    );

    let mut failures = Vec::new();
    let mut librenms_compared = 0;
    for p in &polled {
        let walk = match &p.result {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{}: the poll failed: {e}", p.name));
                continue;
            }
        };
        eprintln!(
            "  {}: {} values, VLAN contexts {:?}, {} walk problems, {:.1?}",
            p.name,
            walk.values.len(),
            walk.vlan_contexts.keys().collect::<Vec<_>>(),
            walk.problems.len(),
            p.took
        );
        let file = file_walk(&dir, &p.name);
        let want = plan_view(&file);
        let unread: Vec<u16> = file
            .vlan_contexts
            .keys()
            .filter(|v| !want.vlan_contexts.contains_key(v))
            .copied()
            .collect();
        if !unread.is_empty() {
            eprintln!(
                "    {}: VLAN contexts {unread:?} are recorded, but vtpVlanState does not call those VLANs operational: not read",
                p.name
            );
        }
        let mut d = Vec::new();
        for w in &walk.problems {
            if explained_walk_problem(w, &file) {
                eprintln!("    {}: walk problem (expected): {w}", p.name);
            } else {
                d.push(format!("walk problem: {w}"));
            }
        }
        values_diff("values", &walk.values, &want.values, &mut d);
        let (got_ctx, want_ctx): (Vec<u16>, Vec<u16>) = (
            walk.vlan_contexts.keys().copied().collect(),
            want.vlan_contexts.keys().copied().collect(),
        );
        if got_ctx != want_ctx {
            d.push(format!(
                "VLAN contexts read {got_ctx:?}, expected {want_ctx:?}"
            ));
        }
        for (vlan, values) in &want.vlan_contexts {
            if let Some(got) = walk.vlan_contexts.get(vlan) {
                values_diff(&format!("VLAN {vlan} context"), got, values, &mut d);
            }
        }
        let over_snmp = snapshot(walk, &p.name);
        let from_file = snapshot(&want, &p.name);
        d.extend(snapshot_differences(&over_snmp, &walk.problems, &from_file));
        for d in d {
            failures.push(format!("{}: over SNMP vs from the file: {d}", p.name));
        }
        if let Some(exp) = librenms::expected(&corpus, &p.name) {
            librenms_compared += 1;
            for d in librenms::differences(&over_snmp, &exp) {
                failures.push(format!("{}: ours vs LibreNMS: {d}", p.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}\nsnmpsim log (end):\n{}",
        failures.len(),
        failures.join("\n"),
        tail(&sim.log(), 3000)
    );
    assert_eq!(polled.len(), names.len());
    assert_eq!(
        librenms_compared, 7,
        "every librenms-expected file is compared"
    );
}

fn tail(s: &str, n: usize) -> &str {
    let start = s.len().saturating_sub(n);
    let start = (start..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[start..]
}
