//! Cooperative cancellation: the app asks (on Ctrl-C), the engine stops at the next week.
//!
//! One process-wide flag, because a signal handler has nowhere else to put it. The weekly
//! loop and the ensemble read it; what they computed after it was set is thrown away.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks every running simulation to stop as soon as it can.
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Whether a stop has been asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
