//! Scenarios: reading a TOML file (MODEL.md section 8) into a validated [`Scenario`].
//!
//! `raw` mirrors the file; `params` declares every parameter table; `resolve` checks values
//! and remembers their origin; `placement` turns placements into KUBE counts. This module
//! is the boundary: it reads the scenario's data files, and nothing past it touches serde
//! or the file system.

pub mod params;
pub mod placement;
pub mod raw;
pub mod resolve;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};

use crate::data::{self, Breed, Regions};
use crate::error::{InputError, InputErrors, line_of};
pub use params::Params;
use params::{
    FlockParams, HouseholdParams, KubeParams, MarketParams, ProgramParams, StochasticParams,
};
pub use placement::{Placement, Strategy, Weight};
use raw::RawScenario;
use resolve::{Check, Param, Resolved, Resolver};

/// The embedded default scenario.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/kube-bekerja.toml");
/// How the embedded default scenario is named in messages and the manifest.
pub const DEFAULT_SCENARIO_NAME: &str = "builtin:kube-bekerja";

/// Memory a run may plan for before it is refused (MODEL.md section 8).
pub const MEMORY_LIMIT_BYTES: u64 = 8 << 30;

/// Deterministic (MODEL.md 4) or stochastic (MODEL.md 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Deterministic,
    Stochastic,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Deterministic => "deterministic",
            Mode::Stochastic => "stochastic",
        }
    }
}

impl Param for Mode {
    type Raw = String;
    fn from_raw(raw: &String, _: Check) -> Result<Mode, String> {
        match raw.as_str() {
            "deterministic" => Ok(Mode::Deterministic),
            "stochastic" => Ok(Mode::Stochastic),
            other => Err(format!(
                "unknown mode {other:?}; expected deterministic or stochastic"
            )),
        }
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::String(self.name().into())
    }
}

/// A start date that is a Monday, from `"YYYY-MM-DD"` or a TOML date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monday(pub NaiveDate);

impl Default for Monday {
    fn default() -> Self {
        Monday(NaiveDate::from_ymd_opt(2020, 1, 6).expect("a valid date"))
    }
}

