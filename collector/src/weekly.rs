//! The weekly report for the programme's project call: the calendar's sites in cutover
//! order, each with its verdict now and at the start of the period, the blockers closed and
//! new in it, waivers added in it, expiring in the next 14 days or ended in it, its regressions, and its
//! action points (the blockers left, grouped by check, with how many switches and ports and
//! the fix), with owners. Built from the store's facts (pure), written as Markdown, HTML
//! (one self-contained page that prints cleanly) or CSV.

use lanready_schema::words;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use lanready_schema::programme::{Phase, RegressionDoc, Waiver};
use lanready_schema::{Finding, Report, Severity, Status, Verdict};
use time::{Date, OffsetDateTime};

use crate::aggregate::rfc3339;
use crate::programme::{CalendarEntry, day, days_left};

/// How far ahead a waiver's expiry is called out.
pub const EXPIRING_WITHIN_DAYS: i64 = 14;

/// What the store knows of one calendar site for the period.
#[derive(Clone, Debug)]
pub struct WeeklyFacts {
    pub entry: CalendarEntry,
    /// The latest report.
    pub now: Option<Report>,
    /// The latest report scanned at or before the period's start.
    pub then: Option<Report>,
    /// Every waiver of the site (any state).
    pub waivers: Vec<Waiver>,
    /// Regressions found in the period.
    pub regressions: Vec<RegressionDoc>,
}

/// A blocker's place: check, switch, port.
pub type BlockerKey = (String, String, Option<String>);

/// One action point: the blockers left of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub check: String,
    pub switches: usize,
    pub ports: usize,
    /// The first finding's fix, as the report spells it for its switch's platform, and the
    /// port it is spelled for (the others take the same lines with their own name).
    pub fix: Option<String>,
    pub fix_for: Option<String>,
}

#[derive(Clone, Debug)]
pub struct WeeklySite {
    pub site: String,
    pub cutover: String,
    pub days_left: i64,
    pub phase: Phase,
    pub owner: Option<String>,
    pub verdict: Option<Verdict>,
    pub verdict_then: Option<Verdict>,
    pub blockers: Option<u32>,
    pub closed: Vec<BlockerKey>,
    pub new: Vec<BlockerKey>,
    pub waivers_added: Vec<Waiver>,
    pub waivers_expiring: Vec<Waiver>,
    /// Waivers that expired or were revoked in the period: their findings count again.
    pub waivers_ended: Vec<Waiver>,
    pub wave: Option<u32>,
    pub extensions: Option<u32>,
    pub regressions: Vec<RegressionDoc>,
    pub actions: Vec<Action>,
}

#[derive(Clone, Debug)]
pub struct Weekly {
    pub as_of: String,
    pub since: String,
    pub today: String,
    pub sites: Vec<WeeklySite>,
}

fn blockers(r: &Report) -> BTreeSet<BlockerKey> {
    r.findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.severity == Severity::Blocker)
        .map(|f| (f.check.clone(), f.switch.clone(), f.port.clone()))
        .collect()
}

fn actions(r: &Report) -> Vec<Action> {
    let mut by: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.severity == Severity::Blocker)
    {
        by.entry(&f.check).or_default().push(f);
    }
    let mut out: Vec<Action> = by
        .into_iter()
        .map(|(check, fs)| Action {
            check: check.to_string(),
            switches: fs.iter().map(|f| &f.switch).collect::<BTreeSet<_>>().len(),
            ports: fs.iter().filter(|f| f.port.is_some()).count(),
            fix: fs.iter().find_map(|f| f.remediation.clone()),
            fix_for: fs
                .iter()
                .find(|f| f.remediation.is_some())
                .map(|f| f.port.clone().unwrap_or_else(|| f.switch.clone())),
        })
        .collect();
    // The biggest first.
    out.sort_by_key(|a| std::cmp::Reverse((a.ports, a.switches)));
    out
}

/// The weekly report at `now` for the period from `since`. The waivers in force today are
/// applied to both reports (a waived blocker is neither left nor closed; it is listed with
/// its waiver).
pub fn build(facts: Vec<WeeklyFacts>, now: OffsetDateTime, since: OffsetDateTime) -> Weekly {
    assemble(
        facts.into_iter().map(|f| site(f, now, since)).collect(),
        now,
        since,
    )
}

