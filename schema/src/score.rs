//! The scoring model, shared by the agent that writes a report and the collector that checks
//! it: each check's weight, the score 0-100 of a set of findings, the verdict (any failed
//! blocker means "not ready" whatever the score) and the counts. Documented in
//! `docs/checks.md`; change both together.

use std::collections::BTreeMap;

use crate::{Counts, Finding, Severity, Status, Verdict};

/// Each check's weight in the score, by check id. Blockers weigh most; info-only checks
/// nothing. A check id not listed weighs nothing.
pub const WEIGHTS: [(&str, u32); 21] = [
    ("switch.reachable", 20),
    ("poe.budget", 15),
    ("poe.port", 10),
    ("voice_vlan.exists", 10),
    ("voice_vlan.port", 10),
    ("voice_vlan.trunk", 10),
    ("vlan.data", 5),
    ("qos.trust", 8),
    ("qos.uplink", 8),
    ("qos.egress", 3),
    ("neighbours.discovery", 4),
    ("phones.seen", 1),
    ("security.auth", 5),
    ("security.port_security", 5),
    ("security.errdisable", 2),
    ("port.duplex", 3),
    ("port.errors", 3),
    ("port.portfast", 3),
    ("port.mode", 2),
    ("power.redundancy", 3),
    ("port.admin_down", 0),
];

/// The score thresholds a report was judged with when its plan gave none.
pub const DEFAULT_READY_SCORE: u8 = 90;
pub const DEFAULT_AT_RISK_SCORE: u8 = 60;

