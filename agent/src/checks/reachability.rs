//! `switch.reachable`: the switch answered SNMP. A switch that did not makes every other
//! check unknown, and the site not ready.

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt};
use crate::plan::SwitchPlan;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let name = snap.system.name.as_deref().unwrap_or("(no sysName)");
    let mut f = Check::Reachable
        .pass(&plan.address, format!("answered SNMP as {name}"))
        .evidence("sysName.0", name);
    if let Some(d) = &snap.system.descr {
        f = f.evidence("sysDescr.0", first_line(d));
    }
    if let Some(up) = snap.system.uptime_centiseconds {
        f = f.evidence("sysUpTime.0", format!("{} days", up / 8_640_000));
    }
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
