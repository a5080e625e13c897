//! The household pass of a week (MODEL.md 4.4 and 5), in parallel over fixed chunks.
//!
//! Households are cut into chunks of whole KUBE whose boundaries depend only on the
//! placement, never on the thread count; each chunk returns integer counts and its own
//! quantile tally, so the week's results are the same on any number of threads.
//!
//! Inside a chunk the week runs as a few flat loops over the chunk's households, each
//! simple enough for the compiler to turn into SIMD code: step the households' random
//! streams, turn the bits into normals (a Box-Muller pair every other week, the second
//! kept for the next week), update the transitory shocks and take their exponentials,
//! then income, smoothing, the line and graduation. Each KUBE's payout share is first
//! spread into per-household scratch so that the main loop reads only contiguous arrays.
//! On x86-64 machines with AVX2 the same code is also compiled for 8-lane registers and
//! chosen at run time (the `multiversion` crate checks the CPU once); both builds use the
//! same IEEE operations in the same order (Rust never fuses a multiply and an add on its
//! own), so their results are identical bit for bit (tested below).

use rayon::prelude::*;

use super::lanes;
use super::luck::{self, HouseholdLuck};
use super::rng::xoshiro_next_into;
use super::state::{Households, NOT_GRADUATED};
use crate::model::household;
use crate::stats::{BandTally, Bands};
use multiversion::multiversion;

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
    /// Per KUBE: start week and this week's payout.
    pub start_week: &'a [u32],
    pub payout_rp: &'a [f64],
    pub bands: &'a Bands,
}

/// Working memory of the pass, allocated once before week 0 and reused every week.
pub struct Pass {
    /// Quantile tallies, one per chunk.
    pub tallies: Vec<BandTally>,
    scratch: Vec<Scratch>,
}

/// Per-household scratch of one chunk.
#[derive(Debug, Clone, Default)]
struct Scratch {
    bits: [Vec<u32>; 2],
    normal: Vec<f32>,
    shock: Vec<f32>,
    payout_rp: Vec<f64>,
}

impl Pass {
    /// For `households` households of `kubes` KUBE with `members` each.
    pub fn new(households: usize, kubes: usize, members: usize) -> Pass {
        let chunks = kubes.div_ceil(CHUNK_KUBES).max(1);
        let size = CHUNK_KUBES * members;
        let scratch = (0..chunks)
            .map(|c| {
                let n = size.min(households.saturating_sub(c * size));
                Scratch {
                    bits: [vec![0; n], vec![0; n]],
                    normal: vec![0.0; n],
                    // Deterministic mode never draws: every shock stays exp(0) = 1.
                    shock: vec![1.0; n],
                    payout_rp: vec![0.0; n],
                }
            })
            .collect();
        Pass {
            tallies: vec![BandTally::default(); chunks],
            scratch,
        }
    }

    /// Runs every household's week; writes the per-capita monthly smoothed income of each
    /// started household to `income_pc_month[h]` and tallies it. Returns (households above
    /// the line, households graduating this week).
    pub fn step(
        &mut self,
        hh: &mut Households,
        luck: &mut HouseholdLuck,
        income_pc_month: &mut [f64],
        w: &Week,
    ) -> (u64, u64) {
        let size = CHUNK_KUBES * w.members;
        let fixed = (
            &hh.baseline_month_rp,
            &hh.line_month_rp,
            &hh.month_per_person,
        );
        let [s0, s1, s2, s3] = &mut luck.streams.s;
        (
            (
                s0.par_chunks_mut(size),
                s1.par_chunks_mut(size),
                s2.par_chunks_mut(size),
                s3.par_chunks_mut(size),
            ),
            hh.smoothed_rp.par_chunks_mut(size),
            hh.weeks_above.par_chunks_mut(size),
            hh.graduated_week.par_chunks_mut(size),
            (
                luck.transitory.par_chunks_mut(size),
                luck.spare_normal.par_chunks_mut(size),
            ),
            income_pc_month.par_chunks_mut(size),
            self.scratch.par_iter_mut(),
            self.tallies.par_iter_mut(),
        )
            .into_par_iter()
            .enumerate()
            .map(
                |(
                    chunk,
                    (
                        (s0, s1, s2, s3),
                        smoothed_rp,
                        weeks_above,
                        graduated_week,
                        (transitory, spare_normal),
                        income,
                        scratch,
                        tally,
                    ),
                )| {
                    let range = chunk * size..chunk * size + smoothed_rp.len();
                    let c = Chunk {
                        first_kube: chunk * CHUNK_KUBES,
                        streams: [s0, s1, s2, s3],
                        baseline_month_rp: &fixed.0[range.clone()],
                        line_month_rp: &fixed.1[range.clone()],
                        month_per_person: &fixed.2[range],
                        smoothed_rp,
                        weeks_above,
                        graduated_week,
                        transitory,
                        spare_normal,
                        income_pc_month: income,
                    };
                    run_chunk(c, scratch, tally, w)
                },
            )
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }
}

