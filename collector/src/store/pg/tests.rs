//! The PostgreSQL store against a real server: a throwaway cluster per test
//! (`lanready_tests::pg`), reached over loopback TCP with the password from the URL given as
//! `LANREADY_DATABASE_URL` would give it. Two `PgStore`s on one database stand for two
//! collectors (each its own pool, so its own sessions).

use std::collections::BTreeSet;
use std::sync::Arc;

use lanready_schema::Report;
use lanready_tests::pg::{PgOptions, Postgres, TlsFiles};
use time::OffsetDateTime;

use super::*;
use crate::auth::{SiteScope, TokenKind};
use crate::model::{Inserted, NewReport};
use crate::store::TREND_KEPT;
use crate::store::location::{Database, PgLocation};
use crate::testutil::{report, t};

fn location(url: &str) -> PgLocation {
    match Database::from_env(url).unwrap_or_else(|e| panic!("{e}")) {
        Database::Postgres(pg) => *pg,
        Database::Sqlite(_) => unreachable!("a URL is PostgreSQL"),
    }
}

async fn open(pg: &Postgres, database: &str) -> PgStore {
    PgStore::open(&location(&pg.url(database)), &PoolSettings::default())
        .await
        .unwrap_or_else(|e| panic!("{e:#?}\nserver log:\n{}", pg.log()))
}

fn new_report(r: &Report, received: OffsetDateTime) -> NewReport {
    NewReport {
        body: serde_json::to_string(r).unwrap(),
        generated_at: OffsetDateTime::parse(
            &r.generated_at,
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap(),
        report: Arc::new(r.clone()),
        received_at: received,
        token_name: "agent-1".into(),
        previous: None,
    }
}

async fn insert(store: &PgStore, r: &Report, received: OffsetDateTime) -> Inserted {
    store.insert_report(&new_report(r, received)).await.unwrap()
}

/// The whole error chain, as `{:#}` would print it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out
}

/// Eight collectors start at once on one new database: all of them open it, every step is
/// applied once, and a later start applies nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collectors_starting_at_once_migrate_a_new_database_once() {
    let pg = Postgres::start();
    let url = pg.url(lanready_tests::pg::DATABASE);
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let loc = location(&url);
            tokio::spawn(async move {
                let store = PgStore::open(&loc, &PoolSettings::default()).await?;
                store.schema_version().await
            })
        })
        .collect();
    for s in starts {
        let got = s.await.unwrap();
        assert_eq!(
            got.as_ref().map_err(|e| chain(e)),
            Ok(&SCHEMA_VERSION),
            "{}",
            pg.log()
        );
    }
    let applied = pg.psql_in(
        lanready_tests::pg::DATABASE,
        "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_version",
    );
    assert_eq!(
        applied.trim(),
        format!("{SCHEMA_VERSION}|{SCHEMA_VERSION}|{SCHEMA_VERSION}")
    );
    let again = open(&pg, lanready_tests::pg::DATABASE).await;
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
    let rows = pg.psql_in(
        lanready_tests::pg::DATABASE,
        "SELECT COUNT(*) FROM schema_version",
    );
    assert_eq!(rows.trim(), SCHEMA_VERSION.to_string(), "nothing reapplied");
}

