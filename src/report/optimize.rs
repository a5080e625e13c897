//! The outputs of `telur optimize` beside the usual run outputs: `optimize.json` (what
//! was searched, the winner, its lead over the runner-up and over each hand-made
//! placement), `search.csv` (every allocation evaluated), `allocation.toml` (the winner as
//! a ready `[[placement]]`), the chart of each region's value for the next step of KUBE,
//! the frontier between two metrics, and the report's section on all of it.

use std::collections::BTreeMap;
use std::io;

use maud::{Markup, PreEscaped, html};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::charts::{FONT, Figure, GRID, Res, color, max_finite, min_finite, row_mesh};
use super::csv::CsvWriter;
use super::format::{compact, percent, thousands};
use super::manifest::ScenarioRef;
use crate::optimize::search::mean;
use crate::optimize::{Outcome, Stage};
use crate::results::metrics::summary as sm;
use crate::stats::quantile_sorted;

/// The name of the optimised placement in the run.
pub const OPTIMIZED: &str = "optimized";

/// A paired difference, as written: mean and 95% interval of the mean, the replicates
/// compared and the share in which the first was ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadEntry {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub replicates: usize,
    pub ahead_share: f64,
}

impl From<crate::stats::paired::Difference> for LeadEntry {
    fn from(d: crate::stats::paired::Difference) -> Self {
        LeadEntry {
            mean: d.mean,
            low: d.low,
            high: d.high,
            replicates: d.replicates,
            ahead_share: d.wins,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermEntry {
    pub metric: String,
    pub weight: f64,
    /// What the metric is divided by (its mean under the design placement's allocation).
    pub scale: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerUp {
    pub allocation: BTreeMap<String, u32>,
    pub objective_mean: Option<f64>,
    /// The winner minus the runner-up.
    pub lead: Option<LeadEntry>,
}

/// The winner against one of the scenario's placements, in the full run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Against {
    pub placement: String,
    pub kubes: u64,
    pub objective_mean: Option<f64>,
    /// `optimized` minus the placement, paired over the run's replicates.
    pub lead: Option<LeadEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarginalEntry {
    pub region: String,
    /// KUBE the region has in the winning allocation.
    pub kubes: u32,
    /// What one step more there adds to the objective.
    pub value: LeadEntry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierEntry {
    /// Weight of the first metric; the second has one minus it.
    pub weight: f64,
    pub allocation: BTreeMap<String, u32>,
    /// Mean of each of the two metrics.
    pub metrics: Vec<f64>,
}

/// `optimize.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizeSummary {
    pub program: String,
    pub kind: String,
    pub version: String,
    pub git_commit: String,
    pub scenario: ScenarioRef,
    /// The placement whose design the KUBE get.
    pub design: String,
    /// `sum_k weight_k * metric_k / scale_k`, in words.
    pub objective: String,
    pub terms: Vec<TermEntry>,
    pub budget_kubes: u32,
    pub budget_rp: Option<f64>,
    /// Programme cost per KUBE of the design placement's own allocation: what converts a
    /// rupiah budget into KUBE.
    pub cost_per_kube_rp: f64,
    /// The winner's programme cost (mean over its replicates). Costs differ by region and
    /// start week, so under a rupiah budget it can differ from the budget by a little.
    pub program_cost_rp: Option<f64>,
    pub step_kubes: u32,
    /// Regions the KUBE could go to.
    pub regions: Vec<String>,
    pub min: BTreeMap<String, u32>,
    pub max: BTreeMap<String, u32>,
    pub mode: String,
    pub seed: u64,
    pub replicates_per_evaluation: u32,
    pub confirm_replicates: u32,
    pub allocations_evaluated: usize,
    pub model_runs: u64,
    /// The winner: KUBE per region (regions with none left out).
    pub allocation: BTreeMap<String, u32>,
    pub objective_mean: Option<f64>,
    /// Replicates behind `objective_mean` (the search's and stage 3's).
    pub objective_replicates: usize,
    pub runner_up: Option<RunnerUp>,
    /// Replicates of the full run.
    pub run_replicates: u32,
    pub placements: Vec<Against>,
    /// Each region's value for one more step, best first.
    pub marginal: Vec<MarginalEntry>,
    pub frontier: Vec<FrontierEntry>,
    pub wall_time_seconds: f64,
    /// SHA-256 of `allocation.toml` and `search.csv`.
    pub files: BTreeMap<String, String>,
}

impl OptimizeSummary {
    pub fn read(text: &str) -> Result<OptimizeSummary, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The objective's unit, for axis labels.
    pub fn unit(&self) -> String {
        match self.terms.as_slice() {
            [t] if t.scale == 1.0 && t.weight == 1.0 => t.metric.clone(),
            _ => "weighted objective (1 = the design placement's allocation)".into(),
        }
    }
}

/// The KUBE per region of an allocation, by name, regions with none left out.
pub fn allocation_map(kubes: &[u32], names: &[String]) -> BTreeMap<String, u32> {
    kubes
        .iter()
        .zip(names)
        .filter(|(k, _)| **k > 0)
        .map(|(&k, n)| (n.clone(), k))
        .collect()
}

/// Finite, or `None` (JSON has no NaN).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Header of `search.csv`: the candidate regions' counts, then the objective and, for a
/// weighted objective, each metric's mean.
pub fn search_header(regions: &[String], metrics: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = ["evaluation", "stage"].map(String::from).to_vec();
    h.extend(regions.iter().cloned());
    h.extend(
        [
            "kubes",
            "replicates",
            "objective_mean",
            "objective_p05",
            "objective_p95",
        ]
        .map(String::from),
    );
    if metrics.len() > 1 {
        h.extend(metrics.iter().map(|m| format!("{m}_mean")));
    }
    h
}

/// Writes `search.csv`: every allocation evaluated, in the order first evaluated.
pub fn search_rows<W: io::Write>(
    outcome: &Outcome,
    candidates: &[usize],
    w: &mut CsvWriter<W>,
) -> io::Result<()> {
    for (i, r) in outcome.records.iter().enumerate() {
        let values = outcome.values(i);
        let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| {
            if sorted.is_empty() {
                f64::NAN
            } else {
                quantile_sorted(&sorted, p)
            }
        };
        let mut keys: Vec<String> = vec![i.to_string(), r.stage.name().to_string()];
        keys.extend(candidates.iter().map(|&c| r.kubes[c].to_string()));
        keys.push(r.total().to_string());
        keys.push(r.summaries.len().to_string());
        let mut numbers = vec![mean(&values), q(0.05), q(0.95)];
        if outcome.objective.terms.len() > 1 {
            for t in &outcome.objective.terms {
                let m: Vec<f64> = r.summaries.iter().map(|s| s[t.metric]).collect();
                numbers.push(mean(&m));
            }
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        w.cells(&keys, &numbers)?;
    }
    Ok(())
}

/// Each record's stage counted, for the text printed at the end.
pub fn stage_counts(outcome: &Outcome) -> Vec<(Stage, usize)> {
    let mut counts: Vec<(Stage, usize)> = Vec::new();
    for r in &outcome.records {
        match counts.iter_mut().find(|(s, _)| *s == r.stage) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.stage, 1)),
        }
    }
    counts
}

/// What one more step of KUBE adds, region by region: the planner's priority list.
pub struct MarginalChart<'a>(pub &'a OptimizeSummary);

/// At most this many regions in the chart (the list in optimize.json has them all).
const MARGINAL_ROWS: usize = 20;

impl Figure for MarginalChart<'_> {
    fn title(&self) -> String {
        format!(
            "Where the next {} KUBE would add most, at the optimised allocation",
            self.0.step_kubes
        )
    }

