//! `telur optimize`: the allocation of a budget of KUBE over regions that does best on an
//! objective, then a full run of the scenario's placements beside it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::output::{
    OPTIMIZE_SUMMARY, OutputFile, Results, RunSettings, check_replaceable, into_place, write_into,
    write_views,
};
use super::progress::ProgressBar;
use super::{input_error, interrupted, load, stop_on_interrupt, thread_pool};
use crate::cli::OptimizeArgs;
use telur::error::{InputError, InputErrors};
use telur::model::{Placement, Strategy};
use telur::optimize::{self as opt, Budget, Evaluator, Objective, Outcome, Settings, Stage, Watch};
use telur::report::manifest::{self, GIT_COMMIT, ScenarioRef};
use telur::report::optimize::{
    self as out, Against, FrontierEntry, LeadEntry, MarginalEntry, OPTIMIZED, OptimizeSummary,
    RunnerUp, TermEntry, allocation_map, finite,
};
use telur::results::metrics::summary as sm;
use telur::scenario::optimize::OptimizeTable;
use telur::scenario::{self, Overrides, Scenario, Source};
use telur::sim::Mode;
use telur::stats::paired;

/// Replicates per evaluation when not given (stochastic mode): the search compares
/// allocations on these, and stage 3 gives the finalists more.
const DEFAULT_REPLICATES: u32 = 50;
/// Greedy steps when the step is not given: the budget over this, at least 1.
const DEFAULT_STEPS: u32 = 30;
/// Allocations compared again in stage 3.
const FINALISTS: usize = 5;
/// Stage 3's extra replicates, per finalist, in units of the search's replicates.
const CONFIRM_FACTOR: u32 = 2;
/// Frontier weights of the first of two metrics.
const FRONTIER_WEIGHTS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

pub(super) fn optimize_command(args: &OptimizeArgs) -> Result<()> {
    let overrides = Overrides {
        mode: args.mode.map(Into::into),
        seed: args.common.seed,
        ..Overrides::default()
    };
    let (source, s) = load(args.scenario.as_deref(), &overrides)?;
    let plan = plan(args, &s, &source)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-optimized", s.name)));
    check_replaceable(&out_dir).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.common.threads)?;
    stop_on_interrupt();
    let design = &s.placements[plan.design];
    let capacity = plan.settings.replicates * (1 + CONFIRM_FACTOR);
    let ev = Evaluator::new(
        &s.world,
        s.ensemble,
        s.uncertainty.as_ref(),
        design,
        plan.design,
        capacity,
    );
    let started = Instant::now();
    let watch = Printer {
        quiet: args.common.quiet,
        started,
    };
    let prepared = pool
        .install(|| opt::prepare(&ev, &plan.settings, &watch))
        .map_err(|e| plan.refusal(e, &source))?;
    check_memory(&s, design, prepared.budget(), &plan, &source)?;
    if !args.common.quiet {
        eprintln!(
            "telur: placing {} KUBE with the design of {} over {} regions in steps of {}, for {}; {} replicate(s) per evaluation, {} mode, {threads} thread{}",
            prepared.budget(),
            design.name,
            plan.settings.candidates.len(),
            plan.settings.step,
            plan.settings.objective.metric_names().join(" and "),
            plan.settings.replicates,
            s.ensemble.mode.name(),
            if threads == 1 { "" } else { "s" },
        );
    }
    let outcome = pool.install(|| opt::run(prepared));
    interrupted()?;
    // The full run: the scenario's placements and the winner beside them.
    let mut full = s.clone();
    full.placements.push(Placement {
        name: OPTIMIZED.into(),
        strategy: Strategy::Explicit,
        kubes_per_region: outcome.records[outcome.best].kubes.clone(),
        ..design.clone()
    });
    full.placement_sources
        .push(s.placement_sources[plan.design].clone());
    if !args.common.quiet {
        eprintln!(
            "telur: search done ({} allocations, {} model runs, {:.0} s); running the scenario's placements beside it",
            outcome.records.len(),
            outcome.runs,
            started.elapsed().as_secs_f64()
        );
    }
    let progress = ProgressBar::new(args.common.quiet);
    let text = pool.install(|| {
        into_place(&out_dir, |dir| {
            let run = RunSettings {
                threads,
                started,
                keep_replicates: false,
            };
            let written = write_into(&full, &source, dir, &run, Results::Run(&progress))?;
            progress.finish();
            let summary = write_optimize_files(
                &full,
                &source,
                &plan,
                &outcome,
                &written.replicates,
                dir,
                started,
            )?;
            write_views(dir, dir, Some(written.placements))?;
            Ok(conclusion(&summary))
        })
    })?;
    let stdout = io::stdout();
    let mut w = stdout.lock();
    writeln!(
        w,
        "{}: optimisation written to {}/",
        s.name,
        out_dir.display()
    )?;
    writeln!(w)?;
    w.write_all(text.as_bytes())?;
    Ok(())
}

