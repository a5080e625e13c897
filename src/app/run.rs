//! `telur run`: run a scenario, write its folder, print the headline.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::output::{check_replaceable, write_outputs};
use super::progress::ProgressBar;
use super::{input_error, load, stop_on_interrupt, thread_pool};
use crate::cli::RunArgs;
use telur::results::BASELINE;
use telur::results::metrics::summary as sm;
use telur::scenario::{Overrides, Scenario};
use telur::stats::Stat;

pub(super) fn run_command(args: &RunArgs) -> Result<()> {
    let overrides = Overrides {
        mode: args.mode.map(Into::into),
        weeks: args.weeks,
        replicates: args.replicates,
        seed: args.seed,
    };
    let (source, s) = load(args.scenario.as_deref(), &overrides)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&s.name));
    check_replaceable(&out).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.threads)?;
    stop_on_interrupt();
    if !args.quiet {
        let n = s.placements.len();
        eprintln!(
            "telur: {n} placement{} and the baseline, {} weeks from {}, {} mode, {threads} thread{}",
            if n == 1 { "" } else { "s" },
            s.world.weeks,
            s.world.start_date,
            s.ensemble.mode.name(),
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
    let reps = s.replicates();
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
            s.ensemble.mode.name(),
            s.ensemble.seed
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
        s.world.weeks
    )?;
    Ok(())
}
