//! `lanready-collector gate`: asks a collector whether a site may cut over. Exit 0 when the
//! latest report's verdict passes, it is fresh and its score is high enough; 1 when not;
//! 2 when the question cannot be answered (the caller maps `Err` to 2).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use lanready_schema::{Finding, Severity, Status, Verdict};

use crate::auth::Token;
use crate::junit::{self, Case, Outcome};
use crate::store::verdict_str;
use crate::validate;
use crate::view::{ErrorBody, SiteDetail};

/// What makes a site pass.
#[derive(Clone, Debug, Default)]
pub struct Criteria {
    pub min_score: Option<u8>,
    /// Fail when the latest scan is older than this (besides the collector's own stale flag).
    pub max_age: Option<Duration>,
    /// Fail an at_risk verdict and failing warnings too.
    pub strict: bool,
}

#[derive(Debug)]
pub struct GateOptions {
    /// The collector's base URL (`http://127.0.0.1:8080`).
    pub url: String,
    pub site: String,
    pub token: Token,
    pub criteria: Criteria,
    pub junit: Option<PathBuf>,
    /// Extra CA certificates (PEM) to trust for an https:// collector.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("site {site:?} is not a valid site name: {reason}")]
    BadSite { site: String, reason: String },
    #[error("collector URL {url:?} is not an http(s) URL")]
    BadUrl { url: String },
    #[error("asking {url} for site {site:?}")]
    Request {
        url: String,
        site: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the collector answered {status} for site {site:?}: {message}")]
    Status {
        status: u16,
        site: String,
        message: String,
    },
    #[error("reading the collector's answer for site {site:?}")]
    Decode {
        site: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("reading the CA file {path}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA file {path} holds no usable PEM certificate")]
    BadCa {
        path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("writing the JUnit file {path}")]
    Junit {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The gate's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub ready: bool,
    /// Why not, one sentence each; empty when ready.
    pub reasons: Vec<String>,
}

fn human(secs: u64) -> String {
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// Decides from the collector's view of the site.
pub fn judge(d: &SiteDetail, c: &Criteria) -> Judgement {
    let mut reasons = Vec::new();
    match d.verdict {
        Verdict::NotReady => reasons.push(format!(
            "verdict is not_ready ({} blocker(s))",
            d.counts.blockers
        )),
        Verdict::AtRisk if c.strict => reasons.push(format!(
            "verdict is at_risk ({} warning(s)) and --strict is set",
            d.counts.warnings
        )),
        _ => {}
    }
    if d.stale {
        reasons.push(format!(
            "the latest scan is stale: {} old, the collector expects one every {}",
            human(d.age_seconds as u64),
            human(d.stale_after_seconds)
        ));
    }
    if let Some(max) = c.max_age
        && d.age_seconds as u64 > max.as_secs()
    {
        reasons.push(format!(
            "the latest scan is {} old, more than --max-age {}",
            human(d.age_seconds as u64),
            human(max.as_secs())
        ));
    }
    if let Some(min) = c.min_score
        && d.score < min
    {
        reasons.push(format!("score {} is below --min-score {min}", d.score));
    }
    Judgement {
        ready: reasons.is_empty(),
        reasons,
    }
}

/// One switch's findings by port (None: the whole switch), in report order.
type SwitchGroup<'a> = (&'a str, Vec<(Option<&'a str>, Vec<&'a Finding>)>);

/// Findings grouped by switch, then port, each group in report order.
fn grouped<'a>(findings: impl Iterator<Item = &'a Finding>) -> Vec<SwitchGroup<'a>> {
    let mut out: Vec<SwitchGroup<'a>> = Vec::new();
    for f in findings {
        let idx = match out.iter().position(|(s, _)| *s == f.switch) {
            Some(i) => i,
            None => {
                out.push((&f.switch, Vec::new()));
                out.len() - 1
            }
        };
        let ports = &mut out[idx].1;
        match ports.iter_mut().find(|(p, _)| *p == f.port.as_deref()) {
            Some((_, v)) => v.push(f),
            None => ports.push((f.port.as_deref(), vec![f])),
        }
    }
    out
}

