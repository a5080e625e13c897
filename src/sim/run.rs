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

use super::classes::{Classes, Replay};
use super::households;
use super::kube_pass;
use super::luck::{self, HouseholdLuck, KubeLuck, Shocks};
use super::path::Path;
use super::rng::{Entity, IncomeStreams, Kind, lane_seed, stream};
use super::state::{ARMS, CASH, Households, Kubes, NOT_GRADUATED, PROGRAMME, WITHOUT};
use crate::data::RegionId;
use crate::model::flock::Status;
use crate::model::{Design, Placement, World, growth, household, market};
use crate::results::metrics::{program_weekly as pw, ratio, region_weekly as rw};
use crate::stats::Bands;

/// What stochastic mode needs to draw one replicate.
pub struct Draws<'a> {
    pub seed: u64,
    pub replicate: u32,
    pub shocks: &'a Shocks,
}

/// Horizon totals of a set of KUBE and their member households (one region's, or all).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub kubes: u64,
    pub started_kubes: u64,
    /// Households whose KUBE started.
    pub started_households: u64,
    /// Per arm ([`PROGRAMME`](super::state::PROGRAMME), without, cash): households that
    /// graduated, and households above the line in the last week.
    pub graduated: [u64; ARMS],
    pub above_end: [u64; ARMS],
    pub operating_end: u64,
    pub failed_end: u64,
    pub closed_end: u64,
    pub payouts_rp: f64,
    /// Discounted payouts plus the KUBEs' cash after the last week discounted at T.
    pub npv_payouts_rp: f64,
    /// Discounted payouts net of forgone earnings, plus cash and hens after the last week
    /// discounted at T (MODEL.md 6).
    pub npv_benefits_rp: f64,
    pub program_cost_rp: f64,
    pub npv_program_cost_rp: f64,
    /// Household-weeks of participation: weeks from each KUBE's start to the horizon.
    pub household_weeks: u64,
    /// Sums over household-weeks of participation of `(I - I_wo) 52/12 / n_i` and of
    /// `(I_cash - I_wo) 52/12 / n_i`.
    pub programme_gain_pc_month_rp: f64,
    pub cash_gain_pc_month_rp: f64,
}

/// Horizon totals of one run, the raw material of `summary.csv` and `region_summary.csv`.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Member households per KUBE.
    pub members: u32,
    pub kubes_per_region: Vec<u32>,
    /// Per region, in regions-table order.
    pub regions: Vec<Tally>,
    /// Over every region (summed KUBE by KUBE).
    pub all: Tally,
    /// Households whose income without the programme was below the line in their KUBE's
    /// start week.
    pub poor_at_entry: u64,
    /// Weeks from each graduate's KUBE start to its graduation (programme arm), both
    /// included.
    pub weeks_to_graduation: Vec<u32>,
    /// Outbreaks over all KUBEs (stochastic mode).
    pub outbreaks: u64,
}

/// What one run of one placement produced.
#[derive(Debug, Clone)]
pub struct Run {
    /// `[week, region, metric]`, metrics of [`crate::results::metrics::region_weekly`].
    pub region_weekly: Array3<f64>,
    /// `[week, metric]`, metrics of [`crate::results::metrics::program_weekly`]; NaN =
    /// undefined.
    pub program_weekly: Array2<f64>,
    pub totals: Totals,
    /// KUBE state after the last week, with each KUBE's ledger.
    pub kubes: Kubes,
    /// Per-KUBE stochastic state after the last week (stochastic mode).
    pub luck: Option<Vec<KubeLuck>>,
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
    /// Blocks of every KUBE, or (with `replay`) one block per class of KUBE.
    blocks: Vec<kube_pass::Block>,
    /// Deterministic mode over classes: how the classes' values add up over every KUBE.
    replay: Option<Replay>,
    members: usize,
    region_weekly: Array3<f64>,
    /// Households of KUBE started so far.
    started_households: u64,
    // Scratch reused every week.
    kube_supply_kg: Vec<f64>,
    price_rp_per_kg: Vec<f64>,
    feed_rp_per_kg: Vec<f64>,
}