/// The search the flags and the `[optimize]` table ask for, checked.
struct Plan {
    design: usize,
    settings: Settings,
    /// The rupiah budget as given.
    budget_rp: Option<f64>,
    /// Where each setting came from: `--flag` or the scenario's key, for messages.
    budget_from: Origin,
    min_from: Origin,
    max_from: Origin,
    objective_from: Origin,
}

/// Where a setting was given.
#[derive(Debug, Clone)]
enum Origin {
    Flag(&'static str),
    Key(&'static str),
    Default,
}

impl Plan {
    /// A refusal of the search as an input error naming the setting.
    fn refusal(&self, e: opt::search::Refusal, source: &Source) -> anyhow::Error {
        use opt::search::Refusal;
        let (origin, message) = match e {
            Refusal::Budget(m) => (&self.budget_from, m),
            Refusal::Minimums(m) => (&self.min_from, m),
            Refusal::Maximums(m) => (&self.max_from, m),
            Refusal::Objective(m) => (&self.objective_from, m),
        };
        input_error(origin.error(source, None, message))
    }
}

impl Origin {
    fn error(&self, source: &Source, table: Option<&OptimizeTable>, message: String) -> InputError {
        match self {
            Origin::Flag(flag) => InputError::new(*flag, message),
            Origin::Key(key) => {
                let e = InputError::new(&source.name, message).key(format!("optimize.{key}"));
                match table.and_then(|t| t.span(key)) {
                    Some(span) => e.at(&source.text, span),
                    None => e,
                }
            }
            Origin::Default => InputError::new(&source.name, message).key("optimize"),
        }
    }
}

fn plan(args: &OptimizeArgs, s: &Scenario, source: &Source) -> Result<Plan> {
    let empty = OptimizeTable::default();
    let table = s.optimize.as_ref().unwrap_or(&empty);
    let mut errors = Vec::new();
    let regions = &s.world.regions;
    let n_regions = regions.len();

    let (design_name, _) = pick(
        args.design.clone(),
        "--design",
        table.design.clone(),
        "design",
    );
    let design = match design_name {
        None => 0,
        Some(name) => match s.placements.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = s.placements.iter().map(|p| p.name.as_str()).collect();
                errors.push(InputError::new(
                    "--design",
                    format!(
                        "{name:?} is not a placement of this scenario; the placements are {}",
                        names.join(", ")
                    ),
                ));
                0
            }
        },
    };
    if s.placements.iter().any(|p| p.name == OPTIMIZED) {
        errors.push(InputError::new(
            &source.name,
            format!("a placement is already named {OPTIMIZED:?}, the name the optimised allocation takes in the run; rename it"),
        ).key("placement.name"));
    }

    let candidates: Vec<usize> = match (&args.regions, &table.regions) {
        (Some(names), _) => {
            let mut ids = Vec::new();
            for name in names {
                match regions.find(name.trim()) {
                    Some(id) if !ids.contains(&id.index()) => ids.push(id.index()),
                    Some(_) => {}
                    None => {
                        let hint = telur::error::closest(
                            name.trim(),
                            regions.regions.iter().map(|r| r.name.as_str()),
                        )
                        .map(|b| format!(" (did you mean {b:?}?)"))
                        .unwrap_or_default();
                        errors.push(InputError::new(
                            "--regions",
                            format!("unknown region {name:?}{hint}; `telur data regions` lists names and codes"),
                        ));
                    }
                }
            }
            ids.sort_unstable();
            ids
        }
        (None, Some(ids)) => ids.iter().map(|id| id.index()).collect(),
        (None, None) => (0..n_regions).collect(),
    };
    let regions_from = if args.regions.is_some() {
        Origin::Flag("--regions")
    } else if table.regions.is_some() {
        Origin::Key("regions")
    } else {
        Origin::Default
    };

