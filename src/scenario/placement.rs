//! `[[placement]]` tables: KUBE counts per region and start weeks (MODEL.md 4.2), and each
//! placement's programme design merged over the scenario's (MODEL.md 8).

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::data::Files;
use super::keys::{self, PLACEMENT};
use super::read::{Node, Origin, Reader, get, subtable};
use super::{PlacementSource, check_ages};
use crate::data::{RegionId, Regions};
use crate::model::params::{
    Check, DESIGN_TABLES, FlockParams, KubeParams, ParamTable, ProgramParams,
};
use crate::model::{Design, Placement, Strategy, Weight, largest_remainder};

/// Tables of the world and the families: never part of a placement.
const SCENARIO_WIDE_TABLES: [&str; 3] = ["market", "household", "stochastic"];

pub fn require_one(r: &mut Reader) {
    r.error(
        None,
        "placement",
        "the scenario has no [[placement]]; add at least one (see scenarios/kube-bekerja.toml)",
    );
}

/// Every `[[placement]]`, validated; `None` if any had an error.
pub fn resolve_all(
    r: &mut Reader,
    doc: &DeTable,
    regions: &Regions,
    design: &Design,
    scenario_breed: &str,
    files: &mut Files,
) -> Option<Vec<(Placement, PlacementSource)>> {
    let Some(node) = get(doc, "placement") else {
        require_one(r);
        return None;
    };
    let DeValue::Array(list) = node.get_ref() else {
        r.error(
            Some(node.span()),
            "placement",
            "must be a list of tables: write each as [[placement]]",
        );
        return None;
    };
    let errors_before = r.errors.len();
    let mut placements = Vec::new();
    let mut names: Vec<(String, Range<usize>)> = Vec::new();
    for (index, item) in list.iter().enumerate() {
        let DeValue::Table(table) = item.get_ref() else {
            r.error(
                Some(item.span()),
                &format!("placement[{index}]"),
                "must be a table: write each placement as [[placement]]",
            );
            continue;
        };
        let label = match get(table, "name").map(|n| n.get_ref()) {
            Some(DeValue::String(name)) if keys::check_name(name).is_ok() => {
                format!("placement.{name}")
            }
            _ => format!("placement[{index}]"),
        };
        let context = Context {
            label,
            span: item.span(),
            table,
            regions,
            scenario_design: design,
            scenario_breed,
        };
        if let Some(name) = get(table, "name")
            && let DeValue::String(text) = name.get_ref()
        {
            if let Some((_, _)) = names.iter().find(|(n, _)| n == text.as_ref()) {
                r.error(
                    Some(name.span()),
                    &format!("placement[{index}].name"),
                    format!("{text:?} is used by an earlier placement; names must be unique"),
                );
            }
            names.push((text.to_string(), name.span()));
        }
        if let Some(p) = context.resolve(r, files) {
            placements.push(p);
        }
    }
    (r.errors.len() == errors_before).then_some(placements)
}

/// One `[[placement]]` table and what it is checked against.
struct Context<'a, 't, 'i> {
    /// How the placement is named in keys: `placement.<name>`, or `placement[i]` while it
    /// has no valid name.
    label: String,
    span: Range<usize>,
    table: &'t DeTable<'i>,
    regions: &'a Regions,
    scenario_design: &'a Design,
    scenario_breed: &'a str,
}

