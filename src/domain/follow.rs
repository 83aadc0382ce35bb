//! Following the Open edX databases while serving (docs/adopting.md): where each followed table
//! stands (its high-water marks), when to try again after a failure, and (`round`) how what
//! changed in the LMS becomes the `Sources` of one import round.
//!
//! A table is followed by ids, never by time: its primary key (rows created, bulk creates
//! included) and the primary key of its django-simple-history table (every save and delete
//! through Django, which is how edx-organizations, Studio and the Django admin write). Both are
//! index ranges. edx-organizations' `modified` columns carry no index, so a mark on them would
//! read a million links every round.
//!
//! Ids are drawn when a row is inserted but become visible when its transaction commits, so a
//! round can see id 11 while id 10 is still in flight. Each id skipped that way is a gap: asked
//! for again every round until it appears, or until `GAP_TTL` (a rolled-back insert leaves a gap
//! for good). So a row committed late is read once it commits, and no row is read twice.

pub mod round;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long an id skipped by a round is looked for: longer than any transaction of the LMS.
pub const GAP_TTL: Duration = Duration::from_secs(600);
/// The most gaps a feed keeps (the highest ids: the ones likeliest to be in flight).
pub const MAX_GAPS: usize = 10_000;
/// A feed started on a table looks this far below its largest id for ids not committed yet.
pub const START_WINDOW: i64 = 1000;
/// The most ids one round reads from one feed; the rest wait for the next round.
pub const ROUND_LIMIT: u64 = 20_000;

/// One followed sequence of ids: every id up to `top` has been read, but the `gaps`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    pub top: i64,
    /// `(id, since)`: ids below `top` not read yet, ascending, with when each was first found
    /// missing (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<(i64, i64)>,
}

impl Feed {
    /// A feed on a table whose largest id is `top`, of which `present` are the ids committed in
    /// `(top - START_WINDOW, top]`: the others there may be in flight.
    pub fn start(top: i64, present: &[i64], now_ms: i64) -> Feed {
        let present: BTreeSet<i64> = present.iter().copied().collect();
        let gaps = ((top - START_WINDOW).max(0) + 1..top)
            .filter(|id| !present.contains(id))
            .map(|id| (id, now_ms))
            .collect();
        Feed { top, gaps }
    }

    /// The ids below `top` to ask for again.
    pub fn gap_ids(&self) -> Vec<i64> {
        self.gaps.iter().map(|&(id, _)| id).collect()
    }

    /// The feed after a round read `seen` (ids above `top` and gaps that appeared) at `now_ms`:
    /// ids passed over become gaps, gaps read or older than `ttl` are dropped.
    pub fn advance(&self, seen: &[i64], now_ms: i64, ttl: Duration) -> Feed {
        let seen: BTreeSet<i64> = seen.iter().copied().collect();
        let top = seen.last().copied().unwrap_or(self.top).max(self.top);
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let mut gaps: Vec<(i64, i64)> = self
            .gaps
            .iter()
            .filter(|&&(id, since)| !seen.contains(&id) && now_ms.saturating_sub(since) < ttl)
            .copied()
            .collect();
        let first_new = (self.top + 1).max(top - MAX_GAPS as i64 + 1);
        gaps.extend(
            (first_new..top)
                .filter(|id| !seen.contains(id))
                .map(|id| (id, now_ms)),
        );
        gaps.sort_unstable();
        if gaps.len() > MAX_GAPS {
            gaps.drain(..gaps.len() - MAX_GAPS);
        }
        Feed { top, gaps }
    }
}

/// The marks of one source: a feed per table (or history table) followed by ids. A source
/// followed only by digests (small tables read again when they change) has none: its row says
/// that its first import is done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    #[serde(default)]
    pub feeds: BTreeMap<String, Feed>,
}

impl Marks {
    pub fn parse(text: &str) -> Result<Marks, String> {
        serde_json::from_str(text).map_err(|e| format!("follow marks {text:?}: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn feed(&self, table: &str) -> Feed {
        self.feeds.get(table).cloned().unwrap_or_default()
    }
}

/// How long to wait after `failures` failed rounds in a row: the interval, doubled each
/// failure, at most `max(interval, 30 s)`.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let cap = interval.max(Duration::from_secs(30));
    interval
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(cap)
}

/// Where a database is, without its password: marks kept for one database mean nothing for
/// another, so a changed origin starts over with an import.
pub fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.set_query(None);
            parsed.to_string()
        }
        // sqlite:PATH or sqlite://PATH: the path, without options.
        _ => url.split('?').next().unwrap_or(url).to_owned(),
    }
}

#[cfg(test)]
mod tests;
