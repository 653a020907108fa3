//! `jobharvest`: harvest job offers from job-board APIs into files.
//!
//! The binary wires the registry (every connector and sink crate, one line
//! each in [`plugins`]), parses the command line, and turns library errors
//! into one-paragraph messages and exit codes.

mod auth;
mod boards;
mod cli;
mod commands;
mod logging;
mod plugins;
mod report;
mod signals;
mod state;

use std::process::ExitCode;

use clap::Parser;
use jobharvest_core::{Error, ErrorKind};

/// jemalloc instead of the system allocator: records are built on the
/// replay workers and freed on the sink threads, a pattern glibc's malloc
/// handles slowly and with a growing heap. Replaying 100k offers took about
/// 15% less CPU and less memory (README, "Performance"). Its options are
/// set at build time in `.cargo/config.toml`.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit codes, documented in the README.
mod exit {
    /// A run or command failed.
    pub const FAILURE: u8 = 1;
    /// The spec or the command line is wrong.
    pub const CONFIG: u8 = 2;
    /// Interrupted by Ctrl-C (SIGTERM: 143, SIGHUP: 129).
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let progress = logging::init(args.verbose, args.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::dispatch(args, progress)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = match err.kind() {
                ErrorKind::Config => exit::CONFIG,
                ErrorKind::Cancelled => {
                    signals::received().map_or(exit::INTERRUPTED, signals::exit_code)
                }
                _ => exit::FAILURE,
            };
            report_error(err);
            ExitCode::from(code)
        }
    }
}

/// Prints an error as one paragraph on stderr: kind, message, context;
/// without any secret the process knows, whatever a server sent back.
fn report_error(err: Error) {
    let err = err.redact_known();
    eprintln!("error ({}): {}", err.kind().as_str(), err.message());
    for (key, value) in err.context() {
        if *key != "key" {
            eprintln!("  {key}: {value}");
        }
    }
}
