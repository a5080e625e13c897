//! Reading a run back from its output folder's files, for charts and the report.
//!
//! `telur report DIR` redraws from these files alone, so charts never depend on anything
//! but what a run wrote: the four CSVs, the manifest, and `inputs/scenario.toml`. A run
//! itself draws from the results it wrote the CSVs from, which are the same numbers (every
//! cell is the shortest decimal that reads back as the same `f64`): it skips reading them
//! back, and debug builds check [`same_results`] of the two.

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

/// Whether two sets of results hold the same numbers: the same names in the same order,
/// and every statistic the same bits, any NaN matching any NaN (an empty CSV cell).
pub fn same_results(a: &[PlacementResult], b: &[PlacementResult]) -> bool {
    fn same(a: &Stat, b: &Stat) -> bool {
        a.values()
            .iter()
            .zip(b.values())
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }
    fn all<'s>(
        a: impl ExactSizeIterator<Item = &'s Stat>,
        b: impl ExactSizeIterator<Item = &'s Stat>,
    ) -> bool {
        a.len() == b.len() && a.zip(b).all(|(x, y)| same(x, y))
    }
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            a.name == b.name
                && all(a.summary.iter(), b.summary.iter())
                && a.region_summary.dim() == b.region_summary.dim()
                && all(a.region_summary.iter(), b.region_summary.iter())
                && a.region_weekly.dim() == b.region_weekly.dim()
                && all(a.region_weekly.iter(), b.region_weekly.iter())
                && a.program_weekly.dim() == b.program_weekly.dim()
                && all(a.program_weekly.iter(), b.program_weekly.iter())
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str) -> PlacementResult {
        let mut p = PlacementResult::empty(name, 3, 2);
        for (i, s) in p.region_weekly.iter_mut().enumerate() {
            *s = Stat::single(i as f64 * 0.1);
        }
        p.summary[0] = Stat::single(-0.0);
        p
    }

    #[test]
    fn same_results_compare_every_bit_and_let_any_nan_match_any_nan() {
        let a = vec![result("baseline"), result("north")];
        assert!(same_results(&a, &a.clone()));
        // A NaN with another payload still matches: an empty cell reads as one NaN.
        let mut b = a.clone();
        b[1].program_weekly[[2, 1]].p95 = -f64::NAN;
        assert!(same_results(&a, &b));
        // One ulp, the sign of a zero, a name, a missing placement: different.
        let mut b = a.clone();
        let x = &mut b[1].region_weekly[[1, 1, 0]].p50;
        *x = f64::from_bits(x.to_bits() + 1);
        assert!(!same_results(&a, &b));
        let mut b = a.clone();
        b[0].summary[0].mean = 0.0;
        assert!(!same_results(&a, &b));
        let mut b = a.clone();
        b[1].name = "south".into();
        assert!(!same_results(&a, &b));
        assert!(!same_results(&a, &a[..1]));
        // Arrays of another shape are never the same, even where one holds no values.
        let mut b = a.clone();
        b[0].region_summary = ndarray::Array2::from_elem((0, 3), Stat::single(0.0));
        assert!(!same_results(&a, &b));
    }
}