/// What the households of week t read from the KUBE side: per KUBE (per class of KUBE over
/// classes), the moving averages of what the programme and cash of its cost add to a
/// member's income.
struct Additions {
    programme_rp: Vec<f64>,
    cash_rp: Vec<f64>,
}

/// A block of consecutive weeks as the KUBE side hands it to the households: per week, the
/// additions, the flows so far (the households fill in theirs) and the households started.
struct Weeks {
    first: usize,
    len: usize,
    additions: Vec<Additions>,
    flows: Vec<[f64; pw::NAMES.len()]>,
    started: Vec<u64>,
}

impl Weeks {
    /// Room for `capacity` weeks of `kubes` KUBE (or classes).
    fn new(capacity: usize, kubes: usize) -> Weeks {
        Weeks {
            first: 0,
            len: 0,
            additions: (0..capacity)
                .map(|_| Additions {
                    programme_rp: vec![0.0; kubes],
                    cash_rp: vec![0.0; kubes],
                })
                .collect(),
            flows: vec![[0.0; pw::NAMES.len()]; capacity],
            started: vec![0; capacity],
        }
    }
}

impl<'a> KubeSide<'a> {
    /// What KUBE of week t depend on.
    fn context(&self, t: usize) -> kube_pass::Context<'a> {
        kube_pass::Context::of_week(self.world, self.design, self.path, self.draws, t)
    }

    /// Week 0's start of week and eggs; every later week's start runs in the week before's
    /// settlement ([`kube_pass::Block::settle_then_begin`]).
    fn first_week(&mut self) {
        let ctx = self.context(0);
        self.blocks.par_iter_mut().for_each(|b| b.begin(&ctx));
        self.add_supply();
    }

    /// Sums the blocks' eggs laid this week, K_r(t), in block order, and counts the
    /// households of KUBE started this week.
    fn add_supply(&mut self) {
        let started = match self.replay.as_mut() {
            Some(replay) => replay.supply(&self.blocks, &mut self.kube_supply_kg),
            None => {
                self.kube_supply_kg.fill(0.0);
                for b in &self.blocks {
                    kube_pass::add_part(&mut self.kube_supply_kg, &b.supply_kg);
                }
                self.blocks.iter().map(|b| b.started).sum()
            }
        };
        self.started_households += started * self.members as u64;
    }

    /// Weeks `first..first + len` (at most the block's room) of the KUBE side, into `out`.
    fn weeks(&mut self, first: usize, len: usize, out: &mut Weeks) {
        out.first = first;
        out.len = len;
        for i in 0..len {
            (out.flows[i], out.started[i]) = self.week(first + i, &mut out.additions[i]);
        }
    }

    /// Week t's market and settlement, its start of week (with its eggs) having run: writes
    /// each KUBE's additions to the households' incomes to `out` and returns the week's
    /// flows and the households started by then. Week t + 1's start of week runs in the
    /// same walk over the blocks.
    fn week(&mut self, t: usize, out: &mut Additions) -> ([f64; pw::NAMES.len()], u64) {
        let (world, path) = (self.world, self.path);
        let draws = self.draws;
        let started_households = self.started_households;

        // 1. The market: self-sufficiency, price, deficit; the feed price.
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

        // 2. Sales, costs, deaths, culling, payouts, block by block in parallel, and what
        // each started KUBE adds to its members' incomes; then, in the same walk, the start
        // of week t + 1, its outbreaks and its eggs.
        let ctx = self.context(t);
        let next = (t + 1 < world.weeks as usize).then(|| self.context(t + 1));
        let (price, feed) = (&self.price_rp_per_kg, &self.feed_rp_per_kg);
        self.blocks.par_iter_mut().for_each(|b| match &next {
            Some(next) => b.settle_then_begin(&ctx, next, price, feed),
            None => b.settle(&ctx, price, feed),
        });
        let mut flows = [0.0; pw::NAMES.len()];
        match &self.replay {
            Some(replay) => replay.flows(&self.blocks, &mut flows),
            None => {
                for b in &self.blocks {
                    kube_pass::add_part(&mut flows, &b.flows);
                }
            }
        }
        for b in &self.blocks {
            let range = b.first..b.first + b.kubes.len();
            out.programme_rp[range.clone()].copy_from_slice(&b.kubes.programme_ema_rp);
            out.cash_rp[range].copy_from_slice(&b.kubes.cash_ema_rp);
        }
        if next.is_some() {
            self.add_supply();
        }
        (flows, started_households)
    }
}

