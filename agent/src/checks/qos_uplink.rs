//! `qos.uplink`: every physical uplink (a trunk outside a channel, each member of a trunk
//! Port-channel, a routed uplink) has an output policy whose priority queue takes EF. Queuing
//! lives on the members, not on the Port-channel, and a fix is written for all members of
//! a channel at once. Judged on IOS-XE from cbQoS; elsewhere queueing is not readable over
//! SNMP and the answer is unknown.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Interface, PortRole, Severity};

use super::qos::{self, View};
use super::{Check, Ctx, FindingExt};

const POLICY: &str = "class-map match-any LANREADY-VOICE\n match dscp ef\npolicy-map LANREADY-UPLINK-OUT\n class LANREADY-VOICE\n  priority level 1\n  police rate percent 30\n class class-default\n  bandwidth remaining percent 100";

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::QosUplink;
    let a = c.addr();
    let snap = c.snap;
    let mut uplinks: Vec<&Interface> = c.uplink_ports.clone();
    uplinks.extend(
        snap.interfaces
            .iter()
            .zip(&c.roles)
            .filter(|(_, r)| r.role == PortRole::Routed)
            .map(|(i, _)| i),
    );
    uplinks.sort_by_key(|i| i.if_index);
    if uplinks.is_empty() {
        return vec![k.unknown(a, "no physical uplink found (no trunk, channel member or routed port): verify the uplink's queuing by hand")
            .evidence("roles", c.role_counts())];
    }
    match (qos::family(snap), qos::view(snap)) {
        ("ios_xe", View::Mqc) => {}
        ("mls", View::Mqc)
            if uplinks
                .iter()
                .all(|t| qos::priority_class(snap, t.if_index).is_some_and(|(_, _, ef)| ef)) =>
        {
            let ok: Vec<String> = uplinks
                .iter()
                .filter_map(|t| {
                    qos::priority_class(snap, t.if_index).map(|(p, cls, _)| {
                        format!("{} ({} class {})", t.name, p.policy_name, cls.name)
                    })
                })
                .collect();
            return vec![k.pass(a, format!("priority queue on {}", ok.join(", ")))];
        }
        ("mls", _) => {
            return vec![k.unknown(
                a,
                format!(
                    "unknown, verify by hand: mls qos queueing is not readable over SNMP; check {}",
                    qos::mls_queueing_hint(snap, "<uplink>")
                ),
            )
                .evidence("QoS tables", qos::tables_text(c))];
        }
        ("ios_xe", _) => {
            return vec![k.unknown(a, "unknown, verify by hand: the uplinks' queuing could not be read (cbQoS answered nothing); check `show policy-map interface <uplink> output`")
                .evidence("QoS tables", qos::tables_text(c))];
        }
        _ => {
            return vec![k.unknown(
                a,
                format!(
                    "unknown, verify by hand: lanready does not judge uplink queueing on this platform ({}); check `show policy-map interface <uplink> output`",
                    snap.platform.family
                ),
            )
            .evidence("QoS tables", qos::tables_text(c))];
        }
    }
    let mut out = Vec::new();
    let mut ok = Vec::new();
    let mut missing: Vec<&Interface> = Vec::new();
    for t in &uplinks {
        match qos::priority_class(snap, t.if_index) {
            Some((p, cls, true)) => ok.push(format!("{} ({} class {})", t.name, p.policy_name, cls.name)),
            Some((p, cls, false)) => out.push(
                k.fail(
                    a,
                    Some(&t.name),
                    format!("the priority class {} of {} does not match EF (DSCP 46): voice may not use it", cls.name, p.policy_name),
                )
                .severity(Severity::Warning)
                .evidence(format!("cbQosMatchStmtName[{} class {}]", p.policy_name, cls.name), cls.matches.join("; "))
                .fix(format!("! Add `match dscp ef` to the priority class {} of policy-map {}.", cls.name, p.policy_name)),
            ),
            None => missing.push(t),
        }
    }
    // One fix for a channel's members together.
    for t in &missing {
        let outputs = qos::policies(snap, t.if_index, "output");
        let e = match outputs.first() {
            Some(p) => ev::table(
                "cbQosQueueingCfgTable",
                format!(
                    "{} output on {}: no class with a priority queue",
                    p.policy_name, t.name
                ),
            ),
            None => ev::table(
                "cbQosServicePolicyTable",
                format!(
                    "{} rows, none with cbQosIfIndex {} and direction output",
                    snap.qos.policies.len(),
                    t.if_index
                ),
            ),
        };
        let siblings: Vec<&str> = match &t.channel {
            Some(ch) => missing
                .iter()
                .filter(|x| {
                    x.channel
                        .as_ref()
                        .is_some_and(|c2| c2.if_index == ch.if_index)
                })
                .map(|x| x.name.as_str())
                .collect(),
            None => vec![t.name.as_str()],
        };
        let mut fix = format!("{POLICY}\n");
        if siblings.len() > 1 {
            fix.push_str(&format!(
                "! Apply to every member of {} alike, not to the Port-channel.\n",
                t.channel
                    .as_ref()
                    .and_then(|c| c.name.clone())
                    .unwrap_or_default()
            ));
        }
        for s in &siblings {
            fix.push_str(
                &c.fixes
                    .interface(s, &["service-policy output LANREADY-UPLINK-OUT"]),
            );
            fix.push('\n');
        }
        // A link that is down carries no voice today: the same gap, as a warning, so it is
        // fixed before the link is brought up rather than holding the site back.
        let down = t.oper_up == Some(false);
        let mut f = k.fail(
            a,
            Some(&t.name),
            if down {
                "no output policy with a priority queue for EF: the link is down now, and voice would queue behind data once it comes up"
            } else {
                "no output policy with a priority queue for EF: voice may queue behind data toward the core"
            },
        );
        if down {
            f = f.severity(Severity::Warning);
        }
        out.push(f.ev(e).fix(fix.trim_end().to_string()));
    }
    if out.is_empty() {
        vec![k.pass(a, format!("priority queue on {}", ok.join(", ")))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::TableStatus;

    #[test]
    fn priority_missing_and_unknown() {
        let mut s = ready();
        check(Check::QosUplink, &s, &plan(), &["pass blocker -"]);
        for p in &mut s.qos.policies {
            if p.interface.as_deref() == Some("Te1/1/2") {
                p.classes[0].priority = false;
            }
        }
        s.qos
            .policies
            .retain(|p| p.interface.as_deref() != Some("Te1/1/1"));
        let f = check(
            Check::QosUplink,
            &s,
            &plan(),
            &["fail blocker Te1/1/1", "fail blocker Te1/1/2"],
        );
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .contains("interface Te1/1/1\n service-policy output LANREADY-UPLINK-OUT")
        );
        let mut t = ready();
        for p in &mut t.qos.policies {
            if p.interface.as_deref() == Some("Te1/1/2") {
                p.classes[0].matches = vec!["Match precedence 3".into()];
                p.classes[0].name = "BULK".into();
            }
        }
        check(Check::QosUplink, &t, &plan(), &["fail warning Te1/1/2"]);
        // A down uplink without a policy: the same finding, as a warning.
        let mut d = ready();
        d.qos
            .policies
            .retain(|p| p.interface.as_deref() != Some("Te1/1/1"));
        d.interfaces
            .iter_mut()
            .find(|i| i.name == "Te1/1/1")
            .unwrap()
            .oper_up = Some(false);
        let f = check(Check::QosUplink, &d, &plan(), &["fail warning Te1/1/1"]);
        assert!(
            f[0].message.contains("the link is down now"),
            "{}",
            f[0].message
        );
        s.platform.family = "ios".into();
        check(Check::QosUplink, &s, &plan(), &["unknown blocker -"]);
        let mut u = ready();
        u.qos.policies.clear();
        for t in super::qos::CBQOS_TABLES {
            u.tables.insert((*t).into(), TableStatus::Absent);
        }
        check(Check::QosUplink, &u, &plan(), &["unknown blocker -"]);
    }
}
