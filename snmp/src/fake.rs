//! A fake SNMPv2c agent on loopback for deterministic retry, timeout and walk tests: answers
//! GET and GETBULK from a table of values, and can stay silent, answer late, return OIDs out
//! of order, send an undecodable value or refuse big answers with tooBig.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanready_mibs::Value;
use tokio::net::UdpSocket;

use crate::testing::{Answer, Cell, PduKind, Request, encode_response, parse_request};

/// A value the fake serves.
#[derive(Clone, Debug)]
pub(crate) enum FakeValue {
    Int(i64),
    Str(&'static str),
    /// A raw BER tag and body (an unknown tag makes snmp2 stop decoding there).
    Raw(u8, Vec<u8>),
}

/// What the fake does besides answering.
#[derive(Clone, Debug)]
pub(crate) struct Behaviour {
    pub community: &'static str,
    /// Requests dropped without an answer, counted from the first.
    pub ignore_first: usize,
    /// Requests from this one on (counted from 0) are dropped.
    pub silent_from: usize,
    /// The next this many requests are answered after `late_by`.
    pub late_first: usize,
    pub late_by: Duration,
    /// After OID `.0`, GETBULK/GETNEXT return `.1` (which may go backwards).
    pub next_override: Vec<(Vec<u32>, Vec<u32>)>,
    /// Answer tooBig when a GETBULK would return more varbinds than this.
    pub too_big_above: Option<usize>,
    /// Answer every GETBULK with this error-status (genErr is 5).
    pub bulk_error: Option<i64>,
    /// Send at most this many varbinds in a GETBULK answer (an agent trimming to its size).
    pub trim_to: Option<usize>,
    /// Answers over this many bytes never arrive (a firewall dropping fragments).
    pub drop_over: Option<usize>,
    /// Per-VLAN data served to `community@VLAN`.
    pub vlans: BTreeMap<u16, BTreeMap<Vec<u32>, FakeValue>>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            community: "public",
            ignore_first: 0,
            silent_from: usize::MAX,
            late_first: 0,
            late_by: Duration::ZERO,
            next_override: Vec::new(),
            too_big_above: None,
            bulk_error: None,
            trim_to: None,
            drop_over: None,
            vlans: BTreeMap::new(),
        }
    }
}

/// One request the fake saw.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub community: String,
    pub bulk: bool,
    pub oids: Vec<Vec<u32>>,
    pub non_repeaters: u32,
    pub max_repetitions: u32,
}

pub(crate) struct FakeAgent {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn oid(s: &str) -> Vec<u32> {
    s.split('.').map(|a| a.parse().unwrap()).collect()
}

impl FakeAgent {
    pub(crate) async fn start(data: BTreeMap<Vec<u32>, FakeValue>, b: Behaviour) -> FakeAgent {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let sock = Arc::new(sock);
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_535];
            let mut n = 0usize;
            loop {
                let Ok((len, peer)) = sock.recv_from(&mut buf).await else {
                    continue;
                };
                let Some((seen_req, wire)) = parse(&buf[..len]) else {
                    continue;
                };
                seen2.lock().unwrap().push(seen_req.clone());
                let k = n;
                n += 1;
                if k < b.ignore_first || k >= b.silent_from {
                    continue;
                }
                let table = if seen_req.community == b.community {
                    &data
                } else {
                    let vlan = seen_req
                        .community
                        .strip_prefix(b.community)
                        .and_then(|r| r.strip_prefix('@'))
                        .and_then(|v| v.parse::<u16>().ok());
                    match vlan.and_then(|v| b.vlans.get(&v)) {
                        Some(t) => t,
                        None => continue, // unknown community: silence, like snmpsim
                    }
                };
                let reply = answer(table, &b, &seen_req, &wire);
                if b.drop_over.is_some_and(|max| reply.len() > max) {
                    continue;
                }
                if k < b.ignore_first + b.late_first {
                    let sock = sock.clone();
                    let delay = b.late_by;
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = sock.send_to(&reply, peer).await;
                    });
                } else {
                    let _ = sock.send_to(&reply, peer).await;
                }
            }
        });
        FakeAgent { addr, seen, task }
    }

    pub(crate) fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn parse(bytes: &[u8]) -> Option<(Seen, Request)> {
    let req = parse_request(bytes)?;
    let bulk = req.kind == PduKind::GetBulk;
    let seen = Seen {
        community: req.community.clone(),
        bulk,
        oids: req.oids.clone(),
        non_repeaters: if bulk { req.non_repeaters as u32 } else { 0 },
        max_repetitions: if bulk { req.max_repetitions as u32 } else { 0 },
    };
    Some((seen, req))
}

