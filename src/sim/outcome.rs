//! From runs to the metrics of MODEL.md section 6, each placement against the baseline.

use ndarray::{Array2, s};

use super::run::{Run, Tally};
use super::state::{CASH, PROGRAMME, WITHOUT};
use crate::model::World;
use crate::results::ReplicateOutput;
use crate::results::metrics::{ratio, region_summary as rs, region_weekly as rw, summary as sm};
use crate::stats::quantile_sorted;

/// Households graduated because of the programme: graduated with it minus graduated
/// without it (a difference of counts: 0 where nobody started, may be negative).
fn attributable(t: &Tally) -> f64 {
    t.graduated[PROGRAMME] as f64 - t.graduated[WITHOUT] as f64
}

/// Programme cost per household that graduated because of the programme; undefined
/// unless some did.
fn cost_per_attributable(t: &Tally) -> f64 {
    let caused = attributable(t);
    if caused > 0.0 {
        t.program_cost_rp / caused
    } else {
        f64::NAN
    }
}

/// Household-months of participation: the weeks from each KUBE's start to the horizon,
/// times its members, times 12/52.
fn household_months(t: &Tally) -> f64 {
    t.household_weeks as f64 * 12.0 / 52.0
}

/// What the metrics need of a replicate's baseline run: each region's weekly deficit and
/// price, `[week, region]`. Small enough to keep for every replicate of a search.
#[derive(Debug, Clone)]
pub struct Baseline {
    deficit_kg: Array2<f64>,
    price_rp_per_kg: Array2<f64>,
}

impl Baseline {
    pub fn of(run: &Run) -> Baseline {
        let series = |metric: usize| run.region_weekly.slice(s![.., .., metric]).to_owned();
        Baseline {
            deficit_kg: series(rw::DEFICIT_KG),
            price_rp_per_kg: series(rw::PRICE_RP_PER_KG),
        }
    }
}

/// Summary metrics of one run against the baseline run (NaN where undefined).
pub fn summary_metrics(world: &World, baseline: &Baseline, run: &Run) -> Vec<f64> {
    let totals = &run.totals;
    let t = &totals.all;
    let regions = &world.regions;
    let members = f64::from(totals.members);
    let kubes: u64 = totals.kubes_per_region.iter().map(|&k| u64::from(k)).sum();
    let target: Vec<usize> = (0..regions.len())
        .filter(|&r| totals.kubes_per_region[r] > 0)
        .collect();
    let weeks = run.region_weekly.shape()[0];

    let mut reduction_kg = 0.0;
    let mut import_saved_rp = 0.0;
    let mut target_reduction_kg = 0.0;
    let mut target_baseline_deficit_kg = 0.0;
    let mut price_change_weighted = 0.0;
    let mut target_demand_kg = 0.0;
    for week in 0..weeks {
        for r in 0..regions.len() {
            let base = baseline.deficit_kg[[week, r]];
            let reduction = base - run.region_weekly[[week, r, rw::DEFICIT_KG]];
            reduction_kg += reduction;
            import_saved_rp += reduction * regions.regions[r].transport_cost_rp_per_kg;
        }
        for &r in &target {
            let base = baseline.deficit_kg[[week, r]];
            target_reduction_kg += base - run.region_weekly[[week, r, rw::DEFICIT_KG]];
            target_baseline_deficit_kg += base;
            let demand = run.region_weekly[[week, r, rw::DEMAND_KG]];
            let base_price = baseline.price_rp_per_kg[[week, r]];
            let price = run.region_weekly[[week, r, rw::PRICE_RP_PER_KG]];
            price_change_weighted += demand * (price - base_price) / base_price;
            target_demand_kg += demand;
        }
    }
    let started = t.started_kubes as f64;
    let households = t.started_households as f64;
    let share = |n: u64| ratio(n as f64, households);
    let mut weeks_to_graduation: Vec<f64> = totals
        .weeks_to_graduation
        .iter()
        .map(|&w| f64::from(w))
        .collect();
    weeks_to_graduation.sort_by(f64::total_cmp);
    let household_weeks = t.household_weeks as f64;

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
    m[sm::GRADUATED_SHARE] = share(t.graduated[PROGRAMME]);
    m[sm::MEDIAN_WEEKS_TO_GRADUATION] = quantile_sorted(&weeks_to_graduation, 0.5);
    m[sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP] = ratio(t.payouts_rp, household_months(t));
    m[sm::PROGRAM_COST_RP] = t.program_cost_rp;
    m[sm::NPV_PROGRAM_COST_RP] = t.npv_program_cost_rp;
    m[sm::NPV_PAYOUTS_RP] = t.npv_payouts_rp;
    m[sm::NPV_BENEFITS_RP] = t.npv_benefits_rp;
    m[sm::BENEFIT_COST_RATIO] = ratio(t.npv_benefits_rp, t.npv_program_cost_rp);
    m[sm::COST_PER_GRADUATE_RP] = ratio(t.program_cost_rp, t.graduated[PROGRAMME] as f64);
    m[sm::GRADUATED_SHARE_WITHOUT] = share(t.graduated[WITHOUT]);
    m[sm::GRADUATED_SHARE_CASH] = share(t.graduated[CASH]);
    m[sm::GRADUATION_ATTRIBUTABLE_SHARE] = m[sm::GRADUATED_SHARE] - m[sm::GRADUATED_SHARE_WITHOUT];
    m[sm::GRADUATION_ATTRIBUTABLE_SHARE_CASH] =
        m[sm::GRADUATED_SHARE_CASH] - m[sm::GRADUATED_SHARE_WITHOUT];
    m[sm::ATTRIBUTABLE_GRADUATES] = attributable(t);
    m[sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP] = cost_per_attributable(t);
    m[sm::POOR_AT_ENTRY_SHARE] = share(totals.poor_at_entry);
    m[sm::ABOVE_LINE_END_SHARE] = share(t.above_end[PROGRAMME]);
    m[sm::ABOVE_LINE_END_SHARE_WITHOUT] = share(t.above_end[WITHOUT]);
    m[sm::ABOVE_LINE_END_SHARE_CASH] = share(t.above_end[CASH]);
    m[sm::INCOME_GAIN_PC_MONTH_RP] = ratio(t.programme_gain_pc_month_rp, household_weeks);
    m[sm::INCOME_GAIN_PC_MONTH_CASH_RP] = ratio(t.cash_gain_pc_month_rp, household_weeks);
    m[sm::CONSUMER_PRICE_CHANGE_PCT] = 100.0 * ratio(price_change_weighted, target_demand_kg);
    m
}