#[tokio::test]
async fn refuses_a_database_from_a_newer_build_and_a_wrong_password() {
    let pg = Postgres::start();
    pg.create_database("newer");
    pg.psql_in(
        "newer",
        &format!(
            "SET ROLE lanready;
             CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_version VALUES ({}, 0);",
            SCHEMA_VERSION + 1
        ),
    );
    let err = PgStore::open(&location(&pg.url("newer")), &PoolSettings::default())
        .await
        .err()
        .expect("a newer schema is refused");
    assert!(
        matches!(err, PgError::NewerSchema { .. }),
        "{}",
        chain(&err)
    );

    // The server checks the password: a wrong one is refused, and no error repeats it.
    let wrong = pg
        .url("lanready")
        .replace(pg.password(), "not-the-password");
    let err = PgStore::open(&location(&wrong), &PoolSettings::default())
        .await
        .err()
        .expect("a wrong password is refused");
    let text = chain(&err);
    assert!(matches!(err, PgError::Unavailable { .. }), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
}

/// The harness's cluster is gone once dropped: its port no longer answers.
#[test]
fn the_cluster_stops_on_drop() {
    let pg = Postgres::start();
    let port = pg.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(pg);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Every SQLite table has a PostgreSQL table of the same name with the same columns, each
/// NOT NULL on both or on neither (a SQLite primary key column counts as NOT NULL).
#[tokio::test]
async fn the_schema_has_sqlites_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    drop(crate::store::Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut sqlite = BTreeSet::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in &tables {
        let mut st = conn
            .prepare(&format!(
                "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
            ))
            .unwrap();
        let cols = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)? || r.get::<_, i64>(2)? > 0,
                ))
            })
            .unwrap();
        for c in cols {
            let (column, not_null) = c.unwrap();
            sqlite.insert(format!("{table}.{column} not_null={not_null}"));
        }
    }
    assert!(sqlite.len() > 60, "{sqlite:?}");

    let pg = Postgres::start();
    let _store = open(&pg, lanready_tests::pg::DATABASE).await;
    let listed = pg.psql_in(
        lanready_tests::pg::DATABASE,
        "SELECT table_name || '.' || column_name || ' not_null=' ||
                CASE is_nullable WHEN 'NO' THEN 'true' ELSE 'false' END
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> 'schema_version'",
    );
    let postgres: BTreeSet<String> = listed.lines().map(str::to_string).collect();
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_pg: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_add_list_revoke_across_collectors() {
    let pg = Postgres::start();
    let a = open(&pg, lanready_tests::pg::DATABASE).await;
    let b = open(&pg, lanready_tests::pg::DATABASE).await;
    let scope = SiteScope::Only(vec!["s2".into(), "s1".into(), "s1".into()]);
    let sorted = SiteScope::Only(vec!["s1".into(), "s2".into()]);
    a.add_token("agent-1", TokenKind::Agent, &scope, &[1; 32], t(0))
        .await
        .unwrap();
    b.add_token(
        "reader",
        TokenKind::ReadOnly,
        &SiteScope::All,
        &[2; 32],
        t(0),
    )
    .await
    .unwrap();
    let err = b
        .add_token("agent-1", TokenKind::Agent, &scope, &[3; 32], t(0))
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::TokenNameTaken(_)), "{}", chain(&err));
    let active = b.active_tokens().await.unwrap();
    assert_eq!(active.len(), 2);
    let found = a.active_token_by_hash(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(
        (found.name.as_str(), found.kind, &found.scope, found.hash),
        ("agent-1", TokenKind::Agent, &sorted, [1; 32])
    );
    assert!(a.active_token_by_hash(&[9; 32]).await.unwrap().is_none());

    // Revoked through b: a no longer finds it, at its very next lookup.
    assert!(b.revoke_token("agent-1", t(5)).await.unwrap());
    assert!(a.active_token_by_hash(&[1; 32]).await.unwrap().is_none());
    assert!(
        !a.revoke_token("agent-1", t(6)).await.unwrap(),
        "already revoked"
    );
    assert!(!a.revoke_token("nobody", t(6)).await.unwrap());
    let active = a.active_tokens().await.unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].name, "reader");

    // The name is free again once revoked; two collectors taking it at once: one wins.
    let (x, y) = tokio::join!(
        a.add_token("agent-1", TokenKind::Agent, &scope, &[4; 32], t(7)),
        b.add_token("agent-1", TokenKind::Agent, &scope, &[5; 32], t(7)),
    );
    let taken = [&x, &y]
        .iter()
        .filter(|r| matches!(r, Err(PgError::TokenNameTaken(_))))
        .count();
    assert_eq!(
        (x.is_ok() as u8 + y.is_ok() as u8, taken),
        (1, 1),
        "{x:?} {y:?}"
    );

    let listed = b.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(
        (
            listed[0].name.as_str(),
            listed[0].revoked_at,
            &listed[0].scope
        ),
        ("agent-1", Some(t(5)), &sorted)
    );
    assert_eq!(listed[1].revoked_at, None);
    assert_eq!(
        (
            listed[2].name.as_str(),
            &listed[2].scope,
            listed[2].created_at
        ),
        ("reader", &SiteScope::All, t(0))
    );

    // A kind this build does not know (the CHECK dropped by hand): the list says so, and
    // matching skips the row.
    pg.psql_in(
        lanready_tests::pg::DATABASE,
        "ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
         UPDATE tokens SET kind = 'root' WHERE name = 'reader';",
    );
    let err = a.list_tokens().await.unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("root") && text.contains("is not a token kind"),
        "{text}"
    );
    assert!(a.active_token_by_hash(&[2; 32]).await.unwrap().is_none());
    assert_eq!(a.active_tokens().await.unwrap().len(), 1);
}

