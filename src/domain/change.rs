//! What a change log row says: the kind of change, the record as users name it, and the record
//! before and after, decided here from the rows a service read and wrote (no database access).
//!
//! A change that changes nothing a user can see (linking twice, an update to the same values)
//! is no change: the constructors answer `None` and nothing is logged.

use entity::{organization, partner, role_grant, site};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Created,
    Updated,
    Deactivated,
    Reactivated,
    Removed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeEntity {
    Organization,
    CourseLink,
    Partner,
    Site,
    PartnerOrganization,
    SiteOrganization,
    Grant,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Created,
        ChangeKind::Updated,
        ChangeKind::Deactivated,
        ChangeKind::Reactivated,
        ChangeKind::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "CREATED",
            ChangeKind::Updated => "UPDATED",
            ChangeKind::Deactivated => "DEACTIVATED",
            ChangeKind::Reactivated => "REACTIVATED",
            ChangeKind::Removed => "REMOVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of a change to a record with an `active` flag (`None`: no record).
    pub fn of(before: Option<bool>, after: Option<bool>) -> Self {
        match (before, after) {
            (None, _) => ChangeKind::Created,
            (Some(_), None) => ChangeKind::Removed,
            (Some(true), Some(false)) => ChangeKind::Deactivated,
            (Some(false), Some(true)) => ChangeKind::Reactivated,
            _ => ChangeKind::Updated,
        }
    }
}

impl ChangeEntity {
    pub const ALL: [ChangeEntity; 7] = [
        ChangeEntity::Organization,
        ChangeEntity::CourseLink,
        ChangeEntity::Partner,
        ChangeEntity::Site,
        ChangeEntity::PartnerOrganization,
        ChangeEntity::SiteOrganization,
        ChangeEntity::Grant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeEntity::Organization => "ORGANIZATION",
            ChangeEntity::CourseLink => "COURSE_LINK",
            ChangeEntity::Partner => "PARTNER",
            ChangeEntity::Site => "SITE",
            ChangeEntity::PartnerOrganization => "PARTNER_ORGANIZATION",
            ChangeEntity::SiteOrganization => "SITE_ORGANIZATION",
            ChangeEntity::Grant => "GRANT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// One change to log. The ids name what it concerns, for per-record histories and visibility.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChange {
    pub kind: ChangeKind,
    pub entity: ChangeEntity,
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// An anonymous caller could see the record before or after the change.
    pub public: bool,
    pub organization_id: Option<i64>,
    pub partner_id: Option<i64>,
    pub other_partner_id: Option<i64>,
    pub site_id: Option<i64>,
}

impl NewChange {
    fn new(entity: ChangeEntity, key: String, before: Option<Value>, after: Option<Value>) -> Self {
        let active = |v: &Option<Value>| {
            v.as_ref()
                .map(|v| v.get("active").and_then(Value::as_bool).unwrap_or(true))
        };
        NewChange {
            kind: ChangeKind::of(active(&before), active(&after)),
            entity,
            key,
            before,
            after,
            public: false,
            organization_id: None,
            partner_id: None,
            other_partner_id: None,
            site_id: None,
        }
    }

    /// `None` when before and after are the same record.
    fn if_changed(self) -> Option<Self> {
        (self.before != self.after).then_some(self)
    }

    pub fn organization(
        before: Option<&organization::Model>,
        after: &organization::Model,
    ) -> Option<Self> {
        let mut change = Self::new(
            ChangeEntity::Organization,
            after.short_name.clone(),
            before.map(organization_json),
            Some(organization_json(after)),
        );
        change.public = after.active || before.is_some_and(|b| b.active);
        change.organization_id = Some(after.id);
        change.if_changed()
    }

    /// A course link's `active` flag went from `before` (`None`: no link) to `after`.
    pub fn course_link(
        organization: &organization::Model,
        course_key: &str,
        before: Option<bool>,
        after: bool,
    ) -> Option<Self> {
        let link = |active: bool| course_link_json(course_key, &organization.short_name, active);
        let mut change = Self::new(
            ChangeEntity::CourseLink,
            course_link_key(course_key, &organization.short_name),
            before.map(link),
            Some(link(after)),
        );
        change.public = organization.active && (after || before == Some(true));
        change.organization_id = Some(organization.id);
        change.if_changed()
    }

    pub fn partner(before: Option<&partner::Model>, after: &partner::Model) -> Option<Self> {
        let mut change = Self::new(
            ChangeEntity::Partner,
            after.short_code.clone(),
            before.map(partner_json),
            Some(partner_json(after)),
        );
        change.public = after.active || before.is_some_and(|b| b.active);
        change.partner_id = Some(after.id);
        change.if_changed()
    }