impl Param for Monday {
    type Raw = toml::Value;
    fn from_raw(raw: &toml::Value, _: Check) -> Result<Monday, String> {
        let text = match raw {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
            other => return Err(format!("{other} is not a date; write it as \"YYYY-MM-DD\"")),
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
        Ok(Monday(date))
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

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

fn read_text(path: &Path) -> Result<String, String> {
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
    pub mode: Option<String>,
    pub weeks: Option<i64>,
    pub replicates: Option<i64>,
    pub seed: Option<i64>,
}

/// A data table used by the scenario: how the scenario named it and its contents.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// `builtin:...` or the path as written in the scenario.
    pub reference: String,
    pub text: Cow<'static, str>,
}

/// A validated scenario: everything a run needs, with every value checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub mode: Mode,
    pub start_date: NaiveDate,
    pub weeks: u32,
    pub replicates: u32,
    pub seed: u64,
    pub regions: Regions,
    pub breed: Breed,
    pub regions_file: DataFile,
    pub breed_file: DataFile,
    pub params: Params,
    pub placements: Vec<Placement>,
    /// Every resolved key with its origin, in file order.
    pub resolved: Vec<Resolved>,
}

impl Scenario {
    /// Reads, resolves and validates a scenario. All errors found are returned together.
    pub fn load(source: &Source, overrides: &Overrides) -> Result<Scenario, InputErrors> {
        let raw = parse_toml(&source.name, &source.text)?;
        let defaults: RawScenario = toml::from_str(data::DEFAULTS_TOML)
            .expect("embedded defaults.toml parses (checked by a unit test)");
        let mut r = Resolver::new(&source.name, &source.text);

        let name: String = if raw.name.is_some() {
            r.take("name", raw.name.as_ref(), None, Check::Name)
        } else {
            r.error_at(
                None,
                "name",
                "is required: the scenario's name, which names its output folder (lowercase letters, digits, '-' and '_')".into(),
            );
            String::new()
        };
        let description: String = r.take_or(
            "description",
            raw.description.as_ref(),
            String::new(),
            Check::Text,
        );
        let mode: Mode = r.take_with_flag(
            "mode",
            overrides.mode.clone().map(|m| ("--mode", m)),
            raw.mode.as_ref(),
            defaults.mode.as_ref(),
            Check::Text,
        );
        let start: Monday = r.take(
            "start_date",
            raw.start_date.as_ref(),
            defaults.start_date.as_ref(),
            Check::Text,
        );
        let weeks: u32 = r.take_with_flag(
            "weeks",
            overrides.weeks.map(|w| ("--weeks", w)),
            raw.weeks.as_ref(),
            defaults.weeks.as_ref(),
            Check::Between(1, 5200),
        );
        let replicates: u32 = r.take_with_flag(
            "replicates",
            overrides.replicates.map(|n| ("--replicates", n)),
            raw.replicates.as_ref(),
            defaults.replicates.as_ref(),
            Check::Between(1, 1_000_000),
        );
        let seed: u64 = r.take_with_flag(
            "seed",
            overrides.seed.map(|s| ("--seed", s)),
            raw.seed.as_ref(),
            defaults.seed.as_ref(),
            Check::AtLeast(0),
        );
        let regions_ref: String = r.take(
            "regions",
            raw.regions.as_ref(),
            defaults.regions.as_ref(),
            Check::Text,
        );
        let breed_ref: String = r.take(
            "breed",
            raw.breed.as_ref(),
            defaults.breed.as_ref(),
            Check::Text,
        );

        let params = Params {
            market: MarketParams::resolve(&mut r, raw.market.as_ref(), defaults.market.as_ref()),
            flock: FlockParams::resolve(&mut r, raw.flock.as_ref(), defaults.flock.as_ref()),
            kube: KubeParams::resolve(&mut r, raw.kube.as_ref(), defaults.kube.as_ref()),
            household: HouseholdParams::resolve(
                &mut r,
                raw.household.as_ref(),
                defaults.household.as_ref(),
            ),
            program: ProgramParams::resolve(
                &mut r,
                raw.program.as_ref(),
                defaults.program.as_ref(),
            ),
            stochastic: StochasticParams::resolve(
                &mut r,
                raw.stochastic.as_ref(),
                defaults.stochastic.as_ref(),
            ),
        };

        if params.flock.cull_age_weeks <= params.flock.placement_age_weeks {
            let span = raw
                .flock
                .as_ref()
                .and_then(|f| f.cull_age_weeks.as_ref().or(f.placement_age_weeks.as_ref()))
                .map(|s| s.span());
            r.error_at(
                span,
                "flock.cull_age_weeks",
                format!(
                    "{} must be more than flock.placement_age_weeks ({})",
                    params.flock.cull_age_weeks, params.flock.placement_age_weeks
                ),
            );
        }

        let regions_file = load_data(
            &mut r,
            source,
            "regions",
            &regions_ref,
            raw.regions.as_ref(),
        );
        let breed_file = load_data(&mut r, source, "breed", &breed_ref, raw.breed.as_ref());
        let regions = regions_file.as_ref().and_then(|f| {
            Regions::parse(&data_file_name(source, &f.reference), &f.text)
                .map_err(|e| r.errors.push(e))
                .ok()
        });
        let breed = breed_file.as_ref().and_then(|f| {
            let name = f.reference.trim_start_matches("builtin:");
            Breed::parse(name, &data_file_name(source, &f.reference), &f.text)
                .map_err(|e| r.errors.push(e))
                .ok()
        });

        let mut placements = Vec::new();
        match (&raw.placement, &regions) {
            (None, _) => r.error_at(
                None,
                "placement",
                "the scenario has no [[placement]]; add at least one (see scenarios/kube-bekerja.toml)".into(),
            ),
            (Some(list), Some(regions)) => {
                for (i, p) in list.iter().enumerate() {
                    if let Some(p) = placement::resolve(&mut r, i, p, regions) {
                        placements.push(p);
                    }
                }
                let names: Vec<_> = list.iter().filter_map(|p| p.get_ref().name.as_ref()).collect();
                for (i, name) in names.iter().enumerate() {
                    if names[..i].iter().any(|earlier| earlier.get_ref() == name.get_ref()) {
                        r.error_at(
                            Some(name.span()),
                            &format!("placement[{i}].name"),
                            format!("{:?} is used by an earlier placement; names must be unique", name.get_ref()),
                        );
                    }
                }
            }
            (Some(_), None) => {}
        }

        let members = params.kube.members;
        if r.errors.is_empty() {
            let reps = if mode == Mode::Stochastic {
                replicates
            } else {
                1
            };
            let bytes = memory_estimate(
                &placements,
                members,
                weeks,
                regions.as_ref().map_or(0, Regions::len),
                reps,
            );
            if bytes > MEMORY_LIMIT_BYTES {
                let kubes: u64 = placements.iter().map(Placement::total_kubes).sum();
                r.error_at(
                    None,
                    "placement",
                    format!(
                        "this scenario needs about {:.1} GiB of memory ({kubes} KUBE x {members} members over {} placements, {weeks} weeks, {reps} replicates), more than the limit of {} GiB; place fewer KUBE or members, or run fewer weeks or replicates",
                        bytes as f64 / f64::from(1u32 << 30),
                        placements.len(),
                        MEMORY_LIMIT_BYTES >> 30
                    ),
                );
            }
        }

        match (
            r.errors.is_empty(),
            regions,
            breed,
            regions_file,
            breed_file,
        ) {
            (true, Some(regions), Some(breed), Some(regions_file), Some(breed_file)) => {
                Ok(Scenario {
                    name,
                    description,
                    mode,
                    start_date: start.0,
                    weeks,
                    replicates,
                    seed,
                    regions,
                    breed,
                    regions_file,
                    breed_file,
                    params,
                    placements,
                    resolved: r.resolved,
                })
            }
            _ => Err(InputErrors(r.errors)),
        }
    }
}

/// Parses TOML into the raw mirror; syntax errors, unknown keys and wrong types come back
/// as one error with the line of the culprit.
fn parse_toml(file: &str, text: &str) -> Result<RawScenario, InputErrors> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let mut message = friendly(e.message());
        if message == "duplicate key"
            && let Some(key) = e.span().and_then(|sp| text.get(sp)).map(str::trim)
        {
            message = format!("duplicate key `{key}`: each key may appear once per table");
        }
        InputErrors::from(InputError::new(file, message).at_line(line))
    })
}

