//! Global sensitivity analysis of a scenario (`telur sensitivity`): which uncertain
//! parameters move each placement's results, screened with Morris elementary effects or
//! measured with Sobol indices ([`crate::stats::sensitivity`]).
//!
//! Every sample point is a set of parameter values (each uncertain parameter placed in
//! its range); the scenario is run at each point with the same replicates and seed
//! (common random numbers: points differ only by their parameters), the replicates are
//! averaged, and the indices are computed per placement and metric. Points run in
//! parallel on the current rayon pool; the results do not depend on the thread count.
//! No IO: the app writes the outputs.

use rand_pcg::Pcg64;
use rayon::prelude::*;

use crate::model::{Placement, Uncertainty, World};
use crate::results::metrics::summary as sm;
use crate::sim::rng::{Entity, Kind, stream};
use crate::sim::{Ensemble, Progress, cancel, evaluate};
use crate::stats::sensitivity::{
    Index, MorrisDesign, SobolDesign, morris, morris_design, sobol, sobol_design,
};

/// The analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Screening: `mu*` and `sigma` of the elementary effects, `samples` trajectories.
    Morris,
    /// First-order and total indices, `samples` base rows of a Saltelli design.
    Sobol,
}

impl Method {
    pub const WORDS: &[&str] = &["morris", "sobol"];

    pub fn name(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    /// The fewest samples the method's indices mean anything with.
    pub fn min_samples(self) -> usize {
        match self {
            Method::Morris => 4,
            Method::Sobol => 64,
        }
    }

    /// Model runs per placement and replicate for `samples` samples of `factors`.
    pub fn points(self, factors: usize, samples: usize) -> usize {
        match self {
            Method::Morris => samples * (factors + 1),
            Method::Sobol => samples * (factors + 2),
        }
    }
}

/// A result examined: a summary metric, or the gap in graduation caused between a
/// placement and the best placement at the same point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Summary(usize),
    GapToBest,
}

impl Metric {
    /// The name of the gap to the best placement.
    pub const GAP: &str = "graduation_caused_gap_to_best";

    /// The default metrics: graduation caused, benefit-cost, KUBE operating at the end,
    /// deficit reduced, and the gap to the best placement.
    pub const DEFAULT: [Metric; 5] = [
        Metric::Summary(sm::GRADUATION_ATTRIBUTABLE_SHARE),
        Metric::Summary(sm::BENEFIT_COST_RATIO),
        Metric::Summary(sm::KUBES_OPERATING_END_SHARE),
        Metric::Summary(sm::DEFICIT_REDUCTION_KG),
        Metric::GapToBest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Summary(m) => sm::NAMES[m],
            Metric::GapToBest => Self::GAP,
        }
    }

    /// A metric by name.
    pub fn parse(name: &str) -> Option<Metric> {
        if name == Self::GAP {
            return Some(Metric::GapToBest);
        }
        sm::NAMES
            .iter()
            .position(|n| *n == name)
            .filter(|&m| m != sm::WIN_SHARE)
            .map(Metric::Summary)
    }
}

/// What to analyse and how.
#[derive(Debug, Clone)]
pub struct Settings {
    pub method: Method,
    pub samples: usize,
    pub metrics: Vec<Metric>,
    /// The parameters moved, with their ranges (a subset of the scenario's uncertain ones).
    pub uncertainty: Uncertainty,
}

/// One index of one parameter for one placement and metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub placement: String,
    pub metric: &'static str,
    pub parameter: String,
    /// `mu_star`, `sigma`, `S1` or `ST`.
    pub index: &'static str,
    pub estimate: Index,
}

/// Everything an analysis produced.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Each sample point's parameter values, `[point][parameter]`.
    pub values: Vec<Vec<f64>>,
    /// Each point's results, `[point][placement][metric]` in the order of the settings'
    /// metrics (means over the replicates).
    pub outputs: Vec<Vec<Vec<f64>>>,
    pub rows: Vec<Row>,
}

/// The design of the analysis, in the unit cube.
enum Design {
    Morris(MorrisDesign),
    Sobol(SobolDesign),
}

impl Design {
    fn points(&self) -> &[Vec<f64>] {
        match self {
            Design::Morris(d) => &d.points,
            Design::Sobol(d) => &d.points,
        }
    }
}

/// The sample points of an analysis: its design in the unit cube and the parameter values
/// at each point. The same for a given seed and settings, wherever it is built, so shards
/// of an analysis agree on what point `i` is.
pub struct Plan {
    design: Design,
    /// Each point's parameter values, `[point][parameter]`.
    pub values: Vec<Vec<f64>>,
}

impl Plan {
    pub fn new(ensemble: &Ensemble, settings: &Settings) -> Plan {
        let u = &settings.uncertainty;
        let factors = u.parameters.len();
        let mut rng = design_stream(ensemble.seed, 0);
        let design = match settings.method {
            Method::Morris => Design::Morris(morris_design(factors, settings.samples, &mut rng)),
            Method::Sobol => Design::Sobol(sobol_design(factors, settings.samples, &mut rng)),
        };
        let values = design
            .points()
            .iter()
            .map(|unit| {
                u.parameters
                    .iter()
                    .zip(unit)
                    .map(|(p, &x)| {
                        let v = p.at(x);
                        if p.whole { v.round() } else { v }
                    })
                    .collect()
            })
            .collect();
        Plan { design, values }
    }
}