/// The weekly report from its sites, made one at a time with [`site`] (so a caller need not
/// hold every site's two reports at once), in cutover order.
pub fn assemble(mut sites: Vec<WeeklySite>, now: OffsetDateTime, since: OffsetDateTime) -> Weekly {
    sites.sort_by(|a, b| (&a.cutover, &a.site).cmp(&(&b.cutover, &b.site)));
    Weekly {
        as_of: rfc3339(now),
        since: rfc3339(since),
        today: day(now.to_offset(time::UtcOffset::UTC).date()),
        sites,
    }
}

/// One site's part of the weekly report.
pub fn site(mut f: WeeklyFacts, now: OffsetDateTime, since: OffsetDateTime) -> WeeklySite {
    for r in [&mut f.now, &mut f.then].into_iter().flatten() {
        *r = lanready_gate::waivers::apply(r, &f.waivers).report;
    }
    let today: Date = now.to_offset(time::UtcOffset::UTC).date();
    let horizon = today + time::Duration::days(EXPIRING_WITHIN_DAYS);
    let since_text = rfc3339(since);
    let (days_left, phase) = days_left(today, f.entry.cutover);
    let (b_now, b_then) = (
        f.now.as_ref().map(blockers).unwrap_or_default(),
        f.then.as_ref().map(blockers).unwrap_or_default(),
    );
    let waivers_added = f
        .waivers
        .iter()
        .filter(|w| w.created_at >= since_text)
        .cloned()
        .collect();
    let waivers_expiring = f
        .waivers
        .iter()
        .filter(|w| {
            w.state == lanready_schema::programme::WaiverState::InForce
                && w.expires.as_str() <= day(horizon).as_str()
        })
        .cloned()
        .collect();
    let since_day = day(since.to_offset(time::UtcOffset::UTC).date());
    let waivers_ended = f
        .waivers
        .iter()
        .filter(|w| match w.state {
            lanready_schema::programme::WaiverState::Revoked => w
                .revoked_at
                .as_deref()
                .is_some_and(|at| at >= since_text.as_str()),
            lanready_schema::programme::WaiverState::Expired => {
                w.expires.as_str() > since_day.as_str()
            }
            _ => false,
        })
        .cloned()
        .collect();
    WeeklySite {
        wave: f.entry.wave,
        extensions: f.entry.extensions,
        waivers_ended,
        site: f.entry.site.clone(),
        cutover: day(f.entry.cutover),
        days_left,
        phase,
        owner: f.entry.owner.clone(),
        verdict: f.now.as_ref().map(|r| r.verdict),
        verdict_then: f.then.as_ref().map(|r| r.verdict),
        blockers: f.now.as_ref().map(|r| r.counts.blockers),
        closed: b_then.difference(&b_now).cloned().collect(),
        // With no report at the start, every blocker is new in the period.
        new: b_now.difference(&b_then).cloned().collect(),
        waivers_added,
        waivers_expiring,
        regressions: f.regressions,
        actions: f.now.as_ref().map(actions).unwrap_or_default(),
    }
}

fn verdict(v: Option<Verdict>) -> &'static str {
    v.map_or("no scan", Verdict::as_str)
}

fn when(s: &WeeklySite) -> String {
    match s.days_left {
        0 => "cutover today".into(),
        d if d > 0 => format!("{d} day(s) to cutover"),
        d => format!("cut over {} day(s) ago", -d),
    }
}

fn place(k: &BlockerKey) -> String {
    match &k.2 {
        Some(p) => format!("{} on {} {p}", k.0, k.1),
        None => format!("{} on {}", k.0, k.1),
    }
}

fn waiver_line(w: &Waiver) -> String {
    format!(
        "#{} {} on {}{}, by {}, until {}: {}",
        w.id,
        w.check,
        w.switch.as_deref().unwrap_or("every switch"),
        w.port
            .as_deref()
            .map(|p| format!(", ports {p}"))
            .unwrap_or_default(),
        w.by,
        w.expires,
        w.reason
    )
}

fn regression_line(r: &RegressionDoc) -> String {
    let what = match (&r.check, &r.switch) {
        (Some(c), Some(sw)) => format!(
            "{c} on {sw}{} now fails: {}",
            r.port
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default(),
            r.now
        ),
        _ => format!("verdict {} -> {}", r.was, r.now),
    };
    let incident = if r.incident { "INCIDENT: " } else { "" };
    format!(
        "{incident}{what} (report {}, was {})",
        r.report_id, r.previous_id
    )
}

