//! The outputs of `telur sensitivity`: `sensitivity.csv`, `samples.csv`, a chart per
//! metric (a tornado of Morris `mu*` and `sigma`, or Sobol first-order and total indices)
//! and `sensitivity.html`, which says how to read them.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::charts::{FONT, Figure, Res, Rows, color, max_finite, panels, row_mesh};
use super::csv::CsvWriter;
use super::manifest::{RangeEntry, ScenarioRef};
use crate::sensitivity::{Analysis, Method, Row};

/// Header of `sensitivity.csv`.
pub const HEADER: [&str; 7] = [
    "placement",
    "metric",
    "parameter",
    "index",
    "value",
    "ci_low",
    "ci_high",
];

/// Writes `sensitivity.csv`: one row per placement, metric, parameter and index.
pub fn sensitivity_rows<W: Write>(rows: &[Row], out: &mut CsvWriter<W>) -> io::Result<()> {
    for r in rows {
        let e = r.estimate;
        out.cells(
            &[&r.placement, r.metric, &r.parameter, r.index],
            &[e.value, e.low, e.high],
        )?;
    }
    Ok(())
}

/// Header of `samples.csv`: the sample, each parameter, then `placement/metric` for every
/// result.
pub fn samples_header(
    parameters: &[String],
    placements: &[String],
    metrics: &[&str],
) -> Vec<String> {
    let mut h = vec!["sample".to_string()];
    h.extend(parameters.iter().cloned());
    for p in placements {
        for m in metrics {
            h.push(format!("{p}/{m}"));
        }
    }
    h
}

/// Writes `samples.csv`: every sample point's parameter values and results.
pub fn samples_rows<W: Write>(a: &Analysis, out: &mut CsvWriter<W>) -> io::Result<()> {
    let mut row = Vec::new();
    for (i, (values, outputs)) in a.values.iter().zip(&a.outputs).enumerate() {
        row.clear();
        row.extend_from_slice(values);
        for placement in outputs {
            row.extend_from_slice(placement);
        }
        out.record(i, &row)?;
    }
    Ok(())
}

/// `manifest.json` of a sensitivity folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivityManifest {
    pub program: String,
    pub kind: String,
    pub version: String,
    pub git_commit: String,
    pub model: String,
    pub scenario: ScenarioRef,
    pub method: String,
    /// Morris trajectories or Sobol base rows.
    pub samples: usize,
    /// Sample points run (each for every placement and replicate).
    pub points: usize,
    pub mode: String,
    pub replicates: u32,
    pub seed: u64,
    pub threads: usize,
    pub parameters: Vec<RangeEntry>,
    pub metrics: Vec<String>,
    pub wall_time_seconds: f64,
    pub outputs: BTreeMap<String, String>,
}

/// The chart of one metric: a panel per placement, the parameters that matter most.
pub struct IndexChart<'a> {
    pub method: Method,
    pub metric: &'a str,
    pub placements: &'a [String],
    pub rows: &'a [Row],
}

/// Parameters shown per panel.
const SHOWN: usize = 12;

impl IndexChart<'_> {
    /// File stem: `tornado-<metric>` or `sobol-<metric>`.
    pub fn name(&self) -> String {
        match self.method {
            Method::Morris => format!("tornado-{}", self.metric),
            Method::Sobol => format!("sobol-{}", self.metric),
        }
    }

    /// One placement's indices of this metric: (parameter, main, second), the main index
    /// `mu*` or `ST` and the second `sigma` or `S1`, most important first.
    fn ranked(&self, placement: &str) -> Vec<(String, Row, Row)> {
        let (main, second) = match self.method {
            Method::Morris => ("mu_star", "sigma"),
            Method::Sobol => ("ST", "S1"),
        };
        let of = |index: &'static str| {
            self.rows.iter().filter(move |r| {
                r.placement == placement && r.metric == self.metric && r.index == index
            })
        };
        let mut ranked: Vec<(String, Row, Row)> = of(main)
            .filter_map(|m| {
                of(second)
                    .find(|s| s.parameter == m.parameter)
                    .map(|s| (m.parameter.clone(), m.clone(), s.clone()))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.estimate.value.total_cmp(&a.1.estimate.value));
        ranked.truncate(SHOWN);
        ranked
    }
}