    fn draw_body<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res
    where
        DB::ErrorType: 'static,
    {
        let rows: Vec<&MarginalEntry> = self.0.marginal.iter().take(MARGINAL_ROWS).collect();
        let n = rows.len().max(1) as f64;
        let lo = min_finite(rows.iter().flat_map(|r| [r.value.low, r.value.mean])).min(0.0);
        let hi = max_finite(rows.iter().flat_map(|r| [r.value.high, r.value.mean]), 1e-9).max(0.0);
        let pad = (hi - lo).max(1e-9) * 0.08;
        let names: Vec<String> = rows
            .iter()
            .map(|r| format!("{} ({} now)", r.region, r.kubes))
            .collect();
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(260)
            .build_cartesian_2d(lo - pad..hi + pad, -0.5..n - 0.5)?;
        row_mesh(
            &mut chart,
            &names,
            &|x| compact(*x),
            &format!("change in {} (95% interval)", self.0.unit()),
            13,
        )?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n - 0.5)],
            BLACK.stroke_width(1),
        )))?;
        for (rank, r) in rows.iter().enumerate() {
            let y = n - 1.0 - rank as f64;
            let c = if r.value.mean >= 0.0 {
                color(0)
            } else {
                color(1)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.32), (r.value.mean, y + 0.32)],
                c.mix(0.85).filled(),
            )))?;
            if r.value.low < r.value.high {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(r.value.low, y), (r.value.high, y)],
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        Ok(())
    }
}

