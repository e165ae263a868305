//! The store against real database files.

use super::migrations::MIGRATIONS;
use super::writer::insert_report_row;
use super::*;
use crate::testutil::{report, t};

fn insert(store: &Store, r: &Report, received: OffsetDateTime) -> Inserted {
    let body = serde_json::to_string(r).unwrap();
    let generated_at = time::OffsetDateTime::parse(
        &r.generated_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    store
        .insert_report(NewReport {
            report: Arc::new(r.clone()),
            body,
            generated_at,
            received_at: received,
            token_name: "agent-1".into(),
            previous: None,
        })
        .unwrap()
}

#[test]
fn migrates_a_new_file_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        insert(&s, &report("r1", "s1", "2026-01-01T00:00:00Z", 80), t(0));
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(s.report_count().unwrap(), 1);
    let mode: String = s
        .read()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = lock(&s.writer)
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[cfg(unix)]
#[test]
fn a_new_database_is_readable_by_its_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    for p in [path.clone(), dir.path().join("c.db-wal")] {
        if p.exists() {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
}

#[test]
fn two_openers_of_a_new_file_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
    }
}

#[test]
fn refuses_a_database_from_a_newer_build() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(&path).err().expect("newer schema refused");
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
}

/// Ids are unique per site: the same id on another site is another report, never a
/// conflict, so a 409 tells nothing of a site the poster cannot read.
#[test]
fn the_same_id_on_two_sites_is_two_reports() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    let a = report("r1", "s1", "2026-01-01T00:00:00Z", 80);
    let b = report("r1", "s2", "2026-01-01T00:00:00Z", 30);
    assert!(matches!(insert(&s, &a, t(10)), Inserted::New(_)));
    assert!(matches!(insert(&s, &b, t(11)), Inserted::New(_)));
    assert_eq!(s.report_count().unwrap(), 2);
    assert_eq!(s.report_by_id("s1", "r1").unwrap().unwrap().report, a);
    assert_eq!(s.report_by_id("s2", "r1").unwrap().unwrap().report, b);
    assert!(s.report_by_id("s3", "r1").unwrap().is_none());
}

#[test]
fn stores_an_id_once_and_tells_resend_from_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    let r = report("r1", "s1", "2026-01-01T00:00:00Z", 80);
    let first = insert(&s, &r, t(10));
    let Inserted::New(meta) = first else {
        panic!("{first:?}")
    };
    assert_eq!(meta.received_at, t(10));
    // A resend later: same meta, including the first received_at.
    assert_eq!(insert(&s, &r, t(20)), Inserted::Duplicate(meta.clone()));
    let mut changed = r.clone();
    changed.score = 10;
    assert_eq!(insert(&s, &changed, t(30)), Inserted::Conflict(meta));
    assert_eq!(s.report_count().unwrap(), 1);
    assert_eq!(s.latest_report("s1").unwrap().unwrap().report, r);
}

#[test]
fn latest_is_by_scan_time_not_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    insert(&s, &report("new", "s1", "2026-01-02T00:00:00Z", 90), t(0));
    // A spooled older scan arrives afterwards.
    insert(&s, &report("old", "s1", "2026-01-01T00:00:00Z", 40), t(5));
    insert(&s, &report("b", "s2", "2026-01-01T00:00:00Z", 70), t(6));
    let latest = s.latest_reports().unwrap();
    let ids: Vec<_> = latest.iter().map(|r| r.meta.report_id.as_str()).collect();
    assert_eq!(ids, ["new", "b"]);
    let summaries = s.latest_summaries().unwrap();
    let metas: Vec<_> = latest.iter().map(|r| r.meta.clone()).collect();
    assert_eq!(
        summaries.iter().map(|s| s.meta.clone()).collect::<Vec<_>>(),
        metas
    );
    assert_eq!(summaries[0].user_ports, 48);
    let trend = s.trend("s1", 10).unwrap();
    let scores: Vec<_> = trend.iter().map(|p| p.score).collect();
    assert_eq!(scores, [40, 90], "oldest first");
    assert_eq!(
        s.trend("s1", 1).unwrap()[0].score,
        90,
        "limit keeps the newest"
    );
    assert!(s.latest_report("nowhere").unwrap().is_none());
}

