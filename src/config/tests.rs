//! Defaults and parsing of the settings.

use super::*;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    limits: Limits,
}

#[test]
fn limits_default_to_their_documented_values_and_take_flags() -> Result<(), String> {
    let cli = Cli::try_parse_from(["serve"]).map_err(|e| e.to_string())?;
    assert_eq!(
        cli.limits,
        Limits::DEFAULT,
        "clap's defaults match Limits::DEFAULT"
    );
    let cli = Cli::try_parse_from([
        "serve",
        "--max-query-depth=3",
        "--max-query-complexity=40",
        "--max-batch-size=2",
        "--max-body-bytes=1000",
        "--request-timeout=250ms",
        "--max-inflight-per-client=3",
        "--max-concurrent-queries=5",
        "--max-query-cost=900",
        "--max-response-bytes=4096",
        "--header-read-timeout=2s",
        "--body-read-timeout=3s",
        "--max-connections=7",
        "--client-queue-timeout=100ms",
        "--max-queued-per-client=9",
    ])
    .map_err(|e| e.to_string())?;
    assert_eq!(
        cli.limits,
        Limits {
            query_depth: 3,
            query_complexity: 40,
            batch_size: 2,
            body_bytes: 1000,
            request_timeout: Duration::from_millis(250),
            inflight_per_client: 3,
            concurrent_queries: 5,
            query_cost: 900,
            response_bytes: 4096,
            header_read_timeout: Duration::from_secs(2),
            body_read_timeout: Duration::from_secs(3),
            connections: 7,
            client_queue_timeout: Duration::from_millis(100),
            queued_per_client: 9,
        }
    );
    Ok(())
}

#[test]
fn query_slots_default_by_engine() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let auto = Limits::DEFAULT;
    assert_eq!(auto.query_slots("sqlite://x.db"), cores);
    assert_eq!(auto.query_slots("postgres://h/db"), 4 * cores);
    let set = Limits {
        concurrent_queries: 3,
        ..Limits::DEFAULT
    };
    assert_eq!(set.query_slots("sqlite://x.db"), 3);
}

#[test]
fn durations_parse_with_units() {
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    for bad in ["", "s", "0s", "0", "-1s", "soon"] {
        assert!(parse_duration(bad).is_err(), "{bad:?}");
    }
    assert_eq!(parse_leeway("0s"), Ok(Duration::ZERO));
    assert_eq!(parse_leeway("0"), Ok(Duration::ZERO));
}

#[test]
fn sizes_and_counts_refuse_zero() {
    assert_eq!(parse_bytes("2097152"), Ok(2 * 1024 * 1024));
    assert_eq!(parse_bytes("2MiB"), Ok(2 * 1024 * 1024));
    assert_eq!(parse_bytes("512 KiB"), Ok(512 * 1024));
    // One reading of units for every size setting (bytesize's): MB is 10^6, MiB 2^20.
    assert_eq!(parse_bytes("1MB"), Ok(1_000_000));
    for bad in ["0", "0KiB", "lots", "-1"] {
        assert!(parse_bytes(bad).is_err(), "{bad:?}");
    }
    assert_eq!(at_least_one("3"), Ok(3));
    assert!(at_least_one("0").is_err_and(|e| e.contains("1 or more")));
}

#[test]
fn trusted_proxy_ranges_parse_and_match() -> Result<(), String> {
    let net: Cidr = "10.0.0.0/8".parse()?;
    assert!(net.contains("10.1.2.3".parse().map_err(|_| "ip")?));
    assert!(!net.contains("11.1.2.3".parse().map_err(|_| "ip")?));
    assert!(net.contains("::ffff:10.0.0.1".parse().map_err(|_| "ip")?));
    let one: Cidr = "::1".parse()?;
    assert!(one.contains("::1".parse().map_err(|_| "ip")?));
    let all: Cidr = "0.0.0.0/0".parse()?;
    assert!(all.contains("192.0.2.1".parse().map_err(|_| "ip")?));
    assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    assert!("example.com".parse::<Cidr>().is_err());
    Ok(())
}
