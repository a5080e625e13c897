//! The simulation: state, the weekly loop, random streams, and running every placement of
//! a scenario over its replicates.
//!
//! Core code: no IO, no clap, no files, no scenario: the engine takes the [`World`], the
//! [`Placement`]s and the [`Ensemble`] settings. Work is spread over rayon's current pool;
//! every run is sequential inside and results are reassembled in index order, so outputs
//! are identical for any thread count.

pub mod cancel;
pub mod classes;
pub mod evaluate;
pub mod households;
pub mod kube_pass;
pub mod lanes;
pub mod luck;
pub mod outcome;
pub mod path;
pub mod rng;
pub mod run;
pub mod state;
pub mod uncertainty;

use rayon::prelude::*;

use crate::model::{Placement, Uncertainty, World};
pub use crate::results::BASELINE;
use crate::results::metrics::summary as sm;
use crate::results::{PlacementResult, ReplicateOutput, summarise};
use luck::Shocks;
pub use path::Path;
pub use run::{Draws, Engine, Run, simulate, simulate_with};
use uncertainty::ParameterDraws;

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
    /// Replicates asked for (stochastic mode, or parameter uncertainty).
    pub replicates: u32,
    /// Each replicate draws the uncertain parameters (so even deterministic mode runs
    /// every replicate, each with its own parameters and no dice).
    pub uncertain: bool,
}

impl Ensemble {
    /// Replicates actually run: one in deterministic mode without parameter uncertainty.
    pub fn runs(&self) -> u32 {
        match (self.mode, self.uncertain) {
            (Mode::Deterministic, false) => 1,
            _ => self.replicates,
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

/// Everything a scenario run needs: the world, how it is run, the placements and, for a
/// parameter-uncertainty run, the uncertain parameters.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub world: &'a World,
    pub ensemble: &'a Ensemble,
    pub placements: &'a [Placement],
    pub uncertainty: Option<&'a Uncertainty>,
}

impl<'a> Inputs<'a> {
    /// The parameter draws of every replicate (a parameter-uncertainty run), else `None`.
    pub fn parameter_draws(&self) -> Option<ParameterDraws> {
        self.uncertainty
            .map(|u| ParameterDraws::latin_hypercube(u, self.ensemble.seed, self.ensemble.runs()))
    }
}

/// One replicate of one job (`None`: the baseline) in a given world, against the same
/// replicate's baseline.
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
    let base = outcome::Baseline::of(&baseline);
    match placement {
        None => outcome::replicate_output(world, &base, &baseline),
        Some(p) => {
            let run = simulate(world, path, Some(p), draws.as_ref());
            outcome::replicate_output(world, &base, &run)
        }
    }
}

/// Replicate `rep` of placement `job` (`None`: the baseline): in the scenario's world, or,
/// in a parameter-uncertainty run, in the world and design of the replicate's draws (the
/// same draws for every placement: common random numbers still hold).
fn replicate_of(
    inputs: &Inputs,
    path: &Path,
    draws: Option<&ParameterDraws>,
    job: Option<usize>,
    rep: u32,
) -> ReplicateOutput {
    let placement = job.map(|i| &inputs.placements[i]);
    match (inputs.uncertainty, draws) {
        (Some(u), Some(d)) => {
            let values = d.replicate(rep);
            let world = u.world_with(inputs.world, values);
            let path = Path::new(&world);
            let placement = job.zip(placement).map(|(i, p)| Placement {
                design: u.design_with(&p.design, i, values),
                ..p.clone()
            });
            replicate(&world, inputs.ensemble, &path, placement.as_ref(), rep)
        }
        _ => replicate(inputs.world, inputs.ensemble, path, placement, rep),
    }
}

/// What a scenario run is made of: the baseline (`None`) or placement `i` (`Some(i)`).
pub type Job = Option<usize>;

/// One unit of work: a job in one replicate. Units are independent (each runs its own
/// baseline), so any split of them over threads, processes or machines gives the same
/// numbers.
pub type Unit = (Job, u32);

/// Every unit of a run, job by job (the baseline first), replicate by replicate.
pub fn units(inputs: &Inputs) -> Vec<Unit> {
    let reps = inputs.ensemble.runs();
    std::iter::once(None)
        .chain((0..inputs.placements.len()).map(Some))
        .flat_map(|job| (0..reps).map(move |rep| (job, rep)))
        .collect()
}

/// Runs the given units in parallel on the current rayon pool; their outputs, in order.
pub fn run_units(inputs: &Inputs, units: &[Unit], progress: &dyn Progress) -> Vec<ReplicateOutput> {
    let path = Path::new(inputs.world);
    let draws = inputs.parameter_draws();
    units
        .par_iter()
        .map(|&(job, rep)| {
            // After a stop request each run returns at once (its weekly loop checks); the
            // caller discards the results.
            let out = replicate_of(inputs, &path, draws.as_ref(), job, rep);
            progress.advance();
            out
        })
        .collect()
}

/// The name of a job's results: `baseline` or the placement's.
pub fn job_name<'a>(inputs: &'a Inputs, job: Job) -> &'a str {
    job.map_or(BASELINE, |i| inputs.placements[i].name.as_str())
}

