//! A run's output folder: written into a temporary folder beside the target, hashed while
//! streamed, then swapped into place, so the target always holds a complete output.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;

use super::progress::ProgressBar;
use super::{input_error, interrupted};
use telur::error::{InputError, InputErrors};
use telur::report::charts::{self, Chart};
use telur::report::csv::{self as csv_out, CsvWriter};
use telur::report::html;
use telur::report::load::{self, RunData};
use telur::report::manifest::{self, Digest, HashingWriter, Manifest, RunInfo};
use telur::report::optimize::{self, OptimizeSummary};
use telur::report::replicates::{self, Codec, Table, TableWriter};
use telur::report::resolved::{DataNames, resolved_toml};
use telur::results::metrics::summary as sm;
use telur::results::{PlacementResult, ReplicateOutput};
use telur::scenario::{self, DataFile, Scenario, Source};
use telur::sim;
use telur::stats::Stat;

/// Refuses to replace a folder that telur did not write (it has no manifest).
pub(super) fn check_replaceable(out: &Path) -> Result<(), InputError> {
    let name = out.display().to_string();
    // The output is swapped with a sibling folder, so it needs a name of its own.
    if out.file_name().is_none() {
        return Err(InputError::new(
            &name,
            "does not name a folder of its own (like output/my-run); choose another --out",
        ));
    }
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
            if empty
                || out.join("manifest.json").is_file()
                || out.join(super::shard::SHARD_MANIFEST).is_file()
            {
                Ok(())
            } else {
                Err(InputError::new(
                    &name,
                    "is not empty and was not written by telur (it has no manifest.json or shard.json); choose another --out or empty it",
                ))
            }
        }
    }
}

/// Runs the scenario and writes every output into a temporary folder beside `out`, then
/// moves it into place, so `out` is always either the previous complete output or the
/// new one. Returns each placement's summary metrics for the headline table.
pub(super) fn write_outputs(
    s: &Scenario,
    source: &Source,
    out: &Path,
    run: &RunSettings,
    results: Results,
) -> Result<Vec<(String, Vec<Stat>)>> {
    into_place(out, |dir| {
        let written = write_into(s, source, dir, run, results)?;
        let summaries = written
            .placements
            .iter()
            .map(|p| (p.name.clone(), p.summary.clone()))
            .collect();
        write_views(dir, dir, Some(written.placements))?;
        Ok(summaries)
    })
}

/// How a run is made, as its manifest records it.
pub(super) struct RunSettings {
    pub(super) threads: usize,
    pub(super) started: Instant,
    /// Write every replicate's results under `replicates/`.
    pub(super) keep_replicates: bool,
}

/// Where a run's results come from.
pub(super) enum Results<'a> {
    /// Simulated here, with a progress bar.
    Run(&'a ProgressBar),
    /// Read back from shards' `replicates/` files.
    Shards(&'a super::shard::ShardSet),
}

/// What a run wrote, for what comes after: every placement's results as its CSVs hold
/// them, and its summary metrics in every replicate.
pub(super) struct Written {
    /// `[placement][replicate][metric]`, baseline excluded.
    pub(super) replicates: Vec<Vec<Vec<f64>>>,
    /// The baseline first, in the order of `summary.csv`, win shares filled in: the
    /// numbers the four CSVs were written from, which read back as the same bits
    /// ([`load_run`]).
    pub(super) placements: Vec<PlacementResult>,
}

/// Builds a folder of outputs with `build` in a temporary folder beside `out`, then moves
/// it into place: `out` is always either the previous complete folder or the new one.
pub(super) fn into_place<T>(out: &Path, build: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
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
    remove_stale_siblings(&parent, &leaf);
    // Removed on every early return (an error, an interrupt); a killed process leaves it
    // for the next run's `remove_stale_siblings`.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{leaf}.tmp-{}-", std::process::id()))
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?;
    let built = build(tmp.path())?;
    move_into_place(tmp, out)
        .with_context(|| format!("cannot move the outputs into {}", out.display()))?;
    Ok(built)
}

/// Puts the finished folder at `out`. Where `out` exists, the two are swapped in one
/// atomic step (Linux `renameat2(RENAME_EXCHANGE)`), so at every instant `out` is either
/// the previous complete output or the new one; elsewhere, the old folder is moved aside
/// first, leaving a moment with no `out` at all (never a half-written one).
fn move_into_place(tmp: tempfile::TempDir, out: &Path) -> io::Result<()> {
    if !out.exists() {
        return fs::rename(tmp.keep(), out);
    }
    if exchange(tmp.path(), out).is_ok() {
        // `tmp` now holds the previous output; dropping it removes it.
        return tmp.close();
    }
    let aside = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.old-{}-",
            out.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id()
        ))
        .tempdir_in(out.parent().unwrap_or(Path::new(".")))?;
    let old = aside.path().join("old");
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(tmp.path(), out) {
        let _ = fs::rename(&old, out);
        return Err(e);
    }
    aside.close()
}

