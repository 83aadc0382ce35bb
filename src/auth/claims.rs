//! What the claims of a verified token mean (docs/openedx.md).

use serde_json::{Map, Value};

use crate::access::{AuthSource, Scope};
use crate::domain::names::{Key, Parse, ShortName};

const CONTENT_ORG: &str = "content_org";

/// The scope of a verified token's payload; `None` when it names no subject.
pub fn scope(payload: &Map<String, Value>, source: AuthSource) -> Option<Scope> {
    let text = |name: &str| {
        payload
            .get(name)
            .and_then(Value::as_str)
            // A NUL is no username (and PostgreSQL refuses it in a parameter).
            .filter(|s| !s.is_empty() && !s.contains('\0'))
            .map(str::to_owned)
    };
    let flag = |name: &str| payload.get(name) == Some(&Value::Bool(true));
    // In Open edX tokens `sub` is an anonymised hash: grants are by username.
    let subject = text("preferred_username")
        .or_else(|| text("username"))
        .or_else(|| text("sub"))?;
    let (filters, org_filter) = filters(payload.get("filters"));
    let scopes = match payload.get("scopes") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Some(Scope {
        subject: Some(subject),
        administrator: flag("administrator") || flag("superuser"),
        org_filter,
        filters,
        restricted: flag("is_restricted"),
        scopes,
        authenticated_by: Some(source),
        expires: expiry(payload.get("exp")),
    })
}

/// `exp` as the verifier read it (a number, or a numeric string as PyJWT allows).
fn expiry(exp: Option<&Value>) -> Option<i64> {
    match exp? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

/// The `filters` as given, and the organizations they restrict to: `content_org:<org>` entries
/// restrict (case-folded), other `type:value` entries do not, and anything else (an entry that
/// is not `type:value`, an empty `content_org:`, a claim that is not a list of strings)
/// restricts to nothing.
pub fn filters(claim: Option<&Value>) -> (Vec<String>, Option<Vec<Key>>) {
    let items = match claim {
        None | Some(Value::Null) => return (Vec::new(), None),
        Some(Value::Array(items)) => items,
        Some(other) => return (vec![other.to_string()], Some(Vec::new())),
    };
    let mut given = Vec::new();
    let mut orgs = Vec::new();
    let mut malformed = false;
    for item in items {
        let Some(entry) = item.as_str() else {
            given.push(item.to_string());
            malformed = true;
            continue;
        };
        given.push(entry.to_owned());
        match parse_filter(entry) {
            // Compared as short names are: by their key. A value no short name could have
            // (a space, a NUL) matches nothing, so it restricts to nothing.
            Some((CONTENT_ORG, org)) => match ShortName::parse(org) {
                Ok(name) => orgs.push(name.key()),
                Err(_) => malformed = true,
            },
            Some(_) => {}
            None => malformed = true,
        }
    }
    let org_filter = if malformed {
        Some(Vec::new())
    } else {
        (!orgs.is_empty()).then_some(orgs)
    };
    (given, org_filter)
}

/// `type:value` with both parts non-empty (the `type` a lower-case word).
pub fn parse_filter(entry: &str) -> Option<(&str, &str)> {
    let (kind, value) = entry.split_once(':')?;
    let word = !kind.is_empty()
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    (word && !value.trim().is_empty()).then_some((kind, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope_of(payload: Value) -> Option<Scope> {
        payload
            .as_object()
            .and_then(|p| scope(p, AuthSource::Header))
    }

    #[test]
    fn subject_prefers_the_username() {
        let subject = |p: Value| scope_of(p).and_then(|s| s.subject);
        let all = json!({"preferred_username": "ada", "username": "u", "sub": "hash"});
        assert_eq!(subject(all).as_deref(), Some("ada"));
        let two = json!({"username": "u", "sub": "hash"});
        assert_eq!(subject(two).as_deref(), Some("u"));
        assert_eq!(subject(json!({"sub": "hash"})).as_deref(), Some("hash"));
        assert_eq!(subject(json!({"preferred_username": ""})), None);
    }

    #[test]
    fn flags_and_scopes() -> Result<(), String> {
        let s = scope_of(
            json!({"sub": "a", "superuser": true, "is_restricted": true, "scopes": ["read", 1]}),
        )
        .ok_or("no scope")?;
        assert!(s.administrator && s.restricted);
        assert_eq!(s.scopes, vec!["read".to_owned()]);
        let s = scope_of(json!({"sub": "a", "administrator": "true"})).ok_or("no scope")?;
        assert!(!s.administrator, "only the JSON true counts");
        Ok(())
    }

    #[test]
    fn filters_fail_closed() {
        let orgs = |v: Value| {
            filters(Some(&v)).1.map(|keys| {
                keys.iter()
                    .map(|k| k.as_str().to_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(orgs(json!(["user:me"])), None);
        assert_eq!(orgs(json!([])), None);
        assert_eq!(
            orgs(json!([
                "content_org:MITx",
                "user:me",
                "content_org:HarvardX"
            ])),
            Some(vec!["mitx".to_owned(), "harvardx".to_owned()])
        );
        for bad in [
            json!(["content_org:"]),
            json!(["MITx"]),
            json!(["content_org:MITx", "nonsense"]),
            json!([":x"]),
            json!([1]),
            json!("content_org:MITx"),
        ] {
            assert_eq!(orgs(bad.clone()), Some(Vec::new()), "{bad}");
        }
    }
}
