//! The KUBE passes of a week (MODEL.md 4.3 and 5), in parallel over fixed blocks.
//!
//! KUBE are kept in blocks of [`BLOCK_KUBES`] consecutive KUBE, each block a small
//! struct-of-arrays state of its own. Blocks run in parallel and report partial sums
//! (regional egg supply, programme cost, flows) that the week adds up in block order, so
//! results do not depend on the number of threads. Block boundaries depend only on the
//! placement.

use rand::RngExt;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use super::luck::{self, KubeLuck};
use super::path::Path;
use super::run::{Draws, Layout};
use super::state::{Kubes, KubesView};
use crate::data::CurvePoint;
use crate::model::flock::{self, Status, WeekPrices};
use crate::model::household;
use crate::model::{Design, World};
use crate::results::metrics::program_weekly as pw;

/// KUBE per block. A KUBE's state is a score of arrays; blocks of 1,024 make each array's
/// run long enough (8 KiB of f64) for the hardware prefetcher to stream it, which blocks of
/// 256 were not: the national run spent a tenth of its time waiting on KUBE state (1,024
/// and 4,096 both took 8.5 s on one thread, 256 took 9.7 s). A hundred blocks still
/// spread over the threads of a national run.
pub const BLOCK_KUBES: usize = 1024;

/// Cap on hen-day x production factor in stochastic mode (MODEL.md 5).
const MAX_LAY_RATE: f64 = 0.98;

/// What a KUBE's week depends on besides its own state.
pub struct Context<'a> {
    pub world: &'a World,
    /// The placement's design (`None`: the baseline, which has no KUBE and no blocks).
    pub design: Option<&'a Design>,
    pub t: usize,
    pub food_index: f64,
    /// Stochastic mode: whole pullets when restocking.
    pub whole_hens: bool,
    pub draws: Option<&'a Draws<'a>>,
    /// `(1 + discount_rate)^(-t/52)`.
    pub discount: f64,
    /// What a member gives up in a week its flock lays, `W(t)` (MODEL.md 4.4).
    pub forgone_rp: f64,
    /// The households' smoothing weight, `alpha = 2 / (smoothing_weeks + 1)`.
    pub alpha: f64,
}

impl<'a> Context<'a> {
    /// Week t of a run of `design` (`None`: the baseline) along `path`, stochastic when
    /// `draws` are given: everything else follows from the world and the week.
    pub fn of_week(
        world: &'a World,
        design: Option<&'a Design>,
        path: &Path,
        draws: Option<&'a Draws<'a>>,
        t: usize,
    ) -> Context<'a> {
        Context {
            world,
            design,
            t,
            food_index: path.food_index[t],
            whole_hens: draws.is_some(),
            draws,
            discount: path.discount[t],
            forgone_rp: world.household.forgone_rp_per_member_week * path.income_index[t],
            alpha: household::ema_alpha(world.household.smoothing_weeks),
        }
    }
}

/// A block of consecutive KUBE with its state and this week's partial sums.
pub struct Block {
    /// Number of the block's first KUBE.
    pub first: usize,
    pub kubes: Kubes,
    pub luck: Option<Vec<KubeLuck>>,
    /// Each KUBE's outbreak severity stream (stochastic mode; empty otherwise).
    pub severity_rng: Vec<Pcg64>,
    /// This week's outbreak severity per KUBE (0: no outbreak).
    severity: Vec<f64>,
    /// This week's eggs per region from this block, kg.
    pub supply_kg: Vec<f64>,
    pub flows: [f64; pw::NAMES.len()],
    /// KUBE that started this week.
    pub started: u64,
}

/// Cuts a placement's KUBE into blocks and draws each block's luck (stochastic mode).
pub fn blocks(world: &World, layout: &Layout, draws: Option<&Draws>) -> Vec<Block> {
    let n = layout.keys.len();
    (0..n.div_ceil(BLOCK_KUBES))
        .into_par_iter()
        .map(|b| {
            let range = b * BLOCK_KUBES..((b + 1) * BLOCK_KUBES).min(n);
            let kubes = Kubes::new(
                layout.kubes.region[range.clone()].to_vec(),
                layout.kubes.start_week[range.clone()].to_vec(),
            );
            let keys = &layout.keys[range.clone()];
            let luck = draws.map(|d| {
                KubeLuck::draw(&world.stochastic, d.seed, d.replicate, &world.regions, keys)
            });
            Block::new(range.start, kubes, luck, world.regions.len())
        })
        .collect()
}

