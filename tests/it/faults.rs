//! Faults and proofs: interrupts, kills, unwritable folders, and `telur verify`.

use std::fs;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use predicates::prelude::*;
use rustix::process::{Pid, Signal, kill_process};

use crate::{data, run_small, telur};

/// Whether every file listed in `dir/manifest.json` is there with its recorded hash.
fn complete(dir: &Path) -> bool {
    let Ok(text) = fs::read_to_string(dir.join("manifest.json")) else {
        return false;
    };
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    ["outputs", "inputs"].iter().all(|section| {
        m[section].as_object().unwrap().iter().all(|(file, hash)| {
            fs::read(dir.join(file))
                .is_ok_and(|b| telur::report::manifest::sha256_hex(&b) == hash.as_str().unwrap())
        })
    })
}

fn wait(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < limit,
            "telur did not stop within {limit:?}"
        );
        sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: Signal) {
    let pid = Pid::from_child(child);
    kill_process(pid, sig).expect("our own child process can be signalled");
}

#[test]
fn verify_passes_on_a_fresh_run_and_names_an_edited_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_small(&out).assert().success();
    telur()
        .arg("verify")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "verified: 4 outputs match the manifest",
        ));
    let path = out.join("region_summary.csv");
    let edited =
        fs::read_to_string(&path)
            .unwrap()
            .replacen("kepri,Aceh,kubes,0", "kepri,Aceh,kubes,1", 1);
    fs::write(&path, edited).unwrap();
    telur()
        .arg("verify")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "region_summary.csv: changed since the run",
        ))
        .stderr(predicate::str::contains("summary.csv:").count(1));
    telur()
        .arg("verify")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("manifest.json"));
}

#[test]
fn verify_reproduces_a_stochastic_run_with_user_data_from_its_own_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    for file in ["regions.csv", "breed.csv"] {
        fs::copy(data("hand").join(file), tmp.path().join(file)).unwrap();
    }
    let scenario = tmp.path().join("mine.toml");
    fs::write(
        &scenario,
        "name = \"mine\"\nmode = \"stochastic\"\nreplicates = 6\nweeks = 30\nregions = \"regions.csv\"\nbreed = \"breed.csv\"\n\
         [flock]\ncull_age_weeks = 21\n[[placement]]\nname = \"t\"\nstrategy = \"equal\"\nkubes = 3\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    telur()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("inputs/regions.csv").exists() && out.join("inputs/breed.csv").exists());
    // The originals can go: the folder carries what it needs.
    fs::remove_file(tmp.path().join("regions.csv")).unwrap();
    fs::remove_file(tmp.path().join("breed.csv")).unwrap();
    telur()
        .arg("verify")
        .arg(&out)
        .args(["--threads", "1"])
        .assert()
        .success();
}

#[test]
fn sigint_stops_promptly_removes_the_temporary_folder_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    // The default scenario with 300 replicates takes minutes in a debug build.
    let mut child = Process::new(cargo_bin("telur"))
        .current_dir(tmp.path())
        .args(["run", "--replicates", "300", "--out", "o"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run should still be going"
    );
    let sent = Instant::now();
    signal(&child, Signal::INT);
    let status = wait(&mut child, Duration::from_secs(30));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        sent.elapsed()
    );
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn sigkill_at_any_moment_leaves_the_previous_complete_output_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let scenario = data("small.toml");
    run_small(&out).assert().success();
    assert!(complete(&out));
    for delay_ms in [10, 60, 150, 300, 600, 1000, 1600] {
        let mut child = Process::new(cargo_bin("telur"))
            .arg("run")
            .arg(&scenario)
            .args([
                "--quiet",
                "--mode",
                "stochastic",
                "--replicates",
                "60",
                "--out",
            ])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        sleep(Duration::from_millis(delay_ms));
        let _ = signal_if_running(&mut child);
        wait(&mut child, Duration::from_secs(60));
        assert!(
            complete(&out),
            "after a kill at {delay_ms} ms the output is incomplete"
        );
    }
    // A later run cleans up what the killed ones left beside the output.
    run_small(&out).assert().success();
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["o"]);
}

fn signal_if_running(child: &mut Child) -> bool {
    if child.try_wait().unwrap().is_none() {
        signal(child, Signal::KILL);
        true
    } else {
        false
    }
}

#[test]
fn an_unwritable_output_folder_is_a_clear_error_not_a_panic() {
    // /proc accepts no new folders, even from root.
    telur()
        .args([
            "run",
            data("small.toml").to_str().unwrap(),
            "--quiet",
            "--out",
            "/proc/telur-out",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: cannot create a temporary folder in /proc",
        ))
        .stderr(predicate::str::contains("panicked").not());
    // A file where a folder should be.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    fs::write(&file, "x").unwrap();
    run_small(file.join("o"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot create"));
    run_small(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists and is not a folder"));
    run_small("..")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "does not name a folder of its own",
        ));
}
