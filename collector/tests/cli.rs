//! The real `lanready-collector` binary end to end: tokens from the CLI, `serve` on
//! 127.0.0.1:0 with a real SQLite file, reports over HTTP, a restart on the same file, and
//! the gate's exit codes and JUnit file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use lanready_schema::{Finding, PoeBudget, Report, Severity, Status, Verdict};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const BIN: &str = env!("CARGO_BIN_EXE_lanready-collector");

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("LANREADY_TOKEN")
        .output()
        .expect("running lanready-collector")
}

fn token_add(db: &Path, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "add", "--db", db.to_str().unwrap(), "--name", name];
    args.extend_from_slice(extra);
    let out = cli(&args);
    assert!(
        out.status.success(),
        "token add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout is the token only: {stdout:?}");
    assert!(lines[0].starts_with("lrc_"));
    lines[0].to_string()
}

/// A running `serve`, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--db",
                db.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
            "{url}"
        );
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn report(id: &str, site: &str, verdict: Verdict, score: u8, age: Duration) -> Report {
    let blockers = if verdict == Verdict::NotReady { 1 } else { 0 };
    let at = rfc3339(OffsetDateTime::now_utc() - age);
    let mut report = lanready_schema::sample::skeleton(id, site, &at, score, verdict);
    report.agent = "station-1".into();
    report.plan.phone_budget_mw = 6300;
    report.plan.poe_headroom_pct = 15;
    let sw = &mut report.switches[0];
    sw.address = "127.0.0.1:16100".into();
    sw.name = Some("acc-1".into());
    sw.poe = vec![PoeBudget {
        group: 1,
        stack_member: Some(1),
        budget_w: 740,
        consumed_w: 120,
        planned_w: 302,
        ..Default::default()
    }];
    report.findings = (0..blockers)
        .map(|_| Finding {
            check: "voice_vlan.port".into(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: "127.0.0.1:16100".into(),
            port: Some("Gi1/0/5".into()),
            message: "Gi1/0/5 has no voice VLAN".into(),
            evidence: vec![],
            remediation: Some("interface Gi1/0/5\n switchport voice vlan 110".into()),
        })
        .collect();
    lanready_schema::score::fill_to_match(&mut report);
    report
}

/// A JSON answer to a GET with the token.
async fn get_json(url: &str, path: &str, token: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post(url: &str, token: &str, r: &Report) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/reports"))
        .bearer_auth(token)
        .json(r)
        .send()
        .await
        .unwrap()
        .status()
}

fn gate(url: &str, site: &str, token_file: Option<&Path>, extra: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["gate", "--url", url, "--site", site, "--timeout", "5s"])
        .arg("--allow-http")
        .args(extra)
        .env_remove("LANREADY_TOKEN");
    if let Some(f) = token_file {
        cmd.arg("--token-file").arg(f);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("exit code"), text)
}

