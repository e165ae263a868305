//! The agent's commands, one file each: `poll`, `record`, `scan`, `gate`, `run`, `works`.
//! Each has its clap `Args` and an async `run` returning the process exit code.

use clap::{Parser, Subcommand};

pub mod gate;
pub mod poll;
pub mod record;
pub mod run;
pub mod scan;
pub mod works;

/// Which plan, and which of its sites (`scan`, `run`).
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// The site plan (TOML; see examples/site.toml).
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
    /// The site to scan; needed when the plan has several.
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,
}

#[derive(Debug, Parser)]
#[command(
    name = "lanready-agent",
    version,
    about = "Proves a site's Cisco LAN is ready for IP telephony"
)]
pub struct Cli {
    /// More log output (repeat for more); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll one switch and print its snapshot.
    Poll(poll::Args),
    /// Poll one switch and write what was read as an .snmprec file.
    Record(record::Args),
    /// Scan a site's switches against its plan and write a report.
    Scan(scan::Args),
    /// Read a report and exit 0 when the site is ready, 1 when not, 2 on error.
    Gate(gate::Args),
    /// Scan on a schedule and push each report to the collector.
    Run(run::Args),
    /// Read a report and write its bill of works: what to buy and configure, per switch.
    Works(works::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions { shell: lanready_clidocs::Shell },
    /// Write a man page for every command into DIR (`lanready-agent.1`, ...).
    Man {
        #[arg(value_name = "DIR")]
        dir: std::path::PathBuf,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Poll(a) => poll::run(a).await,
        Command::Record(a) => record::run(a).await,
        Command::Scan(a) => scan::run(a).await,
        Command::Gate(a) => gate::run(a).await,
        Command::Run(a) => run::run(a).await,
        Command::Works(a) => works::run(a).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            lanready_clidocs::completions(Cli::command(), shell, &mut std::io::stdout());
            Ok(0)
        }
        Command::Man { dir } => {
            use clap::CommandFactory;
            let pages = lanready_clidocs::man_pages(Cli::command(), &dir)
                .map_err(|e| anyhow::anyhow!("writing man pages into {}: {e}", dir.display()))?;
            println!("{} man pages in {}", pages.len(), dir.display());
            Ok(0)
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the level the `-v` flags set.
pub fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
