//! The scenario's `[optimize]` table: the settings of `telur optimize`, each of which a
//! flag can override.
//!
//! ```toml
//! [optimize]
//! budget_kubes = 300                 # or budget_rp = 25e9 (the design's programme cost)
//! objective = "attributable_graduates"   # or { attributable_graduates = 0.7, deficit_reduction_kg = 0.3 }
//! design = "batam-sulawesi"          # the placement whose design is kept (default: the first)
//! regions = ["Kepulauan Riau", "Gorontalo", "Papua"]   # candidates (default: all)
//! step_kubes = 10
//! replicates = 50                    # per evaluation of the search
//! min = { "Kepulauan Riau" = 20 }
//! max = { "Papua" = 60 }
//! ```

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::optimize::objective_metric;

use super::read::{Node, Reader, describe, get};
use crate::data::{RegionId, Regions};
use crate::model::params::Check;

/// One term of an objective: a summary metric where more is better, and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Index of a summary metric ([`crate::optimize::OBJECTIVES`]).
    pub metric: usize,
    pub weight: f64,
}

/// What the scenario's `[optimize]` table sets (each `None` where it is silent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimizeTable {
    pub budget_kubes: Option<u32>,
    pub budget_rp: Option<f64>,
    pub objective: Option<Vec<Term>>,
    pub design: Option<String>,
    pub regions: Option<Vec<RegionId>>,
    pub step_kubes: Option<u32>,
    pub replicates: Option<u32>,
    /// Per region: the fewest and the most KUBE the search may give it.
    pub min: Vec<(RegionId, u32)>,
    pub max: Vec<(RegionId, u32)>,
    /// Where each key's value is in the scenario, for messages about combinations.
    pub spans: Vec<(String, Range<usize>)>,
}

impl OptimizeTable {
    /// Where the scenario wrote `key`'s value.
    pub fn span(&self, key: &str) -> Option<Range<usize>> {
        self.spans
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.clone())
    }
}

const KEYS: [&str; 9] = [
    "budget_kubes",
    "budget_rp",
    "objective",
    "design",
    "regions",
    "step_kubes",
    "replicates",
    "min",
    "max",
];

/// Reads `[optimize]`; `placements` are the scenario's placement names (a design must be one).
pub fn read(
    r: &mut Reader,
    doc: &DeTable,
    regions: &Regions,
    placements: &[String],
) -> Option<OptimizeTable> {
    let node = get(doc, "optimize")?;
    let DeValue::Table(t) = node.get_ref() else {
        r.error(
            Some(node.span()),
            "optimize",
            format!(
                "must be a table [optimize], found {}",
                describe(node.get_ref())
            ),
        );
        return None;
    };
    r.refuse_unknown("optimize", t, &KEYS, &|_| None);
    let whole = |r: &mut Reader, key: &str| {
        get(t, key).and_then(|n| {
            r.whole_value(
                &format!("optimize.{key}"),
                n,
                Check::Between(1, i64::from(u32::MAX)),
            )
            .map(|x| x as u32)
        })
    };
    let mut out = OptimizeTable {
        budget_kubes: whole(r, "budget_kubes"),
        step_kubes: whole(r, "step_kubes"),
        replicates: whole(r, "replicates"),
        spans: t
            .iter()
            .map(|(k, v)| (k.get_ref().to_string(), v.span()))
            .collect(),
        ..OptimizeTable::default()
    };
    if let Some(n) = get(t, "budget_rp") {
        match super::read::real(n.get_ref()).filter(|x| x.is_finite() && *x > 0.0) {
            Some(x) => out.budget_rp = Some(x),
            None => r.error(
                Some(n.span()),
                "optimize.budget_rp",
                format!("expected rupiah above 0, found {}", describe(n.get_ref())),
            ),
        }
    }
    if out.budget_kubes.is_some() && out.budget_rp.is_some() {
        r.error(
            get(t, "budget_rp").map(Node::span),
            "optimize.budget_rp",
            "give one budget: budget_kubes or budget_rp, not both",
        );
    }
    out.objective = get(t, "objective").and_then(|n| objective(r, n));
    if let Some(n) = get(t, "design")
        && let Some(name) = r.text_value("optimize.design", n)
    {
        if placements.contains(&name) {
            out.design = Some(name);
        } else {
            r.error(
                Some(n.span()),
                "optimize.design",
                format!(
                    "{name:?} is not a placement of this scenario; the placements are {}",
                    placements.join(", ")
                ),
            );
        }
    }
    if let Some(n) = get(t, "regions") {
        out.regions = region_list(r, n, regions);
    }
    out.min = counts(r, t, "min", regions);
    out.max = counts(r, t, "max", regions);
    for &(region, lo) in &out.min {
        if let Some(&(_, hi)) = out.max.iter().find(|(q, _)| *q == region)
            && lo > hi
        {
            r.error(
                get(t, "min").map(Node::span),
                &format!("optimize.min.{:?}", regions.get(region).name),
                format!("{lo} is above the maximum {hi} for the same region"),
            );
        }
    }
    Some(out)
}

