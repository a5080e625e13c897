//! Quantiles and summaries over replicates and households (MODEL.md section 6).
//!
//! Pure arithmetic: no IO, no threads.

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
/// narrow band around last week's quantile: values below the band are only counted,
/// values inside are kept. If the wanted ranks fall inside the band, selecting among the
/// few kept values gives the exact order statistics; otherwise (the first week, a jump)
/// the caller falls back to a full selection. Either way the result is exact.
#[derive(Debug, Clone)]
pub struct Bands {
    pub lo: [f64; 3],
    pub hi: [f64; 3],
    /// Relative half-width of each band.
    width: [f64; 3],
}

/// What one chunk of values contributed to [`Bands`]: counts below, values inside.
#[derive(Debug, Clone, Default)]
pub struct BandTally {
    pub below: [u64; 3],
    pub inside: [Vec<f64>; 3],
}

impl BandTally {
    pub fn clear(&mut self) {
        self.below = [0; 3];
        self.inside.iter_mut().for_each(Vec::clear);
    }

    /// Classifies a run of values against the bands without branches: per band, a count
    /// of the values below it and a "compress" that writes every value to the end of the
    /// kept ones but only advances past those inside. Both are simple enough loops for the
    /// compiler to keep in registers, and neither mispredicts.
    pub fn add_all(&mut self, bands: &Bands, values: &[f64]) {
        for j in 0..3 {
            let (lo, hi) = (bands.lo[j], bands.hi[j]);
            self.below[j] += values.iter().map(|&x| u64::from(x < lo)).sum::<u64>();
            let inside = &mut self.inside[j];
            let mut kept = inside.len();
            // Room for every value; the capacity stays from week to week.
            inside.resize(kept + values.len(), 0.0);
            for &x in values {
                inside[kept] = x;
                kept += usize::from((x >= lo) & (x <= hi));
            }
            inside.truncate(kept);
        }
    }
}

impl Default for Bands {
    fn default() -> Self {
        Bands::new()
    }
}

impl Bands {
    /// No band yet: every value counts as above, so the first week selects in full.
    pub fn new() -> Bands {
        Bands {
            lo: [f64::INFINITY; 3],
            hi: [f64::INFINITY; 3],
            width: [0.02; 3],
        }
    }

    /// The type-7 quantiles `ps` of `data` (which it may reorder), using the tallies of
    /// `data` against the current bands; then centres the bands on the results for next time.
    pub fn quantiles(
        &mut self,
        ps: [f64; 3],
        data: &mut [f64],
        tallies: &mut [BandTally],
    ) -> [f64; 3] {
        let n = data.len();
        let mut out = [f64::NAN; 3];
        if n == 0 {
            *self = Bands {
                width: self.width,
                ..Bands::new()
            };
            return out;
        }
        for j in 0..3 {
            let h = (n - 1) as f64 * ps[j];
            let k = h.floor() as usize;
            let frac = h - k as f64;
            let below: u64 = tallies.iter().map(|t| t.below[j]).sum();
            let inside: usize = tallies.iter().map(|t| t.inside[j].len()).sum();
            let below = below as usize;
            let last_needed = if frac > 0.0 { k + 1 } else { k };
            out[j] = if below <= k && last_needed < below + inside {
                // Gather the band (chunk order: the result does not depend on it anyway).
                let (first, rest) = tallies.split_first_mut().expect("at least one tally");
                let band = &mut first.inside[j];
                for t in rest.iter() {
                    band.extend_from_slice(&t.inside[j]);
                }
                // Aim the band at about 1% of the values: wide enough to catch next week's
                // quantile, narrow enough that keeping its values costs little.
                let target = (n / 100).max(2000) as f64;
                let ratio = band.len() as f64 / target;
                if ratio > 2.0 {
                    self.width[j] *= 0.5;
                } else if ratio < 0.5 {
                    self.width[j] *= 1.5;
                }
                self.width[j] = self.width[j].clamp(1e-6, 0.25);
                interpolate(band, k - below, frac)
            } else {
                self.width[j] = (self.width[j] * 2.0).min(0.25);
                interpolate(data, k, frac)
            };
        }
        for (j, &q) in out.iter().enumerate() {
            let half = (q.abs() * self.width[j]).max(1e-9);
            (self.lo[j], self.hi[j]) = if q.is_finite() {
                (q - half, q + half)
            } else {
                (f64::INFINITY, f64::INFINITY)
            };
        }
        out
    }
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
        let mut tallies = vec![BandTally::default(), BandTally::default()];
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for week in 0..30 {
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
                tally.add_all(&bands, chunk);
            }
            let got = bands.quantiles(ps, &mut data, &mut tallies);
            for (j, p) in ps.iter().enumerate() {
                assert_eq!(got[j], quantile_sorted(&sorted, *p), "week {week} p {p}");
            }
        }
        let mut empty: [f64; 0] = [];
        assert!(bands.quantiles(ps, &mut empty, &mut tallies)[0].is_nan());
    }
}
