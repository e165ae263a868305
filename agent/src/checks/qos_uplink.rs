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
            Some((p, k)) if k.matches.iter().any(|m| matches_ef(m)) => {
                ok.push(format!("{} ({} class {})", t.name, p.policy_name, k.name))
            }
            Some((p, k)) => out.push(
                c.fail(
                    a,
                    Some(&t.name),
                    format!("the priority class {} of {} does not match EF (DSCP 46): voice may not use it", k.name, p.policy_name),
                )
                .severity(lanready_schema::Severity::Warning)
                .evidence(format!("cbQosMatchStmtName[{} class {}]", p.policy_name, k.name), k.matches.join("; "))
                .fix(format!("class-map match-any {}\n match dscp ef", k.name)),
            ),
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

/// Whether a match statement selects EF-marked voice (`Match dscp ef (46)`, `match dscp
/// 46`, `match cos 5`, an auto-QoS voice class).
fn matches_ef(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    let words: Vec<&str> = m
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    (m.contains("dscp") && words.iter().any(|w| *w == "ef" || *w == "46"))
        || (m.contains("cos") && words.contains(&"5"))
        || (m.contains("voip") || m.contains("voice"))
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
        // A priority class matching something else than EF.
        let mut t = ready();
        for p in &mut t.qos.policies {
            if p.interface.as_deref() == Some("Te1/1/2") {
                p.classes[0].matches = vec!["Match precedence 3".into()];
            }
        }
        check(Check::QosUplink, &t, &plan(), &["fail warning Te1/1/2"]);
        for m in [
            "Match dscp ef (46)",
            "match dscp 46",
            "Match cos  5",
            "match protocol voip",
        ] {
            assert!(matches_ef(m), "{m}");
        }
        for m in ["Match dscp af41 (34)", "Match any", "match dscp 460"] {
            assert!(!matches_ef(m), "{m}");
        }
        s.qos.status = "unknown".into();
        s.system.descr = Some(MLS_DESCR.into());
        check(Check::QosUplink, &s, &plan(), &["unknown blocker -"]);
    }
}
