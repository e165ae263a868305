//! The CI gate: reads a site report, decides pass or fail, prints the blockers first
//! (grouped by switch and port) for a person reading a CI log, and writes JUnit XML (one
//! test case per check and switch) for CI systems to display.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lanready_schema::{Finding, REPORT_SCHEMA, Report, Severity, Status, Verdict};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::checks::Check;

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("reading the report {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a lanready report: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} is a {found:?} document; this gate reads {REPORT_SCHEMA:?}", path.display())]
    Schema { path: PathBuf, found: String },
    #[error("{}: the report's judgement disagrees with its findings, so it cannot be gated: {}", path.display(), .wrong.join("; "))]
    Forged { path: PathBuf, wrong: Vec<String> },
    #[error("writing JUnit XML: {0}")]
    Xml(String),
}

/// What passes the gate.
#[derive(Clone, Debug, Default)]
pub struct GateOptions {
    /// The site's score must be at least this.
    pub min_score: Option<u8>,
    /// Fail an "at risk" site too (by default only "not ready" fails).
    pub strict: bool,
}

/// The gate's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub pass: bool,
    /// Why it failed, in words (empty when it passed).
    pub reasons: Vec<String>,
}

/// Reads and checks a report file.
pub fn load(path: &Path) -> Result<Report, GateError> {
    let text = std::fs::read_to_string(path).map_err(|source| GateError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Look at the schema first, so a newer or foreign document says so plainly.
    let found = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("schema").and_then(|s| s.as_str()).map(str::to_string));
    if let Some(found) = found.filter(|s| s != REPORT_SCHEMA) {
        return Err(GateError::Schema {
            path: path.to_path_buf(),
            found,
        });
    }
    let report: Report = serde_json::from_str(&text).map_err(|source| GateError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    // The verdict gated is the one the findings give under the shared scoring model: a report
    // edited to say "ready" over a failed blocker is an error, not a pass.
    let wrong = lanready_schema::score::disagreements(&report);
    if !wrong.is_empty() {
        return Err(GateError::Forged {
            path: path.to_path_buf(),
            wrong,
        });
    }
    Ok(report)
}

/// Passes when the site is not "not ready" (nor "at risk" with `strict`) and its score is
/// at least `min_score`.
pub fn decide(report: &Report, opts: &GateOptions) -> Decision {
    let mut reasons = Vec::new();
    match report.verdict {
        Verdict::NotReady => reasons.push(format!(
            "the site is not ready ({} blocker(s))",
            report.counts.blockers
        )),
        Verdict::AtRisk if opts.strict => {
            reasons.push("the site is at risk and --strict is set".to_string())
        }
        _ => {}
    }
    if let Some(min) = opts.min_score.filter(|&m| report.score < m) {
        reasons.push(format!(
            "the score {} is below --min-score {min}",
            report.score
        ));
    }
    Decision {
        pass: reasons.is_empty(),
        reasons,
    }
}

fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Ready => "READY",
        Verdict::AtRisk => "AT RISK",
        Verdict::NotReady => "NOT READY",
    }
}

/// The gate's text for a CI log: a headline, then failed blockers, failed warnings,
/// unknowns and notes, each grouped by switch and port, then the result.
pub fn render(report: &Report, decision: &Decision) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "lanready gate: site {}: {} (score {}/100)",
        report.site,
        verdict_words(report.verdict),
        report.score
    );
    let _ = writeln!(
        out,
        "  {} switch(es); {} blocker(s), {} warning(s), {} unknown, {} passed; report {} at {}",
        report.switches.len(),
        c.blockers,
        c.warnings,
        c.unknown,
        c.passed,
        report.id,
        report.generated_at
    );
    for sw in report.switches.iter().filter(|s| !s.reachable) {
        let _ = writeln!(
            out,
            "  unreachable: {} ({})",
            sw.address,
            sw.error.as_deref().unwrap_or("no answer")
        );
    }
    role_table(&mut out, report);
    type Pick = fn(&Finding) -> bool;
    let sections: [(&str, Pick); 4] = [
        ("BLOCKERS", |f| {
            f.status == Status::Fail && f.severity == Severity::Blocker
        }),
        ("WARNINGS", |f| {
            f.status == Status::Fail && f.severity == Severity::Warning
        }),
        ("UNKNOWN (verify by hand)", |f| f.status == Status::Unknown),
        ("NOTES", |f| {
            f.status == Status::Fail && f.severity == Severity::Info
        }),
    ];
    for (title, pick) in sections {
        let picked: Vec<&Finding> = report.findings.iter().filter(|f| pick(f)).collect();
        if picked.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} ({})", picked.len());
        // Unknowns of an unreachable switch are one line, not fifteen.
        let unreachable: Vec<&str> = report
            .switches
            .iter()
            .filter(|s| !s.reachable)
            .map(|s| s.address.as_str())
            .collect();
        let mut by_switch: Vec<(&str, Vec<&Finding>)> = Vec::new();
        for f in picked {
            match by_switch.iter_mut().find(|(s, _)| *s == f.switch) {
                Some((_, v)) => v.push(f),
                None => by_switch.push((&f.switch, vec![f])),
            }
        }
        for (switch, fs) in by_switch {
            let name = report
                .switches
                .iter()
                .find(|s| s.address == switch)
                .and_then(|s| s.name.as_deref())
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  switch {switch}{name}");
            if title.starts_with("UNKNOWN") && unreachable.contains(&switch) {
                let _ = writeln!(out, "    every check: the switch did not answer");
                continue;
            }
            for f in fs {
                write_finding(&mut out, f, title == "NOTES");
            }
        }
    }
    if decision.pass {
        let _ = writeln!(out, "\nRESULT: PASS");
    } else {
        let _ = writeln!(out, "\nRESULT: FAIL: {}", decision.reasons.join("; "));
    }
    out
}

