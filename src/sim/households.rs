//! The household pass of a block of weeks (MODEL.md 4.4 and 5), in parallel over fixed
//! chunks.
//!
//! Households are cut into chunks of whole KUBE whose boundaries depend only on the
//! placement, never on the thread count; each chunk returns integer counts and its own
//! quantile tallies, so the week's results are the same on any number of threads. A chunk
//! runs every week of a block in a row while its state is in the core's cache
//! ([`BLOCK_WEEKS`]); the weeks' exact quantiles are taken afterwards, week by week
//! ([`Pass::quantiles`]).
//!
//! Inside a chunk the week runs as a few flat loops over the chunk's households, each
//! simple enough for the compiler to turn into SIMD code: step the households' random
//! streams, turn the bits into normals (a Box-Muller pair every other week, the second
//! kept for the next week), update the transitory shocks and take their exponentials,
//! then income, smoothing and the line in `f64`, and last each arm's streak and graduation
//! in a loop of its own over 16-bit lanes (four times as many as in the `f64` loop, which
//! also keeps fewer values in registers). Each KUBE's payout share is first spread into
//! per-household scratch so that the main loop reads only contiguous arrays.
//! On x86-64 the same code is also compiled for AVX2 (8 `f32` lanes) and AVX-512 (16), and
//! the widest build the CPU runs is chosen at run time ([`Build`]); every build uses the
//! same IEEE operations in the same order (Rust never fuses a multiply and an add on its
//! own), so their results are identical bit for bit (tested below, each build the machine
//! has against the portable one).

use std::sync::Mutex;

use rayon::prelude::*;

use super::lanes;
use super::luck::{self, HouseholdLuck};
use super::rng::xoshiro_next_into;
use super::state::{ARMS, Households, NOT_GRADUATED};
use crate::model::household;
use crate::stats::{BandTally, Bands, Window, select_band};

/// KUBE per chunk of the household pass.
pub const CHUNK_KUBES: usize = 256;

/// What every household's week depends on besides its own state.
pub struct Week<'a> {
    pub t: usize,
    pub income_index: f64,
    pub line_index: f64,
    pub threshold: f64,
    pub alpha: f64,
    pub graduation_weeks: u16,
    pub members: usize,
    /// Draw income shocks (stochastic mode).
    pub stochastic: bool,
    pub income_rho: f32,
    pub income_sigma: f32,
    /// Per KUBE: start week, and this week's moving averages of what the programme and
    /// cash of its cost add to each member's weekly income (MODEL.md 4.6).
    pub start_week: &'a [u32],
    pub programme_rp: &'a [f64],
    pub cash_rp: &'a [f64],
}

impl Week<'_> {
    /// Households of the KUBE `first_kube..first_kube + kubes` that have started by this
    /// week: a prefix of them, as start weeks never decrease with the KUBE number.
    fn started(&self, first_kube: usize, kubes: usize) -> usize {
        let week = self.t as u32;
        self.start_week[first_kube..first_kube + kubes].partition_point(|&s| s <= week)
            * self.members
    }
}

/// What a week of households came to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Per arm: households above the line this week, and graduating this week.
    pub above: [u64; ARMS],
    pub graduated_now: [u64; ARMS],
    /// Households starting this week whose income without the programme is below the line.
    pub poor_at_entry: u64,
}

impl Counts {
    fn add(mut self, other: Counts) -> Counts {
        for arm in 0..ARMS {
            self.above[arm] += other.above[arm];
            self.graduated_now[arm] += other.graduated_now[arm];
        }
        self.poor_at_entry += other.poor_at_entry;
        self
    }
}

/// A chunk's tallies of a week: the programme arm's quantiles, the without arm's.
type ArmTallies = (BandTally<3>, BandTally<1>);

/// The bands of a week: the programme arm's quantiles, the without arm's.
pub type ArmWindows = (Window<3>, Window<1>);

/// The weekly quantiles taken of the incomes with the programme, and without it.
const P: [f64; 3] = [0.1, 0.5, 0.9];
const P_WITHOUT: [f64; 1] = [0.5];

/// Quantiles taken of each week.
const SELECTIONS: usize = P.len() + P_WITHOUT.len();

/// A week's quantiles found so far (`None`: not yet): the programme arm's, the without
/// arm's.
pub type Found = ([Option<f64>; 3], [Option<f64>; 1]);

/// Most weeks a block can hold.
pub const MAX_BLOCK_WEEKS: usize = 32;

/// Weeks a chunk of households runs in a row while its state stays in the core's cache
/// (time blocking): the state then crosses memory once per block instead of once a week,
/// and each week writes only each household's `S_wo` (8 bytes) to the block's history,
/// from which the week's quantiles are taken once every chunk has run the block.
pub const BLOCK_WEEKS: usize = 4;

/// Households below which a run goes week by week (blocks of one week): their state
/// (about 94 bytes each, 19 MB at this count) then stays in the last-level cache from week
/// to week anyway, and blocks would only add their history and wider bands (the default
/// scenario's 200 replicates of small placements took 15% longer in blocks of four).
pub const BLOCK_FROM_HOUSEHOLDS: usize = 200_000;

/// Weeks per block for a pass over `households` households: [`BLOCK_WEEKS`] from
/// [`BLOCK_FROM_HOUSEHOLDS`] on, else 1. Only the speed depends on it, never the bytes.
pub fn block_weeks_for(households: usize) -> usize {
    if households >= BLOCK_FROM_HOUSEHOLDS {
        BLOCK_WEEKS
    } else {
        1
    }
}

/// Counts of each week of a block.
type BlockCounts = [Counts; MAX_BLOCK_WEEKS];

