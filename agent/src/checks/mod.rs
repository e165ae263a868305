//! The readiness checks: a closed catalogue with stable ids, one file per check. Each check
//! reads one switch through a [`Ctx`] (its snapshot, its plan, and the port roles decided
//! once for all checks) and returns findings: the values it read, each with the MIB object
//! and index it came from, and the IOS configuration that fixes a failure, spelled for the
//! switch's platform family ([`crate::remediation`]).
//!
//! **Architecture invariant:** checks never return `Err`. What a switch does not say makes a
//! finding `unknown` ("verify by hand"), never a pass or a fail. Only `user` ports get
//! user-port checks and user-port fixes.
//!
//! Findings of one check on one switch: a failing check gives one finding per failing port
//! (or per pool, trunk, supply); a passing check gives one finding for the switch; a check
//! that cannot tell gives one `unknown` finding for the switch; a check that does not apply
//! (the socket checks, PoE among them, on a switch without sockets) gives one `not_applicable` finding.

use std::fmt::Display;

use lanready_schema::{
    Evidence, Finding, Interface, PortRole, RoleInfo, Severity, Snapshot, Status, TableStatus,
};

use crate::plan::SwitchPlan;
use crate::remediation::Fixes;

mod data_vlan;
mod neighbours;
mod phones_seen;
mod poe_budget;
mod poe_port;
mod port_admin;
mod port_duplex;
mod port_errors;
mod port_mode;
mod portfast;
pub mod ports;
mod power;
mod qos;
mod qos_egress;
mod qos_trust;
mod qos_uplink;
mod reachability;
mod security;
mod voice_vlan_exists;
mod voice_vlan_port;
mod voice_vlan_trunk;

#[cfg(test)]
pub(crate) mod testutil;

pub use poe_budget::budgets as poe_budgets;

/// One catalogue entry: the check, its stable id, its severity, what it asks and the
/// function that evaluates it. Its weight in the score is in
/// [`lanready_schema::score::WEIGHTS`], by id, because the collector scores reports too and
/// depends on no agent code (`every_check_has_a_weight_and_every_weight_a_check` holds the
/// two lists to the same ids).
pub struct Spec {
    pub check: Check,
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub eval: fn(&Ctx<'_>) -> Vec<Finding>,
}

/// Declares the catalogue once: the [`Check`] enum, [`Check::ALL`] and [`CATALOGUE`], each in
/// the rows' order.
macro_rules! catalogue {
    ($($check:ident: $id:literal, $severity:ident, $eval:path, $title:literal;)*) => {
        /// Every check lanready makes, in the catalogue's order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Check {
            $($check,)*
        }

        impl Check {
            /// Every check, in catalogue order.
            pub const ALL: &[Check] = &[$(Check::$check,)*];
        }

        /// The catalogue: a row per check.
        pub const CATALOGUE: &[Spec] = &[$(Spec {
            check: Check::$check,
            id: $id,
            severity: $severity,
            title: $title,
            eval: $eval,
        },)*];
    };
}

use Severity::{Blocker, Info, Warning};

// Adding a check is a row here, its file, and its weight in `lanready_schema::score::WEIGHTS`.
catalogue! {
    Reachable: "switch.reachable", Blocker, reachability::evaluate,
        "The switch answers SNMP";
    PoeBudget: "poe.budget", Blocker, poe_budget::evaluate,
        "Each PoE pool's budget covers the planned phones with headroom";
    PoePort: "poe.port", Blocker, poe_port::evaluate,
        "PoE is enabled and healthy on every user-facing port";
    VoiceVlanExists: "voice_vlan.exists", Blocker, voice_vlan_exists::evaluate,
        "The voice VLAN exists and is active";
    VoiceVlanPort: "voice_vlan.port", Blocker, voice_vlan_port::evaluate,
        "Every user-facing port has the voice VLAN";
    VoiceVlanTrunk: "voice_vlan.trunk", Blocker, voice_vlan_trunk::evaluate,
        "Trunks toward the core carry the voice VLAN";
    DataVlan: "vlan.data", Blocker, data_vlan::evaluate,
        "User-facing ports' data VLAN is not the voice VLAN";
    QosTrust: "qos.trust", Blocker, qos_trust::evaluate,
        "User-facing ports keep the phones' voice markings";
    QosUplink: "qos.uplink", Blocker, qos_uplink::evaluate,
        "Physical uplinks queue EF traffic in a priority queue";
    QosEgress: "qos.egress", Warning, qos_egress::evaluate,
        "User-facing ports queue EF toward the phone in a priority queue";
    Neighbours: "neighbours.discovery", Warning, neighbours::evaluate,
        "Phones can learn the voice VLAN (CDP for Cisco phones, LLDP-MED for others)";
    PhonesSeen: "phones.seen", Warning, phones_seen::evaluate,
        "Phones already connected use the voice VLAN";
    AuthHostMode: "security.auth", Blocker, security::auth,
        "802.1X / MAB on sockets admits a phone and the PC behind it";
    PortSecurity: "security.port_security", Blocker, security::port_security,
        "Port security on sockets admits a phone and the PC behind it";
    ErrdisableRecovery: "security.errdisable", Warning, security::errdisable,
        "Sockets that err-disable recover by themselves";
    PortDuplex: "port.duplex", Warning, port_duplex::evaluate,
        "No port runs half duplex";
    PortErrors: "port.errors", Warning, port_errors::evaluate,
        "No port has a high error rate";
    Portfast: "port.portfast", Warning, portfast::evaluate,
        "User-facing ports use portfast";
    PortMode: "port.mode", Warning, port_mode::evaluate,
        "User-facing ports are access ports, not dynamic";
    PowerRedundancy: "power.redundancy", Warning, power::evaluate,
        "Power supplies are healthy and redundant";
    PortAdminDown: "port.admin_down", Info, port_admin::evaluate,
        "User-facing ports administratively down";
}

