//! The use cases. Each one validates its input, opens one transaction (`transaction!`, which retries it
//! on serialization failures and deadlocks), checks the
//! caller's rights (`access`), applies the domain rules, writes through `repo` and logs every
//! change it made in the same transaction, so a write fully applies with its history or
//! changes nothing. Backfill and seed are use cases like the others.
//!
//! Layer rule: no SQL here (no entity queries, no statements); that is `repo`'s. Checked by
//! `tests/api/layers.rs`.

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
#[doc(hidden)]
pub mod write;

pub use write::Write;
pub(crate) use write::transaction;

use sea_orm::DatabaseConnection;

use crate::access::Scope;

/// Who acts, on what database, in which mode (made by `access::actor`).
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a Scope,
    /// `TENANCY_ORGANIZATIONS_AUTOCREATE`.
    pub autocreate: bool,
    /// Where retried writes are counted (`tenancy_write_retries_total`); `None` counts nothing
    /// (the command line has no `/metrics`).
    pub retries: Option<&'a prometheus::IntCounterVec>,
    /// Moved after each commit, so that this process's response cache never answers from
    /// before the write (read-your-writes); `None` at the command line, whose writes the
    /// serving processes see through their change feed.
    pub committed: Option<&'a crate::live::Generation>,
}
