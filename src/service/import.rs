//! `import` (docs/adopting.md): reads the services' databases, merges them (`domain::import`) and
//! writes the graph in one transaction with its change log. A dry run writes the same way and
//! rolls back, so the plan it prints counts exactly what `--apply` would do.

mod links;
mod rows;

use self::links::write_links;
use self::rows::{write_organizations, write_partners, write_sites};
use sea_orm::DatabaseConnection;

use super::{Actor, Write, transaction};
use crate::access::Scope;
use crate::access::decide as authz;
use crate::domain::backfill::Progress;
use crate::domain::change::NewChange;
use crate::domain::import::{self as dom, Sources};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::repo::import::{self as source, discovery, ecommerce, lms};

/// Where to read from (database URLs).
#[derive(Clone, Debug, Default)]
pub struct SourceUrls {
    pub lms: Option<String>,
    pub discovery: Option<String>,
    pub ecommerce: Option<String>,
    pub media_url: Option<String>,
}

/// Rows of one table: created, updated (reactivations and deactivations included), unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub table: &'static str,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub applied: bool,
    pub tables: Vec<TableCounts>,
    pub conflicts: Vec<String>,
}

/// A source database as the person gave it: the setting and what it must be.
struct Source {
    setting: &'static str,
    expected: &'static str,
}

const LMS: Source = Source {
    setting: "--lms-database",
    expected: "the LMS's database (edx-platform's, with edx-organizations' tables)",
};
const DISCOVERY: Source = Source {
    setting: "--discovery-database",
    expected: "course-discovery's database",
};
const ECOMMERCE: Source = Source {
    setting: "--ecommerce-database",
    expected: "ecommerce's database",
};

impl Source {
    /// A user's mistake about this source (`repo::import::SourceProblem`) as `BAD_USER_INPUT`
    /// naming the setting, the value, what was expected and a hint; any other error unchanged.
    fn blame(&self, url: &str) -> impl Fn(AppError) -> AppError {
        move |err| {
            let found = match &err {
                AppError::Internal(inner) => inner.downcast_ref::<source::SourceProblem>(),
                _ => None,
            };
            match found {
                Some(p) => AppError::bad_input(
                    self.setting,
                    format!(
                        "{}: {}: expected {}; hint: {}",
                        crate::db::open::display(url),
                        p.problem,
                        self.expected,
                        p.hint
                    ),
                ),
                None => err,
            }
        }
    }
}

/// Reads every source given; `organizations` (from the REST API) replaces the LMS's tables.
pub async fn read(
    urls: &SourceUrls,
    organizations: Option<Vec<dom::SourceOrg>>,
) -> AppResult<Sources> {
    let mut sources = Sources {
        media_url: urls.media_url.clone(),
        organizations: organizations.unwrap_or_default(),
        ..Sources::default()
    };
    if let Some(url) = &urls.lms {
        read_lms(url, &mut sources).await.map_err(LMS.blame(url))?;
    }
    if let Some(url) = &urls.discovery {
        let db = source::connect(url).await.map_err(DISCOVERY.blame(url))?;
        read_discovery(&db, &mut sources)
            .await
            .map_err(DISCOVERY.blame(url))?;
    }
    if let Some(url) = &urls.ecommerce {
        let db = source::connect(url).await.map_err(ECOMMERCE.blame(url))?;
        read_ecommerce(&db, &mut sources)
            .await
            .map_err(ECOMMERCE.blame(url))?;
    }
    Ok(sources)
}

async fn read_lms(url: &str, sources: &mut Sources) -> AppResult<()> {
    let mut clock = Clock::start();
    let db = source::connect(url).await?;
    if sources.organizations.is_empty() {
        sources.organizations = lms::organizations(&db).await?;
    }
    clock.lap("read lms organizations");
    sources.links = lms::links(&db).await?;
    clock.lap("read lms links");
    read_lms_sites(&db, sources).await
}

/// The LMS's sites and the organizations its site configurations filter on.
pub async fn read_lms_sites(db: &DatabaseConnection, sources: &mut Sources) -> AppResult<()> {
    sources.sites.extend(lms::site_list(db).await?);
    sources.site_orgs.extend(lms::site_orgs(db).await?);
    Ok(())
}

