//! The dashboard's answer cache: the serialised `lanready.dashboard/v1` body (and its gzip
//! form) per token scope, so a poll after a report was stored does not rebuild and
//! serialise the whole estate each time.
//!
//! **Freshness rule.** A body is served as it is when it was built for the current store
//! generation in the current clock second (a rebuild would give the same bytes), or when it
//! is younger than [`REFRESH_AFTER`] even if reports were stored since. A body younger than
//! [`MAX_STALE`] is still served while one background rebuild runs; an older one makes the
//! request wait for a rebuild (one at a time per scope; the waiting requests then serve what
//! it built). So an answer lags the store by at most [`MAX_STALE`], and under sustained
//! ingest each scope's body is rebuilt about once a second, not once per request.
//!
//! **Warm scopes.** A scope asked for twice within [`WARM_FOR`] (a poller; the
//! [`WARM_SCOPES`] most recent)
//! is rebuilt in the background as soon as its body stops being fresh
//! (`api::keep_warm`, started by `serve`), so a client that polls once a minute finds a
//! body at most [`MAX_STALE`] old and never waits for a rebuild on its request.
//!
//! **Scope rule.** Bodies are keyed by the token's site scope, normalised (all sites, or the
//! sorted list of sites), and built by filtering with exactly that scope, so a token limited
//! to some sites is never served a body built for a wider scope.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use time::OffsetDateTime;

use crate::aggregate::{self, Staleness};
use crate::auth::SiteScope;
use crate::model::SiteLatest;

/// A body younger than this is served even if reports were stored since it was built.
pub const REFRESH_AFTER: Duration = Duration::from_secs(1);
/// A body younger than this is served while a background rebuild replaces it; an older one
/// is never served. The most an answer lags the store.
pub const MAX_STALE: Duration = Duration::from_millis(1500);
/// The most scopes kept; past it the least recently built body is dropped. A body of every
/// site is about 3 MB at 1,000 sites, so this bounds the cache to about 50 MB there.
pub const MAX_SCOPES: usize = 16;
/// A scope asked for within this long is kept warm: its body is rebuilt in the background as
/// soon as it stops being fresh, so a client that polls once a minute (the page does) finds
/// a body built at most [`MAX_STALE`] ago instead of waiting for a rebuild.
pub const WARM_FOR: Duration = Duration::from_secs(150);
/// The most scopes kept warm at once (the most recently asked for): each costs about one
/// rebuild a second while reports arrive or the clock moves.
pub const WARM_SCOPES: usize = 4;
/// How often the warmer looks at the warm scopes.
pub const WARM_TICK: Duration = Duration::from_millis(200);
/// The gzip level of the cached body (compressed once per rebuild, so a good ratio is
/// worth more than speed).
pub const GZIP_LEVEL: u32 = 6;

/// The sites a body was built for: every site, or exactly these (sorted, no repeats).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKey {
    All,
    Only(Vec<String>),
}

impl ScopeKey {
    pub fn of(scope: &SiteScope) -> Self {
        match scope {
            SiteScope::All => ScopeKey::All,
            SiteScope::Only(sites) => {
                let mut v = sites.clone();
                v.sort();
                v.dedup();
                ScopeKey::Only(v)
            }
        }
    }

    pub fn covers(&self, site: &str) -> bool {
        match self {
            ScopeKey::All => true,
            ScopeKey::Only(sites) => sites.binary_search_by(|s| s.as_str().cmp(site)).is_ok(),
        }
    }
}

/// One built dashboard answer.
#[derive(Debug)]
pub struct Body {
    /// The store generation read before the rows.
    pub generation: u64,
    /// The clock second of `as_of`.
    pub as_of_unix: i64,
    /// When the rebuild started (before the generation was read).
    pub built: Instant,
    pub json: Bytes,
    gzip: OnceLock<Bytes>,
    /// A per-process unique tag; the gzip form's tag adds `-gz`.
    tag: String,
}

