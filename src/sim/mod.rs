//! The simulation: state, the weekly loop, random streams, and running every placement of
//! a scenario over its replicates.
//!
//! Core code: no IO, no clap, no files. Work is spread over rayon's current pool; every run
//! is sequential inside and results are reassembled in index order, so outputs are
//! identical for any thread count.

pub mod cancel;
pub mod households;
pub mod kube_pass;
pub mod lanes;
pub mod luck;
pub mod outcome;
pub mod path;
pub mod rng;
pub mod run;
pub mod state;

use rayon::prelude::*;

pub use outcome::{PlacementResult, ReplicateOutput};
pub use path::Path;
pub use run::{Draws, Run, simulate};

use crate::scenario::{Mode, Scenario};
use luck::Shocks;

/// The name of the run without any KUBE, present in every output.
pub const BASELINE: &str = "baseline";

/// Told how far a run has come; the app draws a progress bar with it.
pub trait Progress: Sync {
    /// `total` runs (placement x replicate) are about to start.
    fn start(&self, _total: u64) {}
    /// One more run is done.
    fn advance(&self) {}
}

/// Progress nobody watches.
pub struct Quiet;
impl Progress for Quiet {}

/// Everything a scenario run produced: the baseline first, then each placement.
#[derive(Debug, Clone)]
pub struct Results {
    pub placements: Vec<PlacementResult>,
}

/// Replicates a scenario runs: one in deterministic mode.
pub fn replicates(s: &Scenario) -> u32 {
    match s.mode {
        Mode::Deterministic => 1,
        Mode::Stochastic => s.replicates,
    }
}

/// One replicate of one job (`None`: the baseline) against the same replicate's baseline.
pub fn replicate(s: &Scenario, path: &Path, placement: Option<usize>, rep: u32) -> ReplicateOutput {
    let shocks = (s.mode == Mode::Stochastic).then(|| Shocks::draw(s, rep));
    let draws = shocks.as_ref().map(|shocks| Draws {
        replicate: rep,
        shocks,
    });
    let baseline = simulate(s, path, None, draws.as_ref());
    match placement {
        None => ReplicateOutput::new(s, &baseline, &baseline),
        Some(i) => {
            let run = simulate(s, path, Some(&s.placements[i]), draws.as_ref());
            ReplicateOutput::new(s, &baseline, &run)
        }
    }
}

/// Runs the baseline and every placement over all replicates on the current rayon pool,
/// handing each placement's summarised result to `sink` in order (baseline first), so
/// outputs can be written while the next placement runs and memory stays bounded by one
/// placement's replicates.
pub fn run_scenario_with<E>(
    s: &Scenario,
    progress: &dyn Progress,
    mut sink: impl FnMut(PlacementResult) -> Result<(), E>,
) -> Result<(), E> {
    let path = Path::new(s);
    let reps = replicates(s);
    let jobs: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..s.placements.len()).map(Some))
        .collect();
    let name = |job: Option<usize>| job.map_or(BASELINE, |i| s.placements[i].name.as_str());
    progress.start(jobs.len() as u64 * u64::from(reps));
    if reps == 1 {
        // One replicate: the placements themselves are the parallel work.
        let outputs: Vec<ReplicateOutput> = jobs
            .par_iter()
            .map(|&job| {
                let out = replicate(s, &path, job, 0);
                progress.advance();
                out
            })
            .collect();
        for (&job, out) in jobs.iter().zip(outputs) {
            sink(outcome::summarise(name(job), std::slice::from_ref(&out)))?;
        }
    } else {
        for &job in &jobs {
            let outputs: Vec<ReplicateOutput> = (0..reps)
                .into_par_iter()
                .map(|rep| {
                    // After a stop request each run returns at once (its weekly loop checks);
                    // the caller discards the results.
                    let out = replicate(s, &path, job, rep);
                    progress.advance();
                    out
                })
                .collect();
            if cancel::requested() {
                break;
            }
            sink(outcome::summarise(name(job), &outputs))?;
        }
    }
    Ok(())
}

/// Runs a scenario and keeps every result in memory (tests, small scenarios).
pub fn run_scenario(s: &Scenario) -> Results {
    let mut placements = Vec::new();
    let collected: Result<(), std::convert::Infallible> = run_scenario_with(s, &Quiet, |p| {
        placements.push(p);
        Ok(())
    });
    match collected {
        Ok(()) => Results { placements },
        Err(never) => match never {},
    }
}
