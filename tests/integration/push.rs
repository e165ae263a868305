//! The agent's push over real HTTP on loopback: a scripted collector (axum on 127.0.0.1:0)
//! that answers 503 a few times, 400, or stores reports by id, and the agent's `Pusher`
//! with a real spool directory. Then the real `lanready-agent run` binary against snmpsim:
//! killed with SIGKILL while reports are spooled, and the next run delivers them once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use lanready_agent::push::{ClientConfig, Collector, PushOutcome, Pusher, Spool};
use lanready_schema::secret::Secret;
use lanready_schema::{REPORT_SCHEMA, Report};

pub const TOKEN: &str = "agent-token-7f3a";

/// What the scripted collector saw and holds.
#[derive(Debug, Default)]
pub struct Seen {
    /// Answer 503 to this many more requests.
    pub fail_next: usize,
    /// Answer 400 to every request.
    pub reject: bool,
    /// Every request's report id, in arrival order.
    pub requests: Vec<String>,
    /// Requests whose Authorization header was not `Bearer TOKEN`.
    pub bad_auth: usize,
    /// Stored reports by id, with how often each was stored (must be 1).
    pub stored: BTreeMap<String, usize>,
    /// Ids in the order they were stored.
    pub order: Vec<String>,
}

/// A scripted collector on a loopback port; stops when dropped.
pub struct ScriptedCollector {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedCollector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn ingest(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let mut s = seen.lock().unwrap();
    let id = serde_json::from_str::<Report>(&body)
        .map(|r| r.id)
        .unwrap_or_else(|e| format!("<unparseable: {e}>"));
    s.requests.push(id.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        s.bad_auth += 1;
        return (StatusCode::UNAUTHORIZED, "bad token".into());
    }
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "database busy".into());
    }
    if s.reject {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"unknown site \"atlantis\""}"#.into(),
        );
    }
    let n = s.stored.entry(id.clone()).or_insert(0);
    if *n > 0 {
        return (StatusCode::OK, r#"{"duplicate":true}"#.into());
    }
    *n += 1;
    s.order.push(id);
    (StatusCode::CREATED, r#"{"stored":true}"#.into())
}

impl ScriptedCollector {
    pub async fn start(seen: Seen) -> ScriptedCollector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, Arc::new(Mutex::new(seen)))
    }

    /// Serves on `addr` (a port used before), keeping `seen`.
    pub async fn start_on(addr: std::net::SocketAddr, seen: Arc<Mutex<Seen>>) -> ScriptedCollector {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        Self::serve(listener, seen)
    }

    fn serve(listener: tokio::net::TcpListener, seen: Arc<Mutex<Seen>>) -> ScriptedCollector {
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/api/v1/reports", post(ingest))
            .with_state(seen.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        ScriptedCollector {
            url: format!("http://{addr}"),
            seen,
            task,
        }
    }

    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }
}

pub fn report(id: &str, at: &str) -> Report {
    Report {
        schema: REPORT_SCHEMA.into(),
        id: id.into(),
        site: "hq".into(),
        generated_at: at.into(),
        agent: "test".into(),
        agent_version: "0".into(),
        ..Report::default()
    }
}

