//! The search for the best allocation, in three stages (after Hong and Nelson 2006 and
//! Chen et al. 2000, see below), every comparison under common random numbers:
//!
//! 1. **Greedy marginal allocation.** From each region's minimum, the budget is handed out
//!    `step` KUBE at a time, each step to the region where it adds most to the objective
//!    (Gross 1956, Fox 1966: for a separable concave objective, greedy steps reach the
//!    optimum; see Ibaraki and Katoh 1988, "Resource allocation problems", chapter 4).
//!    Each candidate step is a full run of the whole allocation, on the same replicates
//!    as every other. With an objective that is a sum over regions and many regions, the
//!    candidates are first screened by each region's own curve (the design in that region
//!    alone, at its current count and one step more): the best few by that prediction are
//!    run in full.
//! 2. **Local search.** Moves of one step from one region to another, tried from the
//!    greedy allocation until no move helps: the neighbourhood search of COMPASS (Hong and
//!    Nelson 2006, "Discrete optimization via simulation using COMPASS", Operations
//!    Research 54), with every visited allocation kept, so none is run twice. A move is
//!    taken when its paired mean improvement over the current allocation is positive and
//!    larger than its standard error, so noise alone rarely moves the search.
//! 3. **Confirmation.** The best few allocations found are run again with more replicates,
//!    shared among them by OCBA ([`crate::stats::ocba`]: the close and noisy ones get more),
//!    and the winner's lead over the runner-up is given as a paired 95% interval.
//!
//! Then the value of one more step in each region at the winning allocation (the
//! planner's priority list), and, for an objective of two metrics, the best allocation
//! for each of a sweep of weights between them (the frontier).

use std::collections::HashMap;

use super::{Evaluator, Objective};
use crate::results::metrics::summary as sm;
use crate::stats::ocba;
use crate::stats::paired::{self, Difference};

/// Where in the search an allocation was first evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The design placement's own allocation: the reference of a weighted objective and
    /// of a rupiah budget.
    Reference,
    /// A region's curve: the design in that region alone.
    Screen,
    Greedy,
    Local,
    Confirm,
    /// One step more than the winner, in one region.
    Marginal,
    Frontier,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Reference => "reference",
            Stage::Screen => "screen",
            Stage::Greedy => "greedy",
            Stage::Local => "local",
            Stage::Confirm => "confirm",
            Stage::Marginal => "marginal",
            Stage::Frontier => "frontier",
        }
    }
}

/// How large the budget is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    Kubes(u32),
    /// Rupiah: as many KUBE as it buys at the design's mean programme cost per KUBE
    /// (outlay and mentoring) in the reference evaluation.
    Rupiah(f64),
}

/// What to search and how.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Regions the KUBE may go to (indices in the regions table), ascending.
    pub candidates: Vec<usize>,
    /// Per region of the table: the fewest and the most KUBE it may get.
    pub min: Vec<u32>,
    pub max: Vec<u32>,
    pub budget: Budget,
    pub step: u32,
    /// The objective's metrics and weights (scales are set from the reference).
    pub objective: Objective,
    /// Replicates per evaluation in stages 1 and 2.
    pub replicates: u32,
    /// Extra replicates stage 3 shares among the finalists (0: no confirmation).
    pub confirm_replicates: u32,
    /// How many of the best allocations stage 3 compares.
    pub finalists: usize,
    /// Weights of the first of two metrics for the frontier (empty: no frontier).
    pub frontier_weights: Vec<f64>,
}

/// An allocation evaluated, with each of its replicates' summary metrics.
#[derive(Debug, Clone)]
pub struct Record {
    pub kubes: Vec<u32>,
    pub stage: Stage,
    /// `[replicate][metric]`, summary metrics (NaN where undefined).
    pub summaries: Vec<Vec<f64>>,
}

impl Record {
    pub fn total(&self) -> u32 {
        self.kubes.iter().sum()
    }
}

/// The winner's lead over another allocation.
pub type Lead = Difference;

/// What one more step of KUBE in a region adds at the winning allocation.
#[derive(Debug, Clone)]
pub struct Marginal {
    pub region: usize,
    /// KUBE the region has in the winning allocation.
    pub kubes: u32,
    /// The record of the allocation with one step more there.
    pub record: usize,
    /// Its objective minus the winner's, paired over the search's replicates.
    pub value: Difference,
}