/// How a cached body may be used now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyAge {
    /// Serve it.
    Fresh,
    /// Serve it, and start a rebuild in the background.
    Stale,
    /// Do not serve it; rebuild first.
    Unusable,
}

impl Body {
    /// Builds the answer for `scope` from every site's card: filter, aggregate, serialise,
    /// and with `gzip` compress too. Pure CPU; run it on a blocking thread.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        rows: &[SiteLatest],
        scope: &ScopeKey,
        now: OffsetDateTime,
        staleness: &Staleness,
        generation: u64,
        built: Instant,
        gzip: bool,
        tag: String,
    ) -> Result<Body, serde_json::Error> {
        let view = aggregate::dashboard_from_cards(
            rows.iter().filter(|r| scope.covers(&r.summary.meta.site)),
            now,
            staleness,
        );
        let json = Bytes::from(serde_json::to_vec(&view)?);
        let body = Body {
            generation,
            as_of_unix: now.unix_timestamp(),
            built,
            json,
            gzip: OnceLock::new(),
            tag,
        };
        if gzip {
            body.gzip();
        }
        Ok(body)
    }

    /// The gzip form, compressed on first use (then kept with the body).
    pub fn gzip(&self) -> Bytes {
        self.gzip.get_or_init(|| gzip(&self.json)).clone()
    }

    /// Whether the gzip form is already made.
    pub fn has_gzip(&self) -> bool {
        self.gzip.get().is_some()
    }

    /// The `ETag` value of the identity or gzip form.
    pub fn etag(&self, gzip: bool) -> HeaderValue {
        let v = if gzip {
            format!("\"{}-gz\"", self.tag)
        } else {
            format!("\"{}\"", self.tag)
        };
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("\"x\""))
    }

    /// Whether this body may be served at store generation `generation` and clock `now`.
    pub fn freshness(&self, generation: u64, now: OffsetDateTime) -> BodyAge {
        let lag = now.unix_timestamp() - self.as_of_unix;
        if generation == self.generation && lag == 0 {
            return BodyAge::Fresh;
        }
        let age = self.built.elapsed();
        if age < REFRESH_AFTER && (0..=1).contains(&lag) {
            BodyAge::Fresh
        } else if age < MAX_STALE && (0..=2).contains(&lag) {
            BodyAge::Stale
        } else {
            BodyAge::Unusable
        }
    }
}

/// `bytes` gzipped at [`GZIP_LEVEL`].
pub fn gzip(bytes: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 8),
        flate2::Compression::new(GZIP_LEVEL),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    Bytes::from(enc.finish().unwrap_or_default())
}

/// One scope's cached body and the lock a rebuild holds.
#[derive(Debug, Default)]
pub struct Slot {
    current: Mutex<Option<Arc<Body>>>,
    /// When requests last asked for this scope: the latest, and the one before it.
    asked: Mutex<(Option<Instant>, Option<Instant>)>,
    /// Held by the one rebuild in progress.
    pub rebuilding: Arc<tokio::sync::Mutex<()>>,
    /// Set once a client asked for gzip: rebuilds then compress too.
    gzip_wanted: AtomicBool,
}

impl Slot {
    pub fn current(&self) -> Option<Arc<Body>> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set(&self, body: Arc<Body>) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(body);
    }

    /// A request asked for this scope now.
    pub fn touch(&self) {
        let mut a = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        *a = (Some(Instant::now()), a.0);
    }

    /// When this scope was asked for the second-latest time: a scope is a poller's once it
    /// has been asked twice (a one-off request is not kept warm).
    pub fn asked_twice(&self) -> Option<Instant> {
        self.asked.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    pub fn want_gzip(&self) {
        self.gzip_wanted.store(true, Ordering::Relaxed);
    }

    pub fn gzip_wanted(&self) -> bool {
        self.gzip_wanted.load(Ordering::Relaxed)
    }

    fn built(&self) -> Option<Instant> {
        self.current().map(|b| b.built)
    }
}