/// Serde's messages in a user's words: "expected i64" becomes "expected a whole number",
/// and an unknown key gets the closest known one as a suggestion.
fn friendly(message: &str) -> String {
    let mut m = message.trim().replace('\n', " ");
    for (serde, user) in [
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list [..]"),
    ] {
        m = m.replace(serde, user);
    }
    if let Some(rest) = m.strip_prefix("unknown field `")
        && let Some((unknown, expected)) = rest.split_once("`, expected ")
    {
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let best = known
            .iter()
            .map(|k| (strsim::jaro_winkler(unknown, k), *k))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        return match best {
            Some((score, k)) if score > 0.8 => {
                format!(
                    "unknown key `{unknown}` (did you mean `{k}`?); allowed here: {}",
                    known.join(", ")
                )
            }
            _ => format!(
                "unknown key `{unknown}`; allowed here: {}",
                known.join(", ")
            ),
        };
    }
    m
}

/// How a data file is named in messages: relative paths are shown from the scenario.
fn data_file_name(source: &Source, reference: &str) -> String {
    match &source.dir {
        Some(dir) if !reference.starts_with("builtin:") => {
            dir.join(reference).display().to_string()
        }
        _ => reference.to_string(),
    }
}

fn load_data(
    r: &mut Resolver,
    source: &Source,
    key: &str,
    reference: &str,
    raw: Option<&toml::Spanned<String>>,
) -> Option<DataFile> {
    let span = raw.map(|s| s.span());
    if reference.starts_with("builtin:") {
        let allowed: &[&str] = if key == "regions" {
            &data::BUILTIN_REGIONS
        } else {
            &data::BUILTIN_BREEDS
        };
        return match data::builtin_text(reference).filter(|_| allowed.contains(&reference)) {
            Some(text) => Some(DataFile {
                reference: reference.to_string(),
                text: Cow::Borrowed(text),
            }),
            None => {
                r.error_at(
                    span,
                    key,
                    format!(
                        "unknown {reference:?}; expected {} or a CSV file",
                        allowed.join(", ")
                    ),
                );
                None
            }
        };
    }
    let path = match &source.dir {
        Some(dir) => dir.join(reference),
        None => PathBuf::from(reference),
    };
    match read_text(&path) {
        Ok(text) => Some(DataFile {
            reference: reference.to_string(),
            text: Cow::Owned(text),
        }),
        Err(e) => {
            r.error_at(span, key, format!("{}: {e}", path.display()));
            None
        }
    }
}

