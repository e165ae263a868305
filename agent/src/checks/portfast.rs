//! `port.portfast`: sockets use portfast, so a phone gets a link (and DHCP) at once instead
//! of after 30 s of spanning-tree listening and learning. A port left at `default` follows
//! `spanning-tree portfast default` (stpxFastStartGlobalDefaultMode). Only sockets are
//! checked, so `spanning-tree portfast` and BPDU guard are never written on a trunk, a
//! channel member, a routed port or a port facing another switch.

use lanready_mibs::decode::stp::{BpduGuardMode, FastStartMode};
use lanready_mibs::evidence as ev;
use lanready_schema::Finding;

use super::{Check, Ctx, FindingExt, compact_ports, plural};

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::Portfast;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if c.users.iter().all(|i| i.portfast.is_none()) {
        return vec![k.unknown(a, "the switch does not report portfast (stpxFastStartPortMode): verify with `show spanning-tree interface <port> portfast`")
            .evidence("stpxFastStartPortTable", c.table_text("stpxFastStartPortTable"))];
    }
    let global = c.snap.stp.portfast_default;
    let guard_default = c.snap.stp.bpduguard_default == Some(true);
    let mut out = Vec::new();
    let mut unread = Vec::new();
    for i in &c.users {
        let Some(mode) = i.portfast.as_deref() else {
            unread.push(i.name.as_str());
            continue;
        };
        let bp = i.bridge_port.map_or("?".to_string(), |b| b.to_string());
        let mode_ev = ev::read("stpxFastStartPortMode", &bp, FastStartMode::raw(mode), None);
        let message = match (mode, global) {
            ("enable" | "enableForTrunk", _) => continue,
            ("default", Some(true)) => continue,
            ("default", Some(false)) => {
                "portfast follows the global default, which is off (no `spanning-tree portfast default`)"
            }
            ("default", None) => {
                "portfast follows the global default, which the switch did not report: set it on the port"
            }
            ("network", _) => "the port is a spanning-tree network port, not an edge port",
            _ => "portfast is off: a phone waits about 30 s for spanning tree after each link-up",
        };
        let mut f = k.fail(a, Some(&i.name), message).ev(mode_ev);
        if mode == "default" {
            f = match global {
                Some(g) => f.ev(ev::read(
                    "stpxFastStartGlobalDefaultMode",
                    0,
                    if g { 1 } else { 2 },
                    Some(if g { "enable" } else { "disable" }),
                )),
                None => f.ev(ev::no_row("stpxFastStartGlobalDefaultMode", 0)),
            };
        }
        let guard_on = i.bpdu_guard.as_deref() == Some("enable")
            || (i.bpdu_guard.as_deref() == Some("default") && guard_default);
        let mut lines = vec![c.fixes.portfast()];
        if !guard_on {
            lines.push("spanning-tree bpduguard enable");
            if let Some(g) = &i.bpdu_guard {
                f = f.ev(ev::read(
                    "stpxFastStartPortBpduGuardMode",
                    &bp,
                    BpduGuardMode::raw(g),
                    None,
                ));
            }
        }
        out.push(f.fix(c.fixes.interface(&i.name, &lines)));
    }
    if !unread.is_empty() {
        out.push(k.unknown(
            a,
            format!(
                "{} with no portfast row (no bridge port joined them): {}; verify by hand",
                plural(unread.len(), "user port"),
                compact_ports(&unread)
            ),
        ));
    }
    if out.is_empty() {
        vec![k.pass(
            a,
            format!("portfast on all {} user-facing ports", c.users.len()),
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
    fn off_default_unreadable() {
        let mut s = ready();
        check(Check::Portfast, &s, &plan(), &["pass warning -"]);
        port(&mut s, "Gi1/0/10").portfast = Some("disable".into());
        port(&mut s, "Gi1/0/11").portfast = Some("default".into());
        port(&mut s, "Gi1/0/11").bridge_port = Some(11);
        port(&mut s, "Gi1/0/12").portfast = None;
        let f = check(
            Check::Portfast,
            &s,
            &plan(),
            &[
                "fail warning Gi1/0/10",
                "fail warning Gi1/0/11",
                "unknown warning -",
            ],
        );
        assert_eq!(f[1].evidence[0].object, "stpxFastStartPortMode.11");
        assert_eq!(f[1].evidence[0].value, "4 (default)");
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("interface Gi1/0/10\n spanning-tree portfast"),
            "BPDU guard is already on"
        );
        // `default` with `spanning-tree portfast default` on is an edge port.
        s.stp.portfast_default = Some(true);
        check(
            Check::Portfast,
            &s,
            &plan(),
            &["fail warning Gi1/0/10", "unknown warning -"],
        );
        for i in &mut s.interfaces {
            i.portfast = None;
        }
        check(Check::Portfast, &s, &plan(), &["unknown warning -"]);
    }
}
