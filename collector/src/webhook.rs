//! `serve --webhook URL`: each regression stored is POSTed to a URL as one
//! `lanready.webhook/v1` document, by a background task that never holds up ingest.
//!
//! The spool is the database: the regressions after the webhook's cursor (`webhook_cursor`,
//! `store/webhook.rs`). The task reads them oldest first, sends each, and moves the cursor
//! past it on a 2xx, one regression at a time, so a crash sends at most one again. A failure
//! (no connection, a timeout, any other answer) is logged and the same regression is sent
//! again after a back-off that doubles up to a ceiling: delivery is at least once and in id
//! order, and `Lanready-Delivery` (the regression's id) lets a receiver drop a repeat. With
//! nothing to send the task waits for ingest's wake-up ([`AppState::regressions_found`]) or
//! for the poll interval.
//!
//! A webhook that has no cursor yet starts from the regressions found from then on, not from
//! the whole history.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lanready_schema::secret::Secret;
use lanready_schema::webhook::{REGRESSION_EVENT, WEBHOOK_SCHEMA, WebhookEvent};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::task::JoinHandle;

use crate::AppState;
use crate::store::{Store, StoreError, StoredRegression};

/// The header naming the regression a delivery carries (its id).
pub const DELIVERY_HEADER: &str = "Lanready-Delivery";

/// Regressions read from the store at a time.
pub const BATCH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{url:?} is not a URL like https://hooks.example.net/lanready: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("the webhook URL has scheme {scheme:?}: only http:// and https:// are sent to")]
    BadScheme { scheme: String },
    #[error("the webhook URL {url} names no host")]
    NoHost { url: String },
    #[error(
        "the webhook URL {shown} carries a user name or password: put a token in \
         --webhook-token-file instead"
    )]
    CredentialsInUrl { shown: String },
    #[error("reading the webhook token file {path}")]
    ReadToken {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the webhook token file {path} is empty")]
    EmptyToken { path: std::path::PathBuf },
    #[error("the webhook token file {path} holds characters an HTTP header cannot carry")]
    BadToken { path: std::path::PathBuf },
    #[error("setting up the webhook's HTTP client")]
    Client(#[source] lanready_http::ClientError),
}

/// A webhook's URL, checked: http or https, a host, no user name or password; the fragment
/// (never sent) dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    pub fn parse(s: &str) -> Result<WebhookUrl, WebhookError> {
        let mut url = Url::parse(s.trim()).map_err(|e| WebhookError::InvalidUrl {
            url: s.to_string(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookError::BadScheme {
                scheme: url.scheme().to_string(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebhookError::NoHost { url: s.to_string() });
        }
        url.set_fragment(None);
        let url = WebhookUrl(url);
        if !url.0.username().is_empty() || url.0.password().is_some() {
            // Never echo the URL itself: it holds a secret.
            return Err(WebhookError::CredentialsInUrl { shown: url.shown() });
        }
        Ok(url)
    }

    /// `scheme://host:port/path`: what a log line may say of the URL (never its query,
    /// which may hold a secret).
    pub fn shown(&self) -> String {
        let u = &self.0;
        let host = u.host_str().unwrap_or("");
        match u.port_or_known_default() {
            Some(port) => format!("{}://{host}:{port}{}", u.scheme(), u.path()),
            None => format!("{}://{host}{}", u.scheme(), u.path()),
        }
    }

    /// The cursor's key in the database: [`shown`](Self::shown), and for a URL with a query
    /// the query's SHA-256 rather than the query (which may hold a secret).
    pub fn cursor_key(&self) -> String {
        match self.0.query() {
            None => self.shown(),
            Some(q) => {
                let hash = <sha2::Sha256 as sha2::Digest>::digest(q.as_bytes());
                format!("{}?sha256={}", self.shown(), hex::encode(hash))
            }
        }
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

/// Reads a bearer token from a file (trimmed; it must be a valid header value). The error
/// never quotes the file.
pub fn read_token(path: &Path) -> Result<Secret, WebhookError> {
    let raw = std::fs::read_to_string(path).map_err(|source| WebhookError::ReadToken {
        path: path.to_path_buf(),
        source,
    })?;
    let token = raw.trim();
    if token.is_empty() {
        return Err(WebhookError::EmptyToken {
            path: path.to_path_buf(),
        });
    }
    if HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
        return Err(WebhookError::BadToken {
            path: path.to_path_buf(),
        });
    }
    Ok(Secret::new(token))
}

/// What the task is given.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    pub url: WebhookUrl,
    /// Sent as `Authorization: Bearer`.
    pub token: Option<Secret>,
    /// Longest one delivery may take (connecting, sending, the answer's head).
    pub timeout: Duration,
    /// The first retry's wait; each failure in a row doubles it, up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// With nothing to send, look again after this even without a wake-up (a regression
    /// stored by `import`, or by another process on the same file).
    pub poll: Duration,
}

impl WebhookConfig {
    /// The defaults: 10 s per delivery, retries from 1 s doubling to 5 minutes, a look every
    /// 30 s.
    pub fn new(url: WebhookUrl, token: Option<Secret>) -> WebhookConfig {
        WebhookConfig {
            url,
            token,
            timeout: Duration::from_secs(10),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            poll: Duration::from_secs(30),
        }
    }
}

/// What `/metrics` shows of the webhook task (one per collector).
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// The task's cursor plus one; 0 while no task has read its cursor.
    cursor: AtomicU64,
    failures: AtomicU64,
}

impl WebhookStats {
    /// The last regression id acknowledged; None without a running webhook task.
    pub fn cursor(&self) -> Option<u64> {
        self.cursor.load(Ordering::Acquire).checked_sub(1)
    }

    /// Deliveries that failed since the collector started.
    pub fn failures_total(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    fn at(&self, cursor: u64) {
        self.cursor
            .store(cursor.saturating_add(1), Ordering::Release);
    }
}

/// The document one regression is delivered as.
pub fn event(r: &StoredRegression) -> WebhookEvent {
    let regression = crate::programme::regression_doc(r);
    WebhookEvent {
        schema: WEBHOOK_SCHEMA.into(),
        event: REGRESSION_EVENT.into(),
        site: r.site.clone(),
        incident: regression.incident,
        regression,
    }
}

/// The waits between retries: `min`, doubling, never above `max`.
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            next: min.min(max),
        }
    }

    fn next(&mut self) -> Duration {
        let wait = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        wait
    }

    fn reset(&mut self) {
        self.next = self.min.min(self.max);
    }
}

