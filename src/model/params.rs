//! The model's parameter tables (`[market]`, `[flock]`, ...), declared once.
//!
//! Each table is written as a list of `key: type = check` lines. From that one list the
//! [`param_table!`] macro generates the struct the model reads and a table of
//! [`KeySpec`]s (name, kind of value, allowed range) through which everything else reaches
//! the keys by name: the scenario reader checks and fills them, `telur check` and the
//! manifest list them, and parameter uncertainty and sensitivity analysis set them. A key
//! therefore cannot exist in a scenario file without a range check, nor in the model
//! without a default (the embedded `defaults.toml` must give every key; a test checks it).

use std::fmt;

/// The allowed values of a parameter.
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
    /// A whole number in this closed range.
    Between(i64, i64),
    /// Twelve monthly factors, each finite and >= 0.
    Season,
    /// One of a fixed set of words (the kind lists them).
    OneOf,
}

impl Check {
    /// The range in words, as error messages end: "must be between 0 and 1".
    pub fn describe(self) -> String {
        match self {
            Check::NonNegative => "must be 0 or more".into(),
            Check::Positive => "must be more than 0".into(),
            Check::Share => "must be between 0 and 1".into(),
            Check::Rate => "must be more than -1 (an annual rate)".into(),
            Check::Correlation => "must be between -1 and 1".into(),
            Check::Between(lo, hi) => format!("must be a whole number from {lo} to {hi}"),
            Check::Season => "must be 12 monthly factors, each 0 or more".into(),
            Check::OneOf => "must be one of the listed words".into(),
        }
    }

    /// Whether a real number is allowed.
    pub fn allows(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Check::NonNegative => x >= 0.0,
                Check::Positive => x > 0.0,
                Check::Share => (0.0..=1.0).contains(&x),
                Check::Rate => x > -1.0,
                Check::Correlation => (-1.0..=1.0).contains(&x),
                Check::Between(lo, hi) => x.fract() == 0.0 && x >= lo as f64 && x <= hi as f64,
                Check::Season | Check::OneOf => true,
            }
    }

    /// Checks a real number, with the range in the message when it is outside.
    pub fn real(self, x: f64) -> Result<f64, String> {
        if !x.is_finite() {
            Err(format!("{x} is not a finite number"))
        } else if self.allows(x) {
            Ok(x)
        } else {
            Err(format!("{x} is out of range: {}", self.describe()))
        }
    }

    /// Checks a whole number.
    pub fn whole(self, x: i64) -> Result<i64, String> {
        match self {
            Check::Between(lo, hi) if !(lo..=hi).contains(&x) => {
                Err(format!("{x} is out of range: {}", self.describe()))
            }
            _ => Ok(x),
        }
    }
}

/// What kind of value a key takes, as written in a scenario file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A number (an integer in the file is read as a number too).
    Real,
    /// A whole number.
    Whole,
    /// A list of 12 numbers, January first.
    Months,
    /// One of these words.
    Word(&'static [&'static str]),
}

