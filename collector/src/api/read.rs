//! The site reads: `GET /api/v1/sites`, `GET /api/v1/sites/{site}` and the gate's
//! `GET /api/v1/sites/{site}/report`.

use super::*;

pub(super) async fn summaries_for(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<crate::model::SiteSummary>, ApiError> {
    let now = state.clock.now();
    let mut latest = state
        .db(move |s| super::judged::summaries(s, s.latest_summaries()?, now))
        .await?;
    latest.retain(|s| caller.may_read(&s.meta.site));
    Ok(latest)
}

/// `GET /api/v1/sites`.
pub(super) async fn list_sites(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    let latest = summaries_for(&state, &caller).await?;
    let view = aggregate::sites(&latest, state.clock.now(), &state.settings.staleness);
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
pub(super) struct DetailQuery {
    trend: Option<u32>,
}

/// `GET /api/v1/sites/{site}`.
pub(super) async fn site_detail(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
    query: Result<Query<DetailQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    readable_site(&caller, &site)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    let limit = q.trend.unwrap_or(SITE_TREND_POINTS);
    if limit > MAX_SITE_TREND_POINTS {
        return Err(ApiError::BadRequest(format!(
            "trend={limit} is above the limit of {MAX_SITE_TREND_POINTS}"
        )));
    }
    let s = site.clone();
    let now = state.clock.now();
    let (latest, trend) = state
        .db(move |st| {
            let latest = match st.latest_report(&s)? {
                Some(l) => Some(super::judged::report(st, l, now)?),
                None => None,
            };
            Ok((latest, st.trend(&s, limit)?))
        })
        .await?;
    let latest =
        latest.ok_or_else(|| ApiError::NotFound(format!("no report for site {site:?}")))?;
    let view = aggregate::site_detail(
        &latest,
        &trend,
        state.clock.now(),
        &state.settings.staleness,
    );
    Ok(Json(view).into_response())
}

/// A site name that is valid and that the caller may read.
pub(super) fn readable_site(caller: &Caller, site: &str) -> Result<(), ApiError> {
    validate::site_name(site).map_err(|m| ApiError::BadRequest(format!("{m}: {}", shown(site))))?;
    if !caller.may_read(site) {
        return Err(ApiError::Forbidden(format!(
            "token {:?} may not read site {site:?}",
            caller.name
        )));
    }
    Ok(())
}

/// The headers of `GET /api/v1/sites/{site}/report` that carry what the collector knows of
/// the report's age (the body is the report itself, as the agent's gate reads a file).
pub const AGE_HEADER: &str = "lanready-age-seconds";
pub const STALE_AFTER_HEADER: &str = "lanready-stale-after-seconds";
pub const STALE_HEADER: &str = "lanready-stale";
/// The site's cutover day (`YYYY-MM-DD`), when the cutover calendar holds the site.
pub const CUTOVER_HEADER: &str = "lanready-cutover";

/// `GET /api/v1/sites/{site}/report`: the site's latest stored report, a
/// `lanready.report/v1` document, for the gate to judge by the same rule as the agent's.
pub(super) async fn site_report(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    readable_site(&caller, &site)?;
    let s = site.clone();
    let (latest, entry) = state
        .db(move |st| Ok((st.latest_report(&s)?, st.calendar_entry(&s)?)))
        .await?;
    let latest =
        latest.ok_or_else(|| ApiError::NotFound(format!("no report for site {site:?}")))?;
    let cutover = entry.map(|e| crate::programme::day(e.cutover));
    let f = aggregate::freshness(
        &site,
        latest.meta.generated_at,
        state.clock.now(),
        &state.settings.staleness,
    );
    let mut resp = Json(&latest.report).into_response();
    let h = resp.headers_mut();
    for (name, value) in [
        (AGE_HEADER, f.age_seconds.to_string()),
        (
            STALE_AFTER_HEADER,
            f.stale_after_seconds.unwrap_or_default().to_string(),
        ),
        (STALE_HEADER, f.stale.to_string()),
    ]
    .into_iter()
    .chain(cutover.map(|c| (CUTOVER_HEADER, c)))
    {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}
