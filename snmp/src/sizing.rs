//! How big an answer this switch, and the path to it, deliver: learned from what arrives, per
//! switch, and shared by its VLAN contexts (the same agent on the same path).
//!
//! Three things limit an answer on a real network. The agent trims a GETBULK answer to its
//! message size (`snmp-server packetsize`, 1,500 bytes by default on IOS; RFC 3416 4.2.3), or
//! answers tooBig. A firewall or ACL that drops fragmented UDP loses every answer over about
//! 1,472 bytes (a 1,500-byte MTU less the IP and UDP headers) without a word. And some
//! datagrams are simply lost. The walker sizes each GETBULK in bytes against what has been
//! learned here:
//! - A trimmed answer that decoded whole teaches the agent's size (`Path::trims_at`): asking
//!   for more than fits then costs nothing (the agent fills the answer to its size), and a
//!   short answer of that size needs no follow-up request.
//! - A silence after a request whose answer would be larger than anything that arrived, and
//!   larger than one Ethernet frame carries, is taken as a limit at once (`too_big_from`):
//!   a fragment-dropping path is the likeliest cause. A silence of a smaller answer is a
//!   suspect, confirmed by a second of that size; an answer at least that large clears either. The retry after any silence asks for a smaller answer (a
//!   step below: 1,400, 1,200, then 484 bytes, the size every agent must accept), so a
//!   switch behind such a firewall is read on its retries and a dead switch costs no more
//!   attempts than before.
//! - A confirmed limit is tried again now and then (after 64 answers, then 128, 256 ...), so
//!   one unlucky pair of lost datagrams does not shrink every later answer of the poll.
//!
//! Sizes are the encoded lengths of the answer's varbinds plus the message's framing; the
//! walker estimates an answer before asking from the sizes of the values each column already
//! returned.

use lanready_mibs::Value;

use super::session::Item;

/// The answer sizes a retry steps down through, in bytes: under a 1,472-byte path with room
/// for estimates that run a little short, under an IPv6-minimum path (1,280 less headers),
/// and RFC 3416's 484 octets, which every agent must be able to send.
pub(crate) const STEPS: [usize; 3] = [1_400, 1_200, 484];

/// The most a UDP datagram carries in one 1,500-byte Ethernet frame (less 20 bytes of IPv4
/// and 8 of UDP); a larger answer is fragmented.
pub(crate) const ETHERNET_PAYLOAD_BYTES: usize = 1_472;

/// The share of a known limit a request is planned to fill (see [`Path::room`]).
const PLAN_SHARE: f64 = 0.85;

/// The smallest varbind worth counting on (a short OID and a small integer): asking for
/// an agent's trimming size in varbinds this small always fills its answer.
pub(crate) const MIN_VARBIND_BYTES: usize = 12;

/// The smallest answer size lanready ever plans for.
pub(crate) const MIN_ANSWER_BYTES: usize = 484;

/// Answers before a confirmed limit is tried again; doubles after each try that fails.
const RETRY_LIMIT_AFTER: u32 = 256;

/// What an answer's estimate is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Estimate {
    /// GETBULK rows, from the sizes each column returned.
    Rows = 0,
    /// Guesses: a GET's values, or where each OID's next lands and what it holds.
    Guesses = 1,
}

/// What has been learned about one switch's answers.
#[derive(Clone, Debug)]
pub(crate) struct Path {
    /// The largest answer that arrived, in bytes.
    arrived_bytes: usize,
    /// Answers planned at this size or more go unanswered (confirmed by two silences, or a
    /// tooBig); `usize::MAX` while none has.
    too_big_from: usize,
    /// A request planned at this size went unanswered once; `usize::MAX` when none is.
    suspect: usize,
    /// The agent trims GETBULK answers to about this many bytes.
    trims_at: Option<usize>,
    /// The group probe's answer came short at this many bytes: trimming, or a varbind snmp2
    /// could not decode. A table's short answer of that size then settles it.
    trim_hint: Option<usize>,
    /// Answers since the limit was confirmed or last tried.
    answers_since: u32,
    /// Answers after which the limit is tried again.
    retry_after: u32,
    /// This request is the try of the limit.
    trying: bool,
    /// Framing of one answer around its varbinds, in bytes.
    framing_bytes: usize,
    /// How much larger than estimated answers have come (at least 1), for GETBULK rows
    /// (estimated from what each column returned: its next rows can hold longer values than
    /// its last, and the varbinds past a column's end belong to other columns) and for
    /// guesses (a GET's, or the next OID after each group's first column). Estimates are
    /// scaled by it, so a planned answer is what arrives.
    overrun: [f64; 2],
    /// When the last request went to this switch (for the plan's requests-per-second cap,
    /// which holds across the main walk and the VLAN contexts alike).
    pub(crate) last_sent: Option<tokio::time::Instant>,
}