/// One point of the frontier between two metrics.
#[derive(Debug, Clone)]
pub struct FrontierPoint {
    /// Weight of the first metric (the second has `1 - weight`).
    pub weight: f64,
    pub record: usize,
}

/// Everything the search found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The objective with its scales.
    pub objective: Objective,
    /// The budget in KUBE.
    pub budget: u32,
    /// Programme cost per KUBE in the reference evaluation (what a rupiah budget buys).
    pub cost_per_kube_rp: f64,
    /// Every allocation evaluated, in the order first evaluated.
    pub records: Vec<Record>,
    pub reference: usize,
    pub best: usize,
    pub runner_up: Option<usize>,
    /// The best's objective minus the runner-up's, paired.
    pub lead: Option<Lead>,
    pub marginal: Vec<Marginal>,
    pub frontier: Vec<FrontierPoint>,
    /// Model runs, baselines included.
    pub runs: u64,
}

impl Outcome {
    /// The objective in each replicate of a record.
    pub fn values(&self, record: usize) -> Vec<f64> {
        values(&self.objective, &self.records[record])
    }
}

fn values(objective: &Objective, r: &Record) -> Vec<f64> {
    r.summaries.iter().map(|m| objective.value(m)).collect()
}

/// Mean over the replicates where it is defined (NaN where none is).
pub fn mean(x: &[f64]) -> f64 {
    let defined: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    if defined.is_empty() {
        f64::NAN
    } else {
        defined.iter().sum::<f64>() / defined.len() as f64
    }
}

/// Told how the search goes: evaluations done and the best so far.
pub trait Watch: Sync {
    fn note(&self, _stage: Stage, _evaluations: usize, _best: f64, _line: &str) {}
}

/// Nobody watching.
pub struct Unwatched;
impl Watch for Unwatched {}

/// Above this many candidate steps, an additive objective's steps are screened by the
/// regions' curves and only the best few run in full.
const SCREEN_ABOVE: usize = 8;
/// How many screened steps run in full.
const SCREENED: usize = 4;
/// Above this many moves, an additive objective's moves are screened by the curves.
const MOVES_ABOVE: usize = 40;
/// How many screened moves run in full.
const MOVES_SCREENED: usize = 12;
/// Local search gives up after this many moves (it has always stopped long before).
const MAX_MOVES: usize = 500;
/// Rounds of stage 3.
const CONFIRM_ROUNDS: u32 = 4;

struct Search<'s, 'e> {
    ev: &'s Evaluator<'e>,
    s: &'s Settings,
    objective: Objective,
    budget: u32,
    records: Vec<Record>,
    memo: HashMap<Vec<u32>, usize>,
    watch: &'s dyn Watch,
}

/// The search after its reference evaluation: the budget in KUBE and the objective's
/// scales are known, nothing else has run. The app checks the budget against the memory
/// guard here.
pub struct Prepared<'s, 'e> {
    search: Search<'s, 'e>,
    reference: usize,
    cost_per_kube_rp: f64,
}

impl Prepared<'_, '_> {
    /// The budget in KUBE.
    pub fn budget(&self) -> u32 {
        self.search.budget
    }

    /// Programme cost per KUBE of the design in the reference evaluation.
    pub fn cost_per_kube_rp(&self) -> f64 {
        self.cost_per_kube_rp
    }
}

