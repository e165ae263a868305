//! `lanready-agent scan` end to end: the binary polls fixture switches served by snmpsim on
//! loopback (and a silent loopback port), and its reports are compared with golden files
//! (refresh with `UPDATE_GOLDEN=1`); then the gate judges each fresh report. Also the plan's
//! `--check-config` on the example plan, and a subnet sweep on loopback.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lanready_schema::{Report, Severity, Status, Verdict};
use lanready_tests::{Snmpsim, binary, workspace_root};

/// The scan time and report id every golden report carries.
pub const NOW: &str = "2026-11-25T12:00:00Z";
pub const REPORT_ID: &str = "00000000-0000-4000-8000-000000000001";

/// The sites of the end-to-end plan and their golden reports.
pub const SITES: [(&str, &str); 4] = [
    ("ready", "report-ready.json"),
    ("poe-budget", "report-poe-budget.json"),
    ("voice-qos", "report-voice-qos.json"),
    ("nopoe-unreachable", "report-nopoe-unreachable.json"),
];

pub fn golden_path(name: &str) -> PathBuf {
    workspace_root().join("tests/golden").join(name)
}

/// Compares `actual` with a golden file, or rewrites it when `UPDATE_GOLDEN=1`.
pub fn compare_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading {} ({e}); run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from this run, first at line {}:\n  expected: {}\n  actual:   {}\n\
             --- expected ---\n{expected}\n--- actual ---\n{actual}\n\
             (run with UPDATE_GOLDEN=1 to accept the new output)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

pub fn agent(args: &[&str]) -> Output {
    Command::new(binary("lanready-agent"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("running lanready-agent")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The end-to-end plan: one site per fixture scenario, all served by one snmpsim.
fn plan(sim: u16, silent: u16) -> String {
    format!(
        r#"agent = "lanready-test"

[[sites]]
name = "ready"
voice_vlan = 110
switches = [{{ address = "127.0.0.1:{sim}", community = "access48" }}]
[sites.phones]
class = 2

[[sites]]
name = "poe-budget"
voice_vlan = 110
switches = [{{ address = "127.0.0.1:{sim}", community = "stack3" }}]
[sites.phones]
class = 4
[sites.thresholds]
poe_headroom_pct = 0

[[sites]]
name = "voice-qos"
voice_vlan = 110
switches = [{{ address = "127.0.0.1:{sim}", community = "misconfigured" }}]
[sites.phones]
class = 2

[[sites]]
name = "nopoe-unreachable"
voice_vlan = 110
community = "nopoe"
switches = [
  "127.0.0.1:{sim}",
  {{ address = "127.0.0.1:{silent}", timeout_ms = 300, retries = 0 }},
]
"#
    )
}

/// Puts placeholders for this run's ports, so reports compare with golden files.
fn normalise(json: &str, sim: u16, silent: u16) -> String {
    json.replace(&format!("127.0.0.1:{sim}"), "127.0.0.1:SNMPSIM_PORT")
        .replace(&format!("127.0.0.1:{silent}"), "127.0.0.1:SILENT_PORT")
}

/// `scan` of one site of `plan` into `out`, at the golden reports' time and id.
pub fn scan(plan: &Path, site: &str, out: &Path) -> Output {
    agent(&[
        "scan",
        "--plan",
        plan.to_str().unwrap(),
        "--site",
        site,
        "--out",
        out.to_str().unwrap(),
        "--report-id",
        REPORT_ID,
        "--now",
        NOW,
    ])
}

/// [`scan`], which must succeed; the report's JSON.
pub fn scan_ok(plan: &Path, site: &str, out: &Path, sim: &Snmpsim) -> String {
    let o = scan(plan, site, out);
    assert!(
        o.status.success(),
        "scan {site}: {}\n{}",
        text(&o.stderr),
        sim.log()
    );
    std::fs::read_to_string(out).unwrap()
}

fn blockers<'a>(r: &'a Report, check: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.check == check && f.status == Status::Fail && f.severity == Severity::Blocker)
        .map(|f| f.port.as_deref().unwrap_or("-"))
        .collect()
}

fn statuses(r: &Report, check: &str) -> Vec<Status> {
    r.findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.status)
        .collect()
}

