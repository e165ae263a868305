//! `GET /api/v1/programme`: the cutover calendar's sites that the caller may read, each with
//! its readiness and projection.

use super::*;
use crate::programme::{self, SiteFacts};
use lanready_schema::programme::WaiverState;

/// `GET /api/v1/programme`.
pub(super) async fn programme(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    Ok(Json(document(&state, caller).await?).into_response())
}

/// The programme document for what `caller` may read.
pub(super) async fn document(
    state: &AppState,
    caller: Caller,
) -> Result<lanready_schema::programme::ProgrammeResponse, ApiError> {
    let now = state.clock.now();
    let facts = state
        .db(move |st| {
            let latest: std::collections::BTreeMap<String, _> = st
                .latest_summaries()?
                .into_iter()
                .map(|s| (s.meta.site.clone(), s.meta))
                .collect();
            let today = crate::waiver::today(now);
            let mut waivers: std::collections::BTreeMap<String, Vec<_>> = Default::default();
            for w in st.waivers(None)? {
                let doc = crate::waiver::document(&w, today);
                if doc.state == WaiverState::InForce {
                    waivers.entry(doc.site.clone()).or_default().push(doc);
                }
            }
            let mut regressions: std::collections::BTreeMap<String, Vec<_>> = Default::default();
            for r in st.regressions_since(programme::week_before(now))? {
                regressions
                    .entry(r.site.clone())
                    .or_default()
                    .push(programme::regression_doc(&r));
            }
            let mut out = Vec::new();
            for entry in st.calendar()? {
                if !caller.may_read(&entry.site) {
                    continue;
                }
                let last = latest.get(&entry.site).map(|m| {
                    let p = programme::Point {
                        at: m.generated_at,
                        blockers: m.blockers,
                    };
                    (p, m.verdict, m.score)
                });
                let (week_ago, window_first) = match last {
                    None => (None, None),
                    Some((p, _, _)) => {
                        let start = programme::window_start(p.at);
                        let first = match st.blockers_at(&entry.site, start)? {
                            Some(f) => Some(f),
                            None => st.first_blockers_since(&entry.site, start)?,
                        };
                        (
                            st.blockers_at(&entry.site, programme::week_before(now))?,
                            first,
                        )
                    }
                };
                out.push(SiteFacts {
                    waivers: waivers.remove(&entry.site).unwrap_or_default(),
                    regressions: regressions.remove(&entry.site).unwrap_or_default(),
                    entry,
                    latest: last,
                    week_ago,
                    window_first,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(programme::document(facts, now))
}
