//! `voice_vlan.exists`: the plan's voice VLAN is in the switch's VLAN table and active.

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt, table};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::VoiceVlanExists;
    let a = plan.address.as_str();
    let v = plan.voice_vlan;
    if snap.vlans.is_empty() {
        let read =
            table(snap, "vtpVlanTable").is_some() || table(snap, "dot1qVlanStaticTable").is_some();
        if !read {
            return vec![c.unknown(
                a,
                format!("the VLAN table could not be read: verify VLAN {v} with `show vlan brief`"),
            )];
        }
    }
    let object = format!("vtpVlanState.1.{v}");
    match snap.vlans.iter().find(|x| x.id == v) {
        None => vec![
            c.fail(
                a,
                None,
                format!("voice VLAN {v} does not exist on the switch"),
            )
            .evidence(object, "no such VLAN")
            .evidence(
                "VLANs",
                snap.vlans
                    .iter()
                    .map(|x| x.id.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .fix(format!("vlan {v}\n name VOICE")),
        ],
        Some(x) if x.state == "operational" || x.state == "active" => {
            let name = x.name.as_deref().unwrap_or("");
            vec![
                c.pass(a, format!("voice VLAN {v} ({name}) is active"))
                    .evidence(object, &x.state),
            ]
        }
        Some(x) => vec![
            c.fail(a, None, format!("voice VLAN {v} exists but is {}", x.state))
                .evidence(object, &x.state)
                .fix(format!("vlan {v}\n state active\n no shutdown")),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn present_missing_suspended_unreadable() {
        let mut s = ready();
        check(Check::VoiceVlanExists, &s, &plan(), &["pass blocker -"]);
        s.vlans[2].state = "suspended".into();
        check(Check::VoiceVlanExists, &s, &plan(), &["fail blocker -"]);
        s.vlans.remove(2);
        let f = check(Check::VoiceVlanExists, &s, &plan(), &["fail blocker -"]);
        assert_eq!(f[0].remediation.as_deref(), Some("vlan 110\n name VOICE"));
        s.vlans.clear();
        s.tables.remove("vtpVlanTable");
        check(Check::VoiceVlanExists, &s, &plan(), &["unknown blocker -"]);
    }
}
