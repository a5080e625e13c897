//! From runs to the metrics of MODEL.md section 6, each placement against the baseline.

use ndarray::{Array2, Array3};

use super::run::Run;
use crate::metrics::{ratio, region_summary as rs, region_weekly as rw, summary as sm};
use crate::scenario::Scenario;
use crate::stats::{Stat, quantile_sorted};

/// One placement's outputs, summarised over replicates.
#[derive(Debug, Clone)]
pub struct PlacementResult {
    pub name: String,
    /// Metrics of [`crate::metrics::summary`].
    pub summary: Vec<Stat>,
    /// `[region, metric]` of [`crate::metrics::region_summary`].
    pub region_summary: Array2<Stat>,
    /// `[week, region, metric]` of [`crate::metrics::region_weekly`].
    pub region_weekly: Array3<Stat>,
    /// `[week, metric]` of [`crate::metrics::program_weekly`].
    pub program_weekly: Array2<Stat>,
}

/// Summary metrics of one run against the baseline run (NaN where undefined).
pub fn summary_metrics(s: &Scenario, baseline: &Run, run: &Run) -> Vec<f64> {
    let t = &run.totals;
    let members = f64::from(s.params.kube.members);
    let kubes: u64 = t.kubes_per_region.iter().map(|&k| u64::from(k)).sum();
    let target: Vec<usize> = (0..s.regions.len())
        .filter(|&r| t.kubes_per_region[r] > 0)
        .collect();
    let weeks = run.region_weekly.shape()[0];

    let mut reduction_kg = 0.0;
    let mut import_saved_rp = 0.0;
    let mut target_reduction_kg = 0.0;
    let mut target_baseline_deficit_kg = 0.0;
    let mut price_change_weighted = 0.0;
    let mut target_demand_kg = 0.0;
    for week in 0..weeks {
        for r in 0..s.regions.len() {
            let base = baseline.region_weekly[[week, r, rw::DEFICIT_KG]];
            let reduction = base - run.region_weekly[[week, r, rw::DEFICIT_KG]];
            reduction_kg += reduction;
            import_saved_rp += reduction * s.regions.regions[r].transport_cost_rp_per_kg;
        }
        for &r in &target {
            let base = baseline.region_weekly[[week, r, rw::DEFICIT_KG]];
            target_reduction_kg += base - run.region_weekly[[week, r, rw::DEFICIT_KG]];
            target_baseline_deficit_kg += base;
            let demand = run.region_weekly[[week, r, rw::DEMAND_KG]];
            let base_price = baseline.region_weekly[[week, r, rw::PRICE_RP_PER_KG]];
            let price = run.region_weekly[[week, r, rw::PRICE_RP_PER_KG]];
            price_change_weighted += demand * (price - base_price) / base_price;
            target_demand_kg += demand;
        }
    }
    let started = t.started_kubes as f64;
    let started_households = started * members;
    let graduated: u64 = t.graduated_per_region.iter().sum();
    let mut weeks_to_graduation: Vec<f64> = t
        .weeks_to_graduation
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    weeks_to_graduation.sort_by(f64::total_cmp);

    let mut m = vec![f64::NAN; sm::NAMES.len()];
    m[sm::KUBES] = kubes as f64;
    m[sm::HOUSEHOLDS] = kubes as f64 * members;
    m[sm::EGGS_KG] = run
        .region_weekly
        .index_axis(ndarray::Axis(2), rw::KUBE_SUPPLY_KG)
        .sum();
    m[sm::DEFICIT_REDUCTION_KG] = reduction_kg;
    m[sm::DEFICIT_REDUCTION_SHARE] = ratio(target_reduction_kg, target_baseline_deficit_kg);
    m[sm::IMPORT_COST_SAVED_RP] = import_saved_rp;
    m[sm::KUBES_OPERATING_END_SHARE] = ratio(t.operating_end as f64, started);
    m[sm::KUBES_FAILED_SHARE] = ratio(t.failed_end as f64, started);
    m[sm::KUBES_CLOSED_SHARE] = ratio(t.closed_end as f64, started);
    m[sm::GRADUATED_SHARE] = ratio(graduated as f64, started_households);
    m[sm::MEDIAN_WEEKS_TO_GRADUATION] = quantile_sorted(&weeks_to_graduation, 0.5);
    m[sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP] = ratio(t.payouts_rp, t.household_months);
    m[sm::PROGRAM_COST_RP] = t.program_cost_rp;
    m[sm::NPV_PROGRAM_COST_RP] = t.npv_program_cost_rp;
    m[sm::NPV_PAYOUTS_RP] = t.npv_payouts_rp;
    m[sm::BENEFIT_COST_RATIO] = ratio(t.npv_payouts_rp, t.npv_program_cost_rp);
    m[sm::COST_PER_GRADUATE_RP] = ratio(t.program_cost_rp, graduated as f64);
    m[sm::CONSUMER_PRICE_CHANGE_PCT] = 100.0 * ratio(price_change_weighted, target_demand_kg);
    m
}