fn section(out: &mut String, d: &SiteDetail, title: &str, findings: Vec<&Finding>) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title} ({})", findings.len());
    for (switch, ports) in grouped(findings.into_iter()) {
        let name = d
            .switches
            .iter()
            .find(|s| s.address == switch)
            .and_then(|s| s.name.as_deref());
        match name {
            Some(n) => {
                let _ = writeln!(out, "  switch {n} ({switch})");
            }
            None => {
                let _ = writeln!(out, "  switch {switch}");
            }
        }
        for (port, fs) in ports {
            let _ = writeln!(out, "    {}", port.unwrap_or("(whole switch)"));
            for f in fs {
                let _ = writeln!(out, "      [{}] {}", f.check, f.message);
                if let Some(fix) = &f.remediation {
                    for l in fix.lines() {
                        let _ = writeln!(out, "        | {l}");
                    }
                }
            }
        }
    }
}

/// The gate's text: blockers first (grouped by switch and port), then warnings and
/// unverified checks, then the decision and its reasons.
pub fn render_text(d: &SiteDetail, c: &Criteria, j: &Judgement) -> String {
    let mut out = String::new();
    let pick = |sev: Severity, st: Status| -> Vec<&Finding> {
        d.findings
            .iter()
            .filter(|f| f.severity == sev && f.status == st)
            .collect()
    };
    section(
        &mut out,
        d,
        "BLOCKERS",
        pick(Severity::Blocker, Status::Fail),
    );
    section(
        &mut out,
        d,
        "WARNINGS",
        pick(Severity::Warning, Status::Fail),
    );
    let unknown: Vec<&Finding> = d
        .findings
        .iter()
        .filter(|f| f.status == Status::Unknown && f.severity != Severity::Info)
        .collect();
    section(&mut out, d, "NOT VERIFIED", unknown);
    let _ = writeln!(
        out,
        "site {}: {} (verdict {}, score {}{}, {} blocker(s), {} warning(s), last scan {} ({} ago), report {})",
        d.site,
        if j.ready { "READY" } else { "NOT READY" },
        verdict_str(d.verdict),
        d.score,
        c.min_score
            .map(|m| format!(" of min {m}"))
            .unwrap_or_default(),
        d.counts.blockers,
        d.counts.warnings,
        d.last_scan,
        human(d.age_seconds as u64),
        d.report_id,
    );
    for r in &j.reasons {
        let _ = writeln!(out, "  - {r}");
    }
    out
}

/// The JUnit cases: each check and switch, then the site-level verdict, freshness and score.
pub fn junit_cases(d: &SiteDetail, c: &Criteria) -> Vec<Case> {
    let mut cases = junit::check_cases(d, c.strict);
    let class = format!("lanready.{}", d.site);
    let site_case = |name: &str, failure: Option<String>| Case {
        name: name.into(),
        classname: class.clone(),
        outcome: match failure {
            None => Outcome::Pass,
            Some(m) => Outcome::Failure {
                text: m.clone(),
                message: m,
            },
        },
        output: None,
    };
    let j = judge(
        d,
        &Criteria {
            min_score: None,
            max_age: None,
            strict: c.strict,
        },
    );
    let verdict_failure = j.reasons.iter().find(|r| r.starts_with("verdict")).cloned();
    cases.push(site_case("site verdict", verdict_failure));
    let fresh = judge(
        d,
        &Criteria {
            min_score: None,
            max_age: c.max_age,
            strict: false,
        },
    );
    let stale: Vec<&String> = fresh
        .reasons
        .iter()
        .filter(|r| r.contains("scan"))
        .collect();
    cases.push(site_case(
        "site freshness",
        (!stale.is_empty()).then(|| {
            stale
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        }),
    ));
    if let Some(min) = c.min_score {
        cases.push(site_case(
            "site min score",
            (d.score < min).then(|| format!("score {} is below --min-score {min}", d.score)),
        ));
    }
    cases
}

