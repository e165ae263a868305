//! The readiness checks: a closed catalogue with stable ids, one file per check. Each check
//! reads a switch's [`Snapshot`] against its [`SwitchPlan`] and returns findings (the values
//! it read, with their MIB object names, and the IOS configuration that fixes a failure).
//!
//! **Architecture invariant:** checks never return `Err`. What a switch does not say makes a
//! finding `unknown` ("verify by hand"), never a pass or a fail.
//!
//! Findings of one check on one switch: a failing check gives one finding per failing port
//! (or per PSE, trunk, supply); a passing check gives one finding for the switch; a check
//! that cannot tell gives one `unknown` finding for the switch.

use std::fmt::Display;

use lanready_schema::{Evidence, Finding, Interface, Severity, Snapshot, Status};

use crate::plan::SwitchPlan;

mod data_vlan;
mod neighbours;
mod phones_seen;
mod poe_budget;
mod poe_port;
mod port_admin;
mod port_duplex;
mod port_errors;
mod portfast;
pub mod ports;
mod power;
mod qos_trust;
mod qos_uplink;
mod reachability;
mod voice_vlan_exists;
mod voice_vlan_port;
mod voice_vlan_trunk;

#[cfg(test)]
pub(crate) mod testutil;

pub use poe_budget::budgets as poe_budgets;

/// Every check lanready makes. The order here is the catalogue's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    Reachable,
    PoeBudget,
    PoePort,
    VoiceVlanExists,
    VoiceVlanPort,
    VoiceVlanTrunk,
    DataVlan,
    QosTrust,
    QosUplink,
    Neighbours,
    PhonesSeen,
    PortDuplex,
    PortErrors,
    Portfast,
    PowerRedundancy,
    PortAdminDown,
}

impl Check {
    pub const ALL: [Check; 16] = [
        Check::Reachable,
        Check::PoeBudget,
        Check::PoePort,
        Check::VoiceVlanExists,
        Check::VoiceVlanPort,
        Check::VoiceVlanTrunk,
        Check::DataVlan,
        Check::QosTrust,
        Check::QosUplink,
        Check::Neighbours,
        Check::PhonesSeen,
        Check::PortDuplex,
        Check::PortErrors,
        Check::Portfast,
        Check::PowerRedundancy,
        Check::PortAdminDown,
    ];

