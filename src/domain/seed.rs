//! `seed --demo`: the example graph of the design notes, loaded idempotently.

use std::fmt;

use chrono::Utc;
use entity::{partner, partner_organization, site, site_organization};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::names::{Domain, PartnerCode, ShortName};
use super::{course, course_key::CourseKey, organization};
use crate::error::{AppError, AppResult};

struct DemoPartner {
    code: &'static str,
    name: &'static str,
    lms: &'static str,
    studio: &'static str,
    marketing: &'static str,
    organizations: &'static [&'static str],
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        code: "edx",
        name: "edX",
        lms: "https://courses.edx.org",
        studio: "https://studio.edx.org",
        marketing: "https://www.edx.org",
        // VJx, the MITx/HarvardX joint venture, belongs to the partner that holds both.
        organizations: &["MITx", "HarvardX", "DartmouthX", "VJx"],
    },
    DemoPartner {
        code: "mitpe",
        name: "MIT Professional Education",
        lms: "https://mitprofessionalx.mit.edu",
        studio: "https://studio.mitprofessionalx.mit.edu",
        marketing: "https://professional.mit.edu",
        organizations: &["MITProfessionalX"],
    },
    DemoPartner {
        code: "hxplus",
        name: "HarvardX Plus",
        lms: "https://harvardxplus.harvard.edu",
        studio: "https://studio.harvardxplus.harvard.edu",
        marketing: "https://www.harvardxplus.org",
        organizations: &["HarvardXPlus"],
    },
];

const ORGANIZATIONS: &[(&str, &str, &str)] = &[
    (
        "MITx",
        "Massachusetts Institute of Technology",
        "edX Consortium member",
    ),
    ("HarvardX", "Harvard University", "edX Consortium member"),
    ("DartmouthX", "Dartmouth College", "edX Consortium member"),
    (
        "VJx",
        "VJx",
        "A virtual organization delivering courses produced jointly by MITx and HarvardX",
    ),
    (
        "MITProfessionalX",
        "MIT Professional Education",
        "White-label organization with a dedicated site",
    ),
    (
        "HarvardXPlus",
        "HarvardX Plus",
        "White-label organization with a dedicated site",
    ),
];

/// (domain, name, partner, organizations presented)
const SITES: &[(&str, &str, &str, &[&str])] = &[
    (
        "edx.org",
        "edX",
        "edx",
        &["MITx", "HarvardX", "DartmouthX", "VJx"],
    ),
    (
        "mitprofessionalx.mit.edu",
        "MIT Professional Education",
        "mitpe",
        &["MITProfessionalX"],
    ),
    (
        "harvardxplus.harvard.edu",
        "HarvardX Plus",
        "hxplus",
        &["HarvardXPlus"],
    ),
];

