//! `port.admin_down`: user-facing ports that are administratively down. They stay in every
//! other check (someone will plug a phone in), and are listed here as information.

use lanready_schema::{Finding, Interface};

use super::{Check, FindingExt, interface_fix, no_user_ports};
use crate::plan::SwitchPlan;

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::PortAdminDown;
    let a = plan.address.as_str();
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    let out: Vec<Finding> = users
        .iter()
        .filter(|i| i.admin_up == Some(false))
        .map(|i| {
            c.fail(
                a,
                Some(&i.name),
                "administratively down: a phone plugged here gets no link",
            )
            .evidence(format!("ifAdminStatus.{}", i.if_index), "down")
            .fix(interface_fix(&i.name, &["no shutdown"]))
        })
        .collect();
    if out.is_empty() {
        vec![c.pass(a, "no user-facing port is shut down")]
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
        check(Check::PortAdminDown, &s, &plan(), &["fail info Gi1/0/20"]);
    }
}
