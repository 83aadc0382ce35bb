//! The follower's rows and lock in this service's database (docs/adopting.md): each followed
//! source's marks, swapped only when unchanged since they were read, and on PostgreSQL the
//! session lock that lets one replica follow at a time.

use chrono::Utc;
use entity::follow_mark;
use sea_orm::sea_query::Expr;
use sea_orm::sqlx::{Connection, PgConnection};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;

/// Every source's marks row.
pub async fn marks<C: ConnectionTrait>(db: &C) -> AppResult<Vec<follow_mark::Model>> {
    Ok(follow_mark::Entity::find().all(db).await?)
}

/// Writes `source`'s marks if its row still holds `before` (`(origin, marks)`; `None`: no row
/// yet). False when another follower wrote first: nothing is written then. On PostgreSQL the
/// update waits for a concurrent one and then finds the row changed; the row stays locked to
/// the end of the transaction, so two rounds never apply the same changes.
pub async fn swap<C: ConnectionTrait>(
    db: &C,
    source: &str,
    before: Option<(&str, &str)>,
    origin: &str,
    marks: &str,
) -> AppResult<bool> {
    let now = Utc::now();
    let Some((old_origin, old_marks)) = before else {
        let row = follow_mark::ActiveModel {
            source: Set(source.to_owned()),
            origin: Set(origin.to_owned()),
            marks: Set(marks.to_owned()),
            updated: Set(now),
        };
        let inserted = follow_mark::Entity::insert(row)
            .on_conflict_do_nothing_on([follow_mark::Column::Source])
            .exec_without_returning(db)
            .await?;
        return Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0));
    };
    let updated = follow_mark::Entity::update_many()
        .col_expr(follow_mark::Column::Origin, Expr::value(origin))
        .col_expr(follow_mark::Column::Marks, Expr::value(marks))
        .col_expr(follow_mark::Column::Updated, Expr::value(now))
        .filter(follow_mark::Column::Source.eq(source))
        .filter(follow_mark::Column::Origin.eq(old_origin))
        .filter(follow_mark::Column::Marks.eq(old_marks))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The advisory lock of the follower: "tena", "foll".
const LOCK: (i32, i32) = (0x7465_6e61, 0x666f_6c6c);

/// The PostgreSQL session lock that makes one replica the follower, held on a connection of
/// its own (a pooled one could be recycled, and the lock with it). Whoever holds it follows;
/// when its process dies, PostgreSQL ends the session and frees the lock, and the next replica
/// to ask takes it.
pub struct Leader {
    url: String,
    conn: Option<PgConnection>,
    held: bool,
}

impl Leader {
    pub fn new(url: &str) -> Self {
        Leader {
            url: url.to_owned(),
            conn: None,
            held: false,
        }
    }

    /// Whether this process holds the lock now, taking it when it is free. A session that
    /// broke (and its lock with it) is opened again and asks anew.
    pub async fn hold(&mut self) -> bool {
        match self.ask().await {
            Ok(held) => {
                self.held = held;
                held
            }
            Err(err) => {
                tracing::warn!(error = %err, "follow: the follower lock's session failed");
                self.conn = None;
                self.held = false;
                false
            }
        }
    }

    async fn ask(&mut self) -> Result<bool, sea_orm::sqlx::Error> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                self.held = false;
                self.conn.insert(PgConnection::connect(&self.url).await?)
            }
        };
        let sql = if self.held {
            // Still ours? (A session that broke and came back would not hold it.)
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
             AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted \
             AND pid = pg_backend_pid())"
        } else {
            "SELECT pg_try_advisory_lock($1, $2)"
        };
        sea_orm::sqlx::query_scalar::<_, bool>(sql)
            .bind(LOCK.0)
            .bind(LOCK.1)
            .fetch_one(conn)
            .await
    }
}
