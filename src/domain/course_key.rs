//! Course-run and content-library keys, parsed exactly as edx-opaque-keys 4.0
//! (`LearningContextKey.from_string`) parses them.
//!
//! Parity is checked against the real library: `tests/data/gen_course_keys.py` runs it over a
//! corpus of valid and invalid keys and the tests in `course_key/tests.rs` demand zero
//! disagreements on validity, org and canonical string.
//!
//! The grammar as the library implements it (namespaces are case-sensitive):
//! * `course-v1:ORG+COURSE+RUN[+branch@B][+version@V][+type@T][+block@I]`, where every part is
//!   `[\w\-~.:]+` (block ids also allow `%`) and `V` is 24 lowercase hex digits (a bson ObjectId).
//!   `slashes:` is a registered alias of `course-v1:`. With a version, ORG+COURSE+RUN may be
//!   absent or incomplete (`course-v1:version@V`, even `course-v1:A+B+version@V`).
//! * `library-v1:ORG+LIBRARY[+RUN][+branch@B][+version@V][+type@T][+block@I]` (same rules; RUN
//!   is accepted and ignored), or version-only.
//! * `lib:ORG:SLUG`, ORG `[A-Za-z0-9_.-]+` and SLUG `[\w.-]+`, each checked with Python's `$`,
//!   so each may end in one `\n`.
//! * anything without a `:` is tried as the deprecated `ORG/COURSE/RUN`: exactly two slashes,
//!   parts `[\w.%-]*`, ORG and COURSE non-empty, RUN may be empty.
//!
//! `as_str()` is the library's `str(key)`, which is not always the input: `slashes:` becomes
//! `course-v1:`, `type@`/`block@` parts are dropped (a course key ignores them), a library-v1
//! RUN is dropped, and a key with a version but no complete ORG+COURSE(+RUN) keeps only
//! `version@V`. `org()` is the ORG of that string, so it is empty exactly for those
//! version-only keys (the library's `key.org` may still hold the dropped ORG, but the key it
//! prints has none).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use regex::Regex;

use super::pattern::Pattern;

/// Python's `\w` on `str` (`str.isalnum()` or `_`) is exactly the general categories L* and N*
/// plus `_` (checked over every code point on Python 3.11-3.13). The regex crate's own `\w`
/// differs (it adds marks, connector punctuation and joiners and drops `No`), so it is never used.
pub(crate) const PY_WORD: &str = r"\p{L}\p{N}_";

/// `BlockLocatorBase.URL_RE`, translated. The library's separator `(\+(?=.)|\Z)` needs a
/// look-ahead that the regex crate lacks; the look-ahead only rules out a trailing `+` (nothing
/// in the pattern can start with the newline that `.` refuses), so `parse_locator` checks that
/// separately. Leftmost-first matching gives the same captures as Python's backtracking,
/// including the lazy `??` that prefers a version-only reading.
static LOCATOR_RE: Pattern = Pattern::new(|| {
    let id = format!(r"[{PY_WORD}\-~.:]+");
    let block_id = format!(r"[{PY_WORD}\-~.:%]+");
    let sep = r"(?:\+|\z)";
    Regex::new(&format!(
        r"^(?:(?P<org>{id})\+(?P<course>{id})(?:\+(?P<run>{id}))?{sep})??(?:branch@(?P<branch>{id}){sep})?(?:version@(?P<version>[a-f0-9]+){sep})?(?:type@{id}{sep})?(?:block@{block_id})?\z"
    ))
});

/// `CourseLocator._from_deprecated_string`: split on exactly two `/`, parts free of `[^\w.%-]`,
/// ORG and COURSE non-empty.
static DEPRECATED_RE: Pattern = Pattern::new(|| {
    let part = format!(r"[{PY_WORD}.%\-]");
    Regex::new(&format!(r"^(?P<org>{part}+)/{part}+/{part}*\z"))
});

/// `LibraryLocatorV2`: `split(':')` into two fields checked with `^...+$`, where Python's `$`
/// also matches before one trailing newline.
static LIBRARY_V2_RE: Pattern = Pattern::new(|| {
    Regex::new(&format!(
        r"^(?P<org>[A-Za-z0-9_.\-]+\n?):[{PY_WORD}.\-]+\n?\z"
    ))
});

/// Compiles this module's patterns (see `Pattern`).
pub fn check_patterns() -> Result<(), regex::Error> {
    LOCATOR_RE.check()?;
    DEPRECATED_RE.check()?;
    LIBRARY_V2_RE.check()
}

/// Which of the library's key classes a key parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CourseKeyKind {
    /// `course-v1:` (or its alias `slashes:`): a CourseLocator.
    CourseRun,
    /// `ORG/COURSE/RUN`: a CourseLocator in its deprecated form.
    DeprecatedCourseRun,
    /// `library-v1:`: a LibraryLocator (modulestore library).
    LibraryV1,
    /// `lib:`: a LibraryLocatorV2 (Learning Core library).
    LibraryV2,
}

/// Why a string is not a course key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct CourseKeyError {
    pub reason: String,
}

impl CourseKeyError {
    fn new(reason: &str) -> Self {
        Self {
            reason: reason.to_owned(),
        }
    }
}

/// A valid course-run or library key, held in the library's canonical form (`str(key)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CourseKey {
    key: String,
    org: Range<usize>,
    kind: CourseKeyKind,
}

