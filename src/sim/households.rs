//! The household pass of a week (MODEL.md 4.4 and 5), in parallel over fixed chunks.
//!
//! Households are cut into chunks of whole KUBE whose boundaries depend only on the
//! placement, never on the thread count; each chunk returns integer counts and its own
//! quantile tally, so the week's results are the same on any number of threads.

use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use super::luck::{self, HouseholdLuck};
use super::state::{Households, NOT_GRADUATED};
use crate::data::RegionId;
use crate::model::household::{self, Progress};
use crate::stats::{BandTally, Bands};

/// KUBE per chunk of the household pass.
pub const CHUNK_KUBES: usize = 256;

/// What every household's week depends on besides its own state.
pub struct Week<'a> {
    pub t: usize,
    pub income_index: f64,
    pub line_index: f64,
    pub threshold: f64,
    pub alpha: f64,
    pub graduation_weeks: u32,
    pub members: usize,
    /// Draw income shocks (stochastic mode).
    pub stochastic: bool,
    pub income_rho: f32,
    pub income_sigma: f32,
    /// Per KUBE: region, start week and this week's payout.
    pub kube_region: &'a [RegionId],
    pub start_week: &'a [u32],
    pub payout_rp: &'a [f64],
    /// Per region: poverty line per person per month, and mean household size.
    pub region_line: &'a [f64],
    pub region_size: &'a [f64],
    pub bands: &'a Bands,
}

/// Chunk tallies for a placement with `kubes` KUBE, allocated once before week 0.
pub fn tallies(kubes: usize) -> Vec<BandTally> {
    vec![BandTally::default(); kubes.div_ceil(CHUNK_KUBES).max(1)]
}

/// Runs every household's week; writes the per-capita monthly smoothed income of each
/// started household to `income_pc_month[h]` and tallies it. Returns (households above
/// the line, households graduating this week).
pub fn step(
    hh: &mut Households,
    luck: &mut HouseholdLuck,
    income_pc_month: &mut [f64],
    tallies: &mut [BandTally],
    w: &Week,
) -> (u64, u64) {
    let size = CHUNK_KUBES * w.members;
    let (baseline, people) = (&hh.baseline_month_rp, &hh.size_people);
    (
        luck.income_rng.par_chunks_mut(CHUNK_KUBES),
        hh.smoothed_rp.par_chunks_mut(size),
        hh.weeks_above.par_chunks_mut(size),
        hh.graduated_week.par_chunks_mut(size),
        luck.transitory.par_chunks_mut(size),
        income_pc_month.par_chunks_mut(size),
        tallies.par_iter_mut(),
    )
        .into_par_iter()
        .enumerate()
        .map(
            |(
                chunk,
                (income_rng, smoothed, weeks_above, graduated_week, transitory, income, tally),
            )| {
                tally.clear();
                let (mut above, mut graduated) = (0u64, 0u64);
                let week = w.t as u32;
                let first_kube = chunk * CHUNK_KUBES;
                // `local` indexes the chunk's KUBE and, through `i`, its households.
                #[allow(clippy::needless_range_loop)]
                for local in 0..smoothed.len() / w.members {
                    let k = first_kube + local;
                    let started = week >= w.start_week[k];
                    let r = w.kube_region[k].index();
                    let payout_each = w.payout_rp[k] / w.members as f64;
                    for member in 0..w.members {
                        let i = local * w.members + member;
                        let mut shock = 1.0;
                        if w.stochastic {
                            // e_i(t) runs from week 0 whether or not the KUBE has started, so a
                            // family's income path is the same in every placement. In f32: a
                            // log-income shock needs no more than 7 digits, and the draw and
                            // its exponential are the largest costs of the pass.
                            if w.t > 0 {
                                let e: f32 = income_rng[local].sample(StandardNormal);
                                transitory[i] =
                                    luck::ar1_f32(transitory[i], w.income_rho, w.income_sigma, e);
                            }
                            if started {
                                shock = f64::from(transitory[i].exp());
                            }
                        }
                        if !started {
                            continue;
                        }
                        let h = chunk * size + i;
                        let n = if w.stochastic {
                            f64::from(people[h])
                        } else {
                            w.region_size[r]
                        };
                        // Evaluated in MODEL.md's order, so that a household exactly at its
                        // line compares the same way as in any literal implementation.
                        let base = household::weekly(baseline[h] * shock * w.income_index);
                        let mut progress = Progress {
                            smoothed_rp: smoothed[i],
                            weeks_above: u32::from(weeks_above[i]),
                            graduated_week: Some(graduated_week[i])
                                .filter(|&g| g != NOT_GRADUATED)
                                .map(u32::from),
                        };
                        if week == w.start_week[k] {
                            progress.smoothed_rp = base;
                        }
                        let line = household::weekly(w.region_line[r] * n * w.line_index);
                        let result = household::step(
                            &mut progress,
                            week,
                            base + payout_each,
                            w.alpha,
                            w.threshold * line,
                            w.graduation_weeks,
                        );
                        smoothed[i] = progress.smoothed_rp;
                        // Weeks never exceed 5,200 (validated), so these fit in u16.
                        weeks_above[i] =
                            u16::try_from(progress.weeks_above).unwrap_or(u16::MAX - 1);
                        graduated_week[i] = progress.graduated_week.map_or(NOT_GRADUATED, |g| {
                            u16::try_from(g).unwrap_or(NOT_GRADUATED - 1)
                        });
                        above += u64::from(result.above);
                        graduated += u64::from(result.graduated_now);
                        let pc = progress.smoothed_rp / n * (52.0 / 12.0);
                        income[i] = pc;
                    }
                }
                // Started households are a prefix of the chunk (start weeks never decrease).
                let started = income
                    .len()
                    .min(started_in_chunk(w, first_kube, income.len() / w.members) * w.members);
                tally.add_all(w.bands, &income[..started]);
                (above, graduated)
            },
        )
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// KUBE of a chunk (starting at KUBE `first`, `count` of them) that have started by week t.
fn started_in_chunk(w: &Week, first: usize, count: usize) -> usize {
    let week = w.t as u32;
    w.start_week[first..first + count].partition_point(|&s| s <= week)
}
