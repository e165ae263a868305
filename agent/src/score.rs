//! The scoring model, as the agent uses it: the shared model in
//! [`lanready_schema::score`] (which the collector uses to check reports), with the check
//! catalogue's ids and the plan's thresholds. Documented in `docs/checks.md`.

use lanready_schema::score as model;
use lanready_schema::{Counts, Finding, Verdict};

use crate::checks::Check;
use crate::plan::Thresholds;

pub use model::{Outcome, outcome, score};

/// The weight of a check in the score. Every catalogued check has one (a test holds them
/// together).
pub fn weight(check: Check) -> u32 {
    model::weight(check.id()).unwrap_or(0)
}

/// The verdict under the plan's thresholds: see [`model::verdict`].
pub fn verdict(findings: &[Finding], score: u8, t: &Thresholds) -> Verdict {
    model::verdict(findings, score, t.ready_score, t.at_risk_score)
}

/// Failed blockers, failed warnings, unknowns, passes and not-applicable findings.
pub fn counts(findings: &[Finding]) -> Counts {
    model::counts(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanready_schema::{Severity, Status};

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
    fn every_check_has_a_weight_and_every_weight_a_check() {
        for c in Check::ALL {
            assert!(model::weight(c.id()).is_some(), "{} has no weight", c.id());
        }
        for (id, _) in model::WEIGHTS {
            assert!(Check::from_id(id).is_some(), "{id} is not a check");
        }
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