/// A served value as the wire codec sends it.
fn cell(v: &FakeValue) -> Cell {
    match v {
        FakeValue::Int(i) => Cell::Value(Value::Integer(*i)),
        FakeValue::Str(s) => Cell::Value(Value::OctetString(s.as_bytes().to_vec())),
        FakeValue::Raw(tag, body) => Cell::Raw {
            tag: *tag,
            body: body.clone(),
        },
    }
}

/// The GetResponse to `req`: its varbinds, or an error-status with none.
fn encode(req: &Request, error_status: i64, varbinds: Vec<(Vec<u32>, Cell)>) -> Vec<u8> {
    encode_response(
        req,
        &Answer {
            error_status,
            error_index: 0,
            varbinds,
        },
    )
}

fn answer(
    table: &BTreeMap<Vec<u32>, FakeValue>,
    b: &Behaviour,
    req: &Seen,
    wire: &Request,
) -> Vec<u8> {
    let mut vbs: Vec<(Vec<u32>, Cell)> = Vec::new();
    if !req.bulk {
        for o in &req.oids {
            match table.get(o) {
                Some(v) => vbs.push((o.clone(), cell(v))),
                None => vbs.push((o.clone(), Cell::NoSuchObject)),
            }
        }
        return encode(wire, 0, vbs);
    }
    if let Some(status) = b.bulk_error {
        return encode(wire, status, Vec::new());
    }
    // Non-repeaters: the next OID after each, once; then the repeaters, row by row.
    let n = (req.non_repeaters as usize).min(req.oids.len());
    let mut fixed = req.oids[..n].to_vec();
    for c in fixed.iter_mut() {
        if vbs.len() >= 64 {
            break;
        }
        next_of(table, b, c, &mut vbs);
    }
    let mut cur = req.oids[n..].to_vec();
    'reps: for _ in 0..req.max_repetitions {
        for c in cur.iter_mut() {
            if vbs.len() >= 64 {
                break 'reps;
            }
            next_of(table, b, c, &mut vbs);
        }
    }
    if let Some(n) = b.trim_to {
        vbs.truncate(n);
    }
    if b.too_big_above.is_some_and(|max| vbs.len() > max) {
        return encode(wire, 1, Vec::new());
    }
    encode(wire, 0, vbs)
}

