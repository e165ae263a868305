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

/// What a later report of the site is compared against: a report's verdict and the
/// (check, switch) pairs whose findings all passed in it. Kept beside each stored report
/// (`report_basis`), so ingest need not read and parse the whole previous body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basis {
    pub verdict: Verdict,
    pub passed: BTreeSet<(String, String)>,
}

impl Basis {
    pub fn of(r: &Report) -> Basis {
        let mut by: BTreeMap<(&str, &str), bool> = BTreeMap::new();
        for f in &r.findings {
            let all = by
                .entry((f.check.as_str(), f.switch.as_str()))
                .or_insert(true);
            *all &= f.status == Status::Pass;
        }
        Basis {
            verdict: r.verdict,
            passed: by
                .into_iter()
                .filter(|(_, ok)| *ok)
                .map(|((c, s), _)| (c.to_string(), s.to_string()))
                .collect(),
        }
    }

    /// The passed pairs as stored: a JSON array of `[check, switch]`.
    pub fn passed_json(&self) -> String {
        serde_json::to_string(&self.passed).unwrap_or_else(|_| "[]".into())
    }

    /// A stored basis back: the report's verdict column and its `passed_json`.
    pub fn from_stored(verdict: &str, passed_json: &str) -> Option<Basis> {
        Some(Basis {
            verdict: parse_verdict(verdict)?,
            passed: serde_json::from_str(passed_json).ok()?,
        })
    }
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
/// then each failing blocker or warning whose check passed on its switch before, in `now`'s
/// order, once per (check, switch, port).
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
        if !before.passed.contains(&(f.check.clone(), f.switch.clone()))
            || !seen.insert((&f.check, &f.switch, &f.port))
        {
            continue;
        }
        out.push(Regression {
            kind: Kind::Finding,
            check: Some(f.check.clone()),
            switch: Some(f.switch.clone()),
            port: f.port.clone(),
            severity: Some(f.severity),
            was: "pass".into(),
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
        // The same report again, or a better one: nothing.
        assert!(between(&Basis::of(&now), &now).is_empty());
        assert!(between(&Basis::of(&now), &before).is_empty());
        // The basis as stored reads back the same.
        let b = Basis::of(&before);
        assert_eq!(
            Basis::from_stored(b.verdict.as_str(), &b.passed_json()),
            Some(b.clone())
        );
        assert_eq!(b.passed.len(), 3, "{b:?}");
        assert_eq!(Basis::from_stored("maybe", "[]"), None);
    }
}
