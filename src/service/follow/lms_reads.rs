//! What a round reads from the LMS: the whole of it (a first round), or what changed past the
//! marks, with the directory of names after it.

use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

use super::Pending;
use crate::domain::follow::round::{self, Directory, LmsRound};
use crate::domain::follow::{GAP_TTL, Marks};
use crate::domain::import::{SourceOrg, Sources};
use crate::error::AppResult;
use crate::repo::import::feed::{self, LINKS};
use crate::repo::import::lms;

/// The LMS whole, and marks and a directory from just before it was read (what commits in
/// between is read again by the next round, and found unchanged).
pub(super) async fn whole_lms(
    db: &DatabaseConnection,
    now_ms: i64,
) -> AppResult<(Sources, Marks, Directory)> {
    let mut marks = Marks::default();
    for t in [&feed::ORGANIZATIONS, &LINKS] {
        marks.feeds.insert(
            t.table.into(),
            feed::start(db, t.table, "id", now_ms).await?,
        );
        marks.feeds.insert(
            t.history.into(),
            feed::start(db, t.history, "history_id", now_ms).await?,
        );
    }
    let directory = Directory::new(lms::names(db).await?);
    let sources = Sources {
        organizations: lms::organizations(db).await?,
        links: lms::links(db).await?,
        ..Sources::default()
    };
    Ok((sources, marks, directory))
}

/// What the LMS changed past `marks` (`None`: nothing), and the marks after it. The directory
/// after the round goes to `pending`.
pub(super) async fn lms_changes(
    db: &DatabaseConnection,
    marks: &Marks,
    directory: &Directory,
    now_ms: i64,
    pending: &mut Pending,
) -> AppResult<(Option<LmsRound>, Marks)> {
    let orgs = &feed::ORGANIZATIONS;
    let org_ids =
        feed::changed(db, orgs, &marks.feed(orgs.table), &marks.feed(orgs.history)).await?;
    let link_ids = feed::changed(
        db,
        &LINKS,
        &marks.feed(LINKS.table),
        &marks.feed(LINKS.history),
    )
    .await?;
    let mut next = marks.clone();
    for (table, ids) in [
        (orgs.table, &org_ids.ids),
        (orgs.history, &org_ids.history_ids),
        (LINKS.table, &link_ids.ids),
        (LINKS.history, &link_ids.history_ids),
    ] {
        next.feeds.insert(
            table.into(),
            marks.feed(table).advance(ids, now_ms, GAP_TTL),
        );
    }
    if org_ids.rows.is_empty() && link_ids.rows.is_empty() {
        return Ok((None, next));
    }
    // Organizations first: the links name them.
    let ids: Vec<i64> = org_ids.rows.iter().copied().collect();
    let mut found = lms::organizations_by_id(db, &ids).await?;
    let mut rows: BTreeMap<i64, Option<SourceOrg>> =
        ids.iter().map(|id| (*id, found.remove(id))).collect();
    let ids: Vec<i64> = link_ids.rows.iter().copied().collect();
    let mut present = lms::links_by_id(db, &ids).await?;
    let gone: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !present.contains_key(id))
        .collect();
    let mut links: Vec<_> = std::mem::take(&mut present).into_values().collect();
    if !gone.is_empty() {
        links.extend(lms::deleted_links(db, &gone).await?);
    }
    // Organizations created since the directory was read, named by links.
    let unknown: Vec<i64> = links
        .iter()
        .map(|l| l.organization_id)
        .filter(|id| directory.name(*id).is_none() && !rows.contains_key(id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !unknown.is_empty() {
        for (id, row) in lms::organizations_by_id(db, &unknown).await? {
            rows.insert(id, Some(row));
        }
    }
    pending.rows_read += (rows.len() + links.len()) as u64;
    let mut directory = directory.clone();
    let moves = directory.apply(&rows);
    let renamed: Vec<i64> = moves.renamed.iter().map(|(id, _)| *id).collect();
    let moved = if renamed.is_empty() {
        Vec::new()
    } else {
        lms::links_of(db, &renamed).await?
    };
    let changed: BTreeMap<i64, SourceOrg> = rows
        .into_iter()
        .filter_map(|(id, row)| row.map(|row| (id, row)))
        .collect();
    let mut round = LmsRound {
        changed,
        links,
        moved,
        moves,
        ..LmsRound::default()
    };
    // The first LMS holder of each name the round touches, in case it is not held here.
    let links = round.source_links(&directory);
    let context: Vec<i64> = round::touched(&round, &links, &Sources::default())
        .iter()
        .filter_map(|k| directory.first(k))
        .filter(|id| !round.changed.contains_key(id))
        .collect();
    if !context.is_empty() {
        round.context = lms::organizations_by_id(db, &context).await?;
    }
    pending.directory = Some(directory);
    Ok((Some(round), next))
}
