//! Runs bigger than one machine: `telur run --shard I/N` computes one slice of a run's
//! units into a shard folder, `telur merge` reduces the shards into the outputs a single
//! run writes (byte for byte, but for the manifest's `threads` and `wall_time_seconds`),
//! and `telur slurm` writes the job array and merge job that do both on a Slurm cluster.
//!
//! A shard folder holds `shard.json` (what run it belongs to, which slice, its units, the
//! scenario's text and the flags it was run with, and the SHA-256 of its files) and
//! `replicates/`, every unit's results as Parquet, a row group per unit in the order of
//! `shard.json`'s units: the same tables `--keep-replicates` writes.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::output::{
    Reader, ReplicateFiles, Results, RunSettings, check_replaceable, into_place, write_outputs,
};
use super::progress::ProgressBar;
use super::{input_error, interrupted, stop_on_interrupt, thread_pool};
use crate::cli::{Common, MergeArgs, MethodArg, ModeArg, RunArgs, SensitivityArgs, SlurmArgs};
use telur::error::{InputError, InputErrors};
use telur::report::manifest::{self, GIT_COMMIT, ScenarioRef};
use telur::report::replicates::{self, Shape, Table, TableReader};
use telur::results::{PlacementResult, ReplicateOutput};
use telur::scenario::{Overrides, Scenario, Source};
use telur::sensitivity::{Plan, Settings};
use telur::sim::{self, Inputs, Job, Mode, Reduction, Unit};

/// The shard manifest's file name.
pub(super) const SHARD_MANIFEST: &str = "shard.json";

/// Which slice of the work: `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ShardSpec {
    pub(super) index: u32,
    pub(super) count: u32,
}

impl ShardSpec {
    /// `I/N`, or `auto` from Slurm's or Kubernetes' environment.
    pub(super) fn parse(text: &str, shards: Option<u32>) -> Result<ShardSpec> {
        let bad = |message: String| input_error(InputError::new("--shard", message));
        let spec = if text == "auto" {
            let var = |name: &str| std::env::var(name).ok();
            let number = |name: &str, value: String| {
                value
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| bad(format!("{name}={value:?} is not a whole number")))
            };
            match (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"), var("JOB_COMPLETION_INDEX")) {
                (Some(id), Some(count), _) => ShardSpec {
                    index: number("SLURM_ARRAY_TASK_ID", id)?,
                    count: shards.map_or_else(|| number("SLURM_ARRAY_TASK_COUNT", count), Ok)?,
                },
                (_, _, Some(index)) => ShardSpec {
                    index: number("JOB_COMPLETION_INDEX", index)?,
                    count: shards.ok_or_else(|| {
                        bad("JOB_COMPLETION_INDEX gives the index only: add --shards N, the Indexed Job's completions".into())
                    })?,
                },
                _ => {
                    return Err(bad(
                        "auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); none is set".into(),
                    ));
                }
            }
        } else {
            let (i, n) = text
                .split_once('/')
                .ok_or_else(|| bad(format!("{text:?}: write I/N, like 0/8, or auto")))?;
            let whole = |x: &str| {
                x.trim()
                    .parse::<u32>()
                    .map_err(|_| bad(format!("{text:?}: {x:?} is not a whole number")))
            };
            ShardSpec {
                index: whole(i)?,
                count: whole(n)?,
            }
        };
        if spec.count == 0 || spec.index >= spec.count {
            return Err(bad(format!(
                "shard {} of {}: the index must be from 0 to {}",
                spec.index,
                spec.count,
                spec.count.saturating_sub(1)
            )));
        }
        Ok(spec)
    }

    /// The units of this slice: every `count`-th unit of the run from the `index`-th, so
    /// every shard gets a share of every placement.
    fn units(self, all: &[Unit]) -> Vec<Unit> {
        all.iter()
            .enumerate()
            .filter(|(u, _)| *u as u64 % u64::from(self.count) == u64::from(self.index))
            .map(|(_, &unit)| unit)
            .collect()
    }
}

/// The flags a shard was run with, which its merge applies again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverridesEntry {
    mode: Option<String>,
    weeks: Option<u32>,
    replicates: Option<u32>,
    seed: Option<u64>,
    uncertainty: Option<bool>,
}

impl OverridesEntry {
    fn of(o: &Overrides) -> OverridesEntry {
        OverridesEntry {
            mode: o.mode.map(|m| m.name().to_string()),
            weeks: o.weeks,
            replicates: o.replicates,
            seed: o.seed,
            uncertainty: o.uncertainty,
        }
    }

