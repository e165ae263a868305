//! `GET /api/v1/programme` over a calendar and a synthetic history, with a fixed clock.

use lanready_schema::programme::{Phase, ProgrammeResponse};

use super::*;
use crate::programme::CalendarEntry;

const DAY: i64 = 86_400;

/// An hq report scanned `secs` after 2026-01-01 with `blockers` failing voice VLAN ports.
fn hq_with(id: &str, secs: i64, blockers: u32) -> Report {
    voice_blocked(id, "hq", secs, blockers)
}

fn calendar(f: &Fixture, rows: &[(&str, &str)]) {
    let entries: Vec<CalendarEntry> = rows
        .iter()
        .map(|(site, day)| CalendarEntry::parse(site, day, Some("1"), None, Some("Jo")).unwrap())
        .collect();
    f.state.store.set_calendar(&entries, t(0)).unwrap();
}

async fn programme(f: &Fixture, token: Option<&Token>) -> (StatusCode, Vec<u8>) {
    let (s, _, b) = send(f, "GET", "/api/v1/programme", token, None).await;
    (s, b)
}

async fn programme_of(f: &Fixture, token: &Token) -> ProgrammeResponse {
    let (s, b) = programme(f, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

#[tokio::test]
async fn the_programme_projects_each_sites_burn_down_against_its_cutover() {
    let f = fixture();
    calendar(
        &f,
        &[
            ("hq", "2026-01-22"),
            ("branch", "2026-01-10"),
            ("other", "2026-01-05"),
        ],
    );
    // 48 blockers four weeks ago, 30 eight days ago, 20 now: one closed a day.
    store(&f, &f.agent, &hq_with("h1", -28 * DAY, 48)).await;
    store(&f, &f.agent, &hq_with("h2", -8 * DAY, 30)).await;
    store(&f, &f.agent, &hq_with("h3", 0, 20)).await;

    let p = programme_of(&f, &f.agent).await;
    assert_eq!(p.schema, "lanready.programme/v1");
    assert_eq!(p.today, "2026-01-01");
    let sites: Vec<&str> = p.sites.iter().map(|s| s.site.as_str()).collect();
    // In cutover order; the agent's token does not read "other".
    assert_eq!(sites, ["branch", "hq"]);

    let branch = &p.sites[0];
    assert_eq!((branch.days_left, branch.phase), (9, Phase::Before));
    assert_eq!(
        (branch.verdict, branch.blockers, &branch.last_scan),
        (None, None, &None)
    );
    assert!(branch.projection.slipping, "no scan yet is never on track");

    let hq = &p.sites[1];
    assert_eq!((hq.days_left, hq.phase), (21, Phase::Before));
    assert_eq!(hq.verdict, Some(Verdict::NotReady));
    assert_eq!((hq.blockers, hq.blockers_week_ago), (Some(20), Some(30)));
    assert_eq!(hq.projection.blockers_per_day, Some(1.0));
    assert_eq!(hq.projection.since.as_deref(), Some("2025-12-04T00:00:00Z"));
    assert_eq!(hq.projection.projected_ready.as_deref(), Some("2026-01-21"));
    assert!(!hq.projection.slipping);
    assert_eq!((hq.wave, hq.owner.as_deref()), (Some(1), Some("Jo")));
    // The burn-down: each day with a scan in the 28 days to today (4 December is the
    // window's first day), its last report's blockers.
    let burn: Vec<(&str, u32)> = hq
        .burndown
        .iter()
        .map(|b| (b.day.as_str(), b.blockers))
        .collect();
    assert_eq!(
        burn,
        [("2025-12-04", 48), ("2025-12-24", 30), ("2026-01-01", 20)]
    );
    assert!(branch.burndown.is_empty());

    // The reader sees every calendar site.
    let all = programme_of(&f, &f.reader).await;
    let sites: Vec<&str> = all.sites.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(sites, ["other", "branch", "hq"]);

    // The day after hq's cutover with no new scan: after, and slipping (at a blocker a
    // day, the last of 20 closes on 12 February).
    f.clock.set(t(22 * DAY));
    let p = programme_of(&f, &f.agent).await;
    let hq = &p.sites[1];
    assert_eq!((hq.days_left, hq.phase), (-1, Phase::After));
    assert_eq!(hq.projection.projected_ready.as_deref(), Some("2026-02-12"));
    assert!(hq.projection.slipping);
    // 28 days back from 23 January is 26 December: the first two days fall out.
    let days: Vec<&str> = hq.burndown.iter().map(|b| b.day.as_str()).collect();
    assert_eq!(days, ["2026-01-01"]);
}

#[tokio::test]
async fn the_programme_needs_a_token() {
    let f = fixture();
    calendar(&f, &[("hq", "2026-01-22")]);
    let (s, b) = programme(&f, None).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "{}",
        String::from_utf8_lossy(&b)
    );
    // An empty calendar is an empty programme, not an error.
    f.state.store.remove_from_calendar("hq").unwrap();
    assert!(programme_of(&f, &f.reader).await.sites.is_empty());
}

#[tokio::test]
async fn a_regression_is_dated_by_its_scan_and_a_new_failing_port_counts_beside_old_ones() {
    let f = fixture();
    // hq cuts over on 30 December; every report below arrives on 1 January.
    calendar(&f, &[("hq", "2025-12-30")]);
    store(&f, &f.agent, &hq_with("h1", -3 * DAY, 0)).await;
    // Scanned on the cutover day, delivered late (from the agent's spool): before cutover.
    store(&f, &f.agent, &hq_with("h2", -2 * DAY, 1)).await;
    // Scanned after: Gi1/0/1 still fails (no regression), Gi1/0/2 is new on a switch where
    // the check already failed.
    store(&f, &f.agent, &hq_with("h3", 0, 2)).await;
    let p = programme_of(&f, &f.reader).await;
    let got: Vec<(&str, &str, Option<&str>, &str, bool)> = p.sites[0]
        .regressions
        .iter()
        .map(|g| {
            (
                g.report_id.as_str(),
                g.kind.as_str(),
                g.port.as_deref(),
                g.phase.as_str(),
                g.incident,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("h2", "verdict", None, "before", false),
            ("h2", "finding", Some("Gi1/0/1"), "before", false),
            ("h3", "finding", Some("Gi1/0/2"), "after", true),
        ]
    );
    assert_eq!(
        p.sites[0].regressions[2].was,
        "not failing (the check failed on other ports)"
    );
}

#[tokio::test]
async fn a_regression_after_cutover_is_an_incident_in_the_programme_and_metrics() {
    let f = fixture();
    // hq cut over on 31 December; the clock is 1 January, 01:00.
    calendar(&f, &[("hq", "2025-12-31")]);
    store(&f, &f.agent, &report("h1", "hq", &at(-3600), 95)).await;
    // The next scan finds two sockets without the voice VLAN, and is not ready.
    store(&f, &f.agent, &hq_with("h2", 0, 2)).await;
    // A resend is no new regression.
    store_again(&f, &hq_with("h2", 0, 2)).await;

    let p = programme_of(&f, &f.reader).await;
    let r = &p.sites[0].regressions;
    let kinds: Vec<(&str, Option<&str>)> = r
        .iter()
        .map(|g| (g.kind.as_str(), g.port.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("verdict", None),
            ("finding", Some("Gi1/0/1")),
            ("finding", Some("Gi1/0/2"))
        ]
    );
    assert!(r.iter().all(|g| g.incident && g.phase == "after"));
    assert_eq!(
        (r[0].was.as_str(), r[0].now.as_str()),
        ("ready", "not_ready")
    );
    assert_eq!(
        (r[1].report_id.as_str(), r[1].previous_id.as_str()),
        ("h2", "h1")
    );

    let (s, _, b) = send(&f, "GET", "/metrics", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("lanready_site_regressions{site=\"hq\",phase=\"after\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("lanready_site_regressions{site=\"hq\",phase=\"before\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("lanready_site_days_to_cutover{site=\"hq\"} -1"),
        "{text}"
    );

    // A week later they have left the programme's window.
    f.clock.set(t(8 * DAY));
    assert!(
        programme_of(&f, &f.reader).await.sites[0]
            .regressions
            .is_empty()
    );
}

/// Posts a report stored before: 200, nothing new.
async fn store_again(f: &Fixture, r: &Report) {
    let (s, b) = post(f, Some(&f.agent), json(r)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
}

/// Compares `got` with the golden file `collector/golden/NAME` (UPDATE_GOLDEN=1 writes it).
fn golden(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(got, want, "{name} differs from its golden file");
}

fn w_new(site: &str) -> crate::waiver::NewWaiver {
    crate::waiver::NewWaiver {
        site: site.into(),
        check: "voice_vlan.port".into(),
        switch: None,
        port: None,
        reason: "a reason".into(),
        expires: "2026-01-10".into(),
        by: "Jo Bloggs".into(),
    }
}

#[tokio::test]
async fn the_weekly_report_in_markdown_html_and_csv() {
    let f = fixture();
    let cal = [
        CalendarEntry::parse(
            "hq",
            "2026-01-22",
            Some("1"),
            Some("300"),
            Some("Jo Bloggs"),
        )
        .unwrap(),
        CalendarEntry::parse("branch", "2026-01-10", Some("1"), None, None).unwrap(),
    ];
    f.state.store.set_calendar(&cal, t(0)).unwrap();
    // A week ago three sockets lacked the voice VLAN; now Gi1/0/1 is fixed, Gi1/0/2-3 are
    // not, and Gi1/0/4 is new (and waived).
    let mut h1 = hq_with("h1", -8 * DAY, 3);
    let mut h2 = hq_with("h2", 0, 4);
    h2.findings.retain(|f| f.port.as_deref() != Some("Gi1/0/1"));
    for r in [&mut h1, &mut h2] {
        for f in r.findings.iter_mut().filter(|f| f.status == Status::Fail) {
            f.remediation = Some(format!(
                "interface {}\n switchport voice vlan 110",
                f.port.as_deref().unwrap_or("?")
            ));
        }
        lanready_schema::score::rejudge(r);
    }
    store(&f, &f.agent, &h1).await;
    store(&f, &f.agent, &h2).await;
    let w = crate::waiver::NewWaiver {
        site: "hq".into(),
        check: "voice_vlan.port".into(),
        switch: None,
        port: Some("Gi1/0/4".into()),
        reason: "desk moves, \"wave 3\"".into(),
        expires: "2026-01-10".into(),
        by: "Jo Bloggs".into(),
    }
    .check(t(0).date())
    .unwrap();
    f.state.store.add_waiver(&w, "cli", t(0)).unwrap();
    // One for Gi1/0/3, revoked in the period: it is listed as ended, its blocker counts.
    let ended = crate::waiver::NewWaiver {
        port: Some("Gi1/0/3".into()),
        reason: "patching in progress".into(),
        ..w_new("hq")
    }
    .check(t(-3 * DAY).date())
    .unwrap();
    let id = f
        .state
        .store
        .add_waiver(&ended, "cli", t(-3 * DAY))
        .unwrap();
    f.state.store.revoke_waiver(id, "Ash", t(-DAY)).unwrap();

    for (format, file, ctype) in [
        ("md", "weekly.md", "text/markdown; charset=utf-8"),
        ("html", "weekly.html", "text/html; charset=utf-8"),
        ("csv", "weekly.csv", "text/csv; charset=utf-8"),
    ] {
        let uri = format!("/api/v1/programme/weekly?since=7d&format={format}");
        let (s, headers, b) = send(&f, "GET", &uri, Some(&f.reader), None).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
        assert_eq!(headers[header::CONTENT_TYPE], ctype);
        golden(file, &String::from_utf8(b).unwrap());
    }
    // `since` defaults to 7 days.
    let mut bodies = Vec::new();
    for uri in [
        "/api/v1/programme/weekly?format=md",
        "/api/v1/programme/weekly?since=7d&format=md",
    ] {
        let (s, _, b) = send(&f, "GET", uri, Some(&f.reader), None).await;
        assert_eq!(s, StatusCode::OK);
        bodies.push(b);
    }
    assert_eq!(bodies[0], bodies[1]);
    // The CSV reads back as CSV: a row per action point, or one for a site without.
    let (_, _, b) = send(
        &f,
        "GET",
        "/api/v1/programme/weekly?format=csv",
        Some(&f.reader),
        None,
    )
    .await;
    let mut reader = csv::Reader::from_reader(&b[..]);
    let head = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let col = |row: &csv::StringRecord, name: &str| -> String {
        let at = head
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"));
        row[at].to_string()
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (col(&rows[0], "site"), col(&rows[1], "site")),
        ("branch".into(), "hq".into())
    );
    // Gi1/0/1 closed; Gi1/0/4 is new but waived, so it is neither new nor an action point.
    assert_eq!(
        (
            col(&rows[1], "blockers_closed"),
            col(&rows[1], "blockers_new")
        ),
        ("1".into(), "0".into())
    );
    assert_eq!(col(&rows[1], "action_ports"), "2", "Gi1/0/2-3 left");
    assert_eq!(
        (
            col(&rows[1], "wave"),
            col(&rows[1], "extensions"),
            col(&rows[1], "waivers_ended")
        ),
        ("1".into(), "300".into(), "1".into())
    );

    // Bad queries: 400, and no token: 401.
    for q in ["since=0s", "since=100d", "since=soon", "format=pdf"] {
        let (s, _, _) = send(
            &f,
            "GET",
            &format!("/api/v1/programme/weekly?{q}"),
            Some(&f.reader),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    let (s, _, _) = send(&f, "GET", "/api/v1/programme/weekly", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_programme_gathered_once_is_cut_to_each_token_and_gathered_again_on_change() {
    let f = fixture();
    calendar(&f, &[("hq", "2026-01-22"), ("other", "2026-02-01")]);
    let sites =
        |p: &ProgrammeResponse| -> Vec<String> { p.sites.iter().map(|s| s.site.clone()).collect() };
    // One gathering serves both tokens, each its own sites.
    assert_eq!(sites(&programme_of(&f, &f.reader).await), ["hq", "other"]);
    assert_eq!(sites(&programme_of(&f, &f.agent).await), ["hq"]);
    assert_eq!(sites(&programme_of(&f, &f.other).await), ["other"]);
    // A report stored, a calendar change, or the hour turning is seen at once.
    assert_eq!(programme_of(&f, &f.reader).await.sites[0].verdict, None);
    store(&f, &f.agent, &hq_with("h1", 0, 2)).await;
    assert_eq!(programme_of(&f, &f.reader).await.sites[0].blockers, Some(2));
    f.state.store.remove_from_calendar("other").unwrap();
    assert_eq!(sites(&programme_of(&f, &f.reader).await), ["hq"]);
    let before = programme_of(&f, &f.reader).await.sites[0].days_left;
    f.clock.set(t(DAY + 3600));
    assert_eq!(
        programme_of(&f, &f.reader).await.sites[0].days_left,
        before - 1
    );
}
