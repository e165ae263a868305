//! Faults between the poller and the switch, injected for real on loopback: a lossy relay
//! (drops, delays, duplicates, reordering, stale replays) in front of snmpsim, and a hostile
//! agent that answers with wrong types, truncated PDUs, non-increasing OIDs, endless tables
//! and oversized answers. Nothing read may be lost or mixed up, and every fault ends the
//! poll in bounded time with a clear problem or error, never a panic or a hang.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lanready_mibs::Walk;
use lanready_snmp::{
    Failure, PollError, PollOptions, ScanBudget, Target, poll, poll_in_scan, poll_with_stats,
};
use lanready_tests::Snmpsim;
use lanready_tests::relay::{Faults, Relay, RelayConfig};

fn sim_addr(sim: &Snmpsim) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], sim.port()))
}

/// Patient options for a lossy path: short timeouts, many retries.
fn lossy_opts(vlan_contexts: bool) -> PollOptions {
    PollOptions {
        timeout: Duration::from_millis(400),
        retries: 8,
        max_repetitions: 25,
        vlan_contexts,
        max_requests_per_second: None,
    }
}

/// Polls `community` on `sim` directly, then through a relay with `config`, and asserts
/// the two walks are the same. Returns the relay's and the poller's counts.
async fn same_through_relay(
    sim: &Snmpsim,
    community: &str,
    opts: &PollOptions,
    config: RelayConfig,
) -> (lanready_tests::relay::RelayStats, lanready_snmp::PollStats) {
    let direct = poll(&Target::v2c(&sim.address(), community), opts)
        .await
        .expect("direct poll");
    assert!(direct.values.len() > 1000, "{community} is a full switch");
    assert!(direct.problems.is_empty(), "{:?}", direct.problems);
    if opts.vlan_contexts {
        assert!(
            direct.vlan_contexts.len() >= 3,
            "{community} serves VLAN contexts"
        );
    }
    let relay = Relay::start(sim_addr(sim), config).unwrap();
    let (relayed, stats) = poll_with_stats(&Target::v2c(&relay.address(), community), opts)
        .await
        .expect("a poll through the faulty relay completes");
    let rs = relay.stats();
    assert!(
        relayed == direct,
        "the walk through the faulty relay differs (relay {rs:?}, poll {stats:?}):\n{}",
        diff(&direct, &relayed)
    );
    (rs, stats)
}

fn ten_percent_loss() -> RelayConfig {
    RelayConfig {
        to_agent: Faults::loss(0.10),
        to_client: Faults::loss(0.10),
        seed: 0x10_55,
    }
}

/// Requests: some sent twice (the agent answers both), some held back so that a retry
/// overtakes them. Answers: a third arrive twice, the copy late enough that the next
/// request is already waiting for its own; a fifth are preceded by a stale answer to an
/// earlier request (of this session or another).
fn duplicates_and_replays() -> RelayConfig {
    RelayConfig {
        to_agent: Faults {
            duplicate: 0.2,
            duplicate_after: Duration::from_millis(5),
            reorder: 0.05,
            reorder_by: Duration::from_millis(600),
            jitter: Duration::from_millis(3),
            ..Faults::none()
        },
        to_client: Faults {
            duplicate: 0.3,
            duplicate_after: Duration::from_millis(25),
            replay: 0.2,
            jitter: Duration::from_millis(3),
            ..Faults::none()
        },
        seed: 0xd0b1e,
    }
}

/// Where two walks differ, briefly, for a failure message.
fn diff(a: &Walk, b: &Walk) -> String {
    let mut out = Vec::new();
    for (k, v) in &a.values {
        if b.values.get(k) != Some(v) {
            out.push(format!("direct {k} = {v:?}, relayed {:?}", b.values.get(k)));
        }
    }
    for k in b.values.keys() {
        if !a.values.contains_key(k) {
            out.push(format!("relayed has extra {k}"));
        }
    }
    let vlans = |w: &Walk| {
        w.vlan_contexts
            .iter()
            .map(|(v, m)| (*v, m.len()))
            .collect::<Vec<_>>()
    };
    if vlans(a) != vlans(b) {
        out.push(format!(
            "VLAN contexts (vlan, values): direct {:?}, relayed {:?}",
            vlans(a),
            vlans(b)
        ));
    }
    if a.problems != b.problems {
        out.push(format!(
            "problems: direct {:?}, relayed {:?}",
            a.problems, b.problems
        ));
    }
    out.truncate(12);
    out.join("\n")
}

#[tokio::test]
async fn ten_percent_loss_both_ways_reads_exactly_what_a_clean_path_reads() {
    let sim = Snmpsim::fixtures(&["access48"]);
    let (rs, stats) =
        same_through_relay(&sim, "access48", &lossy_opts(false), ten_percent_loss()).await;
    assert!(
        rs.to_agent.dropped > 0 && rs.to_client.dropped > 0,
        "the relay lost nothing: {rs:?}"
    );
    assert!(stats.timeouts > 0, "no timeouts at 10% loss? {stats:?}");
}

/// A station whose path to its switch crosses a firewall that drops fragmented UDP: every
/// answer over 1,472 bytes is lost without a word. The poll must read exactly what a clean
/// path reads, losing at most 3 answers before every request is sized to fit.
#[tokio::test]
async fn a_path_that_drops_fragments_reads_what_a_clean_path_reads_losing_at_most_3() {
    let sim = Snmpsim::fixtures(&["access48"]);
    fragments_dropped(&sim, "access48", true).await;
}

