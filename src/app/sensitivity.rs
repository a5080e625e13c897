//! `telur sensitivity`: Morris screening or Sobol indices of a scenario's placements over
//! the plausible ranges of its uncertain parameters.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use super::output::{OutputFile, check_replaceable, into_place, write_inputs};
use super::progress::ProgressBar;
use super::shard::ShardSpec;
use super::{input_error, interrupted, stop_on_interrupt, thread_pool};
use crate::cli::{MethodArg, SensitivityArgs};
use telur::error::{InputError, InputErrors};
use telur::model::Uncertainty;
use telur::report::csv::CsvWriter;
use telur::report::manifest::{GIT_COMMIT, MODEL, RangeEntry, ScenarioRef};
use telur::report::sensitivity::{self as out, IndexChart, SensitivityManifest};
use telur::scenario::{Overrides, Scenario, Source};
use telur::sensitivity::{Analysis, Method, Metric, Settings, analyse};
use telur::sim::Mode;

/// Replicates per sample point when not given: enough to average the dice out of Morris
/// screening at a cost of minutes on the default scenario.
const DEFAULT_REPLICATES: u32 = 20;

pub(super) fn sensitivity_command(args: &SensitivityArgs) -> Result<()> {
    let source = match args.scenario.as_deref() {
        Some(path) => Source::read(path).map_err(input_error)?,
        None => Source::builtin_default(),
    };
    let (s, settings) = prepare(&source, args)?;
    if let Some(spec) = &args.shard {
        let spec = ShardSpec::parse(spec, args.shards)?;
        return super::shard::sensitivity_shard(args, &source, &s, &settings, spec);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-sensitivity", s.name)));
    check_replaceable(&out_dir).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.common.threads)?;
    stop_on_interrupt();
    let factors = settings.uncertainty.parameters.len();
    let method = settings.method;
    let points = method.points(factors, settings.samples);
    if !args.common.quiet {
        eprintln!(
            "telur: {} over {factors} parameters, {} {}: {points} points x {} replicate(s) x {} placement(s) and the baseline, {} mode, {threads} thread{}",
            method.name(),
            settings.samples,
            if method == Method::Morris {
                "trajectories"
            } else {
                "base rows"
            },
            s.replicates(),
            s.placements.len(),
            s.ensemble.mode.name(),
            if threads == 1 { "" } else { "s" },
        );
    }
    let started = Instant::now();
    let progress = ProgressBar::new(args.common.quiet);
    let analysis =
        pool.install(|| analyse(&s.world, &s.ensemble, &s.placements, &settings, &progress));
    progress.finish();
    interrupted()?;
    let analysis = analysis.ok_or_else(|| anyhow!("the analysis was interrupted"))?;
    let written = Written {
        threads,
        started,
        pool: &pool,
    };
    write_analysis(&s, &source, &settings, &analysis, &out_dir, &written)
}

/// The flags that change the scenario: the mode and the seed. Parameter draws per
/// replicate are the analysis's job here, not the run's.
pub(super) fn overrides(args: &SensitivityArgs) -> Overrides {
    Overrides {
        mode: args.mode.map(Into::into),
        seed: args.common.seed,
        uncertainty: Some(false),
        ..Overrides::default()
    }
}

/// The scenario and the analysis `args` ask for, checked.
pub(super) fn prepare(source: &Source, args: &SensitivityArgs) -> Result<(Scenario, Settings)> {
    let method = match args.method {
        MethodArg::Morris => Method::Morris,
        MethodArg::Sobol => Method::Sobol,
    };
    let mut s = Scenario::load(source, &overrides(args))?;
    s.ensemble.replicates = match (args.replicates, s.ensemble.mode) {
        (Some(n), _) => n,
        (None, Mode::Stochastic) => DEFAULT_REPLICATES,
        (None, Mode::Deterministic) => 1,
    };
    let settings = settings(args, method, &s)?;
    Ok((s, settings))
}

/// How an analysis's folder is written: by whom, since when, on which pool.
pub(super) struct Written<'a> {
    pub(super) threads: usize,
    pub(super) started: Instant,
    pub(super) pool: &'a rayon::ThreadPool,
}

