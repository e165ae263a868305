//! `serve --webhook`: the webhook task against a local receiver (axum on 127.0.0.1:0) that is
//! slow, then answers 503, then is closed, then is up; ingest through the real routes and a
//! real SQLite file all along, then a restart of the task on the same file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use lanready_schema::secret::Secret;
use lanready_schema::webhook::WebhookEvent;

use super::*;
use crate::programme::CalendarEntry;
use crate::webhook::{self, WebhookConfig, WebhookUrl};

/// The webhook's timeout per delivery in this test; the slow receiver holds a request for
/// twice this, and each ingest must answer in under half of it.
const TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Holds each request for 2 × TIMEOUT (the webhook gives up first).
    Slow,
    /// Answers 503.
    Unavailable,
    /// Answers 200 at once.
    Up,
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Attempt {
    mode: Mode,
    delivery: Option<String>,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Attempt {
    fn id(&self) -> u64 {
        self.delivery
            .as_deref()
            .expect("a Lanready-Delivery header")
            .parse()
            .expect("a regression id in Lanready-Delivery")
    }
}

/// The receiver's state, shared by its handler and the test.
struct Receiver {
    mode: Mutex<Mode>,
    attempts: Mutex<Vec<Attempt>>,
    /// Requests being held by the slow receiver now.
    held: AtomicUsize,
    changed: tokio::sync::watch::Sender<()>,
}

/// Counts a held request for as long as its handler lives (it may be dropped early).
struct Held<'a>(&'a Receiver);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.send_replace(());
    }
}

impl Receiver {
    fn new() -> Arc<Receiver> {
        Arc::new(Receiver {
            mode: Mutex::new(Mode::Slow),
            attempts: Mutex::default(),
            held: AtomicUsize::new(0),
            changed: tokio::sync::watch::Sender::new(()),
        })
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap().clone()
    }

    /// The ids of the deliveries answered 200, in arrival order, each once.
    fn acknowledged(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = Vec::new();
        for a in self.attempts().iter().filter(|a| a.mode == Mode::Up) {
            if !ids.contains(&a.id()) {
                ids.push(a.id());
            }
        }
        ids
    }

    /// Waits (10 s at most) until `cond` holds of the receiver.
    async fn until(&self, what: &str, cond: impl Fn(&Receiver) -> bool) {
        let mut seen = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !cond(self) {
            tokio::time::timeout_at(deadline, seen.changed())
                .await
                .unwrap_or_else(|_| panic!("the receiver never saw {what}"))
                .unwrap();
        }
    }
}

async fn hook(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
    let mode = *rx.mode.lock().unwrap();
    rx.attempts.lock().unwrap().push(Attempt {
        mode,
        delivery: text("lanready-delivery"),
        authorization: text("authorization"),
        content_type: text("content-type"),
        body: body.to_vec(),
    });
    rx.changed.send_replace(());
    match mode {
        Mode::Slow => {
            rx.held.fetch_add(1, Ordering::SeqCst);
            let _held = Held(&rx);
            rx.changed.send_replace(());
            tokio::time::sleep(2 * TIMEOUT).await;
            StatusCode::OK
        }
        Mode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Mode::Up => StatusCode::OK,
    }
}

/// The receiver serving on `addr` (port 0 picks one), until [`Serving::stop`].
struct Serving {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn serve_receiver(rx: &Arc<Receiver>, addr: SocketAddr) -> Serving {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // The same port again after a stop: the closed connections' TIME_WAIT must not keep it.
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    let listener = socket.listen(64).unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(rx.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Serving { addr, stop, task }
}

impl Serving {
    /// Stops accepting, closes every connection (kept-alive ones too) and releases the port.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the receiver stops")
            .unwrap();
    }
}

/// Scans in order: each a few seconds after the one before, all before the fixture's clock.
struct Scans(i64);

impl Scans {
    fn next(&mut self, site: &str, blockers: u32) -> Report {
        self.0 += 10;
        voice_blocked(&format!("{site}-{}", self.0), site, self.0, blockers)
    }
}

/// Posts `r` through the routes of `state` (201 required) and says how long ingest took.
async fn timed_post(state: &AppState, token: &Token, r: &Report) -> Duration {
    let req = Request::post("/api/v1/reports")
        .header(header::AUTHORIZATION, format!("Bearer {}", token.expose()))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json(r)))
        .unwrap();
    let started = Instant::now();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let took = started.elapsed();
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", r.id);
    took
}

/// A site that was ready scans again with `blockers` failing sockets: 1 + `blockers`
/// regressions (its verdict, and each socket). Each ingest must answer promptly.
async fn regress(state: &AppState, token: &Token, scans: &mut Scans, site: &str, blockers: u32) {
    for r in [scans.next(site, 0), scans.next(site, blockers)] {
        let took = timed_post(state, token, &r).await;
        assert!(
            took < TIMEOUT / 2,
            "ingest of {} took {took:?} while the webhook is not answering",
            r.id
        );
    }
}