/// The same on the 2960X stack recording of the corpus (its VLAN contexts are not recorded).
#[tokio::test]
async fn a_2960x_stack_behind_a_fragment_dropping_path_loses_at_most_3_answers() {
    let Some(corpus) = lanready_tests::corpus_dir() else {
        eprintln!("the corpus is not beside the project: the fixture test above stands alone");
        return;
    };
    let sim = Snmpsim::start(&[corpus.join("recordings/ios_2960x.snmprec")]);
    fragments_dropped(&sim, "ios_2960x", false).await;
}

async fn fragments_dropped(sim: &Snmpsim, community: &str, vlan_contexts: bool) {
    let opts = PollOptions {
        timeout: Duration::from_millis(500),
        retries: 2,
        ..lossy_opts(vlan_contexts)
    };
    let (rs, stats) = same_through_relay(
        sim,
        community,
        &opts,
        RelayConfig {
            to_agent: Faults::none(),
            to_client: Faults {
                drop_over: Some(1472),
                ..Faults::none()
            },
            seed: 1,
        },
    )
    .await;
    assert!(
        rs.to_client.oversized > 0,
        "no answer was too large: {rs:?}"
    );
    assert!(
        rs.to_client.oversized <= 3 && stats.timeouts <= 3,
        "{community}: {} answers lost to their size ({rs:?}, {stats:?})",
        rs.to_client.oversized
    );
    eprintln!(
        "{community}: {} requests, {} lost to their size",
        stats.requests, rs.to_client.oversized
    );
}

/// The per-VLAN contexts (BRIDGE-MIB, needed for portfast and the VLAN of each bridge port)
/// must be as robust as the main walk: one lost datagram may not cost a VLAN's ports.
#[tokio::test]
async fn vlan_contexts_survive_loss_duplicates_and_replays_like_the_main_walk() {
    let sim = Snmpsim::fixtures(&["access48"]);
    let (rs, _) = same_through_relay(&sim, "access48", &lossy_opts(true), ten_percent_loss()).await;
    assert!(
        rs.to_agent.dropped > 0 && rs.to_client.dropped > 0,
        "{rs:?}"
    );
    let (rs, _) = same_through_relay(
        &sim,
        "access48",
        &lossy_opts(true),
        duplicates_and_replays(),
    )
    .await;
    assert!(
        rs.to_client.duplicated > 0 && rs.to_client.replayed > 0,
        "{rs:?}"
    );
}

#[tokio::test]
async fn a_switch_behind_total_loss_times_out_in_bounded_time_while_another_completes() {
    let sim = Snmpsim::fixtures(&["access48", "stack3"]);
    let dead = Relay::start(
        sim_addr(&sim),
        RelayConfig {
            to_agent: Faults::loss(1.0),
            to_client: Faults::none(),
            seed: 1,
        },
    )
    .unwrap();
    let opts = PollOptions {
        timeout: Duration::from_millis(300),
        retries: 2,
        max_repetitions: 25,
        vlan_contexts: true,
        max_requests_per_second: None,
    };
    let healthy_opts = PollOptions {
        timeout: Duration::from_secs(3),
        ..opts.clone()
    };
    let dead_target = Target::v2c(&dead.address(), "access48");
    let live_target = Target::v2c(&sim.address(), "stack3");
    let started = Instant::now();
    let (dead_result, live_result) = tokio::join!(
        async {
            let r = poll(&dead_target, &opts).await;
            (r, started.elapsed())
        },
        poll(&live_target, &healthy_opts),
    );
    let (dead_result, dead_took) = dead_result;
    match dead_result {
        Err(PollError {
            failure: Failure::Timeout { attempts, timeout },
            ..
        }) => {
            assert_eq!(attempts, 3);
            assert_eq!(timeout, opts.timeout);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // One request, three attempts of 300 ms: about 0.9 s, never the time of a full walk.
    assert!(
        dead_took >= Duration::from_millis(900) && dead_took < Duration::from_secs(3),
        "the unreachable switch took {dead_took:?}"
    );
    let msg = poll(&dead_target, &opts).await.unwrap_err().to_string();
    assert!(
        msg.contains(&dead.address()) && msg.contains("no answer after 3 attempts"),
        "{msg}"
    );
    let live = live_result.expect("the reachable switch is read while the other times out");
    let alone = poll(&live_target, &healthy_opts).await.unwrap();
    assert!(
        live == alone,
        "the healthy switch's walk depends on the dead one:\n{}",
        diff(&alone, &live)
    );
    assert_eq!(dead.stats().to_client.received, 0);
}

#[tokio::test]
async fn late_duplicates_and_stale_replays_are_never_taken_as_answers() {
    let sim = Snmpsim::fixtures(&["access48"]);
    let (rs, stats) = same_through_relay(
        &sim,
        "access48",
        &lossy_opts(false),
        duplicates_and_replays(),
    )
    .await;
    assert!(
        rs.to_client.duplicated > 10 && rs.to_client.replayed > 10 && rs.to_agent.reordered > 0,
        "the relay did not inject enough: {rs:?}"
    );
    // Stale answers reached the poller, and each cost a new session instead of being used:
    // far more sessions than timeouts explain.
    assert!(
        stats.sessions > stats.timeouts + 10,
        "the poller never met a stale answer: {stats:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile answers
// ---------------------------------------------------------------------------------------

use lanready_mibs::{Oid, Value};
use lanready_tests::hostile::{
    Answer, Cell, Data, HostileAgent, PduKind, Reply, Request, encode_response,
    response_with_varbind_bytes, varbind_ber,
};

const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
const IF_OPER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8];
const IF_TABLE_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const IFX_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];
const PETH_DETECTION: &[u32] = &[1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 6];
const VM_VLAN: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1, 2];
const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const CDP_DEVICE_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 6];

