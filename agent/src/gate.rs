//! The agent's side of the CI gate: reads a report file for [`lanready_gate`] (which judges
//! it, prints it and writes its JUnit, by the same rule as the collector's gate), and merges
//! the report's fixes into one IOS configuration per switch (`gate --config`).

use std::path::{Path, PathBuf};

use lanready_schema::Report;

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

pub use lanready_works::config::merged_config;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;
    use crate::report::{ScanContext, SwitchOutcome, build};
    use lanready_schema::{Finding, Severity, Status};

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
