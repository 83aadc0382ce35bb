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

/// Consecutive self-wakes after which queued batches run anyway (a guard against a future that
/// yields forever; never reached by GraphQL execution, which settles within a few polls).
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
