//! Quantiles and summaries over replicates and households (MODEL.md section 6).
//!
//! Pure arithmetic: no IO, no threads.

pub mod ocba;
pub mod paired;
pub mod sensitivity;

/// Type-7 quantile of sorted data: linear interpolation between order statistics at
/// `h = (n - 1) p`. NaN for empty data.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Mean and the 5th, 50th and 95th percentiles of one metric across replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Stat {
    /// One value (deterministic mode): all four equal.
    pub fn single(x: f64) -> Stat {
        Stat {
            mean: x,
            p05: x,
            p50: x,
            p95: x,
        }
    }

    pub fn values(&self) -> [f64; 4] {
        [self.mean, self.p05, self.p50, self.p95]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_interpolates_between_order_statistics() {
        // R: quantile(c(1, 2, 4, 8), c(0, .1, .5, .9, 1), type = 7) = 1, 1.3, 3, 6.8, 8
        let x = [1.0, 2.0, 4.0, 8.0];
        let want = [(0.0, 1.0), (0.1, 1.3), (0.5, 3.0), (0.9, 6.8), (1.0, 8.0)];
        for (p, q) in want {
            assert!((quantile_sorted(&x, p) - q).abs() < 1e-12, "p={p}");
        }
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert_eq!(quantile_sorted(&[3.0], 0.9), 3.0);
    }
}

/// Exact type-7 quantiles of a large set that changes little from week to week.
///
/// Selecting three quantiles of a million incomes every week costs more than the rest of
/// the household step. Instead, while the values are produced, each is compared with a
/// narrow band around where each quantile is expected (a [`Window`]): values below a band
/// are only counted, values inside any band are kept. If a wanted rank falls inside its
/// band, selecting among the few kept values gives the exact order statistics; otherwise
/// (the first week, a jump) the caller's data is selected in full. Either way the result
/// is exact; the bands only decide how fast it comes.
///
/// The bands can also be placed several weeks ahead ([`Bands::ahead`], wider the further
/// ahead), for values produced before the weeks in between are known; a week whose ranks
/// such bands missed can be tallied again against its own week-ahead band.
#[derive(Debug, Clone)]
pub struct Bands<const N: usize> {
    /// Next week's bands.
    window: Window<N>,
    /// Recent relative misses of the predicted quantile, decaying: sets the band widths.
    miss: [f64; N],
    /// Last week's quantiles (NaN: none), their step from the week before (NaN: none),
    /// and the half-width of next week's bands.
    last: [f64; N],
    step: [f64; N],
    half: [f64; N],
    /// Every value of the week, materialised only when a band missed.
    full: Vec<f64>,
    /// Scratch for gathering one band's values.
    band: Vec<f64>,
    /// Quantiles that missed their band and needed a full selection.
    full_selections: u64,
}

/// Per quantile, the band `[lo, hi]` whose values a [`BandTally`] keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window<const N: usize> {
    pub lo: [f64; N],
    pub hi: [f64; N],
}

impl<const N: usize> Window<N> {
    /// No band: every value counts as below, so a selection from its tallies misses.
    pub const NONE: Window<N> = Window {
        lo: [f64::INFINITY; N],
        hi: [f64::INFINITY; N],
    };
}

/// What one chunk of values contributed to [`Bands`]: counts below each band, and the
/// values inside each band (vectors keep their capacity from week to week).
#[derive(Debug, Clone)]
pub struct BandTally<const N: usize> {
    pub below: [u64; N],
    kept: [Vec<f64>; N],
    /// Scratch: one byte per value of the last run, 1 if inside a band.
    inside: Vec<u8>,
}

impl<const N: usize> Default for BandTally<N> {
    fn default() -> Self {
        BandTally {
            below: [0; N],
            kept: std::array::from_fn(|_| Vec::new()),
            inside: Vec::new(),
        }
    }
}

impl<const N: usize> BandTally<N> {
    pub fn clear(&mut self) {
        self.below = [0; N];
        self.kept.iter_mut().for_each(Vec::clear);
    }

