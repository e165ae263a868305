//! The dashboard answer cache over real HTTP (a collector on 127.0.0.1:0, a real SQLite
//! file, the system clock): a stored report shows within the stated staleness, a scoped
//! token never gets a body built for a wider scope, one rebuild serves a burst of requests,
//! gzip decodes to the same JSON, and `If-None-Match` gets a 304.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Instant;

use lanready_collector::auth::{SiteScope, Token, TokenKind};
use lanready_collector::clock::SystemClock;
use lanready_collector::dashcache::{MAX_STALE, REFRESH_AFTER};
use lanready_collector::store::Store;
use lanready_collector::{AppState, Settings};
use lanready_schema::api::Dashboard;
use lanready_schema::{Report, Verdict};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
    /// Agent for sites a and b.
    agent: Token,
    /// Reads every site.
    wide: Token,
    /// Reads site a only.
    narrow: Token,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("collector.db")).unwrap();
        let now = OffsetDateTime::now_utc();
        let (agent, wide, narrow) = (Token::generate(), Token::generate(), Token::generate());
        let only = |s: &[&str]| SiteScope::Only(s.iter().map(|s| s.to_string()).collect());
        for (name, kind, scope, t) in [
            ("agent", TokenKind::Agent, only(&["a", "b"]), &agent),
            ("wide", TokenKind::ReadOnly, SiteScope::All, &wide),
            ("narrow", TokenKind::ReadOnly, only(&["a"]), &narrow),
        ] {
            store.add_token(name, kind, &scope, &t.hash(), now).unwrap();
        }
        let state = AppState::new(store, Arc::new(SystemClock), Settings::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(lanready_collector::serve(listener, state, None, async {
            let _ = rx.await;
        }));
        Server {
            url,
            stop: Some(tx),
            task,
            _dir: dir,
            agent,
            wide,
            narrow,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }

    async fn post(&self, id: &str, site: &str, score: u8) {
        let r = report(id, site, score);
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v1/reports", self.url))
            .bearer_auth(self.agent.expose())
            .json(&r)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "posting {id}");
    }

    /// `GET /api/v1/dashboard` with `token` and extra headers: status, headers, raw body.
    async fn dashboard(&self, token: &Token, extra: &[(&str, &str)]) -> Answer {
        let mut req = reqwest::Client::new()
            .get(format!("{}/api/v1/dashboard", self.url))
            .bearer_auth(token.expose());
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        Answer {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.unwrap().to_vec(),
        }
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn etag(&self) -> &str {
        self.headers[header::ETAG].to_str().unwrap()
    }

    /// The body as JSON bytes, gunzipped when it says it is gzip.
    fn json(&self) -> Vec<u8> {
        match self.headers.get(header::CONTENT_ENCODING) {
            None => self.body.clone(),
            Some(e) => {
                assert_eq!(e, "gzip");
                gunzip(&self.body)
            }
        }
    }

    fn doc(&self) -> Dashboard {
        assert_eq!(self.status, StatusCode::OK);
        serde_json::from_slice(&self.json()).unwrap()
    }

    fn sites(&self) -> Vec<String> {
        self.doc().sites.into_iter().map(|s| s.site).collect()
    }
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

fn report(id: &str, site: &str, score: u8) -> Report {
    let verdict = match score {
        90.. => Verdict::Ready,
        60..=89 => Verdict::AtRisk,
        _ => Verdict::NotReady,
    };
    let at = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap();
    lanready_schema::sample::report(id, site, &at, score, verdict)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_report_shows_within_the_stated_staleness() {
    let s = Server::start().await;
    s.post("a-1", "a", 95).await;
    let before_first = Instant::now();
    let first = s.dashboard(&s.wide, &[]).await;
    assert_eq!(first.sites(), ["a"]);

    s.post("b-1", "b", 92).await;
    let stored = Instant::now();
    let again = s.dashboard(&s.wide, &[]).await;
    // The body from the first request is at most as old as `before_first`: while it is
    // younger than REFRESH_AFTER it is what every request gets, report b or not.
    if before_first.elapsed() < REFRESH_AFTER {
        assert_eq!(again.sites(), ["a"], "served from the cache");
        assert_eq!(again.etag(), first.etag());
        assert_eq!(again.doc().as_of, first.doc().as_of);
    }
    // Any request that starts MAX_STALE after the report was stored sees it.
    tokio::time::sleep_until((stored + MAX_STALE).into()).await;
    let later = s.dashboard(&s.wide, &[]).await;
    let mut sites = later.sites();
    sites.sort();
    assert_eq!(
        sites,
        ["a", "b"],
        "{MAX_STALE:?} after the report was stored"
    );
    assert_ne!(later.etag(), first.etag());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scoped_token_never_gets_the_body_built_for_a_wider_one() {
    let s = Server::start().await;
    s.post("a-1", "a", 95).await;
    s.post("b-1", "b", 40).await;
    // Build the wide body first, in both forms.
    let wide = s.dashboard(&s.wide, &[]).await;
    assert_eq!(wide.sites(), ["b", "a"]);
    let wide_gz = s.dashboard(&s.wide, &[("accept-encoding", "gzip")]).await;
    assert_eq!(wide_gz.sites(), ["b", "a"]);

    // At once after: the narrow token gets its own site only, plain or gzip.
    for extra in [&[][..], &[("accept-encoding", "gzip")][..]] {
        let narrow = s.dashboard(&s.narrow, extra).await;
        let doc = narrow.doc();
        assert_eq!(
            doc.sites
                .iter()
                .map(|r| r.site.as_str())
                .collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!((doc.estate.sites, doc.estate.not_ready), (1, 0));
        assert_ne!(narrow.etag(), wide.etag());
        assert_ne!(narrow.etag(), wide_gz.etag());
    }
    // The wide body's tag gets the narrow token a full answer of its own, not a 304.
    for tag in [wide.etag(), wide_gz.etag()] {
        let n = s.dashboard(&s.narrow, &[("if-none-match", tag)]).await;
        assert_eq!(n.status, StatusCode::OK);
        assert_eq!(n.sites(), ["a"]);
    }
    // An agent token reads the dashboard with its own scope (a and b).
    let agent = s.dashboard(&s.agent, &[]).await;
    assert_eq!(agent.sites(), ["b", "a"]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_decodes_to_the_same_json_and_the_page_is_compressed_too() {
    let s = Server::start().await;
    for (i, site) in ["a", "b"].iter().enumerate() {
        s.post(&format!("{site}-{i}"), site, 50 + i as u8).await;
    }
    let mut same_body = false;
    for _ in 0..5 {
        let plain = s.dashboard(&s.wide, &[]).await;
        let gz = s
            .dashboard(&s.wide, &[("accept-encoding", "gzip, deflate, br")])
            .await;
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
        for a in [&plain, &gz] {
            assert_eq!(a.headers[header::CONTENT_TYPE], "application/json");
            assert_eq!(a.headers[header::VARY], "accept-encoding");
        }
        assert_ne!(
            gz.body, plain.body,
            "the gzip answer is not the plain bytes"
        );
        let _: Dashboard = serde_json::from_slice(&gz.json()).unwrap();
        // Both answers came from one cached body (the tags say so): the same bytes.
        if gz.etag() == format!("{}-gz\"", plain.etag().trim_end_matches('"')) {
            assert_eq!(gz.json(), plain.body);
            same_body = true;
            break;
        }
    }
    assert!(same_body, "no two answers in a row from the same body");
    // A client that refuses gzip gets identity.
    let refused = s
        .dashboard(&s.wide, &[("accept-encoding", "gzip;q=0")])
        .await;
    assert!(refused.headers.get(header::CONTENT_ENCODING).is_none());
    let _: Dashboard = serde_json::from_slice(&refused.body).unwrap();

    // Other answers are compressed on the fly by the layer: the page.
    let resp = reqwest::Client::new()
        .get(format!("{}/", s.url))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()[header::CONTENT_ENCODING], "gzip");
    let page = gunzip(&resp.bytes().await.unwrap());
    assert_eq!(page, lanready_collector::DASHBOARD_HTML.as_bytes());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_matching_etag_gets_304_and_a_burst_shares_one_build() {
    let s = Server::start().await;
    s.post("a-1", "a", 95).await;
    // Ten requests at once on a cold cache: one build answers them all.
    let mut burst = Vec::new();
    for _ in 0..10 {
        let (url, t) = (s.url.clone(), s.wide.clone());
        burst.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .get(format!("{url}/api/v1/dashboard"))
                .bearer_auth(t.expose())
                .send()
                .await
                .unwrap();
            r.headers()[header::ETAG].to_str().unwrap().to_string()
        }));
    }
    let mut tags = Vec::new();
    for b in burst {
        tags.push(b.await.unwrap());
    }
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), 1, "one build for the burst: {tags:?}");

    let first = s.dashboard(&s.wide, &[]).await;
    let tag = first.etag().to_string();
    let not_modified = s.dashboard(&s.wide, &[("if-none-match", &tag)]).await;
    if not_modified.etag() == tag {
        assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
        assert!(not_modified.body.is_empty());
    } else {
        // Rebuilt between the two (a new second): then it must be a full answer.
        assert_eq!(not_modified.status, StatusCode::OK);
    }
    let gz = s.dashboard(&s.wide, &[("accept-encoding", "gzip")]).await;
    let gz_tag = gz.etag().to_string();
    let gz_again = s
        .dashboard(
            &s.wide,
            &[("accept-encoding", "gzip"), ("if-none-match", &gz_tag)],
        )
        .await;
    if gz_again.etag() == gz_tag {
        assert_eq!(gz_again.status, StatusCode::NOT_MODIFIED);
    }
    // A tag of another body never gets a 304.
    let other = s
        .dashboard(&s.wide, &[("if-none-match", "\"0000000000000000-1\"")])
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.body.is_empty());
    // Once stored reports moved the data and the cache aged, the old tag gets the new body.
    s.post("a-2", "a", 60).await;
    tokio::time::sleep(MAX_STALE).await;
    let moved = s.dashboard(&s.wide, &[("if-none-match", &tag)]).await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(moved.doc().sites[0].score, 60);
    s.stop().await;
}

/// The build number in a body's tag (`"<nonce>-<n>"`).
fn build_number(etag: &str) -> u64 {
    etag.trim_matches('"')
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_polled_scope_is_rebuilt_ahead_of_its_next_poll() {
    let s = Server::start().await;
    s.post("a-1", "a", 95).await;
    // Polled twice (a one-off request does not make a scope warm).
    s.dashboard(&s.wide, &[]).await;
    let first = s.dashboard(&s.wide, &[]).await;
    // A report arrives and nobody asks for three seconds: the warmer rebuilds the polled
    // scope as its body ages (the clock moves every second), so the next poll gets a body
    // built meanwhile, with the report, not one built for it.
    s.post("b-1", "b", 92).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let next = s.dashboard(&s.wide, &[]).await;
    let mut sites = next.sites();
    sites.sort();
    assert_eq!(sites, ["a", "b"]);
    let (a, b) = (build_number(first.etag()), build_number(next.etag()));
    assert!(
        b >= a + 2,
        "built {} times in between without a request (tags {} then {})",
        b - a,
        first.etag(),
        next.etag()
    );
    s.stop().await;
}
