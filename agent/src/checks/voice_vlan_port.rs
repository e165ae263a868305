//! `voice_vlan.port`: every user-facing port has the plan's voice VLAN
//! (`switchport voice vlan N`). A port without a vmVoiceVlanId row is not "no voice VLAN":
//! it is unknown, and said so.

use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt, compact_ports, plural};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::VoiceVlanPort;
    let a = c.addr();
    let v = c.plan.voice_vlan;
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if c.users
        .iter()
        .all(|i| i.voice_vlan.is_none() && i.voice_vlan_mode.is_none())
    {
        return vec![
            k.unknown(a, "the switch does not report voice VLANs (vmVoiceVlanId): verify with `show interfaces switchport`")
                .evidence("vmVoiceVlanTable", c.table_text("vmVoiceVlanTable")),
        ];
    }
    let fix = format!("switchport voice vlan {v}");
    let mut out = Vec::new();
    let mut no_row = Vec::new();
    for i in &c.users {
        if i.voice_vlan == Some(v) {
            continue;
        }
        let (value, message) = match (i.voice_vlan, i.voice_vlan_mode.as_deref()) {
            (Some(other), _) => (other.to_string(), format!("voice VLAN {other}, not {v}")),
            (None, Some("none")) => ("4096 (none)".to_string(), "no voice VLAN".to_string()),
            (None, Some("dot1p")) => (
                "0 (dot1p)".to_string(),
                "voice VLAN dot1p (priority-tagged in the data VLAN)".to_string(),
            ),
            (None, Some("untagged")) => (
                "4095 (untagged)".to_string(),
                "voice VLAN untagged (phones in the data VLAN)".to_string(),
            ),
            (None, Some(other)) => (other.to_string(), format!("voice VLAN mode {other}")),
            (None, None) => {
                no_row.push(i.name.as_str());
                continue;
            }
        };
        out.push(
            k.fail(
                a,
                Some(&i.name),
                format!("{message}: a phone here would not join voice VLAN {v}"),
            )
            .evidence(format!("vmVoiceVlanId.{}", i.if_index), value)
            .fix(c.fixes.interface(&i.name, &[&fix])),
        );
    }
    if !no_row.is_empty() {
        let first = c
            .users
            .iter()
            .find(|i| i.name == no_row[0])
            .map(|i| i.if_index)
            .unwrap_or(0);
        out.push(
            k.unknown(
                a,
                format!(
                    "{} without a vmVoiceVlanId row ({}): their voice VLAN is unknown, verify with `show interfaces switchport`",
                    plural(no_row.len(), "user port"),
                    compact_ports(&no_row)
                ),
            )
            .ev(ev::no_row("vmVoiceVlanId", first)),
        );
    }
    if out.is_empty() {
        vec![k.pass(
            a,
            format!(
                "all {} user-facing ports have voice VLAN {v}",
                c.users.len()
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
    fn set_missing_other_unreadable() {
        let mut s = ready();
        check(Check::VoiceVlanPort, &s, &plan(), &["pass blocker -"]);
        let p = port(&mut s, "Gi1/0/7");
        p.voice_vlan = None;
        p.voice_vlan_mode = Some("none".into());
        port(&mut s, "Gi1/0/9").voice_vlan = Some(120);
        let p = port(&mut s, "Gi1/0/11");
        p.voice_vlan = None;
        p.voice_vlan_mode = None;
        let f = check(
            Check::VoiceVlanPort,
            &s,
            &plan(),
            &[
                "fail blocker Gi1/0/7",
                "fail blocker Gi1/0/9",
                "unknown blocker -",
            ],
        );
        assert_eq!(f[0].evidence[0].object, "vmVoiceVlanId.1007");
        assert_eq!(f[0].evidence[0].value, "4096 (none)");
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/7\n switchport voice vlan 110")
        );
        assert!(f[1].message.starts_with("voice VLAN 120, not 110"));
        // The port without a row is unknown, and its evidence says "no row".
        assert_eq!(f[2].evidence[0].value, "no row");
        assert!(f[2].message.contains("Gi1/0/11"), "{}", f[2].message);
        for i in &mut s.interfaces {
            i.voice_vlan = None;
            i.voice_vlan_mode = None;
        }
        check(Check::VoiceVlanPort, &s, &plan(), &["unknown blocker -"]);
    }
}
