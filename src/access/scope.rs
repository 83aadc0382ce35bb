//! Who is asking: the caller as far as access goes. Anonymous unless a valid token says
//! otherwise (`auth` makes it from a token, `caller` for a request or a command).

use entity::organization;

use crate::domain::names::Key;

/// A caller, as far as visibility goes. Anonymous unless a valid token says otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    pub subject: Option<String>,
    pub administrator: bool,
    /// The token's `content_org:` filters, folded; `None` means unrestricted.
    pub org_filter: Option<Vec<Key>>,
    /// The token's `filters` claim as given (shown by `viewer`).
    pub filters: Vec<String>,
    /// When the token stops being accepted (seconds since the epoch: its `exp` plus the clock
    /// leeway): a socket's operations are refused and its subscriptions end then.
    pub expires: Option<i64>,
    /// `is_restricted: true`: a read-only token; every mutation is refused.
    pub restricted: bool,
    /// The token's `scopes` claim (shown by `viewer`).
    pub scopes: Vec<String>,
    /// Where the token came from; `None` when anonymous.
    pub authenticated_by: Option<AuthSource>,
}

/// Where a caller's token came from (docs/openedx.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthSource {
    /// The `Authorization` header (`JWT` or `Bearer`).
    Header,
    /// The micro-frontends' JWT cookies; mutations also need the CSRF token.
    Cookie,
}

impl Scope {
    pub fn anonymous() -> Self {
        Scope::default()
    }

    /// An operator at the command line: an administrator whose subject (the history's actor)
    /// names the verb, and who ran it when `--actor` says so: `backfill`, `backfill (ada)`.
    pub fn operator(verb: &str, actor: Option<&str>) -> Self {
        let subject = match actor {
            Some(name) => format!("{verb} ({name})"),
            None => verb.to_owned(),
        };
        Scope {
            subject: Some(subject),
            administrator: true,
            ..Scope::default()
        }
    }

    /// Whether the token has expired at `now` (seconds since the epoch).
    pub fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|expires| now >= expires)
    }

    /// Whether the caller's token filters let it see or touch the organization of this key.
    pub fn allows_org(&self, key: &Key) -> bool {
        self.allows_stored(key.as_str())
    }

    /// The same for an organization read from the database.
    pub fn allows_row(&self, org: &organization::Model) -> bool {
        self.allows_stored(&org.short_name_key)
    }

    fn allows_stored(&self, short_name_key: &str) -> bool {
        self.org_filter
            .as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == short_name_key))
    }

    /// Bytes the caller's identity takes, roughly (a cache key that holds it).
    pub fn weight(&self) -> usize {
        let texts = self.filters.iter().chain(&self.scopes).map(String::len);
        let keys = self.org_filter.iter().flatten().map(|k| k.as_str().len());
        self.subject.as_ref().map_or(0, String::len)
            + texts.chain(keys).map(|n| n + 24).sum::<usize>()
    }

    /// Whether inactive records covered by the caller's grants may be shown.
    pub(super) fn may_see_inactive(&self, include_inactive: bool) -> bool {
        include_inactive && (self.administrator || self.subject.is_some())
    }
}
