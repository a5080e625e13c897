//! Reading a run back from its output folder's files, for charts and the report.
//!
//! `telur report DIR` redraws from these files alone, so charts never depend on anything
//! but what a run wrote: the four CSVs, the manifest, and `inputs/scenario.toml`.

use std::collections::HashMap;

use super::manifest::Manifest;
use crate::error::InputError;
use crate::model::calendar::Calendar;
use crate::results::PlacementResult;
use crate::results::metrics::{program_weekly, region_summary, region_weekly, summary};
use crate::scenario::Scenario;
use crate::stats::Stat;

/// Everything a report draws on.
pub struct RunData {
    pub scenario: Scenario,
    pub manifest: Manifest,
    pub calendar: Calendar,
    /// The baseline first, then the placements, in the order of `summary.csv`.
    pub placements: Vec<PlacementResult>,
    /// What `telur optimize` found (`optimize.json`), in the folder of an optimisation.
    pub optimization: Option<super::optimize::OptimizeSummary>,
}

impl RunData {
    pub fn baseline(&self) -> &PlacementResult {
        &self.placements[0]
    }

    /// The placements other than the baseline.
    pub fn programmes(&self) -> &[PlacementResult] {
        &self.placements[1..]
    }

    /// Regions with at least one KUBE in a placement (its target regions).
    pub fn targets(&self, p: &PlacementResult) -> Vec<usize> {
        (0..self.scenario.world.regions.len())
            .filter(|&r| p.region_summary[[r, region_summary::KUBES]].mean > 0.0)
            .collect()
    }
}

/// The CSV texts of an output folder, by file name.
pub struct Files<'a> {
    pub summary: &'a str,
    pub region_summary: &'a str,
    pub region_weekly: &'a str,
    pub program_weekly: &'a str,
}

fn cell(text: &str) -> Result<f64, String> {
    match text {
        "" => Ok(f64::NAN),
        t => t
            .parse::<f64>()
            .map_err(|_| format!("{t:?} is not a number")),
    }
}

/// Reads the last four cells of a record as a [`Stat`].
fn stat(record: &csv::StringRecord, file: &str, line: usize) -> Result<Stat, InputError> {
    let n = record.len();
    let get = |i: usize| {
        record
            .get(i)
            .ok_or_else(|| "missing columns".to_string())
            .and_then(cell)
            .map_err(|e| InputError::new(file, e).at_line(Some(line)))
    };
    if n < 4 {
        return Err(InputError::new(file, "too few columns").at_line(Some(line)));
    }
    Ok(Stat {
        mean: get(n - 4)?,
        p05: get(n - 3)?,
        p50: get(n - 2)?,
        p95: get(n - 1)?,
    })
}

/// Parses a long-format CSV: calls `row` with each record's key cells and its stat.
fn rows(
    file: &str,
    text: &str,
    mut row: impl FnMut(&csv::StringRecord, Stat, usize) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    // One record, refilled row after row: a run's region_weekly.csv has hundreds of
    // thousands of rows.
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| InputError::new(file, e.to_string()))?
    {
        let line = record.position().map_or(0, |p| p.line() as usize);
        let s = stat(&record, file, line)?;
        row(&record, s, line)?;
    }
    Ok(())
}

fn index_of(names: &[&str], name: &str, file: &str, line: usize) -> Result<usize, InputError> {
    names.iter().position(|n| *n == name).ok_or_else(|| {
        InputError::new(file, format!("unknown metric {name:?}")).at_line(Some(line))
    })
}

/// Rebuilds every placement's results from the CSVs of a run of `scenario`.
pub fn results(scenario: &Scenario, files: &Files) -> Result<Vec<PlacementResult>, InputError> {
    let weeks = scenario.world.weeks as usize;
    let n_regions = scenario.world.regions.len();
    let region_index: HashMap<&str, usize> = scenario
        .world
        .regions
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let mut results = Builder {
        weeks,
        n_regions,
        order: Vec::new(),
        by_name: HashMap::new(),
    };
    let region = |name: &str, file: &str, line: usize| {
        region_index.get(name).copied().ok_or_else(|| {
            InputError::new(file, format!("unknown region {name:?}")).at_line(Some(line))
        })
    };
    let week = |text: &str, file: &str, line: usize| {
        text.parse::<usize>()
            .ok()
            .filter(|&w| w < weeks)
            .ok_or_else(|| {
                InputError::new(file, format!("week {text:?} is outside the run"))
                    .at_line(Some(line))
            })
    };
    rows("summary.csv", files.summary, |r, s, line| {
        let m = index_of(&summary::NAMES, &r[1], "summary.csv", line)?;
        results.entry(&r[0]).summary[m] = s;
        Ok(())
    })?;
    rows("region_summary.csv", files.region_summary, |r, s, line| {
        let f = "region_summary.csv";
        let (reg, m) = (
            region(&r[1], f, line)?,
            index_of(&region_summary::NAMES, &r[2], f, line)?,
        );
        results.entry(&r[0]).region_summary[[reg, m]] = s;
        Ok(())
    })?;
    rows("region_weekly.csv", files.region_weekly, |r, s, line| {
        let f = "region_weekly.csv";
        let (t, reg) = (week(&r[1], f, line)?, region(&r[3], f, line)?);
        let m = index_of(&region_weekly::NAMES, &r[4], f, line)?;
        results.entry(&r[0]).region_weekly[[t, reg, m]] = s;
        Ok(())
    })?;
    rows("program_weekly.csv", files.program_weekly, |r, s, line| {
        let f = "program_weekly.csv";
        let (t, m) = (
            week(&r[1], f, line)?,
            index_of(&program_weekly::NAMES, &r[3], f, line)?,
        );
        results.entry(&r[0]).program_weekly[[t, m]] = s;
        Ok(())
    })?;
    if results.order.first().map(String::as_str) != Some(crate::results::BASELINE) {
        return Err(InputError::new(
            "summary.csv",
            "does not start with the baseline",
        ));
    }
    let Builder {
        order, mut by_name, ..
    } = results;
    Ok(order
        .into_iter()
        .filter_map(|name| by_name.remove(&name))
        .collect())
}

/// Placement results filled in cell by cell, remembering the order placements appear in.
struct Builder {
    weeks: usize,
    n_regions: usize,
    order: Vec<String>,
    by_name: HashMap<String, PlacementResult>,
}

impl Builder {
    fn entry(&mut self, name: &str) -> &mut PlacementResult {
        if !self.by_name.contains_key(name) {
            self.order.push(name.to_string());
            let empty = PlacementResult::empty(name, self.weeks, self.n_regions);
            self.by_name.insert(name.to_string(), empty);
        }
        self.by_name
            .get_mut(name)
            .expect("inserted above if it was missing")
    }
}
