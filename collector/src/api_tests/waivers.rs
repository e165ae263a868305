//! The waiver endpoints, and waivers in the programme, with a fixed clock.

use lanready_schema::programme::{ProgrammeResponse, Waiver, WaiverState, WaiversResponse};

use super::*;
use crate::programme::CalendarEntry;

fn waiver_body(site: &str, expires: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "site": site,
        "check": "voice_vlan.port",
        "port": "Gi1/0/*",
        "reason": "phones on this floor move in wave 3",
        "expires": expires,
        "by": "Jo Bloggs",
    }))
    .unwrap()
}

async fn add(f: &Fixture, token: &Token, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let (s, _, b) = send(f, "POST", "/api/v1/waivers", Some(token), Some(body)).await;
    (s, b)
}

async fn revoke(f: &Fixture, token: &Token, id: u64) -> (StatusCode, Vec<u8>) {
    let body = br#"{"by": "Ash"}"#.to_vec();
    let uri = format!("/api/v1/waivers/{id}/revoke");
    let (s, _, b) = send(f, "POST", &uri, Some(token), Some(body)).await;
    (s, b)
}

async fn listed(f: &Fixture, token: &Token, uri: &str) -> WaiversResponse {
    let (s, _, b) = send(f, "GET", uri, Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

#[tokio::test]
async fn waivers_are_added_by_the_sites_agent_token_and_kept_when_revoked() {
    let f = fixture();
    // The clock is 2026-01-01T01:00Z.
    let (s, b) = add(&f, &f.agent, waiver_body("hq", "2026-02-01")).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let w: Waiver = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        (w.state, w.created_via.as_str()),
        (WaiverState::InForce, "token agent-hq")
    );
    assert_eq!(w.port.as_deref(), Some("Gi1/0/*"));

    // A read-only token, or another site's agent, may not add one; nothing is stored.
    let (s, b) = add(&f, &f.reader, waiver_body("hq", "2026-02-01")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&b));
    let (s, _) = add(&f, &f.other, waiver_body("hq", "2026-02-01")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad fields: 422 with the field's name; bad JSON: 400.
    let (s, b) = add(&f, &f.agent, waiver_body("hq", "2027-06-01")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_of(&b).contains("more than a year"),
        "{}",
        error_of(&b)
    );
    let (s, b) = add(&f, &f.agent, waiver_body("hq", "2025-12-31")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&b).starts_with("expires:"), "{}", error_of(&b));
    let (s, _) = add(&f, &f.agent, b"{\"site\": \"hq\"}".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        listed(&f, &f.reader, "/api/v1/waivers").await.waivers.len(),
        1
    );

    // The other site's agent cannot see it; its own site's list is empty.
    let (s, _, _) = send(&f, "GET", "/api/v1/sites/hq/waivers", Some(&f.other), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        listed(&f, &f.other, "/api/v1/waivers")
            .await
            .waivers
            .is_empty()
    );

    // Revoked: kept, with who; a second revoke is a conflict; an unknown id 404.
    let (s, b) = revoke(&f, &f.agent, w.id).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let (s, _) = revoke(&f, &f.agent, w.id).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = revoke(&f, &f.agent, 999).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let all = listed(&f, &f.agent, "/api/v1/sites/hq/waivers").await;
    assert_eq!(all.waivers.len(), 1);
    assert_eq!(all.waivers[0].state, WaiverState::Revoked);
    assert_eq!(all.waivers[0].revoked_by.as_deref(), Some("Ash"));
}

async fn programme_doc(f: &Fixture) -> ProgrammeResponse {
    let (_, _, b) = send(f, "GET", "/api/v1/programme", Some(&f.reader), None).await;
    serde_json::from_slice(&b).unwrap()
}

#[tokio::test]
async fn a_waiver_is_in_the_programme_until_its_expiry_day() {
    let f = fixture();
    let cal = CalendarEntry::parse("hq", "2026-01-20", None, None, None).unwrap();
    f.state.store.set_calendar(&[cal], t(0)).unwrap();
    let (s, _) = add(&f, &f.agent, waiver_body("hq", "2026-01-10")).await;
    assert_eq!(s, StatusCode::CREATED);
    // One blocker the waiver's glob covers (Gi1/0/*), one it does not.
    let failing = ["Gi1/0/5", "Gi2/0/5"]
        .iter()
        .map(|p| {
            finding(
                "voice_vlan.port",
                Severity::Blocker,
                Status::Fail,
                "127.0.0.1:1161",
                Some(p),
            )
        })
        .collect();
    let r = with_failing(report("w1", "hq", &at(0), 40), Verdict::NotReady, failing);
    store(&f, &f.agent, &r).await;
    let judged = |p: &ProgrammeResponse| (p.sites[0].waivers.len(), p.sites[0].blockers);
    assert_eq!(judged(&programme_doc(&f).await), (1, Some(1)));
    // 23:59 UTC on the 9th: still in force. Midnight UTC on the 10th: expired, and the
    // waived blocker counts again.
    f.clock.set(t(9 * 86_400 - 60));
    assert_eq!(judged(&programme_doc(&f).await), (1, Some(1)));
    f.clock.set(t(9 * 86_400));
    let p = programme_doc(&f).await;
    assert_eq!(judged(&p), (0, Some(2)));
    // The burn-down is the blockers as reported.
    assert_eq!(p.sites[0].burndown[0].blockers, 2);
    let all = listed(&f, &f.reader, "/api/v1/waivers?site=hq").await;
    assert_eq!(all.waivers[0].state, WaiverState::Expired);
}