fn add_block(mut a: BlockCounts, b: BlockCounts) -> BlockCounts {
    for (a, b) in a.iter_mut().zip(b) {
        *a = a.add(b);
    }
    a
}

/// Working memory of the pass, allocated once before week 0 and reused every block.
pub struct Pass {
    /// Quantile tallies of the programme arm's incomes (p10, p50, p90), one per chunk.
    pub tallies: Vec<BandTally<3>>,
    /// Quantile tallies of the incomes without the programme (p50), one per chunk.
    pub tallies_without: Vec<BandTally<1>>,
    /// Per chunk, per week of the block: the tallies of both arms against bands placed
    /// before the block ([`crate::stats::Bands::ahead`]), made while the chunk runs.
    ahead: Vec<Vec<ArmTallies>>,
    /// Scratch of each piece of a block's selections from those tallies, one piece per
    /// thread ([`Pass::select_ahead`]); one piece for runs that go week by week (a few
    /// thousand values a week, often one replicate per thread: handing four selections
    /// out to the pool cost the default scenario's 200 replicates 1.5%).
    selections: Vec<Vec<f64>>,
    /// One scratch per worker thread, each sized for a chunk: a chunk's inputs and
    /// intermediate values stay in that core's cache instead of streaming through memory.
    scratch: Vec<Mutex<Scratch>>,
    /// The kernel's build for this CPU.
    build: Build,
    /// Weeks per block.
    block_weeks: usize,
    /// Households per chunk (the last chunk may have fewer).
    chunk: usize,
    /// The block's history: each started household's smoothed income without the
    /// programme, `S_wo(t)`, every week of the block, laid out chunk by chunk and within a
    /// chunk week by week, so that a chunk writes one contiguous piece.
    history: Vec<f64>,
}

/// Per-household scratch of one chunk, reused by the next chunk the same thread runs.
#[derive(Debug, Clone, Default)]
struct Scratch {
    bits: [Vec<u32>; 2],
    normal: Vec<f32>,
    shock: Vec<f32>,
    /// The household's KUBE's additions, spread out per household for the main loop.
    programme_rp: Vec<f64>,
    cash_rp: Vec<f64>,
    /// A week's per-capita monthly incomes with and without the programme, computed from
    /// the block's history and tallied here (a full selection recomputes them,
    /// [`Pass::incomes`]).
    income: Vec<f64>,
    income_without: Vec<f64>,
    /// Per arm, whether each household is above the line this week (0 or 1), for the
    /// streaks, which run in a loop of their own.
    above: [Vec<u16>; ARMS],
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            bits: [vec![0; n], vec![0; n]],
            normal: vec![0.0; n],
            // Deterministic mode never draws: every shock stays exp(0) = 1.
            shock: vec![1.0; n],
            programme_rp: vec![0.0; n],
            cash_rp: vec![0.0; n],
            income: vec![0.0; n],
            income_without: vec![0.0; n],
            above: [vec![0; n], vec![0; n], vec![0; n]],
        }
    }
}

impl Pass {
    /// For `households` households of `kubes` KUBE with `members` each, run in blocks of
    /// `block_weeks` weeks (1 to [`MAX_BLOCK_WEEKS`]), on the current rayon pool.
    pub fn new(households: usize, kubes: usize, members: usize, block_weeks: usize) -> Pass {
        assert!(
            (1..=MAX_BLOCK_WEEKS).contains(&block_weeks),
            "{block_weeks}"
        );
        let chunks = kubes.div_ceil(CHUNK_KUBES).max(1);
        let chunk = CHUNK_KUBES * members;
        let size = chunk.min(households);
        let threads = rayon::current_num_threads().min(chunks).max(1);
        // Pieces of a block's selections: one per thread of the pool, never more than
        // there are selections; one where the run goes week by week.
        let pieces = if block_weeks > 1 {
            rayon::current_num_threads().clamp(1, block_weeks * SELECTIONS)
        } else {
            1
        };
        let scratch = (0..threads)
            .map(|_| Mutex::new(Scratch::new(size)))
            .collect();
        Pass {
            tallies: vec![BandTally::default(); chunks],
            tallies_without: vec![BandTally::default(); chunks],
            ahead: vec![vec![ArmTallies::default(); block_weeks]; chunks],
            selections: vec![Vec::new(); pieces],
            scratch,
            build: Build::best(),
            block_weeks,
            chunk,
            history: vec![0.0; households * block_weeks],
        }
    }

