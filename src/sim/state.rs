//! Simulation state as struct-of-arrays, sized once before the first week.

use crate::data::RegionId;
use crate::model::flock::{Kube, Status};
use crate::model::household::Progress;

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

    pub fn is_empty(&self) -> bool {
        self.region.is_empty()
    }

    pub fn get(&self, k: usize) -> Kube {
        Kube {
            status: self.status[k],
            hens: self.hens[k],
            age_weeks: self.age_weeks[k],
            cash_rp: self.cash_rp[k],
            rest_weeks_left: self.rest_weeks_left[k],
        }
    }

    pub fn set(&mut self, k: usize, kube: Kube) {
        self.status[k] = kube.status;
        self.hens[k] = kube.hens;
        self.age_weeks[k] = kube.age_weeks;
        self.cash_rp[k] = kube.cash_rp;
        self.rest_weeks_left[k] = kube.rest_weeks_left;
    }
}

/// Every member household of one placement; household `k * M + i` is member `i` of KUBE `k`.
#[derive(Debug, Clone, Default)]
pub struct Households {
    /// Baseline monthly income `y_i` at t = 0.
    pub baseline_month_rp: Vec<f64>,
    /// Household size.
    pub size: Vec<f64>,
    /// `poverty_line_r * n`: the household's monthly line at t = 0.
    pub line_month_rp: Vec<f64>,
    pub smoothed_rp: Vec<f64>,
    pub weeks_above: Vec<u32>,
    /// Week of graduation, `u32::MAX` if not (yet) graduated.
    pub graduated_week: Vec<u32>,
}

/// `graduated_week` of a household that has not graduated.
pub const NOT_GRADUATED: u32 = u32::MAX;

impl Households {
    pub fn len(&self) -> usize {
        self.size.len()
    }

    pub fn is_empty(&self) -> bool {
        self.size.is_empty()
    }

    pub fn progress(&self, h: usize) -> Progress {
        Progress {
            smoothed_rp: self.smoothed_rp[h],
            weeks_above: self.weeks_above[h],
            graduated_week: Some(self.graduated_week[h]).filter(|&w| w != NOT_GRADUATED),
        }
    }

    pub fn set_progress(&mut self, h: usize, p: Progress) {
        self.smoothed_rp[h] = p.smoothed_rp;
        self.weeks_above[h] = p.weeks_above;
        self.graduated_week[h] = p.graduated_week.unwrap_or(NOT_GRADUATED);
    }
}
