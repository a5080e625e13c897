//! Data: the regions table and breed curves, embedded or from the user's CSV files.
//!
//! The embedded data (`builtin:indonesia`, `builtin:layer-brown`, `builtin:kub`) is
//! compiled into the binary from `src/data/builtin/`, whose `SOURCES.md` gives the source
//! of every column and marks the estimates.

pub mod breed;
pub mod regions;
pub mod table;

pub use breed::{Breed, CurvePoint};
pub use regions::{Region, RegionId, Regions};

use crate::error::InputError;

/// Where each embedded value comes from, and which are estimates.
pub const SOURCES_MD: &str = include_str!("builtin/SOURCES.md");
/// Per-province basis of production and transport costs.
pub const PROVENANCE_CSV: &str = include_str!("builtin/indonesia-2019.provenance.csv");
/// Default parameters with the basis of each value.
pub const DEFAULTS_TOML: &str = include_str!("builtin/defaults.toml");
/// The plausible range of every uncertain parameter, with its basis.
pub const RANGES_TOML: &str = include_str!("builtin/ranges.toml");

const INDONESIA_CSV: &str = include_str!("builtin/indonesia-2019.csv");
const LAYER_BROWN_CSV: &str = include_str!("builtin/layer-brown.csv");
const KUB_CSV: &str = include_str!("builtin/kub.csv");

/// Names of the embedded region tables.
pub const BUILTIN_REGIONS: [&str; 1] = ["builtin:indonesia"];
/// Names of the embedded breeds.
pub const BUILTIN_BREEDS: [&str; 2] = ["builtin:layer-brown", "builtin:kub"];

/// The CSV text of an embedded table, by its `builtin:` name.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    match name {
        "builtin:indonesia" => Some(INDONESIA_CSV),
        "builtin:layer-brown" => Some(LAYER_BROWN_CSV),
        "builtin:kub" => Some(KUB_CSV),
        _ => None,
    }
}

/// The embedded regions table of Indonesia's 34 provinces (2019 borders).
pub fn indonesia() -> Regions {
    Regions::parse("builtin:indonesia", INDONESIA_CSV).expect("embedded regions are valid")
}

/// An embedded breed by its `builtin:` name.
pub fn builtin_breed(name: &str) -> Result<Breed, InputError> {
    let text = builtin_text(name)
        .filter(|_| BUILTIN_BREEDS.contains(&name))
        .ok_or_else(|| {
            InputError::new(
                name,
                format!(
                    "unknown builtin breed; expected one of {}",
                    BUILTIN_BREEDS.join(", ")
                ),
            )
        })?;
    Breed::parse(name.trim_start_matches("builtin:"), name, text)
}

/// Keys (`section.key`) whose embedded default is marked ESTIMATE in `defaults.toml`.
pub fn estimated_defaults() -> &'static [String] {
    static KEYS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut section = String::new();
        let mut keys = Vec::new();
        for line in DEFAULTS_TOML.lines() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
                section = format!("{name}.");
            } else if let Some((key, rest)) = line.split_once('=')
                && rest.contains("ESTIMATE")
                && !key.trim_start().starts_with('#')
            {
                keys.push(format!("{section}{}", key.trim()));
            }
        }
        keys
    })
}

/// The part of `SOURCES.md` about one topic (`regions/` or `breeds/`), for `telur data`.
pub fn sources_section(prefix: &str) -> &'static str {
    let start = SOURCES_MD.find(&format!("## {prefix}")).unwrap_or(0);
    let rest = &SOURCES_MD[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4);
    rest[..end].trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        let r = indonesia();
        assert_eq!(r.len(), 34);
        assert!(r.find("Kepulauan Riau").is_some());
        assert!(r.find("21").is_some());
        for name in BUILTIN_BREEDS {
            let b = builtin_breed(name).unwrap();
            assert!(b.points.len() > 50, "{name}");
        }
        assert!(builtin_breed("builtin:indonesia").is_err());
    }

    #[test]
    fn estimated_defaults_are_read_from_the_comments() {
        let keys = estimated_defaults();
        assert!(keys.contains(&"market.price_band_width".to_string()));
        assert!(keys.contains(&"flock.hens_per_kube".to_string()));
        assert!(!keys.contains(&"market.hub_egg_price_rp_per_kg".to_string()));
        assert!(!keys.contains(&"weeks".to_string()));
    }

    #[test]
    fn sources_sections_are_found() {
        assert!(sources_section("regions/").starts_with("## regions/indonesia-2019.csv"));
        assert!(sources_section("regions/").contains("ESTIMATE"));
        assert!(sources_section("breeds/").starts_with("## breeds/"));
        assert!(!sources_section("breeds/").contains("## defaults.toml"));
    }
}
