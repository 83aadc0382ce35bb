//! Deterministic dataloader batching.
//!
//! async-graphql's `DataLoader` starts a batch on a timer after the first key arrives and runs
//! it on whatever task its spawner gives it. On a multi-threaded runtime the timer can fire while
//! the request is still resolving siblings, so a wide level could split into several batches
//! under load, and statement counts would depend on timing. Here the batch tasks of one request
//! are queued and polled by the request's own task, and only once the GraphQL execution is
//! really waiting: `futures`' `FuturesUnordered` (behind `join_all` for long lists) returns
//! `Pending` after waking itself to share the thread, so the execution is polled again as long
//! as it woke itself. By then every sibling of a level has registered its key, and one level of
//! a query is exactly one batch per loader, however slow the machine is.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;

/// Consecutive self-wakes after which queued batches run anyway (a guard against a future that yields forever; never reached by GraphQL execution, which settles within a few polls).
const MAX_SELF_WAKES: usize = 10_000;

/// Where the dataloaders of one request queue their batch tasks.
#[derive(Clone, Default)]
pub struct BatchQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl BatchQueue {
    /// The spawner handed to `DataLoader::new`.
    pub fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + Clone + 'static {
        let queue = self.0.clone();
        move |task| {
            if let Ok(mut tasks) = queue.lock() {
                tasks.push(task);
            }
        }
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        self.0
            .lock()
            .map(|mut tasks| std::mem::take(&mut *tasks))
            .unwrap_or_default()
    }

    /// Runs `fut` to completion, polling the queued batch tasks on the same task.
    pub async fn drive<F: Future>(&self, fut: F) -> F::Output {
        let mut fut: Pin<&mut F> = pin!(fut);
        let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
        std::future::poll_fn(move |cx| {
            loop {
                let mut self_wakes = 0;
                loop {
                    let flag = Arc::new(WakeFlag {
                        woken: AtomicBool::new(false),
                        parent: cx.waker().clone(),
                    });
                    let waker = Waker::from(flag.clone());
                    if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                        return Poll::Ready(out);
                    }
                    self_wakes += 1;
                    if !flag.woken.load(Ordering::Acquire) || self_wakes >= MAX_SELF_WAKES {
                        break;
                    }
                }
                let queued = self.take();
                let had_new = !queued.is_empty();
                running.extend(queued);
                // Drive batches until they wait on I/O; a finished batch wakes the request.
                while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
                if !had_new {
                    return Poll::Pending;
                }
            }
        })
        .await
    }
}

/// A waker that records whether it was woken, and passes the wake on.
struct WakeFlag {
    woken: AtomicBool,
    parent: Waker,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.parent.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use async_graphql::dataloader::{DataLoader, Loader};

    use super::*;

    /// Records every batch it is asked for.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Vec<u32>>>>);

    impl Loader<u32> for Recorder {
        type Value = u32;
        type Error = String;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
            // A batch that waits on I/O, as a statement does.
            tokio::time::sleep(Duration::from_millis(5)).await;
            if let Ok(mut batches) = self.0.lock() {
                batches.push(keys.to_vec());
            }
            Ok(keys.iter().map(|&k| (k, k * 2)).collect())
        }
    }

    fn batches(recorder: &Recorder) -> Vec<Vec<u32>> {
        recorder.0.lock().map(|b| b.clone()).unwrap_or_default()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn siblings_of_one_level_are_one_batch_whatever_the_timing() {
        for width in [1u32, 10, 2_000] {
            let queue = BatchQueue::default();
            let recorder = Recorder::default();
            let loader = DataLoader::new(recorder.clone(), queue.spawner())
                .delay(Duration::ZERO)
                .max_batch_size(15_000);
            let loads = (0..width).map(|k| {
                let loader = &loader;
                async move {
                    // Siblings reach the loader after yielding, as resolvers do.
                    tokio::task::yield_now().await;
                    loader.load_one(k).await
                }
            });
            let results = queue.drive(futures::future::join_all(loads)).await;
            assert_eq!(results.len(), width as usize);
            assert!(
                results
                    .iter()
                    .all(|r| r.as_ref().is_ok_and(Option::is_some))
            );
            let seen = batches(&recorder);
            assert_eq!(seen.len(), 1, "width {width}: {} batches", seen.len());
            assert_eq!(seen[0].len(), width as usize);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn levels_run_one_after_another_on_the_request_task() {
        let queue = BatchQueue::default();
        let recorder = Recorder::default();
        let loader = DataLoader::new(recorder.clone(), queue.spawner()).delay(Duration::ZERO);
        let two_levels = async {
            let first = futures::future::join_all((0..3).map(|k| loader.load_one(k))).await;
            let next: Vec<u32> = first.into_iter().flatten().flatten().collect();
            futures::future::join_all(next.iter().map(|&k| loader.load_one(k + 100))).await
        };
        let second = queue.drive(two_levels).await;
        assert_eq!(second.len(), 3);
        assert_eq!(batches(&recorder).len(), 2, "one batch per level");
    }

    #[tokio::test]
    async fn a_future_without_batches_completes() {
        let queue = BatchQueue::default();
        assert_eq!(queue.drive(async { 7 }).await, 7);
        // A queued task nobody awaits still runs, and does not block the result.
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let spawn = queue.spawner();
        let out = queue
            .drive(async move {
                spawn(Box::pin(async move { flag.store(true, Ordering::Release) }));
                tokio::task::yield_now().await;
                1
            })
            .await;
        assert_eq!(out, 1);
        assert!(ran.load(Ordering::Acquire));
    }
}
