//! Scenarios: reading a TOML file (MODEL.md section 8) into a validated [`Scenario`].
//!
//! `read` converts and checks values and remembers their origin; `keys` declares the
//! top-level and placement keys; `placement` turns `[[placement]]` tables into KUBE counts
//! and designs; `data` loads the regions and breed files. This module is the boundary: it
//! reads the scenario's data files, and nothing past it touches TOML or the file system.

mod data;
pub mod keys;
pub mod optimize;
mod placement;
pub mod read;
pub mod uncertainty;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use toml::de::{DeTable, DeValue};

use crate::data::Breed;
use crate::error::{InputError, InputErrors};
use crate::model::params::{
    Check, FlockParams, HouseholdParams, KubeParams, MarketParams, ParamTable, ProgramParams,
    StochasticParams,
};
use crate::model::{Design, Placement, Uncertainty, World};
use crate::sim::{Ensemble, Mode};
use read::{Layer, Node, Origin, Reader, get, subtable};
pub use read::{Origin as ValueOrigin, Resolved};

/// The embedded default scenario.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/kube-bekerja.toml");
/// How the embedded default scenario is named in messages and the manifest.
pub const DEFAULT_SCENARIO_NAME: &str = "builtin:kube-bekerja";

/// Memory a run may plan for before it is refused (MODEL.md section 8).
pub const MEMORY_LIMIT_BYTES: u64 = 8 << 30;

/// A scenario's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// As shown in messages: the path given, or `builtin:kube-bekerja`.
    pub name: String,
    pub text: String,
    /// Folder that relative data paths start from; `None` for the embedded scenario.
    pub dir: Option<PathBuf>,
}

impl Source {
    /// Reads a scenario file.
    pub fn read(path: &Path) -> Result<Source, InputError> {
        let name = path.display().to_string();
        let text = read_text(path).map_err(|e| InputError::new(&name, e))?;
        let dir = path.parent().map(Path::to_path_buf);
        Ok(Source { name, text, dir })
    }

    /// The embedded default scenario.
    pub fn builtin_default() -> Source {
        Source {
            name: DEFAULT_SCENARIO_NAME.into(),
            text: DEFAULT_SCENARIO_TOML.into(),
            dir: None,
        }
    }
}

pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Values given on the command line, which beat the scenario's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub mode: Option<Mode>,
    pub weeks: Option<u32>,
    pub replicates: Option<u32>,
    pub seed: Option<u64>,
    /// `--uncertainty`: draw the uncertain parameters for every replicate.
    pub uncertainty: Option<bool>,
}

/// A data table used by the scenario: how the scenario named it and its contents.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// `builtin:...` or the path as written in the scenario.
    pub reference: String,
    pub text: Cow<'static, str>,
}

/// Where a placement's design came from.
#[derive(Debug, Clone)]
pub struct PlacementSource {
    pub breed_file: DataFile,
    /// Every design key (`breed`, `flock.*`, `kube.*`, `program.*`) with its origin:
    /// `placement` where the placement set it.
    pub design: Vec<Resolved>,
}

/// A validated scenario: everything a run needs, with every value checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub world: World,
    pub ensemble: Ensemble,
    /// The scenario-wide design, which placements start from.
    pub design: Design,
    pub placements: Vec<Placement>,
    /// One per placement, in the same order.
    pub placement_sources: Vec<PlacementSource>,
    /// The uncertain parameters, when each replicate draws them (MODEL.md 6 intervals
    /// then include what we do not know about the parameters).
    pub uncertainty: Option<Uncertainty>,
    /// The plausible ranges of the uncertain parameters, drawn or not: what sensitivity
    /// analysis moves.
    pub ranges: Uncertainty,
    pub regions_file: DataFile,
    pub breed_file: DataFile,
    /// The `[optimize]` table: settings of `telur optimize` (a run ignores them).
    pub optimize: Option<optimize::OptimizeTable>,
    /// Every resolved scenario-wide key with its origin, in declaration order.
    pub resolved: Vec<Resolved>,
}

impl Scenario {
    /// Reads, resolves and validates a scenario. All errors found are returned together.
    pub fn load(source: &Source, overrides: &Overrides) -> Result<Scenario, InputErrors> {
        let doc = DeTable::parse(&source.text).map_err(|e| {
            let mut err = InputError::new(&source.name, syntax_message(&e, &source.text));
            if let Some(span) = e.span() {
                err = err.at(&source.text, span);
            }
            InputErrors::from(err)
        })?;
        let defaults = DeTable::parse(crate::data::DEFAULTS_TOML)
            .expect("embedded defaults.toml parses (checked by a unit test)");
        let mut r = Reader::new(&source.name, &source.text);
        let loaded = load_doc(&mut r, source, doc.get_ref(), defaults.get_ref(), overrides);
        match loaded {
            Some(s) if r.errors.is_empty() => Ok(s),
            _ => Err(InputErrors(r.errors)),
        }
    }