/// Evaluates the design placement's own allocation (the reference) and sets the budget in
/// KUBE and the objective's scales; `Err` with a message when the settings cannot be met
/// (a rupiah budget that buys no KUBE, bounds that leave no allocation, a weighted metric
/// that is not above zero under the reference).
pub fn prepare<'s, 'e>(
    ev: &'s Evaluator<'e>,
    s: &'s Settings,
    watch: &'s dyn Watch,
) -> Result<Prepared<'s, 'e>, Refusal> {
    assert!(
        s.replicates >= 1 && s.replicates <= ev.capacity(),
        "replicates within capacity"
    );
    let mut search = Search {
        ev,
        s,
        objective: s.objective.clone(),
        budget: 0,
        records: Vec::new(),
        memo: HashMap::new(),
        watch,
    };
    let reference_kubes = ev.design().kubes_per_region.clone();
    let reference = search.evaluate(vec![reference_kubes], s.replicates, Stage::Reference)[0];
    let metric_mean = |search: &Search, metric: usize| {
        let r = &search.records[reference];
        mean(&r.summaries.iter().map(|m| m[metric]).collect::<Vec<_>>())
    };
    let kubes = f64::from(search.records[reference].total());
    let cost_per_kube_rp = metric_mean(&search, sm::PROGRAM_COST_RP) / kubes;
    search.budget = match s.budget {
        Budget::Kubes(n) => n,
        Budget::Rupiah(rp) => {
            let n = (rp / cost_per_kube_rp).floor();
            if n.is_nan() || n < 1.0 {
                return Err(Refusal::Budget(format!(
                    "{rp:.0} rupiah buys no KUBE: the design costs Rp {cost_per_kube_rp:.0} per KUBE (outlay and mentoring, mean of the design placement's run)"
                )));
            }
            n.min(f64::from(u32::MAX)) as u32
        }
    };
    check_bounds(s, search.budget)?;
    if search.objective.terms.len() > 1 {
        let means: Vec<f64> = search
            .objective
            .terms
            .iter()
            .map(|t| metric_mean(&search, t.metric))
            .collect();
        for (t, &value) in search.objective.terms.iter_mut().zip(&means) {
            if !(value.is_finite() && value > 0.0) {
                return Err(Refusal::Objective(format!(
                    "cannot weigh {}: a weighted objective divides each metric by its value under the design placement's own allocation, and it is {value} there",
                    sm::NAMES[t.metric]
                )));
            }
            t.scale = value;
        }
    }
    Ok(Prepared {
        search,
        reference,
        cost_per_kube_rp,
    })
}

/// Runs the three stages, the marginal values and the frontier.
pub fn run(prepared: Prepared) -> Outcome {
    let Prepared {
        mut search,
        reference,
        cost_per_kube_rp,
    } = prepared;
    let found = search.find(Stage::Greedy, Stage::Local);
    let (best, runner_up, lead) = search.confirm(found);
    let marginal = search.marginal(best);
    let frontier = search.frontier();
    Outcome {
        objective: search.objective,
        budget: search.budget,
        cost_per_kube_rp,
        reference,
        best,
        runner_up,
        lead,
        marginal,
        frontier,
        runs: search.ev.runs(),
        records: search.records,
    }
}

/// [`prepare`] and [`run`] in one.
pub fn optimize(ev: &Evaluator, s: &Settings, watch: &dyn Watch) -> Result<Outcome, Refusal> {
    prepare(ev, s, watch).map(run)
}

/// Why a search cannot run, by the setting to change.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Budget(String),
    Minimums(String),
    Maximums(String),
    Objective(String),
}

/// A term of an objective with its scale to be set from the reference.
pub fn term(metric: usize, weight: f64) -> super::Term {
    super::Term {
        metric,
        weight,
        scale: 1.0,
    }
}

/// The bounds must leave room for the budget.
fn check_bounds(s: &Settings, budget: u32) -> Result<(), Refusal> {
    let low: u64 = s.candidates.iter().map(|&r| u64::from(s.min[r])).sum();
    let high: u64 = s.candidates.iter().map(|&r| u64::from(s.max[r])).sum();
    if low > u64::from(budget) {
        return Err(Refusal::Minimums(format!(
            "the regions' minimums add up to {low} KUBE, more than the budget of {budget}"
        )));
    }
    if high < u64::from(budget) {
        return Err(Refusal::Maximums(format!(
            "the regions' maximums add up to {high} KUBE, fewer than the budget of {budget}"
        )));
    }
    Ok(())
}

