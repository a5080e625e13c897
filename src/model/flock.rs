//! A KUBE's flock and money, week t (MODEL.md 4.3).
//!
//! The week runs in three calls, because the region's egg price depends on the eggs of
//! every KUBE in it: [`begin_week`] (start, restock or close), [`produce`] (eggs and feed),
//! then, once the market has set its price, [`settle`] (sales, costs, mortality, culling,
//! payouts, failure).

use super::params::{FlockParams, KubeParams, PayoutRule};
use crate::data::CurvePoint;

/// A KUBE's status (MODEL.md 4.3). `Closed` and `Failed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Status {
    #[default]
    Pending,
    Active,
    Resting,
    Closed,
    Failed,
}

impl Status {
    /// Closed or failed: the KUBE keeps no hens and no cash, and nothing changes it again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Failed)
    }
}

/// One KUBE's state between weeks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Kube {
    pub status: Status,
    /// Hens `N` (real in deterministic mode).
    pub hens: f64,
    /// Age of the flock `a`, weeks.
    pub age_weeks: u32,
    /// Cash `C`, Rp.
    pub cash_rp: f64,
    /// Resting weeks still to pass before restocking.
    pub rest_weeks_left: u32,
}

/// What happened at the start of the week.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Start {
    /// The KUBE received its first flock this week.
    pub started: bool,
    /// Pullets bought to restock (0 if none).
    pub restock_hens: f64,
    pub restock_cost_rp: f64,
    /// Cash paid to members because the KUBE closed this week.
    pub closing_payout_rp: f64,
}

/// Start-of-week transitions. Returns what happened; `kube.status` is then the week status.
/// With `whole_hens` (stochastic mode) a restock buys whole pullets, rounded down.
/// `food_index` is the price index `g(t)` that the rupiah parameters grow with.
///
/// A resting KUBE's rest counter falls here rather than at the end of the week: nothing
/// reads it in between, so the effect is the same as MODEL.md's "at the end of it".
pub fn begin_week(
    kube: &mut Kube,
    t: u32,
    start_week: u32,
    flock: &FlockParams,
    group: &KubeParams,
    food_index: f64,
    whole_hens: bool,
) -> Start {
    let mut start = Start::default();
    match kube.status {
        Status::Pending if t == start_week => {
            kube.status = Status::Active;
            kube.hens = f64::from(flock.hens_per_kube);
            kube.age_weeks = flock.placement_age_weeks;
            kube.cash_rp = group.working_capital_rp * food_index;
            start.started = true;
        }
        Status::Resting if kube.rest_weeks_left == 0 => {
            let h0 = f64::from(flock.hens_per_kube);
            let pullet_price = flock.pullet_price_rp * food_index;
            let working_capital = group.working_capital_rp * food_index;
            let affordable = h0.min((kube.cash_rp - working_capital) / pullet_price);
            let n = if whole_hens {
                affordable.floor()
            } else {
                affordable
            };
            if n < group.min_restock_fraction * h0 {
                kube.status = Status::Closed;
                start.closing_payout_rp = kube.cash_rp.max(0.0);
                kube.cash_rp = 0.0;
            } else {
                start.restock_hens = n;
                start.restock_cost_rp = n * pullet_price;
                kube.cash_rp -= start.restock_cost_rp;
                kube.hens = n;
                kube.age_weeks = flock.placement_age_weeks;
                kube.status = Status::Active;
            }
        }
        Status::Resting => kube.rest_weeks_left -= 1,
        _ => {}
    }
    start
}

/// An active flock's eggs and feed for the week.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Production {
    pub eggs: f64,
    pub egg_kg: f64,
    pub feed_kg: f64,
}

/// `eggs = N * 7 * hen_day(a) * production_factor`, egg mass and feed eaten.
pub fn produce(hens: f64, curve: CurvePoint, production_factor: f64) -> Production {
    let eggs = hens * 7.0 * curve.hen_day * production_factor;
    Production {
        eggs,
        egg_kg: eggs * curve.egg_weight_g / 1000.0,
        feed_kg: hens * 7.0 * curve.feed_g_per_hen_day / 1000.0,
    }
}

/// Hens left after a week's deaths in deterministic mode: `N * (1 - min(1, m * factor))`.
pub fn survivors(hens: f64, weekly_mortality: f64, mortality_factor: f64) -> f64 {
    hens * (1.0 - (weekly_mortality * mortality_factor).min(1.0))
}

/// The prices an active KUBE meets this week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekPrices {
    /// `P_r(t)`, the region's layer-egg price.
    pub egg_rp_per_kg: f64,
    /// Share of the consumer price the farmer receives.
    pub farmgate_share: f64,
    /// `F_r(t)`.
    pub feed_rp_per_kg: f64,
    /// `(1 + food_inflation)^(t/52)`, for vet, fixed costs, pullets and spent hens.
    pub food_index: f64,
}

