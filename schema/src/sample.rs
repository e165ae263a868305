//! For tests and benchmarks: the one-switch sample report that the collector's tests, its
//! cache tests and the benchmarks build, consistent under the shared scoring model.

use crate::{PlanSummary, REPORT_SCHEMA, Report, SwitchResult, Verdict};

/// A report of `site` scanned at `generated_at` (RFC 3339) with one switch
/// (`127.0.0.1:1161`, `sw1`, a C9300-48P with 48 user ports) whose findings give `score` and
/// `verdict` ([`crate::score::fill_to_match`]). Panics when no findings give them.
pub fn report(id: &str, site: &str, generated_at: &str, score: u8, verdict: Verdict) -> Report {
    let mut r = skeleton(id, site, generated_at, score, verdict);
    crate::score::fill_to_match(&mut r);
    r
}

/// [`report`] before its findings: no findings and zero counts, for a caller that sets its
/// own (then [`crate::score::fill_to_match`], or counts of its own).
pub fn skeleton(id: &str, site: &str, generated_at: &str, score: u8, verdict: Verdict) -> Report {
    Report {
        schema: REPORT_SCHEMA.into(),
        id: id.into(),
        site: site.into(),
        generated_at: generated_at.into(),
        agent: "agent-1".into(),
        agent_version: "0.1.0".into(),
        plan: PlanSummary {
            voice_vlan: 110,
            phone_budget_mw: 7000,
            poe_headroom_pct: 20,
            ..Default::default()
        },
        switches: vec![SwitchResult {
            address: "127.0.0.1:1161".into(),
            name: Some("sw1".into()),
            model: Some("C9300-48P".into()),
            reachable: true,
            error: None,
            user_ports: 48,
            score,
            verdict,
            poe: vec![],
            ..Default::default()
        }],
        findings: vec![],
        score,
        verdict,
        counts: Default::default(),
    }
}
