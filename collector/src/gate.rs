//! `lanready-collector gate`: asks a collector whether a site may cut over. It fetches the
//! site's latest stored report (`GET /api/v1/sites/{site}/report`, with what the collector
//! knows of its age in headers) and judges it by [`lanready_gate`]'s one rule, as
//! `lanready-agent gate` judges a report file: exit 0 pass, 1 fail, 2 when the question
//! cannot be answered (the caller maps `Err` to 2). It talks to the collector under the
//! agent's policy ([`lanready_http`]): https unless `--allow-http`, no redirects, a CA file
//! that holds a certificate.

use std::path::PathBuf;
use std::time::Duration;

use lanready_gate::{Criteria, Freshness};
use lanready_schema::Report;

use crate::api::{AGE_HEADER, STALE_AFTER_HEADER, STALE_HEADER};
use crate::auth::Token;
use crate::validate;
use lanready_schema::api::ErrorBody;

#[derive(Debug)]
pub struct GateOptions {
    /// The collector's base URL (`https://collector:8443`).
    pub url: String,
    pub site: String,
    pub token: Token,
    pub criteria: Criteria,
    pub junit: Option<PathBuf>,
    /// Extra CA certificates (PEM) to trust for an https:// collector.
    pub ca_file: Option<PathBuf>,
    /// Allow a plain http:// collector URL (the token then travels unencrypted).
    pub allow_http: bool,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("site {site:?} is not a valid site name: {reason}")]
    BadSite { site: String, reason: String },
    #[error(transparent)]
    Client(#[from] lanready_http::ClientError),
    #[error("asking {url} for site {site:?}: {reason}")]
    Request {
        url: String,
        site: String,
        reason: String,
    },
    #[error("the collector answered {status} for site {site:?}: {message}")]
    Status {
        status: u16,
        site: String,
        message: String,
    },
    #[error("the collector's report for site {site:?}: {source}")]
    Report {
        site: String,
        #[source]
        source: lanready_gate::ReportError,
    },
    #[error(
        "the collector's answer for site {site:?} lacks a readable {header} header (an older collector?)"
    )]
    Header { site: String, header: &'static str },
    #[error("writing the JUnit file {path}")]
    Junit {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The report answers are read to at most this (a report is at most the collector's
/// --body-limit, 2 MiB by default, and a large estate's site some hundreds of KB).
const MAX_REPORT_BYTES: usize = 64 << 20;

/// Fetches the site's latest report and what the collector knows of its age.
pub async fn fetch(opts: &GateOptions) -> Result<(Report, Freshness), GateError> {
    validate::site_name(&opts.site).map_err(|reason| GateError::BadSite {
        site: opts.site.clone(),
        reason,
    })?;
    let url = lanready_http::url_under(
        &opts.url,
        opts.allow_http,
        &format!("api/v1/sites/{}/report", opts.site),
    )?;
    let client = lanready_http::client(
        opts.timeout,
        opts.ca_file.as_deref(),
        concat!("lanready-collector-gate/", env!("CARGO_PKG_VERSION")),
    )?;
    let request_error = |reason: String| GateError::Request {
        url: url.to_string(),
        site: opts.site.clone(),
        reason,
    };
    let mut resp = client
        .get(url.clone())
        .bearer_auth(opts.token.expose())
        .send()
        .await
        .map_err(|e| request_error(lanready_http::error_chain(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        let text = lanready_http::body_text(resp).await;
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or(text);
        return Err(GateError::Status {
            status: status.as_u16(),
            site: opts.site.clone(),
            message,
        });
    }
    // What the collector knows of the report's age: missing or unreadable is an error, never
    // a guess (an age read as 0 would pass any --max-age).
    fn header<T: std::str::FromStr>(
        resp: &reqwest::Response,
        site: &str,
        name: &'static str,
    ) -> Result<T, GateError> {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(GateError::Header {
                site: site.to_string(),
                header: name,
            })
    }
    let freshness = Freshness {
        age_seconds: header(&resp, &opts.site, AGE_HEADER)?,
        stale_after_seconds: Some(header(&resp, &opts.site, STALE_AFTER_HEADER)?),
        stale: header(&resp, &opts.site, STALE_HEADER)?,
    };
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| request_error(lanready_http::error_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_REPORT_BYTES {
            return Err(request_error(format!(
                "the answer is longer than {} MB",
                MAX_REPORT_BYTES >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let report = lanready_gate::parse(&String::from_utf8_lossy(&body)).map_err(|source| {
        GateError::Report {
            site: opts.site.clone(),
            source,
        }
    })?;
    Ok((report, freshness))
}

/// Runs the gate: fetches, judges, prints, writes JUnit. Returns the exit code, 0 or 1.
pub async fn run(opts: &GateOptions, out: &mut dyn std::io::Write) -> Result<u8, GateError> {
    let (report, freshness) = fetch(opts).await?;
    let decision = lanready_gate::decide(&report, Some(&freshness), &opts.criteria);
    let _ =
        out.write_all(lanready_gate::text::render(&report, Some(&freshness), &decision).as_bytes());
    if let Some(path) = &opts.junit {
        lanready_gate::junit::junit(&report, Some(&freshness), &opts.criteria, &decision)
            .and_then(|x| std::fs::write(path, x))
            .map_err(|source| GateError::Junit {
                path: path.clone(),
                source,
            })?;
    }
    Ok(decision.exit_code())
}