/// The weight of a check id; None for an id the model does not know.
pub fn weight(check: &str) -> Option<u32> {
    WEIGHTS.iter().find(|(id, _)| *id == check).map(|(_, w)| *w)
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
/// passed, unknowns counting half. Findings of checks not in [`WEIGHTS`] weigh nothing.
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
        let Some(w) = weight(check) else {
            continue;
        };
        if let Some(o) = outcome(fs) {
            earned += u64::from(w) * o.halves();
            total += u64::from(w) * 2;
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
pub fn verdict(findings: &[Finding], score: u8, ready_score: u8, at_risk_score: u8) -> Verdict {
    let failed = |s: Severity| {
        findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity == s)
    };
    let blocker_unknown = findings
        .iter()
        .any(|f| f.status == Status::Unknown && f.severity == Severity::Blocker);
    if failed(Severity::Blocker) || score < at_risk_score {
        Verdict::NotReady
    } else if failed(Severity::Warning) || blocker_unknown || score < ready_score {
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

/// One switch's score and verdict, from the findings naming it.
fn switch_judgement(r: &crate::Report, address: &str) -> (u8, Verdict) {
    let fs: Vec<Finding> = r
        .findings
        .iter()
        .filter(|f| f.switch == address)
        .cloned()
        .collect();
    let s = score(&fs);
    (s, verdict(&fs, s, r.plan.ready_score, r.plan.at_risk_score))
}

/// Sets a report's judgement from its findings under this model: the site's score, verdict
/// and counts, and each switch's score and verdict. (What a reader does after changing
/// findings, as waivers do; [`disagreements`] is then empty.)
pub fn rejudge(r: &mut crate::Report) {
    let (ready, at_risk) = (r.plan.ready_score, r.plan.at_risk_score);
    r.score = score(&r.findings);
    r.verdict = verdict(&r.findings, r.score, ready, at_risk);
    r.counts = counts(&r.findings);
    let judged: Vec<(u8, Verdict)> = r
        .switches
        .iter()
        .map(|sw| switch_judgement(r, &sw.address))
        .collect();
    for (sw, (s, v)) in r.switches.iter_mut().zip(judged) {
        (sw.score, sw.verdict) = (s, v);
    }
}

/// Where a report's own judgement disagrees with its findings under this model: the site's
/// score, verdict and counts, and each switch's score and verdict (over the findings naming
/// it). Empty when the report is consistent. A consumer that trusts a report's verdict (a
/// gate, a dashboard) checks this first.
pub fn disagreements(r: &crate::Report) -> Vec<String> {
    let mut out = Vec::new();
    let (ready, at_risk) = (r.plan.ready_score, r.plan.at_risk_score);
    let s = score(&r.findings);
    if s != r.score {
        out.push(format!("score {} but the findings score {s}", r.score));
    }
    let v = verdict(&r.findings, s, ready, at_risk);
    if v != r.verdict {
        out.push(format!(
            "verdict {} but the findings make it {}",
            r.verdict.as_str(),
            v.as_str()
        ));
    }
    let c = counts(&r.findings);
    if c != r.counts {
        out.push(format!(
            "counts {{blockers {}, warnings {}, unknown {}, passed {}, not_applicable {}}} but the findings count {{{}, {}, {}, {}, {}}}",
            r.counts.blockers,
            r.counts.warnings,
            r.counts.unknown,
            r.counts.passed,
            r.counts.not_applicable,
            c.blockers,
            c.warnings,
            c.unknown,
            c.passed,
            c.not_applicable
        ));
    }
    for sw in &r.switches {
        let (s, v) = switch_judgement(r, &sw.address);
        if s != sw.score {
            out.push(format!(
                "switch {}: score {} but its findings score {s}",
                sw.address, sw.score
            ));
        }
        if v != sw.verdict {
            out.push(format!(
                "switch {}: verdict {} but its findings make it {}",
                sw.address,
                sw.verdict.as_str(),
                v.as_str()
            ));
        }
    }
    out
}

/// Findings on one switch that score exactly `score` with `verdict` under this model (and the
/// default thresholds), for tests and benchmarks that need a consistent report with a given
/// judgement. None when no set of the catalogued checks gives that pair (a `ready` below
/// 90, say). Prefers sets with more checks present.
pub fn synthetic_findings(switch: &str, score: u8, verdict: Verdict) -> Option<Vec<Finding>> {
    synthetic_findings_with(switch, score, verdict, &[])
}

/// As [`synthetic_findings`], for a report that already has failed findings of the checks
/// `failing` (blockers or warnings at their check's severity) on this switch: the findings
/// returned are for the other checks, and together with those they score `score` with
/// `verdict`.
pub fn synthetic_findings_with(
    switch: &str,
    score: u8,
    verdict: Verdict,
    failing: &[&str],
) -> Option<Vec<Finding>> {
    synthetic_around(switch, score, verdict, failing, (false, false))
}

/// The search behind [`synthetic_findings_with`] and [`fill_to_match`]; `flags` says whether
/// the given findings already hold a failed blocker, and a failed warning or an unknown
/// blocker (they may be of checks the model does not weigh).
fn synthetic_around(
    switch: &str,
    score: u8,
    verdict: Verdict,
    failing: &[&str],
    flags: (bool, bool),
) -> Option<Vec<Finding>> {
    use std::sync::{Mutex, OnceLock};
    type Key = (u8, Verdict, Vec<String>, (bool, bool));
    type Found = Option<Vec<(&'static str, Severity, Status)>>;
    static MEMO: OnceLock<Mutex<std::collections::HashMap<Key, Found>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let mut forced: Vec<String> = failing.iter().map(|s| s.to_string()).collect();
    forced.sort();
    forced.dedup();
    let key = (score, verdict, forced.clone(), flags);
    let found = {
        let cached = memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        match cached {
            Some(f) => f,
            None => {
                let f = search(score, verdict, &forced, flags);
                memo.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, f.clone());
                f
            }
        }
    };
    Some(
        found?
            .into_iter()
            .filter(|(id, _, _)| !forced.iter().any(|f| f == id))
            .map(|(id, severity, status)| Finding {
                check: id.into(),
                severity,
                status,
                switch: switch.into(),
                port: None,
                message: format!("{id}: {status:?}"),
                evidence: Vec::new(),
                remediation: None,
            })
            .collect(),
    )
}

/// For tests and benchmarks: fills a one-switch report's findings so that its own score and
/// verdict are what its findings say. The findings it has are kept (they should be failed
/// ones); the other checks are added around them; the counts and the switch's score and
/// verdict follow. Panics when no set of checks gives that score and verdict.
pub fn fill_to_match(r: &mut crate::Report) {
    let switch = r
        .switches
        .first()
        .map(|s| s.address.clone())
        .unwrap_or_else(|| "127.0.0.1:161".into());
    let ids: Vec<&str> = r.findings.iter().map(|f| f.check.as_str()).collect();
    let has = |st: Status, sev: Severity| {
        r.findings
            .iter()
            .any(|f| f.status == st && f.severity == sev)
    };
    let flags = (
        has(Status::Fail, Severity::Blocker),
        has(Status::Fail, Severity::Warning) || has(Status::Unknown, Severity::Blocker),
    );
    let mut extra =
        synthetic_around(&switch, r.score, r.verdict, &ids, flags).unwrap_or_else(|| {
            panic!(
                "no findings score {} with verdict {} around {ids:?}",
                r.score,
                r.verdict.as_str()
            )
        });
    r.findings.append(&mut extra);
    r.counts = counts(&r.findings);
    for s in &mut r.switches {
        s.score = r.score;
        s.verdict = r.verdict;
    }
}

/// The checks and statuses behind [`synthetic_findings`].
fn search(
    score: u8,
    verdict: Verdict,
    forced: &[String],
    flags: (bool, bool),
) -> Option<Vec<(&'static str, Severity, Status)>> {
    // The catalogue's severities, by id (the weights are above).
    let severity = |id: &str| match id {
        "switch.reachable"
        | "poe.budget"
        | "poe.port"
        | "voice_vlan.exists"
        | "voice_vlan.port"
        | "voice_vlan.trunk"
        | "vlan.data"
        | "qos.trust"
        | "qos.uplink"
        | "security.auth"
        | "security.port_security" => Severity::Blocker,
        "port.admin_down" => Severity::Info,
        _ => Severity::Warning,
    };
    // A dynamic programme over the checks in order. A state is (earned halves, total halves,
    // a blocker failed, a warning failed or a blocker unknown); per layer it keeps the most
    // checks present that reach it and the choice made (0 absent, 1 pass, 2 unknown, 3 fail).
    let max: usize = WEIGHTS.iter().map(|(_, w)| 2 * *w as usize).sum::<usize>() + 1;
    let idx = |e: usize, t: usize, b: bool, x: bool| {
        ((e * max + t) * 2 + usize::from(b)) * 2 + usize::from(x)
    };
    let size = max * max * 4;
    // The value of a path: fewest failed blockers first, then fewest failed warnings, then
    // the most checks present (each term outweighs all the ones after it).
    const NONE: u16 = u16::MAX;
    const NO_CHOICE: u8 = u8::MAX;
    let mut present = vec![NONE; size];
    present[idx(0, 0, flags.0, flags.1)] = 0;
    let mut choices: Vec<Vec<u8>> = Vec::with_capacity(WEIGHTS.len());
    for (id, w) in WEIGHTS {
        let w = w as usize;
        let sev = severity(id);
        let fail = match sev {
            Severity::Blocker => Some((3, 0, 2 * w, true, false)),
            Severity::Warning => Some((3, 0, 2 * w, false, true)),
            Severity::Info => None,
        };
        let mut options: Vec<(u8, usize, usize, bool, bool)> = Vec::new();
        if forced.iter().any(|f| f == id) {
            // Failed already: only a fail (an info check's fail weighs nothing).
            options.push(fail.unwrap_or((3, 0, 0, false, false)));
        } else {
            options.push((0, 0, 0, false, false));
            options.push((1, 2 * w, 2 * w, false, false));
            if w > 0 {
                options.push((2, w, 2 * w, false, sev == Severity::Blocker));
                options.extend(fail);
            }
        }
        let is_forced = forced.iter().any(|f| f == id);
        let gain = |c: u8| -> u16 {
            let present = u16::from(c != 0);
            let not_fail = c != 3 || is_forced;
            match sev {
                Severity::Blocker => present + if not_fail { 1024 + 32 } else { 32 },
                Severity::Warning => present + 1024 + if not_fail { 32 } else { 0 },
                Severity::Info => present + 1024 + 32,
            }
        };
        let mut next = vec![NONE; size];
        let mut choice = vec![NO_CHOICE; size];
        for e in 0..max {
            for t in e..max {
                for b in [false, true] {
                    for x in [false, true] {
                        let n = present[idx(e, t, b, x)];
                        if n == NONE {
                            continue;
                        }
                        for &(c, de, dt, nb, nx) in &options {
                            if t + dt >= max {
                                continue;
                            }
                            let k = idx(e + de, t + dt, b || nb, x || nx);
                            let m = n + gain(c);
                            if next[k] == NONE || m > next[k] {
                                next[k] = m;
                                // The choice, and the flags of the state it came from.
                                choice[k] = c | (u8::from(b) << 2) | (u8::from(x) << 3);
                            }
                        }
                    }
                }
            }
        }
        present = next;
        choices.push(choice);
    }
    let judged = |e: usize, t: usize, b: bool, x: bool| {
        let s = ((e as u64 * 200 + t as u64) / (t as u64 * 2)) as u8;
        let v = if b || s < DEFAULT_AT_RISK_SCORE {
            Verdict::NotReady
        } else if x || s < DEFAULT_READY_SCORE {
            Verdict::AtRisk
        } else {
            Verdict::Ready
        };
        (s, v)
    };
    let mut best: Option<(u16, (usize, usize, bool, bool))> = None;
    for e in 0..max {
        for t in e.max(1)..max {
            for b in [false, true] {
                for x in [false, true] {
                    let n = present[idx(e, t, b, x)];
                    if n != NONE
                        && judged(e, t, b, x) == (score, verdict)
                        && best.is_none_or(|(m, _)| n > m)
                    {
                        best = Some((n, (e, t, b, x)));
                    }
                }
            }
        }
    }
    let (_, (mut e, mut t, mut b, mut x)) = best?;
    // Back from the last check to the first, undoing each choice (each remembers the
    // flags of the state it came from).
    let mut statuses: Vec<Option<Status>> = vec![None; WEIGHTS.len()];
    for (k, (id, w)) in WEIGHTS.iter().enumerate().rev() {
        let w = *w as usize;
        let packed = choices[k][idx(e, t, b, x)];
        let c = packed & 3;
        let (pb, px) = (packed & 4 != 0, packed & 8 != 0);
        let sev = severity(id);
        let (de, dt) = match c {
            1 => (2 * w, 2 * w),
            2 => (w, 2 * w),
            3 if sev == Severity::Info => (0, 0),
            3 => (0, 2 * w),
            _ => (0, 0),
        };
        statuses[k] = match c {
            1 => Some(Status::Pass),
            2 => Some(Status::Unknown),
            3 => Some(Status::Fail),
            _ => None,
        };
        let (pe, pt) = (e - de, t - dt);
        (e, t, b, x) = (pe, pt, pb, px);
    }
    Some(
        WEIGHTS
            .iter()
            .zip(statuses)
            .filter_map(|((id, _), st)| Some((*id, severity(id), st?)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_findings_score_what_was_asked() {
        for (s, v) in [
            (100, Verdict::Ready),
            (95, Verdict::Ready),
            (90, Verdict::Ready),
            (89, Verdict::AtRisk),
            (77, Verdict::AtRisk),
            (99, Verdict::AtRisk),
            (95, Verdict::NotReady),
            (40, Verdict::NotReady),
            (0, Verdict::NotReady),
        ] {
            let f = synthetic_findings("sw", s, v).unwrap_or_else(|| panic!("{s} {v:?}"));
            let got = score(&f);
            assert_eq!(got, s, "{s} {v:?}: {f:#?}");
            assert_eq!(
                verdict(&f, got, DEFAULT_READY_SCORE, DEFAULT_AT_RISK_SCORE),
                v,
                "{s} {v:?}"
            );
        }
        assert_eq!(synthetic_findings("sw", 50, Verdict::Ready), None);
        // With two failed blockers given: the rest fills in around them.
        let given = ["voice_vlan.port", "qos.trust"];
        let mut f = synthetic_findings_with("sw", 45, Verdict::NotReady, &given).unwrap();
        assert!(f.iter().all(|x| !given.contains(&x.check.as_str())));
        for id in given {
            f.push(Finding {
                check: id.into(),
                severity: Severity::Blocker,
                status: Status::Fail,
                switch: "sw".into(),
                port: Some("Gi1/0/1".into()),
                message: String::new(),
                evidence: Vec::new(),
                remediation: None,
            });
        }
        assert_eq!(score(&f), 45);
    }
}