/// What every week's household pass reads besides the KUBE side's additions.
struct Inputs<'a> {
    world: &'a World,
    path: &'a Path,
    stochastic: bool,
    /// Per KUBE (per class of KUBE over classes): start week.
    start_week: Vec<u32>,
    alpha: f64,
    members: usize,
}

impl Inputs<'_> {
    /// The inputs of week t's household pass, given the week's additions.
    fn week<'b>(&'b self, t: usize, additions: &'b Additions) -> households::Week<'b> {
        let w = self.world;
        households::Week {
            t,
            income_index: self.path.income_index[t],
            line_index: self.path.poverty_line_index[t],
            threshold: w.household.graduation_threshold,
            alpha: self.alpha,
            graduation_weeks: household::graduation_weeks_u16(w.household.graduation_weeks),
            members: self.members,
            stochastic: self.stochastic,
            income_rho: w.stochastic.income_rho as f32,
            income_sigma: w.stochastic.income_sigma as f32,
            start_week: &self.start_week,
            programme_rp: &additions.programme_rp,
            cash_rp: &additions.cash_rp,
        }
    }
}

/// The household side of a week: income in three arms, smoothing, the line, graduation,
/// quantiles.
struct HouseholdSide<'a> {
    inputs: Inputs<'a>,
    households: Households,
    luck: HouseholdLuck,
    members: usize,
    /// Households graduated so far, per arm.
    graduated: [u64; ARMS],
    poor_at_entry: u64,
    pass: households::Pass,
    bands: Bands<3>,
    bands_without: Bands<1>,
    /// Deterministic mode: `households` and `luck` hold one KUBE's members per class, the
    /// pass runs those (see [`super::classes`]), and the additions are per class.
    classes: Option<Classes>,
}

