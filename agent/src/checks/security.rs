//! Access security that breaks phones on sockets (police networks use it):
//! - `security.auth`: 802.1X / MAB in single-host mode admits one device, so the PC behind
//!   the phone is refused; multi-domain (one phone and one PC) or multi-auth is needed.
//! - `security.port_security`: a maximum of secure MAC addresses below what a phone and a PC
//!   take (3: the phone's address is learned in the voice VLAN and may be in the access VLAN
//!   too, plus the PC's) err-disables or blocks the socket when both are plugged in.
//! - `security.errdisable`: without err-disable recovery for port security, 802.1X and BPDU
//!   guard, a socket that tripped stays dead until someone types `shutdown`/`no shutdown`.
//!
//! Unknown where the MIBs could not be read; a switch that answered with no rows has none
//! of it configured.

use lanready_mibs::decode::security::{HostMode, PortControl, ViolationAction};
use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Severity, TableStatus};

use super::{Check, Ctx, FindingExt};

fn unreadable(c: &Ctx<'_>, tables: &[&str]) -> Option<String> {
    let bad: Vec<String> = tables
        .iter()
        .filter(|t| {
            matches!(
                c.snap.tables.get(**t),
                Some(TableStatus::Error { .. }) | None
            )
        })
        .map(|t| format!("{t} {}", c.table_text(t)))
        .collect();
    (bad.len() == tables.len()).then(|| bad.join("; "))
}

pub fn auth(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::AuthHostMode;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if let Some(why) = unreadable(c, &["cafPortConfigTable", "dot1xAuthConfigTable"]) {
        return vec![k.unknown(a, format!("802.1X / MAB state could not be read ({why}): verify with `show authentication sessions` / `show access-session`"))];
    }
    let mut out = Vec::new();
    let mut enforced = 0;
    for i in &c.users {
        let Some(au) = &i.auth else { continue };
        if au.control != "auto" {
            continue;
        }
        enforced += 1;
        let control_ev = if au.source == "cafPortConfigTable" {
            ev::read(
                "cafPortAuthorizeControl",
                i.if_index,
                PortControl::raw(&au.control),
                None,
            )
        } else {
            ev::read(
                "dot1xAuthAuthControlledPortControl",
                i.if_index,
                PortControl::raw(&au.control),
                None,
            )
        };
        match au.host_mode.as_deref() {
            Some(m @ ("singleHost" | "multiHost")) => {
                let single = m == "singleHost";
                let f = k
                    .fail(
                        a,
                        Some(&i.name),
                        if single {
                            "802.1X/MAB in single-host mode: a phone and the PC behind it cannot both get on"
                        } else {
                            "802.1X/MAB in multi-host mode: the first device authenticates for all, the phone gets no voice domain"
                        },
                    )
                    .severity(if single { Severity::Blocker } else { Severity::Warning })
                    .ev(control_ev)
                    .ev(ev::read("cafPortAuthHostMode", i.if_index, HostMode::raw(m), None))
                    .fix(format!(
                        "! Multi-domain admits one phone (voice domain) and one PC; use multi-auth for\n\
                         ! several PCs. With IBNS 2.0 (new-style) configuration the command is\n\
                         ! `access-session host-mode multi-domain`.\n{}",
                        c.fixes.interface(&i.name, &["authentication host-mode multi-domain"])
                    ));
                out.push(f);
            }
            Some(_) => {}
            None => out.push(
                k.unknown(a, format!("{}: 802.1X is enforced but its host mode could not be read (cafPortConfigTable has no row): verify with `show authentication sessions interface {}`", i.name, i.name))
                    .ev(control_ev),
            ),
        }
    }
    if out.is_empty() {
        vec![
            k.pass(
                a,
                if enforced == 0 {
                    "no 802.1X or MAB enforced on any socket".to_string()
                } else {
                    format!("{enforced} sockets authenticate in multi-domain or multi-auth mode")
                },
            )
            .evidence("cafPortConfigTable", c.table_text("cafPortConfigTable"))
            .evidence("dot1xAuthConfigTable", c.table_text("dot1xAuthConfigTable")),
        ]
    } else {
        out
    }
}

