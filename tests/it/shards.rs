//! Runs split into shards (`telur run --shard`), merged (`telur merge`) and sent to Slurm
//! (`telur slurm`): a merge writes the bytes one run writes, wrong sets of shards are
//! refused, and every replicate kept as Parquet reads back in an independent reader.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;

use super::{data, telur};

/// The small scenario, stochastic with few replicates: 3 jobs (the baseline and two
/// placements) x 5 replicates = 15 units.
const STOCHASTIC: [&str; 6] = ["--mode", "stochastic", "--replicates", "5", "--seed", "7"];

/// `telur run small.toml <flags> --quiet --out <out> <extra>`.
fn run(out: &Path, flags: &[&str], extra: &[&str]) -> assert_cmd::Command {
    let mut c = telur();
    c.arg("run")
        .arg(data("small.toml"))
        .args(flags)
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(out);
    c
}

fn shard(out: &Path, flags: &[&str], spec: &str, threads: &str) {
    run(out, flags, &["--shard", spec, "--threads", threads])
        .assert()
        .success();
}

fn merge(dirs: &[PathBuf], out: &Path) -> assert_cmd::Command {
    let mut c = telur();
    c.arg("merge")
        .args(dirs)
        .arg("--quiet")
        .arg("--out")
        .arg(out);
    c
}

/// Every file under `dir`: its path below `dir` and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A manifest without the fields that describe the machine, not the results: the only
/// ones a merge writes differently from a single run (README, "Bigger than one machine").
fn without_machine(manifest: &[u8]) -> Value {
    let mut m: Value = serde_json::from_slice(manifest).unwrap();
    let fields = m.as_object_mut().unwrap();
    for field in ["threads", "wall_time_seconds"] {
        assert!(fields.remove(field).is_some(), "the manifest has {field}");
    }
    m
}

/// `merged` holds the files of `single`, byte for byte, but for the manifest's machine
/// fields.
fn assert_same_outputs(single: &Path, merged: &Path) {
    let (a, b) = (files(single), files(merged));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    assert!(
        a.keys().any(|k| k.ends_with(".svg")),
        "charts are compared too"
    );
    for (name, bytes) in &a {
        if name == "manifest.json" {
            assert_eq!(without_machine(bytes), without_machine(&b[name]));
        } else {
            assert!(
                bytes == &b[name],
                "{name} differs between the run and the merge"
            );
        }
    }
}

fn shard_manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("shard.json")).unwrap()).unwrap()
}

#[test]
fn shards_merged_are_the_bytes_of_one_run_and_a_failed_shard_reruns_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, &STOCHASTIC, &["--threads", "2"])
        .assert()
        .success();
    // Three shards on different thread counts, given to the merge out of order.
    let dirs: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in dirs.iter().enumerate() {
        shard(dir, &STOCHASTIC, &format!("{i}/3"), &(i + 1).to_string());
    }
    let units: Vec<u64> = dirs
        .iter()
        .map(|d| shard_manifest(d)["units"].as_array().unwrap().len() as u64)
        .collect();
    assert_eq!(
        units.iter().sum::<u64>(),
        15,
        "every unit in one shard: {units:?}"
    );
    assert!(units.iter().all(|&u| u == 5), "even slices: {units:?}");
    let merged = tmp.path().join("merged");
    merge(
        &[dirs[2].clone(), dirs[0].clone(), dirs[1].clone()],
        &merged,
    )
    .assert()
    .success();
    assert_same_outputs(&single, &merged);

    // A shard lost (its task failed) is run again alone, in its folder, on other
    // threads: the same bytes, and the merge is the same again.
    let before = files(&dirs[1]);
    shard(&dirs[1], &STOCHASTIC, "1/3", "3");
    let after = files(&dirs[1]);
    for (name, bytes) in &before {
        if name != "shard.json" {
            assert!(bytes == &after[name], "{name} differs on a rerun");
        }
    }
    let again = tmp.path().join("again");
    merge(&dirs, &again).assert().success();
    assert_same_outputs(&single, &again);

    // One shard is a run too.
    let whole = tmp.path().join("whole");
    shard(&whole, &STOCHASTIC, "0/1", "2");
    let one = tmp.path().join("one");
    merge(&[whole], &one).assert().success();
    assert_same_outputs(&single, &one);
}

