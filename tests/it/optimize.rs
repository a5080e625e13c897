//! `telur optimize` (issue 12): the best allocation of a budget of KUBE over regions.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use telur::model::Placement;
use telur::optimize::{self, Budget, Evaluator, Objective, Settings, Unwatched, search::term};
use telur::results::metrics::summary as sm;

use crate::{scenario_in, telur};

/// Four regions that differ in prices, poverty and market size; ten KUBE.
const FOUR_REGIONS: &str = r#"
name = "four-regions"
mode = "deterministic"
weeks = 104
start_date = "2021-03-01"

[flock]
hens_per_kube = 300

[kube]
members = 6

[[placement]]
name = "even"
strategy = "explicit"
allocation = { "Kepulauan Riau" = 3, "Gorontalo" = 3, "Papua" = 2, "Jawa Barat" = 2 }
rollout_weeks = 6
"#;

/// Every way to place `total` KUBE over `regions`.
fn compositions(total: u32, regions: &[usize], n_regions: usize) -> Vec<Vec<u32>> {
    fn fill(left: u32, at: usize, regions: &[usize], k: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if at + 1 == regions.len() {
            k[regions[at]] = left;
            out.push(k.clone());
            k[regions[at]] = 0;
            return;
        }
        for n in 0..=left {
            k[regions[at]] = n;
            fill(left - n, at + 1, regions, k, out);
        }
        k[regions[at]] = 0;
    }
    let mut out = Vec::new();
    fill(total, 0, regions, &mut vec![0; n_regions], &mut out);
    out
}

/// The search finds the best of all allocations, checked against every one of them, for
/// an objective of one metric and for a weighted one.
#[test]
fn the_allocation_found_is_the_best_of_all_allocations() {
    let s = scenario_in("", FOUR_REGIONS);
    let regions: Vec<usize> = ["Kepulauan Riau", "Gorontalo", "Papua", "Jawa Barat"]
        .iter()
        .map(|n| s.world.regions.find(n).unwrap().index())
        .collect();
    let mut candidates = regions.clone();
    candidates.sort_unstable();
    let n = s.world.regions.len();
    let design: &Placement = &s.placements[0];
    let ev = Evaluator::new(&s.world, s.ensemble, None, design, 0, 1);
    let all = compositions(10, &candidates, n);
    assert_eq!(all.len(), 286);
    let jobs: Vec<(&[u32], std::ops::Range<u32>)> =
        all.iter().map(|k| (k.as_slice(), 0..1)).collect();
    let every = ev.evaluate(&jobs);
    for objective in [
        Objective {
            terms: vec![term(sm::NPV_BENEFITS_RP, 1.0)],
        },
        Objective {
            terms: vec![
                term(sm::ATTRIBUTABLE_GRADUATES, 0.5),
                term(sm::DEFICIT_REDUCTION_KG, 0.5),
            ],
        },
    ] {
        let settings = Settings {
            candidates: candidates.clone(),
            min: vec![0; n],
            max: vec![u32::MAX; n],
            budget: Budget::Kubes(10),
            step: 1,
            objective,
            replicates: 1,
            confirm_replicates: 0,
            finalists: 5,
            frontier_weights: Vec::new(),
        };
        let outcome = optimize::optimize(&ev, &settings, &Unwatched).unwrap();
        let value = |summary: &[f64]| outcome.objective.value(summary);
        let (best_index, best) = every
            .iter()
            .map(|reps| value(&reps[0]))
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let found = outcome.values(outcome.best)[0];
        assert_eq!(
            found,
            best,
            "{}: found {:?} = {found}, brute force {:?} = {best}",
            outcome.objective.describe(),
            outcome.records[outcome.best].kubes,
            all[best_index]
        );
        // The search looked at far fewer allocations than there are.
        assert!(
            outcome.records.len() < all.len() / 2,
            "{} evaluated",
            outcome.records.len()
        );
        // The marginal values are what one more KUBE adds, region by region.
        assert_eq!(outcome.marginal.len(), 4);
    }
}

