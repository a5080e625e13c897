//! The progress bar on stderr.

use telur::sim;

/// A progress bar on stderr for the runs (placement x replicate) of a scenario; hidden
/// with `--quiet` or when stderr is not a terminal.
pub(super) struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    pub(super) fn new(quiet: bool) -> ProgressBar {
        let visible = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        ProgressBar {
            bar: visible.then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}",
                    )
                    .expect("a valid template"),
                );
                bar
            }),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl sim::Progress for ProgressBar {
    fn start(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for ProgressBar {
    /// An interrupted or failed run leaves no half-drawn bar behind.
    fn drop(&mut self) {
        self.finish();
    }
}
