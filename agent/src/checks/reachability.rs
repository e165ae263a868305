//! `switch.reachable`: the switch answered SNMP, and its port tables were read. A switch that
//! did not answer makes every other check unknown, and the site not ready. A switch that
//! answered the scalar GETs but whose interface or VLAN tables could not be read (a view that
//! hides them, an ACL or firewall dropping GETBULK answers, the poll budget) fails too: which
//! ports are sockets, and what they carry, is then not known, and "no user-facing port" would
//! be a guess.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, TableStatus};

use super::{Check, Ctx, FindingExt, table_text};

/// The tables without which sockets could be hidden or misjudged: the interfaces (their
/// list, names and speeds) and the VLAN membership and trunking of each port.
pub const PORT_TABLES: [&str; 6] = [
    "ifTable",
    "ifXTable",
    "vtpVlanTable",
    "vlanTrunkPortTable",
    "vmMembershipTable",
    "vmVoiceVlanTable",
];

/// The port tables that were not read: not polled at all, or an error (timeout, budget). The
/// interface table answered empty or absent counts too: every switch has interfaces, so a
/// view is hiding them.
pub fn unread_port_tables(snap: &lanready_schema::Snapshot) -> Vec<(&'static str, String)> {
    PORT_TABLES
        .iter()
        .filter_map(|t| {
            let st = snap.tables.get(*t);
            let unread = match st {
                None | Some(TableStatus::Error { .. }) => true,
                Some(TableStatus::Absent) => *t == "ifTable",
                Some(TableStatus::Present { rows }) => *t == "ifTable" && *rows == 0,
            };
            unread.then(|| (*t, table_text(st)))
        })
        .collect()
}

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
    let unread = unread_port_tables(snap);
    if !unread.is_empty() {
        let names: Vec<&str> = unread.iter().map(|(t, _)| *t).collect();
        let mut g = Check::Reachable.fail(
            c.addr(),
            None,
            format!(
                "answered SNMP as {name}, but its port tables could not be read ({}): which ports are sockets and what they carry is unknown, so no port check can pass",
                names.join(", ")
            ),
        );
        for (t, st) in &unread {
            g = g.evidence(*t, st.clone());
        }
        g.evidence.extend(f.evidence);
        return vec![g.fix(
            "! The switch answers small GETs but not its tables. Check, on the switch and the path:
             ! - the SNMP view of the community or v3 group (`show snmp view`, `show snmp group`):
             !   it must include IF-MIB, CISCO-VTP-MIB and CISCO-VLAN-MEMBERSHIP-MIB;
             ! - an ACL or firewall that drops large UDP answers (GETBULK), or fragments;
             ! - the plan's max_repetitions and timeout_ms for a slow switch.",
        )];
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
                "! Check the address, the UDP port and the credentials in the plan, and that the\n\
                 ! switch permits SNMP from this agent (fill in the <...> before use), e.g.:\n\
                 !   snmp-server community <community> RO <acl>\n\
                 ! or for SNMPv3:\n\
                 !   snmp-server group <group> v3 priv\n\
                 !   snmp-server user <user> <group> v3 auth sha <key> priv aes 128 <key>",
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
    fn unread_port_tables_fail_the_switch() {
        let mut s = ready();
        s.tables.insert(
            "ifTable".into(),
            TableStatus::Error {
                reason: "timeout".into(),
            },
        );
        let f = check(Check::Reachable, &s, &plan(), &["fail blocker -"]);
        assert!(f[0].message.contains("(ifTable)"), "{}", f[0].message);
        assert_eq!(f[0].evidence[0].object, "ifTable");
        assert_eq!(f[0].evidence[0].value, "not read (timeout)");
        let mut s = ready();
        s.tables.insert("ifTable".into(), TableStatus::Absent);
        s.tables.remove("vmVoiceVlanTable");
        let f = check(Check::Reachable, &s, &plan(), &["fail blocker -"]);
        assert!(
            f[0].message.contains("(ifTable, vmVoiceVlanTable)"),
            "{}",
            f[0].message
        );
        // Absent VLAN tables are a fact (a switch without VTP), not a read failure.
        let mut s = ready();
        s.tables.insert("vtpVlanTable".into(), TableStatus::Absent);
        check(Check::Reachable, &s, &plan(), &["pass blocker -"]);
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
