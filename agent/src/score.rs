//! The scoring model: per-check weights, scores 0-100 per switch and per site, and the
//! verdict, where any failed blocker means "not ready" whatever the score. The model is
//! documented in `docs/checks.md`; change both together.

use std::collections::BTreeMap;

use lanready_schema::{Counts, Finding, Severity, Status, Verdict};

use crate::checks::Check;
use crate::plan::Thresholds;

/// The weight of a check in the score (the catalogue's). Blockers weigh most; info-only
/// checks nothing.
pub fn weight(check: Check) -> u32 {
    check.spec().weight
}

/// How one check did on one switch, from its findings there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every finding passed, or failed only at info severity.
    Pass,
    /// Nothing failed, but something could not be told.
    Unknown,
    /// A blocker or warning failed.
    Fail,
}

impl Outcome {
    /// Credit in halves: a pass earns 2, an unknown 1, a fail 0.
    fn halves(self) -> u64 {
        match self {
            Outcome::Pass => 2,
            Outcome::Unknown => 1,
            Outcome::Fail => 0,
        }
    }
}

/// The outcome of one check from its findings on one switch; None when it had none (or
/// it did not apply: a not-applicable check weighs nothing).
pub fn outcome<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Option<Outcome> {
    let mut out = None;
    for f in findings {
        let o = match (f.status, f.severity) {
            (Status::NotApplicable, _) => continue,
            (Status::Fail, Severity::Blocker | Severity::Warning) => Outcome::Fail,
            (Status::Unknown, _) => Outcome::Unknown,
            _ => Outcome::Pass,
        };
        out = Some(match (out, o) {
            (Some(Outcome::Fail), _) | (_, Outcome::Fail) => Outcome::Fail,
            (Some(Outcome::Unknown), _) | (_, Outcome::Unknown) => Outcome::Unknown,
            _ => Outcome::Pass,
        });
    }
    out
}

/// The score (0-100) of a set of findings: the weighted share of (switch, check) pairs that
/// passed, unknowns counting half. Findings of checks not in the catalogue weigh nothing.
/// With nothing weighed the score is 0.
pub fn score(findings: &[Finding]) -> u8 {
    let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups
            .entry((f.switch.as_str(), f.check.as_str()))
            .or_default()
            .push(f);
    }
    let (mut earned, mut total) = (0u64, 0u64);
    for ((_, check), fs) in groups {
        let Some(c) = Check::from_id(check) else {
            continue;
        };
        let w = u64::from(weight(c));
        if let Some(o) = outcome(fs) {
            earned += w * o.halves();
            total += w * 2;
        }
    }
    if total == 0 {
        return 0;
    }
    // Round half up, in integers.
    ((earned * 100 * 2 + total) / (total * 2)) as u8
}

/// The verdict: not ready when a blocker failed or the score is below `at_risk_score`; at
/// risk when a warning failed, a blocker check is unknown, or the score is below
/// `ready_score`; else ready.
pub fn verdict(findings: &[Finding], score: u8, t: &Thresholds) -> Verdict {
    let failed = |s: Severity| {
        findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity == s)
    };
    let blocker_unknown = findings
        .iter()
        .any(|f| f.status == Status::Unknown && f.severity == Severity::Blocker);
    if failed(Severity::Blocker) || score < t.at_risk_score {
        Verdict::NotReady
    } else if failed(Severity::Warning) || blocker_unknown || score < t.ready_score {
        Verdict::AtRisk
    } else {
        Verdict::Ready
    }
}

