//! `port.errors`: no user-facing port or trunk has more input, FCS and late-collision errors
//! per day of uptime than the plan allows (the counters run since the switch booted).

use lanready_schema::{Finding, Snapshot};

use super::{Check, FindingExt, interface_fix, ports};
use crate::plan::SwitchPlan;

/// Hundredths of a second in a day.
const DAY_CS: u64 = 8_640_000;

pub fn evaluate(snap: &Snapshot, plan: &SwitchPlan) -> Vec<Finding> {
    let c = Check::PortErrors;
    let a = plan.address.as_str();
    let Some(uptime) = snap.system.uptime_centiseconds else {
        return vec![c.unknown(
            a,
            "the switch's uptime (sysUpTime) is unknown, so error rates cannot be told",
        )];
    };
    // Count at least one day, so a switch that just booted is not flagged for a handful.
    let days = (uptime as f64 / DAY_CS as f64).max(1.0);
    let max = plan.thresholds.max_errors_per_day;
    let checked: Vec<_> = snap
        .interfaces
        .iter()
        .filter(|i| i.trunk || ports::is_user_port(i, &plan.ports))
        .collect();
    if checked
        .iter()
        .all(|i| i.in_errors.is_none() && i.fcs_errors.is_none())
    {
        return vec![c.unknown(a, "the switch does not report error counters (ifInErrors, dot3Stats): verify with `show interfaces counters errors`")];
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
        let mut f = c
            .fail(
                a,
                Some(&i.name),
                format!(
                    "{:.0} errors per day over {:.1} days (more than {max})",
                    per_day, days
                ),
            )
            .evidence(
                format!("ifInErrors.{}", i.if_index),
                i.in_errors
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
            );
        if let Some(n) = i.fcs_errors {
            f = f.evidence(format!("dot3StatsFCSErrors.{}", i.if_index), n);
        }
        if let Some(n) = i.late_collisions {
            f = f.evidence(format!("dot3StatsLateCollisions.{}", i.if_index), n);
        }
        out.push(
            f.evidence("sysUpTime.0", format!("{uptime} cs"))
                .fix(format!("! Replace the patch lead and check the cabling and the far end's duplex;\n! then, in exec mode, `clear counters {}` to see if errors return.\n{}", i.name, interface_fix(&i.name, &["speed auto", "duplex auto"]))),
        );
    }
    if out.is_empty() {
        vec![c.pass(a, format!("no port above {max} errors per day"))]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn rates_over_uptime() {
        let mut s = ready();
        check(Check::PortErrors, &s, &plan(), &["pass warning -"]);
        // 10 days up: 1000 errors is 100/day (not above), 1010 is 101/day.
        port(&mut s, "Gi1/0/1").in_errors = Some(1000);
        port(&mut s, "Gi1/0/2").in_errors = Some(1000);
        port(&mut s, "Gi1/0/2").late_collisions = Some(10);
        port(&mut s, "Te1/1/1").in_errors = Some(50_000);
        check(
            Check::PortErrors,
            &s,
            &plan(),
            &["fail warning Gi1/0/2", "fail warning Te1/1/1"],
        );
        s.system.uptime_centiseconds = None;
        check(Check::PortErrors, &s, &plan(), &["unknown warning -"]);
    }
}
