//! lanready-agent: polls a station's Cisco switches over SNMP, evaluates readiness checks
//! and reports. The binary in `main.rs` is thin: it parses the CLI and calls `cmd::run`.

pub mod checks;
pub mod cmd;
pub mod daemon;
pub mod gate;
pub mod plan;
pub mod push;
pub use lanready_works::remediation;
pub mod render;
pub mod report;
pub mod scan;
pub mod schedule;
pub mod score;