impl HouseholdSide<'_> {
    /// A block of weeks' household passes, given each week's additions and households
    /// started by then; fills in the household entries of each week's flows.
    fn block(&mut self, weeks: &mut Weeks) {
        if self.classes.is_some() {
            for i in 0..weeks.len {
                self.class_week(
                    weeks.first + i,
                    &weeks.additions[i],
                    weeks.started[i],
                    &mut weeks.flows[i],
                );
            }
            return;
        }
        // Every household runs the block first, tallying each week's incomes against bands
        // placed before the block, further ahead (and wider) week by week. Then each week's
        // quantiles, in order: from those tallies where they hold the wanted ranks, else
        // from the week tallied again from the block's history against the bands placed
        // the week before (which only then are known), else by a full selection.
        let windows = households::windows(&self.bands, &self.bands_without, weeks.len);
        let inputs = &self.inputs;
        let counts = self.pass.run(
            &mut self.households,
            &mut self.luck,
            weeks.len,
            |i| inputs.week(weeks.first + i, &weeks.additions[i]),
            Some(&windows[..weeks.len]),
        );
        // Started households are a prefix: start weeks never decrease with the KUBE number.
        let mut started = [0usize; households::MAX_BLOCK_WEEKS];
        for (n, &s) in started.iter_mut().zip(&weeks.started[..weeks.len]) {
            *n = s as usize;
        }
        let found = self.pass.select_ahead(&started[..weeks.len]);
        for i in 0..weeks.len {
            let w = self.inputs.week(weeks.first + i, &weeks.additions[i]);
            let bands = (&mut self.bands, &mut self.bands_without);
            let (with, without) = self.pass.quantiles(
                &self.households,
                i,
                &w,
                started[i],
                &windows[i],
                bands,
                found[i],
            );
            self.record(
                counts[i],
                with,
                without,
                weeks.started[i],
                &mut weeks.flows[i],
            );
        }
    }

    /// Week t's household pass over classes of KUBE (deterministic mode), given the week's
    /// additions and the households started by then; fills in the household entries of the
    /// week's `flows`.
    fn class_week(&mut self, t: usize, additions: &Additions, started: u64, flows: &mut [f64]) {
        // The pass's counts are the representatives'; the classes weight them.
        let inputs = &self.inputs;
        self.pass.run(
            &mut self.households,
            &mut self.luck,
            1,
            |_| inputs.week(t, additions),
            None,
        );
        let (hh, members) = (&self.households, self.members);
        let c = self
            .classes
            .as_mut()
            .expect("a class week runs over classes");
        let programme = Some(additions.programme_rp.as_slice());
        let with = c.quantiles(hh, programme, members, t, [0.1, 0.5, 0.9]);
        let without = c.quantiles(hh, None, members, t, [0.5]);
        let counts = c.counts(hh, members, t);
        self.record(counts, with, without, started, flows);
    }

    /// Adds a week's counts to the run's and writes the week's household flows.
    fn record(
        &mut self,
        counts: households::Counts,
        [p10, p50, p90]: [f64; 3],
        [p50_without]: [f64; 1],
        started: u64,
        flows: &mut [f64],
    ) {
        for arm in 0..ARMS {
            self.graduated[arm] += counts.graduated_now[arm];
        }
        self.poor_at_entry += counts.poor_at_entry;
        let started = started as f64;
        let share = |n: u64| ratio(n as f64, started);
        flows[pw::INCOME_P10] = p10;
        flows[pw::INCOME_P50] = p50;
        flows[pw::INCOME_P90] = p90;
        flows[pw::ABOVE_LINE_SHARE] = share(counts.above[PROGRAMME]);
        flows[pw::GRADUATED_SHARE] = share(self.graduated[PROGRAMME]);
        flows[pw::INCOME_P50_WITHOUT] = p50_without;
        flows[pw::ABOVE_LINE_SHARE_WITHOUT] = share(counts.above[WITHOUT]);
        flows[pw::ABOVE_LINE_SHARE_CASH] = share(counts.above[CASH]);
        flows[pw::GRADUATED_SHARE_WITHOUT] = share(self.graduated[WITHOUT]);
        flows[pw::GRADUATED_SHARE_CASH] = share(self.graduated[CASH]);
    }
}

/// Runs one placement (`None`: the baseline, no KUBE) over the whole horizon, in
/// deterministic mode (`draws = None`) or as one stochastic replicate.
///
/// Weeks run in blocks ([`households::block_weeks_for`]). Households of a week need only
/// what that week's KUBE add to their incomes, and KUBE never look at households, so the
/// KUBE side runs a block ahead: block b's household passes run beside block b + 1's KUBE
/// passes and markets (the additions in two alternating buffers), and each chunk of
/// households runs all of a block's weeks while its state is in the core's cache. Each
/// side keeps its own order, so the results are those of running every week's KUBE and
/// households one after the other, for any block length (tested).
pub fn simulate(
    world: &World,
    path: &Path,
    placement: Option<&Placement>,
    draws: Option<&Draws>,
) -> Run {
    simulate_with(world, path, placement, draws, Engine::default())
}

/// How [`simulate_with`] runs a placement; every choice gives the same bytes.
#[derive(Debug, Clone, Copy)]
pub struct Engine {
    /// Deterministic mode's household pass runs one KUBE per class ([`super::classes`])
    /// rather than every KUBE.
    pub classes: bool,
    /// Weeks per block of the household pass, 1 to [`households::MAX_BLOCK_WEEKS`];
    /// `None`: as many as pay for the run's number of households
    /// ([`households::block_weeks_for`]).
    pub block_weeks: Option<usize>,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine {
            classes: true,
            block_weeks: None,
        }
    }
}