fn write(path: PathBuf, s: &str) -> PathBuf {
    std::fs::write(&path, s).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_ingest_restart_and_gate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent = token_add(&db, "station-1", &["--sites", "hq,branch,old"]);
    let reader = token_add(&db, "ci", &["--read-only"]);
    let reader_file = write(dir.path().join("ci.token"), &format!("{reader}\n"));

    // Tokens are stored hashed: the plain value is nowhere in the database file.
    let raw = std::fs::read(&db).unwrap();
    assert!(!raw.windows(agent.len()).any(|w| w == agent.as_bytes()));

    let server = Server::start(
        &db,
        &["--stale-after", "26h", "--stale-after-site", "old=1h"],
    );
    let hq = report("hq-1", "hq", Verdict::NotReady, 55, Duration::from_secs(60));
    assert_eq!(post(&server.url, &agent, &hq).await, 201);
    assert_eq!(post(&server.url, &agent, &hq).await, 200);
    let branch = report(
        "br-1",
        "branch",
        Verdict::Ready,
        96,
        Duration::from_secs(60),
    );
    assert_eq!(post(&server.url, &agent, &branch).await, 201);
    let old = report(
        "old-1",
        "old",
        Verdict::Ready,
        97,
        Duration::from_secs(2 * 3600),
    );
    assert_eq!(post(&server.url, &agent, &old).await, 201);

    // Killed outright (no graceful shutdown): what got a 2xx is on disk.
    drop(server);
    let server = Server::start(&db, &["--stale-after-site", "old=1h"]);
    let sites: serde_json::Value = get_json(&server.url, "/api/v1/sites", &reader).await;
    let names: Vec<&str> = sites["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hq", "branch", "old"], "{sites}");
    // The resend after the restart is still a duplicate.
    assert_eq!(post(&server.url, &agent, &hq).await, 200);

    // Gate: ready site passes, with a JUnit file.
    let junit = dir.path().join("gate.xml");
    let (code, text) = gate(
        &server.url,
        "branch",
        Some(&reader_file),
        &["--min-score", "90", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("site branch: READY"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"site branch\""), "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    // Above the score: 1.
    let (code, text) = gate(
        &server.url,
        "branch",
        Some(&reader_file),
        &["--min-score", "97"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("below --min-score 97"));
    // Not ready: 1, blockers printed before the decision.
    let (code, text) = gate(&server.url, "hq", Some(&reader_file), &[]);
    assert_eq!(code, 1, "{text}");
    let b = text.find("BLOCKERS (1)").expect(&text);
    assert!(
        text.starts_with("lanready gate: site hq: NOT READY"),
        "{text}"
    );
    assert!(b < text.find("RESULT: FAIL").unwrap());
    assert!(text.contains("Gi1/0/5") && text.contains("switchport voice vlan 110"));
    // Stale (1h interval for this site, scanned 2h ago): 1, even though ready.
    let (code, text) = gate(&server.url, "old", Some(&reader_file), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("stale"), "{text}");
    // --max-age tighter than the collector's interval: 1.
    let (code, text) = gate(
        &server.url,
        "branch",
        Some(&reader_file),
        &["--max-age", "30s"],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--max-age"));
    // The token from LANREADY_TOKEN works too.
    let out = Command::new(BIN)
        .args([
            "gate",
            "--url",
            &server.url,
            "--site",
            "branch",
            "--allow-http",
        ])
        .env("LANREADY_TOKEN", &reader)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Plain http:// only when asked for, as the agent's push: the token would travel
    // unencrypted.
    let out = Command::new(BIN)
        .args(["gate", "--url", &server.url, "--site", "branch"])
        .env("LANREADY_TOKEN", &reader)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--allow-http"),
        "{out:?}"
    );
    // Errors: 2. Wrong token, no token, unknown site, bad site name, unreachable collector.
    let wrong = write(dir.path().join("wrong.token"), "lrc_0000");
    let (code, text) = gate(&server.url, "branch", Some(&wrong), &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains(&reader));
    let (code, text) = gate(&server.url, "branch", None, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("LANREADY_TOKEN"));
    let (code, text) = gate(&server.url, "nowhere", Some(&reader_file), &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no report for site"), "{text}");
    let (code, _) = gate(&server.url, "../etc", Some(&reader_file), &[]);
    assert_eq!(code, 2);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (code, text) = gate(
        &format!("http://127.0.0.1:{closed}"),
        "branch",
        Some(&reader_file),
        &[],
    );
    assert_eq!(code, 2, "{text}");

    // Revoking from the CLI while the server runs takes effect at once.
    let out = cli(&[
        "token",
        "revoke",
        "--db",
        db.to_str().unwrap(),
        "--name",
        "station-1",
    ]);
    assert!(out.status.success());
    let hq2 = report("hq-2", "hq", Verdict::Ready, 91, Duration::from_secs(1));
    assert_eq!(post(&server.url, &agent, &hq2).await, 401);
    let out = cli(&["token", "list", "--db", db.to_str().unwrap()]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(
        list.contains("station-1\tagent\tbranch,hq,old\trevoked"),
        "{list}"
    );
    assert!(list.contains("ci\tread_only\t*\tactive"), "{list}");
    assert!(!list.contains("lrc_"));
}

#[test]
fn token_cli_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let out = cli(&["token", "add", "--db", db, "--name", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sites"));
    let out = cli(&[
        "token", "add", "--db", db, "--name", "a", "--sites", "ok,../x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let out = cli(&["token", "revoke", "--db", db, "--name", "ghost"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no active token"));
    token_add(Path::new(db), "a", &["--sites", "s1"]);
    let out = cli(&["token", "add", "--db", db, "--name", "a", "--sites", "s1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn help_never_shows_a_token_from_the_environment() {
    let out = Command::new(BIN)
        .args(["gate", "--help"])
        .env("LANREADY_TOKEN", "lrc_supersecret")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("supersecret"));
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut server = Server::start(&db, &[]);
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0), "graceful exit");
}

#[test]
fn serve_refuses_bad_settings_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    for (args, says) in [
        (vec!["--stale-after", "soon"], "not a duration"),
        (vec!["--stale-after-site", "../x=1h"], "site name"),
        (vec!["--body-limit", "12"], "at least 1KiB"),
        (vec!["--body-limit", "2GB"], "not a size"),
    ] {
        let mut all = vec!["serve", "--db", db, "--listen", "127.0.0.1:0"];
        all.extend(args.iter().copied());
        let out = cli(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_over_tls_with_the_gate_trusting_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let agent = token_add(&db, "station-1", &["--sites", "hq"]);
    let reader = token_add(&db, "ci", &["--read-only"]);
    let reader_file = write(dir.path().join("ci.token"), &reader);
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = write(dir.path().join("cert.pem"), &ck.cert.pem());
    let key = write(dir.path().join("key.pem"), &ck.signing_key.serialize_pem());
    let server = Server::start(
        &db,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);

    // A client that connects and never starts its handshake holds up no one.
    let addr = server.url.trim_start_matches("https://").to_string();
    let _idle = tokio::net::TcpStream::connect(&addr).await.unwrap();

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let r = report("hq-1", "hq", Verdict::Ready, 97, Duration::from_secs(60));
    let resp = client
        .post(format!("{}/api/v1/reports", server.url))
        .bearer_auth(&agent)
        .json(&r)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    let ca = cert.to_str().unwrap();
    let (code, text) = gate(&server.url, "hq", Some(&reader_file), &["--ca-file", ca]);
    assert_eq!(code, 0, "{text}");
    // Without the CA the certificate is not trusted: an error, not a verdict.
    let (code, text) = gate(&server.url, "hq", Some(&reader_file), &[]);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn serve_refuses_an_unreadable_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let junk = write(dir.path().join("junk.pem"), "not a certificate");
    let out = cli(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        junk.to_str().unwrap(),
        "--tls-key",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.pem"), "{err}");
    let out = cli(&["serve", "--db", db.to_str().unwrap(), "--tls-cert", "x.pem"]);
    assert_eq!(out.status.code(), Some(2), "--tls-cert needs --tls-key");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_calendar_is_imported_whole_or_not_at_all_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let dbs = db.to_str().unwrap();
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let list = || String::from_utf8(cli(&["programme", "list", "--db", dbs]).stdout).unwrap();

    // No database yet: an error naming the path, and none is made.
    let o = cli(&["programme", "list", "--db", dbs]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no collector database at"),
        "{}",
        stderr(&o)
    );
    assert!(
        !db.exists(),
        "a mistyped --db leaves no empty database behind"
    );
    token_add(&db, "reader", &["--read-only"]);

    // A bad file: each bad row named by its line, exit 2, nothing imported.
    let bad = write(
        dir.path().join("bad.csv"),
        "site,cutover,wave,extensions,owner\n\
         hitchin,2027-03-01,1,120,Jo\n\
         stevenage,2027-02-30,1,,\n\
         bad site,2027-04-01,,,\n",
    );
    let o = cli(&["programme", "import", "--db", dbs, bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("line 3: cutover:"), "{err}");
    assert!(err.contains("line 4: site:"), "{err}");
    assert!(err.contains("2 bad rows; nothing was imported"), "{err}");
    assert_eq!(list(), "", "nothing of a bad file is kept");

    let good = write(
        dir.path().join("good.csv"),
        "site,cutover,wave,extensions,owner\n\
         letchworth,2027-04-12,2,80,\"Bloggs, Jo\"\n\
         hitchin,2027-03-01,1,120,\n",
    );
    let o = cli(&["programme", "import", "--db", dbs, good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        list(),
        "hitchin\t2027-03-01\t1\t120\t\nletchworth\t2027-04-12\t2\t80\tBloggs, Jo\n"
    );

    // set changes a row, keeping what it is not given and unsetting what it is given empty;
    // a bad flag is a clear error that changes nothing.
    let set = |extra: &[&str]| {
        let mut args = vec!["programme", "set", "--db", dbs, "--site", "hitchin"];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let o = set(&["--cutover", "2027-03-08"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        list().starts_with("hitchin\t2027-03-08\t1\t120\t\n"),
        "{}",
        list()
    );
    let o = set(&[
        "--cutover",
        "2027-03-08",
        "--extensions",
        "",
        "--owner",
        "Ash",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        list().starts_with("hitchin\t2027-03-08\t1\t\tAsh\n"),
        "{}",
        list()
    );
    let o = set(&["--cutover", "08/03/2027"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--cutover: \"08/03/2027\" is not a day"),
        "{}",
        stderr(&o)
    );
    assert!(list().starts_with("hitchin\t2027-03-08"), "{}", list());
    let o = cli(&["programme", "remove", "--db", dbs, "--site", "royston"]);
    assert_eq!(o.status.code(), Some(2));

    // The served programme: both sites, no scan yet, in cutover order.
    let token = token_add(&db, "noc", &["--read-only"]);
    let server = Server::start(&db, &[]);
    let body: serde_json::Value = get_json(&server.url, "/api/v1/programme", &token).await;
    assert_eq!(body["schema"], "lanready.programme/v1");
    let sites: Vec<&str> = body["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert_eq!(sites, ["hitchin", "letchworth"]);
    assert_eq!(body["sites"][0]["verdict"], serde_json::Value::Null);
    assert_eq!(body["sites"][0]["projection"]["slipping"], true);
    assert_eq!(body["sites"][1]["owner"], "Bloggs, Jo");
}

#[test]
fn waiver_cli_refuses_bad_input_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let dbs = db.to_str().unwrap();
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let list = || String::from_utf8(cli(&["waiver", "list", "--db", dbs]).stdout).unwrap();
    let add = |extra: &[&str]| {
        let mut args = vec!["waiver", "add", "--db", dbs, "--site", "hitchin"];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let today = OffsetDateTime::now_utc().date();
    let ahead = |days: i64| (today + time::Duration::days(days)).to_string();
    let good = |expires: &str| {
        vec![
            "--check".to_string(),
            "voice_vlan.port".into(),
            "--reason".into(),
            "desk moves".into(),
            "--by".into(),
            "Jo Bloggs".into(),
            "--expires".into(),
            expires.to_string(),
        ]
    };
    let with = |base: Vec<String>, flag: &str, value: &str| {
        let mut v = base;
        let at = v.iter().position(|a| a == flag).unwrap();
        v[at + 1] = value.to_string();
        v
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        add(&refs)
    };

    // No database: refused, none made.
    let o = run(good(&ahead(30)));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no collector database at"),
        "{}",
        stderr(&o)
    );
    assert!(!db.exists());
    token_add(&db, "reader", &["--read-only"]);

    let cases: Vec<(Vec<String>, &str)> = vec![
        (with(good(&ahead(30)), "--check", "poe.budgt"), "--check"),
        (with(good(&ahead(30)), "--reason", " "), "--reason is empty"),
        (with(good(&ahead(30)), "--by", ""), "--by is empty"),
        (good(&today.to_string()), "not after today"),
        (good(&ahead(367)), "more than a year ahead"),
        (good("next week"), "--expires"),
    ];
    for (args, says) in cases {
        let o = run(args.clone());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(list(), "", "nothing of a refused waiver is kept");

    // A good one, then revoking: an unknown id, an empty --by and a second revoke are refused.
    // With no report of the site yet, the add says there is nothing to check it against.
    let o = run(good(&ahead(30)));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("has no report yet: nothing to check waiver"),
        "{}",
        stderr(&o)
    );
    let id = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let revoke =
        |id: &str, by: &str| cli(&["waiver", "revoke", "--db", dbs, "--id", id, "--by", by]);
    let o = revoke("999", "Ash");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no waiver 999"), "{}", stderr(&o));
    let o = revoke(&id, " ");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--by"), "{}", stderr(&o));
    assert!(list().contains("\tin_force\t"), "{}", list());
    assert!(revoke(&id, "Ash").status.success());
    let o = revoke(&id, "Ash");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("revoked before"), "{}", stderr(&o));
    assert!(list().contains("\trevoked\t"), "{}", list());

    // Against a stored report: a waiver naming a switch the report lacks (no :port) is kept,
    // with a warning naming the report's switches; one that covers a finding is quiet.
    {
        let store = lanready_collector::store::Store::open(&db).unwrap();
        let r = report(
            "r1",
            "hitchin",
            Verdict::NotReady,
            60,
            Duration::from_secs(60),
        );
        let at = OffsetDateTime::now_utc();
        store
            .insert_report(lanready_collector::model::NewReport {
                body: serde_json::to_string(&r).unwrap(),
                report: std::sync::Arc::new(r),
                generated_at: at,
                received_at: at,
                token_name: "reader".into(),
                previous: None,
            })
            .unwrap();
    }
    let mut typo = good(&ahead(30));
    typo.extend(["--switch".to_string(), "127.0.0.1".to_string()]);
    let o = run(typo);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("covers no failed or unknown voice_vlan.port finding")
            && stderr(&o).contains("127.0.0.1:16100"),
        "{}",
        stderr(&o)
    );
    let mut right = good(&ahead(30));
    right.extend(["--switch".to_string(), "127.0.0.1:16100".to_string()]);
    let o = run(right);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}