/// A hostile agent may not keep the poller longer than this.
const HANG: Duration = Duration::from_secs(90);

fn access48() -> Data {
    Data::from_files(&lanready_tests::fixture_files(&["access48"]))
}

fn quick_opts() -> PollOptions {
    PollOptions {
        timeout: Duration::from_millis(500),
        retries: 1,
        max_repetitions: 25,
        vlan_contexts: true,
        max_requests_per_second: None,
    }
}

/// Polls `agent` as `access48`, failing the test if the poll does not end within [`HANG`].
async fn poll_hostile(
    agent: &HostileAgent,
) -> (
    Result<(Walk, lanready_snmp::PollStats), PollError>,
    Duration,
) {
    let started = Instant::now();
    let target = Target::v2c(&agent.address(), "access48");
    let r = tokio::time::timeout(HANG, poll_with_stats(&target, &quick_opts()))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the poll of a hostile agent did not end within {HANG:?} ({} requests)",
                agent.requests()
            )
        });
    (r, started.elapsed())
}

fn has_line(lines: &[String], needles: &[&str]) -> bool {
    lines.iter().any(|l| needles.iter().all(|n| l.contains(n)))
}

/// One of the walk's problem lines holds every needle.
fn assert_problem(walk: &Walk, needles: &[&str]) {
    assert!(
        has_line(&walk.problems, needles),
        "no problem line holds {needles:?}: {:#?}",
        walk.problems
    );
}

/// Rewrites the varbinds under `prefix` in an honest answer.
fn bend(a: &mut Answer, prefix: &[u32], f: impl Fn(&[u32], &Cell) -> Cell) {
    for (oid, cell) in a.varbinds.iter_mut() {
        if oid.starts_with(prefix) && matches!(cell, Cell::Value(_)) {
            *cell = f(oid, cell);
        }
    }
}

