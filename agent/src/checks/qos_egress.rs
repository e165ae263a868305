//! `qos.egress`: on IOS-XE, every socket has an output policy whose priority queue takes EF,
//! so a PC's download on the same port does not delay the phone's voice. Auto-QoS writes it
//! together with the input side. Elsewhere egress queueing is not readable: unknown.

use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::qos::{self, View};
use super::{Check, Ctx, FindingExt, compact_ports};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::QosEgress;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    let snap = c.snap;
    match (qos::family(snap), qos::view(snap)) {
        ("ios_xe", View::Mqc) => {}
        ("mls", View::Mqc)
            if c.users
                .iter()
                .all(|i| qos::priority_class(snap, i.if_index).is_some_and(|(_, _, ef)| ef)) =>
        {
            return vec![k.pass(
                a,
                format!("EF priority queue on all {} sockets", c.users.len()),
            )];
        }
        ("mls", _) => {
            return vec![k.unknown(
                a,
                format!(
                    "unknown, verify by hand: mls qos egress queueing is not readable over SNMP; check {}",
                    qos::mls_queueing_hint(snap, "<port>")
                ),
            )];
        }
        ("ios_xe", _) => {
            return vec![k.unknown(a, "unknown, verify by hand: the sockets' output policies could not be read (cbQoS answered nothing): check `show policy-map interface <port> output`")
                .evidence("QoS tables", qos::tables_text(c))];
        }
        _ => {
            return vec![k.unknown(
                a,
                format!(
                    "unknown, verify by hand: lanready does not judge egress queueing on this platform ({}): check `show policy-map interface <port> output`",
                    snap.platform.family
                ),
            )
            .evidence("QoS tables", qos::tables_text(c))];
        }
    }
    let mut out = Vec::new();
    let mut ok = Vec::new();
    for i in &c.users {
        match qos::priority_class(snap, i.if_index) {
            Some((_, _, true)) => ok.push(i.name.as_str()),
            other => {
                let e = match other {
                    Some((p, cls, _)) => ev::table(
                        "cbQosMatchStmtCfgTable",
                        format!(
                            "{} class {} has the priority queue but does not match EF",
                            p.policy_name, cls.name
                        ),
                    ),
                    None => ev::table(
                        "cbQosServicePolicyTable",
                        format!(
                            "{} rows, none with cbQosIfIndex {} and direction output and a priority class",
                            snap.qos.policies.len(),
                            i.if_index
                        ),
                    ),
                };
                let lines = c
                    .fixes
                    .egress_user(c.plan.phones.lldp_med)
                    .unwrap_or_default();
                out.push(
                    k.fail(a, Some(&i.name), "no egress priority queue for EF toward the phone: a PC's traffic on the port can delay voice")
                        .ev(e)
                        .fix(c.fixes.interface(&i.name, &lines)),
                );
            }
        }
    }
    if out.is_empty() {
        vec![k.pass(a, format!("EF priority queue on {}", compact_ports(&ok)))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn user_ports_need_a_priority_queue() {
        let mut s = ready();
        let users: Vec<(u32, String)> = s
            .interfaces
            .iter()
            .filter(|i| i.name.starts_with("Gi"))
            .map(|i| (i.if_index, i.name.clone()))
            .collect();
        for (i, n) in &users {
            s.qos
                .policies
                .push(policy(*i, n, "output", "AutoQos-4.0-Output-Policy", true));
        }
        check(Check::QosEgress, &s, &plan(), &["pass warning -"]);
        s.qos
            .policies
            .retain(|p| !(p.direction == "output" && p.interface.as_deref() == Some("Gi1/0/5")));
        let f = check(Check::QosEgress, &s, &plan(), &["fail warning Gi1/0/5"]);
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/5\n auto qos voip cisco-phone")
        );
    }
}
