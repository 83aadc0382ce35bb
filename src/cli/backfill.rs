//! `backfill [FILE] [--apply] [--inactive]`: reads keys, runs the backfill, prints the plan or
//! what was written on stdout and invalid keys on stderr.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::access::Scope;
use crate::config::Config;
use crate::domain::backfill::{BackfillOptions, BackfillReport, PlannedLink};
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
    let db = super::connect_for(&config.database_url, opts.apply, true).await?;
    // A bar only for a person watching; logs and pipes get nothing.
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    let actor = super::operator(&db, scope, config);
    let report = backfill::run(actor, lines, opts, bar.as_ref())
        .await
        .map_err(super::operator_error);
    if opts.apply {
        crate::db::open::close(db).await;
    } else {
        crate::db::open::release(db).await;
    }
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
    // The newline that ends the last line starts no line of its own.
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    Ok(bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, String::from_utf8_lossy(line).into_owned()))
        .collect())
}

/// A bar on stderr; each phase (`domain::backfill::Progress::phase`) gives it its style.
pub(super) fn progress_bar() -> ProgressBar {
    ProgressBar::new(0).with_style(ProgressStyle::default_spinner())
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
    print_names(out, &report.organizations_to_create)?;
    writeln!(
        out,
        "organizations {reactivate}: {}",
        report.organizations_reactivated
    )?;
    print_names(out, &report.organizations_to_reactivate)?;
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

/// At most `SHOWN` names, then how many more: a plan for thousands of organizations stays
/// readable, like the link samples.
fn print_names(out: &mut impl Write, names: &[String]) -> std::io::Result<()> {
    for name in names.iter().take(SHOWN) {
        writeln!(out, "  {name}")?;
    }
    if names.len() > SHOWN {
        writeln!(out, "  ... and {} more", names.len() - SHOWN)?;
    }
    Ok(())
}

/// Names listed before "... and N more" (the link samples hold as many).
pub(super) const SHOWN: usize = crate::domain::backfill::SAMPLE_LINKS;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_of_organizations_stop_at_ten() {
        let report = BackfillReport {
            organizations_created: 15,
            organizations_to_create: (0..15).map(|i| format!("Org{i:02}")).collect(),
            ..BackfillReport::default()
        };
        let mut out = Vec::new();
        print_report(&mut out, &report).unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("  Org09\n  ... and 5 more\n"), "{text}");
        assert!(!text.contains("Org10"), "{text}");
    }
}
