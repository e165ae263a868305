//! `vlan.data`: a user-facing port's access (data) VLAN is not the voice VLAN, and is the
//! plan's data VLAN when the plan names one (a warning).

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Severity};

use super::{Check, Ctx, FindingExt};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::DataVlan;
    let a = c.addr();
    let v = c.plan.voice_vlan;
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if c.users.iter().all(|i| i.access_vlan.is_none()) {
        return vec![
            k.unknown(a, "the switch does not report access VLANs (vmVlan): verify with `show interfaces switchport`")
                .evidence("vmMembershipTable", c.table_text("vmMembershipTable")),
        ];
    }
    let data = c.plan.data_vlan;
    let mut out = Vec::new();
    for i in &c.users {
        let Some(x) = i.access_vlan else { continue };
        let read = ev::read("vmVlan", i.if_index, x, None);
        if x == v {
            let mut lines = vec![];
            let access = data.map(|d| format!("switchport access vlan {d}"));
            if let Some(l) = &access {
                lines.push(l.as_str());
            } else {
                lines.push(
                    "! set `switchport access vlan <data VLAN>` (the plan names no data_vlan)",
                );
            }
            let voice = format!("switchport voice vlan {v}");
            lines.push(&voice);
            out.push(
                k.fail(
                    a,
                    Some(&i.name),
                    format!("the data VLAN is the voice VLAN ({v}): PCs and phones would share it"),
                )
                .ev(read)
                .fix(c.fixes.interface(&i.name, &lines)),
            );
        } else if let Some(d) = data.filter(|&d| d != x) {
            out.push(
                k.fail(
                    a,
                    Some(&i.name),
                    format!("data VLAN {x}, the plan says {d}"),
                )
                .severity(Severity::Warning)
                .ev(read)
                .fix(
                    c.fixes
                        .interface(&i.name, &[&format!("switchport access vlan {d}")]),
                ),
            );
        }
    }
    if out.is_empty() {
        vec![k.pass(
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
        assert_eq!(f[0].evidence[0].object, "vmVlan.1003");
        let mut p = plan();
        p.data_vlan = None;
        check(Check::DataVlan, &s, &p, &["fail blocker Gi1/0/3"]);
    }
}