#[test]
fn wrong_sets_of_shards_exit_2_listing_every_problem_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let det = ["--mode", "deterministic"];
    let dir = |name: &str| tmp.path().join(name);
    for i in 0..3 {
        shard(&dir(&format!("s{i}")), &det, &format!("{i}/3"), "1");
    }
    shard(
        &dir("seed"),
        &["--mode", "deterministic", "--seed", "8"],
        "1/3",
        "1",
    );
    shard(&dir("four"), &det, "1/4", "1");
    std::fs::create_dir(dir("empty")).unwrap();
    let out = dir("out");
    let refused = |dirs: &[&str], says: &[&str]| {
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| dir(d)).collect();
        let mut assert = merge(&dirs, &out).assert().code(2);
        for s in says {
            assert = assert.stderr(predicate::str::contains(*s));
        }
        assert.stderr(predicate::str::contains("panicked").not());
        assert!(!out.exists(), "nothing written for {dirs:?}");
    };
    refused(&["s0", "s2"], &["shards missing: 1 of 3"]);
    refused(&["s0", "s1", "s2", "s1"], &["shard 1 given more than once"]);
    refused(
        &["s0", "seed", "s2"],
        &["is not a shard of the same run", "seed 8 against"],
    );
    refused(
        &["s0", "s1", "s2", "four"],
        &["4 shards against 3", "shard 1 given more than once"],
    );
    refused(&["s0", "s1", "s2", "empty"], &["shard.json", "cannot read"]);
    // Both problems at once: one missing, one foreign.
    refused(
        &["s0", "seed"],
        &["shards missing: 2 of 3", "seed 8 against"],
    );

    // A file changed after the shard wrote it.
    let table = dir("s1").join("replicates/program_weekly.parquet");
    let mut bytes = std::fs::read(&table).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&table, bytes).unwrap();
    refused(
        &["s0", "s1", "s2"],
        &["program_weekly.parquet", "changed since the shard wrote it"],
    );
}

