//! `vlan.data`: a user-facing port's access (data) VLAN is not the voice VLAN, and is the
//! plan's data VLAN when the plan names one (a warning).

use lanready_schema::{Finding, Interface, Severity};

use super::{Check, FindingExt, interface_fix, no_user_ports};
use crate::plan::SwitchPlan;

/// `users`: the switch's user-facing ports ([`super::ports::user_ports`]).
pub fn evaluate(plan: &SwitchPlan, users: &[&Interface]) -> Vec<Finding> {
    let c = Check::DataVlan;
    let a = plan.address.as_str();
    let v = plan.voice_vlan;
    if users.is_empty() {
        return no_user_ports(c, a);
    }
    if users.iter().all(|i| i.access_vlan.is_none()) {
        return vec![c.unknown(a, "the switch does not report access VLANs (vmVlan): verify with `show interfaces switchport`")];
    }
    let data = plan
        .data_vlan
        .map(|d| d.to_string())
        .unwrap_or_else(|| "<data VLAN>".into());
    let mut out = Vec::new();
    for i in users {
        let object = format!("vmVlan.{}", i.if_index);
        match i.access_vlan {
            Some(x) if x == v => out.push(
                c.fail(
                    a,
                    Some(&i.name),
                    format!("the data VLAN is the voice VLAN ({v}): PCs and phones would share it"),
                )
                .evidence(object, x)
                .fix(interface_fix(
                    &i.name,
                    &[
                        &format!("switchport access vlan {data}"),
                        &format!("switchport voice vlan {v}"),
                    ],
                )),
            ),
            Some(x) if plan.data_vlan.is_some_and(|d| d != x) => out.push(
                c.fail(
                    a,
                    Some(&i.name),
                    format!("data VLAN {x}, the plan says {data}"),
                )
                .severity(Severity::Warning)
                .evidence(object, x)
                .fix(interface_fix(
                    &i.name,
                    &[&format!("switchport access vlan {data}")],
                )),
            ),
            _ => {}
        }
    }
    if out.is_empty() {
        vec![c.pass(
            a,
            format!("no user-facing port has voice VLAN {v} as its data VLAN"),
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
    fn voice_as_data_and_off_plan() {
        let mut s = ready();
        check(Check::DataVlan, &s, &plan(), &["pass blocker -"]);
        port(&mut s, "Gi1/0/3").access_vlan = Some(110);
        port(&mut s, "Gi1/0/4").access_vlan = Some(20);
        let f = check(
            Check::DataVlan,
            &s,
            &plan(),
            &["fail blocker Gi1/0/3", "fail warning Gi1/0/4"],
        );
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/3\n switchport access vlan 10\n switchport voice vlan 110")
        );
        let mut p = plan();
        p.data_vlan = None;
        check(Check::DataVlan, &s, &p, &["fail blocker Gi1/0/3"]);
    }
}