impl Path {
    /// A path to a switch whose answers carry `framing_bytes` besides their varbinds.
    pub(crate) fn new(framing_bytes: usize) -> Path {
        Path {
            arrived_bytes: 0,
            too_big_from: usize::MAX,
            suspect: usize::MAX,
            trims_at: None,
            trim_hint: None,
            answers_since: 0,
            retry_after: RETRY_LIMIT_AFTER,
            trying: false,
            framing_bytes,
            overrun: [1.0; 2],
            last_sent: None,
        }
    }

    /// The same path seen through another login (a VLAN context's longer community).
    pub(crate) fn with_framing(mut self, framing_bytes: usize) -> Path {
        self.framing_bytes = framing_bytes;
        self
    }

    pub(crate) fn framing_bytes(&self) -> usize {
        self.framing_bytes
    }

    /// The answer size of varbinds estimated at `estimate` bytes, framing included, scaled by
    /// how far estimates have fallen short.
    pub(crate) fn planned(&self, kind: Estimate, estimate: usize) -> usize {
        self.framing_bytes + (estimate as f64 * self.overrun[kind as usize]).ceil() as usize
    }

    /// The estimated varbind bytes that fit an answer of `budget` bytes, with room to
    /// spare: a column's later rows can be longer than any it returned so far (a port's
    /// description, a neighbour's version string), and the first request of a table knows
    /// nothing of its values.
    pub(crate) fn room(&self, kind: Estimate, budget: usize) -> usize {
        if budget == usize::MAX {
            return usize::MAX;
        }
        (budget.saturating_sub(self.framing_bytes) as f64 * PLAN_SHARE
            / self.overrun[kind as usize]) as usize
    }

    /// A whole answer (every varbind asked for) of `bytes` came for varbinds estimated at
    /// `estimate`: estimates that fell short scale later ones up; the scale relaxes slowly
    /// when they no longer do.
    pub(crate) fn calibrate(&mut self, kind: Estimate, estimate: usize, bytes: usize) {
        if estimate == 0 {
            return;
        }
        let ratio = bytes.saturating_sub(self.framing_bytes) as f64 / estimate as f64;
        let o = &mut self.overrun[kind as usize];
        *o = ratio.max(*o * 0.9 + ratio * 0.1).clamp(1.0, 4.0);
    }

    /// The largest answer the next request may be planned for (`usize::MAX`: no limit is
    /// known, ask as the varbind cap allows).
    pub(crate) fn budget(&mut self) -> usize {
        if self.too_big_from == usize::MAX {
            return usize::MAX;
        }
        if self.answers_since >= self.retry_after {
            self.trying = true;
            return usize::MAX;
        }
        let step = step_below(self.too_big_from);
        if self.arrived_bytes < self.too_big_from {
            step.max(self.arrived_bytes)
        } else {
            step
        }
    }

    /// An answer of `bytes` arrived.
    ///
    /// Only what arrived clears a suspect or a limit: a plan is an estimate, and one that
    /// ran long would clear them on answers no larger than those that were lost.
    pub(crate) fn arrived(&mut self, bytes: usize) {
        self.arrived_bytes = self.arrived_bytes.max(bytes);
        if bytes * 10 >= self.suspect.saturating_mul(9) {
            self.suspect = usize::MAX;
        }
        if self.too_big_from != usize::MAX && bytes >= self.too_big_from {
            // An answer as large as the limit came: there is none (a lost pair misled us).
            self.too_big_from = usize::MAX;
            self.retry_after = RETRY_LIMIT_AFTER;
        }
        self.trying = false;
        self.answers_since = self.answers_since.saturating_add(1);
    }

