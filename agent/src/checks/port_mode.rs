//! `port.mode`: sockets are access ports. A `dynamic desirable` or `dynamic auto` port is a
//! socket while nothing negotiates with it, but a switch plugged into it forms a trunk: set
//! `switchport mode access`.

use lanready_mibs::decode::vlans::TrunkState;
use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PortMode;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    let mut out = Vec::new();
    for i in &c.users {
        let Some(mode @ ("desirable" | "auto")) = i.trunk_mode.as_deref() else {
            continue;
        };
        out.push(
            k.fail(
                a,
                Some(&i.name),
                format!(
                    "dynamic {mode}: a socket now, but a switch plugged in here would form a trunk"
                ),
            )
            .ev(ev::read(
                "vlanTrunkPortDynamicState",
                i.if_index,
                TrunkState::raw(mode),
                None,
            ))
            .fix(c.fixes.interface(&i.name, &["switchport mode access"])),
        );
    }
    if out.is_empty() {
        let known = c.users.iter().filter(|i| i.trunk_mode.is_some()).count();
        if known == 0 {
            return vec![k.unknown(a, "the switch does not report trunk modes (vlanTrunkPortDynamicState): verify with `show interfaces switchport`")
                .evidence("vlanTrunkPortTable", c.table_text("vlanTrunkPortTable"))];
        }
        vec![k.pass(
            a,
            format!("no dynamic socket ({known} with a trunk mode read)"),
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
    fn dynamic_ports_warn() {
        let mut s = ready();
        for i in &mut s.interfaces {
            i.trunk_mode = Some(if i.trunk { "on" } else { "off" }.into());
        }
        check(Check::PortMode, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/3").trunk_mode = Some("desirable".into());
        let f = check(Check::PortMode, &s, &plan(), &["fail warning Gi1/0/3"]);
        assert_eq!(f[0].evidence[0].value, "3 (desirable)");
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/3\n switchport mode access")
        );
    }
}