fn pusher(url: &str, spool: &Path) -> Pusher {
    let collector = Collector::new(&ClientConfig {
        url: url.into(),
        token: Secret::new(TOKEN),
        ca_file: None,
        allow_http: true,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    Pusher::new(collector, Spool::open(spool).unwrap())
}

/// A scripted collector, an empty spool and a pusher from one to the other.
async fn scripted(seen: Seen) -> (ScriptedCollector, tempfile::TempDir, Pusher) {
    let c = ScriptedCollector::start(seen).await;
    let dir = tempfile::tempdir().unwrap();
    let p = pusher(&c.url, dir.path());
    (c, dir, p)
}

/// Submits a report of 14:00 with this id.
async fn submit(p: &Pusher, id: &str) -> PushOutcome {
    p.submit(&report(id, "2026-11-25T14:00:00Z")).await.unwrap()
}

fn spooled(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_5xx_keeps_the_report_spooled_and_a_later_pass_sends_it_once() {
    let (c, dir, p) = scripted(Seen {
        fail_next: 2,
        ..Seen::default()
    })
    .await;

    let out = submit(&p, "r1").await;
    let PushOutcome::Spooled { reason, path } = out else {
        panic!("a 503 must leave the report spooled, got {out:?}");
    };
    assert!(reason.contains("503"), "{reason}");
    assert!(reason.contains("database busy"), "{reason}");
    assert!(path.exists());
    assert_eq!(spooled(dir.path()), ["20261125T140000.000000000Z-r1.json"]);

    // Second 503: still waiting.
    let d = p.drain().await.unwrap();
    assert_eq!((d.stored, d.pending), (0, 1));
    // Then stored, and the spool is empty.
    let d = p.drain().await.unwrap();
    assert_eq!((d.stored, d.pending), (1, 0));
    assert!(spooled(dir.path()).is_empty());
    // Nothing more is sent.
    let d = p.drain().await.unwrap();
    assert_eq!(d.outcomes.len(), 0);

    let s = c.seen();
    assert_eq!(s.requests, ["r1", "r1", "r1"]);
    assert_eq!(s.stored.get("r1"), Some(&1));
    assert_eq!(s.bad_auth, 0, "every request carried the bearer token");
}

#[tokio::test]
async fn a_4xx_is_never_retried_and_lands_in_rejected_with_the_answer() {
    let (c, dir, p) = scripted(Seen {
        reject: true,
        ..Seen::default()
    })
    .await;
    let out = submit(&p, "bad").await;
    let PushOutcome::Rejected {
        status,
        message,
        path,
    } = out
    else {
        panic!("a 400 must reject, got {out:?}");
    };
    assert_eq!(status, 400);
    assert!(message.contains("unknown site"), "{message}");
    assert_eq!(
        path,
        dir.path()
            .join("rejected/20261125T140000.000000000Z-bad.json")
    );
    let kept: Report = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(kept.id, "bad");
    let reason = std::fs::read_to_string(
        dir.path()
            .join("rejected/20261125T140000.000000000Z-bad.reason.txt"),
    )
    .unwrap();
    assert!(reason.starts_with("HTTP 400 from http://"), "{reason}");
    assert!(reason.contains("unknown site"), "{reason}");
    assert!(spooled(dir.path()).is_empty());

    // Later passes send nothing: a rejected report is not retried.
    p.drain().await.unwrap();
    p.drain().await.unwrap();
    assert_eq!(c.seen().requests, ["bad"]);
}

/// A refused token (401/403) is the token's fault, not the reports': the whole backlog
/// stays in the spool (nothing goes to `rejected/`), and once the token is fixed every report
/// is delivered. The token reaches no file.
#[tokio::test]
async fn a_wrong_token_keeps_the_backlog_spooled_until_the_token_is_fixed() {
    let c = ScriptedCollector::start(Seen::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::new(&ClientConfig {
        url: c.url.clone(),
        token: Secret::new("wrong-token-secret-value"),
        ca_file: None,
        allow_http: true,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let p = Pusher::new(collector, Spool::open(dir.path()).unwrap());
    for (i, id) in ["t1", "t2", "t3"].iter().enumerate() {
        let out = p
            .submit(&report(id, &format!("2026-11-25T14:0{i}:00Z")))
            .await
            .unwrap();
        match &out {
            PushOutcome::Spooled { reason, .. } => assert!(
                reason.contains("refused the agent's token (HTTP 401: bad token)")
                    && (reason.contains("report stays spooled")
                        || reason.contains("reports stay spooled")),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(p.spool().list().unwrap().len(), 3);
    let rejected = dir.path().join("rejected");
    assert!(
        !rejected.exists() || std::fs::read_dir(&rejected).unwrap().next().is_none(),
        "nothing is rejected for a bad token"
    );
    for e in walk(dir.path()) {
        let text = std::fs::read_to_string(&e).unwrap_or_default();
        assert!(
            !text.contains("wrong-token-secret-value"),
            "{}",
            e.display()
        );
    }
    // The token fixed: the backlog goes, oldest first.
    let fixed = pusher(&c.url, dir.path());
    let d = fixed.drain().await.unwrap();
    assert_eq!(d.stored, 3, "{d:?}");
    assert_eq!(c.seen().order, ["t1", "t2", "t3"]);
    assert!(fixed.spool().list().unwrap().is_empty());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A collector (or something posing as one) that answers 400 with an endless body: the agent
/// reads the first few kilobytes of it and goes on, in bounded time and memory.
#[tokio::test]
async fn an_endless_error_body_is_read_only_so_far() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sent2 = sent.clone();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65_536];
        // Read the request head (enough of it), then stream forever.
        let _ = sock.read(&mut buf).await;
        let head = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
        loop {
            if sock.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            sent2.fetch_add(8192, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let p = pusher(&format!("http://{addr}"), dir.path());
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        p.submit(&report("endless", "2026-11-25T14:00:00Z")),
    )
    .await
    .expect("the agent stopped reading")
    .unwrap();
    match out {
        PushOutcome::Rejected {
            status, message, ..
        } => {
            assert_eq!(status, 400);
            assert!(message.len() < 10_000, "{} bytes kept", message.len());
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    server.abort();
    // Far less than the server could push in that time was taken in.
    let n = sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(n < 64 << 20, "{n} bytes streamed");
}

#[tokio::test]
async fn a_known_id_is_done_and_leaves_the_spool() {
    let mut seen = Seen::default();
    seen.stored.insert("again".into(), 1);
    let (c, dir, p) = scripted(seen).await;
    let out = submit(&p, "again").await;
    assert_eq!(out, PushOutcome::Duplicate);
    assert!(spooled(dir.path()).is_empty());
    assert_eq!(c.seen().stored.get("again"), Some(&1));
}

#[tokio::test]
async fn reports_spooled_while_the_collector_is_down_arrive_once_oldest_first() {
    // A port with nothing listening: connection refused.
    let addr = { unused_addr() };
    let dir = tempfile::tempdir().unwrap();
    let p = pusher(&format!("http://{addr}"), dir.path());
    // Submitted newest first: the spool orders by scan time, not by submit order.
    for (id, at) in [
        ("r3", "2026-11-25T14:20:00Z"),
        ("r1", "2026-11-25T14:00:00Z"),
        ("r2", "2026-11-25T14:10:00Z"),
    ] {
        let out = p.submit(&report(id, at)).await.unwrap();
        let PushOutcome::Spooled { reason, .. } = &out else {
            panic!("collector down must spool, got {out:?}");
        };
        assert!(reason.to_lowercase().contains("connect"), "{reason}");
    }
    assert_eq!(spooled(dir.path()).len(), 3);

    let c = ScriptedCollector::start_on(addr, Arc::new(Mutex::new(Seen::default()))).await;
    // A new report arrives after the three that waited.
    let out = p
        .submit(&report("r4", "2026-11-25T14:30:00Z"))
        .await
        .unwrap();
    assert_eq!(out, PushOutcome::Stored);
    assert!(spooled(dir.path()).is_empty());
    let s = c.seen();
    assert_eq!(s.order, ["r1", "r2", "r3", "r4"]);
    assert!(s.stored.values().all(|n| *n == 1), "{:?}", s.stored);
    assert_eq!(s.requests.len(), 4, "{:?}", s.requests);
}

#[tokio::test]
async fn a_5xx_stops_the_pass_so_order_is_kept() {
    let c = ScriptedCollector::start(Seen {
        fail_next: 1,
        ..Seen::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    spool.put(&report("a", "2026-11-25T14:00:00Z")).unwrap();
    spool.put(&report("b", "2026-11-25T14:10:00Z")).unwrap();
    let p = pusher(&c.url, dir.path());
    let d = p.drain().await.unwrap();
    assert_eq!((d.stored, d.pending), (0, 2));
    assert_eq!(c.seen().requests, ["a"], "the pass stops at the first 503");
    let d = p.drain().await.unwrap();
    assert_eq!((d.stored, d.pending), (2, 0));
    assert_eq!(c.seen().order, ["a", "b"]);
}

/// The plan for one site whose switch is snmpsim serving `community`'s fixture.
pub fn write_plan(dir: &Path, sim_addr: &str, site: &str, community: &str) -> PathBuf {
    let plan = dir.join("site.toml");
    std::fs::write(
        &plan,
        format!(
            "agent = \"test-agent\"\n\n[[sites]]\nname = \"{site}\"\nvoice_vlan = 110\n\
             switches = [\"{sim_addr}\"]\ncommunity = \"{community}\"\n"
        ),
    )
    .unwrap();
    plan
}

/// A `lanready-agent` child process, killed (SIGKILL) on drop; its stderr goes to a file.
pub struct AgentProcess {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl AgentProcess {
    pub fn spawn(args: &[String], log: PathBuf) -> AgentProcess {
        let err = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(lanready_tests::binary("lanready-agent"))
            .args(args)
            .env_remove("LANREADY_TOKEN")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(err)
            .spawn()
            .expect("starting lanready-agent");
        AgentProcess { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit by itself (at most `limit`); its exit status.
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                start.elapsed() < limit,
                "lanready-agent did not exit within {limit:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `run` arguments for a plan, a collector URL, a spool and a token file.
pub fn run_args(plan: &Path, url: &str, spool: &Path, token: &Path, more: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "run".into(),
        "--plan".into(),
        plan.display().to_string(),
        "--collector".into(),
        url.into(),
        "--allow-http".into(),
        "--token-file".into(),
        token.display().to_string(),
        "--spool-dir".into(),
        spool.display().to_string(),
    ];
    v.extend(more.iter().map(|s| s.to_string()));
    v
}

/// An snmpsim serving access48, and a directory holding a plan for site hq on it.
fn station() -> (lanready_tests::Snmpsim, tempfile::TempDir, PathBuf) {
    let sim = lanready_tests::Snmpsim::fixtures(&["access48"]);
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &sim.address(), "hq", "access48");
    (sim, dir, plan)
}

fn token_file(dir: &Path) -> PathBuf {
    let f = dir.join("token");
    std::fs::write(&f, format!("{TOKEN}\n")).unwrap();
    f
}

/// A loopback address with nothing listening (bound, then released).
fn unused_addr() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The spooled reports' ids, oldest first; each file must be a whole report.
/// The ids waiting in a spool, in the order the agent sends them: by scan stamp, then (two
/// scans stamped in one second) by when each file was written.
fn spooled_ids(dir: &Path) -> Vec<String> {
    let mut names = spooled(dir);
    names.sort_by_key(|n| {
        let written = std::fs::metadata(dir.join(n))
            .and_then(|m| m.modified())
            .ok();
        (n.get(..26).unwrap_or(n).to_string(), written)
    });
    names
        .iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(n)).unwrap();
            let r: Report = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("spooled file {n} is not a whole report: {e}"));
            assert_eq!(r.schema, REPORT_SCHEMA);
            assert_eq!(r.site, "hq");
            r.id
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_resends_after_5xx_and_each_report_is_stored_once() {
    let (_sim, dir, plan) = station();
    let c = ScriptedCollector::start(Seen {
        fail_next: 2,
        ..Seen::default()
    })
    .await;
    let spool = dir.path().join("spool");
    let args = run_args(
        &plan,
        &c.url,
        &spool,
        &token_file(dir.path()),
        &[
            "--every",
            "4s",
            "--retry-min",
            "200ms",
            "--retry-max",
            "400ms",
            "--scans",
            "2",
        ],
    );
    let mut agent = AgentProcess::spawn(&args, dir.path().join("agent.log"));
    let st = agent.wait(Duration::from_secs(120)).await;
    let log = agent.log();
    assert!(st.success(), "run failed: {st}; log:\n{log}");
    let s = c.seen();
    assert_eq!(
        s.order.len(),
        2,
        "two scans, two reports stored: {s:?}\n{log}"
    );
    assert!(s.stored.values().all(|n| *n == 1), "{s:?}");
    // The first report was sent three times (503, 503, 201), the second once.
    assert_eq!(s.requests.len(), 4, "{s:?}\n{log}");
    assert_eq!(
        s.requests[..3],
        [s.order[0].clone(), s.order[0].clone(), s.order[0].clone()]
    );
    assert_eq!(s.requests[3], s.order[1]);
    assert!(spooled(&spool).is_empty());
    assert!(log.contains("503"), "the log should say why: {log}");
    assert!(!log.contains(TOKEN), "the token reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_moves_a_rejected_report_aside_and_goes_on() {
    let (_sim, dir, plan) = station();
    let c = ScriptedCollector::start(Seen {
        reject: true,
        ..Seen::default()
    })
    .await;
    let spool = dir.path().join("spool");
    let args = run_args(
        &plan,
        &c.url,
        &spool,
        &token_file(dir.path()),
        &["--every", "300ms", "--retry-min", "100ms", "--scans", "2"],
    );
    let mut agent = AgentProcess::spawn(&args, dir.path().join("agent.log"));
    let st = agent.wait(Duration::from_secs(120)).await;
    let log = agent.log();
    assert!(st.success(), "run failed: {st}; log:\n{log}");
    // Two scans, each sent once and never again.
    let s = c.seen();
    assert_eq!(s.requests.len(), 2, "{s:?}\n{log}");
    assert_ne!(s.requests[0], s.requests[1]);
    assert!(spooled(&spool).is_empty());
    let rejected = spooled(&spool.join("rejected"));
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    let reasons: Vec<String> = std::fs::read_dir(spool.join("rejected"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".reason.txt"))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(log.contains("rejected"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_run_loses_no_spooled_report_and_the_next_run_delivers_each_once() {
    let (sim, dir, plan) = station();
    let token = token_file(dir.path());
    let addr = unused_addr();
    let url = format!("http://{addr}");
    let spool = dir.path().join("spool");
    let args = run_args(
        &plan,
        &url,
        &spool,
        &token,
        &[
            "--every",
            "200ms",
            "--retry-min",
            "50ms",
            "--retry-max",
            "100ms",
        ],
    );

    // Several lives, each killed with SIGKILL at a different moment while the collector
    // is down and reports pile up in the spool.
    let mut total = 0;
    for (life, kill_after_ms) in [(0, 0u64), (1, 137), (2, 401)] {
        let mut agent = AgentProcess::spawn(&args, dir.path().join(format!("agent{life}.log")));
        let start = std::time::Instant::now();
        while spooled(&spool).len() < total + 2 {
            assert!(
                agent.child.try_wait().unwrap().is_none(),
                "run exited early; log:\n{}",
                agent.log()
            );
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no reports spooled; log:\n{}\n{}",
                agent.log(),
                sim.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        agent.child.kill().unwrap(); // SIGKILL
        agent.child.wait().unwrap();
        let ids = spooled_ids(&spool);
        assert!(ids.len() >= total + 2, "life {life}: {ids:?}");
        total = ids.len();
    }
    let waiting = spooled_ids(&spool);
    let distinct: std::collections::BTreeSet<&String> = waiting.iter().collect();
    assert_eq!(
        distinct.len(),
        waiting.len(),
        "ids must be unique: {waiting:?}"
    );

    // The collector comes up on the same address; the next run delivers what waited
    // (oldest first) before its own scan.
    let c = ScriptedCollector::start_on(addr, Arc::new(Mutex::new(Seen::default()))).await;
    let once = run_args(
        &plan,
        &url,
        &spool,
        &token,
        &["--every", "1h", "--scans", "1"],
    );
    let mut agent = AgentProcess::spawn(&once, dir.path().join("agent-last.log"));
    let st = agent.wait(Duration::from_secs(120)).await;
    assert!(st.success(), "run failed: {st}; log:\n{}", agent.log());
    let s = c.seen();
    assert_eq!(s.order.len(), waiting.len() + 1, "{s:?}");
    assert_eq!(s.order[..waiting.len()], waiting[..], "oldest first");
    assert!(s.stored.values().all(|n| *n == 1), "{s:?}");
    assert_eq!(
        s.requests.len(),
        waiting.len() + 1,
        "nothing sent twice: {s:?}"
    );
    assert!(spooled(&spool).is_empty());
    // No temp file survives a restart.
    let leftovers: Vec<String> = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A one-route HTTPS collector on a std thread: TLS by rustls with a certificate for
/// 127.0.0.1 signed by a CA made for the test; answers 201 to each POST with a body.
struct TlsCollector {
    url: String,
    ca_pem: String,
    /// Requests that completed the TLS handshake, with their Authorization header.
    seen: Arc<Mutex<Vec<String>>>,
}

impl TlsCollector {
    fn start() -> TlsCollector {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "lanready test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                if let Some(auth) = read_request(&mut tls) {
                    seen2.lock().unwrap().push(auth);
                    use std::io::Write as _;
                    let _ = tls.write_all(
                        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    );
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
            }
        });
        TlsCollector {
            url,
            ca_pem: ca.pem(),
            seen,
        }
    }
}

/// Reads one HTTP/1.1 request (headers, then Content-Length bytes); its Authorization
/// header. None when the handshake or the read fails.
fn read_request(s: &mut impl std::io::Read) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")?.parse().ok()?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    serde_json::from_slice::<Report>(&body).ok()?;
    header("authorization")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_trusts_the_ca_file_and_spools_on_an_untrusted_certificate() {
    let c = TlsCollector::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &c.ca_pem).unwrap();
    let pusher_with = |ca_file: Option<PathBuf>, spool: &str| {
        let collector = Collector::new(&ClientConfig {
            url: c.url.clone(),
            token: Secret::new(TOKEN),
            ca_file,
            allow_http: false,
            timeout: Duration::from_secs(10),
        })
        .unwrap();
        Pusher::new(collector, Spool::open(dir.path().join(spool)).unwrap())
    };

    // Without the CA the certificate is unknown: nothing is sent, the report waits.
    let p = pusher_with(None, "no-ca");
    let out = submit(&p, "t1").await;
    let PushOutcome::Spooled { reason, .. } = &out else {
        panic!("an untrusted certificate must spool, got {out:?}");
    };
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    assert!(c.seen.lock().unwrap().is_empty());

    // With --ca-file it is trusted: stored, the token sent inside TLS.
    let p = pusher_with(Some(ca), "with-ca");
    let out = submit(&p, "t2").await;
    assert_eq!(out, PushOutcome::Stored);
    assert_eq!(*c.seen.lock().unwrap(), [format!("Bearer {TOKEN}")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_spool_refuses_to_start() {
    let (_sim, dir, plan) = station();
    let c = ScriptedCollector::start(Seen::default()).await;
    let spool = dir.path().join("spool");
    let token = token_file(dir.path());
    let args = run_args(&plan, &c.url, &spool, &token, &["--every", "1h"]);
    let first = AgentProcess::spawn(&args, dir.path().join("first.log"));
    // The first run has scanned and pushed once: it holds the lock.
    let start = std::time::Instant::now();
    while c.seen().order.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut second = AgentProcess::spawn(&args, dir.path().join("second.log"));
    let st = second.wait(Duration::from_secs(30)).await;
    let log = second.log();
    assert_eq!(st.code(), Some(2), "{log}");
    assert!(
        log.contains(&format!(
            "another lanready-agent run (pid {}) is using the spool",
            first.child.id()
        )),
        "{log}"
    );
    assert_eq!(
        c.seen().requests.len(),
        1,
        "the second run scanned or pushed"
    );
    drop(first);
    // Once the first is gone (SIGKILL), the lock is free again.
    let once = run_args(
        &plan,
        &c.url,
        &spool,
        &token,
        &["--every", "1h", "--scans", "1"],
    );
    let mut third = AgentProcess::spawn(&once, dir.path().join("third.log"));
    let st = third.wait(Duration::from_secs(120)).await;
    assert!(st.success(), "{}", third.log());
    assert_eq!(c.seen().order.len(), 2);
}

/// `lanready-agent scan --collector ...`; its exit status and stderr.
fn scan_push(plan: &Path, url: &str, spool: &Path, token: &Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(lanready_tests::binary("lanready-agent"))
        .arg("scan")
        .arg("--plan")
        .arg(plan)
        .arg("--out")
        .arg(plan.with_extension("report.json"))
        .args(["--collector", url, "--allow-http", "--token-file"])
        .arg(token)
        .arg("--spool-dir")
        .arg(spool)
        .env_remove("LANREADY_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .expect("running lanready-agent scan");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_spools_while_the_collector_is_down_and_the_next_scan_sends_both() {
    let (_sim, dir, plan) = station();
    let token = token_file(dir.path());
    let spool = dir.path().join("spool");
    let addr = unused_addr();
    let url = format!("http://{addr}");

    // Down: the report is safe in the spool; not an error.
    let (code, err) = scan_push(&plan, &url, &spool, &token);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("is unavailable"), "{err}");
    let waiting = spooled_ids(&spool);
    assert_eq!(waiting.len(), 1);

    // Up: the next scan sends the waiting report first, then its own.
    let c = ScriptedCollector::start_on(addr, Arc::new(Mutex::new(Seen::default()))).await;
    let (code, err) = scan_push(&plan, &url, &spool, &token);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stored by"), "{err}");
    let s = c.seen();
    assert_eq!(s.order.len(), 2, "{s:?}");
    assert_eq!(s.order[0], waiting[0]);
    assert!(spooled(&spool).is_empty());
    drop(s);

    // Rejected: exit 2, the report kept in rejected/.
    c.seen().reject = true;
    let (code, err) = scan_push(&plan, &url, &spool, &token);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("rejected the report (HTTP 400"), "{err}");
    assert_eq!(spooled(&spool.join("rejected")).len(), 1);
    assert!(!err.contains(TOKEN));
}
