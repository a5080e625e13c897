//! Runs one design at many allocations, keeping what does not change between them.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::{Design, Placement, Uncertainty, World};
use crate::sim::luck::Shocks;
use crate::sim::outcome::{self, Baseline};
use crate::sim::uncertainty::ParameterDraws;
use crate::sim::{Draws, Ensemble, Mode, Path, simulate};

/// What every evaluation of a replicate shares: its world and design (a
/// parameter-uncertainty run draws them per replicate), its market path, its shocks and
/// its baseline's deficits and prices.
struct Replicate {
    /// `None`: the scenario's world and path.
    world: Option<(World, Path)>,
    design: Design,
    shocks: Option<Shocks>,
    baseline: Baseline,
}

/// Evaluates allocations of one design: the summary metrics of each replicate, each run
/// against the same replicate's baseline. Replicate `i` has the same luck (and parameter
/// draws) in every evaluation: common random numbers.
pub struct Evaluator<'a> {
    world: &'a World,
    path: Path,
    ensemble: Ensemble,
    design: &'a Placement,
    /// Each replicate's parameter values, and the design's own keys, in a
    /// parameter-uncertainty run.
    uncertain: Option<(&'a Uncertainty, ParameterDraws, usize)>,
    replicates: Vec<OnceLock<Replicate>>,
    runs: AtomicU64,
}

impl<'a> Evaluator<'a> {
    /// An evaluator of `design` (placement `index` of the scenario: its own design keys are
    /// not drawn) for up to `capacity` replicates. With `uncertainty`, the parameter draws
    /// are a Latin hypercube over `capacity` replicates.
    pub fn new(
        world: &'a World,
        ensemble: Ensemble,
        uncertainty: Option<&'a Uncertainty>,
        design: &'a Placement,
        index: usize,
        capacity: u32,
    ) -> Evaluator<'a> {
        let uncertain = uncertainty.map(|u| {
            let draws = ParameterDraws::latin_hypercube(u, ensemble.seed, capacity);
            (u, draws, index)
        });
        Evaluator {
            world,
            path: Path::new(world),
            ensemble,
            design,
            uncertain,
            replicates: (0..capacity).map(|_| OnceLock::new()).collect(),
            runs: AtomicU64::new(0),
        }
    }

    /// The placement whose design is evaluated.
    pub fn design(&self) -> &Placement {
        self.design
    }

    /// Replicates an evaluation may ask for.
    pub fn capacity(&self) -> u32 {
        self.replicates.len() as u32
    }

    /// Model runs so far (baselines included).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Builds what replicates `reps` share, those not built yet, in parallel.
    fn prepare(&self, reps: Range<u32>) {
        (reps.start as usize..reps.end as usize)
            .into_par_iter()
            .filter(|&rep| self.replicates[rep].get().is_none())
            .for_each(|rep| {
                // Each replicate is built by exactly one task here, so no task waits on
                // another's initialisation.
                let _ = self.replicates[rep].get_or_init(|| self.build(rep as u32));
            });
    }

    fn build(&self, rep: u32) -> Replicate {
        let (world, design) = match &self.uncertain {
            Some((u, draws, index)) => {
                let values = draws.replicate(rep);
                let world = u.world_with(self.world, values);
                let path = Path::new(&world);
                (
                    Some((world, path)),
                    u.design_with(&self.design.design, *index, values),
                )
            }
            None => (None, self.design.design.clone()),
        };
        let (w, path) = world
            .as_ref()
            .map_or((self.world, &self.path), |(w, p)| (w, p));
        let shocks = (self.ensemble.mode == Mode::Stochastic)
            .then(|| Shocks::draw(w, self.ensemble.seed, rep));
        let draws = shocks.as_ref().map(|shocks| Draws {
            seed: self.ensemble.seed,
            replicate: rep,
            shocks,
        });
        let baseline = Baseline::of(&simulate(w, path, None, draws.as_ref()));
        self.runs.fetch_add(1, Ordering::Relaxed);
        Replicate {
            world,
            design,
            shocks,
            baseline,
        }
    }

    /// The summary metrics of each allocation (KUBE per region) in each replicate of its
    /// range, `[job][replicate][metric]`. All runs go in parallel; the results do not
    /// depend on the thread count.
    pub fn evaluate(&self, jobs: &[(&[u32], Range<u32>)]) -> Vec<Vec<Vec<f64>>> {
        let end = jobs.iter().map(|(_, r)| r.end).max().unwrap_or(0);
        assert!(
            end <= self.capacity(),
            "replicate {end} beyond the evaluator's capacity"
        );
        let start = jobs.iter().map(|(_, r)| r.start).min().unwrap_or(0);
        self.prepare(start..end);
        let units: Vec<(usize, u32)> = jobs
            .iter()
            .enumerate()
            .flat_map(|(j, (_, reps))| reps.clone().map(move |rep| (j, rep)))
            .collect();
        let results: Vec<Vec<f64>> = units
            .par_iter()
            .map(|&(j, rep)| self.one(jobs[j].0, rep))
            .collect();
        let mut out: Vec<Vec<Vec<f64>>> = jobs
            .iter()
            .map(|(_, r)| Vec::with_capacity(r.len()))
            .collect();
        for ((j, _), metrics) in units.into_iter().zip(results) {
            out[j].push(metrics);
        }
        out
    }

    fn one(&self, kubes: &[u32], rep: u32) -> Vec<f64> {
        let r = self.replicates[rep as usize]
            .get()
            .expect("prepared before the runs");
        let (world, path) = r
            .world
            .as_ref()
            .map_or((self.world, &self.path), |(w, p)| (w, p));
        let placement = Placement {
            kubes_per_region: kubes.to_vec(),
            design: r.design.clone(),
            ..self.design.clone()
        };
        let draws = r.shocks.as_ref().map(|shocks| Draws {
            seed: self.ensemble.seed,
            replicate: rep,
            shocks,
        });
        let run = simulate(world, path, Some(&placement), draws.as_ref());
        self.runs.fetch_add(1, Ordering::Relaxed);
        outcome::summary_metrics(world, &r.baseline, &run)
    }
}
