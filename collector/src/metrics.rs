//! `GET /metrics`: Prometheus text exposition format (0.0.4), written by hand: per-site
//! gauges from the latest reports, and ingest counters kept since the process started.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lanready_schema::programme::ProgrammeResponse;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lanready_schema::Verdict;

use lanready_schema::api::SitesResponse;

/// Why a POST was rejected; the `reason` label of `lanready_reports_rejected_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RejectReason {
    Unauthorized,
    Forbidden,
    TooLarge,
    MediaType,
    Malformed,
    Schema,
    Invalid,
    Conflict,
    /// Too many report bodies being received at once (503).
    Busy,
    /// A report's body did not arrive in time (408).
    Timeout,
    Internal,
}

impl RejectReason {
    pub const ALL: [RejectReason; 11] = [
        RejectReason::Unauthorized,
        RejectReason::Forbidden,
        RejectReason::TooLarge,
        RejectReason::MediaType,
        RejectReason::Malformed,
        RejectReason::Schema,
        RejectReason::Invalid,
        RejectReason::Conflict,
        RejectReason::Busy,
        RejectReason::Timeout,
        RejectReason::Internal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RejectReason::Unauthorized => "unauthorized",
            RejectReason::Busy => "busy",
            RejectReason::Timeout => "timeout",
            RejectReason::Forbidden => "forbidden",
            RejectReason::TooLarge => "too_large",
            RejectReason::MediaType => "media_type",
            RejectReason::Malformed => "malformed",
            RejectReason::Schema => "schema",
            RejectReason::Invalid => "invalid",
            RejectReason::Conflict => "conflict",
            RejectReason::Internal => "internal",
        }
    }
}

/// Ingest counters.
#[derive(Debug, Default)]
pub struct IngestCounters {
    ingested: AtomicU64,
    duplicates: AtomicU64,
    rejected: Mutex<BTreeMap<RejectReason, u64>>,
}

impl IngestCounters {
    pub fn stored(&self) {
        self.ingested.fetch_add(1, Ordering::Relaxed);
    }

    pub fn duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejected(&self, reason: RejectReason) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(reason)
            .or_default() += 1;
    }

    pub fn ingested_total(&self) -> u64 {
        self.ingested.load(Ordering::Relaxed)
    }

    pub fn rejected_total(&self, reason: RejectReason) -> u64 {
        self.rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&reason)
            .copied()
            .unwrap_or(0)
    }
}

/// Escapes a label value: backslash, double quote and line feed, as the format requires.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The programme's gauges: days to each calendar site's cutover, and its regressions of the
/// last 7 days by phase.
fn programme_gauges(out: &mut String, p: &ProgrammeResponse) {
    header(
        out,
        "lanready_site_days_to_cutover",
        "gauge",
        "Days from today (UTC) to the site's cutover day in the calendar; negative after it.",
    );
    for s in &p.sites {
        let _ = writeln!(
            out,
            "lanready_site_days_to_cutover{{site=\"{}\"}} {}",
            escape_label(&s.site),
            s.days_left
        );
    }
    header(
        out,
        "lanready_site_regressions",
        "gauge",
        "Regressions found in the last 7 days, by phase (after: since the cutover, an incident).",
    );
    for s in &p.sites {
        for phase in ["before", "after"] {
            let n = s.regressions.iter().filter(|r| r.phase == phase).count();
            let _ = writeln!(
                out,
                "lanready_site_regressions{{site=\"{}\",phase=\"{phase}\"}} {n}",
                escape_label(&s.site)
            );
        }
    }
}

/// The webhook task's series (`serve --webhook`): its spool and its failed deliveries.
pub fn webhook_gauges(out: &mut String, pending: u64, failures: u64) {
    header(
        out,
        "lanready_webhook_pending",
        "gauge",
        "Regressions stored and not yet acknowledged by the webhook.",
    );
    let _ = writeln!(out, "lanready_webhook_pending {pending}");
    header(
        out,
        "lanready_webhook_failures_total",
        "counter",
        "Webhook deliveries that failed (no connection, timeout, not 2xx) since start.",
    );
    let _ = writeln!(out, "lanready_webhook_failures_total {failures}");
}