#[tokio::test]
async fn stores_an_id_once_per_site_and_tells_resend_from_conflict() {
    let pg = Postgres::start();
    let s = open(&pg, lanready_tests::pg::DATABASE).await;
    let r = report("r1", "s1", "2026-01-01T00:00:00Z", 80);
    let first = insert(&s, &r, t(10)).await;
    let Inserted::New(meta) = first else {
        panic!("{first:?}")
    };
    assert_eq!(meta.received_at, t(10));
    // A resend later: the same meta, with the first received_at.
    assert_eq!(
        insert(&s, &r, t(20)).await,
        Inserted::Duplicate(meta.clone())
    );
    let mut changed = r.clone();
    changed.score = 10;
    assert_eq!(
        insert(&s, &changed, t(30)).await,
        Inserted::Conflict(meta.clone())
    );
    assert_eq!(s.report_count().await.unwrap(), 1);
    let latest = s.latest_report("s1").await.unwrap().unwrap();
    assert_eq!((latest.report, latest.meta), (r, meta));
    // The same id on another site is another report.
    let other = report("r1", "s2", "2026-01-01T00:00:00Z", 30);
    assert!(matches!(insert(&s, &other, t(11)).await, Inserted::New(_)));
    assert_eq!(s.report_count().await.unwrap(), 2);
    assert_eq!(s.latest_report("s2").await.unwrap().unwrap().report, other);
    assert!(s.latest_report("s3").await.unwrap().is_none());
}

#[tokio::test]
async fn latest_is_by_scan_time_not_arrival_and_each_day_keeps_its_last_scan() {
    let pg = Postgres::start();
    let s = open(&pg, lanready_tests::pg::DATABASE).await;
    insert(&s, &report("new", "s1", "2026-01-02T00:00:00Z", 90), t(0)).await;
    // A spooled older scan arrives afterwards.
    insert(&s, &report("old", "s1", "2026-01-01T00:00:00Z", 40), t(5)).await;
    insert(&s, &report("older", "s1", "2026-01-01T08:00:00Z", 50), t(6)).await;
    let latest = s.latest_report("s1").await.unwrap().unwrap();
    assert_eq!(latest.meta.report_id, "new");
    let summary = pg.psql_in(
        lanready_tests::pg::DATABASE,
        "SELECT r.report_id, l.trend FROM site_latest l JOIN reports r ON r.pk = l.report_pk",
    );
    let (id, trend) = summary.trim().split_once('|').unwrap();
    assert_eq!(id, "new");
    let points: Vec<serde_json::Value> = serde_json::from_str(trend).unwrap();
    let scores: Vec<_> = points.iter().map(|p| p[1].as_u64().unwrap()).collect();
    assert_eq!(scores, [40, 50, 90], "oldest first, as SQLite keeps them");
    let days = pg.psql_in(
        lanready_tests::pg::DATABASE,
        "SELECT d.day, r.report_id FROM site_days d JOIN reports r ON r.pk = d.pk ORDER BY d.day",
    );
    assert_eq!(days.trim(), "20454|older\n20455|new");
}

