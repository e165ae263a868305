//! What a site must buy and configure before its cutover, from a report alone (pure, no
//! I/O): the configuration lanready may write on each platform family ([`remediation`]),
//! the merged fix configuration of a report, one block per switch ([`config`]), and the
//! bill of works ([`bill`]): hardware to buy with its reason and evidence, configuration
//! per switch with its size and whether it needs a maintenance window, and totals.

pub mod bill;
pub mod config;
pub mod remediation;
pub mod render;
pub mod supplies;
