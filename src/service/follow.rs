//! Following the services' databases (docs/adopting.md): a round reads what changed in each source
//! since its marks and applies it as an import of those rows (`import::write_plan`: the same
//! plan, validation, comparison and change log), in one transaction with the new marks, as
//! actor `follow`. The first round of a source (no marks, or marks of another database) imports
//! it whole.
//!
//! A source that cannot be read is left out of the round (and reported); the others go on.
//! Marks are swapped only when they still hold what this follower read (`repo::follow::swap`):
//! a round that lost that race writes nothing, and the follower reads the marks again.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::import::{self, ImportReport};
use super::{Actor, transaction};
use crate::access::decide as authz;
use crate::domain::backfill::Progress;
use crate::domain::follow::round::{self, Directory, LmsRound};
use crate::domain::follow::{Marks, origin};
use crate::domain::import::{self as dom, SourceOrg, Sources};
use crate::domain::names::Key;
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::repo::import::feed::{self, DISCOVERY_SMALL, ECOMMERCE_SMALL, LMS_SMALL};
use crate::repo::import::{connect_counted, lms};

mod lms_reads;
use lms_reads::{lms_changes, whole_lms};

/// The databases to follow (URLs), and the LMS's `MEDIA_URL` for its logos.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub lms: Option<String>,
    pub discovery: Option<String>,
    pub ecommerce: Option<String>,
    pub media_url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Lms,
    Discovery,
    Ecommerce,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lms => "lms",
            Kind::Discovery => "discovery",
            Kind::Ecommerce => "ecommerce",
        }
    }
}

/// One followed database.
struct Source {
    kind: Kind,
    url: String,
    origin: String,
    db: Option<DatabaseConnection>,
    /// Its statements (`tenancy_follow_source_statements_total{source}`).
    statements: prometheus::IntCounter,
    /// The digest of its small tables as last applied (`None` after a start: read them once).
    digest: Option<String>,
}

/// A source's marks as this service's database holds them.
#[derive(Clone)]
struct Stored {
    origin: String,
    json: String,
    marks: Marks,
}

/// What a round did.
#[derive(Debug, Default)]
pub struct Round {
    /// Sources that could not be read (left out of the round).
    pub failed: Vec<(Kind, AppError)>,
    /// What was written (`None`: nothing had changed, or the round lost its marks).
    pub applied: Option<ImportReport>,
    /// Rows read from the sources because they changed.
    pub rows_read: u64,
    /// Another follower moved the marks first: nothing was written.
    pub superseded: bool,
}

pub struct Follower {
    sources: Vec<Source>,
    media_url: Option<String>,
    /// Marks as last read or written (`None`: read them first).
    stored: Option<HashMap<Kind, Stored>>,
    /// The LMS's organizations by id, as of the last round applied.
    directory: Option<Directory>,
}

/// What the LMS gave a round.
enum LmsPart {
    /// Everything (its first round).
    Whole(Sources),
    /// What changed since the marks.
    Changes { round: LmsRound, others: Sources },
}

/// What a round read and will write.
#[derive(Default)]
struct Pending {
    lms: Option<LmsPart>,
    directory: Option<Directory>,
    /// The other sources' rows (sites, partners, memberships), read whole.
    others: Sources,
    /// New marks: (source, origin, marks).
    marks: Vec<(Kind, String, Marks)>,
    /// New digests: (index of the source, digest).
    digests: Vec<(usize, String)>,
    rows_read: u64,
}

impl Follower {
    /// A follower of the databases in `settings`; `statements` counts each source's statements
    /// (labelled by its name).
    pub fn new(settings: &Settings, statements: &prometheus::IntCounterVec) -> Follower {
        let sources = [
            (Kind::Lms, &settings.lms),
            (Kind::Discovery, &settings.discovery),
            (Kind::Ecommerce, &settings.ecommerce),
        ]
        .into_iter()
        .filter_map(|(kind, url)| {
            url.as_ref().map(|url| Source {
                kind,
                url: url.clone(),
                origin: origin(url),
                db: None,
                statements: statements.with_label_values(&[kind.name()]),
                digest: None,
            })
        })
        .collect();
        Follower {
            sources,
            media_url: settings.media_url.clone(),
            stored: None,
            directory: None,
        }
    }

