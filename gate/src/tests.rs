//! The rule over every golden report of the project: the decision, the text and the JUnit
//! tell the same story, with and without `--strict`.

use std::path::PathBuf;

use super::junit::{Outcome, suites};
use super::*;

/// Every golden report (tests/golden and tests/golden/platforms), by file name.
fn golden_reports() -> Vec<(String, Report)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("platforms")] {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                n.starts_with("report-") && n.ends_with(".json")
            })
            .collect();
        names.sort();
        for p in names {
            let text = std::fs::read_to_string(&p).unwrap();
            let r = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), r));
        }
    }
    assert!(out.len() >= 10, "golden reports: {}", out.len());
    out
}

fn golden(name: &str) -> Report {
    golden_reports()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

fn fresh(age: u64, stale: bool) -> Freshness {
    Freshness {
        age_seconds: age,
        stale_after_seconds: Some(3600),
        stale,
    }
}

#[test]
fn verdict_score_and_age_decide() {
    let ready = golden("report-ready.json");
    let none = Criteria::default();
    assert!(decide(&ready, None, &none).pass);
    let d = decide(
        &ready,
        None,
        &Criteria {
            min_score: Some(100),
            ..Criteria::default()
        },
    );
    assert_eq!(d.texts(), ["the score 99 is below --min-score 100"]);
    assert_eq!(d.reasons[0].case, SiteCase::MinScore);
    let d = decide(&ready, Some(&fresh(7200, true)), &none);
    assert_eq!(
        d.texts(),
        ["the latest scan is stale: 2h old, the collector expects one every 1h"]
    );
    let age = Criteria {
        max_age: Some(Duration::from_secs(600)),
        ..Criteria::default()
    };
    assert!(decide(&ready, Some(&fresh(600, false)), &age).pass);
    let d = decide(&ready, Some(&fresh(601, false)), &age);
    assert_eq!(
        d.texts(),
        ["the latest scan is 10m 1s old, more than --max-age 10m"]
    );
    // A report file's age is unknown: --max-age cannot judge it.
    assert!(decide(&ready, None, &age).pass);
    let bad = golden("report-voice-qos.json");
    let d = decide(&bad, None, &none);
    assert_eq!(d.texts(), ["the site is not ready (9 blockers)"]);
    assert_eq!(d.exit_code(), 1);
}

#[test]
fn at_risk_fails_only_with_strict() {
    let mut r = golden("report-ready.json");
    r.verdict = Verdict::AtRisk;
    assert!(decide(&r, None, &Criteria::default()).pass);
    let strict = Criteria {
        strict: true,
        ..Criteria::default()
    };
    let d = decide(&r, None, &strict);
    assert_eq!(d.texts(), ["the site is at risk and --strict is set"]);
}

/// A case fails exactly when it is a reason the gate fails: every failing check case is a
/// failing blocker (or, strict, warning), the verdict case fails exactly when the decision
/// has a verdict reason, and a failing check case always comes with a failing verdict.
#[test]
fn junit_cases_fail_exactly_for_the_gates_reasons() {
    for (name, r) in golden_reports() {
        for strict in [false, true] {
            let c = Criteria {
                strict,
                min_score: Some(80),
                ..Criteria::default()
            };
            let freshness = fresh(60, false);
            let d = decide(&r, Some(&freshness), &c);
            let s = suites(&r, Some(&freshness), &c, &d, &[]);
            let site = &s[0];
            assert_eq!(
                site.cases
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>(),
                ["site verdict", "site freshness", "site min score"]
            );
            let site_failures = site
                .cases
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
                .count();
            let cases_of_reasons = {
                let mut v: Vec<SiteCase> = d.reasons.iter().map(|r| r.case).collect();
                v.dedup();
                v.len()
            };
            assert_eq!(site_failures, cases_of_reasons, "{name} strict={strict}");
            assert_eq!(d.pass, site_failures == 0, "{name}");
            let verdict_fails = matches!(site.cases[0].outcome, Outcome::Failure { .. });
            let mut any_check_fails = false;
            for suite in &s[1..] {
                for case in &suite.cases {
                    let switch = case.classname.rsplit_once(&format!("{}.", r.site));
                    let switch = switch.map(|(_, s)| s).unwrap_or_default();
                    let fs: Vec<&Finding> = r
                        .findings
                        .iter()
                        .filter(|f| f.check == case.name && f.switch == switch)
                        .collect();
                    assert!(!fs.is_empty(), "{name}: {} on {switch}", case.name);
                    let failing = fs.iter().any(|f| fails(f, strict));
                    let unknown = fs.iter().any(|f| f.status == Status::Unknown);
                    match &case.outcome {
                        Outcome::Failure { .. } => assert!(failing, "{name}: {case:?}"),
                        Outcome::Skipped { .. } => assert!(!failing && unknown, "{name}"),
                        Outcome::Pass => assert!(!failing && !unknown, "{name}: {case:?}"),
                    }
                    any_check_fails |= failing;
                    // A failing warning without --strict is in the case's text.
                    if !strict
                        && fs
                            .iter()
                            .any(|f| f.status == Status::Fail && f.severity == Severity::Warning)
                    {
                        assert!(case.text.contains(&case.name), "{name}: {case:?}");
                    }
                }
            }
            if any_check_fails {
                assert!(
                    verdict_fails,
                    "{name}: a failing check without a failing verdict"
                );
            }
            let xml = junit::render(&r, &s).unwrap();
            let mut reader = quick_xml::Reader::from_str(&xml);
            let mut cases = 0;
            loop {
                match reader.read_event().expect("well-formed XML") {
                    quick_xml::events::Event::Eof => break,
                    quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                        if e.name().as_ref() == b"testcase" =>
                    {
                        cases += 1
                    }
                    _ => {}
                }
            }
            assert_eq!(cases, s.iter().map(|s| s.cases.len()).sum::<usize>());
        }
    }
}

#[test]
fn the_text_ends_with_the_decision_and_shows_the_age() {
    let bad = golden("report-voice-qos.json");
    let d = decide(&bad, Some(&fresh(120, false)), &Criteria::default());
    let t = text::render(&bad, Some(&fresh(120, false)), &d, &[]);
    assert!(
        t.contains("  latest scan 2m old; the collector expects one every 1h\n"),
        "{t}"
    );
    assert!(t.find("BLOCKERS (9)").unwrap() < t.find("WARNINGS (24)").unwrap());
    assert!(t.ends_with("RESULT: FAIL: the site is not ready (9 blockers)\n"));
}

#[test]
fn xml_escapes_what_it_must() {
    let mut r = golden("report-voice-qos.json");
    r.findings[0].message = "a <b> & \"c\"".into();
    let d = decide(&r, None, &Criteria::default());
    let xml = junit::junit(&r, None, &Criteria::default(), &d, &[]).unwrap();
    assert!(
        xml.contains("a &lt;b&gt; &amp; \"c\"") || xml.contains("a &lt;b&gt; &amp; &quot;c&quot;"),
        "{xml}"
    );
}

#[test]
fn foreign_broken_and_forged_documents_are_errors() {
    assert!(matches!(
        parse(r#"{"schema": "lanready.snapshot/v1"}"#),
        Err(ReportError::Schema { .. })
    ));
    assert!(matches!(parse("not json"), Err(ReportError::Parse(_))));
    let mut r = golden("report-voice-qos.json");
    r.verdict = Verdict::Ready;
    r.score = 100;
    let text = serde_json::to_string(&r).unwrap();
    assert!(matches!(parse(&text), Err(ReportError::Forged(_))));
}

#[test]
fn findings_alike_across_ports_are_one_entry_and_lose_no_port() {
    let voice = golden("report-voice-qos.json");
    let text = super::text::render(
        &voice,
        None,
        &decide(&voice, None, &Criteria::default()),
        &[],
    );
    // 24 sockets with the same missing egress queue: one entry, one range, one fix.
    assert!(text.contains("    24 ports     qos.egress"), "{text}");
    assert!(text.contains("ports: Gi1/0/1-24"), "{text}");
    assert!(
        text.contains("fix:  interface range Gi1/0/1 - 24\n"),
        "{text}"
    );
    assert_eq!(
        text.matches("auto qos voip cisco-phone").count(),
        1,
        "{text}"
    );
    // The same check with another fix (vlan.data's comment) stays its own entry.
    assert!(text.contains("    Gi1/0/20     vlan.data"), "{text}");
    // Readings that differ only by index are one line naming every index.
    assert!(
        text.contains("vmVoiceVlanId.{5,10,14,18,22} = 4096 (none)"),
        "{text}"
    );
    // On every golden report, each failed or unknown finding's port is still named.
    for (name, r) in golden_reports() {
        let text = super::text::render(&r, None, &decide(&r, None, &Criteria::default()), &[]);
        let unreachable: Vec<&str> = r
            .switches
            .iter()
            .filter(|s| !s.reachable)
            .map(|s| s.address.as_str())
            .collect();
        for f in r.findings.iter().filter(|f| f.status != Status::Pass) {
            let Some(port) = &f.port else { continue };
            if unreachable.contains(&f.switch.as_str()) {
                continue;
            }
            let named = text.lines().any(|l| {
                l.trim_start().starts_with(port.as_str())
                    || l.trim_start()
                        .strip_prefix("ports: ")
                        .is_some_and(|list| lanready_schema::ports::compact_contains(list, port))
            });
            assert!(named, "{name}: {} on {port} is not in the text", f.check);
        }
    }
}
