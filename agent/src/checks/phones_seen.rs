//! `phones.seen`: phones already connected (CDP/LLDP neighbours that say they are phones)
//! on user-facing ports use the plan's voice VLAN.

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt, interface_fix};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::PhonesSeen;
    let a = plan.address.as_str();
    let v = plan.voice_vlan;
    let phones: Vec<_> = snap.neighbours.iter().filter(|n| n.is_phone).collect();
    let mut out = Vec::new();
    for n in &phones {
        let Some(other) = n.voice_vlan.filter(|&x| x != v) else {
            continue;
        };
        let port = n
            .interface
            .clone()
            .or_else(|| {
                snap.interfaces
                    .iter()
                    .find(|i| i.if_index == n.if_index)
                    .map(|i| i.name.clone())
            })
            .unwrap_or_else(|| format!("ifIndex {}", n.if_index));
        let object = match n.protocol.as_str() {
            "cdp" => format!("cdpCacheVlanID.{}", n.if_index),
            _ => format!("lldpXMedRemMediaPolicyVlanID[ifIndex {}]", n.if_index),
        };
        out.push(
            c.fail(
                a,
                Some(&port),
                format!(
                    "phone {} uses voice VLAN {other}, not {v}",
                    n.device_id.as_deref().unwrap_or("?")
                ),
            )
            .evidence(object, other)
            .fix(interface_fix(
                &port,
                &[&format!("switchport voice vlan {v}")],
            )),
        );
    }
    if !out.is_empty() {
        return out;
    }
    let by = |p: &str| phones.iter().filter(|n| n.protocol == p).count();
    vec![
        c.pass(
            a,
            match phones.len() {
                0 => "no phones seen yet".to_string(),
                n => format!("{n} phone(s) seen, none on another voice VLAN"),
            },
        )
        .evidence("cdpCacheTable phones", by("cdp"))
        .evidence("lldpRemTable phones", by("lldp")),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::Neighbour;

    #[test]
    fn phones_on_the_wrong_vlan() {
        let mut s = ready();
        let f = check(Check::PhonesSeen, &s, &plan(), &["pass warning -"]);
        assert_eq!(f[0].message, "no phones seen yet");
        let phone = |if_index: u32, vlan: u16| Neighbour {
            if_index,
            interface: None,
            protocol: "cdp".into(),
            device_id: Some(format!("SEP00000000{if_index}")),
            is_phone: true,
            voice_vlan: Some(vlan),
            ..Neighbour::default()
        };
        s.neighbours = vec![phone(1001, 110), phone(1002, 120)];
        check(Check::PhonesSeen, &s, &plan(), &["fail warning Gi1/0/2"]);
    }
}