/// `scenario.toml` in `dir` with an `[optimize]` table, stochastic, a few replicates.
fn write_stochastic(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("scenario.toml");
    let text = FOUR_REGIONS.replace(
        "mode = \"deterministic\"",
        "mode = \"stochastic\"\nreplicates = 6",
    ) + r#"
[[placement]]
name = "java"
strategy = "equal"
kubes = 10
regions = ["Jawa Barat"]

[optimize]
budget_kubes = 12
step_kubes = 3
replicates = 4
"#;
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn same_allocation_and_bytes_on_any_thread_count_and_a_folder_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_stochastic(tmp.path());
    let run = |threads: &str, out: &str| {
        telur()
            .arg("optimize")
            .arg(&scenario)
            .args(["--threads", threads, "--out"])
            .arg(tmp.path().join(out))
            .assert()
            .success()
    };
    let shown = run("1", "one");
    let stdout = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(
        stdout.contains("best allocation of 12 KUBE for attributable_graduates"),
        "{stdout}"
    );
    assert!(stdout.contains("lead over the runner-up"), "{stdout}");
    let stderr = String::from_utf8_lossy(&shown.get_output().stderr).into_owned();
    assert!(
        stderr.contains("allocations evaluated, best so far"),
        "{stderr}"
    );
    run("2", "two");
    for file in [
        "allocation.toml",
        "search.csv",
        "summary.csv",
        "region_weekly.csv",
    ] {
        assert_eq!(
            fs::read(tmp.path().join("one").join(file)).unwrap(),
            fs::read(tmp.path().join("two").join(file)).unwrap(),
            "{file} differs between 1 and 2 threads"
        );
    }
    let summary = |dir: &str| {
        let text = fs::read_to_string(tmp.path().join(dir).join("optimize.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("wall_time_seconds");
        v
    };
    let one = summary("one");
    assert_eq!(one, summary("two"));
    assert_eq!(one["budget_kubes"], 12);
    let total: u64 = one["allocation"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k.as_u64().unwrap())
        .sum();
    assert_eq!(total, 12);
    // The search's rows: every allocation once, the winner among the full ones.
    let search = fs::read_to_string(tmp.path().join("one/search.csv")).unwrap();
    let header = search.lines().next().unwrap();
    // Every region was a candidate: one column each, in the regions table's order.
    assert!(
        header.starts_with("evaluation,stage,Aceh,Sumatera Utara,"),
        "{header}"
    );
    assert!(
        header.contains(",Kepulauan Riau,") && header.contains(",Papua,"),
        "{header}"
    );
    assert!(header.ends_with("kubes,replicates,objective_mean,objective_p05,objective_p95"));
    assert!(search.lines().any(|l| l.contains(",confirm,")) || search.lines().count() > 10);
    // The full run has the scenario's placements and the optimised one, and the report
    // has the optimisation's section and charts.
    let summary_csv = fs::read_to_string(tmp.path().join("one/summary.csv")).unwrap();
    for p in ["even", "java", "optimized"] {
        assert!(
            summary_csv.lines().any(|l| l.starts_with(&format!("{p},"))),
            "{p}"
        );
    }
    let report = fs::read_to_string(tmp.path().join("one/report.html")).unwrap();
    assert!(report.contains("Where the next 12 KUBE should go"));
    assert!(
        report.contains("Against the scenario&#39;s placements")
            || report.contains("Against the scenario's placements")
    );
    assert!(
        tmp.path()
            .join("one/charts/optimize-marginal.svg")
            .is_file()
    );
    // The run part reproduces byte for byte.
    telur()
        .arg("verify")
        .arg(tmp.path().join("one"))
        .assert()
        .success()
        .stdout(predicate::str::contains("verified"));
    // allocation.toml is a ready placement: pasted into the scenario (without [optimize],
    // which must stay last), it runs with the same KUBE per region.
    let pasted = tmp.path().join("pasted.toml");
    let base = fs::read_to_string(&scenario).unwrap();
    let base = base
        .split("[optimize]")
        .next()
        .unwrap()
        .replace("name = \"java\"", "name = \"java2\"");
    let allocation = fs::read_to_string(tmp.path().join("one/allocation.toml")).unwrap();
    fs::write(&pasted, format!("{base}\n{allocation}")).unwrap();
    telur()
        .arg("run")
        .arg(&pasted)
        .args(["--quiet", "--out"])
        .arg(tmp.path().join("pasted"))
        .assert()
        .success();
    let rerun = fs::read_to_string(tmp.path().join("pasted/region_summary.csv")).unwrap();
    let kubes_rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("optimized,") && l.contains(",kubes,"))
            .map(String::from)
            .collect()
    };
    let original = fs::read_to_string(tmp.path().join("one/region_summary.csv")).unwrap();
    assert_eq!(kubes_rows(&rerun), kubes_rows(&original));
    assert!(!kubes_rows(&original).is_empty());
}

