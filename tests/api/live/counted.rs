//! What subscriptions cost, in counts: the open ones show in `/metrics`, and starting one reads
//! the log once (where it is, or the replay after a cursor), not once more to find nothing.

use super::*;
use crate::support::TestApp;

/// Waits until `tenancy_live_subscriptions` reads `n` (a subscription counts once its stream
/// has started, and until the server notices its client is gone).
async fn until_open(app: &TestApp, n: f64) {
    let mut last = f64::NAN;
    for _ in 0..400 {
        last = app.metric("tenancy_live_subscriptions").await;
        if last == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("tenancy_live_subscriptions stayed at {last}, not {n}");
}

backend_tests! {
    open_subscriptions_are_counted_and_each_start_reads_the_log_once,
}

async fn open_subscriptions_are_counted_and_each_start_reads_the_log_once(app: TestApp) {
    ensure(&app, "BeforeX").await;
    until_open(&app, 0.0).await;
    let mut open = Vec::new();
    let (statements, _) = app
        .statements_during(async {
            open.push(Events::open(&app, json!({}), None).await);
            until_open(&app, 1.0).await;
            Value::Null
        })
        .await;
    assert_eq!(
        statements, 1,
        "without `after`: where the log is, one statement"
    );
    let (statements, _) = app
        .statements_during(async {
            let mut replay = Events::open(&app, json!({ "after": "0" }), None).await;
            assert_eq!(keys(&replay.changes(1).await), ["BeforeX"]);
            open.push(replay);
            until_open(&app, 2.0).await;
            Value::Null
        })
        .await;
    assert_eq!(statements, 1, "with `after`: the replay, one statement");
    ensure(&app, "AfterX").await;
    for events in &mut open {
        assert_eq!(keys(&events.changes(1).await), ["AfterX"]);
    }
    // Gone clients are noticed when their stream is next written to: a change does that.
    open.clear();
    ensure(&app, "GoneX").await;
    until_open(&app, 0.0).await;
}
