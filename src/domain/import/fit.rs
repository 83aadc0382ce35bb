//! What import does with a value the services hold and this one cannot (docs/adopting.md): the
//! rules are the identity module's (`names`), the same as every other entry point's; here is
//! only the choice per field, each reported by table and key:
//! * a text over its limit (name, description) is cut to it;
//! * an optional value that breaks its rule (a NUL in a description, a URL too long or not
//!   http(s)) is left out;
//! * a display name that is blank takes the record's identity (short name, code, domain), as
//!   ensure names a new organization;
//! * a record whose identity is invalid, or whose name holds a NUL, is skipped.

use super::super::names::{Description, InvalidValue, Parse, Url};

/// Reports for one row: `<table> <key>: <what>`.
pub struct Row<'a> {
    pub table: &'a str,
    pub key: &'a str,
    pub notes: &'a mut Vec<String>,
}

impl Row<'_> {
    pub fn note(&mut self, what: impl std::fmt::Display) {
        self.notes
            .push(format!("{} {:?}: {what}", self.table, self.key));
    }

    /// The row's identity (its key) as a `T`; `None` when it cannot be one: the row is skipped,
    /// reported as `what` breaking its rule.
    pub fn identity<T: Parse>(&mut self, what: &str) -> Option<T> {
        match T::parse(self.key) {
            Ok(identity) => Some(identity),
            Err(e) => {
                self.note(format!("skipped: {what} {e}"));
                None
            }
        }
    }

    /// A required display name: cut to its limit; a blank one is `fallback`; `None` (the row
    /// is skipped, reported) when it cannot be held at all.
    pub fn name<T>(
        &mut self,
        value: &str,
        fallback: &str,
        cut: impl Fn(&str) -> Result<(T, bool), InvalidValue>,
    ) -> Option<T> {
        let value = if value.trim().is_empty() {
            self.note(format!("blank name: named {fallback:?}"));
            fallback
        } else {
            value
        };
        match cut(value) {
            Ok((name, was_cut)) => {
                if was_cut {
                    self.note(format!(
                        "name of {} characters cut to fit",
                        value.chars().count()
                    ));
                }
                Some(name)
            }
            Err(e) => {
                self.note(format!("skipped: name {e}"));
                None
            }
        }
    }

    /// An optional description: cut to its limit, left out when it holds a NUL.
    pub fn description(&mut self, value: Option<&str>) -> Option<Description> {
        let value = value?;
        match Description::cut(value) {
            Ok((description, was_cut)) => {
                if was_cut {
                    self.note(format!(
                        "description of {} characters cut to {}",
                        value.chars().count(),
                        Description::MAX
                    ));
                }
                Some(description)
            }
            Err(e) => {
                self.note(format!("description left out: {e}"));
                None
            }
        }
    }

    /// An optional URL: left out when it breaks the rule (an empty one is no URL).
    pub fn url(&mut self, field: &str, value: Option<&str>) -> Option<Url> {
        let value = value.filter(|v| !v.is_empty())?;
        match Url::parse(value) {
            Ok(url) => Some(url),
            Err(e) => {
                self.note(format!(
                    "{field} of {} characters left out: {e}",
                    value.chars().count()
                ));
                None
            }
        }
    }
}
