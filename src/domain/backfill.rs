//! Backfill's pure part: the report's types and parsing lines into course keys grouped by
//! case-folded organization (in parallel for large inputs). `repo::backfill` plans and writes;
//! `service::backfill` runs it. The operation, edx-platform's `backfill_orgs_and_org_courses` (edx-organizations'
//! `bulk_add_organizations` + `bulk_add_organization_courses`) over a list of course keys.
//!
//! The operation runs in three steps:
//! * `parse` (here): lines to course keys, grouped by organization (short names that differ only in
//!   case are one group); invalid keys are collected with their line numbers.
//! * `repo::backfill::plan`: reads what exists (bulk `IN` lookups, only for organizations that exist: a new
//!   organization cannot have links yet) and decides every row to create or reactivate. The dry
//!   run stops here, so its counts are exactly what `apply` would do.
//! * `repo::backfill::apply`: writes the plan with multi-row inserts and set-based updates, in one transaction.
//!
//! Rules worth knowing:
//! * Blank lines and lines starting with `#` (after trimming) are skipped here, so the CLI and
//!   the GraphQL mutation behave the same; surrounding whitespace of a key is ignored.
//! * Case folding: an existing organization wins; otherwise the smallest spelling in sorted
//!   (code point) order becomes the short name, so `edX` beats `edx`. Links of every spelling go
//!   to that organization; each distinct course key is one link.
//! * Reactivating an organization reactivates its links, as deactivating one does,
//!   and `links_reactivated` counts every link row that goes from inactive to active (those are
//!   also counted in `links_reactivated_with_organizations`). With `inactive`, new rows are
//!   created inactive and nothing is reactivated, as edx-organizations' `activate=False`.
//! * Apply reports the rows the statements actually changed; without concurrent writers they
//!   equal the dry run's counts.

use std::collections::HashMap;

use crate::domain::course_key::CourseKey;
use crate::domain::names::{Key, Parse, ShortName};
// Long-running operations (backfill, import) share it; it was born here.
pub use crate::domain::progress::Progress;

/// Below this many lines one thread parses everything (threads cost more than they save).
const PARALLEL_THRESHOLD: usize = 20_000;
/// Progress is reported per this many lines.
const PROGRESS_STEP: usize = 10_000;

/// Organizations that differ only in case, as one.
pub struct OrgGroup {
    /// The folded short name, unique in the organization table.
    pub key: Key,
    /// The spelling a new organization gets: the smallest one seen (`edX` before `edx`).
    pub spelling: ShortName,
}

pub struct Parsed {
    /// Sorted by spelling.
    pub groups: Vec<OrgGroup>,
    /// Per group (same index): its distinct course keys, sorted.
    pub keys: Vec<Vec<String>>,
    pub invalid: Vec<InvalidKey>,
    pub keys_read: u64,
}

/// One thread's share: spellings in first-seen order and keys pointing at them.
#[derive(Default)]
struct Chunk {
    spellings: Vec<ShortName>,
    keys: Vec<(u32, String)>,
    invalid: Vec<InvalidKey>,
}

