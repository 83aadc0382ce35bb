//! The response cache's settings (`src/pipeline/response_cache.rs`).

use clap::Args;

use super::parse_bytes;

/// Whole query answers kept in memory and reused for the same request by a caller with the
/// same view, until any change is committed.
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct ResponseCache {
    /// Reuse the answer to a repeated query (same document, variables, caller's view and Host)
    /// until the change log moves; `false` runs every query.
    #[arg(
        long = "response-cache",
        env = "TENANCY_RESPONSE_CACHE",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
        global = true
    )]
    pub enabled: bool,

    /// Memory the response cache may hold (answers and their keys), in bytes or with a unit:
    /// `16MiB`, `512KiB`, `1GiB` (`MB` and `KB` are powers of 1,000, as in every size setting).
    /// The least useful answers are evicted past it.
    #[arg(
        long = "response-cache-bytes",
        env = "TENANCY_RESPONSE_CACHE_BYTES",
        default_value = "16MiB",
        value_parser = parse_bytes,
        global = true
    )]
    pub bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            enabled: true,
            bytes: 16 * 1024 * 1024,
        }
    }
}
