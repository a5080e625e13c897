//! Orchestration and all file and terminal IO: what each command does, step by step.
//!
//! `run` runs a scenario and prints the headline, `output` writes a run's folder
//! (temporary folder, hashing writers, atomic swap), `check` and `data` describe a
//! scenario and the embedded data, `verify` checks a folder, `progress` draws the bar.
//! The library below never touches paths or the terminal.

mod check;
mod optimize;
mod output;
mod progress;
mod run;
mod sensitivity;
mod shard;
mod verify;

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use telur::error::{InputError, InputErrors};
use telur::scenario::{Overrides, Scenario, Source};
use telur::sim;

/// Runs one command.
pub(crate) fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run_command(&args),
        Command::Sensitivity(args) => sensitivity::sensitivity_command(&args),
        Command::Optimize(args) => optimize::optimize_command(&args),
        Command::Merge(args) => shard::merge_command(&args),
        Command::Slurm(args) => shard::slurm_command(&args),
        Command::Check { scenario } => check::check_command(&scenario),
        Command::Verify { dir, threads } => verify::verify_command(&dir, threads),
        Command::Report { dir } => output::report_command(&dir),
        Command::Data { what, breed } => check::data_command(what, breed.as_deref()),
    }
}

/// The run was stopped by Ctrl-C (SIGINT); nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: the run was stopped and its temporary folder removed; no output was written")]
pub(crate) struct Interrupted;

/// 2 for bad input (the user can fix it), 130 for an interrupt, 1 for anything else.
pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<InputErrors>().is_some() {
        2
    } else if e.downcast_ref::<Interrupted>().is_some() {
        130
    } else {
        1
    }
}

/// The error as a user should read it: input errors drawn with the offending line, others
/// with their causes.
pub(crate) fn render_error(e: &anyhow::Error, styled: bool) -> String {
    match e.downcast_ref::<InputErrors>() {
        Some(errors) => errors.render(styled),
        None => format!("error: {e:#}"),
    }
}

/// Ctrl-C asks the engine to stop; the run then cleans up and exits with 130.
fn stop_on_interrupt() {
    // A second handler cannot be installed (verify re-runs in the same process): ignore that.
    let _ = ctrlc::set_handler(sim::cancel::request);
}

fn interrupted() -> Result<()> {
    if sim::cancel::requested() {
        Err(Interrupted.into())
    } else {
        Ok(())
    }
}

/// An input error as an `anyhow` error that exits with 2.
fn input_error(e: InputError) -> anyhow::Error {
    InputErrors::from(e).into()
}

fn load(scenario: Option<&Path>, overrides: &Overrides) -> Result<(Source, Scenario)> {
    let source = match scenario {
        Some(path) => Source::read(path).map_err(input_error)?,
        None => Source::builtin_default(),
    };
    let s = Scenario::load(&source, overrides)?;
    Ok((source, s))
}

/// A rayon pool of `threads` workers (default: all cores).
fn thread_pool(threads: Option<u16>) -> Result<(usize, rayon::ThreadPool)> {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")?;
    Ok((threads, pool))
}
