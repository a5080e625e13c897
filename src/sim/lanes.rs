//! Elementwise single-precision math written for loops the compiler vectorises.
//!
//! The household pass draws normals and takes an exponential for each of a million
//! households every week. The platform's `expf` and a ziggurat normal are scalar calls with
//! branches (about 5 ns each here); these versions are short straight-line code, no calls,
//! no table lookups, no data-dependent branches, so a loop over a slice of them becomes SIMD
//! code (4 lanes with SSE2, 8 with AVX2). They use only IEEE additions, multiplications,
//! divisions and square roots, so results are the same on every machine and lane width.
//!
//! Accuracy is what a random income shock needs, not what a math library promises: a few
//! units in the last place of `f32` (tests below measure it against `f64` references).

use std::f32::consts::{LN_2, LOG2_E};

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

/// 1.5 * 2^23: adding it to a float of magnitude below 2^22 rounds it to an integer, which
/// the sum's last mantissa bits then hold in two's complement.
const ROUND: f32 = 12_582_912.0;

/// `e^x`, for `x` in [-86, 88] (clamped to it: the result stays a normal `f32`).
///
/// `x = k ln 2 + r` with `|r| <= ln(2)/2`; `e^r` by its Taylor series to `r^7` (truncation
/// below 6e-9 relative); `2^k` added to the exponent bits.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4; // ln 2 in 9 bits, so k * LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 - LN2_HI
    let x = x.clamp(-86.0, 88.0);
    let shifted = x * LOG2_E + ROUND;
    let k = shifted - ROUND;
    // k as an integer, read off the bits of `shifted` (its last mantissa bits hold k in
    // two's complement, |k| < 2^22): the same number as `k as i32`, whose saturating
    // conversion the compiler does not turn into SIMD code.
    let k_int = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    f32::from_bits(p.to_bits().wrapping_add(k_int << 23))
}

/// Two independent standard normal draws from 64 random bits, by Box and Muller's
/// transform: radius `sqrt(-2 ln u)` and a uniform angle.
///
/// `u = (q + 1/2) 2^-23` from the top 23 bits of `a` (exact in `f32`), so the radius stops
/// at 5.77 (the 6e-8 of probability beyond falls on the outermost values). The angle is a quarter turn
/// chosen by the top two bits of `b` plus `phi` in [-pi/4, pi/4) from its next 22 bits;
/// `sin phi` and `cos phi` come from their Taylor series (truncation below 4e-8), then a
/// quarter-turn rotation. The lowest 9 bits of `a` and 8 of `b` are not used.
#[inline(always)]
pub fn normal_pair(a: u32, b: u32) -> (f32, f32) {
    const TWO_POW_MINUS_23: f32 = 1.0 / 8_388_608.0;
    const STEP: f32 = std::f32::consts::FRAC_PI_2 / 4_194_304.0; // a quarter turn / 2^22
    let u = ((a >> 9) as f32 + 0.5) * TWO_POW_MINUS_23;
    let radius = (-2.0 * ln(u)).sqrt();
    let phi = (((b >> 8) & 0x003f_ffff) as f32 + 0.5) * STEP - std::f32::consts::FRAC_PI_4;
    let p2 = phi * phi;
    let sin = phi
        * horner(
            p2,
            [1.0 / 362_880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0, 1.0],
        );
    let cos = horner(
        p2,
        [1.0 / 40_320.0, -1.0 / 720.0, 1.0 / 24.0, -1.0 / 2.0, 1.0],
    );
    // Rotate (cos, sin) by q quarter turns: q = 1 gives (-sin, cos), 2 (-cos, -sin), 3 (sin, -cos).
    let q = b >> 30;
    let swap = q & 1 == 1;
    let (x, y) = if swap { (sin, cos) } else { (cos, sin) };
    let x = f32::from_bits(x.to_bits() ^ (((q ^ (q >> 1)) & 1) << 31));
    let y = f32::from_bits(y.to_bits() ^ ((q >> 1) << 31));
    (radius * x, radius * y)
}

/// `c[0] x^(N-1) + ... + c[N-1]` by Horner's rule.
#[inline(always)]
fn horner<const N: usize>(x: f32, c: [f32; N]) -> f32 {
    c[1..].iter().fold(c[0], |p, &k| p * x + k)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn exp_reads_its_power_of_two_off_the_bits_as_a_conversion_would() {
        for i in 0..=1_740_000 {
            let x = -86.0 + i as f32 * 1e-4;
            let shifted = x * LOG2_E + ROUND;
            let from_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
            assert_eq!(from_bits, (shifted - ROUND) as i32, "{x}");
        }
    }

    #[test]
    fn normal_pairs_have_normal_moments_tails_and_no_correlation() {
        // Equally spaced bit patterns for both words stand for uniform bits: a quadrature.
        // 2^16 radii by 64 angles, each at the middle of its cell.
        let (radii, angles) = (1u32 << 16, 64u32);
        let (mut s1, mut s2, mut s4, mut cross, mut beyond2, mut beyond3) =
            (0.0f64, 0.0, 0.0, 0.0, 0u64, 0u64);
        for i in 0..radii {
            for j in 0..angles {
                let (a, b) = (i << 16 | 1 << 15, j << 26 | 1 << 25);
                let (x, y) = normal_pair(a, b);
                let (x, y) = (f64::from(x), f64::from(y));
                for z in [x, y] {
                    s1 += z;
                    s2 += z * z;
                    s4 += z.powi(4);
                    beyond2 += u64::from(z.abs() > 2.0);
                    beyond3 += u64::from(z.abs() > 3.0);
                }
                cross += x * y;
            }
        }
        let n = 2.0 * f64::from(radii) * f64::from(angles);
        assert!((s1 / n).abs() < 1e-6, "mean {}", s1 / n);
        assert!((s2 / n - 1.0).abs() < 1e-3, "variance {}", s2 / n);
        assert!((s4 / n - 3.0).abs() < 1e-2, "fourth moment {}", s4 / n);
        assert!(
            (cross / (n / 2.0)).abs() < 1e-6,
            "correlation {}",
            cross / (n / 2.0)
        );
        // P(|Z| > 2) = 0.0455003, P(|Z| > 3) = 0.0026998.
        assert!((beyond2 as f64 / n - 0.045_500_3).abs() < 2e-4);
        assert!((beyond3 as f64 / n - 0.002_699_8).abs() < 2e-5);
    }

    #[test]
    fn normal_pairs_match_the_formula_in_double_precision() {
        let mut worst = 0.0f64;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (a, b) = (state as u32, (state >> 32) as u32);
            let u = (f64::from(a >> 9) + 0.5) / 8_388_608.0;
            let r = (-2.0 * u.ln()).sqrt();
            let quarter = f64::from(b >> 30);
            let phi = (f64::from((b >> 8) & 0x3f_ffff) + 0.5) / 4_194_304.0 - 0.5;
            let theta = (quarter + phi) * std::f64::consts::FRAC_PI_2;
            let (x, y) = normal_pair(a, b);
            worst = worst.max((f64::from(x) - r * theta.cos()).abs() / r.max(1.0));
            worst = worst.max((f64::from(y) - r * theta.sin()).abs() / r.max(1.0));
        }
        assert!(worst < 1e-6, "worst {worst:e}");
        // The outermost radius.
        let (x, y) = normal_pair(0, 0);
        assert!((f64::from(x).hypot(f64::from(y)) - 5.77).abs() < 0.01);
    }
}
