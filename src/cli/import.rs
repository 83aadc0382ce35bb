//! `import`: reads the LMS, discovery and ecommerce databases (or the organizations REST API),
//! prints the plan per table and the conflicts, and writes with `--apply`.

use std::io::{IsTerminal, Write};

use crate::access::Scope;
use crate::config::Config;
use crate::domain::backfill::Progress;
use crate::repo::import::organizations_api;
use crate::service::import::{self, ImportReport, SourceUrls};

pub struct ImportArgs {
    pub urls: SourceUrls,
    pub organizations_api: Option<String>,
    pub token: Option<String>,
    pub ca_cert: Option<std::path::PathBuf>,
    pub apply: bool,
}

pub async fn run(config: &Config, scope: &Scope, args: ImportArgs) -> anyhow::Result<()> {
    if args.urls.lms.is_none()
        && args.urls.discovery.is_none()
        && args.urls.ecommerce.is_none()
        && args.organizations_api.is_none()
    {
        anyhow::bail!(
            "nothing to import: pass --lms-database, --discovery-database, --ecommerce-database or --organizations-api"
        );
    }
    // The target first: a dry run on a missing database fails before reading any source.
    let db = super::connect_for(&config.database_url, args.apply, false).await?;
    let from_api = match &args.organizations_api {
        Some(url) => {
            let token = args
                .token
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("--organizations-api needs --token"))?;
            let ca_pem = match &args.ca_cert {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("--ca-cert {}: cannot read it: {e}", path.display())
                })?),
                None => None,
            };
            let client =
                organizations_api::client(ca_pem.as_deref()).map_err(super::operator_error)?;
            Some(
                organizations_api::organizations(&client, url, token)
                    .await
                    .map_err(super::operator_error)?,
            )
        }
        None => None,
    };
    let sources = import::read(&args.urls, from_api)
        .await
        .map_err(super::operator_error)?;
    let progress = Progress(
        std::io::stderr()
            .is_terminal()
            .then(super::backfill::progress_bar),
    );
    let report = import::run(
        super::operator(&db, scope, config),
        &sources,
        args.apply,
        &progress,
    )
    .await
    .map_err(super::operator_error);
    if args.apply {
        crate::db::open::close(db).await;
    } else {
        crate::db::open::release(db).await;
    }
    let report = report?;
    let mut out = std::io::stdout().lock();
    print_report(&mut out, &report)?;
    out.flush()?;
    Ok(())
}

fn print_report(out: &mut impl Write, report: &ImportReport) -> std::io::Result<()> {
    let verb = if report.applied {
        "written"
    } else {
        "plan (dry run: nothing written; pass --apply)"
    };
    writeln!(out, "import {verb}")?;
    writeln!(
        out,
        "{:<24} {:>9} {:>9} {:>9}",
        "table", "create", "update", "unchanged"
    )?;
    for t in &report.tables {
        writeln!(
            out,
            "{:<24} {:>9} {:>9} {:>9}",
            t.table, t.created, t.updated, t.unchanged
        )?;
    }
    if !report.conflicts.is_empty() {
        writeln!(out, "conflicts ({}):", report.conflicts.len())?;
        for c in &report.conflicts {
            writeln!(out, "  {c}")?;
        }
    }
    Ok(())
}