    /// Runs `weeks` consecutive weeks (at most a block) of every household, `week(i)`
    /// giving the inputs of the i-th, and returns each week's counts. Each chunk runs all
    /// the weeks in a row while its state stays in the core's cache; each week writes its
    /// started households' `S_wo` to the history, for [`Pass::tally`], and, given
    /// `windows` (one per week), tallies their incomes against the week's bands, for
    /// [`Pass::select_ahead`].
    pub fn run<'w>(
        &mut self,
        hh: &mut Households,
        luck: &mut HouseholdLuck,
        weeks: usize,
        week: impl Fn(usize) -> Week<'w> + Sync,
        windows: Option<&[ArmWindows]>,
    ) -> BlockCounts {
        assert!(weeks <= self.block_weeks);
        let size = self.chunk;
        let fixed = (
            &hh.baseline_month_rp,
            &hh.line_month_rp,
            &hh.month_per_person,
        );
        let [s0, s1, s2, s3] = &mut luck.streams.s;
        let [a0, a1, a2] = &mut hh.weeks_above;
        let [g0, g1, g2] = &mut hh.graduated_week;
        let (scratch, build, block) = (&self.scratch, self.build, self.block_weeks);
        (
            (
                s0.par_chunks_mut(size),
                s1.par_chunks_mut(size),
                s2.par_chunks_mut(size),
                s3.par_chunks_mut(size),
            ),
            hh.smoothed_rp.par_chunks_mut(size),
            (
                a0.par_chunks_mut(size),
                a1.par_chunks_mut(size),
                a2.par_chunks_mut(size),
            ),
            (
                g0.par_chunks_mut(size),
                g1.par_chunks_mut(size),
                g2.par_chunks_mut(size),
            ),
            (
                luck.transitory.par_chunks_mut(size),
                luck.spare_normal.par_chunks_mut(size),
            ),
            (
                self.history.par_chunks_mut(size * block),
                self.ahead.par_iter_mut(),
            ),
        )
            .into_par_iter()
            .enumerate()
            .map(
                |(
                    chunk,
                    (
                        (s0, s1, s2, s3),
                        smoothed_rp,
                        (a0, a1, a2),
                        (g0, g1, g2),
                        (transitory, spare_normal),
                        (history, ahead),
                    ),
                )| {
                    let len = smoothed_rp.len();
                    let range = chunk * size..chunk * size + len;
                    // This worker's own scratch: never contended, as a thread runs one
                    // chunk at a time.
                    let worker = rayon::current_thread_index().unwrap_or(0) % scratch.len();
                    let mut scratch = scratch[worker]
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let mut counts = [Counts::default(); MAX_BLOCK_WEEKS];
                    for (i, (counts, ahead)) in
                        counts[..weeks].iter_mut().zip(ahead.iter_mut()).enumerate()
                    {
                        let c = Chunk {
                            first_kube: chunk * CHUNK_KUBES,
                            streams: [&mut *s0, &mut *s1, &mut *s2, &mut *s3],
                            baseline_month_rp: &fixed.0[range.clone()],
                            line_month_rp: &fixed.1[range.clone()],
                            month_per_person: &fixed.2[range.clone()],
                            smoothed_rp: &mut *smoothed_rp,
                            weeks_above: [&mut *a0, &mut *a1, &mut *a2],
                            graduated_week: [&mut *g0, &mut *g1, &mut *g2],
                            transitory: &mut *transitory,
                            spare_normal: &mut *spare_normal,
                            history: &mut history[i * len..(i + 1) * len],
                        };
                        let tallies = windows.map(|windows| Tallies {
                            windows: &windows[i],
                            tallies: ahead,
                        });
                        *counts = run_chunk(build, c, &mut scratch, &week(i), tallies);
                    }
                    counts
                },
            )
            .reduce(|| [Counts::default(); MAX_BLOCK_WEEKS], add_block)
    }

    /// Tallies the i-th week of the block just run (`w`: its inputs) against the bands:
    /// the per-capita monthly smoothed income of each started household with the
    /// programme (`bands`) and without it (`bands_without`), one tally per chunk.
    pub fn tally(
        &mut self,
        hh: &Households,
        i: usize,
        w: &Week,
        (bands, bands_without): &ArmWindows,
    ) {
        let (size, block, build, scratch) =
            (self.chunk, self.block_weeks, self.build, &self.scratch);
        (
            self.history.par_chunks(size * block),
            hh.month_per_person.par_chunks(size),
            self.tallies.par_iter_mut(),
            self.tallies_without.par_iter_mut(),
        )
            .into_par_iter()
            .enumerate()
            .for_each(
                |(chunk, (history, month_per_person, tally, tally_without))| {
                    let (first_kube, without) =
                        history_week(history, chunk, month_per_person.len(), i, w);
                    let worker = rayon::current_thread_index().unwrap_or(0) % scratch.len();
                    let mut s = scratch[worker]
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let c = ChunkTally {
                        without,
                        month_per_person,
                        programme_rp: &w.programme_rp[first_kube..],
                        members: w.members,
                        bands,
                        bands_without,
                        tally,
                        tally_without,
                    };
                    run_tally(build, c, &mut s);
                },
            );
    }

    /// The quantiles that the tallies made during the run hold, for each of the block's
    /// weeks (`started[i]`: the i-th week's started households), `None` where a band
    /// missed its rank: the programme arm's p10, p50 and p90 and the without arm's p50.
    /// The sixteen selections of a block of four weeks are independent of each other and
    /// of the [`Bands`] (the run's bands were placed before the block), so they run in
    /// parallel, in as many pieces as the pool has threads, each piece gathering its
    /// bands' values into one scratch of its own.
    pub fn select_ahead(&mut self, started: &[usize]) -> [Found; MAX_BLOCK_WEEKS] {
        let weeks = started.len();
        let mut found = [None; SELECTIONS * MAX_BLOCK_WEEKS];
        let found_now = &mut found[..weeks * SELECTIONS];
        let per_piece = found_now.len().div_ceil(self.selections.len()).max(1);
        let ahead = &self.ahead;
        found_now
            .par_chunks_mut(per_piece)
            .zip(self.selections.par_iter_mut())
            .enumerate()
            .for_each(|(piece, (found, band))| {
                for (s, found) in (piece * per_piece..).zip(found) {
                    let (i, j) = (s / SELECTIONS, s % SELECTIONS);
                    let (n, tallies) = (started[i], ahead.iter().map(|a| &a[i]));
                    *found = match j.checked_sub(P.len()) {
                        None => select_band(P[j], n, j, tallies.map(|t| &t.0), band),
                        Some(j) => select_band(P_WITHOUT[j], n, j, tallies.map(|t| &t.1), band),
                    };
                }
            });
        let mut out = [([None; 3], [None; 1]); MAX_BLOCK_WEEKS];
        for (out, found) in out.iter_mut().zip(found.chunks_exact(SELECTIONS)) {
            out.0.copy_from_slice(&found[..P.len()]);
            out.1.copy_from_slice(&found[P.len()..]);
        }
        out
    }

    /// The quantiles of the i-th week of the block just run (`w`: its inputs, `n` its
    /// started households, `windows` the bands the run tallied it against, `found` what
    /// [`Pass::select_ahead`] found in the run's tallies): the programme arm's p10, p50
    /// and p90 and the without arm's p50 of the per-capita monthly incomes, exact. From
    /// the run's tallies where they hold the wanted ranks; else from the week tallied
    /// again from the history against the bands placed the week before (known only now);
    /// else by a full selection. The bands then move on a week.
    #[allow(clippy::too_many_arguments)]
    pub fn quantiles(
        &mut self,
        hh: &Households,
        i: usize,
        w: &Week,
        n: usize,
        windows: &ArmWindows,
        (bands, bands_without): (&mut Bands<3>, &mut Bands<1>),
        (mut with, mut without): Found,
    ) -> ([f64; 3], [f64; 1]) {
        let missed = with.iter().chain(&without).any(Option::is_none);
        let again = (*bands.window(), *bands_without.window());
        if missed && again != *windows {
            self.tally(hh, i, w, &again);
            bands.select(P, n, self.tallies.iter(), &mut with);
            bands_without.select(P_WITHOUT, n, self.tallies_without.iter(), &mut without);
        }
        (
            bands.finish(P, n, with, |all| self.incomes(hh, i, w, true, all)),
            bands_without.finish(P_WITHOUT, n, without, |all| {
                self.incomes(hh, i, w, false, all)
            }),
        )
    }

    /// The per-capita monthly incomes of the i-th week of the block just run (`w`: its
    /// inputs) of every started household, with the programme or without it, computed
    /// from the history exactly as [`Pass::tally`] computes them: for the weeks a band
    /// misses and every value is needed.
    pub fn incomes(
        &self,
        hh: &Households,
        i: usize,
        w: &Week,
        programme: bool,
        out: &mut Vec<f64>,
    ) {
        let (size, block) = (self.chunk, self.block_weeks);
        for (chunk, (history, month_per_person)) in self
            .history
            .chunks(size * block)
            .zip(hh.month_per_person.chunks(size))
            .enumerate()
        {
            let (first_kube, without) = history_week(history, chunk, month_per_person.len(), i, w);
            let programme = programme.then(|| &w.programme_rp[first_kube..]);
            extend_incomes(out, without, month_per_person, programme, w.members);
        }
    }
}

