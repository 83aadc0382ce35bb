//! A progress bar for long operations (backfill, import), phase by phase; nothing when not on a terminal.

use indicatif::ProgressBar;

/// An optional progress bar; each phase restarts it with its own length and message, and
/// leaves a line saying what the phase before it counted.
#[derive(Clone, Default)]
pub struct Progress(pub Option<ProgressBar>);

/// A phase with a known length: a bar with counts.
const BAR: &str = "{msg:24} [{bar:40}] {human_pos}/{human_len} {eta}";
/// A phase of unknown length (one statement): a spinner, never a full bar at 0/0.
const SPINNER: &str = "{msg:24} {spinner}";

impl Progress {
    /// Starts a phase of `len` steps (0: unknown, shown as a spinner).
    pub fn phase(&self, message: &'static str, len: usize) {
        let Some(bar) = &self.0 else { return };
        let done = bar.message();
        if !done.is_empty() && bar.length().is_some_and(|l| l > 0) {
            bar.println(format!("{done}: {}", bar.position()));
        }
        // Position and length first, so that no frame shows the last phase's count over the
        // new length.
        bar.set_position(0);
        bar.set_length(len as u64);
        let template = if len == 0 { SPINNER } else { BAR };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
    }

    pub fn inc(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(n as u64);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
