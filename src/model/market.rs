//! The regional egg market and feed price, week t (MODEL.md 4.1).

use super::growth;
use super::params::MarketParams;
use crate::data::Region;

/// `D_r(t)`: egg demand in kg for the week.
pub fn demand_kg(region: &Region, t: f64, season: f64) -> f64 {
    region.population
        * growth(region.population_growth, t)
        * region.egg_consumption_kg_per_capita_year
        / 52.0
        * season
}

/// `B_r(t)`: production of the region's existing layer farms in kg for the week.
pub fn baseline_supply_kg(region: &Region, t: f64) -> f64 {
    1000.0 * region.layer_egg_production_t_year * growth(region.production_growth, t) / 52.0
}

/// `x_r(t) = supply / demand`, +inf when there is no demand.
pub fn self_sufficiency(supply_kg: f64, demand_kg: f64) -> f64 {
    if demand_kg == 0.0 {
        f64::INFINITY
    } else {
        supply_kg / demand_kg
    }
}

/// `P_hub(t)`: the national reference egg price, Rp/kg.
pub fn hub_egg_price(market: &MarketParams, t: f64, season: f64) -> f64 {
    market.hub_egg_price_rp_per_kg * growth(market.food_inflation, t) * season
}

/// `P_r(t)`: import parity when short, export parity in surplus, linear in between.
pub fn egg_price(hub_rp_per_kg: f64, transport_rp_per_kg: f64, x: f64, band_width: f64) -> f64 {
    hub_rp_per_kg + transport_rp_per_kg * ((1.0 - x) / band_width).clamp(-1.0, 1.0)
}

/// `F_r(t)`: feed price delivered to the region, Rp/kg.
pub fn feed_price(market: &MarketParams, region: &Region, t: f64) -> f64 {
    (market.hub_feed_price_rp_per_kg + region.feed_transport_rp_per_kg)
        * growth(market.feed_inflation, t)
}

/// `max(0, D - B - K)`.
pub fn deficit_kg(demand_kg: f64, supply_kg: f64) -> f64 {
    (demand_kg - supply_kg).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_moves_linearly_inside_the_band_and_stops_at_parity() {
        // hub 24000, transport 1000, band 0.15
        assert_eq!(egg_price(24000.0, 1000.0, 1.0, 0.15), 24000.0);
        // x = 0.94: (1 - 0.94)/0.15 = 0.4 -> 24000 + 400
        assert!((egg_price(24000.0, 1000.0, 0.94, 0.15) - 24400.0).abs() < 1e-9);
        assert_eq!(egg_price(24000.0, 1000.0, 0.1, 0.15), 25000.0);
        assert_eq!(egg_price(24000.0, 1000.0, 3.0, 0.15), 23000.0);
        assert_eq!(egg_price(24000.0, 1000.0, f64::INFINITY, 0.15), 23000.0);
    }

    #[test]
    fn no_demand_is_infinitely_self_sufficient() {
        assert_eq!(self_sufficiency(5.0, 0.0), f64::INFINITY);
        assert_eq!(self_sufficiency(0.0, 0.0), f64::INFINITY);
        assert_eq!(self_sufficiency(5.0, 10.0), 0.5);
        assert_eq!(deficit_kg(10.0, 4.0), 6.0);
        assert_eq!(deficit_kg(4.0, 10.0), 0.0);
    }
}