/// Adds a block's partial sums to the week's, entry by entry.
pub fn add_part(total: &mut [f64], part: &[f64]) {
    for (sum, p) in total.iter_mut().zip(part) {
        *sum += p;
    }
}

/// Joins the blocks back into one state, in KUBE order.
pub fn flatten(blocks: Vec<Block>) -> (Kubes, Option<Vec<KubeLuck>>) {
    let mut kubes = Kubes::default();
    let mut luck: Option<Vec<KubeLuck>> = None;
    for b in blocks {
        kubes.append(b.kubes);
        if let Some(l) = b.luck {
            match luck.as_mut() {
                Some(all) => all.extend(l),
                None => luck = Some(l),
            }
        }
    }
    (kubes, luck)
}

/// The curve point a KUBE lays at this week, with stochastic management and outbreaks:
/// hen-day x production factor x management, capped at 0.98, cut during an outbreak.
fn stochastic_curve(
    curve: CurvePoint,
    c: &Context,
    design: &Design,
    luck: &KubeLuck,
) -> CurvePoint {
    let mut lay =
        (curve.hen_day * design.flock.production_factor * luck.production_factor).min(MAX_LAY_RATE);
    if luck.outbreak_weeks_left > 0 {
        lay *= 1.0 - c.world.stochastic.outbreak_production_drop;
    }
    CurvePoint {
        hen_day: lay,
        ..curve
    }
}

impl Block {
    /// A block of these KUBE, the first numbered `first`, in a world of `regions` regions.
    pub fn new(
        first: usize,
        kubes: Kubes,
        luck: Option<(Vec<KubeLuck>, Vec<Pcg64>)>,
        regions: usize,
    ) -> Block {
        let (luck, severity_rng) = luck.map_or((None, Vec::new()), |(l, s)| (Some(l), s));
        Block {
            first,
            severity_rng,
            severity: vec![0.0; kubes.len()],
            supply_kg: vec![0.0; regions],
            flows: [0.0; pw::NAMES.len()],
            started: 0,
            kubes,
            luck,
        }
    }

    /// Start of week (start, restock or close), outbreaks, and the eggs laid.
    pub fn begin(&mut self, c: &Context) {
        let p = c.design.expect("only placements have KUBE blocks");
        let mut w = self.walk();
        w.clear_start();
        for k in 0..w.kubes.len() {
            w.prefetch(k + PREFETCH_KUBES);
            w.begin(k, c, p);
        }
    }

    /// Sales, costs, deaths, culling, payouts and failure of the active KUBE; then what
    /// the week adds to each started KUBE's members in the three arms (MODEL.md 4.6).
    pub fn settle(&mut self, c: &Context, price_rp_per_kg: &[f64], feed_rp_per_kg: &[f64]) {
        self.settle_with::<true>(c, price_rp_per_kg, feed_rp_per_kg);
    }

    /// [`Block::settle`] with every KUBE taken through the whole settlement, the ended
    /// ones too: what the shortcut for ended KUBE ([`Walk::settle_ended`]) is tested
    /// against.
    #[doc(hidden)]
    pub fn settle_in_full(&mut self, c: &Context, price_rp_per_kg: &[f64], feed_rp_per_kg: &[f64]) {
        self.settle_with::<false>(c, price_rp_per_kg, feed_rp_per_kg);
    }

    fn settle_with<const SHORTCUT: bool>(
        &mut self,
        c: &Context,
        price_rp_per_kg: &[f64],
        feed_rp_per_kg: &[f64],
    ) {
        let p = c.design.expect("only placements have KUBE blocks");
        let mut w = self.walk();
        w.clear_flows();
        for k in 0..w.kubes.len() {
            w.prefetch(k + PREFETCH_KUBES);
            w.settle::<SHORTCUT>(k, c, p, price_rp_per_kg, feed_rp_per_kg);
        }
    }