/// `"metric"` or `{ metric = weight, ... }`.
fn objective(r: &mut Reader, n: &Node) -> Option<Vec<Term>> {
    let metric = |r: &mut Reader, name: &str, span: Range<usize>| match objective_metric(name) {
        Ok(m) => Some(m),
        Err(message) => {
            r.error(Some(span), "optimize.objective", message);
            None
        }
    };
    match n.get_ref() {
        DeValue::String(s) => Some(vec![Term {
            metric: metric(r, s, n.span())?,
            weight: 1.0,
        }]),
        DeValue::Table(t) => {
            let mut terms = Vec::new();
            for (k, v) in t.iter() {
                let m = metric(r, k.get_ref(), k.span());
                match super::read::real(v.get_ref()).filter(|w| w.is_finite() && *w >= 0.0) {
                    Some(weight) => {
                        if let Some(metric) = m {
                            terms.push(Term { metric, weight });
                        }
                    }
                    None => r.error(
                        Some(v.span()),
                        &format!("optimize.objective.{}", k.get_ref()),
                        format!(
                            "expected a weight of 0 or more, found {}",
                            describe(v.get_ref())
                        ),
                    ),
                }
            }
            if t.is_empty() {
                r.error(Some(n.span()), "optimize.objective", "names no metric");
                return None;
            }
            if terms.len() == t.len() && terms.iter().all(|t| t.weight == 0.0) {
                r.error(Some(n.span()), "optimize.objective", "every weight is 0");
                return None;
            }
            (terms.len() == t.len()).then_some(terms)
        }
        other => {
            r.error(
                Some(n.span()),
                "optimize.objective",
                format!(
                    "expected a metric's name or a table of metric = weight, found {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

fn find(
    r: &mut Reader,
    regions: &Regions,
    name: &str,
    span: Range<usize>,
    key: &str,
) -> Option<RegionId> {
    let id = regions.find(name);
    if id.is_none() {
        let hint = super::read::closest(name, regions.regions.iter().map(|x| x.name.as_str()))
            .map(|b| format!(" (did you mean {b:?}?)"))
            .unwrap_or_default();
        r.error(
            Some(span),
            key,
            format!("unknown region {name:?}{hint}; `telur data regions` lists names and codes"),
        );
    }
    id
}

fn region_list(r: &mut Reader, n: &Node, regions: &Regions) -> Option<Vec<RegionId>> {
    let DeValue::Array(items) = n.get_ref() else {
        r.error(
            Some(n.span()),
            "optimize.regions",
            "must be a list of region names, like [\"Gorontalo\", \"Maluku\"]",
        );
        return None;
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let name = r.text_value("optimize.regions", item)?;
        if let Some(id) = find(r, regions, &name, item.span(), "optimize.regions")
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    if out.is_empty() {
        r.error(Some(n.span()), "optimize.regions", "lists no region");
        return None;
    }
    out.sort();
    Some(out)
}

fn counts(r: &mut Reader, t: &DeTable, key: &str, regions: &Regions) -> Vec<(RegionId, u32)> {
    let Some(n) = get(t, key) else {
        return Vec::new();
    };
    let DeValue::Table(entries) = n.get_ref() else {
        r.error(
            Some(n.span()),
            &format!("optimize.{key}"),
            "must be a table of region = KUBE count, like { \"Gorontalo\" = 10 }",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, count) in entries.iter() {
        let k = format!("optimize.{key}.{:?}", name.get_ref());
        let Some(id) = find(r, regions, name.get_ref(), name.span(), &k) else {
            continue;
        };
        if let Some(c) = r.whole_value(&k, count, Check::Between(0, i64::from(u32::MAX))) {
            out.push((id, c as u32));
        }
    }
    out
}
