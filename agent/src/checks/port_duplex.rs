//! `port.duplex`: no socket or physical uplink that is up runs half duplex (collisions and
//! late collisions make voice choppy). `speed auto` / `duplex auto` are written only for
//! copper sockets up to 1 Gb/s: never on 10G+, fibre, a Port-channel or one of its members.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Interface, PortRole};

use super::{Check, Ctx, FindingExt};

/// Whether `speed auto` / `duplex auto` may be written on this port.
pub fn speed_duplex_settable(c: &Ctx<'_>, i: &Interface) -> bool {
    let role = c.role_of(i).map(|r| r.role);
    role == Some(PortRole::User)
        && i.speed_mbps.is_some_and(|s| s <= 1000)
        && i.speed_at_least_mbps.is_none()
        && i.media.as_ref().is_none_or(|m| m.kind == "copper")
        && i.channel.is_none()
}

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PortDuplex;
    let a = c.addr();
    let checked: Vec<&Interface> = c.users.iter().chain(&c.uplink_ports).copied().collect();
    if checked.iter().all(|i| i.duplex.is_none()) {
        return vec![k.unknown(a, "the switch does not report duplex (dot3StatsDuplexStatus): verify with `show interfaces status`")
            .evidence("dot3StatsTable", c.table_text("dot3StatsTable"))];
    }
    let out: Vec<Finding> = checked
        .iter()
        .filter(|i| i.duplex.as_deref() == Some("half") && i.oper_up != Some(false))
        .map(|i| {
            let mut f = k.fail(a, Some(&i.name), "running half duplex").ev(ev::read(
                "dot3StatsDuplexStatus",
                i.if_index,
                2,
                Some("halfDuplex"),
            ));
            f = match i.late_collisions {
                Some(n) => f.ev(ev::read("dot3StatsLateCollisions", i.if_index, n, None)),
                None => f.ev(ev::no_row("dot3StatsLateCollisions", i.if_index)),
            };
            let fix = if speed_duplex_settable(c, i) {
                format!(
                    "! Usually a hard-set speed/duplex at one end: set both ends to auto.\n{}",
                    c.fixes.interface(&i.name, &["speed auto", "duplex auto"])
                )
            } else {
                format!(
                    "! {}: check the far end's speed and duplex settings; lanready does not write\n\
                     ! speed or duplex on uplinks, fibre, 10G or channel ports.",
                    i.name
                )
            };
            f.fix(fix)
        })
        .collect();
    if out.is_empty() {
        vec![k.pass(a, "no port runs half duplex")]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn half_duplex_up_only_and_fixes_by_port_kind() {
        let mut s = ready();
        check(Check::PortDuplex, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/4").duplex = Some("half".into());
        let p = port(&mut s, "Gi1/0/5");
        p.duplex = Some("half".into());
        p.oper_up = Some(false);
        port(&mut s, "Te1/1/1").duplex = Some("half".into());
        let f = check(
            Check::PortDuplex,
            &s,
            &plan(),
            &["fail warning Gi1/0/4", "fail warning Te1/1/1"],
        );
        assert!(f[0].remediation.as_deref().unwrap().contains(" speed auto"));
        assert!(
            !f[1]
                .remediation
                .as_deref()
                .unwrap()
                .contains("speed auto\n"),
            "no speed on a 10G uplink"
        );
        assert!(!f[1].remediation.as_deref().unwrap().contains("interface"));
    }
}
