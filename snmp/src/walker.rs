//! Walks the poll plan over one [`Client`]: the scalars in one GET, then one probe (every
//! group's first column as GETBULK non-repeaters) that tells which groups the switch has,
//! then each present group with GETBULK (all of a group's unfinished columns as repeaters), detecting
//! the end of each column, non-increasing OIDs and undecodable varbinds, so a walk always ends.

use lanready_mibs::poll::Group;
use lanready_mibs::{Oid, Value};
use tracing::debug;

use super::PollError;
use super::budget::value_bytes;
use super::collected::Sink;
use super::session::{Client, Item, Request, Response, TOO_BIG};
use super::sizing;

/// Varbinds per GETBULK response we aim to stay under (snmpsim answers at most 64; an agent
/// with a smaller limit answers tooBig or trims, and the walk asks for less).
pub(crate) const MAX_VARBINDS_PER_RESPONSE: u32 = 64;

/// Safety nets against an agent that returns ever-increasing OIDs forever.
const MAX_REQUESTS_PER_GROUP: u32 = 20_000;
const MAX_VALUES_PER_GROUP: usize = 100_000;

/// The longest value lanready keeps: no object it reads is larger (DisplayString is at most
/// 255 octets, a VLAN bitmap 128, a PortList of a large chassis well under this). A longer one
/// is cut to this, with a problem line.
pub(crate) const MAX_VALUE_BYTES: usize = 4096;

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
    if oids.is_empty() {
        return Ok(());
    }
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
            let oid = Oid(oid.to_vec());
            sink.held.take(value_bytes(&oid, v));
            sink.values.append_run(&mut vec![(oid, v.clone())]);
        }
        Item::Unsupported(t) => sink.problems.push(format!(
            "scalars: {} has a value of type {t} that lanready does not read",
            Oid(oid.to_vec())
        )),
        Item::NoSuchObject | Item::NoSuchInstance | Item::EndOfMibView => {}
    }
}

/// The first OID after every column of `g`: anything at or past it is outside the group.
fn past_group(g: &Group) -> Vec<u32> {
    let mut end = g
        .columns
        .iter()
        .max()
        .map(|c| c.to_vec())
        .unwrap_or_default();
    if let Some(last) = end.last_mut() {
        *last = last.saturating_add(1);
    }
    end
}

/// Learns which groups the switch has, with GETBULKs whose OIDs are all non-repeaters (each
/// group's smallest column): the next OID after a group's smallest column is inside the
/// group when any of its columns has a value, and at or past the group's end (or
/// endOfMibView) when none has. snmpsim answers at most 64 varbinds, so the probe is cut
/// into requests of at most that many; a tooBig answer splits a request in two. A group the
/// probe could not settle (an error answer, a varbind snmp2 could not decode and everything
/// after it, no answer at all) counts as present: it is walked, as without a probe.
///
/// Returns, per group, false when the switch certainly has nothing under any of its
/// columns (walking it would only cost a request).
pub(crate) async fn probe(client: &mut Client, groups: &[Group]) -> Vec<bool> {
    let asked: Vec<(usize, Vec<u32>)> = groups
        .iter()
        .enumerate()
        .filter_map(|(j, g)| g.columns.iter().min().map(|c| (j, c.to_vec())))
        .collect();
    let mut present = vec![true; groups.len()];
    let mut requests = 0u32;
    let cap = MAX_VARBINDS_PER_RESPONSE as usize;
    // Chunks still to send, as ranges of `asked`, last to first.
    let mut todo: Vec<(usize, usize)> = (0..asked.len())
        .step_by(cap)
        .map(|a| (a, (a + cap).min(asked.len())))
        .rev()
        .collect();
    while let Some((a, mut b)) = todo.pop() {
        // Within what the path is known to deliver.
        let budget = client.path.budget();
        if budget != usize::MAX {
            let room = client.path.room(sizing::Estimate::Guesses, budget);
            let k = sizing::oids_that_fit(asked[a..b].iter().map(|(_, o)| o.as_slice()), room);
            if k < b - a {
                todo.push((a + k, b));
                b = a + k;
            }
        }
        let oids: Vec<Vec<u32>> = asked[a..b].iter().map(|(_, o)| o.clone()).collect();
        requests += 1;
        let resp = match client.request(Request::Next(&oids)).await {
            Ok(r) => r,
            Err(e) => {
                // Walking every group settles it: a switch that stopped answering fails
                // there, table by table, as without a probe.
                debug!(error = %e, "The probe went unanswered; walking every group.");
                break;
            }
        };
        if resp.sent.oids < b - a {
            // A retry asked for the first of them only: the rest go again.
            todo.push((a + resp.sent.oids.max(1), b));
            b = a + resp.sent.oids.max(1);
        }
        if resp.error_status == TOO_BIG && b - a > 1 {
            let mid = a + (b - a) / 2;
            todo.push((mid, b));
            todo.push((a, mid));
            continue;
        }
        if resp.error_status != 0 {
            debug!(
                status = %error_status_name(resp.error_status),
                varbinds = b - a,
                "The probe was refused; walking those groups."
            );
            continue;
        }
        let got = resp.varbinds.len();
        if got > 0 && got < b - a {
            // Trimmed to the agent's message size (or cut at a varbind snmp2 could not
            // decode): the rest are asked again, from the first not answered.
            todo.push((a + got, b));
            client.path.hint_trimmed(resp.bytes);
        }
        for ((j, _), (oid, item)) in asked[a..b].iter().zip(&resp.varbinds) {
            let ended = matches!(
                item,
                Item::EndOfMibView | Item::NoSuchObject | Item::NoSuchInstance
            );
            if ended || *oid >= past_group(&groups[*j]) {
                present[*j] = false;
            }
        }
    }
    debug!(
        requests,
        absent = present.iter().filter(|p| !**p).count(),
        "Probed."
    );
    present
}