#[tokio::test]
async fn wrong_types_for_known_columns_become_problem_lines() {
    let agent = HostileAgent::start(access48(), |_req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        bend(&mut a, IF_DESCR, |_, _| Cell::Value(Value::Integer(7)));
        bend(&mut a, IF_OPER_STATUS, |_, _| {
            Cell::Value(Value::OctetString(b"up".to_vec()))
        });
        bend(&mut a, PETH_DETECTION, |_, _| {
            Cell::Value(Value::IpAddress([10, 0, 0, 1]))
        });
        bend(&mut a, VM_VLAN, |_, _| {
            Cell::Value(Value::ObjectId(Oid(vec![1, 3, 6])))
        });
        bend(&mut a, SYS_UPTIME, |_, _| {
            Cell::Value(Value::OctetString(b"a long time".to_vec()))
        });
        // A BER type SNMP does not allow in a varbind at all.
        bend(&mut a, CDP_DEVICE_ID, |_, _| Cell::Raw {
            tag: 0x01,
            body: vec![0xff],
        });
        Reply::Answer(a)
    });
    let (r, took) = poll_hostile(&agent).await;
    let (walk, _) = r.expect("wrong types are not a reason to give up on a switch");
    let snap = lanready_mibs::decode::snapshot(&walk, &agent.address());
    let p = &snap.problems;
    assert!(has_line(p, &["ifTable", "expected", "INTEGER"]), "{p:#?}");
    // snmp2 cannot read a BOOLEAN varbind: the column ends there, and says so.
    assert!(
        has_line(p, &["cdpCacheTable", "could not be decoded"]),
        "{p:#?}"
    );
    assert!(has_line(p, &["IpAddress"]), "{p:#?}");
    assert!(has_line(p, &["OBJECT IDENTIFIER"]), "{p:#?}");
    assert!(
        has_line(p, &["sysUpTime"]) || has_line(p, &["1.3.6.1.2.1.1.3.0"]),
        "{p:#?}"
    );
    // What was right is still read: 48 user ports and their PoE.
    assert!(snap.interfaces.len() >= 48, "{}", snap.interfaces.len());
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[tokio::test]
async fn a_truncated_datagram_is_a_clear_error() {
    let agent = HostileAgent::start(access48(), |req, honest| {
        let Some(a) = honest else {
            return Reply::Silence;
        };
        let bytes = encode_response(req, &a);
        if req.oids.iter().any(|o| o.starts_with(IFX_ENTRY)) {
            Reply::Bytes(bytes[..bytes.len() * 2 / 3].to_vec())
        } else {
            Reply::Bytes(bytes)
        }
    });
    let (r, took) = poll_hostile(&agent).await;
    match r {
        Err(
            e @ PollError {
                failure: Failure::Protocol { .. },
                ..
            },
        ) => {
            let msg = e.to_string();
            assert!(msg.starts_with(&agent.address()), "{msg}");
            assert!(msg.contains("answer"), "{msg}");
        }
        Ok((walk, _)) => assert!(
            has_line(&walk.problems, &["ifXTable"]),
            "a truncated ifXTable answer left no trace: {:?}",
            walk.problems
        ),
        Err(other) => panic!("a truncated datagram should be a protocol problem, got {other}"),
    }
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[tokio::test]
async fn a_varbind_cut_short_inside_a_well_framed_answer_cuts_its_column_with_a_problem() {
    let agent = HostileAgent::start(access48(), |req, honest| {
        let Some(a) = honest else {
            return Reply::Silence;
        };
        if req.kind != PduKind::GetBulk || !req.oids.iter().any(|o| o.starts_with(IFX_ENTRY)) {
            return Reply::Answer(a);
        }
        // The first varbind as it should be, the second cut to half its bytes, no more:
        // the first column goes on, the others cannot be read.
        let mut vbs: Vec<Vec<u8>> = a
            .varbinds
            .iter()
            .take(2)
            .map(|(o, c)| varbind_ber(o, c))
            .collect();
        if let Some(second) = vbs.get_mut(1) {
            second.truncate(second.len() / 2);
        } else if let Some(only) = vbs.get_mut(0)
            && req.oids.len() == 1
            && !req.oids[0].starts_with(IFX_NAME)
        {
            only.truncate(only.len() / 2);
        }
        Reply::Bytes(response_with_varbind_bytes(req, &a, &vbs.concat()))
    });
    let (r, took) = poll_hostile(&agent).await;
    let (walk, _) = match r {
        Ok(x) => x,
        Err(e) => panic!("one bad varbind should cost a column, not the switch: {e}"),
    };
    assert_problem(&walk, &["ifXTable", "could not be decoded"]);
    let names = walk.subtree(IFX_NAME).count();
    let honest = access48().communities["access48"]
        .keys()
        .filter(|o| o.starts_with(IFX_NAME))
        .count();
    assert_eq!(
        names, honest,
        "the column that could be read was read in full"
    );
    assert_table_error(&walk, "ifXTable");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[tokio::test]
async fn oids_that_go_backwards_end_the_column_with_a_problem() {
    let agent = HostileAgent::start(access48(), |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        // Past the first rows, ifDescr answers go back to the start of the column.
        if req.kind == PduKind::GetBulk
            && req
                .oids
                .iter()
                .any(|o| o.starts_with(IF_DESCR) && o.len() > IF_DESCR.len())
        {
            for (oid, _) in a.varbinds.iter_mut() {
                if oid.starts_with(IF_DESCR) {
                    *oid = [IF_DESCR, &[1]].concat();
                }
            }
        }
        Reply::Answer(a)
    });
    let (r, took) = poll_hostile(&agent).await;
    let (walk, _) = r.expect("a backwards OID costs a column, not the switch");
    assert_problem(&walk, &["ifTable", "OIDs must increase"]);
    assert_table_error(&walk, "ifTable");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// The snapshot decoded from `walk` says `table` could not be read.
fn assert_table_error(walk: &Walk, table: &str) {
    let snap = lanready_mibs::decode::snapshot(walk, "sw");
    assert!(
        matches!(
            snap.tables.get(table),
            Some(lanready_schema::TableStatus::Error { .. })
        ),
        "{table}: {:?}",
        snap.tables.get(table)
    );
}

/// The OID `r + 1` rows after `q` in an endless column: the column is the first
/// `col_len` arcs of `q`, the row index the single arc after it.
fn endless_next(q: &[u32], col_len: usize, r: u32) -> Vec<u32> {
    let base = q.get(col_len).copied().unwrap_or(0);
    [&q[..col_len], &[base.saturating_add(r + 1)]].concat()
}

/// An answer in which every repeater under `prefix` goes on forever (`per_request` rows
/// each, whatever was asked), the others as an honest agent answers. After `safety`
/// requests the agent gives up and ends every column, so a poller without its own limit
/// still ends (and the test can say so).
fn endless(
    prefix: &'static [u32],
    per_request: Option<u32>,
    safety: u64,
) -> impl Fn(&Request, Option<Answer>) -> Reply + Send + Sync + 'static {
    let seen = std::sync::atomic::AtomicU64::new(0);
    move |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if req.kind != PduKind::GetBulk || !req.oids.iter().any(|o| o.starts_with(prefix)) {
            return Reply::Answer(a);
        }
        if n >= safety {
            a.varbinds = req
                .oids
                .iter()
                .map(|o| (o.clone(), Cell::EndOfMibView))
                .collect();
            return Reply::Answer(a);
        }
        let cols = req.oids.len().max(1);
        let rows = match per_request {
            Some(r) => r,
            None => (a.varbinds.len() / cols) as u32,
        };
        let mut out = Vec::new();
        for r in 0..rows {
            for (c, q) in req.oids.iter().enumerate() {
                let vb = if q.starts_with(prefix) {
                    // Every column here is 10 arcs long (IF-MIB ifTable).
                    let o = endless_next(q, 10, r);
                    let text = format!("endless-{}", o.last().copied().unwrap_or(0));
                    (o, Cell::Value(Value::OctetString(text.into_bytes())))
                } else {
                    a.varbinds
                        .get(r as usize * cols + c)
                        .cloned()
                        .unwrap_or((q.clone(), Cell::EndOfMibView))
                };
                out.push(vb);
            }
        }
        a.varbinds = out;
        Reply::Answer(a)
    }
}

/// The most values one table group may hold before the poller must stop reading it. No
/// real switch comes near: the largest tables (ENTITY-MIB on a big chassis, ifTable on a
/// stack of eight) hold a few thousand rows.
const MAX_VALUES_PER_TABLE: usize = 100_000;

#[tokio::test]
async fn an_endless_table_ends_with_a_problem_in_bounded_requests() {
    const SAFETY: u64 = 5_000;
    let agent = HostileAgent::start(access48(), endless(IF_DESCR, None, SAFETY));
    let (r, took) = poll_hostile(&agent).await;
    let (walk, stats) = r.expect("an endless table costs that table, not the switch");
    let rows = walk.subtree(IF_DESCR).count();
    assert!(
        agent.requests() < SAFETY,
        "the poller did not stop an endless ifTable by itself: it sent {} requests and kept \
         {rows} ifDescr values until the test agent gave up ({took:?}, {stats:?})",
        agent.requests()
    );
    assert!(rows <= MAX_VALUES_PER_TABLE, "{rows} ifDescr values kept");
    assert_problem(&walk, &["ifTable"]);
}

