//! The dashboard page in headless Chromium against a running collector: sites in rank
//! order with their verdicts, scores, blockers, PoE bars and trend lines, as rendered into
//! the DOM by the page's own script; plus a screenshot.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lanready_collector::auth::{Token, TokenKind};
use lanready_schema::Verdict;
use reqwest::StatusCode;

use crate::collector::{Collector, Options, Spec, add_token, post, report};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium on `url` with `extra` flags; returns stdout. Bounded to 90 s.
pub(crate) fn chromium(url: &str, extra: &[String]) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run .ci/setup (Debian package chromium)"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--virtual-time-budget=5000")
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

pub(crate) async fn dump_dom(url: String) -> String {
    tokio::task::spawn_blocking(move || chromium(&url, &["--dump-dom".to_string()]))
        .await
        .unwrap()
}

async fn screenshot(url: String, path: PathBuf) {
    screenshot_at(url, path, (1280, 900)).await
}

/// A screenshot of `url` in a window of `size` (width, height) pixels.
pub(crate) async fn screenshot_at(url: String, path: PathBuf, size: (u32, u32)) {
    tokio::task::spawn_blocking(move || {
        chromium(
            &url,
            &[
                format!("--screenshot={}", path.display()),
                format!("--window-size={},{}", size.0, size.1),
                "--hide-scrollbars".to_string(),
            ],
        )
    })
    .await
    .unwrap();
}

/// The value of `attr="..."` in `tag` (the opening tag's text).
pub(crate) fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Each `<section class="site" ...>` with its opening tag and its whole text up to the next.
fn site_sections(dom: &str) -> Vec<(String, String)> {
    let marker = "<section class=\"site\"";
    let mut out = Vec::new();
    let starts: Vec<usize> = dom.match_indices(marker).map(|(i, _)| i).collect();
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(dom.len());
        let body = &dom[s..end];
        let open = &body[..body.find('>').unwrap() + 1];
        out.push((open.to_string(), body.to_string()));
    }
    out
}

