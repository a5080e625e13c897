//! `telur run`: run a scenario, write its folder, print the headline.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::output::{Results, RunSettings, check_replaceable, write_outputs};
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
        seed: args.common.seed,
        uncertainty: args.uncertainty.then_some(true),
    };
    let (source, s) = load(args.scenario.as_deref(), &overrides)?;
    if let Some(spec) = &args.shard {
        let shard = super::shard::ShardSpec::parse(spec, args.shards)?;
        return super::shard::shard_run(args, &overrides, &source, &s, shard);
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&s.name));
    check_replaceable(&out).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.common.threads)?;
    stop_on_interrupt();
    if !args.common.quiet {
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
    let progress = ProgressBar::new(args.common.quiet);
    let settings = RunSettings {
        threads,
        started,
        keep_replicates: args.keep_replicates,
    };
    let summaries =
        pool.install(|| write_outputs(&s, &source, &out, &settings, Results::Run(&progress)))?;
    progress.finish();
    let stdout = io::stdout();
    print_headline(&mut stdout.lock(), &s, &summaries, &out)?;
    Ok(())
}

/// A headline cell: the mean, and the p05-p95 interval when replicates differ.
fn cell(stat: &Stat, ensemble: bool, show: &dyn Fn(f64) -> String) -> String {
    if stat.mean.is_nan() {
        "-".into()
    } else if ensemble && stat.p05 != stat.p95 {
        format!(
            "{} ({}..{})",
            show(stat.mean),
            show(stat.p05),
            show(stat.p95)
        )
    } else {
        show(stat.mean)
    }
}

/// One column of the headline table.
struct Column {
    header: &'static str,
    metric: usize,
    show: &'static dyn Fn(f64) -> String,
}

/// What a planner reads first: graduation the programme caused, beside what cash of the
/// same cost caused; what each caused graduate cost; whether the KUBE's money holds up;
/// eggs where they are missing (in tonnes: shares of different denominators do not
/// compare across placements).
const HEADLINE: [Column; 6] = [
    Column {
        header: "caused by KUBE",
        metric: sm::GRADUATION_ATTRIBUTABLE_SHARE,
        show: &|x| format!("{:.1}%", 100.0 * x),
    },
    Column {
        header: "by cash, same cost",
        metric: sm::GRADUATION_ATTRIBUTABLE_SHARE_CASH,
        show: &|x| format!("{:.1}%", 100.0 * x),
    },
    Column {
        header: "Rp per caused",
        metric: sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP,
        show: &|x| format!("{:.1}M", x / 1e6),
    },
    Column {
        header: "benefit/cost",
        metric: sm::BENEFIT_COST_RATIO,
        show: &|x| format!("{x:.2}"),
    },
    Column {
        header: "KUBE operating",
        metric: sm::KUBES_OPERATING_END_SHARE,
        show: &|x| format!("{:.0}%", 100.0 * x),
    },
    Column {
        header: "deficit cut (t)",
        metric: sm::DEFICIT_REDUCTION_KG,
        show: &|x| format!("{:.0}", x / 1000.0),
    },
];

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
    let rows: Vec<(&str, String, Vec<String>)> = summaries
        .iter()
        .filter(|(name, _)| name != BASELINE)
        .map(|(name, summary)| {
            let cells = HEADLINE
                .iter()
                .map(|c| cell(&summary[c.metric], ensemble, c.show))
                .collect();
            (name.as_str(), format!("{}", summary[sm::KUBES].mean), cells)
        })
        .collect();
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(9);
    let widths: Vec<usize> = HEADLINE
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r.2[i].len())
                .max()
                .unwrap_or(0)
                .max(c.header.len())
        })
        .collect();
    write!(w, "{:<name_width$} {:>6}", "placement", "KUBE")?;
    for (c, width) in HEADLINE.iter().zip(&widths) {
        write!(w, "  {:>width$}", c.header)?;
    }
    writeln!(w)?;
    for (name, kubes, cells) in &rows {
        write!(w, "{name:<name_width$} {kubes:>6}")?;
        for (text, width) in cells.iter().zip(&widths) {
            write!(w, "  {text:>width$}")?;
        }
        writeln!(w)?;
    }
    writeln!(w)?;
    if ensemble {
        writeln!(
            w,
            "mean (5th..95th percentile) over {reps} replicates, {} mode, seed {}; {}.",
            s.ensemble.mode.name(),
            s.ensemble.seed,
            interval_kind(s)
        )?;
    }
    let notes = [
        "caused by KUBE: share of member households that graduated because of the programme",
        "  (graduated with it minus graduated without it: the same households, the same luck);",
        "  by cash, same cost: the same, had they been given the programme's cost in cash;",
        "Rp per caused: programme cost per graduate caused; benefit/cost: discounted payouts net of",
        "  forgone earnings, plus what the KUBE hold at the end, over discounted programme cost;",
    ];
    for line in notes {
        writeln!(w, "{line}")?;
    }
    writeln!(
        w,
        "KUBE operating: active or resting at week {}; deficit cut: eggs added where eggs were missing.",
        s.world.weeks
    )?;
    writeln!(w, "Every metric: summary.csv; what they mean: report.html.")?;
    Ok(())
}

/// What the intervals include, in words.
pub(super) fn interval_kind(s: &Scenario) -> String {
    use telur::sim::Mode;
    match (&s.uncertainty, s.ensemble.mode) {
        (None, _) => "the intervals show the dice only (disease, prices, incomes), not what we do not know about the parameters".into(),
        (Some(u), Mode::Stochastic) => format!(
            "the intervals include the dice and what we do not know about {} parameters, drawn from their plausible ranges (replicate_parameters.csv)",
            u.parameters.len()
        ),
        (Some(u), Mode::Deterministic) => format!(
            "no dice: the intervals show only what we do not know about {} parameters, drawn from their plausible ranges (replicate_parameters.csv)",
            u.parameters.len()
        ),
    }
}
