//! The gate's JUnit XML: a suite for the site's own questions (verdict, freshness, minimum
//! score), then a suite per switch with a case per check on it. A case fails exactly when
//! it is a reason the gate fails ([`crate::fails`], [`crate::decide`]); unknowns are skipped
//! with their reason; anything else passes, with what was found in `<system-out>`.

use lanready_schema::{Finding, Report, Status};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::text::write_finding;
use crate::waivers::{Waived, describe};
use crate::{Criteria, Decision, Freshness, SiteCase, fails};

/// One `<testcase>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub classname: String,
    pub outcome: Outcome,
    /// The findings in words, for the failure's body or `<system-out>`.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// `kind`: `blocker`, `warning` (with --strict), or the site case's name.
    Failure {
        message: String,
        kind: String,
    },
    Skipped {
        message: String,
    },
}

/// One `<testsuite>`: the site's cases, or one switch's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
}

impl Suite {
    fn count(&self, what: fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| what(&c.outcome)).count()
    }
}

fn failed(o: &Outcome) -> bool {
    matches!(o, Outcome::Failure { .. })
}

fn skipped(o: &Outcome) -> bool {
    matches!(o, Outcome::Skipped { .. })
}

/// The suites the gate writes for this report and decision, in order: the site's, then
/// each switch's in report order (a switch only findings name comes after those listed).
pub fn suites(
    report: &Report,
    freshness: Option<&Freshness>,
    c: &Criteria,
    decision: &Decision,
    waived: &[Waived],
) -> Vec<Suite> {
    let class = format!("lanready.{}", report.site);
    let mut site_cases = vec![SiteCase::Verdict];
    if freshness.is_some() {
        site_cases.push(SiteCase::Freshness);
    }
    if c.min_score.is_some() {
        site_cases.push(SiteCase::MinScore);
    }
    let site = Suite {
        name: format!("site {}", report.site),
        cases: site_cases
            .into_iter()
            .map(|case| {
                let why: Vec<&str> = decision
                    .reasons
                    .iter()
                    .filter(|r| r.case == case)
                    .map(|r| r.text.as_str())
                    .collect();
                let text = why.join("\n");
                Case {
                    name: case.name().into(),
                    classname: class.clone(),
                    outcome: if why.is_empty() {
                        Outcome::Pass
                    } else {
                        Outcome::Failure {
                            message: why.join("; "),
                            kind: case.name().into(),
                        }
                    },
                    text,
                }
            })
            .collect(),
    };
    let mut switches: Vec<&str> = report.switches.iter().map(|s| s.address.as_str()).collect();
    for f in &report.findings {
        if !switches.contains(&f.switch.as_str()) {
            switches.push(&f.switch);
        }
    }
    let mut out = vec![site];
    for switch in switches {
        // The checks in the order the report first names them on this switch.
        let mut checks: Vec<(&str, Vec<&Finding>)> = Vec::new();
        for f in report.findings.iter().filter(|f| f.switch == switch) {
            match checks.iter_mut().find(|(k, _)| *k == f.check) {
                Some((_, v)) => v.push(f),
                None => checks.push((&f.check, vec![f])),
            }
        }
        if checks.is_empty() {
            continue;
        }
        let name = report
            .switches
            .iter()
            .find(|s| s.address == switch)
            .and_then(|s| s.name.as_deref())
            .map_or_else(|| switch.to_string(), |n| format!("{switch} ({n})"));
        let cases = checks
            .into_iter()
            .map(|(check, fs)| {
                let mut case = check_case(&class, switch, check, &fs, c.strict);
                for w in waived
                    .iter()
                    .filter(|w| w.finding.switch == switch && w.finding.check == check)
                {
                    write_finding(&mut case.text, &w.finding, true);
                    case.text
                        .push_str(&format!("      waived: {}\n", describe(&w.waiver)));
                }
                case
            })
            .collect();
        out.push(Suite { name, cases });
    }
    out
}

