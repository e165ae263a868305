//! Over every fixture and every corpus recording, decoded from its files and checked with a
//! Cisco-phone plan and an Avaya plan:
//! - every evidence item of the form `object.index = value` names a value that is in the
//!   walk, with that raw value ("no row": not in the walk);
//! - every line `gate --config` writes is a command the switch's platform accepts;
//! - no socket-only line (portfast, BPDU guard, voice VLAN, auto-QoS, speed, duplex, ...) is
//!   written on an interface that is not a socket.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lanready_agent::checks::ports;
use lanready_agent::gate::merged_config;
use lanready_agent::plan::Plan;
use lanready_agent::remediation::invalid_lines;
use lanready_agent::report::{ScanContext, SwitchOutcome, build};
use lanready_mibs::decode::snapshot;
use lanready_mibs::evidence::{NO_ROW, oid_of, render};
use lanready_mibs::{Oid, Value, Walk};
use lanready_schema::{Evidence, PortRole, Report, Snapshot};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Text as snmpsim reads a recording: UTF-8 where valid, else Latin-1; lines trimmed.
fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    };
    text.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Every device of a folder: its main file and its `name@VLAN` contexts.
fn devices(dir: &Path) -> Vec<(String, Walk)> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            let stem = p.file_stem()?.to_str()?.to_string();
            (p.extension()? == "snmprec" && !stem.contains('@')).then_some(stem)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let mut walk = Walk::from_snmprec(&read_text(&dir.join(format!("{name}.snmprec"))))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let file = p.file_name().unwrap().to_str().unwrap().to_string();
                if let Some(v) = file
                    .strip_prefix(&format!("{name}@"))
                    .and_then(|r| r.strip_suffix(".snmprec"))
                    .and_then(|v| v.parse::<u16>().ok())
                {
                    walk.vlan_contexts
                        .insert(v, Walk::from_snmprec(&read_text(&p)).unwrap().values);
                }
            }
            (name, walk)
        })
        .collect()
}

fn all_devices() -> Vec<(String, Walk)> {
    let mut out = devices(&root().join("tests/fixtures/snmprec"));
    let corpus = root().join("../shared/corpus/recordings");
    if corpus.is_dir() {
        out.extend(devices(&corpus));
    }
    out
}

fn plan(phones: &str) -> Plan {
    let text = format!(
        "[[sites]]\nname = \"t\"\nvoice_vlan = 110\ndata_vlan = 10\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n[sites.phones]\n{phones}\n"
    );
    Plan::parse(&text, Path::new("t.toml")).unwrap()
}

fn report_of(snap: &Snapshot, plan: &Plan) -> Report {
    let site = &plan.sites[0];
    let ctx = ScanContext {
        now: time::macros::datetime!(2026-12-01 12:00 UTC),
        id: "t".into(),
        agent: "t".into(),
    };
    build(
        site,
        &[SwitchOutcome {
            plan: site.switch_plan("127.0.0.1:161", None),
            result: Ok(snap.clone()),
        }],
        &[],
        &ctx,
    )
}

/// The value of `object.index` in the walk (any VLAN context for per-VLAN objects).
fn lookup<'a>(walk: &'a Walk, base: &[u32], index: &str) -> Result<Option<&'a Value>, String> {
    let arcs: Result<Vec<u32>, _> = index.split('.').map(str::parse::<u32>).collect();
    let arcs = arcs.map_err(|_| format!("index {index:?} is not numeric"))?;
    let oid = Oid::new(&[base, &arcs[..]].concat());
    Ok(walk
        .values
        .get(&oid)
        .or_else(|| walk.vlan_contexts.values().find_map(|c| c.get(&oid))))
}

