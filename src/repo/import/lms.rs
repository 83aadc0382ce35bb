//! The LMS: edx-organizations' tables, `django_site` and the site configurations.

use sea_orm::DatabaseConnection;

use super::{as_text, each_row, int, non_empty, opt_text, rows, sites, text};
use crate::domain::import::{SourceLink, SourceOrg, course_org_filter};
use crate::error::AppResult;

pub async fn organizations(db: &DatabaseConnection) -> AppResult<Vec<SourceOrg>> {
    let sql = "SELECT short_name, name, description, logo, \
               CASE WHEN active THEN 1 ELSE 0 END AS active \
               FROM organizations_organization ORDER BY id";
    rows(db, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(SourceOrg {
                short_name: text(r, "short_name")?,
                name: text(r, "name")?,
                description: opt_text(r, "description")?,
                logo: non_empty(opt_text(r, "logo")?),
                active: int(r, "active")? != 0,
            })
        })
        .collect()
}

/// Streamed: a million rows are never held as the driver's rows, only as `SourceLink`s. Read
/// without a join (organizations' names are looked up here) and in no order (the plan sorts):
/// MariaDB joined them by the organization's index into the links, 3.3 s for a million links
/// against 0.8 s for the plain scan.
pub async fn links(db: &DatabaseConnection) -> AppResult<Vec<SourceLink>> {
    let mut names = std::collections::HashMap::new();
    for r in rows(db, "SELECT id, short_name FROM organizations_organization").await? {
        names.insert(int(&r, "id")?, text(&r, "short_name")?);
    }
    let sql = "SELECT course_id, organization_id, CASE WHEN active THEN 1 ELSE 0 END AS active \
               FROM organizations_organizationcourse";
    let mut links = Vec::new();
    each_row(db, sql, |r| {
        // The foreign key makes a missing organization impossible; skipped all the same.
        if let Some(short_name) = names.get(&int(r, "organization_id")?) {
            links.push(SourceLink {
                course_key: text(r, "course_id")?,
                short_name: short_name.clone(),
                active: int(r, "active")? != 0,
            });
        }
        Ok(())
    })
    .await?;
    Ok(links)
}

/// `(domain, name)` of every site.
pub async fn site_list(db: &DatabaseConnection) -> AppResult<Vec<(String, String)>> {
    Ok(sites(db)
        .await?
        .into_iter()
        .map(|(_, d, n)| (d, n))
        .collect())
}

/// `(domain, short name)` for each organization an enabled site configuration filters on.
pub async fn site_orgs(db: &DatabaseConnection) -> AppResult<Vec<(String, String)>> {
    let sql = format!(
        "SELECT s.domain, {} AS site_values FROM site_configuration_siteconfiguration c \
         JOIN django_site s ON s.id = c.site_id \
         WHERE CASE WHEN c.enabled THEN 1 ELSE 0 END = 1 ORDER BY c.id",
        as_text(db, "c.site_values")
    );
    let mut out = Vec::new();
    for r in rows(db, &sql).await? {
        let domain = text(&r, "domain")?;
        for org in course_org_filter(&text(&r, "site_values")?) {
            out.push((domain.clone(), org));
        }
    }
    Ok(out)
}
