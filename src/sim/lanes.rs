//! Elementwise single-precision math written for loops the compiler vectorises.
//!
//! The household pass draws a normal and takes an exponential for each of a million
//! households every week. The platform's `expf` and a ziggurat normal are scalar calls with
//! branches (about 5 ns each here); these versions are short straight-line code, no calls,
//! no table lookups, no data-dependent branches, so a loop over a slice of them becomes SIMD
//! code (4 lanes with SSE2, 8 with AVX2). They use only IEEE additions, multiplications,
//! divisions and square roots, so results are the same on every machine and lane width.
//!
//! Accuracy is what a random income shock needs, not what a math library promises: a few
//! units in the last place of `f32` (tests below measure it against `f64` references).

use std::f32::consts::{LN_2, LOG2_E, SQRT_2};

/// The natural logarithm of a positive normal `f32` (not zero, subnormal, inf or NaN).
///
/// `x = m 2^e` with `m` in [sqrt(1/2), sqrt(2)), and `ln m = 2 atanh(s)`, `s = (m-1)/(m+1)`,
/// `|s| <= 0.172`, summed to the `s^9` term (truncation below 1e-9 relative).
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    const SQRT_HALF_BITS: u32 = 0x3f35_04f3; // bits of sqrt(1/2) as f32
    let bits = x.to_bits();
    let e = (bits.wrapping_sub(SQRT_HALF_BITS) as i32) >> 23;
    let m = f32::from_bits(bits.wrapping_sub((e as u32) << 23));
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let tail = s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    let two_s = s + s;
    e as f32 * LN_2 + (two_s + two_s * tail)
}

/// `e^x`, for `x` in [-86, 88] (clamped to it: the result stays a normal `f32`).
///
/// `x = k ln 2 + r` with `|r| <= ln(2)/2`; `e^r` by its Taylor series to `r^7` (truncation
/// below 6e-9 relative); `2^k` added to the exponent bits.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    const LN2_HI: f32 = 0.693_359_4; // ln 2 in 9 bits, so k * LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 - LN2_HI
    let x = x.clamp(-86.0, 88.0);
    let k = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    f32::from_bits(p.to_bits().wrapping_add(((k as i32) << 23) as u32))
}

/// A standard normal draw from 32 random bits, by inversion.
///
/// The top bit is the sign; the next 23 give the tail probability
/// `p = (q + 1/2) 2^-24` in (0, 1/2) (exact in `f32`), and the magnitude is `-Phi^-1(p) = sqrt(2)
/// erfinv(1 - 2p)` by Giles' single-precision approximation of erfinv ("Approximating the
/// erfinv function", GPU Computing Gems, 2011): relative error below 1e-6 here. The
/// smallest `p` is 2^-25, so draws stop at |z| = 5.42: the 6e-8 of probability beyond
/// falls on the outermost values. The lowest 8 bits are not used.
#[inline(always)]
pub fn standard_normal(bits: u32) -> f32 {
    const TWO_POW_MINUS_24: f32 = 1.0 / 16_777_216.0;
    let q = ((bits >> 8) & 0x007f_ffff) as f32;
    let p = (q + 0.5) * TWO_POW_MINUS_24;
    // erfinv(x) with x = 1 - 2p: w = -ln((1 - x)(1 + x)) = -ln(4p(1 - p)).
    let w = -ln(4.0 * p * (1.0 - p));
    // Giles' coefficients, highest power first.
    let central = horner(
        w - 2.5,
        [
            2.810_226_4e-8,
            3.432_739_4e-7,
            -3.523_387_7e-6,
            -4.391_506_5e-6,
            0.000_218_580_87,
            -0.001_253_725,
            -0.004_177_681_6,
            0.246_640_73,
            1.501_409_4,
        ],
    );
    let tail = horner(
        w.sqrt() - 3.0,
        [
            -0.000_200_214_26,
            0.000_100_950_56,
            0.001_349_343_2,
            -0.003_673_428_4,
            0.005_739_507_7,
            -0.007_622_461_3,
            0.009_438_870_5,
            1.001_674,
            2.832_976_8,
        ],
    );
    let erfinv = if w < 5.0 { central } else { tail } * (1.0 - 2.0 * p);
    let magnitude = SQRT_2 * erfinv;
    f32::from_bits(magnitude.to_bits() ^ (bits & 0x8000_0000))
}

