//! `report.html`: one self-contained page (inline SVG and CSS, no scripts, no links out)
//! that a planner can open offline, mail or print.

use std::io::{self, Write};

use super::charts::Chart;
use super::format::{compact, escape, percent, thousands};
use super::load::RunData;
use crate::metrics::{region_summary as rs, summary as sm};
use crate::stats::Stat;

const CSS: &str = r#"
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222; max-width: 1240px; margin: 2em auto; padding: 0 1.2em; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; }
h3 { margin-top: 1.4em; }
.lead { font-size: 1.1em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef4f8; }
td.interval { color: #666; font-size: 0.85em; }
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

/// `mean (p05-p95)` of a statistic, or just the mean in a deterministic run.
fn with_interval(s: &Stat, ensemble: bool, show: &Show) -> String {
    if s.mean.is_nan() {
        "-".into()
    } else if ensemble && s.p05 != s.p95 {
        format!(
            "{}<br/><span class=\"note\">{} to {}</span>",
            show(s.mean),
            show(s.p05),
            show(s.p95)
        )
    } else {
        show(s.mean)
    }
}

/// Writes the report; `svgs` are the charts in [`Chart::ALL`] order.
pub fn write_report<W: Write>(d: &RunData, svgs: &[String], mut out: W) -> io::Result<()> {
    let s = &d.scenario;
    let m = &d.manifest;
    let ensemble = m["replicates"].as_u64().unwrap_or(1) > 1;
    let progs = d.programmes();
    let kubes: Vec<String> = progs
        .iter()
        .map(|p| thousands(p.summary[sm::KUBES].mean))
        .collect();
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\"><head><meta charset=\"utf-8\"/>")?;
    writeln!(out, "<title>telur: {}</title>", escape(&s.name))?;
    writeln!(out, "<style>{CSS}</style></head><body>")?;
    writeln!(out, "<h1>telur report: {}</h1>", escape(&s.name))?;
    if !s.description.is_empty() {
        writeln!(out, "<p class=\"lead\">{}</p>", escape(&s.description))?;
    }
    let runs = if ensemble {
        format!(
            "in {} stochastic replicates (seed {}): every number is the mean, with the 5th to 95th percentile beneath it",
            m["replicates"], m["seed"]
        )
    } else {
        "in deterministic mode (the mean-field model, no random numbers)".to_string()
    };
    writeln!(
        out,
        "<p><strong>The question:</strong> where should the next KUBE (farmer groups of {} poor households, each \
         with {} laying hens) go, and what happens to eggs, prices and families? This run compares {} placement{} \
         ({} KUBE) against the baseline without any programme, over {} weeks from {}, {runs}.</p>",
        s.params.kube.members,
        s.params.flock.hens_per_kube,
        progs.len(),
        if progs.len() == 1 { "" } else { "s" },
        escape(&kubes.join(", ")),
        s.weeks,
        s.start_date.format("%-d %B %Y"),
    )?;
    writeln!(out, "<ul>")?;
    for (p, placement) in progs.iter().zip(&s.placements) {
        let regions: Vec<String> = d
            .targets(p)
            .iter()
            .map(|&r| {
                format!(
                    "{} {}",
                    escape(&s.regions.regions[r].name),
                    placement.kubes_per_region[r]
                )
            })
            .collect();
        writeln!(
            out,
            "<li><strong>{}</strong>: {}</li>",
            escape(&p.name),
            regions.join(", ")
        )?;
    }
    writeln!(out, "</ul>")?;

    writeln!(out, "<h2>Results</h2>")?;
    let headline: [(usize, &str, &Show); 9] = [
        (sm::GRADUATED_SHARE, "Households graduated", &percent),
        (
            sm::MEDIAN_WEEKS_TO_GRADUATION,
            "Median weeks to graduate",
            &|x| format!("{x:.0}"),
        ),
        (
            sm::PAYOUT_PER_HOUSEHOLD_MONTH_RP,
            "Payout per household-month (Rp)",
            &thousands,
        ),
        (
            sm::DEFICIT_REDUCTION_SHARE,
            "Target regions' deficit covered",
            &percent,
        ),
        (sm::EGGS_KG, "Eggs produced (t)", &|x| compact(x / 1000.0)),
        (
            sm::CONSUMER_PRICE_CHANGE_PCT,
            "Egg price change in target regions",
            &|x| format!("{x:.2}%"),
        ),
        (
            sm::KUBES_OPERATING_END_SHARE,
            "KUBE operating at the end",
            &percent,
        ),
        (sm::BENEFIT_COST_RATIO, "Benefit-cost ratio", &|x| {
            format!("{x:.2}")
        }),
        (
            sm::COST_PER_GRADUATE_RP,
            "Programme cost per graduate (Rp)",
            &compact,
        ),
    ];
    writeln!(out, "<table><thead><tr><th>placement</th>")?;
    for (_, label, _) in &headline {
        write!(out, "<th>{label}</th>")?;
    }
    writeln!(out, "</tr></thead><tbody>")?;
    for p in progs {
        write!(out, "<tr><td>{}</td>", escape(&p.name))?;
        for (metric, _, show) in &headline {
            write!(
                out,
                "<td>{}</td>",
                with_interval(&p.summary[*metric], ensemble, show)
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table>")?;
    writeln!(
        out,
        "<p class=\"note\">Graduated: the household's smoothed income stayed above its poverty line for {} weeks in a row. \
         Benefit-cost: payouts to members plus the cash left in the KUBE, over what the programme spent, both discounted at {}% a year.</p>",
        s.params.household.graduation_weeks,
        s.params.program.discount_rate * 100.0
    )?;

    writeln!(out, "<h2>Charts</h2>")?;
    for (chart, svg) in Chart::ALL.iter().zip(svgs) {
        writeln!(out, "<figure id=\"{}\">", chart.name())?;
        // plotters writes a complete <svg> element; its XML prolog (if any) is dropped.
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        writeln!(out, "{body}")?;
        writeln!(
            out,
            "<figcaption><strong>{}.</strong> {}</figcaption></figure>",
            chart.title(),
            chart.how_to_read()
        )?;
    }

    writeln!(out, "<h2>By region</h2>")?;
    for p in progs {
        writeln!(out, "<h3>{}</h3>", escape(&p.name))?;
        writeln!(
            out,
            "<table><thead><tr><th>region</th><th>KUBE</th><th>households</th><th>eggs (t)</th><th>deficit covered (t)</th>\
             <th>mean self-sufficiency</th><th>mean price (Rp/kg)</th><th>graduated</th></tr></thead><tbody>"
        )?;
        for r in d.targets(p) {
            let at = |metric: usize| p.region_summary[[r, metric]];
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.regions.regions[r].name),
                thousands(at(rs::KUBES).mean),
                thousands(at(rs::HOUSEHOLDS).mean),
                with_interval(&at(rs::EGGS_KG), ensemble, &|x| compact(x / 1000.0)),
                with_interval(&at(rs::DEFICIT_REDUCTION_KG), ensemble, &|x| compact(
                    x / 1000.0
                )),
                with_interval(&at(rs::SELF_SUFFICIENCY_MEAN), ensemble, &percent),
                with_interval(&at(rs::PRICE_MEAN_RP_PER_KG), ensemble, &thousands),
                with_interval(&at(rs::GRADUATED_SHARE), ensemble, &percent),
            )?;
        }
        writeln!(out, "</tbody></table>")?;
    }

    writeln!(out, "<h2>Parameters</h2>")?;
    writeln!(
        out,
        "<p class=\"note\">Every value the run used and where it came from. <span class=\"estimate\">ESTIMATE</span> marks an \
         embedded default that is a modeller's judgement rather than a published figure: the first thing to replace \
         with local evidence.</p>"
    )?;
    let estimates: Vec<&str> = m["estimated_defaults_used"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    writeln!(
        out,
        "<table><thead><tr><th>parameter</th><th>value</th><th>from</th></tr></thead><tbody>"
    )?;
    if let (Some(values), Some(origins)) = (
        m["parameters"].as_object(),
        m["parameter_origins"].as_object(),
    ) {
        for (key, value) in values {
            if key.starts_with("placement[") {
                continue;
            }
            let origin = origins.get(key).and_then(|o| o.as_str()).unwrap_or("");
            let flag = if estimates.contains(&key.as_str()) {
                " <span class=\"estimate\">ESTIMATE</span>"
            } else {
                ""
            };
            let shown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}{flag}</td></tr>",
                escape(key),
                escape(&shown),
                escape(origin)
            )?;
        }
    }
    writeln!(out, "</tbody></table>")?;
    writeln!(
        out,
        "<p class=\"note\">Regions: <code>{}</code>; breed: <code>{}</code>. Embedded data: BPS (population, poverty \
         lines, poor people, March 2019), Ministry of Agriculture (egg needs), BPS and labelled estimates (production); \
         transport costs are estimates.</p>",
        escape(m["data"]["regions"]["source"].as_str().unwrap_or("")),
        escape(m["data"]["breed"]["source"].as_str().unwrap_or("")),
    )?;

    writeln!(out, "<h2>Provenance</h2>")?;
    writeln!(out, "<table><tbody>")?;
    let text =
        |v: &serde_json::Value| escape(&v.as_str().map_or_else(|| v.to_string(), str::to_string));
    for (label, value) in [
        ("telur version", &m["version"]),
        ("git commit", &m["git_commit"]),
        ("model", &m["model"]),
        ("scenario file", &m["scenario"]["file"]),
        ("scenario SHA-256", &m["scenario"]["sha256"]),
        ("mode", &m["mode"]),
        ("seed", &m["seed"]),
        ("replicates", &m["replicates"]),
        ("threads", &m["threads"]),
    ] {
        writeln!(
            out,
            "<tr><td>{label}</td><td><code>{}</code></td></tr>",
            text(value)
        )?;
    }
    if let Some(outputs) = m["outputs"].as_object() {
        for (file, hash) in outputs {
            writeln!(
                out,
                "<tr><td>SHA-256 of {}</td><td><code>{}</code></td></tr>",
                escape(file),
                text(hash)
            )?;
        }
    }
    writeln!(out, "</tbody></table>")?;
    writeln!(
        out,
        "<p class=\"note\">Check this folder with <code>telur verify</code>: it compares every file with these hashes and runs \
         the scenario again.</p>"
    )?;
    writeln!(out, "</body></html>")?;
    Ok(())
}