    /// The stable id used in reports, the gate and JUnit.
    pub fn id(self) -> &'static str {
        match self {
            Check::Reachable => "switch.reachable",
            Check::PoeBudget => "poe.budget",
            Check::PoePort => "poe.port",
            Check::VoiceVlanExists => "voice_vlan.exists",
            Check::VoiceVlanPort => "voice_vlan.port",
            Check::VoiceVlanTrunk => "voice_vlan.trunk",
            Check::DataVlan => "vlan.data",
            Check::QosTrust => "qos.trust",
            Check::QosUplink => "qos.uplink",
            Check::Neighbours => "neighbours.discovery",
            Check::PhonesSeen => "phones.seen",
            Check::PortDuplex => "port.duplex",
            Check::PortErrors => "port.errors",
            Check::Portfast => "port.portfast",
            Check::PowerRedundancy => "power.redundancy",
            Check::PortAdminDown => "port.admin_down",
        }
    }

    pub fn from_id(id: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The severity of the check's failures (a few findings are milder; see each check).
    pub fn severity(self) -> Severity {
        match self {
            Check::Reachable
            | Check::PoeBudget
            | Check::PoePort
            | Check::VoiceVlanExists
            | Check::VoiceVlanPort
            | Check::VoiceVlanTrunk
            | Check::DataVlan
            | Check::QosTrust
            | Check::QosUplink => Severity::Blocker,
            Check::Neighbours
            | Check::PortDuplex
            | Check::PortErrors
            | Check::Portfast
            | Check::PowerRedundancy
            | Check::PhonesSeen => Severity::Warning,
            Check::PortAdminDown => Severity::Info,
        }
    }

    /// What the check asks, in a line (for the catalogue and JUnit).
    pub fn title(self) -> &'static str {
        match self {
            Check::Reachable => "The switch answers SNMP",
            Check::PoeBudget => "Each PSE's PoE budget covers the planned phones with headroom",
            Check::PoePort => "PoE is enabled and healthy on every user-facing port",
            Check::VoiceVlanExists => "The voice VLAN exists and is active",
            Check::VoiceVlanPort => "Every user-facing port has the voice VLAN",
            Check::VoiceVlanTrunk => "Trunks toward the core carry the voice VLAN",
            Check::DataVlan => "User-facing ports' data VLAN is not the voice VLAN",
            Check::QosTrust => "User-facing ports trust or classify phone markings",
            Check::QosUplink => "Uplinks queue EF traffic in a priority queue",
            Check::Neighbours => "CDP or LLDP runs, so phones learn the voice VLAN",
            Check::PhonesSeen => "Phones already connected use the voice VLAN",
            Check::PortDuplex => "No port runs half duplex",
            Check::PortErrors => "No port has a high error rate",
            Check::Portfast => "User-facing ports use portfast",
            Check::PowerRedundancy => "Power supplies are healthy and redundant",
            Check::PortAdminDown => "User-facing ports administratively down",
        }
    }

    /// Evaluates the check on one switch that answered.
    pub fn evaluate(self, snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
        self.evaluate_with(snap, plan, &ports::user_ports(snap, plan))
    }

    /// [`Check::evaluate`] with the switch's user-facing ports ([`ports::user_ports`])
    /// already selected: the checks of one switch share one selection.
    pub fn evaluate_with(
        self,
        snap: &Snapshot,
        plan: &SwitchPlan,
        users: &[&Interface],
    ) -> Vec<Finding> {
        match self {
            Check::Reachable => reachability::evaluate(snap, plan),
            Check::PoeBudget => poe_budget::evaluate(snap, plan, users),
            Check::PoePort => poe_port::evaluate(snap, plan, users),
            Check::VoiceVlanExists => voice_vlan_exists::evaluate(snap, plan),
            Check::VoiceVlanPort => voice_vlan_port::evaluate(plan, users),
            Check::VoiceVlanTrunk => voice_vlan_trunk::evaluate(snap, plan),
            Check::DataVlan => data_vlan::evaluate(plan, users),
            Check::QosTrust => qos_trust::evaluate(snap, plan, users),
            Check::QosUplink => qos_uplink::evaluate(snap, plan),
            Check::Neighbours => neighbours::evaluate(snap, plan, users),
            Check::PhonesSeen => phones_seen::evaluate(snap, plan),
            Check::PortDuplex => port_duplex::evaluate(snap, plan),
            Check::PortErrors => port_errors::evaluate(snap, plan),
            Check::Portfast => portfast::evaluate(plan, users),
            Check::PowerRedundancy => power::evaluate(snap, plan),
            Check::PortAdminDown => port_admin::evaluate(plan, users),
        }
    }

    /// A passing finding for the switch.
    pub fn pass(self, switch: &str, message: impl Into<String>) -> Finding {
        self.finding(Status::Pass, self.severity(), switch, None, message)
    }

    /// A failing finding at the check's severity; `port` for a per-port failure.
    pub fn fail(self, switch: &str, port: Option<&str>, message: impl Into<String>) -> Finding {
        self.finding(Status::Fail, self.severity(), switch, port, message)
    }

    /// The check could not tell: verify by hand.
    pub fn unknown(self, switch: &str, message: impl Into<String>) -> Finding {
        self.finding(Status::Unknown, self.severity(), switch, None, message)
    }

    fn finding(
        self,
        status: Status,
        severity: Severity,
        switch: &str,
        port: Option<&str>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            check: self.id().to_string(),
            severity,
            status,
            switch: switch.to_string(),
            port: port.map(str::to_string),
            message: message.into(),
            evidence: Vec::new(),
            remediation: None,
        }
    }
}

