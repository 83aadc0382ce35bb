//! Relay-style pages: arguments, cursors and what a page holds. `repo::page` runs them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::Value;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 100;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// What a list is ordered by, which decides what its cursors hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKind {
    /// A case-folded identity (short name, short code, domain).
    Text,
    /// An autoincrement id (creation order).
    Int,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    Text(String),
    Int(i64),
}

impl SortKey {
    pub fn cursor(&self) -> String {
        let raw = match self {
            SortKey::Text(s) => format!("t:{s}"),
            SortKey::Int(i) => format!("i:{i}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub(crate) fn decode(cursor: &str, kind: SortKind) -> Option<SortKey> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        match (kind, raw.split_once(':')?) {
            // A NUL cannot be in a stored identity (and PostgreSQL refuses it in a parameter).
            (SortKind::Text, ("t", s)) if !s.contains('\0') => Some(SortKey::Text(s.to_owned())),
            (SortKind::Int, ("i", i)) => i.parse().ok().map(SortKey::Int),
            _ => None,
        }
    }

    pub(crate) fn value(&self) -> Value {
        match self {
            SortKey::Text(s) => s.clone().into(),
            SortKey::Int(i) => (*i).into(),
        }
    }
}

/// Validated `first`/`after` arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<SortKey>,
}

impl PageArgs {
    pub fn parse(first: Option<i32>, after: Option<&str>, kind: SortKind) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::bad_input("first", "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(AppError::bad_input(
                    "first",
                    format!("must be at most {MAX_PAGE_SIZE}"),
                ));
            }
            Some(n) => n as u64,
        };
        let after = match after {
            None => None,
            Some(c) => Some(
                SortKey::decode(c, kind)
                    .ok_or_else(|| AppError::bad_input("after", "not a cursor of this list"))?,
            ),
        };
        Ok(PageArgs { first, after })
    }
}

/// One edge of a page.
#[derive(Clone, Debug)]
pub struct PageItem<T> {
    pub node: T,
    /// Where the item stands; its cursor (`SortKey::cursor`) is written only if asked for.
    pub key: SortKey,
    /// When the edge itself was made (membership `since`, course link creation); `None` for
    /// top-level lists.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<PageItem<T>>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn empty(args: &PageArgs) -> Self {
        Page {
            items: Vec::new(),
            has_next: false,
            has_previous: args.after.is_some(),
            total: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_typed() -> AppResult<()> {
        let key = SortKey::Text("mitx".into());
        let args = PageArgs::parse(Some(5), Some(&key.cursor()), SortKind::Text)?;
        assert_eq!(args.after, Some(key.clone()));
        assert!(PageArgs::parse(None, Some(&key.cursor()), SortKind::Int).is_err());
        let id = SortKey::Int(42);
        assert_eq!(
            PageArgs::parse(None, Some(&id.cursor()), SortKind::Int)?.after,
            Some(id)
        );
        Ok(())
    }

    #[test]
    fn bad_page_arguments_are_user_errors() {
        for (first, after) in [(Some(-1), None), (Some(1001), None), (None, Some("%%%"))] {
            let err = PageArgs::parse(first, after, SortKind::Text).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
        assert_eq!(
            PageArgs::parse(None, None, SortKind::Text).unwrap().first,
            DEFAULT_PAGE_SIZE
        );
    }
}
