//! Tokens and grants for tests.

use chrono::Utc;
use entity::{organization, partner, role_grant};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use tenancy_gateway::auth::{Claims, mint};

use super::{SECRET, TestApp};

/// A token for `subject`, valid for an hour.
pub fn token(subject: &str, administrator: bool, filters: &[&str]) -> String {
    let claims = Claims {
        sub: Some(subject.to_owned()),
        administrator,
        filters: filters.iter().map(|f| f.to_string()).collect(),
        exp: (Utc::now().timestamp() + 3600) as u64,
        iat: Some(Utc::now().timestamp() as u64),
        ..Claims::default()
    };
    mint(SECRET, &claims).expect("mint")
}

pub fn admin() -> String {
    token("admin", true, &[])
}

impl TestApp {
    /// POSTs with a bearer token.
    pub async fn as_user(&self, token: &str, query: &str, variables: Value) -> Value {
        let bearer = format!("Bearer {token}");
        self.gql_with(query, variables, |r| r.header("authorization", bearer))
            .await
    }

    /// `as_user` with owned arguments, for many requests at once.
    pub async fn as_user_owned(&self, token: String, query: &str) -> Value {
        self.as_user(&token, query, serde_json::json!({})).await
    }

    /// `data` of a request made as administrator that must succeed.
    pub async fn admin_data(&self, query: &str, variables: Value) -> Value {
        let body = self.as_user(&admin(), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Stores a grant directly (role on an organization short name or partner code).
    pub async fn grant(
        &self,
        subject: &str,
        role: &str,
        organization: Option<&str>,
        partner: Option<&str>,
    ) {
        let organization_id = match organization {
            Some(name) => Some(
                organization::Entity::find()
                    .filter(organization::Column::ShortNameKey.eq(entity::keys::fold(name)))
                    .one(&self.db)
                    .await
                    .unwrap()
                    .expect("organization")
                    .id,
            ),
            None => None,
        };
        let partner_id = match partner {
            Some(code) => Some(
                partner::Entity::find()
                    .filter(partner::Column::ShortCodeKey.eq(entity::keys::fold(code)))
                    .one(&self.db)
                    .await
                    .unwrap()
                    .expect("partner")
                    .id,
            ),
            None => None,
        };
        role_grant::Entity::insert(role_grant::ActiveModel {
            subject: Set(subject.to_owned()),
            role: Set(match role {
                "PARTNER_ADMIN" => role_grant::Role::PartnerAdmin,
                "ORG_ADMIN" => role_grant::Role::OrgAdmin,
                _ => role_grant::Role::OrgStaff,
            }),
            partner_id: Set(partner_id),
            organization_id: Set(organization_id),
            created: Set(Utc::now()),
            ..Default::default()
        })
        .exec(&self.db)
        .await
        .expect("grant");
    }

    /// Rows in a table, to prove that a failed mutation wrote nothing.
    pub async fn count(&self, table: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// A fingerprint of every row of every table (change log included): each row as it reads,
    /// in id order, so a wrongful UPDATE shows as well as an INSERT or DELETE.
    pub async fn snapshot(&self) -> Fingerprint {
        use entity::{change_log, course_link, partner_organization, site, site_organization};
        use sea_orm::QueryOrder;
        async fn rows<E: EntityTrait>(
            db: &sea_orm::DatabaseConnection,
            order: E::Column,
        ) -> Vec<String>
        where
            E::Model: std::fmt::Debug,
        {
            E::find()
                .order_by_asc(order)
                .all(db)
                .await
                .expect("rows")
                .iter()
                .map(|m| format!("{m:?}"))
                .collect()
        }
        let db = &self.db;
        Fingerprint(vec![
            (
                "partner",
                rows::<partner::Entity>(db, partner::Column::Id).await,
            ),
            ("site", rows::<site::Entity>(db, site::Column::Id).await),
            (
                "organization",
                rows::<organization::Entity>(db, organization::Column::Id).await,
            ),
            (
                "course_link",
                rows::<course_link::Entity>(db, course_link::Column::Id).await,
            ),
            (
                "partner_organization",
                rows::<partner_organization::Entity>(
                    db,
                    partner_organization::Column::OrganizationId,
                )
                .await,
            ),
            (
                "site_organization",
                rows::<site_organization::Entity>(db, site_organization::Column::OrganizationId)
                    .await,
            ),
            (
                "role_grant",
                rows::<role_grant::Entity>(db, role_grant::Column::Id).await,
            ),
            (
                "change_log",
                rows::<change_log::Entity>(db, change_log::Column::Id).await,
            ),
        ])
    }
}

/// Every row of every table, as read (`TestApp::snapshot`).
#[derive(Debug, PartialEq, Eq)]
pub struct Fingerprint(Vec<(&'static str, Vec<String>)>);

impl Fingerprint {
    /// The rows of one table.
    pub fn table(&self, name: &str) -> &[String] {
        self.0
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, rows)| rows.as_slice())
            .unwrap_or_else(|| panic!("no table {name}"))
    }

    /// No row in any table.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|(_, rows)| rows.is_empty())
    }
}