/// `c[0] x^(N-1) + ... + c[N-1]` by Horner's rule.
#[inline(always)]
fn horner<const N: usize>(x: f32, c: [f32; N]) -> f32 {
    c[1..].iter().fold(c[0], |p, &k| p * x + k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::normal;

    /// Relative error of `got` against `want`.
    fn rel(got: f32, want: f64) -> f64 {
        ((f64::from(got) - want) / want).abs()
    }

    #[test]
    fn ln_is_within_a_few_ulp_over_the_normal_range() {
        let mut worst = 0.0f64;
        // Every 4,099th f32 from the smallest normal up to f32::MAX.
        let mut bits = f32::MIN_POSITIVE.to_bits();
        while bits < f32::MAX.to_bits() {
            let x = f32::from_bits(bits);
            let want = f64::from(x).ln();
            let got = f64::from(ln(x));
            // Near x = 1 the result is tiny: compare against one ulp of the input's scale.
            let err = (got - want).abs() / want.abs().max(1e-3);
            worst = worst.max(err);
            bits += 4_099;
        }
        assert!(worst < 4.0 * f64::from(f32::EPSILON), "worst {worst:e}");
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn exp_is_within_a_few_ulp_and_clamps_instead_of_overflowing() {
        let mut worst = 0.0f64;
        for i in 0..=1_740_000 {
            let x = -86.0 + i as f32 * 1e-4;
            worst = worst.max(rel(exp(x), f64::from(x).exp()));
        }
        assert!(worst < 3.0 * f64::from(f32::EPSILON), "worst {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), exp(88.0));
        assert!(exp(88.0).is_finite() && exp(-1000.0) > 0.0);
    }

    #[test]
    fn normals_match_the_as241_quantile_at_every_magnitude() {
        let mut worst = 0.0f64;
        // Every q of the 23 bits up to 2^16, then every 127th: both tails and the centre.
        let qs = (0u32..1 << 16).chain((1 << 16..1 << 23).step_by(127));
        for q in qs.chain([(1 << 23) - 1]) {
            let bits = q << 8;
            let p = (f64::from(q) + 0.5) / 16_777_216.0;
            let want = -normal::inverse_cdf(p);
            worst = worst.max(rel(standard_normal(bits), want));
            // The sign bit mirrors the draw.
            assert_eq!(standard_normal(bits | 0x8000_0000), -standard_normal(bits));
        }
        assert!(worst < 1e-6, "worst {worst:e}");
        // The outermost draw.
        assert!(
            (standard_normal(0) - 5.42).abs() < 0.01,
            "{}",
            standard_normal(0)
        );
    }

    #[test]
    fn normals_from_uniform_bits_have_mean_0_variance_1_and_normal_tails() {
        // Equally spaced bit patterns stand for uniform bits: a quadrature of the moments.
        let n = 1u64 << 22;
        let (mut s1, mut s2, mut s4, mut beyond2) = (0.0f64, 0.0, 0.0, 0u64);
        for i in 0..n {
            let bits = (i << 10) as u32; // evenly over all 32-bit patterns
            let z = f64::from(standard_normal(bits));
            s1 += z;
            s2 += z * z;
            s4 += z.powi(4);
            beyond2 += u64::from(z.abs() > 2.0);
        }
        let n = n as f64;
        assert!((s1 / n).abs() < 1e-6, "mean {}", s1 / n);
        assert!((s2 / n - 1.0).abs() < 1e-5, "variance {}", s2 / n);
        assert!((s4 / n - 3.0).abs() < 1e-3, "fourth moment {}", s4 / n);
        // P(|Z| > 2) = 0.0455003.
        assert!((beyond2 as f64 / n - 0.045_500_3).abs() < 1e-5);
    }
}
