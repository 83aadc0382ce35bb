//! Mutation fields, one module per domain, merged into `MutationRoot` in `schema.rs`. Each
//! resolver parses its arguments and calls one service function, which owns the transaction,
//! the grant check and the rules.

mod backfill;
mod course;
mod directory;
mod organization;

pub use backfill::BackfillMutation;
pub use course::CourseMutation;
pub use directory::DirectoryMutation;
pub use organization::OrganizationMutation;

use async_graphql::{Context, MaybeUndefined};

use super::context::ContextExt;
use crate::service::Actor;

fn actor<'a>(ctx: &'a Context<'_>) -> Actor<'a> {
    crate::access::actor(
        &ctx.request().scope,
        ctx.db(),
        ctx.config().organizations_autocreate,
        Some(&ctx.request().write_retries),
        Some(&ctx.request().generation),
    )
}

/// An optional field of an update input: absent keeps, `null` clears, a value sets.
fn maybe(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
