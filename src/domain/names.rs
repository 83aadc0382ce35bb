//! Validated names, parsed once at the edge (DESIGN 4.1). Each keeps the spelling it was given
//! and offers `key()`, the case-folded identity that uniqueness and lookups compare.

use std::fmt;

use regex::Regex;

use super::course_key::PY_WORD;
use super::pattern::Pattern;

/// Why a value was refused; the caller attaches the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

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

            /// The identity two spellings share when they are one record (Unicode
            /// compatibility caseless matching, `entity::keys::fold`).
            pub fn key(&self) -> String {
                entity::keys::fold(&self.0)
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

impl ShortName {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        if value.chars().nth(255).is_none() && SHORT_NAME_RE.is_match(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1-255 characters of letters, digits, _, -, ~, ., : or %".to_owned(),
            ))
        }
    }
}

impl PartnerCode {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        if PARTNER_CODE_RE.is_match(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidValue(
                "must be 1-8 characters of A-Z, a-z, 0-9, _ or -".to_owned(),
            ))
        }
    }
}

impl Domain {
    /// A host name (DNS labels of letters, digits and inner hyphens) or an IP address, with an
    /// optional `:port`, at most 100 characters (Django's Site rule); a trailing dot is dropped,
    /// so `edx.org.` is `edx.org`. `evil.com/x` and other non-hosts are refused.
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let refused = || {
            InvalidValue(
                "must be a host name or IP address, with an optional :port, of 1-100 characters"
                    .to_owned(),
            )
        };
        if value.is_empty() || value.chars().nth(100).is_some() {
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
}

/// Checks a free-text value such as a display name: `min..=max` characters (Unicode scalar
/// values, as Python's `len`). It is not trimmed, but when `min >= 1` a value of only whitespace
/// counts as blank and is refused.
pub fn bounded_text(value: &str, min: usize, max: usize) -> Result<&str, InvalidValue> {
    let len = value.chars().count();
    if min >= 1 && value.trim().is_empty() {
        return Err(InvalidValue("must not be blank".to_owned()));
    }
    if len < min || len > max {
        return Err(InvalidValue(format!("must be {min}-{max} characters")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn short_names() {
        for good in [
            "MITx",
            "edX",
            "VJx",
            "a",
            "Université_de-Montréal",
            "x~y.z:1%2",
            "٣²中",
        ] {
            assert_eq!(
                ShortName::parse(good).map(|s| s.to_string()),
                Ok(good.to_owned())
            );
        }
        let longest = "x".repeat(255);
        assert!(ShortName::parse(&longest).is_ok());
        for bad in [
            "", " ", "MIT x", "a+b", "a/b", "a@b", "a#b", "MITx\n", " MITx", "e\u{301}",
        ] {
            assert!(ShortName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ShortName::parse(&format!("{longest}x")).is_err());
        // 255 characters, not bytes.
        assert!(ShortName::parse(&"é".repeat(255)).is_ok());
        let mit = ShortName::parse("MITx").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mit.key(), "mitx");
        assert_eq!(mit.as_str(), "MITx");
    }

    #[test]
    fn partner_codes() {
        for good in ["edx", "mitpe", "hxplus", "A-b_9", "12345678"] {
            assert!(PartnerCode::parse(good).is_ok(), "{good:?} refused");
        }
        for bad in ["", "123456789", "é", "a b", "a.b", "a+b", "edx\n"] {
            let err = PartnerCode::parse(bad).err();
            assert_eq!(
                err.map(|e| e.to_string()),
                Some("must be 1-8 characters of A-Z, a-z, 0-9, _ or -".to_owned()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn domains() {
        for bad in [
            "",
            "a b",
            "a\tb",
            "example.com\n",
            "a\u{a0}b",
            "a\u{0}b",
            &"x".repeat(101),
            "evil.com/x",
            "ex_ample.com:80",
            "::1",
            "example.com:",
            "example.com:80a",
            "a:1:2",
            "a..b",
            "-a.com",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?} accepted");
        }
        let retry = |d: &str| {
            Domain::parse(d)
                .map(|d| d.without_port().map(str::to_owned))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(retry("example.com:8000"), Some("example.com".to_owned()));
        assert_eq!(retry("Example.COM:8000"), Some("Example.COM".to_owned()));
        assert_eq!(retry("example.com.:80"), Some("example.com".to_owned()));
        assert_eq!(
            retry("example.com."),
            None,
            "stored without its trailing dot"
        );
        let dotted = Domain::parse("edx.org.").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dotted.as_str(), "edx.org");
        assert_eq!(retry("[::1]:8000"), Some("[::1]".to_owned()));
        assert_eq!(retry("[2001:DB8::1]:443"), Some("[2001:DB8::1]".to_owned()));
        assert_eq!(retry("127.0.0.1:8000"), Some("127.0.0.1".to_owned()));
        for none in ["example.com", "[::1]"] {
            assert_eq!(retry(none), None, "{none:?}");
        }
        let d = Domain::parse("Courses.Example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.key(), "courses.example.com");
    }

    #[test]
    fn bounded_texts() {
        assert_eq!(bounded_text("MIT", 1, 255), Ok("MIT"));
        assert_eq!(bounded_text(" MIT ", 1, 255), Ok(" MIT "));
        assert_eq!(bounded_text("", 0, 10), Ok(""));
        assert_eq!(bounded_text("  ", 0, 10), Ok("  "));
        assert!(bounded_text("", 1, 10).is_err());
        assert!(bounded_text(" \t\n", 1, 10).is_err());
        assert!(bounded_text("abcdef", 1, 5).is_err());
        assert_eq!(bounded_text("ééééé", 1, 5), Ok("ééééé"));
    }

    proptest! {
        #[test]
        fn never_panic(s in any::<String>()) {
            let _ = ShortName::parse(&s);
            let _ = PartnerCode::parse(&s);
            if let Ok(d) = Domain::parse(&s) {
                let _ = d.without_port();
            }
            let _ = bounded_text(&s, 1, 50);
        }

        #[test]
        fn short_names_round_trip(s in r"[\p{L}\p{N}_~.:%-]{1,40}") {
            let name = ShortName::parse(&s);
            prop_assert!(name.is_ok(), "{:?} refused", s);
            let name = name.unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(name.as_str(), s.as_str());
            prop_assert_eq!(ShortName::parse(&name.to_string()), Ok(name.clone()));
        }

        #[test]
        fn keys_fold_case(s in r"[A-Za-z0-9_-]{1,8}") {
            let code = PartnerCode::parse(&s).unwrap_or_else(|e| panic!("{e}"));
            let upper = PartnerCode::parse(&s.to_uppercase()).unwrap_or_else(|e| panic!("{e}"));
            let lower = PartnerCode::parse(&code.key()).unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(lower.key(), code.key());
            prop_assert_eq!(upper.key(), code.key());
            prop_assert_eq!(s.eq_ignore_ascii_case(upper.as_str()), true);
        }

        #[test]
        fn accepted_domains_round_trip(s in any::<String>()) {
            if let Ok(d) = Domain::parse(&s) {
                prop_assert_eq!(Domain::parse(d.as_str()), Ok(d.clone()));
                prop_assert_eq!(Domain::parse(&d.key()).map(|k| k.key()), Ok(d.key()));
                if let Some(host) = d.without_port() {
                    prop_assert!(d.as_str().starts_with(host) && host.len() < d.as_str().len());
                }
            }
        }

        #[test]
        fn short_name_keys_ignore_case(s in r"[\p{L}\p{N}_~.:%-]{1,40}", flips in any::<u64>()) {
            let name = ShortName::parse(&s).unwrap_or_else(|e| panic!("{e}"));
            let key = name.key();
            prop_assert_eq!(entity::keys::fold(&key), key.clone());
            // The same name with its ASCII letters' case flipped at random is the same record.
            let flipped: String = s.chars().enumerate().map(|(i, c)| match flips >> (i % 64) & 1 {
                1 if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
                1 => c.to_ascii_lowercase(),
                _ => c,
            }).collect();
            let other = ShortName::parse(&flipped).unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(other.key(), key);
            prop_assert_eq!(other == name, flipped == s);
        }
    }
}
