//! Global sensitivity analysis on the unit hypercube: Morris elementary effects and Sobol
//! indices, with bootstrap confidence intervals. Pure arithmetic on a model given as
//! values at sample points; what the points mean (parameter ranges) is the caller's.
//!
//! - Morris (1991), with the `mu*` of Campolongo, Cariboni and Saltelli (2007): `r`
//!   trajectories on a `p = 4` level grid, steps of `delta = p / (2 (p - 1)) = 2/3`; each
//!   trajectory moves every factor once, in a random order and direction. An elementary
//!   effect is `(f(after) - f(before)) / delta` in unit-cube coordinates (as SALib
//!   computes them), so `mu*` compares factors of different units.
//! - Sobol: Saltelli's (2010) scheme, matrices `A` and `B` of `N` rows and `A_B^i` (`A`
//!   with column `i` from `B`), `N (d + 2)` evaluations; first-order indices by Saltelli et
//!   al. (2010, eq. (b) of table 2), total indices by Jansen (1999), both over the variance
//!   of `f(A)` and `f(B)` together.
//! - Confidence intervals: percentile bootstrap (2.5% and 97.5%) over trajectories
//!   (Morris) or rows (Sobol), from a seeded generator.

use rand::RngExt;
use rand_pcg::Pcg64;

/// Morris grid levels and step.
pub const MORRIS_LEVELS: usize = 4;
/// The Morris step in the unit cube: `p / (2 (p - 1))`.
pub const MORRIS_DELTA: f64 = MORRIS_LEVELS as f64 / (2.0 * (MORRIS_LEVELS as f64 - 1.0));

/// Bootstrap resamples for confidence intervals.
pub const BOOTSTRAP: usize = 1000;

/// A Morris design: `trajectories` runs of `factors + 1` points each, trajectory after
/// trajectory, with which factor each step moved (`moved[t][s]` moved between point `s`
/// and `s + 1` of trajectory `t`).
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    pub factors: usize,
    pub points: Vec<Vec<f64>>,
    pub moved: Vec<Vec<usize>>,
}