/// hq's verdict and blockers (with its card's top blocker groups) as the site list, the
/// detail, the dashboard and `/metrics` (its not-ready site count for the verdict) give
/// them. Waits out the dashboard's documented staleness first.
async fn judged_views(f: &Fixture) -> Vec<(String, u32)> {
    tokio::time::sleep(crate::dashcache::MAX_STALE).await;
    let get = |uri: &'static str| async move {
        let (s, _, b) = send(f, "GET", uri, Some(&f.reader), None).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
        b
    };
    let sites: serde_json::Value = serde_json::from_slice(&get("/api/v1/sites").await).unwrap();
    let detail: serde_json::Value = serde_json::from_slice(&get("/api/v1/sites/hq").await).unwrap();
    let dash: serde_json::Value = serde_json::from_slice(&get("/api/v1/dashboard").await).unwrap();
    let metrics = String::from_utf8(get("/metrics").await).unwrap();
    let row = &sites["sites"][0];
    let card = dash["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"] == "hq")
        .unwrap();
    let gauge = |prefix: &str| -> u32 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
            .trim()
            .parse()
            .unwrap()
    };
    let n = |v: &serde_json::Value| v.as_u64().unwrap() as u32;
    vec![
        (row["verdict"].as_str().unwrap().into(), n(&row["blockers"])),
        (
            detail["verdict"].as_str().unwrap().into(),
            n(&detail["counts"]["blockers"]),
        ),
        (
            card["verdict"].as_str().unwrap().into(),
            n(&card["counts"]["blockers"]) + card["top_blockers"].as_array().unwrap().len() as u32,
        ),
        (
            format!(
                "{} not ready",
                gauge("lanready_sites{verdict=\"not_ready\"} ")
            ),
            gauge("lanready_site_blockers{site=\"hq\"} "),
        ),
    ]
}

#[tokio::test]
async fn waived_findings_leave_the_verdict_in_every_view_until_revoked() {
    let f = fixture();
    store(&f, &f.agent, &voice_blocked("h1", "hq", 0, 2)).await;
    let before = judged_views(&f).await;
    assert_eq!(
        before,
        vec![
            ("not_ready".to_string(), 2),
            ("not_ready".to_string(), 2),
            ("not_ready".to_string(), 3),
            ("1 not ready".to_string(), 2)
        ]
    );
    let (s, b) = add(&f, &f.agent, waiver_body("hq", "2026-02-01")).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let id = serde_json::from_slice::<Waiver>(&b).unwrap().id;
    let waived = judged_views(&f).await;
    // Judged again without the two sockets: no blocker left; the score decides the rest.
    let verdict = waived[0].0.clone();
    assert_ne!(verdict, "not_ready");
    assert_eq!(
        waived,
        vec![
            (verdict.clone(), 0),
            (verdict.clone(), 0),
            (verdict, 0),
            ("0 not ready".to_string(), 0)
        ]
    );
    // The detail keeps each waived finding as reported, for the page to show with its waiver.
    let (_, _, b) = send(&f, "GET", "/api/v1/sites/hq", Some(&f.reader), None).await;
    let detail: serde_json::Value = serde_json::from_slice(&b).unwrap();
    let failing = detail["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["check"] == "voice_vlan.port")
        .count();
    assert_eq!(failing, 2);

    // Revoking by a read-only token, by another site's agent (to which the waiver does not
    // exist), with no `by` or a body that is not JSON, is refused.
    let uri = format!("/api/v1/waivers/{id}/revoke");
    for (token, body, want) in [
        (
            &f.reader,
            br#"{"by": "Ash"}"#.to_vec(),
            StatusCode::FORBIDDEN,
        ),
        (
            &f.other,
            br#"{"by": "Ash"}"#.to_vec(),
            StatusCode::NOT_FOUND,
        ),
        (
            &f.agent,
            br#"{"by": " "}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (&f.agent, b"not json".to_vec(), StatusCode::BAD_REQUEST),
    ] {
        let (s, _, b) = send(&f, "POST", &uri, Some(token), Some(body)).await;
        assert_eq!(s, want, "{}", String::from_utf8_lossy(&b));
    }
    assert_eq!(
        judged_views(&f).await,
        waived,
        "a refused revoke changes nothing"
    );
    let (s, _) = revoke(&f, &f.agent, id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(judged_views(&f).await, before);
}