/// Two collectors, eight writers, storing reports of four sites at once, every report sent
/// through both collectors at the same moment: each is stored once, and each site's summary is its
/// latest report with the trend the reports give.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_storing_one_sites_reports_at_once_keep_it_right() {
    let pg = Postgres::start();
    let stores = [
        open(&pg, lanready_tests::pg::DATABASE).await,
        open(&pg, lanready_tests::pg::DATABASE).await,
    ];
    let writers: Vec<_> = (0..8)
        .map(|k: usize| {
            let here = stores[k % 2].clone();
            let there = stores[(k + 1) % 2].clone();
            tokio::spawn(async move {
                for i in 0..20i64 {
                    let at = crate::aggregate::rfc3339(t(i * 60 + k as i64));
                    let r = report(&format!("r{k}-{i}"), &format!("site{}", k % 4), &at, 50);
                    // Sent through both at the same moment: stored once, the other a
                    // duplicate.
                    let new = new_report(&r, t(i));
                    let (x, y) = tokio::join!(here.insert_report(&new), there.insert_report(&new));
                    let (x, y) = (x.unwrap(), y.unwrap());
                    assert!(
                        matches!(
                            (&x, &y),
                            (Inserted::New(_), Inserted::Duplicate(_))
                                | (Inserted::Duplicate(_), Inserted::New(_))
                        ),
                        "{x:?} {y:?}"
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(stores[0].report_count().await.unwrap(), 160);
    for site in 0..4usize {
        let latest = stores[1]
            .latest_report(&format!("site{site}"))
            .await
            .unwrap()
            .unwrap();
        // Writers k and k + 4 write site k % 4; the later scan at i = 19 is k + 4's.
        assert_eq!(latest.meta.report_id, format!("r{}-19", site + 4));
    }
    // Every site's kept trend is its last TREND_KEPT scans, oldest first.
    let check = pg.psql_in(
        lanready_tests::pg::DATABASE,
        &format!(
            "SELECT l.site, l.trend::jsonb = (
                 SELECT jsonb_agg(jsonb_build_array(generated_at, score, verdict, blockers)
                                  ORDER BY generated_at, pk)
                 FROM (SELECT * FROM reports r WHERE r.site = l.site
                       ORDER BY generated_at DESC, pk DESC LIMIT {TREND_KEPT}) last)
             FROM site_latest l ORDER BY l.site"
        ),
    );
    assert_eq!(
        check.trim(),
        "site0|t\nsite1|t\nsite2|t\nsite3|t",
        "{check}"
    );
}

/// The certificates a TLS test cluster serves: a CA, and a leaf it signed for 127.0.0.1.
struct Certs {
    ca_pem: String,
    files: TlsFiles,
}

fn certs() -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "lanready test database CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    Certs {
        ca_pem: ca.pem(),
        files: TlsFiles {
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        },
    }
}

/// Whether the store's sessions are encrypted (from the server's side).
async fn encrypted(store: &PgStore) -> bool {
    let client = store.client("test").await.unwrap();
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// Each sslmode against a server that takes TLS connections only, with a certificate for
/// 127.0.0.1 from a CA of the test's.
#[tokio::test]
async fn sslmode_is_honoured() {
    let certs = certs();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &certs.ca_pem).unwrap();
    let stranger = dir.path().join("other-ca.pem");
    std::fs::write(&stranger, certs_ca_only()).unwrap();
    let pg = Postgres::start_with(&PgOptions {
        tls: Some(certs.files.clone()),
        tls_only: true,
    });
    let db = lanready_tests::pg::DATABASE;
    let root = |p: &std::path::Path| p.display().to_string().replace('/', "%2F");
    let attempt = |query: String, host: &'static str| {
        let url = pg.url_with(db, &query).replace("127.0.0.1", host);
        async move { PgStore::open(&location(&url), &PoolSettings::default()).await }
    };
    for (query, host, ok) in [
        ("sslmode=disable".to_string(), "127.0.0.1", false),
        ("sslmode=prefer".to_string(), "127.0.0.1", true),
        ("sslmode=require".to_string(), "127.0.0.1", true),
        (
            format!("sslmode=verify-full&sslrootcert={}", root(&ca)),
            "127.0.0.1",
            true,
        ),
        (
            format!("sslmode=verify-full&sslrootcert={}", root(&stranger)),
            "127.0.0.1",
            false,
        ),
        (
            format!("sslmode=verify-ca&sslrootcert={}", root(&stranger)),
            "127.0.0.1",
            false,
        ),
        // The certificate names 127.0.0.1, not localhost: verify-ca does not mind,
        // verify-full does.
        (
            format!("sslmode=verify-ca&sslrootcert={}", root(&ca)),
            "localhost",
            true,
        ),
        (
            format!("sslmode=verify-full&sslrootcert={}", root(&ca)),
            "localhost",
            false,
        ),
    ] {
        match attempt(query.clone(), host).await {
            Ok(store) => {
                assert!(ok, "{query} to {host} should have been refused");
                assert!(encrypted(&store).await, "{query} to {host} is encrypted");
            }
            Err(e) => assert!(!ok, "{query} to {host}: {}", chain(&e)),
        }
    }
    let missing = dir.path().join("missing.pem");
    let err = attempt(
        format!("sslmode=verify-full&sslrootcert={}", root(&missing)),
        "127.0.0.1",
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, PgError::RootCert { .. }), "{}", chain(&err));

    // prefer against a server without TLS: plain.
    let plain = Postgres::start();
    let store = PgStore::open(
        &location(&plain.url_with(db, "sslmode=prefer")),
        &PoolSettings::default(),
    )
    .await
    .unwrap();
    assert!(!encrypted(&store).await);
}

/// A CA certificate that signed nothing the server has.
fn certs_ca_only() -> String {
    certs().ca_pem
}

/// A database set to `synchronous_commit = off` still gets durable commits from the store.
#[tokio::test]
async fn commits_are_durable_whatever_the_database_says() {
    let pg = Postgres::start();
    pg.psql("ALTER DATABASE lanready SET synchronous_commit = off;");
    let store = open(&pg, lanready_tests::pg::DATABASE).await;
    let client = store.client("test").await.unwrap();
    let mode: String = client
        .query_one("SELECT current_setting('synchronous_commit')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "on");
}
