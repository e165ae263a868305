//! The bill of works and the configuration download, from a real scan's report (the golden
//! report of the stack3 fixture: a member short of PoE, a failed supply).

use super::*;

fn golden_report(site: &str) -> Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/golden/report-poe-budget.json"
    );
    let mut r: Report = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    r.site = site.into();
    r.generated_at = at(3000);
    r
}

#[tokio::test]
async fn a_sites_bill_of_works_and_configuration_in_every_format() {
    let f = fixture();
    let r = golden_report("hq");
    store(&f, &f.agent, &r).await;
    let want = lanready_works::bill::bill(&r);

    let (s, h, b) = send(&f, "GET", "/api/v1/sites/hq/works", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    let got: lanready_schema::works::Works = serde_json::from_slice(&b).unwrap();
    assert_eq!(got, want);
    assert_eq!(got.schema, "lanready.works/v1");
    assert!(
        got.hardware
            .iter()
            .any(|l| l.item == "poe_power" && l.member == Some(2))
    );

    let (s, h, b) = send(
        &f,
        "GET",
        "/api/v1/sites/hq/works?format=csv",
        Some(&f.reader),
        None,
    )
    .await;
    assert_eq!(
        (s, h[header::CONTENT_TYPE].to_str().unwrap()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert_eq!(
        String::from_utf8(b).unwrap(),
        lanready_works::render::csv(&want)
    );
    let (s, _, b) = send(
        &f,
        "GET",
        "/api/v1/sites/hq/works?format=md",
        Some(&f.reader),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        String::from_utf8(b)
            .unwrap()
            .starts_with("# Bill of works: hq")
    );

    // The configuration: the whole site, one switch, and a switch the report lacks.
    let (s, h, b) = send(&f, "GET", "/api/v1/sites/hq/config", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        String::from_utf8(b).unwrap(),
        lanready_works::config::merged_config(&r)
    );
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("lanready-hq.ios")
    );
    let sw = &r.switches[0].address;
    let uri = format!("/api/v1/sites/hq/config?switch={}", sw.replace(':', "%3A"));
    let (s, _, b) = send(&f, "GET", &uri, Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(text.contains("stack-power switch 2"), "{text}");
    let (s, _, b) = send(
        &f,
        "GET",
        "/api/v1/sites/hq/config?switch=127.0.0.9%3A161",
        Some(&f.reader),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(error_of(&b).contains("no switch"), "{}", error_of(&b));

    // The estate: the one readable site, its totals the estate's.
    let (s, _, b) = send(&f, "GET", "/api/v1/works", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    let e: lanready_schema::works::EstateWorks = serde_json::from_slice(&b).unwrap();
    assert_eq!(e.schema, "lanready.estate-works/v1");
    assert_eq!(e.sites.len(), 1);
    assert_eq!(e.totals, want.totals);
    let (s, _, b) = send(&f, "GET", "/api/v1/works?format=csv", Some(&f.reader), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        String::from_utf8(b).unwrap().lines().count(),
        3,
        "header, hq, the estate"
    );
    // A token for another site sees an empty estate, and may not read hq's bill.
    let (_, _, b) = send(&f, "GET", "/api/v1/works", Some(&f.other), None).await;
    let e: lanready_schema::works::EstateWorks = serde_json::from_slice(&b).unwrap();
    assert!(e.sites.is_empty());
}

#[tokio::test]
async fn bad_sites_tokens_and_formats_are_clear_4xx() {
    let f = fixture();
    store(&f, &f.agent, &golden_report("hq")).await;
    for (uri, token, status, words) in [
        ("/api/v1/sites/hq/works", None, StatusCode::UNAUTHORIZED, ""),
        (
            "/api/v1/sites/hq/works",
            Some(&f.other),
            StatusCode::FORBIDDEN,
            "may not read site \"hq\"",
        ),
        (
            "/api/v1/sites/hq/config",
            Some(&f.other),
            StatusCode::FORBIDDEN,
            "may not read",
        ),
        (
            "/api/v1/sites/bad%20name/works",
            Some(&f.reader),
            StatusCode::BAD_REQUEST,
            "bad name",
        ),
        (
            "/api/v1/sites/branch/works",
            Some(&f.reader),
            StatusCode::NOT_FOUND,
            "no report for site \"branch\"",
        ),
        (
            "/api/v1/sites/hq/works?format=pdf",
            Some(&f.reader),
            StatusCode::BAD_REQUEST,
            "not json, csv or md",
        ),
        (
            "/api/v1/works?format=xml",
            Some(&f.reader),
            StatusCode::BAD_REQUEST,
            "not json, csv or md",
        ),
        ("/api/v1/works", None, StatusCode::UNAUTHORIZED, ""),
    ] {
        let (s, _, b) = send(&f, "GET", uri, token, None).await;
        assert_eq!(s, status, "{uri}: {}", String::from_utf8_lossy(&b));
        if !words.is_empty() {
            assert!(error_of(&b).contains(words), "{uri}: {}", error_of(&b));
        }
    }
}
