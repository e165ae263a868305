//! lanready-collector: receives site reports, keeps history, aggregates readiness per site,
//! serves the dashboard and answers the cutover gate.
//!
//! The data path: `api` (HTTP, auth, ingest) → `store` (SQLite) → `aggregate` (pure: the
//! read API's documents, `lanready_schema::api`) → `metrics` / the dashboard page / `gate` (a
//! client). `programme` is the rollout calendar and its projection.
//!
//! **Architecture invariant:** the store is only called from blocking tasks, never on the
//! async runtime; `aggregate` does no I/O and reads no clock.

pub mod admin;
pub mod aggregate;
pub mod api;
pub mod auth;
pub mod clock;
pub mod dashcache;
pub mod gate;
pub mod guard;
pub mod metrics;
pub mod model;
pub mod programme;
pub mod regression;
pub mod store;
pub mod tls;
pub mod validate;
pub mod waiver;
pub mod webhook;
pub mod weekly;

#[cfg(test)]
mod api_tests;
#[cfg(test)]
mod testutil;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use api::{AppState, Settings, app};

/// The dashboard page: one self-contained HTML file (inline CSS and JS, no external
/// resources).
pub const DASHBOARD_HTML: &str = include_str!("dashboard.html");

/// How often the retention task prunes history.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Serves `app(state)` on `listener` (a `TcpListener`, or a [`tls::TlsListener`]) until `shutdown` completes. With `retention`, history
/// older than that is pruned at start and every [`PRUNE_EVERY`] (each site's latest report
/// is always kept).
pub async fn serve<L>(
    listener: L,
    state: AppState,
    retention: Option<Duration>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let pruner = retention.map(|keep| {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRUNE_EVERY);
            loop {
                tick.tick().await;
                prune_once(&state, keep).await;
            }
        })
    });
    // The dashboard bodies of recently polled scopes are rebuilt ahead of their polls.
    let warmer = tokio::spawn(api::keep_warm(state.clone()));
    let limits = state.settings.limits;
    let result = axum::serve(guard::Guarded::new(listener, limits), app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    warmer.abort();
    if let Some(p) = pruner {
        p.abort();
    }
    result
}

/// Prunes history older than `keep` once, logging the outcome.
pub async fn prune_once(state: &AppState, keep: Duration) {
    let cutoff = state.clock.now() - keep;
    let store = Arc::clone(&state.store);
    match tokio::task::spawn_blocking(move || store.prune(cutoff)).await {
        Ok(Ok(n)) => {
            tracing::info!(message = "History pruned.", deleted = n, cutoff = %aggregate::rfc3339(cutoff))
        }
        Ok(Err(e)) => tracing::error!(message = "Pruning failed.", error = %e),
        Err(e) => tracing::error!(message = "Pruning task failed.", error = %e),
    }
}
