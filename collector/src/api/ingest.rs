//! `POST /api/v1/reports`: the token from the headers before the body, the body's arrival
//! timed and bounded, the report checked (shape, names, dates, its judgement against its
//! findings), stored, and answered only once it is on disk.

use super::*;

/// Only the `schema` field, read before the whole report so an unknown version gets a
/// message about the version rather than about fields it does not know.
#[derive(Deserialize)]
pub(super) struct SchemaProbe {
    schema: Option<serde_json::Value>,
}

pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
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
pub(super) async fn read_body(
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
pub(super) fn parse_report(body: &[u8]) -> Result<Report, ApiError> {
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
pub(super) fn shown(name: &str) -> String {
    const MAX: usize = 80;
    match name.char_indices().nth(MAX) {
        None => format!("{name:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes)", &name[..cut], name.len()),
    }
}

/// Checks what the JSON shape cannot: names, time, ranges. Returns the scan time.
pub(super) fn check_report(r: &Report, now: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
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

pub(super) fn ingest_response(m: &ReportMeta) -> IngestResponse {
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
pub(super) async fn ingest(
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

pub(super) async fn ingest_inner(
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
        previous: None,
    };
    // Regressions are found here, on a read connection and on any core, against the site's
    // report scanned before this one; the writer only stores them.
    let (outcome, regressions) = state
        .db(move |s| {
            let mut new = new;
            new.previous = s
                .previous_basis(&new.report.site, new.generated_at)?
                .map(|(id, before)| (id, crate::regression::between(&before, &new.report)));
            let found = new.previous.as_ref().map_or(0, |(_, f)| f.len());
            Ok((s.insert_report(new)?, found))
        })
        .await?;
    let location = format!("/api/v1/sites/{}", report.site);
    let (status, meta) = match outcome {
        Inserted::New(meta) => {
            state.counters.stored();
            if regressions > 0 {
                // Stored and committed: the webhook task (if any) may send them now.
                state.regressions_found.notify_one();
            }
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
