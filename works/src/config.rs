//! The merged fix configuration of a report, one IOS block per switch: what `gate --config`
//! writes and the collector serves for download.

use std::fmt::Write as _;

use lanready_schema::{Finding, Report, Severity, Status};

/// The IOS configuration that fixes a report's failed blockers and warnings, per switch:
/// comments (advice) first, once each; then global blocks (a command with its indented
/// sub-mode lines: `vlan 110` / ` name VOICE`, a class-map, a policy-map), once each; then one
/// `interface` block per interface in port order with every fix's lines for it. Every line is
/// checked against the commands the switch's platform family accepts
/// ([`crate::remediation::invalid_lines`]); a line it does not know is written as a comment
/// instead. For an engineer to review and apply; lines starting with `!` are comments.
pub fn merged_config(report: &Report) -> String {
    let mut out = String::new();
    for switch in switches(report) {
        if let Some(text) = switch_config(report, switch) {
            out.push_str(&text);
        }
    }
    out
}

/// The report's switches in its order, then any a finding names that the list lacks.
pub fn switches(report: &Report) -> Vec<&str> {
    let mut switches: Vec<&str> = report.switches.iter().map(|s| s.address.as_str()).collect();
    for f in &report.findings {
        if !switches.contains(&f.switch.as_str()) {
            switches.push(&f.switch);
        }
    }
    switches
}

/// The findings whose fixes the configuration carries: failed blockers and warnings with a
/// remediation.
pub fn fixes<'a>(report: &'a Report, switch: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.switch == switch && f.status == Status::Fail && f.severity != Severity::Info)
        .filter(|f| f.remediation.is_some())
        .collect()
}

/// One switch's block of [`merged_config`], or None when it has nothing to fix.
pub fn switch_config(report: &Report, switch: &str) -> Option<String> {
    switch_text(report, switch, true)
}

/// [`switch_config`] with one `interface` block per interface, never a range: what the bill
/// of works counts interfaces and lines on.
pub fn switch_config_by_interface(report: &Report, switch: &str) -> Option<String> {
    switch_text(report, switch, false)
}

fn switch_text(report: &Report, switch: &str, group: bool) -> Option<String> {
    let mut out = String::new();
    {
        let fixes = fixes(report, switch);
        if fixes.is_empty() {
            return None;
        }
        let mut comments: Vec<&str> = Vec::new();
        let mut globals: Vec<Vec<&str>> = Vec::new();
        let mut interfaces: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in &fixes {
            let text = f.remediation.as_deref().unwrap_or("");
            // Blocks: a column-0 line and the indented lines after it.
            let mut blocks: Vec<Vec<&str>> = Vec::new();
            for l in text.lines() {
                if l.trim().is_empty() {
                    continue;
                }
                if l.starts_with('!') {
                    if !comments.contains(&l) {
                        comments.push(l);
                    }
                } else if l.starts_with(' ') {
                    match blocks.last_mut() {
                        Some(b) => b.push(l),
                        None => blocks.push(vec![l]),
                    }
                } else {
                    blocks.push(vec![l]);
                }
            }
            for b in blocks {
                if b[0].starts_with("interface ") {
                    let at = match interfaces.iter().position(|(k, _)| *k == b[0]) {
                        Some(i) => i,
                        None => {
                            interfaces.push((b[0], Vec::new()));
                            interfaces.len() - 1
                        }
                    };
                    for l in &b[1..] {
                        if !interfaces[at].1.contains(l) {
                            interfaces[at].1.push(l);
                        }
                    }
                } else if !globals.contains(&b) {
                    globals.push(b);
                }
            }
        }
        interfaces.sort_by(|a, b| lanready_schema::ports::natural_cmp(a.0, b.0));
        let result = report.switches.iter().find(|s| s.address == switch);
        let name = result
            .and_then(|s| s.name.as_deref())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let mut body = String::new();
        for g in &globals {
            body.push_str("!\n");
            for l in g {
                body.push_str(l);
                body.push('\n');
            }
        }
        if !interfaces.is_empty() {
            body.push_str("!\n");
        }
        let blocks = if group {
            ranges(&interfaces)
        } else {
            interfaces
                .iter()
                .map(|(h, l)| (vec![h.to_string()], l.clone()))
                .collect()
        };
        for (heads, lines) in blocks {
            for head in heads {
                body.push_str(&head);
                body.push('\n');
                for l in &lines {
                    body.push_str(l);
                    body.push('\n');
                }
            }
        }
        // Lines the platform does not accept are not written.
        let platform = result.and_then(|s| s.platform.clone()).unwrap_or_default();
        let bad = crate::remediation::invalid_lines(&platform, &body);
        let mut checked = String::new();
        for (n, l) in body.lines().enumerate() {
            match bad.iter().find(|(k, ..)| *k == n + 1) {
                Some((_, _, why)) => {
                    checked.push_str(&format!("! (not written: `{}`: {why})\n", l.trim()))
                }
                None => {
                    checked.push_str(l);
                    checked.push('\n');
                }
            }
        }
        let _ = writeln!(
            out,
            "! lanready: fixes for {switch}{name}, site {}, report {}\n! {} finding(s); review before applying.",
            report.site,
            report.id,
            fixes.len()
        );
        for c in comments {
            let _ = writeln!(out, "{c}");
        }
        out.push_str(&checked);
        let _ = writeln!(out, "end\n");
    }
    Some(out)
}

/// Interface blocks (in port order) merged where interfaces of one type (`Gi`, `Te`, `Po`)
/// carry the same lines: the heads selecting each set (`interface range ...`, see
/// [`lanready_schema::ports::interface_heads`]) with their lines, in the order of each set's
/// first port. A head that is not `interface NAME` stays alone.
pub fn ranges<'a>(interfaces: &[(&'a str, Vec<&'a str>)]) -> Vec<(Vec<String>, Vec<&'a str>)> {
    let kind = |port: &str| -> String {
        port.chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .collect()
    };
    let mut sets: Vec<(Option<String>, Vec<&str>, Vec<&'a str>)> = Vec::new();
    for (head, lines) in interfaces {
        let port = head
            .strip_prefix("interface ")
            .filter(|p| crate::remediation::is_interface_name(p));
        let Some(port) = port else {
            sets.push((None, vec![head], lines.clone()));
            continue;
        };
        let k = kind(port);
        match sets
            .iter_mut()
            .find(|(sk, _, sl)| sk.as_deref() == Some(k.as_str()) && sl == lines)
        {
            Some((_, ports, _)) => ports.push(port),
            None => sets.push((Some(k), vec![port], lines.clone())),
        }
    }
    sets.into_iter()
        .map(|(k, names, lines)| match k {
            Some(_) => (lanready_schema::ports::interface_heads(&names), lines),
            None => (names.iter().map(|h| h.to_string()).collect(), lines),
        })
        .collect()
}
