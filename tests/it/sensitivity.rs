//! `telur sensitivity` (issue 13): Morris screening and Sobol indices of a scenario's
//! placements over the plausible ranges of its uncertain parameters.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use crate::{data, telur};

/// `sensitivity.csv` rows as (placement, metric, parameter, index, value).
fn indices(dir: &Path) -> Vec<(String, String, String, String, f64)> {
    let text = fs::read_to_string(dir.join("sensitivity.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "placement,metric,parameter,index,value,ci_low,ci_high"
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].into(),
                c[1].into(),
                c[2].into(),
                c[3].into(),
                c[4].parse().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
fn morris_gives_exactly_zero_to_a_parameter_that_cannot_act_and_the_same_bytes_on_any_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &str| {
        telur()
            .arg("sensitivity")
            .arg(data("small.toml"))
            .args([
                "--samples",
                "5",
                "--parameters",
                "flock.production_factor,market.farmgate_share,stochastic.outbreak_prob_week,stochastic.income_sigma",
                "--threads",
                threads,
                "--quiet",
                "--out",
            ])
            .arg(tmp.path().join(out))
            .assert()
            .success()
    };
    let shown = run("1", "one");
    let stdout = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(stdout.contains("the parameters that move graduation_attributable_share most"));
    run("2", "two");
    let one = fs::read(tmp.path().join("one/sensitivity.csv")).unwrap();
    assert_eq!(
        one,
        fs::read(tmp.path().join("two/sensitivity.csv")).unwrap()
    );
    let rows = indices(&tmp.path().join("one"));
    // 2 placements x 5 metrics x 4 parameters x (mu*, sigma).
    assert_eq!(rows.len(), 2 * 5 * 4 * 2);
    for (_, metric, parameter, index, value) in &rows {
        if parameter.starts_with("stochastic.") {
            assert_eq!(
                *value, 0.0,
                "{metric} {parameter} {index}: deterministic mode"
            );
        }
    }
    // The production factor moves the KUBE's money.
    assert!(rows.iter().any(|(_, m, p, i, v)| m == "benefit_cost_ratio"
        && p == "flock.production_factor"
        && i == "mu_star"
        && *v > 0.0));
    let samples = fs::read_to_string(tmp.path().join("one/samples.csv")).unwrap();
    assert_eq!(samples.lines().count(), 1 + 5 * (4 + 1));
    assert!(samples.starts_with("sample,flock.production_factor,market.farmgate_share,"));
    let page = fs::read_to_string(tmp.path().join("one/sensitivity.html")).unwrap();
    assert!(page.contains("How to read it") && page.contains("mu*"));
    assert!(
        tmp.path()
            .join("one/charts/tornado-benefit_cost_ratio.svg")
            .exists()
    );
}

#[test]
fn sobol_reports_first_order_and_total_indices_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    telur()
        .arg("sensitivity")
        .arg(data("small.toml"))
        .args([
            "--method",
            "sobol",
            "--samples",
            "64",
            "--parameters",
            "flock.production_factor,kube.retain_share",
            "--metrics",
            "benefit_cost_ratio",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let rows = indices(&out);
    assert_eq!(
        rows.len(),
        2 * 2 * 2,
        "2 placements x 2 parameters x (S1, ST)"
    );
    let text = fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    for line in text.lines().skip(1) {
        let c: Vec<f64> = line
            .split(',')
            .skip(4)
            .map(|x| x.parse().unwrap())
            .collect();
        // value, then the 2.5th and 97.5th percentiles of the bootstrap: finite, ordered.
        assert!(c.iter().all(|x| x.is_finite()) && c[1] <= c[2], "{line}");
    }
    assert!(out.join("charts/sobol-benefit_cost_ratio.png").exists());
    let samples = fs::read_to_string(out.join("samples.csv")).unwrap();
    assert_eq!(samples.lines().count(), 1 + 64 * (2 + 2));
}

#[test]
fn bad_analyses_exit_2_name_the_flag_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, want) in [
        (
            vec!["--parameters", "flock.production_factr"],
            "did you mean flock.production_factor?",
        ),
        (
            vec!["--samples", "2"],
            "--samples: samples: 2 is too few for morris",
        ),
        (
            vec!["--method", "sobol", "--samples", "10"],
            "use at least 64 base rows",
        ),
        (
            vec!["--metrics", "happiness"],
            "unknown metric \"happiness\"",
        ),
    ] {
        let out = tmp.path().join("o");
        telur()
            .arg("sensitivity")
            .arg(data("small.toml"))
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want))
            .stderr(predicate::str::contains("panicked").not());
        assert!(!out.exists());
    }
}
