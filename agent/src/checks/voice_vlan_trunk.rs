//! `voice_vlan.trunk`: the trunks toward the core carry the voice VLAN (their allowed VLAN
//! list has it).

use lanready_schema::{Finding, Severity, Snapshot};

use super::{Check, FindingExt, interface_fix, ports};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::VoiceVlanTrunk;
    let a = plan.address.as_str();
    let v = plan.voice_vlan;
    let trunks = ports::trunks(snap);
    if trunks.is_empty() {
        return vec![c
            .fail(a, None, format!("no trunk found: nothing carries voice VLAN {v} toward the core (a routed uplink? verify by hand)"))
            .severity(Severity::Warning)
            .evidence("vlanTrunkPortDynamicStatus", "no port trunking")
            .fix(format!("interface <uplink>\n switchport mode trunk\n switchport trunk allowed vlan add {v}"))];
    }
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    let mut ok = Vec::new();
    for t in trunks {
        let object = format!("vlanTrunkPortVlansEnabled.{}", t.if_index);
        match t
            .allowed_vlans
            .as_deref()
            .map(|l| (l, ports::vlan_list_contains(l, v)))
        {
            Some((_, Some(true))) => ok.push(t.name.as_str()),
            Some((list, Some(false))) => out.push(
                c.fail(
                    a,
                    Some(&t.name),
                    format!("the trunk does not allow voice VLAN {v}"),
                )
                .evidence(object, list)
                .fix(interface_fix(
                    &t.name,
                    &[&format!("switchport trunk allowed vlan add {v}")],
                )),
            ),
            Some((_, None)) | None => unknown.push(t.name.as_str()),
        }
    }
    if !out.is_empty() {
        return out;
    }
    if ok.is_empty() {
        return vec![c.unknown(a, format!("the allowed VLANs of the trunks ({}) could not be read: verify with `show interfaces trunk`", unknown.join(", ")))];
    }
    let mut f = c.pass(
        a,
        format!("voice VLAN {v} is allowed on the trunks {}", ok.join(", ")),
    );
    if !unknown.is_empty() {
        f.message
            .push_str(&format!("; not readable on {}", unknown.join(", ")));
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn allowed_pruned_none_unreadable() {
        let mut s = ready();
        check(Check::VoiceVlanTrunk, &s, &plan(), &["pass blocker -"]);
        port(&mut s, "Te1/1/2").allowed_vlans = Some("1-109,111-4094".into());
        let f = check(
            Check::VoiceVlanTrunk,
            &s,
            &plan(),
            &["fail blocker Te1/1/2"],
        );
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Te1/1/2\n switchport trunk allowed vlan add 110")
        );
        for i in &mut s.interfaces {
            i.allowed_vlans = None;
        }
        check(Check::VoiceVlanTrunk, &s, &plan(), &["unknown blocker -"]);
        for i in &mut s.interfaces {
            i.trunk = false;
        }
        check(Check::VoiceVlanTrunk, &s, &plan(), &["fail warning -"]);
    }
}
