//! End to end on loopback, every part real: snmpsim serving the `access48` fixture switch,
//! `lanready-agent scan` and `run` polling it and pushing, `lanready-collector serve` on
//! 127.0.0.1 with a real SQLite file (tokens made by its CLI), the dashboard JSON and the
//! collector's gate. The collector is killed while the agent runs and restarted on the same
//! port and file: every report the agent made arrives exactly once, none is lost.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lanready_schema::api::{Dashboard, SiteDetail};
use lanready_schema::{Report, Verdict};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::push::{AgentProcess, run_args, write_plan};
use lanready_tests::CollectorProcess;

fn collector_cli(args: &[&str]) -> std::process::Output {
    Command::new(lanready_tests::binary("lanready-collector"))
        .args(args)
        .env_remove("LANREADY_TOKEN")
        .output()
        .expect("running lanready-collector")
}

/// `token add`, written to a file for `--token-file`.
fn token(db: &Path, dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["token", "add", "--db", db.to_str().unwrap(), "--name", name];
    args.extend_from_slice(extra);
    let out = collector_cli(&args);
    assert!(
        out.status.success(),
        "token add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = dir.join(format!("{name}.token"));
    std::fs::write(&f, &out.stdout).unwrap();
    f
}

async fn get_dashboard(url: &str, token: &Path) -> Dashboard {
    let path = "/api/v1/dashboard";
    let token = std::fs::read_to_string(token).unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert!(status.is_success(), "GET {path}: {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// The site's detail, or None while the collector has no report for it (or is down).
async fn site_detail(url: &str, site: &str, token: &Path) -> Option<SiteDetail> {
    let token = std::fs::read_to_string(token).unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{url}/api/v1/sites/{site}"))
        .bearer_auth(token.trim())
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    serde_json::from_str(&resp.text().await.ok()?).ok()
}

fn parse_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The scan times the agent logged (`Scan done.` lines), one per report it made.
fn scans_logged(log: &str) -> Vec<OffsetDateTime> {
    log.lines()
        .filter(|l| l.contains("Scan done."))
        .map(|l| {
            let at = l
                .split("generated_at=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("no generated_at in {l:?}"));
            parse_time(at)
        })
        .collect()
}

/// The spooled reports (whole, parsed), oldest first.
fn spooled(dir: &Path) -> Vec<Report> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .collect();
    names.sort();
    names
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| serde_json::from_slice(&b).expect("a whole report in the spool"))
        .collect()
}

async fn wait_for<F: FnMut() -> bool>(
    what: &str,
    limit: Duration,
    mut f: F,
    log: impl Fn() -> String,
) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out waiting for {what}; agent log:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_to_collector_with_a_restart_and_an_outage_loses_nothing() {
    let sim = lanready_tests::Snmpsim::fixtures(&["access48"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("collector.db");
    let agent_token = token(&db, dir.path(), "station-1", &["--sites", "hq"]);
    let noc_token = token(&db, dir.path(), "noc", &["--read-only"]);
    let plan = write_plan(dir.path(), &sim.address(), "hq", "access48");
    let spool = dir.path().join("spool");

    let server = CollectorProcess::start(&db, "127.0.0.1:0");
    let url = server.url.clone();
    let listen = server.listen_addr();

    // One `scan --collector`: the report is written and stored.
    let out = dir.path().join("scan.json");
    let scanned = Command::new(lanready_tests::binary("lanready-agent"))
        .args([
            "scan",
            "--plan",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--collector", &url, "--allow-http", "--token-file"])
        .arg(&agent_token)
        .arg("--spool-dir")
        .arg(&spool)
        .env_remove("LANREADY_TOKEN")
        .output()
        .unwrap();
    let scan_err = String::from_utf8_lossy(&scanned.stderr).to_string();
    assert!(
        scanned.status.success(),
        "scan failed: {scan_err}\n{}",
        sim.log()
    );
    assert!(scan_err.contains("stored by"), "{scan_err}");
    let first: Report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(first.site, "hq");
    assert!(
        first.switches.iter().all(|s| s.reachable),
        "{:?}",
        first.switches
    );
    let d = site_detail(&url, "hq", &noc_token)
        .await
        .expect("hq stored");
    assert_eq!(d.report_id, first.id);

    // `run` scans every second and pushes.
    let args = run_args(
        &plan,
        &url,
        &spool,
        &agent_token,
        &["--every", "1s", "--retry-min", "200ms", "--retry-max", "1s"],
    );
    let mut agent = AgentProcess::spawn(&args, dir.path().join("agent.log"));
    let trend_len = |d: &Option<SiteDetail>| d.as_ref().map_or(0, |d| d.trend.len());
    let start = Instant::now();
    while trend_len(&site_detail(&url, "hq", &noc_token).await) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{}",
            agent.log()
        );
        assert!(agent.child.try_wait().unwrap().is_none(), "{}", agent.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The collector dies (SIGKILL) while the agent runs: reports pile up in the spool.
    server.kill_9();
    let mut waited: BTreeSet<String> = BTreeSet::new();
    wait_for(
        "reports spooled while the collector is down",
        Duration::from_secs(120),
        || {
            waited.extend(spooled(&spool).into_iter().map(|r| r.id));
            waited.len() >= 2
        },
        || agent.log(),
    )
    .await;
    assert!(agent.child.try_wait().unwrap().is_none(), "{}", agent.log());

    // Back on the same port and database file: the spool drains.
    let server = CollectorProcess::start(&db, &listen);
    assert_eq!(server.url, url);
    wait_for(
        "the spool to drain",
        Duration::from_secs(120),
        || spooled(&spool).is_empty(),
        || agent.log(),
    )
    .await;
    // A couple more scans with the collector up, then stop the agent gracefully (SIGTERM):
    // a stop never drops a finished report.
    let before = scans_logged(&agent.log()).len();
    wait_for(
        "two more scans",
        Duration::from_secs(60),
        || scans_logged(&agent.log()).len() >= before + 2,
        || agent.log(),
    )
    .await;
    let term = Command::new("kill")
        .args(["-TERM", &agent.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let st = agent.wait(Duration::from_secs(60)).await;
    let log = agent.log();
    assert!(st.success(), "run exited with {st}: {log}");
    assert!(
        spooled(&spool).is_empty(),
        "reports left in the spool: {log}"
    );
    assert!(!log.contains(std::fs::read_to_string(&agent_token).unwrap().trim()));

    // Every report the agent made is stored exactly once: the collector's history holds
    // the first scan plus each scan `run` logged, no more, no fewer.
    let d = site_detail(&url, "hq", &noc_token)
        .await
        .expect("hq detail");
    let mut made: Vec<OffsetDateTime> = scans_logged(&log);
    made.push(parse_time(&first.generated_at));
    made.sort();
    let stored: Vec<OffsetDateTime> = d.trend.iter().map(|p| parse_time(&p.at)).collect();
    assert_eq!(stored, made, "history vs scans made; agent log:\n{log}");
    assert!(made.len() >= 6, "{}", made.len());
    // Two scans may share a second (`generated_at` has second precision), so "exactly once"
    // is checked by id: the history has as many reports as scans were made (above), and
    // every report id the agent logged is stored (ids are unique in the store).
    let mut ids: BTreeSet<String> = log
        .lines()
        .filter(|l| l.contains("Scan done."))
        .filter_map(|l| {
            l.split(" id=")
                .nth(1)?
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .collect();
    ids.insert(first.id.clone());
    assert_eq!(ids.len(), made.len(), "one id per scan logged: {log}");
    let store = lanready_collector::store::Store::open(&db).expect("opening the collector's DB");
    for id in &ids {
        assert!(
            store
                .report_by_id("hq", id)
                .expect("reading a report")
                .is_some(),
            "report {id} made by the agent is not stored"
        );
    }

    // The dashboard shows the site as the agent judged it.
    let dash = get_dashboard(&url, &noc_token).await;
    assert_eq!(dash.estate.sites, 1);
    let row = &dash.sites[0];
    assert_eq!(row.site, "hq");
    assert_eq!(
        (row.score, row.verdict, &row.counts),
        (first.score, first.verdict, &first.counts),
        "the fixture gives the same result every scan"
    );
    assert_eq!(
        row.user_ports,
        first.switches.iter().map(|s| s.user_ports).sum::<u32>()
    );
    assert!(!row.stale);
    assert_eq!(d.switches.len(), 1);
    assert_eq!(d.switches[0].name.as_deref(), Some("hitchin-sw1"));

    // The collector's gate agrees with the verdict.
    let gate = collector_cli(&[
        "gate",
        "--url",
        &url,
        "--allow-http",
        "--site",
        "hq",
        "--token-file",
        noc_token.to_str().unwrap(),
    ]);
    let want = match first.verdict {
        Verdict::Ready | Verdict::AtRisk => 0,
        Verdict::NotReady => 1,
    };
    assert_eq!(
        gate.status.code(),
        Some(want),
        "gate for verdict {:?}: {}{}",
        first.verdict,
        String::from_utf8_lossy(&gate.stdout),
        String::from_utf8_lossy(&gate.stderr)
    );
    drop(server);
}