/// Chunk `chunk`'s first KUBE, and the `S_wo` of its started households in the i-th week
/// of the block, from the chunk's piece of the history (`len` households a week).
fn history_week<'h>(
    history: &'h [f64],
    chunk: usize,
    len: usize,
    i: usize,
    w: &Week,
) -> (usize, &'h [f64]) {
    let first_kube = chunk * CHUNK_KUBES;
    let started = w.started(first_kube, len / w.members);
    (first_kube, &history[i * len..i * len + started])
}

/// A household's per-capita monthly income from a smoothed weekly income (`S_wo`, or
/// `S_wo` plus its KUBE's addition for another arm) and its `52 / (12 n)`. The kernel, the
/// history's tally and full selections all use it, so their values agree to the bit.
#[inline(always)]
fn per_capita(smoothed: f64, month_per_person: f64) -> f64 {
    smoothed * month_per_person
}

/// Appends the per-capita monthly incomes of households of `members` per KUBE, from their
/// `S_wo` and `52 / (12 n)`: with the programme when `programme_rp` (per KUBE, from the
/// first household's) is given, else without it.
fn extend_incomes(
    out: &mut Vec<f64>,
    without: &[f64],
    month_per_person: &[f64],
    programme_rp: Option<&[f64]>,
    members: usize,
) {
    let values = without.iter().zip(month_per_person);
    match programme_rp {
        Some(programme) => out.extend(
            values
                .enumerate()
                .map(|(h, (&without, &mpp))| per_capita(without + programme[h / members], mpp)),
        ),
        None => out.extend(values.map(|(&without, &mpp)| per_capita(without, mpp))),
    }
}

/// The bands to tally each of the next `weeks` weeks' incomes against, placed now: the
/// programme arm's and the without arm's, one week further ahead each.
pub fn windows(
    bands: &Bands<3>,
    bands_without: &Bands<1>,
    weeks: usize,
) -> [ArmWindows; MAX_BLOCK_WEEKS] {
    let mut windows = [(Window::NONE, Window::NONE); MAX_BLOCK_WEEKS];
    for (lead, w) in windows[..weeks].iter_mut().enumerate() {
        *w = (bands.ahead(lead + 1), bands_without.ahead(lead + 1));
    }
    windows
}