/// On the default scenario (deterministic here, to keep the test quick), the optimised
/// allocation beats every hand-made placement on its objective, and the report says by
/// how much.
#[test]
fn on_the_default_scenario_the_optimised_allocation_beats_every_hand_placement() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("default");
    telur()
        .args([
            "optimize",
            "--mode",
            "deterministic",
            "--step-kubes",
            "50",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let text = fs::read_to_string(out.join("optimize.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let against = v["placements"].as_array().unwrap();
    assert_eq!(against.len(), 5);
    for a in against {
        let lead = a["lead"]["mean"].as_f64().unwrap();
        assert!(lead > 0.0, "{}: lead {lead}", a["placement"]);
    }
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("optimized ahead by"));
}

#[test]
fn bad_settings_exit_2_naming_the_setting_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_stochastic(tmp.path());
    // `telur check` shows the table it will use.
    telur()
        .arg("check")
        .arg(&scenario)
        .assert()
        .success()
        .stdout(predicate::str::contains("[optimize], for `telur optimize`"))
        .stdout(predicate::str::contains("budget_kubes = 12"));
    let out = tmp.path().join("out");
    let refuse = |args: &[&str], names: &str| {
        let result = telur()
            .arg("optimize")
            .arg(&scenario)
            .args(args)
            .args(["--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(names),
            "{args:?} should name {names}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    };
    refuse(&["--budget-kubes", "0"], "--budget-kubes");
    refuse(&["--budget-rp=-5"], "--budget-rp");
    refuse(&["--budget-rp", "1000"], "--budget-rp");
    refuse(
        &["--objective", "cost_per_attributable_graduate_rp"],
        "better when smaller",
    );
    refuse(&["--objective", "graduates"], "--objective");
    refuse(
        &["--objective", "eggs_kg=1,attributable_graduates"],
        "give every metric a weight",
    );
    refuse(&["--design", "nope"], "--design");
    refuse(&["--regions", "Gorontalo,Atlantis"], "--regions");
    refuse(&["--budget-kubes", "4000000000"], "GiB of memory");
    // Bounds in the table that no allocation meets: named with the table's line.
    let text = fs::read_to_string(&scenario).unwrap();
    fs::write(
        &scenario,
        format!("{text}min = {{ \"Papua\" = 8, \"Gorontalo\" = 8 }}\n"),
    )
    .unwrap();
    refuse(&[], "optimize.min");
    refuse(
        &["--budget-kubes", "20", "--regions", "Papua"],
        "optimize.min",
    );
    fs::write(&scenario, format!("{text}max = {{ \"Papua\" = 1, \"Gorontalo\" = 1, \"Jawa Barat\" = 1, \"Kepulauan Riau\" = 1 }}\n")).unwrap();
    refuse(
        &["--regions", "Papua,Gorontalo,Jawa Barat,Kepulauan Riau"],
        "optimize.max",
    );
}

/// Two metrics: the frontier between them, one best allocation per weight; with parameter
/// uncertainty, each replicate of every evaluation draws the parameters (deterministic
/// mode: the replicates differ only by their draws).
#[test]
fn two_metrics_draw_the_frontier_and_uncertainty_spreads_the_replicates() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("frontier.toml");
    let text = FOUR_REGIONS.replace(
        "mode = \"deterministic\"",
        "mode = \"deterministic\"\nreplicates = 4\nuncertainty = true",
    ) + r#"
[optimize]
budget_kubes = 8
step_kubes = 2
regions = ["Kepulauan Riau", "Gorontalo", "Papua", "Jawa Barat"]
objective = { npv_benefits_rp = 0.5, deficit_reduction_kg = 0.5 }
"#;
    fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("out");
    telur()
        .arg("optimize")
        .arg(&scenario)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("optimize.json")).unwrap()).unwrap();
    assert_eq!(v["replicates_per_evaluation"], 4);
    let terms = v["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 2);
    for t in terms {
        assert!(t["scale"].as_f64().unwrap() > 0.0, "{t}");
    }
    let frontier = v["frontier"].as_array().unwrap();
    let weights: Vec<f64> = frontier
        .iter()
        .map(|f| f["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [0.0, 0.25, 0.5, 0.75, 1.0]);
    // Weight 1 on the first metric finds at least as much of it as weight 0, and weight
    // 0 at least as much of the second.
    let metric = |i: usize, m: usize| frontier[i]["metrics"][m].as_f64().unwrap();
    assert!(metric(4, 0) >= metric(0, 0), "{frontier:?}");
    assert!(metric(0, 1) >= metric(4, 1), "{frontier:?}");
    assert!(out.join("charts/optimize-frontier.svg").is_file());
    // The replicates differ by their parameter draws: the objective has a spread.
    let search = fs::read_to_string(out.join("search.csv")).unwrap();
    let spread = search.lines().skip(1).any(|l| {
        let c: Vec<&str> = l.split(',').collect();
        let n = c.len();
        c[n - 4] != c[n - 3] // objective_p05 != objective_p95 (two metric columns follow)
    });
    assert!(spread, "{search}");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("A weighted objective adds each metric divided by its mean"));
}

/// A rupiah budget buys as many KUBE as the design placement's cost per KUBE allows, and
/// the allocation's own programme cost is reported beside it.
#[test]
fn a_rupiah_budget_buys_whole_kube_at_the_designs_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("rp.toml");
    fs::write(&scenario, FOUR_REGIONS).unwrap();
    let out = tmp.path().join("out");
    let shown = telur()
        .arg("optimize")
        .arg(&scenario)
        .args([
            "--budget-rp",
            "4e8",
            "--regions",
            "Gorontalo,Papua",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(
        stdout.contains("against the budget of Rp 400 M"),
        "{stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("optimize.json")).unwrap()).unwrap();
    let per_kube = v["cost_per_kube_rp"].as_f64().unwrap();
    let kubes = v["budget_kubes"].as_u64().unwrap();
    assert_eq!(kubes, (4e8 / per_kube).floor() as u64, "{per_kube}");
    assert!(kubes >= 1);
    let cost = v["program_cost_rp"].as_f64().unwrap();
    // Within a tenth of the budget: regions differ in prices, not in kind.
    assert!((cost - kubes as f64 * per_kube).abs() < 0.1 * 4e8, "{cost}");
}
