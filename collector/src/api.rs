//! The HTTP API: routes, the shared state, authentication, ingest and the read endpoints,
//! and the one error type every handler answers with.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lanready_schema::{REPORT_SCHEMA, Report};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::timeout::TimeoutLayer;

use crate::aggregate::{self, Staleness};
use crate::auth::{self, Caller, TokenKind};
use crate::clock::Clock;
use crate::dashcache::{self, DashCache, Freshness, ScopeKey};
use crate::metrics::{self, IngestCounters, RejectReason};
use crate::store::{Inserted, NewReport, ReportMeta, Store, StoreError};
use crate::validate;
use lanready_schema::api::{ErrorBody, IngestResponse};

/// Default request body limit for `POST /api/v1/reports`: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Default interval after which a site without a new scan is stale: 26 hours.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(26 * 3600);
/// Default request timeout: 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most distinct check ids one report may name.
pub const MAX_CHECK_IDS: usize = 64;
/// A report dated further ahead of the collector's clock than this is refused.
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(15 * 60);
/// Trend points in the dashboard's rows.
pub const DASHBOARD_TREND_POINTS: u32 = 30;
/// Default and largest trend for `GET /api/v1/sites/{site}`.
pub const SITE_TREND_POINTS: u32 = 100;
pub const MAX_SITE_TREND_POINTS: u32 = 1000;

/// Default bound on the report bodies being received at once, all connections together.
pub const DEFAULT_INFLIGHT_BODY_BYTES: usize = 64 << 20;

/// Validated serving settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub body_limit: usize,
    pub staleness: Staleness,
    /// Longest a read may take, and longest a report's body may take to arrive; then 408.
    /// Once a report's body has arrived, its answer waits for the commit (a 408 is never
    /// sent for a report that is then stored).
    pub request_timeout: Duration,
    /// The report bodies being received at once may hold at most this many bytes; a report
    /// that would go over is answered 503 (retry later) before its body is read.
    pub inflight_body_bytes: usize,
    /// Open connections, the first request head's deadline, the idle timeout.
    pub limits: crate::guard::Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            body_limit: DEFAULT_BODY_LIMIT,
            staleness: Staleness::new(DEFAULT_STALE_AFTER),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            inflight_body_bytes: DEFAULT_INFLIGHT_BODY_BYTES,
            limits: crate::guard::Limits::default(),
        }
    }
}

/// Bytes as semaphore permits: KiB, rounded up.
fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// Every site's dashboard card, and the store generation it was read at.
type CachedCards = (u64, Arc<Vec<crate::model::SiteLatest>>);

/// The compression layer gzips answers larger than this on the fly; smaller ones
/// (ingest answers, errors) are not worth it.
const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub counters: Arc<IngestCounters>,
    /// Every site's dashboard card and trend, tagged with the store generation it was read
    /// at; reread when a report is stored.
    cards: Arc<std::sync::Mutex<Option<CachedCards>>>,
    /// The serialised dashboard answer per token scope (see [`crate::dashcache`]).
    dash: Arc<DashCache>,
    /// Bytes of report bodies being received now, as permits (one per KiB).
    inflight: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let permits = kib(settings.inflight_body_bytes.max(settings.body_limit));
        AppState {
            store: Arc::new(store),
            clock,
            settings: Arc::new(settings),
            counters: Arc::new(IngestCounters::default()),
            cards: Arc::default(),
            dash: Arc::default(),
            inflight: Arc::new(tokio::sync::Semaphore::new(permits as usize)),
        }
    }

    /// Runs a store call off the async runtime.
    async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
            .map_err(ApiError::from)
    }
}

/// The router.
pub fn app(state: AppState) -> Router {
    let limit = state.settings.body_limit;
    let timeout = state.settings.request_timeout;
    // Reads are cut at the request timeout. Ingest times only its body's arrival (in the
    // handler): once a report is handed to the store its answer waits for the commit, so a
    // 408 always means nothing was stored.
    let reads = Router::new()
        .route("/", get(page))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/v1/sites", get(list_sites))
        .route("/api/v1/sites/{site}", get(site_detail))
        .route("/api/v1/sites/{site}/report", get(site_report))
        .route("/api/v1/dashboard", get(dashboard))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    Router::new()
        .route(
            "/api/v1/reports",
            post(ingest).layer(DefaultBodyLimit::max(limit)),
        )
        .merge(reads)
        // gzip for clients that accept it. The dashboard sets its own Content-Encoding from
        // the cached compressed body, which this layer leaves as it is.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .quality(CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE_BYTES))),
        )
        .with_state(state)
}