/// Writes each KUBE's `per_kube` value to its `members` households' slots of `out`.
#[inline(always)]
fn spread(out: &mut [f64], per_kube: &[f64], members: usize) {
    for (slots, &x) in out.chunks_exact_mut(members).zip(per_kube) {
        slots.fill(x);
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
    weeks_above: [&'a mut [u16]; ARMS],
    graduated_week: [&'a mut [u16]; ARMS],
    transitory: &'a mut [f32],
    spare_normal: &'a mut [f32],
    /// Where the week writes each started household's `S_wo`.
    history: &'a mut [f64],
}

/// A compilation of [`chunk_week`]: portable (SSE2 on x86-64), AVX2 or AVX-512. Only
/// [`Build::best`] and [`Build::available`] make one, and they check that the CPU runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Build(Isa);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Build {
    /// Every build this CPU runs, portable first.
    pub fn available() -> Vec<Build> {
        let mut builds = vec![Build(Isa::Portable)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                builds.push(Build(Isa::Avx2));
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx2")
            {
                builds.push(Build(Isa::Avx512));
            }
        }
        builds
    }

    /// The widest build this CPU runs.
    pub fn best() -> Build {
        *Build::available()
            .last()
            .expect("the portable build is always available")
    }
}

/// Defines `$name(build, args...)`, which runs `$body(args...)` compiled for `build`: three
/// copies of `$body` (inlined into a portable function and into functions compiled for
/// AVX2 and AVX-512, so that its loops are vectorised for each), and a dispatch.
macro_rules! in_every_build {
    ($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $body:ident) => {
        $(#[$meta])*
        fn $name(build: Build, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2")]
            fn avx512($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            match build.0 {
                Isa::Portable => $body($($arg),*),
                // SAFETY: a `Build` of these kinds exists only where the CPU has the
                // features (`Build::available`).
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { avx2($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { avx512($($arg),*) },
            }
        }
    };
}

in_every_build! {
    /// Runs one chunk's week in `build`.
    fn run_chunk(c: Chunk, s: &mut Scratch, w: &Week, tallies: Option<Tallies>) -> Counts = chunk_week
}

/// Where a chunk's week tallies its incomes, and against which bands.
struct Tallies<'a> {
    windows: &'a ArmWindows,
    tallies: &'a mut ArmTallies,
}

in_every_build! {
    /// Tallies one chunk's week in `build`.
    fn run_tally(t: ChunkTally, s: &mut Scratch) -> () = tally_chunk
}

/// One chunk's week of the block's history to tally.
struct ChunkTally<'a> {
    /// `S_wo` of the chunk's started households.
    without: &'a [f64],
    month_per_person: &'a [f64],
    /// Per KUBE of the chunk, the programme's addition.
    programme_rp: &'a [f64],
    members: usize,
    bands: &'a Window<3>,
    bands_without: &'a Window<1>,
    tally: &'a mut BandTally<3>,
    tally_without: &'a mut BandTally<1>,
}

/// Per-capita monthly incomes with and without the programme of a chunk's started
/// households in a week of the block, tallied against the bands.
#[inline(always)]
fn tally_chunk(c: ChunkTally, s: &mut Scratch) {
    let started = c.without.len();
    spread(&mut s.programme_rp[..started], c.programme_rp, c.members);
    let (income, income_without) = (&mut s.income[..started], &mut s.income_without[..started]);
    for (((with, without_pc), (&without, &programme)), &mpp) in income
        .iter_mut()
        .zip(income_without.iter_mut())
        .zip(c.without.iter().zip(&s.programme_rp[..started]))
        .zip(&c.month_per_person[..started])
    {
        *with = per_capita(without + programme, mpp);
        *without_pc = per_capita(without, mpp);
    }
    c.tally.clear();
    c.tally.add_all(c.bands, income);
    c.tally_without.clear();
    c.tally_without.add_all(c.bands_without, income_without);
}

/// One arm's streaks and graduations for households above the line where `up` is 1:
/// returns how many are above, and how many graduate now.
#[inline(always)]
fn arm_steps(
    up: &[u16],
    weeks_above: &mut [u16],
    graduated_week: &mut [u16],
    week: u16,
    w: &Week,
) -> (u64, u64) {
    // Counted in 16-bit lanes, a chunk at a time, so the sums never overflow.
    let (mut above, mut now) = (0u64, 0u64);
    for ((up, weeks_above), graduated_week) in up
        .chunks(1 << 15)
        .zip(weeks_above.chunks_mut(1 << 15))
        .zip(graduated_week.chunks_mut(1 << 15))
    {
        let (mut above_part, mut now_part) = (0u16, 0u16);
        for ((&up, weeks_above), graduated_week) in up
            .iter()
            .zip(weeks_above.iter_mut())
            .zip(graduated_week.iter_mut())
        {
            above_part += up;
            now_part += u16::from(arm_step(up != 0, weeks_above, graduated_week, week, w));
        }
        above += u64::from(above_part);
        now += u64::from(now_part);
    }
    (above, now)
}

/// One arm's streak and graduation for a household: returns whether it graduates now.
#[inline(always)]
fn arm_step(
    above: bool,
    weeks_above: &mut u16,
    graduated_week: &mut u16,
    week: u16,
    w: &Week,
) -> bool {
    let streak = household::streak(above, *weeks_above);
    *weeks_above = streak;
    let before = *graduated_week;
    let now = household::graduates_now(before != NOT_GRADUATED, streak, w.graduation_weeks);
    *graduated_week = if now { week } else { before };
    now
}

/// One chunk's week: shocks, per-household inputs, new members, the step in three arms
/// (incomes and the line, then each arm's streaks), the tallies.
///
/// The arms share the household's smoothed income without the programme, `S_wo`; the
/// programme and cash arms add their KUBE's moving averages (MODEL.md 4.6 is linear in
/// the income, and all three start from the same `S(start - 1)`), so
/// `S_prog = S_wo + EMA(payout / M - W)` and `S_cash = S_wo + EMA(cash / M)`. Computed
/// this way the programme arm can differ from three separate moving averages in the last
/// bit; where the programme adds nothing it is the without arm exactly (tested).
#[inline(always)]
fn chunk_week(c: Chunk, s: &mut Scratch, w: &Week, tallies: Option<Tallies>) -> Counts {
    let m = w.members;
    let n = c.smoothed_rp.len();
    let kubes = n / m;
    let week = w.t as u32;
    let starts = &w.start_week[c.first_kube..c.first_kube + kubes];
    // Start weeks never decrease with the KUBE number: started KUBE are a prefix of the
    // chunk, and those starting this week are the end of that prefix.
    let started = w.started(c.first_kube, kubes);
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
    // 2. Each household's KUBE's additions, spread out for the main loop.
    spread(
        &mut s.programme_rp[..started],
        &w.programme_rp[c.first_kube..],
        m,
    );
    spread(&mut s.cash_rp[..started], &w.cash_rp[c.first_kube..], m);

    // 3. Members of KUBE starting this week: S(start - 1) is the baseline term of I.
    for ((smoothed, &y), &shock) in c.smoothed_rp[continuing..started]
        .iter_mut()
        .zip(&c.baseline_month_rp[continuing..started])
        .zip(&s.shock[continuing..started])
    {
        *smoothed = household::weekly(y * f64::from(shock) * w.income_index);
    }

    // 4. Income, smoothing, the line, graduation in each arm; `S_wo` to the history, and
    // per-capita monthly income with and without the programme for the quantiles.
    let graduation_week = u16::try_from(week).unwrap_or(NOT_GRADUATED - 1);
    let mut counts = Counts::default();
    let baseline = &c.baseline_month_rp[..started];
    let shock = &s.shock[..started];
    let (programme, cash) = (&s.programme_rp[..started], &s.cash_rp[..started]);
    let line = &c.line_month_rp[..started];
    let month_per_person = &c.month_per_person[..started];
    let smoothed = &mut c.smoothed_rp[..started];
    let history = &mut c.history[..started];
    let (income, income_without) = (&mut s.income[..started], &mut s.income_without[..started]);
    let [up0, up1, up2] = &mut s.above;
    let (up0, up1, up2) = (
        &mut up0[..started],
        &mut up1[..started],
        &mut up2[..started],
    );
    for i in 0..started {
        // Evaluated in MODEL.md's order, so that a household exactly at its line compares
        // the same way as in any literal implementation.
        let base = household::weekly(baseline[i] * f64::from(shock[i]) * w.income_index);
        let without = household::smooth(w.alpha, base, smoothed[i]);
        smoothed[i] = without;
        history[i] = without;
        let with = without + programme[i];
        let with_cash = without + cash[i];
        // L(t) in MODEL.md's order too: poverty_line_r * n_i * growth * 12/52.
        let threshold = w.threshold * household::weekly(line[i] * w.line_index);
        up0[i] = u16::from(with >= threshold);
        up1[i] = u16::from(without >= threshold);
        up2[i] = u16::from(with_cash >= threshold);
        income[i] = per_capita(with, month_per_person[i]);
        income_without[i] = per_capita(without, month_per_person[i]);
    }
    // The streaks and graduations of each arm, in a loop of 16-bit lanes only (the loop
    // above has as many lanes as `f64` has).
    let [a0, a1, a2] = c.weeks_above;
    let [g0, g1, g2] = c.graduated_week;
    for (arm, (up, weeks_above, graduated_week)) in [
        (&*up0, &mut a0[..started], &mut g0[..started]),
        (&*up1, &mut a1[..started], &mut g1[..started]),
        (&*up2, &mut a2[..started], &mut g2[..started]),
    ]
    .into_iter()
    .enumerate()
    {
        let (above, now) = arm_steps(up, weeks_above, graduated_week, graduation_week, w);
        counts.above[arm] = above;
        counts.graduated_now[arm] = now;
    }
    // Households starting this week below the line without the programme: poor at entry.
    counts.poor_at_entry = a1[continuing..started].iter().filter(|&&n| n == 0).count() as u64;
    if let Some(Tallies {
        windows: (bands, bands_without),
        tallies: (tally, tally_without),
    }) = tallies
    {
        tally.clear();
        tally.add_all(bands, income);
        tally_without.clear();
        tally_without.add_all(bands_without, income_without);
    }
    counts
}

/// The week's per-capita monthly incomes of the first `started` households, computed from
/// the state after the week as [`Pass::tally`] computes them (the same operations in the
/// same order): with the programme when `programme_rp` (per KUBE) is given, else without
/// it.
pub fn incomes(
    hh: &Households,
    programme_rp: Option<&[f64]>,
    members: usize,
    started: usize,
    out: &mut Vec<f64>,
) {
    let (smoothed, month_per_person) =
        (&hh.smoothed_rp[..started], &hh.month_per_person[..started]);
    extend_incomes(out, smoothed, month_per_person, programme_rp, members);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Entity, IncomeStreams, Kind, lane_seed};
    use crate::sim::state::{CASH, PROGRAMME, WITHOUT};

    /// What [`run_weeks`] returns: the state after the last week, and per week what the
    /// week wrote.
    struct Weeks {
        hh: Households,
        luck: HouseholdLuck,
        /// Per week: the started households' incomes with the programme, everyone's
        /// transitory shock, the started households' `S_wo`, and the kernel's counts.
        income: Vec<Vec<f64>>,
        shocks: Vec<Vec<f32>>,
        without: Vec<Vec<f64>>,
        counts: Vec<Counts>,
    }

    /// Members per KUBE in [`run_weeks`].
    const M: usize = 7;

    /// The KUBE of [`run_weeks`]: three start each week, their additions growing with
    /// their number (the programme's faster than the cash's, which is larger for the first).
    struct TestKubes {
        start_week: Vec<u32>,
        programme_rp: Vec<f64>,
        cash_rp: Vec<f64>,
    }

    impl TestKubes {
        fn new(kubes: usize) -> TestKubes {
            TestKubes {
                start_week: (0..kubes as u32).map(|k| k / 3).collect(),
                programme_rp: (0..kubes).map(|k| 1_000.0 + 9_999.9 * k as f64).collect(),
                cash_rp: (0..kubes).map(|k| 3_000.0 + 7_777.7 * k as f64).collect(),
            }
        }

        /// Week t of [`run_weeks`].
        fn week(&self, t: usize) -> Week<'_> {
            let kubes = (
                &self.start_week[..],
                &self.programme_rp[..],
                &self.cash_rp[..],
            );
            test_week(t, M, 7e-4, 0.3, kubes)
        }
    }

    /// `kubes` KUBE (at most 256: one chunk) of [`M`] members ([`TestKubes`]), for `weeks`
    /// weeks, with income shocks of rho 0.9 and sigma 0.3, in `build`.
    fn run_weeks(build: Build, kubes: usize, weeks: usize) -> Weeks {
        let n = kubes * M;
        let (mut hh, mut luck) = households(n, M);
        let mut scratch = Scratch::new(n);
        let mut history = vec![0.0; n];
        let test = TestKubes::new(kubes);
        let (mut income, mut shocks) = (Vec::new(), Vec::new());
        let (mut without, mut counts) = (Vec::new(), Vec::new());
        for t in 0..weeks {
            let w = test.week(t);
            let [s0, s1, s2, s3] = &mut luck.streams.s;
            let c = Chunk {
                first_kube: 0,
                streams: [s0, s1, s2, s3],
                baseline_month_rp: &hh.baseline_month_rp,
                line_month_rp: &hh.line_month_rp,
                month_per_person: &hh.month_per_person,
                smoothed_rp: &mut hh.smoothed_rp,
                weeks_above: hh.weeks_above.each_mut().map(|v| v.as_mut_slice()),
                graduated_week: hh.graduated_week.each_mut().map(|v| v.as_mut_slice()),
                transitory: &mut luck.transitory,
                spare_normal: &mut luck.spare_normal,
                history: &mut history,
            };
            counts.push(run_chunk(build, c, &mut scratch, &w, None));
            // The history holds the week's S_wo of every started household.
            let started = w.started(0, kubes);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&history[..started]), bits(&hh.smoothed_rp[..started]));
            let mut with = Vec::new();
            incomes(&hh, Some(&test.programme_rp), M, started, &mut with);
            income.push(with);
            shocks.push(luck.transitory.clone());
            without.push(history[..started].to_vec());
        }
        Weeks {
            hh,
            luck,
            income,
            shocks,
            without,
            counts,
        }
    }

    /// Week t of households of KUBE of `m` members (per KUBE: start week, the programme's
    /// and the cash's additions): incomes growing 0.1% a week and the line `line_growth`,
    /// shocks of rho 0.9 and sigma `sigma`, graduation after four weeks above the line.
    fn test_week<'a>(
        t: usize,
        m: usize,
        line_growth: f64,
        sigma: f32,
        (start_week, programme_rp, cash_rp): (&'a [u32], &'a [f64], &'a [f64]),
    ) -> Week<'a> {
        Week {
            t,
            income_index: 1.0 + t as f64 * 1e-3,
            line_index: 1.0 + t as f64 * line_growth,
            threshold: 1.0,
            alpha: 2.0 / 14.0,
            graduation_weeks: 4,
            members: m,
            stochastic: true,
            income_rho: 0.9,
            income_sigma: sigma,
            start_week,
            programme_rp,
            cash_rp,
        }
    }

    /// `n` households of KUBE of `m` members, their incomes spread from Rp 0.9 M up, and
    /// their income streams.
    fn households(n: usize, m: usize) -> (Households, HouseholdLuck) {
        let people: Vec<f64> = (0..n).map(|h| 1.0 + (h % 4) as f64).collect();
        let hh = Households::new(
            (0..n).map(|h| 900_000.0 + 77_777.7 * h as f64).collect(),
            people.clone(),
            people.iter().map(|p| 480_000.0 * p).collect(),
        );
        let mut streams = IncomeStreams::with_capacity(n);
        for h in 0..n as u32 {
            let entity = Entity::Household {
                region: "64",
                kube: h / m as u32,
                member: h % m as u32,
            };
            streams.push(lane_seed(5, 0, Kind::IncomeShocks, entity));
        }
        let luck = HouseholdLuck {
            transitory: vec![0.0; n],
            spare_normal: vec![0.0; n],
            streams,
        };
        (hh, luck)
    }

    #[test]
    fn selections_ahead_are_the_exact_quantiles_the_run_tallies_hold() {
        // 600 KUBE of 7 (three chunks) starting over the first weeks, on two threads, in
        // blocks of four weeks (selections in parallel) and of one (in turn): each
        // selection from the run's tallies that finds its quantile finds the exact one,
        // and the bands then hold most of them.
        use crate::stats::quantile_sorted;
        let (kubes, m) = (600, 7);
        let n = kubes * m;
        let start_week: Vec<u32> = (0..kubes as u32).map(|k| k / 100).collect();
        let programme_rp: Vec<f64> = (0..kubes).map(|k| 500.0 + 999.9 * k as f64).collect();
        let cash_rp = vec![2_000.0; kubes];
        let week = |t| test_week(t, m, 0.0, 0.05, (&start_week, &programme_rp, &cash_rp));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of two threads");
        for block in [4, 1] {
            let (mut hh, mut luck) = households(n, m);
            let (mut found_some, mut missed) = (0, 0);
            pool.install(|| {
                let mut pass = Pass::new(n, kubes, m, block);
                let (mut bands, mut bands_without) = (Bands::new(), Bands::new());
                for first in (0..40).step_by(block) {
                    let windows = windows(&bands, &bands_without, block);
                    let ahead = Some(&windows[..block]);
                    pass.run(&mut hh, &mut luck, block, |i| week(first + i), ahead);
                    let started: Vec<usize> = (first..first + block)
                        .map(|t| week(t).started(0, kubes))
                        .collect();
                    let found = pass.select_ahead(&started);
                    for (i, &n) in started.iter().enumerate() {
                        let w = week(first + i);
                        for (programme, ps, found) in [
                            (true, &P[..], &found[i].0[..]),
                            (false, &P_WITHOUT[..], &found[i].1[..]),
                        ] {
                            let mut all = Vec::new();
                            pass.incomes(&hh, i, &w, programme, &mut all);
                            assert_eq!(all.len(), n);
                            all.sort_by(f64::total_cmp);
                            for (&p, q) in ps.iter().zip(found) {
                                let Some(q) = q else {
                                    missed += 1;
                                    continue;
                                };
                                assert_eq!(*q, quantile_sorted(&all, p), "week {}", first + i);
                                found_some += 1;
                            }
                        }
                        let bands = (&mut bands, &mut bands_without);
                        pass.quantiles(&hh, i, &w, n, &windows[i], bands, found[i]);
                    }
                }
            });
            assert!(
                found_some > 100 && missed > 0,
                "{block}: {found_some} {missed}"
            );
        }
    }

    #[test]
    fn each_arm_counts_and_graduates_from_its_own_income() {
        // MODEL.md 4.6, written out household by household from each week's S_wo: the
        // programme arm adds its KUBE's programme addition, the cash arm its cash addition;
        // each arm keeps its own streak above the line and graduates once, the first week
        // the streak reaches the graduation weeks. The kernel's counts and final state
        // must be these, in every build.
        let (kubes, weeks) = (37, 60);
        let n = kubes * M;
        let test = TestKubes::new(kubes);
        let (hh0, _) = households(n, M);
        let mut streak = [vec![0u16; n], vec![0; n], vec![0; n]];
        let mut graduated = [vec![None; n], vec![None; n], vec![None; n]];
        let mut want = Vec::new();
        let run = run_weeks(Build(Isa::Portable), kubes, weeks);
        for (t, without) in run.without.iter().enumerate() {
            let w = test.week(t);
            let mut counts = Counts::default();
            for (h, &s_wo) in without.iter().enumerate() {
                let k = h / M;
                let line = w.threshold * household::weekly(hh0.line_month_rp[h] * w.line_index);
                let incomes = [s_wo + test.programme_rp[k], s_wo, s_wo + test.cash_rp[k]];
                for (arm, income) in incomes.into_iter().enumerate() {
                    let above = income >= line;
                    streak[arm][h] = if above { streak[arm][h] + 1 } else { 0 };
                    counts.above[arm] += u64::from(above);
                    if streak[arm][h] >= w.graduation_weeks && graduated[arm][h].is_none() {
                        graduated[arm][h] = Some(t as u16);
                        counts.graduated_now[arm] += 1;
                    }
                }
                if test.start_week[k] as usize == t && streak[WITHOUT][h] == 0 {
                    counts.poor_at_entry += 1;
                }
            }
            want.push(counts);
        }
        // The run is not trivial: the arms differ, in the counts and in who graduates.
        let differ = |a: usize, b: usize| want.iter().any(|c| c.above[a] != c.above[b]);
        assert!(differ(PROGRAMME, CASH) && differ(CASH, WITHOUT));
        assert!(graduated[PROGRAMME] != graduated[CASH]);
        assert!(graduated[CASH] != graduated[WITHOUT]);
        assert!(want.iter().map(|c| c.poor_at_entry).sum::<u64>() > 0);
        for build in Build::available() {
            let run = run_weeks(build, kubes, weeks);
            assert_eq!(run.counts, want, "{build:?}");
            for arm in 0..ARMS {
                assert_eq!(run.hh.weeks_above[arm], streak[arm], "{build:?} arm {arm}");
                let weeks: Vec<u16> = graduated[arm]
                    .iter()
                    .map(|g| g.unwrap_or(NOT_GRADUATED))
                    .collect();
                assert_eq!(run.hh.graduated_week[arm], weeks, "{build:?} arm {arm}");
            }
        }
    }

    #[test]
    fn every_simd_build_gives_the_same_bits_as_the_portable_one() {
        // 37 KUBE of 7: odd sizes, so the SIMD loops run their vector bodies and remainders.
        let builds = Build::available();
        assert_eq!(builds[0], Build(Isa::Portable));
        let Weeks {
            hh, luck, income, ..
        } = run_weeks(builds[0], 37, 60);
        // The run is not trivial: shocks moved, households crossed the line both ways.
        assert!(luck.transitory.iter().all(|&e| e != 0.0));
        for arm in 0..ARMS {
            assert!(hh.graduated_week[arm].iter().any(|&g| g != NOT_GRADUATED));
            assert!(hh.graduated_week[arm].contains(&NOT_GRADUATED));
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for &build in &builds[1..] {
            let Weeks {
                hh: hh2,
                luck: luck2,
                income: income2,
                ..
            } = run_weeks(build, 37, 60);
            assert_eq!(bits(&hh.smoothed_rp), bits(&hh2.smoothed_rp), "{build:?}");
            assert_eq!(hh.weeks_above, hh2.weeks_above, "{build:?}");
            assert_eq!(hh.graduated_week, hh2.graduated_week, "{build:?}");
            assert_eq!(bits32(&luck.transitory), bits32(&luck2.transitory));
            for (a, b) in income.iter().zip(&income2) {
                assert_eq!(bits(a), bits(b), "{build:?}");
            }
        }
        if builds.len() < 3 {
            eprintln!("this CPU runs only {builds:?}: the other builds were not compared");
        }
    }

    #[test]
    fn income_shocks_are_an_ar1_with_independent_normal_innovations() {
        // Innovations recovered from e(t) = rho e(t-1) + sigma z(t): mean 0, variance 1, and
        // uncorrelated from week to week, both within a Box-Muller pair (odd week to the
        // next) and across pairs. 1,750 households x 499 weeks: standard errors about 0.001.
        let (rho, sigma) = (0.9f64, 0.3f64);
        let shocks = run_weeks(Build(Isa::Portable), 250, 500).shocks;
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