/// Why a delivery did not count.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Send(String),
    /// The status, and the start of the answer's body (empty without one).
    #[error("answered {status}{body}")]
    Status {
        status: reqwest::StatusCode,
        body: String,
    },
}

#[derive(Debug, thiserror::Error)]
enum DbError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the database task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// Runs a store call on the blocking pool.
async fn db<T, F>(state: &AppState, f: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = Arc::clone(&state.store);
    Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
}

/// Starts the webhook task; it runs until aborted. Fails only when the HTTP client cannot be
/// set up.
pub fn spawn(state: AppState, config: WebhookConfig) -> Result<JoinHandle<()>, WebhookError> {
    let client = lanready_http::client(
        config.timeout,
        None,
        concat!("lanready-collector/", env!("CARGO_PKG_VERSION")),
    )
    .map_err(WebhookError::Client)?;
    Ok(tokio::spawn(run(state, config, client)))
}

async fn run(state: AppState, config: WebhookConfig, client: reqwest::Client) {
    let endpoint = config.url.shown();
    let key = config.url.cursor_key();
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut cursor = loop {
        let (k, now) = (key.clone(), state.clock.now());
        match db(&state, move |s| s.start_webhook_cursor(&k, now)).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::error!(message = "Reading the webhook cursor failed.", %endpoint, error = %e);
                tokio::time::sleep(backoff.next()).await;
            }
        }
    };
    backoff.reset();
    state.webhook.at(cursor);
    tracing::info!(message = "Webhook started.", %endpoint, after = cursor);
    loop {
        let pending = match db(&state, move |s| s.regressions_after(cursor, BATCH)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(message = "Reading regressions for the webhook failed.", error = %e);
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
        };
        if pending.is_empty() {
            tokio::select! {
                () = state.regressions_found.notified() => {}
                () = tokio::time::sleep(config.poll) => {}
            }
            continue;
        }
        for r in pending {
            send_until_acknowledged(&state, &config, &client, &endpoint, &r).await;
            loop {
                let (k, id, now) = (key.clone(), r.id, state.clock.now());
                match db(&state, move |s| s.set_webhook_cursor(&k, id, now)).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(message = "Advancing the webhook cursor failed.", error = %e);
                        tokio::time::sleep(backoff.next()).await;
                    }
                }
            }
            backoff.reset();
            cursor = r.id;
            state.webhook.at(cursor);
        }
    }
}

