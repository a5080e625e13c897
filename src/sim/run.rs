//! The weekly loop of one placement (or the baseline) in one replicate (MODEL.md 4 and 5).
//!
//! Each week runs in four passes over struct-of-arrays state: KUBE start-of-week and
//! production (summed into regional supply), the market, KUBE settlement, households.
//! Deterministic mode runs the equations of section 4 as written; stochastic mode
//! (`Some(Draws)`) adds the draws of section 5 from keyed streams. Nothing is allocated
//! inside the loop, and sums run in KUBE order, so results do not depend on threads.

use ndarray::{Array2, Array3};
use rand::RngExt;
use rand_distr::StandardNormal;

use rayon::prelude::*;

use super::households;
use super::kube_pass;
use super::luck::{self, HouseholdLuck, KubeLuck, Shocks};
use super::path::Path;
use super::rng::{Entity, IncomeStreams, Kind, lane_seed, stream};
use super::state::{Households, Kubes, NOT_GRADUATED};
use crate::data::RegionId;
use crate::metrics::{program_weekly as pw, ratio, region_weekly as rw};
use crate::model::flock::Status;
use crate::model::{household, market};
use crate::scenario::{Placement, Scenario};
use crate::stats::Bands;

/// What stochastic mode needs to draw one replicate.
pub struct Draws<'a> {
    pub replicate: u32,
    pub shocks: &'a Shocks,
}

/// Horizon totals of one run, the raw material of `summary.csv` and `region_summary.csv`.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub kubes_per_region: Vec<u32>,
    pub started_households_per_region: Vec<u64>,
    pub graduated_per_region: Vec<u64>,
    /// Weeks from each graduate's KUBE start to its graduation, both included.
    pub weeks_to_graduation: Vec<u32>,
    pub started_kubes: u64,
    pub operating_end: u64,
    pub failed_end: u64,
    pub closed_end: u64,
    pub payouts_rp: f64,
    /// Discounted payouts plus the KUBEs' cash after the last week discounted at T.
    pub npv_payouts_rp: f64,
    pub program_cost_rp: f64,
    pub npv_program_cost_rp: f64,
    /// Household-months of participation: weeks from each KUBE's start to the horizon x 12/52.
    pub household_months: f64,
    /// Outbreaks over all KUBEs (stochastic mode).
    pub outbreaks: u64,
}

/// What one run of one placement produced.
#[derive(Debug, Clone)]
pub struct Run {
    /// `[week, region, metric]`, metrics of [`crate::metrics::region_weekly`].
    pub region_weekly: Array3<f64>,
    /// `[week, metric]`, metrics of [`crate::metrics::program_weekly`]; NaN = undefined.
    pub program_weekly: Array2<f64>,
    pub totals: Totals,
    /// KUBE state after the last week, with each KUBE's ledger.
    pub kubes: Kubes,
    /// Per-KUBE stochastic state after the last week (stochastic mode).
    pub luck: Option<KubeLuck>,
    /// Household state after the last week.
    pub households: Households,
}

/// KUBE region, start week and (region index, index within region), region by region.
pub struct Layout {
    pub kubes_per_region: Vec<u32>,
    pub kubes: Kubes,
    pub keys: Vec<(usize, u32)>,
}

/// Numbers a placement's KUBE region by region, with their start weeks.
pub fn place(s: &Scenario, placement: Option<&Placement>) -> Layout {
    let Some(p) = placement else {
        return Layout {
            kubes_per_region: vec![0; s.regions.len()],
            kubes: Kubes::new(Vec::new(), Vec::new()),
            keys: Vec::new(),
        };
    };
    let keys: Vec<(usize, u32)> = p
        .kubes_per_region
        .iter()
        .enumerate()
        .flat_map(|(r, &count)| (0..count).map(move |i| (r, i)))
        .collect();
    let regions = keys.iter().map(|&(r, _)| RegionId(r as u32)).collect();
    Layout {
        kubes_per_region: p.kubes_per_region.clone(),
        kubes: Kubes::new(regions, p.start_weeks()),
        keys,
    }
}