    let mut min = vec![0u32; n_regions];
    let mut max = vec![u32::MAX; n_regions];
    for (bounds, into, key) in [(&table.min, &mut min, "min"), (&table.max, &mut max, "max")] {
        for &(id, n) in bounds {
            into[id.index()] = n;
            if !candidates.contains(&id.index()) {
                errors.push(Origin::Key(key).error(
                    source,
                    Some(table),
                    format!(
                        "{} is not among the regions the KUBE may go to ({})",
                        regions.get(id).name,
                        match &regions_from {
                            Origin::Flag(f) => f.to_string(),
                            _ => "optimize.regions".into(),
                        }
                    ),
                ));
            }
        }
    }

    let (objective_terms, objective_from) = match &args.objective {
        Some(text) => match objective_flag(text) {
            Ok(terms) => (terms, Origin::Flag("--objective")),
            Err(message) => {
                errors.push(InputError::new("--objective", message));
                (Vec::new(), Origin::Flag("--objective"))
            }
        },
        None => match &table.objective {
            Some(terms) => (
                terms.iter().map(|t| (t.metric, t.weight)).collect(),
                Origin::Key("objective"),
            ),
            None => (vec![(sm::ATTRIBUTABLE_GRADUATES, 1.0)], Origin::Default),
        },
    };
    let objective = Objective {
        terms: objective_terms
            .iter()
            .map(|&(metric, weight)| opt::search::term(metric, weight))
            .collect(),
    };

    let (budget, budget_from) = match (
        args.budget_kubes,
        args.budget_rp,
        table.budget_kubes,
        table.budget_rp,
    ) {
        (Some(n), _, _, _) => (Budget::Kubes(n), Origin::Flag("--budget-kubes")),
        (None, Some(rp), _, _) => {
            if !(rp.is_finite() && rp > 0.0) {
                errors.push(InputError::new(
                    "--budget-rp",
                    format!("expected rupiah above 0, found {rp}"),
                ));
            }
            (Budget::Rupiah(rp), Origin::Flag("--budget-rp"))
        }
        (None, None, Some(n), _) => (Budget::Kubes(n), Origin::Key("budget_kubes")),
        (None, None, None, Some(rp)) => (Budget::Rupiah(rp), Origin::Key("budget_rp")),
        (None, None, None, None) => {
            let n = s.placements.get(design).map_or(0, Placement::total_kubes);
            (
                Budget::Kubes(u32::try_from(n).unwrap_or(u32::MAX)),
                Origin::Default,
            )
        }
    };
    let budget_rp = match budget {
        Budget::Rupiah(rp) => Some(rp),
        Budget::Kubes(_) => None,
    };
    let step = match (args.step_kubes, table.step_kubes, budget) {
        (Some(k), _, _) | (None, Some(k), _) => k,
        (None, None, Budget::Kubes(n)) => n.div_ceil(DEFAULT_STEPS).max(1),
        // Unknown until the reference run prices a KUBE: steps of 10.
        (None, None, Budget::Rupiah(_)) => 10,
    };
    let runs = s.ensemble.runs();
    let replicates = match (args.replicates, table.replicates) {
        _ if runs == 1 => 1,
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => DEFAULT_REPLICATES.min(runs),
    };
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    let deterministic = s.ensemble.mode == Mode::Deterministic && s.uncertainty.is_none();
    Ok(Plan {
        design,
        settings: Settings {
            candidates,
            min,
            max,
            budget,
            step,
            objective,
            replicates,
            confirm_replicates: if deterministic {
                0
            } else {
                CONFIRM_FACTOR * replicates * FINALISTS as u32
            },
            finalists: FINALISTS,
            frontier_weights: FRONTIER_WEIGHTS.to_vec(),
        },
        budget_rp,
        budget_from,
        min_from: Origin::Key("min"),
        max_from: Origin::Key("max"),
        objective_from,
    })
}

