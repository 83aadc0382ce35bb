//! How long a replica has been behind, from the primary's WAL position sampled over time.
//!
//! The age of the last transaction a replica replayed is no measure of its lag: on a quiet
//! primary that transaction may be an hour old while the replica misses nothing but a write
//! made a millisecond ago. So each probe records where the primary's WAL ended and when; a
//! replica is behind since the first sample it has not replayed, i.e. it fell behind within one
//! probe interval before that sample, and holds everything up to the sample before it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The primary's WAL position at recent probes, oldest first (positions never decrease).
pub struct Samples {
    samples: VecDeque<(Instant, u64)>,
    /// How long samples are kept: longer than the lag bound, so that a replica behind every
    /// kept sample is known to be over it.
    keep: Duration,
    /// The first position sampled, after the service migrated: a replica that has not replayed
    /// it may lack tables the service reads (its lag is not the question then).
    schema: Option<u64>,
}

impl Samples {
    pub fn new(max_lag: Duration) -> Samples {
        Samples {
            samples: VecDeque::new(),
            keep: max_lag * 2 + Duration::from_secs(1),
            schema: None,
        }
    }

    /// Records the primary's position, read just before `at` (taking the time after the read
    /// means no write in the sample is younger than its time).
    pub fn push(&mut self, at: Instant, lsn: u64) {
        self.schema.get_or_insert(lsn);
        self.samples.push_back((at, lsn));
        while self.samples.len() > 1
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| at.duration_since(*t) > self.keep)
        {
            self.samples.pop_front();
        }
    }

    /// Whether a replica that has replayed `replayed` has the schema the service migrated to.
    pub fn has_schema(&self, replayed: u64) -> bool {
        self.schema.is_some_and(|s| replayed_through(replayed, s))
    }

    /// How long a replica that has replayed `replayed` has been behind at `now`: zero when it
    /// has the latest sample; the age of the first sample it lacks when it has an earlier one;
    /// `None` when it lacks every kept sample (it has been behind longer than they reach).
    pub fn lag(&self, replayed: u64, now: Instant) -> Option<Duration> {
        let has = self
            .samples
            .partition_point(|(_, lsn)| replayed_through(replayed, *lsn));
        if has == self.samples.len() {
            return Some(Duration::ZERO);
        }
        if has == 0 {
            return None;
        }
        Some(now.saturating_duration_since(self.samples[has].0))
    }
}

/// Whether a replica that replayed up to `replayed` has everything before the primary position
/// `lsn`. PostgreSQL's insert position skips a page header when the last record ended exactly
/// at a page boundary (8 kB pages; 24-byte header, 40 at a segment's start), a position replay
/// never reports: that gap is nothing to replay.
pub fn replayed_through(replayed: u64, lsn: u64) -> bool {
    const PAGE: u64 = 8192;
    const LONG_HEADER: u64 = 40;
    replayed >= lsn || (lsn % PAGE <= LONG_HEADER && lsn - replayed <= LONG_HEADER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_is_behind_since_the_first_sample_it_lacks() {
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let mut samples = Samples::new(Duration::from_secs(1));
        samples.push(ms(0), 100);
        samples.push(ms(250), 100);
        samples.push(ms(500), 180);
        samples.push(ms(750), 200);
        // Caught up with the latest sample.
        assert_eq!(samples.lag(200, ms(800)), Some(Duration::ZERO));
        // Has what the primary had at 250 ms, not what it had at 500 ms.
        assert_eq!(samples.lag(150, ms(800)), Some(Duration::from_millis(300)));
        // Lacks every kept sample: not known how long.
        assert_eq!(samples.lag(50, ms(800)), None);
        assert!(samples.has_schema(100) && !samples.has_schema(99));
    }

    #[test]
    fn old_samples_are_dropped_but_the_schema_position_is_kept() {
        let start = Instant::now();
        let mut samples = Samples::new(Duration::from_secs(1));
        samples.push(start, 1000);
        samples.push(start + Duration::from_secs(5), 2000);
        assert_eq!(samples.samples.len(), 1);
        assert!(!samples.has_schema(500) && samples.has_schema(1000));
        assert_eq!(
            samples.lag(1000, start + Duration::from_secs(6)),
            None,
            "behind longer than the samples reach"
        );
    }

    #[test]
    fn a_skipped_page_header_is_not_lag() {
        assert!(replayed_through(8192, 8192 + 24));
        assert!(replayed_through(16 << 20, (16 << 20) + 40));
        assert!(!replayed_through(8100, 8192 + 24));
        assert!(!replayed_through(9000, 9024));
    }
}