/// (course key, organizations in link order). The joint VJx course is linked to VJx first.
const COURSES: &[(&str, &[&str])] = &[
    ("course-v1:MITx+6.002x+2024_T1", &["MITx"]),
    ("course-v1:MITx+6.00.1x+2024_T2", &["MITx"]),
    ("MITx/6.002x/2012_Fall", &["MITx"]),
    ("library-v1:MITx+MITxProblems", &["MITx"]),
    ("course-v1:HarvardX+CS50x+2024", &["HarvardX"]),
    ("lib:HarvardX:cs50-problems", &["HarvardX"]),
    (
        "course-v1:DartmouthX+DART.ENGL.01.X+2024_T1",
        &["DartmouthX"],
    ),
    ("course-v1:VJx+VJx101+2024_T1", &["VJx", "MITx", "HarvardX"]),
    (
        "course-v1:MITProfessionalX+AI101+2024_T1",
        &["MITProfessionalX"],
    ),
    ("course-v1:HarvardXPlus+HXP100+2024", &["HarvardXPlus"]),
];

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
pub async fn demo(db: &DatabaseConnection) -> AppResult<SeedReport> {
    let txn = crate::db::begin_write(db).await?;
    let mut report = SeedReport::default();
    let mut org_ids = std::collections::HashMap::new();
    for (short, name, description) in ORGANIZATIONS {
        let short_name = ShortName::parse(short).map_err(|_| invalid(short))?;
        let ensured = organization::ensure(&txn, &short_name, Some(name), true).await?;
        if ensured.created {
            report.organizations += 1;
            organization::update_details(
                &txn,
                ensured.organization.id,
                None,
                Some(Some(description.to_string())),
                None,
            )
            .await?;
        }
        org_ids.insert(*short, ensured.organization.id);
    }
    let mut partner_ids = std::collections::HashMap::new();
    for p in PARTNERS {
        let code = PartnerCode::parse(p.code).map_err(|_| invalid(p.code))?;
        let now = Utc::now();
        let row = partner::ActiveModel {
            short_code: Set(code.as_str().to_owned()),
            short_code_key: Set(code.key()),
            name: Set(p.name.to_owned()),
            lms_url: Set(Some(p.lms.to_owned())),
            studio_url: Set(Some(p.studio.to_owned())),
            marketing_site_url: Set(Some(p.marketing.to_owned())),
            active: Set(true),
            created: Set(now),
            modified: Set(now),
            ..Default::default()
        };
        report.partners += inserted(
            partner::Entity::insert(row)
                .on_conflict_do_nothing_on([partner::Column::ShortCodeKey])
                .exec_without_returning(&txn)
                .await?,
        );
        let id = partner::Entity::find()
            .filter(partner::Column::ShortCodeKey.eq(code.key()))
            .one(&txn)
            .await?
            .ok_or_else(|| invalid(p.code))?
            .id;
        partner_ids.insert(p.code, id);
        for org in p.organizations {
            let org_id = *org_ids.get(org).ok_or_else(|| invalid(org))?;
            add_membership(&txn, Membership::Partner(id), org_id).await?;
        }
    }
    for (domain, name, partner_code, orgs) in SITES {
        let domain = Domain::parse(domain).map_err(|_| invalid(domain))?;
        let now = Utc::now();
        let row = site::ActiveModel {
            domain: Set(domain.as_str().to_owned()),
            domain_key: Set(domain.key()),
            name: Set((*name).to_owned()),
            partner_id: Set(partner_ids.get(partner_code).copied()),
            active: Set(true),
            created: Set(now),
            modified: Set(now),
            ..Default::default()
        };
        report.sites += inserted(
            site::Entity::insert(row)
                .on_conflict_do_nothing_on([site::Column::DomainKey])
                .exec_without_returning(&txn)
                .await?,
        );
        let id = site::Entity::find()
            .filter(site::Column::DomainKey.eq(domain.key()))
            .one(&txn)
            .await?
            .ok_or_else(|| invalid(domain.as_str()))?
            .id;
        for org in *orgs {
            let org_id = *org_ids.get(org).ok_or_else(|| invalid(org))?;
            add_membership(&txn, Membership::Site(id), org_id).await?;
        }
    }
    for (key, orgs) in COURSES {
        let key = CourseKey::parse(key).map_err(|_| invalid(key))?;
        for org in *orgs {
            let org_id = *org_ids.get(org).ok_or_else(|| invalid(org))?;
            if course::link(&txn, &key, org_id).await? {
                report.course_links += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(report)
}

fn inserted(result: sea_orm::TryInsertResult<u64>) -> usize {
    match result {
        sea_orm::TryInsertResult::Inserted(n) => n as usize,
        _ => 0,
    }
}

enum Membership {
    Partner(i64),
    Site(i64),
}

async fn add_membership<C: ConnectionTrait>(
    db: &C,
    to: Membership,
    organization_id: i64,
) -> AppResult<()> {
    let now = Utc::now();
    match to {
        Membership::Partner(partner_id) => {
            let row = partner_organization::ActiveModel {
                partner_id: Set(partner_id),
                organization_id: Set(organization_id),
                created: Set(now),
            };
            partner_organization::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
        }
        Membership::Site(site_id) => {
            let row = site_organization::ActiveModel {
                site_id: Set(site_id),
                organization_id: Set(organization_id),
                created: Set(now),
            };
            site_organization::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}
