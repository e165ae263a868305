//! The HTTP client for the collector's ingest endpoint (`POST {URL}/api/v1/reports`, bearer
//! token, JSON body): reqwest with rustls, and the mapping of its answers to what the spool
//! does next (delete, move to `rejected/`, or keep for a retry).

use std::path::PathBuf;
use std::time::Duration;

use lanready_http::body_text;
pub use lanready_http::{ClientError, error_chain};
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};

use lanready_schema::secret::Secret;

/// The ingest path under the collector's base URL.
pub const REPORTS_PATH: &str = "api/v1/reports";

/// What the collector made of one report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 201 (or another 2xx): stored now.
    Stored,
    /// 200: it had this id already.
    Duplicate,
    /// 4xx (but 408 and 429): refused; resending the same bytes cannot help.
    Rejected { status: u16, message: String },
    /// Connection failure, timeout, 5xx, 408, 429, or an unexpected answer: try again later.
    Unavailable { reason: String },
    /// 401 or 403: the collector refused the agent's token (revoked, rotated, wrong site).
    /// The report is fine: it stays in the spool and is resent once the token is fixed.
    Unauthorized { status: u16, message: String },
}

/// Settings for [`Collector::new`].
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The collector's base URL (`https://collector:8443` or with a path prefix).
    pub url: String,
    pub token: Secret,
    /// A PEM file of extra CA certificates to trust.
    pub ca_file: Option<PathBuf>,
    /// Allow `http://`.
    pub allow_http: bool,
    /// Per-request timeout (connect, send, answer).
    pub timeout: Duration,
}

/// A client for one collector.
#[derive(Clone, Debug)]
pub struct Collector {
    http: reqwest::Client,
    endpoint: Url,
    token: Secret,
}

impl Collector {
    pub fn new(cfg: &ClientConfig) -> Result<Collector, ClientError> {
        let endpoint = endpoint(&cfg.url, cfg.allow_http)?;
        let http = lanready_http::client(
            cfg.timeout,
            cfg.ca_file.as_deref(),
            concat!("lanready-agent/", env!("CARGO_PKG_VERSION")),
        )?;
        Ok(Collector {
            http,
            endpoint,
            token: cfg.token.clone(),
        })
    }

    /// Where reports are POSTed.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// POSTs one report's JSON and says what the collector made of it. Never fails: a
    /// transport error is [`Answer::Unavailable`].
    pub async fn send(&self, json: Vec<u8>) -> Answer {
        let sent = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(self.token.expose())
            .header(CONTENT_TYPE, "application/json")
            .body(json)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return Answer::Unavailable {
                    reason: error_chain(&e),
                };
            }
        };
        let status = resp.status();
        match status {
            StatusCode::CREATED => Answer::Stored,
            StatusCode::OK => Answer::Duplicate,
            s if s.is_success() => Answer::Stored,
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => Answer::Unavailable {
                reason: format!("the collector answered {status}"),
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Answer::Unauthorized {
                status: status.as_u16(),
                message: body_text(resp).await,
            },
            s if s.is_client_error() => Answer::Rejected {
                status: s.as_u16(),
                message: body_text(resp).await,
            },
            s if s.is_server_error() => Answer::Unavailable {
                reason: format!("the collector answered {status}: {}", body_text(resp).await),
            },
            s if s.is_redirection() => Answer::Unavailable {
                reason: format!(
                    "the collector answered {status} (a redirect to {:?}); check --collector",
                    resp.headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                ),
            },
            _ => Answer::Unavailable {
                reason: format!("the collector answered {status}"),
            },
        }
    }
}

/// The ingest URL for a base URL, checked ([`lanready_http::url_under`]).
pub fn endpoint(base: &str, allow_http: bool) -> Result<Url, ClientError> {
    lanready_http::url_under(base, allow_http, REPORTS_PATH)
}
