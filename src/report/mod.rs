//! Output writers: each takes results and a `Write` (or returns bytes), so they can be
//! tested on bytes. Only `crate::app` knows paths and folders.

pub mod charts;
pub mod csv;
pub mod format;
pub mod html;
pub mod load;
pub mod manifest;
pub mod optimize;
pub mod outline;
pub mod replicates;
pub mod resolved;
pub mod sensitivity;