impl Figure for IndexChart<'_> {
    fn title(&self) -> String {
        match self.method {
            Method::Morris => format!(
                "What moves {}: Morris mu* (bars) and sigma (dots)",
                self.metric
            ),
            Method::Sobol => format!(
                "What moves {}: Sobol total (dark) and first-order (light) indices",
                self.metric
            ),
        }
    }

    fn draw_body<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res
    where
        DB::ErrorType: 'static,
    {
        let all: Vec<Vec<(String, Row, Row)>> =
            self.placements.iter().map(|p| self.ranked(p)).collect();
        let top = max_finite(
            all.iter().flatten().flat_map(|(_, m, s)| {
                [
                    m.estimate.high,
                    m.estimate.value,
                    s.estimate.value,
                    s.estimate.high,
                ]
            }),
            1e-9,
        ) * 1.1;
        for (i, (panel, ranked)) in panels(area, all.len()).iter().zip(&all).enumerate() {
            let n = ranked.len().max(1) as f64;
            let mut chart = ChartBuilder::on(panel)
                .caption(&self.placements[i], (FONT, 16))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(230)
                .build_cartesian_2d(0.0..top, -0.5..n - 0.5)?;
            let names: Vec<&str> = ranked.iter().map(|(p, ..)| p.as_str()).collect();
            row_mesh(&mut chart, &names, &|x| format!("{x:.3}"), "", 11)?;
            let c = color(i);
            for (rank, (_, main, second)) in ranked.iter().enumerate() {
                let y = n - 1.0 - rank as f64;
                match self.method {
                    Method::Morris => {
                        bar(&mut chart, y, 0.32, main.estimate.value, c.filled())?;
                        interval(&mut chart, y, main)?;
                        chart.draw_series(std::iter::once(Circle::new(
                            (second.estimate.value, y),
                            5,
                            BLACK.filled(),
                        )))?;
                    }
                    Method::Sobol => {
                        bar(&mut chart, y + 0.17, 0.15, main.estimate.value, c.filled())?;
                        interval(&mut chart, y + 0.17, main)?;
                        bar(
                            &mut chart,
                            y - 0.17,
                            0.15,
                            second.estimate.value,
                            c.mix(0.4).filled(),
                        )?;
                        interval(&mut chart, y - 0.17, second)?;
                    }
                }
            }
        }
        Ok(())
    }
}

type Panel<'a, DB> = Rows<'a, DB>;

fn bar<'a, DB: DrawingBackend + 'a>(
    chart: &mut Panel<'a, DB>,
    y: f64,
    half: f64,
    value: f64,
    style: ShapeStyle,
) -> Res
where
    DB::ErrorType: 'static,
{
    if value.is_finite() {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - half), (value.max(0.0), y + half)],
            style,
        )))?;
    }
    Ok(())
}

/// A horizontal confidence interval at `y`.
fn interval<'a, DB: DrawingBackend + 'a>(chart: &mut Panel<'a, DB>, y: f64, r: &Row) -> Res
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = (r.estimate.low, r.estimate.high);
    if lo.is_finite() && hi.is_finite() && lo < hi {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(lo.max(0.0), y), (hi, y)],
            BLACK.stroke_width(1),
        )))?;
    }
    Ok(())
}

