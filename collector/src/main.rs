//! The `lanready-collector` command line: `serve`, `token add|revoke|list`, `prune`,
//! `programme set|import|list|remove` (in `programme_cmd.rs`), `waiver add|list|revoke` (in
//! `waiver_cmd.rs`) and `gate`. Flags become validated settings here; the work is in the library.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use lanready_collector::admin::{self, NewToken};
use lanready_collector::aggregate::Staleness;
use lanready_collector::auth::{SiteScope, Token};
use lanready_collector::clock::{Clock, SystemClock};
use lanready_collector::gate::{self, GateOptions};
use lanready_collector::store::Store;
use lanready_collector::webhook::{self, WebhookConfig, WebhookUrl};
use lanready_collector::{AppState, Settings, tls, validate};
use lanready_gate::Criteria;

mod programme_cmd;
mod waiver_cmd;

/// Receives lanready site reports, keeps history, serves the dashboard and answers the
/// cutover gate.
#[derive(Debug, Parser)]
#[command(name = "lanready-collector", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and dashboard.
    Serve(ServeArgs),
    /// Manage bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Delete history older than --retention-days now (each site's latest report is kept).
    Prune {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        retention_days: u32,
    },
    /// The rollout programme's cutover calendar.
    #[command(subcommand)]
    Programme(programme_cmd::ProgrammeCommand),
    /// Waivers: accepted exceptions, with a reason, an owner and an expiry.
    #[command(subcommand)]
    Waiver(waiver_cmd::WaiverCommand),
    /// Ask a collector whether a site may cut over. Exit 0 ready, 1 not ready (or stale, or
    /// below --min-score), 2 error. The token comes from --token-file or LANREADY_TOKEN.
    Gate(GateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions { shell: lanready_clidocs::Shell },
    /// Write a man page for every command into DIR (`lanready-collector.1`, ...).
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The SQLite database file (created and migrated if needed).
    #[arg(long)]
    db: PathBuf,
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free one). The bound address
    /// is printed on stdout as `listening on http://ADDR`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest report body accepted, bytes (suffixes KiB, MiB allowed).
    #[arg(long, default_value = "2MiB", value_parser = parse_size)]
    body_limit: usize,
    /// Keep this many days of history (each site's latest report is always kept). Without
    /// it history is kept forever.
    #[arg(long)]
    retention_days: Option<u32>,
    /// A site whose latest scan is older than this is stale (`26h`, `90m`, `2d`).
    #[arg(long, default_value = "26h", value_parser = parse_duration)]
    stale_after: Duration,
    /// Longest a read may take, and longest a report's body may take to arrive (then 408,
    /// and nothing is stored).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Report bodies being received at once may hold at most this much, all connections
    /// together (suffixes KiB, MiB); a report over it is answered 503 before its body is read.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    inflight_body_limit: usize,
    /// Connections open at once; one more is answered 503 and closed.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// A connection must send its first request head within this (then it is closed).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// A connection with no byte read or written for this long is closed.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Per-site stale interval, `SITE=DURATION`; repeatable.
    #[arg(long = "stale-after-site", value_parser = parse_site_duration)]
    stale_after_site: Vec<(String, Duration)>,
    /// POST each new regression to this http:// or https:// URL as a `lanready.webhook/v1`
    /// document (spooled in the database and retried; ingest never waits for it).
    // Checked in `serve` rather than by clap, whose error would repeat the URL whole.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Send `Authorization: Bearer` with the token in this file to --webhook.
    #[arg(long, value_name = "FILE", requires = "webhook")]
    webhook_token_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Make a token and print it (only) on stdout. It is stored as a SHA-256 hash and cannot
    /// be shown again.
    Add {
        #[arg(long)]
        db: PathBuf,
        /// The token's name (the agent's name); unique among active tokens.
        #[arg(long)]
        name: String,
        /// Sites the token covers, comma-separated. Required for an agent token; a
        /// read-only token without it reads every site.
        #[arg(long, value_delimiter = ',')]
        sites: Vec<String>,
        /// A token that reads (API, dashboard, metrics, gate) but may not post reports.
        #[arg(long)]
        read_only: bool,
    },
    /// Revoke the active token with this name.
    Revoke {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// List tokens (names, kinds, sites; never the tokens).
    List {
        #[arg(long)]
        db: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct GateArgs {
    /// The collector's base URL.
    #[arg(long)]
    url: String,
    /// The site to judge, as its reports name it (the gate reads its latest stored report).
    #[arg(long, value_name = "NAME")]
    site: String,
    /// Fail when the score is below this (0-100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    min_score: Option<u8>,
    /// Fail when the latest scan is older than this (`24h`); the collector's own
    /// stale-after always applies too.
    #[arg(long, value_parser = parse_duration)]
    max_age: Option<Duration>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// A PEM file of CA certificates to trust for an https:// collector, besides the
    /// built-in roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Read the bearer token from this file (else from LANREADY_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Also fail an at_risk verdict and failing warnings.
    #[arg(long)]
    strict: bool,
    /// Within this of the site's cutover day in the collector's calendar (`14d`), and after
    /// it, an at_risk verdict fails too. A site not in the calendar is then an error.
    #[arg(long, value_parser = parse_duration)]
    cutover_window: Option<Duration>,
    /// Allow a plain http:// collector URL (the token then travels unencrypted; also needed
    /// for loopback).
    #[arg(long)]
    allow_http: bool,
    /// HTTP timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// One line a finding (or a group of ports alike): no port roles, readings or fixes.
    #[arg(long)]
    brief: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration like 26h, 90m or 2d: {e}"))?;
    if d.is_zero() {
        return Err("duration must be above zero".into());
    }
    Ok(d)
}

fn parse_site_duration(s: &str) -> Result<(String, Duration), String> {
    let (site, d) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not SITE=DURATION"))?;
    validate::site_name(site)?;
    Ok((site.to_string(), parse_duration(d)?))
}

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("MiB") {
        (n, 1024 * 1024)
    } else if let Some(n) = s.strip_suffix("KiB") {
        (n, 1024)
    } else {
        (s, 1)
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 2097152, 512KiB or 2MiB"))?;
    n.checked_mul(mult)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("{s:?} is not a usable size"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs what it does; an administrative command (a token, a waiver, the
    // calendar) prints its result and logs only what went wrong. RUST_LOG overrides both.
    let level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("lanready-collector: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let clock = SystemClock;
    match cli.command {
        Command::Completions { shell } => {
            use clap::CommandFactory;
            lanready_clidocs::completions(Cli::command(), shell, &mut std::io::stdout());
            Ok(0)
        }
        Command::Man { dir } => {
            use clap::CommandFactory;
            let pages = lanready_clidocs::man_pages(Cli::command(), &dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
            println!("{} man pages in {}", pages.len(), dir.display());
            Ok(0)
        }
        Command::Serve(args) => serve(args),
        Command::Token(TokenCommand::Add {
            db,
            name,
            sites,
            read_only,
        }) => {
            let store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
            let req = NewToken {
                name: &name,
                sites: &sites,
                read_only,
            };
            let (token, kind) = admin::add_token(&store, &req, clock.now())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", token.expose()).context("printing the token")?;
            eprintln!(
                "token {name:?} ({}) added; it is shown only this once",
                kind.as_str()
            );
            Ok(0)
        }
        Command::Token(TokenCommand::Revoke { db, name }) => {
            let store = Store::open_existing(&db)?;
            if !store.revoke_token(&name, clock.now())? {
                bail!("no active token named {name:?}");
            }
            eprintln!("token {name:?} revoked");
            Ok(0)
        }
        Command::Token(TokenCommand::List { db }) => {
            let store = Store::open_existing(&db)?;
            let mut out = std::io::stdout().lock();
            for t in store.list_tokens()? {
                let sites = match &t.scope {
                    SiteScope::All => "*".to_string(),
                    SiteScope::Only(s) => s.join(","),
                };
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", lanready_collector::aggregate::rfc3339(at)),
                    None => "active".into(),
                };
                writeln!(out, "{}\t{}\t{}\t{}", t.name, t.kind.as_str(), sites, state)?;
            }
            Ok(0)
        }
        Command::Prune { db, retention_days } => {
            let store = Store::open_existing(&db)?;
            let cutoff = clock.now() - Duration::from_secs(u64::from(retention_days) * 86_400);
            let n = store.prune(cutoff)?;
            eprintln!(
                "deleted {} scanned before {}",
                lanready_schema::words::count(n as u64, "report", "reports"),
                lanready_collector::aggregate::rfc3339(cutoff)
            );
            Ok(0)
        }
        Command::Gate(args) => gate_cmd(args),
        Command::Programme(cmd) => programme_cmd::run(cmd),
        Command::Waiver(cmd) => waiver_cmd::run(cmd),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<u8> {
    if args.body_limit < 1024 {
        bail!("--body-limit must be at least 1KiB");
    }
    let hook = match args.webhook.as_deref().map(WebhookUrl::parse).transpose()? {
        Some(url) => {
            let token = args
                .webhook_token_file
                .as_deref()
                .map(webhook::read_token)
                .transpose()?;
            Some(WebhookConfig::new(url, token))
        }
        None => None,
    };
    let mut staleness = Staleness::new(args.stale_after);
    staleness.per_site = args
        .stale_after_site
        .into_iter()
        .collect::<BTreeMap<_, _>>();
    let settings = Settings {
        body_limit: args.body_limit,
        staleness,
        request_timeout: args.request_timeout,
        inflight_body_bytes: args.inflight_body_limit,
        limits: lanready_collector::guard::Limits {
            max_connections: args.max_connections,
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
        },
    };
    raise_fd_limit(args.max_connections);
    let retention = args
        .retention_days
        .map(|d| Duration::from_secs(u64::from(d) * 86_400));
    let store = Store::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let state = AppState::new(store, Arc::new(SystemClock), settings);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    runtime()?.block_on(async move {
        let hook = hook
            .map(|config| webhook::spawn(state.clone(), config))
            .transpose()?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The signal handlers are in place before the address is announced: a supervisor (or a
        // test) that sends SIGTERM the moment it reads the line gets a graceful stop, not
        // the default action.
        let stop = shutdown_signal();
        println!("listening on {scheme}://{addr}");
        std::io::stdout().flush().ok();
        tracing::info!(message = "Collector serving.", %addr, %scheme, db = %args.db.display());
        match tls {
            Some(acceptor) => {
                let listener = tls::TlsListener::new(listener, acceptor);
                lanready_collector::serve(listener, state, retention, stop).await
            }
            None => lanready_collector::serve(listener, state, retention, stop).await,
        }
        .context("serving HTTP")?;
        if let Some(task) = hook {
            // What it was sending is sent again at the next start (its cursor did not move).
            task.abort();
        }
        tracing::info!(message = "Collector stopped.");
        Ok(0)
    })
}

/// Raises the soft open-files limit toward the hard one, so `--max-connections` (plus the
/// database's files) fits under it; systemd's default soft limit is 1,024. Says so when the
/// hard limit is too low.
fn raise_fd_limit(max_connections: usize) {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit, setrlimit};
    let want = (max_connections as u64).saturating_add(64);
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return;
    };
    if soft >= want {
        return;
    }
    let target = if hard == RLIM_INFINITY {
        want
    } else {
        want.min(hard)
    };
    let ok = setrlimit(Resource::RLIMIT_NOFILE, target, hard).is_ok();
    if !ok || target < want {
        tracing::warn!(
            message =
                "The open-files limit is below what --max-connections needs; raise LimitNOFILE.",
            soft = if ok { target } else { soft },
            needed = want
        );
    }
}

/// SIGINT or SIGTERM. The handlers are installed when this is called (not when the future
/// is first polled), so a signal that arrives before serving starts is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn read_token(file: Option<&PathBuf>) -> anyhow::Result<Token> {
    let raw = match file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading the token file {}", p.display()))?,
        None => std::env::var("LANREADY_TOKEN").map_err(|_| {
            anyhow::anyhow!("no token: give --token-file FILE or set LANREADY_TOKEN")
        })?,
    };
    let t = raw.trim();
    if t.is_empty() {
        bail!("the token is empty");
    }
    Ok(Token::new(t))
}

fn gate_cmd(args: GateArgs) -> anyhow::Result<u8> {
    let token = read_token(args.token_file.as_ref())?;
    let opts = GateOptions {
        url: args.url,
        site: args.site,
        token,
        criteria: Criteria {
            min_score: args.min_score,
            strict: args.strict,
            max_age: args.max_age,
            at_risk_fails: None,
        },
        junit: args.junit,
        ca_file: args.ca_file,
        allow_http: args.allow_http,
        timeout: args.timeout,
        cutover_window: args.cutover_window,
        detail: if args.brief {
            lanready_gate::text::Detail::Brief
        } else {
            lanready_gate::text::Detail::Full
        },
    };
    let code = runtime()?.block_on(async {
        let mut out = std::io::stdout().lock();
        gate::run(&opts, &mut out).await
    })?;
    Ok(code)
}
