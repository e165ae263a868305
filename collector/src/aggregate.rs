//! Pure aggregation: from stored reports and trends to the read API's documents. No I/O and
//! no clock of its own: `now` is passed in.

use std::collections::BTreeMap;
use std::time::Duration;

use lanready_gate::Freshness;
use lanready_schema::{Report, Verdict};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{self, ReportMeta, SiteCard, SiteLatest, SiteSummary, StoredReport, poe_bars};
use lanready_schema::api::{
    DASHBOARD_SCHEMA, Dashboard, DashboardSite, Estate, SITE_SCHEMA, SITES_SCHEMA, SiteDetail,
    SiteRow, SitesResponse, TrendPoint,
};

/// When a site counts as stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staleness {
    pub default: Duration,
    /// Per-site intervals that replace the default.
    pub per_site: BTreeMap<String, Duration>,
}

impl Staleness {
    pub fn new(default: Duration) -> Self {
        Staleness {
            default,
            per_site: BTreeMap::new(),
        }
    }

    pub fn interval(&self, site: &str) -> Duration {
        self.per_site.get(site).copied().unwrap_or(self.default)
    }
}

/// Freshness of one site at `now`, in the gate's terms (the collector always knows the
/// interval it expects scans at).
pub fn freshness(
    site: &str,
    last_scan: OffsetDateTime,
    now: OffsetDateTime,
    staleness: &Staleness,
) -> Freshness {
    let age_seconds = u64::try_from((now - last_scan).whole_seconds()).unwrap_or(0);
    let interval = staleness.interval(site).as_secs();
    Freshness {
        age_seconds,
        stale: age_seconds > interval,
        stale_after_seconds: Some(interval),
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Orders worst first: not_ready, at_risk, ready; then lower score; then name.
pub fn worst_first(a: (Verdict, u8, &str), b: (Verdict, u8, &str)) -> std::cmp::Ordering {
    // Verdict's declaration order is Ready < AtRisk < NotReady.
    b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2))
}

pub fn trend_points(points: &[model::TrendPoint]) -> Vec<TrendPoint> {
    points
        .iter()
        .map(|p| TrendPoint {
            at: rfc3339(p.generated_at),
            score: p.score,
            verdict: p.verdict,
            blockers: p.blockers,
        })
        .collect()
}

fn user_ports(report: &Report) -> u32 {
    report.switches.iter().map(|s| s.user_ports).sum()
}

