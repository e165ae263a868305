//! The collector through a real socket: `lanready_collector::serve` on 127.0.0.1:0 with a
//! real SQLite file, reports built in code and POSTed with reqwest, every read endpoint,
//! every kind of bad input, a restart on the same file, retention, concurrency, and the gate.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanready_collector::aggregate::Staleness;
use lanready_collector::auth::{SiteScope, Token, TokenKind};
use lanready_collector::clock::SystemClock;
use lanready_collector::gate::{self, GateOptions};
use lanready_collector::store::Store;
use lanready_collector::{AppState, Settings};
use lanready_gate::Criteria;
use lanready_schema::api::{Dashboard, ErrorBody, IngestResponse, SiteDetail, SitesResponse};
use lanready_schema::{Counts, Evidence, Finding, PoeBudget, Report, Severity, Status, Verdict};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A collector serving in this process on a free loopback port.
pub struct Collector {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

pub struct Options {
    pub body_limit: usize,
    pub stale_after: Duration,
    pub retention: Option<Duration>,
    pub request_timeout: Duration,
    /// Report bodies in flight at once, bytes.
    pub inflight_body_bytes: usize,
    /// Connection limits.
    pub limits: lanready_collector::guard::Limits,
    /// Serve HTTPS with this PEM certificate chain and key.
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_limit: 2 * 1024 * 1024,
            stale_after: Duration::from_secs(26 * 3600),
            retention: None,
            request_timeout: Duration::from_secs(30),
            inflight_body_bytes: lanready_collector::api::DEFAULT_INFLIGHT_BODY_BYTES,
            limits: lanready_collector::guard::Limits::default(),
            tls: None,
        }
    }
}

impl Collector {
    pub async fn start(db: &Path, opts: Options) -> Collector {
        Self::start_on(db, opts, "127.0.0.1:0").await
    }

    /// Starts on a given loopback address (to come back on the same port after a stop).
    pub async fn start_on(db: &Path, opts: Options, addr: &str) -> Collector {
        let store = Store::open(db).expect("opening the store");
        let settings = Settings {
            body_limit: opts.body_limit,
            staleness: Staleness::new(opts.stale_after),
            request_timeout: opts.request_timeout,
            inflight_body_bytes: opts.inflight_body_bytes,
            limits: opts.limits,
        };
        let state = AppState::new(store, Arc::new(SystemClock), settings);
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let bound = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let stopped = async {
            let _ = rx.await;
        };
        let (url, task) = match &opts.tls {
            Some((cert, key)) => {
                let acceptor = lanready_collector::tls::acceptor(cert, key).unwrap();
                let listener = lanready_collector::tls::TlsListener::new(listener, acceptor);
                let task = tokio::spawn(lanready_collector::serve(
                    listener,
                    state,
                    opts.retention,
                    stopped,
                ));
                (format!("https://{bound}"), task)
            }
            None => {
                let task = tokio::spawn(lanready_collector::serve(
                    listener,
                    state,
                    opts.retention,
                    stopped,
                ));
                (format!("http://{bound}"), task)
            }
        };
        Collector {
            url,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// Adds a token straight into the database (as `token add` does) and returns it.
pub fn add_token(db: &Path, name: &str, kind: TokenKind, sites: &[&str]) -> Token {
    let store = Store::open(db).unwrap();
    let t = Token::generate();
    let scope = if sites.is_empty() {
        SiteScope::All
    } else {
        SiteScope::Only(sites.iter().map(|s| s.to_string()).collect())
    };
    store
        .add_token(name, kind, &scope, &t.hash(), OffsetDateTime::now_utc())
        .unwrap();
    t
}

pub fn ago(d: Duration) -> String {
    (OffsetDateTime::now_utc() - d).format(&Rfc3339).unwrap()
}

/// Parameters for [`report`].
pub struct Spec<'a> {
    pub id: &'a str,
    pub site: &'a str,
    pub age: Duration,
    pub score: u8,
    pub verdict: Verdict,
    /// Failing blocker findings: (check, port).
    pub blockers: &'a [(&'a str, &'a str)],
    /// PoE per member: (member, budget, consumed, planned).
    pub poe: &'a [(u32, u32, u32, u32)],
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            id: "r",
            site: "hq",
            age: Duration::from_secs(60),
            score: 95,
            verdict: Verdict::Ready,
            blockers: &[],
            poe: &[(1, 740, 200, 150)],
        }
    }
}

