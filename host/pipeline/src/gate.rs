//! The evaluation gate: plugins and schema validation are CPU work, so no more of them run at
//! once than the machine has cores, and only a short queue waits for a core. Past that, or after
//! waiting too long, a request is turned away as [`Busy`] (the API answers 503 with
//! `Retry-After`, and clients retry) instead of every request slowing down until they all time
//! out, or a stretched deadline passing a verdict on a valid response.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::sync::{Semaphore, SemaphorePermit};

/// The server is too busy to evaluate this request now; nothing about the request is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy evaluating other responses ({waiting} waiting); retry shortly")]
pub struct Busy {
    pub waiting: usize,
}

/// How many evaluations run at once and how many may wait.
#[derive(Debug, Clone, Copy)]
pub struct GateSize {
    pub running: usize,
    pub waiting: usize,
    pub max_wait: Duration,
}

impl GateSize {
    /// One evaluation per core, a queue of 128 per core, and at most two seconds in it. An
    /// evaluation takes well under a millisecond of CPU, so a full queue is still only tens of
    /// milliseconds of work: the count bounds memory and the wait bounds latency. (A queue of 16
    /// per core turned away about half of a 64-connection load the server sustains, BENCHMARKS.md.)
    pub fn for_this_machine() -> GateSize {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        GateSize { running: cores, waiting: 128 * cores, max_wait: Duration::from_secs(2) }
    }
}

pub struct EvaluationGate {
    permits: Semaphore,
    waiting: AtomicUsize,
    size: GateSize,
}

impl EvaluationGate {
    pub fn new(size: GateSize) -> EvaluationGate {
        EvaluationGate { permits: Semaphore::new(size.running.max(1)), waiting: AtomicUsize::new(0), size }
    }

    /// A turn to evaluate, or [`Busy`] when the queue is full or the wait ran out.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::AcqRel) + 1;
        let _leave = LeaveQueue(&self.waiting);
        if waiting > self.size.waiting {
            tracing::warn!(waiting, "evaluation queue full: answering busy");
            return Err(Busy { waiting });
        }
        match tokio::time::timeout(self.size.max_wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!(waiting, wait_ms = self.size.max_wait.as_millis() as u64, "waited too long for an evaluation slot: answering busy");
                Err(Busy { waiting })
            }
        }
    }
}

struct LeaveQueue<'a>(&'a AtomicUsize);

impl Drop for LeaveQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_busy_at_once_and_a_slot_frees_the_next() {
        let gate = EvaluationGate::new(GateSize { running: 1, waiting: 1, max_wait: Duration::from_secs(5) });
        let first = gate.enter().await.unwrap();
        // One may wait; the second waiter is turned away without waiting.
        let waiter = gate.enter();
        tokio::pin!(waiter);
        assert!(futures::poll!(waiter.as_mut()).is_pending());
        let started = std::time::Instant::now();
        assert_eq!(gate.enter().await.unwrap_err(), Busy { waiting: 2 });
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(first);
        assert!(waiter.await.is_ok());
    }

    #[tokio::test]
    async fn waiting_too_long_is_busy() {
        let gate = EvaluationGate::new(GateSize { running: 1, waiting: 8, max_wait: Duration::from_millis(50) });
        let _held = gate.enter().await.unwrap();
        assert!(gate.enter().await.is_err());
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0, "a waiter that gave up left the queue");
    }
}
