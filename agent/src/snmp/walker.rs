//! Walks the poll plan over one [`Client`]: the scalars in one GET, then each column group
//! with GETBULK (all of a group's unfinished columns as repeaters), detecting the end of each
//! column, non-increasing OIDs and undecodable varbinds, so a walk always ends.

use std::collections::BTreeMap;

use lanready_mibs::poll::Group;
use lanready_mibs::{Oid, Value};
use tracing::debug;

use super::PollError;
use super::session::{Client, Item, Request, Response, TOO_BIG};

/// Varbinds per GETBULK response we aim to stay under (snmpsim answers at most 64).
pub(crate) const MAX_VARBINDS_PER_RESPONSE: u32 = 60;

/// Safety nets against an agent that returns ever-increasing OIDs forever.
const MAX_REQUESTS_PER_GROUP: u32 = 20_000;
const MAX_VALUES_PER_GROUP: usize = 100_000;

/// Where a walk puts what it reads.
pub(crate) struct Sink<'a> {
    pub values: &'a mut BTreeMap<Oid, Value>,
    pub problems: &'a mut Vec<String>,
}

/// What one group's walk did, for logs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct GroupSummary {
    pub requests: u32,
    pub varbinds: usize,
    pub values: usize,
}

/// GETs the scalars in one request. noSuchObject/noSuchInstance are skipped; a scalar whose
/// varbind snmp2 could not decode is asked for alone, then reported.
pub(crate) async fn scalars(
    client: &mut Client,
    oids: &[&[u32]],
    sink: &mut Sink<'_>,
) -> Result<(), PollError> {
    let wanted: Vec<Vec<u32>> = oids.iter().map(|o| o.to_vec()).collect();
    let resp = client.request(Request::Get(&wanted)).await?;
    let mut missing: Vec<Vec<u32>> = Vec::new();
    if resp.error_status != 0 {
        sink.problems.push(format!(
            "scalars: the switch answered the GET with {}; asking for each alone",
            error_status_name(resp.error_status)
        ));
        missing = wanted.clone();
    } else {
        for (oid, item) in &resp.varbinds {
            keep_scalar(oid, item, sink);
        }
        if resp.varbinds.len() < wanted.len() {
            missing = wanted[resp.varbinds.len()..].to_vec();
        }
    }
    for oid in missing {
        let one = [oid.clone()];
        let r = client.request(Request::Get(&one)).await?;
        match r.varbinds.first() {
            Some((o, item)) if r.error_status == 0 => keep_scalar(o, item, sink),
            _ if r.error_status != 0 => sink.problems.push(format!(
                "scalars: {} could not be read ({})",
                Oid(oid),
                error_status_name(r.error_status)
            )),
            _ => sink.problems.push(format!(
                "scalars: the value of {} could not be decoded",
                Oid(oid)
            )),
        }
    }
    Ok(())
}

fn keep_scalar(oid: &[u32], item: &Item, sink: &mut Sink<'_>) {
    match item {
        Item::Value(v) => {
            sink.values.insert(Oid(oid.to_vec()), v.clone());
        }
        Item::Unsupported(t) => sink.problems.push(format!(
            "scalars: {} has a value of type {t} that lanready does not read",
            Oid(oid.to_vec())
        )),
        Item::NoSuchObject | Item::NoSuchInstance | Item::EndOfMibView => {}
    }
}

/// One column being walked.
struct Column<'g> {
    prefix: &'g [u32],
    last: Vec<u32>,
    done: bool,
    count: usize,
}