    fn overrides(&self) -> Overrides {
        Overrides {
            mode: self.mode.as_deref().map(|m| {
                if m == Mode::Stochastic.name() {
                    Mode::Stochastic
                } else {
                    Mode::Deterministic
                }
            }),
            weeks: self.weeks,
            replicates: self.replicates,
            seed: self.seed,
            uncertainty: self.uncertainty,
        }
    }
}

/// One unit as `shard.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnitEntry {
    /// `baseline` or the placement's name.
    placement: String,
    replicate: u32,
}

/// `shard.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShardManifest {
    program: String,
    kind: String,
    version: String,
    git_commit: String,
    scenario: ScenarioRef,
    /// SHA-256 of what the outputs depend on: the scenario's text, the flags and every
    /// data file it reads. Shards of one run share it.
    run_hash: String,
    /// The scenario as given, and the folder its data paths start from.
    scenario_text: String,
    scenario_dir: Option<String>,
    overrides: OverridesEntry,
    seed: u64,
    shard: u32,
    shards: u32,
    /// A run's shard: its units (placement x replicate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    units: Vec<UnitEntry>,
    /// A sensitivity analysis's shard: the analysis's flags and its sample points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    analysis: Option<AnalysisEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    points: Vec<usize>,
    threads: usize,
    wall_time_seconds: f64,
    /// BLAKE3 of each file the shard wrote (`replicates/*.parquet` or `points.csv`).
    outputs: BTreeMap<String, String>,
}

/// The flags of `telur sensitivity` that shape an analysis, as its shards record them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnalysisEntry {
    method: String,
    samples: Option<usize>,
    metrics: Option<Vec<String>>,
    parameters: Option<Vec<String>>,
    replicates: Option<u32>,
}

impl AnalysisEntry {
    fn of(args: &SensitivityArgs) -> AnalysisEntry {
        AnalysisEntry {
            method: match args.method {
                MethodArg::Morris => "morris",
                MethodArg::Sobol => "sobol",
            }
            .to_string(),
            samples: args.samples,
            metrics: args.metrics.clone(),
            parameters: args.parameters.clone(),
            replicates: args.replicates,
        }
    }

    /// The arguments of the analysis again, for a merge writing into `out`.
    fn args(&self, overrides: &Overrides, merge: &MergeArgs) -> SensitivityArgs {
        SensitivityArgs {
            scenario: None,
            method: if self.method == "sobol" {
                MethodArg::Sobol
            } else {
                MethodArg::Morris
            },
            samples: self.samples,
            metrics: self.metrics.clone(),
            parameters: self.parameters.clone(),
            mode: overrides.mode.map(|m| match m {
                Mode::Deterministic => ModeArg::Deterministic,
                Mode::Stochastic => ModeArg::Stochastic,
            }),
            replicates: self.replicates,
            common: Common {
                seed: overrides.seed,
                threads: merge.threads,
                quiet: merge.quiet,
            },
            out: Some(merge.out.clone()),
            shard: None,
            shards: None,
        }
    }
}

impl ShardManifest {
    /// The manifest of shard `spec` of `kind` (`shard`, `sensitivity-shard`), without
    /// its work or files: those are the caller's.
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: &str,
        source: &Source,
        s: &Scenario,
        overrides: &Overrides,
        extra: &str,
        spec: ShardSpec,
        threads: usize,
        started: Instant,
    ) -> ShardManifest {
        ShardManifest {
            program: "telur".into(),
            kind: kind.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: GIT_COMMIT.into(),
            scenario: ScenarioRef::of(&s.name, source),
            run_hash: run_hash(source, overrides, s, extra),
            scenario_text: source.text.clone(),
            scenario_dir: source.dir.as_ref().map(|d| d.display().to_string()),
            overrides: OverridesEntry::of(overrides),
            seed: s.ensemble.seed,
            shard: spec.index,
            shards: spec.count,
            units: Vec::new(),
            analysis: None,
            points: Vec::new(),
            threads,
            wall_time_seconds: started.elapsed().as_secs_f64(),
            outputs: BTreeMap::new(),
        }
    }
}

/// Says where a shard went and what it holds.
fn written(s: &Scenario, spec: ShardSpec, out: &Path, holds: &str) {
    println!(
        "{}: shard {} of {} written to {}/ ({holds}); merge every shard with `telur merge`",
        s.name,
        spec.index,
        spec.count,
        out.display()
    );
}

