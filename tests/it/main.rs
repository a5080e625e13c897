//! telur's integration tests: one binary, one module per theme.

mod cli;
mod equations;
mod properties;
mod stochastic;

use std::path::{Path, PathBuf};

use telur::scenario::{Overrides, Scenario, Source};

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