#[test]
fn scans_fixture_sites_matching_golden_reports_and_gates_them() {
    let sim = Snmpsim::fixtures(&["access48", "stack3", "misconfigured", "nopoe"]);
    // A loopback port that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.toml");
    std::fs::write(&plan_path, plan(sim.port(), silent_port)).unwrap();

    // Several sites and no --site: exit 2, naming them.
    let o = agent(&["scan", "--plan", plan_path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the plan has 4 sites (ready, poe-budget, voice-qos, nopoe-unreachable): choose one with --site"),
        "{}",
        text(&o.stderr)
    );

    let mut reports = Vec::new();
    for (site, golden) in SITES {
        let out = dir.path().join(format!("{site}.json"));
        let json = scan_ok(&plan_path, site, &out, &sim);
        let report: Report = serde_json::from_str(&json).unwrap();
        compare_golden(golden, &normalise(&json, sim.port(), silent_port));
        // The gate on the fresh report: 0 for the ready site, 1 for the others.
        let g = agent(&["gate", out.to_str().unwrap()]);
        let expected = if site == "ready" { 0 } else { 1 };
        assert_eq!(
            g.status.code(),
            Some(expected),
            "gate {site}:\n{}",
            text(&g.stdout)
        );
        reports.push(report);
    }

    // ready: access48 with class 2 phones.
    let r = &reports[0];
    assert_eq!(r.schema, "lanready.report/v1");
    assert_eq!((r.id.as_str(), r.generated_at.as_str()), (REPORT_ID, NOW));
    assert_eq!(r.verdict, Verdict::Ready, "{r:#?}");
    assert_eq!(r.counts.blockers + r.counts.warnings, 0);
    let sw = &r.switches[0];
    assert_eq!(sw.name.as_deref(), Some("hitchin-sw1"));
    assert_eq!(sw.user_ports, 48);
    assert_eq!(
        (
            sw.poe[0].budget_w,
            sw.poe[0].consumed_w,
            sw.poe[0].planned_w
        ),
        (740, 96, 336)
    );
    // Gi1/0/48 is shut: noted, not failed.
    let shut: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == "port.admin_down" && f.status == Status::Fail)
        .collect();
    assert_eq!(shut.len(), 1);
    assert_eq!(
        (shut[0].port.as_deref(), shut[0].severity),
        (Some("Gi1/0/48"), Severity::Info)
    );

    // poe-budget: stack3 with class 4 phones; member 2 (370 W) cannot power 24 x 30 W.
    let r = &reports[1];
    assert_eq!(r.verdict, Verdict::NotReady);
    assert_eq!(r.counts.blockers, 1, "{:#?}", r.findings);
    assert_eq!(r.findings[0].check, "poe.budget");
    assert!(
        r.findings[0]
            .message
            .starts_with("stack member 2 (PSE 2): 24 phones need 720 W"),
        "{}",
        r.findings[0].message
    );
    let poe: Vec<_> = r.switches[0]
        .poe
        .iter()
        .map(|p| (p.group, p.stack_member, p.budget_w, p.planned_w))
        .collect();
    assert_eq!(
        poe,
        vec![
            (1, Some(1), 740, 720),
            (2, Some(2), 370, 720),
            (3, Some(3), 740, 720)
        ]
    );
    // An mls qos platform: QoS is unknown, not passed or failed.
    assert_eq!(statuses(r, "qos.trust"), vec![Status::Unknown]);
    assert_eq!(statuses(r, "qos.uplink"), vec![Status::Unknown]);
    // Member 2's failed supply.
    let psu: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == "power.redundancy")
        .collect();
    assert_eq!(
        (psu.len(), psu[0].status, psu[0].severity),
        (1, Status::Fail, Severity::Warning)
    );

    // voice-qos: misconfigured fails on voice VLAN and QoS, not on PoE.
    let r = &reports[2];
    assert_eq!(r.verdict, Verdict::NotReady);
    assert_eq!(
        blockers(r, "voice_vlan.port"),
        vec!["Gi1/0/4", "Gi1/0/9", "Gi1/0/13", "Gi1/0/17", "Gi1/0/21"]
    );
    // The trunk's VLANs are fixed on the Port-channel, never on one member (a member
    // configured apart from its bundle is suspended from it).
    assert_eq!(blockers(r, "voice_vlan.trunk"), vec!["Po1"]);
    assert_eq!(blockers(r, "vlan.data"), vec!["Gi1/0/20"]);
    // A 3850 is IOS-XE: it trusts DSCP and CoS by default, so no input policy is no
    // blocker (csqIfTrustState is not what decides there); its missing egress priority
    // queues are, on the uplink members and (as warnings) on the sockets.
    assert_eq!(statuses(r, "qos.trust"), vec![Status::Pass]);
    assert_eq!(blockers(r, "qos.uplink"), vec!["Te1/1/1", "Te1/1/2"]);
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.check == "qos.egress" && f.status == Status::Fail)
            .count(),
        24
    );
    assert_eq!(statuses(r, "poe.budget"), vec![Status::Pass]);
    assert_eq!(statuses(r, "voice_vlan.exists"), vec![Status::Pass]);
    let fix = r
        .findings
        .iter()
        .find(|f| f.check == "voice_vlan.port" && f.port.as_deref() == Some("Gi1/0/4"))
        .and_then(|f| f.remediation.as_deref());
    assert_eq!(fix, Some("interface Gi1/0/4\n switchport voice vlan 110"));

    // nopoe-unreachable: a switch without PoE or voice VLAN, and one that never answers.
    let r = &reports[3];
    assert_eq!(r.verdict, Verdict::NotReady);
    assert_eq!(r.switches.len(), 2);
    assert!(r.switches[0].reachable);
    assert!(!r.switches[1].reachable);
    assert!(
        r.switches[1]
            .error
            .as_deref()
            .unwrap()
            .contains("no answer"),
        "{:?}",
        r.switches[1].error
    );
    let silent_addr = format!("127.0.0.1:{silent_port}");
    let theirs: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.switch == silent_addr)
        .collect();
    assert_eq!(theirs.len(), lanready_agent::checks::Check::ALL.len());
    assert_eq!(
        theirs
            .iter()
            .filter(|f| f.status == Status::Unknown)
            .count(),
        lanready_agent::checks::Check::ALL.len() - 1
    );
    assert_eq!(blockers(r, "switch.reachable"), vec!["-"]);
    assert_eq!(blockers(r, "poe.budget"), vec!["-"]);
    assert_eq!(blockers(r, "voice_vlan.exists"), vec!["-"]);
    assert_eq!(blockers(r, "voice_vlan.port").len(), 24);
    let duplex: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == "port.duplex" && f.status == Status::Fail)
        .collect();
    assert_eq!(duplex.len(), 1);
    assert_eq!(duplex[0].port.as_deref(), Some("Gi1/0/7"));
    drop(silent);
}