/// What the outputs of a run depend on, hashed: the scenario's text, the flags (`extra`:
/// an analysis's), and the data files it reads.
fn run_hash(source: &Source, overrides: &Overrides, s: &Scenario, extra: &str) -> String {
    let mut text = String::new();
    text.push_str(&source.text);
    text.push_str(&format!("\n{:?}\n{extra}\n", OverridesEntry::of(overrides)));
    for file in std::iter::once(&s.regions_file)
        .chain(std::iter::once(&s.breed_file))
        .chain(s.placement_sources.iter().map(|p| &p.breed_file))
    {
        text.push_str(&format!(
            "{} {}\n",
            file.reference,
            manifest::sha256_hex(file.text.as_bytes())
        ));
    }
    manifest::blake3_hex(text.as_bytes())
}

/// `telur run --shard I/N`.
pub(super) fn shard_run(
    args: &RunArgs,
    overrides: &Overrides,
    source: &Source,
    s: &Scenario,
    spec: ShardSpec,
) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| {
        Path::new("output").join(format!("{}-shard-{}-of-{}", s.name, spec.index, spec.count))
    });
    check_replaceable(&out).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.common.threads)?;
    stop_on_interrupt();
    let inputs = s.inputs();
    let all = sim::units(&inputs);
    let mine = spec.units(&all);
    if !args.common.quiet {
        eprintln!(
            "telur: shard {} of {}: {} of the run's {} units (placement x replicate), {threads} thread{}",
            spec.index,
            spec.count,
            mine.len(),
            all.len(),
            if threads == 1 { "" } else { "s" }
        );
    }
    let started = Instant::now();
    let progress = ProgressBar::new(args.common.quiet);
    pool.install(|| {
        into_place(&out, |dir| {
            sim::Progress::start(&progress, mine.len() as u64);
            let mut files = ReplicateFiles::create(dir, &inputs, Reader::Merge)?;
            // A few units per thread at a time, so memory stays bounded however large
            // the shard; each batch is written while the next one runs.
            let batch = 4 * rayon::current_num_threads().max(1);
            let mut done: (&[Unit], Vec<ReplicateOutput>) = (&[], Vec::new());
            let mut write = |(units, outputs): (&[Unit], Vec<ReplicateOutput>)| -> Result<()> {
                let units: Vec<_> = units
                    .iter()
                    .zip(&outputs)
                    .map(|(&(job, rep), out)| (job.map_or(0, |i| i + 1), rep, out))
                    .collect();
                files.units(&units)
            };
            for chunk in mine.chunks(batch) {
                let (written, outputs) =
                    rayon::join(|| write(done), || sim::run_units(&inputs, chunk, &progress));
                written?;
                interrupted()?;
                done = (chunk, outputs);
            }
            write(done)?;
            let outputs = files.finish()?;
            let manifest = ShardManifest {
                units: mine
                    .iter()
                    .map(|&(job, rep)| UnitEntry {
                        placement: sim::job_name(&inputs, job).to_string(),
                        replicate: rep,
                    })
                    .collect(),
                outputs: outputs.into_iter().collect(),
                ..ShardManifest::new("shard", source, s, overrides, "", spec, threads, started)
            };
            write_manifest(dir, &manifest)
        })
    })?;
    progress.finish();
    written(s, spec, &out, &format!("{} units", mine.len()));
    Ok(())
}

/// A shard folder, read and checked.
struct OpenShard {
    dir: PathBuf,
    manifest: ShardManifest,
    readers: Vec<TableReader>,
}

/// The shards of one run, ready to give back every unit.
pub(super) struct ShardSet {
    shards: Vec<OpenShard>,
    /// Unit to (shard, row group).
    index: HashMap<Unit, (usize, usize)>,
}

impl ShardSet {
    /// Every job's replicates read back, in order, handed to `sink`: what
    /// [`sim::run_scenario_with`] does with the units it runs.
    pub(super) fn replay(
        &self,
        inputs: &Inputs,
        sink: &mut impl FnMut(PlacementResult, &[ReplicateOutput]) -> Result<()>,
    ) -> Result<Vec<Vec<Vec<f64>>>> {
        let reps = inputs.ensemble.runs();
        let shape = Shape {
            weeks: inputs.world.weeks as usize,
            regions: inputs.world.regions.len(),
        };
        let mut reduction = Reduction::new();
        let jobs: Vec<Job> = std::iter::once(None)
            .chain((0..inputs.placements.len()).map(Some))
            .collect();
        for job in jobs {
            let name = sim::job_name(inputs, job);
            let outputs = (0..reps)
                .into_par_iter()
                .map(|rep| self.read(job, rep, name, shape))
                .collect::<Result<Vec<_>>>()?;
            reduction.job(name, job, &outputs, sink)?;
        }
        Ok(reduction.finish())
    }

