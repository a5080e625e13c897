//! The contract between the engine and the report: what a run of one placement produces,
//! its metrics by name, and their summary over replicates (MODEL.md sections 6 and 7).
//!
//! The engine (`crate::sim`) fills [`ReplicateOutput`]s and summarises them into
//! [`PlacementResult`]s; the writers and the report (`crate::report`) read them, or read
//! them back from the files; neither re-derives what the other computed.

pub mod metrics;

use ndarray::{Array2, Array3};

use crate::stats::{Stat, quantile_sorted};

pub use metrics::ratio;

/// The name of the run without any KUBE, present in every output.
pub const BASELINE: &str = "baseline";

/// One placement's outputs, summarised over replicates.
#[derive(Debug, Clone)]
pub struct PlacementResult {
    pub name: String,
    /// Metrics of [`metrics::summary`].
    pub summary: Vec<Stat>,
    /// `[region, metric]` of [`metrics::region_summary`].
    pub region_summary: Array2<Stat>,
    /// `[week, region, metric]` of [`metrics::region_weekly`].
    pub region_weekly: Array3<Stat>,
    /// `[week, metric]` of [`metrics::program_weekly`].
    pub program_weekly: Array2<Stat>,
}

impl PlacementResult {
    /// A result with every value undefined, to be filled in (reading a run back).
    pub fn empty(name: &str, weeks: usize, regions: usize) -> PlacementResult {
        let nan = Stat::single(f64::NAN);
        PlacementResult {
            name: name.to_string(),
            summary: vec![nan; metrics::summary::NAMES.len()],
            region_summary: Array2::from_elem((regions, metrics::region_summary::NAMES.len()), nan),
            region_weekly: Array3::from_elem(
                (weeks, regions, metrics::region_weekly::NAMES.len()),
                nan,
            ),
            program_weekly: Array2::from_elem((weeks, metrics::program_weekly::NAMES.len()), nan),
        }
    }
}

/// What one replicate of one placement contributes to the outputs (NaN: undefined).
#[derive(Debug, Clone)]
pub struct ReplicateOutput {
    /// Metrics of [`metrics::summary`].
    pub summary: Vec<f64>,
    /// `[region, metric]` of [`metrics::region_summary`].
    pub region_summary: Array2<f64>,
    /// `[week, region, metric]` of [`metrics::region_weekly`].
    pub region_weekly: Array3<f64>,
    /// `[week, metric]` of [`metrics::program_weekly`].
    pub program_weekly: Array2<f64>,
}

/// Mean, p05, p50 and p95 of one value across replicates, over the replicates where it
/// is defined (NaN where it is defined in none). `buf` is scratch space.
pub fn stat(values: impl Iterator<Item = f64>, buf: &mut Vec<f64>) -> Stat {
    buf.clear();
    buf.extend(values.filter(|x| !x.is_nan()));
    if buf.is_empty() {
        return Stat::single(f64::NAN);
    }
    // Summed in replicate order, before sorting: the mean does not depend on scheduling.
    let mean = buf.iter().sum::<f64>() / buf.len() as f64;
    buf.sort_by(f64::total_cmp);
    Stat {
        mean,
        p05: quantile_sorted(buf, 0.05),
        p50: quantile_sorted(buf, 0.5),
        p95: quantile_sorted(buf, 0.95),
    }
}

/// Summarises one placement's replicates (in replicate order) into its outputs.
pub fn summarise(name: &str, reps: &[ReplicateOutput]) -> PlacementResult {
    let first = &reps[0];
    let mut buf = Vec::with_capacity(reps.len());
    let summary = (0..first.summary.len())
        .map(|m| stat(reps.iter().map(|r| r.summary[m]), &mut buf))
        .collect();
    let region_summary = Array2::from_shape_fn(first.region_summary.dim(), |i| {
        stat(reps.iter().map(|r| r.region_summary[i]), &mut buf)
    });
    let region_weekly = Array3::from_shape_fn(first.region_weekly.dim(), |i| {
        stat(reps.iter().map(|r| r.region_weekly[i]), &mut buf)
    });
    let program_weekly = Array2::from_shape_fn(first.program_weekly.dim(), |i| {
        stat(reps.iter().map(|r| r.program_weekly[i]), &mut buf)
    });
    PlacementResult {
        name: name.to_string(),
        summary,
        region_summary,
        region_weekly,
        program_weekly,
    }
}

/// The per-capita monthly poverty line of a placement's member households at week `t`:
/// the regional lines (MODEL.md 4.4, `L(t)` per person and month) weighted by the
/// households placed in each region. NaN for a placement without households.
pub fn poverty_line_pc_month(world: &crate::model::World, p: &PlacementResult, t: usize) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (r, region) in world.regions.regions.iter().enumerate() {
        let households = p.region_summary[[r, metrics::region_summary::HOUSEHOLDS]].mean;
        if households > 0.0 {
            num += households * region.poverty_line_rp_per_capita_month;
            den += households;
        }
    }
    let g = crate::model::growth(world.household.poverty_line_growth, t as f64);
    if den > 0.0 { num / den * g } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_skip_undefined_replicates_and_use_type_7() {
        let mut buf = Vec::new();
        let s = stat([4.0, f64::NAN, 1.0, 2.0, 3.0].into_iter(), &mut buf);
        assert_eq!(s.mean, 2.5);
        // type 7 over 1,2,3,4: p05 at h = 0.15 -> 1.15; p50 at 1.5 -> 2.5; p95 at 2.85 -> 3.85.
        assert!(
            (s.p05 - 1.15).abs() < 1e-12
                && (s.p50 - 2.5).abs() < 1e-12
                && (s.p95 - 3.85).abs() < 1e-12
        );
        assert!(stat([f64::NAN].into_iter(), &mut buf).mean.is_nan());
        assert_eq!(stat([7.0].into_iter(), &mut buf), Stat::single(7.0));
    }
}
