//! lanready-mibs: the MIB objects lanready reads, as OIDs and typed values, and the pure
//! functions that turn a switch's walked tables into a [`lanready_schema::Snapshot`].
//!
//! **Architecture invariant:** this crate does no I/O. It is handed a [`Walk`] (what the
//! poller or an `.snmprec` file produced) and returns data.

pub mod decode;
pub mod evidence;
pub mod oid;
pub mod poll;
pub mod value;
pub mod walk;

pub use oid::Oid;
pub use value::Value;
pub use walk::Walk;
