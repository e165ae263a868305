//! The bill of works as CSV (one table: hardware lines, then each switch's configuration
//! and its interfaces, then what to verify) and as Markdown for a project call. JSON is the
//! document itself.

pub(crate) use lanready_schema::words::count;
use std::fmt::Write as _;

use lanready_schema::works::{EstateWorks, HardwareLine, Works};

const CSV_HEAD: &str = "section,site,switch,switch_name,item,pool,member,interface,quantity,short_w,sockets,lines,checks,window,reason,evidence";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// One CSV row, padded to the header's columns (only hardware rows have evidence).
fn row(out: &mut String, cells: &[String]) {
    let columns = CSV_HEAD.split(',').count();
    let mut line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    line.resize(columns.max(line.len()), String::new());
    out.push_str(&line.join(","));
    out.push('\n');
}

/// What was read that the line stands on: `object = value; ...`.
fn evidence_text(h: &HardwareLine) -> String {
    h.evidence
        .iter()
        .map(|e| format!("{} = {}", e.object, e.value))
        .collect::<Vec<_>>()
        .join("; ")
}

fn options_text(h: &HardwareLine) -> String {
    h.options
        .iter()
        .map(|o| format!("{} {} ({} W)", o.action, o.model, o.rated_w))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn csv(w: &Works) -> String {
    let mut out = format!("{CSV_HEAD}\n");
    for h in &w.hardware {
        let mut reason = h.reason.clone();
        if !h.options.is_empty() {
            reason.push_str(&format!(" [options: {}]", options_text(h)));
        }
        row(
            &mut out,
            &[
                "hardware".into(),
                w.site.clone(),
                h.switch.clone(),
                opt(h.switch_name.clone()),
                h.item.clone(),
                opt(h.pool.clone()),
                opt(h.member),
                String::new(),
                opt(h.quantity),
                opt(h.short_w),
                opt(h.sockets),
                String::new(),
                h.check.clone(),
                String::new(),
                reason,
                evidence_text(h),
            ],
        );
    }
    for c in &w.configuration {
        row(
            &mut out,
            &[
                "configuration".into(),
                w.site.clone(),
                c.switch.clone(),
                opt(c.switch_name.clone()),
                "switch".into(),
                String::new(),
                String::new(),
                String::new(),
                c.interfaces.len().to_string(),
                String::new(),
                String::new(),
                c.lines.to_string(),
                c.checks.join(" "),
                if c.window { "yes" } else { "no" }.into(),
                c.replacement
                    .iter()
                    .chain(&c.window_reasons)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
            ],
        );
        for g in &c.global {
            row(
                &mut out,
                &[
                    "configuration".into(),
                    w.site.clone(),
                    c.switch.clone(),
                    opt(c.switch_name.clone()),
                    "global".into(),
                    String::new(),
                    String::new(),
                    g.head.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    g.lines.to_string(),
                    g.checks.join(" "),
                    if g.window { "yes" } else { "no" }.into(),
                    String::new(),
                ],
            );
        }
        for i in &c.interfaces {
            row(
                &mut out,
                &[
                    "configuration".into(),
                    w.site.clone(),
                    c.switch.clone(),
                    opt(c.switch_name.clone()),
                    "interface".into(),
                    String::new(),
                    String::new(),
                    i.interface.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    i.lines.to_string(),
                    i.checks.join(" "),
                    if i.window { "yes" } else { "no" }.into(),
                    i.role
                        .map(|r| r.name().to_string())
                        .unwrap_or_else(|| "role unknown".into()),
                ],
            );
        }
    }
    for v in &w.verify {
        row(
            &mut out,
            &[
                "verify".into(),
                w.site.clone(),
                v.switch.clone(),
                String::new(),
                v.check.clone(),
                String::new(),
                String::new(),
                String::new(),
                v.findings.to_string(),
                String::new(),
                String::new(),
                String::new(),
                v.check.clone(),
                String::new(),
                v.what.clone(),
            ],
        );
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(w: &Works) -> String {
    let t = &w.totals;
    let mut out = format!(
        "# Bill of works: {}\n\nFrom report `{}` of {}; PoE counted at the plan's {}% headroom.\n\n",
        w.site, w.report_id, w.generated_at, w.poe_headroom_pct
    );
    let _ = writeln!(
        out,
        "**Totals:** {} of {} to touch; {}, {} and {} to buy; {} to cable for StackPower; {} whose quantity only a person can say; {} and {} on {}, {} of them in a maintenance window; {} to verify by hand.\n",
        t.switches_to_touch,
        count(t.switches, "switch", "switches"),
        count(t.supplies_to_buy, "power supply", "power supplies"),
        count(t.line_cards_to_buy, "PoE line card", "PoE line cards"),
        count(t.switches_to_replace, "switch", "switches"),
        count(t.stack_power, "stack", "stacks"),
        count(t.hardware_unknown, "hardware line", "hardware lines"),
        count(t.interfaces_to_configure, "interface", "interfaces"),
        count(t.lines, "configuration line", "configuration lines"),
        count(w.configuration.len() as u32, "switch", "switches"),
        t.windows,
        count(t.verify, "thing", "things")
    );
    out.push_str("## Hardware\n\n");
    if w.hardware.is_empty() {
        out.push_str("Nothing to buy.\n\n");
    } else {
        out.push_str("| switch | item | where | quantity | short | options | why | read |\n|---|---|---|---|---|---|---|---|\n");
        for h in &w.hardware {
            let place = match (&h.pool, h.member) {
                (Some(p), _) => p.clone(),
                (None, Some(m)) => format!("member {m}"),
                _ => match h.item.as_str() {
                    "stack_power" => "the stack".into(),
                    "poe_line_card" | "chassis_power" => "the chassis".into(),
                    _ => "the switch".into(),
                },
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md_cell(&name(&h.switch, h.switch_name.as_deref())),
                h.item,
                place,
                h.quantity
                    .map(|q| q.to_string())
                    .unwrap_or_else(|| "verify".into()),
                h.short_w
                    .map(|s| format!("{s} W"))
                    .unwrap_or_else(|| "-".into()),
                md_cell(&if h.options.is_empty() {
                    "-".into()
                } else {
                    options_text(h)
                }),
                md_cell(&h.reason),
                md_cell(&if h.evidence.is_empty() {
                    "-".into()
                } else {
                    evidence_text(h)
                })
            );
        }
        out.push('\n');
    }
    out.push_str("## Configuration\n\n");
    if w.configuration.is_empty() {
        out.push_str("Nothing to configure.\n\n");
    }
    for c in &w.configuration {
        let _ = writeln!(
            out,
            "### {}{}\n\n{}, {}; fixes {}. Window: {}.{}\n",
            name(&c.switch, c.switch_name.as_deref()),
            c.model
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default(),
            count(c.interfaces.len() as u32, "interface", "interfaces"),
            count(c.lines, "line", "lines"),
            if c.checks.is_empty() {
                "no check by itself (advice only)".to_string()
            } else {
                c.checks.join(", ")
            },
            if c.window { "**yes**" } else { "no" },
            if c.not_written > 0 {
                format!(
                    " {} the platform does not accept {} left out as comments.",
                    count(c.not_written, "line", "lines"),
                    if c.not_written == 1 { "is" } else { "are" }
                )
            } else {
                String::new()
            }
        );
        if let Some(r) = &c.replacement {
            let _ = writeln!(out, "**For the replacement:** {}.\n", md_cell(r));
        }
        for r in &c.window_reasons {
            let _ = writeln!(out, "- {r}");
        }
        if !c.window_reasons.is_empty() {
            out.push('\n');
        }
        if !c.global.is_empty() || !c.interfaces.is_empty() {
            out.push_str("| change | role | lines | checks | window |\n|---|---|---|---|---|\n");
        }
        for g in &c.global {
            let _ = writeln!(
                out,
                "| `{}` | global | {} | {} | {} |",
                md_cell(&g.head),
                g.lines,
                g.checks.join(", "),
                if g.window { "yes" } else { "no" }
            );
        }
        for i in &c.interfaces {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                i.interface,
                i.role.map(|r| r.name()).unwrap_or("unknown"),
                i.lines,
                i.checks.join(", "),
                if i.window { "yes" } else { "no" }
            );
        }
        out.push('\n');
    }
    out.push_str("## Verify by hand\n\n");
    if w.verify.is_empty() {
        out.push_str("Nothing: every figure above was read.\n");
    } else {
        for v in &w.verify {
            let _ = writeln!(
                out,
                "- {} `{}` ({}): {}",
                v.switch,
                v.check,
                count(v.findings, "finding", "findings"),
                md_cell(&v.what)
            );
        }
    }
    out
}

/// `1 stack`, `3 stacks`, `0 stacks`.
fn name(address: &str, n: Option<&str>) -> String {
    match n {
        Some(n) => format!("{n} ({address})"),
        None => address.to_string(),
    }
}

/// The estate as CSV: a row per site with its totals, then the estate's.
pub fn estate_csv(e: &EstateWorks) -> String {
    let mut out = String::from(
        "site,report_id,switches,switches_to_touch,supplies_to_buy,line_cards_to_buy,switches_to_replace,stack_power,hardware_unknown,interfaces_to_configure,lines,windows,verify\n",
    );
    let mut put = |site: &str, id: &str, t: &lanready_schema::works::WorksTotals| {
        row(
            &mut out,
            &[
                site.into(),
                id.into(),
                t.switches.to_string(),
                t.switches_to_touch.to_string(),
                t.supplies_to_buy.to_string(),
                t.line_cards_to_buy.to_string(),
                t.switches_to_replace.to_string(),
                t.stack_power.to_string(),
                t.hardware_unknown.to_string(),
                t.interfaces_to_configure.to_string(),
                t.lines.to_string(),
                t.windows.to_string(),
                t.verify.to_string(),
            ],
        );
    };
    for s in &e.sites {
        put(&s.site, &s.report_id, &s.totals);
    }
    put("(estate)", "", &e.totals);
    out
}

/// The estate as Markdown.
pub fn estate_markdown(e: &EstateWorks) -> String {
    let mut out = format!(
        "# Bill of works: the estate\n\nAs of {}, from each site's latest report.\n\n| site | switches to touch | supplies | line cards | switches | StackPower | verify | interfaces | lines | windows |\n|---|---|---|---|---|---|---|---|---|---|\n",
        e.as_of
    );
    let mut put = |site: &str, t: &lanready_schema::works::WorksTotals| {
        let _ = writeln!(
            out,
            "| {} | {} of {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(site),
            t.switches_to_touch,
            t.switches,
            t.supplies_to_buy,
            t.line_cards_to_buy,
            t.switches_to_replace,
            t.stack_power,
            t.hardware_unknown + t.verify,
            t.interfaces_to_configure,
            t.lines,
            t.windows
        );
    };
    for s in &e.sites {
        put(&s.site, &s.totals);
    }
    put("**estate**", &e.totals);
    out
}
