//! The fully resolved scenario as a TOML file that reproduces the run on its own.
//!
//! Every key is written out with the value the run used, whatever its origin, so the file
//! does not depend on this version's embedded defaults. Placements are written as the
//! explicit KUBE counts they resolved to (with the original strategy in `description`),
//! which gives the same KUBE numbering and start weeks.

use toml::{Table, Value};

use crate::scenario::Scenario;

/// The resolved scenario; `regions` and `breed` are how the file should name its data.
pub fn resolved_toml(s: &Scenario, regions: &str, breed: &str) -> String {
    let mut top = Table::new();
    for r in s
        .resolved
        .iter()
        .filter(|r| !r.key.starts_with("placement["))
    {
        match r.key.split_once('.') {
            Some((section, key)) => {
                let table = top
                    .entry(section.to_string())
                    .or_insert_with(|| Value::Table(Table::new()));
                if let Value::Table(t) = table {
                    t.insert(key.to_string(), r.value.clone());
                }
            }
            None => {
                top.insert(r.key.clone(), r.value.clone());
            }
        }
    }
    top.insert("regions".into(), Value::String(regions.into()));
    top.insert("breed".into(), Value::String(breed.into()));
    let placements = s
        .placements
        .iter()
        .map(|p| {
            let mut t = Table::new();
            t.insert("name".into(), Value::String(p.name.clone()));
            t.insert("strategy".into(), Value::String("explicit".into()));
            let allocation: Table = s
                .regions
                .ids()
                .filter(|id| p.kubes_per_region[id.index()] > 0)
                .map(|id| {
                    let count = i64::from(p.kubes_per_region[id.index()]);
                    (s.regions.get(id).name.clone(), Value::Integer(count))
                })
                .collect();
            t.insert("allocation".into(), Value::Table(allocation));
            t.insert("start_week".into(), Value::Integer(i64::from(p.start_week)));
            t.insert(
                "rollout_weeks".into(),
                Value::Integer(i64::from(p.rollout_weeks)),
            );
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
