//! Weeks and months (MODEL.md section 2).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The simulation calendar: week `t` covers `start + 7t` to `start + 7t + 6`.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    start: NaiveDate,
    /// Month (0 = January) of each week's Thursday.
    months: Vec<u8>,
}

impl Calendar {
    /// `start` must be a Monday (checked when the scenario is validated).
    pub fn new(start: NaiveDate, weeks: u32) -> Calendar {
        debug_assert_eq!(start.weekday(), Weekday::Mon);
        let months = (0..weeks)
            .map(|t| (Self::day(start, 7 * u64::from(t) + 3).month0()) as u8)
            .collect();
        Calendar { start, months }
    }

    fn day(start: NaiveDate, offset: u64) -> NaiveDate {
        start
            .checked_add_days(Days::new(offset))
            .expect("validated horizons stay far inside chrono's date range")
    }

    pub fn weeks(&self) -> u32 {
        self.months.len() as u32
    }

    /// The Monday week `t` starts on.
    pub fn week_start(&self, t: u32) -> NaiveDate {
        Self::day(self.start, 7 * u64::from(t))
    }

    /// The month of week `t` (0 = January): the month of its Thursday.
    pub fn month(&self, t: u32) -> usize {
        usize::from(self.months[t as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_of_a_week_is_the_month_of_its_thursday() {
        // 2020-01-27 is a Monday; its Thursday is 2020-01-30 (January).
        // 2020-02-24's Thursday is 2020-02-27; 2020-03-30's Thursday is 2020-04-02 (April).
        let start = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
        let cal = Calendar::new(start, 20);
        assert_eq!(
            cal.week_start(3),
            NaiveDate::from_ymd_opt(2020, 1, 27).unwrap()
        );
        assert_eq!(cal.month(3), 0);
        assert_eq!(cal.month(7), 1);
        assert_eq!(
            cal.week_start(12),
            NaiveDate::from_ymd_opt(2020, 3, 30).unwrap()
        );
        assert_eq!(cal.month(12), 3);
    }
}