/// The secure MAC addresses a socket needs for a phone and a PC: Cisco's Catalyst security
/// configuration guides (port security with a voice VLAN) say to allow two plus the access
/// VLAN's maximum, because the phone's address is learned in the voice VLAN and may be
/// learned in the access VLAN too: 3 for a phone and one PC, whatever the phone's make.
fn macs_needed(_c: &Ctx<'_>) -> u32 {
    3
}

pub fn port_security(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PortSecurity;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    if let Some(why) = unreadable(c, &["cpsIfConfigTable"]) {
        return vec![k.unknown(
            a,
            format!("port security could not be read ({why}): verify with `show port-security`"),
        )];
    }
    let need = macs_needed(c);
    let mut out = Vec::new();
    let mut secured = 0;
    for i in &c.users {
        let Some(ps) = i.port_security.as_ref().filter(|p| p.enabled) else {
            continue;
        };
        secured += 1;
        let Some(max) = ps.max_mac else {
            out.push(k.unknown(
                a,
                format!(
                    "{}: port security is on but its maximum could not be read",
                    i.name
                ),
            ));
            continue;
        };
        if max >= need {
            continue;
        }
        let action = ps.violation.as_deref().unwrap_or("shutdown");
        let consequence = match action {
            "shutdown" => "the socket err-disables when a phone and a PC are both plugged in",
            _ => "the PC (or the phone) behind it is silently dropped",
        };
        let mut f = k
            .fail(
                a,
                Some(&i.name),
                format!("port security allows {max} MAC address(es), a phone and a PC need {need} (the phone's address can be learned in both the voice and the access VLAN): {consequence}"),
            )
            .ev(ev::read("cpsIfPortSecurityEnable", i.if_index, 1, Some("true")))
            .ev(ev::read("cpsIfMaxSecureMacAddr", i.if_index, max, None));
        if let Some(v) = &ps.violation {
            f = f.ev(ev::read(
                "cpsIfViolationAction",
                i.if_index,
                ViolationAction::raw(v),
                None,
            ));
        }
        out.push(f.fix(c.fixes.interface(
            &i.name,
            &[&format!("switchport port-security maximum {need}")],
        )));
    }
    if out.is_empty() {
        vec![
            k.pass(
                a,
                if secured == 0 {
                    "no port security on any socket".to_string()
                } else {
                    format!(
                        "{secured} sockets with port security allow at least {need} MAC addresses"
                    )
                },
            )
            .evidence("cpsIfConfigTable", c.table_text("cpsIfConfigTable")),
        ]
    } else {
        out
    }
}