impl Check {
    pub fn spec(self) -> &'static Spec {
        CATALOGUE
            .iter()
            .find(|s| s.check == self)
            .expect("every check is in the catalogue")
    }

    /// The stable id used in reports, the gate and JUnit.
    pub fn id(self) -> &'static str {
        self.spec().id
    }

    pub fn from_id(id: &str) -> Option<Check> {
        CATALOGUE.iter().find(|s| s.id == id).map(|s| s.check)
    }

    /// The severity of the check's failures (a few findings are milder or harder; see each
    /// check).
    pub fn severity(self) -> Severity {
        self.spec().severity
    }

    /// What the check asks, in a line (for the catalogue and JUnit).
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// Evaluates the check on one switch that answered.
    pub fn evaluate(self, snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
        (self.spec().eval)(&Ctx::new(snap, plan))
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

    /// The check does not apply to this switch.
    pub fn not_applicable(self, switch: &str, message: impl Into<String>) -> Finding {
        self.finding(
            Status::NotApplicable,
            self.severity(),
            switch,
            None,
            message,
        )
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

/// One switch as the checks see it: the snapshot, the plan, each interface's role (decided
/// once, with the plan), and the ports each kind of check looks at.
pub struct Ctx<'a> {
    pub snap: &'a Snapshot,
    pub plan: &'a SwitchPlan,
    /// The role of `snap.interfaces[k]`.
    pub roles: Vec<RoleInfo>,
    /// The sockets, in ifIndex order.
    pub users: Vec<&'a Interface>,
    /// What carries VLANs toward the core: configured trunks and trunk Port-channels, not
    /// their members (a member's VLANs are its Port-channel's).
    pub trunks: Vec<&'a Interface>,
    /// Physical uplink ports, where egress queuing lives: physical trunks outside a
    /// channel, and the members of trunk Port-channels.
    pub uplink_ports: Vec<&'a Interface>,
    pub fixes: Fixes<'a>,
}

impl<'a> Ctx<'a> {
    pub fn new(snap: &'a Snapshot, plan: &'a SwitchPlan) -> Ctx<'a> {
        let roles = ports::roles(snap, plan);
        let with = |want: &[PortRole]| -> Vec<&'a Interface> {
            snap.interfaces
                .iter()
                .zip(&roles)
                .filter(|(_, r)| want.contains(&r.role))
                .map(|(i, _)| i)
                .collect()
        };
        let users = with(&[PortRole::User]);
        let trunk_like = |i: &Interface| {
            i.trunk || matches!(i.trunk_mode.as_deref(), Some("on" | "onNoNegotiate"))
        };
        let mut trunks: Vec<&Interface> = with(&[PortRole::Trunk]);
        trunks.extend(
            with(&[PortRole::PortChannel])
                .into_iter()
                .filter(|i| trunk_like(i)),
        );
        trunks.sort_by_key(|i| i.if_index);
        let trunk_channels: Vec<u32> = trunks
            .iter()
            .filter(|i| lanready_mibs::decode::links::is_port_channel(i))
            .map(|i| i.if_index)
            .collect();
        let mut uplink_ports: Vec<&Interface> = with(&[PortRole::Trunk]);
        uplink_ports.extend(with(&[PortRole::ChannelMember]).into_iter().filter(|i| {
            i.channel
                .as_ref()
                .is_some_and(|c| trunk_channels.contains(&c.if_index))
        }));
        uplink_ports.sort_by_key(|i| i.if_index);
        Ctx {
            snap,
            plan,
            roles,
            users,
            trunks,
            uplink_ports,
            fixes: Fixes::new(&snap.platform),
        }
    }

    /// The switch's address, as findings name it.
    pub fn addr(&self) -> &str {
        &self.plan.address
    }

    /// The role of an interface of this snapshot.
    pub fn role_of(&self, i: &Interface) -> Option<&RoleInfo> {
        let k = self
            .snap
            .interfaces
            .iter()
            .position(|x| x.if_index == i.if_index)?;
        self.roles.get(k)
    }

    /// How many interfaces have each role, in words (`48 user, 2 trunk, 2 channel_member`).
    pub fn role_counts(&self) -> String {
        let mut out = Vec::new();
        for r in PortRole::ALL {
            let n = self.roles.iter().filter(|x| x.role == r).count();
            if n > 0 {
                out.push(format!("{n} {}", r.name()));
            }
        }
        out.join(", ")
    }

    /// The PoE checks' preamble: a pass when the plan powers phones locally, else
    /// [`Ctx::no_sockets`]; None when the check has PoE to judge.
    pub fn poe_not_judged(&self, c: Check) -> Option<Vec<Finding>> {
        if !self.plan.poe_required {
            return Some(vec![c.pass(
                self.addr(),
                "the plan powers phones locally (phones.poe = false)",
            )]);
        }
        self.no_sockets(c)
    }

    /// When the switch has no socket: a finding saying the check does not apply, read from a
    /// complete interface table; or unknown when the interface table was not read whole (a
    /// switch whose tables were not read never passes for "no sockets").
    pub fn no_sockets(&self, c: Check) -> Option<Vec<Finding>> {
        if !self.users.is_empty() {
            return None;
        }
        Some(vec![match self.snap.tables.get("ifTable") {
            Some(TableStatus::Present { rows }) if !self.snap.interfaces.is_empty() => c
                .not_applicable(
                    self.addr(),
                    format!(
                        "not applicable: no user-facing port on this switch ({})",
                        self.role_counts()
                    ),
                )
                .evidence("ifTable", format!("{rows} rows")),
            other => c
                .unknown(
                    self.addr(),
                    "unknown: the interface table was not read, so which ports are sockets is unknown: verify with `show interfaces status`",
                )
                .evidence("ifTable", table_text(other)),
        }])
    }

    /// Whether a table group was read with rows (`Some(true)`), answered empty or absent
    /// (`Some(false)`), or could not be read (`None`).
    pub fn table(&self, name: &str) -> Option<bool> {
        table(self.snap, name)
    }

    /// The table group's status in words, for evidence.
    pub fn table_text(&self, name: &str) -> String {
        table_text(self.snap.tables.get(name))
    }
}