/// Per-region horizon metrics of one run against the baseline run.
pub fn region_metrics(world: &World, baseline: &Baseline, run: &Run) -> Array2<f64> {
    let totals = &run.totals;
    let weeks = run.region_weekly.shape()[0] as f64;
    let members = u64::from(totals.members);
    let n_regions = world.regions.len();
    let mut out = Array2::from_elem((n_regions, rs::NAMES.len()), f64::NAN);
    for r in 0..n_regions {
        let t = &totals.regions[r];
        let series = |metric: usize| run.region_weekly.slice(s![.., r, metric]);
        let deficit = series(rw::DEFICIT_KG).sum();
        let base_deficit = baseline.deficit_kg.column(r).sum();
        let households = t.started_households as f64;
        let mut row = out.row_mut(r);
        row[rs::KUBES] = f64::from(totals.kubes_per_region[r]);
        row[rs::HOUSEHOLDS] = (u64::from(totals.kubes_per_region[r]) * members) as f64;
        row[rs::EGGS_KG] = series(rw::KUBE_SUPPLY_KG).sum();
        row[rs::DEFICIT_KG] = deficit;
        row[rs::DEFICIT_REDUCTION_KG] = base_deficit - deficit;
        row[rs::SELF_SUFFICIENCY_MEAN] = series(rw::SELF_SUFFICIENCY).sum() / weeks;
        row[rs::PRICE_MEAN_RP_PER_KG] = series(rw::PRICE_RP_PER_KG).sum() / weeks;
        row[rs::GRADUATED_SHARE] = ratio(t.graduated[PROGRAMME] as f64, households);
        row[rs::GRADUATED_SHARE_WITHOUT] = ratio(t.graduated[WITHOUT] as f64, households);
        row[rs::GRADUATION_ATTRIBUTABLE_SHARE] =
            row[rs::GRADUATED_SHARE] - row[rs::GRADUATED_SHARE_WITHOUT];
        row[rs::PAYOUT_PER_HOUSEHOLD_MONTH_RP] = ratio(t.payouts_rp, household_months(t));
        row[rs::KUBES_OPERATING_END_SHARE] = ratio(t.operating_end as f64, t.started_kubes as f64);
        row[rs::PROGRAM_COST_RP] = t.program_cost_rp;
        row[rs::NPV_PROGRAM_COST_RP] = t.npv_program_cost_rp;
        row[rs::NPV_BENEFITS_RP] = t.npv_benefits_rp;
        row[rs::BENEFIT_COST_RATIO] = ratio(t.npv_benefits_rp, t.npv_program_cost_rp);
        row[rs::COST_PER_ATTRIBUTABLE_GRADUATE_RP] = cost_per_attributable(t);
    }
    out
}

/// Reduces a run against the same replicate's baseline run.
pub fn replicate_output(world: &World, baseline: &Baseline, run: &Run) -> ReplicateOutput {
    ReplicateOutput {
        summary: summary_metrics(world, baseline, run),
        region_summary: region_metrics(world, baseline, run),
        region_weekly: run.region_weekly.clone(),
        program_weekly: run.program_weekly.clone(),
    }
}