#[tokio::test]
async fn an_answer_with_far_more_varbinds_than_asked_for_is_bounded() {
    const SAFETY: u64 = 400;
    // 2,000 rows of every ifTable column in each answer (~60 KB, the most a datagram
    // holds), whatever max-repetitions said.
    let agent = HostileAgent::start(access48(), endless(IF_TABLE_ENTRY, Some(2_000 / 7), SAFETY));
    let (r, took) = poll_hostile(&agent).await;
    let (walk, stats) = r.expect("oversized answers cost that table, not the switch");
    let kept = walk.subtree(IF_TABLE_ENTRY).count();
    assert!(
        agent.requests() < SAFETY && kept <= MAX_VALUES_PER_TABLE,
        "the poller kept {kept} ifTable values from {} oversized answers until the test agent \
         gave up ({took:?}, {stats:?})",
        agent.requests()
    );
    assert_problem(&walk, &["ifTable"]);
}

#[tokio::test]
async fn lying_lengths_garbage_and_wrong_request_ids_are_clear_errors_not_hangs() {
    type Bend = fn(&Request, Answer) -> Vec<u8>;
    let cases: [(&str, Bend, &str); 4] = [
        (
            "a VarBindList claiming 2 GB",
            |req, a| {
                let mut b = encode_response(req, &a);
                // The message, the PDU and the list all claim far more than was sent.
                let l = b.len();
                b.truncate(l.min(40));
                let mut out = vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff];
                out.extend_from_slice(&b[2..]);
                out
            },
            "answer",
        ),
        (
            "garbage",
            |_, _| vec![0xde, 0xad, 0xbe, 0xef, 0x00, 0x01],
            "answer",
        ),
        ("an empty datagram", |_, _| Vec::new(), "answer"),
        (
            "another request's id",
            |req, a| {
                let other = Request {
                    request_id: req.request_id.wrapping_add(1_000),
                    ..req.clone()
                };
                encode_response(&other, &a)
            },
            "request id",
        ),
    ];
    for (what, f, needle) in cases {
        let agent = HostileAgent::start(access48(), move |req, honest| match honest {
            Some(a) => Reply::Bytes(f(req, a)),
            None => Reply::Silence,
        });
        let started = Instant::now();
        let r = tokio::time::timeout(
            HANG,
            poll(&Target::v2c(&agent.address(), "access48"), &quick_opts()),
        )
        .await
        .unwrap_or_else(|_| panic!("{what}: the poll hung"));
        let took = started.elapsed();
        match r {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&agent.address()) && msg.contains(needle),
                    "{what}: {msg}"
                );
            }
            Ok(w) => panic!(
                "{what}: a poll of an agent that never answers properly succeeded: {:?}",
                w.problems
            ),
        }
        // At most the attempts of the first request.
        assert!(took < Duration::from_secs(5), "{what}: took {took:?}");
    }
}

#[tokio::test]
async fn too_big_forever_cuts_tables_short_with_problems() {
    let agent = HostileAgent::start(access48(), |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        if req.kind == PduKind::GetBulk {
            a.error_status = 1;
            a.varbinds.clear();
        }
        Reply::Answer(a)
    });
    let (r, took) = poll_hostile(&agent).await;
    let (walk, stats) = r.expect("tooBig is not a reason to give up on the switch");
    assert_problem(&walk, &["ifTable", "too big"]);
    assert!(walk.subtree(IF_DESCR).next().is_none());
    // Halving from 25 repetitions to one column at a time: a few requests per table.
    assert!(stats.requests < 2_000, "{stats:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// SplitMix64, for seeded mutations.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random corruption of an encoded answer: flipped bits, a cut, an inserted or
/// deleted byte, a length byte changed, or a varbind's value tag replaced.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Mix) {
    if bytes.is_empty() {
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
        }
        1 => bytes.truncate(at),
        2 => bytes.insert(at, rng.next() as u8),
        3 => {
            bytes.remove(at);
        }
        4 => {
            // A length byte: the byte after a tag we know.
            let tags: Vec<usize> = (0..bytes.len() - 1)
                .filter(|&i| matches!(bytes[i], 0x02 | 0x04 | 0x06 | 0x30 | 0xa2))
                .collect();
            if !tags.is_empty() {
                let i = tags[rng.below(tags.len())] + 1;
                bytes[i] = rng.next() as u8;
            }
        }
        _ => {
            let tags = [0x00, 0x01, 0x03, 0x09, 0x1f, 0x45, 0x47, 0x83, 0xa0, 0xff];
            let vals: Vec<usize> = (0..bytes.len())
                .filter(|&i| matches!(bytes[i], 0x02 | 0x04 | 0x41 | 0x42 | 0x43 | 0x46))
                .collect();
            if !vals.is_empty() {
                let i = vals[rng.below(vals.len())];
                bytes[i] = tags[rng.below(tags.len())];
            }
        }
    }
}

