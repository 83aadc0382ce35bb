//! Arranging data directly in the database, for reads and statement counts.

use chrono::Utc;
use entity::{course_link, organization, partner, partner_organization};
use sea_orm::{ActiveValue::Set, EntityTrait};

use super::TestApp;

impl TestApp {
    pub async fn seed_demo(&self) {
        let scope = tenancy_gateway::access::Scope::operator("seed", None);
        let actor = tenancy_gateway::service::Actor {
            db: &self.db,
            scope: &scope,
            autocreate: true,
            retries: None,
            committed: None,
        };
        tenancy_gateway::service::seed::demo(actor)
            .await
            .map_err(|e| e.message())
            .expect("seed");
    }

    /// A partner `code` with `orgs` member organizations `{prefix}{i}`, each with `courses` links.
    pub async fn seed_wide(&self, code: &str, prefix: &str, orgs: usize, courses: usize) {
        let now = Utc::now();
        let p = partner::Entity::insert(partner::ActiveModel {
            short_code: Set(code.to_owned()),
            short_code_key: Set(entity::keys::fold(code)),
            name: Set(format!("Partner {code}")),
            name_key: Set(format!("partner {}", entity::keys::fold(code))),
            active: Set(true),
            created: Set(now),
            modified: Set(now),
            ..Default::default()
        })
        .exec(&self.db)
        .await
        .expect("partner");
        for i in 0..orgs {
            let short = format!("{prefix}{i:04}");
            let o = organization::Entity::insert(organization::ActiveModel {
                short_name: Set(short.clone()),
                short_name_key: Set(entity::keys::fold(&short)),
                name: Set(format!("Organization {short}")),
                active: Set(true),
                created: Set(now),
                modified: Set(now),
                ..Default::default()
            })
            .exec(&self.db)
            .await
            .expect("organization");
            partner_organization::Entity::insert(partner_organization::ActiveModel {
                partner_id: Set(p.last_insert_id),
                organization_id: Set(o.last_insert_id),
                created: Set(now),
            })
            .exec_without_returning(&self.db)
            .await
            .expect("membership");
            let links: Vec<_> = (0..courses)
                .map(|c| course_link::ActiveModel {
                    organization_id: Set(o.last_insert_id),
                    course_key: Set(format!("course-v1:{short}+C{c}+2025")),
                    active: Set(true),
                    created: Set(now),
                    modified: Set(now),
                    ..Default::default()
                })
                .collect();
            if !links.is_empty() {
                course_link::Entity::insert_many(links)
                    .exec_without_returning(&self.db)
                    .await
                    .expect("links");
                tenancy_gateway::repo::course::write::stamp_positions(&self.db, None)
                    .await
                    .expect("link positions");
            }
        }
    }
}
