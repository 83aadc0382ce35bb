//! What changed in a followed source since its marks (docs/adopting.md, `domain::follow`), one
//! statement per followed table and round:
//!
//! * edx-organizations' tables by id: new rows by their primary key, changed and deleted ones
//!   by their django-simple-history table's primary key (`history_id`), both index ranges (the
//!   ids above the mark, and the gaps below it by primary key);
//! * the small tables (sites, site configurations, partners: tens of rows) by a digest: their
//!   row count, largest id and a change-sensitive aggregate, read again in full when it moves.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use super::{as_text, int, opt_text};
use crate::domain::follow::{Feed, ROUND_LIMIT};
use crate::error::{AppError, AppResult};
use crate::repo::bulk::{Sql, query};

/// A table followed by ids, and its django-simple-history table.
pub struct Followed {
    pub table: &'static str,
    pub history: &'static str,
}

pub const ORGANIZATIONS: Followed = Followed {
    table: "organizations_organization",
    history: "organizations_historicalorganization",
};

pub const LINKS: Followed = Followed {
    table: "organizations_organizationcourse",
    history: "organizations_historicalorganizationcourse",
};

/// What one statement read from a followed table and its history.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Primary keys of the table read (new rows, gaps that appeared).
    pub ids: Vec<i64>,
    /// Primary keys of the history table read.
    pub history_ids: Vec<i64>,
    /// The rows they concern: created, changed or deleted since the marks.
    pub rows: BTreeSet<i64>,
}

pub(super) fn failed(e: impl std::fmt::Display, sql: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("reading the source: {e} ({sql})"))
}

/// The branches of the feed statement on `column` of `table` (`f` tells the feed): the ids
/// above `top` (a range, lowest first, at most `ROUND_LIMIT`), and the gaps (lookups by key).
/// Two branches rather than one `OR`: SQLite answered the `OR` with a scan of the table.
fn branches(sql: &mut Sql, f: u8, table: &str, column: &str, feed: &Feed, values: &mut Vec<Value>) {
    let select =
        format!("SELECT f, k, r FROM (SELECT {f} AS f, {column} AS k, id AS r FROM {table}");
    sql.push(&select)
        .push(&format!(" WHERE {column} > "))
        .param();
    sql.push(&format!(" ORDER BY {column} LIMIT {ROUND_LIMIT}) a{f}"));
    values.push(feed.top.into());
    let gaps = feed.gap_ids();
    if !gaps.is_empty() {
        sql.push(" UNION ALL ").push(&select);
        sql.push(&format!(" WHERE {column} IN (")).list(gaps.len());
        sql.push(&format!(")) g{f}"));
        values.extend(gaps.into_iter().map(Value::from));
    }
}

/// The rows of `t` created or changed past `feed` (the table's ids) and `history` (its history
/// table's), at most `ROUND_LIMIT` of each, lowest ids first.
pub async fn changed(
    db: &DatabaseConnection,
    t: &Followed,
    feed: &Feed,
    history: &Feed,
) -> AppResult<Changed> {
    let statement = changed_statement(db.get_database_backend(), t, feed, history);
    let text = statement.sql.clone();
    let found = db
        .query_all_raw(statement)
        .await
        .map_err(|e| failed(e, &text))?;
    let mut changed = Changed::default();
    for row in &found {
        let k = int(row, "k")?;
        if int(row, "f")? == 0 {
            changed.ids.push(k);
        } else {
            changed.history_ids.push(k);
        }
        changed.rows.insert(int(row, "r")?);
    }
    Ok(changed)
}

/// The one statement of `changed`, so that a test can ask each engine how it runs it.
pub fn changed_statement(
    backend: DbBackend,
    t: &Followed,
    feed: &Feed,
    history: &Feed,
) -> Statement {
    let mut values = Vec::new();
    let mut sql = Sql::new(backend, "");
    branches(&mut sql, 0, t.table, "id", feed, &mut values);
    sql.push(" UNION ALL ");
    branches(&mut sql, 1, t.history, "history_id", history, &mut values);
    sql.statement(values)
}

