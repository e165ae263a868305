//! `GET /api/v1/programme`: the cutover calendar's sites that the caller may read, each with
//! its readiness and projection.

use super::judged::waivers_by_site;
use super::*;
use crate::programme::{self, SiteFacts};

use crate::store::BySite;

/// Every site's regressions found since `t`, as documents.
fn regressions_by_site(
    st: &Store,
    t: OffsetDateTime,
) -> Result<BySite<lanready_schema::programme::RegressionDoc>, StoreError> {
    let mut out: BySite<_> = Default::default();
    for r in st.regressions_since(t)? {
        out.entry(r.site.clone())
            .or_default()
            .push(programme::regression_doc(&r));
    }
    Ok(out)
}

/// `GET /api/v1/programme`.
pub(super) async fn programme(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    Ok(Json(document(&state, caller).await?).into_response())
}

/// The programme document for what `caller` may read: from every calendar site's facts,
/// gathered once per store generation and clock hour (a report stored, a waiver added or
/// revoked, the calendar changed through this process, or the hour turning, gathers them
/// again), then cut to the caller's sites.
pub(super) async fn document(
    state: &AppState,
    caller: Caller,
) -> Result<lanready_schema::programme::ProgrammeResponse, ApiError> {
    let now = state.clock.now();
    let facts = all_facts(state, now).await?;
    let mine: Vec<SiteFacts> = facts
        .iter()
        .filter(|f| caller.may_read(&f.entry.site))
        .cloned()
        .collect();
    Ok(programme::document(mine, now))
}

/// Every calendar site's facts at `now`, from the cache when they are of this generation
/// and hour.
async fn all_facts(state: &AppState, now: OffsetDateTime) -> Result<Arc<Vec<SiteFacts>>, ApiError> {
    // The generation is read before the facts: a report stored meanwhile makes them older.
    let generation = state.store.generation();
    let hour = now.unix_timestamp().div_euclid(3600);
    if let Some(c) = state
        .programme_facts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .filter(|c| c.generation == generation && c.hour == hour)
    {
        return Ok(c.facts.clone());
    }
    let facts = state
        .db(move |st| {
            let mut latest: std::collections::BTreeMap<String, _> = st
                .latest_summaries()?
                .into_iter()
                .map(|s| (s.meta.site.clone(), s))
                .collect();
            let mut waivers = waivers_by_site(st, now, true)?;
            let mut regressions = regressions_by_site(st, programme::week_before(now))?;
            let mut sites = Vec::new();
            for entry in st.calendar()? {
                let site_waivers = waivers.remove(&entry.site).unwrap_or_default();
                // Waivers in force take their findings out of the verdict here as in the
                // gate (see `judged`); the blockers as stored are kept for the burn-down rate.
                let (last, stored_blockers) = match latest.remove(&entry.site) {
                    Some(mut s) => {
                        let stored = s.meta.blockers;
                        let waived = super::judged::judge(st, &mut s, &site_waivers)?.is_some();
                        let m = &s.meta;
                        let p = programme::Point {
                            at: m.generated_at,
                            blockers: m.blockers,
                        };
                        (Some((p, m.verdict, m.score)), waived.then_some(stored))
                    }
                    None => (None, None),
                };
                sites.push((entry, site_waivers, last, stored_blockers));
            }
            let asked: Vec<(&str, Option<OffsetDateTime>)> = sites
                .iter()
                .map(|(e, _, last, _)| (e.site.as_str(), last.map(|(p, _, _)| p.at)))
                .collect();
            let histories = st.histories(
                &asked,
                programme::week_before(now),
                programme::burndown_start(crate::waiver::today(now)),
            )?;
            let mut out = Vec::with_capacity(sites.len());
            for ((entry, site_waivers, last, stored_blockers), h) in
                sites.into_iter().zip(histories)
            {
                out.push(SiteFacts {
                    waivers: site_waivers,
                    regressions: regressions.remove(&entry.site).unwrap_or_default(),
                    burndown: h.burndown,
                    entry,
                    latest: last,
                    latest_stored_blockers: stored_blockers,
                    week_ago: h.week_ago,
                    window_first: h.window_first,
                });
            }
            Ok(out)
        })
        .await?;
    let facts = Arc::new(facts);
    *state
        .programme_facts
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(super::CachedFacts {
        generation,
        hour,
        facts: facts.clone(),
    });
    Ok(facts)
}

/// The longest period a weekly report covers.
const MAX_WEEKLY_PERIOD: std::time::Duration = std::time::Duration::from_secs(90 * 86_400);

#[derive(Deserialize)]
pub(super) struct WeeklyQuery {
    since: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/programme/weekly?since=7d&format=md|html|csv`.
pub(super) async fn weekly(
    State(state): State<AppState>,
    Authed(caller): Authed,
    query: Result<Query<WeeklyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))?;
    let period = match q.since.as_deref() {
        None => std::time::Duration::from_secs(7 * 86_400),
        Some(text) => humantime::parse_duration(text.trim())
            .ok()
            .filter(|d| !d.is_zero() && *d <= MAX_WEEKLY_PERIOD)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "since={text:?} is not a period like 7d or 14d, at most 90d"
                ))
            })?,
    };
    let format = q.format.as_deref().unwrap_or("md");
    let content_type = match format {
        "md" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        other => {
            return Err(ApiError::BadRequest(format!(
                "format={other:?} is not md, html or csv"
            )));
        }
    };
    let now = state.clock.now();
    let since = now - period;
    // Each site's part is made as its two reports are read, so only one site's reports are
    // held at a time (1,000 sites' pairs would be about 60 MB of JSON parsed at once).
    let sites = state
        .db(move |st| {
            let mut waivers = waivers_by_site(st, now, false)?;
            let mut regressions = regressions_by_site(st, since)?;
            let mut out = Vec::new();
            for entry in st.calendar()? {
                if !caller.may_read(&entry.site) {
                    continue;
                }
                let facts = crate::weekly::WeeklyFacts {
                    now: st.latest_report(&entry.site)?.map(|r| r.report),
                    then: st
                        .report_at_or_before(&entry.site, since)?
                        .map(|r| r.report),
                    waivers: waivers.remove(&entry.site).unwrap_or_default(),
                    regressions: regressions.remove(&entry.site).unwrap_or_default(),
                    entry,
                };
                out.push(crate::weekly::site(facts, now, since));
            }
            Ok(out)
        })
        .await?;
    let w = crate::weekly::assemble(sites, now, since);
    let body = match format {
        "html" => crate::weekly::html(&w),
        "csv" => crate::weekly::csv(&w),
        _ => crate::weekly::markdown(&w),
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
