//! The scenario's parameter tables (`[market]`, `[flock]`, ...), declared once.
//!
//! Each section is written as a list of `key: type, check` lines. From that one list the
//! [`param_section!`] macro generates the serde mirror of the TOML table (every key
//! optional and spanned, unknown keys refused) and the validated parameter struct the
//! model uses, plus the code that resolves one from the scenario and the embedded
//! defaults. A key therefore cannot exist in the file format without a range check, nor in
//! the model without a default.

use serde::Deserialize;
use toml::Spanned;

use super::resolve::{Check, Resolver};

macro_rules! param_section {
    (
        $(#[$meta:meta])*
        $section:literal => $Raw:ident, $Params:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $check:expr ),* $(,)?
        }
    ) => {
        /// Serde mirror of one scenario table: every key optional, unknown keys refused.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Raw {
            $( pub $field: Option<Spanned<<$ty as super::resolve::Param>::Raw>>, )*
        }

        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $Params {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $Params {
            /// Resolves every key of the table: the scenario's value, else the default.
            pub(crate) fn resolve(r: &mut Resolver, scenario: Option<&$Raw>, defaults: Option<&$Raw>) -> Self {
                Self {
                    $( $field: r.take(
                        concat!($section, ".", stringify!($field)),
                        scenario.and_then(|s| s.$field.as_ref()),
                        defaults.and_then(|d| d.$field.as_ref()),
                        $check,
                    ), )*
                }
            }
        }
    };
}

param_section! {
    /// Egg and feed markets (MODEL.md 4.1).
    "market" => RawMarket, MarketParams {
        /// Consumer egg price at the national reference market, Rp/kg, at t = 0.
        hub_egg_price_rp_per_kg: f64 = Check::NonNegative,
        /// Complete layer feed price at the hub, Rp/kg, at t = 0.
        hub_feed_price_rp_per_kg: f64 = Check::NonNegative,
        /// Self-sufficiency band over which the price moves from import to export parity.
        price_band_width: f64 = Check::Positive,
        /// Share of the consumer price a farmer receives.
        farmgate_share: f64 = Check::Share,
        /// Annual growth of food prices (egg, vet, fixed costs, pullets, spent hens).
        food_inflation: f64 = Check::Rate,
        /// Annual growth of the feed price.
        feed_inflation: f64 = Check::Rate,
        /// Monthly multipliers of egg demand, January first.
        demand_season: [f64; 12] = Check::Season,
        /// Monthly multipliers of the hub egg price, January first.
        price_season: [f64; 12] = Check::Season,
    }
}

param_section! {
    /// One KUBE's flock (MODEL.md 4.3).
    "flock" => RawFlock, FlockParams {
        /// Hens placed at the start and at a full restock (H0).
        hens_per_kube: u32 = Check::Between(1, 10_000_000),
        placement_age_weeks: u32 = Check::Between(0, 10_000),
        cull_age_weeks: u32 = Check::Between(1, 10_000),
        rest_weeks: u32 = Check::Between(0, 10_000),
        /// Multiplies the breed's hen-day rate.
        production_factor: f64 = Check::NonNegative,
        /// Multiplies the breed's weekly mortality.
        mortality_factor: f64 = Check::NonNegative,
        /// Premium of this flock's eggs over the region's layer-egg price.
        egg_price_factor: f64 = Check::NonNegative,
        vet_cost_rp_per_hen_week: f64 = Check::NonNegative,
        fixed_cost_rp_per_kube_week: f64 = Check::NonNegative,
        pullet_price_rp: f64 = Check::Positive,
        spent_hen_price_rp: f64 = Check::NonNegative,
    }
}

param_section! {
    /// The farmer group's money (MODEL.md 4.3).
    "kube" => RawKube, KubeParams {
        /// Member households (M).
        members: u32 = Check::Between(1, 1_000_000),
        /// Cash handed over at the start and kept through restocking (C0).
        working_capital_rp: f64 = Check::NonNegative,
        /// Cash above this is paid out to members (R).
        reserve_target_rp: f64 = Check::NonNegative,
        /// Share of a positive operating profit kept in the KUBE.
        retain_share: f64 = Check::Share,
        /// A restock smaller than this share of H0 closes the KUBE.
        min_restock_fraction: f64 = Check::Share,
    }
}

param_section! {
    /// Member households (MODEL.md 4.4).
    "household" => RawHousehold, HouseholdParams {
        /// Baseline income as a share of the household's poverty line.
        baseline_income_ratio: f64 = Check::NonNegative,
        /// Spread of log baseline income across households.
        income_dispersion_sigma: f64 = Check::NonNegative,
        income_growth: f64 = Check::Rate,
        poverty_line_growth: f64 = Check::Rate,
        /// Smoothed income must reach this multiple of the line to count as above it.
        graduation_threshold: f64 = Check::NonNegative,
        /// Consecutive weeks above the line needed to graduate.
        graduation_weeks: u32 = Check::Between(1, 10_000),
        /// Span of the exponential moving average, alpha = 2 / (span + 1).
        smoothing_weeks: u32 = Check::Between(1, 10_000),
    }
}

param_section! {
    /// What the programme pays (MODEL.md 4.5).
    "program" => RawProgram, ProgramParams {
        capex_rp_per_kube: f64 = Check::NonNegative,
        /// Not inflated.
        mentoring_rp_per_kube_week: f64 = Check::NonNegative,
        discount_rate: f64 = Check::Rate,
    }
}

param_section! {
    /// Shocks of the stochastic model (MODEL.md 5). Validated now, used by stochastic mode.
    "stochastic" => RawStochastic, StochasticParams {
        management_sigma_production: f64 = Check::NonNegative,
        management_sigma_mortality: f64 = Check::NonNegative,
        outbreak_prob_week: f64 = Check::Share,
        wave_prob_week: f64 = Check::Share,
        wave_weeks: u32 = Check::Between(0, 10_000),
        wave_outbreak_prob_week: f64 = Check::Share,
        outbreak_mortality_mean: f64 = Check::Share,
        outbreak_mortality_concentration: f64 = Check::Positive,
        outbreak_production_drop: f64 = Check::Share,
        outbreak_weeks: u32 = Check::Between(0, 10_000),
        egg_price_rho: f64 = Check::Correlation,
        egg_price_sigma: f64 = Check::NonNegative,
        feed_price_rho: f64 = Check::Correlation,
        feed_price_sigma: f64 = Check::NonNegative,
        egg_feed_correlation: f64 = Check::Correlation,
        income_rho: f64 = Check::Correlation,
        income_sigma: f64 = Check::NonNegative,
    }
}

/// Every parameter table, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub market: MarketParams,
    pub flock: FlockParams,
    pub kube: KubeParams,
    pub household: HouseholdParams,
    pub program: ProgramParams,
    pub stochastic: StochasticParams,
}
