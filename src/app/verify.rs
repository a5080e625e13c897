//! `telur verify`: an output folder against its manifest, and against a fresh run.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::output::{INPUTS, RESOLVED_SCENARIO, write_outputs};
use super::progress::ProgressBar;
use super::{stop_on_interrupt, thread_pool};
use crate::error::{InputError, InputErrors};
use crate::report::manifest;
use crate::scenario::{Overrides, Scenario, Source};
use crate::sim;

/// What `telur verify` found wrong, listed file by file; exits with 1.
#[derive(Debug, thiserror::Error)]
#[error("verification failed:\n  {}", .0.join("\n  "))]
pub struct VerifyFailed(pub Vec<String>);

/// The `(file, SHA-256)` pairs of a manifest section.
fn manifest_hashes(manifest: &serde_json::Value, section: &str) -> Vec<(String, String)> {
    manifest[section]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|h| (k.clone(), h.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn verify_command(dir: &Path, threads: Option<u16>) -> Result<()> {
    let manifest_path = dir.join("manifest.json");
    let name = manifest_path.display().to_string();
    let text = fs::read_to_string(&manifest_path).map_err(|e| {
        InputErrors::from(InputError::new(
            &name,
            format!(
                "cannot read ({e}); is {} a folder telur run wrote?",
                dir.display()
            ),
        ))
    })?;
    let recorded: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        InputErrors::from(
            InputError::new(&name, format!("is not a telur manifest: {e}")).at_line(Some(e.line())),
        )
    })?;
    let outputs = manifest_hashes(&recorded, "outputs");
    let inputs = manifest_hashes(&recorded, "inputs");
    if outputs.is_empty() || inputs.is_empty() {
        return Err(InputErrors::from(InputError::new(
            &name,
            "lists no outputs or no inputs; it was not written by this version of telur",
        ))
        .into());
    }
    let stdout = io::stdout();
    let w = &mut stdout.lock();
    let mut problems = Vec::new();
    // 1. The folder's files against its own manifest.
    for (file, hash) in inputs.iter().chain(&outputs) {
        match fs::read(dir.join(file)) {
            Ok(bytes) if manifest::sha256_hex(&bytes) == *hash => {}
            Ok(_) => problems.push(format!(
                "{file}: changed since the run (SHA-256 differs from the manifest)"
            )),
            Err(e) => problems.push(format!("{file}: cannot read ({e})")),
        }
    }
    let version = recorded["version"].as_str().unwrap_or("unknown");
    if version != env!("CARGO_PKG_VERSION") {
        writeln!(
            w,
            "note: the run was made by telur {version}, this is {}",
            env!("CARGO_PKG_VERSION")
        )?;
    }
    // 2. A fresh run of the recorded inputs against the recorded hashes.
    let scenario_path = dir.join(INPUTS).join(RESOLVED_SCENARIO);
    let source = Source::read(&scenario_path).map_err(InputErrors::from)?;
    let s = Scenario::load(&source, &Overrides::default())?;
    let (threads, pool) = thread_pool(threads)?;
    stop_on_interrupt();
    let scratch = tempfile::tempdir().context("cannot create a temporary folder for the re-run")?;
    let rerun = scratch.path().join("rerun");
    writeln!(
        w,
        "re-running {} ({} mode, {} replicate(s)) on {threads} thread(s)...",
        scenario_path.display(),
        s.mode.name(),
        sim::replicates(&s)
    )?;
    pool.install(|| {
        write_outputs(
            &s,
            &source,
            &rerun,
            threads,
            Instant::now(),
            &ProgressBar::new(false),
        )
    })?;
    for (file, hash) in &outputs {
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
            outputs.len()
        )?;
        Ok(())
    } else {
        Err(VerifyFailed(problems).into())
    }
}
