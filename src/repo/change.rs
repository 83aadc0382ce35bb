//! The change log: appended inside the transaction of every write, read as pages.

use chrono::Utc;
use entity::change_log;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, Iterable, QueryFilter, QuerySelect, QueryTrait,
};

use super::page::PagedQuery;
use crate::access::{Scope, visibility as scope};
use crate::domain::change::{ChangeEntity, NewChange};
use crate::domain::page::SortKind;
use crate::error::AppResult;

/// Rows per INSERT: 14 columns each, well under SQLite's 32,766 parameters.
const ROWS_PER_INSERT: usize = 1000;

/// Appends `changes` in order, all stamped `at` and with `actor`. The caller holds the change
/// log's lock (`begin_logging`), so ids follow commit order.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    at: chrono::DateTime<Utc>,
    changes: Vec<NewChange>,
) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string());
    let rows: Vec<change_log::ActiveModel> = changes
        .into_iter()
        .map(|c| change_log::ActiveModel {
            at: Set(at),
            actor: Set(actor.map(str::to_owned)),
            kind: Set(c.kind.as_str().to_owned()),
            entity: Set(c.entity.as_str().to_owned()),
            key: Set(c.key),
            before: Set(json(c.before)),
            after: Set(json(c.after)),
            public: Set(c.public),
            organization_id: Set(c.organization_id),
            partner_id: Set(c.partner_id),
            other_partner_id: Set(c.other_partner_id),
            site_id: Set(c.site_id),
            ..Default::default()
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        change_log::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Which changes a list holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChangeFilter {
    /// Only these kinds of record; empty means all.
    pub entities: Vec<ChangeEntity>,
    /// Only changes made at or after this instant.
    pub since: Option<chrono::DateTime<Utc>>,
}

fn paged(mut select: sea_orm::sea_query::SelectStatement, filter: &ChangeFilter) -> PagedQuery {
    let col = |c: change_log::Column| Expr::col((change_log::Entity, c));
    if !filter.entities.is_empty() {
        select.and_where(
            col(change_log::Column::Entity).is_in(filter.entities.iter().map(|e| e.as_str())),
        );
    }
    if let Some(since) = filter.since {
        select.and_where(col(change_log::Column::At).gte(since));
    }
    PagedQuery {
        select,
        parent: None,
        sort: (change_log::Entity, change_log::Column::Id).into_column_ref(),
        sort_kind: SortKind::Int,
        since: None,
    }
}

/// The changes the caller sees (`scope::changes`), each with its actor only where the caller
/// may read it (`scope::shows_actor`): the one statement behind `changes`, the histories, replay
/// and the live stream.
fn visible(scope: &Scope) -> sea_orm::sea_query::SelectStatement {
    let find = change_log::Entity::find().filter(scope::changes(scope));
    if scope::shows_actor(scope) {
        return find.into_query();
    }
    find.select_only()
        .columns(change_log::Column::iter().filter(|c| !matches!(c, change_log::Column::Actor)))
        .column_as(Expr::cust("CAST(NULL AS TEXT)"), "actor")
        .into_query()
}

/// `changes`: every change the caller may see, oldest first.
pub fn list(scope: &Scope, filter: &ChangeFilter) -> PagedQuery {
    paged(visible(scope), filter)
}

/// What a record's history is grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HistoryOf {
    Organization,
    Partner,
    Site,
}

/// The histories of many records of one kind (`Organization.history`, ...): every visible
/// change that concerns each of them.
pub fn history(scope: &Scope, of: HistoryOf, ids: &[i64], filter: &ChangeFilter) -> PagedQuery {
    let column = match of {
        HistoryOf::Organization => change_log::Column::OrganizationId,
        HistoryOf::Partner => change_log::Column::PartnerId,
        HistoryOf::Site => change_log::Column::SiteId,
    };
    let mut select = visible(scope);
    select.and_where(Expr::col((change_log::Entity, column)).is_in(ids.iter().copied()));
    let mut query = paged(select, filter);
    query.parent = Some((change_log::Entity, column).into_column_ref());
    query
}

/// The id of the last change committed (0 when none).
pub async fn last_id<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    use sea_orm::sea_query::Func;
    let max: Option<Option<i64>> = change_log::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(change_log::Column::Id)))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// The visible changes after change `after_id`, oldest first, at most `limit`.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &ChangeFilter,
    after_id: i64,
    limit: u64,
) -> AppResult<Vec<change_log::Model>> {
    let mut select = paged(visible(scope), filter).select;
    select
        .and_where(Expr::col((change_log::Entity, change_log::Column::Id)).gt(after_id))
        .order_by(
            (change_log::Entity, change_log::Column::Id),
            sea_orm::sea_query::Order::Asc,
        )
        .limit(limit);
    super::rows(db, &select).await
}

/// The PostgreSQL channel a commit that logged changes notifies.
pub const CHANNEL: &str = "tenancy_changes";

/// Called by every transaction before it logs changes. On PostgreSQL it takes the change log's
/// lock (held to the end of the transaction), so change ids are drawn, and become visible, in
/// commit order (a consumer that resumes after id N can never miss a smaller id committed
/// later), and it notifies the subscribers of every replica at commit. SQLite writers are
/// serialized already. The lock is `EXCLUSIVE` on the table: it excludes other writers of the
/// log, not its readers.
pub async fn begin_logging<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(LOCK_LOG).await?;
        db.execute_unprepared(&format!("SELECT pg_notify('{CHANNEL}', '')"))
            .await?;
    }
    Ok(())
}

/// Called first in every write transaction (`service::Write`). Under REPEATABLE READ or
/// SERIALIZABLE (a default an operator may give the database) it takes the change log's lock
/// at once, before the transaction's snapshot: every write transaction logs changes, so they
/// would wait for one another at the end anyway; waiting at the start instead means each sees
/// what the one before committed. Taken only at the end, transactions overlapped the queue of
/// writers ahead of them, read what those then changed, and SERIALIZABLE aborted them as pivots
/// of dangerous structures, again and again (16 clients on 3 services: 8 attempts were not
/// enough). Serial writers form no such structure. `LOCK TABLE` and `SHOW` take no snapshot.
/// Under READ COMMITTED writers keep running side by side until they log.
pub async fn serialize_snapshot_writers<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SHOW transaction_isolation",
        ))
        .await?;
    let isolation = row
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    if isolation != "read committed" && isolation != "read uncommitted" {
        db.execute_unprepared(LOCK_LOG).await?;
    }
    Ok(())
}

/// The change log's lock: self-exclusive, and readers of the log (`ACCESS SHARE`) pass.
const LOCK_LOG: &str = "LOCK TABLE change_log IN EXCLUSIVE MODE";
