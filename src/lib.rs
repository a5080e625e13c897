//! telur: laying-hen programmes for poor families in Indonesia, simulated week by week.
//!
//! The data flow: a scenario file is read and validated ([`scenario`]) against embedded or
//! user data ([`data`]) into the [`model`]'s types (a world and its placements); [`sim`]
//! runs the equations of [`model`] for the baseline and every placement over the
//! replicates and hands [`results`] to [`report`], which writes the outputs. The `telur`
//! binary (`src/main.rs`, with its `cli` and `app` modules) ties it together. See
//! `ARCHITECTURE.md`.

pub mod data;
pub mod error;
pub mod model;
pub mod optimize;
pub mod report;
pub mod results;
pub mod scenario;
pub mod sensitivity;
pub mod sim;
pub mod stats;