/// A table status in words: `48 rows`, `absent`, `not read (timeout)`.
pub fn table_text(t: Option<&TableStatus>) -> String {
    match t {
        Some(TableStatus::Present { rows }) => format!("{rows} rows"),
        Some(TableStatus::Absent) => "absent".into(),
        Some(TableStatus::Error { reason }) => format!("not read ({reason})"),
        None => "not read".into(),
    }
}

/// Every check on a switch that answered, in catalogue order.
pub fn evaluate_all(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let ctx = Ctx::new(snap, plan);
    evaluate_ctx(&ctx)
}

/// Every check on a prepared [`Ctx`].
pub fn evaluate_ctx(ctx: &Ctx<'_>) -> Vec<Finding> {
    CATALOGUE.iter().flat_map(|s| (s.eval)(ctx)).collect()
}

/// A switch that could not be read: `switch.reachable` fails and every other check is
/// unknown.
pub fn unreachable(address: &str, error: &str) -> Vec<Finding> {
    reachability::unreachable(address, error)
}

/// Builder methods on the schema's [`Finding`].
pub trait FindingExt: Sized {
    /// A free-form evidence item (a table statement, a plan figure).
    fn evidence(self, object: impl Display, value: impl Display) -> Self;
    /// An evidence item built with [`lanready_mibs::evidence`].
    fn ev(self, e: Evidence) -> Self;
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

    fn ev(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    fn fix(mut self, ios: impl Into<String>) -> Self {
        let s = ios.into();
        self.remediation = (!s.trim().is_empty()).then_some(s);
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
    match snap.tables.get(name)? {
        TableStatus::Present { rows } => Some(*rows > 0),
        TableStatus::Absent => Some(false),
        TableStatus::Error { .. } => None,
    }
}

/// A count in words: `1 port` / `3 ports`.
pub(crate) fn plural(n: usize, what: &str) -> String {
    lanready_schema::words::count(n as u64, what, &format!("{what}s"))
}

/// Port names in a compact form: `Gi1/0/1-4, Gi1/0/7, Te1/1/1`.
pub fn compact_ports<S: AsRef<str>>(names: &[S]) -> String {
    ports::compact(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut ids: Vec<&str> = Check::ALL.iter().map(|c| c.id()).collect();
        for &c in Check::ALL {
            assert_eq!(Check::from_id(c.id()), Some(c));
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Check::ALL.len());
        assert_eq!(CATALOGUE.len(), Check::ALL.len());
        for (s, &c) in CATALOGUE.iter().zip(Check::ALL) {
            assert_eq!(s.check, c, "catalogue order is Check::ALL's");
        }
    }
}
