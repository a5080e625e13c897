//! `report.html`: one self-contained page (inline SVG and CSS, no scripts, no links out)
//! that a planner can open offline, mail or print.
//!
//! Written with maud's compile-time templates: every text is escaped unless wrapped in
//! `PreEscaped` (only the charts' own SVG is), so a placement or region name cannot break
//! the page. One function per section.

use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::charts::Chart;
use super::format::{percent, thousands};
use super::load::RunData;
use crate::results::PlacementResult;
use crate::results::metrics::{region_summary as rs, summary as sm};
use crate::stats::Stat;

pub(super) const CSS: &str = r#"
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222; max-width: 1240px; margin: 2em auto; padding: 0 1.2em; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; }
h3 { margin-top: 1.4em; }
.lead { font-size: 1.1em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef4f8; }
figure { margin: 1.5em 0; page-break-inside: avoid; break-inside: avoid; }
figure svg { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.95em; color: #444; margin-top: 0.3em; }
.estimate { color: #b35900; font-weight: bold; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; word-break: break-all; }
.note { color: #555; font-size: 0.9em; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-before: auto; } table, figure { page-break-inside: avoid; } }
"#;

/// How a number is shown in a table cell.
type Show = dyn Fn(f64) -> String;

/// `mean` with `p05 to p95` beneath it, or just the mean in a deterministic run.
fn with_interval(s: &Stat, ensemble: bool, show: &Show) -> Markup {
    html! {
        @if s.mean.is_nan() {
            "-"
        } @else if ensemble && s.p05 != s.p95 {
            (show(s.mean)) (PreEscaped("<br/>")) span.note { (show(s.p05)) " to " (show(s.p95)) }
        } @else {
            (show(s.mean))
        }
    }
}

/// Writes the report; `svgs` are the charts in [`Chart::ALL`] order, `optimize_svgs` those
/// of [`super::optimize::chart_names`] in the folder of an optimisation.
pub fn write_report<W: Write>(
    d: &RunData,
    svgs: &[String],
    optimize_svgs: &[String],
    mut out: W,
) -> io::Result<()> {
    let s = &d.scenario;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (PreEscaped("<meta charset=\"utf-8\"/>"))
                title { "telur: " (s.name) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "telur report: " (s.name) }
                @if !s.description.is_empty() {
                    p.lead { (s.description) }
                }
                (question(d))
                @if let Some(o) = &d.optimization {
                    (super::optimize::section(o, optimize_svgs))
                }
                (results(d))
                (charts(svgs))
                (by_region(d))
                (parameters(d))
                (provenance(d))
            }
        }
    };
    out.write_all(page.into_string().as_bytes())?;
    writeln!(out)
}

fn ensemble(d: &RunData) -> bool {
    d.manifest.replicates > 1
}

/// What was asked, and the placements compared.
fn question(d: &RunData) -> Markup {
    let s = &d.scenario;
    let progs = d.programmes();
    let kubes: Vec<String> = progs
        .iter()
        .map(|p| thousands(p.summary[sm::KUBES].mean))
        .collect();
    let runs = match (&d.manifest.uncertainty, ensemble(d)) {
        (None, true) => format!(
            "in {} stochastic replicates (seed {}): every number is the mean, with the 5th to 95th percentile beneath it. These intervals show the dice only (disease, prices, incomes), not what we do not know about the parameters",
            d.manifest.replicates, d.manifest.seed
        ),
        (Some(u), _) => format!(
            "in {} replicates ({} mode, seed {}), each with its own draw of {} uncertain parameters from their plausible ranges (a Latin hypercube, listed under Parameters): every number is the mean, with the 5th to 95th percentile beneath it. These intervals include what we do not know about the parameters{}",
            d.manifest.replicates,
            d.manifest.mode,
            d.manifest.seed,
            u.parameters.len(),
            if d.manifest.mode == "stochastic" {
                ", as well as the dice"
            } else {
                " (no dice: deterministic mode)"
            }
        ),
        (None, false) => {
            "in deterministic mode (the mean-field model, no random numbers)".to_string()
        }
    };
    html! {
        p {
            strong { "The question:" }
            " where should the next KUBE (farmer groups of " (s.design.kube.members)
            " poor households, each with " (s.design.flock.hens_per_kube)
            " laying hens) go, and what happens to eggs, prices and families? This run compares "
            (progs.len()) " placement" @if progs.len() != 1 { "s" } " (" (kubes.join(", "))
            " KUBE) against the baseline without any programme, over " (s.world.weeks)
            " weeks from " (s.world.start_date.format("%-d %B %Y")) ", " (runs) "."
        }
        ul {
            @for (p, placement) in progs.iter().zip(&s.placements) {
                li {
                    strong { (p.name) } ": "
                    (d.targets(p).iter().map(|&r| format!("{} {}", s.world.regions.regions[r].name, placement.kubes_per_region[r])).collect::<Vec<_>>().join(", "))
                }
            }
        }
    }
}