fn check_case(class: &str, switch: &str, check: &str, fs: &[&Finding], strict: bool) -> Case {
    let mut text = String::new();
    for f in fs {
        write_finding(&mut text, f, false);
    }
    let failing: Vec<&&Finding> = fs.iter().filter(|f| fails(f, strict)).collect();
    let outcome = if let Some(first) = failing.first() {
        let blocker = failing
            .iter()
            .any(|f| f.severity == lanready_schema::Severity::Blocker);
        Outcome::Failure {
            message: match failing.len() {
                1 => first.message.clone(),
                n => format!("{n} findings, first: {}", first.message),
            },
            kind: if blocker { "blocker" } else { "warning" }.into(),
        }
    } else if let Some(u) = fs.iter().find(|f| f.status == Status::Unknown) {
        Outcome::Skipped {
            message: u.message.clone(),
        }
    } else {
        Outcome::Pass
    };
    Case {
        name: check.into(),
        classname: format!("{class}.{switch}"),
        outcome,
        text,
    }
}

/// The JUnit XML of [`suites`].
pub fn render(report: &Report, suites: &[Suite]) -> Result<String, std::io::Error> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let total = |what: fn(&Outcome) -> bool| {
        suites
            .iter()
            .map(|s| s.count(what))
            .sum::<usize>()
            .to_string()
    };
    let mut root = BytesStart::new("testsuites");
    let root_name = format!("lanready {}", report.site);
    root.push_attribute(("name", root_name.as_str()));
    root.push_attribute(("tests", total(|_| true).as_str()));
    root.push_attribute(("failures", total(failed).as_str()));
    root.push_attribute(("skipped", total(skipped).as_str()));
    root.push_attribute(("timestamp", report.generated_at.as_str()));
    w.write_event(Event::Start(root))?;
    for s in suites {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", s.name.as_str()));
        suite.push_attribute(("tests", s.cases.len().to_string().as_str()));
        suite.push_attribute(("failures", s.count(failed).to_string().as_str()));
        suite.push_attribute(("errors", "0"));
        suite.push_attribute(("skipped", s.count(skipped).to_string().as_str()));
        suite.push_attribute(("timestamp", report.generated_at.as_str()));
        w.write_event(Event::Start(suite))?;
        for c in &s.cases {
            write_case(&mut w, c)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut s = String::from_utf8(w.into_inner())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    s.push('\n');
    Ok(s)
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &Case) -> Result<(), std::io::Error> {
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("name", c.name.as_str()));
    case.push_attribute(("classname", c.classname.as_str()));
    w.write_event(Event::Start(case))?;
    match &c.outcome {
        Outcome::Failure { message, kind } => {
            let mut e = BytesStart::new("failure");
            e.push_attribute(("message", message.as_str()));
            e.push_attribute(("type", kind.as_str()));
            w.write_event(Event::Start(e))?;
            w.write_event(Event::Text(BytesText::new(&c.text)))?;
            w.write_event(Event::End(BytesEnd::new("failure")))?;
        }
        Outcome::Skipped { message } => {
            let mut e = BytesStart::new("skipped");
            e.push_attribute(("message", message.as_str()));
            w.write_event(Event::Empty(e))?;
        }
        Outcome::Pass => {}
    }
    if !matches!(c.outcome, Outcome::Failure { .. }) && !c.text.is_empty() {
        w.write_event(Event::Start(BytesStart::new("system-out")))?;
        w.write_event(Event::Text(BytesText::new(&c.text)))?;
        w.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))?;
    Ok(())
}

/// The gate's JUnit XML for this report: [`suites`] written out.
pub fn junit(
    report: &Report,
    freshness: Option<&Freshness>,
    c: &Criteria,
    decision: &Decision,
    waived: &[Waived],
) -> Result<String, std::io::Error> {
    render(report, &suites(report, freshness, c, decision, waived))
}
