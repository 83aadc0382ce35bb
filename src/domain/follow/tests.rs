use super::*;

const TTL: Duration = Duration::from_secs(60);

#[test]
fn a_feed_reads_each_id_once_and_waits_for_ids_committed_late() {
    let feed = Feed::default();
    // Ids 1 and 3 committed; 2 is in flight.
    let feed = feed.advance(&[1, 3], 1_000, TTL);
    assert_eq!((feed.top, feed.gap_ids()), (3, vec![2]));
    // Nothing new: the gap is still asked for.
    let idle = feed.advance(&[], 2_000, TTL);
    assert_eq!(idle, feed);
    // 2 commits, with 4 and 6.
    let feed = feed.advance(&[2, 4, 6], 3_000, TTL);
    assert_eq!((feed.top, feed.gap_ids()), (6, vec![5]));
    assert_eq!(feed.gaps, [(5, 3_000)], "a gap remembers when it was found");
    // A rolled-back insert leaves a gap for good: given up after the TTL.
    let feed = feed.advance(&[], 3_000 + 59_999, TTL);
    assert_eq!(feed.gap_ids(), [5]);
    let feed = feed.advance(&[], 3_000 + 60_000, TTL);
    assert!(feed.gaps.is_empty(), "{feed:?}");
    // An id below the top that was never a gap (read already) changes nothing.
    assert_eq!(feed.advance(&[4], 70_000, TTL), feed);
}

#[test]
fn gaps_are_bounded_to_the_highest_ids() {
    let feed = Feed::default().advance(&[1], 0, TTL);
    let far = feed.advance(&[1 + 3 * MAX_GAPS as i64], 1, TTL);
    assert_eq!(far.gaps.len(), MAX_GAPS - 1);
    assert_eq!(far.gaps.last().map(|g| g.0), Some(far.top - 1));
    assert!(
        far.gaps
            .iter()
            .all(|&(id, _)| id > far.top - MAX_GAPS as i64)
    );
}

#[test]
fn a_started_feed_looks_for_ids_in_flight_below_its_top() {
    let feed = Feed::start(5000, &[4999, 5000, 4002], 7);
    assert_eq!(feed.top, 5000);
    assert_eq!(feed.gaps.len(), 999 - 2);
    assert_eq!(feed.gaps.first(), Some(&(4001, 7)));
    assert!(!feed.gap_ids().contains(&4002));
    assert_eq!(Feed::start(3, &[1, 3], 0).gap_ids(), [2]);
    assert_eq!(Feed::start(0, &[], 0), Feed::default());
}

#[test]
fn marks_round_trip_as_json() {
    let mut marks = Marks::default();
    marks.feeds.insert(
        "organizations_organization".into(),
        Feed {
            top: 7,
            gaps: vec![(5, 1)],
        },
    );
    marks.feeds.insert("x".into(), Feed::default());
    let text = marks.to_json();
    assert_eq!(
        text,
        r#"{"feeds":{"organizations_organization":{"top":7,"gaps":[[5,1]]},"x":{"top":0}}}"#
    );
    assert_eq!(Marks::parse(&text), Ok(marks));
    assert_eq!(Marks::parse("{}"), Ok(Marks::default()));
    assert!(Marks::parse("nope").is_err());
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let ms = |n| Duration::from_millis(n);
    let waits: Vec<Duration> = (1..=10).map(|f| backoff(ms(200), f)).collect();
    assert_eq!(waits[..4], [ms(200), ms(400), ms(800), ms(1600)]);
    assert_eq!(waits[9], Duration::from_secs(30));
    assert_eq!(backoff(Duration::from_secs(60), 5), Duration::from_secs(60));
    assert_eq!(backoff(ms(200), u32::MAX), Duration::from_secs(30));
}

#[test]
fn an_origin_names_the_database_without_secrets() {
    assert_eq!(
        origin("mysql://openedx:s3cret@mysql:3306/openedx?ssl-mode=disabled"),
        "mysql://mysql:3306/openedx"
    );
    assert_eq!(origin("postgres://u:p@db/lms"), "postgres://db/lms");
    assert_eq!(
        origin("sqlite:///tmp/lms.db?mode=ro"),
        "sqlite:///tmp/lms.db"
    );
}
