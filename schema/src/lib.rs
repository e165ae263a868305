//! lanready-schema: the JSON shapes lanready writes and reads between its parts.
//!
//! **Architecture invariant:** every document carries a `schema` string with its version;
//! this crate is the only place that derives `Serialize`/`Deserialize` for the wire formats.

pub mod api;
pub mod ports;
pub mod programme;
pub mod report;
pub mod sample;
pub mod score;
pub mod secret;
pub mod snapshot;
pub mod webhook;
pub mod words;
pub mod works;

pub use report::*;
pub use snapshot::*;
