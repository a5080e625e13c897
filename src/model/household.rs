//! A member household's income and graduation, week t (MODEL.md 4.4).

use super::normal;

/// The spread of member `i` of `members` around the mean:
/// `exp(sigma * Phi^-1((i + 0.5) / M) - sigma^2 / 2)`.
pub fn spread_factor(sigma: f64, member: u32, members: u32) -> f64 {
    let p = (f64::from(member) + 0.5) / f64::from(members);
    (sigma * normal::inverse_cdf(p) - sigma * sigma / 2.0).exp()
}

/// Baseline monthly income `y_i = ratio * line * n * spread_i` (MODEL.md 4.4).
pub fn baseline_income_month(
    ratio: f64,
    poverty_line_rp_per_capita_month: f64,
    household_size: f64,
    spread: f64,
) -> f64 {
    ratio * poverty_line_rp_per_capita_month * household_size * spread
}

/// `alpha = 2 / (smoothing_weeks + 1)`.
pub fn ema_alpha(smoothing_weeks: u32) -> f64 {
    2.0 / (f64::from(smoothing_weeks) + 1.0)
}

/// A monthly amount as a weekly one: `x * 12/52`.
pub fn weekly(monthly: f64) -> f64 {
    monthly * 12.0 / 52.0
}

/// One week of smoothing: `S(t) = alpha * I(t) + (1 - alpha) * S(t-1)`.
#[inline(always)]
pub fn smooth(alpha: f64, income_rp: f64, previous_rp: f64) -> f64 {
    alpha * income_rp + (1.0 - alpha) * previous_rp
}

/// Consecutive weeks above the line after this week: one more if above, else none.
/// Horizons stop at 5,200 weeks (validated), so `u16` holds any streak.
#[inline(always)]
pub fn streak(above: bool, weeks_before: u16) -> u16 {
    if above {
        weeks_before.saturating_add(1)
    } else {
        0
    }
}

/// A household graduates the first week its streak reaches `graduation_weeks`, once.
///
/// Both in `u16` (see [`graduation_weeks_u16`]): the household pass compares them in SIMD
/// lanes, where widening every streak to `u32` first cost more than the comparison.
#[inline(always)]
pub fn graduates_now(graduated_before: bool, streak: u16, graduation_weeks: u16) -> bool {
    !graduated_before && streak >= graduation_weeks
}

/// `graduation_weeks` for [`graduates_now`]: streaks stop at the horizon (at most 5,200
/// weeks), so a number of weeks beyond `u16` is one no streak reaches, as `u16::MAX` is.
pub fn graduation_weeks_u16(graduation_weeks: u32) -> u16 {
    u16::try_from(graduation_weeks).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graduation_period_beyond_u16_is_one_no_streak_reaches() {
        assert_eq!(graduation_weeks_u16(26), 26);
        assert!(graduates_now(false, 26, graduation_weeks_u16(26)));
        assert!(!graduates_now(false, 25, graduation_weeks_u16(26)));
        assert!(!graduates_now(true, 26, graduation_weeks_u16(26)));
        // The longest streak a horizon allows does not reach 70,000 weeks.
        assert!(!graduates_now(false, 5_200, graduation_weeks_u16(70_000)));
    }

    #[test]
    fn median_member_of_an_odd_group_sits_at_the_mean_log() {
        // M = 1: Phi^-1(0.5) = 0, so y = ratio * line * n * exp(-sigma^2/2).
        let y = baseline_income_month(0.85, 400_000.0, 4.0, spread_factor(0.3, 0, 1));
        assert!((y - 0.85 * 400_000.0 * 4.0 * (-0.045f64).exp()).abs() < 1e-6);
        // With sigma = 0 every member earns the same.
        assert_eq!(spread_factor(0.0, 3, 10), 1.0);
        // M = 2, sigma = 0.5: Phi^-1(0.25) = -0.6744897501960817, so
        // spread_0 = exp(-0.33724487509804085 - 0.125) = 0.6297...
        let want = (-0.5f64 * 0.674_489_750_196_081_7 - 0.125).exp();
        assert!((spread_factor(0.5, 0, 2) - want).abs() < 1e-15);
    }

    #[test]
    fn graduates_once_after_enough_consecutive_weeks() {
        // alpha = 1: S equals income. Threshold 10; above in weeks 0, 1, below in 2, above 3..
        let incomes = [11.0, 12.0, 9.0, 10.0, 10.0, 10.0, 10.0];
        let (mut s, mut weeks, mut graduated) = (0.0, 0u16, Vec::new());
        for (t, &i) in incomes.iter().enumerate() {
            s = smooth(1.0, i, s);
            weeks = streak(s >= 10.0, weeks);
            if graduates_now(!graduated.is_empty(), weeks, 3) {
                graduated.push(t);
            }
        }
        assert_eq!(graduated, [5]);
        assert_eq!(weeks, 4);
    }

    #[test]
    fn smoothing_weighs_this_week_by_alpha() {
        // Worked by hand: 0.25 * 100 + 0.75 * 20 = 25 + 15.
        assert_eq!(smooth(0.25, 100.0, 20.0), 40.0);
        assert_eq!(ema_alpha(7), 0.25);
        assert_eq!(streak(true, u16::MAX), u16::MAX);
    }
}
