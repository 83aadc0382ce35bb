//! The backfill use case (GraphQL mutation and CLI verb): parse, plan, and with `apply` write
//! every row and its change log in one transaction. See `domain::backfill` for the rules.

use indicatif::ProgressBar;

use super::Actor;
use crate::access::Scope;
use crate::access::decide as authz;
use crate::domain::backfill::{self, BackfillOptions, BackfillReport, InvalidKey, Progress};
use crate::domain::course_key::CourseKey;
use crate::domain::names::{Parse, ShortName};
use crate::error::{AppError, AppResult};
use crate::repo;

/// Backfills organizations and course links from `keys`: (1-based line number, raw line) pairs.
///
/// Needs an administrator. A dry run (`apply: false`) plans inside a read-only transaction that
/// is rolled back, so it writes nothing; `apply` plans and writes in one transaction, all or
/// nothing. Keys of organizations outside a `content_org` token's filter are refused as
/// invalid keys.
pub async fn run(
    actor: Actor<'_>,
    keys: Vec<(usize, String)>,
    opts: BackfillOptions,
    progress: Option<&ProgressBar>,
) -> AppResult<BackfillReport> {
    authz::require_admin(actor.scope, "backfill")?;
    let (keys, refused) = within_filter(actor.scope, keys);
    let progress = Progress(progress.cloned());
    // Parsing is CPU work on up to millions of lines: keep it off the async workers.
    let parsed = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || backfill::parse(keys, &progress))
            .await
            .map_err(AppError::internal)?
    };
    let txn = crate::db::begin(actor.db, opts.apply).await?;
    if opts.apply {
        // As every other write (`service::Write`): under REPEATABLE READ or SERIALIZABLE it
        // queues for the change log first, so it never holds rows a writer ahead waits for.
        repo::change::serialize_snapshot_writers(&txn).await?;
    }
    let plan = repo::backfill::plan(&txn, parsed, opts, &progress).await?;
    let mut report = plan.report(opts);
    if opts.apply {
        let subject = actor.scope.subject.as_deref();
        let written = repo::backfill::apply(&txn, &plan, opts, subject, &progress).await?;
        let committed = txn.commit().await;
        // Moved whatever the outcome: a commit that failed on the way back may have applied.
        if let Some(generation) = actor.committed {
            generation.committed();
        }
        committed?;
        written.fill(&mut report);
    } else {
        txn.rollback().await?;
    }
    progress.finish();
    if !refused.is_empty() {
        report.invalid_keys.extend(refused);
        report.invalid_keys.sort_by_key(|k| k.line);
    }
    Ok(report)
}

/// Splits off the lines whose organization a `content_org` token may not touch.
fn within_filter(
    scope: &Scope,
    lines: Vec<(usize, String)>,
) -> (Vec<(usize, String)>, Vec<InvalidKey>) {
    if !authz::restricted_to_organizations(scope) {
        return (lines, Vec::new());
    }
    let mut refused = Vec::new();
    let kept = lines
        .into_iter()
        .filter(|(line, raw)| {
            let Ok(key) = CourseKey::parse(raw.trim()) else {
                return true; // reported as invalid by the parser
            };
            let allowed = ShortName::parse(key.org())
                .is_ok_and(|name| authz::require_filter_allows(scope, &name).is_ok());
            if !allowed {
                refused.push(InvalidKey {
                    line: *line,
                    key: key.as_str().to_owned(),
                    reason: "outside the organizations this token is restricted to".into(),
                });
            }
            allowed
        })
        .collect();
    (kept, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filtered_token_backfills_only_its_organizations() {
        let scope = Scope {
            subject: Some("catalog".into()),
            administrator: true,
            org_filter: Some(vec![crate::domain::short_name("f", "MITx").unwrap().key()]),
            ..Scope::default()
        };
        let lines = vec![
            (1, "course-v1:MITx+A+1".to_owned()),
            (2, "course-v1:HarvardX+B+1".to_owned()),
            (3, "not a key".to_owned()),
        ];
        let (kept, refused) = within_filter(&scope, lines);
        let kept: Vec<usize> = kept.iter().map(|(l, _)| *l).collect();
        assert_eq!(kept, [1, 3]);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].line, 2);
    }

    /// The GraphQL mutation awaits `run` in a resolver, which needs a `Send` future.
    #[allow(dead_code)]
    fn run_is_send(db: &sea_orm::DatabaseConnection, scope: &Scope) {
        fn send<T: Send>(_: T) {}
        let actor = crate::access::actor(scope, db, true, None, None);
        send(run(actor, Vec::new(), BackfillOptions::default(), None));
    }
}
