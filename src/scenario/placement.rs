//! Placements: how many KUBEs go to which region, and when they start (MODEL.md 4.2).

use toml::Spanned;

use super::raw::RawPlacement;
use super::resolve::{Check, Resolver, check_name};
use crate::data::{RegionId, Regions};
use crate::model::market;

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

    fn parse(s: &str) -> Option<Weight> {
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

/// A validated placement: KUBE counts per region in regions-table order.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub name: String,
    pub strategy: Strategy,
    /// Candidate regions (regions-table order); for explicit, those named.
    pub candidates: Vec<RegionId>,
    /// KUBEs per region, indexed by `RegionId`.
    pub kubes_per_region: Vec<u32>,
    pub start_week: u32,
    pub rollout_weeks: u32,
}

impl Placement {
    pub fn total_kubes(&self) -> u64 {
        self.kubes_per_region.iter().map(|&k| u64::from(k)).sum()
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

/// Validates the `i`-th `[[placement]]` table against the regions.
pub(crate) fn resolve(
    r: &mut Resolver,
    index: usize,
    raw: &Spanned<RawPlacement>,
    regions: &Regions,
) -> Option<Placement> {
    let span = Some(raw.span());
    let raw = raw.get_ref();
    let key = |field: &str| format!("placement[{index}].{field}");
    let errors_before = r.errors.len();

    let name = match &raw.name {
        Some(name) => {
            if let Err(e) = check_name(name.get_ref()) {
                r.error_at(Some(name.span()), &key("name"), e);
            } else if name.get_ref() == "baseline" {
                r.error_at(
                    Some(name.span()),
                    &key("name"),
                    "\"baseline\" is reserved for the run without any KUBE; choose another name"
                        .into(),
                );
            }
            name.get_ref().clone()
        }
        None => {
            r.error_at(span.clone(), &key("name"), "is required".into());
            String::new()
        }
    };
    let start_week: u32 = r.take_or(
        &key("start_week"),
        raw.start_week.as_ref(),
        0,
        Check::AtLeast(0),
    );
    let rollout_weeks: u32 = r.take_or(
        &key("rollout_weeks"),
        raw.rollout_weeks.as_ref(),
        0,
        Check::AtLeast(0),
    );

    let strategy_name = match &raw.strategy {
        Some(s) => s,
        None => {
            r.error_at(
                span,
                &key("strategy"),
                "is required: explicit, proportional or equal".into(),
            );
            return None;
        }
    };
    // Keys that belong to other strategies are mistakes, not silently ignored values.
    let refuse = |r: &mut Resolver,
                  present: bool,
                  field: &str,
                  sp: Option<std::ops::Range<usize>>,
                  strategy: &str| {
        if present {
            r.error_at(
                sp,
                &key(field),
                format!("does not apply to strategy \"{strategy}\""),
            );
        }
    };
    let strategy_span = Some(strategy_name.span());
    let (strategy, candidates, kubes_per_region) = match strategy_name.get_ref().as_str() {
        "explicit" => {
            refuse(
                r,
                raw.weight.is_some(),
                "weight",
                raw.weight.as_ref().map(|w| w.span()),
                "explicit",
            );
            refuse(
                r,
                raw.kubes.is_some(),
                "kubes",
                raw.kubes.as_ref().map(|w| w.span()),
                "explicit",
            );
            refuse(
                r,
                raw.regions.is_some(),
                "regions",
                raw.regions.as_ref().map(|w| w.span()),
                "explicit",
            );
            let Some(allocation) = &raw.allocation else {
                r.error_at(
                    span,
                    &key("allocation"),
                    "is required for strategy \"explicit\": a table of region = KUBE count".into(),
                );
                return None;
            };
            let mut counts = vec![0u32; regions.len()];
            let mut named = vec![false; regions.len()];
            for (region, count) in allocation.get_ref() {
                let k = key(&format!("allocation.{region:?}"));
                let Some(id) = find_region(r, regions, region, Some(count.span()), &k) else {
                    continue;
                };
                if named[id.index()] {
                    r.error_at(
                        Some(count.span()),
                        &k,
                        format!("names region {:?} a second time", regions.get(id).name),
                    );
                    continue;
                }
                named[id.index()] = true;
                match u32::try_from(*count.get_ref()) {
                    Ok(c) => counts[id.index()] = c,
                    Err(_) => r.error_at(
                        Some(count.span()),
                        &k,
                        format!(
                            "{} is out of range: must be a whole number of at least 0",
                            count.get_ref()
                        ),
                    ),
                }
            }
            if r.errors.len() == errors_before && counts.iter().all(|&c| c == 0) {
                r.error_at(
                    Some(allocation.span()),
                    &key("allocation"),
                    "places no KUBE; give at least one region a count of 1 or more".into(),
                );
            }
            let candidates = regions.ids().filter(|id| named[id.index()]).collect();
            (Strategy::Explicit, candidates, counts)
        }
        "proportional" | "equal" => {
            let strategy = strategy_name.get_ref().as_str();
            refuse(
                r,
                raw.allocation.is_some(),
                "allocation",
                raw.allocation.as_ref().map(|w| w.span()),
                strategy,
            );
            let Some(kubes_raw) = &raw.kubes else {
                r.error_at(
                    span,
                    &key("kubes"),
                    format!("is required for strategy \"{strategy}\": how many KUBE to place"),
                );
                return None;
            };
            let kubes: u32 = r.take(&key("kubes"), Some(kubes_raw), None, Check::AtLeast(1));
            let candidates = match &raw.regions {
                None => regions.ids().collect(),
                Some(list) => {
                    let mut seen = vec![false; regions.len()];
                    for name in list.get_ref() {
                        let k = key("regions");
                        if let Some(id) =
                            find_region(r, regions, name.get_ref(), Some(name.span()), &k)
                        {
                            if seen[id.index()] {
                                r.error_at(
                                    Some(name.span()),
                                    &k,
                                    format!("lists region {:?} twice", regions.get(id).name),
                                );
                            }
                            seen[id.index()] = true;
                        }
                    }
                    if list.get_ref().is_empty() {
                        r.error_at(
                            Some(list.span()),
                            &key("regions"),
                            "is empty; list at least one region or leave the key out for all"
                                .into(),
                        );
                    }
                    // Table order, whatever the order of the list: it breaks ties.
                    regions
                        .ids()
                        .filter(|id| seen[id.index()])
                        .collect::<Vec<_>>()
                }
            };
            let strategy = if strategy == "equal" {
                refuse(
                    r,
                    raw.weight.is_some(),
                    "weight",
                    raw.weight.as_ref().map(|w| w.span()),
                    "equal",
                );
                Strategy::Equal { kubes }
            } else {
                let Some(weight_raw) = &raw.weight else {
                    r.error_at(
                        span,
                        &key("weight"),
                        format!(
                            "is required for strategy \"proportional\": one of {}",
                            Weight::NAMES.join(", ")
                        ),
                    );
                    return None;
                };
                let Some(weight) = Weight::parse(weight_raw.get_ref()) else {
                    r.error_at(
                        Some(weight_raw.span()),
                        &key("weight"),
                        format!(
                            "unknown weight {:?}; expected one of {}",
                            weight_raw.get_ref(),
                            Weight::NAMES.join(", ")
                        ),
                    );
                    return None;
                };
                Strategy::Proportional { weight, kubes }
            };
            if r.errors.len() > errors_before {
                return None;
            }
            let weights: Vec<f64> = candidates
                .iter()
                .map(|&id| match strategy {
                    Strategy::Proportional { weight, .. } => weight.of(regions, id),
                    _ => 1.0,
                })
                .collect();
            let Some(shares) = largest_remainder(kubes, &weights) else {
                r.error_at(
                    strategy_span,
                    &key("weight"),
                    "every candidate region has weight 0 (no baseline deficit?), so there is nothing to be proportional to".into(),
                );
                return None;
            };
            let mut counts = vec![0u32; regions.len()];
            for (&id, &c) in candidates.iter().zip(&shares) {
                counts[id.index()] = c;
            }
            (strategy, candidates, counts)
        }
        other => {
            r.error_at(
                strategy_span,
                &key("strategy"),
                format!("unknown strategy {other:?}; expected explicit, proportional or equal"),
            );
            return None;
        }
    };
    if r.errors.len() > errors_before {
        return None;
    }
    Some(Placement {
        name,
        strategy,
        candidates,
        kubes_per_region,
        start_week,
        rollout_weeks,
    })
}

/// Looks a region up by name or code; on failure records an error with a suggestion.
fn find_region(
    r: &mut Resolver,
    regions: &Regions,
    name: &str,
    span: Option<std::ops::Range<usize>>,
    key: &str,
) -> Option<RegionId> {
    if let Some(id) = regions.find(name) {
        return Some(id);
    }
    let closest = regions
        .regions
        .iter()
        .map(|reg| {
            (
                strsim::jaro_winkler(&name.to_lowercase(), &reg.name.to_lowercase()),
                &reg.name,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((score, best)) if score > 0.8 => format!(" (did you mean {best:?}?)"),
        _ => String::new(),
    };
    r.error_at(
        span,
        key,
        format!("unknown region {name:?}{hint}; `telur data regions` lists names and codes"),
    );
    None
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

    #[test]
    fn rollout_spreads_start_weeks() {
        let p = Placement {
            name: "p".into(),
            strategy: Strategy::Explicit,
            candidates: vec![],
            kubes_per_region: vec![3, 1],
            start_week: 2,
            rollout_weeks: 6,
        };
        // j * 6 / 4 = 0, 1.5, 3, 4.5 -> 0, 1, 3, 4; plus start week 2.
        assert_eq!(p.start_weeks(), [2, 3, 5, 6]);
    }
}
