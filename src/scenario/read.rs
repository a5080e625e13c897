//! Reading values out of a parsed TOML document, checking them and remembering where each
//! came from.
//!
//! A value comes from a command-line flag, else a placement's own table (for design
//! keys), else the scenario file, else the embedded defaults. The [`Reader`] converts
//! each value to the kind its key takes, checks it against its range, records its origin
//! (for `telur check` and the manifest) and collects every error, each naming the key and
//! pointing at the value in the file, so a user sees all the problems of a file at once.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::InputError;
use crate::model::params::{Check, KeySpec, Kind, ParamTable, Value};

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Placement,
    Scenario,
    Default,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Placement => "placement",
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

/// A table of a TOML document with its place.
pub type Table<'i> = Spanned<DeTable<'i>>;
/// A value of a TOML document with its place.
pub type Node<'i> = Spanned<DeValue<'i>>;

/// Looks a key up in a table.
pub fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Node<'i>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// A sub-table by name: `Some(Ok)` if present and a table, `Some(Err(span))` if present
/// but not a table.
pub fn subtable<'a, 'i>(
    table: &'a DeTable<'i>,
    key: &str,
) -> Option<Result<&'a DeTable<'i>, Range<usize>>> {
    get(table, key).map(|node| match node.get_ref() {
        DeValue::Table(t) => Ok(t),
        _ => Err(node.span()),
    })
}

