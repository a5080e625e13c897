//! `manifest.json`: what was run, with what, and the SHA-256 of every output, so a result
//! can be traced and checked.

use std::io::{self, Write};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the manifest records about a run besides the scenario itself.
pub struct RunInfo<'a> {
    pub scenario_file: &'a str,
    pub scenario_sha256: String,
    pub threads: usize,
    pub wall_time_seconds: f64,
    /// `(file name, SHA-256)` of each output, in writing order.
    pub outputs: Vec<(String, String)>,
    /// `(path, SHA-256)` of each file under `inputs/`: what `telur verify` re-runs.
    pub inputs: Vec<(String, String)>,
}

/// The git commit telur was built from (`-modified` if the tree had changes), or `unknown`.
pub const GIT_COMMIT: &str = env!("TELUR_GIT_COMMIT");

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Builds the manifest as JSON.
pub fn manifest(s: &Scenario, info: &RunInfo) -> Value {
    let mut parameters = Map::new();
    let mut origins = Map::new();
    for r in &s.resolved {
        parameters.insert(r.key.clone(), toml_to_json(&r.value));
        origins.insert(r.key.clone(), json!(r.origin.label()));
    }
    let estimated: Vec<&String> = s
        .resolved
        .iter()
        .filter(|r| r.origin == crate::scenario::resolve::Origin::Default)
        .map(|r| &r.key)
        .filter(|k| crate::data::estimated_defaults().contains(k))
        .collect();
    let placements: Vec<Value> = s
        .placements
        .iter()
        .map(|p| {
            let kubes: Map<String, Value> = s
                .regions
                .ids()
                .filter(|id| p.kubes_per_region[id.index()] > 0)
                .map(|id| {
                    (
                        s.regions.get(id).name.clone(),
                        json!(p.kubes_per_region[id.index()]),
                    )
                })
                .collect();
            json!({
                "name": p.name,
                "strategy": p.strategy.describe(),
                "kubes": p.total_kubes(),
                "kubes_per_region": kubes,
                "start_week": p.start_week,
                "rollout_weeks": p.rollout_weeks,
            })
        })
        .collect();
    let outputs: Map<String, Value> = info
        .outputs
        .iter()
        .map(|(f, h)| (f.clone(), json!(h)))
        .collect();
    let inputs: Map<String, Value> = info
        .inputs
        .iter()
        .map(|(f, h)| (f.clone(), json!(h)))
        .collect();
    json!({
        "program": "telur",
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": GIT_COMMIT,
        "model": "MODEL.md v1",
        "scenario": { "name": s.name, "file": info.scenario_file, "sha256": info.scenario_sha256 },
        "mode": s.mode.name(),
        "seed": s.seed,
        "replicates": if s.mode == crate::scenario::Mode::Deterministic { 1 } else { s.replicates },
        "threads": info.threads,
        "weeks": s.weeks,
        "start_date": s.start_date.format("%Y-%m-%d").to_string(),
        "data": {
            "regions": { "source": s.regions_file.reference, "sha256": sha256_hex(s.regions_file.text.as_bytes()) },
            "breed": { "source": s.breed_file.reference, "sha256": sha256_hex(s.breed_file.text.as_bytes()) },
        },
        "parameters": parameters,
        "parameter_origins": origins,
        "estimated_defaults_used": estimated,
        "placements": placements,
        "wall_time_seconds": info.wall_time_seconds,
        "inputs": inputs,
        "outputs": outputs,
    })
}

/// Writes the manifest as pretty JSON.
pub fn write_manifest<W: Write>(s: &Scenario, info: &RunInfo, mut out: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &manifest(s, info))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// A writer that hashes every byte it passes on, so outputs are hashed while streamed.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Flushes and returns the lowercase hex SHA-256 of everything written.
    pub fn finish(mut self) -> io::Result<String> {
        self.inner.flush()?;
        Ok(self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod hashing_tests {
    use super::*;

    #[test]
    fn hashing_writer_matches_hash_of_the_bytes() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        assert_eq!(w.finish().unwrap(), sha256_hex(b"abc"));
    }
}
