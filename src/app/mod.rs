//! Orchestration and all file and terminal IO: what each command does, step by step.
//!
//! `output` writes a run's folder (temporary folder, hashing writers, atomic swap),
//! `verify` checks one, `progress` draws the bar. The layers below never touch paths.

mod output;
mod progress;
mod verify;

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, DataKind, ModeArg, RunArgs};
use crate::data;
use crate::error::{InputError, InputErrors};
use crate::metrics::summary as sm;
use crate::scenario::{self, Overrides, Scenario, Source};
use crate::sim::{self, BASELINE};
use crate::stats::Stat;
use output::{check_replaceable, write_outputs};
use progress::ProgressBar;
pub use verify::VerifyFailed;

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Check { scenario } => check_command(&scenario),
        Command::Verify { dir, threads } => verify::verify_command(&dir, threads),
        Command::Report { dir } => output::report_command(&dir),
        Command::Data { what, breed } => data_command(what, breed.as_deref()),
    }
}

/// The run was stopped by Ctrl-C (SIGINT); nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: the run was stopped and its temporary folder removed; no output was written")]
pub struct Interrupted;

/// 2 for bad input (the user can fix it), 130 for an interrupt, 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<InputErrors>().is_some() || e.downcast_ref::<InputError>().is_some() {
        2
    } else if e.downcast_ref::<Interrupted>().is_some() {
        130
    } else {
        1
    }
}

/// Ctrl-C asks the engine to stop; the run then cleans up and exits with 130.
pub(super) fn stop_on_interrupt() {
    // A second handler cannot be installed (verify re-runs in the same process): ignore that.
    let _ = ctrlc::set_handler(sim::cancel::request);
}

pub(super) fn interrupted() -> Result<()> {
    if sim::cancel::requested() {
        Err(Interrupted.into())
    } else {
        Ok(())
    }
}

/// The error as a user should read it: input errors one per line, others with their causes.
pub fn render_error(e: &anyhow::Error) -> String {
    if let Some(errors) = e.downcast_ref::<InputErrors>() {
        errors.to_string().replace('\n', "\nerror: ")
    } else {
        format!("{e:#}")
    }
}

fn load(scenario: Option<&Path>, overrides: &Overrides) -> Result<(Source, Scenario)> {
    let source = match scenario {
        Some(path) => Source::read(path).map_err(InputErrors::from)?,
        None => Source::builtin_default(),
    };
    let s = Scenario::load(&source, overrides)?;
    Ok((source, s))
}

fn run_command(args: &RunArgs) -> Result<()> {
    let overrides = Overrides {
        mode: args.mode.map(|m| match m {
            ModeArg::Deterministic => "deterministic".to_string(),
            ModeArg::Stochastic => "stochastic".to_string(),
        }),
        weeks: args.weeks.map(i64::from),
        replicates: args.replicates.map(i64::from),
        seed: args.seed.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
    };
    let (source, s) = load(args.scenario.as_deref(), &overrides)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&s.name));
    check_replaceable(&out).map_err(InputErrors::from)?;
    let (threads, pool) = thread_pool(args.threads)?;
    stop_on_interrupt();
    if !args.quiet {
        eprintln!(
            "telur: {} placement{} and the baseline, {} weeks from {}, {} mode, {threads} thread{}",
            s.placements.len(),
            if s.placements.len() == 1 { "" } else { "s" },
            s.weeks,
            s.start_date,
            s.mode.name(),
            if threads == 1 { "" } else { "s" },
        );
    }
    let started = Instant::now();
    let progress = ProgressBar::new(args.quiet);
    let summaries =
        pool.install(|| write_outputs(&s, &source, &out, threads, started, &progress))?;
    progress.finish();
    let stdout = io::stdout();
    print_headline(&mut stdout.lock(), &s, &summaries, &out)?;
    Ok(())
}

/// A rayon pool of `threads` workers (default: all cores).
pub(super) fn thread_pool(threads: Option<u16>) -> Result<(usize, rayon::ThreadPool)> {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")?;
    Ok((threads, pool))
}

/// A headline cell: the mean, and the p05-p95 interval when replicates differ.
fn cell(stat: &Stat, ensemble: bool, show: impl Fn(f64) -> String) -> String {
    if stat.mean.is_nan() {
        "-".into()
    } else if ensemble {
        format!(
            "{} ({}-{})",
            show(stat.mean),
            show(stat.p05),
            show(stat.p95)
        )
    } else {
        show(stat.mean)
    }
}