/// Where a column stands.
enum Last {
    /// Nothing read yet: the column's prefix.
    Start,
    /// At its last value read (the OID is not copied).
    Value,
    /// At an OID whose value was skipped.
    Owned(Vec<u32>),
}

/// One column being walked. Its values stay with it until the group is done, so that they
/// reach the sink column by column, each in increasing order: sorted runs, cheap to sort.
struct Column<'g> {
    /// The table it belongs to, as problems name it.
    label: &'g str,
    prefix: &'g [u32],
    values: Vec<(Oid, Value)>,
    last: Last,
    done: bool,
    /// A value of it was cut to [`MAX_VALUE_BYTES`] (said once per column).
    cut: bool,
    /// The largest varbind it returned, in bytes (a guess before the first): what one more
    /// row of it is expected to add to an answer.
    varbind_bytes: usize,
}

impl Column<'_> {
    fn last(&self) -> &[u32] {
        match &self.last {
            Last::Start => self.prefix,
            Last::Value => self
                .values
                .last()
                .map(|(o, _)| o.0.as_slice())
                .unwrap_or(self.prefix),
            Last::Owned(v) => v,
        }
    }
}

/// Walks one group's columns together. `label` prefixes every problem (the table name, or
/// `VLAN 20 dot1dBasePortTable`). Each request asks `max_repetitions` rows of every
/// unfinished column (RFC 3416: max-repetitions is per repeater), capped so an answer stays
/// within [`MAX_VARBINDS_PER_RESPONSE`]. A group the switch lacks costs one request (the
/// probe usually spares it).
pub(crate) async fn group(
    client: &mut Client,
    group: &Group,
    label: &str,
    max_repetitions: u32,
    sink: &mut Sink<'_>,
) -> Result<GroupSummary, PollError> {
    groups(client, &[(group, label)], max_repetitions, sink).await
}

/// Walks several groups' columns together, as [`group`] walks one: each request carries
/// every unfinished column of all of them. For tables of a few rows each (a stack's
/// members, a PSE, QoS configuration), one request can finish them all where a walk per
/// table costs a request each. Every problem names the table it is about.
pub(crate) async fn groups(
    client: &mut Client,
    groups: &[(&Group, &str)],
    max_repetitions: u32,
    sink: &mut Sink<'_>,
) -> Result<GroupSummary, PollError> {
    let mut cols: Vec<Column<'_>> = groups
        .iter()
        .flat_map(|(g, label)| {
            g.columns.iter().map(move |c| Column {
                label,
                prefix: c,
                values: Vec::new(),
                last: Last::Start,
                done: false,
                cut: false,
                varbind_bytes: sizing::guess_varbind_bytes(c),
            })
        })
        .collect();
    let result = walk_columns(client, &mut cols, max_repetitions, sink).await;
    for c in &mut cols {
        sink.values.append_run(&mut c.values);
    }
    result
}

