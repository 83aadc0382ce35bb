//! Who may change what (DESIGN section 5). Checked in the domain layer, inside the mutation's
//! transaction, before anything is written.

use entity::{organization, partner_organization, role_grant};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::scope::Scope;
use crate::error::{AppError, AppResult};

fn forbidden(message: impl Into<String>) -> AppError {
    AppError::Forbidden {
        message: message.into(),
    }
}

/// The caller's subject; anonymous callers and read-only tokens may not write.
pub fn require_subject(scope: &Scope) -> AppResult<&str> {
    let subject = scope
        .subject
        .as_deref()
        .ok_or_else(|| AppError::Unauthenticated {
            message: "this operation needs a bearer token".into(),
        })?;
    if scope.restricted {
        return Err(forbidden("this token is read-only (is_restricted)"));
    }
    Ok(subject)
}

pub fn require_admin(scope: &Scope, what: &str) -> AppResult<()> {
    require_subject(scope)?;
    if scope.administrator {
        Ok(())
    } else {
        Err(forbidden(format!("{what} needs an administrator token")))
    }
}

/// The token's `content_org` filters must name the organization.
pub fn require_filter_allows(
    scope: &Scope,
    short_name_key: &str,
    short_name: &str,
) -> AppResult<()> {
    if scope.allows_org(short_name_key) {
        Ok(())
    } else {
        Err(forbidden(format!(
            "this token is restricted to other organizations than {short_name:?}"
        )))
    }
}

/// ORG_ADMIN on the organization, PARTNER_ADMIN on a partner it belongs to, or administrator.
pub async fn require_org_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    org: &organization::Model,
) -> AppResult<()> {
    let subject = require_subject(scope)?;
    require_filter_allows(scope, &org.short_name_key, &org.short_name)?;
    if scope.administrator {
        return Ok(());
    }
    let partners_of_org = Query::select()
        .column(partner_organization::Column::PartnerId)
        .from(partner_organization::Entity)
        .and_where(Expr::col(partner_organization::Column::OrganizationId).eq(org.id))
        .take();
    let covering = Condition::any()
        .add(
            Condition::all()
                .add(Expr::col(role_grant::Column::Role).eq("ORG_ADMIN"))
                .add(Expr::col(role_grant::Column::OrganizationId).eq(org.id)),
        )
        .add(
            Condition::all()
                .add(Expr::col(role_grant::Column::Role).eq("PARTNER_ADMIN"))
                .add(Expr::col(role_grant::Column::PartnerId).in_subquery(partners_of_org)),
        );
    if has_grant(db, subject, covering).await? {
        Ok(())
    } else {
        Err(forbidden(format!(
            "changing organization {:?} needs ORG_ADMIN on it",
            org.short_name
        )))
    }
}

/// PARTNER_ADMIN on the partner, or administrator.
pub async fn require_partner_admin<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    partner_id: i64,
    short_code: &str,
) -> AppResult<()> {
    let subject = require_subject(scope)?;
    if scope.administrator {
        return Ok(());
    }
    let covering = Condition::all()
        .add(Expr::col(role_grant::Column::Role).eq("PARTNER_ADMIN"))
        .add(Expr::col(role_grant::Column::PartnerId).eq(partner_id));
    if has_grant(db, subject, covering).await? {
        Ok(())
    } else {
        Err(forbidden(format!(
            "changing partner {short_code:?} needs PARTNER_ADMIN on it"
        )))
    }
}

async fn has_grant<C: ConnectionTrait>(db: &C, subject: &str, cond: Condition) -> AppResult<bool> {
    let found = role_grant::Entity::find()
        .select_only()
        .column(role_grant::Column::Id)
        .filter(role_grant::Column::Subject.eq(subject))
        .filter(cond)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

use sea_orm::ColumnTrait as _;
