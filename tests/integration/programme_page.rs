//! The dashboard's programme view in headless Chromium against the real collector binary
//! and a real SQLite file: the cutover timeline, slipping sites first, each site's dated
//! burn-down, and the banner for a regression after cutover.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use lanready_collector::auth::TokenKind;
use lanready_schema::Verdict;
use lanready_tests::binary;
use reqwest::StatusCode;

use crate::collector::{Collector, Options, Spec, add_token, post, report};
use crate::dashboard::{attr, dump_dom, screenshot_at};

const DAY: u64 = 86_400;

/// A day `days` from today (UTC), `YYYY-MM-DD`.
fn day_from_today(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `D Mon` as the page writes a day `days` from today.
fn label(days: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!(
        "{} {}",
        d.day(),
        MONTHS[usize::from(u8::from(d.month())) - 1]
    )
}

/// Posts a report of `site` scanned `days_ago` with `blockers` sockets lacking the voice VLAN.
async fn scan(
    c: &Collector,
    token: &lanready_collector::auth::Token,
    site: &str,
    n: &str,
    days_ago: u64,
    blockers: usize,
) {
    let ports: Vec<String> = (1..=blockers).map(|p| format!("Gi1/0/{p}")).collect();
    let failing: Vec<(&str, &str)> = ports
        .iter()
        .map(|p| ("voice_vlan.port", p.as_str()))
        .collect();
    let id = format!("{site}-{n}");
    let (score, verdict) = if blockers == 0 {
        (97, Verdict::Ready)
    } else {
        (40, Verdict::NotReady)
    };
    let r = report(Spec {
        id: &id,
        site,
        age: Duration::from_secs(days_ago * DAY + 60),
        score,
        verdict,
        blockers: &failing,
        ..Spec::default()
    });
    assert_eq!(post(&c.url, token, &r).await.0, StatusCode::CREATED, "{id}");
}

/// Each element's opening tag that starts with `marker`, in document order.
fn tags<'a>(dom: &'a str, marker: &str) -> Vec<&'a str> {
    dom.match_indices(marker)
        .map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap() + 1])
        .collect()
}

