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

use crate::api::{AGE_HEADER, CUTOVER_HEADER, STALE_AFTER_HEADER, STALE_HEADER};
use crate::auth::Token;
use crate::programme::{days_left, parse_day};
use crate::validate;
use lanready_schema::api::ErrorBody;
use lanready_schema::programme::{WAIVERS_SCHEMA, WaiversResponse};

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
    /// Within this of the site's cutover day (and after it), an at-risk site fails too.
    pub cutover_window: Option<Duration>,
    /// How much of each finding the text shows.
    pub detail: lanready_gate::text::Detail,
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
    #[error(
        "--cutover-window: site {site:?} is not in the collector's cutover calendar (lanready-collector programme set)"
    )]
    NoCutover { site: String },
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

/// What the collector says of the site besides its report: the report's age, the cutover
/// day (when the site is in the calendar), and its waivers.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub report: Report,
    pub freshness: Freshness,
    pub cutover: Option<String>,
    pub waivers: WaiversResponse,
}

/// One GET under the site's URL: the headers and the body (read to a bound).
async fn get(
    opts: &GateOptions,
    client: &reqwest::Client,
    path: &str,
) -> Result<(reqwest::header::HeaderMap, Vec<u8>), GateError> {
    let url = lanready_http::url_under(&opts.url, opts.allow_http, path)?;
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
    let headers = resp.headers().clone();
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
    Ok((headers, body))
}

/// Fetches the site's latest report, what the collector knows of its age and cutover, and
/// its waivers.
pub async fn fetch(opts: &GateOptions) -> Result<Fetched, GateError> {
    validate::site_name(&opts.site).map_err(|reason| GateError::BadSite {
        site: opts.site.clone(),
        reason,
    })?;
    let client = lanready_http::client(
        opts.timeout,
        opts.ca_file.as_deref(),
        concat!("lanready-collector-gate/", env!("CARGO_PKG_VERSION")),
    )?;
    let (headers, body) = get(opts, &client, &format!("api/v1/sites/{}/report", opts.site)).await?;
    // What the collector knows of the report's age: missing or unreadable is an error, never
    // a guess (an age read as 0 would pass any --max-age).
    let header = |name: &'static str| -> Result<&str, GateError> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(GateError::Header {
                site: opts.site.clone(),
                header: name,
            })
    };
    fn number<T: std::str::FromStr>(
        v: Result<&str, GateError>,
        site: &str,
        name: &'static str,
    ) -> Result<T, GateError> {
        v?.parse().map_err(|_| GateError::Header {
            site: site.to_string(),
            header: name,
        })
    }
    let freshness = Freshness {
        age_seconds: number(header(AGE_HEADER), &opts.site, AGE_HEADER)?,
        stale_after_seconds: Some(number(
            header(STALE_AFTER_HEADER),
            &opts.site,
            STALE_AFTER_HEADER,
        )?),
        stale: number(header(STALE_HEADER), &opts.site, STALE_HEADER)?,
    };
    let cutover = header(CUTOVER_HEADER).ok().map(str::to_string);
    let report = lanready_gate::parse(&String::from_utf8_lossy(&body)).map_err(|source| {
        GateError::Report {
            site: opts.site.clone(),
            source,
        }
    })?;
    let (_, body) = get(
        opts,
        &client,
        &format!("api/v1/sites/{}/waivers", opts.site),
    )
    .await?;
    let waivers: WaiversResponse = serde_json::from_slice(&body)
        .ok()
        .filter(|w: &WaiversResponse| w.schema == WAIVERS_SCHEMA)
        .ok_or_else(|| GateError::Request {
            url: opts.url.clone(),
            site: opts.site.clone(),
            reason: "the waivers answer is not a lanready.waivers/v1 document".into(),
        })?;
    Ok(Fetched {
        report,
        freshness,
        cutover,
        waivers,
    })
}

/// The criteria with `--cutover-window` applied: within the window of the cutover day (or
/// after it), an at-risk site fails too. A window for a site the calendar does not hold is
/// an error: the rule asked for cannot be applied.
fn with_cutover(opts: &GateOptions, f: &Fetched) -> Result<Criteria, GateError> {
    let mut c = opts.criteria.clone();
    let Some(window) = opts.cutover_window else {
        return Ok(c);
    };
    let no_calendar = || GateError::NoCutover {
        site: opts.site.clone(),
    };
    let cutover = f.cutover.as_deref().ok_or_else(no_calendar)?;
    let (Ok(cut), Ok(today)) = (parse_day(cutover), parse_day(&f.waivers.today)) else {
        return Err(GateError::Header {
            site: opts.site.clone(),
            header: CUTOVER_HEADER,
        });
    };
    let window_days = window.as_secs().div_ceil(86_400) as i64;
    let (days_left, _) = days_left(today, cut);
    if days_left <= window_days {
        let when = if days_left < 0 {
            format!("its cutover was on {cutover}")
        } else {
            format!("its cutover on {cutover} is {days_left} day(s) away, within --cutover-window")
        };
        c.at_risk_fails = Some(when);
    }
    Ok(c)
}

/// Runs the gate: fetches, applies the site's waivers, judges, prints, writes JUnit.
/// Returns the exit code, 0 or 1.
pub async fn run(opts: &GateOptions, out: &mut dyn std::io::Write) -> Result<u8, GateError> {
    let fetched = fetch(opts).await?;
    let criteria = with_cutover(opts, &fetched)?;
    let applied = lanready_gate::waivers::apply(&fetched.report, &fetched.waivers.waivers);
    let (report, freshness) = (&applied.report, Some(&fetched.freshness));
    let decision = lanready_gate::decide(report, freshness, &criteria);
    let text = lanready_gate::text::render_with(
        report,
        freshness,
        &decision,
        &applied.waived,
        opts.detail,
    );
    let _ = out.write_all(text.as_bytes());
    if let Some(path) = &opts.junit {
        lanready_gate::junit::junit(report, freshness, &criteria, &decision, &applied.waived)
            .and_then(|x| std::fs::write(path, x))
            .map_err(|source| GateError::Junit {
                path: path.clone(),
                source,
            })?;
    }
    Ok(decision.exit_code())
}
