//! `telur verify`: an output folder against its manifest, and against a fresh run.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::output::{
    INPUTS, RESOLVED_SCENARIO, Results, RunSettings, read_manifest, write_outputs,
};
use super::progress::ProgressBar;
use super::{input_error, stop_on_interrupt, thread_pool};
use telur::error::InputError;
use telur::report::manifest;
use telur::scenario::{Overrides, Scenario, Source};

/// What `telur verify` found wrong, listed file by file; exits with 1.
#[derive(Debug, thiserror::Error)]
#[error("verification failed:\n  {}", .0.join("\n  "))]
pub(crate) struct VerifyFailed(pub(crate) Vec<String>);

pub(super) fn verify_command(dir: &Path, threads: Option<u16>) -> Result<()> {
    let recorded = read_manifest(dir)?;
    if recorded.outputs.is_empty() || recorded.inputs.is_empty() {
        return Err(input_error(InputError::new(
            dir.join("manifest.json").display().to_string(),
            "lists no outputs or no inputs; it was not written by this version of telur",
        )));
    }
    let stdout = io::stdout();
    let w = &mut stdout.lock();
    let mut problems = Vec::new();
    // 1. The folder's files against its own manifest.
    for (file, hash) in recorded.inputs.iter().chain(&recorded.outputs) {
        match fs::read(dir.join(file)) {
            Ok(bytes) if manifest::sha256_hex(&bytes) == *hash => {}
            Ok(_) => problems.push(format!(
                "{file}: changed since the run (SHA-256 differs from the manifest)"
            )),
            Err(e) => problems.push(format!("{file}: cannot read ({e})")),
        }
    }
    if recorded.version != env!("CARGO_PKG_VERSION") {
        writeln!(
            w,
            "note: the run was made by telur {}, this is {}",
            recorded.version,
            env!("CARGO_PKG_VERSION")
        )?;
    }
    // 2. A fresh run of the recorded inputs against the recorded hashes.
    let scenario_path = dir.join(INPUTS).join(RESOLVED_SCENARIO);
    let source = Source::read(&scenario_path).map_err(input_error)?;
    let s = Scenario::load(&source, &Overrides::default())?;
    let (threads, pool) = thread_pool(threads)?;
    stop_on_interrupt();
    let scratch = tempfile::tempdir().context("cannot create a temporary folder for the re-run")?;
    let rerun = scratch.path().join("rerun");
    writeln!(
        w,
        "re-running {} ({} mode, {} replicate(s)) on {threads} thread(s)...",
        scenario_path.display(),
        s.ensemble.mode.name(),
        s.replicates()
    )?;
    let settings = RunSettings {
        threads,
        started: Instant::now(),
        keep_replicates: recorded.keep_replicates,
    };
    let progress = ProgressBar::new(false);
    pool.install(|| write_outputs(&s, &source, &rerun, &settings, Results::Run(&progress)))?;
    for (file, hash) in &recorded.outputs {
        let bytes = fs::read(rerun.join(file))
            .with_context(|| format!("the re-run did not write {file}"))?;
        if manifest::sha256_hex(&bytes) != *hash {
            problems.push(format!(
                "{file}: not reproduced (a fresh run gives different bytes)"
            ));
        }
    }
    if problems.is_empty() {
        writeln!(
            w,
            "verified: {} outputs match the manifest, and a fresh run reproduces them byte for byte",
            recorded.outputs.len()
        )?;
        Ok(())
    } else {
        Err(VerifyFailed(problems).into())
    }
}