/// Waits (10 s at most) until `cond` holds of the collector's side.
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn metric(state: &AppState, reader: &Token, name: &str) -> u64 {
    let req = Request::get("/metrics")
        .header(header::AUTHORIZATION, format!("Bearer {}", reader.expose()))
        .body(Body::empty())
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

fn config(addr: SocketAddr, token: Option<&str>) -> WebhookConfig {
    let url = WebhookUrl::parse(&format!("http://{addr}/hook?channel=noc")).unwrap();
    WebhookConfig {
        timeout: TIMEOUT,
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        // Longer than the test: every delivery here follows ingest's wake-up.
        poll: Duration::from_secs(60),
        ..WebhookConfig::new(url, token.map(Secret::new))
    }
}

/// The webhook's document as docs/api.md gives it.
fn documented_schema() -> serde_json::Value {
    let doc = include_str!("../../../docs/api.md");
    let marker = "<!-- schema: lanready.webhook/v1 -->";
    let rest = &doc[doc.find(marker).expect("docs/api.md documents the webhook") + marker.len()..];
    let start = rest.find("```json\n").unwrap() + "```json\n".len();
    let len = rest[start..].find("\n```").unwrap();
    serde_json::from_str(&rest[start..start + len]).expect("the webhook's schema is JSON")
}

/// Every field of `v` is documented and required in `schema`, and the other way round, all
/// the way down (the JSON Schemas of docs/api.md are checked in full by tests/api_doc.rs; this
/// keeps the webhook's in step with what is sent).
fn fields_match(schema: &serde_json::Value, v: &serde_json::Value, at: &str) {
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{at}: not an object"));
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut documented: Vec<&str> = props.keys().map(String::as_str).collect();
    let mut sent: Vec<&str> = obj.keys().map(String::as_str).collect();
    documented.sort_unstable();
    sent.sort_unstable();
    let mut req = required.clone();
    req.sort_unstable();
    assert_eq!(sent, documented, "{at}: fields sent and documented");
    assert_eq!(req, documented, "{at}: every documented field is required");
    for (k, s) in props {
        if let Some(c) = s.get("const") {
            assert_eq!(&obj[k], c, "{at}.{k}");
        }
        fields_match(s, &obj[k], &format!("{at}.{k}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_survives_a_slow_then_failing_then_closed_receiver_and_a_restart() {
    let f = fixture();
    // hq cut over on 30 December (the clock is 1 January, its scans from the 31st): its
    // regressions are incidents.
    // branch is not in the calendar.
    let hq = CalendarEntry::parse("hq", "2025-12-30", None, None, None).unwrap();
    f.state.store.set_calendar(&[hq], t(0)).unwrap();
    let mut scans = Scans(-3000);

    // Regressions found before the webhook exists are not sent: ids 1-2.
    regress(&f.state, &f.agent, &mut scans, "hq", 1).await;

    let rx = Receiver::new();
    let serving = serve_receiver(&rx, "127.0.0.1:0".parse().unwrap()).await;
    let addr = serving.addr;
    let cfg = config(addr, Some("hook-token-1"));
    let key = cfg.url.cursor_key();
    let task = webhook::spawn(f.state.clone(), cfg.clone()).unwrap();
    eventually("the cursor to start", || {
        f.state.webhook.cursor() == Some(2)
    })
    .await;
    assert_eq!(f.state.store.webhook_cursor(&key).unwrap(), Some(2));
    assert!(!key.contains("noc"), "the query is not stored: {key}");

    // Slow: each delivery is held past the webhook's timeout. Ingest answers promptly all the
    // same, with a delivery stuck in the receiver: ids 3-4, then 5-7.
    regress(&f.state, &f.agent, &mut scans, "hq", 1).await;
    rx.until("a delivery held", |r| r.held.load(Ordering::SeqCst) > 0)
        .await;
    regress(&f.state, &f.agent, &mut scans, "branch", 2).await;
    assert!(
        rx.held.load(Ordering::SeqCst) > 0,
        "ingest answered while a delivery was held"
    );
    rx.until("the held delivery sent again", |r| r.attempts().len() >= 2)
        .await;
    assert!(f.state.webhook.failures_total() >= 1);

    // 503: refused, and sent again. Ids 8-9.
    rx.set(Mode::Unavailable);
    rx.until("two 503s", |r| {
        r.attempts()
            .iter()
            .filter(|a| a.mode == Mode::Unavailable)
            .count()
            >= 2
    })
    .await;
    regress(&f.state, &f.agent, &mut scans, "hq", 1).await;

    // Closed: nothing listens on the port. Ids 10-11.
    serving.stop().await;
    let failed = f.state.webhook.failures_total();
    regress(&f.state, &f.agent, &mut scans, "branch", 1).await;
    eventually("connections refused", || {
        f.state.webhook.failures_total() >= failed + 2
    })
    .await;
    // Stored, and all still spooled: nothing was acknowledged.
    let stored = f.state.store.regressions_after(2, 100).unwrap();
    assert_eq!(
        stored.iter().map(|r| r.id).collect::<Vec<_>>(),
        (3..=11).collect::<Vec<_>>()
    );
    assert_eq!(f.state.store.webhook_cursor(&key).unwrap(), Some(2));
    assert_eq!(
        metric(&f.state, &f.reader, "lanready_webhook_pending").await,
        9
    );

    // Up, on the same port: every regression arrives, in id order.
    rx.set(Mode::Up);
    let serving = serve_receiver(&rx, addr).await;
    rx.until("every regression acknowledged", |r| {
        r.acknowledged().len() >= 9
    })
    .await;
    assert_eq!(rx.acknowledged(), (3..=11).collect::<Vec<_>>());
    eventually("the cursor to advance", || {
        f.state.webhook.cursor() == Some(11)
    })
    .await;
    assert_eq!(f.state.store.webhook_cursor(&key).unwrap(), Some(11));
    assert_eq!(
        metric(&f.state, &f.reader, "lanready_webhook_pending").await,
        0
    );
    assert!(metric(&f.state, &f.reader, "lanready_webhook_failures_total").await >= 4);

    let attempts = rx.attempts();
    let ids: Vec<u64> = attempts.iter().map(Attempt::id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] <= w[1]),
        "sent in id order, each until acknowledged: {ids:?}"
    );
    let schema = documented_schema();
    let mut bodies: BTreeMap<u64, &[u8]> = BTreeMap::new();
    for a in &attempts {
        // A repeat is the same delivery: same id, same body.
        let first = *bodies.entry(a.id()).or_insert(&a.body);
        assert_eq!(first, &a.body[..], "delivery {} changed", a.id());
        assert_eq!(a.authorization.as_deref(), Some("Bearer hook-token-1"));
        assert_eq!(a.content_type.as_deref(), Some("application/json"));
        fields_match(
            &schema,
            &serde_json::from_slice(&a.body).unwrap(),
            "webhook",
        );
    }
    for r in &stored {
        let got: WebhookEvent = serde_json::from_slice(bodies[&r.id]).unwrap();
        assert_eq!(got, webhook::event(r));
        assert_eq!(
            (got.schema.as_str(), got.event.as_str(), got.regression.id),
            ("lanready.webhook/v1", "regression", r.id)
        );
        let (incident, phase) = match got.site.as_str() {
            "hq" => (true, "after"),
            "branch" => (false, "none"),
            other => panic!("site {other}"),
        };
        assert_eq!(
            (
                got.incident,
                got.regression.incident,
                got.regression.phase.as_str()
            ),
            (incident, incident, phase),
            "{}",
            r.id
        );
    }
    let sites: Vec<&str> = stored.iter().map(|r| r.site.as_str()).collect();
    let mut want = vec!["hq"; 2];
    want.extend(["branch"; 3]);
    want.extend(["hq"; 2]);
    want.extend(["branch"; 2]);
    assert_eq!(sites, want);

    // A restart: a new task, over the database reopened, without a token this time. It sends
    // nothing already acknowledged, and goes on with what is found next (ids 12-13).
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    rx.attempts.lock().unwrap().clear();
    let state = AppState::new(
        Store::open(&f.dir.path().join("c.db")).unwrap(),
        f.clock.clone(),
        Settings::default(),
    );
    let task = webhook::spawn(state.clone(), config(addr, None)).unwrap();
    eventually("the cursor read back", || {
        state.webhook.cursor() == Some(11)
    })
    .await;
    regress(&state, &f.agent, &mut scans, "hq", 1).await;
    rx.until("the new regressions", |r| r.acknowledged().len() >= 2)
        .await;
    let attempts = rx.attempts();
    assert_eq!(rx.acknowledged(), [12, 13], "{attempts:?}");
    assert!(attempts.iter().all(|a| a.id() >= 12), "{attempts:?}");
    assert!(attempts.iter().all(|a| a.authorization.is_none()));
    eventually("the cursor to advance", || {
        state.webhook.cursor() == Some(13)
    })
    .await;
    assert_eq!(state.store.webhook_cursor(&key).unwrap(), Some(13));
    task.abort();
    serving.stop().await;
}

/// With no cursor yet, a webhook starts after the newest regression; with one, where it was.
#[tokio::test]
async fn a_new_webhook_starts_after_the_history() {
    let f = fixture();
    let store = &f.state.store;
    assert_eq!(store.start_webhook_cursor("http://a:80/", t(0)).unwrap(), 0);
    let mut scans = Scans(-3000);
    regress(&f.state, &f.agent, &mut scans, "hq", 2).await;
    assert_eq!(store.regressions_pending(0).unwrap(), 3);
    // An existing cursor stays; a new one starts at the newest regression.
    assert_eq!(store.start_webhook_cursor("http://a:80/", t(1)).unwrap(), 0);
    assert_eq!(store.start_webhook_cursor("http://b:80/", t(1)).unwrap(), 3);
    assert_eq!(store.webhook_cursor("http://c:80/").unwrap(), None);
    store.set_webhook_cursor("http://a:80/", 2, t(2)).unwrap();
    let after: Vec<u64> = store
        .regressions_after(0, 2)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(after, [1, 2], "oldest first, at most the limit");
    let a = store.webhook_cursor("http://a:80/").unwrap().unwrap();
    assert_eq!(
        store
            .regressions_after(a, 100)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(store.regressions_pending(a).unwrap(), 1);
}
