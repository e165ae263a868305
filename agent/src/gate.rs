//! The agent's side of the CI gate: reads a report file for [`lanready_gate`] (which judges
//! it, prints it and writes its JUnit, by the same rule as the collector's gate), and merges
//! the report's fixes into one IOS configuration per switch (`gate --config`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lanready_schema::{Finding, Report, Severity, Status};

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("reading the report {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Report {
        path: PathBuf,
        source: lanready_gate::ReportError,
    },
}

/// Reads a report file and checks it as the gate does ([`lanready_gate::parse`]).
pub fn load(path: &Path) -> Result<Report, GateError> {
    let text = std::fs::read_to_string(path).map_err(|source| GateError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    lanready_gate::parse(&text).map_err(|source| GateError::Report {
        path: path.to_path_buf(),
        source,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;
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
        let err = load(&p).unwrap_err();
        assert!(matches!(
            err,
            GateError::Report {
                source: lanready_gate::ReportError::Schema { .. },
                ..
            }
        ));
        assert!(
            err.to_string().starts_with(&format!("{}: ", p.display())),
            "{err}"
        );
        std::fs::write(&p, "not json").unwrap();
        assert!(matches!(
            load(&p),
            Err(GateError::Report {
                source: lanready_gate::ReportError::Parse(_),
                ..
            })
        ));
        assert!(matches!(
            load(&dir.path().join("none.json")),
            Err(GateError::Read { .. })
        ));
        std::fs::write(&p, serde_json::to_string(&report(false)).unwrap()).unwrap();
        assert_eq!(load(&p).unwrap(), report(false));
    }
}