/// The best allocations for a sweep of weights between two metrics, with the scenario's
/// placements for comparison.
pub struct FrontierChart<'a> {
    pub summary: &'a OptimizeSummary,
    /// Each placement of the run (optimized included): name and its means of the two metrics.
    pub placements: Vec<(String, [f64; 2])>,
}

impl Figure for FrontierChart<'_> {
    fn title(&self) -> String {
        let t = &self.summary.terms;
        format!(
            "What one metric costs in the other: {} against {}",
            t[0].metric, t[1].metric
        )
    }

    fn draw_body<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res
    where
        DB::ErrorType: 'static,
    {
        let t = &self.summary.terms;
        let points: Vec<(f64, f64, f64)> = self
            .summary
            .frontier
            .iter()
            .filter(|f| f.metrics.len() == 2)
            .map(|f| (f.weight, f.metrics[0], f.metrics[1]))
            .collect();
        let xs = points
            .iter()
            .map(|p| p.1)
            .chain(self.placements.iter().map(|p| p.1[0]));
        let ys = points
            .iter()
            .map(|p| p.2)
            .chain(self.placements.iter().map(|p| p.1[1]));
        let (x0, x1) = (min_finite(xs.clone()), max_finite(xs, 1.0));
        let (y0, y1) = (min_finite(ys.clone()), max_finite(ys, 1.0));
        let (px, py) = ((x1 - x0).max(1e-9) * 0.1, (y1 - y0).max(1e-9) * 0.1);
        let mut chart = ChartBuilder::on(area)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(x0 - px..x1 + px, y0 - py..y1 + py)?;
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_desc(t[0].metric.as_str())
            .y_desc(t[1].metric.as_str())
            .x_label_formatter(&|x| compact(*x))
            .y_label_formatter(&|y| compact(*y))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        let mut sorted = points.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(
                sorted.iter().map(|p| (p.1, p.2)),
                color(0).stroke_width(2),
            ))?
            .label("best allocation for a weight")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color(0).stroke_width(2)));
        for &(w, x, y) in &sorted {
            chart.draw_series(std::iter::once(Circle::new((x, y), 5, color(0).filled())))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("w = {w}"),
                (x, y),
                (FONT, 12).into_font(),
            )))?;
        }
        for (i, (name, [x, y])) in self.placements.iter().enumerate() {
            let c = color(i + 1);
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    (*x, *y),
                    7,
                    c.filled(),
                )))?
                .label(name.as_str())
                .legend(move |(x, y)| TriangleMarker::new((x + 9, y), 6, c.filled()));
        }
        super::charts::legend(&mut chart, SeriesLabelPosition::LowerLeft, 12)?;
        Ok(())
    }
}

/// The charts of an optimisation: file name and figure.
pub fn chart_names(summary: &OptimizeSummary) -> Vec<&'static str> {
    let mut names = vec!["optimize-marginal"];
    if summary.frontier.len() > 1 && summary.terms.len() == 2 {
        names.push("optimize-frontier");
    }
    names
}

fn lead_text(l: &LeadEntry) -> String {
    if l.low < l.high {
        format!(
            "{} (95% interval {} to {})",
            compact(l.mean),
            compact(l.low),
            compact(l.high)
        )
    } else {
        compact(l.mean)
    }
}

