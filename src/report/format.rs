//! Numbers as people read them: thousands separators, compact large numbers, percents.

/// `1234567.8` as `1,234,568`.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() { "-".into() } else { "∞".into() };
    }
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Large numbers shortened: `12,500`, `3.4 M`, `1.25 bn`, `2.1 tn`; small ones with decimals.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        thousands(x)
    } else if a >= 1e12 {
        format!("{:.3} tn", x / 1e12).replace(".000", "")
    } else if a >= 1e9 {
        format!("{:.2} bn", x / 1e9).replace(".00", "")
    } else if a >= 1e6 {
        format!("{:.2} M", x / 1e6).replace(".00", "")
    } else if a >= 100.0 || x.fract() == 0.0 {
        thousands(x)
    } else if a >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A share as a percent with one decimal.
pub fn percent(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_numbers() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(-1000.0), "-1,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(compact(3_400_000.0), "3.40 M");
        assert_eq!(compact(2_000_000_000.0), "2 bn");
        assert_eq!(compact(24_000.0), "24,000");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(percent(f64::NAN), "-");
    }
}
