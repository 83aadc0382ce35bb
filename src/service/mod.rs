//! The use cases. Each one validates its input, opens one transaction (`Write`), checks the
//! caller's rights (`access`), applies the domain rules, writes through `repo` and logs every
//! change it made in the same transaction, so a write fully applies with its history or
//! changes nothing. Backfill and seed are use cases like the others.
//!
//! Layer rule: no SQL here (no entity queries, no statements); that is `repo`'s. Checked by
//! `tests/api/layers.rs`.

pub mod access;
pub mod backfill;
pub mod course;
pub mod edx_organizations;
pub mod grant;
pub mod import;
pub mod organization;
pub mod partner;
pub mod read;
pub mod seed;
pub mod site;

use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::domain::change::NewChange;
use crate::domain::scope::Scope;
use crate::error::AppResult;
use crate::repo;

/// Who acts, on what database, in which mode.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a Scope,
    /// `TENANCY_ORGANIZATIONS_AUTOCREATE`.
    pub autocreate: bool,
}

/// One write transaction and the changes it made, logged when it commits.
pub struct Write {
    txn: DatabaseTransaction,
    actor: Option<String>,
    changes: Vec<NewChange>,
}

impl Write {
    pub async fn begin(actor: Actor<'_>) -> AppResult<Self> {
        Ok(Write {
            txn: crate::db::begin_write(actor.db).await?,
            actor: actor.scope.subject.clone(),
            changes: Vec::new(),
        })
    }

    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Records a change (`None`: the write changed nothing).
    pub fn log(&mut self, change: Option<NewChange>) {
        self.changes.extend(change);
    }

    /// Replaces the last change recorded (a row changed again in the same use case).
    pub fn replace_last(&mut self, change: Option<NewChange>) {
        self.changes.pop();
        self.log(change);
    }

    /// Appends the change log and commits, as one transaction.
    pub async fn commit(self) -> AppResult<()> {
        repo::change::append(&self.txn, self.actor.as_deref(), self.changes).await?;
        self.txn.commit().await?;
        Ok(())
    }
}