impl CourseKey {
    /// Parses `s` as `LearningContextKey.from_string(s)` would.
    pub fn parse(s: &str) -> Result<CourseKey, CourseKeyError> {
        // The namespace is everything before the first `:`; a string without one goes to the
        // deprecated fallback. (The library also retries a failed namespaced key as deprecated,
        // but that never succeeds: the `:` it contains is not allowed in deprecated parts.)
        match s.split_once(':') {
            None => parse_deprecated(s),
            Some(("course-v1" | "slashes", rest)) => parse_locator(rest, CourseKeyKind::CourseRun),
            Some(("library-v1", rest)) => parse_locator(rest, CourseKeyKind::LibraryV1),
            Some(("lib", rest)) => parse_library_v2(s, rest),
            Some(_) => Err(CourseKeyError::new(
                "unknown namespace: expected course-v1:, library-v1:, lib: or ORG/COURSE/RUN",
            )),
        }
    }

    /// The key as the library prints it (`str(key)`); see the module docs for when that differs
    /// from the input.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The ORG part of the key; empty only for version-only keys, which name no organization.
    pub fn org(&self) -> &str {
        self.key.get(self.org.clone()).unwrap_or_default()
    }

    pub fn kind(&self) -> CourseKeyKind {
        self.kind
    }
}

/// The longest course key stored (Open edX's `CourseKeyField(max_length=255)`).
pub const MAX_STORED_LEN: usize = 255;

impl CourseKey {
    /// A key as this service stores it, whatever the entry point: `parse`, and then at most
    /// `MAX_STORED_LEN` characters of its canonical form.
    pub fn parse_stored(s: &str) -> Result<CourseKey, CourseKeyError> {
        let key = Self::parse(s)?;
        if key.as_str().chars().count() > MAX_STORED_LEN {
            return Err(CourseKeyError {
                reason: format!(
                    "longer than {MAX_STORED_LEN} characters, the most Open edX stores"
                ),
            });
        }
        Ok(key)
    }
}

fn parse_deprecated(s: &str) -> Result<CourseKey, CourseKeyError> {
    if s.matches('/').count() != 2 {
        return Err(CourseKeyError::new(
            "expected course-v1:ORG+COURSE+RUN, library-v1:ORG+LIBRARY, lib:ORG:SLUG or ORG/COURSE/RUN",
        ));
    }
    let org = DEPRECATED_RE
        .captures(s)
        .and_then(|c| c.name("org"))
        .ok_or_else(|| {
            CourseKeyError::new(
                "ORG/COURSE/RUN needs a non-empty ORG and COURSE, and its parts may hold only letters, digits, _, ., % and -",
            )
        })?;
    Ok(CourseKey {
        key: s.to_owned(),
        org: org.range(),
        kind: CourseKeyKind::DeprecatedCourseRun,
    })
}

fn parse_library_v2(s: &str, rest: &str) -> Result<CourseKey, CourseKeyError> {
    let org = LIBRARY_V2_RE.captures(rest).and_then(|c| c.name("org")).ok_or_else(|| {
        CourseKeyError::new(
            "expected lib:ORG:SLUG, ORG of A-Z, a-z, 0-9, _, . or - and SLUG of letters, digits, _, . or -",
        )
    })?;
    let offset = s.len() - rest.len();
    Ok(CourseKey {
        key: s.to_owned(),
        org: offset + org.start()..offset + org.end(),
        kind: CourseKeyKind::LibraryV2,
    })
}

/// CourseLocator / LibraryLocator `_from_string`, `__init__` and `_to_string`.
fn parse_locator(rest: &str, kind: CourseKeyKind) -> Result<CourseKey, CourseKeyError> {
    let (namespace, shape) = match kind {
        CourseKeyKind::LibraryV1 => (
            "library-v1",
            "library-v1:ORG+LIBRARY[+branch@B][+version@V]",
        ),
        _ => (
            "course-v1",
            "course-v1:ORG+COURSE+RUN[+branch@B][+version@V]",
        ),
    };
    let bad = || CourseKeyError {
        reason: format!("expected {shape}"),
    };
    let caps = if rest.ends_with('+') {
        None
    } else {
        LOCATOR_RE.captures(rest)
    };
    let caps = caps.ok_or_else(bad)?;
    let part = |name| caps.name(name).map(|m| m.as_str());
    let version = part("version");
    // bson's ObjectId takes a hex string only at exactly 24 digits.
    if version.is_some_and(|v| v.len() != 24) {
        return Err(CourseKeyError::new(
            "version must be 24 lowercase hex digits",
        ));
    }
    // The parts `_to_string` prints before the branch: a course needs all of ORG, COURSE and
    // RUN; a library prints ORG and LIBRARY and drops any RUN.
    let head = match (kind, part("org"), part("course"), part("run")) {
        (CourseKeyKind::LibraryV1, Some(org), Some(library), _) => Some((org, vec![library])),
        (_, Some(org), Some(course), Some(run)) => Some((org, vec![course, run])),
        _ => None,
    };
    if head.is_none() && version.is_none() {
        return Err(bad());
    }

    let mut key = String::with_capacity(namespace.len() + 1 + rest.len());
    key.push_str(namespace);
    key.push(':');
    let mut org = key.len()..key.len();
    if let Some((org_part, tail)) = &head {
        org = key.len()..key.len() + org_part.len();
        key.push_str(org_part);
        for field in tail {
            key.push('+');
            key.push_str(field);
        }
        // A branch is printed only after a full head; on a version-only key it is dropped.
        if let Some(branch) = part("branch") {
            key.push_str("+branch@");
            key.push_str(branch);
        }
    }
    if let Some(version) = version {
        if head.is_some() {
            key.push('+');
        }
        key.push_str("version@");
        key.push_str(version);
    }
    Ok(CourseKey { key, org, kind })
}

impl FromStr for CourseKey {
    type Err = CourseKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CourseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests;