/// The flag's value, else the table's.
fn pick<T>(
    flag: Option<T>,
    flag_name: &'static str,
    table: Option<T>,
    key: &'static str,
) -> (Option<T>, Origin) {
    match (flag, table) {
        (Some(v), _) => (Some(v), Origin::Flag(flag_name)),
        (None, Some(v)) => (Some(v), Origin::Key(key)),
        (None, None) => (None, Origin::Default),
    }
}

/// `metric` or `metric=weight,metric=weight`.
fn objective_flag(text: &str) -> Result<Vec<(usize, f64)>, String> {
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err("names no metric".into());
    }
    let mut terms = Vec::new();
    for part in &parts {
        let (name, weight) = match part.split_once('=') {
            Some((n, w)) => {
                let w: f64 = w
                    .trim()
                    .parse()
                    .ok()
                    .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                    .ok_or_else(|| format!("{part:?}: the weight must be a number of 0 or more"))?;
                (n.trim(), w)
            }
            None if parts.len() == 1 => (*part, 1.0),
            None => {
                return Err(format!(
                    "{part:?}: give every metric a weight, like {part}=0.5"
                ));
            }
        };
        terms.push((opt::objective_metric(name)?, weight));
    }
    if terms.iter().all(|t| t.1 == 0.0) {
        return Err("every weight is 0".into());
    }
    Ok(terms)
}

/// Refuses a budget the memory guard would refuse in the full run.
fn check_memory(
    s: &Scenario,
    design: &Placement,
    budget: u32,
    plan: &Plan,
    source: &Source,
) -> Result<()> {
    let mut placements = s.placements.clone();
    let mut kubes = vec![0; s.world.regions.len()];
    kubes[plan.settings.candidates[0]] = budget;
    placements.push(Placement {
        kubes_per_region: kubes,
        ..design.clone()
    });
    let reps = s
        .replicates()
        .max(plan.settings.replicates * (1 + CONFIRM_FACTOR));
    let bytes = scenario::memory_estimate(&placements, s.world.weeks, s.world.regions.len(), reps);
    if bytes > scenario::MEMORY_LIMIT_BYTES {
        return Err(input_error(plan.budget_from.error(
            source,
            s.optimize.as_ref(),
            format!(
                "{budget} KUBE need about {:.1} GiB of memory, more than the limit of {} GiB; give a smaller budget",
                bytes as f64 / f64::from(1u32 << 30),
                scenario::MEMORY_LIMIT_BYTES >> 30
            ),
        )));
    }
    Ok(())
}

/// Prints the search's progress on stderr.
struct Printer {
    quiet: bool,
    started: Instant,
}

impl Watch for Printer {
    fn note(&self, stage: Stage, evaluations: usize, best: f64, line: &str) {
        if !self.quiet {
            eprintln!(
                "  {:>6.1} s  {:<9} {evaluations:>5} allocations evaluated, best so far {}: {line}",
                self.started.elapsed().as_secs_f64(),
                stage.name(),
                telur::report::format::compact(best),
            );
        }
    }
}

