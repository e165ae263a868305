//! Collector benchmark: ingest rate over HTTP against raw SQLite inserts of the same bytes,
//! dashboard and site API latency (p50, p99) at estate scale, sequential and under concurrent
//! ingest, database size per switch-day and the collector's peak RSS. Writes its figures to
//! BENCHMARKS.md between `<!-- collector:begin -->` and `<!-- collector:end -->`.
//!
//! `cargo run --release -p lanready-bench --bin collector` (the release collector binary is
//! built first). Everything talks to 127.0.0.1 only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use lanready_collector::admin::{self, NewToken};
use lanready_collector::store::{NewReport, Store};
use lanready_schema::{
    Evidence, Finding, PlanSummary, PoeBudget, REPORT_SCHEMA, Report, Severity, Status,
    SwitchResult,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Parser)]
#[command(about = "Collector ingest and read-path benchmark, written to BENCHMARKS.md")]
struct Args {
    #[arg(long, default_value_t = 1000)]
    sites: u32,
    #[arg(long, default_value_t = 20)]
    switches_per_site: u32,
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Concurrent HTTP clients (agents) during the ingest run.
    #[arg(long, default_value_t = 50)]
    clients: u32,
    /// Reports posted in the ingest runs (a third each: alone, with the polls, with
    /// cache-missing dashboard requests).
    #[arg(long, default_value_t = 30_000)]
    reports: u32,
    /// Sequential requests per read measurement.
    #[arg(long, default_value_t = 200)]
    reads: u32,
    /// Dashboard polls 1.6 s apart (each a cache miss) with nothing else running.
    #[arg(long, default_value_t = 10)]
    miss_reads: u32,
    /// Where to write the figures (BENCHMARKS.md in the workspace root by default).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the figures off BENCHMARKS.md (print only).
    #[arg(long)]
    dry_run: bool,
}

const AGENTS: u32 = 50;

/// Longer than the collector serves a cached dashboard body, so a poll this long after the
/// last one of its scope always rebuilds.
const MISS_GAP: Duration =
    Duration::from_millis(lanready_collector::dashcache::MAX_STALE.as_millis() as u64 + 100);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench is inside the workspace")
        .to_path_buf()
}

fn site_name(i: u32) -> String {
    format!("site-{i:04}")
}

fn rfc(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap()
}

/// One 48-port switch's site report. `full`: every port's checks listed (about 100
/// findings, what an agent sends); otherwise only the failing findings (history rows).
fn switch_report(id: String, site: &str, sw: u32, at: &str, seed: u32, full: bool) -> Report {
    let address = format!("10.{}.{}.{}:161", seed % 250, sw % 250, 1 + sw / 250);
    let checks = [
        ("poe.port", Severity::Blocker),
        ("voice_vlan.port", Severity::Blocker),
        ("qos.trust", Severity::Warning),
    ];
    let mut findings = Vec::new();
    for port in 1..=48u32 {
        for (k, (check, severity)) in checks.iter().enumerate() {
            // A few deterministic failures per switch; the rest pass.
            let fail = (port * 7 + seed * 3 + k as u32 * 11).is_multiple_of(29);
            let status = if fail { Status::Fail } else { Status::Pass };
            if !full && !fail {
                continue;
            }
            // Not every check applies to every port: about 100 findings a switch.
            if full && !fail && k == 2 && port % 4 != 0 {
                continue;
            }
            findings.push(Finding {
                check: (*check).into(),
                severity: *severity,
                status,
                switch: address.clone(),
                port: Some(format!("GigabitEthernet1/0/{port}")),
                message: if fail {
                    format!("{check} fails on GigabitEthernet1/0/{port}")
                } else {
                    format!("{check} ok on GigabitEthernet1/0/{port}")
                },
                evidence: vec![Evidence {
                    object: format!("vmVoiceVlanId.{}", 10100 + port),
                    value: if fail { "4096".into() } else { "110".into() },
                }],
                remediation: fail.then(|| {
                    format!(
                        "interface GigabitEthernet1/0/{port}\n switchport voice vlan 110\n power inline auto"
                    )
                }),
            });
        }
    }
    findings.sort_by_key(|f| (f.status != Status::Fail, f.severity != Severity::Blocker));
    // Judged by the shared model, as the collector checks it.
    let counts = lanready_schema::score::counts(&findings);
    let score = lanready_schema::score::score(&findings);
    let verdict = lanready_schema::score::verdict(
        &findings,
        score,
        lanready_schema::score::DEFAULT_READY_SCORE,
        lanready_schema::score::DEFAULT_AT_RISK_SCORE,
    );
    Report {
        schema: REPORT_SCHEMA.into(),
        id,
        site: site.into(),
        generated_at: at.into(),
        agent: format!("agent-{:02}", seed % AGENTS),
        agent_version: "0.1.0".into(),
        plan: PlanSummary {
            voice_vlan: 110,
            phone_budget_mw: 7000,
            poe_headroom_pct: 20,
            ..Default::default()
        },
        switches: vec![SwitchResult {
            address,
            name: Some(format!("{site}-sw{sw:02}")),
            model: Some("C9300-48P".into()),
            reachable: true,
            error: None,
            user_ports: 48,
            score,
            verdict,
            poe: vec![PoeBudget {
                group: 1,
                stack_member: Some(1),
                budget_w: 740,
                consumed_w: 200 + (seed % 300),
                planned_w: 336,
                ..Default::default()
            }],
            ..Default::default()
        }],
        findings,
        score,
        verdict,
        counts,
    }
}