/// Hands each job's replicates, summarised, to `sink` in order, and keeps every
/// placement's summary metrics in every replicate (what `win_share` and paired comparisons
/// need): the reduction shared by a run and a merge of shards.
pub struct Reduction {
    summaries: Vec<Vec<Vec<f64>>>,
}

impl Reduction {
    pub fn new() -> Reduction {
        Reduction {
            summaries: Vec::new(),
        }
    }

    /// One job's replicates, in replicate order.
    pub fn job<E>(
        &mut self,
        name: &str,
        job: Job,
        outputs: &[ReplicateOutput],
        sink: &mut impl FnMut(PlacementResult, &[ReplicateOutput]) -> Result<(), E>,
    ) -> Result<(), E> {
        if job.is_some() {
            self.summaries
                .push(outputs.iter().map(|o| o.summary.clone()).collect());
        }
        sink(summarise(name, outputs), outputs)
    }

    /// Every placement's summary metrics in every replicate, `[placement][replicate][metric]`.
    pub fn finish(self) -> Vec<Vec<Vec<f64>>> {
        self.summaries
    }
}

impl Default for Reduction {
    fn default() -> Self {
        Reduction::new()
    }
}

/// Runs the baseline and every placement over all replicates on the current rayon pool,
/// handing each placement's summarised result and its replicates to `sink` in order
/// (baseline first), so outputs can be written while the next placement runs and memory
/// stays bounded by one placement's replicates. Returns every placement's summary metrics
/// in every replicate (baseline excluded), `[placement][replicate][metric]`: what
/// `win_share` and paired comparisons under common random numbers need, so they come last.
pub fn run_scenario_with<E: Send>(
    inputs: &Inputs,
    progress: &dyn Progress,
    mut sink: impl FnMut(PlacementResult, &[ReplicateOutput]) -> Result<(), E> + Send,
) -> Result<Vec<Vec<Vec<f64>>>, E> {
    let reps = inputs.ensemble.runs();
    let jobs: Vec<Job> = std::iter::once(None)
        .chain((0..inputs.placements.len()).map(Some))
        .collect();
    progress.start(jobs.len() as u64 * u64::from(reps));
    let mut reduction = Reduction::new();
    // One replicate: placements are the parallel work, as many at a time as there are
    // threads, so memory holds one placement per thread. Several: one placement's
    // replicates at a time.
    let window = if reps == 1 {
        rayon::current_num_threads().max(1)
    } else {
        1
    };
    // Each group is summarised and handed to the sink (quantiles, CSV rows, files) while
    // the next group runs: the same calls in the same order, beside the simulation.
    let mut reduce = |(group, outputs): (&[Job], Vec<ReplicateOutput>)| -> Result<(), E> {
        for (&job, outputs) in group.iter().zip(outputs.chunks(reps.max(1) as usize)) {
            reduction.job(job_name(inputs, job), job, outputs, &mut sink)?;
        }
        Ok(())
    };
    let mut done: (&[Job], Vec<ReplicateOutput>) = (&[], Vec::new());
    for group in jobs.chunks(window) {
        let units: Vec<Unit> = group
            .iter()
            .flat_map(|&job| (0..reps).map(move |rep| (job, rep)))
            .collect();
        let (reduced, outputs) =
            rayon::join(|| reduce(done), || run_units(inputs, &units, progress));
        reduced?;
        if cancel::requested() {
            return Ok(Vec::new());
        }
        done = (group, outputs);
    }
    reduce(done)?;
    Ok(reduction.finish())
}

