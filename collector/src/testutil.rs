//! Report builders and a fixed time base for the collector's unit tests.

use lanready_schema::{Evidence, Finding, Report, Severity, Status, Verdict};
use time::OffsetDateTime;

use crate::model::{ReportMeta, StoredReport};

/// 2026-01-01T00:00:00Z plus `secs` seconds.
pub fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600 + secs).unwrap()
}

pub fn finding(
    check: &str,
    severity: Severity,
    status: Status,
    switch: &str,
    port: Option<&str>,
) -> Finding {
    Finding {
        check: check.into(),
        severity,
        status,
        switch: switch.into(),
        port: port.map(Into::into),
        message: format!("{check} on {}", port.unwrap_or(switch)),
        evidence: vec![Evidence {
            object: "vmVoiceVlanId.10101".into(),
            value: "4096".into(),
        }],
        remediation: None,
    }
}

/// A report for `site` scanned at `generated_at` with one switch of 48 user ports, whose
/// findings score `score` (ready from 90, else not ready) under the shared model.
pub fn report(id: &str, site: &str, generated_at: &str, score: u8) -> Report {
    let verdict = if score >= 90 {
        Verdict::Ready
    } else {
        Verdict::NotReady
    };
    lanready_schema::sample::report(id, site, generated_at, score, verdict)
}

pub fn report_with(site: &str, score: u8) -> Report {
    report(
        &format!("{site}-{score}"),
        site,
        "2026-01-01T00:00:00Z",
        score,
    )
}

pub fn stored(report: Report, generated_at: OffsetDateTime) -> StoredReport {
    StoredReport {
        meta: ReportMeta {
            report_id: report.id.clone(),
            site: report.site.clone(),
            generated_at,
            received_at: generated_at,
            agent: report.agent.clone(),
            token_name: "agent-1".into(),
            score: report.score,
            verdict: report.verdict,
            blockers: report.counts.blockers,
        },
        report,
    }
}

/// `r` with `failing` as its only failed findings and other checks filled in so that the
/// whole still scores `r.score` with `verdict` under the shared model; counts follow.
pub fn with_failing(mut r: Report, verdict: Verdict, failing: Vec<Finding>) -> Report {
    let switch = r.switches[0].address.clone();
    let ids: Vec<&str> = failing.iter().map(|f| f.check.as_str()).collect();
    let mut findings =
        lanready_schema::score::synthetic_findings_with(&switch, r.score, verdict, &ids)
            .unwrap_or_else(|| panic!("no findings score {} {verdict:?} with {ids:?}", r.score));
    findings.extend(failing);
    r.counts = lanready_schema::score::counts(&findings);
    r.findings = findings;
    r.verdict = verdict;
    r.switches[0].verdict = verdict;
    r
}