/// Runs the analysis; `None` if it was interrupted.
pub fn analyse(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
    settings: &Settings,
    progress: &dyn Progress,
) -> Option<Analysis> {
    let plan = Plan::new(ensemble, settings);
    let all: Vec<usize> = (0..plan.values.len()).collect();
    progress.start(all.len() as u64);
    let outputs = evaluate(world, ensemble, placements, settings, &plan, &all, progress)?;
    Some(indices(plan, outputs, ensemble, placements, settings))
}

/// The results at `points` of `plan`, `[point][placement][metric]` (means over the
/// replicates), in parallel; `None` if interrupted.
pub fn evaluate(
    world: &World,
    ensemble: &Ensemble,
    placements: &[Placement],
    settings: &Settings,
    plan: &Plan,
    points: &[usize],
    progress: &dyn Progress,
) -> Option<Vec<Vec<Vec<f64>>>> {
    let u = &settings.uncertainty;
    let outputs: Vec<Vec<Vec<f64>>> = points
        .par_iter()
        .map(|&i| {
            if cancel::requested() {
                return Vec::new();
            }
            let v = &plan.values[i];
            let world = u.world_with(world, v);
            let placements: Vec<Placement> = placements
                .iter()
                .enumerate()
                .map(|(i, p)| Placement {
                    design: u.design_with(&p.design, i, v),
                    ..p.clone()
                })
                .collect();
            let means = evaluate::means(&evaluate::summaries(&world, ensemble, &placements));
            progress.advance();
            results_at(&means, &settings.metrics)
        })
        .collect();
    (!cancel::requested()).then_some(outputs)
}

/// The indices of every parameter for every placement and metric, from the results at
/// every point of `plan` (`outputs[point][placement][metric]`).
pub fn indices(
    plan: Plan,
    outputs: Vec<Vec<Vec<f64>>>,
    ensemble: &Ensemble,
    placements: &[Placement],
    settings: &Settings,
) -> Analysis {
    let u = &settings.uncertainty;
    let mut rows = Vec::new();
    let mut rng = design_stream(ensemble.seed, 1);
    for (pi, placement) in placements.iter().enumerate() {
        for (mi, metric) in settings.metrics.iter().enumerate() {
            // Undefined outputs (a ratio over nothing) count as 0 so the design stays whole.
            let y: Vec<f64> = outputs
                .iter()
                .map(|o| o[pi][mi])
                .map(|x| if x.is_finite() { x } else { 0.0 })
                .collect();
            let mut push = |parameter: &str, index: &'static str, estimate: Index| {
                rows.push(Row {
                    placement: placement.name.clone(),
                    metric: metric.name(),
                    parameter: parameter.to_string(),
                    index,
                    estimate,
                });
            };
            match &plan.design {
                Design::Morris(d) => {
                    for (p, m) in u.parameters.iter().zip(morris(d, &y, &mut rng)) {
                        push(&p.key, "mu_star", m.mu_star);
                        push(&p.key, "sigma", m.sigma);
                    }
                }
                Design::Sobol(d) => {
                    for (p, s) in u.parameters.iter().zip(sobol(d, &y, &mut rng)) {
                        push(&p.key, "S1", s.first);
                        push(&p.key, "ST", s.total);
                    }
                }
            }
        }
    }
    Analysis {
        values: plan.values,
        outputs,
        rows,
    }
}

/// The generator of the design (`purpose` 0) or of the bootstrap (1), keyed by the seed.
fn design_stream(seed: u64, purpose: u32) -> Pcg64 {
    stream(seed, purpose, Kind::Sensitivity, Entity::Replicate)
}

/// The metrics of each placement at one point, from the placements' mean summaries.
fn results_at(means: &[Vec<f64>], metrics: &[Metric]) -> Vec<Vec<f64>> {
    let caused = |p: &Vec<f64>| p[sm::GRADUATION_ATTRIBUTABLE_SHARE];
    let best = means
        .iter()
        .map(caused)
        .filter(|x| !x.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    means
        .iter()
        .map(|p| {
            metrics
                .iter()
                .map(|m| match m {
                    Metric::Summary(i) => p[*i],
                    Metric::GapToBest => best - caused(p),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_named_and_parsed_back() {
        for m in Metric::DEFAULT {
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        assert_eq!(
            Metric::parse("win_share"),
            None,
            "win_share compares runs, not points"
        );
        assert_eq!(Metric::parse("nonsense"), None);
        assert_eq!(Method::Morris.points(40, 10), 410);
        assert_eq!(Method::Sobol.points(3, 64), 320);
    }

    #[test]
    fn the_gap_to_the_best_placement_is_zero_for_the_best() {
        let mut a = vec![f64::NAN; sm::NAMES.len()];
        let mut b = a.clone();
        a[sm::GRADUATION_ATTRIBUTABLE_SHARE] = 0.10;
        b[sm::GRADUATION_ATTRIBUTABLE_SHARE] = 0.04;
        let r = results_at(&[a, b], &[Metric::GapToBest]);
        assert_eq!(r[0][0], 0.0);
        assert!((r[1][0] - 0.06).abs() < 1e-15);
    }
}