    pub fn kinds(&self) -> Vec<Kind> {
        self.sources.iter().map(|s| s.kind).collect()
    }

    /// Reads what changed and applies it, in one transaction of `actor` (an administrator).
    pub async fn round(&mut self, actor: Actor<'_>) -> AppResult<Round> {
        authz::require_admin(actor.scope, "following")?;
        if self.stored.is_none() {
            let rows = repo::follow::marks(actor.db).await?;
            let mut stored = HashMap::new();
            for row in rows {
                let kind = self
                    .sources
                    .iter()
                    .map(|s| s.kind)
                    .find(|k| k.name() == row.source);
                let (Some(kind), Ok(marks)) = (kind, Marks::parse(&row.marks)) else {
                    continue;
                };
                stored.insert(
                    kind,
                    Stored {
                        origin: row.origin,
                        json: row.marks,
                        marks,
                    },
                );
            }
            self.stored = Some(stored);
        }
        let mut pending = Pending::default();
        let mut done = Round::default();
        for i in 0..self.sources.len() {
            if let Err(err) = self.read(i, &mut pending).await {
                let source = &mut self.sources[i];
                tracing::warn!(source = source.kind.name(), error = %err.for_operator(), "follow: cannot read the source");
                done.failed.push((source.kind, err));
            }
        }
        done.rows_read = pending.rows_read;
        if pending.lms.is_none() && pending.marks.is_empty() && pending.digests.is_empty() {
            return Ok(done);
        }
        let stored = self.stored.clone().unwrap_or_default();
        let media_url = self.media_url.clone();
        // A whole import is planned once, outside the transaction (which may run again): a
        // million links are not copied for each attempt.
        let whole = match pending.lms.take() {
            Some(LmsPart::Whole(mut sources)) => {
                sources.append(std::mem::take(&mut pending.others));
                sources.media_url = media_url.clone();
                Some(dom::plan(&sources))
            }
            other => {
                pending.lms = other;
                None
            }
        };
        // The LMS's names after this round (or as they were, when the LMS changed nothing).
        let empty = Directory::default();
        let directory = pending
            .directory
            .as_ref()
            .or(self.directory.as_ref())
            .unwrap_or(&empty);
        let written = transaction!(actor, |write| {
            // The marks first: a round that lost them writes nothing.
            for (kind, new_origin, marks) in &pending.marks {
                let before = stored
                    .get(kind)
                    .map(|s| (s.origin.as_str(), s.json.as_str()));
                let swapped = repo::follow::swap(
                    write.txn(),
                    kind.name(),
                    before,
                    new_origin,
                    &marks.to_json(),
                )
                .await?;
                if !swapped {
                    write.roll_back();
                    return Ok(None);
                }
            }
            if let Some(plan) = &whole {
                let report =
                    import::write_plan(write, plan, actor.scope, true, &Progress::default())
                        .await?;
                return Ok(Some(report));
            }
            let mut sources = match &pending.lms {
                Some(LmsPart::Whole(_)) => return Err(lost("whole import's plan")),
                Some(LmsPart::Changes { round, others }) => {
                    hold_writers(write).await?;
                    let links = round.source_links(directory);
                    let mut others = others.clone();
                    others.append(pending.others.clone());
                    let held = held(write, round, &links, &others).await?;
                    round::sources(directory, round, links, &held, others)
                }
                None => {
                    hold_writers(write).await?;
                    let round = LmsRound::default();
                    let others = pending.others.clone();
                    let held = held(write, &round, &[], &others).await?;
                    round::sources(directory, &round, Vec::new(), &held, others)
                }
            };
            sources.media_url = media_url.clone();
            let plan = dom::plan(&sources);
            let report =
                import::write_plan(write, &plan, actor.scope, true, &Progress::default()).await?;
            Ok(Some(report))
        })?;
        let Some(report) = written else {
            // Another follower moved the marks: start again from what it wrote.
            self.stored = None;
            self.directory = None;
            for source in &mut self.sources {
                source.digest = None;
            }
            done.superseded = true;
            return Ok(done);
        };
        let stored = self.stored.get_or_insert_with(HashMap::new);
        for (kind, origin, marks) in pending.marks {
            stored.insert(
                kind,
                Stored {
                    origin,
                    json: marks.to_json(),
                    marks,
                },
            );
        }
        for (i, digest) in pending.digests {
            self.sources[i].digest = Some(digest);
        }
        if let Some(directory) = pending.directory {
            self.directory = Some(directory);
        }
        if !report.conflicts.is_empty() {
            tracing::info!(conflicts = ?report.conflicts, "follow: the plan's decisions");
        }
        done.applied = Some(report);
        Ok(done)
    }