/// Every error answer. Client mistakes keep their 4xx and say what was wrong; internal
/// failures are logged and answered with a bare 500.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    PayloadTooLarge(usize),
    UnsupportedMediaType(String),
    Unprocessable(String),
    /// A report of another schema version than this collector reads (422).
    UnknownSchema(String),
    /// Too many report bodies in flight: 503, retry later.
    Busy(String),
    /// A report's body did not arrive within the request timeout: 408, nothing stored.
    Timeout(String),
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::UnknownSchema(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a client is told (for a 5xx, nothing of the detail).
    pub fn client_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "internal error; see the collector's log".to_string(),
            ApiError::PayloadTooLarge(limit) => {
                format!("request body is larger than the limit of {limit} bytes")
            }
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::Unprocessable(m)
            | ApiError::UnknownSchema(m)
            | ApiError::Busy(m)
            | ApiError::Timeout(m) => m.clone(),
        }
    }

    fn reject_reason(&self) -> RejectReason {
        match self {
            ApiError::BadRequest(_) => RejectReason::Malformed,
            ApiError::Unauthorized(_) => RejectReason::Unauthorized,
            ApiError::Forbidden(_) => RejectReason::Forbidden,
            ApiError::NotFound(_) => RejectReason::Invalid,
            ApiError::Conflict(_) => RejectReason::Conflict,
            ApiError::PayloadTooLarge(_) => RejectReason::TooLarge,
            ApiError::UnsupportedMediaType(_) => RejectReason::MediaType,
            ApiError::Unprocessable(_) => RejectReason::Invalid,
            ApiError::UnknownSchema(_) => RejectReason::Schema,
            ApiError::Busy(_) => RejectReason::Busy,
            ApiError::Timeout(_) => RejectReason::Timeout,
            ApiError::Internal(_) => RejectReason::Internal,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        ApiError::Internal(msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(message = "Request failed.", error = %detail);
        }
        let message = self.client_message();
        let mut resp = (
            status,
            Json(ErrorBody {
                error: message,
                status: status.as_u16(),
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// A request whose bearer token matched an active token.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header =
            match parts.headers.get(header::AUTHORIZATION) {
                None => None,
                Some(v) => Some(v.to_str().map_err(|_| {
                    ApiError::Unauthorized("Authorization header is not ASCII".into())
                })?),
            };
        let token = auth::parse_bearer(header).map_err(|m| ApiError::Unauthorized(m.into()))?;
        // One indexed lookup by the token's SHA-256 (a lookup by hash tells a timing observer
        // nothing usable about the token), then the constant-time comparison as before.
        let hash = token.hash();
        let found = state.db(move |s| s.active_token_by_hash(&hash)).await?;
        auth::match_token(&token, found.as_slice())
            .map(Authed)
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))
    }
}

/// Only the `schema` field, read before the whole report so an unknown version gets a
/// message about the version rather than about fields it does not know.
#[derive(Deserialize)]
struct SchemaProbe {
    schema: Option<serde_json::Value>,
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(
            "missing Content-Type; send application/json".into(),
        ));
    };
    let essence = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {essence:?} is not application/json"
        )))
    }
}

/// Reads a report's body: refused at once when its declared length is over the limit or
/// the bodies being received would go over `inflight_body_bytes` (503), cut at the limit
/// (413), and given `request_timeout` to arrive (408).
async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let limit = state.settings.body_limit;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let want = declared.map_or(limit, |n| n as usize);
    let _permit = state
        .inflight
        .clone()
        .try_acquire_many_owned(kib(want).max(1))
        .map_err(|_| {
            ApiError::Busy(format!(
                "the collector is receiving {} MiB of reports already; retry later",
                state.settings.inflight_body_bytes >> 20
            ))
        })?;
    let collected = tokio::time::timeout(
        state.settings.request_timeout,
        http_body_util::Limited::new(body, limit).collect(),
    )
    .await
    .map_err(|_| {
        ApiError::Timeout(format!(
            "the report's body did not arrive within {} s; nothing was stored",
            state.settings.request_timeout.as_secs()
        ))
    })?;
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::PayloadTooLarge(limit))
        }
        Err(e) => Err(ApiError::BadRequest(format!(
            "reading the request body: {e}"
        ))),
    }
}