    /// A site, with the short codes of its partner before and after.
    pub fn site(
        before: Option<(&site::Model, Option<&str>)>,
        after: (&site::Model, Option<&str>),
    ) -> Option<Self> {
        let mut change = Self::new(
            ChangeEntity::Site,
            after.0.domain.clone(),
            before.map(|(s, p)| site_json(s, p)),
            Some(site_json(after.0, after.1)),
        );
        change.public = after.0.active || before.is_some_and(|(b, _)| b.active);
        change.site_id = Some(after.0.id);
        change.partner_id = after.0.partner_id;
        change.other_partner_id = before
            .and_then(|(b, _)| b.partner_id)
            .filter(|p| Some(*p) != after.0.partner_id);
        change.if_changed()
    }

    /// An organization joined (`added`) or left a partner.
    pub fn partner_membership(
        partner: &partner::Model,
        organization: &organization::Model,
        added: bool,
    ) -> Self {
        let edge = json!({"partner": partner.short_code, "organization": organization.short_name});
        let (before, after) = if added {
            (None, Some(edge))
        } else {
            (Some(edge), None)
        };
        let mut change = Self::new(
            ChangeEntity::PartnerOrganization,
            format!("{}/{}", partner.short_code, organization.short_name),
            before,
            after,
        );
        change.public = partner.active && organization.active;
        change.partner_id = Some(partner.id);
        change.organization_id = Some(organization.id);
        change
    }

    /// A site started (`added`) or stopped presenting an organization.
    pub fn site_membership(
        site: &site::Model,
        organization: &organization::Model,
        added: bool,
    ) -> Self {
        let edge = json!({"site": site.domain, "organization": organization.short_name});
        let (before, after) = if added {
            (None, Some(edge))
        } else {
            (Some(edge), None)
        };
        let mut change = Self::new(
            ChangeEntity::SiteOrganization,
            format!("{}/{}", site.domain, organization.short_name),
            before,
            after,
        );
        change.public = site.active && organization.active;
        change.site_id = Some(site.id);
        change.partner_id = site.partner_id;
        change.organization_id = Some(organization.id);
        change
    }

    /// A grant given (`added`) or revoked; `target` is the partner's short code or the
    /// organization's short name. Grants are never public.
    pub fn grant(grant: &role_grant::Model, target: &str, added: bool) -> Self {
        let role = role_name(grant.role);
        let mut record = json!({"subject": grant.subject, "role": role});
        let field = if grant.partner_id.is_some() {
            "partner"
        } else {
            "organization"
        };
        record[field] = Value::from(target);
        let (before, after) = if added {
            (None, Some(record))
        } else {
            (Some(record), None)
        };
        let mut change = Self::new(
            ChangeEntity::Grant,
            format!("{}/{role}/{target}", grant.subject),
            before,
            after,
        );
        change.partner_id = grant.partner_id;
        change.organization_id = grant.organization_id;
        change
    }
}

pub fn role_name(role: role_grant::Role) -> &'static str {
    match role {
        role_grant::Role::PartnerAdmin => "PARTNER_ADMIN",
        role_grant::Role::OrgAdmin => "ORG_ADMIN",
        role_grant::Role::OrgStaff => "ORG_STAFF",
    }
}

/// A course link as users name it: the course key, then the organization (short names hold no
/// `/`, so the last `/` separates them even in `ORG/COURSE/RUN` keys).
pub fn course_link_key(course_key: &str, short_name: &str) -> String {
    format!("{course_key}/{short_name}")
}

pub fn organization_json(o: &organization::Model) -> Value {
    json!({
        "shortName": o.short_name,
        "name": o.name,
        "description": o.description,
        "logoUrl": o.logo_url,
        "active": o.active,
    })
}

/// The bulk path (backfill) writes this shape with SQL's JSON functions: keep them in step.
pub fn course_link_json(course_key: &str, short_name: &str, active: bool) -> Value {
    json!({"courseKey": course_key, "organization": short_name, "active": active})
}

pub fn partner_json(p: &partner::Model) -> Value {
    json!({
        "shortCode": p.short_code,
        "name": p.name,
        "lmsUrl": p.lms_url,
        "studioUrl": p.studio_url,
        "marketingSiteUrl": p.marketing_site_url,
        "active": p.active,
    })
}

pub fn site_json(s: &site::Model, partner: Option<&str>) -> Value {
    json!({"domain": s.domain, "name": s.name, "partner": partner, "active": s.active})
}

#[cfg(test)]
mod tests;
