//! `lanready-agent gate` on the golden reports (which `scan.rs` proves are what a scan of the
//! fixture sites writes): exit codes, the blockers printed first and grouped by switch and
//! port, and JUnit XML that parses with the expected test cases.

use std::path::Path;
use std::process::{Command, Output};

use lanready_tests::binary;
use quick_xml::events::Event;

use crate::scan::golden_path;

fn gate(report: &Path, extra: &[&str]) -> Output {
    Command::new(binary("lanready-agent"))
        .arg("gate")
        .arg(report)
        .args(extra)
        .output()
        .expect("running lanready-agent gate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// One `<testcase>`: its suite, name, and outcome (`pass`, `failure:<type>`, `skipped`).
#[derive(Debug, PartialEq)]
struct Case {
    suite: String,
    name: String,
    outcome: String,
}

/// Parses JUnit XML with quick-xml.
fn junit_cases(xml: &str) -> Vec<Case> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases = Vec::new();
    let mut suite = String::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &str| -> String {
        e.try_get_attribute(name)
            .unwrap()
            .map(|a| a.unescape_value().unwrap().into_owned())
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                suite = attr(&e, "name")
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                cases.push(Case {
                    suite: suite.clone(),
                    name: attr(&e, "name"),
                    outcome: "pass".into(),
                })
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"failure" => {
                cases.last_mut().unwrap().outcome = format!("failure:{}", attr(&e, "type"));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"skipped" => {
                cases.last_mut().unwrap().outcome = "skipped".into();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

fn outcome<'a>(cases: &'a [Case], name: &str) -> Vec<&'a str> {
    cases
        .iter()
        .filter(|c| c.name == name)
        .map(|c| c.outcome.as_str())
        .collect()
}

#[test]
fn a_ready_site_passes() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = gate(
        &golden_path("report-ready.json"),
        &["--junit", junit.to_str().unwrap()],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("lanready gate: site ready: READY (score 99/100)"),
        "{out}"
    );
    assert!(!out.contains("BLOCKERS"), "{out}");
    assert!(out.contains("NOTES (2)"), "{out}");
    // The 2960's egress queueing is not in any MIB: unknown, with the command to check it.
    assert!(
        out.contains("\nUNKNOWN (verify by hand) (1)\n  switch 127.0.0.1:SNMPSIM_PORT (hitchin-sw1)\n    (switch)     qos.egress             unknown, verify by hand: mls qos egress queueing is not readable over SNMP; check `show mls qos interface <port> queueing`: the expedite queue on (`priority-queue out`)"),
        "{out}"
    );
    assert!(
        out.contains("    channel_member    2  Te1/0/1-2: member of Po1"),
        "{out}"
    );
    assert!(out.ends_with("RESULT: PASS\n"), "{out}");
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    // The site's verdict, then a case per check on the switch.
    assert_eq!(cases.len(), 22);
    assert_eq!(
        (cases[0].suite.as_str(), cases[0].name.as_str()),
        ("site ready", "site verdict")
    );
    assert!(
        cases[1..]
            .iter()
            .all(|c| c.suite == "127.0.0.1:SNMPSIM_PORT (hitchin-sw1)"),
        "{cases:#?}"
    );
    assert_eq!(outcome(&cases, "qos.egress"), vec!["skipped"]);
    assert!(
        cases
            .iter()
            .filter(|c| c.name != "qos.egress")
            .all(|c| c.outcome == "pass"),
        "{cases:#?}"
    );
    // --min-score at the score passes; above it fails.
    let o = gate(&golden_path("report-ready.json"), &["--min-score", "99"]);
    assert_eq!(o.status.code(), Some(0));
    let o = gate(&golden_path("report-ready.json"), &["--min-score", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).ends_with("RESULT: FAIL: the score 99 is below --min-score 100\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_site_short_of_poe_budget_fails() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = gate(
        &golden_path("report-poe-budget.json"),
        &["--junit", junit.to_str().unwrap()],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let blockers = out.find("\nBLOCKERS (1)\n  switch 127.0.0.1:SNMPSIM_PORT (hitchin-stack)\n    (switch)     poe.budget             stack member 2 (PSE 2): 24 phones need 720 W").expect(&out);
    let warnings = out.find("\nWARNINGS (1)").expect(&out);
    let unknown = out.find("\nUNKNOWN (verify by hand) (4)").expect(&out);
    assert!(blockers < warnings && warnings < unknown, "{out}");
    assert!(
        out.contains("fix:  ! stack member 2 (PSE 2) needs 350 W more PoE budget"),
        "{out}"
    );
    assert!(
        out.ends_with("RESULT: FAIL: the site is not ready (1 blocker)\n"),
        "{out}"
    );
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(cases.len(), 22);
    assert_eq!(
        outcome(&cases, "site verdict"),
        vec!["failure:site verdict"]
    );
    assert_eq!(outcome(&cases, "poe.budget"), vec!["failure:blocker"]);
    // A failing warning fails its case only with --strict, as it fails the gate.
    assert_eq!(outcome(&cases, "power.redundancy"), vec!["pass"]);
    let o = gate(
        &golden_path("report-poe-budget.json"),
        &["--strict", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let strict = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(
        outcome(&strict, "power.redundancy"),
        vec!["failure:warning"]
    );
    assert_eq!(outcome(&cases, "qos.trust"), vec!["skipped"]);
    assert_eq!(outcome(&cases, "qos.uplink"), vec!["skipped"]);
    assert_eq!(outcome(&cases, "voice_vlan.port"), vec!["pass"]);
}

#[test]
fn a_site_failing_on_voice_vlan_and_qos_fails() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = gate(
        &golden_path("report-voice-qos.json"),
        &["--junit", junit.to_str().unwrap()],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("\nBLOCKERS (9)\n  switch 127.0.0.1:SNMPSIM_PORT (hitchin-sw4)\n"),
        "{out}"
    );
    // In port order, the five sockets without the voice VLAN as one entry (their ports, one
    // range fix), then the Port-channel before its members (one entry for both).
    let a = out
        .find("    5 ports      voice_vlan.port        no voice VLAN")
        .expect(&out);
    let b = out
        .find("                 ports: Gi1/0/4, Gi1/0/9, Gi1/0/13, Gi1/0/17, Gi1/0/21\n")
        .expect(&out);
    let c = out.find("    Po1          voice_vlan.trunk ").expect(&out);
    let d = out.find("    2 ports      qos.uplink ").expect(&out);
    assert!(a < b && b < c && c < d, "{out}");
    assert!(
        out.contains("fix:  interface range Gi1/0/4, Gi1/0/9, Gi1/0/13, Gi1/0/17, Gi1/0/21\n"),
        "{out}"
    );
    for line in [
        "    Gi1/0/20     vlan.data              the data VLAN is the voice VLAN (110)",
        "    2 ports      qos.uplink             no output policy with a priority queue",
        "                 ports: Te1/1/1-2\n",
        "    Po1          voice_vlan.trunk       the trunk does not allow voice VLAN 110",
        "read: vlanTrunkPortVlansEnabled.32 = bitmap (allowed 1,10,99)",
        "! Apply to every member of Po1 alike, not to the Port-channel.",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // IOS-XE trusts DSCP by default: no trust blocker on the 3850.
    assert!(!out.contains(" qos.trust "), "{out}");
    // The members carry no socket lines.
    assert!(!out.contains("    Te1/1/1      voice_vlan.port"), "{out}");
    let notes = out.find("\nNOTES (1)").expect(&out);
    assert!(out.find("\nBLOCKERS").unwrap() < notes);
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    for failed in [
        "voice_vlan.port",
        "voice_vlan.trunk",
        "vlan.data",
        "qos.uplink",
    ] {
        assert_eq!(outcome(&cases, failed), vec!["failure:blocker"], "{failed}");
    }
    assert_eq!(outcome(&cases, "qos.egress"), vec!["pass"]);
    for passed in [
        "switch.reachable",
        "qos.trust",
        "poe.budget",
        "poe.port",
        "voice_vlan.exists",
    ] {
        assert_eq!(outcome(&cases, passed), vec!["pass"], "{passed}");
    }
}

#[test]
fn an_unreachable_switch_fails_the_site_and_its_checks_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = gate(
        &golden_path("report-nopoe-unreachable.json"),
        &["--junit", junit.to_str().unwrap()],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("  unreachable: 127.0.0.1:SILENT_PORT ("),
        "{out}"
    );
    assert!(
        out.contains(
            "  switch 127.0.0.1:SILENT_PORT\n    (switch)     switch.reachable       no SNMP answer"
        ),
        "{out}"
    );
    assert!(
        out.contains("  switch 127.0.0.1:SILENT_PORT\n    every check: the switch did not answer"),
        "{out}"
    );
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    let silent: Vec<_> = cases
        .iter()
        .filter(|c| c.suite == "127.0.0.1:SILENT_PORT")
        .collect();
    assert_eq!(silent.len(), 21);
    assert_eq!(silent.iter().filter(|c| c.outcome == "skipped").count(), 20);
    assert_eq!(silent[0].outcome, "failure:blocker");
    assert_eq!(cases.len(), 43);
}

#[test]
fn min_score_strict_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    // The ready report (score 99) judged with a plan whose ready_score is 100: at risk.
    let ready: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden_path("report-ready.json")).unwrap())
            .unwrap();
    let mut v = ready.clone();
    v["plan"]["ready_score"] = 100.into();
    v["verdict"] = "at_risk".into();
    v["switches"][0]["verdict"] = "at_risk".into();
    let at_risk = dir.path().join("at-risk.json");
    std::fs::write(&at_risk, v.to_string()).unwrap();
    assert_eq!(gate(&at_risk, &[]).status.code(), Some(0));
    let o = gate(&at_risk, &["--min-score", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).ends_with("RESULT: FAIL: the score 99 is below --min-score 100\n"),
        "{}",
        stdout(&o)
    );
    // A report edited to say "ready" over a failed blocker is not gated: exit 2, naming
    // what disagrees.
    let mut forged: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden_path("report-voice-qos.json")).unwrap(),
    )
    .unwrap();
    forged["verdict"] = "ready".into();
    forged["score"] = 100.into();
    let forged_path = dir.path().join("forged.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    for strict in [&[][..], &["--strict"][..]] {
        let o = gate(&forged_path, strict);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("the report's judgement disagrees with its findings")
                && err.contains("verdict ready but the findings make it not_ready"),
            "{err}"
        );
    }
    let o = gate(&at_risk, &["--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("at risk and --strict is set"));

    // Errors exit 2: no file, not JSON, another document, a bad flag.
    let missing = dir.path().join("missing.json");
    let o = gate(&missing, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("reading the report"),
        "{o:?}"
    );
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{ not json").unwrap();
    assert_eq!(gate(&junk, &[]).status.code(), Some(2));
    let other = dir.path().join("snapshot.json");
    std::fs::write(&other, r#"{"schema": "lanready.snapshot/v1"}"#).unwrap();
    let o = gate(&other, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("\"lanready.snapshot/v1\" document"),
        "{o:?}"
    );
    assert_eq!(
        gate(&at_risk, &["--min-score", "101"]).status.code(),
        Some(2)
    );
}

/// The gate's whole text, JUnit and merged IOS configuration for the failing sites, as
/// golden files: what a person reads in a CI log, what a CI system shows, what an engineer
/// applies.
#[test]
fn gate_text_and_junit_match_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    for (report, name) in [
        ("report-poe-budget.json", "poe-budget"),
        ("report-voice-qos.json", "voice-qos"),
        ("report-nopoe-unreachable.json", "nopoe-unreachable"),
    ] {
        let junit = dir.path().join(format!("{name}.xml"));
        let config = dir.path().join(format!("{name}.ios"));
        let o = gate(
            &golden_path(report),
            &[
                "--junit",
                junit.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(1));
        crate::scan::compare_golden(
            &format!("config-{name}.ios"),
            &std::fs::read_to_string(&config).unwrap(),
        );
        crate::scan::compare_golden(&format!("gate-{name}.txt"), &stdout(&o));
        crate::scan::compare_golden(
            &format!("junit-{name}.xml"),
            &std::fs::read_to_string(&junit).unwrap(),
        );
    }
}

/// Every golden report of the project (tests/golden and tests/golden/platforms).
fn every_golden_report() -> Vec<std::path::PathBuf> {
    let root = lanready_tests::workspace_root().join("tests/golden");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("platforms")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            if n.starts_with("report-") && n.ends_with(".json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One gate: for every golden report, `lanready-agent gate` on the file and
/// `lanready-collector gate` on the same report stored in a real collector give the same exit
/// code and the same JUnit (byte for byte: the same suites, cases, failures and skips), with
/// and without `--strict`, and with `--min-score` and `--max-age` judged alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_gates_judge_every_golden_report_alike() {
    use crate::collector::{Collector, Options, add_token, post};
    use lanready_collector::auth::TokenKind;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station", TokenKind::Agent, &[]);
    let ci = add_token(&db, "ci", TokenKind::ReadOnly, &[]);
    // The golden reports are dated 2026-11-25: a collector that expects a scan every ten
    // years finds none stale, as the agent's --max-age below does not.
    let c = Collector::start(
        &db,
        Options {
            stale_after: std::time::Duration::from_secs(3650 * 86_400),
            ..Options::default()
        },
    )
    .await;
    let reports = every_golden_report();
    assert!(reports.len() >= 15, "{reports:?}");
    let mut compared = 0;
    for path in &reports {
        let r: lanready_schema::Report =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let (status, body) = post(&c.url, &agent, &r).await;
        assert_eq!(
            status,
            reqwest::StatusCode::CREATED,
            "{}: {body}",
            path.display()
        );
        for extra in [
            &[][..],
            &["--strict"][..],
            &["--min-score", "75"][..],
            &["--strict", "--min-score", "90"][..],
        ] {
            let (a, b) = (
                dir.path().join("agent.xml"),
                dir.path().join("collector.xml"),
            );
            let common: Vec<String> = ["--max-age", "3650d"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect();
            let (path, url, site, token) =
                (path.clone(), c.url.clone(), r.site.clone(), ci.clone());
            let (a2, b2, common2) = (a.clone(), b.clone(), common.clone());
            let (agent_out, collector_out) = tokio::task::spawn_blocking(move || {
                let agent_out = Command::new(binary("lanready-agent"))
                    .arg("gate")
                    .arg(&path)
                    .args(&common2)
                    .arg("--junit")
                    .arg(&a2)
                    .output()
                    .unwrap();
                let collector_out = Command::new(binary("lanready-collector"))
                    .args(["gate", "--url", &url, "--site", &site, "--allow-http"])
                    .args(&common2)
                    .arg("--junit")
                    .arg(&b2)
                    .env("LANREADY_TOKEN", token.expose())
                    .output()
                    .unwrap();
                (agent_out, collector_out)
            })
            .await
            .unwrap();
            let what = format!("{} {common:?}", r.site);
            assert_eq!(
                agent_out.status.code(),
                collector_out.status.code(),
                "{what}:\nagent:\n{}\ncollector:\n{}{}",
                stdout(&agent_out),
                stdout(&collector_out),
                String::from_utf8_lossy(&collector_out.stderr)
            );
            assert!(matches!(agent_out.status.code(), Some(0 | 1)), "{what}");
            let (ja, jb) = (
                std::fs::read_to_string(&a).unwrap(),
                std::fs::read_to_string(&b).unwrap(),
            );
            assert_eq!(ja, jb, "{what}: the two gates' JUnit differ");
            // The cases fail exactly with the exit code: a failing site case iff exit 1.
            let cases = junit_cases(&ja);
            let site_failed = cases
                .iter()
                .any(|c| c.suite.starts_with("site ") && c.outcome.starts_with("failure"));
            assert_eq!(site_failed, agent_out.status.code() == Some(1), "{what}");
            compared += 1;
        }
    }
    assert_eq!(compared, reports.len() * 4);
    c.stop().await;
}