fn init_households(
    s: &Scenario,
    layout: &Layout,
    draws: Option<&Draws>,
) -> (Households, HouseholdLuck) {
    let members = s.params.kube.members;
    let h = &s.params.household;
    let sigma = h.income_dispersion_sigma;
    let spread: Vec<f64> = (0..members)
        .map(|i| household::spread_factor(sigma, i, members))
        .collect();
    let m = members as usize;
    let n = layout.keys.len() * m;
    let (mut baseline_month_rp, mut people, mut line_month_rp) =
        (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut seeds = vec![[0u32; 4]; n]; // deterministic mode: never drawn
    // KUBE by KUBE in parallel: every household's draws come from its own keyed streams.
    (
        baseline_month_rp.par_chunks_mut(m),
        people.par_chunks_mut(m),
        line_month_rp.par_chunks_mut(m),
        seeds.par_chunks_mut(m),
        layout.keys.par_iter(),
    )
        .into_par_iter()
        .for_each(|(baseline, people, line_month, seeds, &(r, index))| {
            let region = &s.regions.regions[r];
            let line = region.poverty_line_rp_per_capita_month;
            for member in 0..m {
                let entity = Entity::Household {
                    region: &region.code,
                    kube: index,
                    member: member as u32,
                };
                let (size, spread) = match draws {
                    Some(d) => {
                        seeds[member] = lane_seed(s.seed, d.replicate, Kind::IncomeShocks, entity);
                        let mut rng = stream(s.seed, d.replicate, Kind::Household, entity);
                        let size = luck::household_size(region.poor_household_size, &mut rng);
                        let u: f64 = sigma * rng.sample::<f64, _>(StandardNormal);
                        (size, (u - sigma * sigma / 2.0).exp())
                    }
                    None => (region.poor_household_size, spread[member]),
                };
                people[member] = size;
                line_month[member] = line * size;
                baseline[member] =
                    household::baseline_income_month(h.baseline_income_ratio, line, size, spread);
            }
        });
    let mut streams = IncomeStreams::with_capacity(n);
    for words in seeds {
        streams.push(words);
    }
    let luck = HouseholdLuck {
        transitory: vec![0.0; n],
        spare_normal: vec![0.0; n],
        streams,
    };
    (
        Households::new(baseline_month_rp, people, line_month_rp),
        luck,
    )
}

/// Runs one placement (`None`: the baseline, no KUBE) over the whole horizon, in
/// deterministic mode (`draws = None`) or as one stochastic replicate.
pub fn simulate(
    s: &Scenario,
    path: &Path,
    placement: Option<&Placement>,
    draws: Option<&Draws>,
) -> Run {
    let weeks = s.weeks as usize;
    let n_regions = s.regions.len();
    let p = &s.params;
    let sp = &p.stochastic;
    let members = p.kube.members as usize;
    let layout = place(s, placement);
    let (mut households, mut household_luck) = init_households(s, &layout, draws);
    let (kube_region, start_week) = (layout.kubes.region.clone(), layout.kubes.start_week.clone());
    let n_kubes = kube_region.len();
    let mut blocks = kube_pass::blocks(s, &layout, draws);
    let whole_hens = draws.is_some();
    let alpha = household::ema_alpha(p.household.smoothing_weeks);
    let h0 = f64::from(p.flock.hens_per_kube);

    let mut region_weekly = Array3::<f64>::zeros((weeks, n_regions, rw::NAMES.len()));
    let mut program_weekly = Array2::<f64>::zeros((weeks, pw::NAMES.len()));
    let mut totals = Totals {
        kubes_per_region: layout.kubes_per_region,
        started_households_per_region: vec![0; n_regions],
        graduated_per_region: vec![0; n_regions],
        ..Totals::default()
    };
    // Scratch reused every week.
    let mut kube_supply_kg = vec![0.0; n_regions];
    let mut price_rp_per_kg = vec![0.0; n_regions];
    let mut feed_rp_per_kg = vec![0.0; n_regions];
    let mut payout_rp = vec![0.0; n_kubes];
    let mut income_pc_month = vec![0.0; households.len()];
    let mut pass = households::Pass::new(households.len(), n_kubes, members);
    let mut bands = Bands::new();
    let mut started_households: u64 = 0;
    let mut graduated: u64 = 0;

    for t in 0..weeks {
        if super::cancel::requested() {
            break; // the run is abandoned; what it holds is never written
        }
        let food_index = path.food_index[t];
        let discount = path.discount[t];
        let mut program_cost_rp = 0.0;

        // 1. Start of week, outbreaks, and eggs laid: K_r(t), block by block in parallel,
        // summed in block order.
        let ctx = kube_pass::Context {
            s,
            t,
            food_index,
            whole_hens,
            draws,
            h0,
        };
        blocks.par_iter_mut().for_each(|b| b.begin(&ctx));
        kube_supply_kg.fill(0.0);
        for b in &blocks {
            for (total, part) in kube_supply_kg.iter_mut().zip(&b.supply_kg) {
                *total += part;
            }
            program_cost_rp += b.program_cost_rp;
            totals.started_kubes += b.started;
            started_households += b.started * members as u64;
        }

        // 2. The market: self-sufficiency, price, deficit; the feed price.
        let (egg_shock, feed_shock) = match draws {
            Some(d) => (d.shocks.egg_price_factor[t], d.shocks.feed_price_factor[t]),
            None => (1.0, 1.0),
        };
        for r in 0..n_regions {
            let region = &s.regions.regions[r];
            let demand = path.demand_kg[[t, r]];
            let baseline = path.baseline_supply_kg[[t, r]];
            let supply = baseline + kube_supply_kg[r];
            let x = market::self_sufficiency(supply, demand);
            let hub = path.hub_egg_rp_per_kg[t] * egg_shock;
            let price = market::egg_price(
                hub,
                region.transport_cost_rp_per_kg,
                x,
                p.market.price_band_width,
            );
            price_rp_per_kg[r] = price;
            feed_rp_per_kg[r] = match draws {
                None => path.feed_rp_per_kg[[t, r]],
                Some(_) => {
                    (p.market.hub_feed_price_rp_per_kg * feed_shock
                        + region.feed_transport_rp_per_kg)
                        * path.feed_index[t]
                }
            };
            let mut row = region_weekly.slice_mut(ndarray::s![t, r, ..]);
            row[rw::DEMAND_KG] = demand;
            row[rw::BASELINE_SUPPLY_KG] = baseline;
            row[rw::KUBE_SUPPLY_KG] = kube_supply_kg[r];
            row[rw::DEFICIT_KG] = market::deficit_kg(demand, supply);
            row[rw::SELF_SUFFICIENCY] = x;
            row[rw::PRICE_RP_PER_KG] = price;
        }

        // 3. Sales, costs, deaths, culling, payouts, block by block in parallel.
        blocks
            .par_iter_mut()
            .for_each(|b| b.settle(&ctx, &price_rp_per_kg, &feed_rp_per_kg));
        let mut flows = [0.0; pw::NAMES.len()];
        for b in &blocks {
            for (total, part) in flows.iter_mut().zip(&b.flows) {
                *total += part;
            }
            program_cost_rp += b.program_cost_rp;
            payout_rp[b.first..b.first + b.kubes.len()].copy_from_slice(&b.kubes.payout_rp);
        }
        totals.payouts_rp += flows[pw::PAYOUT_RP];
        totals.npv_payouts_rp += flows[pw::PAYOUT_RP] * discount;
        totals.program_cost_rp += program_cost_rp;
        totals.npv_program_cost_rp += program_cost_rp * discount;

        // 4. Households: income, smoothing, the line, graduation (in parallel chunks).
        let week_inputs = households::Week {
            t,
            income_index: path.income_index[t],
            line_index: path.poverty_line_index[t],
            threshold: p.household.graduation_threshold,
            alpha,
            graduation_weeks: p.household.graduation_weeks,
            members,
            stochastic: draws.is_some(),
            income_rho: sp.income_rho as f32,
            income_sigma: sp.income_sigma as f32,
            start_week: &start_week,
            payout_rp: &payout_rp,
            bands: &bands,
        };
        let (above, graduated_now) = pass.step(
            &mut households,
            &mut household_luck,
            &mut income_pc_month,
            &week_inputs,
        );
        graduated += graduated_now;
        // Started households are a prefix: start weeks never decrease with the KUBE number.
        let started_data = &mut income_pc_month[..started_households as usize];
        let [p10, p50, p90] = bands.quantiles([0.1, 0.5, 0.9], started_data, &mut pass.tallies);
        let started = started_households as f64;
        flows[pw::INCOME_P10] = p10;
        flows[pw::INCOME_P50] = p50;
        flows[pw::INCOME_P90] = p90;
        flows[pw::ABOVE_LINE_SHARE] = ratio(above as f64, started);
        flows[pw::GRADUATED_SHARE] = ratio(graduated as f64, started);
        program_weekly
            .row_mut(t)
            .assign(&ndarray::ArrayView1::from(&flows));
    }

    // Horizon totals.
    let (kubes, luck) = kube_pass::flatten(blocks);
    let horizon = s.weeks;
    let mut participation_weeks: u64 = 0;
    for k in 0..kubes.len() {
        let start = kubes.start_week[k];
        if start >= horizon {
            continue;
        }
        let r = kubes.region[k].index();
        participation_weeks += u64::from(horizon - start) * members as u64;
        totals.started_households_per_region[r] += members as u64;
        match kubes.status[k] {
            Status::Active | Status::Resting => totals.operating_end += 1,
            Status::Failed => totals.failed_end += 1,
            Status::Closed => totals.closed_end += 1,
            Status::Pending => {}
        }
        for h in k * members..(k + 1) * members {
            let g = households.graduated_week[h];
            if g != NOT_GRADUATED {
                totals.graduated_per_region[r] += 1;
                totals.weeks_to_graduation.push(u32::from(g) - start + 1);
            }
        }
    }
    totals.household_months = participation_weeks as f64 * 12.0 / 52.0;
    totals.outbreaks = luck
        .as_ref()
        .map_or(0, |l| l.outbreaks.iter().map(|&n| u64::from(n)).sum());
    let cash_end: f64 = kubes.cash_rp.iter().sum();
    totals.npv_payouts_rp += cash_end * path.discount[weeks];

    Run {
        region_weekly,
        program_weekly,
        totals,
        kubes,
        luck,
        households,
    }
}