pub fn parse(lines: Vec<(usize, String)>, progress: &Progress) -> Parsed {
    progress.phase("lines parsed", lines.len());
    let threads = if lines.len() < PARALLEL_THRESHOLD {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    let chunks = split(lines, threads);
    let chunks: Vec<Chunk> = if threads == 1 {
        chunks
            .into_iter()
            .map(|c| parse_chunk(c, progress))
            .collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|c| s.spawn(|| parse_chunk(c, progress)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    merge(chunks)
}

/// Splits into `n` consecutive parts (consecutive, so invalid keys stay in line order).
fn split(mut lines: Vec<(usize, String)>, n: usize) -> Vec<Vec<(usize, String)>> {
    let size = lines.len().div_ceil(n.max(1)).max(1);
    let mut parts = Vec::with_capacity(n);
    while lines.len() > size {
        let rest = lines.split_off(size);
        parts.push(std::mem::replace(&mut lines, rest));
    }
    parts.push(lines);
    parts
}

fn parse_chunk(lines: Vec<(usize, String)>, progress: &Progress) -> Chunk {
    let mut chunk = Chunk::default();
    // Spelling -> index in `chunk.spellings`, or why it is not a valid short name.
    let mut seen: HashMap<String, Result<u32, String>> = HashMap::new();
    let count = lines.len();
    for (i, (line, raw)) in lines.into_iter().enumerate() {
        if i % PROGRESS_STEP == PROGRESS_STEP - 1 {
            progress.inc(PROGRESS_STEP);
        }
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let key = match CourseKey::parse_stored(text) {
            Ok(key) => key,
            Err(e) => {
                chunk.invalid.push(invalid(line, text, e.reason));
                continue;
            }
        };
        let org = key.org();
        let slot = match seen.get(org) {
            Some(slot) => slot.clone(),
            None => {
                let slot = match ShortName::parse(org) {
                    Ok(name) => {
                        chunk.spellings.push(name);
                        Ok((chunk.spellings.len() - 1) as u32)
                    }
                    Err(e) => Err(format!("invalid organization {org:?}: {e}")),
                };
                seen.insert(org.to_owned(), slot.clone());
                slot
            }
        };
        match slot {
            Ok(index) => {
                // Reuse the line's allocation when the key is the line itself (the usual case).
                let text = if key.as_str() == raw {
                    raw
                } else {
                    key.as_str().to_owned()
                };
                chunk.keys.push((index, text));
            }
            Err(reason) => chunk.invalid.push(invalid(line, key.as_str(), reason)),
        }
    }
    progress.inc(count % PROGRESS_STEP);
    chunk
}

fn invalid(line: usize, key: &str, reason: String) -> InvalidKey {
    InvalidKey {
        line,
        key: key.to_owned(),
        reason,
    }
}

fn merge(chunks: Vec<Chunk>) -> Parsed {
    let mut by_key: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<OrgGroup> = Vec::new();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut invalid = Vec::new();
    let mut keys_read = 0;
    for chunk in chunks {
        let local: Vec<usize> = chunk
            .spellings
            .into_iter()
            .map(|spelling| {
                let folded = spelling.key();
                match by_key.get(&folded) {
                    Some(&g) => {
                        if spelling.as_str() < groups[g].spelling.as_str() {
                            groups[g].spelling = spelling;
                        }
                        g
                    }
                    None => {
                        by_key.insert(folded.clone(), groups.len());
                        groups.push(OrgGroup {
                            key: folded,
                            spelling,
                        });
                        keys.push(Vec::new());
                        groups.len() - 1
                    }
                }
            })
            .collect();
        keys_read += chunk.keys.len() as u64;
        for (index, key) in chunk.keys {
            keys[local[index as usize]].push(key);
        }
        invalid.extend(chunk.invalid);
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| groups[a].spelling.as_str().cmp(groups[b].spelling.as_str()));
    let mut groups: Vec<Option<OrgGroup>> = groups.into_iter().map(Some).collect();
    let mut keys: Vec<Option<Vec<String>>> = keys.into_iter().map(Some).collect();
    let mut sorted_groups = Vec::with_capacity(order.len());
    let mut sorted_keys = Vec::with_capacity(order.len());
    for i in order {
        sorted_groups.extend(groups[i].take());
        sorted_keys.extend(keys[i].take());
    }
    sort_dedup(&mut sorted_keys);
    Parsed {
        groups: sorted_groups,
        keys: sorted_keys,
        invalid,
        keys_read,
    }
}

/// Sorts and dedups every group's keys, on two threads when there is enough to do.
fn sort_dedup(keys: &mut [Vec<String>]) {
    let total: usize = keys.iter().map(Vec::len).sum();
    let work = |part: &mut [Vec<String>]| {
        for list in part {
            list.sort_unstable();
            list.dedup();
        }
    };
    if total < PARALLEL_THRESHOLD || keys.len() < 2 {
        return work(keys);
    }
    // Split where half of the keys are, not half of the groups.
    let mut acc = 0;
    let mid = keys
        .iter()
        .position(|list| {
            acc += list.len();
            acc >= total / 2
        })
        .map_or(keys.len() / 2, |i| (i + 1).min(keys.len() - 1));
    let (left, right) = keys.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| work(left));
        work(right);
    });
}

/// How many planned links of each kind the report lists.
pub const SAMPLE_LINKS: usize = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackfillOptions {
    /// Write the plan; without it nothing is written (dry run).
    pub apply: bool,
    /// Create organizations and links inactive and reactivate nothing.
    pub inactive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidKey {
    /// 1-based, as in the input.
    pub line: usize,
    pub key: String,
    pub reason: String,
}

/// A link the plan creates or reactivates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedLink {
    pub course_key: String,
    /// The short name of the organization it goes to.
    pub organization: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// True when the changes were written (`apply`), false for a dry run.
    pub applied: bool,
    /// Valid key lines read (duplicates included).
    pub keys_read: u64,
    pub organizations_created: u64,
    pub organizations_reactivated: u64,
    pub links_created: u64,
    /// Every link that goes from inactive to active, including links of reactivated orgs.
    pub links_reactivated: u64,
    /// The part of `links_reactivated` that comes back with its reactivated organization.
    pub links_reactivated_with_organizations: u64,
    pub invalid_keys: Vec<InvalidKey>,
    /// Short names of the organizations created (or to create), sorted.
    pub organizations_to_create: Vec<String>,
    /// Short names of the organizations reactivated (or to reactivate), sorted.
    pub organizations_to_reactivate: Vec<String>,
    /// The first `SAMPLE_LINKS` links to create, in organization then key order.
    pub sample_links_to_create: Vec<PlannedLink>,
    /// The first `SAMPLE_LINKS` links named in the input to reactivate.
    pub sample_links_to_reactivate: Vec<PlannedLink>,
}

#[cfg(test)]
mod tests;
