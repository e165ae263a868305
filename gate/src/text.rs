//! The gate's text for a CI log: a headline, the port roles, then failed blockers, failed
//! warnings, unknowns and notes, each grouped by switch, then the result.

use std::fmt::Write as _;

use lanready_schema::{Finding, Report, Severity, Status};

use crate::waivers::{Waived, describe};
use crate::{Decision, Freshness, human};

/// The gate's text for a CI log: a headline, then failed blockers, failed warnings,
/// unknowns and notes, each grouped by switch, then the result. Within a switch, findings of
/// one check with the same message and the same fix (but for the port it names) are one
/// entry: their ports, their readings, and one fix with an `interface range` head.
///
/// `report` is the report as judged (with `waived`'s findings passed, see
/// [`crate::waivers::apply`]); each waived finding is listed with its waiver.
pub fn render(
    report: &Report,
    freshness: Option<&Freshness>,
    decision: &Decision,
    waived: &[Waived],
) -> String {
    render_with(report, freshness, decision, waived, Detail::Full)
}

/// How much of each finding the text shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// What was read and the fix, under each entry.
    #[default]
    Full,
    /// One line an entry (and its ports): for a summary on one screen. The readings and the
    /// fixes stay in the report, the JUnit and `--config`.
    Brief,
}

/// [`render`] with the detail asked for.
pub fn render_with(
    report: &Report,
    freshness: Option<&Freshness>,
    decision: &Decision,
    waived: &[Waived],
    detail: Detail,
) -> String {
    let brief = detail == Detail::Brief;
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "lanready gate: site {}: {} (score {}/100)",
        report.site,
        report.verdict.headline(),
        report.score
    );
    let answered = report.switches.iter().filter(|s| s.reachable).count();
    let switches = match (report.switches.len(), answered) {
        (1, 1) => "1 switch".to_string(),
        (n, a) if n == a => format!("{n} switches"),
        (1, 0) => "1 switch, which did not answer".to_string(),
        (n, a) => format!("{n} switches ({a} answered)"),
    };
    // A sweep that found no switch is in no switch's row: say what was probed.
    let empty_sweeps: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| {
            f.check == "switch.reachable"
                && f.status == Status::Fail
                && !report.switches.iter().any(|s| s.address == f.switch)
        })
        .map(|f| f.message.as_str())
        .collect();
    let sweeps = empty_sweeps
        .iter()
        .map(|m| format!("; {m}"))
        .collect::<String>();
    let _ = writeln!(
        out,
        "  {switches}{sweeps}; {}, {}, {} unknown, {} passed; report {} at {}",
        lanready_schema::words::count(c.blockers, "blocker", "blockers"),
        lanready_schema::words::count(c.warnings, "warning", "warnings"),
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
    if !brief {
        role_table(&mut out, report);
    }
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
            for g in group(&fs) {
                write_group(&mut out, &g, brief || title == "NOTES");
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
    if brief {
        let _ = writeln!(
            out,
            "\n(brief: port roles, readings and fixes left out; without --brief they are shown)"
        );
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

/// Findings of one switch that read as one: the same check and message, and a fix that is
/// the same text, or the same but for its own `interface PORT` line.
struct Group<'a> {
    members: Vec<&'a Finding>,
    /// Whether the members' fixes are one text (a fix naming every member already).
    same_fix: Option<bool>,
}

/// A finding's fix with its own `interface PORT` line replaced by a mark, so fixes that
/// differ only in the port they select compare equal.
const OWN_PORT: &str = "interface \u{0}";

fn per_port_fix(f: &Finding) -> Option<String> {
    let port = f.port.as_deref()?;
    let fix = f.remediation.as_deref()?;
    let own = format!("interface {port}");
    let mut marked = 0;
    let lines: Vec<&str> = fix
        .lines()
        .map(|l| {
            if l == own {
                marked += 1;
                OWN_PORT
            } else {
                l
            }
        })
        .collect();
    // A fix that names its port elsewhere too is not the same as another port's.
    let rest_names_port = lines.iter().any(|l| l.contains(port));
    (marked == 1 && !rest_names_port).then(|| lines.join("\n"))
}

fn group<'a>(fs: &[&'a Finding]) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for &f in fs {
        let joins = |g: &Group<'a>| -> Option<bool> {
            let first = g.members[0];
            if first.port.is_none()
                || f.port.is_none()
                || first.check != f.check
                || first.message != f.message
            {
                return None;
            }
            let same = first.remediation == f.remediation;
            let per_port = first.remediation.is_some() && {
                let a = per_port_fix(first);
                a.is_some() && a == per_port_fix(f)
            };
            match g.same_fix {
                None if same => Some(true),
                None if per_port => Some(false),
                Some(true) if same => Some(true),
                Some(false) if per_port => Some(false),
                _ => None,
            }
        };
        match out.iter_mut().find_map(|g| joins(g).map(|m| (g, m))) {
            Some((g, mode)) => {
                g.same_fix = Some(mode);
                g.members.push(f);
            }
            None => out.push(Group {
                members: vec![f],
                same_fix: None,
            }),
        }
    }
    out
}

