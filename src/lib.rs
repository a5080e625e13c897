//! telur: laying-hen programmes for poor families in Indonesia, simulated week by week.
//!
//! The data flow: a scenario file is read and validated ([`scenario`]) against embedded or
//! user data ([`data`]); [`sim`] runs the equations of [`model`] for the baseline and every
//! placement; [`stats`] and [`metrics`] summarise; [`report`] writes the outputs; [`app`]
//! ties it together for the binary. See `ARCHITECTURE.md`.

pub mod app;
pub mod cli;
pub mod data;
pub mod error;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