/// A feed on `column` of `table` as it stands now: its largest id, and the ids just below it
/// that are not committed (`Feed::start`).
pub async fn start(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    now_ms: i64,
) -> AppResult<Feed> {
    let sql = Sql::new(
        db.get_database_backend(),
        &format!(
            "SELECT {column} AS k FROM {table} WHERE {column} > \
             (SELECT COALESCE(MAX({column}), 0) FROM {table}) - {}",
            crate::domain::follow::START_WINDOW
        ),
    );
    let text = sql.statement(Vec::new()).sql;
    let rows = query(db, &sql, Vec::new())
        .await
        .map_err(|e| failed(e, &text))?;
    let present = rows
        .iter()
        .map(|r| int(r, "k"))
        .collect::<AppResult<Vec<i64>>>()?;
    let top = present.iter().copied().max().unwrap_or(0);
    Ok(Feed::start(top, &present, now_ms))
}

/// A small table and the aggregates (besides its row count and largest id) that move when a
/// row of it changes.
pub struct Small {
    pub table: &'static str,
    pub aggregates: &'static [&'static str],
}

/// The LMS's sites and site configurations (`course_org_filter` memberships).
pub const LMS_SMALL: &[Small] = &[
    Small {
        table: "django_site",
        aggregates: &["SUM(LENGTH(domain) + LENGTH(name))"],
    },
    Small {
        table: "site_configuration_siteconfiguration",
        aggregates: &[
            "SUM(LENGTH(site_values))",
            "SUM(CASE WHEN enabled THEN id ELSE 0 END)",
        ],
    },
];

/// course-discovery's partners (with their sites) and organizations.
pub const DISCOVERY_SMALL: &[Small] = &[
    Small {
        table: "django_site",
        aggregates: &["SUM(LENGTH(domain) + LENGTH(name))"],
    },
    Small {
        table: "core_partner",
        aggregates: &["MAX(modified)"],
    },
    Small {
        table: "course_metadata_organization",
        aggregates: &["MAX(modified)", "SUM(partner_id)"],
    },
];

/// ecommerce's partners and site configurations.
pub const ECOMMERCE_SMALL: &[Small] = &[
    Small {
        table: "django_site",
        aggregates: &["SUM(LENGTH(domain) + LENGTH(name))"],
    },
    Small {
        table: "partner_partner",
        aggregates: &["SUM(LENGTH(short_code) + LENGTH(name))"],
    },
    Small {
        table: "core_siteconfiguration",
        aggregates: &["SUM(partner_id + site_id)"],
    },
];

/// One statement: every table's row count, largest id and aggregates, as one text.
pub async fn digest(db: &DatabaseConnection, tables: &[Small]) -> AppResult<String> {
    let mut columns = Vec::new();
    for t in tables {
        for aggregate in ["COUNT(*)", "MAX(id)"].iter().chain(t.aggregates) {
            let expr = format!("(SELECT {aggregate} FROM {})", t.table);
            columns.push(format!("{} AS c{}", as_text(db, &expr), columns.len()));
        }
    }
    let sql = format!("SELECT {}", columns.join(", "));
    let text = sql.clone();
    let rows = query(db, &Sql::new(db.get_database_backend(), &sql), Vec::new())
        .await
        .map_err(|e| failed(e, &text))?;
    let row = rows.first().ok_or_else(|| failed("no row", &text))?;
    let mut digest = Vec::with_capacity(columns.len());
    for i in 0..columns.len() {
        digest.push(opt_text(row, &format!("c{i}"))?.unwrap_or_default());
    }
    Ok(digest.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_asks_above_its_top_and_for_its_gaps() {
        let feed = Feed {
            top: 10,
            gaps: vec![(7, 0), (9, 0)],
        };
        let history = Feed::default();
        let statement = changed_statement(DbBackend::Postgres, &LINKS, &feed, &history);
        assert_eq!(
            statement.sql,
            format!(
                "SELECT f, k, r FROM (SELECT 0 AS f, id AS k, id AS r FROM \
                 organizations_organizationcourse WHERE id > $1 ORDER BY id LIMIT {ROUND_LIMIT}) a0 \
                 UNION ALL SELECT f, k, r FROM (SELECT 0 AS f, id AS k, id AS r FROM \
                 organizations_organizationcourse WHERE id IN ($2, $3)) g0 \
                 UNION ALL SELECT f, k, r FROM (SELECT 1 AS f, history_id AS k, id AS r FROM \
                 organizations_historicalorganizationcourse WHERE history_id > $4 \
                 ORDER BY history_id LIMIT {ROUND_LIMIT}) a1"
            )
        );
        let values = statement.values.map(|v| v.0).unwrap_or_default();
        assert_eq!(
            values,
            vec![Value::from(10i64), 7i64.into(), 9i64.into(), 0i64.into()]
        );
    }
}