/// Sends `r` until the receiver answers 2xx, waiting longer after each failure.
async fn send_until_acknowledged(
    state: &AppState,
    config: &WebhookConfig,
    client: &reqwest::Client,
    endpoint: &str,
    r: &StoredRegression,
) {
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut attempts: u32 = 0;
    loop {
        attempts += 1;
        match deliver(client, config, r).await {
            Ok(()) => {
                if attempts > 1 {
                    tracing::info!(message = "Webhook delivered after retries.", %endpoint, regression = r.id, attempts);
                }
                return;
            }
            Err(error) => {
                state.webhook.failures.fetch_add(1, Ordering::Relaxed);
                let wait = backoff.next();
                tracing::warn!(
                    message = "Webhook delivery failed; retrying.",
                    %endpoint,
                    regression = r.id,
                    attempts,
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    %error,
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// One POST of one regression.
async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    r: &StoredRegression,
) -> Result<(), Failure> {
    let body = serde_json::to_vec(&event(r))
        .map_err(|e| Failure::Send(format!("serialising the regression: {e}")))?;
    let mut req = client
        .post(config.url.as_url().clone())
        .header(CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, r.id.to_string())
        .body(body);
    if let Some(t) = &config.token {
        req = req.bearer_auth(t.expose());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| Failure::Send(lanready_http::error_chain(&e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    // The receiver's words, briefly: a log line is no place for a whole page.
    let mut text = lanready_http::body_text(resp).await;
    if let Some((cut, _)) = text.char_indices().nth(200) {
        text.truncate(cut);
        text.push_str("...");
    }
    // `body_text` gives the status itself for an empty body.
    let body = if text == status.to_string() {
        String::new()
    } else {
        format!(": {text}")
    };
    Err(Failure::Status { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_shown_without_their_secrets() {
        let check = |input: &str, shown: &str, key: &str| {
            let u = WebhookUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((u.shown().as_str(), u.cursor_key().as_str()), (shown, key));
        };
        check(
            "https://hooks.example.net/lanready",
            "https://hooks.example.net:443/lanready",
            "https://hooks.example.net:443/lanready",
        );
        check(
            "http://127.0.0.1:9000/in#frag",
            "http://127.0.0.1:9000/in",
            "http://127.0.0.1:9000/in",
        );
        check("http://[::1]:81", "http://[::1]:81/", "http://[::1]:81/");
        let secret = WebhookUrl::parse("https://h.example/x?key=hunter2").unwrap();
        assert_eq!(secret.shown(), "https://h.example:443/x");
        let key = secret.cursor_key();
        assert!(key.starts_with("https://h.example:443/x?sha256=") && !key.contains("hunter2"));
        assert_ne!(
            key,
            WebhookUrl::parse("https://h.example/x?key=other")
                .unwrap()
                .cursor_key()
        );
        // The query is sent as given.
        assert_eq!(secret.as_url().query(), Some("key=hunter2"));
    }

    #[test]
    fn bad_urls_are_refused_saying_why() {
        let check = |input: &str, says: &str| {
            let e = WebhookUrl::parse(input).unwrap_err().to_string();
            assert!(e.contains(says), "{input}: {e}");
        };
        check("ftp://x", "scheme \"ftp\"");
        check("not-a-url", "is not a URL");
        check("file:///etc/passwd", "scheme \"file\"");
        check("http://", "is not a URL");
        let e = WebhookUrl::parse("https://me:pw@h.example/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("user name or password") && !e.contains("pw"),
            "{e}"
        );
    }

    #[test]
    fn tokens_come_from_a_file_and_are_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let t = read_token(&file("ok", "  s3cret-token\n")).unwrap();
        assert_eq!(t.expose(), "s3cret-token");
        assert_eq!(format!("{t:?}"), "<secret>");
        let e = read_token(&file("empty", " \n")).unwrap_err().to_string();
        assert!(e.contains("is empty"), "{e}");
        let e = read_token(&file("bad", "s3cret\u{7}bell"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot carry") && !e.contains("s3cret"), "{e}");
        let e = read_token(&dir.path().join("absent")).unwrap_err();
        assert!(e.to_string().contains("reading the webhook token file"));
    }

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(1000), ms(5000));
        let waits: Vec<Duration> = (0..5).map(|_| b.next()).collect();
        assert_eq!(waits, [ms(1000), ms(2000), ms(4000), ms(5000), ms(5000)]);
        b.reset();
        assert_eq!(b.next(), ms(1000));
        // A floor above the ceiling is the ceiling.
        assert_eq!(Backoff::new(ms(10), ms(5)).next(), ms(5));
    }
}