/// One chunk's households: its slices of the state.
struct Chunk<'a> {
    first_kube: usize,
    streams: [&'a mut [u32]; 4],
    baseline_month_rp: &'a [f64],
    line_month_rp: &'a [f64],
    month_per_person: &'a [f64],
    smoothed_rp: &'a mut [f64],
    weeks_above: &'a mut [u16],
    graduated_week: &'a mut [u16],
    transitory: &'a mut [f32],
    spare_normal: &'a mut [f32],
    income_pc_month: &'a mut [f64],
}

/// Runs one chunk's week with the widest SIMD registers the machine has: [`chunk_week`]
/// compiled twice, portable and AVX2, and picked at run time.
#[multiversion(targets("x86_64+avx2"))]
fn run_chunk(c: Chunk, s: &mut Scratch, tally: &mut BandTally, w: &Week) -> (u64, u64) {
    chunk_week(c, s, tally, w)
}

/// One chunk's week: shocks, per-household inputs, new members, the step, the tally.
#[inline(always)]
fn chunk_week(c: Chunk, s: &mut Scratch, tally: &mut BandTally, w: &Week) -> (u64, u64) {
    let m = w.members;
    let n = c.smoothed_rp.len();
    let kubes = n / m;
    let week = w.t as u32;
    let starts = &w.start_week[c.first_kube..c.first_kube + kubes];
    // Start weeks never decrease with the KUBE number: started KUBE are a prefix of the
    // chunk, and those starting this week are the end of that prefix.
    let started = starts.partition_point(|&s| s <= week) * m;
    let continuing = starts.partition_point(|&s| s < week) * m;

    // 1. Transitory income shocks e_i(t), for every household whether or not its KUBE has
    // started, so a family's income path is the same in every placement (f32: a log-income
    // shock needs no more than 7 digits).
    if w.stochastic {
        if w.t % 2 == 1 {
            // Odd weeks draw a pair per household: one for now, one for next week.
            let [a, b] = &mut s.bits;
            let (a, b) = (&mut a[..n], &mut b[..n]);
            let [s0, s1, s2, s3] = c.streams;
            xoshiro_next_into([&mut *s0, &mut *s1, &mut *s2, &mut *s3], a);
            xoshiro_next_into([s0, s1, s2, s3], b);
            for (((z, spare), &a), &b) in s.normal[..n]
                .iter_mut()
                .zip(c.spare_normal.iter_mut())
                .zip(a.iter())
                .zip(b.iter())
            {
                (*z, *spare) = lanes::normal_pair(a, b);
            }
        }
        if w.t > 0 {
            let normal = if w.t % 2 == 1 {
                &s.normal[..n]
            } else {
                &*c.spare_normal
            };
            for (e, &z) in c.transitory.iter_mut().zip(normal) {
                *e = luck::ar1_f32(*e, w.income_rho, w.income_sigma, z);
            }
        }
        for (shock, &e) in s.shock[..started].iter_mut().zip(&c.transitory[..started]) {
            *shock = lanes::exp(e);
        }
    }
    // 2. Each household's share of its KUBE's payout, spread out for the main loop.
    for (local, payout) in s.payout_rp[..started].chunks_exact_mut(m).enumerate() {
        payout.fill(w.payout_rp[c.first_kube + local] / m as f64);
    }

    // 3. Members of KUBE starting this week: S(start - 1) is the baseline term of I.
    for ((smoothed, &y), &shock) in c.smoothed_rp[continuing..started]
        .iter_mut()
        .zip(&c.baseline_month_rp[continuing..started])
        .zip(&s.shock[continuing..started])
    {
        *smoothed = household::weekly(y * f64::from(shock) * w.income_index);
    }

    // 4. Income, smoothing, the line, graduation; per-capita monthly income for quantiles.
    let graduation_week = u16::try_from(week).unwrap_or(NOT_GRADUATED - 1);
    let (mut above_count, mut graduated_count) = (0u64, 0u64);
    let baseline = &c.baseline_month_rp[..started];
    let shock = &s.shock[..started];
    let payout = &s.payout_rp[..started];
    let line = &c.line_month_rp[..started];
    let month_per_person = &c.month_per_person[..started];
    let smoothed = &mut c.smoothed_rp[..started];
    let weeks_above = &mut c.weeks_above[..started];
    let graduated_week = &mut c.graduated_week[..started];
    let income = &mut c.income_pc_month[..started];
    for i in 0..started {
        // Evaluated in MODEL.md's order, so that a household exactly at its line compares
        // the same way as in any literal implementation.
        let base = household::weekly(baseline[i] * f64::from(shock[i]) * w.income_index);
        let sm = household::smooth(w.alpha, base + payout[i], smoothed[i]);
        smoothed[i] = sm;
        // L(t) in MODEL.md's order too: poverty_line_r * n_i * growth * 12/52.
        let above = sm >= w.threshold * household::weekly(line[i] * w.line_index);
        let streak = household::streak(above, weeks_above[i]);
        weeks_above[i] = streak;
        let before = graduated_week[i];
        let now = household::graduates_now(before != NOT_GRADUATED, streak, w.graduation_weeks);
        graduated_week[i] = if now { graduation_week } else { before };
        above_count += u64::from(above);
        graduated_count += u64::from(now);
        income[i] = sm * month_per_person[i];
    }
    tally.clear();
    tally.add_all(w.bands, income);
    (above_count, graduated_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Entity, IncomeStreams, Kind, lane_seed};

    /// What [`run_weeks`] returns: the state after the last week, and per week the
    /// incomes written and the transitory shocks.
    type Weeks = (Households, HouseholdLuck, Vec<Vec<f64>>, Vec<Vec<f32>>);

    /// `kubes` KUBE (at most 256: one chunk) of 7 members starting over the first weeks,
    /// for `weeks` weeks, with income shocks of rho 0.9 and sigma 0.3; `dispatched` runs
    /// the build the machine picks (AVX2 where it has it), else the portable one.
    fn run_weeks(dispatched: bool, kubes: usize, weeks: usize) -> Weeks {
        let m = 7;
        let n = kubes * m;
        let people: Vec<f64> = (0..n).map(|h| 1.0 + (h % 4) as f64).collect();
        let mut hh = Households::new(
            (0..n).map(|h| 900_000.0 + 77_777.7 * h as f64).collect(),
            people.clone(),
            people.iter().map(|p| 480_000.0 * p).collect(),
        );
        let mut streams = IncomeStreams::with_capacity(n);
        for h in 0..n as u32 {
            let entity = Entity::Household {
                region: "64",
                kube: h / 7,
                member: h % 7,
            };
            streams.push(lane_seed(5, 0, Kind::IncomeShocks, entity));
        }
        let mut luck = HouseholdLuck {
            transitory: vec![0.0; n],
            spare_normal: vec![0.0; n],
            streams,
        };
        let mut scratch = Pass::new(n, kubes, m).scratch.remove(0);
        let mut tally = BandTally::default();
        let bands = Bands::new();
        let start_week: Vec<u32> = (0..kubes as u32).map(|k| k / 3).collect();
        let payout_rp: Vec<f64> = (0..kubes).map(|k| 1_000.0 + 9_999.9 * k as f64).collect();
        let (mut weekly_income, mut weekly_shocks) = (Vec::new(), Vec::new());
        for t in 0..weeks {
            let w = Week {
                t,
                income_index: 1.0 + t as f64 * 1e-3,
                line_index: 1.0 + t as f64 * 7e-4,
                threshold: 1.0,
                alpha: 2.0 / 14.0,
                graduation_weeks: 4,
                members: m,
                stochastic: true,
                income_rho: 0.9,
                income_sigma: 0.3,
                start_week: &start_week,
                payout_rp: &payout_rp,
                bands: &bands,
            };
            let mut income = vec![0.0; n];
            let [s0, s1, s2, s3] = &mut luck.streams.s;
            let c = Chunk {
                first_kube: 0,
                streams: [s0, s1, s2, s3],
                baseline_month_rp: &hh.baseline_month_rp,
                line_month_rp: &hh.line_month_rp,
                month_per_person: &hh.month_per_person,
                smoothed_rp: &mut hh.smoothed_rp,
                weeks_above: &mut hh.weeks_above,
                graduated_week: &mut hh.graduated_week,
                transitory: &mut luck.transitory,
                spare_normal: &mut luck.spare_normal,
                income_pc_month: &mut income,
            };
            if dispatched {
                run_chunk(c, &mut scratch, &mut tally, &w);
            } else {
                chunk_week(c, &mut scratch, &mut tally, &w);
            }
            weekly_income.push(income);
            weekly_shocks.push(luck.transitory.clone());
        }
        (hh, luck, weekly_income, weekly_shocks)
    }

    #[test]
    fn the_avx2_build_gives_the_same_bits_as_the_portable_one() {
        // 37 KUBE of 7: odd sizes, so the SIMD loops run their vector bodies and remainders.
        let (hh, luck, income, _) = run_weeks(false, 37, 60);
        // The run is not trivial: shocks moved, households crossed the line both ways.
        assert!(luck.transitory.iter().all(|&e| e != 0.0));
        assert!(hh.graduated_week.iter().any(|&g| g != NOT_GRADUATED));
        assert!(hh.graduated_week.contains(&NOT_GRADUATED));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let (hh2, luck2, income2, _) = run_weeks(true, 37, 60);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&hh.smoothed_rp), bits(&hh2.smoothed_rp));
            assert_eq!(hh.weeks_above, hh2.weeks_above);
            assert_eq!(hh.graduated_week, hh2.graduated_week);
            let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits32(&luck.transitory), bits32(&luck2.transitory));
            for (a, b) in income.iter().zip(&income2) {
                assert_eq!(bits(a), bits(b));
            }
        } else {
            eprintln!("no AVX2 on this machine: only the portable build ran");
        }
    }

    #[test]
    fn income_shocks_are_an_ar1_with_independent_normal_innovations() {
        // Innovations recovered from e(t) = rho e(t-1) + sigma z(t): mean 0, variance 1, and
        // uncorrelated from week to week, both within a Box-Muller pair (odd week to the
        // next) and across pairs. 1,750 households x 499 weeks: standard errors about 0.001.
        let (rho, sigma) = (0.9f64, 0.3f64);
        let (_, _, _, shocks) = run_weeks(false, 250, 500);
        let z = |t: usize, h: usize| {
            (f64::from(shocks[t][h]) - rho * f64::from(shocks[t - 1][h])) / sigma
        };
        let n = shocks[0].len();
        let (mut s1, mut s2, mut within, mut across, mut pairs) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for h in 0..n {
            for t in 1..shocks.len() {
                s1 += z(t, h);
                s2 += z(t, h) * z(t, h);
            }
            for t in (1..shocks.len() - 2).step_by(2) {
                within += z(t, h) * z(t + 1, h);
                across += z(t + 1, h) * z(t + 2, h);
                pairs += 1.0;
            }
        }
        let count = (n * (shocks.len() - 1)) as f64;
        assert!((s1 / count).abs() < 0.005, "mean {}", s1 / count);
        assert!((s2 / count - 1.0).abs() < 0.007, "variance {}", s2 / count);
        assert!(
            (within / pairs).abs() < 0.007,
            "within pairs {}",
            within / pairs
        );
        assert!(
            (across / pairs).abs() < 0.007,
            "across pairs {}",
            across / pairs
        );
        // Stationary variance sigma^2 / (1 - rho^2) = 0.4737, over households in weeks 50
        // apart (correlation 0.9^50 = 0.005): 14,000 values, standard error 1.2%.
        let late: Vec<f64> = (100..500)
            .step_by(50)
            .flat_map(|t| shocks[t].iter().map(|&e| f64::from(e)))
            .collect();
        let var = late.iter().map(|e| e * e).sum::<f64>() / late.len() as f64;
        assert!((var / 0.473_684 - 1.0).abs() < 0.05, "{var}");
    }
}