/// Per-region horizon metrics of one run against the baseline run.
pub fn region_metrics(s: &Scenario, baseline: &Run, run: &Run) -> Array2<f64> {
    let t = &run.totals;
    let weeks = run.region_weekly.shape()[0] as f64;
    let members = u64::from(s.params.kube.members);
    let mut out = Array2::from_elem((s.regions.len(), rs::NAMES.len()), f64::NAN);
    for r in 0..s.regions.len() {
        let series = |metric: usize| run.region_weekly.slice(ndarray::s![.., r, metric]);
        let deficit = series(rw::DEFICIT_KG).sum();
        let base_deficit = baseline
            .region_weekly
            .slice(ndarray::s![.., r, rw::DEFICIT_KG])
            .sum();
        let mut row = out.row_mut(r);
        row[rs::KUBES] = f64::from(t.kubes_per_region[r]);
        row[rs::HOUSEHOLDS] = (u64::from(t.kubes_per_region[r]) * members) as f64;
        row[rs::EGGS_KG] = series(rw::KUBE_SUPPLY_KG).sum();
        row[rs::DEFICIT_KG] = deficit;
        row[rs::DEFICIT_REDUCTION_KG] = base_deficit - deficit;
        row[rs::SELF_SUFFICIENCY_MEAN] = series(rw::SELF_SUFFICIENCY).sum() / weeks;
        row[rs::PRICE_MEAN_RP_PER_KG] = series(rw::PRICE_RP_PER_KG).sum() / weeks;
        row[rs::GRADUATED_SHARE] = ratio(
            t.graduated_per_region[r] as f64,
            t.started_households_per_region[r] as f64,
        );
    }
    out
}

/// What one replicate of one placement contributes to the outputs.
#[derive(Debug, Clone)]
pub struct ReplicateOutput {
    pub summary: Vec<f64>,
    pub region_summary: Array2<f64>,
    pub region_weekly: Array3<f64>,
    pub program_weekly: Array2<f64>,
}

impl ReplicateOutput {
    /// Reduces a run against the same replicate's baseline run.
    pub fn new(s: &Scenario, baseline: &Run, run: &Run) -> ReplicateOutput {
        ReplicateOutput {
            summary: summary_metrics(s, baseline, run),
            region_summary: region_metrics(s, baseline, run),
            region_weekly: run.region_weekly.clone(),
            program_weekly: run.program_weekly.clone(),
        }
    }
}

/// Mean, p05, p50 and p95 of one value across replicates, over the replicates where it
/// is defined (NaN where it is defined in none). `buf` is scratch space.
fn stat(values: impl Iterator<Item = f64>, buf: &mut Vec<f64>) -> Stat {
    buf.clear();
    buf.extend(values.filter(|x| !x.is_nan()));
    if buf.is_empty() {
        return Stat::single(f64::NAN);
    }
    // Summed in replicate order, before sorting: the mean does not depend on scheduling.
    let mean = buf.iter().sum::<f64>() / buf.len() as f64;
    buf.sort_by(f64::total_cmp);
    Stat {
        mean,
        p05: quantile_sorted(buf, 0.05),
        p50: quantile_sorted(buf, 0.5),
        p95: quantile_sorted(buf, 0.95),
    }
}

/// Summarises one placement's replicates (in replicate order) into its outputs.
pub fn summarise(name: &str, reps: &[ReplicateOutput]) -> PlacementResult {
    let first = &reps[0];
    let mut buf = Vec::with_capacity(reps.len());
    let summary = (0..first.summary.len())
        .map(|m| stat(reps.iter().map(|r| r.summary[m]), &mut buf))
        .collect();
    let region_summary = Array2::from_shape_fn(first.region_summary.dim(), |i| {
        stat(reps.iter().map(|r| r.region_summary[i]), &mut buf)
    });
    let region_weekly = Array3::from_shape_fn(first.region_weekly.dim(), |i| {
        stat(reps.iter().map(|r| r.region_weekly[i]), &mut buf)
    });
    let program_weekly = Array2::from_shape_fn(first.program_weekly.dim(), |i| {
        stat(reps.iter().map(|r| r.program_weekly[i]), &mut buf)
    });
    PlacementResult {
        name: name.to_string(),
        summary,
        region_summary,
        region_weekly,
        program_weekly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_skip_undefined_replicates_and_use_type_7() {
        let mut buf = Vec::new();
        let s = stat([4.0, f64::NAN, 1.0, 2.0, 3.0].into_iter(), &mut buf);
        assert_eq!(s.mean, 2.5);
        // type 7 over 1,2,3,4: p05 at h = 0.15 -> 1.15; p50 at 1.5 -> 2.5; p95 at 2.85 -> 3.85.
        assert!(
            (s.p05 - 1.15).abs() < 1e-12
                && (s.p50 - 2.5).abs() < 1e-12
                && (s.p95 - 3.85).abs() < 1e-12
        );
        assert!(stat([f64::NAN].into_iter(), &mut buf).mean.is_nan());
        assert_eq!(stat([7.0].into_iter(), &mut buf), Stat::single(7.0));
    }
}
