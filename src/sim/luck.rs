//! The stochastic model's draws (MODEL.md section 5), each from its own keyed stream.
//!
//! [`Shocks`] are what a replicate's regions and markets meet, shared by every placement of
//! the replicate; [`KubeLuck`] and [`HouseholdLuck`] are drawn per KUBE and household from
//! streams keyed by region code and index within the region, so that the j-th KUBE of a
//! region meets the same luck in every placement.

use ndarray::Array2;
use rand::RngExt;
use rand_distr::{Beta, Binomial, Distribution, Poisson, StandardNormal};
use rand_pcg::Pcg64;

use super::rng::{Entity, Kind, stream};
use crate::data::Regions;
use crate::scenario::Scenario;
use crate::scenario::params::StochasticParams;

/// A replicate's market and disease shocks, shared by all its placements.
#[derive(Debug, Clone)]
pub struct Shocks {
    /// `exp(x_t)`: multiplies the hub egg price.
    pub egg_price_factor: Vec<f64>,
    /// `exp(z_t)`: multiplies the hub feed price.
    pub feed_price_factor: Vec<f64>,
    /// Whether an avian-influenza wave is under way, `[week, region]`.
    pub wave: Array2<bool>,
}

/// Two AR(1) log-price deviations with correlated standard normal innovations, both 0 at
/// week 0: `x_t = rho x_(t-1) + sigma e1`, `z_t = rho_f z_(t-1) + sigma_f e2`.
pub fn price_deviations(p: &StochasticParams, weeks: usize, rng: &mut Pcg64) -> (Vec<f64>, Vec<f64>) {
    let c = p.egg_feed_correlation;
    let (mut x, mut z) = (vec![0.0; weeks], vec![0.0; weeks]);
    for t in 1..weeks {
        let n1: f64 = rng.sample(StandardNormal);
        let n2: f64 = rng.sample(StandardNormal);
        let e2 = c * n1 + (1.0 - c * c).sqrt() * n2;
        x[t] = p.egg_price_rho * x[t - 1] + p.egg_price_sigma * n1;
        z[t] = p.feed_price_rho * z[t - 1] + p.feed_price_sigma * e2;
    }
    (x, z)
}

/// Weeks of avian-influenza waves in one region: a wave starts with probability
/// `wave_prob_week` in a week without one and lasts `wave_weeks` weeks.
pub fn waves(p: &StochasticParams, weeks: usize, rng: &mut Pcg64) -> Vec<bool> {
    let mut left = 0u32;
    (0..weeks)
        .map(|_| {
            // One uniform every week, wave or not, so the schedule is easy to reason about.
            let u: f64 = rng.random();
            if left == 0 && u < p.wave_prob_week {
                left = p.wave_weeks;
            }
            let active = left > 0;
            left = left.saturating_sub(1);
            active
        })
        .collect()
}

impl Shocks {
    pub fn draw(s: &Scenario, replicate: u32) -> Shocks {
        let weeks = s.weeks as usize;
        let p = &s.params.stochastic;
        let mut prices = stream(s.seed, replicate, Kind::Prices, Entity::Replicate);
        let (x, z) = price_deviations(p, weeks, &mut prices);
        let mut wave = Array2::from_elem((weeks, s.regions.len()), false);
        for (r, region) in s.regions.regions.iter().enumerate() {
            let mut rng = stream(s.seed, replicate, Kind::Waves, Entity::Region(&region.code));
            for (t, active) in waves(p, weeks, &mut rng).into_iter().enumerate() {
                wave[[t, r]] = active;
            }
        }
        Shocks {
            egg_price_factor: x.into_iter().map(f64::exp).collect(),
            feed_price_factor: z.into_iter().map(f64::exp).collect(),
            wave,
        }
    }
}

/// A mean-one log-normal draw: `exp(sigma Z - sigma^2 / 2)`.
pub fn mean_one_lognormal(sigma: f64, rng: &mut Pcg64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    (sigma * z - sigma * sigma / 2.0).exp()
}

/// Whole hens that die out of `hens` when each dies with probability `p`.
pub fn binomial(hens: f64, p: f64, rng: &mut Pcg64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    // Whole numbers in stochastic mode; `as u64` saturates and maps NaN to 0.
    let n = hens.max(0.0) as u64;
    match Binomial::new(n, p) {
        Ok(d) => d.sample(rng) as f64,
        Err(_) => 0.0,
    }
}

/// The share of hens an outbreak kills: Beta with the given mean and concentration.
pub fn outbreak_severity(mean: f64, concentration: f64, rng: &mut Pcg64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if mean >= 1.0 {
        return 1.0;
    }
    match Beta::new(mean * concentration, (1.0 - mean) * concentration) {
        Ok(d) => d.sample(rng),
        Err(_) => mean,
    }
}

/// A household's size: `1 + Poisson(n_r - 1)`.
pub fn household_size(mean_size: f64, rng: &mut Pcg64) -> f64 {
    let lambda = mean_size - 1.0;
    let extra: f64 = match Poisson::new(lambda) {
        Ok(d) => d.sample(rng),
        Err(_) => 0.0, // lambda = 0: every household has one person
    };
    1.0 + extra
}

/// Per-KUBE stochastic state, struct-of-arrays like [`super::state::Kubes`].
#[derive(Debug, Clone)]
pub struct KubeLuck {
    pub production_factor: Vec<f64>,
    pub mortality_factor: Vec<f64>,
    /// Weeks of reduced laying left from an outbreak (0: none under way).
    pub outbreak_weeks_left: Vec<u32>,
    pub outbreak_rng: Vec<Pcg64>,
    pub mortality_rng: Vec<Pcg64>,
    pub severity_rng: Vec<Pcg64>,
    /// Outbreaks so far (for tests and diagnostics).
    pub outbreaks: Vec<u32>,
}

impl KubeLuck {
    /// `keys[k]` is KUBE k's (region index, index within region).
    pub fn draw(s: &Scenario, replicate: u32, regions: &Regions, keys: &[(usize, u32)]) -> KubeLuck {
        let p = &s.params.stochastic;
        let entity = |&(r, index): &(usize, u32)| Entity::Kube { region: &regions.regions[r].code, index };
        let rngs = |kind: Kind| -> Vec<Pcg64> { keys.iter().map(|k| stream(s.seed, replicate, kind, entity(k))).collect() };
        let mut production_factor = Vec::with_capacity(keys.len());
        let mut mortality_factor = Vec::with_capacity(keys.len());
        for key in keys {
            let mut rng = stream(s.seed, replicate, Kind::Management, entity(key));
            production_factor.push(mean_one_lognormal(p.management_sigma_production, &mut rng));
            mortality_factor.push(mean_one_lognormal(p.management_sigma_mortality, &mut rng));
        }
        KubeLuck {
            production_factor,
            mortality_factor,
            outbreak_weeks_left: vec![0; keys.len()],
            outbreak_rng: rngs(Kind::Outbreak),
            mortality_rng: rngs(Kind::Mortality),
            severity_rng: rngs(Kind::OutbreakSeverity),
            outbreaks: vec![0; keys.len()],
        }
    }
}

/// Per-household stochastic state.
#[derive(Debug, Clone)]
pub struct HouseholdLuck {
    /// The transitory log-income deviation `e_i(t)`, 0 at week 0.
    pub transitory: Vec<f64>,
    pub rng: Vec<Pcg64>,
}
