//! Names and positions of every output metric (MODEL.md sections 6 and 7).
//!
//! The simulation fills arrays indexed by these constants; the CSV writers take the names
//! from here, so a metric's position and its column name cannot drift apart.

/// `region_weekly.csv` metrics, in output order.
pub mod region_weekly {
    pub const DEMAND_KG: usize = 0;
    pub const BASELINE_SUPPLY_KG: usize = 1;
    pub const KUBE_SUPPLY_KG: usize = 2;
    pub const DEFICIT_KG: usize = 3;
    pub const SELF_SUFFICIENCY: usize = 4;
    pub const PRICE_RP_PER_KG: usize = 5;
    pub const NAMES: [&str; 6] = [
        "demand_kg",
        "baseline_supply_kg",
        "kube_supply_kg",
        "deficit_kg",
        "self_sufficiency",
        "price_rp_per_kg",
    ];
}

/// `program_weekly.csv` metrics, in output order.
pub mod program_weekly {
    pub const ACTIVE_KUBES: usize = 0;
    pub const HENS: usize = 1;
    pub const EGGS_KG: usize = 2;
    pub const REVENUE_RP: usize = 3;
    pub const COST_RP: usize = 4;
    pub const PAYOUT_RP: usize = 5;
    pub const CASH_RP: usize = 6;
    pub const FAILED_KUBES: usize = 7;
    pub const CLOSED_KUBES: usize = 8;
    pub const INCOME_P10: usize = 9;
    pub const INCOME_P50: usize = 10;
    pub const INCOME_P90: usize = 11;
    pub const ABOVE_LINE_SHARE: usize = 12;
    pub const GRADUATED_SHARE: usize = 13;
    pub const NAMES: [&str; 14] = [
        "active_kubes",
        "hens",
        "eggs_kg",
        "revenue_rp",
        "cost_rp",
        "payout_rp",
        "cash_rp",
        "failed_kubes",
        "closed_kubes",
        "income_pc_month_p10_rp",
        "income_pc_month_p50_rp",
        "income_pc_month_p90_rp",
        "above_line_share",
        "graduated_share",
    ];
}

/// `region_summary.csv` metrics, in output order.
pub mod region_summary {
    pub const KUBES: usize = 0;
    pub const HOUSEHOLDS: usize = 1;
    pub const EGGS_KG: usize = 2;
    pub const DEFICIT_KG: usize = 3;
    pub const DEFICIT_REDUCTION_KG: usize = 4;
    pub const SELF_SUFFICIENCY_MEAN: usize = 5;
    pub const PRICE_MEAN_RP_PER_KG: usize = 6;
    pub const GRADUATED_SHARE: usize = 7;
    pub const NAMES: [&str; 8] = [
        "kubes",
        "households",
        "eggs_kg",
        "deficit_kg",
        "deficit_reduction_kg",
        "self_sufficiency_mean",
        "price_mean_rp_per_kg",
        "graduated_share",
    ];
}

/// `summary.csv` metrics, in the order of MODEL.md section 6.
pub mod summary {
    pub const KUBES: usize = 0;
    pub const HOUSEHOLDS: usize = 1;
    pub const EGGS_KG: usize = 2;
    pub const DEFICIT_REDUCTION_KG: usize = 3;
    pub const DEFICIT_REDUCTION_SHARE: usize = 4;
    pub const IMPORT_COST_SAVED_RP: usize = 5;
    pub const KUBES_OPERATING_END_SHARE: usize = 6;
    pub const KUBES_FAILED_SHARE: usize = 7;
    pub const KUBES_CLOSED_SHARE: usize = 8;
    pub const GRADUATED_SHARE: usize = 9;
    pub const MEDIAN_WEEKS_TO_GRADUATION: usize = 10;
    pub const PAYOUT_PER_HOUSEHOLD_MONTH_RP: usize = 11;
    pub const PROGRAM_COST_RP: usize = 12;
    pub const NPV_PROGRAM_COST_RP: usize = 13;
    pub const NPV_PAYOUTS_RP: usize = 14;
    pub const BENEFIT_COST_RATIO: usize = 15;
    pub const COST_PER_GRADUATE_RP: usize = 16;
    pub const CONSUMER_PRICE_CHANGE_PCT: usize = 17;
    pub const NAMES: [&str; 18] = [
        "kubes",
        "households",
        "eggs_kg",
        "deficit_reduction_kg",
        "deficit_reduction_share",
        "import_cost_saved_rp",
        "kubes_operating_end_share",
        "kubes_failed_share",
        "kubes_closed_share",
        "graduated_share",
        "median_weeks_to_graduation",
        "payout_per_household_month_rp",
        "program_cost_rp",
        "npv_program_cost_rp",
        "npv_payouts_rp",
        "benefit_cost_ratio",
        "cost_per_graduate_rp",
        "consumer_price_change_pct",
    ];
}

/// A ratio that is undefined (NaN, written as an empty cell) when the denominator is 0.
pub fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        f64::NAN
    } else {
        numerator / denominator
    }
}
