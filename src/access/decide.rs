//! Who may change what (docs/access.md): decisions only, from what the caller's token says and
//! what `check` found its grants cover. The services call these (through `check` where a grant
//! matters) inside the mutation's transaction, before anything is written.

use entity::organization;

use super::Scope;
use crate::domain::names::ShortName;
use crate::error::{AppError, AppResult};

pub fn forbidden(message: impl Into<String>) -> AppError {
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
            message: "this operation needs a token".into(),
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
pub fn require_filter_allows(scope: &Scope, name: &ShortName) -> AppResult<()> {
    filter_allows(scope.allows_org(&name.key()), name.as_str())
}

/// The same for an organization read from the database.
pub fn require_filter_allows_row(scope: &Scope, org: &organization::Model) -> AppResult<()> {
    filter_allows(scope.allows_row(org), &org.short_name)
}

fn filter_allows(allowed: bool, short_name: &str) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(forbidden(format!(
            "this token is restricted to other organizations than {short_name:?}"
        )))
    }
}

/// Whether the token's `content_org` filters restrict it to some organizations.
pub fn restricted_to_organizations(scope: &Scope) -> bool {
    scope.org_filter.is_some()
}

/// An authenticated caller (what the REST API asks before anything else, as DRF does).
pub fn require_signed_in(scope: &Scope) -> AppResult<()> {
    match scope.subject {
        Some(_) => Ok(()),
        None => Err(AppError::Unauthenticated {
            message: "Authentication credentials were not provided.".into(),
        }),
    }
}

/// A client restricted to some organizations writes no partner, site or partner grant.
pub fn require_unrestricted_by_organizations(scope: &Scope, what: &str) -> AppResult<()> {
    if scope.org_filter.is_none() {
        Ok(())
    } else {
        Err(forbidden(format!(
            "{what} is not allowed to a token restricted to some organizations (content_org)"
        )))
    }
}

/// ORG_ADMIN on the organization (or PARTNER_ADMIN on a partner it belongs to, which
/// `administers` says), or administrator.
pub fn org_admin(scope: &Scope, short_name: &str, administers: bool) -> AppResult<()> {
    require_subject(scope)?;
    if scope.administrator || administers {
        Ok(())
    } else {
        Err(forbidden(format!(
            "changing organization {short_name:?} needs ORG_ADMIN on it"
        )))
    }
}

/// PARTNER_ADMIN on the partner (`administers`), or administrator.
pub fn partner_admin(scope: &Scope, what: &str, administers: bool) -> AppResult<()> {
    require_subject(scope)?;
    if scope.administrator || administers {
        Ok(())
    } else {
        Err(forbidden(format!(
            "changing {what} needs PARTNER_ADMIN on it"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ShortName {
        crate::domain::names::Parse::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn subject(name: &str) -> Scope {
        Scope {
            subject: Some(name.into()),
            ..Scope::default()
        }
    }

    #[test]
    fn anonymous_callers_are_unauthenticated_before_anything_else() {
        let anon = Scope::anonymous();
        for result in [
            require_admin(&anon, "x"),
            org_admin(&anon, "MITx", true),
            partner_admin(&anon, "edx", true),
        ] {
            assert_eq!(result.err().map(|e| e.code()), Some("UNAUTHENTICATED"));
        }
    }

    #[test]
    fn grants_and_administrators_decide() {
        let ada = subject("ada");
        assert!(org_admin(&ada, "MITx", true).is_ok());
        assert_eq!(
            org_admin(&ada, "MITx", false).err().map(|e| e.code()),
            Some("FORBIDDEN")
        );
        let admin = Scope {
            administrator: true,
            ..subject("root")
        };
        assert!(org_admin(&admin, "MITx", false).is_ok());
        assert!(partner_admin(&admin, "edx", false).is_ok());
    }

    #[test]
    fn organization_filters_refuse_partner_and_site_writes() {
        let filtered = Scope {
            administrator: true,
            org_filter: Some(vec![name("MITx").key()]),
            ..subject("catalog")
        };
        assert!(require_unrestricted_by_organizations(&filtered, "creating a partner").is_err());
        assert!(require_filter_allows(&filtered, &name("mitx")).is_ok());
        assert!(require_filter_allows(&filtered, &name("ＭＩＴx")).is_ok());
        assert!(require_filter_allows(&filtered, &name("HarvardX")).is_err());
    }
}
