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

use super::luck::{self, HouseholdLuck, KubeLuck, Shocks};
use super::path::Path;
use super::rng::{Entity, Kind, stream};
use super::state::{Households, Kubes, NOT_GRADUATED};
use crate::data::{CurvePoint, RegionId};
use crate::metrics::{program_weekly as pw, ratio, region_weekly as rw};
use crate::model::flock::{self, Status, WeekPrices};
use crate::model::{household, market};
use crate::scenario::{Placement, Scenario};
use crate::stats::quantile_select;

/// What stochastic mode needs to draw one replicate.
pub struct Draws<'a> {
    pub replicate: u32,
    pub shocks: &'a Shocks,
}

/// Cap on hen-day x production factor in stochastic mode (MODEL.md 5).
const MAX_LAY_RATE: f64 = 0.98;

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
struct Layout {
    kubes_per_region: Vec<u32>,
    kubes: Kubes,
    keys: Vec<(usize, u32)>,
}

fn place(s: &Scenario, placement: Option<&Placement>) -> Layout {
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
) -> (Households, Option<HouseholdLuck>) {
    let members = s.params.kube.members;
    let h = &s.params.household;
    let sigma = h.income_dispersion_sigma;
    let spread: Vec<f64> = (0..members)
        .map(|i| household::spread_factor(sigma, i, members))
        .collect();
    let n = layout.keys.len() * members as usize;
    let mut out = Households {
        baseline_month_rp: Vec::with_capacity(n),
        size: Vec::with_capacity(n),
        line_month_rp: Vec::with_capacity(n),
        smoothed_rp: vec![0.0; n],
        weeks_above: vec![0; n],
        graduated_week: vec![NOT_GRADUATED; n],
    };
    let mut luck = draws.map(|_| HouseholdLuck {
        transitory: vec![0.0; n],
        rng: Vec::with_capacity(n),
    });
    for &(r, index) in &layout.keys {
        let region = &s.regions.regions[r];
        let line = region.poverty_line_rp_per_capita_month;
        for member in 0..members {
            let (size, spread) = match (draws, luck.as_mut()) {
                (Some(d), Some(luck)) => {
                    let entity = Entity::Household {
                        region: &region.code,
                        kube: index,
                        member,
                    };
                    let mut rng = stream(s.seed, d.replicate, Kind::Household, entity);
                    let size = luck::household_size(region.poor_household_size, &mut rng);
                    let u: f64 = sigma * rng.sample::<f64, _>(StandardNormal);
                    luck.rng.push(rng);
                    (size, (u - sigma * sigma / 2.0).exp())
                }
                _ => (region.poor_household_size, spread[member as usize]),
            };
            out.baseline_month_rp.push(household::baseline_income_month(
                h.baseline_income_ratio,
                line,
                size,
                spread,
            ));
            out.size.push(size);
            out.line_month_rp.push(line * size);
        }
    }
    (out, luck)
}

