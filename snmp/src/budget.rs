//! What a poll may hold: one switch's byte budget, and the scan's, shared by its polls and
//! given back as each walk is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lanready_mibs::{Oid, Value};

/// The most bytes of values (payloads and OIDs) read from one switch, all tables together.
/// A real switch or stack returns well under 10 MB; a hostile one reaching this stops being
/// read, with its remaining tables named as not read.
pub const MAX_BYTES_PER_SWITCH: usize = 64 << 20;

/// The most bytes of values (as [`MAX_BYTES_PER_SWITCH`] counts them) that the polls of one
/// scan hold at once, all switches together, unless the plan sets `scan_memory_mb`.
pub const DEFAULT_SCAN_MEMORY_BYTES: usize = 512 << 20;

/// What one value costs in memory here, about: its payload, its OID's arcs and the entry.
pub(crate) fn value_bytes(oid: &Oid, v: &Value) -> usize {
    v.as_bytes().map_or(8, |b| b.len()) + oid.0.len() * 4 + 48
}

/// The bytes of values the polls of one scan hold at once, shared by every poll of the scan.
/// A poll charges what it reads as it reads it ([`Held`]) and gives it back when its walk is
/// dropped; a poll that finds the scan over its limit stops reading, naming the tables it did
/// not read, as at the per-switch budget.
#[derive(Clone, Debug)]
pub struct ScanBudget(Arc<BudgetInner>);

#[derive(Debug)]
struct BudgetInner {
    limit_bytes: usize,
    held_bytes: AtomicUsize,
}

impl ScanBudget {
    pub fn new(limit_bytes: usize) -> ScanBudget {
        ScanBudget(Arc::new(BudgetInner {
            limit_bytes,
            held_bytes: AtomicUsize::new(0),
        }))
    }

    /// The budget of a poll on its own (`poll`, `record`): only the per-switch limit applies.
    pub fn unshared() -> ScanBudget {
        ScanBudget::new(usize::MAX)
    }

    pub fn limit_bytes(&self) -> usize {
        self.0.limit_bytes
    }

    /// Bytes of values the scan's polls hold now.
    pub fn held_bytes(&self) -> usize {
        self.0.held_bytes.load(Ordering::Relaxed)
    }

    /// A new poll's share: nothing held yet.
    pub fn hold(&self) -> Held {
        Held {
            budget: self.clone(),
            bytes: 0,
        }
    }
}

/// What one poll holds of its scan's [`ScanBudget`]; given back when dropped. The poll's
/// walk must live no longer than this (the scan drops both when the switch is checked).
#[derive(Debug)]
pub struct Held {
    budget: ScanBudget,
    bytes: usize,
}

impl Held {
    /// Bytes this poll holds, everything read from its switch (VLAN contexts too).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn take(&mut self, n: usize) {
        self.bytes += n;
        self.budget.0.held_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Why this poll must read no more, as the end of a problem line: the switch's own
    /// budget, then the scan's.
    pub(crate) fn spent(&self) -> Option<String> {
        if self.bytes > MAX_BYTES_PER_SWITCH {
            return Some(format!(
                "the switch already returned {} MB of values, the most lanready reads from one switch",
                self.bytes >> 20
            ));
        }
        let scan = self.budget.held_bytes();
        if scan > self.budget.limit_bytes() {
            return Some(format!(
                "the switches this scan is polling already hold {} MB of values, the most one scan holds at once (scan_memory_mb = {})",
                scan >> 20,
                self.budget.limit_bytes() >> 20
            ));
        }
        None
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget
            .0
            .held_bytes
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}