    /// The values inside band j.
    pub fn kept(&self, j: usize) -> &[f64] {
        &self.kept[j]
    }

    /// Classifies a run of values against the bands of `window` in two passes. The first
    /// is branch-free and the compiler turns it into SIMD code: it counts the values below
    /// each band and writes a byte per value, 1 if it is inside a band. The second reads
    /// those bytes eight at a time and keeps only the flagged values; bands are narrow,
    /// so most words are zero and cost one comparison.
    #[inline(always)]
    pub fn add_all(&mut self, window: &Window<N>, values: &[f64]) {
        let (lo, hi) = (window.lo, window.hi);
        let n = values.len();
        if self.inside.len() < n {
            self.inside.resize(n, 0);
        }
        let inside = &mut self.inside[..n];
        let mut below = [0u64; N];
        for (flag, &x) in inside.iter_mut().zip(values) {
            let mut any = false;
            for j in 0..N {
                below[j] += u64::from(x < lo[j]);
                any |= (x >= lo[j]) & (x <= hi[j]);
            }
            *flag = u8::from(any);
        }
        for (total, part) in self.below.iter_mut().zip(below) {
            *total += part;
        }
        let (words, _) = inside.as_chunks::<8>();
        for (w, word) in words.iter().enumerate() {
            // Each flag byte is 0 or 1: one bit per value to keep.
            let mut bits = u64::from_le_bytes(*word);
            while bits != 0 {
                let i = w * 8 + bits.trailing_zeros() as usize / 8;
                keep(&mut self.kept, window, values[i]);
                bits &= bits - 1;
            }
        }
        for i in words.len() * 8..n {
            if inside[i] != 0 {
                keep(&mut self.kept, window, values[i]);
            }
        }
    }
}

/// Keeps `x` in each band it is inside.
fn keep<const N: usize>(kept: &mut [Vec<f64>; N], window: &Window<N>, x: f64) {
    for (j, kept) in kept.iter_mut().enumerate() {
        if x >= window.lo[j] && x <= window.hi[j] {
            kept.push(x);
        }
    }
}

impl<const N: usize> Default for Bands<N> {
    fn default() -> Self {
        Bands::new()
    }
}

/// The order statistic of type-7 quantile `p` of `n` values: index `k` and the fraction
/// of the way to `k + 1`.
fn rank(n: usize, p: f64) -> (usize, f64) {
    let h = (n - 1) as f64 * p;
    let k = h.floor() as usize;
    (k, h - k as f64)
}

impl<const N: usize> Bands<N> {
    /// No band yet: every value counts as above, so the first week selects in full.
    pub fn new() -> Bands<N> {
        Bands {
            window: Window::NONE,
            miss: [0.01; N],
            last: [f64::NAN; N],
            step: [f64::NAN; N],
            half: [f64::NAN; N],
            band: Vec::new(),
            full: Vec::new(),
            full_selections: 0,
        }
    }

    /// Quantiles so far that missed their band and needed a full selection.
    pub fn full_selections(&self) -> u64 {
        self.full_selections
    }

    /// Next week's bands.
    pub fn window(&self) -> &Window<N> {
        &self.window
    }

    /// Bands for the week `lead` weeks after the last (1: next week's, [`Bands::window`]):
    /// centred where the trend of the last week leads, as wide as next week's times the
    /// square root of `lead`. (Linear widths kept four times as many values and missed 4
    /// weeks of 520 in the national scenario; the square root misses 78, each tallied
    /// again; the same widths as next week's missed 271.)
    pub fn ahead(&self, lead: usize) -> Window<N> {
        let mut window = self.window;
        if lead <= 1 {
            return window;
        }
        let lead = lead as f64;
        for j in 0..N {
            if !window.lo[j].is_finite() {
                continue;
            }
            let step = if self.step[j].is_finite() {
                self.step[j]
            } else {
                0.0
            };
            let centre = self.last[j] + lead * step;
            let half = self.half[j] * lead.sqrt();
            (window.lo[j], window.hi[j]) = (centre - half, centre + half);
        }
        window
    }

