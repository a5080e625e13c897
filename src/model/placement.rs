//! Placements: how many KUBE go to which region, when they start (MODEL.md 4.2), and the
//! programme design they are given (MODEL.md 8).

use std::sync::Arc;

use super::market;
use super::params::{FlockParams, KubeParams, ProgramParams};
use crate::data::{Breed, RegionId, Regions};

/// The weight of a proportional placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Annual baseline deficit at t = 0 with season 1: `max(0, 52 * (D_r(0) - B_r(0)))`.
    Deficit,
    PoorPeople,
    Population,
}

impl Weight {
    pub const NAMES: [&str; 3] = ["deficit", "poor_people", "population"];

    pub fn name(self) -> &'static str {
        match self {
            Weight::Deficit => "deficit",
            Weight::PoorPeople => "poor_people",
            Weight::Population => "population",
        }
    }

    pub fn parse(s: &str) -> Option<Weight> {
        match s {
            "deficit" => Some(Weight::Deficit),
            "poor_people" => Some(Weight::PoorPeople),
            "population" => Some(Weight::Population),
            _ => None,
        }
    }

    /// The weight of one region.
    pub fn of(self, regions: &Regions, id: RegionId) -> f64 {
        let r = regions.get(id);
        match self {
            Weight::Deficit => {
                let demand = market::demand_kg(r, 0.0, 1.0);
                let supply = market::baseline_supply_kg(r, 0.0);
                (52.0 * (demand - supply)).max(0.0)
            }
            Weight::PoorPeople => r.poor_people,
            Weight::Population => r.population,
        }
    }
}

/// How a placement was specified.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    Explicit,
    Proportional { weight: Weight, kubes: u32 },
    Equal { kubes: u32 },
}

impl Strategy {
    pub fn describe(&self) -> String {
        match self {
            Strategy::Explicit => "explicit".into(),
            Strategy::Proportional { weight, kubes } => {
                format!("proportional to {}, {kubes} KUBE", weight.name())
            }
            Strategy::Equal { kubes } => format!("equal, {kubes} KUBE"),
        }
    }
}

/// A programme design: the breed, the flock, the group's money rules and what the
/// programme pays per KUBE. Each placement has one (by default the scenario's).
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub breed: Arc<Breed>,
    pub flock: FlockParams,
    pub kube: KubeParams,
    /// Its `discount_rate` is always the scenario's (placements may not set it).
    pub program: ProgramParams,
}

/// A validated placement: KUBE counts per region in regions-table order, and its design.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub name: String,
    pub strategy: Strategy,
    /// KUBEs per region, indexed by `RegionId`.
    pub kubes_per_region: Vec<u32>,
    pub start_week: u32,
    pub rollout_weeks: u32,
    pub design: Design,
}

impl Placement {
    pub fn total_kubes(&self) -> u64 {
        self.kubes_per_region.iter().map(|&k| u64::from(k)).sum()
    }

    /// Member households placed: KUBE times members.
    pub fn households(&self) -> u64 {
        self.total_kubes() * u64::from(self.design.kube.members)
    }

    /// Start week of every KUBE, numbered region by region in table order:
    /// KUBE `j` of `n` starts at `start_week + floor(j * rollout_weeks / n)`.
    pub fn start_weeks(&self) -> Vec<u32> {
        let n = self.total_kubes();
        (0..n)
            .map(|j| {
                let offset = j * u64::from(self.rollout_weeks) / n;
                // Saturating: a KUBE due after u32::MAX weeks simply never starts.
                u32::try_from(u64::from(self.start_week) + offset).unwrap_or(u32::MAX)
            })
            .collect()
    }
}

/// Whole-number counts by the largest-remainder method: floor each quota, then hand the
/// remaining units one by one to the largest fractional parts, ties to the earlier entry.
/// `None` when the weights sum to zero (nothing to be proportional to).
pub fn largest_remainder(total: u32, weights: &[f64]) -> Option<Vec<u32>> {
    let sum: f64 = weights.iter().sum();
    if sum.is_nan() || sum <= 0.0 || !sum.is_finite() {
        return None;
    }
    let quotas: Vec<f64> = weights
        .iter()
        .map(|&w| f64::from(total) * w / sum)
        .collect();
    let mut counts: Vec<u32> = quotas.iter().map(|q| q.floor() as u32).collect();
    let assigned: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable sort keeps earlier entries first among equal fractional parts.
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa)
    });
    let remaining = u64::from(total).saturating_sub(assigned) as usize;
    for &i in order.iter().cycle().take(remaining) {
        counts[i] += 1;
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_hands_leftovers_to_largest_fractions() {
        // Quotas 10 * (1, 2, 3, 4) / 10 = 1, 2, 3, 4: exact.
        assert_eq!(
            largest_remainder(10, &[1.0, 2.0, 3.0, 4.0]).unwrap(),
            [1, 2, 3, 4]
        );
        // Quotas 7 * (1,1,1)/3 = 2.333 each: floors 2,2,2, one left goes to the first (tie).
        assert_eq!(largest_remainder(7, &[1.0, 1.0, 1.0]).unwrap(), [3, 2, 2]);
        // Quotas 5 * (0.5, 0.3, 0.2) = 2.5, 1.5, 1.0: floors 2,1,1 and one left; the two
        // fractions .5 tie, so the earlier region gets it.
        assert_eq!(largest_remainder(5, &[0.5, 0.3, 0.2]).unwrap(), [3, 1, 1]);
        // 6 * (0.1, 0.6, 0.3) = 0.6, 3.6, 1.8: floors 0,3,1 (4), two left: .8 then .6 (tie
        // between .6 and .6, earlier first).
        assert_eq!(largest_remainder(6, &[0.1, 0.6, 0.3]).unwrap(), [1, 3, 2]);
        assert_eq!(largest_remainder(3, &[0.0, 0.0]), None);
    }
}