/// Answers the next OID after `c` (or endOfMibView) and moves `c` there.
fn next_of(
    table: &BTreeMap<Vec<u32>, FakeValue>,
    b: &Behaviour,
    c: &mut Vec<u32>,
    vbs: &mut Vec<(Vec<u32>, Cell)>,
) {
    let next = b
        .next_override
        .iter()
        .find(|(after, _)| after == c)
        .map(|(_, to)| to.clone())
        .or_else(|| {
            table
                .range::<Vec<u32>, _>((
                    std::ops::Bound::Excluded(c.clone()),
                    std::ops::Bound::Unbounded,
                ))
                .next()
                .map(|(k, _)| k.clone())
        });
    match next {
        Some(k) => {
            let v = table
                .get(&k)
                .map(cell)
                .unwrap_or(Cell::Value(Value::Integer(0)));
            vbs.push((k.clone(), v));
            *c = k;
        }
        None => vbs.push((c.clone(), Cell::EndOfMibView)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Failure, PollOptions, Target, poll_with_stats};
    use lanready_mibs::{Oid, Value};
    use lanready_schema::secret::Secret;

    const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
    const IF_DESCR: &str = "1.3.6.1.2.1.2.2.1.2";
    const IF_TYPE: &str = "1.3.6.1.2.1.2.2.1.3";

    /// sysName and three rows of ifDescr and ifType.
    fn data() -> BTreeMap<Vec<u32>, FakeValue> {
        let mut d = BTreeMap::new();
        d.insert(oid(SYS_NAME), FakeValue::Str("fake-sw"));
        for i in 1..=3u32 {
            d.insert(oid(&format!("{IF_DESCR}.{i}")), FakeValue::Str("Gi1/0/x"));
            d.insert(oid(&format!("{IF_TYPE}.{i}")), FakeValue::Int(6));
        }
        d
    }

    fn target(a: &FakeAgent, community: &str) -> Target {
        Target {
            address: a.addr.to_string(),
            credentials: Credentials::V2c {
                community: Secret::new(community),
            },
        }
    }

    fn opts() -> PollOptions {
        PollOptions {
            timeout: Duration::from_secs(2),
            retries: 2,
            max_repetitions: 25,
            vlan_contexts: false,
            max_requests_per_second: None,
        }
    }

    fn has(w: &lanready_mibs::Walk, o: &str) -> bool {
        w.values.contains_key(&Oid(oid(o)))
    }

    /// `data()` with ifDescr and ifType rows 4 to `rows`.
    fn rows(rows: u32) -> BTreeMap<Vec<u32>, FakeValue> {
        let mut d = data();
        for i in 4..=rows {
            d.insert(oid(&format!("{IF_DESCR}.{i}")), FakeValue::Str("Gi1/0/x"));
            d.insert(oid(&format!("{IF_TYPE}.{i}")), FakeValue::Int(6));
        }
        d
    }

    #[tokio::test(start_paused = true)]
    async fn reads_everything_and_absent_groups_cost_no_request() {
        let agent = FakeAgent::start(data(), Behaviour::default()).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 7, "{walk:?}");
        assert_eq!(
            walk.get(&oid(SYS_NAME)),
            Some(&Value::OctetString(b"fake-sw".to_vec()))
        );
        assert_eq!(
            walk.get(&oid(&format!("{IF_TYPE}.3"))),
            Some(&Value::Integer(6))
        );
        assert!(walk.problems.is_empty(), "{:?}", walk.problems);
        // 1 GET; 1 probe (every group's first column); ifTable: rows 1-3 and the end of
        // every column fit in one answer; the 32 groups the agent lacks: nothing.
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.requests as usize, agent.requests());
        assert_eq!(stats.timeouts, 0);
        let seen = agent.seen.lock().unwrap();
        let probe_oids = lanready_mibs::poll::GROUPS.len();
        assert!(!seen[0].bulk);
        assert!(seen[1].bulk);
        assert_eq!(
            (
                seen[1].oids.len(),
                seen[1].non_repeaters,
                seen[1].max_repetitions
            ),
            (probe_oids, probe_oids as u32, 0)
        );
        // max-repetitions is per column: ifTable's 7 columns get 9 rows each (63 values,
        // under the 64 an answer may carry), not 25 / 7 = 3.
        assert!(seen[2].bulk);
        assert_eq!(
            (
                seen[2].oids.len(),
                seen[2].non_repeaters,
                seen[2].max_repetitions
            ),
            (7, 0, 9)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn few_row_tables_share_their_requests_and_lose_nothing() {
        // A stack member (cswSwitchInfo), a PSE (pethMainPse, cpeExtMainPse), two power
        // supplies and two QoS policies: every few-row table, each walked alone before, now
        // in one request that finishes them all; a six-member stack needs one more.
        let mut d = data();
        let mut put = |prefix: &str, rows: &[u32]| {
            for r in rows {
                d.insert(oid(&format!("{prefix}.{r}")), FakeValue::Int(1));
            }
        };
        for col in [1, 3, 6, 9] {
            put(&format!("1.3.6.1.4.1.9.9.500.1.2.1.1.{col}"), &[1001]);
        }
        for col in [2, 3, 4, 5] {
            put(&format!("1.3.6.1.2.1.105.1.3.1.1.{col}"), &[1]);
        }
        for col in [2, 3] {
            put(&format!("1.3.6.1.4.1.9.9.13.1.5.1.{col}"), &[1006, 1007]);
        }
        put("1.3.6.1.4.1.9.9.166.1.6.1.1.1", &[1, 2]);
        let want = d.len();
        let agent = FakeAgent::start(d.clone(), Behaviour::default()).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), want, "{:?}", walk.problems);
        assert!(walk.problems.is_empty(), "{:?}", walk.problems);
        // GET, probe, ifTable, and one request for the four few-row tables.
        assert_eq!(stats.requests, 4);
        {
            let seen = agent.seen.lock().unwrap();
            // cswSwitchInfoTable's 5 polled columns, pethMainPseTable's 4, the supplies' 2
            // and the policy-map names' 1.
            let pack = seen.iter().find(|r| r.oids.len() == 5 + 4 + 2 + 1);
            assert_eq!(pack.expect("one request").max_repetitions, 64 / 12);
        }

        // Six stack members, more than the 5 rows each column was asked for: the members'
        // columns go on alone, nothing is lost.
        for col in [1, 3, 6, 9] {
            for r in 1002..=1006 {
                let o = format!("1.3.6.1.4.1.9.9.500.1.2.1.1.{col}.{r}");
                d.insert(oid(&o), FakeValue::Int(2));
            }
        }
        let agent = FakeAgent::start(d.clone(), Behaviour::default()).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), d.len());
        assert_eq!(stats.requests, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_whose_first_column_is_empty_is_still_walked() {
        // No ifDescr: the next OID after it is ifType.1, inside ifTable, so it is walked.
        let mut d = data();
        d.retain(|k, _| !k.starts_with(&oid(IF_DESCR)));
        let agent = FakeAgent::start(d, Behaviour::default()).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.subtree(&oid(IF_TYPE)).count(), 3);
        assert_eq!(stats.requests, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn unfinished_columns_continue_with_more_rows_each() {
        let agent = FakeAgent::start(rows(20), Behaviour::default()).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 41);
        // GET; probe; ifTable rows 1-9 (and the end of the five columns the agent lacks);
        // then the two unfinished columns from their last OID, 25 rows each: rows 10-20 and
        // the end.
        assert_eq!(stats.requests, 4);
        let seen = agent.seen.lock().unwrap();
        assert_eq!(
            seen[3].oids,
            vec![oid(&format!("{IF_DESCR}.9")), oid(&format!("{IF_TYPE}.9"))]
        );
        assert_eq!(seen[3].max_repetitions, 25);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_agent_times_out_after_each_attempt() {
        let b = Behaviour {
            ignore_first: usize::MAX,
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(data(), b).await;
        let start = tokio::time::Instant::now();
        let err = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap_err();
        assert!(
            matches!(err.failure, Failure::Timeout { attempts: 3, .. }),
            "{err:?}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(6));
        assert_eq!(agent.requests(), 3);
        let msg = err.to_string();
        assert!(
            msg.contains("3 attempts") && msg.contains("community"),
            "{msg}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_switch_that_stops_answering_mid_walk_keeps_what_was_read() {
        // Answers the GET, the probe and ifTable's first request (rows 1-9), then nothing.
        // ifXTable has a row, so it is left unread; the probe found the other groups absent.
        let b = Behaviour {
            silent_from: 3,
            ..Behaviour::default()
        };
        let mut d = rows(20);
        d.insert(oid("1.3.6.1.2.1.31.1.1.1.1.1"), FakeValue::Str("Gi1/0/1"));
        let agent = FakeAgent::start(d, b).await;
        let mut o = opts();
        o.vlan_contexts = true;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 1 + 2 * 9, "what came before stays");
        assert_eq!(walk.problems.len(), 2, "{:?}", walk.problems);
        assert!(
            walk.problems[0].starts_with("ifTable: not read: no answer after 3 attempts"),
            "{:?}",
            walk.problems
        );
        assert_eq!(
            walk.problems[1],
            "ifXTable: not read: the walk stopped at ifTable"
        );
        // Three attempts at ifTable's second request, then nothing more.
        assert_eq!((stats.requests, stats.timeouts), (6, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_never_mixes_with_the_retry() {
        // The first GET is answered after 2.5 s, past the 2 s timeout: the retry goes out on
        // a new session, so the stale answer cannot be taken for the next request's.
        let b = Behaviour {
            late_first: 1,
            late_by: Duration::from_millis(2500),
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(data(), b).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 7);
        assert!(walk.problems.is_empty(), "{:?}", walk.problems);
        assert_eq!((stats.timeouts, stats.sessions), (1, 2));
        assert_eq!(stats.requests as usize, agent.requests());
    }

    #[tokio::test(start_paused = true)]
    async fn one_lost_request_is_retried() {
        let b = Behaviour {
            ignore_first: 1,
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(data(), b).await;
        let mut o = opts();
        o.retries = 1;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 7);
        assert_eq!(stats.timeouts, 1);
        o.retries = 0;
        let agent = FakeAgent::start(
            data(),
            Behaviour {
                ignore_first: 1,
                ..Behaviour::default()
            },
        )
        .await;
        let err = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap_err();
        assert!(
            matches!(err.failure, Failure::Timeout { attempts: 1, .. }),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_increasing_oid_is_a_problem_not_a_loop() {
        let b = Behaviour {
            next_override: vec![(oid(&format!("{IF_DESCR}.2")), oid(&format!("{IF_DESCR}.1")))],
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(data(), b).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert!(has(&walk, &format!("{IF_DESCR}.2")));
        assert!(!has(&walk, &format!("{IF_DESCR}.3")));
        assert!(has(&walk, &format!("{IF_TYPE}.3")), "other columns go on");
        assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
        let p = &walk.problems[0];
        assert!(
            p.starts_with("ifTable: ") && p.contains("must increase"),
            "{p}"
        );
        assert!(stats.requests < 50, "{stats:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_undecodable_value_cuts_its_column_short_and_says_so() {
        let mut d = data();
        d.insert(oid(&format!("{IF_DESCR}.2")), FakeValue::Raw(0x47, vec![1]));
        let agent = FakeAgent::start(d, Behaviour::default()).await;
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert!(has(&walk, &format!("{IF_DESCR}.1")));
        assert!(!has(&walk, &format!("{IF_DESCR}.2")));
        assert!(has(&walk, &format!("{IF_TYPE}.3")), "other columns go on");
        assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
        assert!(
            walk.problems[0].contains("could not be decoded"),
            "{:?}",
            walk.problems
        );
    }

    /// A trimming agent (so short answers are expected) with a value snmp2 cannot decode
    /// in a later row: the value still ends its column with a problem, and nothing else is
    /// lost.
    #[tokio::test(start_paused = true)]
    async fn an_undecodable_value_behind_a_trimming_agent_is_still_found() {
        let mut d = data();
        for i in 4..=40u32 {
            d.insert(oid(&format!("{IF_DESCR}.{i}")), FakeValue::Str("Gi1/0/x"));
            d.insert(oid(&format!("{IF_TYPE}.{i}")), FakeValue::Int(6));
        }
        d.insert(
            oid(&format!("{IF_DESCR}.22")),
            FakeValue::Raw(0x47, vec![1]),
        );
        let agent = FakeAgent::start(
            d,
            Behaviour {
                trim_to: Some(9),
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert!(has(&walk, &format!("{IF_DESCR}.21")));
        assert!(!has(&walk, &format!("{IF_DESCR}.22")));
        for i in 1..=40 {
            assert!(has(&walk, &format!("{IF_TYPE}.{i}")), "ifType.{i} lost");
        }
        assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
        assert!(
            walk.problems[0].contains("could not be decoded"),
            "{:?}",
            walk.problems
        );
    }

    #[tokio::test(start_paused = true)]
    async fn too_big_answers_shrink_the_request_and_lose_nothing() {
        let reference = FakeAgent::start(data(), Behaviour::default()).await;
        let (want, _) = poll_with_stats(&target(&reference, "public"), &opts())
            .await
            .unwrap();
        let b = Behaviour {
            too_big_above: Some(4),
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(data(), b).await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk, want);
        // Without tooBig this is 3 requests; here the probe's 33 OIDs are split down to 4 a
        // request (at least 9), and ifTable halves to 1 row of 4 columns at a time.
        assert!(stats.requests > 20, "{stats:?}");
        let seen = agent.seen.lock().unwrap();
        assert!(seen.iter().filter(|s| s.non_repeaters > 0).count() >= 9);
    }

    #[tokio::test(start_paused = true)]
    async fn agent_errors_end_each_table_with_a_problem_naming_it() {
        // tooBig even for one value of one column: every column gives up, with a problem.
        let agent = FakeAgent::start(
            data(),
            Behaviour {
                too_big_above: Some(0),
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk.values.len(), 1, "only the scalar");
        let if_table: Vec<&String> = walk
            .problems
            .iter()
            .filter(|p| p.starts_with("ifTable: "))
            .collect();
        assert_eq!(if_table.len(), 7, "one per column: {if_table:?}");
        assert!(
            if_table[0].contains("too big even for one value"),
            "{if_table:?}"
        );

        // genErr: the table is cut short, one problem per table, one request per table.
        let agent = FakeAgent::start(
            data(),
            Behaviour {
                bulk_error: Some(5),
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        let groups = lanready_mibs::poll::GROUPS;
        assert_eq!(walk.problems.len(), groups.len());
        assert!(
            walk.problems[0].starts_with("ifTable: the switch answered GETBULK with genErr(5)"),
            "{:?}",
            walk.problems
        );
        // The GET, the probe (refused too, so every group is walked), one refused request
        // per group, and one for all the few-row groups together (each still named).
        let few = lanready_mibs::poll::FEW_ROWS.len();
        assert_eq!(stats.requests as usize, 2 + groups.len() - (few - 1));
        for name in lanready_mibs::poll::FEW_ROWS {
            let line = format!("{name}: the switch answered GETBULK with genErr(5)");
            assert!(walk.problems.iter().any(|p| p.starts_with(&line)), "{line}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_agent_that_trims_its_answers_loses_nothing_and_needs_no_probe_per_answer() {
        let mut d = data();
        for i in 4..=40u32 {
            d.insert(oid(&format!("{IF_DESCR}.{i}")), FakeValue::Str("Gi1/0/x"));
            d.insert(oid(&format!("{IF_TYPE}.{i}")), FakeValue::Int(6));
        }
        let reference = FakeAgent::start(d.clone(), Behaviour::default()).await;
        let (want, _) = poll_with_stats(&target(&reference, "public"), &opts())
            .await
            .unwrap();
        let agent = FakeAgent::start(
            d,
            Behaviour {
                trim_to: Some(9),
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .unwrap();
        assert_eq!(walk, want);
        let seen = agent.seen.lock().unwrap();
        let if_table: Vec<&Seen> = seen
            .iter()
            .filter(|s| s.bulk && s.oids[0].starts_with(&oid("1.3.6.1.2.1.2.2.1")))
            .collect();
        let brief: Vec<String> = if_table
            .iter()
            .map(|s| format!("{} OIDs x {}", s.oids.len(), s.max_repetitions))
            .collect();
        // The group probe's answer came short at the size the table's answers come short
        // at, a row of every column read: the agent trims, and no single-varbind probe is
        // needed to tell it from a value snmp2 cannot decode. Answers of that size are taken
        // as they come. The 80 values at 9 an answer take 9 answers, plus the group probe
        // (all OIDs as non-repeaters) and the first request over all 7 columns.
        let probes = if_table
            .iter()
            .filter(|s| s.oids.len() == 1 && s.max_repetitions == 1)
            .count();
        assert_eq!(probes, 0, "{brief:#?}");
        assert!(if_table.len() <= 80usize.div_ceil(9) + 3, "{brief:#?}");
    }

    /// Long interface names: 60 rows of ifDescr and ifType, 64 varbinds an answer at most,
    /// make GETBULK answers of about 3 KB.
    fn long_rows() -> BTreeMap<Vec<u32>, FakeValue> {
        let mut d = data();
        for i in 4..=60u32 {
            d.insert(
                oid(&format!("{IF_DESCR}.{i}")),
                FakeValue::Str("GigabitEthernet1/0/1 to the first floor patch panel"),
            );
            d.insert(oid(&format!("{IF_TYPE}.{i}")), FakeValue::Int(6));
        }
        d
    }

    #[tokio::test(start_paused = true)]
    async fn a_path_that_loses_large_answers_is_read_in_smaller_ones_losing_few() {
        let d = long_rows();
        let reference = FakeAgent::start(d.clone(), Behaviour::default()).await;
        let (want, clean) = poll_with_stats(&target(&reference, "public"), &opts())
            .await
            .unwrap();
        let agent = FakeAgent::start(
            d,
            Behaviour {
                drop_over: Some(1472),
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .expect("the retries ask for answers that fit");
        assert_eq!(walk, want);
        // The first large answer lost is a suspect, the second confirms it; after that every
        // answer is planned to fit.
        assert!(stats.timeouts > 0, "nothing was lost: {stats:?}");
        assert!(
            stats.timeouts <= 2,
            "{} answers lost ({stats:?}; clean {clean:?})",
            stats.timeouts
        );
        assert!(
            stats.requests <= clean.requests * 2 + 2,
            "{stats:?} against clean {clean:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_requests_per_second_cap_spaces_every_request_to_the_switch() {
        let mut d = long_rows();
        d.insert(oid("1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.20"), FakeValue::Int(1));
        let mut vlans = BTreeMap::new();
        vlans.insert(20, data());
        let agent = FakeAgent::start(
            d,
            Behaviour {
                vlans,
                ..Behaviour::default()
            },
        )
        .await;
        let o = PollOptions {
            max_requests_per_second: Some(4.0),
            vlan_contexts: true,
            ..opts()
        };
        let started = tokio::time::Instant::now();
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(walk.vlan_contexts.contains_key(&20), "{:?}", walk.problems);
        assert!(stats.requests >= 8, "{stats:?}");
        // Four a second, the VLAN context's requests included: n requests span (n-1)/4 s.
        let least = Duration::from_millis(250 * (stats.requests - 1));
        assert!(took >= least, "{} requests in {took:?}", stats.requests);
        assert!(took < least + Duration::from_millis(250), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn behind_such_a_path_a_switch_that_goes_silent_still_costs_its_attempts_only() {
        let agent = FakeAgent::start(
            long_rows(),
            Behaviour {
                drop_over: Some(1472),
                silent_from: 2,
                ..Behaviour::default()
            },
        )
        .await;
        let (walk, stats) = poll_with_stats(&target(&agent, "public"), &opts())
            .await
            .expect("the scalars were read");
        // The GET, the probe, then ifTable's 3 attempts (each asking for less): the walk
        // stops there and names what it did not read.
        assert_eq!(stats.requests, 5, "{stats:?}");
        assert!(
            walk.problems
                .iter()
                .any(|p| p.starts_with("ifTable: not read")),
            "{:?}",
            walk.problems
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_at_once() {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        drop(s);
        let t = Target {
            address: addr.to_string(),
            credentials: Credentials::V2c {
                community: Secret::new("public"),
            },
        };
        let start = std::time::Instant::now();
        let err = crate::poll(&t, &opts()).await.unwrap_err();
        assert!(
            matches!(err.failure, Failure::Unreachable { .. }),
            "{err:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(err.to_string().contains("ICMP"), "{err}");
    }

    fn vtp(d: &mut BTreeMap<Vec<u32>, FakeValue>, vlan: u32, state: i64) {
        d.insert(
            oid(&format!("1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.{vlan}")),
            FakeValue::Int(state),
        );
    }

    #[tokio::test(start_paused = true)]
    async fn vlan_contexts_are_read_and_a_silent_one_is_skipped() {
        let mut d = data();
        for (v, s) in [(1, 1), (20, 1), (30, 1), (40, 2), (1002, 1)] {
            vtp(&mut d, v, s);
        }
        let mut v20 = BTreeMap::new();
        v20.insert(oid("1.3.6.1.2.1.17.1.4.1.2.5"), FakeValue::Int(10105));
        let b = Behaviour {
            vlans: [(20u16, v20)].into_iter().collect(),
            ..Behaviour::default()
        };
        let agent = FakeAgent::start(d, b).await;
        let mut o = opts();
        o.vlan_contexts = true;
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap();
        assert_eq!(
            walk.vlan_contexts.keys().copied().collect::<Vec<_>>(),
            vec![20]
        );
        assert_eq!(
            walk.vlan_contexts[&20].get(&Oid(oid("1.3.6.1.2.1.17.1.4.1.2.5"))),
            Some(&Value::Integer(10105))
        );
        assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
        assert!(
            walk.problems[0].starts_with("VLAN 30 context: skipped"),
            "{:?}",
            walk.problems
        );
        let communities: Vec<String> = agent
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.community.clone())
            .filter(|c| c != "public")
            .collect();
        // VLAN 20: one request (the row and the end fit in one); VLAN 30: the main walk's
        // three attempts, as patient as the main walk.
        assert_eq!(
            communities,
            vec!["public@20", "public@30", "public@30", "public@30"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn vlan_contexts_stop_when_none_of_the_first_three_answers() {
        let mut d = data();
        for v in 2..=8 {
            vtp(&mut d, v, 1);
        }
        let agent = FakeAgent::start(d, Behaviour::default()).await;
        let mut o = opts();
        o.vlan_contexts = true;
        let start = tokio::time::Instant::now();
        let (walk, _) = poll_with_stats(&target(&agent, "public"), &o)
            .await
            .unwrap();
        assert!(walk.vlan_contexts.is_empty());
        let last = walk.problems.last().unwrap();
        assert!(
            last.contains("skipped VLANs 5,6,7,8"),
            "{:?}",
            walk.problems
        );
        // Three VLANs of three one-second attempts, not seven VLANs of 2-second ones.
        assert_eq!(start.elapsed(), Duration::from_secs(9));
    }
}