/// The week's money flows of an active KUBE.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Settlement {
    pub sales_rp: f64,
    pub cost_rp: f64,
    /// The flock's loss of value this week, `dep` (MODEL.md 4.3).
    pub depreciation_rp: f64,
    /// `net = sales - cost`, the operating profit.
    pub net_rp: f64,
    /// Spent hens sold at culling plus hens sold on failure.
    pub flock_sales_rp: f64,
    /// `sales + flock sales`.
    pub revenue_rp: f64,
    pub payout_rp: f64,
    /// Debt a failing KUBE could not pay: the cash below zero left after selling its hens,
    /// which MODEL.md sets to zero. Kept so that the cash accounting balances.
    pub written_off_rp: f64,
}

/// Sales, costs, deaths, ageing, culling, payout and failure of an active KUBE.
///
/// `survivors` is the hen count after this week's deaths (deterministic: [`survivors`]).
pub fn settle(
    kube: &mut Kube,
    production: &Production,
    survivors: f64,
    prices: &WeekPrices,
    flock: &FlockParams,
    group: &KubeParams,
) -> Settlement {
    let g = prices.food_index;
    let spent_hen_price = flock.spent_hen_price_rp * g;
    let sales =
        production.egg_kg * prices.egg_rp_per_kg * prices.farmgate_share * flock.egg_price_factor;
    let cost = production.feed_kg * prices.feed_rp_per_kg
        + kube.hens * (flock.vet_cost_rp_per_hen_week * g)
        + flock.fixed_cost_rp_per_kube_week * g
        + production.egg_kg * (flock.tray_cost_rp_per_kg * g);
    let depreciation = depreciation(kube.hens, flock, g);
    kube.hens = survivors;
    kube.age_weeks += 1;
    let mut spent = 0.0;
    if kube.age_weeks >= flock.cull_age_weeks {
        spent = kube.hens * spent_hen_price;
        kube.hens = 0.0;
        kube.status = Status::Resting;
        kube.rest_weeks_left = flock.rest_weeks;
    }
    let net = sales - cost;
    let mut payout = match group.payout_rule {
        PayoutRule::Profit => (1.0 - group.retain_share) * net.max(0.0),
        PayoutRule::Replacement => (1.0 - group.retain_share) * (net - depreciation).max(0.0),
    };
    kube.cash_rp = kube.cash_rp + net - payout + spent;
    let reserve_target = group.reserve_target_rp * g;
    if kube.cash_rp > reserve_target {
        payout += kube.cash_rp - reserve_target;
        kube.cash_rp = reserve_target;
    }
    let mut sold_on_failure = 0.0;
    let mut written_off = 0.0;
    if kube.cash_rp < 0.0 {
        kube.status = Status::Failed;
        sold_on_failure = kube.hens * spent_hen_price;
        kube.cash_rp += sold_on_failure;
        kube.hens = 0.0;
        payout += kube.cash_rp.max(0.0);
        written_off = (-kube.cash_rp).max(0.0);
        kube.cash_rp = 0.0;
    }
    Settlement {
        sales_rp: sales,
        cost_rp: cost,
        depreciation_rp: depreciation,
        net_rp: net,
        flock_sales_rp: spent + sold_on_failure,
        revenue_rp: sales + spent + sold_on_failure,
        payout_rp: payout,
        written_off_rp: written_off,
    }
}

/// The flock's loss of value in a week, at this week's prices: the hens at the start of
/// the week times what a pullet costs over what a spent hen fetches, spread over the
/// weeks a flock lays, `N * max(0, pullet(t) - spent(t)) / (cull_age - placement_age)`.
pub fn depreciation(hens: f64, flock: &FlockParams, food_index: f64) -> f64 {
    let pullet = flock.pullet_price_rp * food_index;
    let spent = flock.spent_hen_price_rp * food_index;
    let laying_weeks = f64::from(flock.cull_age_weeks - flock.placement_age_weeks);
    hens * (pullet - spent).max(0.0) / laying_weeks
}

/// The programme's outlay when a KUBE starts in a week of price index `food_index`:
/// `capex(t_s) + H0 * pullet_price(t_s) + C0(t_s)` (MODEL.md 4.5).
pub fn outlay(flock: &FlockParams, group: &KubeParams, capex_rp: f64, food_index: f64) -> f64 {
    capex_rp * food_index
        + f64::from(flock.hens_per_kube) * (flock.pullet_price_rp * food_index)
        + group.working_capital_rp * food_index
}
