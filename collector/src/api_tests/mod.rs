//! Route tests: `app(state).oneshot(request)` against a real SQLite file, with a fixed clock.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lanready_schema::{Report, Severity, Status, Verdict};
use tower::ServiceExt;

use crate::aggregate::Staleness;
use crate::auth::{SiteScope, Token, TokenKind};
use crate::clock::FixedClock;
use crate::store::Store;
use crate::testutil::{finding, report, t, with_failing};
use crate::{AppState, Settings, app};
use lanready_schema::api::{Dashboard, ErrorBody, IngestResponse, SiteDetail, SitesResponse};

struct Fixture {
    dir: tempfile::TempDir,
    state: AppState,
    clock: Arc<FixedClock>,
    /// Agent for sites hq and branch.
    agent: Token,
    /// Agent for site other only.
    other: Token,
    reader: Token,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db")).unwrap();
    let agent = Token::generate();
    let other = Token::generate();
    let reader = Token::generate();
    let only = |s: &[&str]| SiteScope::Only(s.iter().map(|s| s.to_string()).collect());
    store
        .add_token(
            "agent-hq",
            TokenKind::Agent,
            &only(&["hq", "branch"]),
            &agent.hash(),
            t(0),
        )
        .unwrap();
    store
        .add_token(
            "agent-other",
            TokenKind::Agent,
            &only(&["other"]),
            &other.hash(),
            t(0),
        )
        .unwrap();
    store
        .add_token(
            "noc",
            TokenKind::ReadOnly,
            &SiteScope::All,
            &reader.hash(),
            t(0),
        )
        .unwrap();
    let clock = Arc::new(FixedClock::new(t(3600)));
    let settings = Settings {
        body_limit: 64 * 1024,
        staleness: Staleness::new(Duration::from_secs(2 * 3600)),
        ..Settings::default()
    };
    let state = AppState::new(store, clock.clone(), settings);
    Fixture {
        dir,
        state,
        clock,
        agent,
        other,
        reader,
    }
}

/// 2026-01-01T00:00:00Z + `secs`, as RFC 3339.
fn at(secs: i64) -> String {
    crate::aggregate::rfc3339(t(secs))
}

/// A not-ready report of `site` scanned `secs` after 2026-01-01 whose sockets Gi1/0/1 to
/// Gi1/0/`blockers` lack the voice VLAN (with no blockers: ready, score 95).
fn voice_blocked(id: &str, site: &str, secs: i64, blockers: u32) -> Report {
    if blockers == 0 {
        return report(id, site, &at(secs), 95);
    }
    let failing = (1..=blockers)
        .map(|n| {
            finding(
                "voice_vlan.port",
                Severity::Blocker,
                Status::Fail,
                "127.0.0.1:1161",
                Some(&format!("Gi1/0/{n}")),
            )
        })
        .collect();
    with_failing(report(id, site, &at(secs), 40), Verdict::NotReady, failing)
}

fn hq_report(id: &str, secs: i64, score: u8) -> Report {
    with_failing(
        report(id, "hq", &at(secs), score),
        Verdict::NotReady,
        vec![finding(
            "voice_vlan.port",
            Severity::Blocker,
            Status::Fail,
            "127.0.0.1:1161",
            Some("Gi1/0/7"),
        )],
    )
}