    /// Fills in each quantile of `ps` of `n` values still missing in `found` whose ranks
    /// the `tallies` (against any bands, the same for every tally) hold.
    pub fn select<'t>(
        &mut self,
        ps: [f64; N],
        n: usize,
        tallies: impl Iterator<Item = &'t BandTally<N>> + Clone,
        found: &mut [Option<f64>; N],
    ) {
        for j in 0..N {
            if found[j].is_none() {
                found[j] = select_band(ps[j], n, j, tallies.clone(), &mut self.band);
            }
        }
    }

    /// The quantiles `ps` of `n` values: those `found`, and the others by a full
    /// selection among the values `values` writes (in any order) into the buffer it is
    /// given; then places the bands for next time. NaN when `n` is 0.
    pub fn finish(
        &mut self,
        ps: [f64; N],
        n: usize,
        found: [Option<f64>; N],
        values: impl FnOnce(&mut Vec<f64>),
    ) -> [f64; N] {
        if n == 0 {
            self.window = Window::NONE;
            self.last = [f64::NAN; N];
            return [f64::NAN; N];
        }
        let mut values = Some(values);
        let mut out = [f64::NAN; N];
        for j in 0..N {
            out[j] = match found[j] {
                Some(q) => q,
                None => {
                    self.full_selections += 1;
                    if let Some(fill) = values.take() {
                        self.full.clear();
                        fill(&mut self.full);
                        debug_assert_eq!(self.full.len(), n);
                    }
                    let (k, frac) = rank(n, ps[j]);
                    interpolate(&mut self.full, k, frac)
                }
            };
        }
        for (j, &q) in out.iter().enumerate() {
            // Where the band was centred, and by how much (relative) that missed.
            let centre = (self.window.lo[j] + self.window.hi[j]) / 2.0;
            if centre.is_finite() && q != 0.0 {
                let missed = ((q - centre) / q).abs();
                self.miss[j] = missed.max(self.miss[j] * 0.95).min(0.25);
            }
            // Centre next week's band where the quantile is heading: quantiles of smoothed
            // incomes drift steadily, so last week's step predicts this week's well. The
            // half-width is three times the recent misses.
            let step = q - self.last[j];
            let next = if step.is_finite() { q + step } else { q };
            let half = (q.abs() * 3.0 * self.miss[j].max(1e-5)).max(1e-9);
            (self.window.lo[j], self.window.hi[j]) = if next.is_finite() {
                (next - half, next + half)
            } else {
                (f64::INFINITY, f64::INFINITY)
            };
            self.last[j] = q;
            self.step[j] = step;
            self.half[j] = half;
        }
        out
    }
}

/// Quantile `p` of `n` values from band j of the `tallies` (against any bands, the same
/// for every tally), if the band holds its ranks; `band` is scratch for gathering the
/// band's values. The result depends only on the values, not on the order of the tallies
/// or of the values in them, so selections can run apart from the [`Bands`] (in parallel,
/// say) and give the same bits.
pub fn select_band<'t, const N: usize>(
    p: f64,
    n: usize,
    j: usize,
    tallies: impl Iterator<Item = &'t BandTally<N>> + Clone,
    band: &mut Vec<f64>,
) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let (k, frac) = rank(n, p);
    let below = tallies.clone().map(|t| t.below[j]).sum::<u64>() as usize;
    band.clear();
    for t in tallies {
        band.extend_from_slice(t.kept(j));
    }
    let last_needed = if frac > 0.0 { k + 1 } else { k };
    (below <= k && last_needed < below + band.len()).then(|| interpolate(band, k - below, frac))
}

/// `x[k] + frac (x[k+1] - x[k])` in sorted order, by selection in `data`.
fn interpolate(data: &mut [f64], k: usize, frac: f64) -> f64 {
    let (_, &mut x_lo, rest) = data.select_nth_unstable_by(k, f64::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return x_lo;
    }
    let x_hi = rest.iter().copied().fold(f64::INFINITY, f64::min);
    x_lo + frac * (x_hi - x_lo)
}