/// One problem line for each table among the columns `which`, in walk order.
fn each_table(
    cols: &[Column<'_>],
    which: &[usize],
    sink: &mut Sink<'_>,
    line: impl Fn(&str) -> String,
) {
    let mut said: Vec<&str> = Vec::new();
    for &i in which {
        let label = cols[i].label;
        if !said.contains(&label) {
            said.push(label);
            sink.problems.push(line(label));
        }
    }
}

/// [`groups`]' walk; the values stay in the columns.
async fn walk_columns(
    client: &mut Client,
    cols: &mut [Column<'_>],
    max_repetitions: u32,
    sink: &mut Sink<'_>,
) -> Result<GroupSummary, PollError> {
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
            each_table(cols, &active, sink, |label| {
                format!(
                    "{label}: stopped after {MAX_REQUESTS_PER_GROUP} requests; the table never ended"
                )
            });
            break;
        }
        let n = active.len() as u32;
        // An agent known to trim its answers fills each to its size whatever is asked:
        // then the 64-varbind aim gives way to rows enough to fill it.
        let per_answer = match client.path.trims_at() {
            Some(t) => MAX_VARBINDS_PER_RESPONSE
                .max(u32::try_from(t / sizing::MIN_VARBIND_BYTES).unwrap_or(u32::MAX)),
            None => MAX_VARBINDS_PER_RESPONSE,
        };
        // The default max-repetitions leaves the rows to the answer size: from a trimming
        // agent, as many as fill its answer. A lower one from the plan still binds.
        let user_cap = match client.path.trims_at() {
            Some(_) if max_repetitions >= crate::DEFAULT_MAX_REPETITIONS => u32::MAX,
            _ => max_repetitions,
        };
        let mut reps = user_cap.min(per_answer / n).max(1).min(rep_cap);
        // In bytes: what a row of these columns takes, and as many rows as the path is known
        // to deliver (all that were asked for while no limit is known, or when the agent
        // trims its answers itself).
        let row_bytes: usize = active.iter().map(|&i| cols[i].varbind_bytes).sum();
        let budget = client.path.budget();
        if budget != usize::MAX {
            let room = client.path.room(sizing::Estimate::Rows, budget);
            reps = reps.min(
                u32::try_from(room / row_bytes.max(1))
                    .unwrap_or(u32::MAX)
                    .max(1),
            );
        }
        let oids: Vec<Vec<u32>> = active.iter().map(|&i| cols[i].last().to_vec()).collect();
        summary.requests += 1;
        let resp = client
            .request(Request::Bulk {
                oids: &oids,
                max_repetitions: reps,
                row_bytes,
            })
            .await?;
        // A retry after a silence may have asked for fewer rows: the rest of this table is
        // asked for in answers as small (what lay past the end of its columns, or a longer
        // value, made the larger one too big, and will again).
        if resp.sent.max_repetitions < reps {
            rep_cap = resp.sent.max_repetitions.max(1);
        }
        let reps = resp.sent.max_repetitions.max(1);
        if resp.error_status == TOO_BIG {
            if reps > 1 {
                rep_cap = reps / 2;
            } else if n > 1 {
                col_cap = (active.len() / 2).max(1);
            } else {
                let c = &mut cols[active[0]];
                sink.problems.push(format!(
                    "{}: the answer after {} is too big even for one value; column {} cut short",
                    c.label,
                    Oid(c.last().to_vec()),
                    Oid(c.prefix.to_vec())
                ));
                c.done = true;
            }
            debug!(reps, columns = n, "tooBig: asking for less.");
            continue;
        }
        if resp.error_status != 0 {
            each_table(cols, &active, sink, |label| {
                format!(
                    "{label}: the switch answered GETBULK with {} (error index {}); table cut short",
                    error_status_name(resp.error_status),
                    resp.error_index
                )
            });
            break;
        }
        let got = resp.varbinds.len();
        let asked = active.len() * reps as usize;
        summary.varbinds += got;
        let mut varbinds = resp.varbinds;
        let sizes = resp.sizes;
        let oversized = got > asked;
        if oversized {
            // An agent that ignores max-repetitions: keep what was asked for, then stop.
            varbinds.truncate(asked);
            each_table(cols, &active, sink, |label| {
                format!(
                    "{label}: the switch sent {got} values where at most {asked} were asked for; table cut short"
                )
            });
        }
        for &i in &active {
            cols[i].values.reserve(reps as usize);
        }
        for (k, (oid, item)) in varbinds.into_iter().enumerate() {
            let col = &mut cols[active[k % active.len()]];
            let size = sizes.get(k).map_or(0, |&b| b as usize);
            apply(col, oid, item, size, sink);
        }
        if oversized {
            break;
        }
        summary.values = cols.iter().map(|c| c.values.len()).sum();
        if let Some(why) = sink.held.spent() {
            each_table(cols, &active, sink, |label| {
                format!("{label}: stopped: {why}")
            });
            break;
        }
        if summary.values > MAX_VALUES_PER_GROUP {
            let values = summary.values;
            each_table(cols, &active, sink, |label| {
                format!("{label}: stopped after {values} values; the table never ended")
            });
            break;
        }
        // Fewer varbinds than asked for: snmp2 stops at a varbind it cannot decode (or the
        // agent cut its answer short). Ask for the next value of the column it stopped in,
        // alone: an undecodable value ends that column with a problem.
        // An answer of the size the agent is known to trim to is trimmed: the next request
        // goes on from where it stopped.
        let stopped_in = active[got % active.len()];
        if got < asked && !cols[stopped_in].done && !client.path.is_trimmed(resp.bytes) {
            if got >= active.len() && client.path.matches_hint(resp.bytes) {
                // Cut at the size the probe's answer was cut at, with a row of every column
                // read: the agent trims. (A value snmp2 cannot decode stops the next answer
                // in its first row, which this does not take for trimming.)
                client.path.trimmed(resp.bytes);
                continue;
            }
            summary.requests += 1;
            let from = [cols[stopped_in].last().to_vec()];
            let probe = client
                .request(Request::Bulk {
                    oids: &from,
                    max_repetitions: 1,
                    row_bytes: cols[stopped_in].varbind_bytes,
                })
                .await?;
            summary.varbinds += probe.varbinds.len();
            if probe_result(&mut cols[stopped_in], probe, sink) {
                // The value was fine: the agent trims its answers (to its message size).
                // Later answers of that size go on without a probe.
                client.path.trimmed(resp.bytes);
            }
        }
    }
    let rows = cols.iter().map(|c| c.values.len()).max().unwrap_or(0);
    let mut tables: Vec<&str> = cols.iter().map(|c| c.label).collect();
    tables.dedup();
    debug!(
        table = tables.join(" "),
        rows,
        requests = summary.requests,
        varbinds = summary.varbinds,
        "Walked table."
    );
    Ok(summary)
}