/// `allocation.toml`, `search.csv` and `optimize.json`; returns the summary.
fn write_optimize_files(
    s: &Scenario,
    source: &Source,
    plan: &Plan,
    outcome: &Outcome,
    replicates: &[Vec<Vec<f64>>],
    dir: &Path,
    started: Instant,
) -> Result<OptimizeSummary> {
    let names: Vec<String> = s.world.regions.names();
    let settings = &plan.settings;
    let mut files = BTreeMap::new();

    let design = &s.placements[plan.design];
    let toml = allocation_toml(s, plan, outcome, &names);
    let path = dir.join(ALLOCATION);
    fs::write(&path, &toml).with_context(|| format!("while writing {}", path.display()))?;
    files.insert(
        ALLOCATION.to_string(),
        manifest::sha256_hex(toml.as_bytes()),
    );

    let candidates: Vec<String> = settings
        .candidates
        .iter()
        .map(|&r| names[r].clone())
        .collect();
    let header = out::search_header(&candidates, &outcome.objective.metric_names());
    let mut file = OutputFile::create(dir, SEARCH, &header)?;
    file.write(|w| out::search_rows(outcome, &settings.candidates, w))?;
    let (name, hash) = file.finish()?;
    files.insert(name, hash);

    // The winner against each placement of the full run, replicate by replicate.
    let value = |p: usize| -> Vec<f64> {
        replicates[p]
            .iter()
            .map(|m| outcome.objective.value(m))
            .collect()
    };
    let optimized = value(s.placements.len() - 1);
    let placements: Vec<Against> = s
        .placements
        .iter()
        .enumerate()
        .take(s.placements.len() - 1)
        .map(|(i, p)| {
            let v = value(i);
            Against {
                placement: p.name.clone(),
                kubes: p.total_kubes(),
                objective_mean: finite(opt::search::mean(&v)),
                lead: paired::difference(&optimized, &v).map(LeadEntry::from),
            }
        })
        .collect();
    let best = &outcome.records[outcome.best];
    let metric_mean = |record: usize, metric: usize| {
        let r = &outcome.records[record];
        opt::search::mean(&r.summaries.iter().map(|m| m[metric]).collect::<Vec<_>>())
    };
    let min_max = |bounds: &[u32], skip: u32| -> BTreeMap<String, u32> {
        settings
            .candidates
            .iter()
            .filter(|&&r| bounds[r] != skip)
            .map(|&r| (names[r].clone(), bounds[r]))
            .collect()
    };
    let summary = OptimizeSummary {
        program: "telur".into(),
        kind: "optimize".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_commit: GIT_COMMIT.into(),
        scenario: ScenarioRef::of(&s.name, source),
        design: design.name.clone(),
        objective: outcome.objective.describe(),
        terms: outcome
            .objective
            .terms
            .iter()
            .map(|t| TermEntry {
                metric: sm::NAMES[t.metric].into(),
                weight: t.weight,
                scale: t.scale,
            })
            .collect(),
        budget_kubes: outcome.budget,
        budget_rp: plan.budget_rp,
        cost_per_kube_rp: outcome.cost_per_kube_rp,
        program_cost_rp: finite(metric_mean(outcome.best, sm::PROGRAM_COST_RP)),
        step_kubes: settings.step,
        regions: candidates,
        min: min_max(&settings.min, 0),
        max: min_max(&settings.max, u32::MAX),
        mode: s.ensemble.mode.name().into(),
        seed: s.ensemble.seed,
        replicates_per_evaluation: settings.replicates,
        confirm_replicates: settings.confirm_replicates,
        allocations_evaluated: outcome.records.len(),
        model_runs: outcome.runs,
        allocation: allocation_map(&best.kubes, &names),
        objective_mean: finite(opt::search::mean(&outcome.values(outcome.best))),
        objective_replicates: best.summaries.len(),
        runner_up: outcome.runner_up.map(|r| RunnerUp {
            allocation: allocation_map(&outcome.records[r].kubes, &names),
            objective_mean: finite(opt::search::mean(&outcome.values(r))),
            lead: outcome.lead.map(LeadEntry::from),
        }),
        run_replicates: s.replicates(),
        placements,
        marginal: outcome
            .marginal
            .iter()
            .map(|m| MarginalEntry {
                region: names[m.region].clone(),
                kubes: m.kubes,
                value: m.value.into(),
            })
            .collect(),
        frontier: outcome
            .frontier
            .iter()
            .map(|f| FrontierEntry {
                weight: f.weight,
                allocation: allocation_map(&outcome.records[f.record].kubes, &names),
                metrics: outcome
                    .objective
                    .terms
                    .iter()
                    .map(|t| metric_mean(f.record, t.metric))
                    .collect(),
            })
            .collect(),
        wall_time_seconds: started.elapsed().as_secs_f64(),
        files,
    };
    let path = dir.join(OPTIMIZE_SUMMARY);
    let mut w = BufWriter::new(
        fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    serde_json::to_writer_pretty(&mut w, &summary)?;
    writeln!(w)?;
    w.flush()?;
    Ok(summary)
}

/// The winner as a ready `[[placement]]`.
const ALLOCATION: &str = "allocation.toml";
/// Every allocation evaluated.
const SEARCH: &str = "search.csv";

/// `allocation.toml`: the winner as a `[[placement]]` named `optimized`, with the explicit
/// allocation, the design placement's start and rollout, and every design key it ran with.
fn allocation_toml(s: &Scenario, plan: &Plan, outcome: &Outcome, names: &[String]) -> String {
    use toml::{Table, Value};
    let design = &s.placements[plan.design];
    let best = &outcome.records[outcome.best];
    let allocation: Table = best
        .kubes
        .iter()
        .zip(names)
        .filter(|(k, _)| **k > 0)
        .map(|(&k, n)| (n.clone(), Value::Integer(i64::from(k))))
        .collect();
    let mut text = format!(
        "# The allocation telur optimize found for the scenario \"{}\" (seed {}): {} KUBE with the\n\
         # design of \"{}\", best on {}.\n\
         # Objective mean {:.4} over {} replicates; {}.\n\
         # Paste this block into a scenario to run it as a placement; every design key is written out.\n\n",
        s.name,
        s.ensemble.seed,
        outcome.budget,
        design.name,
        outcome.objective.describe(),
        opt::search::mean(&outcome.values(outcome.best)),
        best.summaries.len(),
        outcome.lead.map_or("no runner-up".into(), |l| format!(
            "lead over the runner-up {:.4} (95% interval {:.4} to {:.4})",
            l.mean, l.low, l.high
        )),
    );
    text.push_str("[[placement]]\n");
    text.push_str(&format!("name = {}\n", Value::String(OPTIMIZED.into())));
    text.push_str("strategy = \"explicit\"\n");
    text.push_str(&format!("allocation = {}\n", Value::Table(allocation)));
    text.push_str(&format!("start_week = {}\n", design.start_week));
    text.push_str(&format!("rollout_weeks = {}\n", design.rollout_weeks));
    let keys = &s.placement_sources[plan.design].design;
    let mut section = "";
    for r in keys.iter().filter(|r| r.key != "program.discount_rate") {
        match r.key.split_once('.') {
            None => text.push_str(&format!("{} = {}\n", r.key, r.value)),
            Some((table, key)) => {
                if table != section {
                    text.push_str(&format!("\n[placement.{table}]\n"));
                    section = table;
                }
                text.push_str(&format!("{key} = {}\n", r.value));
            }
        }
    }
    text
}

/// What the terminal shows at the end.
fn conclusion(o: &OptimizeSummary) -> String {
    use telur::report::format::compact;
    let mut text = format!(
        "best allocation of {} KUBE for {}:\n",
        o.budget_kubes, o.objective
    );
    for (region, kubes) in &o.allocation {
        text.push_str(&format!("  {region:<24} {kubes:>6}\n"));
    }
    if let (Some(budget), Some(cost)) = (o.budget_rp, o.program_cost_rp) {
        text.push_str(&format!(
            "programme cost Rp {} against the budget of Rp {} (Rp {} per KUBE of the design placement; costs differ by region and start week)\n",
            compact(cost),
            compact(budget),
            compact(o.cost_per_kube_rp)
        ));
    }
    let interval = |l: &LeadEntry| {
        if l.low < l.high {
            format!(
                "{} ({} to {})",
                compact(l.mean),
                compact(l.low),
                compact(l.high)
            )
        } else {
            compact(l.mean)
        }
    };
    if let Some(l) = o.runner_up.as_ref().and_then(|r| r.lead.as_ref()) {
        text.push_str(&format!(
            "lead over the runner-up: {} over {} paired replicates\n",
            interval(l),
            l.replicates
        ));
    }
    text.push_str(&format!(
        "\nagainst the scenario's placements in the full run ({} replicates, same luck):\n",
        o.run_replicates
    ));
    for a in &o.placements {
        if let Some(l) = &a.lead {
            text.push_str(&format!(
                "  {:<28} optimized ahead by {} (ahead in {:.0}% of replicates)\n",
                a.placement,
                interval(l),
                100.0 * l.ahead_share
            ));
        }
    }
    if let Some(first) = o.marginal.first() {
        text.push_str(&format!(
            "\nthe next {} KUBE would add most in {} ({}); the whole list: optimize-marginal chart\n",
            o.step_kubes,
            first.region,
            compact(first.value.mean)
        ));
    }
    text.push_str(&format!(
        "mean (95% interval of the mean); intervals over replicates: search.csv; the placement: {ALLOCATION}; all of it: report.html\n"
    ));
    text
}