#[test]
fn migration_2_fills_site_latest_from_existing_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        // A version-1 database with two reports of one site.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        // The writer also fills migration 9's table; a temporary one takes those rows here
        // and goes with the connection.
        conn.execute_batch("CREATE TEMP TABLE report_basis (pk INTEGER PRIMARY KEY, passed TEXT)")
            .unwrap();
        for (id, at, score) in [
            ("a", "2026-01-02T00:00:00Z", 90),
            ("b", "2026-01-01T00:00:00Z", 40),
        ] {
            let r = report(id, "s1", at, score);
            let new = NewReport {
                body: serde_json::to_string(&r).unwrap(),
                report: Arc::new(r),
                generated_at: OffsetDateTime::parse(
                    at,
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap(),
                received_at: t(0),
                token_name: "x".into(),
                previous: None,
            };
            insert_report_row(&conn, &new).unwrap();
        }
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let v = s.verify().unwrap();
    assert!(
        v.bad_reports.is_empty() && v.bad_summaries.is_empty(),
        "{v:?}"
    );
    // Schema 3: the id of site s1 is free on another site.
    let elsewhere = report("a", "s2", "2026-01-03T00:00:00Z", 10);
    assert!(matches!(insert(&s, &elsewhere, t(9)), Inserted::New(_)));
    assert!(s.report_by_id("s2", "a").unwrap().is_some());
    let cards = s.latest_cards().unwrap();
    let cards: Vec<_> = cards
        .into_iter()
        .filter(|c| c.summary.meta.site == "s1")
        .collect();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].summary.meta.report_id, "a");
    assert_eq!(
        *cards[0].card,
        SiteCard::of(&report("a", "s1", "2026-01-02T00:00:00Z", 90))
    );
    let scores: Vec<_> = cards[0].trend.iter().map(|p| p.score).collect();
    assert_eq!(scores, [40, 90]);
}

#[test]
fn concurrent_inserts_share_commits_and_keep_summaries_right() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Store::open(&dir.path().join("c.db")).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|k| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..40i64 {
                    let at = aggregate_time(i);
                    let r = report(
                        &format!("r{k}-{i}"),
                        &format!("site{}", k % 4),
                        &at,
                        (i % 100) as u8,
                    );
                    assert!(matches!(insert(&s, &r, t(i)), Inserted::New(_)));
                    // A resend inside the same burst is a duplicate, never a second row.
                    assert!(matches!(insert(&s, &r, t(i)), Inserted::Duplicate(_)));
                }
            })
        })
        .collect();
    for h in threads {
        h.join().unwrap();
    }
    assert_eq!(s.report_count().unwrap(), 320);
    let v = s.verify().unwrap();
    assert!(v.is_sound(), "{v:?}");
    assert_eq!(v.reports, 320);
    assert!(s.report_by_id("site3", "r3-7").unwrap().is_some());
    let cards = s.latest_cards().unwrap();
    assert_eq!(cards.len(), 4);
    for c in &cards {
        // Two writers per site wrote scans at the same times; the latest is at i = 39.
        assert_eq!(c.summary.meta.generated_at, t(39 * 60));
        assert_eq!(c.trend.len(), TREND_KEPT as usize);
        let full = s.trend(&c.summary.meta.site, TREND_KEPT).unwrap();
        assert_eq!(c.trend, full, "kept trend equals the one read from reports");
    }
}

#[test]
fn cards_are_reused_until_a_site_has_a_new_latest_report() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    insert(&s, &report("a1", "a", "2026-01-02T00:00:00Z", 50), t(0));
    insert(&s, &report("b1", "b", "2026-01-02T00:00:00Z", 60), t(0));
    let g0 = s.generation();
    let first = s.latest_cards().unwrap();
    // An older scan of a: a's trend changes, its card does not. A newer scan of b.
    insert(&s, &report("a0", "a", "2026-01-01T00:00:00Z", 10), t(1));
    insert(&s, &report("b2", "b", "2026-01-03T00:00:00Z", 70), t(1));
    assert!(s.generation() > g0, "stored reports change the generation");
    let second = s.latest_cards_reusing(&first).unwrap();
    assert!(
        Arc::ptr_eq(&first[0].card, &second[0].card),
        "a's card reused"
    );
    assert_eq!(second[0].trend.len(), 2, "a's trend reread");
    assert!(
        !Arc::ptr_eq(&first[1].card, &second[1].card),
        "b's card reread"
    );
    assert_eq!(second[1].summary.meta.report_id, "b2");
    assert_eq!(second, s.latest_cards().unwrap(), "same as a fresh read");
}

