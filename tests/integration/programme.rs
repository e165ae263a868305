//! The rollout programme against the real collector binary and a real SQLite file: waivers
//! and the cutover window in both gates, which must still agree.

use std::path::Path;
use std::process::{Command, Output};

use lanready_collector::auth::TokenKind;
use lanready_schema::Verdict;
use lanready_tests::binary;

use crate::collector::{Collector, Options, Spec, add_token, blocked_hq, post, report};

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn collector_cli(args: &[&str]) -> Output {
    Command::new(binary("lanready-collector"))
        .args(args)
        .output()
        .unwrap()
}

/// `lanready-collector gate` for a site, with the token in the environment.
fn collector_gate(url: &str, site: &str, token: &str, extra: &[&str]) -> Output {
    Command::new(binary("lanready-collector"))
        .args(["gate", "--url", url, "--site", site, "--allow-http"])
        .args(["--max-age", "3650d"])
        .args(extra)
        .env("LANREADY_TOKEN", token)
        .output()
        .unwrap()
}

/// A day `days` from today (UTC), `YYYY-MM-DD`.
fn day_from_today(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn waivers_and_the_cutover_window_in_both_gates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let dbs = db.to_str().unwrap().to_string();
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch"]);
    let ci = add_token(&db, "ci", TokenKind::ReadOnly, &["hq", "branch"]);
    let c = Collector::start(&db, Options::default()).await;
    let blocked = blocked_hq("h1");
    let at_risk = report(Spec {
        id: "b1",
        site: "branch",
        score: 80,
        verdict: Verdict::AtRisk,
        ..Spec::default()
    });
    for r in [&blocked, &at_risk] {
        assert_eq!(
            post(&c.url, &agent, r).await.0,
            reqwest::StatusCode::CREATED
        );
    }
    let report_file = dir.path().join("h1.json");
    std::fs::write(&report_file, serde_json::to_string(&blocked).unwrap()).unwrap();
    let (url, token) = (c.url.clone(), ci.expose().to_string());

    tokio::task::spawn_blocking(move || {
        // Before any waiver: the blocker fails both gates.
        let o = collector_gate(&url, "hq", &token, &[]);
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));

        // The exception is accepted for the floor's ports.
        let expires = day_from_today(30);
        let o = collector_cli(&[
            "waiver",
            "add",
            "--db",
            &dbs,
            "--site",
            "hq",
            "--check",
            "voice_vlan.port",
            "--port",
            "Gi1/0/*",
            "--reason",
            "floor 2 moves in wave 3",
            "--expires",
            &expires,
            "--by",
            "Jo Bloggs",
        ]);
        assert!(o.status.success(), "{}", out(&o));
        let id = String::from_utf8_lossy(&o.stdout).trim().to_string();

        let (ja, jc) = (
            dir.path().join("agent.xml"),
            dir.path().join("collector.xml"),
        );
        let o = collector_gate(&url, "hq", &token, &["--junit", jc.to_str().unwrap()]);
        let text = out(&o);
        assert_eq!(o.status.code(), Some(0), "{text}");
        assert!(
            text.contains("WAIVED (1; not counted against the site)"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "waiver #{id} by Jo Bloggs, until {expires}: floor 2 moves in wave 3"
            )),
            "{text}"
        );
        assert!(read(&jc).contains("waived: waiver #"), "{}", read(&jc));

        // The agent's gate over the same report, with the collector's waivers as a file:
        // the same exit code and the same JUnit.
        let w = collector_cli(&["waiver", "list", "--db", &dbs, "--site", "hq", "--json"]);
        assert!(w.status.success(), "{}", out(&w));
        let waivers = dir.path().join("waivers.json");
        std::fs::write(&waivers, &w.stdout).unwrap();
        let a = Command::new(binary("lanready-agent"))
            .arg("gate")
            .arg(&report_file)
            .args(["--max-age", "3650d", "--waivers", waivers.to_str().unwrap()])
            .args(["--junit", ja.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(a.status.code(), Some(0), "{}", out(&a));
        // The collector's age of the report differs from the file's by the time between
        // them; JUnit carries no age, so the two files are equal.
        assert_eq!(read(&ja), read(&jc), "the two gates' JUnit differ");

        // Revoked: the blocker counts again.
        let o = collector_cli(&["waiver", "revoke", "--db", &dbs, "--id", &id, "--by", "Ash"]);
        assert!(o.status.success(), "{}", out(&o));
        assert_eq!(
            collector_gate(&url, "hq", &token, &[]).status.code(),
            Some(1)
        );

        // At risk passes the gate, until its cutover is within --cutover-window.
        assert_eq!(
            collector_gate(&url, "branch", &token, &[]).status.code(),
            Some(0)
        );
        let window = ["--cutover-window", "14d"];
        let o = collector_gate(&url, "branch", &token, &window);
        assert_eq!(o.status.code(), Some(2), "not in the calendar: {}", out(&o));
        assert!(
            out(&o).contains("not in the collector's cutover calendar"),
            "{}",
            out(&o)
        );
        let cutover = day_from_today(7);
        let o = collector_cli(&[
            "programme",
            "set",
            "--db",
            &dbs,
            "--site",
            "branch",
            "--cutover",
            &cutover,
        ]);
        assert!(o.status.success(), "{}", out(&o));
        let o = collector_gate(&url, "branch", &token, &window);
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        assert!(
            out(&o).contains(&format!(
                "its cutover on {cutover} is 7 day(s) away, within --cutover-window"
            )),
            "{}",
            out(&o)
        );
        let o = collector_gate(&url, "branch", &token, &["--cutover-window", "3d"]);
        assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    })
    .await
    .unwrap();
    c.stop().await;
}

