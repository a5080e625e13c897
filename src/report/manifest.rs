//! `manifest.json`: what was run, with what, and the SHA-256 of every output, so a result
//! can be traced and checked.
//!
//! One serde type, [`Manifest`], is both written and read back (by `telur report` and
//! `telur verify`): a key renamed or missing makes reading fail with the key named, never
//! a silent default.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::scenario::{DataFile, Scenario, ValueOrigin};

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The git commit telur was built from (`-modified` if the tree had changes), or `unknown`.
pub const GIT_COMMIT: &str = env!("TELUR_GIT_COMMIT");

/// The model version a run implements.
pub const MODEL: &str = "MODEL.md v2";

/// Everything `manifest.json` records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub program: String,
    pub version: String,
    pub git_commit: String,
    pub model: String,
    pub scenario: ScenarioRef,
    pub mode: String,
    pub seed: u64,
    /// Replicates run (1 in deterministic mode).
    pub replicates: u32,
    pub threads: usize,
    pub weeks: u32,
    pub start_date: String,
    pub data: DataRefs,
    /// Every resolved scenario-wide key and its value.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Where each value of `parameters` came from: `flag`, `scenario` or `default`.
    pub parameter_origins: BTreeMap<String, String>,
    /// Keys whose embedded default, marked ESTIMATE, the run used.
    pub estimated_defaults_used: Vec<String>,
    pub placements: Vec<PlacementEntry>,
    /// In a parameter-uncertainty run: the design the replicates' parameters were drawn
    /// from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintyEntry>,
    /// Every replicate's results were kept under `replicates/` (`--keep-replicates`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_replicates: bool,
    pub wall_time_seconds: f64,
    /// SHA-256 of each file under `inputs/`: what `telur verify` re-runs.
    pub inputs: BTreeMap<String, String>,
    /// SHA-256 of each output file.
    pub outputs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRef {
    pub name: String,
    pub file: String,
    pub sha256: String,
}