/// The report's section on the optimisation.
pub fn section(summary: &OptimizeSummary, svgs: &[String]) -> Markup {
    let o = summary;
    let allocation: Vec<String> = o
        .allocation
        .iter()
        .map(|(r, k)| format!("{r} {k}"))
        .collect();
    html! {
        h2 { "Where the next " (thousands(f64::from(o.budget_kubes))) " KUBE should go" }
        p {
            "telur optimize searched for the allocation of " (thousands(f64::from(o.budget_kubes)))
            " KUBE"
            @if let Some(rp) = o.budget_rp { " (what Rp " (compact(rp)) " buys at Rp " (compact(o.cost_per_kube_rp)) " per KUBE of the design placement; the allocation found costs Rp " (o.program_cost_rp.map_or("-".into(), compact)) ", since costs differ by region and start week)" }
            " with the design of " strong { (o.design) } " over " (o.regions.len())
            " regions, in steps of " (o.step_kubes) ", that does best on " strong { (o.objective) }
            ". It is the placement " strong { (OPTIMIZED) } " in every table and chart of this report: "
            (allocation.join(", ")) "."
        }
        @if o.terms.len() > 1 {
            p.note { "A weighted objective adds each metric divided by its mean under " (o.design) "'s own allocation, so every term is 1 there and the weights say how much of each is worth how much of the other." }
        }
        p {
            "The search evaluated " (o.allocations_evaluated) " allocations (" (thousands(o.model_runs as f64))
            " model runs, " (o.replicates_per_evaluation) " replicate" @if o.replicates_per_evaluation != 1 { "s" }
            " each, the same replicates for every allocation): greedy steps, each to the region where it adds most; then moves of a step from one region to another until none helped; then the best few compared again with more replicates, shared by OCBA. Every allocation is in " code { "search.csv" } "; the winner, ready to paste into a scenario, in " code { "allocation.toml" } "."
        }
        @if let Some(r) = &o.runner_up {
            @if let Some(l) = &r.lead {
                p {
                    "Its lead over the runner-up ("
                    (r.allocation.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "))
                    "): " strong { (lead_text(l)) } " on the objective, ahead in "
                    (percent(l.ahead_share)) " of " (l.replicates) " paired replicates."
                    @if l.low <= 0.0 && l.low < l.high { " The interval includes zero: the two do about equally well, and either is a sound choice." }
                }
            }
        }
        @if !o.placements.is_empty() {
            h3 { "Against the scenario's placements" }
            p.note { "The objective in the full run (" (o.run_replicates) " replicate" @if o.run_replicates != 1 { "s" } "), the optimised allocation minus each placement, replicate by replicate under the same luck, with the 95% interval of the mean difference." }
            table {
                thead { tr { th { "placement" } th { "KUBE" } th { "objective" } th { "optimized ahead by" } th { "ahead in" } } }
                tbody {
                    @for a in &o.placements {
                        tr {
                            td { (a.placement) }
                            td { (thousands(a.kubes as f64)) }
                            td { (a.objective_mean.map_or("-".into(), compact)) }
                            td { (a.lead.as_ref().map_or("-".into(), lead_text)) }
                            td { (a.lead.as_ref().map_or("-".into(), |l| percent(l.ahead_share))) }
                        }
                    }
                }
            }
        }
        @for (name, svg) in chart_names(o).iter().zip(svgs) {
            figure {
                (PreEscaped(svg))
                figcaption {
                    @if *name == "optimize-marginal" {
                        "The planner's priority list: what " (o.step_kubes) " more KUBE would add to the objective in each region, on top of the optimised allocation (bars: mean; lines: 95% interval of the mean, paired). Where prices fall as KUBE multiply, the next step is worth less than the first."
                    } @else {
                        "Each dot is the best allocation found when the first metric has weight w and the second 1 - w; triangles are the scenario's placements. Allocations on the line cannot do better on one metric without doing worse on the other."
                    }
                }
            }
        }
    }
}

/// The summary metric index of a name written in `optimize.json`.
pub fn metric_index(name: &str) -> Option<usize> {
    sm::NAMES.iter().position(|n| *n == name)
}
