//! Keeps docs/api.md honest: every JSON Schema in it is checked against what the collector
//! really answers (ingest, sites, site, dashboard, error), with a small validator for the
//! subset of JSON Schema the document uses.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use lanready_collector::aggregate::Staleness;
use lanready_collector::auth::{SiteScope, Token, TokenKind};
use lanready_collector::clock::FixedClock;
use lanready_collector::programme::CalendarEntry;
use lanready_collector::store::Store;
use lanready_collector::waiver::NewWaiver;
use lanready_collector::{AppState, Settings, app};
use lanready_schema::{Counts, Evidence, Finding, PoeBudget, Report, Severity, Status, Verdict};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;

/// The schemas of docs/api.md by the name in their `<!-- schema: NAME -->` marker.
fn doc_schemas() -> BTreeMap<String, Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
    let doc = std::fs::read_to_string(path).expect("reading docs/api.md");
    let mut out = BTreeMap::new();
    for (i, _) in doc.match_indices("<!-- schema: ") {
        let rest = &doc[i + "<!-- schema: ".len()..];
        let name = &rest[..rest.find(" -->").unwrap()];
        let start = rest.find("```json\n").unwrap() + "```json\n".len();
        let len = rest[start..].find("\n```").unwrap();
        let schema: Value = serde_json::from_str(&rest[start..start + len])
            .unwrap_or_else(|e| panic!("schema {name} in docs/api.md is not JSON: {e}"));
        out.insert(name.to_string(), schema);
    }
    out
}

struct Validator<'a> {
    defs: &'a Value,
}

impl Validator<'_> {
    fn check(&self, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("only #/$defs/ refs");
            let def = self
                .defs
                .get(name)
                .unwrap_or_else(|| panic!("no $defs/{name}"));
            return self.check(def, v, at, errs);
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errs.push(format!("{at}: {v} is not {c}"));
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => panic!("bad type at {at}"),
            };
            let ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "boolean" => v.is_boolean(),
                "number" => v.is_number(),
                "null" => v.is_null(),
                other => panic!("type {other} unsupported"),
            });
            if !ok {
                errs.push(format!("{at}: {v} is not {types:?}"));
                return;
            }
        }
        if let Some(n) = v.as_i64() {
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64)
                && n < min
            {
                errs.push(format!("{at}: {n} < {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64)
                && n > max
            {
                errs.push(format!("{at}: {n} > {max}"));
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time")
            && let Some(s) = v.as_str()
            && OffsetDateTime::parse(s, &Rfc3339).is_err()
        {
            errs.push(format!("{at}: {s:?} is not RFC 3339"));
        }
        if schema.get("format").and_then(Value::as_str) == Some("date")
            && let Some(s) = v.as_str()
            && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                .is_err()
        {
            errs.push(format!("{at}: {s:?} is not a day YYYY-MM-DD"));
        }
        if let Some(obj) = v.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    errs.push(format!("{at}: missing required {r}"));
                }
            }
            for (k, val) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.check(s, val, &format!("{at}.{k}"), errs),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errs.push(format!("{at}: undocumented field {k}"))
                    }
                    None => {}
                }
            }
            // Every documented property is also required, so the document lists no field
            // the collector never sends.
            if let Some(p) = props {
                let req: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for k in p.keys() {
                    if !req.contains(&k.as_str()) {
                        errs.push(format!("{at}: documented {k} is not required"));
                    }
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for (i, x) in arr.iter().enumerate() {
                self.check(items, x, &format!("{at}[{i}]"), errs);
            }
        }
    }
}

fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600 + secs).unwrap()
}