/// Seeded fuzzing of the agent's decoding, end to end over UDP: any answer may be corrupted
/// (one in thirty is, at random, so polls get deep into the walk). Each poll ends in bounded
/// time with a walk (which then decodes) or an error naming the switch; none panics or hangs.
#[tokio::test]
async fn randomly_corrupted_answers_never_panic_or_hang_the_poller() {
    let data = access48();
    let mut outcomes = (0usize, 0usize);
    for seed in 0..48u64 {
        let rng = std::sync::Mutex::new(Mix(seed.wrapping_mul(0x2545_f491_4f6c_dd1d)));
        let agent = HostileAgent::start(data.clone(), move |req, honest| {
            let Some(a) = honest else {
                return Reply::Silence;
            };
            let mut bytes = encode_response(req, &a);
            let mut r = rng.lock().unwrap();
            if r.below(30) == 0 {
                mutate(&mut bytes, &mut r);
            }
            Reply::Bytes(bytes)
        });
        let opts = PollOptions {
            timeout: Duration::from_millis(300),
            retries: 1,
            max_repetitions: 25,
            vlan_contexts: false,
            max_requests_per_second: None,
        };
        let started = Instant::now();
        let r = tokio::time::timeout(
            HANG,
            poll(&Target::v2c(&agent.address(), "access48"), &opts),
        )
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: the poll hung"));
        match r {
            Ok(walk) => {
                outcomes.0 += 1;
                let snap = lanready_mibs::decode::snapshot(&walk, "sw");
                assert!(snap.tables.contains_key("ifTable"), "seed {seed}");
            }
            Err(e) => {
                outcomes.1 += 1;
                assert!(
                    e.to_string().starts_with(&agent.address()),
                    "seed {seed}: {e}"
                );
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "seed {seed}: took {:?}",
            started.elapsed()
        );
    }
    eprintln!(
        "corrupted answers: {} walks, {} errors",
        outcomes.0, outcomes.1
    );
    // Both ends of the range were reached: some polls got through their corruptions, and
    // some met one that ends a poll.
    assert!(
        outcomes.0 > 0 && outcomes.1 > 0,
        "walks, errors: {outcomes:?}"
    );
}

/// The whole `scan` command: one switch of the site behind total loss is reported
/// unreachable with the reason, the other is read in full, and the scan ends in bounded time.
#[test]
fn a_scan_reports_the_lost_switch_unreachable_and_reads_the_others() {
    let sim = Snmpsim::fixtures(&["access48", "stack3"]);
    let dead = Relay::start(
        sim_addr(&sim),
        RelayConfig {
            to_agent: Faults::loss(1.0),
            to_client: Faults::loss(1.0),
            seed: 3,
        },
    )
    .unwrap();
    let live = Relay::start(sim_addr(&sim), RelayConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("site.toml");
    std::fs::write(
        &plan,
        format!(
            "[[sites]]\nname = \"faults\"\nvoice_vlan = 110\ndata_vlan = 10\ntimeout_ms = 400\nretries = 6\n\
             switches = [\n  {{ address = \"{}\", community = \"access48\" }},\n  \
             {{ address = \"{}\", community = \"stack3\" }},\n]\n",
            dead.address(),
            live.address()
        ),
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let started = Instant::now();
    let out = std::process::Command::new(lanready_tests::binary("lanready-agent"))
        .args(["scan", "--plan", plan.to_str().unwrap()])
        .args(["--out", report.to_str().unwrap()])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let by_address = |a: &str| {
        r["switches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["address"] == a)
            .unwrap_or_else(|| panic!("{a} missing from {r:#}"))
            .clone()
    };
    let lost = by_address(&dead.address());
    assert_eq!(lost["reachable"], false, "{lost:#}");
    let why = lost["error"].as_str().unwrap_or_default();
    assert!(why.contains("no answer after 7 attempts"), "{why}");
    let read = by_address(&live.address());
    assert_eq!(read["reachable"], true, "{read:#}");
    assert_eq!(read["user_ports"], 72, "stack3 has 72 user ports: {read:#}");
    // The lost switch costs its first request's attempts (7 x 400 ms), in parallel with
    // the other's walk, not a walk's worth of timeouts: counted in datagrams, which no
    // machine's load changes (the time is only a loose bound against a hang).
    assert_eq!(dead.stats().to_agent.received, 7, "{:?}", dead.stats());
    assert!(took < Duration::from_secs(240), "{took:?}");
    assert!(live.stats().to_client.sent > 50);
    assert_eq!(dead.stats().to_agent.sent, 0);
}

/// Runs `lanready-agent scan` on a plan of this text; the scan must succeed. Returns the
/// report, and its file (in the returned directory) for a gate to read.
fn scan_plan(
    plan_text: &str,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    lanready_schema::Report,
) {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("site.toml");
    std::fs::write(&plan, plan_text).unwrap();
    let report = dir.path().join("report.json");
    let out = std::process::Command::new(lanready_tests::binary("lanready-agent"))
        .args(["scan", "--plan", plan.to_str().unwrap()])
        .args(["--out", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (dir, report, r)
}

/// The length of the poll plan's column that `q` is in, if any.
fn plan_column_len(q: &[u32]) -> Option<usize> {
    lanready_mibs::poll::GROUPS
        .iter()
        .flat_map(|g| g.columns.iter())
        .find(|c| q.starts_with(c))
        .map(|c| c.len())
}

/// An answer in which every column of the poll plan goes on forever (one arc of index after
/// the column, counting up), up to `safety` requests.
fn endless_everywhere(
    safety: u64,
) -> impl Fn(&Request, Option<Answer>) -> Reply + Send + Sync + 'static {
    let seen = std::sync::atomic::AtomicU64::new(0);
    move |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if req.kind != PduKind::GetBulk || n >= safety || req.non_repeaters > 0 {
            return Reply::Answer(a);
        }
        let cols = req.oids.len().max(1);
        let rows = (a.varbinds.len() / cols).max(1) as u32;
        let mut out = Vec::new();
        for r in 0..rows {
            for (c, q) in req.oids.iter().enumerate() {
                let vb = match plan_column_len(q) {
                    Some(len) => {
                        let o = endless_next(q, len, r);
                        (o, Cell::Value(Value::Integer(i64::from(r))))
                    }
                    None => a
                        .varbinds
                        .get(r as usize * cols + c)
                        .cloned()
                        .unwrap_or((q.clone(), Cell::EndOfMibView)),
                };
                out.push(vb);
            }
        }
        a.varbinds = out;
        Reply::Answer(a)
    }
}

#[tokio::test]
async fn endless_tables_everywhere_stop_at_the_per_switch_budget() {
    const SAFETY: u64 = 60_000;
    // Every table of the poll plan never ends: each stops at the per-table limit, and once
    // the switch as a whole has returned its budget, the remaining tables are not read.
    let agent = HostileAgent::start(access48(), endless_everywhere(SAFETY));
    let (r, took) = poll_hostile(&agent).await;
    let (walk, stats) = r.expect("endless tables cost those tables, not the switch");
    let kept = walk.values.len();
    let budget = lanready_snmp::MAX_VALUES_PER_SWITCH;
    assert!(
        agent.requests() < SAFETY,
        "the poller did not stop by itself: {} requests ({took:?}, {stats:?})",
        agent.requests()
    );
    assert!(
        kept <= budget + MAX_VALUES_PER_TABLE,
        "{kept} values kept from one switch (budget {budget} + one table's {MAX_VALUES_PER_TABLE})"
    );
    assert!(
        walk.problems
            .iter()
            .any(|p| p.contains("not read: the switch already returned")),
        "no problem line says the switch's budget was used up: {:?}",
        walk.problems
    );
}

/// A switch that answers GET (the scalars) but drops every GETNEXT and GETBULK (a view or an
/// ACL that hides the tables, a firewall dropping large answers): with SNMPv2c here, and the
/// same path serves v3. It must never look like a switch without sockets: `switch.reachable`
/// fails naming the tables not read, the port checks are unknown, the site is not ready and
/// both gates fail.
#[test]
fn a_switch_whose_tables_were_never_read_is_not_ready() {
    let agent = HostileAgent::start(access48(), |req, honest| match (req.kind, honest) {
        (PduKind::Get, Some(a)) => Reply::Answer(a),
        _ => Reply::Silence,
    });
    let (_dir, report, r) = scan_plan(&format!(
        "[[sites]]\nname = \"hidden\"\nvoice_vlan = 110\ntimeout_ms = 200\nretries = 0\n\
         switches = [{{ address = \"{}\", community = \"access48\" }}]\n",
        agent.address()
    ));
    use lanready_schema::{Severity, Status, Verdict};
    assert_eq!(r.verdict, Verdict::NotReady, "{:#?}", r.findings);
    let reach: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == "switch.reachable")
        .collect();
    assert_eq!(reach.len(), 1);
    assert_eq!(
        (reach[0].status, reach[0].severity),
        (Status::Fail, Severity::Blocker)
    );
    assert!(
        reach[0]
            .message
            .contains("port tables could not be read (ifTable, ifXTable"),
        "{}",
        reach[0].message
    );
    for check in [
        "voice_vlan.port",
        "poe.port",
        "qos.trust",
        "vlan.data",
        "port.portfast",
    ] {
        let fs: Vec<_> = r.findings.iter().filter(|f| f.check == check).collect();
        assert!(
            !fs.is_empty() && fs.iter().all(|f| f.status == Status::Unknown),
            "{check}: {fs:#?}"
        );
    }
    for strict in [false, true] {
        let mut args = vec!["gate", report.to_str().unwrap()];
        if strict {
            args.push("--strict");
        }
        let g = std::process::Command::new(lanready_tests::binary("lanready-agent"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            g.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&g.stdout)
        );
    }
}

/// Every string in the switch's tables is 30 KB (one varbind per answer, so each datagram
/// still fits): each value is cut to the longest any object lanready reads may be, with a problem
/// line per column, and the poll ends with the switch's other facts read.
#[tokio::test]
async fn huge_strings_are_cut_to_what_the_mib_allows() {
    let agent = HostileAgent::start(access48(), |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        // Table answers only (the scalars' GET holds several strings in one datagram).
        if req.kind != PduKind::GetBulk && req.kind != PduKind::GetNext {
            return Reply::Answer(a);
        }
        a.varbinds.truncate(1);
        for (_, cell) in a.varbinds.iter_mut() {
            if let Cell::Value(Value::OctetString(b)) = cell {
                *b = vec![b'x'; 30_000];
            }
        }
        Reply::Answer(a)
    });
    let started = Instant::now();
    let target = Target::v2c(&agent.address(), "access48");
    let r = tokio::time::timeout(HANG, poll_with_stats(&target, &quick_opts()))
        .await
        .expect("the poll ends");
    let (walk, _) = r.expect("huge strings cost their values, not the switch");
    let longest = walk
        .values
        .values()
        .filter_map(|v| v.as_bytes().map(<[u8]>::len))
        .max()
        .unwrap_or(0);
    assert!(longest <= 4096, "a value of {longest} bytes kept");
    assert!(longest > 0, "no string read at all");
    assert!(
        has_line(&walk.problems, &["30000 bytes", "cut to 4096"]),
        "{:?}",
        &walk.problems[..walk.problems.len().min(5)]
    );
    assert!(started.elapsed() < HANG);
}

/// A switch whose every column in the poll plan is endless, of 800-byte strings: 64
/// varbinds of ~800 bytes do not fit a datagram, so each answer carries about 60 KB.
fn endless_strings() -> impl Fn(&Request, Option<Answer>) -> Reply + Send + Sync + 'static {
    let seen = std::sync::atomic::AtomicU64::new(0);
    move |req, honest| {
        let Some(mut a) = honest else {
            return Reply::Silence;
        };
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if req.kind != PduKind::GetBulk || req.non_repeaters > 0 || n > 400_000 {
            return Reply::Answer(a);
        }
        let rows = ((60_000 / 850) / req.oids.len().max(1)).max(1) as u32;
        let mut out = Vec::new();
        for r in 0..rows {
            for q in &req.oids {
                let vb = match plan_column_len(q) {
                    Some(len) => (
                        endless_next(q, len, r),
                        Cell::Value(Value::OctetString(vec![b'y'; 800])),
                    ),
                    None => (q.clone(), Cell::EndOfMibView),
                };
                out.push(vb);
            }
        }
        a.varbinds = out;
        Reply::Answer(a)
    }
}

/// Every table of the plan is endless, and every value an 800-byte string: the poll stops at
/// the per-switch byte budget, names the tables not read, and what it kept stays within it.
#[tokio::test]
async fn endless_long_strings_stop_at_the_per_switch_byte_budget() {
    let agent = HostileAgent::start(access48(), endless_strings());
    let target = Target::v2c(&agent.address(), "access48");
    let opts = PollOptions {
        vlan_contexts: false,
        ..quick_opts()
    };
    let r = tokio::time::timeout(Duration::from_secs(300), poll_with_stats(&target, &opts))
        .await
        .expect("the poll ends");
    let (walk, _) = r.expect("a byte budget, not an error");
    let kept: usize = walk
        .values
        .iter()
        .map(|(o, v)| v.as_bytes().map_or(8, <[u8]>::len) + o.arcs().len() * 4 + 48)
        .sum();
    assert!(kept <= (64 << 20) + (2 << 20), "{} MB kept", kept >> 20);
    assert!(
        kept >= 32 << 20,
        "the budget was not reached: {} MB",
        kept >> 20
    );
    assert!(
        has_line(
            &walk.problems,
            &["MB of values", "the most lanready reads from one switch"]
        ),
        "{:?}",
        &walk.problems[..walk.problems.len().min(5)]
    );
}

/// Three switches of endless long strings polled at once share one scan budget of 80 MB:
/// together they never hold more than it (plus an answer each), those that find it spent say
/// so and name the tables they did not read, none passes its own 64 MB, and once the walks
/// are dropped the scan holds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn switches_polled_together_stop_at_the_scan_byte_budget() {
    let agents: Vec<HostileAgent> = (0..3)
        .map(|_| HostileAgent::start(access48(), endless_strings()))
        .collect();
    let budget = ScanBudget::new(80 << 20);
    let mut polls = tokio::task::JoinSet::new();
    for a in &agents {
        let target = Target::v2c(&a.address(), "access48");
        let budget = budget.clone();
        polls.spawn(async move {
            let opts = PollOptions {
                vlan_contexts: false,
                ..quick_opts()
            };
            poll_in_scan(&target, &opts, &budget).await
        });
    }
    let mut done = Vec::new();
    let all = async {
        while let Some(r) = polls.join_next().await {
            done.push(r.expect("the poll task").expect("a budget, not an error"));
        }
    };
    tokio::time::timeout(Duration::from_secs(300), all)
        .await
        .expect("the polls end");
    let held: usize = done.iter().map(|(_, _, h)| h.bytes()).sum();
    assert_eq!(
        budget.held_bytes(),
        held,
        "the scan holds what its polls hold"
    );
    assert!(held <= (80 << 20) + (2 << 20), "{} MB held", held >> 20);
    assert!(
        held >= 70 << 20,
        "the budget was not reached: {} MB",
        held >> 20
    );
    for (walk, _, h) in &done {
        let kept: usize = walk
            .values
            .iter()
            .map(|(o, v)| v.as_bytes().map_or(8, <[u8]>::len) + o.arcs().len() * 4 + 48)
            .sum();
        assert!(kept <= h.bytes(), "{kept} kept, {} held", h.bytes());
        assert!(
            h.bytes() <= (64 << 20) + (1 << 20),
            "{} MB",
            h.bytes() >> 20
        );
    }
    let stopped = done
        .iter()
        .filter(|(w, _, _)| {
            has_line(
                &w.problems,
                &["the most one scan holds at once (scan_memory_mb = 80)"],
            )
        })
        .count();
    assert!(stopped >= 1, "{:?}", done[0].0.problems);
    drop(done);
    assert_eq!(budget.held_bytes(), 0, "every walk gave back what it held");
}

/// A scan whose budget (`scan_memory_mb = 16`) one switch of endless long strings spends:
/// that switch's tables are not read, so it is not ready and says why, naming the budget.
#[test]
fn a_switch_that_spends_the_scan_budget_is_not_ready() {
    let agent = HostileAgent::start(access48(), endless_strings());
    let (_dir, _, r) = scan_plan(&format!(
        "scan_memory_mb = 16\n[[sites]]\nname = \"budget\"\nvoice_vlan = 110\ntimeout_ms = 500\n\
         retries = 1\nvlan_contexts = false\n\
         switches = [{{ address = \"{}\", community = \"access48\" }}]\n",
        agent.address()
    ));
    use lanready_schema::{Status, Verdict};
    assert_eq!(r.verdict, Verdict::NotReady);
    let reach = r
        .findings
        .iter()
        .find(|f| f.check == "switch.reachable")
        .expect("switch.reachable");
    assert_eq!(reach.status, Status::Fail, "{reach:#?}");
    assert!(
        reach
            .evidence
            .iter()
            .any(|e| e.value.contains("scan_memory_mb = 16")),
        "{reach:#?}"
    );
}
