//! Pushing reports to the collector. Every report goes into the spool first (durably), then
//! the spool is drained oldest first; a report leaves the spool only after a 2xx, or on a
//! 4xx into `rejected/`. A crash at any point loses nothing, and a resend is harmless: the
//! collector stores a report id once.
//!
//! `scan` and `run` share the flags ([`PushArgs`]) and the entry point
//! ([`Pusher::from_args`], then [`Pusher::submit`]).

pub mod backoff;
pub mod client;
pub mod lock;
pub mod spool;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lanready_schema::Report;

pub use backoff::Backoff;
pub use client::{Answer, ClientConfig, ClientError, Collector};
use lanready_schema::secret::Secret;
pub use lock::{LockError, RunLock};
pub use spool::{Entry, Spool, SpoolError};

/// The environment variable read for the token when `--token-file` is not given.
pub const TOKEN_ENV: &str = "LANREADY_TOKEN";
/// The per-request timeout towards the collector.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The collector flags of `scan` and `run` (flatten into a command's `Args`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct PushArgs {
    /// The collector's base URL (https://collector.example:8443); reports are POSTed to
    /// URL/api/v1/reports.
    #[arg(long, value_name = "URL")]
    pub collector: Option<String>,
    /// A file holding the agent's collector token (surrounding whitespace is trimmed);
    /// without it, the LANREADY_TOKEN environment variable.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// A PEM file of CA certificates to trust for the collector, besides the built-in roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Allow a plain http:// collector URL (the token and reports then travel unencrypted).
    #[arg(long)]
    pub allow_http: bool,
    /// Where reports wait until the collector has stored them (default: `<plan>.spool/`
    /// beside the plan file).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("reading the token file {path}")]
    TokenFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the token file {path} is empty")]
    EmptyTokenFile { path: PathBuf },
    #[error("no collector token: pass --token-file FILE or set {TOKEN_ENV}")]
    NoToken,
    #[error("{flag} is only used with --collector URL")]
    NeedsCollector { flag: &'static str },
    #[error("setting up the client for the collector")]
    Client(#[source] ClientError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// What became of one submitted report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// The collector stored it (201).
    Stored,
    /// The collector had this id already (200): stored by an earlier send.
    Duplicate,
    /// The collector refused it (4xx): it is at `path` in `rejected/`, never resent.
    Rejected {
        status: u16,
        message: String,
        path: PathBuf,
    },
    /// Not stored yet (collector unreachable, 5xx, or older reports before it could not be
    /// sent): it waits in the spool at `path` and is resent later.
    Spooled { reason: String, path: PathBuf },
}

impl PushOutcome {
    /// True when the collector has the report (stored now or before).
    pub fn delivered(&self) -> bool {
        matches!(self, PushOutcome::Stored | PushOutcome::Duplicate)
    }
}

/// What one pass over the spool did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drain {
    pub stored: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// Reports still waiting after the pass.
    pub pending: usize,
    /// Why the pass stopped early (the collector's answer or the connection error).
    pub waiting: Option<String>,
    /// Each report sent, by spool file name, and what became of it.
    pub outcomes: Vec<(String, PushOutcome)>,
}

/// Where reports go: [`Pusher`] in the agent, a fake in tests of the run loop.
pub trait ReportSink {
    /// Spools `report`, then drains the spool.
    fn submit(&self, report: &Report) -> impl Future<Output = Result<PushOutcome, PushError>>;
    /// Sends what waits in the spool, oldest first.
    fn drain(&self) -> impl Future<Output = Result<Drain, PushError>>;
}

/// A spool and the collector it drains into.
#[derive(Clone, Debug)]
pub struct Pusher {
    collector: Collector,
    spool: Spool,
}

impl Pusher {
    pub fn new(collector: Collector, spool: Spool) -> Pusher {
        Pusher { collector, spool }
    }

    /// The pusher for `scan`/`run` flags, or None when `--collector` is not given.
    /// `plan` is the plan file's path (the default spool sits beside it).
    pub fn from_args(args: &PushArgs, plan: &Path) -> Result<Option<Pusher>, PushError> {
        Self::from_args_with_env(args, plan, std::env::var(TOKEN_ENV).ok())
    }

