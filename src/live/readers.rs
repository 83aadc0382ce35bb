//! Reads of the change log for subscriptions, a few at a time, on tasks of their own.
//!
//! A change wakes every subscription at once. Were each to run its query itself, 10,000 pending
//! queries (about 20 KiB each) would be held at the same moment, and the process's RSS stays at
//! such a peak. Taking turns from a semaphore inside the subscription would not do either: tokio
//! hands a released permit to the next waiter even when nothing polls it, and a WebSocket whose
//! client stops reading stops polling its subscriptions, so one such client could hold every
//! turn. Here a waiting subscription holds its place in the queue and the receiving end of its
//! answer; the readers run the queries whether or not anyone polls the subscription.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use tokio::sync::{Semaphore, mpsc, oneshot};

type Job = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

pub struct Readers {
    turns: usize,
    /// Started on first use, inside the runtime.
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl Readers {
    /// Readers that run at most `turns` reads at once.
    pub fn new(turns: usize) -> Self {
        Readers {
            turns: turns.max(1),
            jobs: OnceLock::new(),
        }
    }

    /// Runs `read` once a turn is free and returns its answer; `None` when the read could not
    /// run (the readers are gone, or the read panicked). A read whose caller stopped waiting
    /// before its turn is skipped.
    pub async fn run<T, F, Fut>(&self, read: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            Box::pin(async move {
                if !answer.is_closed() {
                    let _ = answer.send(read().await);
                }
            })
        });
        self.jobs.get_or_init(|| self.start()).send(job).ok()?;
        answered.await.ok()
    }

    fn start(&self) -> mpsc::UnboundedSender<Job> {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let turns = Arc::new(Semaphore::new(self.turns));
        // Ends when the readers are dropped (the queue closes).
        tokio::spawn(async move {
            while let Some(job) = queue.recv().await {
                let Ok(turn) = turns.clone().acquire_owned().await else {
                    break;
                };
                tokio::spawn(async move {
                    job().await;
                    drop(turn);
                });
            }
        });
        jobs
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use futures::FutureExt;

    use super::*;

    #[tokio::test]
    async fn at_most_the_given_number_of_reads_run_at_once() {
        let readers = Arc::new(Readers::new(3));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let reads = (0..20).map(|i| {
            let (running, most) = (running.clone(), most.clone());
            let readers = readers.clone();
            async move {
                readers
                    .run(move || async move {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
            }
        });
        let answers = futures::future::join_all(reads).await;
        assert_eq!(answers, (0..20).map(Some).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_caller_nobody_polls_holds_no_turn() {
        let readers = Readers::new(1);
        // Queued and answered, but never polled again (a WebSocket whose client stopped reading).
        let mut stalled = Box::pin(readers.run(|| async { 1 }));
        assert!((&mut stalled).now_or_never().is_none());
        let answer = tokio::time::timeout(Duration::from_secs(10), readers.run(|| async { 2 }));
        assert_eq!(
            answer.await.ok(),
            Some(Some(2)),
            "the next read had its turn"
        );
        assert_eq!(
            stalled.await,
            Some(1),
            "the stalled caller's answer waited for it"
        );
    }

    #[tokio::test]
    async fn a_read_whose_caller_left_is_skipped() {
        let readers = Readers::new(1);
        let ran = Arc::new(AtomicUsize::new(0));
        // The only turn is busy until `release` is sent.
        let (release, released) = oneshot::channel::<()>();
        let mut busy = Box::pin(readers.run(|| async {
            let _ = released.await;
        }));
        assert!((&mut busy).now_or_never().is_none());
        let counted = ran.clone();
        let mut left = Box::pin(readers.run(move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        assert!((&mut left).now_or_never().is_none());
        drop(left);
        let _ = release.send(());
        busy.await;
        assert_eq!(readers.run(|| async { 3 }).await, Some(3));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_read_that_panics_answers_none_and_frees_its_turn() {
        let readers = Readers::new(1);
        let failed = readers.run(|| async { panic!("a read panicked") }).await;
        assert_eq!(failed, None::<()>);
        assert_eq!(readers.run(|| async { 4 }).await, Some(4));
    }
}
