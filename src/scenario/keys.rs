//! The keys of a scenario file outside the parameter tables: the top level and
//! `[[placement]]` (MODEL.md 8), declared here in one list each, as the parameter tables
//! are declared in `model::params`.

use chrono::NaiveDate;
use toml::de::DeTable;

use super::read::{Node, Origin, Reader, get, to_toml};
use super::{Overrides, REPLICATES, SEED, WEEKS, monday};
use crate::error::InputError;
use crate::model::params::{
    Check, FlockParams, HouseholdParams, Kind, KubeParams, MarketParams, ParamTable, ProgramParams,
    StochasticParams, Value,
};
use crate::sim::Mode;

/// The parameter tables, by section name, with their keys.
pub const PARAM_TABLES: [(&str, &[crate::model::params::KeySpec]); 6] = [
    (MarketParams::SECTION, MarketParams::KEYS),
    (FlockParams::SECTION, FlockParams::KEYS),
    (KubeParams::SECTION, KubeParams::KEYS),
    (HouseholdParams::SECTION, HouseholdParams::KEYS),
    (ProgramParams::SECTION, ProgramParams::KEYS),
    (StochasticParams::SECTION, StochasticParams::KEYS),
];

/// Top-level keys that are not tables.
pub const TOP_LEVEL: [&str; 9] = [
    "name",
    "description",
    "mode",
    "start_date",
    "weeks",
    "replicates",
    "seed",
    "regions",
    "breed",
];

/// Keys of a `[[placement]]` table.
pub const PLACEMENT: [&str; 12] = [
    "name",
    "strategy",
    "allocation",
    "weight",
    "kubes",
    "regions",
    "start_week",
    "rollout_weeks",
    "breed",
    "flock",
    "kube",
    "program",
];

/// The table a key belongs to, for a key written in the wrong place: `[kube]`.
pub fn home_of(key: &str) -> Option<String> {
    PARAM_TABLES
        .iter()
        .find(|(_, keys)| keys.iter().any(|k| k.name == key))
        .map(|(section, _)| format!("[{section}]"))
        .or_else(|| {
            TOP_LEVEL
                .contains(&key)
                .then(|| "the top level".to_string())
        })
}

/// Refuses unknown top-level keys and tables.
pub fn refuse_unknown_top_level(r: &mut Reader, doc: &DeTable) {
    let mut known: Vec<&str> = TOP_LEVEL.to_vec();
    known.extend(PARAM_TABLES.iter().map(|(s, _)| *s));
    known.push("placement");
    known.push("uncertainty");
    known.push("optimize");
    r.refuse_unknown("", doc, &known, &home_of);
}

/// Refuses keys of a parameter table that are not its own.
pub fn refuse_unknown_params(r: &mut Reader, section: &str, table: &DeTable) {
    let Some((_, keys)) = PARAM_TABLES.iter().find(|(s, _)| *s == section) else {
        return;
    };
    let known: Vec<&str> = keys.iter().map(|k| k.name).collect();
    r.refuse_unknown(section, table, &known, &home_of);
}

/// The top-level values, each `None` where it had an error.
pub struct TopLevel {
    pub name: Option<String>,
    pub description: String,
    pub mode: Option<Mode>,
    pub start_date: Option<NaiveDate>,
    pub weeks: Option<u32>,
    pub replicates: Option<u32>,
    pub seed: Option<u64>,
    /// Data references (`builtin:...` or a path); empty where missing.
    pub regions: String,
    pub breed: String,
}

