//! Where the next KUBE should go (`telur optimize`): the allocation of a budget of KUBE
//! over regions that does best on an objective, for one programme design.
//!
//! The search ([`search`]) runs the design at many allocations through an [`Evaluator`],
//! which keeps what does not change between them (each replicate's world, shocks and
//! baseline). Every allocation is compared with the others on the same replicates, with
//! the same luck (common random numbers). No IO: the app writes the outputs.

mod evaluator;
pub mod search;

pub use evaluator::Evaluator;
pub use search::{
    Budget, FrontierPoint, Lead, Marginal, Outcome, Prepared, Record, Settings, Stage, Unwatched,
    Watch, optimize, prepare, run,
};

use crate::results::metrics::summary as sm;

/// Summary metrics an allocation may be chosen for: those where more is better.
pub const OBJECTIVES: [usize; 15] = [
    sm::ATTRIBUTABLE_GRADUATES,
    sm::GRADUATION_ATTRIBUTABLE_SHARE,
    sm::NPV_BENEFITS_RP,
    sm::BENEFIT_COST_RATIO,
    sm::DEFICIT_REDUCTION_KG,
    sm::DEFICIT_REDUCTION_SHARE,
    sm::IMPORT_COST_SAVED_RP,
    sm::EGGS_KG,
    sm::NPV_PAYOUTS_RP,
    sm::KUBES_OPERATING_END_SHARE,
    sm::GRADUATED_SHARE,
    sm::ABOVE_LINE_END_SHARE,
    sm::INCOME_GAIN_PC_MONTH_RP,
    sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP,
    sm::POOR_AT_ENTRY_SHARE,
];

/// Objectives that are sums over regions (counts, kilograms, rupiah): a region's share of
/// them depends (nearly: start weeks are numbered over all regions) on its own KUBE only,
/// so each region's curve predicts what a step there adds.
const ADDITIVE: [usize; 6] = [
    sm::ATTRIBUTABLE_GRADUATES,
    sm::NPV_BENEFITS_RP,
    sm::DEFICIT_REDUCTION_KG,
    sm::IMPORT_COST_SAVED_RP,
    sm::EGGS_KG,
    sm::NPV_PAYOUTS_RP,
];

/// Metrics where less is better, named in the message that refuses them.
const LESS_IS_BETTER: [usize; 8] = [
    sm::PROGRAM_COST_RP,
    sm::NPV_PROGRAM_COST_RP,
    sm::COST_PER_GRADUATE_RP,
    sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP,
    sm::KUBES_FAILED_SHARE,
    sm::KUBES_CLOSED_SHARE,
    sm::MEDIAN_WEEKS_TO_GRADUATION,
    sm::CONSUMER_PRICE_CHANGE_PCT,
];

/// The summary metric an objective names, or why it cannot be one.
pub fn objective_metric(name: &str) -> Result<usize, String> {
    let allowed = || {
        OBJECTIVES
            .iter()
            .map(|&m| sm::NAMES[m])
            .collect::<Vec<_>>()
            .join(", ")
    };
    match sm::NAMES.iter().position(|n| *n == name) {
        Some(m) if OBJECTIVES.contains(&m) => Ok(m),
        Some(m) if LESS_IS_BETTER.contains(&m) => Err(format!(
            "{name} is better when smaller; an objective is maximised: choose one of {}",
            allowed()
        )),
        Some(_) => Err(format!(
            "{name} is not something an allocation should maximise; choose one of {}",
            allowed()
        )),
        None => {
            let hint = crate::error::closest(name, sm::NAMES.iter().copied())
                .map(|m| format!(" (did you mean {m}?)"))
                .unwrap_or_default();
            Err(format!(
                "unknown metric {name:?}{hint}; choose one of {}",
                allowed()
            ))
        }
    }
}

/// One term of an objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// A summary metric ([`OBJECTIVES`]).
    pub metric: usize,
    pub weight: f64,
    /// What the metric is divided by: its mean under the reference allocation, so that
    /// terms of different units add up; 1 for an objective of one metric.
    pub scale: f64,
}

/// What an allocation is chosen for, in each replicate:
/// `sum_k weight_k * metric_k / scale_k` (one metric: the metric itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub terms: Vec<Term>,
}

impl Objective {
    /// One metric, as it is.
    pub fn single(metric: usize) -> Objective {
        Objective {
            terms: vec![Term {
                metric,
                weight: 1.0,
                scale: 1.0,
            }],
        }
    }

    /// The objective in one replicate, from its summary metrics (NaN where a term is).
    pub fn value(&self, summary: &[f64]) -> f64 {
        self.terms
            .iter()
            .map(|t| t.weight * summary[t.metric] / t.scale)
            .sum()
    }

    /// Whether every term is a sum over regions.
    pub fn additive(&self) -> bool {
        self.terms.iter().all(|t| ADDITIVE.contains(&t.metric))
    }

    /// `attributable_graduates`, or `0.7 attributable_graduates/412 + 0.3 deficit_reduction_kg/1.2e6`.
    pub fn describe(&self) -> String {
        if let [t] = self.terms.as_slice()
            && t.weight == 1.0
            && t.scale == 1.0
        {
            return sm::NAMES[t.metric].to_string();
        }
        self.terms
            .iter()
            .map(|t| format!("{} x {} / {}", t.weight, sm::NAMES[t.metric], t.scale))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The metric names, for column headers.
    pub fn metric_names(&self) -> Vec<&'static str> {
        self.terms.iter().map(|t| sm::NAMES[t.metric]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_are_metrics_where_more_is_better() {
        assert_eq!(
            objective_metric("attributable_graduates"),
            Ok(sm::ATTRIBUTABLE_GRADUATES)
        );
        let e = objective_metric("cost_per_attributable_graduate_rp").unwrap_err();
        assert!(e.contains("better when smaller"), "{e}");
        let e = objective_metric("attributable_graduate").unwrap_err();
        assert!(e.contains("did you mean attributable_graduates"), "{e}");
        assert!(objective_metric("win_share").is_err());
        for m in OBJECTIVES {
            assert!(!LESS_IS_BETTER.contains(&m));
        }
        for m in ADDITIVE {
            assert!(OBJECTIVES.contains(&m));
        }
    }

    #[test]
    fn a_weighted_objective_divides_each_metric_by_its_reference_value() {
        let mut summary = vec![0.0; sm::NAMES.len()];
        summary[sm::ATTRIBUTABLE_GRADUATES] = 300.0;
        summary[sm::DEFICIT_REDUCTION_KG] = 2e6;
        let o = Objective {
            terms: vec![
                Term {
                    metric: sm::ATTRIBUTABLE_GRADUATES,
                    weight: 0.5,
                    scale: 200.0,
                },
                Term {
                    metric: sm::DEFICIT_REDUCTION_KG,
                    weight: 0.5,
                    scale: 4e6,
                },
            ],
        };
        // 0.5 * 1.5 + 0.5 * 0.5
        assert_eq!(o.value(&summary), 1.0);
        assert!(o.additive());
        assert_eq!(
            Objective::single(sm::ATTRIBUTABLE_GRADUATES).value(&summary),
            300.0
        );
    }
}
