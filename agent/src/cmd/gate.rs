//! `lanready-agent gate`: reads a site report and exits 0 when the site passes, 1 when it
//! does not, 2 on error; prints the blockers first and can write JUnit XML for CI.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use lanready_gate::{Criteria, Freshness};
use lanready_schema::programme::{WAIVERS_SCHEMA, Waiver, WaiverState, WaiversResponse};

use crate::gate;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report `scan` wrote (lanready.report/v1 JSON).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// Fail when the site's score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_score: Option<u8>,
    /// Fail an "at risk" site, and failing warnings, too (by default only "not ready" fails).
    #[arg(long)]
    pub strict: bool,
    /// Fail when the report's scan is older than this (`36h`, `2d`), by its own time.
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub max_age: Option<Duration>,
    /// Write JUnit XML (the site's verdict, age and score, and a test case per check and
    /// switch) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the IOS configuration fixing the blockers and warnings, merged per switch and
    /// interface, to FILE (for review before applying).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Apply the waivers in FILE, a `lanready.waivers/v1` document (the collector's
    /// `GET /api/v1/sites/{site}/waivers`, or `lanready-collector waiver list --json`): a
    /// finding covered by a waiver in force does not count, and is listed with its waiver.
    /// Expiry is judged against today (UTC).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// One line a finding (or a group of ports alike): no port roles, readings or fixes.
    #[arg(long)]
    pub brief: bool,
}

/// The waivers of a `lanready.waivers/v1` file, with expiry judged today (UTC).
fn load_waivers(path: &std::path::Path) -> anyhow::Result<Vec<Waiver>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the waivers {}", path.display()))?;
    let doc: WaiversResponse = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a lanready.waivers/v1 document", path.display()))?;
    if doc.schema != WAIVERS_SCHEMA {
        anyhow::bail!(
            "{} has schema {:?}, not {WAIVERS_SCHEMA:?}",
            path.display(),
            doc.schema
        );
    }
    let today = time::OffsetDateTime::now_utc().date();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut out = doc.waivers;
    for w in &mut out {
        let expires = time::Date::parse(&w.expires, &fmt).with_context(|| {
            format!(
                "{}: waiver {}: expires {:?}",
                path.display(),
                w.id,
                w.expires
            )
        })?;
        if w.state == WaiverState::InForce {
            w.state = lanready_gate::waivers::state_on(false, expires, today);
        }
    }
    Ok(out)
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let original = gate::load(&args.report)?;
    let waivers = match &args.waivers {
        Some(path) => load_waivers(path)?,
        None => Vec::new(),
    };
    let applied = lanready_gate::waivers::apply(&original, &waivers);
    let report = &applied.report;
    let criteria = Criteria {
        min_score: args.min_score,
        strict: args.strict,
        max_age: args.max_age,
        at_risk_fails: None,
    };
    // A report file's age is known by its own time only when --max-age asks for it; the
    // collector's "stale" does not apply to a file.
    let freshness = args.max_age.map(|_| Freshness {
        age_seconds: age_seconds(&report.generated_at),
        stale_after_seconds: None,
        stale: false,
    });
    let decision = lanready_gate::decide(report, freshness.as_ref(), &criteria);
    if let Some(path) = &args.junit {
        let xml = lanready_gate::junit::junit(
            report,
            freshness.as_ref(),
            &criteria,
            &decision,
            &applied.waived,
        )
        .context("writing JUnit XML")?;
        std::fs::write(path, xml)
            .with_context(|| format!("writing JUnit XML to {}", path.display()))?;
    }
    if let Some(path) = &args.config {
        std::fs::write(path, gate::merged_config(&original))
            .with_context(|| format!("writing the configuration to {}", path.display()))?;
    }
    print!(
        "{}",
        lanready_gate::text::render_with(
            report,
            freshness.as_ref(),
            &decision,
            &applied.waived,
            if args.brief {
                lanready_gate::text::Detail::Brief
            } else {
                lanready_gate::text::Detail::Full
            }
        )
    );
    Ok(decision.exit_code())
}

/// Seconds since an RFC 3339 time (0 for one in the future).
fn age_seconds(at: &str) -> u64 {
    let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (time::OffsetDateTime::now_utc() - at)
        .whole_seconds()
        .max(0) as u64
}