async fn send(
    f: &Fixture,
    method: &str,
    uri: &str,
    token: Option<&Token>,
    body: Option<Vec<u8>>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(tok) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {}", tok.expose()));
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(b)
        }
        None => Body::empty(),
    };
    let resp = app(f.state.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

async fn post(f: &Fixture, token: Option<&Token>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let (s, _, b) = send(f, "POST", "/api/v1/reports", token, Some(body)).await;
    (s, b)
}

/// Posts a report that must be stored (201).
async fn store(f: &Fixture, token: &Token, r: &Report) {
    let (s, b) = post(f, Some(token), json(r)).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
}

fn json(r: &Report) -> Vec<u8> {
    serde_json::to_vec(r).unwrap()
}

fn error_of(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .unwrap_or_else(|e| panic!("not an error body ({e}): {}", String::from_utf8_lossy(body)))
        .error
}

fn count(f: &Fixture) -> u64 {
    f.state.store.report_count().unwrap()
}

#[tokio::test]
async fn new_report_201_resend_200_same_answer_changed_409() {
    let f = fixture();
    let r = hq_report("scan-1", 0, 40);
    let (s1, b1) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s1, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b1));
    let a1: IngestResponse = serde_json::from_slice(&b1).unwrap();
    assert_eq!(
        (a1.id.as_str(), a1.site.as_str(), a1.score),
        ("scan-1", "hq", 40)
    );
    assert_eq!(a1.received_at, at(3600));
    // A resend an hour later answers exactly as before.
    f.clock.advance(Duration::from_secs(3600));
    // Whitespace differences do not make it a different report.
    let pretty = serde_json::to_vec_pretty(&r).unwrap();
    let (s2, b2) = post(&f, Some(&f.agent), pretty).await;
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(b2, b1);
    let mut changed = r.clone();
    changed.findings[0].message.push_str(" (edited)");
    let (s3, b3) = post(&f, Some(&f.agent), json(&changed)).await;
    assert_eq!(s3, StatusCode::CONFLICT);
    assert!(error_of(&b3).contains("scan-1") && error_of(&b3).contains("site \"hq\""));
    assert_eq!(count(&f), 1);
    // Another site's agent using the same id stores its own report: ids are unique per
    // site, so the answer says nothing of hq (before, a 409 told it the id was taken).
    let mut theirs = r.clone();
    theirs.site = "other".into();
    let (s4, b4) = post(&f, Some(&f.other), json(&theirs)).await;
    assert_eq!(s4, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b4));
    assert!(!String::from_utf8_lossy(&b4).contains("hq"));
    assert_eq!(count(&f), 2);
    assert_eq!(f.state.counters.ingested_total(), 2);
}