fn aggregate_time(i: i64) -> String {
    crate::aggregate::rfc3339(t(i * 60))
}

#[test]
fn prune_keeps_recent_reports_and_each_sites_latest() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    insert(&s, &report("a1", "a", "2026-01-01T00:00:00Z", 10), t(0));
    insert(&s, &report("a2", "a", "2026-01-05T00:00:00Z", 20), t(0));
    insert(&s, &report("a3", "a", "2026-01-20T00:00:00Z", 30), t(0));
    // Site b has only old reports: its latest survives.
    insert(&s, &report("b1", "b", "2026-01-01T00:00:00Z", 50), t(0));
    insert(&s, &report("b2", "b", "2026-01-02T00:00:00Z", 60), t(0));
    let cutoff = OffsetDateTime::parse(
        "2026-01-10T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(s.prune(cutoff).unwrap(), 3);
    let a: Vec<_> = s.trend("a", 10).unwrap().iter().map(|p| p.score).collect();
    let b: Vec<_> = s.trend("b", 10).unwrap().iter().map(|p| p.score).collect();
    assert_eq!((a, b), (vec![30], vec![60]));
    assert_eq!(s.prune(cutoff).unwrap(), 0, "idempotent");
}

#[test]
fn tokens_add_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    let scope = SiteScope::Only(vec!["s1".into(), "s2".into()]);
    s.add_token("agent-1", TokenKind::Agent, &scope, &[1; 32], t(0))
        .unwrap();
    s.add_token(
        "reader",
        TokenKind::ReadOnly,
        &SiteScope::All,
        &[2; 32],
        t(0),
    )
    .unwrap();
    let err = s
        .add_token("agent-1", TokenKind::Agent, &scope, &[3; 32], t(0))
        .unwrap_err();
    assert!(matches!(err, StoreError::TokenNameTaken(_)), "{err}");
    let active = s.active_tokens().unwrap();
    assert_eq!(active.len(), 2);
    let a = active.iter().find(|t| t.name == "agent-1").unwrap();
    assert_eq!(
        (a.kind, &a.scope, a.hash),
        (TokenKind::Agent, &scope, [1; 32])
    );
    assert!(s.revoke_token("agent-1", t(5)).unwrap());
    assert!(!s.revoke_token("agent-1", t(6)).unwrap(), "already revoked");
    assert!(!s.revoke_token("nobody", t(6)).unwrap());
    let active = s.active_tokens().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].name, "reader");
    // The name is free again once revoked.
    s.add_token("agent-1", TokenKind::Agent, &scope, &[4; 32], t(7))
        .unwrap();
    let listed = s.list_tokens().unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].revoked_at, Some(t(5)));
}

/// A stored verdict this build does not know is an error naming it, never read as
/// `not_ready` (which would pass for a judgement).
#[test]
fn an_unknown_stored_verdict_is_an_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    insert(&s, &report("r1", "s1", "2026-01-01T00:00:00Z", 80), t(10));
    lock(&s.writer)
        .execute("UPDATE reports SET verdict = 'maybe'", [])
        .unwrap();
    let err = s.latest_report("s1").unwrap_err();
    let chain = format!("{err}: {:?}", std::error::Error::source(&err));
    assert!(
        chain.contains("maybe") && chain.contains("is not a verdict"),
        "{chain}"
    );
    assert!(s.trend("s1", 5).is_err());
}

/// A stored token kind this build does not know: `token list` says so, never shows it as
/// read-only; matching skips the row (it authorises nothing).
#[test]
fn an_unknown_stored_token_kind_is_an_error_in_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    s.add_token("agent-1", TokenKind::Agent, &SiteScope::All, &[1; 32], t(0))
        .unwrap();
    // The CHECK constraint guards the column; a hand-edited file may still carry another.
    let w = lock(&s.writer);
    w.execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE tokens SET kind = 'root';")
        .unwrap();
    drop(w);
    let err = s.list_tokens().unwrap_err();
    let chain = format!("{err}: {:?}", std::error::Error::source(&err));
    assert!(
        chain.contains("root") && chain.contains("is not a token kind"),
        "{chain}"
    );
    assert!(s.active_tokens().unwrap().is_empty());
}

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

