//! Names and positions of every output metric (MODEL.md sections 6 and 7).
//!
//! The simulation fills arrays indexed by these constants; the CSV writers take the names
//! from here. Each list is written once, name beside constant, and the positions are
//! counted by the compiler, so a metric's position and its column name cannot drift apart.

/// Declares a list of metrics: a constant per metric (its position) and `NAMES`.
macro_rules! metric_list {
    ($(#[$meta:meta])* $name:ident { $($CONST:ident = $text:literal,)* }) => {
        $(#[$meta])*
        pub mod $name {
            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            #[repr(usize)]
            enum Position { $($CONST,)* Count }
            $(pub const $CONST: usize = Position::$CONST as usize;)*
            /// The metrics' names, in output order.
            pub const NAMES: [&str; Position::Count as usize] = [$($text,)*];
        }
    };
}

metric_list! {
    /// `region_weekly.csv` metrics, in output order.
    region_weekly {
        DEMAND_KG = "demand_kg",
        BASELINE_SUPPLY_KG = "baseline_supply_kg",
        KUBE_SUPPLY_KG = "kube_supply_kg",
        DEFICIT_KG = "deficit_kg",
        SELF_SUFFICIENCY = "self_sufficiency",
        PRICE_RP_PER_KG = "price_rp_per_kg",
    }
}

metric_list! {
    /// `program_weekly.csv` metrics, in output order.
    program_weekly {
        ACTIVE_KUBES = "active_kubes",
        HENS = "hens",
        EGGS_KG = "eggs_kg",
        REVENUE_RP = "revenue_rp",
        COST_RP = "cost_rp",
        PAYOUT_RP = "payout_rp",
        CASH_RP = "cash_rp",
        FAILED_KUBES = "failed_kubes",
        CLOSED_KUBES = "closed_kubes",
        INCOME_P10 = "income_pc_month_p10_rp",
        INCOME_P50 = "income_pc_month_p50_rp",
        INCOME_P90 = "income_pc_month_p90_rp",
        ABOVE_LINE_SHARE = "above_line_share",
        GRADUATED_SHARE = "graduated_share",
        INCOME_P50_WITHOUT = "income_pc_month_p50_without_rp",
        ABOVE_LINE_SHARE_WITHOUT = "above_line_share_without",
        ABOVE_LINE_SHARE_CASH = "above_line_share_cash",
        GRADUATED_SHARE_WITHOUT = "graduated_share_without",
        GRADUATED_SHARE_CASH = "graduated_share_cash",
    }
}

metric_list! {
    /// `region_summary.csv` metrics, in output order.
    region_summary {
        KUBES = "kubes",
        HOUSEHOLDS = "households",
        EGGS_KG = "eggs_kg",
        DEFICIT_KG = "deficit_kg",
        DEFICIT_REDUCTION_KG = "deficit_reduction_kg",
        SELF_SUFFICIENCY_MEAN = "self_sufficiency_mean",
        PRICE_MEAN_RP_PER_KG = "price_mean_rp_per_kg",
        GRADUATED_SHARE = "graduated_share",
        GRADUATED_SHARE_WITHOUT = "graduated_share_without",
        GRADUATION_ATTRIBUTABLE_SHARE = "graduation_attributable_share",
        PAYOUT_PER_HOUSEHOLD_MONTH_RP = "payout_per_household_month_rp",
        KUBES_OPERATING_END_SHARE = "kubes_operating_end_share",
        PROGRAM_COST_RP = "program_cost_rp",
        NPV_PROGRAM_COST_RP = "npv_program_cost_rp",
        NPV_BENEFITS_RP = "npv_benefits_rp",
        BENEFIT_COST_RATIO = "benefit_cost_ratio",
        COST_PER_ATTRIBUTABLE_GRADUATE_RP = "cost_per_attributable_graduate_rp",
    }
}

metric_list! {
    /// `summary.csv` metrics, in the order of MODEL.md section 6.
    summary {
        KUBES = "kubes",
        HOUSEHOLDS = "households",
        EGGS_KG = "eggs_kg",
        DEFICIT_REDUCTION_KG = "deficit_reduction_kg",
        DEFICIT_REDUCTION_SHARE = "deficit_reduction_share",
        IMPORT_COST_SAVED_RP = "import_cost_saved_rp",
        KUBES_OPERATING_END_SHARE = "kubes_operating_end_share",
        KUBES_FAILED_SHARE = "kubes_failed_share",
        KUBES_CLOSED_SHARE = "kubes_closed_share",
        GRADUATED_SHARE = "graduated_share",
        MEDIAN_WEEKS_TO_GRADUATION = "median_weeks_to_graduation",
        PAYOUT_PER_HOUSEHOLD_MONTH_RP = "payout_per_household_month_rp",
        PROGRAM_COST_RP = "program_cost_rp",
        NPV_PROGRAM_COST_RP = "npv_program_cost_rp",
        NPV_PAYOUTS_RP = "npv_payouts_rp",
        NPV_BENEFITS_RP = "npv_benefits_rp",
        BENEFIT_COST_RATIO = "benefit_cost_ratio",
        COST_PER_GRADUATE_RP = "cost_per_graduate_rp",
        GRADUATED_SHARE_WITHOUT = "graduated_share_without",
        GRADUATED_SHARE_CASH = "graduated_share_cash",
        GRADUATION_ATTRIBUTABLE_SHARE = "graduation_attributable_share",
        GRADUATION_ATTRIBUTABLE_SHARE_CASH = "graduation_attributable_share_cash",
        ATTRIBUTABLE_GRADUATES = "attributable_graduates",
        COST_PER_ATTRIBUTABLE_GRADUATE_RP = "cost_per_attributable_graduate_rp",
        POOR_AT_ENTRY_SHARE = "poor_at_entry_share",
        ABOVE_LINE_END_SHARE = "above_line_end_share",
        ABOVE_LINE_END_SHARE_WITHOUT = "above_line_end_share_without",
        ABOVE_LINE_END_SHARE_CASH = "above_line_end_share_cash",
        INCOME_GAIN_PC_MONTH_RP = "income_gain_pc_month_rp",
        INCOME_GAIN_PC_MONTH_CASH_RP = "income_gain_pc_month_cash_rp",
        CONSUMER_PRICE_CHANGE_PCT = "consumer_price_change_pct",
        WIN_SHARE = "win_share",
    }
}

/// A ratio that is undefined (NaN, written as an empty cell) when the denominator is 0.
pub fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        f64::NAN
    } else {
        numerator / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_names() {
        assert_eq!(summary::NAMES[summary::KUBES], "kubes");
        assert_eq!(
            summary::NAMES[summary::CONSUMER_PRICE_CHANGE_PCT],
            "consumer_price_change_pct"
        );
        assert_eq!(summary::NAMES.len(), 32);
        assert_eq!(
            program_weekly::NAMES[program_weekly::GRADUATED_SHARE_CASH],
            "graduated_share_cash"
        );
        assert_eq!(region_summary::NAMES.len(), 17);
    }
}
