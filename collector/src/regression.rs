//! Regressions: what a site's new report does worse than the report scanned before it. A
//! blocker or warning that fails now where the check passed on that switch before, or a
//! verdict that got worse. Found at ingest, stored with both report ids; after the site's
//! cutover a regression is an incident. Pure.

use std::collections::{BTreeMap, BTreeSet};

use lanready_schema::{Finding, Report, Severity, Status, Verdict};

/// One regression between two reports of a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regression {
    /// `finding` (a check that passed now fails) or `verdict` (the verdict got worse).
    pub kind: Kind,
    pub check: Option<String>,
    pub switch: Option<String>,
    pub port: Option<String>,
    pub severity: Option<Severity>,
    /// What it was and is: `pass` / the finding's message, or the two verdicts.
    pub was: String,
    pub now: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Finding,
    Verdict,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Finding => "finding",
            Kind::Verdict => "verdict",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "finding" => Some(Kind::Finding),
            "verdict" => Some(Kind::Verdict),
            _ => None,
        }
    }
}

/// Worse is larger.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Ready => 0,
        Verdict::AtRisk => 1,
        Verdict::NotReady => 2,
    }
}

/// What a later report of the site is compared against: a report's verdict and, for each
/// (check, switch) it judged, the ports that did not pass (failed or unknown), empty where
/// every finding passed. Kept beside each stored report (`report_basis`), so ingest need not
/// read and parse the whole previous body. A check that passes on every port is one finding
/// without a port, so the ports that passed are not listed: a port counts as passed when its
/// (check, switch) was judged and the port was not among those that did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basis {
    pub verdict: Verdict,
    /// (check, switch) to the ports that did not pass, as a compact list (`Gi1/0/3-4`);
    /// `(switch)` stands for a finding of the switch as a whole.
    pub judged: BTreeMap<(String, String), String>,
}

/// The name a finding without a port has in a [`Basis`].
const WHOLE_SWITCH: &str = "(switch)";

impl Basis {
    pub fn of(r: &Report) -> Basis {
        let mut by: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
        for f in &r.findings {
            let not = by.entry((f.check.clone(), f.switch.clone())).or_default();
            if f.status != Status::Pass {
                not.push(f.port.as_deref().unwrap_or(WHOLE_SWITCH));
            }
        }
        Basis {
            verdict: r.verdict,
            judged: by
                .into_iter()
                .map(|(k, ports)| (k, lanready_schema::ports::compact(&ports)))
                .collect(),
        }
    }

    /// Whether `port` (None: the switch as a whole) passed `check` on `switch`.
    pub fn passed(&self, check: &str, switch: &str, port: Option<&str>) -> Option<Was> {
        let not = self.judged.get(&(check.to_string(), switch.to_string()))?;
        if not.is_empty() {
            return Some(Was::Passed);
        }
        let port = port.unwrap_or(WHOLE_SWITCH);
        let listed = |name: &str| lanready_schema::ports::compact_contains(not, name);
        (!listed(WHOLE_SWITCH) && !listed(port)).then_some(Was::NotFailing)
    }

    /// The basis as stored: a JSON array of `[check, switch, ports that did not pass]`.
    pub fn judged_json(&self) -> String {
        let rows: Vec<(&str, &str, &str)> = self
            .judged
            .iter()
            .map(|((c, s), p)| (c.as_str(), s.as_str(), p.as_str()))
            .collect();
        serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
    }

    /// A stored basis back: the report's verdict column and its [`Basis::judged_json`], or a
    /// basis stored before ports were kept (`[check, switch]` pairs whose findings all
    /// passed).
    pub fn from_stored(verdict: &str, json: &str) -> Option<Basis> {
        let judged = match serde_json::from_str::<Vec<(String, String, String)>>(json) {
            Ok(rows) => rows.into_iter().map(|(c, s, p)| ((c, s), p)).collect(),
            Err(_) => serde_json::from_str::<Vec<(String, String)>>(json)
                .ok()?
                .into_iter()
                .map(|k| (k, String::new()))
                .collect(),
        };
        Some(Basis {
            verdict: parse_verdict(verdict)?,
            judged,
        })
    }
}

/// How a port stood in the previous scan, when it counts as a regression now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Was {
    /// The check passed on every port of the switch.
    Passed,
    /// The check failed elsewhere on the switch, not on this port.
    NotFailing,
}

/// A verdict as `Verdict::as_str` spells it.
pub fn parse_verdict(s: &str) -> Option<Verdict> {
    [Verdict::Ready, Verdict::AtRisk, Verdict::NotReady]
        .into_iter()
        .find(|v| v.as_str() == s)
}

fn counts_against(f: &Finding) -> bool {
    f.status == Status::Fail && matches!(f.severity, Severity::Blocker | Severity::Warning)
}