/// Writes an analysis's folder (whole or not at all) and prints its leaders.
pub(super) fn write_analysis(
    s: &Scenario,
    source: &Source,
    settings: &Settings,
    analysis: &Analysis,
    out_dir: &Path,
    how: &Written,
) -> Result<()> {
    let summary = how.pool.install(|| {
        into_place(out_dir, |dir| {
            write_folder(s, source, settings, analysis, dir, how.threads, how.started)
        })
    })?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{}: sensitivity written to {}/",
        s.name,
        out_dir.display()
    )?;
    writeln!(w)?;
    w.write_all(summary.as_bytes())?;
    Ok(())
}

/// The analysis the flags ask for, checked: exit 2 naming the flag otherwise.
fn settings(args: &SensitivityArgs, method: Method, s: &Scenario) -> Result<Settings> {
    let mut errors = Vec::new();
    let samples = args.samples.unwrap_or(match method {
        Method::Morris => 10,
        Method::Sobol => 256,
    });
    if samples < method.min_samples() {
        errors.push(
            InputError::new(
                "--samples",
                format!(
                    "{samples} is too few for {}: use at least {} {}",
                    method.name(),
                    method.min_samples(),
                    if method == Method::Morris {
                        "trajectories"
                    } else {
                        "base rows"
                    }
                ),
            )
            .key("samples"),
        );
    }
    let metrics = match &args.metrics {
        None => Metric::DEFAULT.to_vec(),
        Some(names) => names
            .iter()
            .filter_map(|n| {
                let m = Metric::parse(n.trim());
                if m.is_none() {
                    errors.push(
                        InputError::new(
                            "--metrics",
                            format!(
                                "unknown metric {n:?}; use the names of summary.csv (win_share compares placements, not parameters) or {}",
                                Metric::GAP
                            ),
                        )
                        .key("metrics"),
                    );
                }
                m
            })
            .collect(),
    };
    let uncertainty = match &args.parameters {
        None => s.ranges.clone(),
        Some(keys) => subset(&s.ranges, keys, &mut errors),
    };
    if uncertainty.parameters.is_empty() && errors.is_empty() {
        errors.push(InputError::new(
            "--parameters",
            "leaves no uncertain parameter to move",
        ));
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    Ok(Settings {
        method,
        samples,
        metrics,
        uncertainty,
    })
}

/// The named parameters of the scenario's ranges, with each placement's own keys mapped.
fn subset(ranges: &Uncertainty, keys: &[String], errors: &mut Vec<InputError>) -> Uncertainty {
    let mut picked = Vec::new();
    for key in keys {
        let key = key.trim();
        match ranges.parameters.iter().position(|p| p.key == key) {
            Some(i) if !picked.contains(&i) => picked.push(i),
            Some(_) => {}
            None => {
                let known: Vec<&str> = ranges.parameters.iter().map(|p| p.key.as_str()).collect();
                let hint = telur::scenario::read::closest(key, known.iter().copied())
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                errors.push(
                    InputError::new(
                        "--parameters",
                        format!(
                            "{key:?} is not an uncertain parameter{hint}; add a range for it in the scenario's [uncertainty] table, or see `telur check` for those in use"
                        ),
                    )
                    .key("parameters"),
                );
            }
        }
    }
    Uncertainty {
        parameters: picked
            .iter()
            .map(|&i| ranges.parameters[i].clone())
            .collect(),
        own: ranges
            .own
            .iter()
            .map(|own| {
                picked
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| own.contains(i))
                    .map(|(j, _)| j)
                    .collect()
            })
            .collect(),
    }
}

