//! Import (docs/adopting.md): what the services' databases hold, and how their rows become one graph.
//!
//! Sources are read into `Sources` (plain rows, as each service stores them); `plan` merges them:
//! short names equal but for case become one organization (the first stored wins), the LMS wins
//! where another source disagrees, and every such decision is reported as a conflict. Every
//! value passes the rules of the API (`names`, the same types every entry point parses): what
//! does not fit is cut, left out or skipped as `fit` says, and reported by table and key.

use std::collections::HashMap;

use rayon::prelude::*;

mod fit;
mod sources;

pub use sources::{SourceLink, SourceOrg, SourcePartner, Sources, course_org_filter, logo_url};

use super::course_key::CourseKey;
use super::names::{
    Description, Domain, Key, OrganizationName, Parse, PartnerCode, PartnerName, ShortName,
    SiteName, Url,
};

/// An organization as it will be written: every value within the rules of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedOrg {
    pub name: ShortName,
    pub display_name: OrganizationName,
    pub description: Option<Description>,
    pub logo_url: Option<Url>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPartner {
    pub code: PartnerCode,
    pub name: PartnerName,
    pub lms_url: Option<Url>,
    pub studio_url: Option<Url>,
    pub marketing_site_url: Option<Url>,
}

pub struct PlannedSite {
    pub domain: Domain,
    pub name: SiteName,
    /// Index in `Plan::partners`.
    pub partner: Option<usize>,
}

/// The graph to write; indexes point into `organizations`, `partners` and `sites`.
#[derive(Default)]
pub struct Plan {
    pub organizations: Vec<PlannedOrg>,
    pub links: Vec<(CourseKey, usize, bool)>,
    pub partners: Vec<PlannedPartner>,
    pub sites: Vec<PlannedSite>,
    pub partner_orgs: Vec<(usize, usize)>,
    pub site_orgs: Vec<(usize, usize)>,
    /// Decisions an operator should know about, each naming its table and key: case
    /// duplicates, disagreements, rows skipped, values cut or left out.
    pub conflicts: Vec<String>,
}

/// The tables rows come from, as reports name them.
const LMS_ORGS: &str = "organizations_organization";
const LMS_LINKS: &str = "organizations_organizationcourse";
const DISCOVERY_ORGS: &str = "course_metadata_organization";
const SITES: &str = "django_site";
const SITE_CONFIGURATIONS: &str = "site_configuration_siteconfiguration";

fn partner_table(source: &str) -> &'static str {
    if source == "ecommerce" {
        "partner_partner"
    } else {
        "core_partner"
    }
}

/// The folded key of a name as a source spells it (`None`: no record could have it).
fn key_of<T: Parse>(spelling: &str, key: impl Fn(&T) -> Key) -> Option<Key> {
    T::parse(spelling).ok().map(|v| key(&v))
}

/// The identity `plan` gives an organization a source names by this short name (`None`: the
/// plan skips the row).
pub fn org_key(short_name: &str) -> Option<Key> {
    key_of(short_name, ShortName::key)
}