/// course-discovery's partners (and their sites) and its organizations of each partner.
pub async fn read_discovery(db: &DatabaseConnection, sources: &mut Sources) -> AppResult<()> {
    for (partner, domain) in discovery::partners(db).await? {
        if let Some(domain) = domain {
            sources
                .site_partners
                .push((domain, partner.short_code.clone()));
        }
        sources.partners.push(("discovery", partner));
    }
    sources
        .partner_orgs
        .extend(discovery::organizations(db).await?);
    Ok(())
}

/// ecommerce's partners and which partner each site sells for.
pub async fn read_ecommerce(db: &DatabaseConnection, sources: &mut Sources) -> AppResult<()> {
    for partner in ecommerce::partners(db).await? {
        sources.partners.push(("ecommerce", partner));
    }
    for (domain, name, code) in ecommerce::site_partners(db).await? {
        sources.sites.push((domain.clone(), name));
        sources.site_partners.push((domain, code));
    }
    Ok(())
}

/// Logs (at debug level) how long each phase took: the import benchmark's profile
/// (`RUST_LOG=tenancy_gateway::service::import=debug`).
struct Clock(std::time::Instant);

impl Clock {
    fn start() -> Self {
        Clock(std::time::Instant::now())
    }

    fn lap(&mut self, phase: &str) {
        let ms = self.0.elapsed().as_millis();
        tracing::debug!(phase, ms, "import phase");
        self.0 = std::time::Instant::now();
    }
}

fn count(tables: &mut [TableCounts], i: usize, created: bool, changed: bool) {
    let t = &mut tables[i];
    match (created, changed) {
        (true, _) => t.created += 1,
        (false, true) => t.updated += 1,
        _ => t.unchanged += 1,
    }
}

/// Writes the merged graph; commits only when `apply`.
pub async fn run(
    actor: Actor<'_>,
    sources: &Sources,
    apply: bool,
    progress: &Progress,
) -> AppResult<ImportReport> {
    authz::require_admin(actor.scope, "importing")?;
    let mut clock = Clock::start();
    let plan = dom::plan(sources);
    clock.lap("plan");
    transaction!(actor, |write| {
        repo::bulk::widen_cache(write.txn()).await?;
        let report = write_plan(write, &plan, actor.scope, apply, progress).await?;
        if !apply {
            write.roll_back();
        }
        Ok(report)
    })
}

/// Writes a plan in the transaction `write` (import's, or a follow round's), with its change
/// log; what it wrote, table by table, and the plan's conflicts. `apply: false` only counts the
/// links (the caller rolls back).
pub(crate) async fn write_plan(
    write: &mut Write,
    plan: &dom::Plan,
    scope: &Scope,
    apply: bool,
    progress: &Progress,
) -> AppResult<ImportReport> {
    let mut clock = Clock::start();
    let mut tables: Vec<TableCounts> = TABLES
        .into_iter()
        .map(|table| TableCounts {
            table,
            ..TableCounts::default()
        })
        .collect();
    let org_rows = write_organizations(write, plan, &mut tables, progress, scope).await?;
    clock.lap("organizations");
    // Links go last (see `links`), but are logged right after the organizations.
    let org_changes = write.take_changes();
    let mut conflicts = plan.conflicts.clone();
    let partner_rows = write_partners(write, plan, &mut tables, &mut conflicts).await?;
    let site_rows = write_sites(write, plan, &partner_rows, &mut tables).await?;
    for &(p, o) in &plan.partner_orgs {
        let added =
            repo::membership::add_to_partner(write.txn(), partner_rows[p].id, org_rows[o].id)
                .await?;
        if added {
            write.log(Some(NewChange::partner_membership(
                &partner_rows[p],
                &org_rows[o],
                true,
            )));
        }
        count(&mut tables, 4, added, false);
    }
    for &(s, o) in &plan.site_orgs {
        let added =
            repo::membership::add_to_site(write.txn(), site_rows[s].id, org_rows[o].id).await?;
        if added {
            write.log(Some(NewChange::site_membership(
                &site_rows[s],
                &org_rows[o],
                true,
            )));
        }
        count(&mut tables, 5, added, false);
    }
    clock.lap("partners, sites, memberships");
    let other_changes = write.take_changes();
    write.log_all(org_changes);
    write_links(write, plan, &org_rows, &mut tables, progress, apply).await?;
    write.log_all(other_changes);
    clock.lap("links");
    progress.finish();
    Ok(ImportReport {
        applied: apply,
        tables,
        conflicts,
    })
}

/// The tables of `ImportReport`, in its order.
const TABLES: [&str; 6] = [
    "organizations",
    "course links",
    "partners",
    "sites",
    "partner organizations",
    "site organizations",
];
