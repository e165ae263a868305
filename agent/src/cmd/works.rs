//! `lanready-agent works REPORT [--format json|csv|md] [--out FILE]`: the bill of works of a
//! report, offline: what to buy and what to configure, per switch, with totals.

use std::path::PathBuf;

use lanready_works::{bill, render};

use crate::gate;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Md,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A report written by `scan` (or fetched from the collector).
    pub report: PathBuf,
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let report = match gate::load(&args.report) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    let w = bill::bill(&report);
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&w)? + "\n",
        Format::Csv => render::csv(&w),
        Format::Md => render::markdown(&w),
    };
    match &args.out {
        Some(p) => {
            if let Err(e) = std::fs::write(p, text) {
                eprintln!("error: writing {}: {e}", p.display());
                return Ok(2);
            }
        }
        None => print!("{text}"),
    }
    Ok(0)
}