/// Each placement's graduation caused in each replicate, from the summaries
/// [`run_scenario_with`] returns: what [`win_shares`] compares.
pub fn graduation_caused(summaries: &[Vec<Vec<f64>>]) -> Vec<Vec<f64>> {
    summaries
        .iter()
        .map(|reps| {
            reps.iter()
                .map(|m| m[sm::GRADUATION_ATTRIBUTABLE_SHARE])
                .collect()
        })
        .collect()
}

/// The share of replicates in which each placement is best on graduation caused: ties
/// split evenly, so the shares add up to 1 (MODEL.md 6 extended by `win_share`). A
/// placement whose graduation caused is undefined in a replicate (no household started)
/// cannot win it; a replicate where none is defined is split among all.
pub fn win_shares(caused: &[Vec<f64>]) -> Vec<f64> {
    let n = caused.len();
    let reps = caused.first().map_or(0, Vec::len);
    let mut wins = vec![0.0; n];
    for rep in 0..reps {
        let best = caused
            .iter()
            .map(|c| c[rep])
            .filter(|x| !x.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        let winners: Vec<usize> = (0..n)
            .filter(|&i| caused[i][rep] == best || best == f64::NEG_INFINITY)
            .collect();
        for &i in &winners {
            wins[i] += 1.0 / winners.len() as f64;
        }
    }
    wins.iter().map(|w| w / reps as f64).collect()
}

/// Runs a scenario and keeps every result in memory (tests, small scenarios).
pub fn run_scenario(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
) -> Vec<PlacementResult> {
    let mut results = Vec::new();
    let inputs = Inputs {
        world,
        ensemble,
        placements,
        uncertainty: None,
    };
    let collected: Result<Vec<Vec<Vec<f64>>>, std::convert::Infallible> =
        run_scenario_with(&inputs, &Quiet, |p, _| {
            results.push(p);
            Ok(())
        });
    match collected {
        Ok(summaries) => {
            let wins = win_shares(&graduation_caused(&summaries));
            for (p, w) in results.iter_mut().skip(1).zip(wins) {
                p.summary[sm::WIN_SHARE] = crate::stats::Stat::single(w);
            }
            results
        }
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_shares_split_ties_and_skip_placements_that_cannot_compete() {
        // Replicate 0: b wins; 1: a and b tie; 2: c is undefined, a wins; 3: nobody is
        // defined, all three share it.
        let caused = vec![
            vec![0.1, 0.3, 0.5, f64::NAN],
            vec![0.2, 0.3, 0.4, f64::NAN],
            vec![0.0, 0.1, f64::NAN, f64::NAN],
        ];
        let w = win_shares(&caused);
        let third = 1.0 / 3.0;
        let want = [
            (0.5 + 1.0 + third) / 4.0,
            (1.0 + 0.5 + third) / 4.0,
            third / 4.0,
        ];
        for (got, want) in w.iter().zip(want) {
            assert!((got - want).abs() < 1e-15, "{got} {want}");
        }
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
