//! The fully resolved scenario as a TOML file that reproduces the run on its own.
//!
//! Every key is written out with the value the run used, whatever its origin, so the file
//! does not depend on this version's embedded defaults. Placements are written as the
//! explicit KUBE counts they resolved to (with the original strategy in a comment), which
//! gives the same KUBE numbering and start weeks, and with the design keys they set.

use toml::{Table, Value};

use crate::data::{RegionId, Regions};
use crate::results::metrics::summary as sm;
use crate::scenario::optimize::OptimizeTable;
use crate::scenario::{Resolved, Scenario, ValueOrigin};

/// Inserts `section.key = value` (or a top-level `key`) into a table.
fn insert(top: &mut Table, key: &str, value: Value) {
    match key.split_once('.') {
        Some((section, key)) => {
            let table = top
                .entry(section.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(t) = table {
                insert(t, key, value);
            }
        }
        None => {
            top.insert(key.to_string(), value);
        }
    }
}

/// How the resolved scenario names its data files.
pub struct DataNames<'a> {
    pub regions: &'a str,
    pub breed: &'a str,
    /// Each placement's breed, in placement order.
    pub placement_breeds: &'a [String],
}

/// The resolved scenario.
pub fn resolved_toml(s: &Scenario, names: &DataNames) -> String {
    let mut top = Table::new();
    for r in &s.resolved {
        insert(&mut top, &r.key, r.value.clone());
    }
    if let Some(u) = &s.uncertainty {
        top.insert("uncertainty".into(), Value::Table(uncertainty_table(u)));
    }
    if let Some(o) = &s.optimize {
        top.insert(
            "optimize".into(),
            Value::Table(optimize_table(o, &s.world.regions)),
        );
    }
    top.insert("regions".into(), Value::String(names.regions.into()));
    top.insert("breed".into(), Value::String(names.breed.into()));
    let regions = &s.world.regions;
    let placements = s
        .placements
        .iter()
        .zip(&s.placement_sources)
        .enumerate()
        .map(|(i, (p, source))| {
            let mut t = Table::new();
            t.insert("name".into(), Value::String(p.name.clone()));
            t.insert("strategy".into(), Value::String("explicit".into()));
            let allocation: Table = regions
                .ids()
                .filter(|id| p.kubes_per_region[id.index()] > 0)
                .map(|id| {
                    let count = i64::from(p.kubes_per_region[id.index()]);
                    (regions.get(id).name.clone(), Value::Integer(count))
                })
                .collect();
            t.insert("allocation".into(), Value::Table(allocation));
            t.insert("start_week".into(), Value::Integer(i64::from(p.start_week)));
            t.insert(
                "rollout_weeks".into(),
                Value::Integer(i64::from(p.rollout_weeks)),
            );
            let own = |r: &&Resolved| r.origin == ValueOrigin::Placement;
            for r in source.design.iter().filter(own) {
                let value = match (r.key.as_str(), names.placement_breeds.get(i)) {
                    ("breed", Some(name)) => Value::String(name.clone()),
                    _ => r.value.clone(),
                };
                insert(&mut t, &r.key, value);
            }
            Value::Table(t)
        })
        .collect();
    top.insert("placement".into(), Value::Array(placements));
    let strategies: Vec<String> = s
        .placements
        .iter()
        .map(|p| format!("#   {}: {}", p.name, p.strategy.describe()))
        .collect();
    format!(
        "# The scenario \"{}\" as telur {} resolved and ran it: every value explicit,\n\
         # placements as the KUBE counts they came to. Originally:\n{}\n\n{}",
        s.name,
        env!("CARGO_PKG_VERSION"),
        strategies.join("\n"),
        toml::to_string(&top).expect("a table of plain values serialises")
    )
}

/// The uncertain parameters as an explicit `[uncertainty]` table: every range written out,
/// every published range the scenario fixed written `false`, so the file does not depend on
/// this version's embedded ranges.
fn uncertainty_table(u: &crate::model::Uncertainty) -> Table {
    let mut t = Table::new();
    t.insert("enabled".into(), Value::Boolean(true));
    for p in crate::scenario::uncertainty::published() {
        if !u.parameters.iter().any(|q| q.key == p.key) {
            t.insert(p.key, Value::Boolean(false));
        }
    }
    for p in &u.parameters {
        let number = |x: f64| {
            if p.whole {
                Value::Integer(x as i64)
            } else {
                Value::Float(x)
            }
        };
        let mut range = Table::new();
        range.insert("low".into(), number(p.low));
        range.insert("high".into(), number(p.high));
        t.insert(p.key.clone(), Value::Table(range));
    }
    t
}

/// The `[optimize]` table as TOML text, for `telur check`.
pub fn optimize_toml(o: &OptimizeTable, regions: &Regions) -> String {
    toml::to_string(&optimize_table(o, regions)).expect("a table of plain values serialises")
}

/// The `[optimize]` table as the scenario set it.
fn optimize_table(o: &OptimizeTable, regions: &Regions) -> Table {
    let mut t = Table::new();
    let whole = |x: u32| Value::Integer(i64::from(x));
    let name = |id: RegionId| regions.get(id).name.clone();
    if let Some(x) = o.budget_kubes {
        t.insert("budget_kubes".into(), whole(x));
    }
    if let Some(x) = o.budget_rp {
        t.insert("budget_rp".into(), Value::Float(x));
    }
    if let Some(terms) = &o.objective {
        let value = match terms.as_slice() {
            [one] if one.weight == 1.0 => Value::String(sm::NAMES[one.metric].into()),
            _ => Value::Table(
                terms
                    .iter()
                    .map(|term| {
                        (
                            sm::NAMES[term.metric].to_string(),
                            Value::Float(term.weight),
                        )
                    })
                    .collect(),
            ),
        };
        t.insert("objective".into(), value);
    }
    if let Some(d) = &o.design {
        t.insert("design".into(), Value::String(d.clone()));
    }
    if let Some(list) = &o.regions {
        let names = list.iter().map(|&id| Value::String(name(id))).collect();
        t.insert("regions".into(), Value::Array(names));
    }
    if let Some(x) = o.step_kubes {
        t.insert("step_kubes".into(), whole(x));
    }
    if let Some(x) = o.replicates {
        t.insert("replicates".into(), whole(x));
    }
    for (key, bounds) in [("min", &o.min), ("max", &o.max)] {
        if !bounds.is_empty() {
            let table = bounds.iter().map(|&(id, n)| (name(id), whole(n))).collect();
            t.insert(key.into(), Value::Table(table));
        }
    }
    t
}