fn new_report(report: Report, generated_at: OffsetDateTime, token: &str) -> NewReport {
    NewReport {
        body: serde_json::to_string(&report).unwrap(),
        report: Arc::new(report),
        generated_at,
        received_at: generated_at,
        token_name: token.into(),
    }
}

fn file_bytes(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

/// Seeds the history through the store's bulk API (`Store::import`: one transaction per
/// day, `site_latest` refreshed per import). The last day's reports are full; older days
/// keep only failing findings.
/// Read tokens made by `seed`.
struct Readers {
    /// Every site.
    reader: String,
    /// Every site named (a scope of its own).
    wallboard: String,
    /// Each every site but one: each a scope of its own, so its first dashboard request is
    /// a cache miss.
    fresh: Vec<String>,
}

/// Tokens whose first dashboard request misses the cache.
const FRESH_SCOPES: u32 = 60;

fn seed(db: &Path, a: &Args, now: OffsetDateTime) -> anyhow::Result<(Vec<String>, Readers)> {
    let store = Store::open(db)?;
    let mut agent_tokens = Vec::new();
    let per_agent = a.sites.div_ceil(AGENTS);
    for k in 0..AGENTS {
        let sites: Vec<String> = (k * per_agent..((k + 1) * per_agent).min(a.sites))
            .map(site_name)
            .collect();
        let req = NewToken {
            name: &format!("agent-{k:02}"),
            sites: &sites,
            read_only: false,
        };
        agent_tokens.push(admin::add_token(&store, &req, now)?.0.expose().to_string());
    }
    let reader = admin::add_token(
        &store,
        &NewToken {
            name: "reader",
            sites: &[],
            read_only: true,
        },
        now,
    )?
    .0
    .expose()
    .to_string();
    // A wallboard's token: read-only, every site named. It sees what `reader` sees, but the
    // collector caches its answer apart (by scope), so its slow polls measure the rebuild.
    let every: Vec<String> = (0..a.sites).map(site_name).collect();
    let wallboard = admin::add_token(
        &store,
        &NewToken {
            name: "wallboard",
            sites: &every,
            read_only: true,
        },
        now,
    )?
    .0
    .expose()
    .to_string();
    let mut fresh = Vec::new();
    for k in 0..FRESH_SCOPES.min(a.sites) {
        let but_one: Vec<String> = (0..a.sites).filter(|&i| i != k).map(site_name).collect();
        let req = NewToken {
            name: &format!("board-{k:02}"),
            sites: &but_one,
            read_only: true,
        };
        fresh.push(admin::add_token(&store, &req, now)?.0.expose().to_string());
    }
    for day in 0..a.days {
        let at_day = now - Duration::from_secs(u64::from(a.days - day) * 86_400);
        let full = day + 1 == a.days;
        let mut batch = Vec::with_capacity((a.sites * a.switches_per_site) as usize);
        for s in 0..a.sites {
            let site = site_name(s);
            for sw in 0..a.switches_per_site {
                let at = at_day + Duration::from_secs(u64::from(sw) * 60);
                let r = switch_report(
                    format!("{site}-sw{sw:02}-d{day:03}"),
                    &site,
                    sw,
                    &rfc(at),
                    s * 31 + sw * 7 + day,
                    full,
                );
                batch.push(new_report(r, at, &format!("agent-{:02}", s / per_agent)));
            }
        }
        store.import(&batch)?;
        if day % 10 == 9 || full {
            eprintln!("seeded day {}/{}", day + 1, a.days);
        }
    }
    Ok((
        agent_tokens,
        Readers {
            reader,
            wallboard,
            fresh,
        },
    ))
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, db: &Path) -> anyhow::Result<Server> {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let out = child.stdout.take().context("collector stdout")?;
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line {line:?}"))?
        .to_string();
    Ok(Server { child, url })
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) a process has used, from /proc (USER_HZ = 100).
fn cpu_secs(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) in parentheses.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// Cores used by the collector and by this bench process between two readings.
#[derive(Clone, Copy)]
struct Cpu {
    collector: f64,
    bench: f64,
    at: Instant,
}

impl Cpu {
    fn now(pid: u32) -> Cpu {
        Cpu {
            collector: cpu_secs(&pid.to_string()),
            bench: cpu_secs("self"),
            at: Instant::now(),
        }
    }

    fn since(self, pid: u32) -> String {
        let n = Cpu::now(pid);
        let secs = n.at.duration_since(self.at).as_secs_f64().max(1e-9);
        format!(
            "collector {:.2} cores, bench clients {:.2} cores",
            (n.collector - self.collector) / secs,
            (n.bench - self.bench) / secs
        )
    }
}

#[derive(Clone, Copy, Default)]
struct Lat {
    p50_ms: f64,
    p99_ms: f64,
    n: usize,
}

fn lat(mut v: Vec<Duration>) -> Lat {
    if v.is_empty() {
        return Lat::default();
    }
    v.sort();
    let at = |q: f64| {
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    };
    Lat {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        n: v.len(),
    }
}

async fn get_timed(
    c: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(Duration, usize)> {
    let t0 = Instant::now();
    let r = c.get(url).bearer_auth(token).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    if !status.is_success() {
        bail!("GET {url}: {status}");
    }
    Ok((t0.elapsed(), body.len()))
}

/// A browser-like dashboard poll: `Accept-Encoding: gzip`, the answer read and decoded.
/// Returns the time to the decoded bytes, the bytes on the wire, and the body's `ETag`.
async fn get_gzip_timed(
    c: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(Duration, usize, String)> {
    let t0 = Instant::now();
    let r = c
        .get(url)
        .bearer_auth(token)
        .header("accept-encoding", "gzip")
        .send()
        .await?;
    let status = r.status();
    let gzipped = r
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = r.bytes().await?;
    if !status.is_success() {
        bail!("GET {url}: {status}");
    }
    if !gzipped {
        bail!("GET {url} with Accept-Encoding: gzip was not gzipped");
    }
    let mut json = Vec::with_capacity(body.len() * 12);
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut json)?;
    if json.first() != Some(&b'{') {
        bail!("GET {url}: the gzip answer did not decode to a JSON object");
    }
    Ok((t0.elapsed(), body.len(), etag))
}

/// Raw SQLite: the same bodies into the same table shape with the same pragmas, one
/// transaction per report (`per_tx` = 1) or several.
fn raw_sqlite(dir: &Path, bodies: &[(String, String)], per_tx: usize) -> anyhow::Result<f64> {
    let path = dir.join(format!("raw-{per_tx}.db"));
    let conn = rusqlite::Connection::open(&path)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         CREATE TABLE reports (pk INTEGER PRIMARY KEY, report_id TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL, generated_at INTEGER NOT NULL, body_sha256 BLOB NOT NULL,
            body TEXT NOT NULL);
         CREATE INDEX reports_trend ON reports(site, generated_at DESC, pk DESC);",
    )?;
    let t0 = Instant::now();
    for chunk in bodies.chunks(per_tx) {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for (i, (site, body)) in chunk.iter().enumerate() {
            let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()).into();
            conn.prepare_cached(
                "INSERT INTO reports (report_id, site, generated_at, body_sha256, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(rusqlite::params![
                format!("{}-{i}-{}", site, t0.elapsed().as_nanos()),
                site,
                i as i64,
                &hash[..],
                body
            ])?;
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(bodies.len() as f64 / t0.elapsed().as_secs_f64())
}

/// Posts every client's reports, each client one after another, the clients at once.
/// Returns the latency of each 201 and the wall time.
async fn post_all(
    c: &reqwest::Client,
    url: &str,
    prepared: Vec<Vec<(String, String)>>,
    errors: &Arc<AtomicU64>,
) -> anyhow::Result<(Vec<Duration>, f64)> {
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for mine in prepared {
        let (c, url, errors) = (c.clone(), url.to_string(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lats = Vec::with_capacity(mine.len());
            for (token, body) in mine {
                let t = Instant::now();
                let r = c
                    .post(format!("{url}/api/v1/reports"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 => lats.push(t.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lats
        }));
    }
    let mut lats = Vec::new();
    for t in tasks {
        lats.extend(t.await?);
    }
    Ok((lats, t0.elapsed().as_secs_f64()))
}

/// The collector's first look at a body: only `schema`, as its ingest does.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(rename = "schema")]
    _schema: Option<serde_json::Value>,
}

#[derive(Default)]
struct Figures {
    lines: BTreeMap<&'static str, String>,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let root = workspace_root();
    eprintln!("building the release collector");
    let st = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-p",
            "lanready-collector",
            "--bin",
            "lanready-collector",
        ])
        .current_dir(&root)
        .status()?;
    if !st.success() {
        bail!("building lanready-collector failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release/lanready-collector");
    let dir = tempfile::tempdir_in(&target).context("temp dir")?;
    let db = dir.path().join("collector.db");
    let now = OffsetDateTime::now_utc();

    // 1. Seed.
    let t0 = Instant::now();
    let (agents, readers) = seed(&db, &a, now)?;
    let Readers {
        reader,
        wallboard,
        fresh,
    } = readers;
    let seed_secs = t0.elapsed().as_secs_f64();
    let switch_days = u64::from(a.sites) * u64::from(a.switches_per_site) * u64::from(a.days);
    // Fold the WAL into the file so the size is the database's.
    {
        let c = rusqlite::Connection::open(&db)?;
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    let seeded_bytes = file_bytes(&db);
    eprintln!(
        "seeded {switch_days} switch-days in {seed_secs:.0} s: {} MB",
        seeded_bytes / 1_000_000
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = start(&bin, &db)?;
    let pid = server.child.id();
    let url = server.url.clone();
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(status_kb(pid, "VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    let per_agent = a.sites.div_ceil(AGENTS);
    let mut fig = Figures::default();
    rt.block_on(async {
        let c = reqwest::Client::builder().build()?;
        // 2. Sequential reads.
        let dash = format!("{url}/api/v1/dashboard");
        let (cold, dash_bytes) = get_timed(&c, &dash, &reader).await?;
        let mut v = Vec::new();
        for _ in 0..a.reads {
            v.push(get_timed(&c, &dash, &reader).await?.0);
        }
        let dash_seq = lat(v);
        let mut v = Vec::new();
        let mut dash_gz_bytes = 0;
        for _ in 0..a.reads {
            let (t, n, _) = get_gzip_timed(&c, &dash, &reader).await?;
            dash_gz_bytes = n;
            v.push(t);
        }
        let dash_gz_seq = lat(v);
        // A wallboard polling every 1.6 s: its cached body is then always older than the
        // collector serves (1.5 s), so each poll rebuilds on the request path.
        let mut v = Vec::new();
        for _ in 0..a.miss_reads {
            tokio::time::sleep(MISS_GAP).await;
            v.push(get_gzip_timed(&c, &dash, &wallboard).await?.0);
        }
        let dash_miss_seq = lat(v);
        // New scopes, one after another: each first request is a miss.
        let mut fresh = fresh.into_iter();
        let mut v = Vec::new();
        for _ in 0..a.miss_reads {
            let t = fresh.next().context("more fresh-scope tokens needed")?;
            v.push(get_gzip_timed(&c, &dash, &t).await?.0);
        }
        let dash_fresh_seq = lat(v);
        let mut v = Vec::new();
        for i in 0..a.reads {
            let site = site_name((i * 7919) % a.sites);
            v.push(
                get_timed(&c, &format!("{url}/api/v1/sites/{site}"), &reader)
                    .await?
                    .0,
            );
        }
        let site_seq = lat(v);
        let mut v = Vec::new();
        for _ in 0..a.reads.min(50) {
            v.push(get_timed(&c, &format!("{url}/api/v1/sites"), &reader).await?.0);
        }
        let sites_seq = lat(v);

        // 3. Ingest over HTTP with concurrent clients, reads polled meanwhile.
        let per_client = a.reports / a.clients;
        let mut prepared: Vec<Vec<(String, String)>> = Vec::new();
        let mut raw_bodies = Vec::new();
        for k in 0..a.clients {
            let agent = k % AGENTS;
            let mut mine = Vec::new();
            for i in 0..per_client {
                let s = agent * per_agent + (i % per_agent);
                let site = site_name(s.min(a.sites - 1));
                let at = now - Duration::from_secs(u64::from(3600 - (i % 3600)));
                let r = switch_report(
                    format!("ingest-{k}-{i}"),
                    &site,
                    i % a.switches_per_site,
                    &rfc(at),
                    k * 131 + i,
                    true,
                );
                let body = serde_json::to_string(&r)?;
                raw_bodies.push((site, body.clone()));
                mine.push((agents[agent as usize].clone(), body));
            }
            prepared.push(mine);
        }
        let avg_body =
            raw_bodies.iter().map(|(_, b)| b.len()).sum::<usize>() / raw_bodies.len().max(1);
        let findings_per_report = {
            let r: Report = serde_json::from_str(&raw_bodies[0].1)?;
            r.findings.len()
        };
        let before_ingest = file_bytes(&db);
        let errors = Arc::new(AtomicU64::new(0));
        // 3a. A third of each client's reports with nothing else running.
        let (mut first, mut second, mut third) = (Vec::new(), Vec::new(), Vec::new());
        for mut mine in prepared {
            let n = mine.len();
            third.push(mine.split_off(2 * n / 3));
            second.push(mine.split_off(n / 3));
            first.push(mine);
        }
        let cpu = Cpu::now(pid);
        let (alone_lats, alone_secs) = post_all(&c, &url, first, &errors).await?;
        let alone_cpu = cpu.since(pid);
        let alone_rate = alone_lats.len() as f64 / alone_secs;
        let alone = lat(alone_lats.clone());
        // 3b. The next third with the dashboard and a site polled back to back meanwhile,
        // and a wallboard polling every MISS_GAP.
        let stop_reads = Arc::new(AtomicBool::new(false));
        let poller = {
            let (c, dash, reader, stop) = (c.clone(), dash.clone(), reader.clone(), stop_reads.clone());
            let (url, sites) = (url.clone(), a.sites);
            tokio::spawn(async move {
                let (mut d, mut dz, mut s) = (Vec::new(), Vec::new(), Vec::new());
                let mut tags = std::collections::HashSet::new();
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    // Every other dashboard poll browser-like (gzip, decoded), the others
                    // plain JSON as a script would.
                    if i.is_multiple_of(2) {
                        if let Ok((t, _)) = get_timed(&c, &dash, &reader).await {
                            d.push(t);
                        }
                    } else if let Ok((t, _, tag)) = get_gzip_timed(&c, &dash, &reader).await {
                        dz.push(t);
                        tags.insert(tag);
                    }
                    let site = site_name((i * 7919) % sites);
                    if let Ok((t, _)) =
                        get_timed(&c, &format!("{url}/api/v1/sites/{site}"), &reader).await
                    {
                        s.push(t);
                    }
                    i += 1;
                }
                (d, dz, s, tags.len())
            })
        };
        let board = {
            let (c, dash, wallboard, stop) =
                (c.clone(), dash.clone(), wallboard.clone(), stop_reads.clone());
            tokio::spawn(async move {
                let mut v = Vec::new();
                loop {
                    tokio::time::sleep(MISS_GAP).await;
                    if stop.load(Ordering::Relaxed) {
                        break v;
                    }
                    if let Ok((t, _, _)) = get_gzip_timed(&c, &dash, &wallboard).await {
                        v.push(t);
                    }
                }
            })
        };
        let cpu = Cpu::now(pid);
        let (post_lats, ingest_secs) = post_all(&c, &url, second, &errors).await?;
        let polled_cpu = cpu.since(pid);
        stop_reads.store(true, Ordering::Relaxed);
        let dash_miss_load = lat(board.await?);
        // 3c. The last third with a dashboard request of a new scope every 0.5 s (each a
        // miss, rebuilt on the request path while reports are stored).
        let stop_fresh = Arc::new(AtomicBool::new(false));
        let misser = {
            let (c, dash, stop) = (c.clone(), dash.clone(), stop_fresh.clone());
            let tokens: Vec<String> = fresh.collect();
            tokio::spawn(async move {
                let mut v = Vec::new();
                for t in tokens {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok((d, _, _)) = get_gzip_timed(&c, &dash, &t).await {
                        v.push(d);
                    }
                }
                v
            })
        };
        let cpu = Cpu::now(pid);
        let (miss_lats, miss_secs) = post_all(&c, &url, third, &errors).await?;
        let miss_cpu = cpu.since(pid);
        stop_fresh.store(true, Ordering::Relaxed);
        let dash_fresh_load = lat(misser.await?);
        let miss_rate = miss_lats.len() as f64 / miss_secs;
        let (dash_load, dash_gz_load, site_load, bodies_seen) = poller.await?;
        let stored = (post_lats.len() + alone_lats.len() + miss_lats.len()) as f64;
        let rate = post_lats.len() as f64 / ingest_secs;
        let post = lat(post_lats);
        let after_ingest = file_bytes(&db);
        let errs = errors.load(Ordering::Relaxed);

        // 4. The baseline: raw SQLite inserts of the same bodies, same pragmas.
        let sample = &raw_bodies[..raw_bodies.len().min(2000)];
        let raw1 = raw_sqlite(dir.path(), sample, 1)?;
        let raw_batched = raw_sqlite(dir.path(), &raw_bodies, 64)?;
        // What the collector does to each body besides SQLite, on one core: the schema
        // probe, the full parse, the re-serialisation that is stored, its SHA-256 and the
        // dashboard card.
        let cpu_sample = &raw_bodies[..raw_bodies.len().min(2000)];
        let t = Instant::now();
        for (_, b) in cpu_sample {
            let _: Probe = serde_json::from_str(b)?;
            let r: Report = serde_json::from_str(b)?;
            let again = serde_json::to_string(&r)?;
            let _h: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(again.as_bytes()).into();
            let _c = lanready_collector::store::SiteCard::of(&r);
        }
        let json_per_core = cpu_sample.len() as f64 / t.elapsed().as_secs_f64();

        let dash_load = lat(dash_load);
        let dash_gz_load = lat(dash_gz_load);
        let site_load = lat(site_load);
        let hwm = status_kb(pid, "VmHWM:");
        // 5. The read path before and after schema 2, in this process on the same file:
        // every site's latest body parsed plus a trend query per site (what the dashboard did
        // before), against the kept cards and trends; each to the same JSON bytes.
        let (old_path, new_path, identical, gz_cost, gz_len) = {
            let store = Store::open(&db)?;
            let staleness =
                lanready_collector::aggregate::Staleness::new(Duration::from_secs(26 * 3600));
            let mut old = Vec::new();
            let mut new = Vec::new();
            let mut identical = true;
            let (mut gz, mut gz_len) = (Vec::new(), 0);
            for _ in 0..5 {
                let t = Instant::now();
                let latest = store.latest_reports()?;
                let rows = latest
                    .into_iter()
                    .map(|r| {
                        let trend = store.trend(&r.meta.site, 30)?;
                        Ok((r, trend))
                    })
                    .collect::<Result<Vec<_>, lanready_collector::store::StoreError>>()?;
                let d = lanready_collector::aggregate::dashboard(&rows, now, &staleness);
                let old_bytes = serde_json::to_vec(&d)?;
                old.push(t.elapsed());
                let t = Instant::now();
                let cards = store.latest_cards()?;
                let d2 =
                    lanready_collector::aggregate::dashboard_from_cards(cards.iter(), now, &staleness);
                let new_bytes = serde_json::to_vec(&d2)?;
                new.push(t.elapsed());
                identical &= old_bytes == new_bytes;
                let t = Instant::now();
                let z = lanready_collector::dashcache::gzip(&new_bytes);
                gz.push(t.elapsed());
                gz_len = z.len();
            }
            (lat(old), lat(new), identical, lat(gz), gz_len)
        };
        let row = |name: &str, l: Lat| {
            format!(
                "| {name} | {:.1} | {:.1} | {} |",
                l.p50_ms, l.p99_ms, l.n
            )
        };
        fig.lines.insert("scale", format!(
            "Estate: {} sites, {} switches, {} days of daily history = {} switch-days ({} report rows: one row per switch and day, each a site report of one 48-port switch). Seeded through `Store::import` (one transaction per day, `site_latest` kept up to date by the same call) in {seed_secs:.0} s. Seeded history rows keep only the failing findings (about 5 a switch); the last day's rows and every report posted below are full: {findings_per_report} findings, {avg_body} bytes of JSON each.",
            a.sites, a.sites * a.switches_per_site, a.days, switch_days, switch_days));
        fig.lines.insert("ingest", format!(
            "| HTTP ingest, {} clients (50 agent tokens, own sites), group commit, nothing else running | {alone_rate:.0} reports/s | 1.00 |\n| the same while the dashboard and a site are polled back to back (and a wallboard every {MISS_GAP:?}) | {rate:.0} reports/s | {:.2} |\n| the same while a dashboard of a new scope (a cache miss) is asked every 0.5 s | {miss_rate:.0} reports/s | {:.2} |\n| raw SQLite, same bodies and pragmas (WAL, synchronous=FULL), 1 report per transaction | {raw1:.0} reports/s | {:.2} |\n| raw SQLite, same bodies and pragmas, 64 reports per transaction | {raw_batched:.0} reports/s | {:.2} |\n| the collector's JSON work alone (parse, re-serialise, SHA-256, card), one core, no I/O | {json_per_core:.0} reports/s | {:.2} |",
            a.clients, rate / alone_rate, miss_rate / alone_rate, raw1 / alone_rate, raw_batched / alone_rate, json_per_core / alone_rate));
        fig.lines.insert("ingest_detail", format!(
            "{} reports posted, {stored:.0} answered 201, {errs} errors. POST latency alone p50 {:.1} ms, p99 {:.1} ms; with the polls p50 {:.1} ms, p99 {:.1} ms. CPU (from /proc) alone: {alone_cpu}; with the polls: {polled_cpu}; with the cache misses: {miss_cpu}.",
            per_client * a.clients, alone.p50_ms, alone.p99_ms, post.p50_ms, post.p99_ms));
        fig.lines.insert("paths", format!(
            "| dashboard document from every latest body + a trend query per site (the read path before schema 2) | {:.1} | 1.00 |\n| the same document from `site_latest` cards and trends (now; same bytes as the old path: {}) | {:.1} | {:.3} |",
            old_path.p50_ms, if identical { "yes" } else { "NO" }, new_path.p50_ms, new_path.p50_ms / old_path.p50_ms)
            + &format!("\n| gzip of that document (level {}, done once per rebuild of the cached body): {} → {gz_len} bytes | {:.1} | {:.3} |",
                lanready_collector::dashcache::GZIP_LEVEL, dash_bytes, gz_cost.p50_ms, gz_cost.p50_ms / old_path.p50_ms));
        fig.lines.insert("reads", [
            format!("| `GET /api/v1/dashboard` (first, cold cache) | {:.1} | {:.1} | 1 |", cold.as_secs_f64() * 1000.0, cold.as_secs_f64() * 1000.0),
            row("`GET /api/v1/dashboard`, sequential, plain JSON", dash_seq),
            row("`GET /api/v1/dashboard`, sequential, gzip (browser-like: `Accept-Encoding: gzip`, decoded)", dash_gz_seq),
            row(&format!("`GET /api/v1/dashboard`, a wallboard polling every {MISS_GAP:?}, nothing else running (each poll rebuilds: the clock moved), gzip, decoded"), dash_miss_seq),
            row("`GET /api/v1/dashboard`, the first request of a new scope (a cache miss), nothing else running, gzip, decoded", dash_fresh_seq),
            row("`GET /api/v1/sites/{site}`, sequential", site_seq),
            row("`GET /api/v1/sites`, sequential", sites_seq),
            row("`GET /api/v1/dashboard` during the polled ingest run, plain JSON", dash_load),
            row("`GET /api/v1/dashboard` during the polled ingest run, gzip, decoded", dash_gz_load),
            row(&format!("`GET /api/v1/dashboard` during the polled ingest run, a wallboard polling every {MISS_GAP:?} (each poll a cache miss: rebuilt on the request path), gzip, decoded"), dash_miss_load),
            row("`GET /api/v1/dashboard` during the third ingest run, the first request of a new scope every 0.5 s (a cache miss: rebuilt on the request path), gzip, decoded", dash_fresh_load),
            row("`GET /api/v1/sites/{site}` during the polled ingest run", site_load),
        ].join("\n"));
        fig.lines.insert("polls", format!(
            "The poller alternates plain and gzip dashboard requests, each followed by a site request, back to back; the gzip polls saw {bodies_seen} distinct dashboard bodies (`ETag`s) over the {ingest_secs:.1} s polled ingest run, i.e. rebuilds of the cached body while reports were stored. The collector serves a cached body up to {:?} old (up to {:?} while a rebuild runs), so these answers are at most that far behind the store.", lanready_collector::dashcache::REFRESH_AFTER, lanready_collector::dashcache::MAX_STALE));
        fig.lines.insert("size", format!(
            "Dashboard JSON: {dash_bytes} bytes for {} sites, {dash_gz_bytes} bytes gzipped. Database after seeding: {} MB = {:.0} bytes per switch-day (all days but the last with failing findings only, the last day full). Posted full reports grew it by {} MB = {:.0} bytes per switch-day (full report of {avg_body} bytes JSON; the rest is the row, the id and trend indexes and page slack).",
            a.sites, seeded_bytes / 1_000_000, seeded_bytes as f64 / switch_days as f64,
            after_ingest.saturating_sub(before_ingest) / 1_000_000,
            after_ingest.saturating_sub(before_ingest) as f64 / stored.max(1.0)));
        fig.lines.insert("rss", format!("Collector peak RSS (VmHWM) over the whole run: {} MB; highest VmRSS sampled every 20 ms: {} MB.", hwm / 1024, peak.load(Ordering::Relaxed) / 1024));
        Ok::<(), anyhow::Error>(())
    })?;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    drop(server);

    let text = render(&fig);
    println!("{text}");
    if !a.dry_run {
        let out = a.out.unwrap_or_else(|| root.join("BENCHMARKS.md"));
        write_section(&out, &text)?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

fn render(f: &Figures) -> String {
    let g = |k: &str| f.lines.get(k).cloned().unwrap_or_default();
    format!(
        "## Collector\n\n\
Measured by `cargo run --release -p lanready-bench --bin collector` (the real release\n\
collector on 127.0.0.1, a temporary database file, clients in the bench process; 2-core VM).\n\n\
{}\n\n\
### Ingest (target: at least 1,000 switch reports/s, each durable before its 201)\n\n\
| path | rate | ratio to HTTP |\n|---|---|---|\n{}\n\n{}\n\n\
### Read latency (target: dashboard JSON p99 under 50 ms)\n\n\
| request | p50 ms | p99 ms | n |\n|---|---|---|---|\n{}\n\n{}\n\n\
In process on the same file, without HTTP (median of 5, cache not used):\n\n\
| read path | ms | ratio |\n|---|---|---|\n{}\n\n\
### Size and memory\n\n{}\n\n{}\n",
        g("scale"),
        g("ingest"),
        g("ingest_detail"),
        g("reads"),
        g("polls"),
        g("paths"),
        g("size"),
        g("rss"),
    )
}

const BEGIN: &str = "<!-- collector:begin -->";
const END: &str = "<!-- collector:end -->";

/// Replaces the text between the collector markers (adding them at the end if absent),
/// keeping a hand-written notes block that follows `<!-- collector:notes -->`.
fn write_section(path: &Path, generated: &str) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let (head, tail, inner) = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => (
            old[..b].to_string(),
            old[e + END.len()..].to_string(),
            old[b + BEGIN.len()..e].to_string(),
        ),
        _ => {
            let mut h = old.clone();
            if !h.ends_with('\n') && !h.is_empty() {
                h.push('\n');
            }
            h.push('\n');
            (h, "\n".to_string(), String::new())
        }
    };
    let notes = inner
        .find("<!-- collector:notes -->")
        .map(|i| inner[i..].trim_end().to_string());
    let mut body = format!("{head}{BEGIN}\n{generated}");
    if let Some(n) = notes {
        body.push('\n');
        body.push_str(&n);
        body.push('\n');
    }
    body.push_str(END);
    body.push_str(&tail);
    std::fs::write(path, body).with_context(|| format!("writing {}", path.display()))
}