fn write_group(out: &mut String, g: &Group<'_>, brief: bool) {
    let [first, ..] = g.members.as_slice() else {
        return;
    };
    if g.members.len() == 1 {
        return write_finding(out, first, brief);
    }
    let ports: Vec<&str> = g.members.iter().filter_map(|f| f.port.as_deref()).collect();
    let count = format!("{} ports", ports.len());
    let _ = writeln!(out, "    {count:<12} {:<22} {}", first.check, first.message);
    let pad = " ".repeat(17);
    let _ = writeln!(
        out,
        "{pad}ports: {}",
        lanready_schema::ports::compact(&ports)
    );
    if brief {
        return;
    }
    if let Some(read) = shared_reading(&g.members) {
        let _ = writeln!(out, "{pad}read: {read}");
    } else if !first.evidence.is_empty() {
        let ev: Vec<String> = first
            .evidence
            .iter()
            .map(|e| format!("{} = {}", e.object, e.value))
            .collect();
        let _ = writeln!(
            out,
            "{pad}read ({}, first of {}; the report has each port's): {}",
            ports[0],
            ports.len(),
            ev.join("; ")
        );
    }
    let fix = match g.same_fix {
        Some(true) => first.remediation.clone(),
        _ => per_port_fix(first).map(|marked| {
            let heads = lanready_schema::ports::interface_heads(&ports);
            let lines: Vec<&str> = marked.lines().collect();
            let at = lines.iter().position(|l| *l == OWN_PORT).unwrap_or(0);
            let body_end = lines[at + 1..]
                .iter()
                .position(|l| !l.starts_with(' '))
                .map_or(lines.len(), |n| at + 1 + n);
            let mut text: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
            for h in heads {
                text.push(h);
                text.extend(lines[at + 1..body_end].iter().map(|l| l.to_string()));
            }
            text.extend(lines[body_end..].iter().map(|l| l.to_string()));
            text.join("\n")
        }),
    };
    if let Some(fix) = fix {
        let mut lines = fix.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "{pad}fix:  {first}");
        }
        for l in lines {
            let _ = writeln!(out, "{pad}      {l}");
        }
    }
}

/// The members' readings as one line when they differ only in their objects' indexes:
/// `vmVoiceVlanId.{5,10,14} = 4096 (none)`.
fn shared_reading(members: &[&Finding]) -> Option<String> {
    let first = members[0];
    if first.evidence.is_empty()
        || members
            .iter()
            .any(|f| f.evidence.len() != first.evidence.len())
    {
        return None;
    }
    let mut parts = Vec::new();
    for (i, e) in first.evidence.iter().enumerate() {
        let (base, _) = e.object.split_once('.').unwrap_or((&e.object, ""));
        let mut indexes: Vec<&str> = Vec::new();
        for f in members {
            let other = &f.evidence[i];
            let (b, idx) = other.object.split_once('.').unwrap_or((&other.object, ""));
            if b != base || other.value != e.value {
                return None;
            }
            indexes.push(idx);
        }
        let object = if indexes.iter().all(|x| *x == indexes[0]) {
            e.object.clone()
        } else if indexes.iter().any(|x| x.is_empty()) {
            return None;
        } else {
            let list: Vec<String> = lanready_schema::ports::runs(&indexes)
                .iter()
                .map(|r| r.spelled("-"))
                .collect();
            format!("{base}.{{{}}}", list.join(","))
        };
        parts.push(format!("{object} = {}", e.value));
    }
    Some(parts.join("; "))
}
