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
use crate::model::flock::Status;
use crate::model::{Design, Placement, World, household, market};
use crate::results::metrics::{program_weekly as pw, ratio, region_weekly as rw};
use crate::stats::Bands;

/// What stochastic mode needs to draw one replicate.
pub struct Draws<'a> {
    pub seed: u64,
    pub replicate: u32,
    pub shocks: &'a Shocks,
}

/// Horizon totals of one run, the raw material of `summary.csv` and `region_summary.csv`.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Member households per KUBE.
    pub members: u32,
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
pub fn place(world: &World, placement: Option<&Placement>) -> Layout {
    let Some(p) = placement else {
        return Layout {
            kubes_per_region: vec![0; world.regions.len()],
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
    world: &World,
    members: u32,
    layout: &Layout,
    draws: Option<&Draws>,
) -> (Households, HouseholdLuck) {
    let h = &world.household;
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
            let region = &world.regions.regions[r];
            let line = region.poverty_line_rp_per_capita_month;
            for member in 0..m {
                let entity = Entity::Household {
                    region: &region.code,
                    kube: index,
                    member: member as u32,
                };
                let (size, spread) = match draws {
                    Some(d) => {
                        seeds[member] = lane_seed(d.seed, d.replicate, Kind::IncomeShocks, entity);
                        let mut rng = stream(d.seed, d.replicate, Kind::Household, entity);
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

/// The KUBE side of a week: start of week and eggs, the market, settlement.
struct KubeSide<'a> {
    world: &'a World,
    /// `None` for the baseline, which has no KUBE.
    design: Option<&'a Design>,
    path: &'a Path,
    draws: Option<&'a Draws<'a>>,
    blocks: Vec<kube_pass::Block>,
    whole_hens: bool,
    h0: f64,
    members: usize,
    region_weekly: Array3<f64>,
    totals: Totals,
    /// Households of KUBE started so far.
    started_households: u64,
    // Scratch reused every week.
    kube_supply_kg: Vec<f64>,
    price_rp_per_kg: Vec<f64>,
    feed_rp_per_kg: Vec<f64>,
}

impl KubeSide<'_> {
    /// Week t's KUBE passes and market; writes each KUBE's payout to `payout_rp` and
    /// returns the week's flows and the households started by then.
    fn week(&mut self, t: usize, payout_rp: &mut [f64]) -> ([f64; pw::NAMES.len()], u64) {
        let (world, path) = (self.world, self.path);
        let draws = self.draws;
        let food_index = path.food_index[t];
        let discount = path.discount[t];
        let mut program_cost_rp = 0.0;

        // 1. Start of week, outbreaks, and eggs laid: K_r(t), block by block in parallel,
        // summed in block order.
        let ctx = kube_pass::Context {
            world,
            design: self.design,
            t,
            food_index,
            whole_hens: self.whole_hens,
            draws,
            h0: self.h0,
        };
        self.blocks.par_iter_mut().for_each(|b| b.begin(&ctx));
        self.kube_supply_kg.fill(0.0);
        for b in &self.blocks {
            for (total, part) in self.kube_supply_kg.iter_mut().zip(&b.supply_kg) {
                *total += part;
            }
            program_cost_rp += b.program_cost_rp;
            self.totals.started_kubes += b.started;
            self.started_households += b.started * self.members as u64;
        }

        // 2. The market: self-sufficiency, price, deficit; the feed price.
        let (egg_shock, feed_shock) = match draws {
            Some(d) => (d.shocks.egg_price_factor[t], d.shocks.feed_price_factor[t]),
            None => (1.0, 1.0),
        };
        for (r, region) in world.regions.regions.iter().enumerate() {
            let demand = path.demand_kg[[t, r]];
            let baseline = path.baseline_supply_kg[[t, r]];
            let supply = baseline + self.kube_supply_kg[r];
            let x = market::self_sufficiency(supply, demand);
            let hub = path.hub_egg_rp_per_kg[t] * egg_shock;
            let price = market::egg_price(
                hub,
                region.transport_cost_rp_per_kg,
                x,
                world.market.price_band_width,
            );
            self.price_rp_per_kg[r] = price;
            self.feed_rp_per_kg[r] = match draws {
                None => path.feed_rp_per_kg[[t, r]],
                Some(_) => {
                    (world.market.hub_feed_price_rp_per_kg * feed_shock
                        + region.feed_transport_rp_per_kg)
                        * path.feed_index[t]
                }
            };
            let mut row = self.region_weekly.slice_mut(ndarray::s![t, r, ..]);
            row[rw::DEMAND_KG] = demand;
            row[rw::BASELINE_SUPPLY_KG] = baseline;
            row[rw::KUBE_SUPPLY_KG] = self.kube_supply_kg[r];
            row[rw::DEFICIT_KG] = market::deficit_kg(demand, supply);
            row[rw::SELF_SUFFICIENCY] = x;
            row[rw::PRICE_RP_PER_KG] = price;
        }

        // 3. Sales, costs, deaths, culling, payouts, block by block in parallel.
        let (price, feed) = (&self.price_rp_per_kg, &self.feed_rp_per_kg);
        self.blocks
            .par_iter_mut()
            .for_each(|b| b.settle(&ctx, price, feed));
        let mut flows = [0.0; pw::NAMES.len()];
        for b in &self.blocks {
            for (total, part) in flows.iter_mut().zip(&b.flows) {
                *total += part;
            }
            program_cost_rp += b.program_cost_rp;
            payout_rp[b.first..b.first + b.kubes.len()].copy_from_slice(&b.kubes.payout_rp);
        }
        let totals = &mut self.totals;
        totals.payouts_rp += flows[pw::PAYOUT_RP];
        totals.npv_payouts_rp += flows[pw::PAYOUT_RP] * discount;
        totals.program_cost_rp += program_cost_rp;
        totals.npv_program_cost_rp += program_cost_rp * discount;
        (flows, self.started_households)
    }
}

/// The household side of a week: income, smoothing, the line, graduation, quantiles.
struct HouseholdSide<'a> {
    world: &'a World,
    path: &'a Path,
    stochastic: bool,
    households: Households,
    luck: HouseholdLuck,
    start_week: Vec<u32>,
    alpha: f64,
    members: usize,
    /// Households graduated so far.
    graduated: u64,
    // Scratch reused every week.
    income_pc_month: Vec<f64>,
    pass: households::Pass,
    bands: Bands,
}

impl HouseholdSide<'_> {
    /// Week t's household pass, given the week's payouts and the households started by
    /// then; fills in the household entries of the week's `flows`.
    fn week(&mut self, t: usize, payout_rp: &[f64], started: u64, flows: &mut [f64]) {
        let w = self.world;
        let week_inputs = households::Week {
            t,
            income_index: self.path.income_index[t],
            line_index: self.path.poverty_line_index[t],
            threshold: w.household.graduation_threshold,
            alpha: self.alpha,
            graduation_weeks: w.household.graduation_weeks,
            members: self.members,
            stochastic: self.stochastic,
            income_rho: w.stochastic.income_rho as f32,
            income_sigma: w.stochastic.income_sigma as f32,
            start_week: &self.start_week,
            payout_rp,
            bands: &self.bands,
        };
        let (above, graduated_now) = self.pass.step(
            &mut self.households,
            &mut self.luck,
            &mut self.income_pc_month,
            &week_inputs,
        );
        self.graduated += graduated_now;
        // Started households are a prefix: start weeks never decrease with the KUBE number.
        let started_data = &mut self.income_pc_month[..started as usize];
        let [p10, p50, p90] =
            self.bands
                .quantiles([0.1, 0.5, 0.9], started_data, &mut self.pass.tallies);
        let started = started as f64;
        flows[pw::INCOME_P10] = p10;
        flows[pw::INCOME_P50] = p50;
        flows[pw::INCOME_P90] = p90;
        flows[pw::ABOVE_LINE_SHARE] = ratio(above as f64, started);
        flows[pw::GRADUATED_SHARE] = ratio(self.graduated as f64, started);
    }
}

/// Runs one placement (`None`: the baseline, no KUBE) over the whole horizon, in
/// deterministic mode (`draws = None`) or as one stochastic replicate.
///
/// Households of week t need only week t's payouts, and the KUBE of week t + 1 never
/// look at households, so the two run side by side: week t's household pass beside week
/// t + 1's KUBE passes and market (payouts in two alternating buffers). Each side keeps
/// its own order, so the results are those of running them one after the other.
pub fn simulate(
    world: &World,
    path: &Path,
    placement: Option<&Placement>,
    draws: Option<&Draws>,
) -> Run {
    let weeks = world.weeks as usize;
    let n_regions = world.regions.len();
    // The baseline has no KUBE, hence no design and no households.
    let design = placement.map(|p| &p.design);
    let members = design.map_or(1, |d| d.kube.members);
    let layout = place(world, placement);
    let (households, household_luck) = init_households(world, members, &layout, draws);
    let members = members as usize;
    let n_kubes = layout.keys.len();
    let blocks = kube_pass::blocks(world, &layout, draws);
    let n_households = households.len();
    let mut kube = KubeSide {
        world,
        design,
        path,
        draws,
        blocks,
        whole_hens: draws.is_some(),
        h0: design.map_or(0.0, |d| f64::from(d.flock.hens_per_kube)),
        members,
        region_weekly: Array3::<f64>::zeros((weeks, n_regions, rw::NAMES.len())),
        totals: Totals {
            members: members as u32,
            kubes_per_region: layout.kubes_per_region,
            started_households_per_region: vec![0; n_regions],
            graduated_per_region: vec![0; n_regions],
            ..Totals::default()
        },
        started_households: 0,
        kube_supply_kg: vec![0.0; n_regions],
        price_rp_per_kg: vec![0.0; n_regions],
        feed_rp_per_kg: vec![0.0; n_regions],
    };
    let mut hh = HouseholdSide {
        world,
        path,
        stochastic: draws.is_some(),
        households,
        luck: household_luck,
        start_week: layout.kubes.start_week,
        alpha: household::ema_alpha(world.household.smoothing_weeks),
        members,
        graduated: 0,
        income_pc_month: vec![0.0; n_households],
        pass: households::Pass::new(n_households, n_kubes, members),
        bands: Bands::new(),
    };
    let mut program_weekly = Array2::<f64>::zeros((weeks, pw::NAMES.len()));
    let mut payouts = [vec![0.0; n_kubes], vec![0.0; n_kubes]];

    let mut next =
        (weeks > 0 && !super::cancel::requested()).then(|| kube.week(0, &mut payouts[0]));
    for t in 0..weeks {
        // After a stop request the run is abandoned; what it holds is never written.
        let Some((mut flows, started)) = next.take().filter(|_| !super::cancel::requested()) else {
            break;
        };
        let (even, odd) = payouts.split_at_mut(1);
        let (current, following) = if t % 2 == 0 {
            (&even[0], &mut odd[0])
        } else {
            (&odd[0], &mut even[0])
        };
        let ((), following_week) = rayon::join(
            || hh.week(t, current, started, &mut flows),
            || (t + 1 < weeks).then(|| kube.week(t + 1, following)),
        );
        program_weekly
            .row_mut(t)
            .assign(&ndarray::ArrayView1::from(&flows));
        next = following_week;
    }
    let KubeSide {
        blocks,
        region_weekly,
        mut totals,
        ..
    } = kube;
    let households = hh.households;

    // Horizon totals.
    let (kubes, luck) = kube_pass::flatten(blocks);
    let horizon = world.weeks;
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
