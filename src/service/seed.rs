//! `seed --demo`: the example graph of the design notes, loaded idempotently through the same
//! writes (and change log) as every other entry point.

use std::collections::HashMap;
use std::fmt;

use super::organization::ensure_in;
use super::{Actor, transaction};
use crate::domain::change::NewChange;
use crate::domain::course_key::CourseKey;
use crate::domain::demo::{COURSES, ORGANIZATIONS, PARTNERS, SITES};
use crate::domain::names::{
    Description, Domain, Parse, PartnerCode, PartnerName, ShortName, SiteName, Url,
};
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

/// A demo value, which must hold its type's rules like any other.
fn value<T: Parse>(text: &str) -> AppResult<T> {
    T::parse(text).map_err(|_| invalid(text))
}

/// Loads the demo graph in one transaction; running it again adds nothing.
pub async fn demo(actor: Actor<'_>) -> AppResult<SeedReport> {
    transaction!(actor, |write| {
        let mut report = SeedReport::default();
        let mut org_ids = HashMap::new();
        for (short, name, description) in ORGANIZATIONS {
            let short_name: ShortName = value(short)?;
            let ensured = ensure_in(write, &short_name, Some(&value(name)?), true).await?;
            let mut organization = ensured.organization;
            if ensured.created {
                report.organizations += 1;
                let details = Details {
                    description: Some(Some(value::<Description>(description)?)),
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
            let code: PartnerCode = value(p.code)?;
            let name: PartnerName = value(p.name)?;
            let fields = partners::Fields {
                name: None,
                lms_url: Some(Some(value::<Url>(p.lms)?)),
                studio_url: Some(Some(value::<Url>(p.studio)?)),
                marketing_site_url: Some(Some(value::<Url>(p.marketing)?)),
                active: Some(true),
            };
            let partner = match partners::insert(write.txn(), &code, &name, fields).await? {
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
            let domain: Domain = value(domain)?;
            let name: SiteName = value(name)?;
            let partner = partner_rows
                .get(partner_code)
                .ok_or_else(|| invalid(partner_code))?;
            let fields = sites::Fields {
                name: None,
                partner_id: Some(Some(partner.id)),
                active: Some(true),
            };
            let site = match sites::insert(write.txn(), &domain, &name, fields).await? {
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
            let key = CourseKey::parse_stored(key).map_err(|_| invalid(key))?;
            for org in *linked {
                let organization = org_ids.get(org).ok_or_else(|| invalid(org))?;
                if write.link(&key, organization.id).await? {
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
