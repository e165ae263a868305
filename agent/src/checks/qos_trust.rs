//! `qos.trust`: user-facing ports trust or classify the phones' markings: an input service
//! policy (auto-QoS or hand-made), or a trusting port state (csqIfTrustState). Where the
//! switch exposes neither (mls qos platforms), the answer is "unknown, verify by hand".

use lanready_schema::{Finding, Interface, Snapshot};

use super::{Check, FindingExt, QosView, interface_fix, no_user_ports};
use crate::plan::SwitchPlan;

/// Trust states that keep a phone's markings.
const TRUSTING: &[&str] = &["trustDscp", "trustCoS", "trustIpPrec"];

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::QosTrust;
    let a = plan.address.as_str();
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    let view = super::qos_view(snap);
    if view == QosView::Unknown {
        return vec![c
            .unknown(a, "unknown, verify by hand: this switch exposes no QoS over SNMP (mls qos platform); check `show mls qos interface` for `trust device cisco-phone` / `trust dscp` or auto-QoS")
            .evidence("cbQosServicePolicyTable", if snap.qos.status.is_empty() { "not read" } else { snap.qos.status.as_str() })];
    }
    let mqc = matches!(view, QosView::Mqc | QosView::MqcNone);
    let mut out = Vec::new();
    for i in users {
        let input = snap
            .qos
            .policies
            .iter()
            .find(|p| p.if_index == Some(i.if_index) && p.direction == "input");
        if input.is_some() {
            continue;
        }
        if i.qos_trust
            .as_deref()
            .is_some_and(|t| TRUSTING.contains(&t))
        {
            continue;
        }
        let mut f = c
            .fail(a, Some(&i.name), "no input QoS policy and the port does not trust markings: voice is not prioritised")
            .fix(format!(
                "{}\n! (Avaya and other non-Cisco phones: auto qos voip trust)",
                interface_fix(&i.name, &["auto qos voip cisco-phone"])
            ));
        if mqc {
            f = f.evidence(
                format!("cbQosServicePolicyTable[ifIndex {}, input]", i.if_index),
                "no policy",
            );
        }
        if let Some(t) = &i.qos_trust {
            f = f.evidence(format!("csqIfTrustState.{}", i.if_index), t);
        }
        out.push(f);
    }
    if out.is_empty() {
        vec![c.pass(
            a,
            format!(
                "all {} user-facing ports trust or classify phone markings",
                users.len()
            ),
        )]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn policies_trust_and_mls_qos() {
        let mut s = ready();
        check(Check::QosTrust, &s, &plan(), &["pass blocker -"]);
        // Gi1/0/2 loses its input policy; Gi1/0/3 too but trusts DSCP.
        s.qos
            .policies
            .retain(|p| !matches!(p.interface.as_deref(), Some("Gi1/0/2" | "Gi1/0/3")));
        port(&mut s, "Gi1/0/3").qos_trust = Some("trustDscp".into());
        let f = check(Check::QosTrust, &s, &plan(), &["fail blocker Gi1/0/2"]);
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .starts_with("interface Gi1/0/2\n auto qos voip cisco-phone")
        );
        // An mls qos switch: nothing readable.
        let mut s = ready();
        s.system.descr = Some(MLS_DESCR.into());
        s.qos.status = "unknown".into();
        s.qos.policies.clear();
        check(Check::QosTrust, &s, &plan(), &["unknown blocker -"]);
        // ... unless csqIfTrustState answers.
        port(&mut s, "Gi1/0/1").qos_trust = Some("untrusted".into());
        for i in s.interfaces.iter_mut().filter(|i| i.name != "Gi1/0/1") {
            i.qos_trust = Some("trustCoS".into());
        }
        check(Check::QosTrust, &s, &plan(), &["fail blocker Gi1/0/1"]);
    }

    #[test]
    fn nothing_under_cbqos_on_ios_xe_means_no_policy() {
        let mut s = ready();
        s.qos.status = "unknown".into();
        s.qos.policies.clear();
        s.interfaces.truncate(2);
        // ready() is a Catalyst 9000 (CAT9K_IOSXE): MQC only.
        check(
            Check::QosTrust,
            &s,
            &plan(),
            &["fail blocker Gi1/0/1", "fail blocker Gi1/0/2"],
        );
        // Unless the cbQoS read failed.
        s.tables.insert(
            "cbQosServicePolicyTable".into(),
            lanready_schema::TableStatus::Error {
                reason: "timeout".into(),
            },
        );
        check(Check::QosTrust, &s, &plan(), &["unknown blocker -"]);
    }
}
