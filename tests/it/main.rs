//! telur's integration tests: one binary, one module per theme.

mod bad_input;
mod cli;
mod equations;
mod faults;
mod optimize;
mod properties;
mod report;
mod sensitivity;
mod shards;
mod stochastic;
mod uncertainty;

use std::path::{Path, PathBuf};

use telur::scenario::{Overrides, Scenario, Source};

/// The telur binary, ready for arguments.
pub fn telur() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("telur").expect("the telur binary is built")
}

/// `telur run tests/data/small.toml --quiet --out <out>`.
pub fn run_small(out: impl AsRef<std::ffi::OsStr>) -> assert_cmd::Command {
    let mut c = telur();
    c.arg("run")
        .arg(data("small.toml"))
        .args(["--quiet", "--out"])
        .arg(out);
    c
}

/// `tests/data/<rel>`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Loads a scenario written inline, with data paths relative to `tests/data/<dir>`.
pub fn scenario_in(dir: &str, toml: &str) -> Scenario {
    let source = Source {
        name: format!("{dir}/inline.toml"),
        text: toml.to_string(),
        dir: Some(data(dir)),
    };
    Scenario::load(&source, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}