/// Why an evidence item does not match the walk; None when it does (or names no object).
fn mismatch(walk: &Walk, e: &Evidence) -> Option<String> {
    let (name, index) = e.object.split_once('.')?;
    let base = oid_of(name)?;
    let value = match lookup(walk, base, index) {
        Ok(v) => v,
        Err(why) => return Some(why),
    };
    if e.value == NO_ROW {
        return value.map(|v| format!("says no row, the walk has {}", render(v)));
    }
    let Some(v) = value else {
        return Some("not in the walk".into());
    };
    let got = render(v);
    let raw = if e.value.starts_with('"') {
        // A quoted string: up to its closing quote; `(first line)` after it quotes the
        // start of the value.
        let end = quoted_end(&e.value);
        let (literal, rest) = e.value.split_at(end);
        if rest.trim() == "(first line)" {
            let text = v.as_text().unwrap_or_default();
            let first = format!("{:?}", text.lines().next().unwrap_or("").trim());
            return (first != literal)
                .then(|| format!("says {literal}, the walk's first line is {first}"));
        }
        literal.to_string()
    } else {
        e.value.split(" (").next().unwrap_or("").to_string()
    };
    if raw == "bitmap" {
        return (!matches!(v, Value::OctetString(_))).then(|| format!("not a bitmap: {got}"));
    }
    (raw != got).then(|| format!("says {raw}, the walk has {got}"))
}

/// The length of the Rust-quoted literal at the start of `s` (its closing quote included).
fn quoted_end(s: &str) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1,
            _ => escaped = false,
        }
    }
    s.len()
}

/// Lines only a socket may get.
const SOCKET_ONLY: &[&str] = &[
    "spanning-tree portfast",
    "spanning-tree bpduguard enable",
    "switchport voice vlan",
    "switchport access vlan",
    "switchport mode access",
    "auto qos voip",
    "mls qos trust",
    "speed auto",
    "duplex auto",
    "power inline",
    "authentication host-mode",
    "switchport port-security",
    "cdp enable",
    "lldp transmit",
    "lldp receive",
    "no shutdown",
];