/// Draws a Morris design.
pub fn morris_design(factors: usize, trajectories: usize, rng: &mut Pcg64) -> MorrisDesign {
    let step = MORRIS_DELTA;
    let levels = (MORRIS_LEVELS - 1) as f64;
    let mut points = Vec::with_capacity(trajectories * (factors + 1));
    let mut moved = Vec::with_capacity(trajectories);
    for _ in 0..trajectories {
        // Each factor starts where a step up or a step down stays inside the grid.
        let mut x: Vec<f64> = (0..factors)
            .map(|_| {
                let up: bool = rng.random();
                // Grid values 0, 1/3, 2/3, 1; a step of 2/3 up from 0 or 1/3, down from 2/3 or 1.
                let level = rng.random_range(0..MORRIS_LEVELS / 2) as f64;
                if up {
                    level / levels
                } else {
                    1.0 - level / levels
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..factors).collect();
        for i in (1..factors).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        points.push(x.clone());
        for &i in &order {
            x[i] = if x[i] + step <= 1.0 + 1e-12 {
                x[i] + step
            } else {
                x[i] - step
            };
            points.push(x.clone());
        }
        moved.push(order);
    }
    MorrisDesign {
        factors,
        points,
        moved,
    }
}

/// An index with its bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Index {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Morris indices of one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Morris {
    /// Mean absolute elementary effect: the factor's overall influence.
    pub mu_star: Index,
    /// Standard deviation of the elementary effects: interactions and non-linearity.
    pub sigma: Index,
}

/// The elementary effects of each factor, one per trajectory (`[factor][trajectory]`).
pub fn elementary_effects(design: &MorrisDesign, y: &[f64]) -> Vec<Vec<f64>> {
    let k = design.factors;
    let mut effects = vec![Vec::with_capacity(design.moved.len()); k];
    for (t, order) in design.moved.iter().enumerate() {
        let base = t * (k + 1);
        for (s, &i) in order.iter().enumerate() {
            let (a, b) = (&design.points[base + s], &design.points[base + s + 1]);
            let dx = b[i] - a[i];
            effects[i].push((y[base + s + 1] - y[base + s]) / dx);
        }
    }
    effects
}

fn mu_star(e: &[f64]) -> f64 {
    e.iter().map(|x| x.abs()).sum::<f64>() / e.len() as f64
}

fn sd(e: &[f64]) -> f64 {
    if e.len() < 2 {
        return f64::NAN;
    }
    let mean = e.iter().sum::<f64>() / e.len() as f64;
    (e.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (e.len() - 1) as f64).sqrt()
}

/// The 2.5th and 97.5th percentiles of `stat` over bootstrap resamples of `n` items.
fn bootstrap(n: usize, rng: &mut Pcg64, mut stat: impl FnMut(&[usize]) -> f64) -> (f64, f64) {
    let mut values = Vec::with_capacity(BOOTSTRAP);
    let mut picks = vec![0usize; n];
    for _ in 0..BOOTSTRAP {
        for p in picks.iter_mut() {
            *p = rng.random_range(0..n);
        }
        let v = stat(&picks);
        if v.is_finite() {
            values.push(v);
        }
    }
    values.sort_by(f64::total_cmp);
    (
        super::quantile_sorted(&values, 0.025),
        super::quantile_sorted(&values, 0.975),
    )
}

/// Morris `mu*` and `sigma` of every factor, with bootstrap intervals over trajectories.
pub fn morris(design: &MorrisDesign, y: &[f64], rng: &mut Pcg64) -> Vec<Morris> {
    elementary_effects(design, y)
        .iter()
        .map(|e| {
            let pick = |idx: &[usize]| idx.iter().map(|&i| e[i]).collect::<Vec<_>>();
            let (mu_lo, mu_hi) = bootstrap(e.len(), rng, |idx| mu_star(&pick(idx)));
            let (sd_lo, sd_hi) = bootstrap(e.len(), rng, |idx| sd(&pick(idx)));
            Morris {
                mu_star: Index {
                    value: mu_star(e),
                    low: mu_lo,
                    high: mu_hi,
                },
                sigma: Index {
                    value: sd(e),
                    low: sd_lo,
                    high: sd_hi,
                },
            }
        })
        .collect()
}

/// A Saltelli design: points `A`, then `B`, then `A_B^1`, ..., `A_B^d`, each `n` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolDesign {
    pub factors: usize,
    pub rows: usize,
    pub points: Vec<Vec<f64>>,
}

/// Draws a Saltelli design of `rows` base rows.
pub fn sobol_design(factors: usize, rows: usize, rng: &mut Pcg64) -> SobolDesign {
    let draw = |rng: &mut Pcg64| -> Vec<Vec<f64>> {
        (0..rows)
            .map(|_| (0..factors).map(|_| rng.random()).collect())
            .collect()
    };
    let a = draw(rng);
    let b = draw(rng);
    let mut points = Vec::with_capacity(rows * (factors + 2));
    points.extend(a.iter().cloned());
    points.extend(b.iter().cloned());
    for i in 0..factors {
        for (ra, rb) in a.iter().zip(&b) {
            let mut p = ra.clone();
            p[i] = rb[i];
            points.push(p);
        }
    }
    SobolDesign {
        factors,
        rows,
        points,
    }
}

/// Sobol indices of one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sobol {
    /// First order: the share of the output's variance due to this factor alone.
    pub first: Index,
    /// Total: the share due to this factor with all its interactions.
    pub total: Index,
}