/// Writes every output into `dir`; returns the text to print.
fn write_folder(
    s: &Scenario,
    source: &Source,
    settings: &Settings,
    a: &Analysis,
    dir: &Path,
    threads: usize,
    started: Instant,
) -> Result<String> {
    let placements: Vec<String> = s.placements.iter().map(|p| p.name.clone()).collect();
    let metric_names: Vec<&str> = settings.metrics.iter().map(|m| m.name()).collect();
    let parameters: Vec<String> = settings
        .uncertainty
        .parameters
        .iter()
        .map(|p| p.key.clone())
        .collect();
    let mut outputs = Vec::new();
    let mut file = OutputFile::create(dir, "sensitivity.csv", &out::HEADER)?;
    file.write(|w| out::sensitivity_rows(&a.rows, w))?;
    outputs.push(file.finish()?);
    let header = out::samples_header(&parameters, &placements, &metric_names);
    let mut file = OutputFile::create(dir, "samples.csv", &header)?;
    file.write(|w: &mut CsvWriter<_>| out::samples_rows(a, w))?;
    outputs.push(file.finish()?);
    let inputs = write_inputs(s, dir)?;
    outputs.extend(inputs);

    let charts_dir = dir.join("charts");
    fs::create_dir(&charts_dir)
        .with_context(|| format!("cannot create {}", charts_dir.display()))?;
    let mut svgs = Vec::new();
    for metric in &metric_names {
        let chart = IndexChart {
            method: settings.method,
            metric,
            placements: &placements,
            rows: &a.rows,
        };
        let (png, svg) =
            out::render(&chart).map_err(|e| anyhow!("cannot draw {}: {e}", chart.name()))?;
        for (ext, bytes) in [("png", png.as_slice()), ("svg", svg.as_bytes())] {
            let path = charts_dir.join(format!("{}.{ext}", chart.name()));
            fs::write(&path, bytes).with_context(|| format!("while writing {}", path.display()))?;
        }
        svgs.push((chart.name(), svg));
    }
    let manifest = SensitivityManifest {
        program: "telur".into(),
        kind: "sensitivity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_commit: GIT_COMMIT.into(),
        model: MODEL.into(),
        scenario: ScenarioRef::of(&s.name, source),
        method: settings.method.name().into(),
        samples: settings.samples,
        points: a.values.len(),
        mode: s.ensemble.mode.name().into(),
        replicates: s.replicates(),
        seed: s.ensemble.seed,
        threads,
        parameters: settings
            .uncertainty
            .parameters
            .iter()
            .map(|p| RangeEntry {
                key: p.key.clone(),
                low: p.low,
                high: p.high,
                basis: p.basis.clone(),
            })
            .collect(),
        metrics: metric_names.iter().map(|m| m.to_string()).collect(),
        wall_time_seconds: started.elapsed().as_secs_f64(),
        outputs: outputs.into_iter().collect(),
    };
    let path = dir.join("sensitivity.html");
    let mut w = BufWriter::new(
        File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    out::write_page(&manifest, &svgs, &a.rows, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    let path = dir.join("manifest.json");
    let mut w = BufWriter::new(
        File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    serde_json::to_writer_pretty(&mut w, &manifest)?;
    writeln!(w)?;
    w.flush()?;
    Ok(leaders(settings, &placements, &a.rows))
}

/// The three parameters that matter most for each placement's first metric, as text.
fn leaders(settings: &Settings, placements: &[String], rows: &[telur::sensitivity::Row]) -> String {
    let main = match settings.method {
        Method::Morris => "mu_star",
        Method::Sobol => "ST",
    };
    let metric = settings.metrics[0].name();
    let mut text = format!("the parameters that move {metric} most ({main}):\n");
    for p in placements {
        let mut own: Vec<&telur::sensitivity::Row> = rows
            .iter()
            .filter(|r| &r.placement == p && r.metric == metric && r.index == main)
            .collect();
        own.sort_by(|a, b| b.estimate.value.total_cmp(&a.estimate.value));
        let top: Vec<String> = own
            .iter()
            .take(3)
            .map(|r| format!("{} {:.3}", r.parameter, r.estimate.value))
            .collect();
        text.push_str(&format!("  {p}: {}\n", top.join(", ")));
    }
    text.push_str(
        "every index with its 95% interval: sensitivity.csv; how to read them: sensitivity.html\n",
    );
    text
}