    /// [`Pusher::from_args`] with the token variable's value passed in.
    pub fn from_args_with_env(
        args: &PushArgs,
        plan: &Path,
        env_token: Option<String>,
    ) -> Result<Option<Pusher>, PushError> {
        let Some(url) = &args.collector else {
            for (given, flag) in [
                (args.token_file.is_some(), "--token-file"),
                (args.ca_file.is_some(), "--ca-file"),
                (args.allow_http, "--allow-http"),
                (args.spool_dir.is_some(), "--spool-dir"),
            ] {
                if given {
                    return Err(PushError::NeedsCollector { flag });
                }
            }
            return Ok(None);
        };
        let token = read_token(args.token_file.as_deref(), env_token)?;
        let collector = Collector::new(&ClientConfig {
            url: url.clone(),
            token,
            ca_file: args.ca_file.clone(),
            allow_http: args.allow_http,
            timeout: DEFAULT_TIMEOUT,
        })
        .map_err(PushError::Client)?;
        let dir = args
            .spool_dir
            .clone()
            .unwrap_or_else(|| default_spool_dir(plan));
        let spool = Spool::open(dir)?;
        Ok(Some(Pusher::new(collector, spool)))
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// Writes `report` into the spool (durably), then drains the spool oldest first, and
    /// says what became of `report`. An `Err` means the spool itself failed (disk full, no
    /// permission): the report may not be saved.
    pub async fn submit(&self, report: &Report) -> Result<PushOutcome, PushError> {
        let entry = self.spool.put(report)?;
        tracing::debug!(
            message = "Report spooled.",
            id = %report.id,
            path = %entry.path.display()
        );
        let drain = self.drain().await?;
        if let Some((_, outcome)) = drain.outcomes.iter().find(|(n, _)| *n == entry.name) {
            return Ok(outcome.clone());
        }
        match drain.waiting {
            Some(reason) if entry.path.exists() => Ok(PushOutcome::Spooled {
                reason,
                path: entry.path,
            }),
            // Another process sharing the spool sent it meanwhile.
            _ => Ok(PushOutcome::Stored),
        }
    }

    /// Sends the spooled reports, oldest first, until the collector is unavailable.
    pub async fn drain(&self) -> Result<Drain, PushError> {
        let entries = self.spool.list()?;
        let endpoint = self.collector.endpoint().as_str();
        let mut d = Drain::default();
        // Reports kept in the spool for a token that may not post them (403).
        let mut kept = 0usize;
        for (i, entry) in entries.iter().enumerate() {
            let body = match entry.read() {
                Ok(b) => b,
                // Sent and removed by another process sharing the spool.
                Err(SpoolError::Read { source, .. })
                    if source.kind() == io::ErrorKind::NotFound =>
                {
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let answer = self.collector.send(body).await;
            let outcome = match answer {
                Answer::Stored | Answer::Duplicate => {
                    self.spool.remove(entry)?;
                    if answer == Answer::Stored {
                        d.stored += 1;
                        tracing::info!(message = "Report stored by the collector.", id = entry.id_hint(), %endpoint);
                        PushOutcome::Stored
                    } else {
                        d.duplicates += 1;
                        tracing::info!(message = "The collector already had this report.", id = entry.id_hint(), %endpoint);
                        PushOutcome::Duplicate
                    }
                }
                Answer::Rejected { status, message } => {
                    let reason = format!("HTTP {status} from {endpoint}\n{message}\n");
                    let path = self.spool.reject(entry, &reason)?;
                    d.rejected += 1;
                    tracing::error!(
                        message = "The collector rejected a report; it will not be resent.",
                        id = entry.id_hint(),
                        status,
                        answer = %message,
                        kept_at = %path.display()
                    );
                    PushOutcome::Rejected {
                        status,
                        message,
                        path,
                    }
                }
                Answer::Unauthorized {
                    status: 403,
                    message,
                } => {
                    // The token may not post this report (a read-only token, another site):
                    // the token's rights, not the report, are wrong. It stays spooled, for a
                    // resend once the token is fixed, and the reports behind it still go.
                    kept += 1;
                    let reason = format!(
                        "the collector refused the agent's token for this report (HTTP 403: {message}); it stays spooled and is resent once the token is fixed"
                    );
                    tracing::error!(
                        message = "The collector refused the agent's token for a report; it stays spooled.",
                        id = entry.id_hint(),
                        %endpoint,
                        answer = %message
                    );
                    d.waiting = Some(reason.clone());
                    PushOutcome::Spooled {
                        reason,
                        path: entry.path.clone(),
                    }
                }
                Answer::Unauthorized { status, message } => {
                    // The token itself (unknown, revoked, rotated): nothing goes to
                    // rejected/, and every report waits for a fixed token.
                    d.pending = kept + entries.len() - i;
                    let reason = format!(
                        "the collector refused the agent's token (HTTP {status}: {message}); {} spooled, resent once the token is fixed",
                        lanready_schema::words::count(
                            d.pending as u64,
                            "report stays",
                            "reports stay"
                        )
                    );
                    tracing::error!(
                        message = "The collector refused the agent's token; reports stay spooled.",
                        %endpoint,
                        status,
                        answer = %message,
                        pending = d.pending
                    );
                    d.waiting = Some(reason);
                    break;
                }
                Answer::Unavailable { reason } => {
                    d.pending = kept + entries.len() - i;
                    tracing::warn!(
                        message = "Collector unavailable; reports stay spooled for a retry.",
                        %endpoint,
                        pending = d.pending,
                        %reason
                    );
                    d.waiting = Some(reason);
                    break;
                }
            };
            d.outcomes.push((entry.name.clone(), outcome));
        }
        if d.pending == 0 {
            d.pending = kept;
        }
        Ok(d)
    }
}

impl ReportSink for Pusher {
    fn submit(&self, report: &Report) -> impl Future<Output = Result<PushOutcome, PushError>> {
        Pusher::submit(self, report)
    }

    fn drain(&self) -> impl Future<Output = Result<Drain, PushError>> {
        Pusher::drain(self)
    }
}

/// `<dir>/<plan stem>.spool` for the plan file `<dir>/<plan stem>.toml`.
pub fn default_spool_dir(plan: &Path) -> PathBuf {
    let stem = plan
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lanready".into());
    let dir = plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!("{stem}.spool"))
}

/// The token from `--token-file` (trimmed), else from the environment.
pub fn read_token(file: Option<&Path>, env_token: Option<String>) -> Result<Secret, PushError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| PushError::TokenFile {
            path: path.to_path_buf(),
            source,
        })?;
        let t = text.trim();
        if t.is_empty() {
            return Err(PushError::EmptyTokenFile {
                path: path.to_path_buf(),
            });
        }
        return Ok(Secret::new(t));
    }
    match env_token {
        Some(t) if !t.trim().is_empty() => Ok(Secret::new(t.trim())),
        _ => Err(PushError::NoToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_from_file_trimmed_else_env() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "  s3cret-token\n").unwrap();
        assert_eq!(read_token(Some(&f), None).unwrap().expose(), "s3cret-token");
        // The file wins over the environment.
        assert_eq!(
            read_token(Some(&f), Some("env".into())).unwrap().expose(),
            "s3cret-token"
        );
        assert_eq!(
            read_token(None, Some(" env\n".into())).unwrap().expose(),
            "env"
        );
        let err = read_token(None, None).unwrap_err().to_string();
        assert!(
            err.contains("--token-file") && err.contains(TOKEN_ENV),
            "{err}"
        );
        let err = read_token(None, Some("  ".into())).unwrap_err();
        assert!(matches!(err, PushError::NoToken));
        std::fs::write(&f, "\n \n").unwrap();
        let err = read_token(Some(&f), None).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");
        let err = read_token(Some(&dir.path().join("nope")), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("reading the token file"), "{err}");
    }

    #[test]
    fn from_args_validates_and_places_the_spool_beside_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("site.toml");
        // No --collector: no pusher, and the other flags are refused.
        assert!(
            Pusher::from_args_with_env(&PushArgs::default(), &plan, None)
                .unwrap()
                .is_none()
        );
        let stray = PushArgs {
            allow_http: true,
            ..PushArgs::default()
        };
        let err = Pusher::from_args_with_env(&stray, &plan, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--allow-http is only used with --collector URL"
        );

        let args = PushArgs {
            collector: Some("http://127.0.0.1:9".into()),
            ..PushArgs::default()
        };
        let err = Pusher::from_args_with_env(&args, &plan, Some("tok".into())).unwrap_err();
        let msg = format!("{:#}", anyhow::Error::from(err));
        assert!(msg.contains("--allow-http"), "{msg}");

        let args = PushArgs {
            allow_http: true,
            ..args
        };
        let p = Pusher::from_args_with_env(&args, &plan, Some("sekrit-42".into()))
            .unwrap()
            .unwrap();
        assert_eq!(p.spool().dir(), dir.path().join("site.spool"));
        assert!(dir.path().join("site.spool/rejected").is_dir());
        assert_eq!(
            p.collector().endpoint().as_str(),
            "http://127.0.0.1:9/api/v1/reports"
        );
        // The token never shows in Debug output.
        assert!(!format!("{p:?}").contains("sekrit-42"), "{p:?}");
    }

    #[test]
    fn default_spool_dir_for_bare_and_nested_plans() {
        assert_eq!(
            default_spool_dir(Path::new("site.toml")),
            Path::new("./site.spool")
        );
        assert_eq!(
            default_spool_dir(Path::new("/etc/lanready/hq.toml")),
            Path::new("/etc/lanready/hq.spool")
        );
    }
}