    /// Replicates the run simulates (one in deterministic mode).
    pub fn replicates(&self) -> u32 {
        self.ensemble.runs()
    }

    /// What the engine runs.
    pub fn inputs(&self) -> crate::sim::Inputs<'_> {
        crate::sim::Inputs {
            world: &self.world,
            ensemble: &self.ensemble,
            placements: &self.placements,
            uncertainty: self.uncertainty.as_ref(),
        }
    }
}

/// TOML's own message for a syntax error, in a user's words.
fn syntax_message(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim().replace('\n', " ");
    if message.starts_with("duplicate key")
        && let Some(key) = e.span().and_then(|sp| text.get(sp)).map(str::trim)
    {
        return format!("duplicate key `{key}`: each key may appear once per table");
    }
    message
}

/// The scenario's tables, each with the defaults' table under it.
struct Tables<'t, 'i> {
    scenario: &'t DeTable<'i>,
    defaults: &'t DeTable<'i>,
}

impl<'t, 'i> Tables<'t, 'i> {
    /// The layers of a scenario-wide table: the scenario's, then the defaults'.
    fn layers(&self, r: &mut Reader, section: &str) -> [Layer<'t, 'i>; 2] {
        let scenario = match subtable(self.scenario, section) {
            Some(Ok(t)) => Some(t),
            Some(Err(span)) => {
                r.error(Some(span), section, format!("must be a table: [{section}]"));
                None
            }
            None => None,
        };
        if let Some(t) = scenario {
            keys::refuse_unknown_params(r, section, t);
        }
        [
            Layer {
                table: scenario,
                origin: Origin::Scenario,
            },
            Layer {
                table: subtable(self.defaults, section).and_then(Result::ok),
                origin: Origin::Default,
            },
        ]
    }

    fn resolve<T: ParamTable>(&self, r: &mut Reader) -> Option<T> {
        let layers = self.layers(r, T::SECTION);
        r.table(T::SECTION, &layers)
    }
}

fn load_doc(
    r: &mut Reader,
    source: &Source,
    doc: &DeTable,
    defaults: &DeTable,
    overrides: &Overrides,
) -> Option<Scenario> {
    keys::refuse_unknown_top_level(r, doc);
    let top = keys::TopLevel::read(r, doc, defaults, overrides);
    let tables = Tables {
        scenario: doc,
        defaults,
    };
    let market: Option<MarketParams> = tables.resolve(r);
    let flock: Option<FlockParams> = tables.resolve(r);
    let kube: Option<KubeParams> = tables.resolve(r);
    let household: Option<HouseholdParams> = tables.resolve(r);
    let program: Option<ProgramParams> = tables.resolve(r);
    let stochastic: Option<StochasticParams> = tables.resolve(r);
    if let Some(flock) = &flock {
        check_ages(
            r,
            "flock",
            flock,
            subtable(doc, "flock").and_then(Result::ok),
        );
    }

    let mut files = data::Files::new(source);
    let regions_file = files.load(r, "regions", &top.regions, get(doc, "regions"));
    let regions = regions_file
        .as_ref()
        .and_then(|f| data::regions(r, source, f));
    let breed = files.breed(r, "breed", &top.breed, get(doc, "breed"));

    let design = match (breed, flock, kube, program) {
        (Some((breed, breed_file)), Some(flock), Some(kube), Some(program)) => Some((
            Design {
                breed,
                flock,
                kube,
                program,
            },
            breed_file,
        )),
        _ => None,
    };

    let placements = match (&regions, &design) {
        (Some(regions), Some((design, _))) => {
            placement::resolve_all(r, doc, regions, design, &top.breed, &mut files)
        }
        _ => {
            if get(doc, "placement").is_none() {
                placement::require_one(r);
            }
            None
        }
    };

    let optimize = match (&regions, &placements) {
        (Some(regions), Some(placements)) => {
            let names: Vec<String> = placements.iter().map(|(p, _)| p.name.clone()).collect();
            optimize::read(r, doc, regions, &names)
        }
        _ => None,
    };
    let (design, breed_file) = design?;
    let world = World {
        regions: regions?,
        start_date: top.start_date?,
        weeks: top.weeks?,
        market: market?,
        household: household?,
        stochastic: stochastic?,
        discount_rate: design.program.discount_rate,
    };
    let (placements, placement_sources): (Vec<Placement>, Vec<PlacementSource>) =
        placements?.into_iter().unzip();
    let designs: Vec<(&Design, Vec<String>)> = std::iter::once((&design, Vec::new()))
        .chain(placements.iter().zip(&placement_sources).map(|(p, src)| {
            let own = src
                .design
                .iter()
                .filter(|r| r.origin == Origin::Placement)
                .map(|r| r.key.clone())
                .collect();
            (&p.design, own)
        }))
        .collect();
    let (uncertain, ranges) =
        uncertainty::read(r, doc, overrides.uncertainty, &designs).map(|(on, mut u)| {
            u.own.remove(0); // the scenario's own design is not a placement
            (on, u)
        })?;
    let uncertainty = uncertain.then(|| ranges.clone());
    let s = Scenario {
        name: top.name?,
        description: top.description,
        world,
        ensemble: Ensemble {
            mode: top.mode?,
            seed: top.seed?,
            replicates: top.replicates?,
            uncertain: uncertainty.is_some(),
        },
        design,
        placements,
        placement_sources,
        uncertainty,
        ranges,
        regions_file: regions_file?,
        breed_file,
        optimize,
        resolved: Vec::new(),
    };
    if r.errors.is_empty() {
        check_memory(r, &s);
    }
    Some(Scenario {
        resolved: std::mem::take(&mut r.resolved),
        ..s
    })
}