/// The name of a TOML value's type, for messages: `text "fifty"`.
pub fn describe(value: &DeValue) -> String {
    match value {
        DeValue::String(s) => format!("text {:?}", s.as_ref()),
        DeValue::Integer(i) => format!("the whole number {i}"),
        DeValue::Float(f) => format!("the number {f}"),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

fn integer(value: &DeValue) -> Option<i64> {
    match value {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// A TOML integer or float as a number.
pub fn real(value: &DeValue) -> Option<f64> {
    match value {
        DeValue::Integer(_) => integer(value).map(|i| i as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

pub use crate::error::closest;

/// Checks values and records where each came from; collects errors.
pub struct Reader<'a> {
    /// The scenario as named in messages.
    pub file: &'a str,
    /// Its text, to show the line of an error.
    pub text: &'a str,
    pub resolved: Vec<Resolved>,
    pub errors: Vec<InputError>,
}

/// One source of a table's values, in order of precedence.
pub struct Layer<'t, 'i> {
    pub table: Option<&'t DeTable<'i>>,
    pub origin: Origin,
}

impl<'a> Reader<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Reader {
            file,
            text,
            resolved: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// An error about `key`, pointing at `span` of the scenario where known.
    pub fn error(&mut self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        let mut e = InputError::new(self.file, message).key(key);
        if let Some(span) = span {
            e = e.at(self.text, span);
        }
        self.errors.push(e);
    }

    pub fn record(&mut self, key: &str, value: toml::Value, origin: Origin) {
        self.resolved.push(Resolved {
            key: key.to_string(),
            value,
            origin,
        });
    }

    /// A value of the given kind, checked against its range; `None` after recording the
    /// error. `file` and `text` are where the node comes from (the scenario or defaults).
    pub fn value(
        &mut self,
        key: &str,
        node: &Node,
        kind: Kind,
        check: Check,
        origin: Origin,
    ) -> Option<Value> {
        match convert(node.get_ref(), kind, check) {
            Ok(v) => Some(v),
            Err(message) => {
                if origin == Origin::Default {
                    self.errors
                        .push(InputError::new("embedded defaults", message).key(key));
                } else {
                    self.error(Some(node.span()), key, message);
                }
                None
            }
        }
    }

    /// Text: a name, a description, a data file.
    pub fn text_value(&mut self, key: &str, node: &Node) -> Option<String> {
        match node.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    Some(node.span()),
                    key,
                    format!("expected text in quotes, found {}", describe(other)),
                );
                None
            }
        }
    }

    /// A whole number.
    pub fn whole_value(&mut self, key: &str, node: &Node, check: Check) -> Option<i64> {
        match self.value(key, node, Kind::Whole, check, Origin::Scenario)? {
            Value::Whole(x) => Some(x),
            _ => None,
        }
    }

    /// Refuses the keys of `table` that are not in `known`, suggesting the closest one,
    /// or the table a misplaced key belongs to.
    pub fn refuse_unknown(
        &mut self,
        prefix: &str,
        table: &DeTable,
        known: &[&str],
        elsewhere: &dyn Fn(&str) -> Option<String>,
    ) {
        for (k, _) in table.iter() {
            let name = k.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let hint = match (closest(name, known.iter().copied()), elsewhere(name)) {
                (Some(best), _) => format!(" (did you mean `{best}`?)"),
                (None, Some(home)) => format!(" (it belongs in {home})"),
                (None, None) => String::new(),
            };
            let what = if prefix.is_empty() {
                "top-level".to_string()
            } else {
                format!("[{prefix}]")
            };
            self.error(
                Some(k.span()),
                &if prefix.is_empty() {
                    name.to_string()
                } else {
                    format!("{prefix}.{name}")
                },
                format!(
                    "unknown key `{name}`{hint}; allowed {what}: {}",
                    known.join(", ")
                ),
            );
        }
    }

    /// Resolves a parameter table from its layers (first wins), checks every key and
    /// builds it. `prefix` names the keys in messages and in the resolved list.
    pub fn table<T: ParamTable>(&mut self, prefix: &str, layers: &[Layer]) -> Option<T> {
        let errors_before = self.errors.len();
        let mut values = Vec::with_capacity(T::KEYS.len());
        for spec in T::KEYS {
            let key = format!("{prefix}.{}", spec.name);
            let found = layers.iter().find_map(|l| {
                l.table
                    .and_then(|t| get(t, spec.name))
                    .map(|n| (n, l.origin))
            });
            let value = match found {
                Some((node, origin)) => self
                    .value(&key, node, spec.kind, spec.check, origin)
                    .inspect(|v| self.record(&key, to_toml(v), origin)),
                None => {
                    self.errors.push(
                        InputError::new(self.file, "is required and has no default").key(&key),
                    );
                    None
                }
            };
            values.push(value.unwrap_or_else(|| placeholder(spec)));
        }
        if self.errors.len() > errors_before {
            return None;
        }
        match T::from_values(&values) {
            Ok(t) => Some(t),
            Err(message) => {
                self.errors.push(InputError::new(self.file, message));
                None
            }
        }
    }
}

/// A stand-in for a value that had an error, so the other keys can still be checked.
fn placeholder(spec: &KeySpec) -> Value {
    match spec.kind {
        Kind::Real => Value::Real(1.0),
        Kind::Whole => Value::Whole(1),
        Kind::Months => Value::Months([1.0; 12]),
        Kind::Word(words) => Value::Word(words[0]),
    }
}

/// A TOML value as a parameter value of `kind`, in range.
pub fn convert(value: &DeValue, kind: Kind, check: Check) -> Result<Value, String> {
    let mismatch = || format!("expected {}, found {}", kind.expected(), describe(value));
    match kind {
        Kind::Real => {
            let x = real(value).ok_or_else(mismatch)?;
            check.real(x).map(Value::Real)
        }
        Kind::Whole => {
            let x = integer(value).ok_or_else(mismatch)?;
            check.whole(x).map(Value::Whole)
        }
        Kind::Months => {
            let DeValue::Array(items) = value else {
                return Err(mismatch());
            };
            if items.len() != 12 {
                return Err(format!(
                    "has {} values: {}",
                    items.len(),
                    Check::Season.describe()
                ));
            }
            let mut months = [0.0; 12];
            for (m, item) in items.iter().enumerate() {
                let x = real(item.get_ref()).ok_or_else(|| {
                    format!(
                        "month {}: expected a number, found {}",
                        m + 1,
                        describe(item.get_ref())
                    )
                })?;
                months[m] = Check::NonNegative
                    .real(x)
                    .map_err(|e| format!("month {}: {e}", m + 1))?;
            }
            Ok(Value::Months(months))
        }
        Kind::Word(words) => {
            let DeValue::String(s) = value else {
                return Err(mismatch());
            };
            words
                .iter()
                .find(|w| **w == s.as_ref())
                .map(|w| Value::Word(w))
                .ok_or_else(|| {
                    let hint = closest(s, words.iter().copied())
                        .map(|b| format!(" (did you mean \"{b}\"?)"))
                        .unwrap_or_default();
                    format!(
                        "unknown value {:?}{hint}; expected {}",
                        s.as_ref(),
                        kind.expected()
                    )
                })
        }
    }
}

/// A parameter value as TOML, for `telur check`, the manifest and the resolved scenario.
pub fn to_toml(v: &Value) -> toml::Value {
    match v {
        Value::Real(x) => toml::Value::Float(*x),
        Value::Whole(x) => toml::Value::Integer(*x),
        Value::Months(m) => toml::Value::Array(m.iter().map(|&x| toml::Value::Float(x)).collect()),
        Value::Word(w) => toml::Value::String((*w).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::KubeParams;

    fn parse(text: &str) -> Spanned<DeTable<'_>> {
        DeTable::parse(text).unwrap()
    }

    #[test]
    fn values_are_converted_to_their_kind_and_checked() {
        let doc = parse("a = 3\nb = 2.5\nc = \"x\"\nd = [1,2]\ne = -1\n");
        let t = doc.get_ref();
        let conv = |k: &str, kind, check| convert(get(t, k).unwrap().get_ref(), kind, check);
        assert_eq!(
            conv("a", Kind::Real, Check::NonNegative),
            Ok(Value::Real(3.0))
        );
        assert_eq!(
            conv("a", Kind::Whole, Check::Between(0, 5)),
            Ok(Value::Whole(3))
        );
        assert_eq!(
            conv("b", Kind::Whole, Check::Between(0, 5)).unwrap_err(),
            "expected a whole number, found the number 2.5"
        );
        assert_eq!(
            conv("c", Kind::Real, Check::NonNegative).unwrap_err(),
            "expected a number, found text \"x\""
        );
        assert_eq!(
            conv("d", Kind::Months, Check::Season).unwrap_err(),
            "has 2 values: must be 12 monthly factors, each 0 or more"
        );
        assert!(conv("e", Kind::Whole, Check::Between(0, 5)).is_err());
        assert_eq!(
            conv("c", Kind::Word(&["profit", "replacement"]), Check::OneOf).unwrap_err(),
            "unknown value \"x\"; expected one of \"profit\", \"replacement\""
        );
    }

    /// Resolves `[kube]` of `text` over the defaults `[kube]` of `defaults`.
    fn resolve_kube(text: &str, defaults: &str) -> (Option<KubeParams>, Reader<'static>) {
        let text: &'static str = Box::leak(text.to_string().into_boxed_str());
        let (doc, def) = (parse(text), parse(Box::leak(defaults.into())));
        let scenario = subtable(doc.get_ref(), "kube").unwrap().unwrap();
        let default = subtable(def.get_ref(), "kube").unwrap().unwrap();
        let mut r = Reader::new("s.toml", text);
        let layers = [
            Layer {
                table: Some(scenario),
                origin: Origin::Scenario,
            },
            Layer {
                table: Some(default),
                origin: Origin::Default,
            },
        ];
        (r.table::<KubeParams>("kube", &layers), r)
    }

    #[test]
    fn tables_take_the_first_layer_that_has_a_key_and_name_the_line_of_a_bad_one() {
        let defaults = "[kube]\nmembers = 10\nworking_capital_rp = 1.0\nreserve_target_rp = 2.0\nretain_share = 0.3\npayout_rule = \"profit\"\nmin_restock_fraction = 0.2\n";
        let (kube, r) = resolve_kube("[kube]\nmembers = 4\nretain_share = 2\n", defaults);
        assert!(kube.is_none());
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0].to_string().starts_with(
                "s.toml:3:16: kube.retain_share: 2 is out of range: must be between 0 and 1"
            ),
            "{}",
            r.errors[0]
        );
        let (kube, r) = resolve_kube("[kube]\nmembers = 4\n", defaults);
        let kube = kube.unwrap();
        assert_eq!((kube.members, kube.retain_share), (4, 0.3));
        let origins: Vec<_> = r.resolved.iter().map(|x| x.origin).collect();
        assert_eq!(origins[0], Origin::Scenario);
        assert!(origins[1..].iter().all(|&o| o == Origin::Default));
    }
}