impl Search<'_, '_> {
    /// Evaluates allocations with at least `reps` replicates each (what was already run is
    /// kept); returns their records.
    fn evaluate(&mut self, allocs: Vec<Vec<u32>>, reps: u32, stage: Stage) -> Vec<usize> {
        let mut ids = Vec::with_capacity(allocs.len());
        let mut jobs: Vec<(usize, std::ops::Range<u32>)> = Vec::new();
        for kubes in allocs {
            let id = match self.memo.get(&kubes) {
                Some(&id) => id,
                None => {
                    self.records.push(Record {
                        kubes: kubes.clone(),
                        stage,
                        summaries: Vec::new(),
                    });
                    let id = self.records.len() - 1;
                    self.memo.insert(kubes, id);
                    id
                }
            };
            let have = self.records[id].summaries.len() as u32;
            if have < reps && !jobs.iter().any(|(j, _)| *j == id) {
                jobs.push((id, have..reps));
            }
            ids.push(id);
        }
        if !jobs.is_empty() {
            let kubes: Vec<Vec<u32>> = jobs
                .iter()
                .map(|(id, _)| self.records[*id].kubes.clone())
                .collect();
            let args: Vec<(&[u32], std::ops::Range<u32>)> = kubes
                .iter()
                .zip(&jobs)
                .map(|(k, (_, reps))| (k.as_slice(), reps.clone()))
                .collect();
            let results = self.ev.evaluate(&args);
            for ((id, _), summaries) in jobs.iter().zip(results) {
                self.records[*id].summaries.extend(summaries);
            }
        }
        ids
    }

    /// The objective in each of the search's replicates of a record.
    fn search_values(&self, id: usize) -> Vec<f64> {
        let r = &self.records[id];
        let n = (self.s.replicates as usize).min(r.summaries.len());
        r.summaries[..n]
            .iter()
            .map(|m| self.objective.value(m))
            .collect()
    }

    fn search_mean(&self, id: usize) -> f64 {
        mean(&self.search_values(id))
    }