    /// Reads source `i` into `pending`.
    async fn read(&mut self, i: usize, pending: &mut Pending) -> AppResult<()> {
        let source = &mut self.sources[i];
        if source.db.is_none() {
            source.db = Some(connect_counted(&source.url, Some(source.statements.clone())).await?);
        }
        let db = source.db.as_ref().ok_or_else(|| lost("source"))?;
        let stored = self
            .stored
            .as_ref()
            .and_then(|s| s.get(&source.kind))
            .filter(|s| s.origin == source.origin);
        let now_ms = Utc::now().timestamp_millis();
        let small = match source.kind {
            Kind::Lms => LMS_SMALL,
            Kind::Discovery => DISCOVERY_SMALL,
            Kind::Ecommerce => ECOMMERCE_SMALL,
        };
        let digest = feed::digest(db, small).await?;
        let small_changed = source.digest.as_ref() != Some(&digest);
        let mut others = Sources::default();
        if small_changed || stored.is_none() {
            match source.kind {
                Kind::Lms => import::read_lms_sites(db, &mut others).await?,
                Kind::Discovery => import::read_discovery(db, &mut others).await?,
                Kind::Ecommerce => import::read_ecommerce(db, &mut others).await?,
            }
        }
        if source.kind != Kind::Lms {
            if stored.is_none() {
                pending
                    .marks
                    .push((source.kind, source.origin.clone(), Marks::default()));
            }
            if small_changed || stored.is_none() {
                pending.rows_read += others.rows();
                pending.others.append(others);
                pending.digests.push((i, digest));
            }
            return Ok(());
        }
        let (part, marks) = match stored {
            None => {
                let (whole, marks, directory) = whole_lms(db, now_ms).await?;
                pending.directory = Some(directory);
                let mut whole = whole;
                whole.append(others);
                pending.rows_read += whole.rows();
                (Some(LmsPart::Whole(whole)), Some(marks))
            }
            Some(stored) => {
                if self.directory.is_none() {
                    // After a start: the LMS's names now.
                    self.directory = Some(Directory::new(lms::names(db).await?));
                }
                let directory = self.directory.as_ref().ok_or_else(|| lost("directory"))?;
                let (changes, marks) =
                    lms_changes(db, &stored.marks, directory, now_ms, pending).await?;
                let marks = (marks != stored.marks).then_some(marks);
                let part = match changes {
                    Some(round) => Some(LmsPart::Changes { round, others }),
                    None if small_changed => Some(LmsPart::Changes {
                        round: LmsRound::default(),
                        others,
                    }),
                    None => None,
                };
                (part, marks)
            }
        };
        if let Some(marks) = marks {
            pending
                .marks
                .push((Kind::Lms, source.origin.clone(), marks));
        }
        if small_changed {
            pending.digests.push((i, digest));
        }
        pending.lms = part;
        Ok(())
    }
}

fn lost(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("follow: the {what} vanished"))
}

/// Makes writers that commit after this point wait for the round (PostgreSQL: the change
/// log's lock, which every writer takes to log), so that a local edit is either read as held
/// below or lands after the round, never overwritten by a stale copy of itself. Not for a
/// whole import, which takes its tables' locks first (`bulk::rebuild`).
async fn hold_writers(write: &super::Write) -> AppResult<()> {
    repo::change::begin_logging(write.txn()).await
}

/// The organizations this service holds for the names the round touches, by identity.
async fn held(
    write: &super::Write,
    round: &LmsRound,
    links: &[dom::SourceLink],
    others: &Sources,
) -> AppResult<HashMap<Key, SourceOrg>> {
    let keys: Vec<Key> = round::touched(round, links, others).into_iter().collect();
    let mut rows = repo::organization::write::find_many(write.txn(), &keys).await?;
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let o = rows.remove(key.as_str())?;
            let org = SourceOrg {
                short_name: o.short_name,
                name: o.name,
                description: o.description,
                logo: o.logo_url,
                active: o.active,
            };
            Some((key, org))
        })
        .collect())
}