/// How a headline metric is labelled and shown.
type Headline<'a> = (usize, &'a str, &'a Show);

/// A table of placements by metrics.
fn placement_table(d: &RunData, columns: &[Headline]) -> Markup {
    let ensemble = ensemble(d);
    html! {
        table {
            thead { tr { th { "placement" } @for (_, label, _) in columns { th { (label) } } } }
            tbody {
                @for p in d.programmes() {
                    tr {
                        td { (p.name) }
                        @for (metric, _, show) in columns {
                            td { (with_interval(&p.summary[*metric], ensemble, *show)) }
                        }
                    }
                }
            }
        }
    }
}

fn rupiah_millions(x: f64) -> String {
    format!("{:.1} M", x / 1e6)
}

fn tonnes(x: f64) -> String {
    thousands(x / 1000.0)
}

/// The headline table (what the programme caused, beside cash of the same cost), then
/// the rest of the summary.
fn results(d: &RunData) -> Markup {
    let s = &d.scenario;
    let ratio = |x: f64| format!("{x:.2}");
    let headline: [Headline; 7] = [
        (
            sm::GRADUATION_ATTRIBUTABLE_SHARE,
            "Households graduated because of the programme",
            &percent,
        ),
        (
            sm::GRADUATION_ATTRIBUTABLE_SHARE_CASH,
            "… because of cash of the same cost",
            &percent,
        ),
        (
            sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP,
            "Programme cost per graduate caused (Rp)",
            &rupiah_millions,
        ),
        (sm::BENEFIT_COST_RATIO, "Benefit-cost ratio", &ratio),
        (
            sm::KUBES_OPERATING_END_SHARE,
            "KUBE operating at the end",
            &percent,
        ),
        (sm::DEFICIT_REDUCTION_KG, "Egg deficit reduced (t)", &tonnes),
        (
            sm::WIN_SHARE,
            "Best on graduation caused, share of replicates",
            &percent,
        ),
    ];
    let more: [Headline; 10] = [
        (
            sm::GRADUATED_SHARE,
            "Graduated with the programme",
            &percent,
        ),
        (
            sm::GRADUATED_SHARE_WITHOUT,
            "Graduated without it",
            &percent,
        ),
        (sm::GRADUATED_SHARE_CASH, "Graduated with cash", &percent),
        (sm::POOR_AT_ENTRY_SHARE, "Below the line at entry", &percent),
        (
            sm::INCOME_GAIN_PC_MONTH_RP,
            "Income gain per person-month, programme (Rp)",
            &thousands,
        ),
        (sm::INCOME_GAIN_PC_MONTH_CASH_RP, "… cash (Rp)", &thousands),
        (
            sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP,
            "Payout per household-month (Rp)",
            &thousands,
        ),
        (
            sm::MEDIAN_WEEKS_TO_GRADUATION,
            "Median weeks to graduate",
            &|x| format!("{x:.0}"),
        ),
        (
            sm::DEFICIT_REDUCTION_SHARE,
            "Target regions' deficit covered",
            &percent,
        ),
        (
            sm::CONSUMER_PRICE_CHANGE_PCT,
            "Egg price change in target regions",
            &|x| format!("{x:.2}%"),
        ),
    ];
    html! {
        h2 { "Results" }
        p {
            "Every member household is followed three times under the same luck: with its KUBE, without any programme, and with cash equal to what its KUBE cost the programme. "
            "A household graduates " strong { "because of" } " the programme if it graduates with it but not without it, so families who would have crossed the line anyway count for nothing."
        }
        (placement_table(d, &headline))
        p.note {
            "Graduated: the household's smoothed income stayed above its poverty line for "
            (s.world.household.graduation_weeks)
            " weeks in a row. Cash of the same cost: each KUBE's outlay spread evenly over the weeks left, plus its mentoring, handed to its members. "
            "Benefit-cost: payouts to members net of the earnings they gave up to tend the hens, plus the cash and hens the KUBE hold at the end, over what the programme spent, both discounted at "
            (s.world.discount_rate * 100.0) "% a year. Egg deficit reduced: eggs the KUBE added where the region produced less than it eats. Best on graduation caused: the share of replicates in which the placement caused the most graduations of all (ties split): how often it is the right choice."
        }
        h3 { "More results" }
        (placement_table(d, &more))
    }
}

/// Every chart with its caption.
fn charts(svgs: &[String]) -> Markup {
    html! {
        h2 { "Charts" }
        @for (chart, svg) in Chart::ALL.iter().zip(svgs) {
            figure id=(chart.name()) {
                // plotters writes a complete <svg> element; its XML prolog (if any) is dropped.
                (PreEscaped(svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..])))
                figcaption { strong { (chart.title()) "." } " " (chart.how_to_read()) }
            }
        }
    }
}

