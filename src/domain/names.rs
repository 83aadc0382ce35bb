//! The identity module: every value that names a record or is stored in one, parsed once at
//! the edge with its limits, and the one folding rule that decides when two spellings name the
//! same record (DESIGN 4.1).
//!
//! * `Key` is an identity folded by Unicode compatibility caseless matching
//!   (`entity::keys::fold`, shared with the migrations). Only the names of this module make one,
//!   so a lookup (`repo`, a loader, a token's `content_org` filter, import, backfill) can never be
//!   handed a string folded another way, or not at all.
//! * `ShortName`, `PartnerCode`, `Domain` and `PartnerName` keep the spelling they were given and
//!   offer `key()`; the bounded texts (`text`) hold every other length and character rule.
//! * `Search` is a `search` argument: folded as keys are, and lower-cased for the SQL `lower()`
//!   of display names.
//!
//! Nothing else in the crate folds or lower-cases: `clippy.toml` disallows `to_lowercase` and
//! `to_uppercase` everywhere but here, and `tests/api/layers.rs` refuses `keys::fold` outside
//! this module.

mod text;

use std::borrow::Borrow;
use std::fmt;

use regex::Regex;

use super::course_key::PY_WORD;
use super::pattern::Pattern;

pub use text::{Description, OrganizationName, SiteName, Subject, Url};

/// Why a value was refused; the caller attaches the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// A value read from outside, checked against its rules.
pub trait Parse: Sized {
    fn parse(value: &str) -> Result<Self, InvalidValue>;
}

/// The identity two spellings share when they are one record: `Straße`, `STRASSE` and
/// `strasse`, fullwidth `ＭＩＴｘ` and `MITx`, `ﬁ` and `fi`, the Kelvin sign and `k` fold alike.
/// The `*_key` columns hold it; made only here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    fn of(spelling: &str) -> Self {
        Key(entity::keys::fold(spelling))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as a column value.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// So that rows read back (whose key columns hold `Key`s) find the key they were asked by.
impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl From<Key> for sea_orm::Value {
    fn from(key: Key) -> Self {
        key.0.into()
    }
}

impl From<&Key> for sea_orm::Value {
    fn from(key: &Key) -> Self {
        key.0.clone().into()
    }
}

/// A short name may hold exactly what the ORG of some course key may hold: Python's `\w` and
/// `- ~ . :` (course-v1) or `%` (deprecated keys). The length is counted apart: a `{1,255}`
/// repetition of a Unicode class would compile into a huge automaton.
static SHORT_NAME_RE: Pattern = Pattern::new(|| Regex::new(&format!(r"^[{PY_WORD}\-~.:%]+\z")));

static PARTNER_CODE_RE: Pattern = Pattern::new(|| Regex::new(r"^[A-Za-z0-9_\-]{1,8}\z"));

/// Django's `split_domain_port` host pattern, case-insensitive because Django lower-cases the
/// host first: a name or a bracketed IPv6 literal, then an optional `:port`.
static HOST_PORT_RE: Pattern = Pattern::new(|| {
    Regex::new(r"^(?i)(?P<host>[a-z0-9.\-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::[0-9]+)?\z")
});

/// Compiles this module's patterns (see `Pattern`).
pub fn check_patterns() -> Result<(), regex::Error> {
    SHORT_NAME_RE.check()?;
    PARTNER_CODE_RE.check()?;
    HOST_PORT_RE.check()
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identity two spellings share when they are one record.
            pub fn key(&self) -> Key {
                Key::of(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// An organization's short name (`MITx`), 1-255 characters.
    ShortName
);
name_type!(
    /// A partner's short code (`edx`), 1-8 characters of `[A-Za-z0-9_-]`.
    PartnerCode
);
name_type!(
    /// A site's domain (`courses.example.com`, maybe with a port), 1-100 characters.
    Domain
);
name_type!(
    /// A partner's display name: 1-128 characters, unique by its key.
    PartnerName
);

impl ShortName {
    pub const MAX: usize = 255;
}

impl Parse for ShortName {
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        if value.chars().nth(Self::MAX).is_none() && SHORT_NAME_RE.is_match(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1-255 characters of letters, digits, _, -, ~, ., : or %".to_owned(),
            ))
        }
    }
}

impl Parse for PartnerCode {
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        if PARTNER_CODE_RE.is_match(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1-8 characters of A-Z, a-z, 0-9, _ or -".to_owned(),
            ))
        }
    }
}

impl PartnerName {
    pub const MAX: usize = 128;

    /// The name cut to its limit (import keeps what fits): the name, and whether it was cut.
    pub fn cut(value: &str) -> Result<(Self, bool), InvalidValue> {
        let (fit, cut) = text::cut(value, Self::MAX);
        Ok((Self::parse(fit)?, cut))
    }
}

impl Parse for PartnerName {
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        text::check(value, 1, Self::MAX).map(|()| Self(value.to_owned()))
    }
}

impl Domain {
    pub const MAX: usize = 100;

    /// The host to retry a failed lookup with, as Django's `get_current_site` does after
    /// `split_domain_port`: the value without its `:port` and without a trailing dot
    /// (`example.com:8000` -> `example.com`, `[::1]:8000` -> `[::1]`). `None` when that is the
    /// value itself, or when the value is not a host Django would split (then Django retries with
    /// an empty domain, which finds nothing).
    pub fn without_port(&self) -> Option<&str> {
        let host = HOST_PORT_RE.captures(&self.0)?.name("host")?.as_str();
        let host = host.strip_suffix('.').unwrap_or(host);
        (host.len() < self.0.len()).then_some(host)
    }

    /// The keys to look the site up by, in the order to try them: as given, then without the
    /// port.
    pub fn lookup_keys(&self) -> Vec<Key> {
        let mut keys = vec![self.key()];
        keys.extend(self.without_port().map(Key::of));
        keys
    }
}

impl Parse for Domain {
    /// A host name (DNS labels of letters, digits and inner hyphens) or an IP address, with an
    /// optional `:port`, at most 100 characters (Django's Site rule); a trailing dot is dropped,
    /// so `edx.org.` is `edx.org`. `evil.com/x` and other non-hosts are refused.
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        let refused = || {
            InvalidValue(
                "must be a host name or IP address, with an optional :port, of 1-100 characters"
                    .to_owned(),
            )
        };
        if value.is_empty() || value.chars().nth(Self::MAX).is_some() {
            return Err(refused());
        }
        let captures = HOST_PORT_RE.captures(value).ok_or_else(refused)?;
        let host = captures.name("host").ok_or_else(refused)?;
        let bare = host.as_str().strip_suffix('.').unwrap_or(host.as_str());
        let labels_ok = bare.starts_with('[')
            || bare.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !labels_ok {
            return Err(refused());
        }
        Ok(Self(format!("{bare}{}", &value[host.end()..])))
    }
}

/// A `search` argument: a substring of a key or a display name, any case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Search(String);

impl Search {
    pub const MAX: usize = 255;

    /// Folded as keys are, to match inside a key column.
    pub fn key(&self) -> Key {
        Key::of(&self.0)
    }

    /// Lower-cased, to match inside `lower(name)` (the database lower-cases display names).
    #[allow(clippy::disallowed_methods)]
    pub fn lowered(&self) -> String {
        self.0.to_lowercase()
    }
}

impl Parse for Search {
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        if value.chars().nth(Self::MAX).is_some() || value.contains('\0') {
            return Err(InvalidValue(format!(
                "must be at most {} characters, without NUL",
                Self::MAX
            )));
        }
        Ok(Self(value.to_owned()))
    }
}

#[cfg(test)]
mod tests;
