//! `plinth`: parses the command line, runs it, and on failure prints one line on standard error
//! and exits 1 (clap exits 2 on usage errors).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = plinth_server::cli::Cli::parse();
    match plinth_server::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("plinth: error: {line}");
            ExitCode::FAILURE
        }
    }
}