/// Each programme card's text, by site.
fn card<'a>(dom: &'a str, site: &str) -> &'a str {
    let start = dom
        .find(&format!("<section class=\"prog\" data-site=\"{site}\""))
        .unwrap_or_else(|| panic!("no programme card for {site}"));
    let end = dom[start + 1..]
        .find("<section")
        .map_or(dom.len(), |e| start + 1 + e);
    &dom[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_programme_view_puts_slipping_sites_first_with_dated_burn_downs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let sites = ["hq", "annex", "depot", "branch"];
    let agent = add_token(&db, "station", TokenKind::Agent, &sites);
    let viewer = add_token(&db, "wallboard", TokenKind::ReadOnly, &[]);
    let csv = dir.path().join("calendar.csv");
    std::fs::write(
        &csv,
        format!(
            "site,cutover,wave,extensions,owner\n\
             hq,{},1,300,Jo Bloggs\nannex,{},1,40,Sam\ndepot,{},1,25,Ash\nbranch,{},2,60,\n",
            day_from_today(21),
            day_from_today(5),
            day_from_today(-10),
            day_from_today(60)
        ),
    )
    .unwrap();
    let o = Command::new(binary("lanready-collector"))
        .args(["programme", "import", "--db", db.to_str().unwrap()])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // hq's fourth socket is accepted as an exception until its cabling work.
    let o = Command::new(binary("lanready-collector"))
        .args([
            "waiver",
            "add",
            "--db",
            db.to_str().unwrap(),
            "--site",
            "hq",
        ])
        .args([
            "--check",
            "voice_vlan.port",
            "--port",
            "Gi1/0/4",
            "--by",
            "Jo Bloggs",
        ])
        .args([
            "--reason",
            "recabled in wave 2",
            "--expires",
            &day_from_today(30),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = Collector::start(&db, Options::default()).await;
    // hq closes blockers fast enough (12, 8, 4: ready in about 10 days of its 21).
    scan(&c, &agent, "hq", "1", 20, 12).await;
    scan(&c, &agent, "hq", "2", 10, 8).await;
    scan(&c, &agent, "hq", "3", 0, 4).await;
    // annex barely moves (10 to 9 in 20 days) with 5 days left: slipping.
    scan(&c, &agent, "annex", "1", 20, 10).await;
    scan(&c, &agent, "annex", "2", 0, 9).await;
    // depot was ready before and after its cutover; today a socket lost its voice VLAN.
    scan(&c, &agent, "depot", "1", 12, 0).await;
    scan(&c, &agent, "depot", "2", 2, 0).await;
    scan(&c, &agent, "depot", "3", 0, 1).await;
    // branch has not been scanned.

    let url = format!("{}/#programme&token={}", c.url, viewer.expose());
    let dom = dump_dom(url.clone()).await;
    assert!(
        dom.contains("data-programme-loaded=\"true\"") && dom.contains("data-loaded=\"true\""),
        "the page did not render its data:\n{dom}"
    );
    assert!(
        !dom.contains(viewer.expose()),
        "the token stays out of the page"
    );
    // The programme view is the one shown.
    assert!(dom.contains("<div id=\"view-programme\">"), "{dom}");
    assert!(dom.contains("<div id=\"view-today\" hidden=\"\">"), "{dom}");

    // Slipping first (depot after cutover with a blocker, annex, branch with no scan) in
    // cutover order, then hq on track.
    let order: Vec<(&str, &str)> = tags(&dom, "<section class=\"prog\"")
        .iter()
        .map(|t| {
            (
                attr(t, "data-site").unwrap(),
                attr(t, "data-slipping").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("depot", "true"),
            ("annex", "true"),
            ("branch", "true"),
            ("hq", "false")
        ]
    );
    // The timeline is in cutover order, each site further right than the one before.
    let timeline: Vec<&str> = tags(&dom, "<g data-site=")
        .iter()
        .map(|t| attr(t, "data-site").unwrap())
        .collect();
    assert_eq!(timeline, ["depot", "annex", "hq", "branch"]);
    let xs: Vec<f64> = tags(&dom, "<path d=\"M")
        .iter()
        .filter_map(|t| attr(t, "data-x"))
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(xs.len(), 4, "{xs:?}");
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");

    // The regression after depot's cutover: a banner naming it, an incident on its card
    // and on today's card.
    let banner = &dom[dom.find("<div id=\"banner\"").unwrap()..];
    let banner = &banner[..banner.find("</div>").unwrap()];
    assert!(!banner.contains("hidden"), "{banner}");
    assert!(
        banner.contains("after cutover in the last 7 days, at depot"),
        "{banner}"
    );
    assert!(
        banner.contains("depot: voice_vlan.port on 127.0.0.1:16101 Gi1/0/1, was pass"),
        "{banner}"
    );
    let depot = card(&dom, "depot");
    assert!(
        depot.contains(">INCIDENT</span>") && depot.contains(">CUT OVER</span>"),
        "{depot}"
    );
    assert!(depot.contains("cut over 10 days ago"), "{depot}");
    let today_depot = &dom[dom
        .find("<section class=\"site\" data-site=\"depot\"")
        .unwrap()..];
    assert!(today_depot[..today_depot.find("</section>").unwrap()].contains(">INCIDENT</span>"));

    // hq: on track, with its burn-down's three days and the dates on its axis.
    let hq = card(&dom, "hq");
    assert!(
        hq.contains(">NOT READY</span>") && hq.contains(">ON TRACK</span>"),
        "{hq}"
    );
    assert!(hq.contains("21 days left"), "{hq}");
    // The waived socket is out of the count (3 of the 4 reported) and listed with its waiver.
    assert!(hq.contains("<dt>blockers</dt><dd>3</dd>"), "{hq}");
    assert!(
        hq.contains("voice_vlan.port Gi1/0/4") && hq.contains("by Jo Bloggs"),
        "{hq}"
    );
    let today_hq = &dom[dom
        .find("<section class=\"site\" data-site=\"hq\"")
        .unwrap()..];
    assert!(
        today_hq.contains("1 waiver in force: NOT READY with them"),
        "{today_hq}"
    );
    assert!(
        hq.contains(&format!(
            "aria-label=\"blocker burn-down: {} 12, {} 8, {} 4\"",
            label(-20),
            label(-10),
            label(0)
        )),
        "{hq}"
    );
    let dates: Vec<&str> = hq
        .match_indices("class=\"date\">")
        .map(|(i, m)| {
            let s = &hq[i + m.len()..];
            &s[..s.find('<').unwrap()]
        })
        .collect();
    assert_eq!(dates, [label(-28), label(0), label(21)], "{hq}");
    let annex = card(&dom, "annex");
    assert!(annex.contains(">SLIPPING</span>"), "{annex}");
    let branch = card(&dom, "branch");
    assert!(
        branch.contains(">NO SCAN YET</span>") && branch.contains("no scan in the last 28 days"),
        "{branch}"
    );

    // A screenshot of the view. Set LANREADY_SCREENSHOT_PROGRAMME=FILE to keep it.
    let png = std::env::var_os("LANREADY_SCREENSHOT_PROGRAMME")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("programme.png"));
    screenshot_at(url, png.clone(), (1280, 1300)).await;
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 20_000, "a rendered page, not a blank one");
    c.stop().await;
}
