//! `voice_vlan.port`: every user-facing port has the plan's voice VLAN
//! (`switchport voice vlan N`).

use lanready_schema::{Finding, Interface};

use super::{Check, FindingExt, interface_fix, no_user_ports};
use crate::plan::SwitchPlan;

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::VoiceVlanPort;
    let a = plan.address.as_str();
    let v = plan.voice_vlan;
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    if users
        .iter()
        .all(|i| i.voice_vlan.is_none() && i.voice_vlan_mode.is_none())
    {
        return vec![c.unknown(a, "the switch does not report voice VLANs (vmVoiceVlanId): verify with `show interfaces switchport`")];
    }
    let fix = format!("switchport voice vlan {v}");
    let mut out = Vec::new();
    for i in users {
        if i.voice_vlan == Some(v) {
            continue;
        }
        let object = format!("vmVoiceVlanId.{}", i.if_index);
        let (value, message) = match (i.voice_vlan, i.voice_vlan_mode.as_deref()) {
            (Some(other), _) => (other.to_string(), format!("voice VLAN {other}, not {v}")),
            (None, Some("none")) | (None, None) => {
                ("4096 (none)".to_string(), "no voice VLAN".to_string())
            }
            (None, Some("dot1p")) => (
                "0 (dot1p)".to_string(),
                "voice VLAN dot1p (priority-tagged in the data VLAN)".to_string(),
            ),
            (None, Some("untagged")) => (
                "4095 (untagged)".to_string(),
                "voice VLAN untagged (phones in the data VLAN)".to_string(),
            ),
            (None, Some(other)) => (other.to_string(), format!("voice VLAN mode {other}")),
        };
        out.push(
            c.fail(
                a,
                Some(&i.name),
                format!("{message}: a phone here would not join voice VLAN {v}"),
            )
            .evidence(object, value)
            .fix(interface_fix(&i.name, &[&fix])),
        );
    }
    if out.is_empty() {
        vec![c.pass(
            a,
            format!("all {} user-facing ports have voice VLAN {v}", users.len()),
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
    fn set_missing_other_unreadable() {
        let mut s = ready();
        check(Check::VoiceVlanPort, &s, &plan(), &["pass blocker -"]);
        let p = port(&mut s, "Gi1/0/7");
        p.voice_vlan = None;
        p.voice_vlan_mode = Some("none".into());
        port(&mut s, "Gi1/0/9").voice_vlan = Some(120);
        let f = check(
            Check::VoiceVlanPort,
            &s,
            &plan(),
            &["fail blocker Gi1/0/7", "fail blocker Gi1/0/9"],
        );
        assert_eq!(f[0].evidence[0].object, "vmVoiceVlanId.1007");
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/7\n switchport voice vlan 110")
        );
        assert!(f[1].message.starts_with("voice VLAN 120, not 110"));
        for i in &mut s.interfaces {
            i.voice_vlan = None;
            i.voice_vlan_mode = None;
        }
        check(Check::VoiceVlanPort, &s, &plan(), &["unknown blocker -"]);
    }
}
