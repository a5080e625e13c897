//! The data files a scenario names: the regions table and breed curves, embedded
//! (`builtin:...`) or CSV files relative to the scenario.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use super::read::{Node, Reader};
use super::{DataFile, Source, read_text};
use crate::data::{self, Breed, Regions};

/// How a data file is named in messages: relative paths are shown from the scenario.
pub fn file_name(source: &Source, reference: &str) -> String {
    match &source.dir {
        Some(dir) if !reference.starts_with("builtin:") => {
            dir.join(reference).display().to_string()
        }
        _ => reference.to_string(),
    }
}

/// The data files read so far, so a breed named by several placements is read once.
pub struct Files<'s> {
    source: &'s Source,
    breeds: Vec<(String, Arc<Breed>, DataFile)>,
}

impl<'s> Files<'s> {
    pub fn new(source: &'s Source) -> Files<'s> {
        Files {
            source,
            breeds: Vec::new(),
        }
    }

    /// Reads a data file by reference; `key` and `node` place an error.
    pub fn load(
        &mut self,
        r: &mut Reader,
        key: &str,
        reference: &str,
        node: Option<&Node>,
    ) -> Option<DataFile> {
        let span = node.map(Node::span);
        if reference.starts_with("builtin:") {
            let allowed: &[&str] = if key == "regions" {
                &data::BUILTIN_REGIONS
            } else {
                &data::BUILTIN_BREEDS
            };
            return match data::builtin_text(reference).filter(|_| allowed.contains(&reference)) {
                Some(text) => Some(DataFile {
                    reference: reference.to_string(),
                    text: Cow::Borrowed(text),
                }),
                None => {
                    r.error(
                        span,
                        key,
                        format!(
                            "unknown {reference:?}; expected {} or a CSV file",
                            allowed.join(", ")
                        ),
                    );
                    None
                }
            };
        }
        let path = match &self.source.dir {
            Some(dir) => dir.join(reference),
            None => PathBuf::from(reference),
        };
        match read_text(&path) {
            Ok(text) => Some(DataFile {
                reference: reference.to_string(),
                text: Cow::Owned(text),
            }),
            Err(e) => {
                r.error(span, key, format!("{}: {e}", path.display()));
                None
            }
        }
    }

    /// Reads and parses a breed, or returns the one read before under that reference.
    pub fn breed(
        &mut self,
        r: &mut Reader,
        key: &str,
        reference: &str,
        node: Option<&Node>,
    ) -> Option<(Arc<Breed>, DataFile)> {
        if let Some((_, breed, file)) = self.breeds.iter().find(|(name, ..)| name == reference) {
            return Some((breed.clone(), file.clone()));
        }
        let file = self.load(r, key, reference, node)?;
        let name = reference.trim_start_matches("builtin:");
        let breed = Breed::parse(name, &file_name(self.source, &file.reference), &file.text)
            .map_err(|e| r.errors.push(e))
            .ok()?;
        let breed = Arc::new(breed);
        self.breeds
            .push((reference.to_string(), breed.clone(), file.clone()));
        Some((breed, file))
    }
}

/// Parses the regions table.
pub fn regions(r: &mut Reader, source: &Source, file: &DataFile) -> Option<Regions> {
    Regions::parse(&file_name(source, &file.reference), &file.text)
        .map_err(|e| r.errors.push(e))
        .ok()
}
