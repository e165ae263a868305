//! `GET /api/v1/dashboard`: every readable site's row from the cards kept at ingest,
//! served from the per-scope cache (`crate::dashcache`).

use super::*;

/// Every site's card at store generation `generation` (read before calling), judged with
/// the waivers in force on `now`'s day, from the cache when no report was stored and no
/// waiver changed since it was read that day.
pub(super) async fn cards(
    state: &AppState,
    generation: u64,
    now: OffsetDateTime,
) -> Result<Arc<Vec<crate::model::SiteLatest>>, ApiError> {
    let day = crate::waiver::today(now);
    let previous = {
        let cached = state.cards.lock().unwrap_or_else(|p| p.into_inner());
        match cached.as_ref() {
            Some(c) if c.generation == generation && c.day == day => return Ok(c.judged.clone()),
            Some(c) => c.stored.clone(),
            None => Arc::default(),
        }
    };
    // Only the cards of sites with a new latest report are parsed again; only sites with a
    // waiver in force are read whole.
    let (stored, judged) = state
        .db(move |s| {
            let stored = Arc::new(s.latest_cards_reusing(&previous)?);
            let judged = match super::judged::cards(s, &stored, now)? {
                Some(rows) => Arc::new(rows),
                None => stored.clone(),
            };
            Ok((stored, judged))
        })
        .await?;
    *state.cards.lock().unwrap_or_else(|p| p.into_inner()) = Some(super::CachedCards {
        generation,
        day,
        stored,
        judged: judged.clone(),
    });
    Ok(judged)
}

/// Builds the dashboard answer for `key` now: the cards, then the document, its bytes and
/// (when `gzip`) their gzip form on a blocking thread.
pub(super) async fn build_dashboard(
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
    let now = state.clock.now();
    let rows = cards(state, generation, now).await?;
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
pub(super) async fn dashboard_body(
    state: &AppState,
    key: ScopeKey,
    slot: Arc<dashcache::Slot>,
) -> Result<Arc<dashcache::Body>, ApiError> {
    if let Some(body) = slot.current() {
        match body.freshness(state.store.generation(), state.clock.now()) {
            BodyAge::Fresh => return Ok(body),
            BodyAge::Stale => {
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
            BodyAge::Unusable => {}
        }
    }
    // Nothing servable: wait for the rebuild in progress, if any, and use what it built, or
    // rebuild here.
    let _guard = slot.rebuilding.lock().await;
    if let Some(body) = slot.current()
        && body.freshness(state.store.generation(), state.clock.now()) == BodyAge::Fresh
    {
        return Ok(body);
    }
    let body = build_dashboard(state, &key, slot.gzip_wanted()).await?;
    slot.set(body.clone());
    Ok(body)
}

/// `GET /api/v1/dashboard`: the cached answer for the token's scope, gzipped when the client
/// accepts it, 304 when `If-None-Match` names it.
pub(super) async fn dashboard(
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
    slot.touch();
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

/// Keeps the recently asked scopes' bodies warm (see [`dashcache::WARM_FOR`]): each tick,
/// a warm scope whose body is no longer fresh is rebuilt in the background, one build at a
/// time (the same queue requests use), so a poll never waits for one. Runs until the
/// process ends; `serve` starts it.
pub async fn keep_warm(state: AppState) {
    let mut tick = tokio::time::interval(dashcache::WARM_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for (key, slot) in state.dash.warm() {
            let fresh = slot.current().is_some_and(|b| {
                b.freshness(state.store.generation(), state.clock.now()) == BodyAge::Fresh
            });
            if fresh {
                continue;
            }
            let Ok(_guard) = slot.rebuilding.clone().try_lock_owned() else {
                continue;
            };
            match build_dashboard(&state, &key, slot.gzip_wanted()).await {
                Ok(b) => slot.set(b),
                Err(ApiError::Internal(detail)) => {
                    tracing::error!(message = "Dashboard rebuild failed.", error = %detail);
                }
                Err(_) => {}
            }
        }
    }
}