/// The port roles of every switch that answered: which ports are sockets, and why the others
/// are not, so an engineer can see (and correct, with `[sites.ports] roles`) the view the
/// checks were made on.
fn role_table(out: &mut String, report: &Report) {
    let answered: Vec<_> = report
        .switches
        .iter()
        .filter(|s| !s.roles.is_empty())
        .collect();
    if answered.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nPORT ROLES");
    for sw in answered {
        let pf = sw
            .platform
            .as_ref()
            .map(|p| {
                format!(
                    ": {} ({}, {})",
                    p.model.as_deref().unwrap_or("model unknown"),
                    p.family,
                    p.stack_kind
                )
            })
            .unwrap_or_default();
        let name = sw
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  switch {}{name}{pf}", sw.address);
        for g in &sw.roles {
            let _ = writeln!(out, "    {}", crate::checks::ports::role_row(g));
        }
    }
}

fn write_finding(out: &mut String, f: &Finding, brief: bool) {
    let port = f.port.as_deref().unwrap_or("(switch)");
    let _ = writeln!(out, "    {port:<12} {:<22} {}", f.check, f.message);
    if brief {
        return;
    }
    let pad = " ".repeat(17);
    if !f.evidence.is_empty() {
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{} = {}", e.object, e.value))
            .collect();
        let _ = writeln!(out, "{pad}read: {}", ev.join("; "));
    }
    if let Some(fix) = &f.remediation {
        let mut lines = fix.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{pad}fix:  {first}");
        }
        for l in lines {
            let _ = writeln!(out, "{pad}      {l}");
        }
    }
}

