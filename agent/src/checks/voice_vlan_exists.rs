//! `voice_vlan.exists`: the plan's voice VLAN is in the switch's VLAN table and active.

use lanready_mibs::decode::vlans::VtpVlanState;
use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::VoiceVlanExists;
    let a = c.addr();
    let snap = c.snap;
    let v = c.plan.voice_vlan;
    let vtp = !snap.vlans.is_empty() && c.table("vtpVlanTable") == Some(true);
    if snap.vlans.is_empty() {
        let read = c.table("vtpVlanTable").is_some() || c.table("dot1qVlanStaticTable").is_some();
        if !read {
            return vec![
                k.unknown(
                    a,
                    format!(
                        "the VLAN table could not be read: verify VLAN {v} with `show vlan brief`"
                    ),
                )
                .evidence("vtpVlanTable", c.table_text("vtpVlanTable")),
            ];
        }
    }
    let table = if vtp {
        "vtpVlanTable"
    } else {
        "dot1qVlanStaticTable"
    };
    let listed = || {
        snap.vlans
            .iter()
            .map(|x| x.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let state_ev = |x: &lanready_schema::Vlan| match (vtp, x.domain) {
        (true, Some(d)) => ev::read(
            "vtpVlanState",
            format!("{d}.{v}"),
            VtpVlanState::raw(&x.state),
            None,
        ),
        _ => ev::table(table, format!("VLAN {v} listed ({})", x.state)),
    };
    match snap.vlans.iter().find(|x| x.id == v) {
        None => vec![
            k.fail(a, None, format!("voice VLAN {v} does not exist on the switch"))
                .ev(ev::table(
                    table,
                    format!(
                        "{} rows: VLANs {} (no {v})",
                        snap.vlans.len(),
                        if snap.vlans.is_empty() { "none".into() } else { listed() }
                    ),
                ))
                .fix(format!(
                    "! On a VTP client, create the VLAN on the VTP server instead.\nvlan {v}\n name VOICE"
                )),
        ],
        Some(x) if x.state == "operational" || x.state == "active" => {
            let name = x.name.as_deref().unwrap_or("");
            vec![k.pass(a, format!("voice VLAN {v} ({name}) is active")).ev(state_ev(x))]
        }
        Some(x) => vec![
            k.fail(a, None, format!("voice VLAN {v} exists but is {}", x.state))
                .ev(state_ev(x))
                .fix(format!("vlan {v}\n state active")),
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
        let f = check(Check::VoiceVlanExists, &s, &plan(), &["pass blocker -"]);
        assert_eq!(f[0].evidence[0].object, "vtpVlanState.1.110");
        assert_eq!(f[0].evidence[0].value, "1 (operational)");
        s.vlans[2].state = "suspended".into();
        check(Check::VoiceVlanExists, &s, &plan(), &["fail blocker -"]);
        s.vlans.remove(2);
        let f = check(Check::VoiceVlanExists, &s, &plan(), &["fail blocker -"]);
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .ends_with("vlan 110\n name VOICE"),
            "{:?}",
            f[0].remediation
        );
        assert_eq!(f[0].evidence[0].value, "2 rows: VLANs 1,10 (no 110)");
        s.vlans.clear();
        s.tables.remove("vtpVlanTable");
        check(Check::VoiceVlanExists, &s, &plan(), &["unknown blocker -"]);
    }
}
