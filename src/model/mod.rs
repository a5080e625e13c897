//! The model of MODEL.md: its parameters, the world and placements they describe, and
//! the equations of section 4, one small pure function each.
//!
//! This module does no IO and knows nothing of files, threads or random numbers: the
//! scenario reader (`crate::scenario`) builds its types, and the simulation (`crate::sim`)
//! owns the state and calls these functions week by week.

pub mod calendar;
pub mod flock;
pub mod household;
pub mod market;
pub mod normal;
pub mod params;
pub mod placement;
pub mod uncertainty;
pub mod world;

pub use placement::{Design, Placement, Strategy, Weight, largest_remainder};
pub use uncertainty::Uncertainty;
pub use world::World;

/// Weeks in a year: growth and inflation are annual rates applied as `(1+g)^(t/52)`.
pub const WEEKS_PER_YEAR: f64 = 52.0;

/// `(1 + rate)^(t/52)`: the factor an annual rate compounds to by week `t`.
pub fn growth(rate: f64, t: f64) -> f64 {
    (1.0 + rate).powf(t / WEEKS_PER_YEAR)
}

#[cfg(test)]
mod tests {
    #[test]
    fn growth_compounds_annually() {
        assert_eq!(super::growth(0.04, 0.0), 1.0);
        assert!((super::growth(0.04, 52.0) - 1.04).abs() < 1e-15);
        assert!((super::growth(0.04, 26.0) - 1.04f64.sqrt()).abs() < 1e-15);
    }
}
