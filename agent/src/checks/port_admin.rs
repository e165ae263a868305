//! `port.admin_down`: user-facing ports that are administratively down. They stay in every
//! other check (someone will plug a phone in), and are listed here as information.

use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PortAdminDown;
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    let out: Vec<Finding> = c
        .users
        .iter()
        .filter(|i| i.admin_up == Some(false))
        .map(|i| {
            k.fail(
                c.addr(),
                Some(&i.name),
                "administratively down: a phone plugged here gets no link",
            )
            .ev(ev::read("ifAdminStatus", i.if_index, 2, Some("down")))
            .fix(c.fixes.interface(&i.name, &["no shutdown"]))
        })
        .collect();
    if out.is_empty() {
        vec![k.pass(c.addr(), "no user-facing port is shut down")]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn shut_ports_are_info() {
        let mut s = ready();
        check(Check::PortAdminDown, &s, &plan(), &["pass info -"]);
        port(&mut s, "Gi1/0/20").admin_up = Some(false);
        let f = check(Check::PortAdminDown, &s, &plan(), &["fail info Gi1/0/20"]);
        assert_eq!(f[0].evidence[0].value, "2 (down)");
    }
}
