//! An institution that owns courses (edx-organizations' `Organization`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub short_name: String,
    /// Case-folded `short_name`; unique.
    #[sea_orm(unique)]
    pub short_name_key: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    pub active: bool,
    pub created: DateTimeUtc,
    pub modified: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::course_link::Entity")]
    CourseLink,
}

impl Related<super::course_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourseLink.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