impl ScenarioRef {
    /// The scenario `name` read from `source`.
    pub fn of(name: &str, source: &crate::scenario::Source) -> ScenarioRef {
        ScenarioRef {
            name: name.to_string(),
            file: source.name.clone(),
            sha256: sha256_hex(source.text.as_bytes()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRefs {
    pub regions: DataRef,
    pub breed: DataRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRef {
    pub source: String,
    pub sha256: String,
}

impl DataRef {
    fn of(file: &DataFile) -> DataRef {
        DataRef {
            source: file.reference.clone(),
            sha256: sha256_hex(file.text.as_bytes()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementEntry {
    pub name: String,
    pub strategy: String,
    pub kubes: u64,
    pub kubes_per_region: BTreeMap<String, u32>,
    pub start_week: u32,
    pub rollout_weeks: u32,
    /// The breed its KUBE keep (the scenario's unless the placement names its own).
    pub breed: DataRef,
    /// The design keys the placement sets itself (`flock.hens_per_kube`, ...), over the
    /// scenario's values in `parameters`.
    pub design: BTreeMap<String, serde_json::Value>,
}

/// How a parameter-uncertainty run drew its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertaintyEntry {
    /// `latin-hypercube`: one stratum of each range per replicate, keyed by the seed.
    pub design: String,
    pub seed: u64,
    pub replicates: u32,
    pub parameters: Vec<RangeEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeEntry {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub basis: String,
}

/// What the manifest records about a run besides the scenario itself.
pub struct RunInfo<'a> {
    pub scenario_file: &'a str,
    pub scenario_sha256: String,
    pub threads: usize,
    pub wall_time_seconds: f64,
    pub keep_replicates: bool,
    /// `(file name, SHA-256)` of each output.
    pub outputs: Vec<(String, String)>,
    /// `(path, SHA-256)` of each file under `inputs/`.
    pub inputs: Vec<(String, String)>,
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::from(s.as_str()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => J::from(*f),
        toml::Value::Boolean(b) => J::from(*b),
        toml::Value::Datetime(d) => J::from(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

impl Manifest {
    /// The manifest of a run of `s`.
    pub fn new(s: &Scenario, info: &RunInfo) -> Manifest {
        let parameters = s
            .resolved
            .iter()
            .map(|r| (r.key.clone(), toml_to_json(&r.value)))
            .collect();
        let parameter_origins = s
            .resolved
            .iter()
            .map(|r| (r.key.clone(), r.origin.label().to_string()))
            .collect();
        let estimated_defaults_used = s
            .resolved
            .iter()
            .filter(|r| r.origin == ValueOrigin::Default)
            .map(|r| &r.key)
            .filter(|k| crate::data::estimated_defaults().contains(k))
            .cloned()
            .collect();
        let regions = &s.world.regions;
        let placements = s
            .placements
            .iter()
            .zip(&s.placement_sources)
            .map(|(p, source)| PlacementEntry {
                name: p.name.clone(),
                strategy: p.strategy.describe(),
                kubes: p.total_kubes(),
                kubes_per_region: regions
                    .ids()
                    .filter(|id| p.kubes_per_region[id.index()] > 0)
                    .map(|id| (regions.get(id).name.clone(), p.kubes_per_region[id.index()]))
                    .collect(),
                start_week: p.start_week,
                rollout_weeks: p.rollout_weeks,
                breed: DataRef::of(&source.breed_file),
                design: source
                    .design
                    .iter()
                    .filter(|r| r.origin == ValueOrigin::Placement)
                    .map(|r| (r.key.clone(), toml_to_json(&r.value)))
                    .collect(),
            })
            .collect();
        Manifest {
            program: "telur".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: GIT_COMMIT.into(),
            model: MODEL.into(),
            scenario: ScenarioRef {
                name: s.name.clone(),
                file: info.scenario_file.to_string(),
                sha256: info.scenario_sha256.clone(),
            },
            mode: s.ensemble.mode.name().into(),
            seed: s.ensemble.seed,
            replicates: s.replicates(),
            threads: info.threads,
            weeks: s.world.weeks,
            start_date: s.world.start_date.format("%Y-%m-%d").to_string(),
            data: DataRefs {
                regions: DataRef::of(&s.regions_file),
                breed: DataRef::of(&s.breed_file),
            },
            parameters,
            parameter_origins,
            estimated_defaults_used,
            placements,
            uncertainty: s.uncertainty.as_ref().map(|u| UncertaintyEntry {
                design: crate::sim::uncertainty::DESIGN.into(),
                seed: s.ensemble.seed,
                replicates: s.replicates(),
                parameters: u
                    .parameters
                    .iter()
                    .map(|p| RangeEntry {
                        key: p.key.clone(),
                        low: p.low,
                        high: p.high,
                        basis: p.basis.clone(),
                    })
                    .collect(),
            }),
            keep_replicates: info.keep_replicates,
            wall_time_seconds: info.wall_time_seconds,
            inputs: info.inputs.iter().cloned().collect(),
            outputs: info.outputs.iter().cloned().collect(),
        }
    }

    /// Writes the manifest as pretty JSON.
    pub fn write<W: Write>(&self, mut out: W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        writeln!(out)
    }

    /// Reads a manifest back; a missing, renamed or unknown key is an error naming it.
    pub fn read(text: &str) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The digest a [`HashingWriter`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256: `manifest.json`, what `telur verify` checks.
    Sha256,
    /// BLAKE3: shard files, which the merge checks. SIMD on every x86-64 and ARM core, so
    /// hashing the shards' Parquet costs little even where the CPU has no SHA
    /// instructions (software SHA-256 costs about 50 instructions a byte).
    Blake3,
}

/// Lowercase hex BLAKE3 of `bytes`.
pub fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

enum Hasher {
    Sha256(Sha256),
    Blake3(Box<blake3::Hasher>),
}

/// A writer that hashes every byte it passes on, so outputs are hashed while streamed.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    /// Hashes with SHA-256.
    pub fn new(inner: W) -> Self {
        HashingWriter::with(inner, Digest::Sha256)
    }

    pub fn with(inner: W, digest: Digest) -> Self {
        let hasher = match digest {
            Digest::Sha256 => Hasher::Sha256(Sha256::new()),
            Digest::Blake3 => Hasher::Blake3(Box::new(blake3::Hasher::new())),
        };
        HashingWriter { inner, hasher }
    }

    /// Flushes and returns the lowercase hex digest of everything written.
    pub fn finish(mut self) -> io::Result<String> {
        self.inner.flush()?;
        Ok(match self.hasher {
            Hasher::Sha256(h) => h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            Hasher::Blake3(h) => h.finalize().to_hex().to_string(),
        })
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(&buf[..n]),
            Hasher::Blake3(h) => {
                h.update(&buf[..n]);
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake3_of_abc_is_the_standard_vector() {
        // The BLAKE3 reference implementation's b3sum of "abc".
        assert_eq!(
            blake3_hex(b"abc"),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashing_writer_matches_hash_of_the_bytes() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        assert_eq!(w.finish().unwrap(), sha256_hex(b"abc"));
        let mut w = HashingWriter::with(Vec::new(), Digest::Blake3);
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        assert_eq!(w.finish().unwrap(), blake3_hex(b"abc"));
    }

    #[test]
    fn a_manifest_reads_back_and_a_renamed_key_fails_loudly() {
        let s = crate::scenario::Scenario::load(
            &crate::scenario::Source::builtin_default(),
            &crate::scenario::Overrides::default(),
        )
        .unwrap();
        let info = RunInfo {
            scenario_file: "builtin:kube-bekerja",
            scenario_sha256: sha256_hex(b"x"),
            threads: 2,
            keep_replicates: false,
            wall_time_seconds: 1.5,
            outputs: vec![("summary.csv".into(), sha256_hex(b"y"))],
            inputs: vec![("inputs/scenario.toml".into(), sha256_hex(b"z"))],
        };
        let m = Manifest::new(&s, &info);
        let mut text = Vec::new();
        m.write(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(Manifest::read(&text).unwrap(), m);
        let renamed = text.replace("\"replicates\"", "\"replicate_count\"");
        let e = Manifest::read(&renamed).unwrap_err().to_string();
        assert!(e.contains("replicate_count"), "{e}");
    }
}
