//! `seed --demo`: the example graph of the design notes, loaded idempotently through the same
//! writes (and change log) as every other entry point.

use std::collections::HashMap;
use std::fmt;

use super::organization::ensure_in;
use super::{Actor, transaction};
use crate::domain::change::NewChange;
use crate::domain::course_key::CourseKey;
use crate::domain::demo::{COURSES, ORGANIZATIONS, PARTNERS, SITES};
use crate::domain::names::{Domain, PartnerCode, ShortName};
use crate::error::{AppError, AppResult};
use crate::repo::organization::write::{self as orgs, Details};
use crate::repo::{self, partner::write as partners, site::write as sites};

#[derive(Debug, Default)]
pub struct SeedReport {
    pub partners: usize,
    pub organizations: usize,
    pub sites: usize,
    pub course_links: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data loaded: {} partners, {} organizations, {} sites, {} course links (new rows only)",
            self.partners, self.organizations, self.sites, self.course_links
        )
    }
}

fn invalid(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("invalid demo value {what}"))
}

/// Loads the demo graph in one transaction; running it again adds nothing.
pub async fn demo(actor: Actor<'_>) -> AppResult<SeedReport> {
    transaction!(actor, |write| {
        let mut report = SeedReport::default();
        let mut org_ids = HashMap::new();
        for (short, name, description) in ORGANIZATIONS {
            let short_name = ShortName::parse(short).map_err(|_| invalid(short))?;
            let ensured = ensure_in(write, &short_name, Some(name), true).await?;
            let mut organization = ensured.organization;
            if ensured.created {
                report.organizations += 1;
                let details = Details {
                    description: Some(Some(description.to_string())),
                    ..Details::default()
                };
                let before = organization.clone();
                organization = orgs::update_details(write.txn(), &before, details).await?;
                // The row is new in this transaction: its history is one creation, as written.
                write.replace_last(NewChange::organization(None, &organization));
            }
            org_ids.insert(*short, organization);
        }
        let mut partner_rows = HashMap::new();
        for p in PARTNERS {
            let code = PartnerCode::parse(p.code).map_err(|_| invalid(p.code))?;
            let fields = partners::Fields {
                name: Some(p.name.to_owned()),
                lms_url: Some(Some(p.lms.to_owned())),
                studio_url: Some(Some(p.studio.to_owned())),
                marketing_site_url: Some(Some(p.marketing.to_owned())),
                active: Some(true),
            };
            let partner = match partners::insert(write.txn(), &code, fields).await? {
                Some(created) => {
                    report.partners += 1;
                    write.log(NewChange::partner(None, &created));
                    created
                }
                None => partners::find(write.txn(), &code)
                    .await?
                    .ok_or_else(|| invalid(p.code))?,
            };
            for org in p.organizations {
                let organization = org_ids.get(org).ok_or_else(|| invalid(org))?;
                if repo::membership::add_to_partner(write.txn(), partner.id, organization.id)
                    .await?
                {
                    write.log(Some(NewChange::partner_membership(
                        &partner,
                        organization,
                        true,
                    )));
                }
            }
            partner_rows.insert(p.code, partner);
        }
        for (domain, name, partner_code, presented) in SITES {
            let domain = Domain::parse(domain).map_err(|_| invalid(domain))?;
            let partner = partner_rows
                .get(partner_code)
                .ok_or_else(|| invalid(partner_code))?;
            let fields = sites::Fields {
                name: Some((*name).to_owned()),
                partner_id: Some(Some(partner.id)),
                active: Some(true),
            };
            let site = match sites::insert(write.txn(), &domain, fields).await? {
                Some(created) => {
                    report.sites += 1;
                    write.log(NewChange::site(None, (&created, Some(&partner.short_code))));
                    created
                }
                None => sites::find(write.txn(), &domain)
                    .await?
                    .ok_or_else(|| invalid(domain.as_str()))?,
            };
            for org in *presented {
                let organization = org_ids.get(org).ok_or_else(|| invalid(org))?;
                if repo::membership::add_to_site(write.txn(), site.id, organization.id).await? {
                    write.log(Some(NewChange::site_membership(&site, organization, true)));
                }
            }
        }
        for (key, linked) in COURSES {
            let key = CourseKey::parse(key).map_err(|_| invalid(key))?;
            for org in *linked {
                let organization = org_ids.get(org).ok_or_else(|| invalid(org))?;
                if repo::course::write::insert_if_absent(write.txn(), &key, organization.id).await?
                {
                    report.course_links += 1;
                    write.log(NewChange::course_link(
                        organization,
                        key.as_str(),
                        None,
                        true,
                    ));
                }
            }
        }
        Ok(report)
    })
}