    /// A request planned at `planned` bytes went unanswered.
    pub(crate) fn silent(&mut self, kind: Estimate, planned: usize) {
        if self.too_big_from != usize::MAX && planned < self.too_big_from && !self.trying {
            // Lost although planned within the limit: estimates of this kind ran short (the
            // varbinds past a table's end, a longer value): plan the next ones smaller.
            let o = &mut self.overrun[kind as usize];
            *o = (*o * 1.25).min(4.0);
        }
        if self.trying {
            // The try of the limit failed: the next waits twice as long.
            self.trying = false;
            self.answers_since = 0;
            self.retry_after = self.retry_after.saturating_mul(2);
            return;
        }
        if planned <= self.arrived_bytes || planned <= MIN_ANSWER_BYTES {
            // Smaller than what arrives: a lost datagram, not a size.
            return;
        }
        if planned > ETHERNET_PAYLOAD_BYTES {
            // Larger than one Ethernet frame carries and than anything that arrived: the
            // likeliest cause is a path that drops fragments, and assuming so costs only
            // smaller answers until the limit is tried again.
            self.confirm(planned);
            return;
        }
        if self.suspect != usize::MAX && planned * 10 >= self.suspect * 9 {
            self.confirm(self.suspect.min(planned));
        } else {
            self.suspect = self.suspect.min(planned);
        }
    }

    /// The agent answered tooBig to a request planned at `planned` bytes. The limit is
    /// above every answer that arrived: a plan no larger than one of those was an estimate
    /// that ran short, and estimates of its kind are scaled up.
    pub(crate) fn too_big(&mut self, kind: Estimate, planned: usize) {
        if planned <= self.arrived_bytes {
            let o = &mut self.overrun[kind as usize];
            *o = (*o * 1.25).min(4.0);
        }
        let from = planned.max(self.arrived_bytes + 1);
        if from > MIN_ANSWER_BYTES {
            self.confirm(from);
        }
    }

    /// The agent sent a trimmed answer of `bytes` that decoded whole.
    pub(crate) fn trimmed(&mut self, bytes: usize) {
        self.trims_at = Some(self.trims_at.map_or(bytes, |t| t.max(bytes)));
    }

    /// The agent's trimming size, once learned.
    pub(crate) fn trims_at(&self) -> Option<usize> {
        self.trims_at
    }

    /// The group probe's answer of `bytes` came short.
    pub(crate) fn hint_trimmed(&mut self, bytes: usize) {
        self.trim_hint = Some(self.trim_hint.map_or(bytes, |t| t.max(bytes)));
    }

    /// True when a short answer of `bytes` is as large as the probe's short answer was: two
    /// answers cut at one size are the agent trimming, not two undecodable values.
    pub(crate) fn matches_hint(&self, bytes: usize) -> bool {
        self.trim_hint.is_some_and(|t| bytes * 100 >= t * 85)
    }

    /// True when a short answer of `bytes` is the agent trimming to its size, not a value
    /// snmp2 could not decode: within one large value of the size learned.
    pub(crate) fn is_trimmed(&self, bytes: usize) -> bool {
        self.trims_at.is_some_and(|t| bytes * 100 >= t * 85)
    }

    fn confirm(&mut self, from: usize) {
        self.too_big_from = self.too_big_from.min(from);
        self.suspect = usize::MAX;
        self.answers_since = 0;
        self.trying = false;
    }
}

/// The size a retry asks for after `planned` went unanswered: the next step below it.
pub(crate) fn step_below(planned: usize) -> usize {
    STEPS
        .iter()
        .copied()
        .find(|&s| s < planned)
        .unwrap_or(MIN_ANSWER_BYTES)
}

/// The length of a BER length field for `len` content octets.
fn len_bytes(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=255 => 2,
        256..=65_535 => 3,
        _ => 4,
    }
}

/// A whole TLV holding `len` content octets.
fn tlv(len: usize) -> usize {
    1 + len_bytes(len) + len
}

/// The content octets of an OBJECT IDENTIFIER.
pub(crate) fn oid_content_bytes(arcs: &[u32]) -> usize {
    let tail: usize = arcs
        .iter()
        .skip(2)
        .map(|&a| ((32 - a.leading_zeros()).div_ceil(7)).max(1) as usize)
        .sum();
    1 + tail
}

