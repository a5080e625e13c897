//! The simulation: state, the weekly loop, and running every placement of a scenario.
//!
//! Core code: no IO, no clap, no files. Parallel over placements with rayon; each run is
//! sequential and sums in a fixed order, so outputs are identical for any thread count.

pub mod outcome;
pub mod path;
pub mod run;
pub mod state;

use rayon::prelude::*;

pub use outcome::PlacementResult;
pub use path::Path;
pub use run::{Run, simulate};

use crate::scenario::Scenario;

/// The name of the run without any KUBE, present in every output.
pub const BASELINE: &str = "baseline";

/// Everything a scenario run produced: the baseline first, then each placement.
#[derive(Debug, Clone)]
pub struct Results {
    pub placements: Vec<PlacementResult>,
}

/// Runs the baseline and every placement (deterministic mode) on the current rayon pool.
pub fn run_scenario(s: &Scenario) -> Results {
    let path = Path::new(s);
    let mut jobs: Vec<Option<usize>> = vec![None];
    jobs.extend((0..s.placements.len()).map(Some));
    let runs: Vec<Run> = jobs
        .par_iter()
        .map(|job| simulate(s, &path, job.map(|i| &s.placements[i])))
        .collect();
    let baseline = &runs[0];
    let placements = jobs
        .iter()
        .zip(&runs)
        .map(|(job, run)| {
            let name = job.map_or(BASELINE, |i| s.placements[i].name.as_str());
            outcome::deterministic_result(s, name, baseline, run)
        })
        .collect();
    Results { placements }
}