/// First-order and total indices of every factor from the model's values at a Saltelli
/// design's points, with bootstrap intervals over the rows.
pub fn sobol(design: &SobolDesign, y: &[f64], rng: &mut Pcg64) -> Vec<Sobol> {
    let n = design.rows;
    let fa = &y[..n];
    let fb = &y[n..2 * n];
    let estimate = |i: usize, rows: &[usize]| -> (f64, f64) {
        let fab = &y[(2 + i) * n..(3 + i) * n];
        let m = rows.len() as f64;
        let all: Vec<f64> = rows.iter().flat_map(|&j| [fa[j], fb[j]]).collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64;
        let first = rows.iter().map(|&j| fb[j] * (fab[j] - fa[j])).sum::<f64>() / m;
        let total = rows.iter().map(|&j| (fa[j] - fab[j]).powi(2)).sum::<f64>() / (2.0 * m);
        if var > 0.0 {
            (first / var, total / var)
        } else {
            (0.0, 0.0)
        }
    };
    let everyone: Vec<usize> = (0..n).collect();
    (0..design.factors)
        .map(|i| {
            let (s1, st) = estimate(i, &everyone);
            let (s1_lo, s1_hi) = bootstrap(n, rng, |rows| estimate(i, rows).0);
            let (st_lo, st_hi) = bootstrap(n, rng, |rows| estimate(i, rows).1);
            Sobol {
                first: Index {
                    value: s1,
                    low: s1_lo,
                    high: s1_hi,
                },
                total: Index {
                    value: st,
                    low: st_lo,
                    high: st_hi,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Entity, Kind, stream};
    use std::f64::consts::PI;

    fn rng(i: u32) -> Pcg64 {
        stream(2010, i, Kind::Sensitivity, Entity::Replicate)
    }

    /// Ishigami's function on [-pi, pi]^3 with a = 7, b = 0.1.
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    #[test]
    fn sobol_indices_of_the_ishigami_function_match_the_analytic_ones() {
        let design = sobol_design(3, 8192, &mut rng(0));
        let y: Vec<f64> = design.points.iter().map(|p| ishigami(p)).collect();
        let s = sobol(&design, &y, &mut rng(1));
        let first = [0.314, 0.442, 0.0];
        let total = [0.558, 0.442, 0.244];
        for i in 0..3 {
            assert!(
                (s[i].first.value - first[i]).abs() < 0.04,
                "S1 {i}: {:?}",
                s[i]
            );
            assert!(
                (s[i].total.value - total[i]).abs() < 0.04,
                "ST {i}: {:?}",
                s[i]
            );
            // The intervals are honest: each holds the analytic value.
            assert!(s[i].first.low - 0.01 <= first[i] && first[i] <= s[i].first.high + 0.01);
            assert!(s[i].total.low - 0.01 <= total[i] && total[i] <= s[i].total.high + 0.01);
        }
    }

    /// Sobol's G function: factor i matters the more the smaller `a_i`.
    fn g_function(u: &[f64]) -> f64 {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
        u.iter()
            .zip(a)
            .map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a))
            .product()
    }

    #[test]
    fn morris_ranks_the_g_function_factors_by_their_known_importance() {
        let design = morris_design(6, 40, &mut rng(2));
        assert_eq!(design.points.len(), 40 * 7);
        // Every step moves one factor by 2/3 and stays inside the unit cube.
        for (t, order) in design.moved.iter().enumerate() {
            for (s, &i) in order.iter().enumerate() {
                let (a, b) = (&design.points[t * 7 + s], &design.points[t * 7 + s + 1]);
                assert!(((b[i] - a[i]).abs() - MORRIS_DELTA).abs() < 1e-12);
                assert!(b.iter().all(|v| (0.0..=1.0).contains(v)));
            }
        }
        let y: Vec<f64> = design.points.iter().map(|p| g_function(p)).collect();
        let m = morris(&design, &y, &mut rng(3));
        let mu: Vec<f64> = m.iter().map(|x| x.mu_star.value).collect();
        for i in 0..3 {
            assert!(mu[i] > mu[i + 1], "mu* {mu:?}");
        }
        assert!(mu[4] < 0.05 * mu[0] && mu[5] < 0.05 * mu[0], "{mu:?}");
    }

    #[test]
    fn a_factor_the_model_ignores_gets_exactly_zero() {
        let f = |u: &[f64]| u[0] * 3.0 + u[1].powi(2);
        let design = morris_design(3, 10, &mut rng(4));
        let y: Vec<f64> = design.points.iter().map(|p| f(p)).collect();
        let m = morris(&design, &y, &mut rng(5));
        assert_eq!(m[2].mu_star.value, 0.0);
        assert_eq!(m[2].sigma.value, 0.0);
        let design = sobol_design(3, 256, &mut rng(6));
        let y: Vec<f64> = design.points.iter().map(|p| f(p)).collect();
        let s = sobol(&design, &y, &mut rng(7));
        assert_eq!((s[2].first.value, s[2].total.value), (0.0, 0.0));
    }
}