/// How to read the indices, for the page.
fn how_to_read(method: Method) -> Markup {
    html! {
        @match method {
            Method::Morris => {
                p { "Morris screening moves one parameter at a time, by two thirds of its plausible range, from many starting points (trajectories) across all the ranges, and records how much each move changes the result (an elementary effect, per unit of the range)." }
                ul {
                    li { strong { "mu*" } " (the bars): the mean size of a parameter's effects. A parameter with a long bar matters: narrowing its range, with local evidence, narrows the result most. A parameter near zero can be left at its default." }
                    li { strong { "sigma" } " (the dots): how much its effects vary from one starting point to another. A sigma as large as mu* means the parameter acts through other parameters (interactions) or non-linearly." }
                    li { "The thin lines are 95% bootstrap intervals over the trajectories. Overlapping bars do not rank reliably: add trajectories (" code { "--samples" } ")." }
                }
                p { "Results are the means over the replicates at each point, with the same luck at every point (common random numbers), so the effects are the parameters', not the dice's. A parameter that cannot affect a result (any stochastic parameter in deterministic mode) gets exactly zero." }
            }
            Method::Sobol => {
                p { "Sobol indices split the variance of a result over the parameters' plausible ranges (all moving together, uniformly) into shares." }
                ul {
                    li { strong { "First-order (S1, light)" } ": the share of the variance due to the parameter alone. Fixing it at its true value would remove that share." }
                    li { strong { "Total (ST, dark)" } ": the share due to the parameter with all its interactions. A parameter with a total index near zero can be fixed anywhere in its range without changing the result." }
                    li { "ST well above S1 means interactions. The thin lines are 95% bootstrap intervals over the sample rows; small indices with wide intervals are noise: add base rows (" code { "--samples" } ")." }
                }
            }
        }
        p { "The gap in graduation caused (" code { "graduation_caused_gap_to_best" } ") is how far each placement trails the best placement at the same parameters: the parameters that move it are those on which the choice of placement depends." }
    }
}

/// Writes `sensitivity.html`: the question, how to read the charts, each chart, the top
/// parameters per placement and metric, and what was run.
pub fn write_page<W: Write>(
    m: &SensitivityManifest,
    charts: &[(String, String)],
    rows: &[Row],
    mut out: W,
) -> io::Result<()> {
    let method = if m.method == "sobol" {
        Method::Sobol
    } else {
        Method::Morris
    };
    let main = match method {
        Method::Morris => "mu_star",
        Method::Sobol => "ST",
    };
    let mut leaders: Vec<(&str, &str, Vec<&Row>)> = Vec::new();
    for r in rows.iter().filter(|r| r.index == main) {
        match leaders
            .iter_mut()
            .find(|(p, mt, _)| *p == r.placement && *mt == r.metric)
        {
            Some((_, _, v)) => v.push(r),
            None => leaders.push((&r.placement, r.metric, vec![r])),
        }
    }
    for (_, _, v) in leaders.iter_mut() {
        v.sort_by(|a, b| b.estimate.value.total_cmp(&a.estimate.value));
        v.truncate(3);
    }
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (PreEscaped("<meta charset=\"utf-8\"/>"))
                title { "telur sensitivity: " (m.scenario.name) }
                style { (PreEscaped(super::html::CSS)) }
            }
            body {
                h1 { "Which estimates matter: " (m.scenario.name) }
                p.lead {
                    "A " (m.method) " analysis of " (m.parameters.len()) " uncertain parameters over their plausible ranges ("
                    (m.points) " sample points, each run with " (m.replicates) " replicate" @if m.replicates != 1 { "s" }
                    " in " (m.mode) " mode, seed " (m.seed) ")."
                }
                h2 { "How to read it" }
                (how_to_read(method))
                h2 { "The parameters that matter most" }
                table {
                    thead { tr { th { "placement" } th { "metric" } th { "first" } th { "second" } th { "third" } } }
                    tbody {
                        @for (placement, metric, top) in &leaders {
                            tr {
                                td { (placement) } td { (metric) }
                                @for r in top { td { (r.parameter) br; span.note { (main) " " (format!("{:.3}", r.estimate.value)) } } }
                            }
                        }
                    }
                }
                h2 { "Charts" }
                @for (name, svg) in charts {
                    figure id=(name) {
                        (PreEscaped(svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..])))
                    }
                }
                h2 { "The ranges" }
                table {
                    thead { tr { th { "parameter" } th { "low" } th { "high" } th { "basis" } } }
                    tbody { @for r in &m.parameters { tr { td { (r.key) } td { (r.low) } td { (r.high) } td { (r.basis) } } } }
                }
                p.note { "Every index with its interval: sensitivity.csv. Every sample point with its results: samples.csv. telur " (m.version) ", " (m.model) "." }
            }
        }
    };
    out.write_all(page.into_string().as_bytes())?;
    writeln!(out)
}

/// Draws one chart of the analysis as PNG and SVG.
pub fn render(chart: &IndexChart) -> Result<(Vec<u8>, String), Box<dyn Error>> {
    Ok((super::charts::png_of(chart)?, super::charts::svg_of(chart)?))
}