/// Stores each (id, site, scanned, blockers) in turn, a second apart in arrival.
fn insert_scans(store: &Store, scans: &[(&str, &str, &str, u32)]) {
    for (n, (id, site, generated_at, blockers)) in scans.iter().enumerate() {
        let mut r = report(id, site, generated_at, 50);
        r.counts.blockers = *blockers;
        insert(store, &r, t(n as i64));
    }
}

#[test]
fn each_site_day_is_its_last_scan_and_goes_with_pruned_history() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    let d1 = time::macros::date!(2026 - 01 - 01);
    let d2 = time::macros::date!(2026 - 01 - 02);
    // a0 arrives after a1 but was scanned earlier in the day: not the day's last.
    insert_scans(
        &s,
        &[
            ("a1", "a", "2026-01-01T10:00:00Z", 5),
            ("a0", "a", "2026-01-01T08:00:00Z", 9),
            ("a2", "a", "2026-01-01T23:59:59Z", 4),
            ("a3", "a", "2026-01-02T00:00:00Z", 3),
            ("b1", "b", "2026-01-01T12:00:00Z", 7),
        ],
    );
    let all = s.burndowns(d1).unwrap();
    assert_eq!(all["a"], [(d1, 4), (d2, 3)]);
    assert_eq!(all["b"], [(d1, 7)]);
    let later = s.burndowns(d2).unwrap();
    assert_eq!(later.get("a").map(Vec::as_slice), Some(&[(d2, 3)][..]));
    assert!(!later.contains_key("b"));
    // Day 1's reports are pruned (b's is its latest and stays).
    assert_eq!(s.prune(at("2026-01-02T00:00:00Z")).unwrap(), 3);
    let pruned = s.burndowns(d1).unwrap();
    assert_eq!(pruned["a"], [(d2, 3)]);
    assert_eq!(pruned["b"], [(d1, 7)]);
}

#[test]
fn migration_7_fills_site_days_from_existing_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    {
        let s = Store::open(&path).unwrap();
        insert_scans(
            &s,
            &[
                ("a1", "a", "2026-01-01T10:00:00Z", 5),
                ("a2", "a", "2026-01-01T09:00:00Z", 8),
                ("a3", "a", "2026-01-03T09:00:00Z", 2),
            ],
        );
        // Back to version 6: the tables of steps 7 to 9 gone.
        lock(&s.writer)
            .execute_batch(
                "DROP TABLE site_days; DROP TABLE webhook_cursor; DROP TABLE report_basis;
                 PRAGMA user_version = 6;",
            )
            .unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let d = |day| time::Date::from_calendar_date(2026, time::Month::January, day).unwrap();
    assert_eq!(s.burndowns(d(1)).unwrap()["a"], [(d(1), 5), (d(3), 2)]);
}

#[test]
fn the_previous_basis_is_the_scan_before_from_its_row_or_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("c.db")).unwrap();
    let a1 = report("a1", "a", "2026-01-01T10:00:00Z", 95);
    let a2 = report("a2", "a", "2026-01-02T10:00:00Z", 40);
    insert(&s, &a1, t(0));
    insert(&s, &a2, t(1));
    insert(&s, &report("b1", "b", "2026-01-01T11:00:00Z", 10), t(2));
    // Before a2: a1 (not b's scan, not a2 itself).
    let (id, basis) = s
        .previous_basis("a", at("2026-01-02T10:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (id.as_str(), &basis),
        ("a1", &crate::regression::Basis::of(&a1))
    );
    assert!(!basis.judged.is_empty(), "the sample has judged checks");
    let (id, basis) = s
        .previous_basis("a", at("2026-02-01T00:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!((id.as_str(), basis.verdict), ("a2", Verdict::NotReady));
    assert_eq!(
        s.previous_basis("a", at("2026-01-01T10:00:00Z")).unwrap(),
        None
    );
    // A report stored before the basis table (no row): the same basis, from its body.
    lock(&s.writer)
        .execute_batch("DELETE FROM report_basis")
        .unwrap();
    let (_, from_body) = s
        .previous_basis("a", at("2026-01-02T10:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(from_body, crate::regression::Basis::of(&a1));
    // Pruned with its report.
    insert(&s, &report("a3", "a", "2026-03-01T10:00:00Z", 40), t(3));
    assert_eq!(s.prune(at("2026-02-15T00:00:00Z")).unwrap(), 2);
    let left: i64 = lock(&s.writer)
        .query_row("SELECT COUNT(*) FROM report_basis", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1, "a3's row only (b1's was deleted above)");
}