impl Context<'_, '_, '_> {
    /// `placement.<name>.field`, the key of one of this placement's values.
    fn key(&self, field: &str) -> String {
        format!("{}.{field}", self.label)
    }

    fn resolve(&self, r: &mut Reader, files: &mut Files) -> Option<(Placement, PlacementSource)> {
        let errors_before = r.errors.len();
        self.refuse_foreign_keys(r);
        let name = self.name(r);
        let start_week = self.whole(r, "start_week", Check::Between(0, i64::from(u32::MAX)));
        let rollout_weeks = self.whole(r, "rollout_weeks", Check::Between(0, i64::from(u32::MAX)));
        let allocation = self.allocation(r);
        let design = self.design(r, files);
        if r.errors.len() > errors_before {
            return None;
        }
        let (strategy, kubes_per_region) = allocation?;
        let (design, source) = design?;
        Some((
            Placement {
                name: name?,
                strategy,
                kubes_per_region,
                start_week: start_week.unwrap_or(0),
                rollout_weeks: rollout_weeks.unwrap_or(0),
                design,
            },
            source,
        ))
    }

    /// Unknown keys, and tables that stay scenario-wide.
    fn refuse_foreign_keys(&self, r: &mut Reader) {
        for (k, _) in self.table.iter() {
            let name = k.get_ref().as_ref();
            if SCENARIO_WIDE_TABLES.contains(&name) {
                r.error(
                    Some(k.span()),
                    &self.key(name),
                    format!(
                        "a placement may not set [{name}]: markets, families and luck stay scenario-wide so that every placement meets the same ones; a placement's design is its breed, flock, kube and program"
                    ),
                );
            }
        }
        for section in DESIGN_TABLES {
            if let Some(Err(span)) = subtable(self.table, section) {
                r.error(
                    Some(span),
                    &self.key(section),
                    format!("must be a table, like {section} = {{ key = value }}"),
                );
            }
        }
        let foreign = |k: &str| {
            (!SCENARIO_WIDE_TABLES.contains(&k))
                .then(|| keys::home_of(k))
                .flatten()
        };
        let known: Vec<&str> = PLACEMENT
            .iter()
            .copied()
            .chain(SCENARIO_WIDE_TABLES)
            .collect();
        let mut sub = Reader::new(r.file, r.text);
        sub.refuse_unknown(&self.label, self.table, &known, &foreign);
        // Only the truly unknown keys: the scenario-wide tables were named above.
        r.errors.extend(sub.errors.into_iter().filter(|e| {
            !SCENARIO_WIDE_TABLES
                .iter()
                .any(|t| e.key.as_deref() == Some(&self.key(t)))
        }));
    }

    fn name(&self, r: &mut Reader) -> Option<String> {
        let Some(node) = get(self.table, "name") else {
            r.error(Some(self.span.clone()), &self.key("name"), "is required");
            return None;
        };
        let name = r.text_value(&self.key("name"), node)?;
        if let Err(e) = keys::check_name(&name) {
            r.error(Some(node.span()), &self.key("name"), e);
            return None;
        }
        if name == crate::sim::BASELINE {
            r.error(
                Some(node.span()),
                &self.key("name"),
                "\"baseline\" is reserved for the run without any KUBE; choose another name",
            );
            return None;
        }
        Some(name)
    }

    fn whole(&self, r: &mut Reader, field: &str, check: Check) -> Option<u32> {
        let node = get(self.table, field)?;
        r.whole_value(&self.key(field), node, check)
            .and_then(|x| u32::try_from(x).ok())
    }

    /// Keys that belong to other strategies are mistakes, not silently ignored values.
    fn refuse(&self, r: &mut Reader, fields: &[&str], strategy: &str) {
        for field in fields {
            if let Some(node) = get(self.table, field) {
                r.error(
                    Some(node.span()),
                    &self.key(field),
                    format!("does not apply to strategy \"{strategy}\""),
                );
            }
        }
    }

    fn allocation(&self, r: &mut Reader) -> Option<(Strategy, Vec<u32>)> {
        let Some(node) = get(self.table, "strategy") else {
            r.error(
                Some(self.span.clone()),
                &self.key("strategy"),
                "is required: explicit, proportional or equal",
            );
            return None;
        };
        let strategy = r.text_value(&self.key("strategy"), node)?;
        match strategy.as_str() {
            "explicit" => self.explicit(r),
            "proportional" | "equal" => self.spread(r, &strategy, node.span()),
            other => {
                r.error(
                    Some(node.span()),
                    &self.key("strategy"),
                    format!("unknown strategy {other:?}; expected explicit, proportional or equal"),
                );
                None
            }
        }
    }

    /// `strategy = "explicit"`: a table of region = KUBE count.
    fn explicit(&self, r: &mut Reader) -> Option<(Strategy, Vec<u32>)> {
        self.refuse(r, &["weight", "kubes", "regions"], "explicit");
        let Some(node) = get(self.table, "allocation") else {
            r.error(
                Some(self.span.clone()),
                &self.key("allocation"),
                "is required for strategy \"explicit\": a table of region = KUBE count",
            );
            return None;
        };
        let DeValue::Table(allocation) = node.get_ref() else {
            r.error(
                Some(node.span()),
                &self.key("allocation"),
                "must be a table of region = KUBE count, like { \"Gorontalo\" = 10 }",
            );
            return None;
        };
        let errors_before = r.errors.len();
        let mut counts = vec![0u32; self.regions.len()];
        let mut named = vec![false; self.regions.len()];
        for (region, count) in allocation.iter() {
            let region_name = region.get_ref().as_ref();
            let key = self.key(&format!("allocation.{region_name:?}"));
            let Some(id) = find_region(r, self.regions, region_name, Some(region.span()), &key)
            else {
                continue;
            };
            if named[id.index()] {
                r.error(
                    Some(region.span()),
                    &key,
                    format!("names region {:?} a second time", self.regions.get(id).name),
                );
                continue;
            }
            named[id.index()] = true;
            if let Some(c) = r.whole_value(&key, count, Check::Between(0, i64::from(u32::MAX))) {
                counts[id.index()] = c as u32;
            }
        }
        if r.errors.len() == errors_before && counts.iter().all(|&c| c == 0) {
            r.error(
                Some(node.span()),
                &self.key("allocation"),
                "places no KUBE; give at least one region a count of 1 or more",
            );
        }
        (r.errors.len() == errors_before).then_some((Strategy::Explicit, counts))
    }

    /// `strategy = "proportional"` or `"equal"`: `kubes` spread over candidate regions.
    fn spread(
        &self,
        r: &mut Reader,
        strategy: &str,
        strategy_span: Range<usize>,
    ) -> Option<(Strategy, Vec<u32>)> {
        let errors_before = r.errors.len();
        self.refuse(r, &["allocation"], strategy);
        let kubes = match get(self.table, "kubes") {
            Some(node) => r
                .whole_value(
                    &self.key("kubes"),
                    node,
                    Check::Between(1, i64::from(u32::MAX)),
                )
                .map(|k| k as u32),
            None => {
                r.error(
                    Some(self.span.clone()),
                    &self.key("kubes"),
                    format!("is required for strategy \"{strategy}\": how many KUBE to place"),
                );
                None
            }
        };
        let candidates = self.candidates(r);
        let strategy = if strategy == "equal" {
            self.refuse(r, &["weight"], "equal");
            Strategy::Equal { kubes: kubes? }
        } else {
            Strategy::Proportional {
                weight: self.weight(r)?,
                kubes: kubes?,
            }
        };
        if r.errors.len() > errors_before {
            return None;
        }
        let candidates = candidates?;
        let weights: Vec<f64> = candidates
            .iter()
            .map(|&id| match strategy {
                Strategy::Proportional { weight, .. } => weight.of(self.regions, id),
                _ => 1.0,
            })
            .collect();
        let total = match strategy {
            Strategy::Proportional { kubes, .. } | Strategy::Equal { kubes } => kubes,
            Strategy::Explicit => 0,
        };
        let Some(shares) = largest_remainder(total, &weights) else {
            r.error(
                Some(strategy_span),
                &self.key("weight"),
                "every candidate region has weight 0 (no baseline deficit?), so there is nothing to be proportional to",
            );
            return None;
        };
        let mut counts = vec![0u32; self.regions.len()];
        for (&id, &c) in candidates.iter().zip(&shares) {
            counts[id.index()] = c;
        }
        Some((strategy, counts))
    }

    fn weight(&self, r: &mut Reader) -> Option<Weight> {
        let Some(node) = get(self.table, "weight") else {
            r.error(
                Some(self.span.clone()),
                &self.key("weight"),
                format!(
                    "is required for strategy \"proportional\": one of {}",
                    Weight::NAMES.join(", ")
                ),
            );
            return None;
        };
        let text = r.text_value(&self.key("weight"), node)?;
        let weight = Weight::parse(&text);
        if weight.is_none() {
            r.error(
                Some(node.span()),
                &self.key("weight"),
                format!(
                    "unknown weight {text:?}; expected one of {}",
                    Weight::NAMES.join(", ")
                ),
            );
        }
        weight
    }

    /// Candidate regions in table order (all, or those listed).
    fn candidates(&self, r: &mut Reader) -> Option<Vec<RegionId>> {
        let Some(node) = get(self.table, "regions") else {
            return Some(self.regions.ids().collect());
        };
        let key = self.key("regions");
        let DeValue::Array(list) = node.get_ref() else {
            r.error(
                Some(node.span()),
                &key,
                "must be a list of region names, like [\"Gorontalo\", \"Maluku\"]",
            );
            return None;
        };
        if list.is_empty() {
            r.error(
                Some(node.span()),
                &key,
                "is empty; list at least one region or leave the key out for all",
            );
            return None;
        }
        let mut seen = vec![false; self.regions.len()];
        for item in list.iter() {
            let Some(name) = r.text_value(&key, item) else {
                continue;
            };
            if let Some(id) = find_region(r, self.regions, &name, Some(item.span()), &key) {
                if seen[id.index()] {
                    r.error(
                        Some(item.span()),
                        &key,
                        format!("lists region {:?} twice", self.regions.get(id).name),
                    );
                }
                seen[id.index()] = true;
            }
        }
        // Table order, whatever the order of the list: it breaks ties.
        Some(self.regions.ids().filter(|id| seen[id.index()]).collect())
    }

    /// The placement's design: its own breed and design tables merged key by key over the
    /// scenario's resolved ones.
    fn design(&self, r: &mut Reader, files: &mut Files) -> Option<(Design, PlacementSource)> {
        let recorded_before = r.resolved.len();
        let base = self.scenario_design;
        let (breed, breed_file) = match get(self.table, "breed") {
            Some(node) => {
                let reference = r.text_value(&self.key("breed"), node)?;
                let found = files.breed(r, &self.key("breed"), &reference, Some(node))?;
                r.record("breed", toml::Value::String(reference), Origin::Placement);
                found
            }
            None => {
                let found = files.breed(r, "breed", self.scenario_breed, None)?;
                r.record(
                    "breed",
                    toml::Value::String(self.scenario_breed.to_string()),
                    Origin::Scenario,
                );
                found
            }
        };
        let flock: Option<FlockParams> = self.merged(r, &base.flock);
        let kube: Option<KubeParams> = self.merged(r, &base.kube);
        if let Some(program) = self.own_table(ProgramParams::SECTION)
            && let Some(node) = get(program, "discount_rate")
        {
            r.error(
                Some(node.span()),
                &self.key("program.discount_rate"),
                "stays scenario-wide: every placement is discounted alike; set it in [program]",
            );
        }
        let program: Option<ProgramParams> = self.merged(r, &base.program);
        // Ages the placement inherits unchanged were checked with the scenario's table.
        let own_flock = self.own_table("flock");
        let sets_ages = own_flock.is_some_and(|t| {
            get(t, "cull_age_weeks").is_some() || get(t, "placement_age_weeks").is_some()
        });
        if let Some(flock) = flock.as_ref().filter(|_| sets_ages) {
            check_ages(r, &self.key("flock"), flock, own_flock);
        }
        let design = Design {
            breed,
            flock: flock?,
            kube: kube?,
            program: program?,
        };
        let recorded = r.resolved.split_off(recorded_before);
        Some((
            design,
            PlacementSource {
                breed_file,
                design: recorded,
            },
        ))
    }

    /// The placement's own design table, if it has one (a value that is not a table is
    /// refused in [`Self::refuse_foreign_keys`]).
    fn own_table(&self, section: &str) -> Option<&DeTable<'_>> {
        debug_assert!(DESIGN_TABLES.contains(&section));
        subtable(self.table, section)?.ok()
    }

    /// A design table: the placement's keys over the scenario's resolved values.
    fn merged<T: ParamTable>(&self, r: &mut Reader, scenario: &T) -> Option<T> {
        let own = self.own_table(T::SECTION);
        if let Some(own) = own {
            let known: Vec<&str> = T::KEYS.iter().map(|k| k.name).collect();
            let prefix = self.key(T::SECTION);
            r.refuse_unknown(&prefix, own, &known, &keys::home_of);
        }
        // The scenario's values as a table of nodes: resolve them as the lower layer.
        let mut values = Vec::with_capacity(T::KEYS.len());
        let errors_before = r.errors.len();
        for spec in T::KEYS {
            let value = scenario.get(spec.name).expect("every key of the table");
            let key = format!("{}.{}", T::SECTION, spec.name);
            let own_node: Option<&Node> = own.and_then(|t| get(t, spec.name));
            let v = match own_node {
                Some(node) => {
                    let v = r.value(
                        &self.key(&key),
                        node,
                        spec.kind,
                        spec.check,
                        Origin::Placement,
                    );
                    if let Some(v) = &v {
                        r.record(&key, super::read::to_toml(v), Origin::Placement);
                    }
                    v
                }
                None => {
                    // Inherited: from the scenario's table or, through it, the defaults.
                    let origin = r
                        .resolved
                        .iter()
                        .find(|x| x.key == key)
                        .map_or(Origin::Scenario, |x| x.origin);
                    r.record(&key, super::read::to_toml(&value), origin);
                    Some(value)
                }
            };
            values.push(v);
        }
        if r.errors.len() > errors_before {
            return None;
        }
        let values: Vec<_> = values.into_iter().collect::<Option<_>>()?;
        T::from_values(&values)
            .map_err(|e| r.error(Some(self.span.clone()), &self.key(T::SECTION), e))
            .ok()
    }
}

/// Looks a region up by name or code; on failure records an error with a suggestion.
fn find_region(
    r: &mut Reader,
    regions: &Regions,
    name: &str,
    span: Option<Range<usize>>,
    key: &str,
) -> Option<RegionId> {
    if let Some(id) = regions.find(name) {
        return Some(id);
    }
    let lower = name.to_lowercase();
    let closest = regions
        .regions
        .iter()
        .map(|reg| {
            (
                strsim::jaro_winkler(&lower, &reg.name.to_lowercase()),
                &reg.name,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((score, best)) if score > 0.8 => format!(" (did you mean {best:?}?)"),
        _ => String::new(),
    };
    r.error(
        span,
        key,
        format!("unknown region {name:?}{hint}; `telur data regions` lists names and codes"),
    );
    None
}
