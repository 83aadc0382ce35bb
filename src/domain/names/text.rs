//! Texts with limits: display names, descriptions, URLs, grant subjects. Lengths are counted in
//! characters (Unicode scalar values, as Python's `len` and Django's `max_length`); no stored
//! text holds a NUL (PostgreSQL cannot, so none may anywhere).

use std::fmt;

use super::{InvalidValue, Parse, ShortName};

/// `min..=max` characters without NUL; when `min >= 1`, not blank either (whitespace only).
pub(super) fn check(value: &str, min: usize, max: usize) -> Result<(), InvalidValue> {
    let refused = || {
        InvalidValue(if min == 0 {
            format!("must be at most {max} characters, without NUL")
        } else {
            format!("must be {min}-{max} characters, not blank, without NUL")
        })
    };
    let blank = min >= 1 && value.trim().is_empty();
    if blank || value.chars().nth(max).is_some() || value.contains('\0') {
        return Err(refused());
    }
    Ok(())
}

/// The longest prefix of at most `max` characters, and whether anything was cut.
pub(super) fn cut(value: &str, max: usize) -> (&str, bool) {
    match value.char_indices().nth(max) {
        Some((end, _)) => (&value[..end], true),
        None => (value, false),
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:literal ..= $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const MAX: usize = $max;

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }

            /// The value cut to its limit (import keeps what fits): the text, and whether it
            /// was cut. Other refusals (blank, NUL) stand.
            pub fn cut(value: &str) -> Result<(Self, bool), InvalidValue> {
                let (fit, cut) = cut(value, $max);
                Ok((Self::parse(fit)?, cut))
            }
        }

        impl Parse for $name {
            fn parse(value: &str) -> Result<Self, InvalidValue> {
                check(value, $min, $max).map(|()| Self(value.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// An organization's display name, 1-255 characters (edx-organizations' `name`).
    OrganizationName, 1..=255
);
bounded_text!(
    /// A site's display name, 1-50 characters (Django's `Site.name`).
    SiteName, 1..=50
);
bounded_text!(
    /// Whom a grant is for (a token's username), 1-255 characters.
    Subject, 1..=255
);
bounded_text!(
    /// An organization's description, up to 10,000 characters (edx-organizations' is an
    /// unbounded text; a bound keeps a response's size in reach of the limits).
    Description, 0..=10_000
);

/// An http(s) URL with a host, at most 255 characters (Open edX's URL and image fields).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url(String);

impl Url {
    pub const MAX: usize = 255;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Parse for Url {
    fn parse(value: &str) -> Result<Self, InvalidValue> {
        let fits = value.chars().nth(Self::MAX).is_none() && !value.contains('\0');
        match url::Url::parse(value) {
            Ok(u) if fits && matches!(u.scheme(), "http" | "https") && u.has_host() => {
                Ok(Self(value.to_owned()))
            }
            _ => Err(InvalidValue(format!(
                "must be an http(s) URL of at most {} characters",
                Self::MAX
            ))),
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organization created from its short name alone (ensure, linking, backfill) is named by
/// it: a short name always makes a valid display name.
impl From<&ShortName> for OrganizationName {
    fn from(name: &ShortName) -> Self {
        OrganizationName(name.as_str().to_owned())
    }
}