/// What `now` does worse than `before` (the same site's previous scan): the verdict first,
/// then each failing blocker or warning on a (check, switch, port) that did not fail or go
/// unknown before, in `now`'s order, once each. A new failing socket on a switch where the
/// check already failed on other ports is a regression too.
pub fn between(before: &Basis, now: &Report) -> Vec<Regression> {
    let mut out = Vec::new();
    if rank(now.verdict) > rank(before.verdict) {
        out.push(Regression {
            kind: Kind::Verdict,
            check: None,
            switch: None,
            port: None,
            severity: None,
            was: before.verdict.as_str().into(),
            now: now.verdict.as_str().into(),
        });
    }
    let mut seen = BTreeSet::new();
    for f in now.findings.iter().filter(|f| counts_against(f)) {
        let Some(was) = before.passed(&f.check, &f.switch, f.port.as_deref()) else {
            continue;
        };
        if !seen.insert((&f.check, &f.switch, &f.port)) {
            continue;
        }
        out.push(Regression {
            kind: Kind::Finding,
            check: Some(f.check.clone()),
            switch: Some(f.switch.clone()),
            port: f.port.clone(),
            severity: Some(f.severity),
            was: match was {
                Was::Passed => "pass".into(),
                Was::NotFailing => "not failing (the check failed on other ports)".into(),
            },
            now: f.message.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: &str, port: Option<&str>, status: Status, severity: Severity) -> Finding {
        Finding {
            check: check.into(),
            severity,
            status,
            switch: "10.0.0.2:161".into(),
            port: port.map(Into::into),
            message: format!("{check} {port:?} {status:?}"),
            evidence: vec![],
            remediation: None,
        }
    }

    fn report(verdict: Verdict, findings: Vec<Finding>) -> Report {
        Report {
            verdict,
            findings,
            ..Report::default()
        }
    }

    #[test]
    fn a_check_that_passed_and_now_fails_is_a_regression() {
        use Severity::*;
        use Status::*;
        let before = report(
            Verdict::Ready,
            vec![
                finding("voice_vlan.port", None, Pass, Blocker),
                finding("port.portfast", None, Pass, Warning),
                finding("qos.trust", None, Unknown, Blocker),
                finding("port.admin_down", None, Pass, Info),
            ],
        );
        let now = report(
            Verdict::NotReady,
            vec![
                finding("voice_vlan.port", Some("Gi1/0/3"), Fail, Blocker),
                finding("voice_vlan.port", Some("Gi1/0/4"), Fail, Blocker),
                finding("voice_vlan.port", Some("Gi1/0/4"), Fail, Blocker),
                finding("port.portfast", Some("Gi1/0/9"), Fail, Warning),
                // Unknown before: not a regression when it fails now.
                finding("qos.trust", Some("Gi1/0/3"), Fail, Blocker),
                // Info failures do not count.
                finding("port.admin_down", Some("Gi1/0/5"), Fail, Info),
                // A check not in the previous report: nothing to compare.
                finding("poe.budget", None, Fail, Blocker),
            ],
        );
        let r = between(&Basis::of(&before), &now);
        let got: Vec<(Kind, Option<&str>, Option<&str>)> = r
            .iter()
            .map(|r| (r.kind, r.check.as_deref(), r.port.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Kind::Verdict, None, None),
                (Kind::Finding, Some("voice_vlan.port"), Some("Gi1/0/3")),
                (Kind::Finding, Some("voice_vlan.port"), Some("Gi1/0/4")),
                (Kind::Finding, Some("port.portfast"), Some("Gi1/0/9")),
            ]
        );
        assert_eq!(
            (r[0].was.as_str(), r[0].now.as_str()),
            ("ready", "not_ready")
        );
        // A new failing port where the check already failed on others is one too; a port
        // that failed or was unknown before is not.
        let later = report(
            Verdict::NotReady,
            vec![
                finding("voice_vlan.port", Some("Gi1/0/3"), Fail, Blocker),
                finding("voice_vlan.port", Some("Gi1/0/7"), Fail, Blocker),
                finding("port.portfast", Some("Gi1/0/9"), Fail, Warning),
            ],
        );
        let r2 = between(&Basis::of(&now), &later);
        let got: Vec<(Option<&str>, Option<&str>, &str)> = r2
            .iter()
            .map(|r| (r.check.as_deref(), r.port.as_deref(), r.was.as_str()))
            .collect();
        assert_eq!(
            got,
            [(
                Some("voice_vlan.port"),
                Some("Gi1/0/7"),
                "not failing (the check failed on other ports)"
            )]
        );
        // A check unknown for the whole switch before: no port of it regresses.
        let unknown = report(
            Verdict::AtRisk,
            vec![finding("qos.trust", None, Unknown, Blocker)],
        );
        let later = report(
            Verdict::AtRisk,
            vec![finding("qos.trust", Some("Gi1/0/1"), Fail, Blocker)],
        );
        assert!(between(&Basis::of(&unknown), &later).is_empty());
        // A basis stored before ports were kept reads as every port passed.
        let old = Basis::from_stored("ready", r#"[["voice_vlan.port","10.0.0.2:161"]]"#).unwrap();
        assert_eq!(
            old.passed("voice_vlan.port", "10.0.0.2:161", Some("Gi1/0/1")),
            Some(Was::Passed)
        );
        // The same report again, or a better one: nothing.
        assert!(between(&Basis::of(&now), &now).is_empty());
        assert!(between(&Basis::of(&now), &before).is_empty());
        // The basis as stored reads back the same.
        let b = Basis::of(&before);
        assert_eq!(
            Basis::from_stored(b.verdict.as_str(), &b.judged_json()),
            Some(b.clone())
        );
        assert_eq!(b.judged.len(), 4, "{b:?}");
        assert_eq!(Basis::from_stored("maybe", "[]"), None);
    }
}