impl Kind {
    /// What the kind expects, for type errors: "a whole number".
    pub fn expected(self) -> String {
        match self {
            Kind::Real => "a number".into(),
            Kind::Whole => "a whole number".into(),
            Kind::Months => "a list of 12 numbers".into(),
            Kind::Word(words) => format!(
                "one of {}",
                words
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A parameter's value, whatever its type: what the scenario reader produces and what
/// uncertainty and sensitivity analysis set.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Real(f64),
    Whole(i64),
    Months([f64; 12]),
    Word(&'static str),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Real(x) => write!(f, "{x}"),
            Value::Whole(x) => write!(f, "{x}"),
            Value::Months(m) => {
                let parts: Vec<String> = m.iter().map(f64::to_string).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Value::Word(w) => write!(f, "\"{w}\""),
        }
    }
}

/// A type a parameter can have.
pub trait ParamType: Sized + Copy {
    const KIND: Kind;
    /// The value, checked against its range.
    fn from_value(v: &Value, check: Check) -> Result<Self, String>;
    fn to_value(self) -> Value;
}

impl ParamType for f64 {
    const KIND: Kind = Kind::Real;
    fn from_value(v: &Value, check: Check) -> Result<f64, String> {
        match *v {
            Value::Real(x) => check.real(x),
            Value::Whole(x) => check.real(x as f64),
            _ => Err(format!("expected {}", Self::KIND.expected())),
        }
    }
    fn to_value(self) -> Value {
        Value::Real(self)
    }
}

impl ParamType for u32 {
    const KIND: Kind = Kind::Whole;
    fn from_value(v: &Value, check: Check) -> Result<u32, String> {
        let x = match *v {
            Value::Whole(x) => x,
            // Sampled values (uncertainty, sensitivity) arrive as reals: nearest whole number.
            Value::Real(x) if x.is_finite() => x.round() as i64,
            _ => return Err(format!("expected {}", Self::KIND.expected())),
        };
        let x = check.whole(x)?;
        u32::try_from(x).map_err(|_| format!("{x} is out of range: must be from 0 to {}", u32::MAX))
    }
    fn to_value(self) -> Value {
        Value::Whole(i64::from(self))
    }
}

impl ParamType for [f64; 12] {
    const KIND: Kind = Kind::Months;
    fn from_value(v: &Value, _: Check) -> Result<[f64; 12], String> {
        match v {
            Value::Months(m) => {
                for (month, &x) in m.iter().enumerate() {
                    Check::NonNegative
                        .real(x)
                        .map_err(|e| format!("month {}: {e}", month + 1))?;
                }
                Ok(*m)
            }
            _ => Err(format!("expected {}", Self::KIND.expected())),
        }
    }
    fn to_value(self) -> Value {
        Value::Months(self)
    }
}

/// How a KUBE pays its members (MODEL.md 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutRule {
    /// Pay out a share of operating profit (what groups do untaught).
    Profit,
    /// Pay out a share of profit beyond the flock's loss of value, so what the group keeps
    /// can buy the next flock.
    Replacement,
}

impl PayoutRule {
    pub const WORDS: &[&str] = &["profit", "replacement"];

    pub fn name(self) -> &'static str {
        Self::WORDS[self as usize]
    }
}

impl ParamType for PayoutRule {
    const KIND: Kind = Kind::Word(Self::WORDS);
    fn from_value(v: &Value, _: Check) -> Result<PayoutRule, String> {
        match v {
            Value::Word("profit") => Ok(PayoutRule::Profit),
            Value::Word("replacement") => Ok(PayoutRule::Replacement),
            _ => Err(format!("expected {}", Self::KIND.expected())),
        }
    }
    fn to_value(self) -> Value {
        Value::Word(self.name())
    }
}

/// One key of a parameter table.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub name: &'static str,
    pub kind: Kind,
    pub check: Check,
}

/// A table of parameters reachable by key.
pub trait ParamTable: Sized + Clone {
    /// The table's name in a scenario file: `flock`.
    const SECTION: &'static str;
    const KEYS: &'static [KeySpec];
    /// Builds the table from one value per key, in [`Self::KEYS`] order, checking each.
    fn from_values(values: &[Value]) -> Result<Self, String>;
    /// The value of a key (`None`: not a key of this table).
    fn get(&self, key: &str) -> Option<Value>;
    /// Sets a key, checking the value; an unknown key is an error.
    fn set(&mut self, key: &str, value: &Value) -> Result<(), String>;
}

macro_rules! param_table {
    (
        $(#[$meta:meta])*
        $section:literal => $Params:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $check:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $Params {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl ParamTable for $Params {
            const SECTION: &'static str = $section;
            const KEYS: &'static [KeySpec] = &[
                $( KeySpec { name: stringify!($field), kind: <$ty as ParamType>::KIND, check: $check }, )*
            ];

            fn from_values(values: &[Value]) -> Result<Self, String> {
                let mut values = values.iter();
                Ok(Self {
                    $( $field: <$ty as ParamType>::from_value(
                        values.next().ok_or(concat!("no value for ", $section, ".", stringify!($field)))?,
                        $check,
                    ).map_err(|e| format!(concat!($section, ".", stringify!($field), ": {}"), e))?, )*
                })
            }

            fn get(&self, key: &str) -> Option<Value> {
                match key {
                    $( stringify!($field) => Some(self.$field.to_value()), )*
                    _ => None,
                }
            }

            fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
                match key {
                    $( stringify!($field) => self.$field = <$ty as ParamType>::from_value(value, $check)?, )*
                    _ => return Err(format!("{key} is not a key of [{}]", $section)),
                }
                Ok(())
            }
        }
    };
}