async fn populated_collector(dir: &Path) -> (Collector, Token) {
    let db = dir.join("collector.db");
    let agent = add_token(
        &db,
        "station",
        TokenKind::Agent,
        &["hq-main", "annex", "branch-north", "depot"],
    );
    let viewer = add_token(&db, "wallboard", TokenKind::ReadOnly, &[]);
    let c = Collector::start(&db, Options::default()).await;
    let h = Duration::from_secs(3600);
    let reports = [
        report(Spec {
            id: "hq-1",
            site: "hq-main",
            age: 48 * h,
            score: 20,
            verdict: Verdict::NotReady,
            blockers: &[("poe.budget", "Gi1/0/1")],
            ..Spec::default()
        }),
        report(Spec {
            id: "hq-2",
            site: "hq-main",
            age: 24 * h,
            score: 35,
            verdict: Verdict::NotReady,
            blockers: &[("poe.budget", "Gi1/0/1")],
            ..Spec::default()
        }),
        report(Spec {
            id: "hq-3",
            site: "hq-main",
            age: h,
            score: 42,
            verdict: Verdict::NotReady,
            blockers: &[
                ("voice_vlan.port", "Gi1/0/7"),
                ("voice_vlan.port", "Gi2/0/3"),
                ("poe.budget", "Gi2/0/1"),
            ],
            poe: &[(1, 740, 200, 150), (2, 370, 250, 180)],
        }),
        report(Spec {
            id: "an-1",
            site: "annex",
            score: 60,
            verdict: Verdict::NotReady,
            blockers: &[("qos.voice_priority", "Gi1/0/2")],
            ..Spec::default()
        }),
        report(Spec {
            id: "bn-1",
            site: "branch-north",
            score: 85,
            verdict: Verdict::AtRisk,
            ..Spec::default()
        }),
        report(Spec {
            id: "de-1",
            site: "depot",
            age: 30 * h,
            score: 97,
            verdict: Verdict::Ready,
            poe: &[(1, 1100, 90, 300)],
            ..Spec::default()
        }),
    ];
    for r in &reports {
        let (s, b) = post(&c.url, &agent, r).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    (c, viewer)
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_renders_sites_worst_first_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (c, viewer) = populated_collector(dir.path()).await;
    let url = format!("{}/#token={}", c.url, viewer.expose());
    let dom = dump_dom(url.clone()).await;
    assert!(
        dom.contains("data-loaded=\"true\""),
        "the page did not render its data:\n{dom}"
    );
    // The token left the address bar and never went into the markup.
    assert!(!dom.contains(viewer.expose()));

    let sections = site_sections(&dom);
    let order: Vec<(&str, &str, &str, &str)> = sections
        .iter()
        .map(|(open, _)| {
            (
                attr(open, "data-rank").unwrap(),
                attr(open, "data-site").unwrap(),
                attr(open, "data-verdict").unwrap(),
                attr(open, "data-score").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("1", "hq-main", "not_ready", "42"),
            ("2", "annex", "not_ready", "60"),
            ("3", "branch-north", "at_risk", "85"),
            ("4", "depot", "ready", "97"),
        ]
    );
    let (_, hq) = &sections[0];
    assert!(hq.contains(">NOT READY</span>"), "{hq}");
    assert!(
        hq.contains("<span class=\"score\">42<small> / 100</small></span>"),
        "{hq}"
    );
    assert!(
        hq.contains("\u{25B2} +7"),
        "score delta since the previous report: {hq}"
    );
    // Top blockers grouped by check, most frequent first.
    let checks: Vec<(&str, &str)> = hq
        .match_indices("<li data-check=")
        .map(|(i, _)| {
            let tag = &hq[i..i + hq[i..].find('>').unwrap() + 1];
            (
                attr(tag, "data-check").unwrap(),
                attr(tag, "data-count").unwrap(),
            )
        })
        .collect();
    assert_eq!(checks, [("voice_vlan.port", "2"), ("poe.budget", "1")]);
    assert!(
        hq.contains("Gi1/0/7: voice_vlan.port fails \u{2014} hq-main-acc1 Gi1/0/7"),
        "{hq}"
    );
    // PoE bars per stack member: widths are consumed and planned against the budget, and
    // member 2 (250 + 180 > 370 W) is flagged over budget.
    assert!(hq.contains("hq-main-acc1 member 1"), "{hq}");
    assert!(hq.contains("200 W + 150 W planned / 740 W"));
    assert!(
        hq.contains("width: 27%;") && hq.contains("width: 20.3%;"),
        "{hq}"
    );
    assert!(hq.contains("class=\"poe-row over\""), "{hq}");
    assert_eq!(hq.matches("class=\"poe-row").count(), 2);
    // The trend line has the three reports.
    let pl = hq.find("<polyline points=\"").expect("a trend polyline");
    let points = attr(&hq[pl..], "points").unwrap();
    assert_eq!(points.split(' ').count(), 3, "{points}");
    assert!(hq.contains("aria-label=\"score trend: 20, 35, 42\""));

    let (_, depot) = &sections[3];
    assert!(
        depot.contains(">READY</span>") && depot.contains(">STALE</span>"),
        "{depot}"
    );
    assert!(depot.contains("no blockers"));
    let (_, branch) = &sections[2];
    assert!(branch.contains(">AT RISK</span>") && !branch.contains(">STALE</span>"));
    // Estate tiles.
    let tile = |label: &str| {
        let i = dom
            .find(&format!("data-tile=\"{label}\""))
            .unwrap_or_else(|| panic!("tile {label}"));
        let v = &dom[i..];
        let s = v.find("<div class=\"v\">").unwrap() + "<div class=\"v\">".len();
        v[s..s + v[s..].find('<').unwrap()].to_string()
    };
    assert_eq!(tile("sites"), "4");
    assert_eq!(tile("not ready"), "2");
    assert_eq!(tile("stale"), "1");
    assert_eq!(tile("blockers"), "4");

    // A screenshot, checked to be a real 1280x900 PNG. Set LANREADY_SCREENSHOT=FILE to keep it.
    let png = std::env::var_os("LANREADY_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("dashboard.png"));
    screenshot(url, png.clone()).await;
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1280, 900));
    assert!(
        bytes.len() > 20_000,
        "a screenshot of a rendered page, not a blank one"
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_asks_for_a_token_and_says_when_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _viewer) = populated_collector(dir.path()).await;
    let dom = dump_dom(format!("{}/", c.url)).await;
    assert!(
        dom.contains("<form id=\"login\">"),
        "login form shown: {dom}"
    );
    assert!(site_sections(&dom).is_empty());
    let dom = dump_dom(format!("{}/#token=lrc_wrong", c.url)).await;
    assert!(dom.contains("the token was refused (401)"), "{dom}");
    assert!(site_sections(&dom).is_empty());
    c.stop().await;
}
