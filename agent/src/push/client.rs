//! The HTTP client for the collector's ingest endpoint (`POST {URL}/api/v1/reports`, bearer
//! token, JSON body): reqwest with rustls, and the mapping of its answers to what the spool
//! does next (delete, move to `rejected/`, or keep for a retry).

use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};

use crate::secret::Secret;

/// The ingest path under the collector's base URL.
pub const REPORTS_PATH: &str = "api/v1/reports";
/// The most of a rejecting answer's body kept beside the rejected report.
const MAX_MESSAGE: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the collector URL {url:?} is not a valid URL")]
    InvalidUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "the collector URL {url} is plain http://: the token and reports would travel \
         unencrypted; use https:// or pass --allow-http (also needed for loopback)"
    )]
    HttpNotAllowed { url: String },
    #[error(
        "the collector URL {url} has scheme {scheme:?}: use https:// (or http:// with --allow-http)"
    )]
    BadScheme { url: String, scheme: String },
    #[error(
        "the collector URL {url} carries a user name or password: put the token in --token-file"
    )]
    CredentialsInUrl { url: String },
    #[error("reading the CA file {path}")]
    ReadCa {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA file {path} holds no usable PEM certificate")]
    BadCa {
        path: PathBuf,
        #[source]
        source: Option<reqwest::Error>,
    },
    #[error("setting up the HTTPS client")]
    Build(#[source] reqwest::Error),
}

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
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            // A redirect would carry the report (and, same-origin, the token) elsewhere:
            // a collector URL that redirects is a misconfiguration to fix, not follow.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lanready-agent/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &cfg.ca_file {
            for cert in read_ca(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(ClientError::Build)?;
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

/// The ingest URL for a base URL, checked: https, or http with `allow_http`.
pub fn endpoint(base: &str, allow_http: bool) -> Result<Url, ClientError> {
    let mut url = Url::parse(base.trim()).map_err(|source| ClientError::InvalidUrl {
        url: base.to_string(),
        source,
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(ClientError::HttpNotAllowed {
                url: base.to_string(),
            });
        }
        other => {
            return Err(ClientError::BadScheme {
                url: base.to_string(),
                scheme: other.to_string(),
            });
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL itself: it holds a secret.
        return Err(ClientError::CredentialsInUrl {
            url: format!(
                "{}://{}",
                url.scheme(),
                url.host_str().unwrap_or("(no host)")
            ),
        });
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = format!("{}/{REPORTS_PATH}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let pem = std::fs::read(path).map_err(|source| ClientError::ReadCa {
        path: path.to_path_buf(),
        source,
    })?;
    let certs =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| ClientError::BadCa {
            path: path.to_path_buf(),
            source: Some(source),
        })?;
    if certs.is_empty() {
        return Err(ClientError::BadCa {
            path: path.to_path_buf(),
            source: None,
        });
    }
    Ok(certs)
}

/// The start of an answer's body, as text: at most [`MAX_MESSAGE`] bytes are read (a
/// collector, or something posing as one, may send an endless body), then the rest is
/// dropped with the connection.
async fn body_text(mut resp: reqwest::Response) -> String {
    let status = resp.status();
    let mut bytes: Vec<u8> = Vec::new();
    while bytes.len() <= MAX_MESSAGE {
        match resp.chunk().await {
            Ok(Some(c)) => {
                bytes.extend_from_slice(&c[..c.len().min(MAX_MESSAGE + 1 - bytes.len())])
            }
            Ok(None) | Err(_) => break,
        }
    }
    drop(resp);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if text.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    let text = text.trim();
    if text.is_empty() {
        status.to_string()
    } else {
        text.to_string()
    }
}

/// An error with its sources, `a: b: c` (reqwest's own message says little alone), without
/// the URL reqwest puts in it (our log lines carry the endpoint already).
pub fn error_chain(e: &reqwest::Error) -> String {
    let top = e.to_string();
    let mut s = match top.split_once(" for url (") {
        Some((head, _)) => head.to_string(),
        None => top,
    };
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_and_checks_the_scheme() {
        let ok = |base: &str, allow: bool| endpoint(base, allow).unwrap().to_string();
        assert_eq!(
            ok("https://c.example:8443", false),
            "https://c.example:8443/api/v1/reports"
        );
        assert_eq!(
            ok("https://c.example/lanready/", false),
            "https://c.example/lanready/api/v1/reports"
        );
        assert_eq!(
            ok("http://127.0.0.1:9000", true),
            "http://127.0.0.1:9000/api/v1/reports"
        );
        let err = endpoint("http://127.0.0.1:9000", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--allow-http"), "{err}");
        assert!(err.contains("loopback"), "{err}");
        let err = endpoint("ftp://c.example", true).unwrap_err().to_string();
        assert!(err.contains("\"ftp\""), "{err}");
        let err = endpoint("not a url", true).unwrap_err().to_string();
        assert!(err.contains("not a valid URL"), "{err}");
        let err = endpoint("https://agent:hunter2@c.example", false)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("--token-file"), "{err}");
    }

    #[test]
    fn a_bad_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = |p: PathBuf| ClientConfig {
            url: "https://c.example".into(),
            token: Secret::new("t"),
            ca_file: Some(p),
            allow_http: false,
            timeout: Duration::from_secs(5),
        };
        let missing = dir.path().join("missing.pem");
        let err = Collector::new(&cfg(missing)).unwrap_err().to_string();
        assert!(err.contains("reading the CA file"), "{err}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let err = Collector::new(&cfg(junk)).unwrap_err().to_string();
        assert!(err.contains("no usable PEM certificate"), "{err}");
    }
}
