//! Backfill benchmark: 1,000,000 course-run and library keys over 5,000 organizations
//! (deterministic) into a fresh database, then the same keys again (a no-op re-run).
//!
//! `cargo bench --bench backfill` runs SQLite, and PostgreSQL when `TENANCY_BENCH_POSTGRES_URL`
//! names a server (a superuser URL; a throwaway database is created on it and dropped after).
//! `bench/backfill.sh` starts a throwaway PostgreSQL itself. Each engine runs in its own child
//! process (this binary again), so the peak RSS printed is that engine's alone.

use std::process::{Command, ExitCode};
use std::time::Instant;

use sea_orm::ConnectionTrait;
use tenancy_gateway::access::Scope;
use tenancy_gateway::domain::backfill::{BackfillOptions, BackfillReport};
use tenancy_gateway::metrics::Metrics;
use tenancy_gateway::service::{Actor, backfill};

const KEYS: usize = 1_000_000;
const ORGS: usize = 5_000;
const ENGINE_VAR: &str = "TENANCY_BENCH_ENGINE";
const POSTGRES_VAR: &str = "TENANCY_BENCH_POSTGRES_URL";

fn main() -> ExitCode {
    match std::env::var(ENGINE_VAR) {
        Ok(engine) => child(&engine),
        Err(_) => parent(),
    }
}

fn parent() -> ExitCode {
    let mut engines = vec!["sqlite"];
    if std::env::var_os(POSTGRES_VAR).is_some() {
        engines.push("postgres");
    } else {
        eprintln!("PostgreSQL skipped: set {POSTGRES_VAR} or run bench/backfill.sh");
    }
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cannot find this benchmark's executable");
        return ExitCode::FAILURE;
    };
    let mut ok = true;
    for engine in engines {
        let status = Command::new(&exe).env(ENGINE_VAR, engine).status();
        ok &= matches!(status, Ok(s) if s.success());
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The n-th key: organizations interleaved, 200 keys each, in all four key grammars.
fn key(n: usize) -> String {
    let org = format!("Org{:04}X", n % ORGS);
    let i = n / ORGS;
    match i % 10 {
        0..=5 => format!("course-v1:{org}+CS{i:03}+{}_T{}", 2015 + i % 10, 1 + i % 3),
        6 => format!("{org}/OLD{i:03}/{}_Fall", 2012 + i % 5),
        7 => format!("library-v1:{org}+LIB{i:03}"),
        _ => format!("lib:{org}:library-{i:03}"),
    }
}

fn child(engine: &str) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(engine)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{engine}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(engine: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, admin) = match engine {
        "sqlite" => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
            None,
        ),
        _ => {
            let admin_url = std::env::var(POSTGRES_VAR)?;
            let name = format!("tg_bench_{}", std::process::id());
            let admin = sea_orm::Database::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin, name)))
        }
    };
    let result = measure(engine, &url).await;
    if let Some((admin, name)) = admin {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    result
}

async fn measure(engine: &str, url: &str) -> anyhow::Result<()> {
    let metrics = Metrics::new();
    let db = tenancy_gateway::db::connect(url, &metrics).await?;
    tenancy_gateway::db::migrate(&db).await?;
    let keys = || (0..KEYS).map(|n| (n + 1, key(n))).collect::<Vec<_>>();
    let opts = BackfillOptions {
        apply: true,
        inactive: false,
    };
    let scope = Scope::operator("backfill", Some("bench"));
    let actor = Actor {
        db: &db,
        scope: &scope,
        autocreate: true,
        retries: None,
        committed: None,
    };

    let input = keys();
    let before = metrics.sql_statements.get();
    let cpu = cpu_seconds();
    let started = Instant::now();
    let report = backfill::run(actor, input, opts, None)
        .await
        .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    let fresh = started.elapsed().as_secs_f64();
    if let (Some(a), Some(b)) = (cpu, cpu_seconds()) {
        println!(
            "backfill {engine:8} fresh apply: {:.2} CPU seconds in this process",
            b - a
        );
    }
    let statements = metrics.sql_statements.get() - before;
    check(&report, ORGS as u64, KEYS as u64)?;
    let fresh_rss = peak_rss_mib();
    print(engine, "fresh apply", fresh, statements, fresh_rss);

    let input = keys();
    let before = metrics.sql_statements.get();
    let started = Instant::now();
    let report = backfill::run(actor, input, opts, None)
        .await
        .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    let rerun = started.elapsed().as_secs_f64();
    let statements = metrics.sql_statements.get() - before;
    check(&report, 0, 0)?;
    print(engine, "re-run (no-op)", rerun, statements, peak_rss_mib());
    db.close().await?;
    Ok(())
}

fn check(report: &BackfillReport, orgs: u64, links: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        report.organizations_created == orgs
            && report.links_created == links
            && report.invalid_keys.is_empty(),
        "unexpected report: {} organizations, {} links, {} invalid keys",
        report.organizations_created,
        report.links_created,
        report.invalid_keys.len()
    );
    Ok(())
}

fn print(engine: &str, what: &str, seconds: f64, statements: u64, rss: Option<u64>) {
    let rss = rss.map_or_else(|| "?".to_owned(), |r| format!("{r} MiB"));
    println!(
        "backfill {engine:8} {what:15} {KEYS} keys / {ORGS} orgs: {seconds:6.2} s, {:>9.0} keys/s, \
         {statements} statements, peak RSS {rss}",
        KEYS as f64 / seconds
    );
}

/// CPU seconds (user + system) this process has used: with SQLite all the work is in this
/// process, so the difference around a run is its cost even on a busy machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `VmHWM` of this process (its peak resident set), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
