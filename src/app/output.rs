//! A run's output folder: written into a temporary folder beside the target, hashed while
//! streamed, then swapped into place, so the target always holds a complete output.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use super::interrupted;
use super::progress::ProgressBar;
use rayon::prelude::*;

use crate::error::{InputError, InputErrors};
use crate::report::charts::{self, Chart};
use crate::report::csv as csv_out;
use crate::report::html;
use crate::report::load::{self, RunData};
use crate::report::manifest::{self, HashingWriter, RunInfo};
use crate::scenario::{self, Scenario, Source};
use crate::sim;
use crate::stats::Stat;

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

/// Runs the scenario and writes every output into a temporary folder beside `out`, then
/// renames it into place, so `out` is always either the previous complete output or the
/// new one. Returns each placement's summary metrics for the headline table.
pub(super) fn write_outputs(
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
    remove_stale_siblings(&parent, &leaf);
    let tmp = parent.join(format!(".{leaf}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
    }
    fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let summaries = match write_into(s, source, &tmp, threads, started, progress) {
        Ok(summaries) => summaries,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = move_into_place(&tmp, out, &parent, &leaf) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e).with_context(|| format!("cannot move the outputs into {}", out.display()));
    }
    Ok(summaries)
}

/// Puts the finished folder `tmp` at `out`. Where `out` exists, the two are swapped in one
/// atomic step (Linux `renameat2(RENAME_EXCHANGE)`), so at every instant `out` is either
/// the previous complete output or the new one; elsewhere, the old folder is moved aside
/// first, leaving a moment with no `out` at all (never a half-written one).
fn move_into_place(tmp: &Path, out: &Path, parent: &Path, leaf: &str) -> io::Result<()> {
    if !out.exists() {
        return fs::rename(tmp, out);
    }
    if exchange(tmp, out).is_ok() {
        // `tmp` now holds the previous output.
        return fs::remove_dir_all(tmp);
    }
    let old = parent.join(format!(".{leaf}.old-{}", std::process::id()));
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(tmp, out) {
        let _ = fs::rename(&old, out);
        return Err(e);
    }
    fs::remove_dir_all(&old)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call, and
    // renameat2 reads nothing else from this process's memory.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Removes `.<leaf>.tmp-<pid>` and `.<leaf>.old-<pid>` folders that a run killed before it
/// could clean up left beside `out`. Only folders of processes no longer running are
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
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
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
        interrupted()?;
        summary.write(|w| csv_out::summary_rows(&p, w))?;
        region_summary.write(|w| csv_out::region_summary_rows(&p, &regions, w))?;
        region_weekly.write(|w| csv_out::region_weekly_rows(&p, &calendar, &regions, w))?;
        program_weekly.write(|w| csv_out::program_weekly_rows(&p, &calendar, w))?;
        summaries.push((p.name, p.summary));
        Ok(())
    })?;
    interrupted()?;
    let outputs = vec![
        summary.finish()?,
        region_summary.finish()?,
        region_weekly.finish()?,
        program_weekly.finish()?,
    ];
    let inputs = write_inputs(s, dir)?;
    let info = RunInfo {
        scenario_file: &source.name,
        scenario_sha256: manifest::sha256_hex(source.text.as_bytes()),
        threads,
        wall_time_seconds: started.elapsed().as_secs_f64(),
        outputs,
        inputs,
    };
    let path = dir.join("manifest.json");
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    manifest::write_manifest(s, &info, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    interrupted()?;
    write_views(dir, dir)?;
    Ok(summaries)
}

