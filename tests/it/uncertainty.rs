//! Parameter uncertainty in `telur run` (issue 13): each replicate draws the uncertain
//! parameters from their ranges, a Latin hypercube keyed by the seed, and `win_share`
//! says how often each placement is the best one.

use std::fs;
use std::path::Path;

use crate::{data, telur};

/// `replicate_parameters.csv` as a header and rows of numbers.
fn parameters(dir: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = fs::read_to_string(dir.join("replicate_parameters.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// Summary rows `placement,metric` -> (mean, p05, p95).
fn summary(dir: &Path, placement: &str, metric: &str) -> (f64, f64, f64) {
    let text = fs::read_to_string(dir.join("summary.csv")).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("{placement},{metric},")))
        .unwrap_or_else(|| panic!("{placement} {metric}"));
    let cells: Vec<f64> = row
        .split(',')
        .skip(2)
        .map(|x| x.parse().unwrap_or(f64::NAN))
        .collect();
    (cells[0], cells[1], cells[3])
}

#[test]
fn deterministic_runs_with_uncertainty_have_intervals_from_the_parameters_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, uncertain) = (tmp.path().join("plain"), tmp.path().join("uncertain"));
    let run = |out: &Path, extra: &[&str]| {
        telur()
            .arg("run")
            .arg(data("small.toml"))
            .args(["--quiet", "--replicates", "40", "--out"])
            .arg(out)
            .args(extra)
            .assert()
            .success()
    };
    run(&plain, &[]);
    let out = run(&uncertain, &["--uncertainty"]);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("no dice: the intervals show only what we do not know"),
        "{stdout}"
    );
    // Without uncertainty a deterministic run is one replicate: no interval at all.
    let (m, lo, hi) = summary(&plain, "kepri", "benefit_cost_ratio");
    assert!(lo == m && hi == m);
    assert!(!plain.join("replicate_parameters.csv").exists());
    // With it: 40 parameter draws, and intervals.
    let (m, lo, hi) = summary(&uncertain, "kepri", "benefit_cost_ratio");
    assert!(lo < m && m < hi, "{lo} {m} {hi}");
    let (header, rows) = parameters(&uncertain);
    assert_eq!(header[0], "replicate");
    assert_eq!(rows.len(), 40);
    let published = telur::scenario::uncertainty::published();
    assert_eq!(header.len(), 1 + published.len());
    // A Latin hypercube: each of the 40 strata of every range drawn exactly once.
    for (j, key) in header.iter().enumerate().skip(1) {
        let range = published.iter().find(|p| &p.key == key).unwrap();
        let whole = rows.iter().all(|r| r[j].fract() == 0.0);
        if whole {
            continue; // rounded draws can share a stratum edge
        }
        let mut strata: Vec<usize> = rows
            .iter()
            .map(|r| ((r[j] - range.low) / (range.high - range.low) * 40.0).floor() as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..40).collect::<Vec<_>>(), "{key}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(uncertain.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["uncertainty"]["design"], "latin-hypercube");
    assert_eq!(manifest["replicates"], 40);
    // The same scenario and seed give the same draws, and verify reproduces the run.
    telur().arg("verify").arg(&uncertain).assert().success();
}

#[test]
fn win_shares_add_up_to_one_and_the_report_says_which_interval_it_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    telur()
        .arg("run")
        .arg(data("small.toml"))
        .args([
            "--quiet",
            "--mode",
            "stochastic",
            "--replicates",
            "12",
            "--uncertainty",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let total: f64 = ["kepri", "poverty"]
        .iter()
        .map(|p| summary(&out, p, "win_share").0)
        .sum();
    assert!((total - 1.0).abs() < 1e-12, "{total}");
    assert!(
        summary(&out, "baseline", "win_share").0.is_nan(),
        "the baseline does not compete"
    );
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(
        "These intervals include what we do not know about the parameters, as well as the dice"
    ));
    assert!(html.contains("Uncertain parameters"));
}

#[test]
fn a_scenario_narrows_fixes_and_adds_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("u.toml");
    let text = fs::read_to_string(data("small.toml")).unwrap()
        + "\n[uncertainty]\n\"flock.production_factor\" = { low = 0.78, high = 0.8 }\n\"market.farmgate_share\" = false\n[uncertainty.household]\ngraduation_threshold = { low = 0.9, high = 1.1 }\n";
    fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("o");
    telur()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--replicates", "10", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = parameters(&out);
    let column = |key: &str| header.iter().position(|h| h == key);
    assert!(column("market.farmgate_share").is_none(), "fixed");
    let pf = column("flock.production_factor").unwrap();
    assert!(
        rows.iter().all(|r| (0.78..=0.8).contains(&r[pf])),
        "narrowed"
    );
    let gt = column("household.graduation_threshold").unwrap();
    assert!(rows.iter().all(|r| (0.9..=1.1).contains(&r[gt])), "added");
    // check lists the ranges in use.
    let check = telur().arg("check").arg(&scenario).assert().success();
    let shown = String::from_utf8_lossy(&check.get_output().stdout).into_owned();
    assert!(
        shown.contains("flock.production_factor                      0.78 to 0.8"),
        "{shown}"
    );
}
