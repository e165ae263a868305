//! How lanready talks to a collector, for the agent's push and the collector's gate alike:
//! https only (http:// when asked for, as on loopback), no credentials in the URL, no
//! redirects followed (one would carry the token and reports elsewhere), a CA file that
//! must hold a certificate, and error bodies read only so far.

use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

/// The most of an answer's body read as a message.
pub const MAX_MESSAGE: usize = 4096;

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

/// An HTTP client under this policy: rustls, `timeout` per request (connect at most 10 s),
/// redirects never followed, the CA file's certificates trusted besides the system's.
pub fn client(
    timeout: Duration,
    ca_file: Option<&Path>,
    user_agent: &str,
) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        // A redirect would carry the report (and, same-origin, the token) elsewhere: a
        // collector URL that redirects is a misconfiguration to fix, not follow.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent);
    if let Some(path) = ca_file {
        for cert in read_ca(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(ClientError::Build)
}

/// `path` under a collector's base URL, checked: https (or http with `allow_http`), no
/// user name or password in it (a token belongs in a file), query and fragment dropped.
pub fn url_under(base: &str, allow_http: bool, path: &str) -> Result<Url, ClientError> {
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
    let path = format!(
        "{}/{}",
        url.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&path);
    Ok(url)
}

pub fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
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
pub async fn body_text(mut resp: reqwest::Response) -> String {
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
        let ok = |base: &str, allow: bool| {
            url_under(base, allow, "api/v1/reports")
                .unwrap()
                .to_string()
        };
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
        let err = url_under("http://127.0.0.1:9000", false, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--allow-http"), "{err}");
        assert!(err.contains("loopback"), "{err}");
        let err = url_under("ftp://c.example", true, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"ftp\""), "{err}");
        let err = url_under("not a url", true, "x").unwrap_err().to_string();
        assert!(err.contains("not a valid URL"), "{err}");
        let err = url_under("https://agent:hunter2@c.example", false, "x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("--token-file"), "{err}");
    }

    #[test]
    fn a_bad_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(5);
        let missing = dir.path().join("missing.pem");
        let err = client(t, Some(&missing), "t").unwrap_err().to_string();
        assert!(err.contains("reading the CA file"), "{err}");
        for junk in ["not a certificate\n", ""] {
            let p = dir.path().join("junk.pem");
            std::fs::write(&p, junk).unwrap();
            let err = client(t, Some(&p), "t").unwrap_err().to_string();
            assert!(err.contains("no usable PEM certificate"), "{junk:?}: {err}");
        }
    }
}