/// One table per placement of its target regions.
fn by_region(d: &RunData) -> Markup {
    let ensemble = ensemble(d);
    let regions = &d.scenario.world.regions.regions;
    html! {
        h2 { "By region" }
        p.note { "What each target region's KUBE caused, earned and cost, and what they did to its egg market." }
        @for p in d.programmes() {
            h3 { (p.name) }
            table {
                thead { tr {
                    th { "region" } th { "KUBE" } th { "graduated because of the programme" }
                    th { "payout per household-month (Rp)" } th { "KUBE operating at the end" }
                    th { "benefit-cost" } th { "cost per graduate caused (Rp)" }
                    th { "eggs (t)" } th { "deficit reduced (t)" } th { "mean price (Rp/kg)" }
                } }
                tbody {
                    @for r in d.targets(p) {
                        (region_row(p, r, &regions[r].name, ensemble))
                    }
                }
            }
        }
    }
}

fn region_row(p: &PlacementResult, r: usize, name: &str, ensemble: bool) -> Markup {
    let at = |metric: usize| p.region_summary[[r, metric]];
    let ratio = |x: f64| format!("{x:.2}");
    html! {
        tr {
            td { (name) }
            td { (thousands(at(rs::KUBES).mean)) }
            td { (with_interval(&at(rs::GRADUATION_ATTRIBUTABLE_SHARE), ensemble, &percent)) }
            td { (with_interval(&at(rs::PAYOUT_PER_HOUSEHOLD_MONTH_RP), ensemble, &thousands)) }
            td { (with_interval(&at(rs::KUBES_OPERATING_END_SHARE), ensemble, &percent)) }
            td { (with_interval(&at(rs::BENEFIT_COST_RATIO), ensemble, &ratio)) }
            td { (with_interval(&at(rs::COST_PER_ATTRIBUTABLE_GRADUATE_RP), ensemble, &rupiah_millions)) }
            td { (with_interval(&at(rs::EGGS_KG), ensemble, &tonnes)) }
            td { (with_interval(&at(rs::DEFICIT_REDUCTION_KG), ensemble, &tonnes)) }
            td { (with_interval(&at(rs::PRICE_MEAN_RP_PER_KG), ensemble, &thousands)) }
        }
    }
}

/// Every parameter, its value and origin, estimates flagged.
fn parameters(d: &RunData) -> Markup {
    let m = &d.manifest;
    html! {
        h2 { "Parameters" }
        p.note {
            "Every value the run used and where it came from. " span.estimate { "ESTIMATE" }
            " marks an embedded default that is a modeller's judgement rather than a published figure: the first thing to replace with local evidence."
        }
        table {
            thead { tr { th { "parameter" } th { "value" } th { "from" } } }
            tbody {
                @for (key, value) in &m.parameters {
                    tr {
                        td { (key) }
                        td { (value.as_str().map_or_else(|| value.to_string(), str::to_string)) }
                        td {
                            (m.parameter_origins.get(key).map_or("", String::as_str))
                            @if m.estimated_defaults_used.contains(key) { " " span.estimate { "ESTIMATE" } }
                        }
                    }
                }
            }
        }
        @if let Some(u) = &m.uncertainty {
            h3 { "Uncertain parameters" }
            p.note { "Each replicate drew these from their ranges (uniform, a Latin hypercube over the replicates): the intervals above include them." }
            table {
                thead { tr { th { "parameter" } th { "low" } th { "high" } th { "basis" } } }
                tbody {
                    @for r in &u.parameters {
                        tr { td { (r.key) } td { (r.low) } td { (r.high) } td { (r.basis) } }
                    }
                }
            }
        }
        p.note {
            "Regions: " code { (m.data.regions.source) } "; breed: " code { (m.data.breed.source) }
            ". Embedded data: BPS (population, poverty lines, poor people, March 2019), Ministry of Agriculture (egg needs), BPS and labelled estimates (production); transport costs are estimates."
        }
    }
}

/// Version, inputs and the hash of every output: what the outputs depend on, nothing of
/// the machine or the time they were made with (threads and wall time are in the
/// manifest), so a report is the same bytes for any thread count or shard split.
fn provenance(d: &RunData) -> Markup {
    let m = &d.manifest;
    let rows: [(&str, String); 8] = [
        ("telur version", m.version.clone()),
        ("git commit", m.git_commit.clone()),
        ("model", m.model.clone()),
        ("scenario file", m.scenario.file.clone()),
        ("scenario SHA-256", m.scenario.sha256.clone()),
        ("mode", m.mode.clone()),
        ("seed", m.seed.to_string()),
        ("replicates", m.replicates.to_string()),
    ];
    html! {
        h2 { "Provenance" }
        table { tbody {
            @for (label, value) in &rows { tr { td { (label) } td { code { (value) } } } }
            @for (file, hash) in &m.outputs { tr { td { "SHA-256 of " (file) } td { code { (hash) } } } }
        } }
        p.note {
            "Check this folder with " code { "telur verify" }
            ": it compares every file with these hashes and runs the scenario again."
        }
    }
}