impl TopLevel {
    pub fn read(
        r: &mut Reader,
        doc: &DeTable,
        defaults: &DeTable,
        overrides: &Overrides,
    ) -> TopLevel {
        let name = match get(doc, "name") {
            Some(node) => r
                .text_value("name", node)
                .and_then(|n| match check_name(&n) {
                    Ok(()) => Some(n),
                    Err(e) => {
                        r.error(Some(node.span()), "name", e);
                        None
                    }
                }),
            None => {
                r.error(
                    None,
                    "name",
                    "is required: the scenario's name, which names its output folder (lowercase letters, digits, '-' and '_')",
                );
                None
            }
        };
        if let Some(n) = &name {
            r.record("name", toml::Value::String(n.clone()), Origin::Scenario);
        }
        let description = get(doc, "description")
            .and_then(|node| r.text_value("description", node))
            .unwrap_or_default();
        r.record(
            "description",
            toml::Value::String(description.clone()),
            if get(doc, "description").is_some() {
                Origin::Scenario
            } else {
                Origin::Default
            },
        );
        let mode = layered(
            r,
            "mode",
            doc,
            defaults,
            overrides.mode.map(|m| Value::Word(m.name())),
            Kind::Word(Mode::WORDS),
            Check::OneOf,
        )
        .map(|v| match v {
            Value::Word("stochastic") => Mode::Stochastic,
            _ => Mode::Deterministic,
        });
        let start_date = match (get(doc, "start_date"), get(defaults, "start_date")) {
            (Some(node), _) => date(r, node, Origin::Scenario),
            (None, Some(node)) => date(r, node, Origin::Default),
            (None, None) => None,
        };
        let whole = |r: &mut Reader, key: &str, flag: Option<u64>, check: Check| {
            let flag = match flag.map(i64::try_from) {
                Some(Ok(x)) => Some(Value::Whole(x)),
                Some(Err(_)) => {
                    let message = format!("{} is out of range: {}", flag?, check.describe());
                    r.errors
                        .push(InputError::new(format!("--{key}"), message).key(key));
                    return None;
                }
                None => None,
            };
            match layered(r, key, doc, defaults, flag, Kind::Whole, check) {
                Some(Value::Whole(x)) => Some(x),
                _ => None,
            }
        };
        let weeks = whole(r, "weeks", overrides.weeks.map(u64::from), WEEKS)
            .and_then(|x| u32::try_from(x).ok());
        let replicates = whole(
            r,
            "replicates",
            overrides.replicates.map(u64::from),
            REPLICATES,
        )
        .and_then(|x| u32::try_from(x).ok());
        let seed = whole(r, "seed", overrides.seed, SEED).and_then(|x| u64::try_from(x).ok());
        let text = |r: &mut Reader, key: &str| -> String {
            let (node, origin) = match get(doc, key) {
                Some(node) => (Some(node), Origin::Scenario),
                None => (get(defaults, key), Origin::Default),
            };
            let value = node.and_then(|n| r.text_value(key, n)).unwrap_or_default();
            r.record(key, toml::Value::String(value.clone()), origin);
            value
        };
        let regions = text(r, "regions");
        let breed = text(r, "breed");
        TopLevel {
            name,
            description,
            mode,
            start_date,
            weeks,
            replicates,
            seed,
            regions,
            breed,
        }
    }
}

/// A top-level value from a flag, else the scenario, else the defaults.
fn layered(
    r: &mut Reader,
    key: &str,
    doc: &DeTable,
    defaults: &DeTable,
    flag: Option<Value>,
    kind: Kind,
    check: Check,
) -> Option<Value> {
    if let Some(v) = flag {
        let checked = match &v {
            Value::Whole(x) => check.whole(*x).map(|_| v.clone()),
            _ => Ok(v.clone()),
        };
        return match checked {
            Ok(v) => {
                r.record(key, to_toml(&v), Origin::Flag);
                Some(v)
            }
            Err(message) => {
                r.errors
                    .push(InputError::new(format!("--{key}"), message).key(key));
                None
            }
        };
    }
    let (node, origin) = match get(doc, key) {
        Some(node) => (node, Origin::Scenario),
        None => (get(defaults, key)?, Origin::Default),
    };
    let v = r.value(key, node, kind, check, origin)?;
    r.record(key, to_toml(&v), origin);
    Some(v)
}

fn date(r: &mut Reader, node: &Node, origin: Origin) -> Option<NaiveDate> {
    match monday(node.get_ref()) {
        Ok(d) => {
            r.record(
                "start_date",
                toml::Value::String(d.format("%Y-%m-%d").to_string()),
                origin,
            );
            Some(d)
        }
        Err(message) => {
            r.error(Some(node.span()), "start_date", message);
            None
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_a_safe_alphabet() {
        assert!(check_name("kube-bekerja_2").is_ok());
        for bad in ["", "Batam", "a/b", "..", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_misplaced_key_is_sent_home() {
        assert_eq!(home_of("members").as_deref(), Some("[kube]"));
        assert_eq!(home_of("weeks").as_deref(), Some("the top level"));
        assert_eq!(home_of("nonsense"), None);
    }
}
