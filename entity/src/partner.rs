//! A business partner across sites and back-office systems (Otto's and the catalog's `Partner`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub short_code: String,
    /// Case-folded `short_code`; unique.
    #[sea_orm(unique)]
    pub short_code_key: String,
    #[sea_orm(unique)]
    pub name: String,
    /// `name` folded (`keys::fold`); unique, so names differ by more than case.
    #[sea_orm(unique)]
    pub name_key: String,
    pub lms_url: Option<String>,
    pub studio_url: Option<String>,
    pub marketing_site_url: Option<String>,
    pub active: bool,
    pub created: DateTimeUtc,
    pub modified: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::site::Entity")]
    Site,
}

impl Related<super::site::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Site.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