fn unsigned_bytes(u: u64) -> usize {
    // Minimal, with a leading zero octet when the top bit is set.
    (((64 - u.leading_zeros()) as usize) / 8 + 1).min(9)
}

fn signed_bytes(i: i64) -> usize {
    let spare = if i < 0 {
        i.leading_ones()
    } else {
        i.leading_zeros()
    };
    ((64 - spare as usize) / 8 + 1).min(8)
}

/// The encoded length of one varbind as an agent sends it.
#[cfg(test)]
pub(crate) fn varbind_bytes(oid: &[u32], item: &Item) -> usize {
    encoded_varbind_bytes(oid_content_bytes(oid), item)
}

/// The encoded length of one varbind whose OID has `oid_octets` content octets.
pub(crate) fn encoded_varbind_bytes(oid_octets: usize, item: &Item) -> usize {
    let value = match item {
        Item::Value(v) => value_tlv_bytes(v),
        Item::EndOfMibView | Item::NoSuchObject | Item::NoSuchInstance => tlv(0),
        // Unknown: as long as a typical value.
        Item::Unsupported(_) => tlv(8),
    };
    tlv(tlv(oid_octets) + value)
}

fn value_tlv_bytes(v: &Value) -> usize {
    match v {
        Value::Null => tlv(0),
        Value::Integer(i) => tlv(signed_bytes(*i)),
        Value::OctetString(b) | Value::Opaque(b) => tlv(b.len()),
        Value::ObjectId(o) => tlv(oid_content_bytes(o.arcs())),
        Value::IpAddress(_) => tlv(4),
        Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => {
            tlv(unsigned_bytes(u64::from(*u)))
        }
        Value::Counter64(u) => tlv(unsigned_bytes(*u)),
    }
}

/// A guess at a varbind under `prefix` before any has been read: three more index arcs
/// and a value as long as a port's name. Generous on purpose: a guess too small is an answer
/// lost on a path that drops large ones, a guess too large one more row next time.
pub(crate) fn guess_varbind_bytes(prefix: &[u32]) -> usize {
    tlv(tlv(oid_content_bytes(prefix) + 6) + tlv(24))
}

/// How many of `oids`, from the first, fit `room` estimated varbind bytes with each one's
/// next guessed by [`guess_varbind_bytes`] (at least one).
pub(crate) fn oids_that_fit<'a>(oids: impl IntoIterator<Item = &'a [u32]>, room: usize) -> usize {
    let mut used = 0;
    let mut k = 0;
    for o in oids {
        used += guess_varbind_bytes(o);
        if used > room && k > 0 {
            break;
        }
        k += 1;
    }
    k
}

/// The framing of an SNMPv2c answer around its varbinds with `community`: the message,
/// version, community, PDU, request id, error status and index, and the list's header.
pub(crate) fn v2c_framing_bytes(community: &str) -> usize {
    4 + 3 + tlv(community.len()) + 4 + 6 + 3 + 3 + 4
}

