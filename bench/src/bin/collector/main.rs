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
use lanready_schema::{Evidence, Finding, PoeBudget, Report, Severity, Status};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod data;
mod measure;
mod out;

use data::*;
use measure::*;
use out::*;

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
        // A wallboard polling every 1.6 s: longer than a body is served for (1.5 s), so
        // without the warmer each poll would rebuild on the request path; its scope is kept
        // warm, as the page's once-a-minute poll is.
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
        // The site page's own requests: its detail with 60 trend points and its bill of works
        // (the latest report read whole and judged).
        let mut v = Vec::new();
        let mut w = Vec::new();
        for i in 0..a.reads.min(100) {
            let site = site_name((i * 7919) % a.sites);
            v.push(
                get_timed(&c, &format!("{url}/api/v1/sites/{site}?trend=60"), &reader)
                    .await?
                    .0,
            );
            w.push(
                get_timed(&c, &format!("{url}/api/v1/sites/{site}/works"), &reader)
                    .await?
                    .0,
            );
        }
        let page_site_seq = lat(v);
        let page_works_seq = lat(w);
        let mut v = Vec::new();
        for _ in 0..a.reads.min(50) {
            v.push(get_timed(&c, &format!("{url}/api/v1/sites"), &reader).await?.0);
        }
        let sites_seq = lat(v);
        // The programme: a miss (its facts gathered again: a waiver was just added, as any
        // stored report or calendar change does) and a hit (nothing changed since).
        let mut v = Vec::new();
        let mut hits = Vec::new();
        let expires = (now + time::Duration::days(30)).date().to_string();
        for i in 0..a.reads.min(50) {
            let waiver = serde_json::json!({
                "site": site_name(0),
                "check": "voice_vlan.port",
                "port": format!("Gi9/0/{}", i + 1),
                "reason": "bench",
                "expires": expires,
                "by": "bench",
            });
            let r = c
                .post(format!("{url}/api/v1/waivers"))
                .bearer_auth(&agents[0])
                .json(&waiver)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "adding a waiver: {}", r.status());
            v.push(get_timed(&c, &format!("{url}/api/v1/programme"), &reader).await?.0);
            hits.push(get_timed(&c, &format!("{url}/api/v1/programme"), &reader).await?.0);
        }
        let programme_seq = lat(v);
        let programme_hit = lat(hits);
        let mut v = Vec::new();
        for _ in 0..10 {
            v.push(
                get_timed(&c, &format!("{url}/api/v1/programme/weekly?format=md"), &reader)
                    .await?
                    .0,
            );
        }
        let weekly_seq = lat(v);

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
        // Nothing else running means no warm dashboard scope either: the reads above polled
        // some, and the collector keeps a polled scope warm for WARM_FOR after its last poll.
        tokio::time::sleep(lanready_collector::dashcache::WARM_FOR + Duration::from_secs(1)).await;
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
        // The wallboard's first two polls (unmeasured) make its scope a poller's, kept warm
        // from then on, as the page's is from its second poll a minute after its first.
        for _ in 0..2 {
            get_gzip_timed(&c, &dash, &wallboard).await?;
        }
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
            row(&format!("`GET /api/v1/dashboard`, a wallboard polling every {MISS_GAP:?}, nothing else running (its scope kept warm: rebuilt in the background as the clock moves, as for the page's poll every 60 s), gzip, decoded"), dash_miss_seq),
            row("`GET /api/v1/dashboard`, the first request of a new scope (a cache miss), nothing else running, gzip, decoded", dash_fresh_seq),
            row("`GET /api/v1/sites/{site}`, sequential", site_seq),
            row("`GET /api/v1/sites/{site}?trend=60` (the site page), sequential", page_site_seq),
            row("`GET /api/v1/sites/{site}/works` (the site page's bill of works), sequential", page_works_seq),
            row("`GET /api/v1/sites`, sequential", sites_seq),
            row("`GET /api/v1/programme` (every site in the calendar), sequential, each after a waiver was added (its facts gathered again, as after any stored report)", programme_seq),
            row("`GET /api/v1/programme` again, nothing changed since (its facts from the cache)", programme_hit),
            row("`GET /api/v1/programme/weekly?format=md` (every site: its latest and week-old report read whole), sequential", weekly_seq),
            row("`GET /api/v1/dashboard` during the polled ingest run, plain JSON", dash_load),
            row("`GET /api/v1/dashboard` during the polled ingest run, gzip, decoded", dash_gz_load),
            row(&format!("`GET /api/v1/dashboard` during the polled ingest run, a wallboard polling every {MISS_GAP:?} after two unmeasured polls (its scope kept warm: bodies rebuilt in the background, as for the page's poll every 60 s), gzip, decoded"), dash_miss_load),
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
