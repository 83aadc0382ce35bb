//! Regexes built from constant patterns, compiled once on first use.
//!
//! A pattern that fails to compile (only a code change can cause that) matches nothing: input is
//! refused instead of a request panicking, and `check` lets the service refuse to start, which
//! `app` does for every pattern of the domain.

use std::sync::LazyLock;

use regex::{Captures, Regex};

pub struct Pattern(LazyLock<Result<Regex, regex::Error>>);

impl Pattern {
    pub const fn new(build: fn() -> Result<Regex, regex::Error>) -> Self {
        Pattern(LazyLock::new(build))
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.as_ref().is_ok_and(|re| re.is_match(text))
    }

    pub fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.0.as_ref().ok()?.captures(text)
    }

    /// Compiles the pattern now; its error if it does not compile.
    pub fn check(&self) -> Result<(), regex::Error> {
        self.0.as_ref().map(|_| ()).map_err(Clone::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pattern_matches_nothing_and_says_why() {
        // Built at run time: clippy refuses an invalid regex literal.
        static BROKEN: Pattern = Pattern::new(|| Regex::new(std::hint::black_box("(")));
        assert!(!BROKEN.is_match("("));
        assert!(BROKEN.captures("(").is_none());
        assert!(BROKEN.check().is_err());
        static FINE: Pattern = Pattern::new(|| Regex::new("^a+$"));
        assert!(FINE.is_match("aa") && FINE.check().is_ok());
    }
}