/// The number of pages in a PDF that Chromium wrote (its page objects).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_weekly_report_from_the_cli_prints_a_page_per_site_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let dbs = db.to_str().unwrap().to_string();
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch"]);
    let ci = add_token(&db, "ci", TokenKind::ReadOnly, &["hq", "branch"]);
    let csv = dir.path().join("calendar.csv");
    std::fs::write(
        &csv,
        format!(
            "site,cutover,wave,extensions,owner\nhq,{},1,300,Jo Bloggs\nbranch,{},2,40,\n",
            day_from_today(21),
            day_from_today(9)
        ),
    )
    .unwrap();
    let o = collector_cli(&["programme", "import", "--db", &dbs, csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    let c = Collector::start(&db, Options::default()).await;
    assert_eq!(
        post(&c.url, &agent, &blocked_hq("h1")).await.0,
        reqwest::StatusCode::CREATED
    );
    let (url, token) = (c.url.clone(), ci.expose().to_string());
    let html = dir.path().join("weekly.html");
    let pdf = dir.path().join("weekly.pdf");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).unwrap();
    let (html2, pdf2) = (html.clone(), pdf.clone());
    tokio::task::spawn_blocking(move || {
        let weekly = |format: &str| {
            collector_cli(&[
                "programme",
                "weekly",
                "--url",
                &url,
                "--allow-http",
                "--token-file",
                token_file.to_str().unwrap(),
                "--format",
                format,
            ])
        };
        let o = weekly("md");
        assert!(o.status.success(), "{}", out(&o));
        let md = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(md.starts_with("# lanready weekly report, "), "{md}");
        let order: Vec<usize> = ["## branch", "## hq"]
            .iter()
            .map(|h| md.find(h).unwrap())
            .collect();
        assert!(order[0] < order[1], "cutover order: {md}");
        assert!(
            md.contains("- **voice_vlan.port**: 1 port on 1 switch"),
            "{md}"
        );
        let o = weekly("html");
        assert!(o.status.success(), "{}", out(&o));
        std::fs::write(&html2, &o.stdout).unwrap();
        // A bad format is refused by the CLI; a bad token by the collector, with exit 2.
        assert_eq!(weekly("pdf").status.code(), Some(2));
        std::fs::write(&token_file, "lrc_wrong").unwrap();
        let o = weekly("md");
        assert_eq!(o.status.code(), Some(2));
        assert!(out(&o).contains("401"), "{}", out(&o));
        crate::dashboard::chromium(
            &format!("file://{}", html2.display()),
            &[
                format!("--print-to-pdf={}", pdf2.display()),
                "--no-pdf-header-footer".to_string(),
            ],
        );
    })
    .await
    .unwrap();
    let bytes = std::fs::read(&pdf).expect("chromium printed the page");
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    // The summary, then each site on a page of its own.
    assert_eq!(pdf_pages(&bytes), 3, "{}", read(&html));
    c.stop().await;
}
