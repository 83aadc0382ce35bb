//! sea-orm entities of the tenancy graph, one module per table.
//!
//! Every identity that Open edX compares case-insensitively (organization short names, partner
//! short codes, site domains) is stored twice: as given (the first spelling is kept) and as a
//! `*_key` column holding its case-folded form. The unique index sits on the key column, so the
//! database itself enforces case-insensitive uniqueness identically on SQLite and PostgreSQL
//! (their `lower()` functions disagree outside ASCII).

pub mod change_log;
pub mod course_link;
pub mod follow_mark;
pub mod keys;
pub mod organization;
pub mod partner;
pub mod partner_organization;
pub mod role_grant;
pub mod site;
pub mod site_organization;

pub mod prelude {
    pub use super::change_log::Entity as ChangeLog;
    pub use super::course_link::Entity as CourseLink;
    pub use super::organization::Entity as Organization;
    pub use super::partner::Entity as Partner;
    pub use super::partner_organization::Entity as PartnerOrganization;
    pub use super::role_grant::Entity as RoleGrant;
    pub use super::site::Entity as Site;
    pub use super::site_organization::Entity as SiteOrganization;
}
