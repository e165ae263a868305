//! `voice_vlan.trunk`: what carries VLANs toward the core (configured trunks, and trunk
//! Port-channels rather than their members) allows the voice VLAN. A fix goes on the
//! Port-channel, never on one member: a member configured apart from its bundle is
//! suspended from it. A bitmap read short leaves the VLANs it does not cover unknown.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Interface, PortRole, Severity};

use super::{Check, Ctx, FindingExt, ports};

fn allowed_ev(t: &Interface, list: &str) -> lanready_schema::Evidence {
    ev::read(
        "vlanTrunkPortVlansEnabled",
        t.if_index,
        "bitmap",
        Some(&format!(
            "allowed {}{}",
            if list.is_empty() { "none" } else { list },
            t.allowed_vlans_unread
                .as_deref()
                .map(|u| format!("; not covered by the bitmaps read: {u}"))
                .unwrap_or_default()
        )),
    )
}

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::VoiceVlanTrunk;
    let a = c.addr();
    let v = c.plan.voice_vlan;
    if c.trunks.is_empty() {
        let routed: Vec<&str> = c
            .snap
            .interfaces
            .iter()
            .zip(&c.roles)
            .filter(|(_, r)| r.role == PortRole::Routed)
            .map(|(i, _)| i.name.as_str())
            .collect();
        let message = if routed.is_empty() {
            format!(
                "no trunk found: nothing carries voice VLAN {v} toward the core; verify the uplink by hand"
            )
        } else {
            format!(
                "no trunk: the uplinks are routed ({}), so voice VLAN {v} must be routed on this switch (an SVI and DHCP relay for it); verify by hand",
                ports::compact(&routed)
            )
        };
        return vec![
            k.fail(a, None, message)
                .severity(Severity::Warning)
                .evidence("roles", c.role_counts())
                .fix(format!(
                    "! No trunk carries VLAN {v} from this switch. If an uplink should be a trunk,\n\
                     ! configure it by hand (`switchport mode trunk`, allowed VLANs including {v}) after\n\
                     ! checking the far end: lanready does not write trunk configuration."
                )),
        ];
    }
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    let mut ok = Vec::new();
    for t in &c.trunks {
        match t.allowed_vlans.as_deref() {
            None => unknown.push(format!("{} (no vlanTrunkPortVlansEnabled)", t.name)),
            Some(list) => match ports::vlan_list_contains(list, v) {
                Some(true) => ok.push(t.name.as_str()),
                Some(false)
                    if t.allowed_vlans_unread
                        .as_deref()
                        .and_then(|u| ports::vlan_list_contains(u, v))
                        == Some(true) =>
                {
                    unknown.push(format!(
                        "{} (its allowed-VLAN bitmap was read short: VLAN {v} not covered)",
                        t.name
                    ));
                    out.push(
                        k.unknown(
                            a,
                            format!(
                                "{}: the allowed-VLAN bitmap was read short, so whether it allows VLAN {v} is unknown: verify with `show interfaces {} trunk`",
                                t.name, t.name
                            ),
                        )
                        .ev(allowed_ev(t, list)),
                    );
                }
                Some(false) => out.push(
                    k.fail(
                        a,
                        Some(&t.name),
                        format!("the trunk does not allow voice VLAN {v}"),
                    )
                    .ev(allowed_ev(t, list))
                    .fix(c.fixes.interface(
                        &t.name,
                        &[&format!("switchport trunk allowed vlan add {v}")],
                    )),
                ),
                None => unknown.push(format!("{} (list unreadable)", t.name)),
            },
        }
    }
    if out
        .iter()
        .any(|f| f.status == lanready_schema::Status::Fail)
    {
        return out;
    }
    if ok.is_empty() {
        if out.is_empty() {
            return vec![k.unknown(
                a,
                format!(
                    "the allowed VLANs of the trunks could not be read ({}): verify with `show interfaces trunk`",
                    unknown.join(", ")
                ),
            )];
        }
        return out;
    }
    let mut f = k.pass(
        a,
        format!("voice VLAN {v} is allowed on the trunks {}", ok.join(", ")),
    );
    if !unknown.is_empty() {
        f.message
            .push_str(&format!("; unknown on {}", unknown.join(", ")));
    }
    out.insert(0, f);
    out
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
        // A short bitmap that does not cover 110: unknown for that trunk, not a fail.
        let t = port(&mut s, "Te1/1/2");
        t.allowed_vlans = Some("1,10".into());
        t.allowed_vlans_unread = Some("64-4094".into());
        check(
            Check::VoiceVlanTrunk,
            &s,
            &plan(),
            &["pass blocker -", "unknown blocker -"],
        );
        for i in &mut s.interfaces {
            i.allowed_vlans = None;
        }
        check(Check::VoiceVlanTrunk, &s, &plan(), &["unknown blocker -"]);
        for i in &mut s.interfaces {
            i.trunk = false;
            i.trunk_mode = Some("off".into());
        }
        let f = check(Check::VoiceVlanTrunk, &s, &plan(), &["fail warning -"]);
        assert!(!f[0].remediation.as_deref().unwrap().contains("interface"));
    }
}
