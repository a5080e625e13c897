//! `telur check` (a scenario, every value and where it came from) and `telur data` (the
//! embedded data as CSV).

use std::io::{self, Write};
use std::path::Path;

use anyhow::Result;

use super::{input_error, load};
use crate::cli::DataKind;
use telur::data;
use telur::error::InputError;
use telur::scenario::{self, Overrides, Resolved, ValueOrigin};

pub(super) fn check_command(path: &Path) -> Result<()> {
    let (source, s) = load(Some(path), &Overrides::default())?;
    let stdout = io::stdout();
    let w = &mut stdout.lock();
    writeln!(w, "{}: valid scenario {:?}", source.name, s.name)?;
    if !s.description.is_empty() {
        writeln!(w, "  {}", s.description)?;
    }
    writeln!(w)?;
    writeln!(w, "{:<44} {:<30} from", "key", "value")?;
    for r in &s.resolved {
        resolved_line(w, r)?;
    }
    writeln!(w)?;
    let regions = &s.world.regions;
    writeln!(
        w,
        "data: {} regions from {}; breed {} from {} (ages {} to {} weeks)",
        regions.len(),
        s.regions_file.reference,
        s.design.breed.name,
        s.breed_file.reference,
        s.design.breed.first_age_weeks,
        s.design.breed.last_age_weeks()
    )?;
    writeln!(w)?;
    writeln!(w, "placements (and the baseline, which always runs):")?;
    for (p, source) in s.placements.iter().zip(&s.placement_sources) {
        let counts: Vec<String> = regions
            .ids()
            .filter(|id| p.kubes_per_region[id.index()] > 0)
            .map(|id| {
                format!(
                    "{} {}",
                    regions.get(id).name,
                    p.kubes_per_region[id.index()]
                )
            })
            .collect();
        writeln!(
            w,
            "  {}: {} KUBE, {}; starting week {} over {} weeks",
            p.name,
            p.total_kubes(),
            p.strategy.describe(),
            p.start_week,
            p.rollout_weeks
        )?;
        writeln!(w, "    {}", counts.join(", "))?;
        design_lines(w, &source.design)?;
    }
    if let Some(u) = &s.uncertainty {
        writeln!(w)?;
        writeln!(
            w,
            "uncertain parameters ({}), drawn for each of the {} replicates:",
            u.parameters.len(),
            s.replicates()
        )?;
        for p in &u.parameters {
            writeln!(w, "  {:<44} {} to {}", p.key, p.low, p.high)?;
        }
    }
    if let Some(o) = &s.optimize {
        writeln!(w)?;
        writeln!(w, "[optimize], for `telur optimize` (its flags win):")?;
        for line in telur::report::resolved::optimize_toml(o, regions).lines() {
            writeln!(w, "  {line}")?;
        }
    }
    let bytes =
        scenario::memory_estimate(&s.placements, s.world.weeks, regions.len(), s.replicates());
    writeln!(w)?;
    writeln!(
        w,
        "memory estimate: {:.1} MiB (limit {} GiB)",
        bytes as f64 / f64::from(1u32 << 20),
        scenario::MEMORY_LIMIT_BYTES >> 30
    )?;
    Ok(())
}

/// One resolved key: value, origin, and whether an embedded default is an estimate.
fn resolved_line(w: &mut dyn Write, r: &Resolved) -> io::Result<()> {
    let estimate =
        if r.origin == ValueOrigin::Default && data::estimated_defaults().contains(&r.key) {
            "  (ESTIMATE)"
        } else {
            ""
        };
    writeln!(
        w,
        "{:<44} {:<30} {}{estimate}",
        r.key,
        r.value.to_string(),
        r.origin.label()
    )
}

/// A placement's design: the keys it sets itself, then the rest (the scenario's).
fn design_lines(w: &mut dyn Write, design: &[Resolved]) -> io::Result<()> {
    let own: Vec<&Resolved> = design
        .iter()
        .filter(|r| r.origin == ValueOrigin::Placement)
        .collect();
    if own.is_empty() {
        return writeln!(
            w,
            "    design: the scenario's (it sets no design key of its own)"
        );
    }
    writeln!(
        w,
        "    design (keys it sets itself first, then the scenario's, each with where it came from):"
    )?;
    for r in own
        .into_iter()
        .chain(design.iter().filter(|r| r.origin != ValueOrigin::Placement))
    {
        write!(w, "      ")?;
        resolved_line(w, r)?;
    }
    Ok(())
}

pub(super) fn data_command(what: DataKind, breed: Option<&str>) -> Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match (what, breed) {
        (DataKind::Regions, None) => {
            data::indonesia().write_csv(&mut out)?;
            eprintln!("{}", data::sources_section("regions/"));
            eprintln!(
                "\nBasis of production and transport cost, province by province:\n{}",
                data::PROVENANCE_CSV.trim_end()
            );
        }
        (DataKind::Regions, Some(_)) => {
            return Err(input_error(InputError::new(
                "--breed",
                "only goes with `telur data breeds`",
            )));
        }
        (DataKind::Breeds, Some(name)) => {
            let reference = if name.starts_with("builtin:") {
                name.to_string()
            } else {
                format!("builtin:{name}")
            };
            let b = data::builtin_breed(&reference).map_err(input_error)?;
            b.write_csv(&mut out)?;
            eprintln!("{}", data::sources_section("breeds/"));
        }
        (DataKind::Breeds, None) => {
            writeln!(out, "breed,{}", data::breed::COLUMNS.join(","))?;
            for reference in data::BUILTIN_BREEDS {
                let b = data::builtin_breed(reference).map_err(input_error)?;
                let mut body = Vec::new();
                b.write_csv(&mut body)?;
                for line in String::from_utf8_lossy(&body).lines().skip(1) {
                    writeln!(out, "{},{line}", b.name)?;
                }
            }
            eprintln!("{}", data::sources_section("breeds/"));
        }
    }
    out.flush()?;
    Ok(())
}
