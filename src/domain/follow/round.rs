//! One round of following: what changed in the LMS, as the `Sources` of an import.
//!
//! The round goes through import's plan and writes (`domain::import::plan`, the same
//! validation, folding and comparison), so following is an import of the rows that changed.
//! What the plan needs beyond those rows, the organizations that links and memberships name,
//! is given as this service holds them: the LMS owns an organization's name, description, logo
//! and flag, but only a change of the organization's own row overwrites them here; a new link
//! or a membership does not.
//!
//! Organizations whose short names differ only in case are one organization, and the LMS's
//! first (lowest id) is the one import keeps; so for each short name the round touches, the
//! plan is given the first LMS organization holding it, never a later one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use crate::domain::import::org_key as key;
use crate::domain::import::{SourceLink, SourceOrg, Sources};
use crate::domain::names::Key;

/// The LMS's organizations by id: the short name each holds, and which ids hold each
/// identity.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    names: HashMap<i64, String>,
    by_key: HashMap<Key, BTreeSet<i64>>,
}

/// What one round's organization rows did to the directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Moves {
    /// Organizations whose short name changed to another identity: `(id, old name)`. Their
    /// links move to the new name.
    pub renamed: Vec<(i64, String)>,
    /// Short names no LMS organization holds any more (deleted, or renamed away).
    pub vacated: Vec<String>,
    /// The names deleted organizations held, for their links' last rows.
    pub deleted: HashMap<i64, String>,
}

impl Directory {
    pub fn new(rows: impl IntoIterator<Item = (i64, String)>) -> Self {
        let mut directory = Directory::default();
        for (id, name) in rows {
            directory.set(id, name);
        }
        directory
    }

    pub fn name(&self, id: i64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// The first LMS organization holding this identity.
    pub fn first(&self, key: &Key) -> Option<i64> {
        self.by_key.get(key).and_then(|ids| ids.first().copied())
    }

    /// Records `id`'s short name; the one it held before.
    fn set(&mut self, id: i64, name: String) -> Option<String> {
        let old = self.remove(id);
        if let Some(k) = key(&name) {
            self.by_key.entry(k).or_default().insert(id);
        }
        self.names.insert(id, name);
        old
    }

    fn remove(&mut self, id: i64) -> Option<String> {
        let old = self.names.remove(&id)?;
        if let Some(k) = key(&old)
            && let Some(ids) = self.by_key.get_mut(&k)
        {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_key.remove(&k);
            }
        }
        Some(old)
    }

    /// Applies the rows of organizations that changed (`None`: the LMS deleted it).
    pub fn apply(&mut self, rows: &BTreeMap<i64, Option<SourceOrg>>) -> Moves {
        let mut moves = Moves::default();
        let mut left = Vec::new();
        for (&id, row) in rows {
            match row {
                Some(row) => {
                    let old = self.set(id, row.short_name.clone());
                    if let Some(old) = old
                        && key(&old) != key(&row.short_name)
                    {
                        moves.renamed.push((id, old.clone()));
                        left.push(old);
                    }
                }
                None => {
                    if let Some(old) = self.remove(id) {
                        moves.deleted.insert(id, old.clone());
                        left.push(old);
                    }
                }
            }
        }
        for name in left {
            if key(&name).is_some_and(|k| self.first(&k).is_none())
                && !moves.vacated.contains(&name)
            {
                moves.vacated.push(name);
            }
        }
        moves
    }
}

/// A link as the LMS holds it: its organization by LMS id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LmsLink {
    pub course_key: String,
    pub organization_id: i64,
    pub active: bool,
}

/// What the LMS changed in one round, read after `Directory::apply`.
#[derive(Debug, Default)]
pub struct LmsRound {
    /// Organizations whose rows changed, as the LMS holds them now.
    pub changed: BTreeMap<i64, SourceOrg>,
    /// Other organizations read from the LMS: the first holder of a name the round touches.
    pub context: BTreeMap<i64, SourceOrg>,
    /// Links whose rows changed (a deleted one: its last row, inactive).
    pub links: Vec<LmsLink>,
    /// Every link of a renamed organization.
    pub moved: Vec<LmsLink>,
    pub moves: Moves,
}

impl LmsRound {
    /// The links as the plan reads them (by short name); a renamed organization's links leave
    /// its old name (inactive there) for its new one.
    pub fn source_links(&self, directory: &Directory) -> Vec<SourceLink> {
        let name = |id: i64| {
            directory
                .name(id)
                .or_else(|| self.moves.deleted.get(&id).map(String::as_str))
        };
        let mut out = Vec::new();
        for link in &self.links {
            if let Some(short_name) = name(link.organization_id) {
                out.push(SourceLink {
                    course_key: link.course_key.clone(),
                    short_name: short_name.to_owned(),
                    active: link.active,
                });
            }
        }
        for (id, old) in &self.moves.renamed {
            for link in self.moved.iter().filter(|l| l.organization_id == *id) {
                out.push(SourceLink {
                    course_key: link.course_key.clone(),
                    short_name: old.clone(),
                    active: false,
                });
                if let Some(new) = directory.name(*id) {
                    out.push(SourceLink {
                        course_key: link.course_key.clone(),
                        short_name: new.to_owned(),
                        active: link.active,
                    });
                }
            }
        }
        out
    }
}

/// The identities a round touches: its organizations', its links', and those its other
/// sources' memberships name.
pub fn touched(round: &LmsRound, links: &[SourceLink], others: &Sources) -> BTreeSet<Key> {
    let names = round
        .changed
        .values()
        .map(|o| o.short_name.as_str())
        .chain(round.moves.vacated.iter().map(String::as_str))
        .chain(links.iter().map(|l| l.short_name.as_str()))
        .chain(others.site_orgs.iter().map(|(_, name)| name.as_str()))
        .chain(
            others
                .partner_orgs
                .iter()
                .map(|(_, o)| o.short_name.as_str()),
        );
    names.filter_map(key).collect()
}

/// The `Sources` of a round: for each identity touched, the organization as the LMS's first
/// holder of it has it when that row changed, else as this service holds it (`held`, by
/// identity), else as the LMS holds it; a name no LMS organization holds any more is
/// deactivated. Then the links, and the other sources' rows (`others`: sites, partners,
/// memberships, discovery's organizations, which the plan merges after the LMS's).
pub fn sources(
    directory: &Directory,
    round: &LmsRound,
    links: Vec<SourceLink>,
    held: &HashMap<Key, SourceOrg>,
    mut others: Sources,
) -> Sources {
    let touched = touched(round, &links, &others);
    let vacated: BTreeSet<Key> = round.moves.vacated.iter().filter_map(|n| key(n)).collect();
    // In LMS id order, as import reads them.
    let mut lms: BTreeMap<i64, SourceOrg> = BTreeMap::new();
    let mut gone = Vec::new();
    for k in &touched {
        match directory.first(k) {
            Some(id) => {
                let row = round
                    .changed
                    .get(&id)
                    .or(held.get(k))
                    .or(round.context.get(&id));
                if let Some(row) = row {
                    lms.insert(id, row.clone());
                }
            }
            None if vacated.contains(k) => {
                if let Some(row) = held.get(k) {
                    gone.push(SourceOrg {
                        active: false,
                        ..row.clone()
                    });
                }
            }
            None => {}
        }
    }
    let mut organizations: Vec<SourceOrg> = lms.into_values().collect();
    organizations.extend(gone);
    others.organizations = organizations;
    others.links = links;
    others
}

#[cfg(test)]
mod tests;
