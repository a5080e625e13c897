//! What every placement of a scenario shares: the regions, the calendar, the markets,
//! the families and the luck (MODEL.md 3, 4.1, 4.4, 5).

use chrono::NaiveDate;

use super::calendar::Calendar;
use super::params::{HouseholdParams, MarketParams, StochasticParams};
use crate::data::Regions;

/// The world a programme is placed in: the same for every placement, so that placements
/// differ only in where their KUBE go and in their design.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub regions: Regions,
    /// A Monday (checked when the scenario is read).
    pub start_date: NaiveDate,
    /// The horizon `T`, in weeks.
    pub weeks: u32,
    pub market: MarketParams,
    pub household: HouseholdParams,
    pub stochastic: StochasticParams,
    /// Annual rate at which every placement's money is discounted (`[program]`).
    pub discount_rate: f64,
}

impl World {
    pub fn calendar(&self) -> Calendar {
        Calendar::new(self.start_date, self.weeks)
    }
}