/// Bytes a run will hold at once: the weekly aggregates of one placement's replicates
/// (placements are summarised one after another) and their summary, plus the state of the
/// largest placement for one worker (each further worker thread running a replicate holds
/// its own).
pub fn memory_estimate(
    placements: &[Placement],
    members: u32,
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
                    .saturating_mul(u64::from(members))
                    .saturating_mul(PER_HOUSEHOLD),
            )
        })
        .max()
        .unwrap_or(0);
    aggregates.saturating_add(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Scenario, InputErrors> {
        let source = Source {
            name: "t.toml".into(),
            text: text.into(),
            dir: None,
        };
        Scenario::load(&source, &Overrides::default())
    }

    const MINIMAL: &str = "name = \"t\"\n[[placement]]\nname = \"a\"\nstrategy = \"explicit\"\nallocation = { \"Gorontalo\" = 2 }\n";

    #[test]
    fn embedded_defaults_resolve_every_key() {
        let s = load(MINIMAL).unwrap();
        assert_eq!(s.params.flock.hens_per_kube, 500);
        assert_eq!(s.params.kube.members, 10);
        assert_eq!(s.weeks, 260);
        assert_eq!(s.replicates, 200);
        assert_eq!(s.mode, Mode::Stochastic);
        let gorontalo = s.regions.find("Gorontalo").unwrap();
        assert_eq!(s.placements[0].kubes_per_region[gorontalo.index()], 2);
        assert_eq!(s.placements[0].total_kubes(), 2);
    }

    #[test]
    fn embedded_default_scenario_is_valid() {
        let s = Scenario::load(&Source::builtin_default(), &Overrides::default()).unwrap();
        assert!(s.placements.len() >= 4);
        assert!(s.placements.iter().all(|p| p.total_kubes() == 300));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line() {
        let e = load(&format!("{MINIMAL}[flock]\nhens_per_kub = 3\n")).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert!(
            e.0[0].to_string().starts_with(
                "t.toml:7: unknown key `hens_per_kub` (did you mean `hens_per_kube`?)"
            ),
            "{}",
            e
        );
        let e = load(&format!("{MINIMAL}[flock]\nhens_per_kube = \"many\"\n")).unwrap_err();
        assert!(
            e.0[0]
                .to_string()
                .starts_with("t.toml:7: invalid type: string \"many\""),
            "{}",
            e
        );
    }

    #[test]
    fn all_range_errors_are_reported_together() {
        let e = load(&format!(
            "{MINIMAL}[kube]\nretain_share = 2\nmembers = 0\n[market]\ndemand_season = [1, 1]\n"
        ))
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("t.toml:7: kube.retain_share: 2 is out of range"),
            "{text}"
        );
        assert!(
            text.contains("t.toml:8: kube.members: 0 is out of range"),
            "{text}"
        );
        assert!(
            text.contains("t.toml:10: market.demand_season: has 2 values"),
            "{text}"
        );
    }

    #[test]
    fn dates_must_be_mondays() {
        let e = load(&format!("start_date = \"2020-01-07\"\n{MINIMAL}")).unwrap_err();
        assert!(
            e.to_string()
                .contains("2020-01-07 is a Tue; weeks start on a Monday (e.g. 2020-01-06)"),
            "{e}"
        );
        let s = load(&format!("start_date = 2020-01-13\n{MINIMAL}")).unwrap();
        assert_eq!(s.start_date, NaiveDate::from_ymd_opt(2020, 1, 13).unwrap());
    }

    #[test]
    fn cull_age_must_exceed_placement_age() {
        let e = load(&format!("{MINIMAL}[flock]\ncull_age_weeks = 18\n")).unwrap_err();
        assert!(
            e.to_string().contains(
                "flock.cull_age_weeks: 18 must be more than flock.placement_age_weeks (18)"
            ),
            "{e}"
        );
    }

    #[test]
    fn unknown_regions_get_a_suggestion() {
        let e = load(&MINIMAL.replace("Gorontalo", "Gorontal")).unwrap_err();
        assert!(e.to_string().contains("t.toml:5: placement[0].allocation.\"Gorontal\": unknown region \"Gorontal\" (did you mean \"Gorontalo\"?)"), "{e}");
    }

    #[test]
    fn flags_beat_the_file() {
        let source = Source {
            name: "t.toml".into(),
            text: format!("weeks = 10\n{MINIMAL}"),
            dir: None,
        };
        let o = Overrides {
            weeks: Some(20),
            seed: Some(7),
            ..Default::default()
        };
        let s = Scenario::load(&source, &o).unwrap();
        assert_eq!((s.weeks, s.seed), (20, 7));
        let o = Overrides {
            weeks: Some(0),
            ..Default::default()
        };
        let e = Scenario::load(&source, &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--weeks: weeks: 0 is out of range: must be a whole number from 1 to 5200"
        );
    }

    #[test]
    fn absurd_sizes_are_refused_with_the_estimate() {
        let e =
            load(&MINIMAL.replace("\"Gorontalo\" = 2", "\"Gorontalo\" = 2000000000")).unwrap_err();
        assert!(e.to_string().contains("GiB of memory"), "{e}");
        assert!(e.to_string().contains("the limit of 8 GiB"), "{e}");
        let e = load(&format!("{MINIMAL}[kube]\nmembers = 2000000000\n")).unwrap_err();
        assert!(
            e.to_string()
                .contains("kube.members: 2000000000 is out of range"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod resolved_tests {
    use super::*;

    #[test]
    fn the_resolved_scenario_loads_back_to_the_same_scenario() {
        let s = Scenario::load(&Source::builtin_default(), &Overrides::default()).unwrap();
        let text =
            crate::report::resolved::resolved_toml(&s, "builtin:indonesia", "builtin:layer-brown");
        let again = Scenario::load(
            &Source {
                name: "resolved.toml".into(),
                text,
                dir: None,
            },
            &Overrides::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.params, s.params);
        assert_eq!(
            (again.weeks, again.seed, again.replicates, again.mode),
            (s.weeks, s.seed, s.replicates, s.mode)
        );
        assert_eq!(again.start_date, s.start_date);
        for (a, b) in again.placements.iter().zip(&s.placements) {
            assert_eq!(a.kubes_per_region, b.kubes_per_region);
            assert_eq!(a.start_weeks(), b.start_weeks());
        }
    }
}