fn report(id: &str, at: i64, score: u8, verdict: Verdict) -> Report {
    let at = t(at).format(&Rfc3339).unwrap();
    let mut report = lanready_schema::sample::skeleton(id, "hq", &at, score, verdict);
    report.agent = "station".into();
    report.plan.phone_budget_mw = 6300;
    report.plan.poe_headroom_pct = 15;
    let sw = &mut report.switches[0];
    sw.address = "127.0.0.1:161".into();
    sw.name = None;
    sw.model = Some("C9300".into());
    sw.poe = vec![PoeBudget {
        group: 1,
        stack_member: None,
        budget_w: 740,
        consumed_w: 100,
        planned_w: 200,
        ..Default::default()
    }];
    // A failed blocker only where the verdict allows one.
    if verdict == Verdict::NotReady {
        report.findings = vec![Finding {
            check: "voice_vlan.port".into(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: "127.0.0.1:161".into(),
            port: Some("Gi1/0/1".into()),
            message: "no voice VLAN".into(),
            evidence: vec![Evidence {
                object: "vmVoiceVlanId.10101".into(),
                value: "4096".into(),
            }],
            remediation: Some("switchport voice vlan 110".into()),
        }];
    }
    report.counts = Counts {
        blockers: 1,
        passed: 3,
        ..Default::default()
    };
    lanready_schema::score::fill_to_match(&mut report);
    report
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: &Token,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", token.expose()));
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let resp = app(state.clone())
        .oneshot(req.body(body.map(Body::from).unwrap_or_default()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn answers_match_the_documented_schemas() {
    let schemas = doc_schemas();
    for name in [
        "error",
        "ingest",
        "lanready.sites/v1",
        "lanready.site/v1",
        "lanready.dashboard/v1",
        "lanready.programme/v1",
        "lanready.waivers/v1",
        "lanready.webhook/v1",
        "lanready.works/v1",
        "lanready.estate-works/v1",
        "$defs",
    ] {
        assert!(
            schemas.contains_key(name),
            "docs/api.md lacks schema {name}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db")).unwrap();
    let agent = Token::generate();
    store
        .add_token(
            "a",
            TokenKind::Agent,
            &SiteScope::Only(vec!["hq".into(), "north".into()]),
            &agent.hash(),
            t(0),
        )
        .unwrap();
    // In the calendar: hq, which reports, and north, which has not yet (its nulls).
    let calendar = [
        CalendarEntry::parse("hq", "2026-02-01", Some("1"), Some("300"), Some("Jo")),
        CalendarEntry::parse("north", "2026-03-01", None, None, None),
    ];
    let calendar: Vec<_> = calendar.into_iter().map(Result::unwrap).collect();
    store.set_calendar(&calendar, t(0)).unwrap();
    // A waiver in force (and so in the programme), and a revoked one.
    for revoked in [false, true] {
        let w = NewWaiver {
            site: "hq".into(),
            check: "voice_vlan.port".into(),
            switch: None,
            port: Some("Gi1/0/*".into()),
            reason: "moves in wave 3".into(),
            expires: "2026-01-20".into(),
            by: "Jo".into(),
        }
        .check(t(0).date())
        .unwrap();
        let id = store.add_waiver(&w, "cli", t(0)).unwrap();
        if revoked {
            store.revoke_waiver(id, "Ash", t(0)).unwrap();
        }
    }
    let clock = Arc::new(FixedClock::new(t(600)));
    let state = AppState::new(
        store,
        clock,
        Settings {
            body_limit: 1 << 20,
            staleness: Staleness::new(Duration::from_secs(3600)),
            ..Settings::default()
        },
    );
    let mut answers: Vec<(&str, Value)> = Vec::new();
    // r3 is worse than r2: a regression, which the programme lists.
    for (id, at, score, v) in [
        ("r1", 0, 40, Verdict::NotReady),
        ("r2", 300, 70, Verdict::AtRisk),
        ("r3", 450, 40, Verdict::NotReady),
    ] {
        let (s, body) = call(
            &state,
            "POST",
            "/api/v1/reports",
            &agent,
            Some(serde_json::to_vec(&report(id, at, score, v)).unwrap()),
        )
        .await;
        assert_eq!(s, 201);
        answers.push(("ingest", body));
    }
    let (s, body) = call(
        &state,
        "POST",
        "/api/v1/reports",
        &agent,
        Some(b"{".to_vec()),
    )
    .await;
    assert_eq!(s, 400);
    answers.push(("error", body));
    for (uri, schema) in [
        ("/api/v1/sites", "lanready.sites/v1"),
        ("/api/v1/sites/hq", "lanready.site/v1"),
        ("/api/v1/dashboard", "lanready.dashboard/v1"),
        ("/api/v1/programme", "lanready.programme/v1"),
        ("/api/v1/waivers", "lanready.waivers/v1"),
        ("/api/v1/sites/hq/waivers", "lanready.waivers/v1"),
        ("/api/v1/sites/hq/works", "lanready.works/v1"),
        ("/api/v1/works", "lanready.estate-works/v1"),
    ] {
        let (s, body) = call(&state, "GET", uri, &agent, None).await;
        assert_eq!(s, 200, "{uri}");
        answers.push((schema, body));
    }
    // What the webhook sends for each regression found.
    let found = state.store.regressions_since(t(-86_400)).unwrap();
    assert!(!found.is_empty(), "r3 regressed");
    for r in &found {
        let event = lanready_collector::webhook::event(r);
        answers.push(("lanready.webhook/v1", serde_json::to_value(event).unwrap()));
    }
    // The bill of works of real scans (every item kind the fixtures give), as the API writes it.
    for name in ["poe-budget", "nopoe-unreachable", "voice-qos"] {
        let path = format!(
            "{}/../tests/golden/report-{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let r: Report = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        answers.push((
            "lanready.works/v1",
            serde_json::to_value(lanready_works::bill::bill(&r)).unwrap(),
        ));
    }
    let v = Validator {
        defs: &schemas["$defs"],
    };
    let mut errs = Vec::new();
    for (name, body) in &answers {
        v.check(&schemas[*name], body, name, &mut errs);
    }
    assert!(
        errs.is_empty(),
        "docs/api.md and the answers disagree:\n{}",
        errs.join("\n")
    );

    // The validator itself catches drift: an extra field, a missing one, a wrong type.
    let site = &answers
        .iter()
        .find(|(n, _)| *n == "lanready.sites/v1")
        .unwrap()
        .1;
    for (mutate, needle) in [
        (
            Box::new(|x: &mut Value| {
                x["sites"][0]["extra"] = 1.into();
            }) as Box<dyn Fn(&mut Value)>,
            "undocumented field extra",
        ),
        (
            Box::new(|x: &mut Value| {
                x["sites"][0].as_object_mut().unwrap().remove("stale");
            }),
            "missing required stale",
        ),
        (
            Box::new(|x: &mut Value| {
                x["sites"][0]["verdict"] = "maybe".into();
            }),
            "not in",
        ),
        (
            Box::new(|x: &mut Value| {
                x["sites"][0]["score"] = 101.into();
            }),
            "> 100",
        ),
    ] {
        let mut bad = site.clone();
        mutate(&mut bad);
        let mut errs = Vec::new();
        v.check(&schemas["lanready.sites/v1"], &bad, "sites", &mut errs);
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "{needle}: {errs:?}"
        );
    }
}
