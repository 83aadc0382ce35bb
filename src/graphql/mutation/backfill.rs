use async_graphql::{Context, Object, Result, SimpleObject};

use super::actor;
use crate::domain::backfill::BackfillOptions;
use crate::service::backfill;

#[derive(Default)]
pub struct BackfillMutation;

/// What a backfill did (or, as a dry run, would do).
#[derive(SimpleObject)]
pub struct BackfillReport {
    /// False for a dry run, which writes nothing.
    pub applied: bool,
    /// Valid keys read (each counted once).
    pub keys_read: i64,
    /// Organizations created (or to create).
    pub organizations_created: i64,
    /// Organizations reactivated (or to reactivate).
    pub organizations_reactivated: i64,
    /// Course links created (or to create).
    pub links_created: i64,
    /// Links made active again, including those that come back with a reactivated organization.
    pub links_reactivated: i64,
    /// The keys skipped, with why.
    pub invalid_keys: Vec<InvalidKey>,
    /// Short names created (or to create), sorted.
    pub organizations_to_create: Vec<String>,
    /// Short names reactivated (or to reactivate), sorted.
    pub organizations_to_reactivate: Vec<String>,
}

/// A key the backfill skipped.
#[derive(SimpleObject)]
pub struct InvalidKey {
    /// 1-based position in `courseKeys`.
    pub line: i64,
    /// The key as given.
    pub key: String,
    /// Why it is not a valid course run or library key.
    pub reason: String,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[Object]
impl BackfillMutation {
    /// Creates the missing organizations and course links for course-run and library keys, as edx-platform's `backfill_orgs_and_org_courses` does (administrators). A dry run unless `apply`; `inactive` creates rows inactive and reactivates nothing.
    async fn backfill(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Course run and library keys, one per entry; invalid ones are reported and skipped."
        )]
        course_keys: Vec<String>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Write the changes (false: only report what would be written)."
        )]
        apply: Option<bool>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Create organizations and links inactive, and reactivate nothing."
        )]
        inactive: Option<bool>,
    ) -> Result<BackfillReport> {
        let keys = course_keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| (i + 1, k))
            .collect();
        let opts = BackfillOptions {
            apply: apply.unwrap_or(false),
            inactive: inactive.unwrap_or(false),
        };
        let report = backfill::run(actor(ctx), keys, opts, None).await?;
        Ok(BackfillReport {
            applied: report.applied,
            keys_read: count(report.keys_read),
            organizations_created: count(report.organizations_created),
            organizations_reactivated: count(report.organizations_reactivated),
            links_created: count(report.links_created),
            links_reactivated: count(report.links_reactivated),
            invalid_keys: report
                .invalid_keys
                .into_iter()
                .map(|k| InvalidKey {
                    line: count(k.line as u64),
                    key: k.key,
                    reason: k.reason,
                })
                .collect(),
            organizations_to_create: report.organizations_to_create,
            organizations_to_reactivate: report.organizations_to_reactivate,
        })
    }
}
