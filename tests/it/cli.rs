//! The binary as a user meets it: commands, exit codes, output folders, messages.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use telur::results::metrics::{
    program_weekly as program_names, region_summary as region_names, summary as summary_names,
};

use crate::{data, run_small, telur};

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

const OUTPUTS: [&str; 4] = [
    "summary.csv",
    "region_summary.csv",
    "region_weekly.csv",
    "program_weekly.csv",
];

#[test]
fn run_writes_every_output_with_hashes_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("small");
    run_small(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("outputs written to"))
        .stdout(predicate::str::contains("kepri"))
        .stderr(predicate::str::is_empty());
    let m = manifest(&out);
    for name in OUTPUTS {
        let bytes = fs::read(out.join(name)).unwrap();
        assert_eq!(
            m["outputs"][name],
            telur::report::manifest::sha256_hex(&bytes),
            "{name}"
        );
    }
    assert_eq!(m["mode"], "deterministic");
    assert_eq!(m["parameters"]["flock.hens_per_kube"], 200);
    assert_eq!(m["parameter_origins"]["flock.hens_per_kube"], "scenario");
    assert_eq!(m["parameter_origins"]["flock.rest_weeks"], "default");
    // Nothing but the outputs: no temporary folder left beside them.
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["small"]);
}

#[test]
fn outputs_have_every_placement_metric_and_week() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("placement,metric,mean,p05,p50,p95\n"));
    // 3 placements (baseline, kepri, poverty) x every summary metric.
    assert_eq!(summary.lines().count(), 1 + 3 * summary_names::NAMES.len());
    assert!(summary.contains("\nkepri,kubes,6,6,6,6\n"));
    assert!(
        summary.contains("\nbaseline,benefit_cost_ratio,,,,\n"),
        "undefined values are empty"
    );
    let weekly = fs::read_to_string(out.join("region_weekly.csv")).unwrap();
    assert_eq!(weekly.lines().count(), 1 + 3 * 40 * 34 * 6);
    assert!(weekly.contains("\nkepri,0,2021-03-01,Kepulauan Riau,demand_kg,"));
    let program = fs::read_to_string(out.join("program_weekly.csv")).unwrap();
    assert_eq!(
        program.lines().count(),
        1 + 3 * 40 * program_names::NAMES.len()
    );
    assert!(program.contains("\npoverty,39,2021-11-29,graduated_share,"));
    assert!(program.contains("\npoverty,39,2021-11-29,graduated_share_cash,"));
    let regions = fs::read_to_string(out.join("region_summary.csv")).unwrap();
    assert_eq!(
        regions.lines().count(),
        1 + 3 * 34 * region_names::NAMES.len()
    );
    assert!(regions.contains("\nkepri,Kepulauan Riau,cost_per_attributable_graduate_rp,"));
}

/// Runs small.toml with `args` on 1, 2 and 3 threads and checks the outputs are identical.
fn assert_identical_for_any_thread_count(args: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for threads in ["1", "2", "3"] {
        telur()
            .args([
                "run",
                data("small.toml").to_str().unwrap(),
                "--quiet",
                "--threads",
                threads,
            ])
            .args(args)
            .arg("--out")
            .arg(tmp.path().join(threads))
            .assert()
            .success();
    }
    // The report and charts too: they show nothing of the machine (threads and wall
    // time are only in the manifest).
    let views = ["report.html", "charts/map.svg", "charts/graduation.png"];
    for name in OUTPUTS.iter().chain(&views) {
        let one = fs::read(tmp.path().join("1").join(name)).unwrap();
        for threads in ["2", "3"] {
            assert!(
                one == fs::read(tmp.path().join(threads).join(name)).unwrap(),
                "{name} differs with {threads} threads"
            );
        }
    }
    tmp
}

#[test]
fn outputs_are_identical_for_any_thread_count() {
    assert_identical_for_any_thread_count(&[]);
}

#[test]
fn default_run_uses_the_embedded_scenario_and_writes_under_output() {
    let tmp = tempfile::tempdir().unwrap();
    telur()
        .current_dir(tmp.path())
        .args(["run", "--weeks", "30", "--replicates", "4"])
        .assert()
        .success()
        .stdout(predicate::str::contains("output/kube-bekerja"))
        .stdout(predicate::str::contains("batam-sulawesi"));
    let m = manifest(&tmp.path().join("output/kube-bekerja"));
    assert_eq!(m["scenario"]["file"], "builtin:kube-bekerja");
    assert_eq!(m["weeks"], 30);
    assert_eq!(m["mode"], "stochastic");
    assert_eq!(m["replicates"], 4);
    assert_eq!(m["parameter_origins"]["weeks"], "flag");
}

#[test]
fn a_previous_run_is_replaced_but_a_foreign_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    fs::write(out.join("stale.txt"), "from before").unwrap();
    run_small(&out).assert().success();
    assert!(
        !out.join("stale.txt").exists(),
        "the old folder is replaced as a whole"
    );

    let foreign = tmp.path().join("mine");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("thesis.docx"), "precious").unwrap();
    run_small(&foreign)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not empty and was not written by telur",
        ));
    assert_eq!(
        fs::read_to_string(foreign.join("thesis.docx")).unwrap(),
        "precious"
    );
}

