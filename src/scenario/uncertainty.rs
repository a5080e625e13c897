//! Which parameters are uncertain and over what ranges: the embedded `ranges.toml`, as the
//! scenario's `uncertainty` key turns it on and its table narrows, widens, fixes or adds
//! ranges.
//!
//! ```toml
//! uncertainty = true                  # every range of ranges.toml, as published
//!
//! [uncertainty]                       # or a table: on unless `enabled = false`
//! "flock.production_factor" = { low = 0.75, high = 0.85 }   # narrow (or widen) a range
//! "market.farmgate_share" = false                          # fix: no longer uncertain
//! "flock.hens_per_kube" = { low = 400, high = 600 }        # add one ranges.toml leaves out
//! ```
//!
//! `[uncertainty."flock.production_factor"]` and `[uncertainty.flock.production_factor]`
//! tables are the same as the inline form.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::read::{Node, Reader, describe, get};
use crate::data::RANGES_TOML;
use crate::model::params::{Check, Kind};
use crate::model::uncertainty::{Home, UncertainParam, home_of};
use crate::model::{Design, Uncertainty};

/// One range of the embedded `ranges.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRange {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub basis: String,
}

/// The embedded ranges, in file order.
pub fn published() -> Vec<PublishedRange> {
    let doc = DeTable::parse(RANGES_TOML).expect("embedded ranges.toml parses (tested)");
    let mut out = Vec::new();
    for (table, entries) in doc.get_ref().iter() {
        let DeValue::Table(entries) = entries.get_ref() else {
            continue;
        };
        for (key, range) in entries.iter() {
            let DeValue::Table(range) = range.get_ref() else {
                continue;
            };
            let number = |k: &str| match get(range, k).map(|n| n.get_ref()) {
                Some(DeValue::Float(f)) => f.as_str().parse().ok(),
                Some(DeValue::Integer(i)) => i.as_str().parse().ok(),
                _ => None,
            };
            let basis = match get(range, "basis").map(|n| n.get_ref()) {
                Some(DeValue::String(s)) => s.to_string(),
                _ => String::new(),
            };
            if let (Some(low), Some(high)) = (number("low"), number("high")) {
                out.push(PublishedRange {
                    key: format!("{}.{}", table.get_ref(), key.get_ref()),
                    low,
                    high,
                    basis,
                });
            }
        }
    }
    out
}

/// What the scenario asks for one parameter.
enum Ask {
    Range { low: f64, high: f64 },
    Fixed,
}