/// Writes `inputs/`: the resolved scenario and copies of user data files, everything
/// `telur verify` needs to run the scenario again. Returns each file's SHA-256.
fn write_inputs(s: &Scenario, dir: &Path) -> Result<Vec<(String, String)>> {
    let inputs = dir.join(INPUTS);
    fs::create_dir(&inputs).with_context(|| format!("cannot create {}", inputs.display()))?;
    let mut written = Vec::new();
    let mut copy = |name: &str, text: &str| -> Result<()> {
        let path = inputs.join(name);
        fs::write(&path, text).with_context(|| format!("while writing {}", path.display()))?;
        written.push((
            format!("{INPUTS}/{name}"),
            manifest::sha256_hex(text.as_bytes()),
        ));
        Ok(())
    };
    let mut reference = |file: &scenario::DataFile, name: &str| -> Result<String> {
        if file.reference.starts_with("builtin:") {
            Ok(file.reference.clone())
        } else {
            copy(name, &file.text)?;
            Ok(name.to_string())
        }
    };
    let regions = reference(&s.regions_file, "regions.csv")?;
    let breed = reference(&s.breed_file, "breed.csv")?;
    copy(
        RESOLVED_SCENARIO,
        &crate::report::resolved::resolved_toml(s, &regions, &breed),
    )?;
    Ok(written)
}

/// The folder of an output that holds what re-runs it.
pub(super) const INPUTS: &str = "inputs";
/// The resolved scenario inside it.
pub(super) const RESOLVED_SCENARIO: &str = "scenario.toml";

/// Reads a run back from an output folder: its CSVs, manifest and resolved scenario.
fn load_run(dir: &Path) -> Result<RunData> {
    let read = |name: &str| -> Result<String> {
        let path = dir.join(name);
        fs::read_to_string(&path).map_err(|e| {
            InputErrors::from(InputError::new(
                path.display().to_string(),
                format!(
                    "cannot read ({e}); is {} a folder telur run wrote?",
                    dir.display()
                ),
            ))
            .into()
        })
    };
    let manifest_text = read("manifest.json")?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).map_err(|e| {
        InputErrors::from(InputError::new(
            dir.join("manifest.json").display().to_string(),
            format!("is not a telur manifest: {e}"),
        ))
    })?;
    let source =
        Source::read(&dir.join(INPUTS).join(RESOLVED_SCENARIO)).map_err(InputErrors::from)?;
    let scenario = Scenario::load(&source, &scenario::Overrides::default())?;
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
    let placements = load::results(&scenario, &files).map_err(|e| {
        let mut e = e;
        e.file = dir.join(&e.file).display().to_string();
        InputErrors::from(e)
    })?;
    let calendar = crate::model::calendar::Calendar::new(scenario.start_date, scenario.weeks);
    Ok(RunData {
        scenario,
        manifest,
        calendar,
        placements,
    })
}

/// Draws the charts (PNG and SVG) and report.html of the run in `from` into `into`.
fn write_views(from: &Path, into: &Path) -> Result<()> {
    let data = load_run(from)?;
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
    let path = into.join(REPORT);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    html::write_report(&data, &svgs, &mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("while writing {}", path.display()))?;
    Ok(())
}

/// `telur report DIR`: redraws the charts and report of an output folder from its files.
/// They are drawn beside it first and moved in when complete.
pub(super) fn report_command(dir: &Path) -> Result<()> {
    let scratch = dir.join(format!(".report.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let drawn = write_views(dir, &scratch).and_then(|()| {
        let charts = dir.join(CHARTS);
        if charts.exists() {
            fs::remove_dir_all(&charts)
                .with_context(|| format!("cannot replace {}", charts.display()))?;
        }
        fs::rename(scratch.join(CHARTS), &charts)
            .with_context(|| format!("cannot move the charts into {}", charts.display()))?;
        fs::rename(scratch.join(REPORT), dir.join(REPORT))
            .with_context(|| format!("cannot move {REPORT} into {}", dir.display()))?;
        Ok(())
    });
    let _ = fs::remove_dir_all(&scratch);
    drawn?;
    println!("charts and report redrawn: {}", dir.join(REPORT).display());
    Ok(())
}

/// The folder of chart files in an output.
const CHARTS: &str = "charts";
/// The report in an output.
pub(super) const REPORT: &str = "report.html";