/// Counts findings: failed blockers, failed warnings, unknowns and passes (failed info
/// findings are in none of them).
pub fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        match (f.status, f.severity) {
            (Status::Fail, Severity::Blocker) => c.blockers += 1,
            (Status::Fail, Severity::Warning) => c.warnings += 1,
            (Status::Fail, Severity::Info) => {}
            (Status::Unknown, _) => c.unknown += 1,
            (Status::Pass, _) => c.passed += 1,
            (Status::NotApplicable, _) => c.not_applicable += 1,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(check: Check, status: Status, severity: Severity) -> Finding {
        Finding {
            check: check.id().into(),
            severity,
            status,
            switch: "sw".into(),
            port: None,
            message: String::new(),
            evidence: vec![],
            remediation: None,
        }
    }

    fn all(status: Status) -> Vec<Finding> {
        Check::ALL
            .iter()
            .map(|&c| f(c, status, c.severity()))
            .collect()
    }

    fn pos(c: Check) -> usize {
        Check::ALL.iter().position(|x| *x == c).unwrap()
    }

    /// Checks the score and verdict of a set of findings.
    fn check(findings: &[Finding], expected_score: u8, expected: Verdict) {
        let s = score(findings);
        assert_eq!(s, expected_score);
        assert_eq!(verdict(findings, s, &Thresholds::default()), expected);
    }

    #[test]
    fn scores_and_verdicts() {
        // The weights add up to 130.
        assert_eq!(Check::ALL.iter().map(|&c| weight(c)).sum::<u32>(), 130);
        check(&all(Status::Pass), 100, Verdict::Ready);
        check(&all(Status::Unknown), 50, Verdict::NotReady);
        check(&[], 0, Verdict::NotReady);

        // One failed blocker: not ready whatever the score (100 - 8/130 = 93.8).
        let mut v = all(Status::Pass);
        v[pos(Check::QosTrust)] = f(Check::QosTrust, Status::Fail, Severity::Blocker);
        check(&v, 94, Verdict::NotReady);

        // A failed warning: at risk (3 of 130 lost).
        let mut v = all(Status::Pass);
        v[pos(Check::Portfast)] = f(Check::Portfast, Status::Fail, Severity::Warning);
        check(&v, 98, Verdict::AtRisk);

        // QoS unknown on both checks (mls qos): 16 of 260 halves lost, at risk.
        let mut v = all(Status::Pass);
        v[pos(Check::QosTrust)].status = Status::Unknown;
        v[pos(Check::QosUplink)].status = Status::Unknown;
        check(&v, 94, Verdict::AtRisk);

        // An info failure costs nothing.
        let mut v = all(Status::Pass);
        v[pos(Check::PortAdminDown)] = f(Check::PortAdminDown, Status::Fail, Severity::Info);
        check(&v, 100, Verdict::Ready);

        // A warning-level finding inside a blocker check fails the check but not the verdict.
        let mut v = all(Status::Pass);
        v.push(f(Check::PoePort, Status::Fail, Severity::Warning));
        check(&v, 92, Verdict::AtRisk);

        // A check that does not apply weighs nothing: a failing port.errors stays a 3 of
        // 115 loss with the 15 points of poe.budget not applicable.
        let mut v = all(Status::Pass);
        v[pos(Check::PoeBudget)].status = Status::NotApplicable;
        v[pos(Check::PortErrors)] = f(Check::PortErrors, Status::Fail, Severity::Warning);
        check(&v, 97, Verdict::AtRisk);
    }

    #[test]
    fn counts_by_kind() {
        let mut v = all(Status::Pass);
        v.push(f(Check::PoePort, Status::Fail, Severity::Blocker));
        v.push(f(Check::Portfast, Status::Fail, Severity::Warning));
        v.push(f(Check::PortAdminDown, Status::Fail, Severity::Info));
        v.push(f(Check::QosUplink, Status::Unknown, Severity::Blocker));
        assert_eq!(
            counts(&v),
            Counts {
                blockers: 1,
                warnings: 1,
                unknown: 1,
                passed: 21,
                ..Default::default()
            }
        );
    }

    #[test]
    fn thresholds_move_the_verdict() {
        let mut v = all(Status::Pass);
        v[pos(Check::Portfast)] = f(Check::Portfast, Status::Fail, Severity::Warning);
        let t = Thresholds {
            at_risk_score: 99,
            ..Thresholds::default()
        };
        assert_eq!(verdict(&v, score(&v), &t), Verdict::NotReady);
    }
}
