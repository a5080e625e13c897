//! Simulation state as struct-of-arrays, sized once before the first week.

use crate::data::RegionId;
use crate::model::flock::{Kube, Status};

/// Every KUBE of one placement: one vector per field, indexed by KUBE number.
#[derive(Debug, Clone, Default)]
pub struct Kubes {
    pub region: Vec<RegionId>,
    pub start_week: Vec<u32>,
    pub status: Vec<Status>,
    pub hens: Vec<f64>,
    pub age_weeks: Vec<u32>,
    pub cash_rp: Vec<f64>,
    pub rest_weeks_left: Vec<u32>,
    /// This week's payout (zero unless paid this week); read by the member households.
    pub payout_rp: Vec<f64>,
    /// Ledger since the start, for the cash identity
    /// `cash = C0 + net - payouts + flock sales - restocking + written off`.
    pub total_net_rp: Vec<f64>,
    pub total_payout_rp: Vec<f64>,
    pub total_flock_sales_rp: Vec<f64>,
    pub total_restock_rp: Vec<f64>,
    pub total_written_off_rp: Vec<f64>,
}

impl Kubes {
    pub fn new(region: Vec<RegionId>, start_week: Vec<u32>) -> Kubes {
        let n = region.len();
        Kubes {
            region,
            start_week,
            status: vec![Status::Pending; n],
            hens: vec![0.0; n],
            age_weeks: vec![0; n],
            cash_rp: vec![0.0; n],
            rest_weeks_left: vec![0; n],
            payout_rp: vec![0.0; n],
            total_net_rp: vec![0.0; n],
            total_payout_rp: vec![0.0; n],
            total_flock_sales_rp: vec![0.0; n],
            total_restock_rp: vec![0.0; n],
            total_written_off_rp: vec![0.0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Appends another state's KUBE after this one's.
    pub fn append(&mut self, mut other: Kubes) {
        self.region.append(&mut other.region);
        self.start_week.append(&mut other.start_week);
        self.status.append(&mut other.status);
        self.hens.append(&mut other.hens);
        self.age_weeks.append(&mut other.age_weeks);
        self.cash_rp.append(&mut other.cash_rp);
        self.rest_weeks_left.append(&mut other.rest_weeks_left);
        self.payout_rp.append(&mut other.payout_rp);
        self.total_net_rp.append(&mut other.total_net_rp);
        self.total_payout_rp.append(&mut other.total_payout_rp);
        self.total_flock_sales_rp
            .append(&mut other.total_flock_sales_rp);
        self.total_restock_rp.append(&mut other.total_restock_rp);
        self.total_written_off_rp
            .append(&mut other.total_written_off_rp);
    }

    pub fn is_empty(&self) -> bool {
        self.region.is_empty()
    }

    #[inline]
    pub fn get(&self, k: usize) -> Kube {
        Kube {
            status: self.status[k],
            hens: self.hens[k],
            age_weeks: self.age_weeks[k],
            cash_rp: self.cash_rp[k],
            rest_weeks_left: self.rest_weeks_left[k],
        }
    }

    #[inline]
    pub fn set(&mut self, k: usize, kube: Kube) {
        self.status[k] = kube.status;
        self.hens[k] = kube.hens;
        self.age_weeks[k] = kube.age_weeks;
        self.cash_rp[k] = kube.cash_rp;
        self.rest_weeks_left[k] = kube.rest_weeks_left;
    }
}

/// Every member household of one placement; household `k * M + i` is member `i` of KUBE `k`.
///
/// A national run walks a million of them every week, so each field is one flat array the
/// household pass reads straight through; weeks fit in `u16` (horizons stop at 5,200 weeks).
#[derive(Debug, Clone, Default)]
pub struct Households {
    /// Baseline monthly income `y_i` at t = 0, size and permanent income included.
    pub baseline_month_rp: Vec<f64>,
    /// Household size `n_i`: whole people in stochastic mode, the region's mean size in
    /// deterministic mode.
    pub people: Vec<f64>,
    /// The household's monthly poverty line at t = 0: `poverty_line_r * n_i`.
    pub line_month_rp: Vec<f64>,
    /// `52 / (12 n_i)`: turns weekly household income into monthly income per person.
    pub month_per_person: Vec<f64>,
    /// Smoothed weekly income `S(t)`.
    pub smoothed_rp: Vec<f64>,
    pub weeks_above: Vec<u16>,
    /// Week of graduation, [`NOT_GRADUATED`] if not (yet) graduated.
    pub graduated_week: Vec<u16>,
}

/// `graduated_week` of a household that has not graduated.
pub const NOT_GRADUATED: u16 = u16::MAX;

impl Households {
    /// Households with these fixed traits (equal lengths), before their first week.
    pub fn new(
        baseline_month_rp: Vec<f64>,
        people: Vec<f64>,
        line_month_rp: Vec<f64>,
    ) -> Households {
        let n = baseline_month_rp.len();
        debug_assert!(people.len() == n && line_month_rp.len() == n);
        Households {
            baseline_month_rp,
            month_per_person: people.iter().map(|n| 52.0 / (12.0 * n)).collect(),
            people,
            line_month_rp,
            smoothed_rp: vec![0.0; n],
            weeks_above: vec![0; n],
            graduated_week: vec![NOT_GRADUATED; n],
        }
    }

    pub fn len(&self) -> usize {
        self.baseline_month_rp.len()
    }

    pub fn is_empty(&self) -> bool {
        self.baseline_month_rp.is_empty()
    }
}
