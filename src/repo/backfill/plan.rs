//! What the backfill would do, decided from bulk reads. The dry run reports this plan; apply
//! writes it.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Value};

use crate::domain::backfill::{
    BackfillOptions, BackfillReport, InvalidKey, OrgGroup, Parsed, PlannedLink, Progress,
    SAMPLE_LINKS,
};
use crate::domain::names::Key;
use crate::error::AppResult;
use crate::repo::bulk::{self as sql, MAX_PARAMS, Sql, pad, padded};

pub struct ExistingOrg {
    pub id: i64,
    pub short_name: String,
    pub active: bool,
}

pub struct Plan {
    /// Sorted by spelling; every per-group vector below has the same index.
    pub groups: Vec<OrgGroup>,
    pub existing: Vec<Option<ExistingOrg>>,
    /// Course keys to link, per group.
    pub create: Vec<Vec<String>>,
    /// Existing inactive organizations to reactivate (with their links).
    pub reactivate_orgs: Vec<i64>,
    /// Inactive links named in the input whose organization is active.
    pub reactivate_link_ids: Vec<i64>,
    /// Inactive links that come back with their reactivated organizations.
    pub links_with_orgs: u64,
    pub sample_reactivate: Vec<PlannedLink>,
    pub invalid: Vec<InvalidKey>,
    pub keys_read: u64,
}

pub async fn plan<C: ConnectionTrait>(
    db: &C,
    parsed: Parsed,
    opts: BackfillOptions,
    progress: &Progress,
) -> AppResult<Plan> {
    let Parsed {
        groups,
        keys: mut create,
        invalid,
        keys_read,
    } = parsed;
    let activate = !opts.inactive;
    let org_keys: Vec<&Key> = groups.iter().map(|g| &g.key).collect();
    let mut found = find_orgs(db, &org_keys).await?;
    drop(org_keys);
    let existing: Vec<Option<ExistingOrg>> = groups
        .iter()
        .map(|g| found.remove(g.key.as_str()))
        .collect();

    let links = existing_links(db, &existing, &create, progress).await?;
    let mut plan = Plan {
        groups,
        existing,
        create: Vec::new(),
        reactivate_orgs: Vec::new(),
        reactivate_link_ids: Vec::new(),
        links_with_orgs: 0,
        sample_reactivate: Vec::new(),
        invalid,
        keys_read,
    };
    for (g, org) in plan.existing.iter().enumerate() {
        let Some(org) = org else { continue };
        if activate && !org.active {
            plan.reactivate_orgs.push(org.id);
        }
        let mut i = 0;
        create[g].retain(|key| {
            i += 1;
            let Some(&(id, link_active)) = links.get(&(g, i - 1)) else {
                return true;
            };
            if activate && !link_active {
                if org.active {
                    plan.reactivate_link_ids.push(id);
                }
                if plan.sample_reactivate.len() < SAMPLE_LINKS {
                    plan.sample_reactivate.push(PlannedLink {
                        course_key: key.clone(),
                        organization: org.short_name.clone(),
                    });
                }
            }
            false
        });
    }
    plan.create = create;
    plan.links_with_orgs = count_inactive_links(db, &plan.reactivate_orgs).await?;
    Ok(plan)
}

/// Existing organizations by folded short name (as stored in `short_name_key`).
pub(super) async fn find_orgs<C: ConnectionTrait>(
    db: &C,
    keys: &[&Key],
) -> AppResult<HashMap<String, ExistingOrg>> {
    let mut found = HashMap::with_capacity(keys.len());
    for batch in keys.chunks(MAX_PARAMS) {
        let mut sql = Sql::new(
            db.get_database_backend(),
            "SELECT id, short_name, short_name_key, active FROM organization \
             WHERE short_name_key IN (",
        );
        sql.list(padded(batch.len())).push(")");
        let values = pad(batch).map(|&k| Value::from(k)).collect();
        for row in sql::query(db, &sql, values).await? {
            let org = ExistingOrg {
                id: row.try_get_by_index(0)?,
                short_name: row.try_get_by_index(1)?,
                active: row.try_get_by_index(3)?,
            };
            found.insert(row.try_get_by_index::<String>(2)?, org);
        }
    }
    Ok(found)
}

