//! The `lanready-agent` command line: parses arguments, sets up logging, runs a command.

use clap::Parser;
use lanready_agent::cmd::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    lanready_agent::cmd::init_tracing(cli.verbose);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match rt.block_on(lanready_agent::cmd::run(cli)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
