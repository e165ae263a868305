//! `GET /api/v1/programme`: the cutover calendar's sites that the caller may read, each with
//! its readiness and projection.

use super::*;
use crate::programme::{self, SiteFacts};

/// `GET /api/v1/programme`.
pub(super) async fn programme(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let facts = state
        .db(move |st| {
            let latest: std::collections::BTreeMap<String, _> = st
                .latest_summaries()?
                .into_iter()
                .map(|s| (s.meta.site.clone(), s.meta))
                .collect();
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
                    entry,
                    latest: last,
                    week_ago,
                    window_first,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(Json(programme::document(facts, now)).into_response())
}