/// A site's lists in the order they are written: its regressions (unless they are written
/// apart), blockers closed and new, waivers added and expiring.
fn lists(s: &WeeklySite, with_regressions: bool) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    if with_regressions {
        out.push((
            "Regressions",
            s.regressions.iter().map(regression_line).collect(),
        ));
    }
    out.push(("Blockers closed", s.closed.iter().map(place).collect()));
    out.push(("New blockers", s.new.iter().map(place).collect()));
    out.push((
        "Waivers added",
        s.waivers_added.iter().map(waiver_line).collect(),
    ));
    out.push((
        "Waivers expiring",
        s.waivers_expiring.iter().map(waiver_line).collect(),
    ));
    out.push((
        "Waivers ended (their findings count again)",
        s.waivers_ended.iter().map(ended_line).collect(),
    ));
    out
}

fn ended_line(w: &Waiver) -> String {
    let how = match (&w.revoked_at, &w.revoked_by) {
        (Some(at), by) => format!(
            "revoked {} by {}",
            at.get(..10).unwrap_or(at),
            by.as_deref().unwrap_or("?")
        ),
        (None, _) => format!("expired {}", w.expires),
    };
    format!("{} ({how})", waiver_line(w))
}

/// "Wave 1, 300 extensions. " from the calendar, or nothing.
fn wave_text(s: &WeeklySite) -> String {
    let mut parts = Vec::new();
    if let Some(w) = s.wave {
        parts.push(format!("Wave {w}"));
    }
    if let Some(e) = s.extensions {
        parts.push(format!("{e} extensions"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}. ", parts.join(", "))
    }
}

/// The report as Markdown.
pub fn markdown(w: &Weekly) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# lanready weekly report, {}", w.today);
    let _ = writeln!(
        o,
        "\nFrom {} to {}, sites in cutover order.\n",
        w.since, w.as_of
    );
    let _ = writeln!(
        o,
        "| site | cutover | when | owner | verdict now | at the start | blockers | closed | new | regressions |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for s in &w.sites {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&s.site),
            s.cutover,
            when(s),
            md(s.owner.as_deref().unwrap_or("-")),
            verdict(s.verdict),
            verdict(s.verdict_then),
            s.blockers.map_or("-".into(), |b| b.to_string()),
            s.closed.len(),
            s.new.len(),
            s.regressions.len()
        );
    }
    for s in &w.sites {
        let _ = writeln!(
            o,
            "\n## {} (cutover {}, {})",
            md(&s.site),
            s.cutover,
            when(s)
        );
        let _ = writeln!(
            o,
            "\n{}Owner: {}. Verdict {} (at the start: {}).",
            wave_text(s),
            md(s.owner.as_deref().unwrap_or("none named")),
            verdict(s.verdict),
            verdict(s.verdict_then)
        );
        let lists = lists(s, true);
        for (title, items) in lists {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(o, "\n### {title} ({})\n", items.len());
            for i in items {
                let _ = writeln!(o, "- {}", md(&i));
            }
        }
        if !s.actions.is_empty() {
            let _ = writeln!(o, "\n### Action points\n");
            for a in &s.actions {
                let _ = writeln!(
                    o,
                    "- **{}**: {} on {}",
                    a.check,
                    words::count(a.ports as u64, "port", "ports"),
                    words::count(a.switches as u64, "switch", "switches")
                );
                if let (Some(fix), Some(port)) = (&a.fix, &a.fix_for) {
                    let _ = writeln!(
                        o,
                        "\n  The fix, as for {} (each port takes the same lines):\n\n  ```\n{}\n  ```",
                        md(port),
                        fix.lines()
                            .map(|l| format!("  {l}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
        }
    }
    o
}

/// Markdown table cells: a `|` would end the cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn h(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The report as one self-contained HTML page (no scripts, no external resources), laid out
/// for printing: each site starts a new page.
pub fn html(w: &Weekly) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>lanready weekly report, {}</title>",
        h(&w.today)
    );
    o.push_str(
        "<style>\nbody{font:11pt/1.4 system-ui,sans-serif;margin:2em;color:#111}\n\
         table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}\n\
         th{background:#eee}.not_ready{color:#a00;font-weight:bold}.at_risk{color:#a60}.ready{color:#070}\n\
         .incident{color:#a00;font-weight:bold}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}\n\
         section{margin-top:2em}@media print{body{margin:0}section{break-before:page}pre{border:1px solid #ccc}}\n\
         </style></head><body>\n",
    );
    let _ = writeln!(o, "<h1>lanready weekly report, {}</h1>", h(&w.today));
    let _ = writeln!(
        o,
        "<p>From {} to {}, sites in cutover order.</p>",
        h(&w.since),
        h(&w.as_of)
    );
    o.push_str("<table><thead><tr><th>site</th><th>cutover</th><th>when</th><th>owner</th><th>verdict now</th><th>at the start</th><th>blockers</th><th>closed</th><th>new</th><th>regressions</th></tr></thead><tbody>\n");
    let cls = |v: Option<Verdict>| v.map_or("", Verdict::as_str);
    for s in &w.sites {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&s.site),
            h(&s.cutover),
            h(&when(s)),
            h(s.owner.as_deref().unwrap_or("-")),
            cls(s.verdict),
            verdict(s.verdict),
            cls(s.verdict_then),
            verdict(s.verdict_then),
            s.blockers.map_or("-".into(), |b| b.to_string()),
            s.closed.len(),
            s.new.len(),
            s.regressions.len()
        );
    }
    o.push_str("</tbody></table>\n");
    for s in &w.sites {
        let _ = writeln!(
            o,
            "<section><h2>{} <small>(cutover {}, {})</small></h2>",
            h(&s.site),
            h(&s.cutover),
            h(&when(s))
        );
        let _ = writeln!(
            o,
            "<p>{}Owner: {}. Verdict <span class=\"{}\">{}</span> (at the start: {}).</p>",
            h(&wave_text(s)),
            h(s.owner.as_deref().unwrap_or("none named")),
            cls(s.verdict),
            verdict(s.verdict),
            verdict(s.verdict_then)
        );
        if !s.regressions.is_empty() {
            let _ = writeln!(o, "<h3>Regressions ({})</h3><ul>", s.regressions.len());
            for r in &s.regressions {
                let c = if r.incident {
                    " class=\"incident\""
                } else {
                    ""
                };
                let _ = writeln!(o, "<li{c}>{}</li>", h(&regression_line(r)));
            }
            o.push_str("</ul>\n");
        }
        let lists = lists(s, false);
        for (title, items) in lists {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(o, "<h3>{title} ({})</h3><ul>", items.len());
            for i in items {
                let _ = writeln!(o, "<li>{}</li>", h(&i));
            }
            o.push_str("</ul>\n");
        }
        if !s.actions.is_empty() {
            o.push_str("<h3>Action points</h3><table><thead><tr><th>check</th><th>ports</th><th>switches</th><th>fix</th></tr></thead><tbody>\n");
            for a in &s.actions {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    h(&a.check),
                    a.ports,
                    a.switches,
                    match (&a.fix, &a.fix_for) {
                        (Some(f), Some(p)) => format!(
                            "as for {} (each port takes the same lines):<pre>{}</pre>",
                            h(p),
                            h(f)
                        ),
                        _ => String::new(),
                    }
                );
            }
            o.push_str("</tbody></table>\n");
        }
        o.push_str("</section>\n");
    }
    o.push_str("</body></html>\n");
    o
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn c(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV: a row per action point (a site without one has one row, its action
/// fields empty), for a spreadsheet.
pub fn csv(w: &Weekly) -> String {
    let mut o = String::from(
        "site,cutover,wave,extensions,days_left,owner,verdict,verdict_at_start,blockers,blockers_closed,blockers_new,regressions,incidents,waivers_added,waivers_expiring,waivers_ended,action_check,action_ports,action_switches,action_fix_for,action_fix\n",
    );
    for s in &w.sites {
        let head = [
            c(&s.site),
            s.cutover.clone(),
            s.wave.map_or(String::new(), |w| w.to_string()),
            s.extensions.map_or(String::new(), |e| e.to_string()),
            s.days_left.to_string(),
            c(s.owner.as_deref().unwrap_or("")),
            verdict(s.verdict).to_string(),
            verdict(s.verdict_then).to_string(),
            s.blockers.map_or(String::new(), |b| b.to_string()),
            s.closed.len().to_string(),
            s.new.len().to_string(),
            s.regressions.len().to_string(),
            s.regressions
                .iter()
                .filter(|r| r.incident)
                .count()
                .to_string(),
            s.waivers_added.len().to_string(),
            s.waivers_expiring.len().to_string(),
            s.waivers_ended.len().to_string(),
        ]
        .join(",");
        if s.actions.is_empty() {
            let _ = writeln!(o, "{head},,,,,");
        }
        for a in &s.actions {
            let _ = writeln!(
                o,
                "{head},{},{},{},{},{}",
                c(&a.check),
                a.ports,
                a.switches,
                c(a.fix_for.as_deref().unwrap_or("")),
                c(a.fix.as_deref().unwrap_or(""))
            );
        }
    }
    o
}
