//! The bill of works: `GET /api/v1/sites/{site}/works` (one site, from its latest report),
//! `GET /api/v1/works` (every readable site's totals and the estate's), each
//! `?format=json|csv|md`; and `GET /api/v1/sites/{site}/config[?switch=ADDR]`, the merged fix
//! configuration (the same text as the agent's `gate --config`), for download.

use super::*;
use lanready_works::{bill, config, render};

#[derive(Deserialize)]
pub(super) struct FormatQuery {
    format: Option<String>,
}

fn format_of(q: &FormatQuery) -> Result<(&str, &'static str), ApiError> {
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(("json", "application/json")),
        "csv" => Ok(("csv", "text/csv; charset=utf-8")),
        "md" => Ok(("md", "text/markdown; charset=utf-8")),
        other => Err(ApiError::BadRequest(format!(
            "format={other:?} is not json, csv or md"
        ))),
    }
}

async fn latest(state: &AppState, site: &str) -> Result<Report, ApiError> {
    let s = site.to_string();
    let latest = state.db(move |st| st.latest_report(&s)).await?;
    latest
        .map(|r| r.report)
        .ok_or_else(|| ApiError::NotFound(format!("no report for site {site:?}")))
}

/// `GET /api/v1/sites/{site}/works`.
pub(super) async fn site_works(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
    query: Result<Query<FormatQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    readable_site(&caller, &site)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    let (format, content_type) = format_of(&q)?;
    let w = bill::bill(&latest(&state, &site).await?);
    let body = match format {
        "csv" => render::csv(&w),
        "md" => render::markdown(&w),
        _ => serde_json::to_string(&w).map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /api/v1/works`: the estate, each site's bill made as its report is read (one
/// report held at a time).
pub(super) async fn estate_works(
    State(state): State<AppState>,
    Authed(caller): Authed,
    query: Result<Query<FormatQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    let (format, content_type) = format_of(&q)?;
    let sites = state
        .db(move |st| {
            let mut out = Vec::new();
            for s in st.latest_summaries()? {
                if !caller.may_read(&s.meta.site) {
                    continue;
                }
                if let Some(r) = st.latest_report(&s.meta.site)? {
                    out.push(bill::site_line(&bill::bill(&r.report)));
                }
            }
            Ok(out)
        })
        .await?;
    let as_of = state
        .clock
        .now()
        .format(&Rfc3339)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let e = bill::estate(&as_of, sites);
    let body = match format {
        "csv" => render::estate_csv(&e),
        "md" => render::estate_markdown(&e),
        _ => serde_json::to_string(&e).map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

#[derive(Deserialize)]
pub(super) struct ConfigQuery {
    switch: Option<String>,
}

/// `GET /api/v1/sites/{site}/config[?switch=ADDR]`: IOS text to review and apply.
pub(super) async fn site_config(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
    query: Result<Query<ConfigQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    readable_site(&caller, &site)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    let report = latest(&state, &site).await?;
    let (body, file) = match &q.switch {
        None => (config::merged_config(&report), site.clone()),
        Some(sw) => {
            if !config::switches(&report).contains(&sw.as_str()) {
                return Err(ApiError::NotFound(format!(
                    "site {site:?}'s latest report has no switch {}",
                    shown(sw)
                )));
            }
            let name = sw.replace([':', '/', '[', ']'], "_");
            (
                config::switch_config(&report, sw).unwrap_or_else(|| {
                    format!("! lanready: nothing to fix on {sw}, report {}\n", report.id)
                }),
                format!("{site}-{name}"),
            )
        }
    };
    let disposition = format!("attachment; filename=\"lanready-{file}.ios\"");
    let mut resp = ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