/// The links that exist for the input's keys of existing organizations:
/// (group, index of the key in the group) -> (link id, active).
/// A new organization has no links, so a backfill into an empty database reads nothing here.
async fn existing_links<C: ConnectionTrait>(
    db: &C,
    existing: &[Option<ExistingOrg>],
    keys: &[Vec<String>],
    progress: &Progress,
) -> AppResult<HashMap<(usize, usize), (i64, bool)>> {
    // Each key has exactly one organization (its org part), so a key names one link.
    let wanted: Vec<(&str, (i64, usize, usize))> = existing
        .iter()
        .zip(keys)
        .enumerate()
        .filter_map(|(g, (org, keys))| org.as_ref().map(|org| (g, org.id, keys)))
        .flat_map(|(g, id, keys)| {
            keys.iter()
                .enumerate()
                .map(move |(i, k)| (k.as_str(), (id, g, i)))
        })
        .collect();
    progress.phase("existing links read", wanted.len());
    let mut found = HashMap::new();
    for batch in wanted.chunks(MAX_PARAMS) {
        let wanted_here: HashMap<&str, (i64, usize, usize)> = batch.iter().copied().collect();
        let mut sql = Sql::new(
            db.get_database_backend(),
            "SELECT id, organization_id, course_key, active FROM course_link \
             WHERE course_key IN (",
        );
        sql.list(padded(batch.len())).push(")");
        let values = pad(batch).map(|&(k, _)| Value::from(k)).collect();
        for row in sql::query(db, &sql, values).await? {
            let org_id: i64 = row.try_get_by_index(1)?;
            let key: String = row.try_get_by_index(2)?;
            // The same key may also be linked to other organizations; those are not ours.
            if let Some(&(_, g, i)) = wanted_here
                .get(key.as_str())
                .filter(|(id, _, _)| *id == org_id)
            {
                found.insert((g, i), (row.try_get_by_index(0)?, row.try_get_by_index(3)?));
            }
        }
        progress.inc(batch.len());
    }
    Ok(found)
}

async fn count_inactive_links<C: ConnectionTrait>(db: &C, org_ids: &[i64]) -> AppResult<u64> {
    let mut count = 0;
    for batch in org_ids.chunks(MAX_PARAMS) {
        let mut sql = Sql::new(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM course_link WHERE active = ",
        );
        sql.param().push(" AND organization_id IN (");
        sql.list(padded(batch.len())).push(")");
        let mut values = vec![Value::from(false)];
        values.extend(pad(batch).map(|&id| Value::from(id)));
        for row in sql::query(db, &sql, values).await? {
            count += row.try_get_by_index::<i64>(0)? as u64;
        }
    }
    Ok(count)
}

impl Plan {
    /// The short name links of group `g` go to.
    pub fn short_name(&self, g: usize) -> &str {
        self.existing[g]
            .as_ref()
            .map_or(self.groups[g].spelling.as_str(), |org| {
                org.short_name.as_str()
            })
    }

    /// Groups whose organization does not exist yet.
    pub fn new_groups(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.groups.len()).filter(|&g| self.existing[g].is_none())
    }

    /// The report of this plan as a dry run.
    pub fn report(&self, opts: BackfillOptions) -> BackfillReport {
        let organizations_to_create: Vec<String> = self
            .new_groups()
            .map(|g| self.groups[g].spelling.as_str().to_owned())
            .collect();
        let mut organizations_to_reactivate: Vec<String> = if opts.inactive {
            Vec::new()
        } else {
            self.existing
                .iter()
                .flatten()
                .filter(|org| !org.active)
                .map(|org| org.short_name.clone())
                .collect()
        };
        organizations_to_reactivate.sort();
        let sample_links_to_create = (0..self.groups.len())
            .flat_map(|g| self.create[g].iter().map(move |key| (g, key)))
            .take(SAMPLE_LINKS)
            .map(|(g, key)| PlannedLink {
                course_key: key.clone(),
                organization: self.short_name(g).to_owned(),
            })
            .collect();
        BackfillReport {
            applied: false,
            keys_read: self.keys_read,
            organizations_created: organizations_to_create.len() as u64,
            organizations_reactivated: organizations_to_reactivate.len() as u64,
            links_created: self.create.iter().map(|k| k.len() as u64).sum(),
            links_reactivated: self.links_with_orgs + self.reactivate_link_ids.len() as u64,
            links_reactivated_with_organizations: self.links_with_orgs,
            invalid_keys: self.invalid.clone(),
            organizations_to_create,
            organizations_to_reactivate,
            sample_links_to_create,
            sample_links_to_reactivate: self.sample_reactivate.clone(),
        }
    }
}
