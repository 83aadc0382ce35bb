//! The LMS: edx-organizations' tables, `django_site` and the site configurations.

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, QueryResult, Value};

use super::{as_text, each_row, int, non_empty, opt_text, rows, sites, text};
use crate::domain::follow::round::LmsLink;
use crate::domain::import::{SourceLink, SourceOrg, course_org_filter};
use crate::error::AppResult;
use crate::repo::bulk::{Sql, query};

const ORGANIZATION: &str = "SELECT id, short_name, name, description, logo, \
                            CASE WHEN active THEN 1 ELSE 0 END AS active \
                            FROM organizations_organization";

fn organization(r: &QueryResult) -> AppResult<SourceOrg> {
    Ok(SourceOrg {
        short_name: text(r, "short_name")?,
        name: text(r, "name")?,
        description: opt_text(r, "description")?,
        logo: non_empty(opt_text(r, "logo")?),
        active: int(r, "active")? != 0,
    })
}

pub async fn organizations(db: &DatabaseConnection) -> AppResult<Vec<SourceOrg>> {
    rows(db, &format!("{ORGANIZATION} ORDER BY id"))
        .await?
        .iter()
        .map(organization)
        .collect()
}

/// `(id, short name)` of every organization.
pub async fn names(db: &DatabaseConnection) -> AppResult<Vec<(i64, String)>> {
    rows(db, "SELECT id, short_name FROM organizations_organization")
        .await?
        .iter()
        .map(|r| Ok((int(r, "id")?, text(r, "short_name")?)))
        .collect()
}

/// Rows of `select` (ending in `WHERE {column} IN (`) for these ids, a thousand a statement.
async fn by_ids(db: &DatabaseConnection, select: &str, ids: &[i64]) -> AppResult<Vec<QueryResult>> {
    let mut out = Vec::new();
    for batch in ids.chunks(1000) {
        let mut sql = Sql::new(db.get_database_backend(), select);
        sql.list(batch.len()).push(")");
        let values = batch.iter().map(|&id| Value::from(id)).collect();
        let text = sql.statement(Vec::new()).sql;
        out.extend(
            query(db, &sql, values)
                .await
                .map_err(|e| super::feed::failed(e, &text))?,
        );
    }
    Ok(out)
}

/// The organizations with these ids, by id (an id the LMS no longer holds is absent).
pub async fn organizations_by_id(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<BTreeMap<i64, SourceOrg>> {
    let select = format!("{ORGANIZATION} WHERE id IN (");
    by_ids(db, &select, ids)
        .await?
        .iter()
        .map(|r| Ok((int(r, "id")?, organization(r)?)))
        .collect()
}

const LINK: &str = "SELECT id, course_id, organization_id, \
                    CASE WHEN active THEN 1 ELSE 0 END AS active \
                    FROM organizations_organizationcourse";

fn link(r: &QueryResult) -> AppResult<LmsLink> {
    Ok(LmsLink {
        course_key: text(r, "course_id")?,
        organization_id: int(r, "organization_id")?,
        active: int(r, "active")? != 0,
    })
}

/// The links with these ids, by id (an id the LMS no longer holds is absent).
pub async fn links_by_id(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<BTreeMap<i64, LmsLink>> {
    by_ids(db, &format!("{LINK} WHERE id IN ("), ids)
        .await?
        .iter()
        .map(|r| Ok((int(r, "id")?, link(r)?)))
        .collect()
}

/// Every link of these organizations.
pub async fn links_of(
    db: &DatabaseConnection,
    organization_ids: &[i64],
) -> AppResult<Vec<LmsLink>> {
    by_ids(
        db,
        &format!("{LINK} WHERE organization_id IN ("),
        organization_ids,
    )
    .await?
    .iter()
    .map(link)
    .collect()
}

/// Links the LMS deleted, as their history's last row has them, inactive.
pub async fn deleted_links(db: &DatabaseConnection, ids: &[i64]) -> AppResult<Vec<LmsLink>> {
    let select = "SELECT id, history_id, course_id, organization_id, 0 AS active \
                  FROM organizations_historicalorganizationcourse WHERE id IN (";
    let mut last: BTreeMap<i64, (i64, LmsLink)> = BTreeMap::new();
    for r in by_ids(db, select, ids).await? {
        let (id, history_id) = (int(&r, "id")?, int(&r, "history_id")?);
        if last.get(&id).is_none_or(|(h, _)| *h < history_id) {
            last.insert(id, (history_id, link(&r)?));
        }
    }
    Ok(last.into_values().map(|(_, l)| l).collect())
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
