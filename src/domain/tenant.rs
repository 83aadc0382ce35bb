//! Which partner a request is about, as the catalog decides it: the `partner` argument when
//! given, else the partner of the site named by the request's `Host` header (matched
//! case-insensitively, then retried without the port, as Django's `get_current_site` does).

use super::names::{Domain, Key, Parse, PartnerCode};
use crate::error::{AppError, AppResult};

/// The site keys to look a `Host` header up by, in the order to try them; none for a header
/// that is not a domain.
pub fn host_keys(host: &str) -> Vec<Key> {
    Domain::parse(host)
        .map(|domain| domain.lookup_keys())
        .unwrap_or_default()
}

/// The partner a list is filtered to: the one named by the argument (which must exist: an
/// unknown code is a user error), else the partner of the request's site, else none.
pub fn partner_filter(
    argument: Option<(&PartnerCode, Option<i64>)>,
    host_site_partner: Option<i64>,
) -> AppResult<Option<i64>> {
    match argument {
        Some((_, Some(id))) => Ok(Some(id)),
        Some((code, None)) => Err(AppError::bad_input(
            "partner",
            format!("no partner with short code {:?}", code.as_str()),
        )),
        None => Ok(host_site_partner),
    }
}

/// A site named by a list argument must exist: an unknown one is a user error.
pub fn required(field: &str, domain: &Domain, id: Option<i64>) -> AppResult<i64> {
    id.ok_or_else(|| {
        AppError::bad_input(field, format!("no site with domain {:?}", domain.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_tried_as_given_then_without_its_port() {
        let keys = |host: &str| -> Vec<String> {
            host_keys(host)
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect()
        };
        assert_eq!(keys("Edx.org:8000"), ["edx.org:8000", "edx.org"]);
        assert_eq!(keys("ＥＤＸ.org"), Vec::<String>::new(), "not a host name");
        assert_eq!(keys("edx.org"), ["edx.org"]);
        assert!(host_keys("not a host").is_empty());
    }

    #[test]
    fn an_explicit_partner_wins_and_an_unknown_one_is_refused() -> Result<(), String> {
        let code = PartnerCode::parse("edx").map_err(|e| e.0)?;
        assert_eq!(
            partner_filter(Some((&code, Some(1))), Some(2)).ok(),
            Some(Some(1))
        );
        assert_eq!(partner_filter(None, Some(2)).ok(), Some(Some(2)));
        let err = partner_filter(Some((&code, None)), Some(2))
            .err()
            .map(|e| e.code());
        assert_eq!(err, Some("BAD_USER_INPUT"));
        Ok(())
    }
}