#[test]
fn evidence_is_in_the_walk_and_fixes_fit_the_port_and_platform() {
    let plans = [
        ("cisco", plan("model = \"cisco-7965\"")),
        ("avaya", plan("model = \"avaya-9641g\"")),
    ];
    let mut checked = 0usize;
    let mut problems: Vec<String> = Vec::new();
    let devices = all_devices();
    assert!(devices.len() >= 17, "{} devices", devices.len());
    for (name, walk) in &devices {
        let snap = snapshot(walk, "127.0.0.1:161");
        for i in &snap.interfaces {
            for e in &i.role.as_ref().unwrap().evidence {
                checked += 1;
                if let Some(why) = mismatch(walk, e) {
                    problems.push(format!(
                        "{name} role of {}: {} = {}: {why}",
                        i.name, e.object, e.value
                    ));
                }
            }
        }
        for (label, plan) in &plans {
            let r = report_of(&snap, plan);
            for f in &r.findings {
                for e in &f.evidence {
                    checked += 1;
                    if let Some(why) = mismatch(walk, e) {
                        problems.push(format!(
                            "{name} ({label}) {} {}: {} = {}: {why}",
                            f.check,
                            f.port.as_deref().unwrap_or("-"),
                            e.object,
                            e.value
                        ));
                    }
                }
            }
            let cfg = merged_config(&r);
            for (n, line, why) in invalid_lines(&snap.platform, &cfg) {
                problems.push(format!("{name} ({label}) config line {n} `{line}`: {why}"));
            }
            if let Some(l) = cfg.lines().find(|l| l.starts_with("! (not written")) {
                problems.push(format!(
                    "{name} ({label}): a fix had a line the platform refuses: {l}"
                ));
            }
            // Socket-only lines only under sockets.
            let roles: BTreeMap<&str, PortRole> = snap
                .interfaces
                .iter()
                .zip(ports::roles(
                    &snap,
                    &plan.sites[0].switch_plan("127.0.0.1:161", None),
                ))
                .map(|(i, r)| (i.name.as_str(), r.role))
                .collect();
            // The interfaces the last head selected: one, or an `interface range`'s.
            let mut current: Vec<String> = Vec::new();
            for l in cfg.lines() {
                if let Some(list) = l.strip_prefix("interface range ") {
                    current = lanready_schema::ports::range_ports(list).unwrap_or_else(|| {
                        problems.push(format!("{name} ({label}): `{l}` is not a range"));
                        Vec::new()
                    });
                } else if let Some(ifname) = l.strip_prefix("interface ") {
                    current = vec![ifname.to_string()];
                } else if !l.starts_with(' ') {
                    current.clear();
                } else {
                    let body = l.trim();
                    for ifname in &current {
                        if SOCKET_ONLY.iter().any(|s| body.starts_with(s))
                            && roles.get(ifname.as_str()) != Some(&PortRole::User)
                        {
                            problems.push(format!(
                                "{name} ({label}): `{body}` on {ifname}, whose role is {:?}",
                                roles.get(ifname.as_str())
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} evidence items");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// What issue 11's "done when" asks, over every fixture and corpus recording, with a Cisco
/// plan and an Avaya plan: no qos.trust failure on IOS-XE without a policy that re-marks or
/// distrusts voice; no "no PoE" where ENTITY-MIB or POWER-ETHERNET-MIB shows PoE; no PoE
/// failure on a switch without sockets; no PSE group in two pools; no PoE pass with phones
/// unplaced; with Avaya phones, no CDP-only switch passing discovery and no `cisco-phone` line.
#[test]
fn platform_and_phone_judgements_hold_on_every_device() {
    use lanready_schema::Status;
    let plans = [
        ("cisco", plan("model = \"cisco-7965\"")),
        ("avaya", plan("model = \"avaya-9641g\"")),
    ];
    let mut problems: Vec<String> = Vec::new();
    let mut judged = 0usize;
    for (name, walk) in &all_devices() {
        let snap = snapshot(walk, "127.0.0.1:161");
        if snap.interfaces.is_empty() {
            continue;
        }
        for (label, plan) in &plans {
            let r = report_of(&snap, plan);
            judged += 1;
            let sockets = r.switches[0].user_ports;
            let of = |check: &'static str| r.findings.iter().filter(move |f| f.check == check);
            if snap.platform.family == "ios_xe" {
                for f in of("qos.trust").filter(|f| f.status == Status::Fail) {
                    let remarks = f.message.contains("re-marks")
                        || (*label == "avaya" && f.message.contains("trusts only Cisco phones"));
                    if !remarks {
                        problems.push(format!(
                            "{name} ({label}): IOS-XE qos.trust fail without a re-marking policy: {}",
                            f.message
                        ));
                    }
                }
            }
            let has_poe = !snap.poe.hardware.is_empty() || !snap.poe.modules.is_empty();
            for f in of("poe.budget").chain(of("poe.port")) {
                if has_poe && f.message.contains("has no PoE") {
                    problems.push(format!("{name} ({label}): `{}` on PoE hardware", f.message));
                }
                if sockets == 0 && f.status != Status::NotApplicable {
                    problems.push(format!(
                        "{name} ({label}): {} is {:?} on a switch without sockets",
                        f.check, f.status
                    ));
                }
            }
            let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
            for b in &r.switches[0].poe {
                for g in &b.groups {
                    if let Some(other) = seen.insert(*g, b.pool.as_deref().unwrap_or("?")) {
                        problems.push(format!(
                            "{name} ({label}): PSE group {g} in pools {other} and {:?}",
                            b.pool
                        ));
                    }
                }
            }
            let unplaced: u32 = r.switches[0].poe.iter().map(|b| b.unplaced_phones).sum();
            if unplaced > 0 && of("poe.budget").any(|f| f.status == Status::Pass) {
                problems.push(format!(
                    "{name} ({label}): poe.budget passes with {unplaced} phones unplaced"
                ));
            }
            if *label == "avaya" {
                let lldp_runs = snap.system.lldp_chassis_id.is_some();
                if !lldp_runs
                    && sockets > 0
                    && of("neighbours.discovery").any(|f| f.status == Status::Pass)
                {
                    problems.push(format!(
                        "{name}: LLDP does not run, yet discovery passes for Avaya phones"
                    ));
                }
                for l in merged_config(&r).lines() {
                    if !l.trim_start().starts_with('!') && l.contains("cisco-phone") {
                        problems.push(format!("{name} (avaya): config line `{l}`"));
                    }
                }
            }
        }
    }
    assert!(judged >= 30, "only {judged} device reports");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
