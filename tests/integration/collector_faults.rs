//! The collector under faults and load: kill -9 of the real binary during sustained
//! concurrent ingest (every acknowledged report is back after a restart, nothing half
//! written), 50 agents posting while the dashboard is polled (every answer 2xx, RSS bounded),
//! and the hostile inputs the main collector tests leave out (SQL-looking ids and names in
//! every field, percent-encoded traversal, very long names, a token revoked mid-stream).
//! Loopback only; every loop is bounded in count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lanready_collector::auth::{Token, TokenKind};
use lanready_collector::store::Store;
use lanready_schema::api::{Dashboard, SiteDetail};
use reqwest::StatusCode;
use time::OffsetDateTime;

use crate::collector::{Collector, Options, Spec, add_token, get, post, report};
use lanready_tests::CollectorProcess;

fn vm_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// A report with some failing findings, so bodies are a few KB.
fn body(id: &str, site: &str, age_s: u64) -> Vec<u8> {
    let ports: Vec<(String, String)> = (1..=20)
        .map(|p| ("voice_vlan.port".into(), format!("Gi1/0/{p}")))
        .collect();
    let blockers: Vec<(&str, &str)> = ports
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .collect();
    serde_json::to_vec(&report(Spec {
        id,
        site,
        age: Duration::from_secs(age_s),
        score: 40,
        verdict: lanready_schema::Verdict::NotReady,
        blockers: &blockers,
        ..Spec::default()
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_sustained_ingest_keeps_every_acknowledged_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    const TASKS: usize = 8;
    let tokens: Vec<Token> = (0..TASKS)
        .map(|k| {
            add_token(
                &db,
                &format!("agent-{k}"),
                TokenKind::Agent,
                &[&format!("kill-{k}")],
            )
        })
        .collect();
    let server = CollectorProcess::start(&db, "127.0.0.1:0");
    let url = server.url.clone();
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (k, token) in tokens.into_iter().enumerate() {
        let (url, acked, stop) = (url.clone(), acked.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let site = format!("kill-{k}");
            let mut refused = 0;
            // Bounded: at most 2,000 posts a task, and stop once the server is gone.
            for i in 0..2000u64 {
                if stop.load(Ordering::Relaxed) && refused > 0 {
                    break;
                }
                let id = format!("kill-{k}-{i}");
                let r = client
                    .post(format!("{url}/api/v1/reports"))
                    .bearer_auth(token.expose())
                    .header("content-type", "application/json")
                    .body(body(&id, &site, 3000 - i))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acked.lock().unwrap().push((id, site.clone()));
                    }
                    Ok(r) => panic!("{id}: unexpected {} before the kill", r.status()),
                    Err(_) => refused += 1,
                }
                if refused > 0 {
                    break;
                }
            }
        }));
    }
    // Kill while posts are in flight, once a good number has been acknowledged.
    let t0 = Instant::now();
    while acked.lock().unwrap().len() < 300 && t0.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    server.kill_9();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300, "only {} acknowledged", acked.len());

    // Restart on the same file: it opens (WAL recovery) and serves.
    let server = CollectorProcess::start(&db, "127.0.0.1:0");
    let store = Store::open(&db).unwrap();
    let v = store.verify().unwrap();
    assert!(v.is_sound(), "after kill -9: {v:?}");
    assert!(v.reports >= acked.len() as u64, "{v:?}");
    for (id, site) in &acked {
        let r = store
            .report_by_id(site, id)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged report {id} lost"));
        assert_eq!(&r.report.site, site);
        let failed = r
            .report
            .findings
            .iter()
            .filter(|f| f.status == lanready_schema::Status::Fail)
            .count();
        assert_eq!(failed, 20, "{id} whole");
        assert!(lanready_schema::score::disagreements(&r.report).is_empty());
    }
    // And through the restarted server: every site reads, with its latest stored scan.
    let reader = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    for k in 0..TASKS {
        let (s, b) = get(
            &server.url,
            &format!("/api/v1/sites/kill-{k}"),
            Some(&reader),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let d: SiteDetail = serde_json::from_str(&b).unwrap();
        assert!(store.report_by_id(&d.site, &d.report_id).unwrap().is_some());
    }
    let (s, b) = get(&server.url, "/api/v1/dashboard", Some(&reader)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d: Dashboard = serde_json::from_str(&b).unwrap();
    assert_eq!(d.sites.len(), TASKS);
    eprintln!(
        "kill -9: {} acknowledged, {} stored (the rest were committed but not yet answered)",
        acked.len(),
        v.reports
    );
}

/// The bound on the collector's resident memory during the load test below. It measures
/// about 40 MB (BENCHMARKS.md); the bound leaves room for allocator slack, not for growth
/// with the number of reports.
const RSS_BOUND_KB: u64 = 150 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn fifty_agents_and_a_polled_dashboard_all_2xx_and_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    const AGENTS: usize = 50;
    let tokens: Vec<Token> = (0..AGENTS)
        .map(|k| {
            add_token(
                &db,
                &format!("agent-{k}"),
                TokenKind::Agent,
                &[&format!("load-{k}")],
            )
        })
        .collect();
    let reader = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let server = CollectorProcess::start(&db, "127.0.0.1:0");
    let pid = server.pid();
    let url = server.url.clone();
    let run_for = Duration::from_secs(4);
    let errors = Arc::new(AtomicU64::new(0));
    let posted = Arc::new(AtomicU64::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (k, token) in tokens.into_iter().enumerate() {
        let (url, errors, posted) = (url.clone(), errors.clone(), posted.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let site = format!("load-{k}");
            let mut i = 0u64;
            while t0.elapsed() < run_for && i < 1000 {
                let id = format!("load-{k}-{i}");
                let r = client
                    .post(format!("{url}/api/v1/reports"))
                    .bearer_auth(token.expose())
                    .header("content-type", "application/json")
                    .body(body(&id, &site, 2000 - i))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        posted.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
            }
        }));
    }
    let poller = {
        let (url, errors) = (url.clone(), errors.clone());
        tokio::spawn(async move {
            let mut polls = 0u32;
            while t0.elapsed() < run_for {
                let (s, b) = get(&url, "/api/v1/dashboard", Some(&reader)).await;
                if s != StatusCode::OK || serde_json::from_str::<Dashboard>(&b).is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                polls += 1;
            }
            polls
        })
    };
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while t0.elapsed() < run_for + Duration::from_millis(500) {
                peak.fetch_max(vm_rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    let polls = poller.await.unwrap();
    sampler.await.unwrap();
    let (errors, posted, peak) = (
        errors.load(Ordering::Relaxed),
        posted.load(Ordering::Relaxed),
        peak.load(Ordering::Relaxed),
    );
    eprintln!("50 agents: {posted} stored, {polls} dashboard polls, peak RSS {peak} kB");
    assert_eq!(errors, 0, "every post and poll answered 2xx");
    assert!(posted >= 100, "only {posted} reports stored in {run_for:?}");
    assert!(polls >= 5, "only {polls} dashboard polls");
    assert!(peak > 0, "RSS sampled");
    assert!(
        peak < RSS_BOUND_KB,
        "peak RSS {peak} kB over {RSS_BOUND_KB} kB"
    );
    drop(server);
    let store = Store::open(&db).unwrap();
    assert_eq!(store.report_count().unwrap(), posted);
    assert!(store.verify().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_looking_and_traversal_names_in_every_field_store_nothing_or_store_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let agent = add_token(&db, "agent", TokenKind::Agent, &["hq"]);
    let noc = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let c = Collector::start(&db, Options::default()).await;

    // Site names that look like SQL, traversal or markup, in the body: 422, nothing stored.
    let long = "a".repeat(65);
    let huge = "b".repeat(100_000);
    for site in [
        "hq' OR '1'='1",
        "hq'; DROP TABLE reports; --",
        "hq\"--",
        "../hq",
        "..%2Fhq",
        "hq/../../etc",
        "hq\\..\\win",
        "hq%00",
        "hq\u{0}",
        "<script>",
        long.as_str(),
        huge.as_str(),
        " hq",
        "",
    ] {
        let mut r = report(Spec::default());
        r.site = site.into();
        let (s, b) = post(&c.url, &agent, &r).await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::FORBIDDEN,
            "site {:?}: {s} {b}",
            &site[..site.len().min(40)]
        );
        assert!(
            !b.contains(&"b".repeat(200)),
            "the answer does not echo a huge name"
        );
    }
    // A report id longer than allowed: 422.
    let mut r = report(Spec::default());
    r.id = "i".repeat(129);
    assert_eq!(
        post(&c.url, &agent, &r).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // SQL-looking text where any printable text is allowed (the id, agent, finding
    // fields): stored verbatim, because nothing is ever spliced into SQL.
    let id = "r');DROP/**/TABLE/**/reports;--";
    let mut r = report(Spec {
        id,
        blockers: &[(
            "voice_vlan.port'; DELETE FROM tokens; --",
            "Gi1/0/1' OR 1=1",
        )],
        verdict: lanready_schema::Verdict::NotReady,
        ..Spec::default()
    });
    r.agent = "x\"); DELETE FROM site_latest; --".into();
    let (s, b) = post(&c.url, &agent, &r).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = get(&c.url, "/api/v1/sites/hq", Some(&noc)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!(d.report_id, id);
    assert_eq!(d.agent, r.agent);
    assert_eq!(
        d.findings[0].check,
        "voice_vlan.port'; DELETE FROM tokens; --"
    );
    let (s, b) = get(&c.url, "/api/v1/dashboard", Some(&noc)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let dash: Dashboard = serde_json::from_str(&b).unwrap();
    assert_eq!(dash.sites.len(), 1);
    assert_eq!(
        dash.sites[0].top_blockers[0].check,
        "voice_vlan.port'; DELETE FROM tokens; --"
    );

    // Names in the path: traversal (plain, percent-encoded, double-encoded, backslash),
    // SQL, very long. Each a 4xx; no file content or SQL error leaks.
    let long_path = "s".repeat(10_000);
    for path in [
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "%2E%2E",
        "..%2f..%2fetc%2fpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "..%5c..%5cwindows",
        "hq%00",
        "hq'%20OR%20'1'='1",
        "hq%27%3B%20DROP%20TABLE%20reports%3B--",
        "hq%22%20UNION%20SELECT%20body%20FROM%20reports--",
        "%3Cscript%3E",
        long_path.as_str(),
    ] {
        let (s, b) = get(&c.url, &format!("/api/v1/sites/{path}"), Some(&noc)).await;
        assert!(s.is_client_error(), "{}: {s}", &path[..path.len().min(40)]);
        for leak in ["root:", "sqlite", "SQL", "syntax", "panicked"] {
            assert!(!b.contains(leak), "{path}: {b}");
        }
    }
    // Injection in the query string: a clear 400.
    for q in [
        "trend=1;DROP%20TABLE%20reports",
        "trend=-1",
        "trend=1e9",
        "trend=%27",
    ] {
        let (s, b) = get(&c.url, &format!("/api/v1/sites/hq?{q}"), Some(&noc)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {b}");
    }
    c.stop().await;
    // Everything still there and sound: one report, both tokens.
    let store = Store::open(&db).unwrap();
    assert_eq!(store.report_count().unwrap(), 1);
    assert_eq!(store.active_tokens().unwrap().len(), 2);
    assert!(store.verify().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_revoked_mid_stream_is_refused_from_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let agent = add_token(&db, "station", TokenKind::Agent, &["hq"]);
    let c = Collector::start(&db, Options::default()).await;
    let mut statuses = Vec::new();
    for i in 0..40u64 {
        if i == 20 {
            // `token revoke` from another process while the agent keeps posting.
            Store::open(&db)
                .unwrap()
                .revoke_token("station", OffsetDateTime::now_utc())
                .unwrap();
        }
        let r = report(Spec {
            id: &format!("rv-{i}"),
            age: Duration::from_secs(1000 - i),
            ..Spec::default()
        });
        statuses.push(post(&c.url, &agent, &r).await.0);
    }
    assert!(
        statuses[..20].iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    c.stop().await;
    let store = Store::open(&db).unwrap();
    assert_eq!(store.report_count().unwrap(), 20);
    assert!(store.report_by_id("hq", "rv-19").unwrap().is_some());
    assert!(store.report_by_id("hq", "rv-20").unwrap().is_none());
}

/// Writes a request head (and `body`) on a raw connection, then reads what comes back within
/// `wait`: the status line's code, or None when nothing came.
async fn raw_post(
    addr: &str,
    token: &str,
    content_length: usize,
    body: &[u8],
    wait: Duration,
) -> (Option<u16>, tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(body).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let code = match tokio::time::timeout(wait, sock.read(&mut buf)).await {
        Ok(Ok(n)) if n > 12 => std::str::from_utf8(&buf[9..12])
            .ok()
            .and_then(|c| c.parse().ok()),
        _ => None,
    };
    (code, sock)
}

/// A collector with `opts` and an agent token, on a fresh database: (its folder, the
/// database, the token, the collector, its `host:port`).
async fn raw_collector(
    opts: Options,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Token,
    Collector,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let agent = add_token(&db, "agent", TokenKind::Agent, &[]);
    let c = Collector::start(&db, opts).await;
    let addr = c.url.trim_start_matches("http://").to_string();
    (dir, db, agent, c, addr)
}

/// A caller without a valid token is answered 401 from the headers alone: its body (here
/// never sent, though a megabyte is declared) is not waited for or held.
#[tokio::test]
async fn an_unauthenticated_upload_is_refused_before_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let c = Collector::start(&db, Options::default()).await;
    let addr = c.url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let (code, _sock) = raw_post(
        &addr,
        "lrc_not-a-token",
        1 << 20,
        b"",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(code, Some(401), "answered before the body");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A report whose body stops half way is answered 408 after the request timeout, and is
/// not stored then or later; a body declared over the limit is 413 at once.
#[tokio::test]
async fn a_half_sent_report_is_408_and_never_stored() {
    let (_dir, db, agent, c, addr) = raw_collector(Options {
        request_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let whole = body("half-1", "hq", 60);
    let (code, sock) = raw_post(
        &addr,
        agent.expose(),
        whole.len(),
        &whole[..whole.len() / 2],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(code, Some(408));
    drop(sock);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(Store::open(&db).unwrap().report_count().unwrap(), 0);
    let (code, _sock) = raw_post(&addr, agent.expose(), 3 << 20, b"", Duration::from_secs(5)).await;
    assert_eq!(code, Some(413));
    // The whole report goes in.
    let (s, b) = post(&c.url, &agent, &serde_json::from_slice(&whole).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// The report bodies in flight are bounded: with room for one, a second upload while the
/// first is still arriving is 503 before its body is read, and goes in once the first is done.
#[tokio::test]
async fn bodies_in_flight_are_bounded_with_a_503() {
    let (_dir, _db, agent, c, addr) = raw_collector(Options {
        body_limit: 64 * 1024,
        inflight_body_bytes: 64 * 1024,
        ..Options::default()
    })
    .await;
    let first = body("flight-1", "hq", 60);
    // The first declares its length and sends half: it holds its share.
    let (code, held) = raw_post(
        &addr,
        agent.expose(),
        first.len() + 40 * 1024,
        &first[..first.len() / 2],
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(code, None, "the first is still arriving");
    let second = body("flight-2", "hq", 50);
    let (code, _s) = raw_post(
        &addr,
        agent.expose(),
        second.len() + 40 * 1024,
        b"",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(code, Some(503), "no room for a second");
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, b) = post(&c.url, &agent, &serde_json::from_slice(&second).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// Silent and half-sent connections are closed (a head not sent within the header timeout,
/// a connection idle past the idle timeout), and one connection over the cap is answered 503
/// while the others are open: a crowd of silent clients cannot take the collector down.
#[tokio::test]
async fn silent_connections_are_closed_and_the_cap_answers_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_dir, _db, agent, c, addr) = raw_collector(Options {
        limits: lanready_collector::guard::Limits {
            max_connections: 4,
            header_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_millis(800),
        },
        ..Options::default()
    })
    .await;
    // Four silent connections take every slot; a fifth is told 503.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(3), fifth.read(&mut buf))
        .await
        .expect("the fifth is answered at once")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    // The silent ones are closed after the header timeout (a read sees EOF or a reset).
    for s in &mut silent {
        let r = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
        assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "still open: {r:?}");
    }
    // A head trickled in halves: closed at the header deadline too.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(3), slow.read(&mut buf)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // With the slots free again, a real client is served; a kept-alive connection that goes
    // quiet is closed after the idle timeout.
    let (s, b) = post(
        &c.url,
        &agent,
        &serde_json::from_slice(&body("after-crowd", "hq", 60)).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut kept = tokio::net::TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let r = tokio::time::timeout(Duration::from_secs(3), kept.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "kept-alive idle still open: {r:?}"
    );
}