pub fn errdisable(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::ErrdisableRecovery;
    let a = c.addr();
    if let Some(f) = c.no_sockets(k) {
        return f;
    }
    // Causes that the sockets can trip, and the IOS keyword of each.
    let mut causes: Vec<(&str, &str, String)> = Vec::new();
    let ps: Vec<&str> = c
        .users
        .iter()
        .filter(|i| {
            i.port_security.as_ref().is_some_and(|p| {
                p.enabled && p.violation.as_deref().is_none_or(|v| v == "shutdown")
            })
        })
        .map(|i| i.name.as_str())
        .collect();
    if !ps.is_empty() {
        causes.push((
            "portSecurityViolation",
            "psecure-violation",
            format!("port security on {} sockets", ps.len()),
        ));
    }
    let dot1x = c
        .users
        .iter()
        .filter(|i| i.auth.as_ref().is_some_and(|x| x.control == "auto"))
        .count();
    if dot1x > 0 {
        causes.push((
            "dot1xSecurityViolation",
            "security-violation",
            format!("802.1X on {dot1x} sockets"),
        ));
    }
    let guard_default = c.snap.stp.bpduguard_default == Some(true);
    let guard = c
        .users
        .iter()
        .filter(|i| {
            i.bpdu_guard.as_deref() == Some("enable")
                || (guard_default && i.bpdu_guard.as_deref() == Some("default"))
        })
        .count();
    if guard > 0 {
        causes.push((
            "bpduGuard",
            "bpduguard",
            format!("BPDU guard on {guard} sockets"),
        ));
    }
    if causes.is_empty() {
        return vec![k.pass(a, "nothing on the sockets err-disables them (no port security with shutdown, no 802.1X, no BPDU guard)")];
    }
    let rec = &c.snap.errdisable;
    if rec.recovery.is_empty() {
        return vec![k.unknown(
            a,
            format!(
                "{}: err-disable recovery could not be read (cErrDisableFeatureTable {}): verify with `show errdisable recovery`",
                causes.iter().map(|x| x.2.clone()).collect::<Vec<_>>().join(", "),
                c.table_text("cErrDisableFeatureTable")
            ),
        )];
    }
    let mut out = Vec::new();
    for (cause, keyword, why) in &causes {
        let on = rec.recovery.get(*cause).copied();
        if on == Some(true) {
            continue;
        }
        let id = lanready_mibs::decode::security::ErrDisableCause::from_name(cause)
            .map_or(0, |x| x.number());
        let e = match on {
            Some(false) => ev::read(
                "cErrDisableFeatureRecoveryEnable",
                id,
                2,
                Some(&format!("false: {cause}")),
            ),
            _ => ev::no_row("cErrDisableFeatureRecoveryEnable", id),
        };
        let mut f = k
            .fail(a, None, format!("{why}, and no err-disable recovery for {cause}: a socket that trips stays dead until someone resets it"))
            .ev(e);
        if let Some(s) = rec.interval_s {
            f = f.ev(ev::read(
                "cErrDisableRecoveryInterval",
                0,
                s,
                Some("seconds"),
            ));
        }
        out.push(f.fix(format!("errdisable recovery cause {keyword}")));
    }
    if out.is_empty() {
        vec![k.pass(
            a,
            format!(
                "err-disable recovery is on for {}",
                causes.iter().map(|x| x.0).collect::<Vec<_>>().join(", ")
            ),
        )]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::{PortAuth, PortSecurity};

    #[test]
    fn single_host_and_small_port_security() {
        let mut s = ready();
        s.tables.insert(
            "cafPortConfigTable".into(),
            TableStatus::Present { rows: 2 },
        );
        s.tables
            .insert("dot1xAuthConfigTable".into(), TableStatus::Absent);
        s.tables
            .insert("cpsIfConfigTable".into(), TableStatus::Present { rows: 48 });
        check(Check::AuthHostMode, &s, &plan(), &["pass blocker -"]);
        port(&mut s, "Gi1/0/1").auth = Some(PortAuth {
            control: "auto".into(),
            host_mode: Some("singleHost".into()),
            source: "cafPortConfigTable".into(),
        });
        port(&mut s, "Gi1/0/2").auth = Some(PortAuth {
            control: "auto".into(),
            host_mode: Some("multiDomain".into()),
            source: "cafPortConfigTable".into(),
        });
        let f = check(Check::AuthHostMode, &s, &plan(), &["fail blocker Gi1/0/1"]);
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .ends_with("interface Gi1/0/1\n authentication host-mode multi-domain")
        );
        port(&mut s, "Gi1/0/3").port_security = Some(PortSecurity {
            enabled: true,
            max_mac: Some(1),
            violation: Some("shutdown".into()),
            status: Some("secureup".into()),
        });
        let f = check(Check::PortSecurity, &s, &plan(), &["fail blocker Gi1/0/3"]);
        assert!(f[0].message.contains("need 3"), "{}", f[0].message);
        let mut p = plan();
        p.phones.lldp_med = true;
        let f = check(Check::PortSecurity, &s, &p, &["fail blocker Gi1/0/3"]);
        assert!(
            f[0].remediation
                .as_deref()
                .unwrap()
                .ends_with("switchport port-security maximum 3")
        );
        // Recovery: port security, 802.1X and BPDU guard are in use; recovery unread, then off.
        s.errdisable.recovery.clear();
        check(
            Check::ErrdisableRecovery,
            &s,
            &plan(),
            &["unknown warning -"],
        );
        s.errdisable
            .recovery
            .insert("portSecurityViolation".into(), false);
        s.errdisable.recovery.insert("bpduGuard".into(), true);
        let f = check(
            Check::ErrdisableRecovery,
            &s,
            &plan(),
            &["fail warning -", "fail warning -"],
        );
        assert_eq!(
            f[0].remediation.as_deref(),
            Some("errdisable recovery cause psecure-violation")
        );
        assert_eq!(
            f[1].remediation.as_deref(),
            Some("errdisable recovery cause security-violation")
        );
        assert_eq!(f[1].evidence[0].value, "no row");
    }
}