#[test]
fn shard_auto_reads_slurm_or_kubernetes_and_bad_specs_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let det = ["--mode", "deterministic"];
    let auto = |out: &Path, env: &[(&str, &str)], extra: &[&str]| {
        let mut c = run(out, &det, &["--shard", "auto"]);
        c.args(extra);
        for var in [
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_COUNT",
            "JOB_COMPLETION_INDEX",
        ] {
            c.env_remove(var);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    let slurm = tmp.path().join("slurm");
    auto(
        &slurm,
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
        &[],
    )
    .assert()
    .success();
    let m = shard_manifest(&slurm);
    assert_eq!(
        (m["shard"].as_u64(), m["shards"].as_u64()),
        (Some(2), Some(3))
    );
    let k8s = tmp.path().join("k8s");
    auto(&k8s, &[("JOB_COMPLETION_INDEX", "1")], &["--shards", "4"])
        .assert()
        .success();
    let m = shard_manifest(&k8s);
    assert_eq!(
        (m["shard"].as_u64(), m["shards"].as_u64()),
        (Some(1), Some(4))
    );

    let bad = tmp.path().join("bad");
    auto(&bad, &[], &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SLURM_ARRAY_TASK_ID"))
        .stderr(predicate::str::contains("JOB_COMPLETION_INDEX"));
    auto(&bad, &[("JOB_COMPLETION_INDEX", "1")], &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shards"));
    for spec in ["3/3", "1/0", "x", "1/2/3", "-1/2", "1/"] {
        run(&bad, &det, &[&format!("--shard={spec}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shard"))
            .stderr(predicate::str::contains("panicked").not());
    }
    assert!(!bad.exists());
}

/// A line on the real stderr, which the test harness does not capture: a skip must show.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Runs `tests/reference/replicates.py` (pyarrow, an independent Parquet reader) on
/// `args`; false if Python or pyarrow is missing.
fn pyarrow_check(args: &[&Path]) -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/replicates.py");
    let has = Command::new("python3")
        .args(["-c", "import pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        say("skipped: python3 with pyarrow not found (pip install pyarrow; .ci/run does)");
        return false;
    }
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replicates.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

#[test]
fn kept_replicates_read_back_in_pyarrow_and_redo_the_means() {
    let tmp = tempfile::tempdir().unwrap();
    let kept = tmp.path().join("kept");
    run(&kept, &STOCHASTIC, &["--keep-replicates"])
        .assert()
        .success();
    let m: Value =
        serde_json::from_slice(&std::fs::read(kept.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["keep_replicates"], true);
    let listed = m["outputs"].as_object().unwrap();
    for table in [
        "summary",
        "region_summary",
        "region_weekly",
        "program_weekly",
    ] {
        let name = format!("replicates/{table}.parquet");
        assert!(listed.contains_key(&name), "the manifest hashes {name}");
        assert!(kept.join(&name).is_file());
    }
    // The other outputs are those of a run that keeps nothing.
    let plain = tmp.path().join("plain");
    run(&plain, &STOCHASTIC, &[]).assert().success();
    let (a, b) = (files(&plain), files(&kept));
    for (name, bytes) in &a {
        // The manifest and the report's provenance list the kept files' hashes too.
        if name != "manifest.json" && name != "report.html" {
            assert!(bytes == &b[name], "{name} differs when replicates are kept");
        }
    }
    let report = String::from_utf8_lossy(&b["report.html"]).to_string();
    assert!(report.contains("replicates/region_weekly.parquet"));
    // Shards' files hold the same rows: the merge is a reduction anyone can redo.
    let shards: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        shard(dir, &STOCHASTIC, &format!("{i}/2"), "2");
    }
    if pyarrow_check(&[&kept, &kept]) {
        pyarrow_check(&[&kept, &shards[0], &shards[1]]);
    }
}

#[test]
fn slurm_writes_an_array_and_a_merge_that_waits_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cluster");
    telur()
        .arg("slurm")
        .arg(data("small.toml"))
        .args([
            "--shards",
            "3",
            "--partition",
            "short",
            "--time",
            "00:20:00",
        ])
        .args(["--cpus", "2"])
        .args(STOCHASTIC)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("submit.sh"));
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let array = read("run.sbatch");
    for want in [
        "#SBATCH --array=0-2",
        "#SBATCH --partition=short",
        "#SBATCH --time=00:20:00",
        "#SBATCH --cpus-per-task=2",
        "--shard auto",
        "--mode stochastic --replicates 5 --seed 7",
    ] {
        assert!(array.contains(want), "run.sbatch has {want}:\n{array}");
    }
    assert!(read("merge.sbatch").contains(" merge "));
    assert!(read("submit.sh").contains("--dependency=afterok:"));

    as_slurm_would(&out, 3);
    let single = tmp.path().join("single");
    run(&single, &STOCHASTIC, &[]).assert().success();
    assert_same_outputs(&single, &out.join("result"));

    // A scenario with a mistake is refused now, not in the queue.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\nweeks = \"many\"\n").unwrap();
    telur()
        .arg("slurm")
        .arg(&bad)
        .args(["--shards", "2", "--out"])
        .arg(tmp.path().join("refused"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("weeks"));
    assert!(!tmp.path().join("refused").exists());
}

/// Runs `telur slurm`'s scripts in `out` as Slurm would, without Slurm: each of the
/// `tasks` array tasks with its environment, then the merge.
fn as_slurm_would(out: &Path, tasks: u32) {
    let bash = |script: &str, env: &[(&str, String)]| {
        let done = Command::new("bash")
            .arg(out.join(script))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{script} failed: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    for i in 0..tasks {
        bash(
            "run.sbatch",
            &[
                ("SLURM_ARRAY_TASK_ID", i.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", tasks.to_string()),
                ("SLURM_CPUS_PER_TASK", "1".to_string()),
            ],
        );
    }
    bash("merge.sbatch", &[]);
}

#[test]
fn slurm_shards_a_sensitivity_analysis_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cluster");
    let flags = ANALYSIS.join(" ");
    telur()
        .arg("slurm")
        .arg(data("small.toml"))
        .args(["--shards", "2", "--out"])
        .arg(&out)
        .arg(format!("--sensitivity={flags}"))
        .assert()
        .success();
    let array = std::fs::read_to_string(out.join("run.sbatch")).unwrap();
    assert!(array.contains(" sensitivity --samples 4 "), "{array}");
    as_slurm_would(&out, 2);
    let single = tmp.path().join("single");
    analysis(&single, &[]).assert().success();
    assert_same_outputs(&single, &out.join("result"));

    // Flags that are not the analysis's, or that the script sets, are refused now.
    for (flags, says) in [
        ("--samples 4 --bogus", "unexpected argument '--bogus'"),
        ("--parameters nope", "not an uncertain parameter"),
        ("--threads 2", "the script's"),
    ] {
        telur()
            .arg("slurm")
            .arg(data("small.toml"))
            .args(["--shards", "2", "--out"])
            .arg(tmp.path().join("refused"))
            .arg(format!("--sensitivity={flags}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
        assert!(!tmp.path().join("refused").exists());
    }
}

/// The real thing: where a Slurm cluster answers (`.ci/run` starts one on this machine
/// when it runs as root, from `tests/slurm/`), `telur slurm`'s scripts are submitted and
/// the merged result is compared with a single run. Skipped, saying so, elsewhere.
#[test]
fn a_slurm_cluster_runs_the_array_and_the_merge() {
    let answers = Command::new("sinfo")
        .args(["-h", "-o", "%t"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("idle"));
    if !answers {
        say(
            "a_slurm_cluster_runs_the_array_and_the_merge skipped: no Slurm cluster answers here (sinfo); .ci/run starts one when run as root",
        );
        return;
    }
    // Slurm's daemons run the scripts as root from /: the folder must be absolute and
    // readable; a temporary folder is both.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cluster");
    telur()
        .arg("slurm")
        .arg(data("small.toml"))
        .args(["--shards", "3", "--cpus", "1", "--time", "00:10:00"])
        .args(STOCHASTIC)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let submitted = Command::new("bash")
        .arg(out.join("submit.sh"))
        .output()
        .unwrap();
    assert!(
        submitted.status.success(),
        "submit.sh failed: {}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let merge_job = String::from_utf8_lossy(&submitted.stdout)
        .split_whitespace()
        .last()
        .expect("sbatch prints the merge job's id")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let logs = || {
        std::fs::read_dir(out.join("logs"))
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        format!("{}:\n{text}", e.path().display())
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let started = Instant::now();
    loop {
        let queued = Command::new("squeue")
            .args(["-h", "-o", "%i %t %r", "-j", &merge_job])
            .output()
            .unwrap();
        let state = String::from_utf8_lossy(&queued.stdout).trim().to_string();
        if state.is_empty() {
            break;
        }
        assert!(
            !state.contains("DependencyNeverSatisfied"),
            "an array task failed, so the merge job {merge_job} will never run; logs:\n{}",
            logs()
        );
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the merge job {merge_job} is still queued after 10 minutes ({state}); logs:\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        out.join("result/manifest.json").is_file(),
        "the merge job wrote no result; logs:\n{}",
        logs()
    );
    let single = tmp.path().join("single");
    run(&single, &STOCHASTIC, &[]).assert().success();
    assert_same_outputs(&single, &out.join("result"));
    say(&format!(
        "Slurm ran 3 array tasks and the merge in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

/// A small Morris analysis: 4 trajectories over 3 parameters, 16 sample points.
const ANALYSIS: [&str; 10] = [
    "--samples",
    "4",
    "--parameters",
    "flock.production_factor,market.farmgate_share,kube.members",
    "--mode",
    "stochastic",
    "--replicates",
    "2",
    "--seed",
    "3",
];

fn analysis(out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut c = telur();
    c.arg("sensitivity")
        .arg(data("small.toml"))
        .args(ANALYSIS)
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn sensitivity_shards_merge_to_the_bytes_of_one_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    analysis(&single, &[]).assert().success();
    let dirs: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, dir) in dirs.iter().enumerate() {
        analysis(
            dir,
            &[
                "--shard",
                &format!("{i}/3"),
                "--threads",
                &(i + 1).to_string(),
            ],
        )
        .assert()
        .success();
    }
    let points: usize = dirs
        .iter()
        .map(|d| shard_manifest(d)["points"].as_array().unwrap().len())
        .sum();
    assert_eq!(points, 16, "every sample point in one shard");
    let merged = tmp.path().join("merged");
    merge(
        &[dirs[1].clone(), dirs[2].clone(), dirs[0].clone()],
        &merged,
    )
    .assert()
    .success();
    assert!(merged.join("sensitivity.csv").is_file());
    assert_same_outputs(&single, &merged);

    // Shards of another analysis, or of a run, do not belong.
    let out = tmp.path().join("out");
    let other = tmp.path().join("other");
    telur()
        .arg("sensitivity")
        .arg(data("small.toml"))
        .args([
            "--samples",
            "5",
            "--parameters",
            "kube.members",
            "--replicates",
            "2",
        ])
        .args(["--quiet", "--shard", "1/3", "--out"])
        .arg(&other)
        .assert()
        .success();
    let run = tmp.path().join("run");
    shard(&run, &["--mode", "deterministic"], "2/3", "1");
    merge(&[dirs[0].clone(), other.clone(), run.clone()], &out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("scenario, flags or data"))
        .stderr(predicate::str::contains(
            "a shard against a sensitivity-shard",
        ));
    assert!(!out.exists());

    // A line that does not parse, its hash made to match: named with its line, shown.
    let points = dirs[2].join("points.csv");
    let text = std::fs::read_to_string(&points).unwrap();
    let broken = text.replacen("kepri,benefit_cost_ratio,", "kepri,benefit_cost_ratio,x", 1);
    assert_ne!(text, broken);
    std::fs::write(&points, &broken).unwrap();
    let manifest = dirs[2].join("shard.json");
    let json = std::fs::read_to_string(&manifest).unwrap().replace(
        &telur::report::manifest::blake3_hex(text.as_bytes()),
        &telur::report::manifest::blake3_hex(broken.as_bytes()),
    );
    std::fs::write(&manifest, json).unwrap();
    merge(&dirs, &out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("points.csv"))
        .stderr(predicate::str::contains("points.csv:3"))
        .stderr(predicate::str::contains("kepri,benefit_cost_ratio,x"));
    assert!(!out.exists());
}