/// [`simulate`], run the way `engine` says.
pub fn simulate_with(
    world: &World,
    path: &Path,
    placement: Option<&Placement>,
    draws: Option<&Draws>,
    engine: Engine,
) -> Run {
    let weeks = world.weeks as usize;
    let n_regions = world.regions.len();
    // The baseline has no KUBE, hence no design and no households.
    let design = placement.map(|p| &p.design);
    let members = design.map_or(1, |d| d.kube.members);
    let layout = place(world, placement);
    let (mut households, mut household_luck) = init_households(world, members, &layout, draws);
    let members = members as usize;
    let n_kubes = layout.keys.len();
    let classes = (engine.classes && draws.is_none() && n_kubes > 0)
        .then(|| Classes::of(&layout.kubes.region, &layout.kubes.start_week));
    let (blocks, replay) = match &classes {
        Some(c) => (c.blocks(world), Some(c.replay())),
        None => (kube_pass::blocks(world, &layout, draws), None),
    };
    // The full state stays aside, to be filled from the classes after the last week.
    let mut full = None;
    if let Some(c) = &classes {
        let (compact, luck) = c.compact(&households, members);
        full = Some(std::mem::replace(&mut households, compact));
        household_luck = luck;
    }
    let n_households = households.len();
    let n_pass_kubes = classes.as_ref().map_or(n_kubes, Classes::len);
    let alpha = household::ema_alpha(world.household.smoothing_weeks);
    let mut kube = KubeSide {
        world,
        design,
        path,
        draws,
        blocks,
        replay,
        members,
        region_weekly: Array3::<f64>::zeros((weeks, n_regions, rw::NAMES.len())),
        started_households: 0,
        kube_supply_kg: vec![0.0; n_regions],
        price_rp_per_kg: vec![0.0; n_regions],
        feed_rp_per_kg: vec![0.0; n_regions],
    };
    let block_weeks = engine
        .block_weeks
        .unwrap_or_else(|| households::block_weeks_for(n_households));
    let mut hh = HouseholdSide {
        inputs: Inputs {
            world,
            path,
            stochastic: draws.is_some(),
            start_week: classes
                .as_ref()
                .map_or(layout.kubes.start_week, |c| c.start_week.clone()),
            alpha,
            members,
        },
        households,
        luck: household_luck,
        members,
        graduated: [0; ARMS],
        poor_at_entry: 0,
        pass: households::Pass::new(n_households, n_pass_kubes, members, block_weeks),
        bands: Bands::new(),
        bands_without: Bands::new(),
        classes,
    };
    let mut program_weekly = Array2::<f64>::zeros((weeks, pw::NAMES.len()));
    let [mut current, mut following] = [0, 1].map(|_| Weeks::new(block_weeks, n_pass_kubes));

    if weeks > 0 && !super::cancel::requested() {
        kube.first_week();
        kube.weeks(0, block_weeks.min(weeks), &mut current);
    }
    // Until the KUBE side has no week left to hand over; after a stop request the run is
    // abandoned, and what it holds is never written.
    while current.len > 0 && !super::cancel::requested() {
        let next = current.first + current.len;
        let next_len = block_weeks.min(weeks - next);
        rayon::join(
            || hh.block(&mut current),
            || kube.weeks(next, next_len, &mut following),
        );
        for (i, flows) in current.flows[..current.len].iter().enumerate() {
            program_weekly
                .row_mut(current.first + i)
                .assign(&ndarray::ArrayView1::from(flows));
        }
        std::mem::swap(&mut current, &mut following);
    }
    let KubeSide {
        blocks,
        region_weekly,
        ..
    } = kube;
    let (mut kubes, luck) = kube_pass::flatten(blocks);
    if let (Some(c), Some(full)) = (&hh.classes, full.as_mut()) {
        c.expand(&hh.households, members, full);
        hh.households = std::mem::take(full);
        kubes = c.expand_kubes(&kubes);
    }
    let totals = horizon_totals(
        world,
        path,
        design,
        &layout.kubes_per_region,
        &kubes,
        &hh.households,
        hh.poor_at_entry,
        luck.as_deref(),
    );
    Run {
        region_weekly,
        program_weekly,
        totals,
        kubes,
        luck,
        households: hh.households,
    }
}