/// Walks one group's columns together. `label` prefixes every problem (the table name, or
/// `VLAN 20 dot1dBasePortTable`). A group the switch lacks costs one request.
pub(crate) async fn group(
    client: &mut Client,
    group: &Group,
    label: &str,
    budget: u32,
    sink: &mut Sink<'_>,
) -> Result<GroupSummary, PollError> {
    let mut cols: Vec<Column<'_>> = group
        .columns
        .iter()
        .map(|c| Column {
            prefix: c,
            last: c.to_vec(),
            done: false,
            count: 0,
        })
        .collect();
    let mut summary = GroupSummary::default();
    let mut rep_cap = u32::MAX;
    let mut col_cap = usize::MAX;
    loop {
        let active: Vec<usize> = (0..cols.len())
            .filter(|&i| !cols[i].done)
            .take(col_cap)
            .collect();
        if active.is_empty() {
            break;
        }
        if summary.requests >= MAX_REQUESTS_PER_GROUP {
            sink.problems.push(format!(
                "{label}: stopped after {MAX_REQUESTS_PER_GROUP} requests; the table never ended"
            ));
            break;
        }
        let n = active.len() as u32;
        let reps = (budget / n)
            .max(1)
            .min((MAX_VARBINDS_PER_RESPONSE / n).max(1))
            .min(rep_cap);
        let oids: Vec<Vec<u32>> = active.iter().map(|&i| cols[i].last.clone()).collect();
        summary.requests += 1;
        let resp = client
            .request(Request::Bulk {
                oids: &oids,
                max_repetitions: reps,
            })
            .await?;
        if resp.error_status == TOO_BIG {
            if reps > 1 {
                rep_cap = reps / 2;
            } else if n > 1 {
                col_cap = (active.len() / 2).max(1);
            } else {
                let c = &mut cols[active[0]];
                sink.problems.push(format!(
                    "{label}: the answer after {} is too big even for one value; column {} cut short",
                    Oid(c.last.clone()),
                    Oid(c.prefix.to_vec())
                ));
                c.done = true;
            }
            debug!(table = label, reps, columns = n, "tooBig: asking for less.");
            continue;
        }
        if resp.error_status != 0 {
            sink.problems.push(format!(
                "{label}: the switch answered GETBULK with {} (error index {}); table cut short",
                error_status_name(resp.error_status),
                resp.error_index
            ));
            break;
        }
        let got = resp.varbinds.len();
        let asked = active.len() * reps as usize;
        summary.varbinds += got;
        let mut varbinds = resp.varbinds;
        let oversized = got > asked;
        if oversized {
            // An agent that ignores max-repetitions: keep what was asked for, then stop.
            varbinds.truncate(asked);
            sink.problems.push(format!(
                "{label}: the switch sent {got} values where at most {asked} were asked for; table cut short"
            ));
        }
        for (k, (oid, item)) in varbinds.into_iter().enumerate() {
            let col = &mut cols[active[k % active.len()]];
            apply(col, oid, item, label, sink);
        }
        if oversized {
            break;
        }
        summary.values = cols.iter().map(|c| c.count).sum();
        if summary.values > MAX_VALUES_PER_GROUP {
            sink.problems.push(format!(
                "{label}: stopped after {} values; the table never ended",
                summary.values
            ));
            break;
        }
        // Fewer varbinds than asked for: snmp2 stops at a varbind it cannot decode (or the
        // agent cut its answer short). Ask for the next value of the column it stopped in,
        // alone: an undecodable value ends that column with a problem.
        let stopped_in = active[got % active.len()];
        if got < asked && !cols[stopped_in].done {
            summary.requests += 1;
            let probe = client
                .request(Request::Bulk {
                    oids: std::slice::from_ref(&cols[stopped_in].last),
                    max_repetitions: 1,
                })
                .await?;
            summary.varbinds += probe.varbinds.len();
            if probe_result(&mut cols[stopped_in], probe, label, sink) {
                // The value was fine: the agent trims its answers (to its message size).
                // Ask for what it sends, so short answers do not cost a probe each time.
                rep_cap = (got / active.len()).max(1) as u32;
            }
        }
    }
    let rows = cols.iter().map(|c| c.count).max().unwrap_or(0);
    debug!(
        table = label,
        rows,
        requests = summary.requests,
        varbinds = summary.varbinds,
        "Walked table."
    );
    Ok(summary)
}

/// Takes a probe's answer into its column; true when the value could be decoded.
fn probe_result(col: &mut Column<'_>, probe: Response, label: &str, sink: &mut Sink<'_>) -> bool {
    if probe.error_status != 0 {
        sink.problems.push(format!(
            "{label}: the switch answered GETBULK after {} with {}; column {} cut short",
            Oid(col.last.clone()),
            error_status_name(probe.error_status),
            Oid(col.prefix.to_vec())
        ));
        col.done = true;
        return false;
    }
    match probe.varbinds.into_iter().next() {
        Some((oid, item)) => {
            apply(col, oid, item, label, sink);
            true
        }
        None => {
            sink.problems.push(format!(
                "{label}: the value after {} could not be decoded; column {} cut short",
                Oid(col.last.clone()),
                Oid(col.prefix.to_vec())
            ));
            col.done = true;
            false
        }
    }
}

/// Takes one varbind into its column: the end of the column, a non-increasing OID (a problem;
/// the column stops), or a value.
fn apply(col: &mut Column<'_>, oid: Vec<u32>, item: Item, label: &str, sink: &mut Sink<'_>) {
    if col.done {
        return;
    }
    if matches!(
        item,
        Item::EndOfMibView | Item::NoSuchObject | Item::NoSuchInstance
    ) {
        col.done = true;
        return;
    }
    if oid <= col.last {
        sink.problems.push(format!(
            "{label}: the switch returned {} after {} (OIDs must increase); column {} cut short",
            Oid(oid),
            Oid(col.last.clone()),
            Oid(col.prefix.to_vec())
        ));
        col.done = true;
        return;
    }
    if !oid.starts_with(col.prefix) {
        col.done = true;
        return;
    }
    match item {
        Item::Value(v) => {
            sink.values.insert(Oid(oid.clone()), v);
            col.count += 1;
        }
        Item::Unsupported(t) => sink.problems.push(format!(
            "{label}: {} has a value of type {t} that lanready does not read; skipped",
            Oid(oid.clone())
        )),
        Item::EndOfMibView | Item::NoSuchObject | Item::NoSuchInstance => {}
    }
    col.last = oid;
}

/// RFC 3416 error-status names.
pub(crate) fn error_status_name(s: u32) -> String {
    let name = match s {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => return format!("error-status {s}"),
    };
    format!("{name}({s})")
}
