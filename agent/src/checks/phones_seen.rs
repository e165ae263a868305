//! `phones.seen`: phones already connected (CDP/LLDP neighbours that say they are phones)
//! on user-facing ports use the plan's voice VLAN.

use lanready_schema::{Finding, PortRole};

use super::{Check, Ctx, FindingExt};

pub fn evaluate(ctx: &Ctx<'_>) -> Vec<Finding> {
    let c = Check::PhonesSeen;
    let a = ctx.addr();
    let snap = ctx.snap;
    let v = ctx.plan.voice_vlan;
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
        let object = match (n.protocol.as_str(), n.row.as_deref()) {
            ("cdp", Some(row)) => format!("cdpCacheVlanID.{row}"),
            (p, _) => format!("{p} neighbour on ifIndex {} voice VLAN", n.if_index),
        };
        // The fix goes on sockets only: a phone seen on another role's port is reported,
        // and the port left alone.
        let socket = snap
            .interfaces
            .iter()
            .find(|i| i.if_index == n.if_index)
            .and_then(|i| ctx.role_of(i))
            .is_some_and(|r| r.role == PortRole::User);
        let fix = if socket {
            ctx.fixes
                .interface(&port, &[&format!("switchport voice vlan {v}")])
        } else {
            format!("! {port} is not a socket lanready configures: check the phone there by hand.")
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
            .fix(fix),
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
        .evidence("cdpCacheTable", format!("{} phones", by("cdp")))
        .evidence("lldpRemTable", format!("{} phones", by("lldp"))),
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
            row: Some(format!("{if_index}.1")),
            is_phone: true,
            voice_vlan: Some(vlan),
            ..Neighbour::default()
        };
        s.neighbours = vec![phone(1001, 110), phone(1002, 120)];
        check(Check::PhonesSeen, &s, &plan(), &["fail warning Gi1/0/2"]);
    }
}
