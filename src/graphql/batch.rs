//! Deterministic dataloader batching.
//!
//! async-graphql's `DataLoader` starts a batch on a timer after the first key arrives and runs
//! it on whatever task its spawner gives it. On a multi-threaded runtime the timer can fire while
//! the request is still resolving siblings, so a wide level could split into several batches
//! under load, and statement counts would depend on timing. Here the batch tasks of one request
//! are queued and polled by the request's own task, only after the GraphQL execution has
//! returned `Pending`, by which point every sibling of a level has registered its key. One level
//! of a query is therefore exactly one batch per loader, however slow the machine is.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;

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
        self.0.lock().map(|mut tasks| std::mem::take(&mut *tasks)).unwrap_or_default()
    }

    /// Runs `fut` to completion, polling the queued batch tasks on the same task.
    pub async fn drive<F: Future>(&self, fut: F) -> F::Output {
        let mut fut: Pin<&mut F> = pin!(fut);
        let mut running: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
        std::future::poll_fn(move |cx| {
            loop {
                if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                    return Poll::Ready(out);
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