#[tokio::test]
async fn auth_failures_are_4xx_and_store_nothing() {
    let f = fixture();
    let body = json(&hq_report("scan-1", 0, 40));
    let (s, h, b) = send(&f, "POST", "/api/v1/reports", None, Some(body.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(h.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    assert!(error_of(&b).contains("missing Authorization"));
    let wrong = Token::generate();
    let (s, b) = post(&f, Some(&wrong), body.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!String::from_utf8_lossy(&b).contains(wrong.expose()));
    let (s, b) = post(&f, Some(&f.reader), body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(error_of(&b).contains("read-only"));
    let (s, b) = post(&f, Some(&f.other), body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(error_of(&b).contains("\"hq\""), "{}", error_of(&b));
    // Revoked: the same token that worked stops working.
    f.state.store.revoke_token("agent-hq", t(10)).unwrap();
    let (s, _) = post(&f, Some(&f.agent), body).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&f), 0);
    assert_eq!(
        f.state
            .counters
            .rejected_total(crate::metrics::RejectReason::Unauthorized),
        3
    );
}

#[tokio::test]
async fn bad_bodies_are_4xx_with_what_was_wrong() {
    let f = fixture();
    let good = serde_json::to_value(hq_report("scan-1", 0, 40)).unwrap();
    let with = |k: &str, v: serde_json::Value| {
        let mut j = good.clone();
        j[k] = v;
        serde_json::to_vec(&j).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "syntax",
            b"{\n  \"schema\": \"lanready.report/v1\",\n  oops".to_vec(),
            StatusCode::BAD_REQUEST,
            "line 3 column 3",
        ),
        (
            "not an object",
            b"[1,2]".to_vec(),
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            "no schema",
            {
                let mut j = good.clone();
                j.as_object_mut().unwrap().remove("schema");
                serde_json::to_vec(&j).unwrap()
            },
            StatusCode::BAD_REQUEST,
            "lanready.report/v1",
        ),
        (
            "v2",
            with("schema", "lanready.report/v2".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "accepts \"lanready.report/v1\"",
        ),
        (
            "schema not a string",
            with("schema", 7.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lanready.report/v1",
        ),
        (
            "unknown field",
            with("extra", 1.into()),
            StatusCode::BAD_REQUEST,
            "unknown field `extra`",
        ),
        (
            "wrong type",
            with("score", "high".into()),
            StatusCode::BAD_REQUEST,
            "line 1 column",
        ),
        (
            "score range",
            with("score", 101.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "above 100",
        ),
        (
            "bad time",
            with("generated_at", "yesterday".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "RFC 3339",
        ),
        (
            "future",
            with("generated_at", at(3600 + 16 * 60).into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ahead",
        ),
        (
            "empty id",
            with("id", "".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id is empty",
        ),
        (
            "traversal site",
            with("site", "../hq".into()),
            StatusCode::FORBIDDEN,
            "may not report",
        ),
    ];
    for (name, body, status, needle) in cases {
        let (s, b) = post(&f, Some(&f.agent), body).await;
        assert_eq!(s, status, "{name}: {}", String::from_utf8_lossy(&b));
        let e = error_of(&b);
        assert!(e.contains(needle), "{name}: {e:?} lacks {needle:?}");
    }
    assert_eq!(count(&f), 0);
}

#[tokio::test]
async fn invalid_report_id_is_422_and_stores_nothing() {
    let f = fixture();
    let mut r = hq_report("scan-1", 0, 40);
    r.id = "has space".into();
    let (s, b) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&b).contains("printable"));
    assert_eq!(count(&f), 0);
}

#[tokio::test]
async fn oversized_and_wrong_media_type() {
    let f = fixture();
    let mut r = hq_report("scan-1", 0, 40);
    r.findings[0].message = "x".repeat(70 * 1024);
    let (s, b) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(&b).contains("65536 bytes"));
    let req = Request::post("/api/v1/reports")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", f.agent.expose()),
        )
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(json(&hq_report("scan-2", 0, 40))))
        .unwrap();
    let resp = app(f.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(count(&f), 0);
}

#[tokio::test]
async fn reads_need_a_token_and_respect_its_sites() {
    let f = fixture();
    store(&f, &f.agent, &hq_report("h1", 0, 40)).await;
    let mut o = report("o1", "other", &at(0), 95);
    o.verdict = Verdict::Ready;
    store(&f, &f.other, &o).await;

    for uri in [
        "/api/v1/sites",
        "/api/v1/sites/hq",
        "/api/v1/dashboard",
        "/metrics",
    ] {
        let (s, _, _) = send(&f, "GET", uri, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let sites_of = |b: &[u8]| -> Vec<String> {
        let v: SitesResponse = serde_json::from_slice(b).unwrap();
        v.sites.into_iter().map(|s| s.site).collect()
    };
    let (s, _, b) = send(&f, "GET", "/api/v1/sites", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sites_of(&b), ["hq", "other"], "worst first");
    let (_, _, b) = send(&f, "GET", "/api/v1/sites", Some(&f.agent), None).await;
    assert_eq!(sites_of(&b), ["hq"]);
    let (s, _, _) = send(&f, "GET", "/api/v1/sites/other", Some(&f.agent), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = send(&f, "GET", "/api/v1/sites/branch", Some(&f.agent), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(error_of(&b).contains("no report"));
    for bad in [
        "..%2F..%2Fetc%2Fpasswd",
        "hq'%20OR%201=1--",
        "%2E%2E",
        "a%00b",
    ] {
        let (s, _, b) = send(
            &f,
            "GET",
            &format!("/api/v1/sites/{bad}"),
            Some(&f.reader),
            None,
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            String::from_utf8_lossy(&b)
        );
        assert!(error_of(&b).contains("site name"));
    }
    let (s, _, _) = send(&f, "GET", "/api/v1/sites/hq/../other", Some(&f.agent), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn site_detail_trend_and_staleness_follow_the_clock() {
    let f = fixture();
    for (i, score) in [(0, 20u8), (1, 40), (2, 60)] {
        let r = hq_report(&format!("h{i}"), i * 600, score);
        store(&f, &f.agent, &r).await;
    }
    let get = || async {
        let (s, _, b) = send(&f, "GET", "/api/v1/sites/hq", Some(&f.reader), None).await;
        assert_eq!(s, StatusCode::OK);
        serde_json::from_slice::<SiteDetail>(&b).unwrap()
    };
    let d = get().await;
    assert_eq!(d.score, 60);
    assert_eq!(d.report_id, "h2");
    assert_eq!(
        d.trend.iter().map(|p| p.score).collect::<Vec<_>>(),
        [20, 40, 60]
    );
    assert_eq!(
        d.findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count(),
        1
    );
    assert_eq!(d.age_seconds, 3600 - 1200);
    assert!(!d.stale);
    // Two hours after the last scan (stale-after is 2h): not yet; one second more: stale.
    f.clock.set(t(1200 + 7200));
    assert!(!get().await.stale);
    f.clock.set(t(1200 + 7201));
    let d = get().await;
    assert!(d.stale);
    assert_eq!(d.stale_after_seconds, 7200);
    let (_, _, b) = send(&f, "GET", "/api/v1/sites/hq?trend=2", Some(&f.reader), None).await;
    let d: SiteDetail = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        d.trend.iter().map(|p| p.score).collect::<Vec<_>>(),
        [40, 60]
    );
    let (s, _, _) = send(
        &f,
        "GET",
        "/api/v1/sites/hq?trend=5000",
        Some(&f.reader),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn dashboard_and_metrics() {
    let f = fixture();
    store(&f, &f.agent, &hq_report("h1", 0, 40)).await;
    let mut b = report("b1", "branch", &at(0), 92);
    b.verdict = Verdict::Ready;
    b.switches[0].poe = vec![lanready_schema::PoeBudget {
        group: 1,
        stack_member: Some(1),
        budget_w: 740,
        consumed_w: 212,
        planned_w: 300,
        ..Default::default()
    }];
    store(&f, &f.agent, &b).await;
    let (s, _, body) = send(&f, "GET", "/api/v1/dashboard", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    let d: Dashboard = serde_json::from_slice(&body).unwrap();
    assert_eq!(d.schema, "lanready.dashboard/v1");
    assert_eq!(
        d.sites.iter().map(|s| s.site.as_str()).collect::<Vec<_>>(),
        ["hq", "branch"]
    );
    assert_eq!(d.sites[0].top_blockers[0].check, "voice_vlan.port");
    assert_eq!(d.sites[1].poe[0].budget_w, 740);
    assert_eq!(
        (d.estate.sites, d.estate.ready, d.estate.not_ready),
        (2, 1, 1)
    );
    // 48 ports each: (40 + 92) / 2 = 66.
    assert_eq!(d.estate.score, Some(66));
    // A rejected post shows in the counters.
    let _ = post(&f, Some(&f.agent), b"{".to_vec()).await;
    let (s, h, body) = send(&f, "GET", "/metrics", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(body).unwrap();
    for line in [
        "lanready_site_score{site=\"hq\"} 40",
        "lanready_estate_score 66",
        "lanready_sites{verdict=\"ready\"} 1",
        "lanready_site_blockers{site=\"hq\"} 1",
        "lanready_site_score{site=\"branch\"} 92",
        "lanready_site_stale{site=\"branch\"} 0",
        "lanready_reports_ingested_total 2",
        "lanready_reports_rejected_total{reason=\"malformed\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?}:\n{text}");
    }
    // A site-scoped token sees its sites' series only, and not the collector-wide ingest
    // counters (they count every site's reports).
    let (s, _, body) = send(&f, "GET", "/metrics", Some(&f.agent), None).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("lanready_site_score{site=\"hq\"} 40"),
        "{text}"
    );
    assert!(!text.contains("site=\"other\""), "{text}");
    assert!(!text.contains("lanready_reports_ingested_total"), "{text}");
    assert!(!text.contains("lanready_reports_rejected_total"), "{text}");
}

#[tokio::test]
async fn page_is_public_and_self_contained() {
    let f = fixture();
    let (s, h, b) = send(&f, "GET", "/", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    let html = String::from_utf8(b).unwrap();
    assert!(html.contains("/api/v1/dashboard"));
    // The SVG namespace is a name, not a fetch; nothing else may point outside.
    let html = html.replace("\"http://www.w3.org/2000/svg\"", "");
    for external in [
        "http://", "https://", "//cdn", "<link", "src=\"", "url(", "@import",
    ] {
        assert!(!html.contains(external), "page refers to {external}");
    }
    let (s, _, b) = send(&f, "GET", "/nope", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(error_of(&b).contains("no such endpoint"));
}

#[tokio::test]
async fn internal_failures_are_500_without_detail() {
    let f = fixture();
    // Break the database under the running app.
    rusqlite::Connection::open(f.dir.path().join("c.db"))
        .unwrap()
        .execute_batch("DROP TABLE reports")
        .unwrap();
    let (s, _, b) = send(&f, "GET", "/api/v1/sites", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_of(&b), "internal error; see the collector's log");
    let (s, b) = post(&f, Some(&f.agent), json(&hq_report("scan-1", 0, 40))).await;
    assert_eq!(
        s,
        StatusCode::INTERNAL_SERVER_ERROR,
        "a 5xx, so the agent retries"
    );
    assert!(!String::from_utf8_lossy(&b).contains("no such table"));
    assert_eq!(
        f.state
            .counters
            .rejected_total(crate::metrics::RejectReason::Internal),
        1
    );
}

/// A report whose own verdict, score or counts its findings do not give (a forged "ready"
/// over a failed blocker) is refused with 422, and nothing is stored.
#[tokio::test]
async fn a_forged_verdict_is_refused_and_nothing_stored() {
    let f = fixture();
    let honest = hq_report("forged-1", 0, 40);
    let mut forged = honest.clone();
    forged.verdict = Verdict::Ready;
    forged.score = 100;
    forged.switches[0].verdict = Verdict::Ready;
    forged.switches[0].score = 100;
    let (s, b) = post(&f, Some(&f.agent), json(&forged)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error_of(&b);
    assert!(
        e.contains("score 100 but the findings score 40")
            && e.contains("verdict ready but the findings make it not_ready"),
        "{e}"
    );
    assert_eq!(count(&f), 0);
    // Counts alone forged: refused too.
    let mut counts = honest.clone();
    counts.counts.blockers = 0;
    let (s, b) = post(&f, Some(&f.agent), json(&counts)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}", error_of(&b));
    assert!(error_of(&b).contains("counts"), "{}", error_of(&b));
    // A switch's own verdict forged: refused.
    let mut sw = honest.clone();
    sw.switches[0].verdict = Verdict::Ready;
    let (s, b) = post(&f, Some(&f.agent), json(&sw)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_of(&b).contains("switch 127.0.0.1:1161: verdict ready"),
        "{}",
        error_of(&b)
    );
    assert_eq!(count(&f), 0);
    // The honest one is taken.
    store(&f, &f.agent, &honest).await;
    assert_eq!(count(&f), 1);
}

/// A huge or ancient `generated_at` is refused without being echoed whole.
#[tokio::test]
async fn bad_times_are_refused_briefly() {
    let f = fixture();
    let mut r = hq_report("t-huge", 0, 40);
    r.generated_at = "9".repeat(20_000);
    let (s, b) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.len() < 1000, "{} bytes answered", b.len());
    assert!(error_of(&b).contains("(20000 bytes)"), "{}", error_of(&b));
    let mut r = hq_report("t-zero", 0, 40);
    r.generated_at = "0000-01-01T00:00:00Z".into();
    let (s, b) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&b).contains("before 2020"), "{}", error_of(&b));
    assert_eq!(count(&f), 0);
}

/// A report naming thousands of distinct check ids is refused before any per-check work.
#[tokio::test]
async fn too_many_distinct_check_ids_are_refused() {
    let f = fixture();
    let mut r = hq_report("ids-1", 0, 40);
    for k in 0..100 {
        r.findings.push(finding(
            &format!("x.check{k}"),
            Severity::Info,
            Status::Pass,
            "127.0.0.1:1161",
            None,
        ));
    }
    let (s, b) = post(&f, Some(&f.agent), json(&r)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_of(&b).contains("distinct check ids"),
        "{}",
        error_of(&b)
    );
    assert_eq!(count(&f), 0);
}

/// A report dated ahead of the collector's clock (within the skew allowed) does not stay the
/// site's latest over a genuine scan that arrives after it.
#[tokio::test]
async fn a_future_dated_report_cannot_shadow_later_scans() {
    let f = fixture();
    // The clock is at t(3600). A "ready" report dated 14 minutes ahead...
    let ahead = report("ahead-1", "hq", &at(3600 + 14 * 60), 97);
    store(&f, &f.agent, &ahead).await;
    // ...then, a minute later, a genuine scan that finds a blocker.
    f.clock.advance(Duration::from_secs(60));
    let genuine = hq_report("genuine-1", 3600 + 30, 40);
    store(&f, &f.agent, &genuine).await;
    let (s, _, b) = send(&f, "GET", "/api/v1/sites/hq", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    let d: SiteDetail = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (d.report_id.as_str(), d.verdict),
        ("genuine-1", Verdict::NotReady)
    );
}

mod programme;
mod waivers;
mod webhook;
mod works;