/// The curve point a KUBE lays at this week, with stochastic management and outbreaks:
/// hen-day x production factor x management, capped at 0.98, cut during an outbreak.
fn stochastic_curve(curve: CurvePoint, s: &Scenario, luck: &KubeLuck, k: usize) -> CurvePoint {
    let p = &s.params;
    let mut lay =
        (curve.hen_day * p.flock.production_factor * luck.production_factor[k]).min(MAX_LAY_RATE);
    if luck.outbreak_weeks_left[k] > 0 {
        lay *= 1.0 - p.stochastic.outbreak_production_drop;
    }
    CurvePoint {
        hen_day: lay,
        ..curve
    }
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
    let mut luck = draws.map(|d| KubeLuck::draw(s, d.replicate, &s.regions, &layout.keys));
    let mut kubes = layout.kubes;
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
    let mut severity = vec![0.0; kubes.len()];
    let mut income_pc_month = Vec::with_capacity(households.len());
    let mut started_households: u64 = 0;
    let mut graduated: u64 = 0;

    for t in 0..weeks {
        if super::cancel::requested() {
            break; // the run is abandoned; what it holds is never written
        }
        let week = t as u32;
        let food_index = path.food_index[t];
        let discount = path.discount[t];
        let mut program_cost_rp = 0.0;

        // 1. Start of week, outbreaks, and eggs laid: K_r(t).
        kube_supply_kg.fill(0.0);
        for k in 0..kubes.len() {
            let mut kube = kubes.get(k);
            let start = flock::begin_week(
                &mut kube,
                week,
                kubes.start_week[k],
                &p.flock,
                &p.kube,
                food_index,
                whole_hens,
            );
            if start.started {
                program_cost_rp += p.program.capex_rp_per_kube
                    + h0 * p.flock.pullet_price_rp * food_index
                    + p.kube.working_capital_rp;
                totals.started_kubes += 1;
                started_households += members as u64;
            }
            kubes.total_restock_rp[k] += start.restock_cost_rp;
            kubes.payout_rp[k] = start.closing_payout_rp;
            let mut curve = s.breed.at(kube.age_weeks);
            let mut production_factor = p.flock.production_factor;
            if let (Some(luck), Some(d)) = (luck.as_mut(), draws) {
                if start.restock_hens > 0.0 {
                    luck.outbreak_weeks_left[k] = 0; // a new flock starts healthy
                }
                // One uniform every week, whatever the state: common random numbers.
                let u: f64 = luck.outbreak_rng[k].random();
                severity[k] = 0.0;
                let wave = d.shocks.wave[[t, kubes.region[k].index()]];
                let prob = if wave {
                    sp.wave_outbreak_prob_week
                } else {
                    sp.outbreak_prob_week
                };
                if kube.status == Status::Active && luck.outbreak_weeks_left[k] == 0 && u < prob {
                    luck.outbreaks[k] += 1;
                    luck.first_outbreak_week[k] = luck.first_outbreak_week[k].min(week);
                    luck.last_outbreak_week[k] = week;
                    luck.outbreak_weeks_left[k] = sp.outbreak_weeks;
                    severity[k] = luck::outbreak_severity(
                        sp.outbreak_mortality_mean,
                        sp.outbreak_mortality_concentration,
                        &mut luck.severity_rng[k],
                    );
                }
                curve = stochastic_curve(curve, s, luck, k);
                production_factor = 1.0;
            }
            if kube.status == Status::Active && kube.hens > 0.0 {
                kube_supply_kg[kubes.region[k].index()] +=
                    flock::produce(kube.hens, curve, production_factor).egg_kg;
            }
            kubes.set(k, kube);
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

        // 3. Sales, costs, deaths, culling, payouts.
        let mut flows = [0.0; pw::NAMES.len()];
        // `k` indexes every vector of the struct-of-arrays state, not just one.
        #[allow(clippy::needless_range_loop)]
        for k in 0..kubes.len() {
            let mut kube = kubes.get(k);
            if kube.status == Status::Active {
                let r = kubes.region[k].index();
                let curve = s.breed.at(kube.age_weeks);
                let (production, survivors) = match luck.as_mut() {
                    None => (
                        flock::produce(kube.hens, curve, p.flock.production_factor),
                        flock::survivors(
                            kube.hens,
                            curve.weekly_mortality,
                            p.flock.mortality_factor,
                        ),
                    ),
                    Some(luck) => {
                        let laying = stochastic_curve(curve, s, luck, k);
                        let death_rate = (curve.weekly_mortality
                            * p.flock.mortality_factor
                            * luck.mortality_factor[k])
                            .min(1.0);
                        let mut alive = kube.hens
                            - luck::binomial(kube.hens, death_rate, &mut luck.mortality_rng[k]);
                        if severity[k] > 0.0 {
                            alive -= luck::binomial(alive, severity[k], &mut luck.severity_rng[k]);
                        }
                        (flock::produce(kube.hens, laying, 1.0), alive)
                    }
                };
                let prices = WeekPrices {
                    egg_rp_per_kg: price_rp_per_kg[r],
                    farmgate_share: p.market.farmgate_share,
                    feed_rp_per_kg: feed_rp_per_kg[r],
                    food_index,
                };
                flows[pw::ACTIVE_KUBES] += 1.0;
                let settled = flock::settle(
                    &mut kube,
                    &production,
                    survivors,
                    &prices,
                    &p.flock,
                    &p.kube,
                );
                flows[pw::EGGS_KG] += production.egg_kg;
                flows[pw::REVENUE_RP] += settled.revenue_rp;
                flows[pw::COST_RP] += settled.cost_rp;
                kubes.payout_rp[k] += settled.payout_rp;
                kubes.total_net_rp[k] += settled.net_rp;
                kubes.total_flock_sales_rp[k] += settled.flock_sales_rp;
                kubes.total_written_off_rp[k] += settled.written_off_rp;
                kubes.set(k, kube);
                program_cost_rp += p.program.mentoring_rp_per_kube_week;
            } else if kube.status == Status::Resting {
                program_cost_rp += p.program.mentoring_rp_per_kube_week;
            }
            if let Some(luck) = luck.as_mut() {
                luck.outbreak_weeks_left[k] = luck.outbreak_weeks_left[k].saturating_sub(1);
            }
            kubes.total_payout_rp[k] += kubes.payout_rp[k];
            flows[pw::PAYOUT_RP] += kubes.payout_rp[k];
            flows[pw::HENS] += kube.hens;
            flows[pw::CASH_RP] += kube.cash_rp;
            match kube.status {
                Status::Failed => flows[pw::FAILED_KUBES] += 1.0,
                Status::Closed => flows[pw::CLOSED_KUBES] += 1.0,
                _ => {}
            }
        }
        totals.payouts_rp += flows[pw::PAYOUT_RP];
        totals.npv_payouts_rp += flows[pw::PAYOUT_RP] * discount;
        totals.program_cost_rp += program_cost_rp;
        totals.npv_program_cost_rp += program_cost_rp * discount;

        // 4. Households: income, smoothing, the line, graduation.
        let income_index = path.income_index[t];
        let line_index = path.poverty_line_index[t];
        let threshold = p.household.graduation_threshold;
        let mut above: u64 = 0;
        income_pc_month.clear();
        for k in 0..kubes.len() {
            let payout_each = kubes.payout_rp[k] / members as f64;
            for h in k * members..(k + 1) * members {
                let mut shock = 1.0;
                if let Some(hl) = household_luck.as_mut() {
                    // e_i(t) runs from week 0 whether or not the KUBE has started, so a
                    // family's own income path is the same in every placement.
                    if t > 0 {
                        let e: f64 = hl.rng[h].sample(StandardNormal);
                        hl.transitory[h] =
                            luck::ar1(hl.transitory[h], sp.income_rho, sp.income_sigma, e);
                    }
                    shock = hl.transitory[h].exp();
                }
                if week < kubes.start_week[k] {
                    continue;
                }
                let baseline =
                    household::weekly(households.baseline_month_rp[h] * shock * income_index);
                let mut progress = households.progress(h);
                if week == kubes.start_week[k] {
                    progress.smoothed_rp = baseline;
                }
                let line = household::weekly(households.line_month_rp[h] * line_index);
                let result = household::step(
                    &mut progress,
                    week,
                    baseline + payout_each,
                    alpha,
                    threshold * line,
                    p.household.graduation_weeks,
                );
                households.set_progress(h, progress);
                above += u64::from(result.above);
                graduated += u64::from(result.graduated_now);
                income_pc_month.push(progress.smoothed_rp / households.size[h] * 52.0 / 12.0);
            }
        }
        let started = started_households as f64;
        flows[pw::INCOME_P10] = quantile_select(&mut income_pc_month, 0.1);
        flows[pw::INCOME_P50] = quantile_select(&mut income_pc_month, 0.5);
        flows[pw::INCOME_P90] = quantile_select(&mut income_pc_month, 0.9);
        flows[pw::ABOVE_LINE_SHARE] = ratio(above as f64, started);
        flows[pw::GRADUATED_SHARE] = ratio(graduated as f64, started);
        program_weekly
            .row_mut(t)
            .assign(&ndarray::ArrayView1::from(&flows));
    }

    // Horizon totals.
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
                totals.weeks_to_graduation.push(g - start + 1);
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