    /// [`Block::settle`] of week `c.t`, then [`Block::begin`] of week `next.t`, in one walk
    /// over the block: each KUBE ends its week and starts the next while its state is in
    /// the core's cache. The same as the two calls one after the other: each KUBE's draws
    /// come in the same order, and each of the block's sums (the week's flows, the next
    /// week's supply) receives the same additions in the same order.
    pub fn settle_then_begin(
        &mut self,
        c: &Context,
        next: &Context,
        price_rp_per_kg: &[f64],
        feed_rp_per_kg: &[f64],
    ) {
        let p = c.design.expect("only placements have KUBE blocks");
        let mut w = self.walk();
        w.clear_flows();
        w.clear_start();
        for k in 0..w.kubes.len() {
            w.prefetch(k + PREFETCH_KUBES);
            w.settle::<true>(k, c, p, price_rp_per_kg, feed_rp_per_kg);
            w.begin(k, next, p);
        }
    }

    /// The block's state and sums borrowed for one walk over its KUBE.
    fn walk(&mut self) -> Walk<'_> {
        let n = self.kubes.len();
        Walk {
            kubes: self.kubes.view(),
            luck: self.luck.as_mut().map(|l| &mut l[..n]),
            severity_rng: &mut self.severity_rng,
            severity: &mut self.severity[..n],
            supply_kg: &mut self.supply_kg,
            flows: &mut self.flows,
            started: &mut self.started,
        }
    }
}

/// A block borrowed as slices of one length (see [`KubesView`]), with its sums.
struct Walk<'a> {
    kubes: KubesView<'a>,
    luck: Option<&'a mut [KubeLuck]>,
    severity_rng: &'a mut [Pcg64],
    severity: &'a mut [f64],
    supply_kg: &'a mut [f64],
    flows: &'a mut [f64; pw::NAMES.len()],
    started: &'a mut u64,
}

/// How many KUBE ahead a walk asks for the luck record it will need: a KUBE-week takes
/// about 50 ns, a record from memory longer.
const PREFETCH_KUBES: usize = 8;

