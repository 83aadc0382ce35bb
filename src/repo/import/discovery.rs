//! course-discovery: `core_partner` (with its site) and `course_metadata_organization`.

use sea_orm::DatabaseConnection;

use super::{int, non_empty, opt_text, rows, sites, text};
use crate::domain::import::{SourceOrg, SourcePartner};
use crate::error::AppResult;

/// `(partner, site domain)` of every partner.
pub async fn partners(db: &DatabaseConnection) -> AppResult<Vec<(SourcePartner, Option<String>)>> {
    let domains = sites(db).await?;
    let sql = "SELECT short_code, name, lms_url, studio_url, marketing_site_url_root, site_id \
               FROM core_partner ORDER BY id";
    rows(db, sql)
        .await?
        .iter()
        .map(|r| {
            let site_id = int(r, "site_id").ok();
            let domain = domains
                .iter()
                .find(|(id, _, _)| Some(*id) == site_id)
                .map(|(_, d, _)| d.clone());
            let partner = SourcePartner {
                short_code: text(r, "short_code")?,
                name: text(r, "name")?,
                lms_url: non_empty(opt_text(r, "lms_url")?),
                studio_url: non_empty(opt_text(r, "studio_url")?),
                marketing_site_url: non_empty(opt_text(r, "marketing_site_url_root")?),
            };
            Ok((partner, domain))
        })
        .collect()
}

/// `(partner short code, organization)`; discovery's `key` is the LMS short name.
pub async fn organizations(db: &DatabaseConnection) -> AppResult<Vec<(String, SourceOrg)>> {
    let sql = "SELECT p.short_code, o.\"key\" AS short_name, o.name, o.description \
               FROM course_metadata_organization o JOIN core_partner p ON p.id = o.partner_id \
               ORDER BY o.id";
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::MySql => sql.replace('"', "`"),
        _ => sql.to_owned(),
    };
    rows(db, &sql)
        .await?
        .iter()
        .map(|r| {
            let org = SourceOrg {
                short_name: text(r, "short_name")?,
                name: text(r, "name")?,
                description: non_empty(opt_text(r, "description")?),
                logo: None,
                active: true,
            };
            Ok((text(r, "short_code")?, org))
        })
        .collect()
}