impl Plan {
    fn row<'a>(&'a mut self, table: &'a str, key: &'a str) -> fit::Row<'a> {
        fit::Row {
            table,
            key,
            notes: &mut self.conflicts,
        }
    }

    /// The organization a row of `table` names, planned from it unless an earlier row (the
    /// LMS's, read first) already did.
    fn org(
        &mut self,
        row: &SourceOrg,
        table: &str,
        by_key: &mut HashMap<Key, usize>,
    ) -> Option<usize> {
        let name: ShortName = self.row(table, &row.short_name).identity("short name")?;
        if let Some(&i) = by_key.get(&name.key()) {
            // Fitted only to compare: what it would have noted is beside the point.
            let mut scratch = Vec::new();
            let mut fit = fit::Row {
                table,
                key: &row.short_name,
                notes: &mut scratch,
            };
            let display_name = fit.name(&row.name, name.as_str(), OrganizationName::cut);
            let description = fit.description(row.description.as_deref());
            let kept = &self.organizations[i];
            if kept.name != name {
                let note = format!(
                    "differs from {:?} only in case: kept as one, {:?}",
                    kept.name.as_str(),
                    kept.name.as_str()
                );
                self.row(table, &row.short_name).note(note);
            } else if (Some(&kept.display_name), &kept.description)
                != (display_name.as_ref(), &description)
            {
                let note = format!(
                    "disagrees with the LMS (name {:?} vs {:?}): the LMS wins",
                    row.name,
                    kept.display_name.as_str()
                );
                self.row(table, &row.short_name).note(note);
            }
            return Some(i);
        }
        let planned = self.planned_org(&name, row, table)?;
        by_key.insert(name.key(), self.organizations.len());
        self.organizations.push(planned);
        Some(self.organizations.len() - 1)
    }

    /// The row's values as this service holds them (`fit`); `None` when it cannot be held.
    fn planned_org(
        &mut self,
        name: &ShortName,
        row: &SourceOrg,
        table: &str,
    ) -> Option<PlannedOrg> {
        let mut fit = self.row(table, &row.short_name);
        let display_name = fit.name(&row.name, name.as_str(), OrganizationName::cut)?;
        Some(PlannedOrg {
            name: name.clone(),
            display_name,
            description: fit.description(row.description.as_deref()),
            logo_url: fit.url("logo", row.logo.as_deref()),
            active: row.active,
        })
    }

    fn partner(
        &mut self,
        source: &str,
        row: &SourcePartner,
        by_key: &mut HashMap<Key, usize>,
    ) -> Option<usize> {
        let table = partner_table(source);
        let code: PartnerCode = self.row(table, &row.short_code).identity("short code")?;
        let mut fit = self.row(table, &row.short_code);
        let name = fit.name(&row.name, code.as_str(), PartnerName::cut)?;
        let lms_url = fit.url("lms_url", row.lms_url.as_deref());
        let studio_url = fit.url("studio_url", row.studio_url.as_deref());
        let marketing_site_url = fit.url("marketing_site_url", row.marketing_site_url.as_deref());
        if let Some(&i) = by_key.get(&code.key()) {
            let kept = &mut self.partners[i];
            let disagrees = kept.name != name;
            let kept_name = kept.name.as_str().to_owned();
            kept.lms_url = kept.lms_url.take().or(lms_url);
            if disagrees {
                let note = format!(
                    "named {:?}, discovery names it {kept_name:?}: discovery wins",
                    name.as_str()
                );
                self.row(table, &row.short_code).note(note);
            }
            return Some(i);
        }
        by_key.insert(code.key(), self.partners.len());
        self.partners.push(PlannedPartner {
            code,
            name,
            lms_url,
            studio_url,
            marketing_site_url,
        });
        Some(self.partners.len() - 1)
    }

    fn site(
        &mut self,
        domain: &str,
        name: &str,
        by_key: &mut HashMap<Key, usize>,
    ) -> Option<usize> {
        let domain: Domain = self.row(SITES, domain).identity("domain")?;
        if let Some(&i) = by_key.get(&domain.key()) {
            return Some(i);
        }
        let key = domain.as_str().to_owned();
        let name = self
            .row(SITES, &key)
            .name(name, domain.as_str(), SiteName::cut)
            // A domain too long for a name: the name is the domain cut to fit.
            .or_else(|| SiteName::cut(domain.as_str()).ok().map(|(n, _)| n))?;
        by_key.insert(domain.key(), self.sites.len());
        self.sites.push(PlannedSite {
            domain,
            name,
            partner: None,
        });
        Some(self.sites.len() - 1)
    }
}

