//! The rows import writes, each logged: organizations (their own active flags, no cascade to
//! links, which carry theirs), partners (names are unique, so a taken one is renamed) and
//! sites.

use entity::{organization, partner, site};

use super::{TableCounts, count};
use crate::access::{Scope, decide as authz};
use crate::domain::backfill::Progress;
use crate::domain::change::NewChange;
use crate::domain::import::Plan;
use crate::domain::names::{Description, Key, Parse, PartnerName, Url};
use crate::error::{AppError, AppResult};
use crate::repo::organization::write::{self as orgs, Details, NewRow};
use crate::repo::partner::write as partners;
use crate::repo::site::write as sites;
use crate::service::Write;

fn lost(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "a {what} row vanished inside the import's transaction"
    ))
}

pub(super) async fn write_organizations(
    write: &mut Write,
    plan: &Plan,
    tables: &mut [TableCounts],
    progress: &Progress,
    scope: &Scope,
) -> AppResult<Vec<organization::Model>> {
    progress.phase("organizations", plan.organizations.len());
    let mut rows = Vec::with_capacity(plan.organizations.len());
    let keys: Vec<Key> = plan.organizations.iter().map(|o| o.name.key()).collect();
    let mut existing_rows = orgs::find_many(write.txn(), &keys).await?;
    // New ones in bulk (ten thousand must not cost twenty thousand round trips).
    let mut new = Vec::new();
    for (planned, key) in plan.organizations.iter().zip(&keys) {
        authz::require_filter_allows(scope, &planned.name)?;
        if !existing_rows.contains_key(key.as_str()) {
            new.push(NewRow {
                name: &planned.name,
                display_name: &planned.display_name,
                description: planned.description.clone(),
                logo_url: planned.logo_url.clone(),
                active: planned.active,
            });
        }
    }
    let mut created_rows = orgs::insert_many(write.txn(), &new).await?;
    drop(new);
    for (planned, key) in plan.organizations.iter().zip(&keys) {
        let written = match existing_rows.remove(key.as_str()) {
            None => {
                let created = created_rows
                    .remove(key.as_str())
                    .ok_or_else(|| lost("organization"))?;
                write.log(NewChange::organization(None, &created));
                count(tables, 0, true, false);
                created
            }
            Some(existing) => {
                let mut current = existing.clone();
                let same = current.name == planned.display_name.as_str()
                    && current.description.as_deref()
                        == planned.description.as_ref().map(Description::as_str)
                    && current.logo_url.as_deref() == planned.logo_url.as_ref().map(Url::as_str);
                if !same {
                    let details = Details {
                        name: Some(planned.display_name.clone()),
                        description: Some(planned.description.clone()),
                        logo_url: Some(planned.logo_url.clone()),
                    };
                    current = orgs::update_details(write.txn(), &current, details).await?;
                }
                if current.active != planned.active {
                    // Links keep their own flags from the source, so no cascade here.
                    current = orgs::set_active(write.txn(), &current, planned.active).await?;
                }
                let changed = current != existing;
                write.log(NewChange::organization(Some(&existing), &current));
                count(tables, 0, false, changed);
                current
            }
        };
        rows.push(written);
        progress.inc(1);
    }
    Ok(rows)
}

fn url(u: &Option<Url>) -> Option<&str> {
    u.as_ref().map(Url::as_str)
}

pub(super) async fn write_partners(
    write: &mut Write,
    plan: &Plan,
    tables: &mut [TableCounts],
    conflicts: &mut Vec<String>,
) -> AppResult<Vec<partner::Model>> {
    let mut rows = Vec::with_capacity(plan.partners.len());
    for planned in &plan.partners {
        let existing = partners::find(write.txn(), &planned.code).await?;
        // Partner names are unique too: a name another partner holds would fail the transaction.
        let mut name = planned.name.clone();
        if partners::name_taken(write.txn(), &name, existing.as_ref().map(|p| p.id)).await? {
            let code = planned.code.as_str();
            // The code's part of the name first: a name of 128 characters loses its end.
            let suffix = format!(" ({code})");
            let room = PartnerName::MAX - suffix.chars().count();
            let base: String = planned.name.as_str().chars().take(room).collect();
            name = PartnerName::parse(&format!("{}{suffix}", base.trim_end()))
                .map_err(|e| AppError::internal(anyhow::anyhow!("partner name {e}")))?;
            conflicts.push(format!(
                "partner {code:?}: another partner is named {:?}: named {:?}",
                planned.name.as_str(),
                name.as_str()
            ));
        }
        let fields = partners::Fields {
            name: Some(name.clone()),
            lms_url: Some(planned.lms_url.clone()),
            studio_url: Some(planned.studio_url.clone()),
            marketing_site_url: Some(planned.marketing_site_url.clone()),
            active: Some(true),
        };
        let written = match existing {
            None => {
                let created = partners::insert(write.txn(), &planned.code, &name, fields)
                    .await?
                    .ok_or_else(|| lost("partner"))?;
                write.log(NewChange::partner(None, &created));
                count(tables, 2, true, false);
                created
            }
            Some(existing) => {
                let same = existing.name == name.as_str()
                    && existing.lms_url.as_deref() == url(&planned.lms_url)
                    && existing.studio_url.as_deref() == url(&planned.studio_url)
                    && existing.marketing_site_url.as_deref() == url(&planned.marketing_site_url)
                    && existing.active;
                if same {
                    count(tables, 2, false, false);
                    existing
                } else {
                    let updated = partners::update(write.txn(), &existing, fields).await?;
                    write.log(NewChange::partner(Some(&existing), &updated));
                    count(tables, 2, false, true);
                    updated
                }
            }
        };
        rows.push(written);
    }
    Ok(rows)
}

pub(super) async fn write_sites(
    write: &mut Write,
    plan: &Plan,
    partner_rows: &[partner::Model],
    tables: &mut [TableCounts],
) -> AppResult<Vec<site::Model>> {
    let mut site_rows = Vec::new();
    for planned in &plan.sites {
        let partner = planned.partner.map(|p| &partner_rows[p]);
        let fields = sites::Fields {
            name: Some(planned.name.clone()),
            partner_id: partner.map(|p| Some(p.id)),
            active: Some(true),
        };
        let code = partner.map(|p| p.short_code.as_str());
        let row = match sites::find(write.txn(), &planned.domain).await? {
            None => {
                let created = sites::insert(write.txn(), &planned.domain, &planned.name, fields)
                    .await?
                    .ok_or_else(|| lost("site"))?;
                write.log(NewChange::site(None, (&created, code)));
                count(tables, 3, true, false);
                created
            }
            Some(existing) => {
                let same = existing.name == planned.name.as_str()
                    && existing.active
                    && (partner.is_none() || existing.partner_id == partner.map(|p| p.id));
                if same {
                    count(tables, 3, false, false);
                    existing
                } else {
                    let before_code = match existing.partner_id {
                        Some(id) => partners::find_by_id(write.txn(), id)
                            .await?
                            .map(|p| p.short_code),
                        None => None,
                    };
                    let updated = sites::update(write.txn(), &existing, fields).await?;
                    let after_code = code.map(str::to_owned).or(before_code.clone());
                    write.log(NewChange::site(
                        Some((&existing, before_code.as_deref())),
                        (&updated, after_code.as_deref()),
                    ));
                    count(tables, 3, false, true);
                    updated
                }
            }
        };
        site_rows.push(row);
    }
    Ok(site_rows)
}
