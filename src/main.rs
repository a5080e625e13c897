//! The `telur` binary: parse the command line, run, map errors to exit codes
//! (0 success, 2 bad input, 1 anything else).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = telur::cli::Cli::parse();
    match telur::app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`telur check x | head`) is the reader's choice, not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = telur::app::exit_code(&e);
            eprintln!("error: {}", telur::app::render_error(&e));
            ExitCode::from(code)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