    fn read(&self, job: Job, rep: u32, name: &str, shape: Shape) -> Result<ReplicateOutput> {
        let &(s, group) = self
            .index
            .get(&(job, rep))
            .ok_or_else(|| anyhow!("no shard holds {name} in replicate {rep}"))?;
        let shard = &self.shards[s];
        let mut tables = Vec::with_capacity(4);
        for (table, reader) in Table::ALL.iter().zip(&shard.readers) {
            let path = shard.dir.join(replicates::FOLDER).join(table.file());
            let file =
                File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let values = reader
                .unit(file, group, name, rep)
                .with_context(|| format!("while reading {}", path.display()))?;
            tables.push(values);
        }
        let tables: [Vec<f64>; 4] = tables.try_into().expect("four tables");
        Ok(replicates::output_of(shape, tables))
    }
}

/// `telur merge`.
pub(super) fn merge_command(args: &MergeArgs) -> Result<()> {
    let started = Instant::now();
    let shards = read_shards(&args.shards)?;
    let first = &shards[0].manifest;
    let source = Source {
        name: first.scenario.file.clone(),
        text: first.scenario_text.clone(),
        dir: first.scenario_dir.as_ref().map(PathBuf::from),
    };
    let overrides = first.overrides.overrides();
    if let Some(analysis) = &first.analysis {
        let sargs = analysis.args(&overrides, args);
        return merge_sensitivity(&sargs, &source, shards, started);
    }
    let s = Scenario::load(&source, &overrides)?;
    check_run_hash(&shards[0], &source, &overrides, &s, "")?;
    check_replaceable(&args.out).map_err(input_error)?;
    let inputs = s.inputs();
    let set = open_set(shards, &inputs)?;
    let (threads, pool) = thread_pool(args.threads)?;
    stop_on_interrupt();
    if !args.quiet {
        eprintln!(
            "telur: merging {} shards of {} into {}",
            set.shards.len(),
            s.name,
            args.out.display()
        );
    }
    let settings = RunSettings {
        threads,
        started,
        keep_replicates: false,
    };
    pool.install(|| write_outputs(&s, &source, &args.out, &settings, Results::Shards(&set)))?;
    println!(
        "{}: {} shards merged into {}/ ({:.1} s)",
        s.name,
        set.shards.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Refuses shards whose data files changed since they ran.
fn check_run_hash(
    shard: &OpenShard,
    source: &Source,
    overrides: &Overrides,
    s: &Scenario,
    extra: &str,
) -> Result<()> {
    if run_hash(source, overrides, s, extra) != shard.manifest.run_hash {
        return Err(input_error(InputError::new(
            shard.dir.join(SHARD_MANIFEST).display().to_string(),
            "the scenario's data files have changed since the shards ran (their SHA-256 differ); run the shards again",
        )));
    }
    Ok(())
}

/// Writes `shard.json` into `dir`.
fn write_manifest(dir: &Path, manifest: &ShardManifest) -> Result<()> {
    let path = dir.join(SHARD_MANIFEST);
    let mut w = BufWriter::new(
        File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    serde_json::to_writer_pretty(&mut w, manifest)?;
    writeln!(w)?;
    w.flush()?;
    Ok(())
}

/// The file of a sensitivity shard's results: `point,placement,metric,value`, values in
/// the shortest form that parses back to the same bits.
const POINTS: &str = "points.csv";

/// `telur sensitivity --shard I/N`: every N-th sample point from the I-th.
pub(super) fn sensitivity_shard(
    args: &SensitivityArgs,
    source: &Source,
    s: &Scenario,
    settings: &Settings,
    spec: ShardSpec,
) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| {
        Path::new("output").join(format!(
            "{}-sensitivity-shard-{}-of-{}",
            s.name, spec.index, spec.count
        ))
    });
    check_replaceable(&out).map_err(input_error)?;
    let (threads, pool) = thread_pool(args.common.threads)?;
    stop_on_interrupt();
    let plan = Plan::new(&s.ensemble, settings);
    let mine: Vec<usize> = (0..plan.values.len())
        .filter(|i| *i as u64 % u64::from(spec.count) == u64::from(spec.index))
        .collect();
    if !args.common.quiet {
        eprintln!(
            "telur: sensitivity shard {} of {}: {} of the analysis's {} sample points",
            spec.index,
            spec.count,
            mine.len(),
            plan.values.len()
        );
    }
    let started = Instant::now();
    let progress = ProgressBar::new(args.common.quiet);
    sim::Progress::start(&progress, mine.len() as u64);
    let outputs = pool.install(|| {
        telur::sensitivity::evaluate(
            &s.world,
            &s.ensemble,
            &s.placements,
            settings,
            &plan,
            &mine,
            &progress,
        )
    });
    progress.finish();
    interrupted()?;
    let outputs = outputs.ok_or_else(|| anyhow!("the analysis was interrupted"))?;
    let overrides = super::sensitivity::overrides(args);
    let analysis = AnalysisEntry::of(args);
    into_place(&out, |dir| {
        let path = dir.join(POINTS);
        let mut text = String::from("point,placement,metric,value\n");
        for (&point, at) in mine.iter().zip(&outputs) {
            for (p, values) in s.placements.iter().zip(at) {
                for (m, v) in settings.metrics.iter().zip(values) {
                    text.push_str(&format!("{point},{},{},{v}\n", p.name, m.name()));
                }
            }
        }
        fs::write(&path, &text).with_context(|| format!("while writing {}", path.display()))?;
        let extra = format!("{analysis:?}");
        let manifest = ShardManifest {
            analysis: Some(analysis.clone()),
            points: mine.clone(),
            outputs: [(POINTS.to_string(), manifest::blake3_hex(text.as_bytes()))].into(),
            ..ShardManifest::new(
                "sensitivity-shard",
                source,
                s,
                &overrides,
                &extra,
                spec,
                threads,
                started,
            )
        };
        write_manifest(dir, &manifest)
    })?;
    written(s, spec, &out, &format!("{} sample points", mine.len()));
    Ok(())
}

/// `telur merge` of a sensitivity analysis's shards: every sample point's results read
/// back, then the indices and the folder `telur sensitivity` writes.
fn merge_sensitivity(
    args: &SensitivityArgs,
    source: &Source,
    shards: Vec<OpenShard>,
    started: Instant,
) -> Result<()> {
    let (s, settings) = super::sensitivity::prepare(source, args)?;
    let overrides = super::sensitivity::overrides(args);
    let analysis = shards[0]
        .manifest
        .analysis
        .clone()
        .expect("a sensitivity shard");
    check_run_hash(&shards[0], source, &overrides, &s, &format!("{analysis:?}"))?;
    let out = args.out.clone().expect("a merge names its folder");
    check_replaceable(&out).map_err(input_error)?;
    let plan = Plan::new(&s.ensemble, &settings);
    let mut outputs: Vec<Option<Vec<Vec<f64>>>> = vec![None; plan.values.len()];
    let mut errors = Vec::new();
    for shard in &shards {
        let path = shard.dir.join(POINTS);
        let name = path.display().to_string();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(InputError::new(
                    &name,
                    format!("cannot read ({e}); run this shard again"),
                ));
                continue;
            }
        };
        if shard.manifest.outputs.get(POINTS) != Some(&manifest::blake3_hex(text.as_bytes())) {
            errors.push(InputError::new(
                &name,
                "changed since the shard wrote it (BLAKE3 differs from shard.json); run this shard again",
            ));
            continue;
        }
        if let Err(e) = read_points(
            &name,
            &text,
            &s,
            &settings,
            &shard.manifest.points,
            &mut outputs,
        ) {
            errors.push(e);
        }
    }
    let absent: Vec<String> = outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_none())
        .take(5)
        .map(|(i, _)| i.to_string())
        .collect();
    if errors.is_empty() && !absent.is_empty() {
        errors.push(InputError::new(
            "telur merge",
            format!(
                "no shard holds sample point {} (and perhaps more)",
                absent.join(", ")
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    let outputs: Vec<Vec<Vec<f64>>> = outputs.into_iter().map(Option::unwrap).collect();
    let (threads, pool) = thread_pool(args.common.threads)?;
    let a = telur::sensitivity::indices(plan, outputs, &s.ensemble, &s.placements, &settings);
    let how = super::sensitivity::Written {
        threads,
        started,
        pool: &pool,
    };
    super::sensitivity::write_analysis(&s, source, &settings, &a, &out, &how)
}

/// Reads a sensitivity shard's `points.csv` (`name`) into `outputs`: the rows of
/// `points`, each with every placement and metric in order.
fn read_points(
    name: &str,
    text: &str,
    s: &Scenario,
    settings: &Settings,
    points: &[usize],
    outputs: &mut [Option<Vec<Vec<f64>>>],
) -> std::result::Result<(), InputError> {
    // Each data line with its number and where it starts.
    let mut offset = 0;
    let mut lines = text
        .split_inclusive('\n')
        .enumerate()
        .map(|(n, line)| {
            let start = offset;
            offset += line.len();
            (n + 1, start, line.trim_end_matches(['\n', '\r']))
        })
        .skip(1);
    for &point in points {
        let mut at = Vec::with_capacity(s.placements.len());
        for p in &s.placements {
            let mut values = Vec::with_capacity(settings.metrics.len());
            for m in &settings.metrics {
                let want = format!("{point},{},{},", p.name, m.name());
                let (n, start, line) = lines.next().ok_or_else(|| {
                    InputError::new(
                        name,
                        format!("ends before point {point}, {}, {}", p.name, m.name()),
                    )
                })?;
                let value = line
                    .strip_prefix(&want)
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| {
                        InputError::new(name, format!("this line should be {want}<number>"))
                            .at_line(Some(n))
                            .at(text, start..start + line.len())
                    })?;
                values.push(value);
            }
            at.push(values);
        }
        match outputs.get_mut(point) {
            Some(slot) if slot.is_none() => *slot = Some(at),
            Some(_) => {
                return Err(InputError::new(
                    name,
                    format!("point {point} is in two shards"),
                ));
            }
            None => {
                return Err(InputError::new(
                    name,
                    format!("point {point} is beyond the analysis's {}", outputs.len()),
                ));
            }
        }
    }
    Ok(())
}

/// Reads every shard's manifest and checks they belong together: the same run (scenario,
/// flags, data), version, seed and shard count, and every index once. Lists every
/// problem at once.
fn read_shards(dirs: &[PathBuf]) -> Result<Vec<OpenShard>> {
    let mut errors = Vec::new();
    let mut shards = Vec::new();
    for dir in dirs {
        let path = dir.join(SHARD_MANIFEST);
        let name = path.display().to_string();
        match fs::read_to_string(&path) {
            Err(e) => errors.push(InputError::new(
                &name,
                format!(
                    "cannot read ({e}); is {} a folder `telur run --shard` wrote?",
                    dir.display()
                ),
            )),
            Ok(text) => match serde_json::from_str::<ShardManifest>(&text) {
                Err(e) => errors.push(
                    InputError::new(
                        &name,
                        format!("is not a shard manifest this telur can read: {e}"),
                    )
                    .at_line(Some(e.line())),
                ),
                Ok(manifest) => shards.push(OpenShard {
                    dir: dir.clone(),
                    manifest,
                    readers: Vec::new(),
                }),
            },
        }
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    let first = shards[0].manifest.clone();
    let first_dir = shards[0].dir.display().to_string();
    for shard in &shards[1..] {
        let m = &shard.manifest;
        let mut differs = Vec::new();
        if m.kind != first.kind {
            differs.push(format!("a {} against a {}", m.kind, first.kind));
        } else if m.run_hash != first.run_hash {
            differs.push("scenario, flags or data (run_hash)".to_string());
        }
        if m.version != first.version {
            differs.push(format!(
                "telur version {} against {}",
                m.version, first.version
            ));
        }
        if m.seed != first.seed {
            differs.push(format!("seed {} against {}", m.seed, first.seed));
        }
        if m.shards != first.shards {
            differs.push(format!("{} shards against {}", m.shards, first.shards));
        }
        if !differs.is_empty() {
            errors.push(InputError::new(
                shard.dir.display().to_string(),
                format!(
                    "is not a shard of the same run as {first_dir}: {}",
                    differs.join("; ")
                ),
            ));
        }
    }
    let count = first.shards;
    let mut seen: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for shard in &shards {
        seen.entry(shard.manifest.shard)
            .or_default()
            .push(shard.dir.display().to_string());
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        errors.push(InputError::new(
            "telur merge",
            format!(
                "shards missing: {} of {count} (run them with `telur run --shard I/{count}`)",
                missing.join(", ")
            ),
        ));
    }
    for (i, dirs) in &seen {
        if dirs.len() > 1 {
            errors.push(InputError::new(
                "telur merge",
                format!("shard {i} given more than once: {}", dirs.join(", ")),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    shards.sort_by_key(|s| s.manifest.shard);
    Ok(shards)
}

/// Opens every shard's tables, checks their hashes and row groups against its manifest,
/// and indexes every unit of the run.
fn open_set(mut shards: Vec<OpenShard>, inputs: &Inputs) -> Result<ShardSet> {
    let shape = Shape {
        weeks: inputs.world.weeks as usize,
        regions: inputs.world.regions.len(),
    };
    let names: HashMap<String, Job> = std::iter::once(None)
        .chain((0..inputs.placements.len()).map(Some))
        .map(|job| (sim::job_name(inputs, job).to_string(), job))
        .collect();
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for (s, shard) in shards.iter_mut().enumerate() {
        let manifest_path = shard.dir.join(SHARD_MANIFEST).display().to_string();
        for (file, hash) in &shard.manifest.outputs {
            let path = shard.dir.join(file);
            match fs::read(&path) {
                Ok(bytes) if manifest::blake3_hex(&bytes) == *hash => {}
                Ok(_) => errors.push(InputError::new(
                    path.display().to_string(),
                    "changed since the shard wrote it (BLAKE3 differs from shard.json); run this shard again",
                )),
                Err(e) => errors.push(InputError::new(path.display().to_string(), format!("cannot read ({e}); run this shard again"))),
            }
        }
        for table in Table::ALL {
            let path = shard.dir.join(replicates::FOLDER).join(table.file());
            let reader = File::open(&path)
                .map_err(|e| e.to_string())
                .and_then(|f| TableReader::open(table, &f, shape).map_err(|e| e.to_string()));
            match reader {
                Ok(r) if r.units() == shard.manifest.units.len() => shard.readers.push(r),
                Ok(r) => errors.push(InputError::new(
                    path.display().to_string(),
                    format!(
                        "has {} units, {manifest_path} lists {}",
                        r.units(),
                        shard.manifest.units.len()
                    ),
                )),
                Err(e) => errors.push(InputError::new(
                    path.display().to_string(),
                    format!("cannot read: {e}"),
                )),
            }
        }
        for (group, unit) in shard.manifest.units.iter().enumerate() {
            match names.get(&unit.placement) {
                Some(&job) => {
                    if index.insert((job, unit.replicate), (s, group)).is_some() {
                        errors.push(InputError::new(
                            &manifest_path,
                            format!(
                                "{} in replicate {} is in two shards",
                                unit.placement, unit.replicate
                            ),
                        ));
                    }
                }
                None => errors.push(InputError::new(
                    &manifest_path,
                    format!(
                        "lists a placement the scenario does not have: {}",
                        unit.placement
                    ),
                )),
            }
        }
    }
    let absent: Vec<String> = sim::units(inputs)
        .into_iter()
        .filter(|u| !index.contains_key(u))
        .take(5)
        .map(|(job, rep)| format!("{} in replicate {rep}", sim::job_name(inputs, job)))
        .collect();
    if !absent.is_empty() {
        errors.push(InputError::new(
            "telur merge",
            format!("no shard holds {} (and perhaps more)", absent.join(", ")),
        ));
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    Ok(ShardSet { shards, index })
}

/// `telur slurm`: the job array, the merge job, and the command that submits both.
pub(super) fn slurm_command(args: &SlurmArgs) -> Result<()> {
    let absolute = |p: &Path| -> Result<PathBuf> {
        std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
    };
    // Checked now, so a typo does not wait in the queue.
    let source = match &args.scenario {
        Some(path) => Source::read(path).map_err(input_error)?,
        None => Source::builtin_default(),
    };
    let mut run_flags = String::new();
    if let Some(m) = args.mode {
        run_flags.push_str(&format!(" --mode {}", Mode::from(m).name()));
    }
    if let Some(n) = args.weeks {
        run_flags.push_str(&format!(" --weeks {n}"));
    }
    if let Some(n) = args.replicates {
        run_flags.push_str(&format!(" --replicates {n}"));
    }
    if args.uncertainty {
        run_flags.push_str(" --uncertainty");
    }
    if let Some(n) = args.seed {
        run_flags.push_str(&format!(" --seed {n}"));
    }
    let command = match &args.sensitivity {
        None => {
            let overrides = Overrides {
                mode: args.mode.map(Into::into),
                weeks: args.weeks,
                replicates: args.replicates,
                seed: args.seed,
                uncertainty: args.uncertainty.then_some(true),
            };
            Scenario::load(&source, &overrides)?;
            "run".to_string()
        }
        Some(flags) => {
            let bad = |message: String| input_error(InputError::new("--sensitivity", message));
            if args.weeks.is_some() || args.uncertainty {
                return Err(bad(
                    "--weeks and --uncertainty are flags of a run, not of an analysis".into(),
                ));
            }
            let words: Vec<&str> = flags.split_whitespace().collect();
            let parsed = <crate::cli::Cli as clap::Parser>::try_parse_from(
                ["telur", "sensitivity"]
                    .into_iter()
                    .chain(words.iter().copied())
                    .chain(run_flags.split_whitespace()),
            )
            .map_err(|e| {
                let why = e.to_string();
                let why = why
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                bad(format!(
                    "{flags:?} are not flags of telur sensitivity: {why}"
                ))
            })?;
            let crate::cli::Command::Sensitivity(sargs) = parsed.command else {
                unreachable!("parsed as the sensitivity command")
            };
            if sargs.scenario.is_some()
                || sargs.out.is_some()
                || sargs.shard.is_some()
                || sargs.common.threads.is_some()
            {
                return Err(bad(
                    "the scenario, --out, --shard and --threads are the script's: give only the analysis's flags".into(),
                ));
            }
            super::sensitivity::prepare(&source, &sargs)?;
            format!(
                "sensitivity {}",
                words
                    .iter()
                    .map(|w| shell_quote(w))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    };
    let scenario = match &args.scenario {
        Some(path) => Some(absolute(path)?),
        None => None,
    };
    let out = absolute(&args.out)?;
    let telur = std::env::current_exe().context("cannot find the telur binary")?;
    fs::create_dir_all(out.join("logs"))
        .with_context(|| format!("cannot create {}", out.join("logs").display()))?;
    let quote = |p: &Path| shell_quote(&p.display().to_string());
    let partition = args
        .partition
        .as_ref()
        .map(|p| format!("#SBATCH --partition={p}\n"))
        .unwrap_or_default();
    let scenario_arg = scenario
        .as_deref()
        .map(|p| format!(" {}", quote(p)))
        .unwrap_or_default();
    let array = format!(
        "#!/bin/bash\n\
         # Written by `telur slurm`: {n} shards of one telur {what}, one array task each.\n\
         #SBATCH --job-name=telur-shards\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --time={time}\n\
         {partition}\
         #SBATCH --output={logs}/shard-%a.out\n\
         set -euo pipefail\n\
         {telur} {command}{scenario_arg}{run_flags} --shard auto --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet \\\n    \
         --out {shards}/shard-\"$SLURM_ARRAY_TASK_ID\"\n",
        n = args.shards,
        what = if args.sensitivity.is_some() {
            "analysis"
        } else {
            "run"
        },
        last = args.shards - 1,
        cpus = args.cpus,
        time = args.time,
        logs = quote(&out.join("logs")),
        telur = quote(&telur),
        shards = quote(&out.join("shards")),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # Written by `telur slurm`: merges the shards once every array task has succeeded.\n\
         #SBATCH --job-name=telur-merge\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --time={time}\n\
         {partition}\
         #SBATCH --output={logs}/merge.out\n\
         set -euo pipefail\n\
         {telur} merge {shards}/shard-* --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet --out {result}\n",
        cpus = args.cpus,
        time = args.time,
        logs = quote(&out.join("logs")),
        telur = quote(&telur),
        shards = quote(&out.join("shards")),
        result = quote(&out.join("result")),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Written by `telur slurm`: submits the array, then the merge to run after it.\n\
         set -euo pipefail\n\
         array=$(sbatch --parsable {run})\n\
         sbatch --parsable --dependency=afterok:\"${{array%%;*}}\" {merge}\n",
        run = quote(&out.join("run.sbatch")),
        merge = quote(&out.join("merge.sbatch")),
    );
    for (name, text) in [
        ("run.sbatch", &array),
        ("merge.sbatch", &merge),
        ("submit.sh", &submit),
    ] {
        let path = out.join(name);
        fs::write(&path, text).with_context(|| format!("while writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make {} executable", path.display()))?;
        }
    }
    println!(
        "wrote {0}/run.sbatch (an array of {1} shards), {0}/merge.sbatch and {0}/submit.sh; submit both with:\n\n  {2}\n\nthe merged outputs will be in {0}/result/, the logs in {0}/logs/",
        out.display(),
        args.shards,
        quote(&out.join("submit.sh"))
    );
    Ok(())
}

/// A word for bash: quoted unless it is plain.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_every_unit_once() {
        let all: Vec<Unit> = (0..3)
            .flat_map(|j| (0..7).map(move |r| (if j == 0 { None } else { Some(j - 1) }, r)))
            .collect();
        for count in [1, 2, 5, 21, 40] {
            let mut got: Vec<Unit> = (0..count)
                .flat_map(|index| ShardSpec { index, count }.units(&all))
                .collect();
            got.sort();
            let mut want = all.clone();
            want.sort();
            assert_eq!(got, want, "{count} shards");
        }
    }

    #[test]
    fn shard_specs_parse_or_say_why_not() {
        assert_eq!(
            ShardSpec::parse("2/8", None).unwrap(),
            ShardSpec { index: 2, count: 8 }
        );
        for bad in ["8/8", "1/0", "x/2", "3", "-1/4"] {
            assert!(ShardSpec::parse(bad, None).is_err(), "{bad}");
        }
        assert_eq!(shell_quote("/a/b-c.toml"), "/a/b-c.toml");
        assert_eq!(shell_quote("my run's"), "'my run'\\''s'");
    }
}