param_table! {
    /// Egg and feed markets (MODEL.md 4.1).
    "market" => MarketParams {
        /// Consumer egg price at the national reference market, Rp/kg, at t = 0.
        hub_egg_price_rp_per_kg: f64 = Check::NonNegative,
        /// Complete layer feed price at the hub, Rp/kg, at t = 0.
        hub_feed_price_rp_per_kg: f64 = Check::NonNegative,
        /// Self-sufficiency band over which the price moves from import to export parity.
        price_band_width: f64 = Check::Positive,
        /// Share of the consumer price a farmer receives.
        farmgate_share: f64 = Check::Share,
        /// Annual growth of food prices: the price index `g(t)` of every rupiah parameter
        /// of `[flock]`, `[kube]` and `capex_rp_per_kube`.
        food_inflation: f64 = Check::Rate,
        /// Annual growth of the feed price.
        feed_inflation: f64 = Check::Rate,
        /// Monthly multipliers of egg demand, January first.
        demand_season: [f64; 12] = Check::Season,
        /// Monthly multipliers of the hub egg price, January first.
        price_season: [f64; 12] = Check::Season,
    }
}

param_table! {
    /// One KUBE's flock (MODEL.md 4.3).
    "flock" => FlockParams {
        /// Hens placed at the start and at a full restock (H0).
        hens_per_kube: u32 = Check::Between(1, 10_000_000),
        placement_age_weeks: u32 = Check::Between(0, 10_000),
        cull_age_weeks: u32 = Check::Between(1, 10_000),
        rest_weeks: u32 = Check::Between(0, 10_000),
        /// Multiplies the breed's hen-day rate.
        production_factor: f64 = Check::NonNegative,
        /// Multiplies the breed's weekly mortality.
        mortality_factor: f64 = Check::NonNegative,
        /// Premium of this flock's eggs over the region's layer-egg price.
        egg_price_factor: f64 = Check::NonNegative,
        vet_cost_rp_per_hen_week: f64 = Check::NonNegative,
        fixed_cost_rp_per_kube_week: f64 = Check::NonNegative,
        /// Packaging per kg of eggs sold (trays, bags).
        tray_cost_rp_per_kg: f64 = Check::NonNegative,
        pullet_price_rp: f64 = Check::Positive,
        spent_hen_price_rp: f64 = Check::NonNegative,
    }
}

param_table! {
    /// The farmer group's money (MODEL.md 4.3).
    "kube" => KubeParams {
        /// Member households (M).
        members: u32 = Check::Between(1, 1_000_000),
        /// Cash handed over at the start and kept through restocking (C0).
        working_capital_rp: f64 = Check::NonNegative,
        /// Cash above this is paid out to members (R).
        reserve_target_rp: f64 = Check::NonNegative,
        /// Share of a positive operating profit kept in the KUBE.
        retain_share: f64 = Check::Share,
        /// What is paid out: operating profit, or profit beyond the flock's loss of value.
        payout_rule: PayoutRule = Check::OneOf,
        /// A restock smaller than this share of H0 closes the KUBE.
        min_restock_fraction: f64 = Check::Share,
    }
}

param_table! {
    /// Member households (MODEL.md 4.4).
    "household" => HouseholdParams {
        /// Baseline income as a share of the household's poverty line.
        baseline_income_ratio: f64 = Check::NonNegative,
        /// Spread of log baseline income across households.
        income_dispersion_sigma: f64 = Check::NonNegative,
        income_growth: f64 = Check::Rate,
        poverty_line_growth: f64 = Check::Rate,
        /// Smoothed income must reach this multiple of the line to count as above it.
        graduation_threshold: f64 = Check::NonNegative,
        /// Consecutive weeks above the line needed to graduate.
        graduation_weeks: u32 = Check::Between(1, 10_000),
        /// Span of the exponential moving average, alpha = 2 / (span + 1).
        smoothing_weeks: u32 = Check::Between(1, 10_000),
        /// Other earnings a member gives up in a week its KUBE's flock is laying, Rp at
        /// t = 0 (grows with `income_growth`).
        forgone_rp_per_member_week: f64 = Check::NonNegative,
    }
}

