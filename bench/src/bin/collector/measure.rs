//! Measuring the collector: its process, CPU and RSS, latencies, raw SQLite, posting.

use super::*;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(bin: &Path, db: &Path) -> anyhow::Result<Server> {
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

pub(crate) fn status_kb(pid: u32, key: &str) -> u64 {
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
pub(crate) fn cpu_secs(pid: &str) -> f64 {
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
pub(crate) struct Cpu {
    pub(crate) collector: f64,
    pub(crate) bench: f64,
    pub(crate) at: Instant,
}

impl Cpu {
    pub(crate) fn now(pid: u32) -> Cpu {
        Cpu {
            collector: cpu_secs(&pid.to_string()),
            bench: cpu_secs("self"),
            at: Instant::now(),
        }
    }

    pub(crate) fn since(self, pid: u32) -> String {
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
pub(crate) struct Lat {
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) n: usize,
}

pub(crate) fn lat(mut v: Vec<Duration>) -> Lat {
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

pub(crate) async fn get_timed(
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
pub(crate) async fn get_gzip_timed(
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
pub(crate) fn raw_sqlite(
    dir: &Path,
    bodies: &[(String, String)],
    per_tx: usize,
) -> anyhow::Result<f64> {
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
pub(crate) async fn post_all(
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
