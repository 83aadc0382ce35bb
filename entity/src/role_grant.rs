//! A grant: a subject holds a role on exactly one partner or one organization.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subject: String,
    pub role: Role,
    pub partner_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created: DateTimeUtc,
    /// The partner whose PARTNER_ADMIN authority this organization grant rests on; the grant
    /// ends when the organization leaves that partner.
    pub through_partner_id: Option<i64>,
}

/// The roles, stored as their names (the database checks the name against the target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Role {
    /// Reads and writes a partner, its sites and its member organizations.
    #[sea_orm(string_value = "PARTNER_ADMIN")]
    PartnerAdmin,
    /// Reads and writes an organization, its course links and its staff grants.
    #[sea_orm(string_value = "ORG_ADMIN")]
    OrgAdmin,
    /// Reads an organization's inactive records.
    #[sea_orm(string_value = "ORG_STAFF")]
    OrgStaff,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id",
        on_delete = "Cascade"
    )]
    Partner,
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
}

impl ActiveModelBehavior for ActiveModel {}