/// `cull_age_weeks` must exceed `placement_age_weeks` (MODEL.md 8).
fn check_ages(r: &mut Reader, prefix: &str, flock: &FlockParams, table: Option<&DeTable>) {
    if flock.cull_age_weeks > flock.placement_age_weeks {
        return;
    }
    let span = table
        .and_then(|t| get(t, "cull_age_weeks").or_else(|| get(t, "placement_age_weeks")))
        .map(Node::span);
    r.error(
        span,
        &format!("{prefix}.cull_age_weeks"),
        format!(
            "{} must be more than {prefix}.placement_age_weeks ({})",
            flock.cull_age_weeks, flock.placement_age_weeks
        ),
    );
}

/// Refuses a scenario too large for memory, with the estimate.
fn check_memory(r: &mut Reader, s: &Scenario) {
    let reps = s.replicates();
    let bytes = memory_estimate(&s.placements, s.world.weeks, s.world.regions.len(), reps);
    if bytes > MEMORY_LIMIT_BYTES {
        let kubes: u64 = s.placements.iter().map(Placement::total_kubes).sum();
        let households: u64 = s.placements.iter().map(Placement::households).sum();
        r.error(
            None,
            "placement",
            format!(
                "this scenario needs about {:.1} GiB of memory ({kubes} KUBE with {households} member households over {} placements, {} weeks, {reps} replicates), more than the limit of {} GiB; place fewer KUBE or members, or run fewer weeks or replicates",
                bytes as f64 / f64::from(1u32 << 30),
                s.placements.len(),
                s.world.weeks,
                MEMORY_LIMIT_BYTES >> 30
            ),
        );
    }
}

/// Bytes a run will hold at once: the weekly aggregates of one placement's replicates
/// (placements are summarised one after another) and their summary, plus the state of the
/// largest placement for one worker (each further worker thread running a replicate holds
/// its own).
pub fn memory_estimate(
    placements: &[Placement],
    weeks: u32,
    regions: usize,
    replicates: u32,
) -> u64 {
    const PER_KUBE: u64 = 200;
    const PER_HOUSEHOLD: u64 = 96;
    let per_replicate = (regions as u64 * 6 + 16) * u64::from(weeks) * 8;
    let aggregates = per_replicate.saturating_mul(u64::from(replicates) + 4);
    let state = placements
        .iter()
        .map(|p| {
            let kubes = p.total_kubes();
            kubes.saturating_mul(PER_KUBE).saturating_add(
                kubes
                    .saturating_mul(u64::from(p.design.kube.members))
                    .saturating_mul(PER_HOUSEHOLD),
            )
        })
        .max()
        .unwrap_or(0);
    aggregates.saturating_add(state)
}

/// A start date that is a Monday, from `"YYYY-MM-DD"` or a TOML date.
fn monday(value: &DeValue) -> Result<NaiveDate, String> {
    let text = match value {
        DeValue::String(s) => s.to_string(),
        DeValue::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
        other => {
            return Err(format!(
                "expected a date written \"YYYY-MM-DD\", found {}",
                read::describe(other)
            ));
        }
    };
    let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date; write it as \"YYYY-MM-DD\""))?;
    if !(1900..=2500).contains(&date.year()) {
        return Err(format!(
            "{text:?} is out of range: the year must be from 1900 to 2500"
        ));
    }
    if date.weekday() != Weekday::Mon {
        return Err(format!(
            "{text} is a {:?}; weeks start on a Monday (e.g. {})",
            date.weekday(),
            date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
        ));
    }
    Ok(date)
}

/// The range of a horizon, in weeks (u16 week counters hold it).
pub const WEEKS: Check = Check::Between(1, 5200);
/// The range of a replicate count.
pub const REPLICATES: Check = Check::Between(1, 1_000_000);
/// The range of a seed: it must fit a TOML integer.
pub const SEED: Check = Check::Between(0, i64::MAX);

/// A breed shared by every placement that names the same file.
pub type SharedBreed = Arc<Breed>;

#[cfg(test)]
mod tests;
