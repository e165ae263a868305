//! `port.errors`: no socket or physical uplink has more input, FCS and late-collision
//! errors per day of uptime than the plan allows (the counters run since the switch booted).
//! The advice follows the medium: a patch lead on copper, an optic on fibre; `speed auto` /
//! `duplex auto` only where half duplex points at a duplex mismatch on a copper socket.

use lanready_mibs::evidence as ev;
use lanready_schema::{Finding, Interface};

use super::port_duplex::speed_duplex_settable;
use super::{Check, Ctx, FindingExt};

/// Hundredths of a second in a day.
const DAY_CS: u64 = 8_640_000;

pub fn evaluate(c: &Ctx<'_>) -> Vec<Finding> {
    let k = Check::PortErrors;
    let a = c.addr();
    let Some(uptime) = c.snap.system.uptime_centiseconds else {
        return vec![k.unknown(
            a,
            "the switch's uptime (sysUpTime) is unknown, so error rates cannot be told",
        )];
    };
    // Count at least one day, so a switch that just booted is not flagged for a handful.
    let days = (uptime as f64 / DAY_CS as f64).max(1.0);
    let max = c.plan.thresholds.max_errors_per_day;
    let checked: Vec<&Interface> = c.users.iter().chain(&c.uplink_ports).copied().collect();
    if checked
        .iter()
        .all(|i| i.in_errors.is_none() && i.fcs_errors.is_none())
    {
        return vec![k.unknown(a, "the switch does not report error counters (ifInErrors, dot3Stats): verify with `show interfaces counters errors`")];
    }
    let mut out = Vec::new();
    for i in checked {
        // ifInErrors already counts FCS errors; use the FCS counter only when it is missing.
        let input = i.in_errors.or(i.fcs_errors).unwrap_or(0);
        let late = i.late_collisions.unwrap_or(0);
        let per_day = (input + late) as f64 / days;
        if per_day <= max as f64 {
            continue;
        }
        let mut f = k.fail(
            a,
            Some(&i.name),
            format!(
                "{:.0} errors per day over {:.1} days (more than {max})",
                per_day, days
            ),
        );
        f = match i.in_errors {
            Some(n) => f.ev(ev::read("ifInErrors", i.if_index, n, None)),
            None => f.ev(ev::no_row("ifInErrors", i.if_index)),
        };
        if let Some(n) = i.fcs_errors {
            f = f.ev(ev::read("dot3StatsFCSErrors", i.if_index, n, None));
        }
        if let Some(n) = i.late_collisions {
            f = f.ev(ev::read("dot3StatsLateCollisions", i.if_index, n, None));
        }
        f = f.ev(ev::read(
            "sysUpTime",
            0,
            uptime,
            Some(&format!("{days:.1} days")),
        ));
        let medium = i.media.as_ref();
        let fix = match medium.map(|m| m.kind.as_str()) {
            Some("fibre") => format!(
                "! {}: errors on fibre are the optic ({}) or the patch cord: clean both ends of the\n\
                 ! fibre and the optics, then replace the optic or cord if errors return; in exec\n\
                 ! mode, `clear counters {}` to watch.",
                i.name,
                medium.map(|m| m.what.as_str()).unwrap_or("?"),
                i.name
            ),
            Some("twinax") => format!(
                "! {}: errors on a direct-attach cable: reseat or replace the cable; `clear counters {}` to watch.",
                i.name, i.name
            ),
            _ => {
                let mut s = format!(
                    "! {}: replace the patch lead and check the wall cabling and the far end; then, in\n\
                     ! exec mode, `clear counters {}` to see if errors return.",
                    i.name, i.name
                );
                if i.duplex.as_deref() == Some("half") && speed_duplex_settable(c, i) {
                    s.push_str(
                        "\n! Half duplex points at a duplex mismatch: set both ends to auto.\n",
                    );
                    s.push_str(&c.fixes.interface(&i.name, &["speed auto", "duplex auto"]));
                }
                s
            }
        };
        out.push(f.fix(fix));
    }
    if out.is_empty() {
        vec![k.pass(a, format!("no port above {max} errors per day"))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use lanready_schema::Media;

    #[test]
    fn rates_over_uptime_and_advice_by_medium() {
        let mut s = ready();
        check(Check::PortErrors, &s, &plan(), &["pass warning -"]);
        // 10 days up: 1000 errors is 100/day (not above), 1010 is 101/day.
        port(&mut s, "Gi1/0/1").in_errors = Some(1000);
        port(&mut s, "Gi1/0/2").in_errors = Some(1000);
        port(&mut s, "Gi1/0/2").late_collisions = Some(10);
        let t = port(&mut s, "Te1/1/1");
        t.in_errors = Some(50_000);
        t.media = Some(Media {
            kind: "fibre".into(),
            what: "SFP-10G-SR".into(),
            source: "entPhysicalModelName.1150".into(),
            raw: "\"SFP-10G-SR\"".into(),
        });
        let f = check(
            Check::PortErrors,
            &s,
            &plan(),
            &["fail warning Gi1/0/2", "fail warning Te1/1/1"],
        );
        let fibre = f[1].remediation.as_deref().unwrap();
        assert!(
            fibre.contains("clean both ends") && !fibre.contains("speed auto"),
            "{fibre}"
        );
        assert!(
            !f[0].remediation.as_deref().unwrap().contains("speed auto"),
            "full duplex: no speed/duplex"
        );
        s.system.uptime_centiseconds = None;
        check(Check::PortErrors, &s, &plan(), &["unknown warning -"]);
    }
}
