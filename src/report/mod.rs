//! Output writers: each takes results and a `Write`, so they can be tested on bytes.
//! Only `crate::app` knows paths and folders.

pub mod csv;
pub mod manifest;
pub mod resolved;