param_table! {
    /// What the programme pays (MODEL.md 4.5).
    "program" => ProgramParams {
        capex_rp_per_kube: f64 = Check::NonNegative,
        /// Not inflated.
        mentoring_rp_per_kube_week: f64 = Check::NonNegative,
        /// Scenario-wide: how every placement's results are weighed.
        discount_rate: f64 = Check::Rate,
    }
}

param_table! {
    /// Shocks of the stochastic model (MODEL.md 5).
    "stochastic" => StochasticParams {
        management_sigma_production: f64 = Check::NonNegative,
        management_sigma_mortality: f64 = Check::NonNegative,
        outbreak_prob_week: f64 = Check::Share,
        wave_prob_week: f64 = Check::Share,
        wave_weeks: u32 = Check::Between(0, 10_000),
        wave_outbreak_prob_week: f64 = Check::Share,
        outbreak_mortality_mean: f64 = Check::Share,
        outbreak_mortality_concentration: f64 = Check::Positive,
        outbreak_production_drop: f64 = Check::Share,
        outbreak_weeks: u32 = Check::Between(0, 10_000),
        egg_price_rho: f64 = Check::Correlation,
        egg_price_sigma: f64 = Check::NonNegative,
        feed_price_rho: f64 = Check::Correlation,
        feed_price_sigma: f64 = Check::NonNegative,
        egg_feed_correlation: f64 = Check::Correlation,
        income_rho: f64 = Check::Correlation,
        income_sigma: f64 = Check::NonNegative,
    }
}

/// The tables a placement may give its own values for (MODEL.md 8): its programme design.
pub const DESIGN_TABLES: [&str; 3] = [FlockParams::SECTION, KubeParams::SECTION, "program"];

/// Keys of the design tables that stay scenario-wide.
pub const SCENARIO_WIDE_KEYS: [&str; 1] = ["program.discount_rate"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_reached_by_name_and_checked() {
        let values: Vec<Value> = KubeParams::KEYS
            .iter()
            .map(|k| match k.kind {
                Kind::Whole => Value::Whole(10),
                Kind::Word(words) => Value::Word(words[0]),
                _ => Value::Real(0.5),
            })
            .collect();
        let mut kube = KubeParams::from_values(&values).unwrap();
        assert_eq!(kube.members, 10);
        assert_eq!(kube.get("retain_share"), Some(Value::Real(0.5)));
        kube.set("retain_share", &Value::Real(0.25)).unwrap();
        assert_eq!(kube.retain_share, 0.25);
        assert_eq!(
            kube.set("retain_share", &Value::Real(1.5)).unwrap_err(),
            "1.5 is out of range: must be between 0 and 1"
        );
        assert!(kube.set("hens", &Value::Real(1.0)).is_err());
        // A sampled whole number is rounded; a whole number's range still applies.
        kube.set("members", &Value::Real(6.6)).unwrap();
        assert_eq!(kube.members, 7);
        assert!(kube.set("members", &Value::Real(0.2)).is_err());
    }

    #[test]
    fn checks_describe_their_range() {
        assert!(
            Check::Share
                .real(1.5)
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(Check::Positive.real(0.0).is_err());
        assert!(Check::Rate.real(-1.0).is_err());
        assert!(
            Check::NonNegative
                .real(f64::NAN)
                .unwrap_err()
                .contains("finite")
        );
        assert!(Check::Between(1, 5).whole(6).is_err());
        assert_eq!(
            PayoutRule::from_value(&Value::Word("profits"), Check::OneOf).unwrap_err(),
            "expected one of \"profit\", \"replacement\""
        );
    }
}
