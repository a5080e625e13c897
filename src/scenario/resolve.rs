//! Turning raw values into checked ones, remembering where each came from.
//!
//! A value comes from a command-line flag, else the scenario file, else the embedded
//! defaults. The [`Resolver`] checks it against its allowed range, records its origin (for
//! `telur check` and the manifest) and collects every error rather than stopping at the
//! first, so a user sees all the problems of a file at once.

use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::error::{InputError, line_of};

/// The allowed range of a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// Finite and >= 0.
    NonNegative,
    /// Finite and > 0.
    Positive,
    /// A share: 0 to 1.
    Share,
    /// An annual rate: finite and > -1, so that `(1 + rate)^(t/52)` is defined.
    Rate,
    /// A correlation or AR(1) coefficient: -1 to 1.
    Correlation,
    /// A whole number of at least this.
    AtLeast(i64),
    /// A whole number in this closed range.
    Between(i64, i64),
    /// Twelve monthly factors, each finite and >= 0.
    Season,
    /// Any text.
    Text,
    /// A name for a folder or a column: lowercase letters, digits, `-` and `_`.
    Name,
}

/// A scenario value type: how it looks in TOML and how it is checked.
pub trait Param: Sized + Default {
    type Raw: DeserializeOwned + std::fmt::Debug;
    fn from_raw(raw: &Self::Raw, check: Check) -> Result<Self, String>;
    /// The value as TOML, for `telur check` and the manifest.
    fn to_toml(&self) -> toml::Value;
}

fn check_f64(x: f64, check: Check) -> Result<f64, String> {
    if !x.is_finite() {
        return Err(format!("{x} is not a finite number"));
    }
    let ok = match check {
        Check::NonNegative => x >= 0.0,
        Check::Positive => x > 0.0,
        Check::Share => (0.0..=1.0).contains(&x),
        Check::Rate => x > -1.0,
        Check::Correlation => (-1.0..=1.0).contains(&x),
        _ => true,
    };
    if ok {
        Ok(x)
    } else {
        Err(format!("{x} is out of range: {}", describe(check)))
    }
}

fn describe(check: Check) -> String {
    match check {
        Check::NonNegative => "must be 0 or more".into(),
        Check::Positive => "must be more than 0".into(),
        Check::Share => "must be between 0 and 1".into(),
        Check::Rate => "must be more than -1 (an annual rate)".into(),
        Check::Correlation => "must be between -1 and 1".into(),
        Check::AtLeast(lo) => format!("must be a whole number of at least {lo}"),
        Check::Between(lo, hi) => format!("must be a whole number from {lo} to {hi}"),
        Check::Season => "must be 12 monthly factors, each 0 or more".into(),
        Check::Text => "must be text".into(),
        Check::Name => "must be lowercase letters, digits, '-' and '_'".into(),
    }
}

fn check_int(x: i64, check: Check) -> Result<i64, String> {
    let ok = match check {
        Check::AtLeast(lo) => x >= lo,
        Check::Between(lo, hi) => (lo..=hi).contains(&x),
        _ => true,
    };
    if ok {
        Ok(x)
    } else {
        Err(format!("{x} is out of range: {}", describe(check)))
    }
}

impl Param for f64 {
    type Raw = f64;
    fn from_raw(raw: &f64, check: Check) -> Result<f64, String> {
        check_f64(*raw, check)
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::Float(*self)
    }
}

impl Param for u32 {
    type Raw = i64;
    fn from_raw(raw: &i64, check: Check) -> Result<u32, String> {
        let x = check_int(*raw, check)?;
        u32::try_from(x).map_err(|_| format!("{x} is out of range: must be from 0 to {}", u32::MAX))
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::Integer(i64::from(*self))
    }
}

impl Param for u64 {
    type Raw = i64;
    fn from_raw(raw: &i64, check: Check) -> Result<u64, String> {
        let x = check_int(*raw, check)?;
        u64::try_from(x).map_err(|_| format!("{x} is out of range: must be 0 or more"))
    }
    fn to_toml(&self) -> toml::Value {
        // Seeds above i64::MAX cannot come from TOML, so this never saturates in practice.
        toml::Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for [f64; 12] {
    type Raw = Vec<f64>;
    fn from_raw(raw: &Vec<f64>, check: Check) -> Result<[f64; 12], String> {
        let values: [f64; 12] = raw
            .as_slice()
            .try_into()
            .map_err(|_| format!("has {} values: {}", raw.len(), describe(Check::Season)))?;
        for (month, &x) in values.iter().enumerate() {
            check_f64(x, Check::NonNegative).map_err(|e| format!("month {}: {e}", month + 1))?;
        }
        debug_assert_eq!(check, Check::Season);
        Ok(values)
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::Array(self.iter().map(|&x| toml::Value::Float(x)).collect())
    }
}

impl Param for String {
    type Raw = String;
    fn from_raw(raw: &String, check: Check) -> Result<String, String> {
        if check == Check::Name {
            check_name(raw)?;
        }
        Ok(raw.clone())
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::String(self.clone())
    }
}

/// Names become folder names and CSV cells: keep them to a safe alphabet.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid name: use 1 to 64 lowercase letters, digits, '-' and '_'"
        ))
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Scenario,
    Default,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Scenario => "scenario",
            Origin::Default => "default",
        }
    }
}

/// One resolved key, for `telur check` and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub key: String,
    pub value: toml::Value,
    pub origin: Origin,
}

