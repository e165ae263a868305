//! `qos.trust`: sockets keep the phones' voice markings. How depends on the family:
//! - IOS-XE trusts DSCP and CoS by default, so only an input policy can spoil voice: one
//!   that re-marks it, or auto-QoS `cisco-phone`, which trusts only Cisco phones seen over
//!   CDP and re-marks an LLDP-MED (Avaya) phone's voice to 0.
//! - Classic IOS and 6500 (`mls qos`): a port that does not trust re-marks to 0 once QoS is
//!   on; judged per port where csqIfTrustState answers, else unknown.

use lanready_mibs::decode::qos::TrustState;
use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, QosClass, QosPolicy};

use super::qos::{self, View};
use super::{Check, Ctx, FindingExt};

/// Trust states that keep a phone's markings.
const TRUSTING: &[&str] = &["trustDscp", "trustCoS", "trustIpPrec"];

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::QosTrust;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    let snap = c.snap;
    let needs = &c.plan.phones;
    let view = qos::view(snap);
    let trust_fix = |name: &str| match c.fixes.trust(needs.lldp_med) {
        Some(lines) => c.fixes.interface(name, &lines),
        None => {
            format!("! {name}: trust the phones' DSCP on this port (verify the platform's command)")
        }
    };
    let mut out = Vec::new();
    match (qos::family(snap), view) {
        ("ios_xe", View::Mqc) => {
            for i in &c.users {
                for p in qos::policies(snap, i.if_index, "input") {
                    let attach = attached(p, i);
                    if let Some((class, set)) = qos::remarking(p, needs.voice_dscp) {
                        out.push(remarks(
                            c,
                            i,
                            p,
                            (class, set),
                            format!(
                                "! Remove or correct policy-map {} so voice (DSCP {}) keeps its marking:\n! `no service-policy input {}` on the port, then\n{}",
                                p.policy_name, needs.voice_dscp, p.policy_name, trust_fix(&i.name)
                            ),
                        ));
                    } else if needs.lldp_med && qos::cisco_phone_only(p) {
                        out.push(
                            k.fail(
                                a,
                                Some(&i.name),
                                format!(
                                    "{} trusts only Cisco phones seen over CDP: the planned LLDP-MED phones' voice would be re-marked to 0",
                                    p.policy_name
                                ),
                            )
                            .ev(attach)
                            .fix(format!(
                                "! Replace auto-QoS cisco-phone with trust for the planned phones:\n! `no auto qos voip cisco-phone` on the port, then\n{}",
                                trust_fix(&i.name)
                            )),
                        );
                    }
                }
            }
            if out.is_empty() {
                return vec![k.pass(
                    a,
                    format!(
                        "IOS-XE trusts DSCP and CoS by default, and no input policy on the {} sockets re-marks voice",
                        c.users.len()
                    ),
                )
                .evidence("cbQosServicePolicyTable", c.table_text("cbQosServicePolicyTable"))];
            }
        }
        ("mls", View::Trust | View::Mqc) => {
            let mut unread = 0;
            for i in &c.users {
                let inputs = qos::policies(snap, i.if_index, "input");
                if let Some(p) = inputs.first() {
                    if let Some((class, set)) = qos::remarking(p, needs.voice_dscp) {
                        out.push(remarks(
                            c,
                            i,
                            p,
                            (class, set),
                            format!(
                                "! Correct policy-map {} so voice (DSCP {}) keeps its marking.",
                                p.policy_name, needs.voice_dscp
                            ),
                        ));
                    }
                    continue;
                }
                match i.qos_trust.as_deref() {
                    Some(t) if TRUSTING.contains(&t) => {}
                    Some(t) => out.push(
                        k.fail(
                            a,
                            Some(&i.name),
                            "the port does not trust markings: with `mls qos` on, voice is re-marked to 0",
                        )
                        .ev(ev::read("csqIfTrustState", i.if_index, TrustState::raw(t), None))
                        .fix(trust_fix(&i.name)),
                    ),
                    None => unread += 1,
                }
            }
            if out.is_empty() && unread == 0 {
                return vec![k.pass(
                    a,
                    format!(
                        "all {} sockets trust the phones' markings or classify them with an input policy that keeps voice",
                        c.users.len()
                    ),
                )];
            }
            if unread > 0 {
                out.push(k.unknown(
                    a,
                    format!("{unread} sockets have neither an input policy nor a csqIfTrustState row: verify with `show mls qos interface`"),
                ));
            }
        }
        (family, view) => {
            let what = match (family, view) {
                ("ios_xe", _) => "cbQoS answered nothing, so whether an input policy re-marks voice is unknown: verify with `show policy-map interface`".to_string(),
                ("mls", _) => "an mls qos platform that exposes no port trust over SNMP: verify with `show mls qos` and `show mls qos interface` (trust dscp, or trust device cisco-phone for Cisco phones only)".to_string(),
                _ => format!("QoS is not judged on this platform ({}): verify by hand that sockets keep voice markings", snap.platform.family),
            };
            return vec![
                k.unknown(a, format!("unknown, verify by hand: {what}"))
                    .evidence("QoS tables", qos::tables_text(c)),
            ];
        }
    }
    out
}

