//! The gate's text for a CI log: a headline, the port roles, then failed blockers, failed
//! warnings, unknowns and notes, each grouped by switch, then the result.

use std::fmt::Write as _;

use lanready_schema::{Finding, Report, Severity, Status};

use crate::waivers::{Waived, describe};
use crate::{Decision, Freshness, human};

/// The gate's text for a CI log: a headline, then failed blockers, failed warnings,
/// unknowns and notes, each grouped by switch and port, then the result.
///
/// `report` is the report as judged (with `waived`'s findings passed, see
/// [`crate::waivers::apply`]); each waived finding is listed with its waiver.
pub fn render(
    report: &Report,
    freshness: Option<&Freshness>,
    decision: &Decision,
    waived: &[Waived],
) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "lanready gate: site {}: {} (score {}/100)",
        report.site,
        report.verdict.headline(),
        report.score
    );
    let _ = writeln!(
        out,
        "  {} switch(es); {} blocker(s), {} warning(s), {} unknown, {} passed; report {} at {}",
        report.switches.len(),
        c.blockers,
        c.warnings,
        c.unknown,
        c.passed,
        report.id,
        report.generated_at
    );
    if let Some(f) = freshness {
        let expects = f
            .stale_after_seconds
            .map(|s| format!("; the collector expects one every {}", human(s)))
            .unwrap_or_default();
        let stale = if f.stale { " (stale)" } else { "" };
        let _ = writeln!(
            out,
            "  latest scan {} old{expects}{stale}",
            human(f.age_seconds)
        );
    }
    for sw in report.switches.iter().filter(|s| !s.reachable) {
        let _ = writeln!(
            out,
            "  unreachable: {} ({})",
            sw.address,
            sw.error.as_deref().unwrap_or("no answer")
        );
    }
    role_table(&mut out, report);
    type Pick = fn(&Finding) -> bool;
    let sections: [(&str, Pick); 4] = [
        ("BLOCKERS", |f| {
            f.status == Status::Fail && f.severity == Severity::Blocker
        }),
        ("WARNINGS", |f| {
            f.status == Status::Fail && f.severity == Severity::Warning
        }),
        ("UNKNOWN (verify by hand)", |f| f.status == Status::Unknown),
        ("NOTES", |f| {
            f.status == Status::Fail && f.severity == Severity::Info
        }),
    ];
    for (title, pick) in sections {
        let picked: Vec<&Finding> = report.findings.iter().filter(|f| pick(f)).collect();
        if picked.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} ({})", picked.len());
        // Unknowns of an unreachable switch are one line, not fifteen.
        let unreachable: Vec<&str> = report
            .switches
            .iter()
            .filter(|s| !s.reachable)
            .map(|s| s.address.as_str())
            .collect();
        let mut by_switch: Vec<(&str, Vec<&Finding>)> = Vec::new();
        for f in picked {
            match by_switch.iter_mut().find(|(s, _)| *s == f.switch) {
                Some((_, v)) => v.push(f),
                None => by_switch.push((&f.switch, vec![f])),
            }
        }
        for (switch, fs) in by_switch {
            let name = report
                .switches
                .iter()
                .find(|s| s.address == switch)
                .and_then(|s| s.name.as_deref())
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  switch {switch}{name}");
            if title.starts_with("UNKNOWN") && unreachable.contains(&switch) {
                let _ = writeln!(out, "    every check: the switch did not answer");
                continue;
            }
            for f in fs {
                write_finding(&mut out, f, title == "NOTES");
            }
        }
    }
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\nWAIVED ({}; not counted against the site)",
            waived.len()
        );
        for w in waived {
            write_finding(&mut out, &w.finding, true);
            let _ = writeln!(out, "{}{}", " ".repeat(17), describe(&w.waiver));
        }
    }
    if decision.pass {
        let _ = writeln!(out, "\nRESULT: PASS");
    } else {
        let _ = writeln!(out, "\nRESULT: FAIL: {}", decision.texts().join("; "));
    }
    out
}

/// The port roles of every switch that answered: which ports are sockets, and why the others
/// are not, so an engineer can see (and correct, with `[sites.ports] roles`) the view the
/// checks were made on.
fn role_table(out: &mut String, report: &Report) {
    let answered: Vec<_> = report
        .switches
        .iter()
        .filter(|s| !s.roles.is_empty())
        .collect();
    if answered.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nPORT ROLES");
    for sw in answered {
        let pf = sw
            .platform
            .as_ref()
            .map(|p| {
                format!(
                    ": {} ({}, {})",
                    p.model.as_deref().unwrap_or("model unknown"),
                    p.family,
                    p.stack_kind
                )
            })
            .unwrap_or_default();
        let name = sw
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  switch {}{name}{pf}", sw.address);
        for g in &sw.roles {
            let _ = writeln!(out, "    {}", lanready_schema::ports::role_row(g));
        }
    }
}

pub(crate) fn write_finding(out: &mut String, f: &Finding, brief: bool) {
    let port = f.port.as_deref().unwrap_or("(switch)");
    let _ = writeln!(out, "    {port:<12} {:<22} {}", f.check, f.message);
    if brief {
        return;
    }
    let pad = " ".repeat(17);
    if !f.evidence.is_empty() {
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{} = {}", e.object, e.value))
            .collect();
        let _ = writeln!(out, "{pad}read: {}", ev.join("; "));
    }
    if let Some(fix) = &f.remediation {
        let mut lines = fix.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{pad}fix:  {first}");
        }
        for l in lines {
            let _ = writeln!(out, "{pad}      {l}");
        }
    }
}
