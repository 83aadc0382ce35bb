//! Import (DESIGN 10.2): what the services' databases hold, and how their rows become one graph.
//!
//! Sources are read into `Sources` (plain rows, as each service stores them); `plan` merges them:
//! short names equal but for case become one organization (the first stored wins), the LMS wins
//! where another source disagrees, and every such decision is reported as a conflict. Values
//! this service cannot hold (a short name with a space, an eight-plus character partner code)
//! are reported and skipped.

use std::collections::HashMap;

use rayon::prelude::*;

use super::course_key::CourseKey;
use super::names::{Domain, PartnerCode, ShortName};

/// An organization as the LMS (or its REST API, or discovery) stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceOrg {
    pub short_name: String,
    pub name: String,
    pub description: Option<String>,
    pub logo: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLink {
    pub course_key: String,
    pub short_name: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePartner {
    pub short_code: String,
    pub name: String,
    pub lms_url: Option<String>,
    pub studio_url: Option<String>,
    pub marketing_site_url: Option<String>,
}

/// Everything read, in each source's id order. `site_partners` and `partner_orgs` refer to
/// partners by short code, `site_orgs` to sites by domain.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// From the LMS database or the REST API.
    pub organizations: Vec<SourceOrg>,
    pub links: Vec<SourceLink>,
    /// `(domain, name)` from every service's `django_site`.
    pub sites: Vec<(String, String)>,
    /// `(domain, short name)` from the LMS's site configurations' `course_org_filter`.
    pub site_orgs: Vec<(String, String)>,
    /// Discovery's `core_partner`, then ecommerce's `partner_partner`.
    pub partners: Vec<(&'static str, SourcePartner)>,
    /// `(domain, partner short code)`: discovery's partner site, ecommerce's site configuration.
    pub site_partners: Vec<(String, String)>,
    /// Discovery's organizations: `(partner short code, organization)`.
    pub partner_orgs: Vec<(String, SourceOrg)>,
    /// Where the LMS serves media (`MEDIA_URL`): its logos are stored as paths under it.
    pub media_url: Option<String>,
}

pub struct PlannedOrg {
    pub name: ShortName,
    pub row: SourceOrg,
}

pub struct PlannedPartner {
    pub code: PartnerCode,
    pub row: SourcePartner,
}

pub struct PlannedSite {
    pub domain: Domain,
    pub name: String,
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
    /// Decisions an operator should know about: case duplicates, disagreements, skipped rows.
    pub conflicts: Vec<String>,
}

impl Plan {
    fn org(
        &mut self,
        row: &SourceOrg,
        source: &str,
        by_key: &mut HashMap<String, usize>,
    ) -> Option<usize> {
        let name = match ShortName::parse(&row.short_name) {
            Ok(name) => name,
            Err(e) => {
                self.conflicts.push(format!(
                    "{source}: organization {:?} skipped: {}",
                    row.short_name, e.0
                ));
                return None;
            }
        };
        if let Some(&i) = by_key.get(&name.key()) {
            let kept = &self.organizations[i].row;
            if kept.short_name != row.short_name {
                self.conflicts.push(format!(
                    "{source}: organization {:?} differs from {:?} only in case: kept as one, {:?}",
                    row.short_name, kept.short_name, kept.short_name
                ));
            } else if (&kept.name, &kept.description) != (&row.name, &row.description) {
                self.conflicts.push(format!(
                    "{source}: organization {:?} disagrees with the LMS (name {:?} vs {:?}): the LMS wins",
                    row.short_name, row.name, kept.name
                ));
            }
            return Some(i);
        }
        by_key.insert(name.key(), self.organizations.len());
        self.organizations.push(PlannedOrg {
            name,
            row: row.clone(),
        });
        Some(self.organizations.len() - 1)
    }

    fn site(
        &mut self,
        domain: &str,
        name: &str,
        by_key: &mut HashMap<String, usize>,
    ) -> Option<usize> {
        let domain = match Domain::parse(domain) {
            Ok(d) => d,
            Err(e) => {
                self.conflicts
                    .push(format!("site {domain:?} skipped: {}", e.0));
                return None;
            }
        };
        if let Some(&i) = by_key.get(&domain.key()) {
            return Some(i);
        }
        let name: String = if name.trim().is_empty() {
            domain.as_str()
        } else {
            name
        }
        .chars()
        .take(50)
        .collect();
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
                plan.conflicts.push(format!(
                    "lms: logo {logo:?} of {:?} is a media path: pass --lms-media-url to keep it",
                    row.short_name
                ));
            }
            url
        });
        plan.org(&row, "lms", &mut orgs);
    }
    let mut partners: HashMap<String, usize> = HashMap::new();
    for (source, row) in &sources.partners {
        let code = match PartnerCode::parse(&row.short_code) {
            Ok(code) => code,
            Err(e) => {
                plan.conflicts.push(format!(
                    "{source}: partner {:?} skipped: {}",
                    row.short_code, e.0
                ));
                continue;
            }
        };
        match partners.get(&code.key()) {
            Some(&i) => {
                let kept = &mut plan.partners[i].row;
                if kept.name != row.name {
                    plan.conflicts.push(format!(
                        "{source}: partner {:?} is named {:?}, discovery names it {:?}: discovery wins",
                        row.short_code, row.name, kept.name
                    ));
                }
                kept.lms_url = kept.lms_url.take().or(row.lms_url.clone());
            }
            None => {
                partners.insert(code.key(), plan.partners.len());
                plan.partners.push(PlannedPartner {
                    code,
                    row: row.clone(),
                });
            }
        }
    }
    let mut sites = HashMap::new();
    for (domain, name) in &sources.sites {
        plan.site(domain, name, &mut sites);
    }
    for (domain, code) in &sources.site_partners {
        let (Some(site), Some(&partner)) = (
            plan.site(domain, domain, &mut sites),
            partners.get(&code.to_lowercase()),
        ) else {
            continue;
        };
        match plan.sites[site].partner {
            Some(p) if p != partner => plan.conflicts.push(format!(
                "site {domain:?} belongs to partner {:?} and {code:?}: the first kept",
                plan.partners[p].code.as_str()
            )),
            _ => plan.sites[site].partner = Some(partner),
        }
    }
    for (code, row) in &sources.partner_orgs {
        let Some(org) = plan.org(row, "discovery", &mut orgs) else {
            continue;
        };
        if let Some(&partner) = partners.get(&code.to_lowercase()) {
            plan.partner_orgs.push((partner, org));
        }
    }
    for (domain, short_name) in &sources.site_orgs {
        let org = orgs.get(&short_name.to_lowercase()).copied();
        let site = sites.get(&domain.to_lowercase()).copied();
        match (site, org) {
            (Some(site), Some(org)) => plan.site_orgs.push((site, org)),
            _ => plan.conflicts.push(format!(
                "lms: site {domain:?} filters on organization {short_name:?}, which is not in organizations_organization: skipped"
            )),
        }
    }
    // One link per (course, organization); a case duplicate's links join the kept organization.
    // A million links: organizations looked up by the spelling as read (no lower-casing per
    // link), each key parsed once, on every core (the target database waits meanwhile), then
    // sorted and merged.
    let mut spellings: HashMap<&str, Option<usize>> = HashMap::new();
    let owners: Vec<Option<usize>> = sources
        .links
        .iter()
        .map(|link| {
            *spellings
                .entry(link.short_name.as_str())
                .or_insert_with(|| orgs.get(&link.short_name.to_lowercase()).copied())
        })
        .collect();
    let parsed: Vec<Result<(usize, CourseKey, bool), String>> = sources
        .links
        .par_iter()
        .zip(owners)
        .filter_map(|(link, org)| {
            let org = org?;
            Some(match CourseKey::parse(&link.course_key) {
                Ok(key) => Ok((org, key, link.active)),
                Err(e) => Err(format!(
                    "lms: course link {:?} skipped: {}",
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

/// `course_org_filter` in a site configuration's `site_values`: a string or a list of them.
pub fn course_org_filter(site_values: &str) -> Vec<String> {
    let Ok(values) = serde_json::from_str::<serde_json::Value>(site_values) else {
        return Vec::new();
    };
    match &values["course_org_filter"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// An absolute logo URL: kept as it is, or a media path joined to `MEDIA_URL`.
pub fn logo_url(media_url: Option<&str>, logo: &str) -> Option<String> {
    if logo.starts_with("http://") || logo.starts_with("https://") {
        return Some(logo.to_owned());
    }
    media_url.map(|m| {
        format!(
            "{}/{}",
            m.trim_end_matches('/'),
            logo.trim_start_matches('/')
        )
    })
}

#[cfg(test)]
mod tests;
