//! Everything about week `t` that no KUBE can change, computed once per scenario:
//! demand, baseline supply, feed prices, the hub price and the growth indices.

use ndarray::Array2;

use crate::model::calendar::Calendar;
use crate::model::{World, growth, market};

/// Exogenous weekly paths, shared by the baseline and every placement.
#[derive(Debug, Clone)]
pub struct Path {
    pub calendar: Calendar,
    /// `D_r(t)`, indexed `[t, r]`.
    pub demand_kg: Array2<f64>,
    /// `B_r(t)`.
    pub baseline_supply_kg: Array2<f64>,
    /// `F_r(t)`.
    pub feed_rp_per_kg: Array2<f64>,
    /// `P_hub(t)`.
    pub hub_egg_rp_per_kg: Vec<f64>,
    /// `(1 + food_inflation)^(t/52)`, the price index `g(t)`.
    pub food_index: Vec<f64>,
    /// `(1 + feed_inflation)^(t/52)`.
    pub feed_index: Vec<f64>,
    /// `(1 + income_growth)^(t/52)`.
    pub income_index: Vec<f64>,
    /// `(1 + poverty_line_growth)^(t/52)`.
    pub poverty_line_index: Vec<f64>,
    /// `(1 + discount_rate)^(-t/52)` for `t = 0..=T` (the last one discounts end cash).
    pub discount: Vec<f64>,
}

impl Path {
    pub fn new(world: &World) -> Path {
        let weeks = world.weeks as usize;
        let calendar = world.calendar();
        let m = &world.market;
        let h = &world.household;
        let regions = &world.regions.regions;
        let season = |t: usize, table: &[f64; 12]| table[calendar.month(t as u32)];
        let demand_kg = Array2::from_shape_fn((weeks, regions.len()), |(t, r)| {
            market::demand_kg(&regions[r], t as f64, season(t, &m.demand_season))
        });
        let baseline_supply_kg = Array2::from_shape_fn((weeks, regions.len()), |(t, r)| {
            market::baseline_supply_kg(&regions[r], t as f64)
        });
        let feed_rp_per_kg = Array2::from_shape_fn((weeks, regions.len()), |(t, r)| {
            market::feed_price(m, &regions[r], t as f64)
        });
        let index = |rate: f64| {
            (0..weeks)
                .map(|t| growth(rate, t as f64))
                .collect::<Vec<_>>()
        };
        Path {
            hub_egg_rp_per_kg: (0..weeks)
                .map(|t| market::hub_egg_price(m, t as f64, season(t, &m.price_season)))
                .collect(),
            food_index: index(m.food_inflation),
            feed_index: index(m.feed_inflation),
            income_index: index(h.income_growth),
            poverty_line_index: index(h.poverty_line_growth),
            discount: (0..=weeks)
                .map(|t| growth(world.discount_rate, -(t as f64)))
                .collect(),
            calendar,
            demand_kg,
            baseline_supply_kg,
            feed_rp_per_kg,
        }
    }
}
