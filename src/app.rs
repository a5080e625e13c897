//! Orchestration and all file and terminal IO: what each command does, step by step.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use crate::cli::{Cli, Command, DataKind, ModeArg, RunArgs};
use crate::data;
use crate::error::{InputError, InputErrors};
use crate::metrics::summary as sm;
use crate::report::csv as csv_out;
use crate::report::manifest::{self, HashingWriter, RunInfo};
use crate::scenario::{self, Overrides, Scenario, Source};
use crate::sim::{self, BASELINE};
use crate::stats::Stat;

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Check { scenario } => check_command(&scenario),
        Command::Data { what, breed } => data_command(what, breed.as_deref()),
    }
}

/// 2 for bad input (the user can fix it), 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<InputErrors>().is_some() || e.downcast_ref::<InputError>().is_some() {
        2
    } else {
        1
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
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")?;
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

/// Refuses to replace a folder that telur did not write (it has no manifest).
fn check_replaceable(out: &Path) -> Result<(), InputError> {
    let name = out.display().to_string();
    match fs::metadata(out) {
        Err(_) => Ok(()),
        Ok(meta) if !meta.is_dir() => Err(InputError::new(
            &name,
            "exists and is not a folder; choose another --out",
        )),
        Ok(_) => {
            let empty = fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if empty || out.join("manifest.json").is_file() {
                Ok(())
            } else {
                Err(InputError::new(
                    &name,
                    "is not empty and was not written by telur (it has no manifest.json); choose another --out or empty it",
                ))
            }
        }
    }
}

/// A progress bar on stderr for the runs (placement x replicate) of a scenario; hidden
/// with `--quiet` or when stderr is not a terminal.
struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    fn new(quiet: bool) -> ProgressBar {
        let visible = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        ProgressBar {
            bar: visible.then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}",
                    )
                    .expect("a valid template"),
                );
                bar
            }),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl sim::Progress for ProgressBar {
    fn start(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

/// Runs the scenario and writes every output into a temporary folder beside `out`, then
/// renames it into place, so `out` is always either the previous complete output or the
/// new one. Returns each placement's summary metrics for the headline table.
fn write_outputs(
    s: &Scenario,
    source: &Source,
    out: &Path,
    threads: usize,
    started: Instant,
    progress: &ProgressBar,
) -> Result<Vec<(String, Vec<Stat>)>> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let leaf = out
        .file_name()
        .ok_or_else(|| anyhow!("--out {} does not name a folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{leaf}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
    }
    fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let written = write_into(s, source, &tmp, threads, started, progress);
    let summaries = match written {
        Ok(summaries) => summaries,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let old = parent.join(format!(".{leaf}.old-{}", std::process::id()));
    let replacing = out.exists();
    if replacing {
        fs::rename(out, &old)
            .with_context(|| format!("cannot move the previous {} aside", out.display()))?;
    }
    if let Err(e) = fs::rename(&tmp, out) {
        if replacing {
            let _ = fs::rename(&old, out);
        }
        let _ = fs::remove_dir_all(&tmp);
        return Err(e).with_context(|| format!("cannot move the outputs into {}", out.display()));
    }
    if replacing {
        fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(summaries)
}

type Output = HashingWriter<BufWriter<File>>;

/// An output file being written: its name, path and hashing writer.
struct OutputFile {
    name: &'static str,
    path: PathBuf,
    writer: Output,
}

impl OutputFile {
    fn create(dir: &Path, name: &'static str, header: &str) -> Result<OutputFile> {
        let path = dir.join(name);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = HashingWriter::new(BufWriter::with_capacity(1 << 16, file));
        writeln!(writer, "{header}")
            .with_context(|| format!("while writing {}", path.display()))?;
        Ok(OutputFile { name, path, writer })
    }

    fn write(&mut self, rows: impl FnOnce(&mut Output) -> io::Result<()>) -> Result<()> {
        rows(&mut self.writer).with_context(|| format!("while writing {}", self.path.display()))
    }

    fn finish(self) -> Result<(String, String)> {
        let hash = self
            .writer
            .finish()
            .with_context(|| format!("while writing {}", self.path.display()))?;
        Ok((self.name.to_string(), hash))
    }
}

fn write_into(
    s: &Scenario,
    source: &Source,
    dir: &Path,
    threads: usize,
    started: Instant,
    progress: &ProgressBar,
) -> Result<Vec<(String, Vec<Stat>)>> {
    let regions: Vec<String> = s.regions.regions.iter().map(|r| r.name.clone()).collect();
    let calendar = crate::model::calendar::Calendar::new(s.start_date, s.weeks);
    let mut summary = OutputFile::create(dir, "summary.csv", csv_out::SUMMARY_HEADER)?;
    let mut region_summary =
        OutputFile::create(dir, "region_summary.csv", csv_out::REGION_SUMMARY_HEADER)?;
    let mut region_weekly =
        OutputFile::create(dir, "region_weekly.csv", csv_out::REGION_WEEKLY_HEADER)?;
    let mut program_weekly =
        OutputFile::create(dir, "program_weekly.csv", csv_out::PROGRAM_WEEKLY_HEADER)?;
    let mut summaries = Vec::new();
    sim::run_scenario_with(s, progress, |p| -> Result<()> {
        summary.write(|w| csv_out::summary_rows(&p, w))?;
        region_summary.write(|w| csv_out::region_summary_rows(&p, &regions, w))?;
        region_weekly.write(|w| csv_out::region_weekly_rows(&p, &calendar, &regions, w))?;
        program_weekly.write(|w| csv_out::program_weekly_rows(&p, &calendar, w))?;
        summaries.push((p.name, p.summary));
        Ok(())
    })?;
    let outputs = vec![
        summary.finish()?,
        region_summary.finish()?,
        region_weekly.finish()?,
        program_weekly.finish()?,
    ];
    let info = RunInfo {
        scenario_file: &source.name,
        scenario_sha256: manifest::sha256_hex(source.text.as_bytes()),
        threads,
        wall_time_seconds: started.elapsed().as_secs_f64(),
        outputs,
    };
    let path = dir.join("manifest.json");
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    manifest::write_manifest(s, &info, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    Ok(summaries)
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