pub fn sites(latest: &[SiteSummary], now: OffsetDateTime, staleness: &Staleness) -> SitesResponse {
    let mut rows: Vec<SiteRow> = latest
        .iter()
        .map(|s| {
            let m: &ReportMeta = &s.meta;
            let f = freshness(&m.site, m.generated_at, now, staleness);
            SiteRow {
                site: m.site.clone(),
                score: m.score,
                verdict: m.verdict,
                blockers: m.blockers,
                warnings: s.warnings,
                last_scan: rfc3339(m.generated_at),
                age_seconds: f.age_seconds,
                stale: f.stale,
                stale_after_seconds: staleness.interval(&m.site).as_secs(),
                report_id: m.report_id.clone(),
                agent: m.agent.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| worst_first((a.verdict, a.score, &a.site), (b.verdict, b.score, &b.site)));
    SitesResponse {
        schema: SITES_SCHEMA.into(),
        as_of: rfc3339(now),
        sites: rows,
    }
}

pub fn site_detail(
    latest: &StoredReport,
    trend: &[model::TrendPoint],
    now: OffsetDateTime,
    staleness: &Staleness,
) -> SiteDetail {
    let m = &latest.meta;
    let r = &latest.report;
    let f = freshness(&m.site, m.generated_at, now, staleness);
    SiteDetail {
        schema: SITE_SCHEMA.into(),
        as_of: rfc3339(now),
        site: m.site.clone(),
        score: r.score,
        verdict: r.verdict,
        counts: r.counts.clone(),
        last_scan: rfc3339(m.generated_at),
        received_at: rfc3339(m.received_at),
        age_seconds: f.age_seconds,
        stale: f.stale,
        stale_after_seconds: staleness.interval(&m.site).as_secs(),
        report_id: m.report_id.clone(),
        agent: r.agent.clone(),
        agent_version: r.agent_version.clone(),
        plan: r.plan.clone(),
        switches: r.switches.clone(),
        findings: r.findings.clone(),
        poe: poe_bars(r),
        trend: trend_points(trend),
    }
}

/// Estate score: site scores weighted by user-facing ports; a plain mean when no site
/// counted a port; None without sites.
pub fn estate_score(sites: &[(u8, u32)]) -> Option<u8> {
    if sites.is_empty() {
        return None;
    }
    let ports: u64 = sites.iter().map(|&(_, p)| u64::from(p)).sum();
    let (num, den) = if ports == 0 {
        (
            sites.iter().map(|&(s, _)| u64::from(s)).sum::<u64>(),
            sites.len() as u64,
        )
    } else {
        (
            sites
                .iter()
                .map(|&(s, p)| u64::from(s) * u64::from(p))
                .sum::<u64>(),
            ports,
        )
    };
    // Round half up.
    Some(((num * 2 + den) / (den * 2)).min(100) as u8)
}

/// `latest` with each site's trend (oldest first), the cards made from the bodies (what
/// the store keeps at ingest, made here for a baseline).
pub fn dashboard(
    latest: &[(StoredReport, Vec<model::TrendPoint>)],
    now: OffsetDateTime,
    staleness: &Staleness,
) -> Dashboard {
    let rows: Vec<(SiteSummary, SiteCard)> = latest
        .iter()
        .map(|(s, _)| {
            (
                SiteSummary {
                    meta: s.meta.clone(),
                    warnings: s.report.counts.warnings,
                    user_ports: user_ports(&s.report),
                },
                SiteCard::of(&s.report),
            )
        })
        .collect();
    dashboard_of(
        rows.iter()
            .zip(latest)
            .map(|((summary, card), (_, trend))| (summary, card, trend.as_slice())),
        now,
        staleness,
    )
}

/// The dashboard from each site's precomputed card and trend (what the store keeps at
/// ingest), so no report body is read.
pub fn dashboard_from_cards<'a>(
    latest: impl Iterator<Item = &'a SiteLatest>,
    now: OffsetDateTime,
    staleness: &Staleness,
) -> Dashboard {
    dashboard_of(
        latest.map(|s| (&s.summary, &*s.card, s.trend.as_slice())),
        now,
        staleness,
    )
}

fn dashboard_of<'a>(
    latest: impl Iterator<Item = (&'a SiteSummary, &'a SiteCard, &'a [model::TrendPoint])>,
    now: OffsetDateTime,
    staleness: &Staleness,
) -> Dashboard {
    let mut rows: Vec<DashboardSite> = latest
        .map(|(summary, card, trend)| {
            let m = &summary.meta;
            let f = freshness(&m.site, m.generated_at, now, staleness);
            let score_delta = match trend {
                [.., prev, last] => Some(i16::from(last.score) - i16::from(prev.score)),
                _ => None,
            };
            DashboardSite {
                rank: 0,
                site: m.site.clone(),
                score: m.score,
                verdict: m.verdict,
                counts: card.counts.clone(),
                user_ports: card.user_ports,
                last_scan: rfc3339(m.generated_at),
                age_seconds: f.age_seconds,
                stale: f.stale,
                stale_after_seconds: staleness.interval(&m.site).as_secs(),
                score_delta,
                top_blockers: card.top_blockers.clone(),
                poe: card.poe.clone(),
                trend: trend_points(trend),
            }
        })
        .collect();
    rows.sort_by(|a, b| worst_first((a.verdict, a.score, &a.site), (b.verdict, b.score, &b.site)));
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i as u32 + 1;
    }
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count() as u32;
    let estate = Estate {
        sites: rows.len() as u32,
        ready: count(Verdict::Ready),
        at_risk: count(Verdict::AtRisk),
        not_ready: count(Verdict::NotReady),
        stale: rows.iter().filter(|r| r.stale).count() as u32,
        blockers: rows.iter().map(|r| r.counts.blockers).sum(),
        user_ports: rows.iter().map(|r| r.user_ports).sum(),
        score: estate_score(
            &rows
                .iter()
                .map(|r| (r.score, r.user_ports))
                .collect::<Vec<_>>(),
        ),
    };
    Dashboard {
        schema: DASHBOARD_SCHEMA.into(),
        as_of: rfc3339(now),
        estate,
        sites: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::top_blockers;
    use crate::testutil::{finding, report_with, stored, t};
    use lanready_schema::Severity::*;
    use lanready_schema::Status::*;

    #[test]
    fn staleness_uses_the_site_interval_and_never_a_negative_age() {
        let mut s = Staleness::new(Duration::from_secs(3600));
        s.per_site.insert("slow".into(), Duration::from_secs(7200));
        let check = |site: &str, scan: i64, now: i64, stale: bool, age: u64| {
            let f = freshness(site, t(scan), t(now), &s);
            assert_eq!(
                (f.stale, f.age_seconds),
                (stale, age),
                "{site} {scan} {now}"
            );
        };
        check("a", 0, 3600, false, 3600);
        check("a", 0, 3601, true, 3601);
        check("slow", 0, 3601, false, 3601);
        check("slow", 0, 7201, true, 7201);
        check("a", 100, 0, false, 0);
    }

    #[test]
    fn ranks_worst_first() {
        let mk = |site: &str, score: u8, v: Verdict| {
            let mut r = report_with(site, score);
            r.verdict = v;
            (stored(r, t(0)), vec![])
        };
        let latest = vec![
            mk("ready-hi", 99, Verdict::Ready),
            mk("risk", 85, Verdict::AtRisk),
            mk("bad-b", 60, Verdict::NotReady),
            mk("bad-a", 60, Verdict::NotReady),
            mk("bad-low", 20, Verdict::NotReady),
            mk("ready-lo", 90, Verdict::Ready),
        ];
        let d = dashboard(&latest, t(10), &Staleness::new(Duration::from_secs(60)));
        let order: Vec<_> = d.sites.iter().map(|s| (s.rank, s.site.as_str())).collect();
        assert_eq!(
            order,
            [
                (1, "bad-low"),
                (2, "bad-a"),
                (3, "bad-b"),
                (4, "risk"),
                (5, "ready-lo"),
                (6, "ready-hi")
            ]
        );
        assert_eq!(
            (
                d.estate.sites,
                d.estate.ready,
                d.estate.at_risk,
                d.estate.not_ready
            ),
            (6, 2, 1, 3)
        );
    }

    #[test]
    fn estate_score_weights_by_ports() {
        assert_eq!(estate_score(&[]), None);
        assert_eq!(estate_score(&[(100, 0), (50, 0)]), Some(75));
        // 100 ports at 90, 300 ports at 50: (9000 + 15000) / 400 = 60.
        assert_eq!(estate_score(&[(90, 100), (50, 300)]), Some(60));
        // Rounds half up: (1*1 + 2*1) / 2 = 1.5 -> 2.
        assert_eq!(estate_score(&[(1, 1), (2, 1)]), Some(2));
    }

    #[test]
    fn top_blockers_groups_failing_blockers_by_check() {
        let mut r = report_with("s", 40);
        r.findings = vec![
            finding("voice_vlan.port", Blocker, Fail, "sw1", Some("Gi1/0/1")),
            finding("poe.budget", Blocker, Fail, "sw1", None),
            finding("voice_vlan.port", Blocker, Fail, "sw1", Some("Gi1/0/2")),
            finding("voice_vlan.port", Blocker, Fail, "sw2", Some("Gi1/0/3")),
            finding("qos.trust", Blocker, Unknown, "sw1", Some("Gi1/0/1")),
            finding("portfast", Warning, Fail, "sw1", Some("Gi1/0/1")),
            finding("poe.port", Blocker, Pass, "sw1", Some("Gi1/0/1")),
        ];
        let g = top_blockers(&r, 5);
        let got: Vec<_> = g.iter().map(|g| (g.check.as_str(), g.count)).collect();
        assert_eq!(got, [("voice_vlan.port", 3), ("poe.budget", 1)]);
        assert_eq!(g[0].port.as_deref(), Some("Gi1/0/1"));
        assert_eq!(
            g[0].switch_name, None,
            "sw1 is not among the report's switches"
        );
        assert_eq!(top_blockers(&r, 1).len(), 1);
    }

    #[test]
    fn dashboard_row_has_delta_poe_and_stale() {
        let mut r = report_with("s", 70);
        r.switches[0].poe = vec![lanready_schema::PoeBudget {
            group: 1,
            stack_member: Some(1),
            budget_w: 740,
            consumed_w: 300,
            planned_w: 200,
            ..Default::default()
        }];
        let trend = vec![
            model::TrendPoint {
                generated_at: t(0),
                score: 50,
                verdict: Verdict::NotReady,
                blockers: 3,
            },
            model::TrendPoint {
                generated_at: t(100),
                score: 70,
                verdict: Verdict::NotReady,
                blockers: 1,
            },
        ];
        let d = dashboard(
            &[(stored(r, t(100)), trend)],
            t(200),
            &Staleness::new(Duration::from_secs(50)),
        );
        let row = &d.sites[0];
        assert_eq!(row.score_delta, Some(20));
        assert!(row.stale);
        assert_eq!(row.age_seconds, 100);
        assert_eq!(d.estate.stale, 1);
        assert_eq!(row.poe.len(), 1);
        assert_eq!((row.poe[0].budget_w, row.poe[0].consumed_w), (740, 300));
        assert_eq!(row.trend.len(), 2);
    }
}