    /// The objective's mean for `n` KUBE in `region` alone (0 for none).
    fn curve(&self, region: usize, n: u32) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let mut kubes = vec![0; self.s.min.len()];
        kubes[region] = n;
        self.memo
            .get(&kubes)
            .map_or(f64::NAN, |&id| self.search_mean(id))
    }

    /// Evaluates the curve points not evaluated yet.
    fn curves(&mut self, points: &[(usize, u32)]) {
        let allocs: Vec<Vec<u32>> = points
            .iter()
            .filter(|&&(_, n)| n > 0)
            .map(|&(region, n)| {
                let mut kubes = vec![0; self.s.min.len()];
                kubes[region] = n;
                kubes
            })
            .collect();
        self.evaluate(allocs, self.s.replicates, Stage::Screen);
    }

    fn note(&self, stage: Stage, best: usize, line: &str) {
        self.watch
            .note(stage, self.records.len(), self.search_mean(best), line);
    }

    /// Stages 1 and 2 from each region's minimum; returns the record found.
    fn find(&mut self, greedy_stage: Stage, local_stage: Stage) -> usize {
        let mut kubes = vec![0u32; self.s.min.len()];
        for &r in &self.s.candidates {
            kubes[r] = self.s.min[r];
        }
        let start = self.greedy(kubes, greedy_stage);
        self.local(start, local_stage)
    }

    /// Stage 1.
    fn greedy(&mut self, mut kubes: Vec<u32>, stage: Stage) -> usize {
        let mut placed: u32 = kubes.iter().sum();
        let mut current = None;
        if placed == self.budget {
            return self.evaluate(vec![kubes], self.s.replicates, stage)[0];
        }
        while placed < self.budget {
            let size = self.s.step.min(self.budget - placed);
            let feasible: Vec<usize> = self
                .s
                .candidates
                .iter()
                .copied()
                .filter(|&r| u64::from(kubes[r]) + u64::from(size) <= u64::from(self.s.max[r]))
                .collect();
            let picks = if self.objective.additive() && feasible.len() > SCREEN_ABOVE {
                let points: Vec<(usize, u32)> = feasible
                    .iter()
                    .flat_map(|&r| [(r, kubes[r]), (r, kubes[r] + size)])
                    .collect();
                self.curves(&points);
                let mut ranked: Vec<(usize, f64)> = feasible
                    .iter()
                    .map(|&r| (r, self.curve(r, kubes[r] + size) - self.curve(r, kubes[r])))
                    .collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                ranked.iter().take(SCREENED).map(|&(r, _)| r).collect()
            } else {
                feasible
            };
            let allocs: Vec<Vec<u32>> = picks
                .iter()
                .map(|&r| {
                    let mut k = kubes.clone();
                    k[r] += size;
                    k
                })
                .collect();
            let ids = self.evaluate(allocs, self.s.replicates, stage);
            let best = self.best_of(&ids);
            kubes = self.records[best].kubes.clone();
            placed += size;
            current = Some(best);
            self.note(
                stage,
                best,
                &format!("{placed} of {} KUBE placed", self.budget),
            );
        }
        current.expect("at least one step")
    }

    /// The record with the highest mean; ties to the earlier.
    fn best_of(&self, ids: &[usize]) -> usize {
        let mut best = ids[0];
        for &id in &ids[1..] {
            if self.search_mean(id) > self.search_mean(best) || self.search_mean(best).is_nan() {
                best = id;
            }
        }
        best
    }

    /// Stage 2: moves of one step between regions until none helps.
    fn local(&mut self, mut current: usize, stage: Stage) -> usize {
        let step = self.s.step;
        for _ in 0..MAX_MOVES {
            let kubes = self.records[current].kubes.clone();
            let mut moves: Vec<(usize, usize)> = Vec::new();
            for &from in &self.s.candidates {
                if kubes[from] < step || kubes[from] - step < self.s.min[from] {
                    continue;
                }
                for &to in &self.s.candidates {
                    if to != from
                        && u64::from(kubes[to]) + u64::from(step) <= u64::from(self.s.max[to])
                    {
                        moves.push((from, to));
                    }
                }
            }
            if moves.is_empty() {
                break;
            }
            if self.objective.additive() && moves.len() > MOVES_ABOVE {
                let mut points = Vec::new();
                for &r in &self.s.candidates {
                    points.push((r, kubes[r]));
                    points.push((r, kubes[r] + step));
                    if kubes[r] >= step {
                        points.push((r, kubes[r] - step));
                    }
                }
                self.curves(&points);
                let gain = |s: &Self, (from, to): (usize, usize)| {
                    (s.curve(to, kubes[to] + step) - s.curve(to, kubes[to]))
                        - (s.curve(from, kubes[from]) - s.curve(from, kubes[from] - step))
                };
                let mut ranked: Vec<((usize, usize), f64)> =
                    moves.iter().map(|&m| (m, gain(self, m))).collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                moves = ranked
                    .iter()
                    .take(MOVES_SCREENED)
                    .map(|&(m, _)| m)
                    .collect();
            }
            let allocs: Vec<Vec<u32>> = moves
                .iter()
                .map(|&(from, to)| {
                    let mut k = kubes.clone();
                    k[from] -= step;
                    k[to] += step;
                    k
                })
                .collect();
            let ids = self.evaluate(allocs, self.s.replicates, stage);
            let here = self.search_values(current);
            let mut chosen: Option<(usize, Difference)> = None;
            for &id in &ids {
                let Some(d) = paired::difference(&self.search_values(id), &here) else {
                    continue;
                };
                if chosen.as_ref().is_none_or(|(_, c)| d.mean > c.mean) {
                    chosen = Some((id, d));
                }
            }
            let tolerance = 1e-12 * mean(&here).abs().max(1e-300);
            match chosen {
                Some((id, d)) if d.mean > tolerance && d.mean > d.se => {
                    current = id;
                    self.note(stage, current, "moved a step between regions");
                }
                _ => break,
            }
        }
        current
    }

    /// Stage 3: the finalists with more replicates (OCBA); returns the winner, the
    /// runner-up and the lead.
    fn confirm(&mut self, found: usize) -> (usize, Option<usize>, Option<Lead>) {
        let full: Vec<usize> = (0..self.records.len())
            .filter(|&id| self.records[id].total() == self.budget && self.feasible(id))
            .collect();
        let mut finalists = full.clone();
        finalists.sort_by(|&a, &b| {
            self.search_mean(b)
                .total_cmp(&self.search_mean(a))
                .then(a.cmp(&b))
        });
        finalists.truncate(self.s.finalists.max(1));
        if !finalists.contains(&found) {
            finalists.pop();
            finalists.insert(0, found);
        }
        if finalists.len() < 2 {
            return (found, None, None);
        }
        let capacity = self.ev.capacity();
        let per_round = self.s.confirm_replicates / CONFIRM_ROUNDS;
        for _ in 0..CONFIRM_ROUNDS {
            if per_round == 0 {
                break;
            }
            let stats: Vec<(f64, f64, usize)> = finalists
                .iter()
                .map(|&id| {
                    let v = values(&self.objective, &self.records[id]);
                    let m = mean(&v);
                    let defined: Vec<f64> = v.into_iter().filter(|x| !x.is_nan()).collect();
                    let var = if defined.len() > 1 {
                        defined.iter().map(|x| (x - m).powi(2)).sum::<f64>()
                            / (defined.len() - 1) as f64
                    } else {
                        0.0
                    };
                    (m, var, self.records[id].summaries.len())
                })
                .collect();
            let more = ocba::allocate(
                &stats.iter().map(|s| s.0).collect::<Vec<_>>(),
                &stats.iter().map(|s| s.1).collect::<Vec<_>>(),
                &stats.iter().map(|s| s.2).collect::<Vec<_>>(),
                per_round as usize,
            );
            let allocs: Vec<(Vec<u32>, u32)> = finalists
                .iter()
                .zip(&more)
                .map(|(&id, &m)| {
                    let have = self.records[id].summaries.len() as u32;
                    (
                        self.records[id].kubes.clone(),
                        (have + m as u32).min(capacity),
                    )
                })
                .collect();
            for (kubes, reps) in allocs {
                self.evaluate(vec![kubes], reps, Stage::Confirm);
            }
        }
        let full_mean = |s: &Self, id: usize| mean(&values(&s.objective, &s.records[id]));
        finalists.sort_by(|&a, &b| {
            full_mean(self, b)
                .total_cmp(&full_mean(self, a))
                .then(a.cmp(&b))
        });
        let (best, runner) = (finalists[0], finalists[1]);
        let lead = paired::difference(
            &values(&self.objective, &self.records[best]),
            &values(&self.objective, &self.records[runner]),
        );
        self.note(
            Stage::Confirm,
            best,
            "finalists compared with more replicates",
        );
        (best, Some(runner), lead)
    }

    fn feasible(&self, id: usize) -> bool {
        let k = &self.records[id].kubes;
        (0..k.len()).all(|r| {
            let candidate = self.s.candidates.contains(&r);
            if candidate {
                k[r] >= self.s.min[r] && k[r] <= self.s.max[r]
            } else {
                k[r] == 0
            }
        })
    }

    /// One step more in each candidate region, against the winner.
    fn marginal(&mut self, best: usize) -> Vec<Marginal> {
        let kubes = self.records[best].kubes.clone();
        let regions: Vec<usize> = self
            .s
            .candidates
            .iter()
            .copied()
            .filter(|&r| u64::from(kubes[r]) + u64::from(self.s.step) <= u64::from(self.s.max[r]))
            .collect();
        let allocs: Vec<Vec<u32>> = regions
            .iter()
            .map(|&r| {
                let mut k = kubes.clone();
                k[r] += self.s.step;
                k
            })
            .collect();
        let ids = self.evaluate(allocs, self.s.replicates, Stage::Marginal);
        let here = self.search_values(best);
        let mut out: Vec<Marginal> = regions
            .iter()
            .zip(ids)
            .filter_map(|(&region, id)| {
                paired::difference(&self.search_values(id), &here).map(|value| Marginal {
                    region,
                    kubes: kubes[region],
                    record: id,
                    value,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.value
                .mean
                .total_cmp(&a.value.mean)
                .then(a.region.cmp(&b.region))
        });
        out
    }

    /// The best allocation for each weight of the first of two metrics.
    fn frontier(&mut self) -> Vec<FrontierPoint> {
        if self.objective.terms.len() != 2 {
            return Vec::new();
        }
        let objective = self.objective.clone();
        let mut points = Vec::new();
        for &w in &self.s.frontier_weights {
            self.objective.terms[0].weight = w;
            self.objective.terms[1].weight = 1.0 - w;
            let record = self.find(Stage::Frontier, Stage::Frontier);
            self.note(Stage::Frontier, record, &format!("frontier at weight {w}"));
            points.push(FrontierPoint { weight: w, record });
        }
        self.objective = objective;
        points
    }
}