#[test]
fn sweeps_a_loopback_subnet_for_switches() {
    let sim = Snmpsim::fixtures(&["access48"]);
    let port = sim.port();
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.toml");
    // 127.0.0.0/30 is 127.0.0.1 (snmpsim) and 127.0.0.2 (nothing); 127.0.0.4/30 has no one.
    // 127.0.0.1 is also listed: it is polled once, as the listed switch, and still counts
    // as found in its subnet.
    std::fs::write(
        &plan_path,
        format!(
            r#"[[sites]]
name = "swept"
voice_vlan = 110
community = "access48"
timeout_ms = 500
retries = 0
switches = [
  {{ address = "127.0.0.0/30", port = {port} }},
  {{ address = "127.0.0.4/30", port = {port} }},
  "127.0.0.1:{port}",
]
[sites.phones]
class = 2
"#
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let o = scan(&plan_path, "swept", &out);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let addrs: Vec<_> = r.switches.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(addrs, vec![format!("127.0.0.1:{port}")]);
    assert_eq!(r.switches[0].verdict, Verdict::Ready);
    // The empty subnet blocks the site.
    assert_eq!(r.verdict, Verdict::NotReady);
    assert_eq!(r.findings[0].check, "switch.reachable");
    assert_eq!(r.findings[0].switch, format!("127.0.0.4/30 port {port}"));
    assert!(
        r.findings[0].message.contains("2 addresses probed"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn check_config_validates_the_example_plan_without_polling() {
    let example = workspace_root().join("examples/site.toml");
    let example = example.to_str().unwrap();
    let secret = "s3cret-from-env";
    let o = Command::new(binary("lanready-agent"))
        .args(["scan", "--plan", example, "--check-config"])
        .env("HITCHIN_COMMUNITY", secret)
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}{}", out, text(&o.stderr));
    assert!(out.contains("the plan is valid (2 sites)"), "{out}");
    assert!(
        out.contains("site hitchin: voice VLAN 110, phones 9.6 W each (cisco-8865 (9.6 W))"),
        "{out}"
    );
    assert!(
        out.contains("sweep 127.0.1.0/29 port 161: 6 addresses (SNMPv2c)"),
        "{out}"
    );
    assert!(out.contains("127.0.3.2:161 (SNMPv2c)"), "{out}");
    let all = format!("{out}{}", text(&o.stderr));
    assert!(
        !all.contains(secret) && !all.contains("hitchin-sw1") && !all.contains("letchworth-ro"),
        "{all}"
    );

    // Without the variable: exit 2, naming the file and the line (the first entry that
    // needs it: the subnet's).
    let line = std::fs::read_to_string(workspace_root().join("examples/site.toml"))
        .unwrap()
        .lines()
        .position(|l| {
            l.contains("address = \"127.0.1.0/29\", community_env = \"HITCHIN_COMMUNITY\"")
        })
        .unwrap()
        + 1;
    let o = Command::new(binary("lanready-agent"))
        .args(["scan", "--plan", example, "--check-config"])
        .env_remove("HITCHIN_COMMUNITY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "site.toml:{line}: community_env: the environment variable HITCHIN_COMMUNITY is not set"
        )),
        "{err}"
    );

    // A bad value: exit 2 with file, line and reason.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[sites]]\nname = \"x\"\nvoice_vlan = 5000\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n").unwrap();
    let o = agent(&["scan", "--plan", bad.to_str().unwrap(), "--check-config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("bad.toml:3: voice_vlan must be a VLAN id from 1 to 4094, not 5000"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn scans_over_snmpv3_with_keys_from_a_file_and_the_environment() {
    let user = lanready_tests::V3User::default();
    let sim = Snmpsim::start_v3(&lanready_tests::fixture_files(&["access48"]), &user);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("auth.key"), format!("{}\n", user.auth_key)).unwrap();
    let plan_path = dir.path().join("plan.toml");
    // snmpsim picks the file by v3 context; it has no Cisco `vlan-N` contexts, so the
    // per-VLAN BRIDGE-MIB reads are off (portfast is then unknown).
    std::fs::write(
        &plan_path,
        format!(
            r#"[[sites]]
name = "v3"
voice_vlan = 110
vlan_contexts = false
switches = ["{addr}"]
[sites.v3]
user = "{user}"
auth_protocol = "sha"
auth_key_file = "auth.key"
priv_protocol = "aes"
priv_key_env = "LANREADY_TEST_PRIV_KEY"
context = "access48"
[sites.phones]
class = 2
"#,
            addr = sim.address(),
            user = user.user
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let o = Command::new(binary("lanready-agent"))
        .args([
            "scan",
            "--plan",
            plan_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("LANREADY_TEST_PRIV_KEY", &user.priv_key)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}\n{}", text(&o.stderr), sim.log());
    let json = std::fs::read_to_string(&out).unwrap();
    assert!(!json.contains(&user.auth_key) && !json.contains(&user.priv_key));
    let r: Report = serde_json::from_str(&json).unwrap();
    assert!(r.switches[0].reachable, "{:?}", r.switches[0].error);
    assert_eq!(r.switches[0].name.as_deref(), Some("hitchin-sw1"));
    assert_eq!(r.counts.blockers, 0, "{:#?}", r.findings);
    assert_eq!(statuses(&r, "voice_vlan.port"), vec![Status::Pass]);
    assert_eq!(statuses(&r, "port.portfast"), vec![Status::Unknown]);
    // A warning check unknown costs half its weight, not the verdict (port.portfast over
    // v3 without the VLAN contexts, and security.errdisable, which access48 does not give).
    assert_eq!((r.score, r.verdict), (98, Verdict::Ready));

    // A wrong privacy key: the switch is unreachable, the site not ready, no key printed.
    let o = Command::new(binary("lanready-agent"))
        .args([
            "scan",
            "--plan",
            plan_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("LANREADY_TEST_PRIV_KEY", "wrong-priv-key")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json = std::fs::read_to_string(&out).unwrap();
    assert!(!json.contains("wrong-priv-key") && !text(&o.stderr).contains("wrong-priv-key"));
    let r: Report = serde_json::from_str(&json).unwrap();
    assert!(!r.switches[0].reachable);
    assert_eq!(r.verdict, Verdict::NotReady);
}

/// Every real recording of the shared corpus, decoded and checked offline: checks never
/// fail to produce a finding, every finding names its check and switch, and failures carry
/// evidence (the report is what a real site would get).
#[test]
fn every_corpus_recording_gets_a_complete_report() {
    use lanready_agent::plan::Plan;
    use lanready_agent::report::{ScanContext, SwitchOutcome, build};
    let Some(corpus) = lanready_tests::corpus_dir() else {
        panic!("the shared corpus is missing beside the project (../shared/corpus)");
    };
    let dir = corpus.join("recordings");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".snmprec") && !n.contains('@'))
        .map(|n| n.trim_end_matches(".snmprec").to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    let site = Plan::parse(
        "[[sites]]\nname = \"corpus\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n",
        Path::new("corpus.toml"),
    )
    .unwrap()
    .sites
    .remove(0);
    let ctx = ScanContext {
        now: time::macros::datetime!(2026-11-25 12:00 UTC),
        id: "corpus".into(),
        agent: "test".into(),
    };
    for name in names {
        let read = |p: &Path| {
            let bytes = std::fs::read(p).unwrap();
            // snmpsim reads files as ISO-8859-1.
            bytes.iter().map(|&b| b as char).collect::<String>()
        };
        let mut walk =
            lanready_mibs::Walk::from_snmprec(&read(&dir.join(format!("{name}.snmprec"))))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        for e in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let f = e.file_name().into_string().unwrap();
            let Some(vlan) = f
                .strip_prefix(&format!("{name}@"))
                .and_then(|r| r.strip_suffix(".snmprec"))
            else {
                continue;
            };
            let v = lanready_mibs::Walk::from_snmprec(&read(&e.path())).unwrap();
            walk.vlan_contexts.insert(vlan.parse().unwrap(), v.values);
        }
        let address = format!("{name}:161");
        let snap = lanready_mibs::decode::snapshot(&walk, &address);
        let outcome = SwitchOutcome {
            plan: site.switch_plan(&address, None),
            result: Ok(snap),
        };
        let r = build(&site, &[outcome], &[], &ctx);
        let checks: std::collections::BTreeSet<&str> =
            r.findings.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            checks.len(),
            lanready_agent::checks::Check::ALL.len(),
            "{name}: {checks:?}"
        );
        for f in &r.findings {
            assert_eq!(f.switch, address);
            if f.status == Status::Fail && f.severity != Severity::Info {
                assert!(
                    !f.evidence.is_empty() && f.remediation.is_some(),
                    "{name}: {f:#?}"
                );
            }
        }
        eprintln!(
            "{name}: {:?} score {}, {} user ports, {} blockers, {} warnings, {} unknown",
            r.verdict,
            r.score,
            r.switches[0].user_ports,
            r.counts.blockers,
            r.counts.warnings,
            r.counts.unknown
        );
    }
}
