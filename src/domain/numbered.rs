//! Numbered pages as the LMS paginates its REST APIs (edx-drf-extensions' `DefaultPagination`
//! over Django's `Paginator`): `?page=` from 1, `?page_size=` up to 100, default 10.

pub const DEFAULT_SIZE: u64 = 10;
pub const MAX_SIZE: u64 = 100;

/// `?page_size=`: a positive integer, cut off at 100; anything else is the default (DRF ignores a
/// bad value rather than refusing it).
pub fn size(raw: Option<&str>) -> u64 {
    raw.and_then(|v| v.trim().trim_start_matches('+').parse::<u64>().ok())
        .filter(|n| *n > 0)
        .map_or(DEFAULT_SIZE, |n| n.min(MAX_SIZE))
}

/// How many pages `count` rows fill; an empty list still has its first page.
pub fn pages(count: u64, size: u64) -> u64 {
    count.div_ceil(size.max(1)).max(1)
}

/// `?page=` (default 1, `last` the last one), or `None` when there is no such page (404).
pub fn number(raw: Option<&str>, pages: u64) -> Option<u64> {
    let n = match raw {
        None => 1,
        Some("last") => pages,
        Some(v) => v.trim().trim_start_matches('+').parse::<u64>().ok()?,
    };
    (1..=pages).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_numbers_follow_drf() {
        assert_eq!(size(None), 10);
        assert_eq!(size(Some("0")), 10);
        assert_eq!(size(Some("-3")), 10);
        assert_eq!(size(Some("x")), 10);
        assert_eq!(size(Some("500")), 100);
        assert_eq!(size(Some("7")), 7);
        assert_eq!(pages(0, 10), 1);
        assert_eq!(pages(21, 10), 3);
        assert_eq!(number(None, 1), Some(1));
        assert_eq!(number(Some("last"), 3), Some(3));
        assert_eq!(number(Some("4"), 3), None);
        assert_eq!(number(Some("0"), 3), None);
        assert_eq!(number(Some("a"), 3), None);
    }
}
