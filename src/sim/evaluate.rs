//! Many evaluations of a scenario, for analyses that run it hundreds of times (sensitivity,
//! the optimiser): only the summary metrics of each replicate, the baseline simulated once
//! per replicate and shared by every placement.

use super::luck::Shocks;
use super::{Draws, Ensemble, Mode, Path, outcome, simulate};
use crate::model::{Placement, World};

/// The summary metrics of every placement in every replicate, `[placement][replicate]`,
/// each a vector of [`crate::results::metrics::summary`] metrics (NaN where undefined).
/// Replicates run one after another; callers run evaluations in parallel.
pub fn summaries(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
) -> Vec<Vec<Vec<f64>>> {
    let path = Path::new(world);
    let reps = ensemble.runs();
    let mut out = vec![Vec::with_capacity(reps as usize); placements.len()];
    for rep in 0..reps {
        let shocks =
            (ensemble.mode == Mode::Stochastic).then(|| Shocks::draw(world, ensemble.seed, rep));
        let draws = shocks.as_ref().map(|shocks| Draws {
            seed: ensemble.seed,
            replicate: rep,
            shocks,
        });
        let baseline = outcome::Baseline::of(&simulate(world, &path, None, draws.as_ref()));
        for (p, per_rep) in placements.iter().zip(out.iter_mut()) {
            let run = simulate(world, &path, Some(p), draws.as_ref());
            per_rep.push(outcome::summary_metrics(world, &baseline, &run));
        }
    }
    out
}

/// The mean over replicates of each metric, where it is defined (NaN where it is defined
/// in none), `[placement][metric]`.
pub fn means(summaries: &[Vec<Vec<f64>>]) -> Vec<Vec<f64>> {
    summaries
        .iter()
        .map(|reps| {
            let metrics = reps.first().map_or(0, Vec::len);
            (0..metrics)
                .map(|m| {
                    let defined: Vec<f64> =
                        reps.iter().map(|r| r[m]).filter(|x| !x.is_nan()).collect();
                    if defined.is_empty() {
                        f64::NAN
                    } else {
                        defined.iter().sum::<f64>() / defined.len() as f64
                    }
                })
                .collect()
        })
        .collect()
}
