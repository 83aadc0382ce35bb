//! What the services' databases hold, as each stores it: the rows `plan` merges.

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

impl Sources {
    /// Appends `more`'s rows to these (a round's sources read in parts).
    pub fn append(&mut self, more: Sources) {
        self.organizations.extend(more.organizations);
        self.links.extend(more.links);
        self.sites.extend(more.sites);
        self.site_orgs.extend(more.site_orgs);
        self.partners.extend(more.partners);
        self.site_partners.extend(more.site_partners);
        self.partner_orgs.extend(more.partner_orgs);
    }

    /// How many rows were read.
    pub fn rows(&self) -> u64 {
        (self.organizations.len()
            + self.links.len()
            + self.sites.len()
            + self.site_orgs.len()
            + self.partners.len()
            + self.partner_orgs.len()) as u64
    }
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