/// Merges the sources into the graph to write.
pub fn plan(sources: &Sources) -> Plan {
    let mut plan = Plan::default();
    let mut orgs = HashMap::new();
    for row in &sources.organizations {
        let mut row = row.clone();
        row.logo = row.logo.take().and_then(|logo| {
            let url = logo_url(sources.media_url.as_deref(), &logo);
            if url.is_none() {
                plan.row(LMS_ORGS, &row.short_name).note(format!(
                    "logo {logo:?} is a media path: pass --lms-media-url to keep it"
                ));
            }
            url
        });
        plan.org(&row, LMS_ORGS, &mut orgs);
    }
    let mut partners: HashMap<Key, usize> = HashMap::new();
    for (source, row) in &sources.partners {
        plan.partner(source, row, &mut partners);
    }
    let mut sites = HashMap::new();
    for (domain, name) in &sources.sites {
        plan.site(domain, name, &mut sites);
    }
    let partner_of = |code: &str, partners: &HashMap<Key, usize>| {
        key_of(code, PartnerCode::key).and_then(|k| partners.get(&k).copied())
    };
    for (domain, code) in &sources.site_partners {
        let (Some(site), Some(partner)) = (
            plan.site(domain, domain, &mut sites),
            partner_of(code, &partners),
        ) else {
            continue;
        };
        match plan.sites[site].partner {
            Some(p) if p != partner => {
                let note = format!(
                    "belongs to partner {:?} and {code:?}: the first kept",
                    plan.partners[p].code.as_str()
                );
                plan.row(SITES, domain).note(note);
            }
            _ => plan.sites[site].partner = Some(partner),
        }
    }
    for (code, row) in &sources.partner_orgs {
        let Some(org) = plan.org(row, DISCOVERY_ORGS, &mut orgs) else {
            continue;
        };
        if let Some(partner) = partner_of(code, &partners) {
            plan.partner_orgs.push((partner, org));
        }
    }
    for (domain, short_name) in &sources.site_orgs {
        let org = key_of(short_name, ShortName::key).and_then(|k| orgs.get(&k).copied());
        let site = key_of(domain, Domain::key).and_then(|k| sites.get(&k).copied());
        match (site, org) {
            (Some(site), Some(org)) => plan.site_orgs.push((site, org)),
            _ => plan.row(SITE_CONFIGURATIONS, domain).note(format!(
                "course_org_filter names organization {short_name:?}, which is not in {LMS_ORGS}: skipped"
            )),
        }
    }
    // One link per (course, organization); a case duplicate's links join the kept organization.
    // A million links: organizations looked up once per spelling as read, each key parsed
    // once, on every core (the target database waits meanwhile), then sorted and merged.
    let mut spellings: HashMap<&str, Option<usize>> = HashMap::new();
    let owners: Vec<Option<usize>> = sources
        .links
        .iter()
        .map(|link| {
            *spellings
                .entry(link.short_name.as_str())
                .or_insert_with(|| {
                    key_of(&link.short_name, ShortName::key).and_then(|k| orgs.get(&k).copied())
                })
        })
        .collect();
    let parsed: Vec<Result<(usize, CourseKey, bool), String>> = sources
        .links
        .par_iter()
        .zip(owners)
        .filter_map(|(link, org)| {
            let org = org?;
            Some(match CourseKey::parse_stored(&link.course_key) {
                Ok(key) => Ok((org, key, link.active)),
                Err(e) => Err(format!(
                    "{LMS_LINKS} {:?}: skipped: {}",
                    link.course_key, e.reason
                )),
            })
        })
        .collect();
    let mut links: Vec<(usize, CourseKey, bool)> = Vec::with_capacity(parsed.len());
    for result in parsed {
        match result {
            Ok(link) => links.push(link),
            Err(conflict) => plan.conflicts.push(conflict),
        }
    }
    links.par_sort_unstable_by(|a, b| (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str())));
    // A link read twice is active if either is.
    links.dedup_by(|later, kept| {
        let same = (later.0, later.1.as_str()) == (kept.0, kept.1.as_str());
        kept.2 |= same && later.2;
        same
    });
    plan.links = links
        .into_iter()
        .map(|(org, key, active)| (key, org, active))
        .collect();
    plan.partner_orgs.sort_unstable();
    plan.partner_orgs.dedup();
    plan.site_orgs.sort_unstable();
    plan.site_orgs.dedup();
    plan
}

#[cfg(test)]
mod tests;