/// Where the outputs went and the headline numbers, on stdout.
fn print_headline(
    w: &mut dyn Write,
    s: &Scenario,
    summaries: &[(String, Vec<Stat>)],
    out: &Path,
) -> io::Result<()> {
    let reps = sim::replicates(s);
    let ensemble = reps > 1;
    writeln!(w, "{}: outputs written to {}/", s.name, out.display())?;
    writeln!(w)?;
    let width = if ensemble { 21 } else { 15 };
    writeln!(
        w,
        "{:<20} {:>6}  {:>width$}  {:>width$}  {:>width$}  {:>width$}",
        "placement", "KUBE", "graduated", "deficit reduced", "benefit/cost", "KUBE operating"
    )?;
    let percent = |x: f64| format!("{:.1}%", 100.0 * x);
    let fixed2 = |x: f64| format!("{x:.2}");
    for (name, summary) in summaries.iter().filter(|(name, _)| name != BASELINE) {
        writeln!(
            w,
            "{:<20} {:>6}  {:>width$}  {:>width$}  {:>width$}  {:>width$}",
            name,
            summary[sm::KUBES].mean,
            cell(&summary[sm::GRADUATED_SHARE], ensemble, percent),
            cell(&summary[sm::DEFICIT_REDUCTION_SHARE], ensemble, percent),
            cell(&summary[sm::BENEFIT_COST_RATIO], ensemble, fixed2),
            cell(&summary[sm::KUBES_OPERATING_END_SHARE], ensemble, percent),
        )?;
    }
    if ensemble {
        writeln!(w)?;
        writeln!(
            w,
            "mean (p05-p95) over {reps} replicates, {} mode, seed {}.",
            s.mode.name(),
            s.seed
        )?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "graduated: share of member households; deficit reduced: share of the target regions' baseline egg deficit;"
    )?;
    writeln!(
        w,
        "benefit/cost: discounted payouts / discounted programme cost; KUBE operating: active or resting at week {}.",
        s.weeks
    )?;
    Ok(())
}

fn check_command(path: &Path) -> Result<()> {
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
        if r.key.starts_with("placement[") {
            continue;
        }
        let estimate = if r.origin == scenario::resolve::Origin::Default
            && data::estimated_defaults().contains(&r.key)
        {
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
        )?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "data: {} regions from {}; breed {} from {} (ages {} to {} weeks)",
        s.regions.len(),
        s.regions_file.reference,
        s.breed.name,
        s.breed_file.reference,
        s.breed.first_age_weeks,
        s.breed.last_age_weeks()
    )?;
    writeln!(w)?;
    writeln!(w, "placements (and the baseline, which always runs):")?;
    for p in &s.placements {
        let regions: Vec<String> = s
            .regions
            .ids()
            .filter(|id| p.kubes_per_region[id.index()] > 0)
            .map(|id| {
                format!(
                    "{} {}",
                    s.regions.get(id).name,
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
        writeln!(w, "    {}", regions.join(", "))?;
    }
    let bytes = scenario::memory_estimate(
        &s.placements,
        s.params.kube.members,
        s.weeks,
        s.regions.len(),
        sim::replicates(&s),
    );
    writeln!(w)?;
    writeln!(
        w,
        "memory estimate: {:.1} MiB (limit {} GiB)",
        bytes as f64 / f64::from(1u32 << 20),
        scenario::MEMORY_LIMIT_BYTES >> 30
    )?;
    Ok(())
}

fn data_command(what: DataKind, breed: Option<&str>) -> Result<()> {
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
            return Err(InputErrors::from(InputError::new(
                "--breed",
                "only goes with `telur data breeds`",
            ))
            .into());
        }
        (DataKind::Breeds, Some(name)) => {
            let reference = if name.starts_with("builtin:") {
                name.to_string()
            } else {
                format!("builtin:{name}")
            };
            let b = data::builtin_breed(&reference).map_err(InputErrors::from)?;
            b.write_csv(&mut out)?;
            eprintln!("{}", data::sources_section("breeds/"));
        }
        (DataKind::Breeds, None) => {
            writeln!(out, "breed,{}", data::breed::COLUMNS.join(","))?;
            for reference in data::BUILTIN_BREEDS {
                let b = data::builtin_breed(reference).map_err(InputErrors::from)?;
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