/// The evidence that policy `p` is attached as input to socket `i`.
fn attached(p: &QosPolicy, i: &lanready_schema::Interface) -> lanready_schema::Evidence {
    ev::read(
        "cbQosIfIndex",
        p.policy_index,
        i.if_index,
        Some(&format!("{} input on {}", p.policy_name, i.name)),
    )
}

/// An input policy on socket `i` that re-marks voice: which class sets what (read from
/// cbQosSetCfgTable), where it is attached, and `fix`.
fn remarks(
    c: &Ctx<'_>,
    i: &lanready_schema::Interface,
    p: &QosPolicy,
    (class, set): (&QosClass, &str),
    fix: String,
) -> Finding {
    Check::QosTrust
        .fail(
            c.addr(),
            Some(&i.name),
            format!(
                "input policy {} re-marks voice: class {} sets {set}",
                p.policy_name, class.name
            ),
        )
        .ev(attached(p, i))
        .evidence(
            format!("cbQosSetCfgTable[{} class {}]", p.policy_name, class.name),
            set,
        )
        .fix(fix)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::TableStatus;

    #[test]
    fn ios_xe_trusts_by_default_and_only_policies_spoil_it() {
        let mut s = ready();
        check(Check::QosTrust, &s, &plan(), &["pass blocker -"]);
        // No input policy at all on IOS-XE is still trust.
        s.qos.policies.retain(|p| p.direction != "input");
        check(Check::QosTrust, &s, &plan(), &["pass blocker -"]);
        // A re-marking input policy fails.
        let mut p = policy(1003, "Gi1/0/3", "input", "MARK-DOWN", false);
        p.classes[0].name = "class-default".into();
        p.classes[0].matches = vec!["Match any".into()];
        p.classes[0].sets = vec!["dscp 0".into()];
        s.qos.policies.push(p);
        let f = check(Check::QosTrust, &s, &plan(), &["fail blocker Gi1/0/3"]);
        assert!(f[0].message.contains("sets dscp 0"), "{}", f[0].message);
        // cbQoS not readable at all: unknown, never "no policy".
        let mut s = ready();
        s.qos.policies.clear();
        for t in super::qos::CBQOS_TABLES {
            s.tables.insert((*t).into(), TableStatus::Absent);
        }
        check(Check::QosTrust, &s, &plan(), &["unknown blocker -"]);
    }

    #[test]
    fn cisco_phone_auto_qos_with_avaya_phones() {
        let mut s = ready();
        for p in &mut s.qos.policies {
            if p.direction == "input" {
                p.policy_name = "AutoQos-4.0-CiscoPhone-Input-Policy".into();
            }
        }
        check(Check::QosTrust, &s, &plan(), &["pass blocker -"]);
        let mut pl = plan();
        pl.phones.lldp_med = true;
        let f = Check::QosTrust.evaluate(&s, &pl);
        assert_eq!(f.len(), 48);
        let fix = f[0].remediation.as_deref().unwrap();
        assert!(fix.lines().any(|l| l == " auto qos voip trust"), "{fix}");
        assert!(
            !fix.lines().any(|l| l == " auto qos voip cisco-phone"),
            "{fix}"
        );
    }

    #[test]
    fn mls_qos_platforms() {
        let mut s = ready();
        s.system.descr = Some(MLS_DESCR.into());
        s.platform.family = "ios".into();
        s.qos.status = "unknown".into();
        s.qos.policies.clear();
        for t in super::qos::CBQOS_TABLES {
            s.tables.insert((*t).into(), TableStatus::Absent);
        }
        check(Check::QosTrust, &s, &plan(), &["unknown blocker -"]);
        // ... unless csqIfTrustState answers.
        for i in s.interfaces.iter_mut() {
            i.qos_trust = Some("trustCoS".into());
        }
        port(&mut s, "Gi1/0/1").qos_trust = Some("untrusted".into());
        let f = check(Check::QosTrust, &s, &plan(), &["fail blocker Gi1/0/1"]);
        assert_eq!(f[0].evidence[0].value, "1 (untrusted)");
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/1\n auto qos voip cisco-phone")
        );
    }
}
