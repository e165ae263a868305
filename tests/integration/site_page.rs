//! The site page (`/#site=NAME`) in headless Chromium against a real collector and a real
//! SQLite file, from real scans' reports (the golden reports of the stack3 and nopoe
//! fixtures): the dashboard links each site to its page; the page shows every switch, PoE
//! per pool (and "no PoE"), each finding with its evidence and fix (a waived one marked), the
//! trend with dates, the bill of works and the download links, which serve the fix
//! configuration.

use std::path::PathBuf;

use lanready_collector::auth::TokenKind;
use lanready_collector::store::Store;
use lanready_collector::waiver::NewWaiver;
use lanready_schema::{Report, Status};

use crate::collector::{Collector, Options, add_token, get, post};
use crate::dashboard::{attr, dump_dom, screenshot_at};

fn golden(name: &str, site: &str, secs_ago: i64) -> Report {
    let path = format!("{}/golden/report-{name}.json", env!("CARGO_MANIFEST_DIR"));
    let mut r: Report = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    r.site = site.into();
    r.id = format!("{site}-{secs_ago}");
    let at = time::OffsetDateTime::now_utc() - time::Duration::seconds(secs_ago);
    r.generated_at = at
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_page_shows_switches_findings_poe_and_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station", TokenKind::Agent, &["annex", "depot", "hq"]);
    let viewer = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let annex = golden("voice-qos", "annex", 60);
    // One of annex's socket findings is an accepted exception.
    let waived = annex
        .findings
        .iter()
        .find(|f| f.status == Status::Fail && f.port.is_some())
        .expect("a failing socket finding")
        .clone();
    {
        let store = Store::open(&db).unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        let w = NewWaiver {
            site: "annex".into(),
            check: waived.check.clone(),
            switch: None,
            port: waived.port.clone(),
            reason: "recabled in wave 2".into(),
            expires: (today + time::Duration::days(30)).to_string(),
            by: "Jo Bloggs".into(),
        }
        .check(today)
        .unwrap();
        store
            .add_waiver(&w, "cli", time::OffsetDateTime::now_utc())
            .unwrap();
    }
    let c = Collector::start(&db, Options::default()).await;
    // Two scans of annex a day apart (the trend), and one of depot (a switch without PoE).
    let (s, b) = post(&c.url, &agent, &golden("voice-qos", "annex", 86_400 + 60)).await;
    assert!(s.is_success(), "{b}");
    let (s, b) = post(&c.url, &agent, &annex).await;
    assert!(s.is_success(), "{b}");
    let (s, b) = post(&c.url, &agent, &golden("nopoe-unreachable", "depot", 30)).await;
    assert!(s.is_success(), "{b}");
    // hq: a stack member short of PoE (and a failed supply).
    let hq = golden("poe-budget", "hq", 30);
    let (s, b) = post(&c.url, &agent, &hq).await;
    assert!(s.is_success(), "{b}");

    // The dashboard links each site to its page.
    let dom = dump_dom(format!("{}/#token={}", c.url, viewer.expose())).await;
    assert!(dom.contains("data-loaded=\"true\""), "{dom}");
    let link = dom
        .find("href=\"#site=annex\"")
        .map(|i| &dom[dom[..i].rfind('<').unwrap()..i + 40])
        .expect("a link to annex's page");
    assert!(
        link.starts_with("<a class=\"site-name site-link\""),
        "{link}"
    );

    // A card whose top blockers leave some out says how many more: depot's 29 blockers
    // over more checks than its five groups show.
    let (s, text) = get(&c.url, "/api/v1/dashboard", Some(&viewer)).await;
    assert!(s.is_success());
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let depot = dash["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"] == "depot")
        .unwrap();
    let shown: u64 = depot["top_blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    let more = depot["counts"]["blockers"].as_u64().unwrap() - shown;
    assert!(more > 0, "depot's card shows every blocker: {depot}");
    assert!(
        dom.contains(&format!(
            "data-more=\"{more}\">+{more} more blocker findings"
        )),
        "{dom}"
    );

    // Following it (with the token, as the dashboard's own address carries it).
    let url = format!("{}/#site=annex&token={}", c.url, viewer.expose());
    let dom = dump_dom(url.clone()).await;
    assert!(
        dom.contains("data-site-loaded=\"annex\""),
        "the page did not render:\n{dom}"
    );
    assert!(
        !dom.contains(viewer.expose()),
        "the token stays out of the page"
    );
    assert!(
        dom.contains("<div id=\"view-site\" class=\"sitepage\">"),
        "{dom}"
    );
    let sw = &annex.switches[0];
    assert!(
        dom.contains(&format!("<tr data-switch=\"{}\">", sw.address)),
        "{dom}"
    );
    assert!(dom.contains(sw.model.as_deref().unwrap()));
    // A port's finding with its evidence and fix, and the waived one marked.
    let port_finding = annex
        .findings
        .iter()
        .find(|f| f.status == Status::Fail && f.port.is_some() && f.check != waived.check)
        .or_else(|| {
            annex
                .findings
                .iter()
                .filter(|f| f.port.is_some() && f.status == Status::Fail)
                .nth(1)
        })
        .expect("a second port finding");
    let marker = format!(
        "data-check=\"{}\" data-port=\"{}\"",
        port_finding.check,
        port_finding.port.as_deref().unwrap()
    );
    let at = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("{marker} in\n{dom}"));
    let det = &dom[dom[..at].rfind('<').unwrap()..];
    let det = &det[..det.find("</details>").unwrap()];
    if let Some(e) = port_finding.evidence.first() {
        assert!(det.contains(&e.object), "{det}");
    }
    let waived_marker = format!(
        "class=\"finding waived\" data-check=\"{}\" data-port=\"{}\"",
        waived.check,
        waived.port.as_deref().unwrap()
    );
    assert!(dom.contains(&waived_marker), "{waived_marker}");
    assert!(dom.contains("waived: recabled in wave 2 (Jo Bloggs, until"));
    // The trend has dates on its axis.
    assert!(dom.contains("data-tick=\""), "{dom}");
    // The download links name their API paths, and the paths serve the configuration.
    let path = format!(
        "/api/v1/sites/annex/config?switch={}",
        sw.address.replace(':', "%3A")
    );
    let tag = &dom[dom
        .find(&format!("data-path=\"{path}\""))
        .expect("a per-switch download")..];
    assert!(
        attr(&format!(" {tag}"), "data-file")
            .unwrap()
            .ends_with(".ios")
    );
    let (s, text) = get(&c.url, &path, Some(&viewer)).await;
    assert!(s.is_success());
    assert_eq!(
        text,
        lanready_works::config::switch_config(&annex, &sw.address).unwrap()
    );
    assert!(dom.contains("data-path=\"/api/v1/sites/annex/works?format=csv\""));

    // depot: a switch without PoE shows as "no PoE", the unreachable one as not answering,
    // its PoE unknown (never "no PoE").
    let dom = dump_dom(format!("{}/#site=depot&token={}", c.url, viewer.expose())).await;
    assert!(dom.contains("data-site-loaded=\"depot\""), "{dom}");
    assert_eq!(dom.matches("<tr data-poe=\"none\">").count(), 1, "{dom}");
    assert!(dom.contains("<tr data-poe=\"unknown\">"), "{dom}");
    assert!(
        dom.contains("PoE unknown, verify by hand: the switch did not answer"),
        "{dom}"
    );
    assert!(dom.contains(">no: "), "{dom}");
    // The switch without PoE is replaced: its configuration is for the replacement.
    assert!(dom.contains("class=\"meta replacement\""), "{dom}");

    // hq: PoE per pool, member 2 short as the report's pools say, and the power to buy.
    let dom = dump_dom(format!("{}/#site=hq&token={}", c.url, viewer.expose())).await;
    assert!(dom.contains("data-site-loaded=\"hq\""), "{dom}");
    let pools = &hq.switches[0].poe;
    let short = pools.iter().find(|p| p.short_w.unwrap_or(0) > 0).unwrap();
    let row = &dom[dom
        .find(&format!("data-pool=\"{}\"", short.pool.as_deref().unwrap()))
        .unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains(&format!("{} W short", short.short_w.unwrap())),
        "{row}"
    );
    assert!(dom.contains("<tr data-item=\"poe_power\">"), "{dom}");
    assert!(dom.contains("<tr data-item=\"failed_supply\">"), "{dom}");

    // A screenshot to look at. Set LANREADY_SITE_SCREENSHOT=FILE to keep it.
    let png = std::env::var_os("LANREADY_SITE_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("site.png"));
    screenshot_at(url, png.clone(), (1280, 2400)).await;
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 30_000, "a rendered page, not a blank one");
    c.stop().await;
}