/// Parses and checks a report body. Every `Err` is a client mistake.
fn parse_report(body: &[u8]) -> Result<Report, ApiError> {
    let probe: SchemaProbe = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("report is not valid JSON: {e}")))?;
    match probe.schema {
        None => {
            return Err(ApiError::BadRequest(format!(
                "report has no \"schema\" field; expected \"{REPORT_SCHEMA}\""
            )));
        }
        Some(serde_json::Value::String(s)) if s == REPORT_SCHEMA => {}
        Some(other) => {
            return Err(ApiError::UnknownSchema(format!(
                "unsupported report schema {other}; this collector accepts \"{REPORT_SCHEMA}\""
            )));
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("report does not match {REPORT_SCHEMA}: {e}")))
}

/// A name from a request, quoted for an error message and cut after 80 characters, so a
/// huge name is not sent back whole.
fn shown(name: &str) -> String {
    const MAX: usize = 80;
    match name.char_indices().nth(MAX) {
        None => format!("{name:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes)", &name[..cut], name.len()),
    }
}

/// Checks what the JSON shape cannot: names, time, ranges. Returns the scan time.
fn check_report(r: &Report, now: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
    let bad = |m: String| ApiError::Unprocessable(m);
    validate::report_id(&r.id).map_err(bad)?;
    validate::site_name(&r.site).map_err(|m| bad(format!("{m}: {}", shown(&r.site))))?;
    let generated_at = OffsetDateTime::parse(&r.generated_at, &Rfc3339).map_err(|e| {
        bad(format!(
            "generated_at {} is not an RFC 3339 time: {e}",
            shown(&r.generated_at)
        ))
    })?;
    // No lanready scan predates the project: a year-0000 date is a broken clock or a forgery.
    if generated_at.year() < 2020 {
        return Err(bad(format!(
            "generated_at {} is before 2020; check the agent's clock",
            shown(&r.generated_at)
        )));
    }
    if generated_at > now + MAX_FUTURE_SKEW {
        return Err(bad(format!(
            "generated_at {} is more than {} minutes ahead of the collector's clock ({}); check the agent's clock",
            r.generated_at,
            MAX_FUTURE_SKEW.as_secs() / 60,
            aggregate::rfc3339(now)
        )));
    }
    if r.score > 100 {
        return Err(bad(format!("score {} is above 100", r.score)));
    }
    if let Some(sw) = r.switches.iter().find(|s| s.score > 100) {
        return Err(bad(format!(
            "switch {} has score {}, above 100",
            sw.address, sw.score
        )));
    }
    // A report names few checks (the catalogue has 21): many distinct ids is a broken or
    // hostile agent, and would make per-check work on the single writer costly.
    let mut ids: Vec<&str> = r.findings.iter().map(|f| f.check.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_CHECK_IDS {
        return Err(bad(format!(
            "the report names {} distinct check ids; at most {MAX_CHECK_IDS} are accepted",
            ids.len()
        )));
    }
    // The verdict, score and counts are recomputed from the findings with the shared model:
    // a report whose own judgement disagrees is refused, so no gate or page believes a
    // "ready" that its findings do not support.
    let wrong = lanready_schema::score::disagreements(r);
    if !wrong.is_empty() {
        let more = if wrong.len() > 3 {
            format!(" (and {} more)", wrong.len() - 3)
        } else {
            String::new()
        };
        return Err(bad(format!(
            "the report's judgement disagrees with its findings: {}{more}",
            wrong.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
        )));
    }
    Ok(generated_at)
}

fn ingest_response(m: &ReportMeta) -> IngestResponse {
    IngestResponse {
        id: m.report_id.clone(),
        site: m.site.clone(),
        generated_at: aggregate::rfc3339(m.generated_at),
        received_at: aggregate::rfc3339(m.received_at),
        score: m.score,
        verdict: m.verdict,
    }
}

/// `POST /api/v1/reports`.
async fn ingest(
    State(state): State<AppState>,
    authed: Result<Authed, ApiError>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    match ingest_inner(&state, authed, &headers, body).await {
        Ok(resp) => resp,
        Err(e) => {
            state.counters.rejected(e.reject_reason());
            if !matches!(e, ApiError::Internal(_)) {
                tracing::info!(
                    message = "Report refused.",
                    status = e.status().as_u16(),
                    reason = e.reject_reason().label(),
                    detail = %e.client_message(),
                );
            }
            e.into_response()
        }
    }
}

async fn ingest_inner(
    state: &AppState,
    authed: Result<Authed, ApiError>,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // Who is asking, from the headers alone: no byte of the body is read for a caller
    // without a valid agent token.
    let Authed(caller) = authed?;
    if caller.kind != TokenKind::Agent {
        return Err(ApiError::Forbidden(format!(
            "token {:?} is read-only and may not post reports",
            caller.name
        )));
    }
    check_content_type(headers)?;
    let body = read_body(state, headers, body).await?;
    let report = parse_report(&body)?;
    if !caller.may_post(&report.site) {
        return Err(ApiError::Forbidden(format!(
            "token {:?} may not report for site {}",
            caller.name,
            shown(&report.site)
        )));
    }
    let now = state.clock.now();
    let generated_at = check_report(&report, now)?;
    let stored_body = serde_json::to_string(&report)
        .map_err(|e| ApiError::Internal(format!("serialising a report: {e}")))?;
    let report = Arc::new(report);
    let new = NewReport {
        report: report.clone(),
        body: stored_body,
        // A report is ordered in its site's history at its scan time, but never later than
        // its arrival: one dated ahead (a fast clock, a forgery) cannot stay the site's
        // latest over scans that arrive after it. The body keeps the time it gave.
        generated_at: generated_at.min(now),
        received_at: now,
        token_name: caller.name.clone(),
    };
    let outcome = state.db(move |s| s.insert_report(new)).await?;
    let location = format!("/api/v1/sites/{}", report.site);
    let (status, meta) = match outcome {
        Inserted::New(meta) => {
            state.counters.stored();
            tracing::info!(message = "Report stored.", site = %meta.site, id = %meta.report_id, token = %caller.name);
            (StatusCode::CREATED, meta)
        }
        Inserted::Duplicate(meta) => {
            state.counters.duplicate();
            tracing::info!(message = "Resent report; already stored.", site = %meta.site, id = %meta.report_id);
            (StatusCode::OK, meta)
        }
        Inserted::Conflict(meta) => {
            // Say where the id was used only to a token that may read that site.
            let before = if caller.may_read(&meta.site) {
                format!(
                    " (site {:?}, received {})",
                    meta.site,
                    aggregate::rfc3339(meta.received_at)
                )
            } else {
                String::new()
            };
            return Err(ApiError::Conflict(format!(
                "report id {:?} was stored before{before} with different content; a new scan needs a new id",
                meta.report_id,
            )));
        }
    };
    let mut resp = (status, Json(ingest_response(&meta))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

async fn summaries_for(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<crate::model::SiteSummary>, ApiError> {
    let mut latest = state.db(|s| s.latest_summaries()).await?;
    latest.retain(|s| caller.may_read(&s.meta.site));
    Ok(latest)
}

/// `GET /api/v1/sites`.
async fn list_sites(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    let latest = summaries_for(&state, &caller).await?;
    let view = aggregate::sites(&latest, state.clock.now(), &state.settings.staleness);
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
struct DetailQuery {
    trend: Option<u32>,
}

/// `GET /api/v1/sites/{site}`.
async fn site_detail(
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
    let (latest, trend) = state
        .db(move |st| Ok((st.latest_report(&s)?, st.trend(&s, limit)?)))
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
fn readable_site(caller: &Caller, site: &str) -> Result<(), ApiError> {
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

/// `GET /api/v1/sites/{site}/report`: the site's latest stored report, a
/// `lanready.report/v1` document, for the gate to judge by the same rule as the agent's.
async fn site_report(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    readable_site(&caller, &site)?;
    let s = site.clone();
    let latest = state
        .db(move |st| st.latest_report(&s))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no report for site {site:?}")))?;
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
        (STALE_AFTER_HEADER, f.stale_after_seconds.to_string()),
        (STALE_HEADER, f.stale.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}

/// Every site's card at store generation `generation` (read before calling), from the cache
/// when no report was stored since it was read.
async fn cards(
    state: &AppState,
    generation: u64,
) -> Result<Arc<Vec<crate::model::SiteLatest>>, ApiError> {
    let cached = state
        .cards
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let previous = match cached {
        Some((g, rows)) if g == generation => return Ok(rows),
        Some((_, rows)) => rows,
        None => Arc::default(),
    };
    // Only the cards of sites with a new latest report are parsed again.
    let rows = Arc::new(state.db(move |s| s.latest_cards_reusing(&previous)).await?);
    *state.cards.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation, rows.clone()));
    Ok(rows)
}

/// Builds the dashboard answer for `key` now: the cards, then the document, its bytes and
/// (when `gzip`) their gzip form on a blocking thread.
async fn build_dashboard(
    state: &AppState,
    key: &ScopeKey,
    gzip: bool,
) -> Result<Arc<dashcache::Body>, ApiError> {
    let _permit = state
        .dash
        .builds
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("dashboard build queue closed: {e}")))?;
    // The instant and the generation are read before the rows: a report stored meanwhile
    // counts as newer than this body.
    let built = std::time::Instant::now();
    let generation = state.store.generation();
    let rows = cards(state, generation).await?;
    let now = state.clock.now();
    let settings = state.settings.clone();
    let key = key.clone();
    let tag = state.dash.next_tag();
    let body = tokio::task::spawn_blocking(move || {
        dashcache::Body::build(
            &rows,
            &key,
            now,
            &settings.staleness,
            generation,
            built,
            gzip,
            tag,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(format!("dashboard task failed: {e}")))?
    .map_err(|e| ApiError::Internal(format!("serialising the dashboard: {e}")))?;
    Ok(Arc::new(body))
}

/// The dashboard answer for `scope`, from the cache when it is fresh enough (see
/// [`crate::dashcache`] for the rule).
async fn dashboard_body(
    state: &AppState,
    key: ScopeKey,
    slot: Arc<dashcache::Slot>,
) -> Result<Arc<dashcache::Body>, ApiError> {
    if let Some(body) = slot.current() {
        match body.freshness(state.store.generation(), state.clock.now()) {
            Freshness::Fresh => return Ok(body),
            Freshness::Stale => {
                // One rebuild in the background; this and other requests meanwhile get the
                // body in hand, which is younger than MAX_STALE.
                if let Ok(guard) = slot.rebuilding.clone().try_lock_owned() {
                    let (state, slot, key) = (state.clone(), slot.clone(), key.clone());
                    tokio::spawn(async move {
                        let _guard = guard;
                        match build_dashboard(&state, &key, slot.gzip_wanted()).await {
                            Ok(b) => slot.set(b),
                            Err(e) => {
                                if let ApiError::Internal(detail) = &e {
                                    tracing::error!(message = "Dashboard rebuild failed.", error = %detail);
                                }
                            }
                        }
                    });
                }
                return Ok(body);
            }
            Freshness::Unusable => {}
        }
    }
    // Nothing servable: wait for the rebuild in progress, if any, and use what it built, or
    // rebuild here.
    let _guard = slot.rebuilding.lock().await;
    if let Some(body) = slot.current()
        && body.freshness(state.store.generation(), state.clock.now()) == Freshness::Fresh
    {
        return Ok(body);
    }
    let body = build_dashboard(state, &key, slot.gzip_wanted()).await?;
    slot.set(body.clone());
    Ok(body)
}

/// `GET /api/v1/dashboard`: the cached answer for the token's scope, gzipped when the client
/// accepts it, 304 when `If-None-Match` names it.
async fn dashboard(
    State(state): State<AppState>,
    Authed(caller): Authed,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let gzip = dashcache::accepts_gzip(header_str(header::ACCEPT_ENCODING));
    let key = ScopeKey::of(&caller.scope);
    let slot = state.dash.slot(&key);
    if gzip {
        slot.want_gzip();
    }
    let body = dashboard_body(&state, key, slot).await?;
    let etag = body.etag(gzip);
    let mut resp = if dashcache::none_match(header_str(header::IF_NONE_MATCH), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let bytes = if body.has_gzip() {
            body.gzip()
        } else {
            // The first gzip request for this body compresses it, once.
            let b = body.clone();
            tokio::task::spawn_blocking(move || b.gzip())
                .await
                .map_err(|e| ApiError::Internal(format!("compressing the dashboard: {e}")))?
        };
        let mut r = bytes.into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        body.json.clone().into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::ETAG, etag);
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(resp)
}

/// `GET /metrics`.
async fn metrics_text(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    let latest = summaries_for(&state, &caller).await?;
    let sites = aggregate::sites(&latest, state.clock.now(), &state.settings.staleness);
    let weights: Vec<(u8, u32)> = latest
        .iter()
        .map(|s| (s.meta.score, s.user_ports))
        .collect();
    // The ingest counters count every site's reports: only for a token that reads them all.
    let counters = matches!(caller.scope, auth::SiteScope::All).then_some(&*state.counters);
    let text = metrics::render(&sites, aggregate::estate_score(&weights), counters);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `GET /`: the dashboard page. It carries no data, so it needs no token; the page itself
/// asks for one and sends it to the JSON API.
async fn page() -> Response {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(crate::DASHBOARD_HTML),
    )
        .into_response()
}
