//! `qos.uplink`: each trunk toward the core has an output policy with a priority (LLQ)
//! queue, for EF-marked voice. Unknown where the switch exposes no QoS over SNMP.

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt, QosView, ports};
use crate::plan::SwitchPlan;

/// IANA ifType ieee8023adLag (a Port-channel).
const IEEE8023AD_LAG: u32 = 161;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::QosUplink;
    let a = plan.address.as_str();
    // Queuing is applied on an EtherChannel's member ports, not on the Port-channel.
    let trunks: Vec<_> = ports::trunks(snap)
        .into_iter()
        .filter(|i| i.if_type != Some(IEEE8023AD_LAG))
        .collect();
    if trunks.is_empty() {
        return vec![c.unknown(a, "no trunk toward the core to check (see voice_vlan.trunk): verify the uplink's queuing by hand")];
    }
    if !matches!(super::qos_view(snap), QosView::Mqc | QosView::MqcNone) {
        return vec![c
            .unknown(a, "unknown, verify by hand: this switch exposes no QoS over SNMP (mls qos platform); check `show mls qos interface queueing` for an expedite queue on the uplinks")
            .evidence("cbQosServicePolicyTable", if snap.qos.status.is_empty() { "not read" } else { snap.qos.status.as_str() })];
    }
    let mut out = Vec::new();
    let mut ok = Vec::new();
    for t in trunks {
        let outputs: Vec<_> = snap
            .qos
            .policies
            .iter()
            .filter(|p| p.if_index == Some(t.if_index) && p.direction == "output")
            .collect();
        let priority = outputs
            .iter()
            .find_map(|p| p.classes.iter().find(|k| k.priority).map(|k| (p, k)));
        match priority {
            Some((p, k)) => ok.push(format!("{} ({} class {})", t.name, p.policy_name, k.name)),
            None => {
                let (object, value) = match outputs.first() {
                    Some(p) => (
                        format!("cbQosQueueingCfgPriorityEnabled[{}]", p.policy_name),
                        "no priority class".to_string(),
                    ),
                    None => (
                        format!("cbQosServicePolicyTable[ifIndex {}, output]", t.if_index),
                        "no policy".to_string(),
                    ),
                };
                out.push(
                    c.fail(a, Some(&t.name), "no output policy with a priority queue: voice may queue behind data toward the core")
                        .evidence(object, value)
                        .fix(format!(
                            "class-map match-any VOICE\n match dscp ef\npolicy-map UPLINK-OUT\n class VOICE\n  priority level 1\n  police rate percent 30\n class class-default\n  bandwidth remaining percent 100\ninterface {}\n service-policy output UPLINK-OUT\n! or: auto qos voip trust",
                            t.name
                        )),
                );
            }
        }
    }
    if out.is_empty() {
        vec![c.pass(a, format!("priority queue on {}", ok.join(", ")))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn priority_missing_and_unknown() {
        let mut s = ready();
        check(Check::QosUplink, &s, &plan(), &["pass blocker -"]);
        // Te1/1/2's policy has no priority class; Te1/1/1 loses its policy.
        for p in &mut s.qos.policies {
            if p.interface.as_deref() == Some("Te1/1/2") {
                p.classes[0].priority = false;
            }
        }
        s.qos
            .policies
            .retain(|p| p.interface.as_deref() != Some("Te1/1/1"));
        let f = check(
            Check::QosUplink,
            &s,
            &plan(),
            &["fail blocker Te1/1/1", "fail blocker Te1/1/2"],
        );
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .contains("interface Te1/1/1\n service-policy output UPLINK-OUT")
        );
        s.qos.status = "unknown".into();
        s.system.descr = Some(MLS_DESCR.into());
        check(Check::QosUplink, &s, &plan(), &["unknown blocker -"]);
    }
}