/// The IOS configuration that fixes a report's failed blockers and warnings, per switch:
/// comments (advice) first, once each; then global blocks (a command with its indented
/// sub-mode lines: `vlan 110` / ` name VOICE`, a class-map, a policy-map), once each; then one
/// `interface` block per interface in port order with every fix's lines for it. Every line is
/// checked against the commands the switch's platform family accepts
/// ([`crate::remediation::invalid_lines`]); a line it does not know is written as a comment
/// instead. For an engineer to review and apply; lines starting with `!` are comments.
pub fn merged_config(report: &Report) -> String {
    let mut out = String::new();
    let mut switches: Vec<&str> = report.switches.iter().map(|s| s.address.as_str()).collect();
    for f in &report.findings {
        if !switches.contains(&f.switch.as_str()) {
            switches.push(&f.switch);
        }
    }
    for switch in switches {
        let fixes: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| {
                f.switch == switch && f.status == Status::Fail && f.severity != Severity::Info
            })
            .filter(|f| f.remediation.is_some())
            .collect();
        if fixes.is_empty() {
            continue;
        }
        let mut comments: Vec<&str> = Vec::new();
        let mut globals: Vec<Vec<&str>> = Vec::new();
        let mut interfaces: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in &fixes {
            let text = f.remediation.as_deref().unwrap_or("");
            // Blocks: a column-0 line and the indented lines after it.
            let mut blocks: Vec<Vec<&str>> = Vec::new();
            for l in text.lines() {
                if l.trim().is_empty() {
                    continue;
                }
                if l.starts_with('!') {
                    if !comments.contains(&l) {
                        comments.push(l);
                    }
                } else if l.starts_with(' ') {
                    match blocks.last_mut() {
                        Some(b) => b.push(l),
                        None => blocks.push(vec![l]),
                    }
                } else {
                    blocks.push(vec![l]);
                }
            }
            for b in blocks {
                if b[0].starts_with("interface ") {
                    let at = match interfaces.iter().position(|(k, _)| *k == b[0]) {
                        Some(i) => i,
                        None => {
                            interfaces.push((b[0], Vec::new()));
                            interfaces.len() - 1
                        }
                    };
                    for l in &b[1..] {
                        if !interfaces[at].1.contains(l) {
                            interfaces[at].1.push(l);
                        }
                    }
                } else if !globals.contains(&b) {
                    globals.push(b);
                }
            }
        }
        interfaces.sort_by(|a, b| crate::checks::ports::natural_cmp(a.0, b.0));
        let result = report.switches.iter().find(|s| s.address == switch);
        let name = result
            .and_then(|s| s.name.as_deref())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let mut body = String::new();
        for g in &globals {
            body.push_str("!\n");
            for l in g {
                body.push_str(l);
                body.push('\n');
            }
        }
        if !interfaces.is_empty() {
            body.push_str("!\n");
        }
        for (head, lines) in &interfaces {
            body.push_str(head);
            body.push('\n');
            for l in lines {
                body.push_str(l);
                body.push('\n');
            }
        }
        // Lines the platform does not accept are not written.
        let platform = result.and_then(|s| s.platform.clone()).unwrap_or_default();
        let bad = crate::remediation::invalid_lines(&platform, &body);
        let mut checked = String::new();
        for (n, l) in body.lines().enumerate() {
            match bad.iter().find(|(k, ..)| *k == n + 1) {
                Some((_, _, why)) => {
                    checked.push_str(&format!("! (not written: `{}`: {why})\n", l.trim()))
                }
                None => {
                    checked.push_str(l);
                    checked.push('\n');
                }
            }
        }
        let _ = writeln!(
            out,
            "! lanready: fixes for {switch}{name}, site {}, report {}\n! {} finding(s); review before applying.",
            report.site,
            report.id,
            fixes.len()
        );
        for c in comments {
            let _ = writeln!(out, "{c}");
        }
        out.push_str(&checked);
        let _ = writeln!(out, "end\n");
    }
    out
}

