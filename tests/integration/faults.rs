//! Faults between the poller and the switch, injected for real on loopback: a lossy relay
//! (drops, delays, duplicates, reordering, stale replays) in front of snmpsim, and a hostile
//! agent that answers with wrong types, truncated PDUs, non-increasing OIDs, endless tables
//! and oversized answers. Nothing read may be lost or mixed up, and every fault ends the
//! poll in bounded time with a clear problem or error, never a panic or a hang.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lanready_agent::secret::Secret;
use lanready_agent::snmp::{Credentials, PollError, PollOptions, Target, poll, poll_with_stats};
use lanready_mibs::Walk;
use lanready_tests::Snmpsim;
use lanready_tests::relay::{Faults, Relay, RelayConfig};

fn v2c(address: &str, community: &str) -> Target {
    Target {
        address: address.to_string(),
        credentials: Credentials::V2c {
            community: Secret::new(community),
        },
    }
}

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
    }
}

/// Polls `community` on `sim` directly, then through a relay with `config`, and asserts
/// the two walks are the same. Returns the relay's and the poller's counts.
async fn same_through_relay(
    sim: &Snmpsim,
    community: &str,
    opts: &PollOptions,
    config: RelayConfig,
) -> (
    lanready_tests::relay::RelayStats,
    lanready_agent::snmp::PollStats,
) {
    let direct = poll(&v2c(&sim.address(), community), opts)
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
    let (relayed, stats) = poll_with_stats(&v2c(&relay.address(), community), opts)
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
    };
    let healthy_opts = PollOptions {
        timeout: Duration::from_secs(3),
        ..opts.clone()
    };
    let dead_target = v2c(&dead.address(), "access48");
    let live_target = v2c(&sim.address(), "stack3");
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
        Err(PollError::Timeout {
            attempts, timeout, ..
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
