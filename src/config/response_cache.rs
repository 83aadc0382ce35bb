//! The response cache's settings (`src/pipeline/response_cache.rs`).

use clap::Args;

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
    /// `16MiB`, `512KiB`, `1GiB`. The least useful answers are evicted past it.
    #[arg(
        long = "response-cache-bytes",
        env = "TENANCY_RESPONSE_CACHE_BYTES",
        default_value = "16MiB",
        value_parser = parse_bytes,
        global = true
    )]
    pub bytes: u64,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            enabled: true,
            bytes: 16 * 1024 * 1024,
        }
    }
}

/// `1048576`, `512KiB`, `16MiB`, `1GiB` (also `KB`, `MB`, `GB`, as powers of 1,024 too: a cache
/// bound needs no precision); 0 is refused (`--response-cache false` turns the cache off).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let form = || format!("{text:?} is not a size such as 16MiB, 512KiB or 1048576");
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| form())?;
    let unit = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(form()),
    };
    match n.checked_mul(unit) {
        Some(0) => Err("expected 1 byte or more (--response-cache false turns it off)".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(form()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_and_without_units() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("512 kib"), Ok(512 << 10));
        assert_eq!(parse_bytes("1GB"), Ok(1 << 30));
        for bad in [
            "0",
            "0MiB",
            "",
            "MiB",
            "12 parsecs",
            "-1",
            "99999999999999GiB",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }
}
