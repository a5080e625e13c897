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

/// Type-7 quantile without sorting all of `data` (which it reorders): two selections.
pub fn quantile_select(data: &mut [f64], p: f64) -> f64 {
    if data.is_empty() {
        return f64::NAN;
    }
    let h = (data.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let (_, &mut x_lo, rest) = data.select_nth_unstable_by(lo, f64::total_cmp);
    let frac = h - lo as f64;
    if rest.is_empty() || frac == 0.0 {
        return x_lo;
    }
    let x_hi = rest.iter().copied().fold(f64::INFINITY, f64::min);
    x_lo + frac * (x_hi - x_lo)
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
            let mut shuffled = [8.0, 1.0, 4.0, 2.0];
            assert!(
                (quantile_select(&mut shuffled, p) - q).abs() < 1e-12,
                "p={p}"
            );
        }
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert_eq!(quantile_select(&mut [3.0], 0.9), 3.0);
    }
}