/// Swaps two paths atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Removes `.<leaf>.tmp-<pid>-*` and `.<leaf>.old-<pid>-*` folders that a run killed before
/// it could clean up left beside `out`. Only folders of processes no longer running are
/// touched (checked through `/proc`; where there is no `/proc`, nothing is removed).
fn remove_stale_siblings(parent: &Path, leaf: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = [".tmp-", ".old-"]
            .iter()
            .find_map(|kind| name.strip_prefix(&format!(".{leaf}{kind}")))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

pub(super) type Output = HashingWriter<BufWriter<File>>;

/// An output CSV being written: its name, path and hashing writer.
pub(super) struct OutputFile {
    name: &'static str,
    path: PathBuf,
    /// `None` only after [`OutputFile::write_weeks`] failed half-way.
    writer: Option<CsvWriter<Output>>,
}

/// Weeks of rows that [`OutputFile::write_weeks`] formats as one piece.
const WEEKS_PER_PIECE: u32 = 26;

impl OutputFile {
    pub(super) fn create(
        dir: &Path,
        name: &'static str,
        header: &[impl AsRef<str>],
    ) -> Result<OutputFile> {
        let path = dir.join(name);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let writer = CsvWriter::new(
            HashingWriter::new(BufWriter::with_capacity(1 << 16, file)),
            header,
        )
        .with_context(|| format!("while writing {}", path.display()))?;
        Ok(OutputFile {
            name,
            path,
            writer: Some(writer),
        })
    }

    fn writer(&mut self) -> Result<&mut CsvWriter<Output>> {
        let path = &self.path;
        self.writer.as_mut().ok_or_else(|| earlier_failure(path))
    }

    pub(super) fn write(
        &mut self,
        rows: impl FnOnce(&mut CsvWriter<Output>) -> io::Result<()>,
    ) -> Result<()> {
        let writer = self.writer()?;
        rows(writer).with_context(|| format!("while writing {}", self.path.display()))
    }

    /// Writes the rows `rows(weeks, ..)` makes for weeks `0..weeks`, in pieces of
    /// [`WEEKS_PER_PIECE`] weeks formatted on whichever thread is free and written in
    /// order: the same bytes as one writer writing every week (each row is formatted
    /// alone; tested in `report::csv`). A national run's `region_weekly.csv` is 25 MB of
    /// numbers, whose formatting was the longest step after the simulation; the pieces
    /// of one placement wait in memory until all are formatted.
    pub(super) fn write_weeks(
        &mut self,
        weeks: u32,
        rows: impl Fn(Range<u32>, &mut CsvWriter<Vec<u8>>) -> io::Result<()> + Sync,
    ) -> Result<()> {
        let context = || format!("while writing {}", self.path.display());
        let pieces: Vec<Range<u32>> = (0..weeks)
            .step_by(WEEKS_PER_PIECE as usize)
            .map(|first| first..(first + WEEKS_PER_PIECE).min(weeks))
            .collect();
        let texts: Vec<io::Result<Vec<u8>>> = pieces
            .into_par_iter()
            .map(|piece| {
                let mut w = CsvWriter::resume(Vec::new());
                rows(piece, &mut w)?;
                w.into_inner()
            })
            .collect();
        // The csv writer does not lend out the file, so it is taken apart and resumed.
        let writer = self
            .writer
            .take()
            .ok_or_else(|| earlier_failure(&self.path))?;
        let mut out = writer.into_inner().with_context(context)?;
        for text in texts {
            out.write_all(&text.with_context(context)?)
                .with_context(context)?;
        }
        self.writer = Some(CsvWriter::resume(out));
        Ok(())
    }

    pub(super) fn finish(self) -> Result<(String, String)> {
        let writer = self.writer.ok_or_else(|| earlier_failure(&self.path))?;
        let hash = writer
            .into_inner()
            .and_then(HashingWriter::finish)
            .with_context(|| format!("while writing {}", self.path.display()))?;
        Ok((self.name.to_string(), hash))
    }
}

/// What writing to a file whose writer an earlier failed write left behind says.
fn earlier_failure(path: &Path) -> anyhow::Error {
    anyhow!("{}: an earlier write failed", path.display())
}

/// Runs the scenario and writes its CSVs, inputs and manifest into `dir` (not the charts
/// and report: [`write_views`]).
pub(super) fn write_into(
    s: &Scenario,
    source: &Source,
    dir: &Path,
    run: &RunSettings,
    from: Results,
) -> Result<Written> {
    let regions: Vec<String> = s.world.regions.names();
    let calendar = s.world.calendar();
    let mut summary = OutputFile::create(dir, "summary.csv", &csv_out::SUMMARY_HEADER)?;
    let mut region_summary =
        OutputFile::create(dir, "region_summary.csv", &csv_out::REGION_SUMMARY_HEADER)?;
    let mut region_weekly =
        OutputFile::create(dir, "region_weekly.csv", &csv_out::REGION_WEEKLY_HEADER)?;
    let mut program_weekly =
        OutputFile::create(dir, "program_weekly.csv", &csv_out::PROGRAM_WEEKLY_HEADER)?;
    let inputs = s.inputs();
    let mut kept = if run.keep_replicates {
        Some(ReplicateFiles::create(dir, &inputs, Reader::People)?)
    } else {
        None
    };
    // Summaries wait for the last placement: win_share compares them all.
    let mut placements: Vec<PlacementResult> = Vec::new();
    let mut sink = |p: PlacementResult, outputs: &[ReplicateOutput]| -> Result<()> {
        interrupted()?;
        if let Some(files) = kept.as_mut() {
            let job = placements.len();
            let units: Vec<_> = (0u32..)
                .zip(outputs)
                .map(|(rep, out)| (job, rep, out))
                .collect();
            // A few units per thread at a time: their encoded values wait in memory.
            for batch in units.chunks(4 * rayon::current_num_threads().max(1)) {
                files.units(batch)?;
            }
        }
        region_summary.write(|w| csv_out::region_summary_rows(&p, &regions, w))?;
        region_weekly.write_weeks(calendar.weeks(), |weeks, w| {
            csv_out::region_weekly_rows(&p, &calendar, &regions, weeks, w)
        })?;
        program_weekly.write_weeks(calendar.weeks(), |weeks, w| {
            csv_out::program_weekly_rows(&p, &calendar, weeks, w)
        })?;
        placements.push(p);
        Ok(())
    };
    let replicates = match from {
        Results::Run(progress) => sim::run_scenario_with(&inputs, progress, &mut sink)?,
        Results::Shards(shards) => shards.replay(&inputs, &mut sink)?,
    };
    interrupted()?;
    let wins = sim::win_shares(&sim::graduation_caused(&replicates));
    for (p, win) in placements.iter_mut().skip(1).zip(wins) {
        p.summary[sm::WIN_SHARE] = Stat::single(win);
    }
    for p in &placements {
        summary.write(|w| csv_out::summary_rows(&p.name, &p.summary, w))?;
    }
    let mut outputs = vec![
        summary.finish()?,
        region_summary.finish()?,
        region_weekly.finish()?,
        program_weekly.finish()?,
    ];
    if let Some(files) = kept {
        outputs.extend(files.finish()?);
    }
    if let (Some(u), Some(draws)) = (&s.uncertainty, s.inputs().parameter_draws()) {
        let mut file = OutputFile::create(
            dir,
            REPLICATE_PARAMETERS,
            &csv_out::replicate_parameters_header(u),
        )?;
        file.write(|w| csv_out::replicate_parameters_rows(&draws, w))?;
        outputs.push(file.finish()?);
    }
    let inputs = write_inputs(s, dir)?;
    let info = RunInfo {
        scenario_file: &source.name,
        scenario_sha256: manifest::sha256_hex(source.text.as_bytes()),
        threads: run.threads,
        keep_replicates: run.keep_replicates,
        wall_time_seconds: run.started.elapsed().as_secs_f64(),
        outputs,
        inputs,
    };
    let path = dir.join(MANIFEST);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    Manifest::new(s, &info)
        .write(&mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    interrupted()?;
    Ok(Written {
        replicates,
        placements,
    })
}

/// Who reads a run's replicates files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    People,
    Merge,
}

/// The four Parquet tables of every replicate's results (`replicates/`), a row group per
/// unit, hashed while written.
pub(super) struct ReplicateFiles {
    dir: PathBuf,
    writers: Vec<TableWriter<Output>>,
}

impl ReplicateFiles {
    /// Creates `replicates/` in `dir` and its four files for a run of `inputs`: for people
    /// (`--keep-replicates`: ZSTD, SHA-256 in the manifest) or for a merge (a shard's:
    /// uncompressed, BLAKE3 in `shard.json`).
    pub(super) fn create(
        dir: &Path,
        inputs: &sim::Inputs,
        reader: Reader,
    ) -> Result<ReplicateFiles> {
        let (digest, codec) = match reader {
            Reader::People => (Digest::Sha256, Codec::Zstd),
            Reader::Merge => (Digest::Blake3, Codec::None),
        };
        let folder = dir.join(replicates::FOLDER);
        fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let jobs: Vec<String> = std::iter::once(None)
            .chain((0..inputs.placements.len()).map(Some))
            .map(|job| sim::job_name(inputs, job).to_string())
            .collect();
        let regions = inputs.world.regions.names();
        let weeks = inputs.world.weeks as usize;
        let writers = Table::ALL
            .iter()
            .map(|&table| {
                let path = folder.join(table.file());
                let file = File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let out = HashingWriter::with(BufWriter::with_capacity(1 << 16, file), digest);
                TableWriter::new(table, out, &jobs, &regions, weeks, codec)
                    .with_context(|| format!("while writing {}", path.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ReplicateFiles {
            dir: folder,
            writers,
        })
    }

    /// Units in order, each job `job` (0 the baseline, then the placements) in
    /// `replicate`.
    pub(super) fn units(&mut self, units: &[(usize, u32, &ReplicateOutput)]) -> Result<()> {
        let dir = &self.dir;
        self.writers
            .iter_mut()
            .zip(Table::ALL)
            .map(|(w, table)| {
                w.units(units)
                    .with_context(|| format!("while writing {}", dir.join(table.file()).display()))
            })
            .collect::<Result<Vec<()>>>()?;
        Ok(())
    }

    /// Closes the files; each one's name under the output folder and digest.
    pub(super) fn finish(self) -> Result<Vec<(String, String)>> {
        let dir = self.dir;
        self.writers
            .into_iter()
            .zip(Table::ALL)
            .map(|(w, table)| {
                let context = || format!("while writing {}", dir.join(table.file()).display());
                let hash = w
                    .finish()
                    .with_context(context)?
                    .finish()
                    .with_context(context)?;
                Ok((format!("{}/{}", replicates::FOLDER, table.file()), hash))
            })
            .collect()
    }
}

/// Each replicate's draws of the uncertain parameters, in a parameter-uncertainty run.
pub(super) const REPLICATE_PARAMETERS: &str = "replicate_parameters.csv";

/// Writes `inputs/`: the resolved scenario and copies of user data files, everything
/// `telur verify` needs to run the scenario again. Returns each file's SHA-256.
pub(super) fn write_inputs(s: &Scenario, dir: &Path) -> Result<Vec<(String, String)>> {
    let inputs = dir.join(INPUTS);
    fs::create_dir(&inputs).with_context(|| format!("cannot create {}", inputs.display()))?;
    let mut written: Vec<(String, String)> = Vec::new();
    let mut copy = |name: &str, file: &DataFile| -> Result<String> {
        if file.reference.starts_with("builtin:") {
            return Ok(file.reference.clone());
        }
        let path = inputs.join(name);
        let digest = manifest::sha256_hex(file.text.as_bytes());
        // The same user file named twice (two placements' breed) is copied once.
        if !written
            .iter()
            .any(|(n, h)| n == &format!("{INPUTS}/{name}") && *h == digest)
        {
            fs::write(&path, file.text.as_bytes())
                .with_context(|| format!("while writing {}", path.display()))?;
            written.push((format!("{INPUTS}/{name}"), digest));
        }
        Ok(name.to_string())
    };
    let regions = copy("regions.csv", &s.regions_file)?;
    let breed = copy("breed.csv", &s.breed_file)?;
    let mut placement_breeds = Vec::new();
    for (p, source) in s.placements.iter().zip(&s.placement_sources) {
        let name = if source.breed_file == s.breed_file {
            breed.clone()
        } else {
            copy(&format!("breed-{}.csv", p.name), &source.breed_file)?
        };
        placement_breeds.push(name);
    }
    let text = resolved_toml(
        s,
        &DataNames {
            regions: &regions,
            breed: &breed,
            placement_breeds: &placement_breeds,
        },
    );
    let path = inputs.join(RESOLVED_SCENARIO);
    fs::write(&path, &text).with_context(|| format!("while writing {}", path.display()))?;
    written.push((
        format!("{INPUTS}/{RESOLVED_SCENARIO}"),
        manifest::sha256_hex(text.as_bytes()),
    ));
    Ok(written)
}

/// The folder of an output that holds what re-runs it.
pub(super) const INPUTS: &str = "inputs";
/// The resolved scenario inside it.
pub(super) const RESOLVED_SCENARIO: &str = "scenario.toml";
/// The manifest of an output.
pub(super) const MANIFEST: &str = "manifest.json";

/// Reads and parses an output folder's manifest; a folder without one, or with one this
/// version cannot read, is an input error naming the file.
pub(super) fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let name = path.display().to_string();
    let text = fs::read_to_string(&path).map_err(|e| {
        input_error(InputError::new(
            &name,
            format!(
                "cannot read ({e}); is {} a folder telur run wrote?",
                dir.display()
            ),
        ))
    })?;
    Manifest::read(&text).map_err(|e| {
        input_error(
            InputError::new(&name, format!("is not a manifest this telur can read: {e}"))
                .at_line(Some(e.line())),
        )
    })
}

/// Reads a run back from an output folder: its CSVs, manifest and resolved scenario; or,
/// given the results its CSVs were just written from (`written`), those instead of the
/// CSVs.
///
/// Each CSV cell is the shortest decimal that reads back as the same `f64` (an empty
/// cell NaN), so the written results and the CSVs read back are the same numbers: the
/// report a run draws is the one `telur report` draws from its files (tested), without
/// parsing the 25 MB of a national run's weekly CSVs again. Debug builds (the tests')
/// read the CSVs back anyway and check that they are.
fn load_run(dir: &Path, written: Option<Vec<PlacementResult>>) -> Result<RunData> {
    let read = |name: &str| -> Result<String> {
        let path = dir.join(name);
        fs::read_to_string(&path).map_err(|e| {
            input_error(InputError::new(
                path.display().to_string(),
                format!(
                    "cannot read ({e}); is {} a folder telur run wrote?",
                    dir.display()
                ),
            ))
        })
    };
    let manifest = read_manifest(dir)?;
    let source = Source::read(&dir.join(INPUTS).join(RESOLVED_SCENARIO)).map_err(input_error)?;
    let scenario = Scenario::load(&source, &scenario::Overrides::default())?;
    let read_back = || -> Result<Vec<PlacementResult>> {
        let (summary, region_summary, region_weekly, program_weekly) = (
            read("summary.csv")?,
            read("region_summary.csv")?,
            read("region_weekly.csv")?,
            read("program_weekly.csv")?,
        );
        let files = load::Files {
            summary: &summary,
            region_summary: &region_summary,
            region_weekly: &region_weekly,
            program_weekly: &program_weekly,
        };
        Ok(load::results(&scenario, &files).map_err(|mut e| {
            e.file = dir.join(&e.file).display().to_string();
            InputErrors::from(e)
        })?)
    };
    let placements = match written {
        Some(written) => {
            if cfg!(debug_assertions) {
                let files = read_back()?;
                assert!(
                    load::same_results(&written, &files),
                    "the results a run wrote read back from its CSVs as other numbers"
                );
            }
            written
        }
        None => read_back()?,
    };
    let calendar = scenario.world.calendar();
    let optimize_path = dir.join(OPTIMIZE_SUMMARY);
    let optimization = match fs::read_to_string(&optimize_path) {
        Err(_) => None,
        Ok(text) => Some(OptimizeSummary::read(&text).map_err(|e| {
            input_error(
                InputError::new(
                    optimize_path.display().to_string(),
                    format!("is not an optimisation summary this telur can read: {e}"),
                )
                .at_line(Some(e.line())),
            )
        })?),
    };
    Ok(RunData {
        scenario,
        manifest,
        calendar,
        placements,
        optimization,
    })
}

/// What `telur optimize` found, in the folder of an optimisation.
pub(super) const OPTIMIZE_SUMMARY: &str = "optimize.json";

/// Draws the charts (PNG and SVG) and report.html of the run in `from` into `into`; from
/// `written`, the results its CSVs were just written from, where given ([`load_run`]).
pub(super) fn write_views(
    from: &Path,
    into: &Path,
    written: Option<Vec<PlacementResult>>,
) -> Result<()> {
    let data = load_run(from, written)?;
    let rendered: Vec<Result<(Vec<u8>, String), String>> = Chart::ALL
        .par_iter()
        .map(|&chart| {
            let png =
                charts::render_png(chart, &data).map_err(|e| format!("{}: {e}", chart.name()))?;
            let svg =
                charts::render_svg(chart, &data).map_err(|e| format!("{}: {e}", chart.name()))?;
            Ok((png, svg))
        })
        .collect();
    let dir = into.join(CHARTS);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut svgs = Vec::new();
    for (chart, result) in Chart::ALL.iter().zip(rendered) {
        let (png, svg) = result.map_err(|e| anyhow!("cannot draw the chart {e}"))?;
        for (ext, bytes) in [("png", png.as_slice()), ("svg", svg.as_bytes())] {
            let path = dir.join(format!("{}.{ext}", chart.name()));
            fs::write(&path, bytes).with_context(|| format!("while writing {}", path.display()))?;
        }
        svgs.push(svg);
    }
    let optimize_svgs = match &data.optimization {
        Some(o) => optimize_charts(o, &data, &dir)?,
        None => Vec::new(),
    };
    let path = into.join(REPORT);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    html::write_report(&data, &svgs, &optimize_svgs, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    Ok(())
}

/// Draws an optimisation's charts into `dir`; returns their SVG text.
fn optimize_charts(o: &OptimizeSummary, data: &RunData, dir: &Path) -> Result<Vec<String>> {
    let mut svgs = Vec::new();
    for name in optimize::chart_names(o) {
        let drawn = if name == "optimize-frontier" {
            let metrics: Vec<Option<usize>> = o
                .terms
                .iter()
                .map(|t| optimize::metric_index(&t.metric))
                .collect();
            let placements = data
                .programmes()
                .iter()
                .filter_map(|p| match metrics.as_slice() {
                    [Some(a), Some(b)] => {
                        Some((p.name.clone(), [p.summary[*a].mean, p.summary[*b].mean]))
                    }
                    _ => None,
                })
                .collect();
            let chart = optimize::FrontierChart {
                summary: o,
                placements,
            };
            charts::png_of(&chart).and_then(|png| Ok((png, charts::svg_of(&chart)?)))
        } else {
            let chart = optimize::MarginalChart(o);
            charts::png_of(&chart).and_then(|png| Ok((png, charts::svg_of(&chart)?)))
        };
        let (png, svg) = drawn.map_err(|e| anyhow!("cannot draw the chart {name}: {e}"))?;
        for (ext, bytes) in [("png", png.as_slice()), ("svg", svg.as_bytes())] {
            let path = dir.join(format!("{name}.{ext}"));
            fs::write(&path, bytes).with_context(|| format!("while writing {}", path.display()))?;
        }
        svgs.push(svg);
    }
    Ok(svgs)
}

/// `telur report DIR`: redraws the charts and report of an output folder from its files.
/// They are drawn in a temporary folder inside it first and moved in when complete.
pub(super) fn report_command(dir: &Path) -> Result<()> {
    let scratch = tempfile::Builder::new()
        .prefix(".report.tmp-")
        .tempdir_in(dir)
        .map_err(|e| {
            input_error(InputError::new(
                dir.display().to_string(),
                format!("cannot draw into this folder ({e}); is it a folder telur run wrote?"),
            ))
        })?;
    write_views(dir, scratch.path(), None)?;
    let charts = dir.join(CHARTS);
    if charts.exists() {
        fs::remove_dir_all(&charts)
            .with_context(|| format!("cannot replace {}", charts.display()))?;
    }
    fs::rename(scratch.path().join(CHARTS), &charts)
        .with_context(|| format!("cannot move the charts into {}", charts.display()))?;
    fs::rename(scratch.path().join(REPORT), dir.join(REPORT))
        .with_context(|| format!("cannot move {REPORT} into {}", dir.display()))?;
    println!("charts and report redrawn: {}", dir.join(REPORT).display());
    Ok(())
}

/// The folder of chart files in an output.
const CHARTS: &str = "charts";
/// The report in an output.
pub(super) const REPORT: &str = "report.html";
