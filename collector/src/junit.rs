//! The gate's JUnit XML: one test case per check and switch, plus site-level cases for the
//! verdict, freshness and minimum score, so a CI system shows what blocks a cutover.

use lanready_schema::{Finding, Severity, Status};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::view::SiteDetail;

/// One `<testcase>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub classname: String,
    pub outcome: Outcome,
    /// Extra text for `<system-out>` (passing warnings, evidence).
    pub output: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Failure { message: String, text: String },
    Skipped { message: String },
}

fn describe(f: &Finding) -> String {
    let mut s = format!(
        "{} {}: {}",
        f.port.as_deref().unwrap_or("(switch)"),
        f.check,
        f.message
    );
    for e in &f.evidence {
        s.push_str(&format!("\n    {} = {}", e.object, e.value));
    }
    if let Some(fix) = &f.remediation {
        s.push_str("\n    fix:");
        for l in fix.lines() {
            s.push_str("\n      ");
            s.push_str(l);
        }
    }
    s
}

/// Whether a finding fails the gate: failing blockers always, failing warnings when strict.
pub fn fails(f: &Finding, strict: bool) -> bool {
    f.status == Status::Fail
        && (f.severity == Severity::Blocker || (strict && f.severity == Severity::Warning))
}

/// The check-and-switch cases, in the order the report first names each pair.
pub fn check_cases(detail: &SiteDetail, strict: bool) -> Vec<Case> {
    let mut groups: Vec<((&str, &str), Vec<&Finding>)> = Vec::new();
    for f in &detail.findings {
        let key = (f.check.as_str(), f.switch.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => groups.push((key, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|((check, switch), findings)| {
            let switch_label = detail
                .switches
                .iter()
                .find(|s| s.address == switch)
                .and_then(|s| s.name.as_deref())
                .map_or_else(|| switch.to_string(), |n| format!("{n} ({switch})"));
            let failing: Vec<&&Finding> = findings.iter().filter(|f| fails(f, strict)).collect();
            let unknown: Vec<&&Finding> = findings
                .iter()
                .filter(|f| f.status == Status::Unknown)
                .collect();
            let soft: Vec<&&Finding> = findings
                .iter()
                .filter(|f| f.status == Status::Fail && !fails(f, strict))
                .collect();
            let outcome = if !failing.is_empty() {
                Outcome::Failure {
                    message: format!("{} failing on {}", failing.len(), switch_label),
                    text: failing
                        .iter()
                        .map(|f| describe(f))
                        .collect::<Vec<_>>()
                        .join("\n"),
                }
            } else if !unknown.is_empty() {
                Outcome::Skipped {
                    message: format!(
                        "could not be verified: {}",
                        unknown
                            .iter()
                            .map(|f| f.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                }
            } else {
                Outcome::Pass
            };
            let output = (!soft.is_empty()).then(|| {
                soft.iter()
                    .map(|f| describe(f))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Case {
                name: format!("{check} @ {switch_label}"),
                classname: format!("lanready.{}", detail.site),
                outcome,
                output,
            }
        })
        .collect()
}

/// Writes `<testsuites>` with one `<testsuite>` for the site.
pub fn render(site: &str, cases: &[Case]) -> Result<String, std::io::Error> {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = cases.len().to_string();
    let failures = failures.to_string();
    let skipped = skipped.to_string();
    let suite_name = format!("lanready gate: site {site}");
    w.create_element("testsuites")
        .with_attributes([
            ("name", "lanready"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("skipped", skipped.as_str()),
        ])
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attributes([
                    ("name", suite_name.as_str()),
                    ("tests", tests.as_str()),
                    ("failures", failures.as_str()),
                    ("errors", "0"),
                    ("skipped", skipped.as_str()),
                ])
                .write_inner_content(|w| {
                    for c in cases {
                        write_case(w, c)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    String::from_utf8(w.into_inner())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &Case) -> Result<(), std::io::Error> {
    let el = w.create_element("testcase").with_attributes([
        ("name", c.name.as_str()),
        ("classname", c.classname.as_str()),
    ]);
    if c.outcome == Outcome::Pass && c.output.is_none() {
        el.write_empty()?;
        return Ok(());
    }
    el.write_inner_content(|w| {
        match &c.outcome {
            Outcome::Pass => {}
            Outcome::Failure { message, text } => {
                w.create_element("failure")
                    .with_attributes([("message", message.as_str()), ("type", "not_ready")])
                    .write_text_content(BytesText::new(text))?;
            }
            Outcome::Skipped { message } => {
                w.create_element("skipped")
                    .with_attribute(("message", message.as_str()))
                    .write_empty()?;
            }
        }
        if let Some(out) = &c.output {
            w.create_element("system-out")
                .write_text_content(BytesText::new(out))?;
        }
        Ok(())
    })?;
    Ok(())
}
