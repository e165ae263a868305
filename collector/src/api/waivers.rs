//! The waiver endpoints: `GET /api/v1/waivers` (`?site=S`), `GET /api/v1/sites/{site}/waivers`,
//! `POST /api/v1/waivers` and `POST /api/v1/waivers/{id}/revoke`. Reading needs a token that
//! reads the site; adding and revoking need an agent token for the site (one that may write
//! it). Every add and revoke is kept with who (the `by` of the body, and the token) and when.

use lanready_schema::programme::{WAIVERS_SCHEMA, Waiver, WaiversResponse};

use super::*;
use crate::store::Revoked;
use crate::waiver::{self, NewWaiver};

/// The largest waiver request body.
pub const MAX_WAIVER_BODY: usize = 16 * 1024;

#[derive(Deserialize)]
pub(super) struct SiteQuery {
    site: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    by: String,
}

fn answer(state: &AppState, waivers: Vec<Waiver>) -> Response {
    let now = state.clock.now();
    Json(WaiversResponse {
        schema: WAIVERS_SCHEMA.into(),
        as_of: aggregate::rfc3339(now),
        today: crate::programme::day(waiver::today(now)),
        waivers,
    })
    .into_response()
}

async fn listed(
    state: &AppState,
    caller: Caller,
    site: Option<String>,
) -> Result<Vec<Waiver>, ApiError> {
    let today = waiver::today(state.clock.now());
    let rows = state.db(move |st| st.waivers(site.as_deref())).await?;
    Ok(rows
        .iter()
        .filter(|w| caller.may_read(&w.waiver.site))
        .map(|w| waiver::document(w, today))
        .collect())
}

/// `GET /api/v1/waivers`.
pub(super) async fn list_waivers(
    State(state): State<AppState>,
    Authed(caller): Authed,
    query: Result<Query<SiteQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    if let Some(site) = &q.site {
        read::readable_site(&caller, site)?;
    }
    let waivers = listed(&state, caller, q.site).await?;
    Ok(answer(&state, waivers))
}

/// `GET /api/v1/sites/{site}/waivers`.
pub(super) async fn site_waivers(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    read::readable_site(&caller, &site)?;
    let waivers = listed(&state, caller, Some(site)).await?;
    Ok(answer(&state, waivers))
}

fn may_write(caller: &Caller, site: &str) -> Result<(), ApiError> {
    if caller.kind != TokenKind::Agent || !caller.may_post(site) {
        return Err(ApiError::Forbidden(format!(
            "token {:?} may not change waivers of site {site:?} (an agent token for the site may)",
            caller.name
        )));
    }
    Ok(())
}

fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    ingest::check_content_type(headers)?;
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("bad JSON body: {e}")))
}

/// `POST /api/v1/waivers`: 201 with the waiver stored.
pub(super) async fn add_waiver(
    State(state): State<AppState>,
    Authed(caller): Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let new: NewWaiver = json_body(&headers, &body)?;
    read::readable_site(&caller, new.site.trim())?;
    may_write(&caller, new.site.trim())?;
    let now = state.clock.now();
    let checked = new
        .check(waiver::today(now))
        .map_err(ApiError::Unprocessable)?;
    let via = format!("token {}", caller.name);
    let stored = state
        .db(move |st| {
            let id = st.add_waiver(&checked, &via, now)?;
            st.waiver(id)
        })
        .await?
        .ok_or_else(|| ApiError::Internal("the stored waiver was not found".into()))?;
    tracing::info!(message = "Waiver added.", id = stored.id, site = %stored.waiver.site, check = %stored.waiver.check);
    let doc = waiver::document(&stored, waiver::today(now));
    Ok((StatusCode::CREATED, Json(doc)).into_response())
}

/// `POST /api/v1/waivers/{id}/revoke` with `{"by": NAME}`: 200 with the waiver as revoked.
pub(super) async fn revoke_waiver(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let RevokeBody { by } = json_body(&headers, &body)?;
    let by = by.trim().to_string();
    if by.is_empty() || by.chars().count() > 100 || by.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "by: 1-100 characters without control characters".into(),
        ));
    }
    let found = state
        .db(move |st| st.waiver(id))
        .await?
        .filter(|w| caller.may_read(&w.waiver.site))
        .ok_or_else(|| ApiError::NotFound(format!("no waiver {id}")))?;
    may_write(&caller, &found.waiver.site)?;
    let now = state.clock.now();
    let (outcome, stored) = state
        .db(move |st| {
            let outcome = st.revoke_waiver(id, &by, now)?;
            Ok((outcome, st.waiver(id)?))
        })
        .await?;
    let stored = stored.ok_or_else(|| ApiError::NotFound(format!("no waiver {id}")))?;
    match outcome {
        Revoked::Now => {
            tracing::info!(message = "Waiver revoked.", id, site = %stored.waiver.site);
            Ok(Json(waiver::document(&stored, waiver::today(now))).into_response())
        }
        Revoked::Already => Err(ApiError::Conflict(format!(
            "waiver {id} was revoked before, by {}",
            stored.revoked_by.as_deref().unwrap_or("?")
        ))),
        Revoked::NoSuchWaiver => Err(ApiError::NotFound(format!("no waiver {id}"))),
    }
}
