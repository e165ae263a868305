//! `switch.reachable`: the switch answered SNMP. A switch that did not makes every other
//! check unknown, and the site not ready.

use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let snap = c.snap;
    let name = snap.system.name.as_deref().unwrap_or("(no sysName)");
    let mut f = Check::Reachable.pass(c.addr(), format!("answered SNMP as {name}"));
    f = match &snap.system.name {
        Some(n) => f.ev(ev::text("sysName", 0, n)),
        None => f.ev(ev::no_row("sysName", 0)),
    };
    if let Some(d) = &snap.system.descr {
        f = f.evidence(
            "sysDescr.0",
            format!("{} (first line)", ev::quote(first_line(d))),
        );
    }
    if let Some(up) = snap.system.uptime_centiseconds {
        f = f.ev(ev::read(
            "sysUpTime",
            0,
            up,
            Some(&format!("{} days", up / 8_640_000)),
        ));
    }
    let pf = &snap.platform;
    f = f.evidence(
        "platform",
        format!(
            "{} ({}, {}{})",
            pf.model.as_deref().unwrap_or("model unknown"),
            pf.family,
            pf.stack_kind,
            if pf.modular { ", modular" } else { "" }
        ),
    );
    for p in &snap.problems {
        f = f.evidence("problem", p);
    }
    if !snap.problems.is_empty() {
        f.message = format!(
            "answered SNMP as {name}, with {} problem(s) reading it (see evidence)",
            snap.problems.len()
        );
    }
    vec![f]
}

/// The findings for a switch that could not be read.
pub fn unreachable(address: &str, error: &str) -> Vec<Finding> {
    let mut out = vec![
        Check::Reachable
            .fail(address, None, format!("no SNMP answer: {error}"))
            .evidence("error", error)
            .fix(
                "! Check the address, the UDP port and the credentials in the plan, that the\n\
                 ! switch permits SNMP from this agent, e.g.:\n\
                 snmp-server community <community> RO <acl>\n\
                 ! or for SNMPv3:\n\
                 snmp-server group <group> v3 priv\n\
                 snmp-server user <user> <group> v3 auth sha <key> priv aes 128 <key>",
            ),
    ];
    for c in Check::ALL.iter().filter(|c| **c != Check::Reachable) {
        out.push(c.unknown(address, "the switch did not answer"));
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn answered() {
        let f = check(Check::Reachable, &ready(), &plan(), &["pass blocker -"]);
        assert_eq!(f[0].evidence[0].object, "sysName.0");
        assert_eq!(f[0].evidence[0].value, "\"sw1\"");
    }

    #[test]
    fn unreachable_makes_everything_unknown() {
        let f = unreachable(ADDR, "no answer after 3 attempts");
        assert_eq!(f.len(), Check::ALL.len());
        assert_eq!(f[0].status, lanready_schema::Status::Fail);
        assert!(
            f[1..]
                .iter()
                .all(|f| f.status == lanready_schema::Status::Unknown)
        );
    }
}
