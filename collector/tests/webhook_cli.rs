//! `lanready-collector serve --webhook`: bad URLs and token files refused before anything
//! runs, and the real binary delivering a regression to a local receiver (first refusing,
//! then taking it) without logging the URL's query or the token.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use lanready_schema::webhook::WebhookEvent;
use lanready_schema::{Finding, Report, Severity, Status, Verdict};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const BIN: &str = env!("CARGO_BIN_EXE_lanready-collector");

/// `lanready-collector serve` on `db` and a free loopback port.
fn serve(db: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args([
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ])
    .stdin(Stdio::null());
    c
}

fn serve_with(db: &Path, extra: &[&str]) -> Output {
    serve(db)
        .args(extra)
        .output()
        .expect("running lanready-collector")
}

#[test]
fn serve_refuses_a_bad_webhook_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    let empty = empty.to_str().unwrap();
    for (args, says) in [
        (
            vec!["--webhook", "ftp://x"],
            "scheme \"ftp\": only http:// and https://",
        ),
        (
            vec!["--webhook", "not-a-url"],
            "\"not-a-url\" is not a URL like https://",
        ),
        (
            vec!["--webhook", "https://me:hunter2@hooks.example.net/x"],
            "carries a user name or password",
        ),
        (vec!["--webhook-token-file", empty], "--webhook <URL>"),
        (
            vec![
                "--webhook",
                "http://127.0.0.1:9/x",
                "--webhook-token-file",
                empty,
            ],
            "is empty",
        ),
        (
            vec![
                "--webhook",
                "http://127.0.0.1:9/x",
                "--webhook-token-file",
                "/nonexistent/token",
            ],
            "reading the webhook token file /nonexistent/token",
        ),
    ] {
        let out = serve_with(&db, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("hunter2"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: it never listened");
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("running lanready-collector")
}

fn token_add(db: &Path) -> String {
    let out = cli(&[
        "token",
        "add",
        "--db",
        db.to_str().unwrap(),
        "--name",
        "agent",
        "--sites",
        "hq",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A report of hq scanned `age` ago: ready, or not ready with a failing voice VLAN socket.
fn report(id: &str, ready: bool, age: Duration) -> Report {
    let at = (OffsetDateTime::now_utc() - age).format(&Rfc3339).unwrap();
    let (score, verdict) = if ready {
        (100, Verdict::Ready)
    } else {
        (40, Verdict::NotReady)
    };
    let mut r = lanready_schema::sample::skeleton(id, "hq", &at, score, verdict);
    if !ready {
        r.findings = vec![Finding {
            check: "voice_vlan.port".into(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: r.switches[0].address.clone(),
            port: Some("Gi1/0/5".into()),
            message: "Gi1/0/5 has no voice VLAN".into(),
            evidence: vec![],
            remediation: None,
        }];
    }
    lanready_schema::score::fill_to_match(&mut r);
    r
}

/// What the receiver was sent: (status answered, Lanready-Delivery, Authorization, body).
type Seen = Arc<Mutex<Vec<(u16, String, String, Vec<u8>)>>>;

async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let text = |n: &str| {
        headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut seen = seen.lock().unwrap();
    // The first delivery is refused, so the collector logs a failure; then it is taken.
    let status = if seen.is_empty() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    seen.push((
        status.as_u16(),
        text("lanready-delivery"),
        text("authorization"),
        body.to_vec(),
    ));
    status
}

/// A running `serve`, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_delivers_a_regression_to_the_webhook_and_logs_no_secret() {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route("/in", axum::routing::post(hook))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let agent = token_add(&db);
    let token_file = dir.path().join("hook-token");
    std::fs::write(&token_file, "hook-secret-7\n").unwrap();
    let log = dir.path().join("stderr.log");
    let url = format!("http://{hook_addr}/in?key=hunter2");
    let mut child = serve(&db)
        .args(["--webhook", &url, "--webhook-token-file"])
        .arg(&token_file)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("starting serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Server(child);
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    let client = reqwest::Client::new();
    for r in [
        report("h1", true, Duration::from_secs(60)),
        report("h2", false, Duration::from_secs(30)),
    ] {
        let status = client
            .post(format!("{base}/api/v1/reports"))
            .bearer_auth(&agent)
            .json(&r)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201, "{}", r.id);
    }
    // h2's verdict got worse: regression 1 (and any socket that passed before). Refused
    // once, sent again about a second later, taken.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let taken = loop {
        let got = seen.lock().unwrap().clone();
        if let Some(ok) = got.iter().find(|s| s.0 == 200) {
            break (got.clone(), ok.clone());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery taken: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (all, (_, delivery, auth, body)) = taken;
    assert_eq!(
        (all[0].0, all[0].1.as_str()),
        (503, "1"),
        "the refused one first"
    );
    assert_eq!(delivery, "1", "the same regression sent again");
    assert_eq!(auth, "Bearer hook-secret-7");
    let event: WebhookEvent = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            event.schema.as_str(),
            event.site.as_str(),
            event.incident,
            event.regression.kind.as_str(),
            event.regression.report_id.as_str(),
            event.regression.previous_id.as_str(),
        ),
        ("lanready.webhook/v1", "hq", false, "verdict", "h2", "h1")
    );
    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("Webhook delivery failed") && log.contains(&format!("http://{hook_addr}/in")),
        "{log}"
    );
    assert!(
        !log.contains("hunter2"),
        "the query is never logged:\n{log}"
    );
    assert!(
        !log.contains("hook-secret-7"),
        "the token is never logged:\n{log}"
    );
}