/// The exposition text. `counters` are the whole collector's ingest counters: they are
/// given only to a token that may read every site (they count every site's reports).
pub fn render(
    sites: &SitesResponse,
    estate_score: Option<u8>,
    counters: Option<&IngestCounters>,
    programme: Option<&ProgrammeResponse>,
) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "lanready_estate_score",
        "gauge",
        "Site scores averaged, weighted by user-facing ports (absent without sites).",
    );
    if let Some(score) = estate_score {
        let _ = writeln!(out, "lanready_estate_score {score}");
    }
    header(
        &mut out,
        "lanready_sites",
        "gauge",
        "Sites by the verdict of their latest report.",
    );
    for v in [Verdict::Ready, Verdict::AtRisk, Verdict::NotReady] {
        let n = sites.sites.iter().filter(|s| s.verdict == v).count();
        let _ = writeln!(out, "lanready_sites{{verdict=\"{}\"}} {n}", v.as_str());
    }
    type Gauge = (
        &'static str,
        &'static str,
        fn(&lanready_schema::api::SiteRow) -> i64,
    );
    let gauges: [Gauge; 5] = [
        (
            "lanready_site_score",
            "Readiness score (0-100) of the site's latest report.",
            |s| i64::from(s.score),
        ),
        (
            "lanready_site_blockers",
            "Blocker findings in the site's latest report.",
            |s| i64::from(s.blockers),
        ),
        (
            "lanready_site_ready",
            "1 when the site's latest verdict is ready, else 0.",
            |s| i64::from(s.verdict == Verdict::Ready),
        ),
        (
            "lanready_site_stale",
            "1 when the site's latest report is older than its stale-after interval.",
            |s| i64::from(s.stale),
        ),
        (
            "lanready_site_last_scan_age_seconds",
            "Seconds since the site's latest scan.",
            |s| i64::try_from(s.age_seconds).unwrap_or(i64::MAX),
        ),
    ];
    for (name, help, value) in gauges {
        header(&mut out, name, "gauge", help);
        for s in &sites.sites {
            let _ = writeln!(
                out,
                "{name}{{site=\"{}\"}} {}",
                escape_label(&s.site),
                value(s)
            );
        }
    }
    if let Some(p) = programme {
        programme_gauges(&mut out, p);
    }
    let Some(counters) = counters else {
        return out;
    };
    header(
        &mut out,
        "lanready_reports_ingested_total",
        "counter",
        "Reports stored since the collector started.",
    );
    let _ = writeln!(
        out,
        "lanready_reports_ingested_total {}",
        counters.ingested_total()
    );
    header(
        &mut out,
        "lanready_reports_duplicate_total",
        "counter",
        "Resent reports (an id already stored) answered without storing, since start.",
    );
    let _ = writeln!(
        out,
        "lanready_reports_duplicate_total {}",
        counters.duplicates.load(Ordering::Relaxed)
    );
    header(
        &mut out,
        "lanready_reports_rejected_total",
        "counter",
        "Reports refused with a 4xx or 5xx since start, by reason.",
    );
    for reason in RejectReason::ALL {
        let _ = writeln!(
            out,
            "lanready_reports_rejected_total{{reason=\"{}\"}} {}",
            reason.label(),
            counters.rejected_total(reason)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanready_schema::api::SiteRow;

    #[test]
    fn escapes_label_values() {
        let check = |input: &str, expected: &str| assert_eq!(escape_label(input), expected);
        check("plain-site_1.a", "plain-site_1.a");
        check(r#"a"b"#, r#"a\"b"#);
        check(r"a\b", r"a\\b");
        check("a\nb", r"a\nb");
        check("\\\"\n", r#"\\\"\n"#);
    }

    #[test]
    fn renders_site_gauges_and_counters() {
        let row = |site: &str, score: u8, blockers: u32, stale: bool, verdict| SiteRow {
            site: site.into(),
            score,
            verdict,
            blockers,
            warnings: 0,
            last_scan: "2026-01-01T00:00:00Z".into(),
            age_seconds: 60,
            stale,
            stale_after_seconds: 3600,
            report_id: "r".into(),
            agent: "a".into(),
        };
        let sites = SitesResponse {
            schema: "lanready.sites/v1".into(),
            as_of: "2026-01-01T00:01:00Z".into(),
            sites: vec![
                row("hq", 55, 3, false, Verdict::NotReady),
                row("odd\"name", 100, 0, true, Verdict::Ready),
            ],
        };
        let c = IngestCounters::default();
        c.stored();
        c.stored();
        c.rejected(RejectReason::Unauthorized);
        c.duplicate();
        let text = render(&sites, Some(64), Some(&c), None);
        for line in [
            "# TYPE lanready_site_score gauge",
            "lanready_site_score{site=\"hq\"} 55",
            "lanready_site_blockers{site=\"hq\"} 3",
            "lanready_site_ready{site=\"hq\"} 0",
            "lanready_site_stale{site=\"hq\"} 0",
            "lanready_site_score{site=\"odd\\\"name\"} 100",
            "lanready_site_stale{site=\"odd\\\"name\"} 1",
            "lanready_site_last_scan_age_seconds{site=\"hq\"} 60",
            "# TYPE lanready_reports_ingested_total counter",
            "lanready_reports_ingested_total 2",
            "lanready_reports_duplicate_total 1",
            "lanready_reports_rejected_total{reason=\"unauthorized\"} 1",
            "lanready_reports_rejected_total{reason=\"too_large\"} 0",
            "lanready_estate_score 64",
            "lanready_sites{verdict=\"not_ready\"} 1",
            "lanready_sites{verdict=\"ready\"} 1",
            "lanready_sites{verdict=\"at_risk\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample line is `name{labels} value` or `name value`, value an integer.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, v) = l.rsplit_once(' ').unwrap();
            v.parse::<i64>()
                .unwrap_or_else(|_| panic!("bad value in {l:?}"));
        }
    }
}