#[test]
fn bad_scenarios_exit_2_name_file_line_and_key_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // (text added to a valid scenario, the line and column it lands on, what the message
    // must say)
    let cases = [
        (
            "[flock]\nhens_per_kub = 3\n",
            "7:1",
            "flock.hens_per_kub: unknown key `hens_per_kub` (did you mean `hens_per_kube`?)",
        ),
        (
            "[kube]\nmembers = -1\n",
            "7:11",
            "kube.members: -1 is out of range",
        ),
        (
            "start_date = \"2020-01-08\"\n",
            "1:14",
            "start_date: 2020-01-08 is a Wed",
        ),
        (
            "[market]\nprice_season = [1,1,1,1,1,1,1,1,1,1,1]\n",
            "7:16",
            "market.price_season: has 11 values",
        ),
        (
            "mode = \"random\"\n",
            "1:8",
            "mode: unknown value \"random\"; expected one of \"deterministic\", \"stochastic\"",
        ),
        (
            "[market]\nfarmgate_share = nan\n",
            "7:18",
            "market.farmgate_share: NaN is not a finite number",
        ),
        ("regions = \"missing.csv\"\n", "1:11", "regions:"),
        (
            "weeks = 2.5\n",
            "1:9",
            "weeks: expected a whole number, found the number 2.5",
        ),
    ];
    let placement =
        "name = \"bad\"\n[[placement]]\nname = \"p\"\nstrategy = \"equal\"\nkubes = 2\n";
    for (extra, place, want) in cases {
        let path = tmp.path().join("bad.toml");
        // Top-level keys go before any table; a new table may follow the placement.
        let text = if extra.starts_with('[') {
            format!("{placement}{extra}")
        } else {
            format!("{extra}{placement}")
        };
        fs::write(&path, &text).unwrap();
        let line = place.split(':').next().unwrap();
        let out = tmp.path().join("out");
        telur()
            .args([
                "run",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            // rustc's layout: the error, where it is, the line itself, a caret under it.
            .stderr(predicate::str::starts_with(format!("error: {want}")))
            .stderr(predicate::str::contains(format!(
                " --> {}:{place}",
                path.display()
            )))
            .stderr(predicate::str::contains(format!("{line} | ")))
            .stderr(predicate::str::contains("^"))
            .stderr(predicate::str::contains("panicked").not());
        assert!(!out.exists(), "no output for {want}");
    }
}

#[test]
fn stochastic_outputs_are_identical_for_any_thread_count() {
    let tmp = assert_identical_for_any_thread_count(&[
        "--mode",
        "stochastic",
        "--replicates",
        "12",
        "--seed",
        "99",
    ]);
    let m = manifest(&tmp.path().join("1"));
    assert_eq!(m["mode"], "stochastic");
    assert_eq!(m["replicates"], 12);
    assert_eq!(m["seed"], 99);
}

#[test]
fn stochastic_summaries_have_ordered_quantiles_and_a_new_seed_changes_them() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in ["1", "2"] {
        telur()
            .args([
                "run",
                data("small.toml").to_str().unwrap(),
                "--quiet",
                "--mode",
                "stochastic",
            ])
            .args(["--replicates", "15", "--seed", seed, "--out"])
            .arg(tmp.path().join(seed))
            .assert()
            .success();
    }
    let summary = fs::read_to_string(tmp.path().join("1/summary.csv")).unwrap();
    let mut spread = 0;
    for line in summary.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[2].is_empty() {
            continue;
        }
        let [mean, p05, p50, p95] = [2, 3, 4, 5].map(|i| cells[i].parse::<f64>().unwrap());
        assert!(p05 <= p50 && p50 <= p95, "{line}");
        assert!(
            p05 <= mean + 1e-9 * mean.abs() && mean <= p95 + 1e-9 * mean.abs(),
            "{line}"
        );
        spread += usize::from(p95 > p05);
    }
    assert!(
        spread > 5,
        "replicates differ: {spread} metrics have a spread"
    );
    assert_ne!(
        summary,
        fs::read_to_string(tmp.path().join("2/summary.csv")).unwrap()
    );
}

#[test]
fn check_shows_resolved_values_and_their_origin() {
    telur()
        .args(["check", data("small.toml").to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid scenario \"small\""))
        .stdout(predicate::str::is_match(r"flock\.hens_per_kube\s+200\s+scenario").unwrap())
        .stdout(
            predicate::str::is_match(r"market\.price_band_width\s+0\.15\s+default  \(ESTIMATE\)")
                .unwrap(),
        )
        .stdout(predicate::str::contains("kepri: 6 KUBE, explicit"))
        .stdout(predicate::str::contains(
            "Kepulauan Riau 4, Sulawesi Utara 2",
        ));
}

#[test]
fn check_of_the_shipped_scenarios_passes() {
    for name in ["kube-bekerja.toml", "household-flocks.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        telur().arg("check").arg(&path).assert().success();
    }
}

#[test]
fn data_prints_csv_on_stdout_and_sources_on_stderr() {
    let out = telur().args(["data", "regions"]).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 35);
    assert!(stdout.starts_with("region,code,lat,lon,population,"));
    // What it prints is a regions table telur reads back.
    telur::data::Regions::parse("stdout", &stdout).unwrap();
    let sources = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(sources.contains("BPS"));
    assert!(
        sources.contains("Kepulauan Riau,\"BPS 2021"),
        "per-province basis"
    );

    telur()
        .args(["data", "breeds"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("breed,age_weeks,hen_day"))
        .stdout(predicate::str::contains("\nkub,"))
        .stderr(predicate::str::contains("Lohmann"));
    telur()
        .args(["data", "breeds", "--breed", "nope"])
        .assert()
        .code(2);
}

#[test]
fn usage_errors_exit_2_and_help_names_every_flag() {
    telur().args(["run", "--weeks", "many"]).assert().code(2);
    telur().args(["fly"]).assert().code(2);
    let help = telur().args(["run", "--help"]).assert().success();
    let text = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    for flag in [
        "--out",
        "--mode",
        "--weeks",
        "--replicates",
        "--seed",
        "--threads",
        "--quiet",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
}