/// Fetches the site from the collector.
pub async fn fetch(opts: &GateOptions) -> Result<SiteDetail, GateError> {
    validate::site_name(&opts.site).map_err(|reason| GateError::BadSite {
        site: opts.site.clone(),
        reason,
    })?;
    let base = opts.url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(GateError::BadUrl {
            url: opts.url.clone(),
        });
    }
    let url = format!("{base}/api/v1/sites/{}", opts.site);
    let mut builder = reqwest::Client::builder().timeout(opts.timeout);
    if let Some(path) = &opts.ca_file {
        let pem = std::fs::read(path).map_err(|source| GateError::CaFile {
            path: path.clone(),
            source,
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| GateError::BadCa {
                path: path.clone(),
                source,
            })?;
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    let client = builder.build().map_err(|source| GateError::Request {
        url: url.clone(),
        site: opts.site.clone(),
        source,
    })?;
    let resp = client
        .get(&url)
        .bearer_auth(opts.token.expose())
        .send()
        .await
        .map_err(|source| GateError::Request {
            url: url.clone(),
            site: opts.site.clone(),
            source,
        })?;
    let status = resp.status();
    if !status.is_success() {
        let text = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        return Err(GateError::Status {
            status: status.as_u16(),
            site: opts.site.clone(),
            message,
        });
    }
    resp.json::<SiteDetail>()
        .await
        .map_err(|source| GateError::Decode {
            site: opts.site.clone(),
            source,
        })
}

/// Runs the gate: fetches, judges, prints, writes JUnit. Returns the exit code, 0 or 1.
pub async fn run(opts: &GateOptions, out: &mut dyn std::io::Write) -> Result<u8, GateError> {
    let detail = fetch(opts).await?;
    let j = judge(&detail, &opts.criteria);
    let _ = out.write_all(render_text(&detail, &opts.criteria, &j).as_bytes());
    if let Some(path) = &opts.junit {
        let xml = junit::render(&detail.site, &junit_cases(&detail, &opts.criteria))
            .and_then(|x| std::fs::write(path, x))
            .map_err(|source| GateError::Junit {
                path: path.clone(),
                source,
            });
        xml?;
    }
    Ok(if j.ready { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Staleness, site_detail};
    use crate::testutil::{finding, report, stored, t};
    use lanready_schema::{Severity::*, Status::*};

    fn detail(verdict: Verdict, score: u8, age: i64) -> SiteDetail {
        let mut r = report("r1", "hq", "2026-01-01T00:00:00Z", score);
        r.verdict = verdict;
        r.switches.push(lanready_schema::SwitchResult {
            address: "127.0.0.2:161".into(),
            name: None,
            ..r.switches[0].clone()
        });
        let mut blocker = finding(
            "voice_vlan.port",
            Blocker,
            Fail,
            "127.0.0.1:1161",
            Some("Gi1/0/7"),
        );
        blocker.message = "no voice VLAN <110> & \"untagged\"".into();
        blocker.remediation = Some("interface Gi1/0/7\n switchport voice vlan 110".into());
        r.findings = vec![
            blocker,
            finding("poe.budget", Blocker, Fail, "127.0.0.2:161", None),
            finding(
                "voice_vlan.port",
                Blocker,
                Fail,
                "127.0.0.1:1161",
                Some("Gi1/0/9"),
            ),
            finding("portfast", Warning, Fail, "127.0.0.1:1161", Some("Gi1/0/7")),
            finding("qos.policy", Blocker, Unknown, "127.0.0.1:1161", None),
            finding(
                "voice_vlan.port",
                Blocker,
                Pass,
                "127.0.0.2:161",
                Some("Gi1/0/1"),
            ),
        ];
        r.counts.blockers = 2;
        r.counts.warnings = 1;
        site_detail(
            &stored(r, t(0)),
            &[],
            t(age),
            &Staleness::new(Duration::from_secs(3600)),
        )
    }

    #[test]
    fn judges_verdict_staleness_age_and_score() {
        let c = Criteria::default();
        let check = |d: &SiteDetail, c: &Criteria, ready: bool, needle: &str| {
            let j = judge(d, c);
            assert_eq!(j.ready, ready, "{:?}", j.reasons);
            assert!(
                j.reasons.iter().any(|r| r.contains(needle)) || needle.is_empty(),
                "{:?} lacks {needle}",
                j.reasons
            );
        };
        check(&detail(Verdict::Ready, 95, 60), &c, true, "");
        check(&detail(Verdict::AtRisk, 85, 60), &c, true, "");
        check(&detail(Verdict::NotReady, 40, 60), &c, false, "not_ready");
        check(&detail(Verdict::Ready, 95, 3601), &c, false, "stale");
        let strict = Criteria {
            strict: true,
            ..Criteria::default()
        };
        check(&detail(Verdict::AtRisk, 85, 60), &strict, false, "at_risk");
        let min = Criteria {
            min_score: Some(96),
            ..Criteria::default()
        };
        check(
            &detail(Verdict::Ready, 95, 60),
            &min,
            false,
            "below --min-score 96",
        );
        let age = Criteria {
            max_age: Some(Duration::from_secs(600)),
            ..Criteria::default()
        };
        check(&detail(Verdict::Ready, 95, 601), &age, false, "--max-age");
        check(&detail(Verdict::Ready, 95, 600), &age, true, "");
    }

    #[test]
    fn text_puts_blockers_first_grouped_by_switch_and_port() {
        let d = detail(Verdict::NotReady, 40, 60);
        let c = Criteria::default();
        let text = render_text(&d, &c, &judge(&d, &c));
        let pos = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s:?} missing in\n{text}"))
        };
        assert!(pos("BLOCKERS (3)") < pos("WARNINGS (1)"));
        assert!(pos("WARNINGS (1)") < pos("NOT VERIFIED (1)"));
        assert!(pos("NOT VERIFIED") < pos("site hq: NOT READY"));
        // Both Gi1/0/7 and Gi1/0/9 blockers under sw1, before the second switch.
        assert!(pos("switch sw1 (127.0.0.1:1161)") < pos("    Gi1/0/7"));
        assert!(pos("    Gi1/0/9") < pos("switch 127.0.0.2:161"));
        assert!(
            text.contains("        |  switchport voice vlan 110"),
            "{text}"
        );
        assert!(text.contains("(whole switch)"));
        assert!(text.contains("  - verdict is not_ready (2 blocker(s))"));
    }

    #[test]
    fn junit_has_a_case_per_check_and_switch_and_is_well_formed() {
        let d = detail(Verdict::NotReady, 40, 7200);
        let c = Criteria {
            min_score: Some(50),
            ..Criteria::default()
        };
        let cases = junit_cases(&d, &c);
        let names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "voice_vlan.port @ sw1 (127.0.0.1:1161)",
                "poe.budget @ 127.0.0.2:161",
                "portfast @ sw1 (127.0.0.1:1161)",
                "qos.policy @ sw1 (127.0.0.1:1161)",
                "voice_vlan.port @ 127.0.0.2:161",
                "site verdict",
                "site freshness",
                "site min score",
            ]
        );
        let xml = junit::render(&d.site, &cases).unwrap();
        assert!(xml.contains(r#"<testsuite name="lanready gate: site hq" tests="8" failures="5" errors="0" skipped="1">"#), "{xml}");
        assert!(xml.contains("no voice VLAN &lt;110&gt; &amp;"), "{xml}");
        // portfast fails only as a warning: the case passes with the warning in system-out.
        assert!(matches!(cases[2].outcome, Outcome::Pass));
        assert!(cases[2].output.as_deref().unwrap().contains("portfast"));
        // Well-formed: a reader walks it to the end and sees 8 testcases.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut n = 0;
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                    if e.name().as_ref() == b"testcase" =>
                {
                    n += 1
                }
                _ => {}
            }
        }
        assert_eq!(n, 8);
    }
}
