//! The `lanready-agent` command line: parses arguments, sets up logging, runs a command.

use clap::Parser;
use lanready_agent::cmd::Cli;

/// jemalloc: a poll allocates an OID and a value for every varbind on the runtime thread,
/// and the blocking pool frees them after decoding. glibc's malloc spent a quarter of the
/// scan's CPU on that pattern (consolidating and unlinking chunks); jemalloc cuts the scan's
/// user CPU by about a quarter for a few MB more peak memory (BENCHMARKS.md, section 3).
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    lanready_agent::cmd::init_tracing(cli.verbose);
    // One thread drives the sockets and timers; the CPU work (decoding and checking a switch)
    // goes to the blocking pool. SNMP polling is waiting on round trips: a second runtime
    // worker only added cross-thread wake-ups (about a sixth more CPU a request in the estate
    // benchmark, BENCHMARKS.md).
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
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