/// Every check on a switch that answered, in catalogue order.
pub fn evaluate_all(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    evaluate_all_with(snap, plan, &ports::user_ports(snap, plan))
}

/// [`evaluate_all`] with the switch's user-facing ports ([`ports::user_ports`]) already
/// selected.
pub fn evaluate_all_with(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    Check::ALL
        .iter()
        .flat_map(|c| c.evaluate_with(snap, plan, users))
        .collect()
}

/// A switch that could not be read: `switch.reachable` fails and every other check is
/// unknown.
pub fn unreachable(address: &str, error: &str) -> Vec<Finding> {
    reachability::unreachable(address, error)
}

/// Builder methods on the schema's [`Finding`].
pub trait FindingExt: Sized {
    fn evidence(self, object: impl Display, value: impl Display) -> Self;
    fn fix(self, ios: impl Into<String>) -> Self;
    fn severity(self, severity: Severity) -> Self;
}

impl FindingExt for Finding {
    fn evidence(mut self, object: impl Display, value: impl Display) -> Self {
        self.evidence.push(Evidence {
            object: object.to_string(),
            value: value.to_string(),
        });
        self
    }

    fn fix(mut self, ios: impl Into<String>) -> Self {
        self.remediation = Some(ios.into());
        self
    }

    fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Whether the switch had a table group (`Snapshot::tables`): Some(true) read with rows,
/// Some(false) absent or empty, None when it was not read or the read failed.
pub(crate) fn table(snap: &Snapshot, name: &str) -> Option<bool> {
    use lanready_schema::TableStatus;
    match snap.tables.get(name)? {
        TableStatus::Present { rows } => Some(*rows > 0),
        TableStatus::Absent => Some(false),
        TableStatus::Error { .. } => None,
    }
}

/// How QoS can be judged on a switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QosView {
    /// Class-based QoS was read (`mqc`, `absent`): policies say what is configured.
    Mqc,
    /// Nothing under cbQoS, on an IOS-XE Catalyst (3650/3850/9000), which has only MQC:
    /// no policy is configured at all.
    MqcNone,
    /// Only port trust is readable (csqIfTrustState).
    Trust,
    /// Nothing readable: an mls qos platform, or the read failed.
    Unknown,
}

pub(crate) fn qos_view(snap: &Snapshot) -> QosView {
    match snap.qos.status.as_str() {
        "mqc" | "absent" => QosView::Mqc,
        "trust" => QosView::Trust,
        _ if mqc_only(snap) && table(snap, "cbQosServicePolicyTable").is_some() => QosView::MqcNone,
        _ if snap.interfaces.iter().any(|i| i.qos_trust.is_some()) => QosView::Trust,
        _ => QosView::Unknown,
    }
}

/// IOS-XE Catalyst switches (CAT9K, CAT3K_CAA) configure QoS only with MQC.
fn mqc_only(snap: &Snapshot) -> bool {
    let d = snap.system.descr.as_deref().unwrap_or("");
    ["CAT9K", "CAT3K_CAA", "CAT4500E", "IOS-XE", "IOS XE"]
        .iter()
        .any(|k| d.contains(k))
}

/// `interface NAME` followed by indented lines: the usual shape of a remediation.
pub(crate) fn interface_fix(port: &str, lines: &[&str]) -> String {
    let mut s = format!("interface {port}");
    for l in lines {
        s.push_str("\n ");
        s.push_str(l);
    }
    s
}

/// The result when a per-port check has no user-facing ports to look at.
pub(crate) fn no_user_ports(check: Check, switch: &str) -> Vec<Finding> {
    vec![check.pass(switch, "no user-facing ports on this switch")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut ids: Vec<&str> = Check::ALL.iter().map(|c| c.id()).collect();
        for c in Check::ALL {
            assert_eq!(Check::from_id(c.id()), Some(c));
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Check::ALL.len());
    }
}
