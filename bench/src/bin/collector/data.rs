//! The estate the collector benchmark stores: sites, switches and their reports.

use super::*;

pub(crate) fn site_name(i: u32) -> String {
    format!("site-{i:04}")
}

pub(crate) fn rfc(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap()
}

/// One 48-port switch's site report. `full`: every port's checks listed (about 100
/// findings, what an agent sends); otherwise only the failing findings (history rows).
pub(crate) fn switch_report(
    id: String,
    site: &str,
    sw: u32,
    at: &str,
    seed: u32,
    full: bool,
) -> Report {
    let address = format!("10.{}.{}.{}:161", seed % 250, sw % 250, 1 + sw / 250);
    let checks = [
        ("poe.port", Severity::Blocker),
        ("voice_vlan.port", Severity::Blocker),
        ("qos.trust", Severity::Warning),
    ];
    let mut findings = Vec::new();
    for port in 1..=48u32 {
        for (k, (check, severity)) in checks.iter().enumerate() {
            // A few deterministic failures per switch; the rest pass.
            let fail = (port * 7 + seed * 3 + k as u32 * 11).is_multiple_of(29);
            let status = if fail { Status::Fail } else { Status::Pass };
            if !full && !fail {
                continue;
            }
            // Not every check applies to every port: about 100 findings a switch.
            if full && !fail && k == 2 && port % 4 != 0 {
                continue;
            }
            findings.push(Finding {
                check: (*check).into(),
                severity: *severity,
                status,
                switch: address.clone(),
                port: Some(format!("GigabitEthernet1/0/{port}")),
                message: if fail {
                    format!("{check} fails on GigabitEthernet1/0/{port}")
                } else {
                    format!("{check} ok on GigabitEthernet1/0/{port}")
                },
                evidence: vec![Evidence {
                    object: format!("vmVoiceVlanId.{}", 10100 + port),
                    value: if fail { "4096".into() } else { "110".into() },
                }],
                remediation: fail.then(|| {
                    format!(
                        "interface GigabitEthernet1/0/{port}\n switchport voice vlan 110\n power inline auto"
                    )
                }),
            });
        }
    }
    findings.sort_by_key(|f| (f.status != Status::Fail, f.severity != Severity::Blocker));
    // Judged by the shared model, as the collector checks it.
    let counts = lanready_schema::score::counts(&findings);
    let score = lanready_schema::score::score(&findings);
    let verdict = lanready_schema::score::verdict(
        &findings,
        score,
        lanready_schema::score::DEFAULT_READY_SCORE,
        lanready_schema::score::DEFAULT_AT_RISK_SCORE,
    );
    let mut r = lanready_schema::sample::skeleton(&id, site, at, score, verdict);
    r.agent = format!("agent-{:02}", seed % AGENTS);
    let s = &mut r.switches[0];
    s.address = address;
    s.name = Some(format!("{site}-sw{sw:02}"));
    s.poe = vec![PoeBudget {
        group: 1,
        stack_member: Some(1),
        budget_w: 740,
        consumed_w: 200 + (seed % 300),
        planned_w: 336,
        ..Default::default()
    }];
    r.findings = findings;
    r.counts = counts;
    r
}

pub(crate) fn new_report(report: Report, generated_at: OffsetDateTime, token: &str) -> NewReport {
    NewReport {
        body: serde_json::to_string(&report).unwrap(),
        report: Arc::new(report),
        generated_at,
        received_at: generated_at,
        token_name: token.into(),
        previous: None,
    }
}

pub(crate) fn file_bytes(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

/// Seeds the history through the store's bulk API (`Store::import`: one transaction per
/// day, `site_latest` refreshed per import). The last day's reports are full; older days
/// keep only failing findings.
/// Read tokens made by `seed`.
pub(crate) struct Readers {
    /// Every site.
    pub(crate) reader: String,
    /// Every site named (a scope of its own).
    pub(crate) wallboard: String,
    /// Each every site but one: each a scope of its own, so its first dashboard request is
    /// a cache miss.
    pub(crate) fresh: Vec<String>,
}

/// Tokens whose first dashboard request misses the cache.
pub(crate) const FRESH_SCOPES: u32 = 60;

pub(crate) fn seed(
    db: &Path,
    a: &Args,
    now: OffsetDateTime,
) -> anyhow::Result<(Vec<String>, Readers)> {
    let store = Store::open(db)?;
    let mut agent_tokens = Vec::new();
    let per_agent = a.sites.div_ceil(AGENTS);
    for k in 0..AGENTS {
        let sites: Vec<String> = (k * per_agent..((k + 1) * per_agent).min(a.sites))
            .map(site_name)
            .collect();
        let req = NewToken {
            name: &format!("agent-{k:02}"),
            sites: &sites,
            read_only: false,
        };
        agent_tokens.push(admin::add_token(&store, &req, now)?.0.expose().to_string());
    }
    let reader = admin::add_token(
        &store,
        &NewToken {
            name: "reader",
            sites: &[],
            read_only: true,
        },
        now,
    )?
    .0
    .expose()
    .to_string();
    // A wallboard's token: read-only, every site named. It sees what `reader` sees, but the
    // collector caches its answer apart (by scope), so its slow polls measure the rebuild.
    let every: Vec<String> = (0..a.sites).map(site_name).collect();
    let wallboard = admin::add_token(
        &store,
        &NewToken {
            name: "wallboard",
            sites: &every,
            read_only: true,
        },
        now,
    )?
    .0
    .expose()
    .to_string();
    let mut fresh = Vec::new();
    for k in 0..FRESH_SCOPES.min(a.sites) {
        let but_one: Vec<String> = (0..a.sites).filter(|&i| i != k).map(site_name).collect();
        let req = NewToken {
            name: &format!("board-{k:02}"),
            sites: &but_one,
            read_only: true,
        };
        fresh.push(admin::add_token(&store, &req, now)?.0.expose().to_string());
    }
    for day in 0..a.days {
        let at_day = now - Duration::from_secs(u64::from(a.days - day) * 86_400);
        let full = day + 1 == a.days;
        let mut batch = Vec::with_capacity((a.sites * a.switches_per_site) as usize);
        for s in 0..a.sites {
            let site = site_name(s);
            for sw in 0..a.switches_per_site {
                let at = at_day + Duration::from_secs(u64::from(sw) * 60);
                let r = switch_report(
                    format!("{site}-sw{sw:02}-d{day:03}"),
                    &site,
                    sw,
                    &rfc(at),
                    s * 31 + sw * 7 + day,
                    full,
                );
                batch.push(new_report(r, at, &format!("agent-{:02}", s / per_agent)));
            }
        }
        store.import(&batch)?;
        if day % 10 == 9 || full {
            eprintln!("seeded day {}/{}", day + 1, a.days);
        }
    }
    // The cutover calendar: every site, cutovers spread over 18 months from 60 days ago (so
    // some sites are past theirs), in waves of 50.
    let today = now.date();
    let calendar: Vec<lanready_collector::programme::CalendarEntry> = (0..a.sites)
        .map(|s| {
            let cutover =
                today + time::Duration::days(i64::from(s) * 540 / i64::from(a.sites) - 60);
            lanready_collector::programme::CalendarEntry {
                site: site_name(s),
                cutover,
                wave: Some(s / 50 + 1),
                extensions: Some(100),
                owner: Some(format!("owner {}", s % 7)),
            }
        })
        .collect();
    store.set_calendar(&calendar, now)?;
    Ok((
        agent_tokens,
        Readers {
            reader,
            wallboard,
            fresh,
        },
    ))
}