/// Adds up a run's KUBE and households after the last week, region by region and over
/// all regions, each in KUBE order.
#[allow(clippy::too_many_arguments)]
fn horizon_totals(
    world: &World,
    path: &Path,
    design: Option<&Design>,
    kubes_per_region: &[u32],
    kubes: &Kubes,
    households: &Households,
    poor_at_entry: u64,
    luck: Option<&[KubeLuck]>,
) -> Totals {
    let horizon = world.weeks;
    let members = design.map_or(1, |d| d.kube.members);
    let m = members as usize;
    let end_discount = path.discount[horizon as usize];
    let spent_hen_end = design.map_or(0.0, |d| {
        d.flock.spent_hen_price_rp * growth(world.market.food_inflation, f64::from(horizon))
    });
    let mut totals = Totals {
        members,
        kubes_per_region: kubes_per_region.to_vec(),
        regions: vec![Tally::default(); world.regions.len()],
        poor_at_entry,
        ..Totals::default()
    };
    for k in 0..kubes.len() {
        let r = kubes.region[k].index();
        let start = kubes.start_week[k];
        for tally in [&mut totals.regions[r], &mut totals.all] {
            tally.kubes += 1;
        }
        if start >= horizon {
            continue;
        }
        let members_h = k * m..(k + 1) * m;
        // Over the KUBE's members: sum of 1 / n_i, graduates and who is above at the end.
        let per_person: f64 = members_h.clone().map(|h| 1.0 / households.people[h]).sum();
        let mut graduated = [0u64; ARMS];
        let mut above_end = [0u64; ARMS];
        for arm in 0..ARMS {
            for h in members_h.clone() {
                graduated[arm] += u64::from(households.graduated_week[arm][h] != NOT_GRADUATED);
                above_end[arm] += u64::from(households.weeks_above[arm][h] > 0);
            }
        }
        for h in members_h {
            let g = households.graduated_week[PROGRAMME][h];
            if g != NOT_GRADUATED {
                totals.weeks_to_graduation.push(u32::from(g) - start + 1);
            }
        }
        let end_value = kubes.cash_rp[k] * end_discount;
        let hens_value = kubes.hens[k] * spent_hen_end * end_discount;
        for tally in [&mut totals.regions[r], &mut totals.all] {
            tally.started_kubes += 1;
            tally.started_households += members as u64;
            match kubes.status[k] {
                Status::Active | Status::Resting => tally.operating_end += 1,
                Status::Failed => tally.failed_end += 1,
                Status::Closed => tally.closed_end += 1,
                Status::Pending => {}
            }
            for arm in 0..ARMS {
                tally.graduated[arm] += graduated[arm];
                tally.above_end[arm] += above_end[arm];
            }
            tally.payouts_rp += kubes.total_payout_rp[k];
            tally.npv_payouts_rp += kubes.npv_payout_rp[k] + end_value;
            tally.npv_benefits_rp += kubes.npv_benefit_rp[k] + end_value + hens_value;
            tally.program_cost_rp += kubes.program_cost_rp[k];
            tally.npv_program_cost_rp += kubes.npv_program_cost_rp[k];
            tally.household_weeks += u64::from(horizon - start) * members as u64;
            tally.programme_gain_pc_month_rp +=
                kubes.programme_gain_rp[k] * per_person * 52.0 / 12.0;
            tally.cash_gain_pc_month_rp += kubes.cash_gain_rp[k] * per_person * 52.0 / 12.0;
        }
    }
    totals.outbreaks = luck.map_or(0, |l| l.iter().map(|k| u64::from(k.outbreaks)).sum());
    totals
}
