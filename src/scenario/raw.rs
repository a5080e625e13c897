//! The serde mirror of a scenario file (MODEL.md section 8).
//!
//! Every key is optional and keeps its span, so validation can name the line of a bad
//! value; unknown keys are refused by serde with the line of the key. These types exist
//! only at the boundary: validation turns them into [`super::Scenario`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::params::{RawFlock, RawHousehold, RawKube, RawMarket, RawProgram, RawStochastic};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    /// A `"YYYY-MM-DD"` string or a TOML date.
    pub start_date: Option<Spanned<toml::Value>>,
    pub weeks: Option<Spanned<i64>>,
    pub replicates: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub regions: Option<Spanned<String>>,
    pub breed: Option<Spanned<String>>,
    pub market: Option<RawMarket>,
    pub flock: Option<RawFlock>,
    pub kube: Option<RawKube>,
    pub household: Option<RawHousehold>,
    pub program: Option<RawProgram>,
    pub stochastic: Option<RawStochastic>,
    pub placement: Option<Vec<Spanned<RawPlacement>>>,
}

/// One `[[placement]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    pub name: Option<Spanned<String>>,
    pub strategy: Option<Spanned<String>>,
    pub allocation: Option<Spanned<BTreeMap<String, Spanned<i64>>>>,
    pub weight: Option<Spanned<String>>,
    pub kubes: Option<Spanned<i64>>,
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    pub start_week: Option<Spanned<i64>>,
    pub rollout_weeks: Option<Spanned<i64>>,
}