#[cfg(test)]
mod band_tests {
    use super::*;

    #[test]
    fn band_quantiles_are_exact_week_after_week() {
        // A slowly drifting, shuffled set: the bands must give the same values as sorting.
        let mut bands = Bands::new();
        let ps = [0.1, 0.5, 0.9];
        let mut tallies = [BandTally::default(), BandTally::default()];
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut full_before_steady = 0;
        for week in 0..30 {
            if week == 2 {
                full_before_steady = bands.full_selections();
            }
            if week == 17 {
                // Weeks 2 to 16 drift steadily: every quantile came from its band.
                assert_eq!(bands.full_selections(), full_before_steady);
            }
            let mut data: Vec<f64> = (0..5001)
                .map(|i| 1000.0 + (i % 977) as f64 * (1.0 + week as f64 * 0.01) + next())
                .collect();
            if week == 17 {
                data.iter_mut().for_each(|x| *x *= 3.0); // a jump: the bands miss, selection takes over
            }
            let mut sorted = data.clone();
            sorted.sort_by(f64::total_cmp);
            tallies.iter_mut().for_each(BandTally::clear);
            let half = data.len() / 2;
            for (chunk, tally) in [&data[..half], &data[half..]]
                .into_iter()
                .zip(tallies.iter_mut())
            {
                tally.add_all(bands.window(), chunk);
            }
            let mut found = [None; 3];
            bands.select(ps, data.len(), tallies.iter(), &mut found);
            let got = bands.finish(ps, data.len(), found, |full| full.extend_from_slice(&data));
            for (j, p) in ps.iter().enumerate() {
                assert_eq!(got[j], quantile_sorted(&sorted, *p), "week {week} p {p}");
            }
        }
        assert!(full_before_steady > 0, "the first week selects in full");
        assert!(bands.finish(ps, 0, [None; 3], |_| {})[0].is_nan());
    }

    #[test]
    fn bands_placed_weeks_ahead_give_exact_quantiles_or_nothing() {
        // Blocks of four weeks of a drifting set: each week is tallied against bands placed
        // before its block, one to four weeks ahead. A quantile they hold is exact; one
        // they miss is None (never a wrong value), and is then selected in full.
        let ps = [0.1, 0.5, 0.9];
        let mut bands = Bands::new();
        let mut tally = BandTally::default();
        let data = |week: usize| -> Vec<f64> {
            (0..4001)
                .map(|i| 500.0 + ((i * 7919) % 4001) as f64 * (1.0 + week as f64 * 0.02))
                .collect()
        };
        let (mut held, mut held_far) = (0, 0);
        for block in 0..6 {
            let windows: Vec<Window<3>> = (1..=4).map(|lead| bands.ahead(lead)).collect();
            assert_eq!(windows[0], *bands.window());
            for (lead, window) in windows.iter().enumerate() {
                let week = block * 4 + lead;
                let values = data(week);
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                tally.clear();
                tally.add_all(window, &values);
                let mut found = [None; 3];
                bands.select(ps, values.len(), [&tally].into_iter(), &mut found);
                for (j, q) in found.iter().enumerate() {
                    if let Some(q) = q {
                        assert_eq!(*q, quantile_sorted(&sorted, ps[j]), "week {week}");
                        held += 1;
                        held_far += usize::from(lead == 3);
                    }
                }
                let got = bands.finish(ps, values.len(), found, |all| {
                    all.extend_from_slice(&values)
                });
                for (j, p) in ps.iter().enumerate() {
                    assert_eq!(got[j], quantile_sorted(&sorted, *p), "week {week}");
                }
            }
        }
        assert!(held > 30 && held_far > 5, "{held} {held_far}");
        // No band: nothing is found.
        tally.clear();
        tally.add_all(&Window::NONE, &data(0));
        let mut found = [None; 3];
        bands.select(ps, 4001, [&tally].into_iter(), &mut found);
        assert_eq!(found, [None; 3]);
    }
}