impl Walk<'_> {
    /// Asks the cache for KUBE k's luck record (both of its lines), if there is one and
    /// the KUBE has not ended (an ended KUBE's is never read again). The records are read
    /// in order, but among the walk's two dozen streams of state the hardware did not
    /// fetch them ahead: the first load of each line waited on memory.
    #[inline(always)]
    fn prefetch(&self, k: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(record) = self
            .luck
            .as_ref()
            .and_then(|luck| luck.get(k))
            .filter(|_| !self.kubes.status[k].is_final())
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let line = std::ptr::from_ref(record).cast::<i8>();
            // SAFETY: a prefetch only hints the cache; both addresses are in the record
            // (128 bytes, aligned to 128).
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(line);
                _mm_prefetch::<_MM_HINT_T0>(line.wrapping_add(64));
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (self, k);
    }

    /// Zeroes the sums the start of week adds to: eggs per region, KUBE started.
    fn clear_start(&mut self) {
        self.supply_kg.fill(0.0);
        *self.started = 0;
    }

    /// Zeroes the sums the settlement adds to: the week's flows.
    fn clear_flows(&mut self) {
        *self.flows = [0.0; pw::NAMES.len()];
    }

    /// KUBE k's start of week.
    #[inline(always)]
    fn begin(&mut self, k: usize, c: &Context, p: &Design) {
        let sp = &c.world.stochastic;
        let week = c.t as u32;
        let kubes = &mut self.kubes;
        if kubes.status[k].is_final() {
            // Nothing starts, lays or falls ill any more, so nothing is drawn: only the
            // payout of the week it closed is spent. (Writing only a changed value leaves
            // the cache line of eight ended KUBE clean.)
            if kubes.payout_rp[k] != 0.0 {
                kubes.payout_rp[k] = 0.0;
            }
            return;
        }
        let mut kube = kubes.get(k);
        let start = flock::begin_week(
            &mut kube,
            week,
            kubes.start_week[k],
            &p.flock,
            &p.kube,
            c.food_index,
            c.whole_hens,
        );
        if start.started {
            let outlay =
                flock::outlay(&p.flock, &p.kube, p.program.capex_rp_per_kube, c.food_index);
            kubes.outlay_rp[k] = outlay;
            let weeks_left = f64::from(c.world.weeks - kubes.start_week[k]);
            kubes.outlay_per_week_rp[k] = outlay / weeks_left;
            kubes.program_cost_rp[k] += outlay;
            kubes.npv_program_cost_rp[k] += outlay * c.discount;
            *self.started += 1;
        }
        kubes.total_restock_rp[k] += start.restock_cost_rp;
        kubes.payout_rp[k] = start.closing_payout_rp;
        let mut curve = p.breed.at(kube.age_weeks);
        let mut production_factor = p.flock.production_factor;
        if let (Some(luck), Some(d)) = (self.luck.as_mut(), c.draws) {
            let luck = &mut luck[k];
            if start.restock_hens > 0.0 {
                luck.outbreak_weeks_left = 0; // a new flock starts healthy
            }
            // One uniform every week, whatever the state: common random numbers.
            let u: f64 = luck.outbreak_rng.random();
            self.severity[k] = 0.0;
            let wave = d.shocks.wave[[c.t, kubes.region[k].index()]];
            let prob = if wave {
                sp.wave_outbreak_prob_week
            } else {
                sp.outbreak_prob_week
            };
            if kube.status == Status::Active && luck.outbreak_weeks_left == 0 && u < prob {
                luck.outbreaks += 1;
                luck.outbreak_weeks_left = sp.outbreak_weeks;
                self.severity[k] = luck::outbreak_severity(
                    sp.outbreak_mortality_mean,
                    sp.outbreak_mortality_concentration,
                    &mut self.severity_rng[k],
                );
            }
            curve = stochastic_curve(curve, c, p, luck);
            production_factor = 1.0;
        }
        if kube.status == Status::Active && kube.hens > 0.0 {
            self.supply_kg[kubes.region[k].index()] +=
                flock::produce(kube.hens, curve, production_factor).egg_kg;
        }
        kubes.set(k, kube);
    }

    /// [`Walk::settle`] of a KUBE that has closed or failed and pays nothing this week
    /// (most KUBE-weeks of a long run): of its books only the cash arm and the two moving
    /// averages change, as every other sum adds zero (`x + 0 = x` exactly: sums that start
    /// at +0 and add no -0 are never -0), and it has no hens and no cash to add to the
    /// flows. Reads and writes five numbers where the whole settlement reads and writes
    /// two dozen and the KUBE's luck; the same bits (tested). Returns false, doing nothing,
    /// for any other KUBE.
    #[inline(always)]
    fn settle_ended(&mut self, k: usize, c: &Context, p: &Design) -> bool {
        let kubes = &mut self.kubes;
        let status = kubes.status[k];
        if !status.is_final() || kubes.payout_rp[k] != 0.0 {
            return false;
        }
        debug_assert!(kubes.hens[k] == 0.0 && kubes.cash_rp[k] == 0.0);
        let members = f64::from(p.kube.members);
        // `account` with no mentoring, no payout and nothing forgone.
        let programme = 0.0 / members - 0.0;
        let cash = (kubes.outlay_per_week_rp[k] + 0.0) / members;
        kubes.cash_gain_rp[k] += cash;
        kubes.programme_ema_rp[k] =
            household::smooth(c.alpha, programme, kubes.programme_ema_rp[k]);
        kubes.cash_ema_rp[k] = household::smooth(c.alpha, cash, kubes.cash_ema_rp[k]);
        self.count_ended(status);
        true
    }

    /// The week's count of closed or failed KUBE.
    #[inline(always)]
    fn count_ended(&mut self, status: Status) {
        match status {
            Status::Failed => self.flows[pw::FAILED_KUBES] += 1.0,
            Status::Closed => self.flows[pw::CLOSED_KUBES] += 1.0,
            _ => {}
        }
    }

    /// KUBE k's sales, costs, deaths, culling, payouts and failure, its week in the
    /// programme's books, and its entries in the week's flows; with `SHORTCUT`, by
    /// [`Walk::settle_ended`] where that applies.
    #[inline(always)]
    fn settle<const SHORTCUT: bool>(
        &mut self,
        k: usize,
        c: &Context,
        p: &Design,
        price_rp_per_kg: &[f64],
        feed_rp_per_kg: &[f64],
    ) {
        if SHORTCUT && self.settle_ended(k, c, p) {
            return;
        }
        let mut kube = self.kubes.get(k);
        let week_status = kube.status;
        if kube.status == Status::Active {
            let kubes = &mut self.kubes;
            let r = kubes.region[k].index();
            let curve = p.breed.at(kube.age_weeks);
            let (production, survivors) = match self.luck.as_mut() {
                None => (
                    flock::produce(kube.hens, curve, p.flock.production_factor),
                    flock::survivors(kube.hens, curve.weekly_mortality, p.flock.mortality_factor),
                ),
                Some(luck) => {
                    let luck = &mut luck[k];
                    let laying = stochastic_curve(curve, c, p, luck);
                    let death_rate =
                        (curve.weekly_mortality * p.flock.mortality_factor * luck.mortality_factor)
                            .min(1.0);
                    let mut alive = kube.hens
                        - luck::binomial_with(
                            kube.hens,
                            death_rate,
                            &mut luck.mortality_rng,
                            &mut luck.mortality_none,
                        );
                    if self.severity[k] > 0.0 {
                        alive -= luck::binomial(alive, self.severity[k], &mut self.severity_rng[k]);
                    }
                    (flock::produce(kube.hens, laying, 1.0), alive)
                }
            };
            let prices = WeekPrices {
                egg_rp_per_kg: price_rp_per_kg[r],
                farmgate_share: c.world.market.farmgate_share,
                feed_rp_per_kg: feed_rp_per_kg[r],
                food_index: c.food_index,
            };
            self.flows[pw::ACTIVE_KUBES] += 1.0;
            let settled = flock::settle(
                &mut kube,
                &production,
                survivors,
                &prices,
                &p.flock,
                &p.kube,
            );
            self.flows[pw::EGGS_KG] += production.egg_kg;
            self.flows[pw::REVENUE_RP] += settled.revenue_rp;
            self.flows[pw::COST_RP] += settled.cost_rp;
            kubes.payout_rp[k] += settled.payout_rp;
            kubes.total_net_rp[k] += settled.net_rp;
            kubes.total_flock_sales_rp[k] += settled.flock_sales_rp;
            kubes.total_written_off_rp[k] += settled.written_off_rp;
            kubes.set(k, kube);
        }
        if let Some(luck) = self.luck.as_mut().filter(|_| !kube.status.is_final()) {
            luck[k].outbreak_weeks_left = luck[k].outbreak_weeks_left.saturating_sub(1);
        }
        if self.kubes.start_week[k] <= c.t as u32 {
            self.account(k, c, p, week_status);
        }
        self.flows[pw::PAYOUT_RP] += self.kubes.payout_rp[k];
        self.flows[pw::HENS] += kube.hens;
        self.flows[pw::CASH_RP] += kube.cash_rp;
        self.count_ended(kube.status);
    }

    /// A started KUBE's week in the programme's books and its members' three arms:
    /// programme cost (mentoring while active or resting), payouts, the benefits net of
    /// forgone earnings, and the moving averages the households add to their income
    /// without the programme: `payout / M - W(t)` (programme arm) and
    /// `(outlay / (T - t_s) + mentoring) / M` (cash arm), both from 0 the week before the
    /// start, as `S(start - 1)` is the same in every arm.
    #[inline(always)]
    fn account(&mut self, k: usize, c: &Context, p: &Design, week_status: Status) {
        let kubes = &mut self.kubes;
        let members = f64::from(p.kube.members);
        let mentoring = match week_status {
            Status::Active | Status::Resting => p.program.mentoring_rp_per_kube_week,
            _ => 0.0,
        };
        kubes.program_cost_rp[k] += mentoring;
        kubes.npv_program_cost_rp[k] += mentoring * c.discount;
        let payout = kubes.payout_rp[k];
        kubes.total_payout_rp[k] += payout;
        kubes.npv_payout_rp[k] += payout * c.discount;
        let forgone = if week_status == Status::Active {
            c.forgone_rp
        } else {
            0.0
        };
        kubes.npv_benefit_rp[k] += (payout - members * forgone) * c.discount;
        let programme = payout / members - forgone;
        let cash = (kubes.outlay_per_week_rp[k] + mentoring) / members;
        kubes.programme_gain_rp[k] += programme;
        kubes.cash_gain_rp[k] += cash;
        kubes.programme_ema_rp[k] =
            household::smooth(c.alpha, programme, kubes.programme_ema_rp[k]);
        kubes.cash_ema_rp[k] = household::smooth(c.alpha, cash, kubes.cash_ema_rp[k]);
    }
}
