//! The simulation: state, the weekly loop, random streams, and running every placement of
//! a scenario over its replicates.
//!
//! Core code: no IO, no clap, no files, no scenario: the engine takes the [`World`], the
//! [`Placement`]s and the [`Ensemble`] settings. Work is spread over rayon's current pool;
//! every run is sequential inside and results are reassembled in index order, so outputs
//! are identical for any thread count.

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

use crate::model::{Placement, World};
pub use crate::results::BASELINE;
use crate::results::{PlacementResult, ReplicateOutput, summarise};
use luck::Shocks;
pub use path::Path;
pub use run::{Draws, Run, simulate};

/// Deterministic (MODEL.md 4) or stochastic (MODEL.md 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Deterministic,
    Stochastic,
}

impl Mode {
    pub const WORDS: &[&str] = &["deterministic", "stochastic"];

    pub fn name(self) -> &'static str {
        Self::WORDS[self as usize]
    }
}

/// How a scenario is run: the mode, the seed and the number of replicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ensemble {
    pub mode: Mode,
    pub seed: u64,
    /// Replicates asked for (stochastic mode; deterministic mode runs one).
    pub replicates: u32,
}

impl Ensemble {
    /// Replicates actually run: one in deterministic mode.
    pub fn runs(&self) -> u32 {
        match self.mode {
            Mode::Deterministic => 1,
            Mode::Stochastic => self.replicates,
        }
    }
}

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

/// One replicate of one job (`None`: the baseline) against the same replicate's baseline.
pub fn replicate(
    world: &World,
    ensemble: &Ensemble,
    path: &Path,
    placement: Option<&Placement>,
    rep: u32,
) -> ReplicateOutput {
    let shocks =
        (ensemble.mode == Mode::Stochastic).then(|| Shocks::draw(world, ensemble.seed, rep));
    let draws = shocks.as_ref().map(|shocks| Draws {
        seed: ensemble.seed,
        replicate: rep,
        shocks,
    });
    let baseline = simulate(world, path, None, draws.as_ref());
    match placement {
        None => outcome::replicate_output(world, &baseline, &baseline),
        Some(p) => {
            let run = simulate(world, path, Some(p), draws.as_ref());
            outcome::replicate_output(world, &baseline, &run)
        }
    }
}

/// Runs the baseline and every placement over all replicates on the current rayon pool,
/// handing each placement's summarised result to `sink` in order (baseline first), so
/// outputs can be written while the next placement runs and memory stays bounded by one
/// placement's replicates.
pub fn run_scenario_with<E>(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
    progress: &dyn Progress,
    mut sink: impl FnMut(PlacementResult) -> Result<(), E>,
) -> Result<(), E> {
    let path = Path::new(world);
    let reps = ensemble.runs();
    let jobs: Vec<Option<&Placement>> = std::iter::once(None)
        .chain(placements.iter().map(Some))
        .collect();
    fn name(job: Option<&Placement>) -> &str {
        job.map_or(BASELINE, |p| p.name.as_str())
    }
    progress.start(jobs.len() as u64 * u64::from(reps));
    let run = |job: Option<&Placement>, rep: u32| {
        // After a stop request each run returns at once (its weekly loop checks); the
        // caller discards the results.
        let out = replicate(world, ensemble, &path, job, rep);
        progress.advance();
        out
    };
    if reps == 1 {
        // One replicate: placements are the parallel work, as many at a time as there are
        // threads, so memory holds one placement per thread.
        for window in jobs.chunks(rayon::current_num_threads().max(1)) {
            let outputs: Vec<ReplicateOutput> = window.par_iter().map(|&job| run(job, 0)).collect();
            if cancel::requested() {
                return Ok(());
            }
            for (&job, out) in window.iter().zip(outputs) {
                sink(summarise(name(job), std::slice::from_ref(&out)))?;
            }
        }
        return Ok(());
    }
    for &job in &jobs {
        let outputs: Vec<ReplicateOutput> =
            (0..reps).into_par_iter().map(|rep| run(job, rep)).collect();
        if cancel::requested() {
            break;
        }
        sink(summarise(name(job), &outputs))?;
    }
    Ok(())
}

/// Runs a scenario and keeps every result in memory (tests, small scenarios).
pub fn run_scenario(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
) -> Vec<PlacementResult> {
    let mut results = Vec::new();
    let collected: Result<(), std::convert::Infallible> =
        run_scenario_with(world, ensemble, placements, &Quiet, |p| {
            results.push(p);
            Ok(())
        });
    match collected {
        Ok(()) => results,
        Err(never) => match never {},
    }
}
