//! Charts and report.html: drawn for every run, readable, self-contained, redrawable.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use crate::{run_small, telur};

const CHARTS: [&str; 9] = [
    "placement-comparison",
    "graduation",
    "where-it-works",
    "income-fan",
    "deficit",
    "prices",
    "kube-status",
    "map",
    "flock",
];

/// Distinct colours in a PNG: a blank or failed chart has one or two.
fn colours(png: &[u8]) -> usize {
    let image = image::load_from_memory(png).expect("a valid PNG").to_rgb8();
    assert_eq!(image.dimensions(), (1200, 800));
    let mut seen: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

fn check_charts(dir: &Path) {
    for chart in CHARTS {
        let png = fs::read(dir.join("charts").join(format!("{chart}.png"))).unwrap();
        let n = colours(&png);
        assert!(n > 20, "{chart}.png has only {n} colours");
        let svg = fs::read_to_string(dir.join("charts").join(format!("{chart}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("</svg>"),
            "{chart}.svg"
        );
        assert!(
            svg.matches("<text").count() > 5,
            "{chart}.svg has too little text"
        );
    }
}

/// Parses report.html as XML: well-formed, every chart inline, nothing fetched from outside.
fn check_report(dir: &Path) -> String {
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&html);
    let mut svgs = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e)) => {
                if e.name().as_ref() == "svg" {
                    svgs += 1;
                }
                for attr in e.attributes() {
                    let attr = attr.unwrap();
                    let key = attr.key.as_ref();
                    assert!(
                        key != "src" && key != "href",
                        "report.html links out: {attr:?}"
                    );
                }
            }
            Ok(_) => {}
            Err(e) => panic!(
                "report.html is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(svgs, CHARTS.len(), "every chart inline");
    for chart in CHARTS {
        assert!(
            html.contains(&format!("<figure id=\"{chart}\">")),
            "{chart} missing"
        );
    }
    assert!(!html.contains("<script"), "no scripts");
    html
}

#[test]
fn a_deterministic_run_draws_every_chart_and_a_self_contained_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    check_charts(&out);
    let html = check_report(&out);
    assert!(html.contains("deterministic mode"));
    assert!(html.contains("kepri") && html.contains("Kepulauan Riau"));
    // The arms explained in plain words, the programme beside cash in the first table.
    assert!(html.contains("followed three times under the same luck"));
    assert!(html.contains("because of cash of the same cost"));
    assert!(html.contains("ESTIMATE"), "estimated defaults are flagged");
}

#[test]
fn a_stochastic_run_draws_bands_and_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out)
        .args(["--mode", "stochastic", "--replicates", "8"])
        .assert()
        .success();
    check_charts(&out);
    let html = check_report(&out);
    assert!(html.contains("in 8 stochastic replicates"));
    assert!(
        html.contains("<span class=\"note\">"),
        "intervals under the means"
    );
}

#[test]
fn report_redraws_from_the_files_alone_and_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    let before = fs::read(out.join("report.html")).unwrap();
    let png = fs::read(out.join("charts/map.png")).unwrap();
    fs::remove_dir_all(out.join("charts")).unwrap();
    fs::remove_file(out.join("report.html")).unwrap();
    telur().arg("report").arg(&out).assert().success();
    assert!(
        before == fs::read(out.join("report.html")).unwrap(),
        "same report"
    );
    assert!(
        png == fs::read(out.join("charts/map.png")).unwrap(),
        "same chart"
    );
    // Nothing left beside it, and the run still verifies.
    let names: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    telur().arg("verify").arg(&out).assert().success();
    telur().arg("report").arg(tmp.path()).assert().code(2);
}

/// Debian's chromium, if installed (CI installs it; see .ci/run).
fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn the_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        // CI always has it; a developer without it is told, not failed.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("chromium not installed: skipping the browser rendering of report.html");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    let shot = tmp.path().join("report.png");
    let profile = tmp.path().join("profile");
    let status = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--window-size=1280,4000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let image = image::open(&shot).unwrap().to_rgb8();
    let mut seen: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    seen.sort_unstable();
    seen.dedup();
    assert!(
        seen.len() > 50,
        "the rendered report looks blank ({} colours)",
        seen.len()
    );
}
