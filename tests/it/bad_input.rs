//! The malformed-input corpus (`tests/data/bad/`): every case must exit with 2, name its
//! culprit, not panic and write nothing. The messages are snapshot-tested, so a change
//! to any of them shows up in review (`cargo insta review`, or INSTA_UPDATE=always).

use std::fs;
use std::path::Path;

use assert_cmd::Command;

use crate::data;

#[test]
fn every_malformed_input_exits_2_names_the_culprit_and_writes_nothing() {
    let dir = data("bad");
    let mut cases: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut transcript = String::new();
    for case in &cases {
        let out = tmp.path().join(case.trim_end_matches(".toml"));
        let result = Command::cargo_bin("telur")
            .unwrap()
            .current_dir(&dir)
            .args(["run", case, "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{case}: exit code, stderr:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{case} panicked:\n{stderr}");
        assert!(stderr.starts_with("error: "), "{case}: {stderr}");
        assert!(!out.exists(), "{case} wrote {}", out.display());
        // The culprit: the scenario or the data file it names, at a line where one exists.
        let culprit =
            stderr.contains(case.as_str()) || stderr.contains(".csv") || stderr.contains(".bin");
        assert!(culprit, "{case}: the message names no file:\n{stderr}");
        transcript.push_str(&format!("{case}\n{stderr}\n"));
    }
    // Nothing left behind: no temporary folders either.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    insta::assert_snapshot!("bad_inputs", transcript);
}

#[test]
fn check_refuses_the_same_corpus() {
    let dir = data("bad");
    for case in [
        "typo-top-key.toml",
        "regions-ragged.toml",
        "breed-gap.toml",
        "random-bytes.toml",
    ] {
        Command::cargo_bin("telur")
            .unwrap()
            .current_dir(&dir)
            .args(["check", case])
            .assert()
            .code(2);
    }
    assert!(Path::new(&dir).join("random-bytes.bin").exists());
}
