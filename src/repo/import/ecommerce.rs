//! ecommerce: `partner_partner` and `core_siteconfiguration` (which partner a site sells for).

use sea_orm::DatabaseConnection;

use super::{rows, text};
use crate::domain::import::SourcePartner;
use crate::error::AppResult;

pub async fn partners(db: &DatabaseConnection) -> AppResult<Vec<SourcePartner>> {
    let sql = "SELECT short_code, name FROM partner_partner ORDER BY id";
    rows(db, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(SourcePartner {
                short_code: text(r, "short_code")?,
                name: text(r, "name")?,
                lms_url: None,
                studio_url: None,
                marketing_site_url: None,
            })
        })
        .collect()
}

/// `(site domain, site name, partner short code)` of every site configuration.
pub async fn site_partners(db: &DatabaseConnection) -> AppResult<Vec<(String, String, String)>> {
    let sql = "SELECT s.domain, s.name, p.short_code FROM core_siteconfiguration c \
               JOIN django_site s ON s.id = c.site_id \
               JOIN partner_partner p ON p.id = c.partner_id ORDER BY c.id";
    rows(db, sql)
        .await?
        .iter()
        .map(|r| Ok((text(r, "domain")?, text(r, "name")?, text(r, "short_code")?)))
        .collect()
}