/// An hq report that is not ready: one socket without the voice VLAN (Gi1/0/4).
pub fn blocked_hq(id: &str) -> Report {
    report(Spec {
        id,
        score: 40,
        verdict: Verdict::NotReady,
        blockers: &[("voice_vlan.port", "Gi1/0/4")],
        ..Spec::default()
    })
}

pub fn report(s: Spec<'_>) -> Report {
    let switch = "127.0.0.1:16101".to_string();
    let findings: Vec<Finding> = s
        .blockers
        .iter()
        .map(|(check, port)| Finding {
            check: check.to_string(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: switch.clone(),
            port: Some(port.to_string()),
            message: format!("{port}: {check} fails"),
            evidence: vec![Evidence {
                object: "vmVoiceVlanId.10105".into(),
                value: "4096".into(),
            }],
            remediation: Some(format!("interface {port}\n switchport voice vlan 110")),
        })
        .collect();
    let mut report =
        lanready_schema::sample::skeleton(s.id, s.site, &ago(s.age), s.score, s.verdict);
    report.agent = "station-a".into();
    report.plan.phone_budget_mw = 6300;
    report.plan.poe_headroom_pct = 15;
    let sw = &mut report.switches[0];
    sw.address = switch;
    sw.name = Some(format!("{}-acc1", s.site));
    sw.user_ports = 48 * s.poe.len().max(1) as u32;
    sw.poe = s
        .poe
        .iter()
        .map(|&(m, b, c, p)| PoeBudget {
            group: m,
            stack_member: Some(m),
            budget_w: b,
            consumed_w: c,
            planned_w: p,
            ..Default::default()
        })
        .collect();
    report.counts = Counts {
        blockers: findings.len() as u32,
        passed: 40,
        ..Default::default()
    };
    report.findings = findings;
    lanready_schema::score::fill_to_match(&mut report);
    report
}

pub async fn post_raw(
    url: &str,
    token: Option<&Token>,
    body: Vec<u8>,
    content_type: &str,
) -> (StatusCode, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{url}/api/v1/reports"))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t.expose());
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

pub async fn post(url: &str, token: &Token, r: &Report) -> (StatusCode, String) {
    post_raw(
        url,
        Some(token),
        serde_json::to_vec(r).unwrap(),
        "application/json",
    )
    .await
}

pub async fn get(url: &str, path: &str, token: Option<&Token>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().get(format!("{url}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t.expose());
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

fn error_of(body: &str) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .unwrap_or_else(|e| panic!("not an error body ({e}): {body}"))
        .error
}

async fn site_names(url: &str, token: &Token) -> Vec<String> {
    let (s, b) = get(url, "/api/v1/sites", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: SitesResponse = serde_json::from_str(&b).unwrap();
    v.sites.into_iter().map(|s| s.site).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_then_read_every_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch"]);
    let noc = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let c = Collector::start(&db, Options::default()).await;

    let hq_old = report(Spec {
        id: "hq-1",
        age: Duration::from_secs(7200),
        score: 30,
        verdict: Verdict::NotReady,
        blockers: &[
            ("voice_vlan.port", "Gi1/0/1"),
            ("voice_vlan.port", "Gi1/0/2"),
            ("poe.budget", "Gi1/0/3"),
        ],
        ..Spec::default()
    });
    let hq = report(Spec {
        id: "hq-2",
        score: 45,
        verdict: Verdict::NotReady,
        blockers: &[("voice_vlan.port", "Gi1/0/1")],
        poe: &[(1, 740, 300, 200), (2, 370, 250, 180)],
        ..Spec::default()
    });
    let branch = report(Spec {
        id: "br-1",
        site: "branch",
        ..Spec::default()
    });
    let (s, first) = post(&c.url, &agent, &hq_old).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let answer: IngestResponse = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (answer.id.as_str(), answer.site.as_str(), answer.verdict),
        ("hq-1", "hq", Verdict::NotReady)
    );
    let (s, again) = post(&c.url, &agent, &hq_old).await;
    assert_eq!(
        (s, again.as_str()),
        (StatusCode::OK, first.as_str()),
        "resend: 200, same answer"
    );
    assert_eq!(post(&c.url, &agent, &hq).await.0, StatusCode::CREATED);
    assert_eq!(post(&c.url, &agent, &branch).await.0, StatusCode::CREATED);

    assert_eq!(site_names(&c.url, &noc).await, ["hq", "branch"]);

    let (s, b) = get(&c.url, "/api/v1/sites/hq", Some(&noc)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!(d.schema, "lanready.site/v1");
    assert_eq!(
        (d.report_id.as_str(), d.score, d.verdict),
        ("hq-2", 45, Verdict::NotReady)
    );
    assert_eq!(d.switches.len(), 1);
    assert_eq!(
        d.findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count(),
        1
    );
    assert_eq!(
        d.poe
            .iter()
            .map(|p| (p.stack_member, p.budget_w))
            .collect::<Vec<_>>(),
        [(Some(1), 740), (Some(2), 370)]
    );
    assert_eq!(
        d.trend.iter().map(|p| p.score).collect::<Vec<_>>(),
        [30, 45]
    );
    assert!(!d.stale);

    let (s, b) = get(&c.url, "/api/v1/dashboard", Some(&noc)).await;
    assert_eq!(s, StatusCode::OK);
    let dash: Dashboard = serde_json::from_str(&b).unwrap();
    assert_eq!(dash.estate.sites, 2);
    assert_eq!(dash.estate.blockers, 1);
    let hq_row = &dash.sites[0];
    assert_eq!(
        (hq_row.rank, hq_row.site.as_str(), hq_row.score_delta),
        (1, "hq", Some(15))
    );
    assert_eq!(hq_row.top_blockers[0].check, "voice_vlan.port");

    let (s, m) = get(&c.url, "/metrics", Some(&noc)).await;
    assert_eq!(s, StatusCode::OK);
    for line in [
        "lanready_site_score{site=\"hq\"} 45",
        "lanready_site_blockers{site=\"hq\"} 1",
        "lanready_site_score{site=\"branch\"} 95",
        "lanready_site_stale{site=\"branch\"} 0",
        "lanready_reports_ingested_total 3",
        "lanready_reports_duplicate_total 1",
    ] {
        assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_is_4xx_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq"]);
    let other = add_token(&db, "station-b", TokenKind::Agent, &["branch"]);
    let revoked = add_token(&db, "old-station", TokenKind::Agent, &["hq"]);
    let noc = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    Store::open(&db)
        .unwrap()
        .revoke_token("old-station", OffsetDateTime::now_utc())
        .unwrap();
    let c = Collector::start(
        &db,
        Options {
            body_limit: 16 * 1024,
            ..Options::default()
        },
    )
    .await;
    let good = report(Spec {
        id: "hq-1",
        ..Spec::default()
    });
    let good_json = serde_json::to_vec(&good).unwrap();
    let mut v2: serde_json::Value = serde_json::to_value(&good).unwrap();
    v2["schema"] = "lanready.report/v2".into();
    let mut big = good.clone();
    big.findings = (0..200)
        .map(|i| Finding {
            check: "voice_vlan.port".into(),
            severity: Severity::Warning,
            status: Status::Fail,
            switch: "127.0.0.1:16101".into(),
            port: Some(format!("Gi1/0/{i}")),
            message: "x".repeat(100),
            evidence: vec![],
            remediation: None,
        })
        .collect();
    let mut traversal = good.clone();
    traversal.site = "../../etc/passwd".into();
    let mut foreign = good.clone();
    foreign.site = "branch".into();

    struct Case {
        name: &'static str,
        token: Option<Token>,
        body: Vec<u8>,
        content_type: &'static str,
        status: StatusCode,
        says: &'static str,
    }
    let case = |name, token: Option<&Token>, body: Vec<u8>, status, says| Case {
        name,
        token: token.cloned(),
        body,
        content_type: "application/json",
        status,
        says,
    };
    let cases = vec![
        case(
            "bad JSON",
            Some(&agent),
            b"{\"schema\": \"lanready.report/v1\",\n\"id\": }".to_vec(),
            StatusCode::BAD_REQUEST,
            "line 2 column 7",
        ),
        case(
            "truncated",
            Some(&agent),
            good_json[..good_json.len() / 2].to_vec(),
            StatusCode::BAD_REQUEST,
            "EOF",
        ),
        case(
            "wrong schema",
            Some(&agent),
            serde_json::to_vec(&v2).unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lanready.report/v1",
        ),
        case(
            "oversized",
            Some(&agent),
            serde_json::to_vec(&big).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "16384 bytes",
        ),
        case(
            "missing token",
            None,
            good_json.clone(),
            StatusCode::UNAUTHORIZED,
            "missing Authorization",
        ),
        case(
            "wrong token",
            Some(&Token::generate()),
            good_json.clone(),
            StatusCode::UNAUTHORIZED,
            "unknown or revoked",
        ),
        case(
            "revoked token",
            Some(&revoked),
            good_json.clone(),
            StatusCode::UNAUTHORIZED,
            "unknown or revoked",
        ),
        case(
            "read-only token",
            Some(&noc),
            good_json.clone(),
            StatusCode::FORBIDDEN,
            "read-only",
        ),
        case(
            "another agent's site",
            Some(&other),
            good_json.clone(),
            StatusCode::FORBIDDEN,
            "may not report for site \"hq\"",
        ),
        case(
            "own token, foreign site",
            Some(&agent),
            serde_json::to_vec(&foreign).unwrap(),
            StatusCode::FORBIDDEN,
            "\"branch\"",
        ),
        case(
            "traversal in site",
            Some(&agent),
            serde_json::to_vec(&traversal).unwrap(),
            StatusCode::FORBIDDEN,
            "../../etc/passwd",
        ),
        Case {
            content_type: "text/plain",
            ..case(
                "not JSON media type",
                Some(&agent),
                good_json.clone(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "application/json",
            )
        },
    ];
    let n = cases.len();
    for k in cases {
        let (s, b) = post_raw(&c.url, k.token.as_ref(), k.body, k.content_type).await;
        assert_eq!(s, k.status, "{}: {b}", k.name);
        let e = error_of(&b);
        assert!(e.contains(k.says), "{}: {e:?} lacks {:?}", k.name, k.says);
        if let Some(t) = &k.token {
            assert!(!b.contains(t.expose()), "{}: token echoed", k.name);
        }
    }
    // Site names in paths: rejected before any query. (A client normalises `%2E%2E`
    // itself; the route tests send that one raw.)
    for path in [
        "..%2F..%2Fetc%2Fpasswd",
        "hq%27%20OR%20%271%27=%271",
        "hq%3Bdrop",
        "hq%0Aevil",
        "a%00b",
    ] {
        let (s, b) = get(&c.url, &format!("/api/v1/sites/{path}"), Some(&noc)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {b}");
        assert!(error_of(&b).contains("site name"), "{path}: {b}");
    }
    // Nothing stored, every refusal counted.
    assert!(site_names(&c.url, &noc).await.is_empty());
    let (_, m) = get(&c.url, "/metrics", Some(&noc)).await;
    let rejected: u64 = m
        .lines()
        .filter(|l| l.starts_with("lanready_reports_rejected_total{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(rejected, n as u64, "{m}");
    assert!(m.contains("lanready_reports_ingested_total 0"));
    // The good report still goes in afterwards.
    assert_eq!(post(&c.url, &agent, &good).await.0, StatusCode::CREATED);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_on_the_same_file_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch"]);
    let c = Collector::start(&db, Options::default()).await;
    let r = report(Spec {
        id: "hq-1",
        score: 77,
        verdict: Verdict::AtRisk,
        ..Spec::default()
    });
    let (_, first) = post(&c.url, &agent, &r).await;
    c.stop().await;

    let c = Collector::start(&db, Options::default()).await;
    assert_eq!(site_names(&c.url, &agent).await, ["hq"]);
    let (s, again) = post(&c.url, &agent, &r).await;
    assert_eq!(
        (s, again),
        (StatusCode::OK, first),
        "the id is remembered across restarts"
    );
    let (_, b) = get(&c.url, "/api/v1/sites/hq", Some(&agent)).await;
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!((d.score, d.verdict), (77, Verdict::AtRisk));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_prunes_history_but_keeps_each_sites_latest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch"]);
    let c = Collector::start(&db, Options::default()).await;
    let day = Duration::from_secs(86_400);
    for (id, site, age) in [
        ("h1", "hq", 40 * day),
        ("h2", "hq", 35 * day),
        ("h3", "hq", day),
        ("b1", "branch", 50 * day),
        ("b2", "branch", 45 * day),
    ] {
        let r = report(Spec {
            id,
            site,
            age,
            ..Spec::default()
        });
        assert_eq!(post(&c.url, &agent, &r).await.0, StatusCode::CREATED);
    }
    c.stop().await;
    let c = Collector::start(
        &db,
        Options {
            retention: Some(30 * day),
            ..Options::default()
        },
    )
    .await;
    // The first prune runs as the server starts; wait for it (bounded).
    let trend_len = |site: &'static str| {
        let url = c.url.clone();
        let agent = agent.clone();
        async move {
            let (_, b) = get(&url, &format!("/api/v1/sites/{site}"), Some(&agent)).await;
            serde_json::from_str::<SiteDetail>(&b).unwrap().trend.len()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while trend_len("hq").await != 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(trend_len("hq").await, 1);
    assert_eq!(
        trend_len("branch").await,
        1,
        "a site's latest survives however old"
    );
    let (_, b) = get(&c.url, "/api/v1/sites/branch", Some(&agent)).await;
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!(d.report_id, "b2");
    assert!(d.stale, "45 days old is stale");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_resends_store_once_and_ingest_rate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq"]);
    let c = Collector::start(&db, Options::default()).await;
    let r = report(Spec {
        id: "same",
        ..Spec::default()
    });
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (url, agent, r) = (c.url.clone(), agent.clone(), r.clone());
        tasks.push(tokio::spawn(async move { post(&url, &agent, &r).await }));
    }
    let mut created = 0;
    let mut answers = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, b) = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s} {b}");
        created += usize::from(s == StatusCode::CREATED);
        answers.insert(b);
    }
    assert_eq!(created, 1, "exactly one of 16 concurrent sends stores it");
    assert_eq!(answers.len(), 1, "all get the same answer");

    // Sequential ingest of distinct reports; the rate is printed for the record.
    let n = 200;
    let start = Instant::now();
    for i in 0..n {
        let r = report(Spec {
            id: &format!("seq-{i}"),
            age: Duration::from_secs(3600 + i),
            ..Spec::default()
        });
        let (s, b) = post(&c.url, &agent, &r).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let took = start.elapsed();
    eprintln!(
        "ingest: {n} reports in {took:?} ({:.0} reports/s, synchronous=FULL, debug build)",
        n as f64 / took.as_secs_f64()
    );
    let (_, b) = get(&c.url, "/api/v1/sites/hq?trend=1000", Some(&agent)).await;
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!(d.trend.len(), n as usize + 1);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_against_a_running_collector() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq", "branch", "old"]);
    let ci = add_token(&db, "ci", TokenKind::ReadOnly, &["hq", "branch", "old"]);
    let c = Collector::start(
        &db,
        Options {
            stale_after: Duration::from_secs(3600),
            ..Options::default()
        },
    )
    .await;
    let ready = report(Spec {
        id: "b1",
        site: "branch",
        ..Spec::default()
    });
    let blocked = blocked_hq("h1");
    let stale = report(Spec {
        id: "o1",
        site: "old",
        age: Duration::from_secs(7200),
        ..Spec::default()
    });
    for r in [&ready, &blocked, &stale] {
        assert_eq!(post(&c.url, &agent, r).await.0, StatusCode::CREATED);
    }
    let junit = dir.path().join("junit.xml");
    let url = c.url.clone();
    let opts = |site: &str, token: &Token, min: Option<u8>| GateOptions {
        url: url.clone(),
        site: site.into(),
        token: token.clone(),
        criteria: Criteria {
            min_score: min,
            ..Criteria::default()
        },
        junit: Some(junit.clone()),
        ca_file: None,
        allow_http: true,
        timeout: Duration::from_secs(5),
        cutover_window: None,
        detail: Default::default(),
    };
    let run = |o: GateOptions| async move {
        let mut out = Vec::new();
        let r = gate::run(&o, &mut out).await;
        (r, String::from_utf8(out).unwrap())
    };
    let (r, text) = run(opts("branch", &ci, Some(90))).await;
    assert_eq!(r.unwrap(), 0, "{text}");
    let (r, text) = run(opts("hq", &ci, None)).await;
    assert_eq!(r.unwrap(), 1, "{text}");
    assert!(
        text.contains("\nBLOCKERS (1)\n  switch 127.0.0.1:16101 (hq-acc1)\n    Gi1/0/4 "),
        "{text}"
    );
    assert!(
        text.contains("  latest scan 1m old; the collector expects one every 1h\n"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"127.0.0.1:16101 (hq-acc1)\"")
            && xml.contains(
                "<testcase name=\"voice_vlan.port\" classname=\"lanready.hq.127.0.0.1:16101\">"
            )
            && xml.contains("<failure"),
        "{xml}"
    );
    let (r, text) = run(opts("old", &ci, None)).await;
    assert_eq!(r.unwrap(), 1, "{text}");
    assert!(text.contains("stale"));
    let (r, _) = run(opts("branch", &Token::generate(), None)).await;
    assert!(
        matches!(r, Err(gate::GateError::Status { status: 401, .. })),
        "{r:?}"
    );
    c.stop().await;
    let (r, _) = run(opts("branch", &ci, None)).await;
    assert!(
        matches!(r, Err(gate::GateError::Request { .. })),
        "stopped collector: {r:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_stalls_mid_body_gets_408_and_nothing_is_stored() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq"]);
    let noc = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let c = Collector::start(
        &db,
        Options {
            request_timeout: Duration::from_millis(500),
            ..Options::default()
        },
    )
    .await;
    let body = serde_json::to_vec(&report(Spec::default())).unwrap();
    let addr = c.url.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        agent.expose(),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..body.len() / 2]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("the collector answered within its timeout")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(site_names(&c.url, &noc).await.is_empty());
    c.stop().await;
}

/// The contract with the agent, both sides real: the agent's spool and push client against
/// this collector. 201 leaves the spool, 200 (a resend) too, a 4xx goes to `rejected/` and
/// is never resent, an unreachable collector keeps the report for the next drain.
#[tokio::test(flavor = "multi_thread")]
async fn the_agents_push_client_against_the_real_collector() {
    use lanready_agent::push::{ClientConfig, Collector as Client, PushOutcome, Pusher, Spool};
    use lanready_schema::secret::Secret;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq"]);
    let noc = add_token(&db, "noc", TokenKind::ReadOnly, &[]);
    let c = Collector::start(&db, Options::default()).await;
    let addr = c.url.trim_start_matches("http://").to_string();
    let client = Client::new(&ClientConfig {
        url: c.url.clone(),
        token: Secret::new(agent.expose()),
        ca_file: None,
        allow_http: true,
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let spool = Spool::open(dir.path().join("spool")).unwrap();
    let pusher = Pusher::new(client, spool);

    let first = report(Spec {
        id: "p1",
        age: Duration::from_secs(600),
        ..Spec::default()
    });
    assert_eq!(pusher.submit(&first).await.unwrap(), PushOutcome::Stored);
    assert_eq!(pusher.submit(&first).await.unwrap(), PushOutcome::Duplicate);
    let foreign = report(Spec {
        id: "p2",
        site: "branch",
        ..Spec::default()
    });
    // A token that may not post for that site: the token's rights are wrong, not the
    // report; it stays spooled (nothing in rejected/).
    let foreign_path = match pusher.submit(&foreign).await.unwrap() {
        PushOutcome::Spooled { reason, path } => {
            assert!(
                reason.contains("HTTP 403") && reason.contains("may not report for site"),
                "{reason}"
            );
            assert!(path.exists());
            path
        }
        other => panic!("expected it kept in the spool, got {other:?}"),
    };
    c.stop().await;
    let later = report(Spec {
        id: "p3",
        age: Duration::from_secs(60),
        score: 99,
        ..Spec::default()
    });
    assert!(matches!(
        pusher.submit(&later).await.unwrap(),
        PushOutcome::Spooled { .. }
    ));
    let c = Collector::start_on(&db, Options::default(), &addr).await;
    // The later report goes in; the foreign one is kept behind, and did not hold it back.
    let drain = pusher.drain().await.unwrap();
    assert_eq!((drain.stored, drain.pending), (1, 1), "{drain:?}");
    assert!(foreign_path.exists());
    let (_, b) = get(&c.url, "/api/v1/sites/hq", Some(&noc)).await;
    let d: SiteDetail = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (d.report_id.as_str(), d.score, d.trend.len()),
        ("p3", 99, 2)
    );
    c.stop().await;
}

/// The agent's push client over HTTPS to the collector, trusting a private CA (`--ca-file`).
#[tokio::test(flavor = "multi_thread")]
async fn the_agent_pushes_over_tls_with_a_private_ca() {
    use lanready_agent::push::{ClientConfig, Collector as Client, PushOutcome, Pusher, Spool};
    use lanready_schema::secret::Secret;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = add_token(&db, "station-a", TokenKind::Agent, &["hq"]);
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let c = Collector::start(
        &db,
        Options {
            tls: Some((cert.clone(), key)),
            ..Options::default()
        },
    )
    .await;
    assert!(c.url.starts_with("https://127.0.0.1:"));
    let client = |ca_file: Option<std::path::PathBuf>| {
        Client::new(&ClientConfig {
            url: c.url.clone(),
            token: Secret::new(agent.expose()),
            ca_file,
            allow_http: false,
            timeout: Duration::from_secs(5),
        })
        .unwrap()
    };
    let r = report(Spec {
        id: "tls-1",
        ..Spec::default()
    });
    // Without the CA, the agent does not trust the collector and keeps the report.
    let untrusting = Pusher::new(client(None), Spool::open(dir.path().join("s1")).unwrap());
    assert!(matches!(
        untrusting.submit(&r).await.unwrap(),
        PushOutcome::Spooled { .. }
    ));
    let trusting = Pusher::new(
        client(Some(cert)),
        Spool::open(dir.path().join("s2")).unwrap(),
    );
    assert_eq!(trusting.submit(&r).await.unwrap(), PushOutcome::Stored);
    c.stop().await;
}

/// A collector answer whose age header is missing or unreadable is a gate error (exit 2),
/// never an age guessed as 0 that would pass any --max-age.
#[tokio::test(flavor = "multi_thread")]
async fn the_gate_refuses_an_answer_without_a_readable_age() {
    let body = serde_json::to_string(&report(Spec::default())).unwrap();
    for age in [None, Some("soon")] {
        let body = body.clone();
        let app = axum::Router::new().route(
            "/api/v1/sites/{site}/report",
            axum::routing::get(move || {
                let body = body.clone();
                async move {
                    let mut headers = axum::http::HeaderMap::new();
                    headers.insert("content-type", "application/json".parse().unwrap());
                    headers.insert(
                        lanready_collector::api::STALE_HEADER,
                        "false".parse().unwrap(),
                    );
                    headers.insert(
                        lanready_collector::api::STALE_AFTER_HEADER,
                        "3600".parse().unwrap(),
                    );
                    if let Some(a) = age {
                        headers.insert(lanready_collector::api::AGE_HEADER, a.parse().unwrap());
                    }
                    (headers, body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let opts = GateOptions {
            url,
            site: "hq".into(),
            token: Token::generate(),
            criteria: Criteria {
                max_age: Some(Duration::from_secs(60)),
                ..Criteria::default()
            },
            junit: None,
            ca_file: None,
            allow_http: true,
            timeout: Duration::from_secs(5),
            cutover_window: None,
            detail: Default::default(),
        };
        let r = gate::run(&opts, &mut Vec::new()).await;
        assert!(
            matches!(&r, Err(gate::GateError::Header { header, .. }) if *header == lanready_collector::api::AGE_HEADER),
            "age {age:?}: {r:?}"
        );
        server.abort();
    }
}