/// Takes a probe's answer into its column; true when the value could be decoded.
fn probe_result(col: &mut Column<'_>, probe: Response, sink: &mut Sink<'_>) -> bool {
    let label = col.label;
    if probe.error_status != 0 {
        sink.problems.push(format!(
            "{label}: the switch answered GETBULK after {} with {}; column {} cut short",
            Oid(col.last().to_vec()),
            error_status_name(probe.error_status),
            Oid(col.prefix.to_vec())
        ));
        col.done = true;
        return false;
    }
    let size = probe.sizes.first().map_or(0, |&b| b as usize);
    match probe.varbinds.into_iter().next() {
        Some((oid, item)) => {
            apply(col, oid, item, size, sink);
            true
        }
        None => {
            sink.problems.push(format!(
                "{label}: the value after {} could not be decoded; column {} cut short",
                Oid(col.last().to_vec()),
                Oid(col.prefix.to_vec())
            ));
            col.done = true;
            false
        }
    }
}

/// Takes one varbind into its column: the end of the column, a non-increasing OID (a problem;
/// the column stops), or a value (moved into the sink, not copied).
/// `size` is the varbind's encoded size, in bytes.
fn apply(col: &mut Column<'_>, oid: Vec<u32>, item: Item, size: usize, sink: &mut Sink<'_>) {
    let label = col.label;
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
    let last = col.last();
    if oid.as_slice() <= last {
        sink.problems.push(format!(
            "{label}: the switch returned {} after {} (OIDs must increase); column {} cut short",
            Oid(oid),
            Oid(last.to_vec()),
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
        Item::Value(mut v) => {
            if let Value::OctetString(b) | Value::Opaque(b) = &mut v
                && b.len() > MAX_VALUE_BYTES
            {
                if !col.cut {
                    sink.problems.push(format!(
                        "{label}: {} is {} bytes, longer than any object lanready reads; cut to {MAX_VALUE_BYTES}",
                        Oid(oid.clone()),
                        b.len()
                    ));
                    col.cut = true;
                }
                b.truncate(MAX_VALUE_BYTES);
                b.shrink_to_fit();
            }
            // The first value replaces the guess; later ones can only raise it.
            col.varbind_bytes = if col.values.is_empty() {
                size
            } else {
                col.varbind_bytes.max(size)
            };
            let oid = Oid(oid);
            sink.held.take(value_bytes(&oid, &v));
            col.values.push((oid, v));
            col.last = Last::Value;
        }
        Item::Unsupported(t) => {
            sink.problems.push(format!(
                "{label}: {} has a value of type {t} that lanready does not read; skipped",
                Oid(oid.clone())
            ));
            col.last = Last::Owned(oid);
        }
        Item::EndOfMibView | Item::NoSuchObject | Item::NoSuchInstance => {}
    }
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