/// Checks values and records where each came from; collects errors.
pub struct Resolver<'a> {
    file: &'a str,
    text: &'a str,
    pub resolved: Vec<Resolved>,
    pub errors: Vec<InputError>,
}

impl<'a> Resolver<'a> {
    /// `file` and `text` are the scenario's name and contents, for line numbers.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Resolver {
            file,
            text,
            resolved: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    /// An error at a place in the scenario file.
    pub fn error_at(&mut self, span: Option<std::ops::Range<usize>>, key: &str, message: String) {
        let line = span.map(|s| self.line(s));
        self.errors
            .push(InputError::new(self.file, message).at_line(line).key(key));
    }

    /// Resolves a key from the scenario, else the defaults.
    pub fn take<T: Param>(
        &mut self,
        key: &str,
        scenario: Option<&Spanned<T::Raw>>,
        defaults: Option<&Spanned<T::Raw>>,
        check: Check,
    ) -> T {
        self.take_with_flag(key, None, scenario, defaults, check)
    }

    /// Resolves a key from the scenario, else a fixed default.
    pub fn take_or<T: Param>(
        &mut self,
        key: &str,
        scenario: Option<&Spanned<T::Raw>>,
        default: T::Raw,
        check: Check,
    ) -> T {
        let default = Spanned::new(0..0, default);
        self.take_with_flag(key, None, scenario, Some(&default), check)
    }

    /// Resolves a key from a flag, else the scenario, else the defaults.
    pub fn take_with_flag<T: Param>(
        &mut self,
        key: &str,
        flag: Option<(&str, T::Raw)>,
        scenario: Option<&Spanned<T::Raw>>,
        defaults: Option<&Spanned<T::Raw>>,
        check: Check,
    ) -> T {
        let (result, origin) = if let Some((flag_name, raw)) = &flag {
            match T::from_raw(raw, check) {
                Ok(v) => (Some(v), Origin::Flag),
                Err(message) => {
                    self.errors
                        .push(InputError::new(*flag_name, message).key(key));
                    (None, Origin::Flag)
                }
            }
        } else if let Some(raw) = scenario {
            match T::from_raw(raw.get_ref(), check) {
                Ok(v) => (Some(v), Origin::Scenario),
                Err(message) => {
                    self.error_at(Some(raw.span()), key, message);
                    (None, Origin::Scenario)
                }
            }
        } else if let Some(raw) = defaults {
            match T::from_raw(raw.get_ref(), check) {
                Ok(v) => (Some(v), Origin::Default),
                Err(message) => {
                    self.errors
                        .push(InputError::new("embedded defaults", message).key(key));
                    (None, Origin::Default)
                }
            }
        } else {
            self.errors
                .push(InputError::new(self.file, "is required and has no default").key(key));
            (None, Origin::Default)
        };
        match result {
            Some(value) => {
                self.resolved.push(Resolved {
                    key: key.to_string(),
                    value: value.to_toml(),
                    origin,
                });
                value
            }
            None => T::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanned<T>(v: T) -> Spanned<T> {
        Spanned::new(6..7, v)
    }

    #[test]
    fn scenario_beats_default_and_flag_beats_both() {
        let text = "x = 1\ny = 2\n";
        let mut r = Resolver::new("s.toml", text);
        let a: f64 = r.take(
            "k.a",
            Some(&spanned(2.0)),
            Some(&spanned(1.0)),
            Check::NonNegative,
        );
        let b: f64 = r.take("k.b", None, Some(&spanned(1.0)), Check::NonNegative);
        let c: u32 = r.take_with_flag(
            "weeks",
            Some(("--weeks", 5)),
            Some(&spanned(3)),
            None,
            Check::AtLeast(1),
        );
        assert_eq!((a, b, c), (2.0, 1.0, 5));
        let origins: Vec<_> = r.resolved.iter().map(|x| x.origin).collect();
        assert_eq!(origins, [Origin::Scenario, Origin::Default, Origin::Flag]);
        assert!(r.errors.is_empty());
    }

    #[test]
    fn out_of_range_value_names_file_line_key_and_range() {
        let text = "a = 1\nshare = 1.5\n";
        let mut r = Resolver::new("s.toml", text);
        let _: f64 = r.take("kube.retain_share", Some(&spanned(1.5)), None, Check::Share);
        assert_eq!(
            r.errors[0].to_string(),
            "s.toml:2: kube.retain_share: 1.5 is out of range: must be between 0 and 1"
        );
    }

    #[test]
    fn non_finite_and_negative_counts_are_refused() {
        let mut r = Resolver::new("s.toml", "");
        let _: f64 = r.take("m.x", Some(&spanned(f64::NAN)), None, Check::NonNegative);
        let _: u32 = r.take("f.hens", Some(&spanned(-3)), None, Check::AtLeast(1));
        let _: [f64; 12] = r.take(
            "m.season",
            Some(&spanned(vec![1.0; 11])),
            None,
            Check::Season,
        );
        let msgs: Vec<_> = r.errors.iter().map(|e| e.message.clone()).collect();
        assert_eq!(msgs[0], "NaN is not a finite number");
        assert_eq!(
            msgs[1],
            "-3 is out of range: must be a whole number of at least 1"
        );
        assert!(msgs[2].starts_with("has 11 values"), "{}", msgs[2]);
    }

    #[test]
    fn names_are_a_safe_alphabet() {
        assert!(check_name("kube-bekerja_2").is_ok());
        for bad in ["", "Batam", "a/b", "..", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
    }
}