/// Reads `uncertainty` (a boolean or a table) and the `--uncertainty` flag: whether each
/// replicate draws the uncertain parameters, and their ranges (which sensitivity analysis
/// uses either way). Errors are recorded in `r`.
pub fn read(
    r: &mut Reader,
    doc: &DeTable,
    flag: Option<bool>,
    designs: &[(&Design, Vec<String>)],
) -> Option<(bool, Uncertainty)> {
    let node = get(doc, "uncertainty");
    let (enabled, table) = match node.map(|n| n.get_ref()) {
        None => (false, None),
        Some(DeValue::Boolean(b)) => (*b, None),
        Some(DeValue::Table(t)) => {
            let enabled = match get(t, "enabled").map(|n| (n, n.get_ref())) {
                None => true,
                Some((_, DeValue::Boolean(b))) => *b,
                Some((n, other)) => {
                    r.error(
                        Some(n.span()),
                        "uncertainty.enabled",
                        format!("expected true or false, found {}", describe(other)),
                    );
                    true
                }
            };
            (enabled, Some(t))
        }
        Some(other) => {
            r.error(
                node.map(Node::span),
                "uncertainty",
                format!(
                    "expected true, false or a table of ranges, found {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let asks = table.map(|t| asks(r, t)).unwrap_or_default();
    r.record(
        "uncertainty",
        toml::Value::Boolean(flag.unwrap_or(enabled)),
        if flag.is_some() {
            super::read::Origin::Flag
        } else if node.is_some() {
            super::read::Origin::Scenario
        } else {
            super::read::Origin::Default
        },
    );
    let enabled = flag.unwrap_or(enabled);
    let mut parameters: Vec<(UncertainParam, Kind)> = Vec::new();
    for p in published() {
        let (home, kind) = home_of(&p.key).expect("ranges.toml names parameters (tested)");
        parameters.push((
            UncertainParam {
                key: p.key,
                low: p.low,
                high: p.high,
                whole: kind == Kind::Whole,
                home,
                basis: p.basis,
            },
            kind,
        ));
    }
    for (key, (span, ask)) in asks {
        let Some((home, kind)) = home_of(&key) else {
            unknown_parameter(r, span, &key);
            continue;
        };
        let existing = parameters.iter().position(|(p, _)| p.key == key);
        match (ask, existing) {
            (Ask::Fixed, Some(i)) => {
                parameters.remove(i);
            }
            (Ask::Fixed, None) => {}
            (Ask::Range { low, high }, existing) => {
                if !check_range(r, &span, &key, kind, low, high) {
                    continue;
                }
                let p = UncertainParam {
                    key: key.clone(),
                    low,
                    high,
                    whole: kind == Kind::Whole,
                    home,
                    basis: "the scenario's [uncertainty] table".into(),
                };
                match existing {
                    Some(i) => parameters[i].0 = p,
                    None => parameters.push((p, kind)),
                }
            }
        }
    }
    let parameters: Vec<UncertainParam> = parameters.into_iter().map(|(p, _)| p).collect();
    check_ages(r, &parameters, designs);
    let own = designs
        .iter()
        .map(|(_, own_keys)| {
            parameters
                .iter()
                .enumerate()
                .filter(|(_, p)| p.home == Home::Design && own_keys.contains(&p.key))
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    Some((enabled, Uncertainty { parameters, own }))
}

fn unknown_parameter(r: &mut Reader, span: Range<usize>, key: &str) {
    let known: Vec<String> = published().into_iter().map(|p| p.key).collect();
    let hint = super::read::closest(key, known.iter().map(String::as_str))
        .map(|k| format!(" (did you mean \"{k}\"?)"))
        .unwrap_or_default();
    r.error(
        Some(span),
        &format!("uncertainty.\"{key}\""),
        format!(
            "unknown parameter \"{key}\"{hint}; name a number of [market], [flock], [kube], [household], [program] or [stochastic] as table.key"
        ),
    );
}

/// The scenario's asks, by parameter key, from either form of the table.
fn asks(r: &mut Reader, table: &DeTable) -> BTreeMap<String, (Range<usize>, Ask)> {
    let mut out = BTreeMap::new();
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if name == "enabled" {
            continue;
        }
        if name.contains('.') {
            if let Some(ask) = ask(r, name, value) {
                out.insert(name.to_string(), (value.span(), ask));
            }
            continue;
        }
        // `[uncertainty.flock] production_factor = { .. }`: one level deeper.
        match value.get_ref() {
            DeValue::Table(inner) if !is_range(inner) => {
                for (k, v) in inner.iter() {
                    let full = format!("{name}.{}", k.get_ref());
                    if let Some(ask) = ask(r, &full, v) {
                        out.insert(full, (v.span(), ask));
                    }
                }
            }
            _ => unknown_parameter(r, key.span(), name),
        }
    }
    out
}

fn is_range(t: &DeTable) -> bool {
    ["low", "high", "fixed"].iter().any(|k| get(t, k).is_some())
}

/// One parameter's ask: `false`, `{ fixed = true }` or `{ low = .., high = .. }`.
fn ask(r: &mut Reader, key: &str, node: &Node) -> Option<Ask> {
    let path = format!("uncertainty.\"{key}\"");
    match node.get_ref() {
        DeValue::Boolean(false) => Some(Ask::Fixed),
        DeValue::Table(t) => {
            if let Some(fixed) = get(t, "fixed") {
                return match fixed.get_ref() {
                    DeValue::Boolean(true) => Some(Ask::Fixed),
                    other => {
                        r.error(
                            Some(fixed.span()),
                            &format!("{path}.fixed"),
                            format!(
                                "expected true (the parameter keeps its value), found {}",
                                describe(other)
                            ),
                        );
                        None
                    }
                };
            }
            let known = ["low", "high"];
            r.refuse_unknown(&path, t, &known, &|_| None);
            let number = |r: &mut Reader, k: &str| -> Option<f64> {
                let Some(n) = get(t, k) else {
                    r.error(
                        Some(node.span()),
                        &format!("{path}.{k}"),
                        "is required: a range is { low = .., high = .. }",
                    );
                    return None;
                };
                let x = super::read::real(n.get_ref()).filter(|x| x.is_finite());
                if x.is_none() {
                    r.error(
                        Some(n.span()),
                        &format!("{path}.{k}"),
                        format!("expected a finite number, found {}", describe(n.get_ref())),
                    );
                }
                x
            };
            let low = number(r, "low");
            let high = number(r, "high");
            Some(Ask::Range {
                low: low?,
                high: high?,
            })
        }
        other => {
            r.error(
                Some(node.span()),
                &path,
                format!(
                    "expected a range {{ low = .., high = .. }} or false (fixed), found {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// A range must be ordered and inside the parameter's allowed values.
fn check_range(
    r: &mut Reader,
    span: &Range<usize>,
    key: &str,
    kind: Kind,
    low: f64,
    high: f64,
) -> bool {
    let path = format!("uncertainty.\"{key}\"");
    if low > high {
        r.error(
            Some(span.clone()),
            &path,
            format!("low ({low}) is above high ({high})"),
        );
        return false;
    }
    let check = spec_check(key);
    for (end, x) in [("low", low), ("high", high)] {
        if kind == Kind::Whole && x.fract() != 0.0 {
            r.error(
                Some(span.clone()),
                &format!("{path}.{end}"),
                format!("{x} is not a whole number, and {key} is counted in whole numbers"),
            );
            return false;
        }
        if !check.allows(x) {
            r.error(
                Some(span.clone()),
                &format!("{path}.{end}"),
                format!("{x} is outside what {key} may be: it {}", check.describe()),
            );
            return false;
        }
    }
    true
}

/// The range check of a parameter key.
fn spec_check(key: &str) -> Check {
    let (table, name) = key.split_once('.').unwrap_or(("", key));
    super::keys::PARAM_TABLES
        .iter()
        .find(|(t, _)| *t == table)
        .and_then(|(_, keys)| keys.iter().find(|k| k.name == name))
        .map_or(Check::NonNegative, |k| k.check)
}

/// Drawn ages must keep every flock's cull age above its placement age.
fn check_ages(r: &mut Reader, parameters: &[UncertainParam], designs: &[(&Design, Vec<String>)]) {
    let range = |key: &str| parameters.iter().find(|p| p.key == key);
    let (cull, placement) = (
        range("flock.cull_age_weeks"),
        range("flock.placement_age_weeks"),
    );
    if cull.is_none() && placement.is_none() {
        return;
    }
    for (design, _) in designs {
        let lowest_cull = cull.map_or(f64::from(design.flock.cull_age_weeks), |p| p.low);
        let highest_placement =
            placement.map_or(f64::from(design.flock.placement_age_weeks), |p| p.high);
        if lowest_cull <= highest_placement {
            r.error(
                None,
                "uncertainty",
                format!(
                    "the ranges let flock.cull_age_weeks ({lowest_cull}) fall to or below flock.placement_age_weeks ({highest_placement}); a flock must be culled after it is placed"
                ),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_range_names_a_parameter_holds_its_default_and_is_allowed() {
        let ranges = published();
        assert!(ranges.len() >= 40, "{}", ranges.len());
        let s = crate::scenario::Scenario::load(
            &crate::scenario::Source::builtin_default(),
            &crate::scenario::Overrides::default(),
        )
        .unwrap();
        for p in ranges {
            let (_, kind) = home_of(&p.key).unwrap_or_else(|| panic!("{}", p.key));
            let check = spec_check(&p.key);
            assert!(p.low <= p.high, "{}", p.key);
            assert!(check.allows(p.low) && check.allows(p.high), "{}", p.key);
            if kind == Kind::Whole {
                assert!(p.low.fract() == 0.0 && p.high.fract() == 0.0, "{}", p.key);
            }
            let default = crate::model::uncertainty::value_of(&s.world, &s.design, &p.key).unwrap();
            assert!(
                (p.low..=p.high).contains(&default),
                "{}: default {default} outside {}..{}",
                p.key,
                p.low,
                p.high
            );
            assert!(!p.basis.is_empty(), "{} has a basis", p.key);
        }
    }
}
