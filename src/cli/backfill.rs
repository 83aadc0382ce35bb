//! `backfill [FILE] [--apply] [--inactive]`: reads keys, runs the backfill, prints the plan or
//! what was written on stdout and invalid keys on stderr.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::domain::backfill::{BackfillOptions, BackfillReport, PlannedLink};
use crate::domain::scope::Scope;
use crate::service::backfill;

/// Exit status when some keys were invalid (and skipped).
const INVALID_KEYS: u8 = 2;

pub async fn run(
    config: &Config,
    scope: &Scope,
    file: Option<PathBuf>,
    opts: BackfillOptions,
) -> anyhow::Result<ExitCode> {
    let lines = read_lines(file)?;
    let db = super::connect_for(&config.database_url, opts.apply).await?;
    // A bar only for a person watching; logs and pipes get nothing.
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    let actor = super::operator(&db, scope, config);
    let report = backfill::run(actor, lines, opts, bar.as_ref())
        .await
        .map_err(super::operator_error);
    crate::db::open::close(db).await;
    let report = report?;
    let mut out = std::io::stdout().lock();
    print_report(&mut out, &report)?;
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for key in &report.invalid_keys {
        writeln!(
            err,
            "line {}: invalid course key {:?}: {}",
            key.line, key.key, key.reason
        )?;
    }
    Ok(if report.invalid_keys.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(INVALID_KEYS)
    })
}

/// Numbered lines of FILE, or of stdin when it is absent or `-`. Bytes that are not UTF-8 are
/// replaced, so such a line is reported as an invalid key instead of failing the whole run.
fn read_lines(file: Option<PathBuf>) -> anyhow::Result<Vec<(usize, String)>> {
    let bytes = match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
            buf
        }
    };
    Ok(bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, String::from_utf8_lossy(line).into_owned()))
        .collect())
}

pub(super) fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:24} [{bar:40}] {human_pos}/{human_len} {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn print_report(out: &mut impl Write, report: &BackfillReport) -> std::io::Result<()> {
    let (create, reactivate) = if report.applied {
        ("created", "reactivated")
    } else {
        ("to create", "to reactivate")
    };
    writeln!(
        out,
        "keys: {} valid, {} invalid",
        report.keys_read,
        report.invalid_keys.len()
    )?;
    writeln!(
        out,
        "organizations {create}: {}",
        report.organizations_created
    )?;
    for name in &report.organizations_to_create {
        writeln!(out, "  {name}")?;
    }
    writeln!(
        out,
        "organizations {reactivate}: {}",
        report.organizations_reactivated
    )?;
    for name in &report.organizations_to_reactivate {
        writeln!(out, "  {name}")?;
    }
    writeln!(out, "links {create}: {}", report.links_created)?;
    print_sample(out, &report.sample_links_to_create, report.links_created)?;
    writeln!(
        out,
        "links {reactivate}: {} ({} with their organizations)",
        report.links_reactivated, report.links_reactivated_with_organizations
    )?;
    let named = report.links_reactivated - report.links_reactivated_with_organizations;
    print_sample(out, &report.sample_links_to_reactivate, named)?;
    if report.applied {
        writeln!(out, "applied")
    } else {
        writeln!(out, "dry run: nothing written (pass --apply to write)")
    }
}

fn print_sample(out: &mut impl Write, sample: &[PlannedLink], total: u64) -> std::io::Result<()> {
    for link in sample {
        writeln!(out, "  {} -> {}", link.course_key, link.organization)?;
    }
    let more = total.saturating_sub(sample.len() as u64);
    if more > 0 {
        writeln!(out, "  ... and {more} more")?;
    }
    Ok(())
}