/// The framing of an SNMPv3 answer: the header data, the USM parameters (engine id, boots,
/// time, user, a 12-byte MAC, an 8-byte salt), the scoped PDU's engine id and context, and
/// the PDU's own framing; a block cipher may pad by up to 16 more.
pub(crate) fn v3_framing_bytes(user: &str, context: &str) -> usize {
    4 + 3
        + 18
        + 4
        + tlv(tlv(32) + 6 + 6 + tlv(user.len()) + tlv(12) + tlv(8))
        + 4
        + tlv(32)
        + tlv(context.len())
        + 4
        + 6
        + 3
        + 3
        + 4
        + 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varbind_sizes_are_their_ber_lengths() {
        // ifDescr.10101 = "GigabitEthernet1/0/1": 30 0x 06 0b 2b06010201020201028e75 04 14 ...
        let oid = [1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 10101];
        let v = Item::Value(Value::OctetString(b"GigabitEthernet1/0/1".to_vec()));
        assert_eq!(varbind_bytes(&oid, &v), 2 + (2 + 11) + (2 + 20));
        // Counter64 with the top bit set needs a leading zero octet: 9 content octets.
        let big = Item::Value(Value::Counter64(u64::MAX));
        assert_eq!(varbind_bytes(&[1, 3, 6, 1], &big), 2 + (2 + 3) + (2 + 9));
        assert_eq!(signed_bytes(-1), 1);
        assert_eq!(signed_bytes(127), 1);
        assert_eq!(signed_bytes(128), 2);
        assert_eq!(signed_bytes(-129), 2);
        assert_eq!(unsigned_bytes(0), 1);
        assert_eq!(unsigned_bytes(255), 2);
        assert_eq!(varbind_bytes(&[1, 3, 6, 1], &Item::EndOfMibView), 2 + 5 + 2);
        // A 300-byte value needs a 3-byte length in its TLV and in the varbind's.
        let long = Item::Value(Value::OctetString(vec![b'x'; 300]));
        assert_eq!(varbind_bytes(&[1, 3], &long), 4 + 3 + 304);
    }

    #[test]
    fn two_silences_within_a_frame_confirm_a_limit_and_an_answer_that_large_clears_it() {
        let mut p = Path::new(40);
        p.arrived(600);
        assert_eq!(p.budget(), usize::MAX);
        p.silent(Estimate::Rows, 1_300);
        assert_eq!(
            p.budget(),
            usize::MAX,
            "one silence is a suspect, not a limit"
        );
        p.arrived(700);
        p.silent(Estimate::Rows, 1_250);
        assert_eq!(
            p.budget(),
            1_200,
            "two silences near 1,250 bytes: plan under them"
        );
        // A lost datagram smaller than what arrives says nothing about size.
        p.silent(Estimate::Rows, 650);
        assert_eq!(p.budget(), 1_200);
        // An answer as large as the limit proves there is none.
        p.arrived(1_250);
        assert_eq!(p.budget(), usize::MAX);
    }

    #[test]
    fn one_silence_larger_than_a_frame_and_than_anything_that_arrived_is_a_limit() {
        let mut p = Path::new(40);
        p.arrived(517);
        p.silent(Estimate::Rows, 2_300);
        assert_eq!(p.budget(), 1_400, "planned under 1,472 bytes at once");
        // Once answers larger than a frame have arrived, a silence is a loss.
        let mut q = Path::new(40);
        q.arrived(2_500);
        q.silent(Estimate::Rows, 2_300);
        assert_eq!(q.budget(), usize::MAX);
    }

    #[test]
    fn a_random_loss_then_an_answer_of_that_size_leaves_no_limit() {
        let mut p = Path::new(40);
        p.silent(Estimate::Rows, 1_300);
        p.arrived(1_290);
        p.silent(Estimate::Rows, 1_300);
        assert_eq!(p.budget(), usize::MAX);
    }

    #[test]
    fn a_confirmed_limit_is_tried_again_less_and_less_often() {
        let mut p = Path::new(40);
        p.silent(Estimate::Rows, 3_000);
        assert_eq!(p.budget(), 1_400);
        for _ in 0..RETRY_LIMIT_AFTER {
            p.arrived(1_390);
        }
        assert_eq!(p.budget(), usize::MAX, "tried again after 64 answers");
        p.silent(Estimate::Rows, 3_000);
        assert_eq!(p.budget(), 1_400);
        for _ in 0..RETRY_LIMIT_AFTER {
            p.arrived(1_390);
        }
        assert_eq!(p.budget(), 1_400, "the next try waits twice as long");
        assert_eq!(step_below(1_401), 1_400);
        assert_eq!(step_below(1_400), 1_200);
        assert_eq!(step_below(500), 484);
        assert_eq!(step_below(100), 484);
    }

    #[test]
    fn a_too_big_answer_is_a_limit_at_once() {
        let mut p = Path::new(40);
        p.arrived(500);
        p.too_big(Estimate::Rows, 2_000);
        assert_eq!(p.budget(), 1_400);
        let mut q = Path::new(40);
        q.arrived(1_450);
        q.too_big(Estimate::Rows, 1_500);
        assert_eq!(q.budget(), 1_450, "what arrived is the better guess");
    }

    #[test]
    fn trimmed_answers_are_recognised_near_the_learned_size() {
        let mut p = Path::new(40);
        assert!(!p.is_trimmed(1_490));
        p.trimmed(1_480);
        assert!(p.is_trimmed(1_300));
        assert!(!p.is_trimmed(1_200));
    }
}