/// Every scope's slot.
#[derive(Debug)]
pub struct DashCache {
    slots: Mutex<HashMap<ScopeKey, Arc<Slot>>>,
    /// One build at a time across all scopes: a build is CPU work of tens of milliseconds
    /// and megabytes of memory, and on a small machine ingest needs the other core. Requests
    /// for several new scopes at once queue here rather than each taking a core.
    pub builds: tokio::sync::Semaphore,
    next: AtomicU64,
    /// Makes tags differ between runs of the collector.
    nonce: u64,
}

impl Default for DashCache {
    fn default() -> Self {
        DashCache {
            slots: Mutex::default(),
            builds: tokio::sync::Semaphore::new(1),
            next: AtomicU64::new(1),
            nonce: rand::random(),
        }
    }
}

impl DashCache {
    /// The slot of `key`, made if absent (dropping the least recently built slot past
    /// [`MAX_SCOPES`]).
    pub fn slot(&self, key: &ScopeKey) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.get(key) {
            return s.clone();
        }
        if slots.len() >= MAX_SCOPES {
            let oldest = slots
                .iter()
                .min_by_key(|(_, s)| s.built())
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                slots.remove(&k);
            }
        }
        let s = Arc::new(Slot::default());
        slots.insert(key.clone(), s.clone());
        s
    }

    /// A tag no other body of this process has.
    /// The scopes to keep warm now: asked for twice within [`WARM_FOR`] (a poller, not a
    /// one-off request), the most recent [`WARM_SCOPES`] of them.
    pub fn warm(&self) -> Vec<(ScopeKey, Arc<Slot>)> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<(Instant, ScopeKey, Arc<Slot>)> = slots
            .iter()
            .filter_map(|(k, s)| {
                let at = s.asked_twice()?;
                (at.elapsed() < WARM_FOR).then(|| (at, k.clone(), s.clone()))
            })
            .collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.0));
        v.truncate(WARM_SCOPES);
        v.into_iter().map(|(_, k, s)| (k, s)).collect()
    }

    pub fn next_tag(&self) -> String {
        format!(
            "{:016x}-{}",
            self.nonce,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// Whether an `Accept-Encoding` value accepts gzip (by name or `*`, with q above 0).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(v) = accept_encoding else {
        return false;
    };
    let mut gzip = None;
    let mut star = None;
    for part in v.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let q = it
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| v.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(q > 0.0);
        } else if name == "*" {
            star = Some(q > 0.0);
        }
    }
    gzip.or(star).unwrap_or(false)
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC 9110 asks for
/// this header; `*` matches any current body).
pub fn none_match(if_none_match: Option<&str>, etag: &HeaderValue) -> bool {
    let Some(v) = if_none_match else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("");
    v.split(',').map(str::trim).any(|t| {
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == ours.strip_prefix("W/").unwrap_or(ours)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_only_when_named_or_starred_with_a_positive_q() {
        for (v, want) in [
            (None, false),
            (Some(""), false),
            (Some("identity"), false),
            (Some("br, zstd"), false),
            (Some("gzip"), true),
            (Some("gzip, deflate, br, zstd"), true),
            (Some("deflate;q=0.5, GZIP;q=0.8"), true),
            (Some("gzip;q=0"), false),
            (Some("gzip;q=0.0, *"), false),
            (Some("*"), true),
            (Some("*;q=0"), false),
            (Some("x-gzip"), true),
        ] {
            assert_eq!(accepts_gzip(v), want, "{v:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tag = HeaderValue::from_static("\"ab-1\"");
        assert!(none_match(Some("\"ab-1\""), &tag));
        assert!(none_match(Some("W/\"ab-1\""), &tag));
        assert!(none_match(Some("\"zz\", \"ab-1\""), &tag));
        assert!(none_match(Some("*"), &tag));
        assert!(!none_match(Some("\"ab-2\""), &tag));
        assert!(!none_match(Some("\"ab-1-gz\""), &tag));
        assert!(!none_match(None, &tag));
    }

    #[test]
    fn scope_keys_are_normalised_and_cover_exactly_their_sites() {
        let a = ScopeKey::of(&SiteScope::Only(vec!["b".into(), "a".into(), "b".into()]));
        let b = ScopeKey::of(&SiteScope::Only(vec!["a".into(), "b".into()]));
        assert_eq!(a, b);
        assert!(a.covers("a") && a.covers("b") && !a.covers("c"));
        assert_ne!(a, ScopeKey::of(&SiteScope::All));
        assert!(ScopeKey::of(&SiteScope::All).covers("anything"));
    }

    #[test]
    fn gzip_round_trips() {
        let data = b"{\"sites\":[]}".repeat(1000);
        let z = gzip(&data);
        assert!(z.len() < data.len() / 10, "{} bytes", z.len());
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut out).unwrap();
        assert_eq!(out, data);
    }

    fn body_at(generation: u64, as_of: i64, age: Duration) -> Body {
        let now = OffsetDateTime::from_unix_timestamp(as_of).unwrap();
        let built = Instant::now().checked_sub(age).unwrap();
        let staleness = Staleness::new(Duration::from_secs(3600));
        Body::build(
            &[],
            &ScopeKey::All,
            now,
            &staleness,
            generation,
            built,
            false,
            "t".into(),
        )
        .unwrap()
    }

    #[test]
    fn freshness_follows_the_generation_the_clock_second_and_the_age() {
        let t = 1_767_225_600;
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(t + s).unwrap();
        let ms = Duration::from_millis;
        // Same generation, same second: what a rebuild would give, however old.
        assert_eq!(
            body_at(7, t, ms(60_000)).freshness(7, at(0)),
            BodyAge::Fresh
        );
        // Reports stored since, but younger than REFRESH_AFTER: served.
        assert_eq!(body_at(7, t, ms(900)).freshness(9, at(0)), BodyAge::Fresh);
        assert_eq!(body_at(7, t, ms(900)).freshness(9, at(1)), BodyAge::Fresh);
        // Past REFRESH_AFTER: served while a rebuild runs, until MAX_STALE.
        assert_eq!(body_at(7, t, ms(1100)).freshness(9, at(1)), BodyAge::Stale);
        assert_eq!(body_at(7, t, ms(1100)).freshness(7, at(2)), BodyAge::Stale);
        assert_eq!(
            body_at(7, t, ms(1600)).freshness(9, at(2)),
            BodyAge::Unusable
        );
        // The clock moved more than the age allows (a set clock), or went back: rebuild.
        assert_eq!(
            body_at(7, t, ms(10)).freshness(7, at(3600)),
            BodyAge::Unusable
        );
        assert_eq!(
            body_at(7, t, ms(10)).freshness(7, at(-1)),
            BodyAge::Unusable
        );
    }

    #[test]
    fn tags_differ_per_body_and_per_form() {
        let c = DashCache::default();
        let (a, b) = (c.next_tag(), c.next_tag());
        assert_ne!(a, b);
        let body = body_at(1, 0, Duration::ZERO);
        assert_ne!(body.etag(false), body.etag(true));
        assert!(!body.has_gzip());
        let z = body.gzip();
        assert!(body.has_gzip());
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut out).unwrap();
        assert_eq!(out, body.json);
    }

    #[test]
    fn slots_are_bounded() {
        let c = DashCache::default();
        for i in 0..(MAX_SCOPES + 10) {
            c.slot(&ScopeKey::Only(vec![format!("s{i}")]));
        }
        assert_eq!(c.slots.lock().unwrap().len(), MAX_SCOPES);
    }
}
