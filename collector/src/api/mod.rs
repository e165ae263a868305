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
use crate::dashcache::{self, BodyAge, DashCache, ScopeKey};
use crate::metrics::{self, IngestCounters, RejectReason};
use crate::store::{Inserted, NewReport, ReportMeta, Store, StoreError};
use crate::validate;
use lanready_schema::api::{ErrorBody, IngestResponse};

mod dashboard;
mod ingest;
mod judged;
mod programme;
mod read;
mod waivers;
mod works;

use dashboard::dashboard;
pub use dashboard::keep_warm;
use ingest::ingest;
use ingest::shown;
use programme::programme;
pub use read::{AGE_HEADER, CUTOVER_HEADER, STALE_AFTER_HEADER, STALE_HEADER};
use read::{list_sites, readable_site, site_detail, site_report, summaries_for};

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

/// Every site's dashboard card as stored and as judged with the waivers in force, with the
/// store generation and the (UTC) day they were read at.
struct CachedCards {
    generation: u64,
    day: time::Date,
    stored: Arc<Vec<crate::model::SiteLatest>>,
    judged: Arc<Vec<crate::model::SiteLatest>>,
}

/// Every calendar site's programme facts, with the store generation and the clock hour they
/// were gathered at (see [`programme::document`]).
struct CachedFacts {
    generation: u64,
    hour: i64,
    facts: Arc<Vec<crate::programme::SiteFacts>>,
}

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
    /// Every site's dashboard card and trend, tagged with the store generation and day it
    /// was read at; reread when a report is stored or a waiver changes, and each day.
    cards: Arc<std::sync::Mutex<Option<CachedCards>>>,
    /// The programme's facts of every calendar site, reread when a report is stored, a
    /// waiver or the calendar changes, and each hour.
    programme_facts: Arc<std::sync::Mutex<Option<CachedFacts>>>,
    /// The serialised dashboard answer per token scope (see [`crate::dashcache`]).
    dash: Arc<DashCache>,
    /// Bytes of report bodies being received now, as permits (one per KiB).
    inflight: Arc<tokio::sync::Semaphore>,
    /// Told after a report with regressions is stored: wakes the webhook task, if any
    /// (ingest never waits for it).
    pub regressions_found: Arc<tokio::sync::Notify>,
    /// The webhook task's cursor and failures, for `/metrics`.
    pub webhook: Arc<crate::webhook::WebhookStats>,
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
            programme_facts: Arc::default(),
            dash: Arc::default(),
            inflight: Arc::new(tokio::sync::Semaphore::new(permits as usize)),
            regressions_found: Arc::default(),
            webhook: Arc::default(),
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
        .route("/api/v1/sites/{site}/works", get(works::site_works))
        .route("/api/v1/sites/{site}/config", get(works::site_config))
        .route("/api/v1/works", get(works::estate_works))
        .route("/api/v1/dashboard", get(dashboard))
        .route("/api/v1/programme", get(programme))
        .route("/api/v1/programme/weekly", get(programme::weekly))
        .route("/api/v1/waivers", get(waivers::list_waivers))
        .route("/api/v1/sites/{site}/waivers", get(waivers::site_waivers))
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
        .route(
            "/api/v1/waivers",
            post(waivers::add_waiver).layer(DefaultBodyLimit::max(waivers::MAX_WAIVER_BODY)),
        )
        .route(
            "/api/v1/waivers/{id}/revoke",
            post(waivers::revoke_waiver).layer(DefaultBodyLimit::max(waivers::MAX_WAIVER_BODY)),
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
    let programme = programme::document(&state, caller).await?;
    let mut text = metrics::render(
        &sites,
        aggregate::estate_score(&weights),
        counters,
        Some(&programme),
    );
    // The webhook's spool holds every site's regressions: for a token that reads them all.
    if let (Some(_), Some(cursor)) = (counters, state.webhook.cursor()) {
        let pending = state.db(move |s| s.regressions_pending(cursor)).await?;
        metrics::webhook_gauges(&mut text, pending, state.webhook.failures_total());
    }
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