/// JUnit XML: a test suite per switch, a test case per check on it (failed for failed
/// blockers and warnings, skipped for unknowns).
pub fn junit(report: &Report) -> Result<String, GateError> {
    let xml = |e: std::io::Error| GateError::Xml(e.to_string());
    // (switch, check) -> findings, switches in report order.
    let mut switches: Vec<String> = report.switches.iter().map(|s| s.address.clone()).collect();
    let mut groups: BTreeMap<(usize, usize, String), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let si = match switches.iter().position(|s| *s == f.switch) {
            Some(i) => i,
            None => {
                switches.push(f.switch.clone());
                switches.len() - 1
            }
        };
        let ci = Check::from_id(&f.check)
            .and_then(|c| Check::ALL.iter().position(|x| *x == c))
            .unwrap_or(usize::MAX);
        groups.entry((si, ci, f.check.clone())).or_default().push(f);
    }
    let outcome = |fs: &[&Finding]| {
        if fs
            .iter()
            .any(|f| f.status == Status::Fail && f.severity != Severity::Info)
        {
            "failure"
        } else if fs.iter().any(|f| f.status == Status::Unknown) {
            "skipped"
        } else {
            "pass"
        }
    };
    let count = |si: Option<usize>, what: &str| {
        groups
            .iter()
            .filter(|((s, _, _), fs)| {
                si.is_none_or(|x| x == *s) && (what.is_empty() || outcome(fs) == what)
            })
            .count()
            .to_string()
    };

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(xml)?;
    let mut root = BytesStart::new("testsuites");
    let root_name = format!("lanready {}", report.site);
    root.push_attribute(("name", root_name.as_str()));
    root.push_attribute(("tests", count(None, "").as_str()));
    root.push_attribute(("failures", count(None, "failure").as_str()));
    root.push_attribute(("skipped", count(None, "skipped").as_str()));
    root.push_attribute(("timestamp", report.generated_at.as_str()));
    w.write_event(Event::Start(root)).map_err(xml)?;
    for (si, switch) in switches.iter().enumerate() {
        if !groups.keys().any(|(s, _, _)| *s == si) {
            continue;
        }
        let name = report
            .switches
            .iter()
            .find(|s| s.address == *switch)
            .and_then(|s| s.name.clone());
        let suite_name = match &name {
            Some(n) => format!("{switch} ({n})"),
            None => switch.clone(),
        };
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", suite_name.as_str()));
        suite.push_attribute(("tests", count(Some(si), "").as_str()));
        suite.push_attribute(("failures", count(Some(si), "failure").as_str()));
        suite.push_attribute(("errors", "0"));
        suite.push_attribute(("skipped", count(Some(si), "skipped").as_str()));
        suite.push_attribute(("timestamp", report.generated_at.as_str()));
        w.write_event(Event::Start(suite)).map_err(xml)?;
        for ((_, _, check), fs) in groups.range((si, 0, String::new())..(si + 1, 0, String::new()))
        {
            let mut case = BytesStart::new("testcase");
            let classname = format!("lanready.{}.{}", report.site, switch);
            case.push_attribute(("name", check.as_str()));
            case.push_attribute(("classname", classname.as_str()));
            w.write_event(Event::Start(case)).map_err(xml)?;
            let mut text = String::new();
            for f in fs {
                write_finding(&mut text, f, false);
            }
            match outcome(fs) {
                "failure" => {
                    let failed: Vec<&&Finding> = fs
                        .iter()
                        .filter(|f| f.status == Status::Fail && f.severity != Severity::Info)
                        .collect();
                    let blocker = failed.iter().any(|f| f.severity == Severity::Blocker);
                    let message = match failed.len() {
                        1 => failed[0].message.clone(),
                        n => format!("{n} findings, first: {}", failed[0].message),
                    };
                    let mut e = BytesStart::new("failure");
                    e.push_attribute(("message", message.as_str()));
                    e.push_attribute(("type", if blocker { "blocker" } else { "warning" }));
                    w.write_event(Event::Start(e)).map_err(xml)?;
                    w.write_event(Event::Text(BytesText::new(&text)))
                        .map_err(xml)?;
                    w.write_event(Event::End(BytesEnd::new("failure")))
                        .map_err(xml)?;
                }
                "skipped" => {
                    let first = fs
                        .iter()
                        .find(|f| f.status == Status::Unknown)
                        .expect("an unknown");
                    let mut e = BytesStart::new("skipped");
                    e.push_attribute(("message", first.message.as_str()));
                    w.write_event(Event::Empty(e)).map_err(xml)?;
                }
                _ => {
                    w.write_event(Event::Start(BytesStart::new("system-out")))
                        .map_err(xml)?;
                    w.write_event(Event::Text(BytesText::new(&text)))
                        .map_err(xml)?;
                    w.write_event(Event::End(BytesEnd::new("system-out")))
                        .map_err(xml)?;
                }
            }
            w.write_event(Event::End(BytesEnd::new("testcase")))
                .map_err(xml)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
            .map_err(xml)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(xml)?;
    let mut s = String::from_utf8(w.into_inner()).map_err(|e| GateError::Xml(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{FindingExt, testutil};
    use crate::report::{ScanContext, SwitchOutcome, build};

    fn report(break_it: bool) -> Report {
        let text = "[[sites]]\nname = \"lab\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\"]\n[sites.phones]\nclass = 2\n";
        let site = crate::plan::Plan::parse(text, Path::new("t.toml"))
            .unwrap()
            .sites
            .remove(0);
        let mut snap = testutil::ready();
        if break_it {
            let p = testutil::port(&mut snap, "Gi1/0/7");
            p.voice_vlan = None;
            p.voice_vlan_mode = Some("none".into());
            testutil::port(&mut snap, "Gi1/0/8").portfast = Some("disable".into());
        }
        let outcomes = vec![SwitchOutcome {
            plan: site.switch_plan("127.0.0.1:161", None),
            result: Ok(snap),
        }];
        let ctx = ScanContext {
            now: time::macros::datetime!(2026-11-25 12:00 UTC),
            id: "id-1".into(),
            agent: "t".into(),
        };
        build(&site, &outcomes, &[], &ctx)
    }

    #[test]
    fn decisions() {
        let ok = report(false);
        assert_eq!(ok.verdict, Verdict::Ready);
        assert!(decide(&ok, &GateOptions::default()).pass);
        let d = decide(
            &ok,
            &GateOptions {
                min_score: Some(101),
                strict: false,
            },
        );
        assert_eq!(d.reasons, vec!["the score 100 is below --min-score 101"]);
        let bad = report(true);
        assert_eq!(bad.verdict, Verdict::NotReady);
        let d = decide(&bad, &GateOptions::default());
        assert!(!d.pass);
        assert_eq!(d.reasons, vec!["the site is not ready (1 blocker(s))"]);
    }

    #[test]
    fn blockers_come_first_with_their_fix() {
        let bad = report(true);
        let text = render(&bad, &decide(&bad, &GateOptions::default()));
        let b = text.find("BLOCKERS (1)").expect(&text);
        let w = text.find("WARNINGS (1)").expect(&text);
        assert!(b < w, "{text}");
        assert!(
            text.contains("    Gi1/0/7      voice_vlan.port        no voice VLAN"),
            "{text}"
        );
        let fix = format!(
            "fix:  interface Gi1/0/7\n{} switchport voice vlan 110",
            " ".repeat(23)
        );
        assert!(text.contains(&fix), "{text}");
        assert!(
            text.ends_with("RESULT: FAIL: the site is not ready (1 blocker(s))\n"),
            "{text}"
        );
    }

    #[test]
    fn junit_escapes_and_counts() {
        let mut bad = report(true);
        // A message with characters XML must escape.
        bad.findings[0].message = "a <b> & \"c\"".into();
        bad.findings[0] = bad.findings[0].clone().evidence("x", "<y>");
        let xml = junit(&bad).unwrap();
        assert!(
            xml.contains("message=\"a &lt;b&gt; &amp; &quot;c&quot;\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testsuites name=\"lanready lab\" tests=\"21\" failures=\"2\" skipped=\"0\""
            ),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase name=\"voice_vlan.port\" classname=\"lanready.lab.127.0.0.1:161\">"
            ),
            "{xml}"
        );
    }

    #[test]
    fn merged_config_groups_fixes_by_interface() {
        let mut snap_report = report(true);
        // A second fix on Gi1/0/7, and one on another port, out of order.
        let extra = |port: &str, line: &str| Finding {
            check: "qos.trust".into(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: "127.0.0.1:161".into(),
            port: Some(port.into()),
            message: "m".into(),
            evidence: vec![],
            remediation: Some(format!("interface {port}\n {line}\n! (a note)")),
        };
        snap_report
            .findings
            .push(extra("Gi1/0/10", "auto qos voip cisco-phone"));
        snap_report
            .findings
            .push(extra("Gi1/0/7", "auto qos voip cisco-phone"));
        let cfg = merged_config(&snap_report);
        let expected = "! lanready: fixes for 127.0.0.1:161 (sw1), site lab, report id-1\n\
             ! 4 finding(s); review before applying.\n\
             ! (a note)\n\
             !\n\
             interface Gi1/0/7\n switchport voice vlan 110\n auto qos voip cisco-phone\n\
             interface Gi1/0/8\n spanning-tree portfast\n\
             interface Gi1/0/10\n auto qos voip cisco-phone\n\
             end\n\n";
        assert_eq!(cfg, expected);
        assert_eq!(merged_config(&report(false)), "");
        // A line the platform does not accept is never written: an mls-qos command on an
        // IOS-XE switch, a placeholder interface, the same global block twice.
        snap_report
            .findings
            .push(extra("Gi1/0/11", "mls qos trust dscp"));
        let mut odd = extra("Gi1/0/12", "x");
        odd.remediation =
            Some("interface <uplink>\n switchport mode trunk\nvlan 110\n name VOICE".into());
        snap_report.findings.push(odd.clone());
        snap_report.findings.push(odd);
        let cfg = merged_config(&snap_report);
        assert!(
            cfg.contains(
                "! (not written: `mls qos trust dscp`: not a command lanready knows on IOS-XE"
            ),
            "{cfg}"
        );
        assert!(
            cfg.contains("! (not written: `interface <uplink>`"),
            "{cfg}"
        );
        assert!(!cfg.lines().any(|l| l == " switchport mode trunk"), "{cfg}");
        assert_eq!(cfg.matches("vlan 110\n name VOICE").count(), 1, "{cfg}");
    }

    #[test]
    fn foreign_documents_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        std::fs::write(&p, r#"{"schema": "lanready.snapshot/v1"}"#).unwrap();
        assert!(matches!(load(&p), Err(GateError::Schema { .. })));
        std::fs::write(&p, "not json").unwrap();
        assert!(matches!(load(&p), Err(GateError::Parse { .. })));
        assert!(matches!(
            load(&dir.path().join("none.json")),
            Err(GateError::Read { .. })
        ));
        std::fs::write(&p, serde_json::to_string(&report(false)).unwrap()).unwrap();
        assert_eq!(load(&p).unwrap(), report(false));
    }
}
