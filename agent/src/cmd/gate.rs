//! `lanready-agent gate`: reads a site report and exits 0 when the site passes, 1 when it
//! does not, 2 on error; prints the blockers first and can write JUnit XML for CI.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::gate::{self, GateOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report `scan` wrote (lanready.report/v1 JSON).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// Fail when the site's score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_score: Option<u8>,
    /// Fail an "at risk" site too (by default only "not ready" fails).
    #[arg(long)]
    pub strict: bool,
    /// Write JUnit XML (a test case per check and switch) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the IOS configuration fixing the blockers and warnings, merged per switch and
    /// interface, to FILE (for review before applying).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let report = gate::load(&args.report)?;
    let opts = GateOptions {
        min_score: args.min_score,
        strict: args.strict,
    };
    let decision = gate::decide(&report, &opts);
    if let Some(path) = &args.junit {
        let xml = gate::junit(&report)?;
        std::fs::write(path, xml)
            .with_context(|| format!("writing JUnit XML to {}", path.display()))?;
    }
    if let Some(path) = &args.config {
        std::fs::write(path, gate::merged_config(&report))
            .with_context(|| format!("writing the configuration to {}", path.display()))?;
    }
    print!("{}", gate::render(&report, &decision));
    Ok(if decision.pass { 0 } else { 1 })
}
