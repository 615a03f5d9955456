//! What stands between sign-in and a password guesser: attempts are reserved per person name
//! before any password is checked (so parallel guesses count as they arrive, not as they
//! finish), unknown names get exactly the treatment of known ones (so names cannot be told
//! apart), and only a few password hashes run at once with a short queue (so a flood of
//! sign-ins cannot take the memory and the cores). The delay schedule is
//! [`throttle_wait`](crate::people::throttle_wait).

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use campo_domain::Timestamp;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::people::{MAX_LOCKOUT_SECS, throttle_wait};

/// Names tracked at once; past it, names whose delay is over are forgotten first.
const MAX_NAMES: usize = 10_000;
/// Characters of a name that count: longer names share an entry (no username is this long).
const NAME_KEY_CHARS: usize = 128;

#[derive(Debug, Default, Clone, Copy)]
struct Attempts {
    /// Failures seen by this host, plus those in the shared store when this host read it.
    failures: i64,
    /// Checks reserved and not yet finished: each counts as a failure until it succeeds.
    pending: i64,
    last: Option<Timestamp>,
}

pub struct SignInGuard {
    names: Mutex<HashMap<String, Attempts>>,
    hashes: Semaphore,
    /// The threads that hash passwords: always the same few, so the 19 MiB an argon2 check
    /// allocates is reused by the allocator instead of cached by every thread of tokio's
    /// blocking pool that ever ran one (a flood of sign-ins grew the server by 130 MiB so).
    hashers: Mutex<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

/// Why a sign-in may not be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many recent failures for this name: wait this many seconds (429).
    Throttled { retry_after_secs: i64 },
    /// Too many password checks running or waiting on this server (503).
    Busy,
}

impl Default for SignInGuard {
    /// As many password hashes at once as the machine has cores, four times as many waiting.
    fn default() -> SignInGuard {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        SignInGuard::new(cores, 4 * cores)
    }
}

impl SignInGuard {
    pub fn new(hashes_at_once: usize, max_waiting: usize) -> SignInGuard {
        let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let receiver = std::sync::Arc::new(Mutex::new(receiver));
        for i in 0..hashes_at_once.max(1) {
            let receiver = receiver.clone();
            let _ = std::thread::Builder::new().name(format!("campo-password-{i}")).spawn(move || {
                loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        }
        SignInGuard {
            names: Mutex::default(),
            hashes: Semaphore::new(hashes_at_once.max(1)),
            hashers: Mutex::new(sender),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait: Duration::from_secs(3),
        }
    }

    /// Reserves one check of `name`, given the failures the shared store knows of (another
    /// host's, or from before a restart). Every reservation counts as a failure until
    /// [`Reservation::succeeded`] says otherwise.
    pub fn reserve(&self, name: &str, stored_failures: i64, stored_last: Option<Timestamp>, now: time::OffsetDateTime) -> Result<Reservation<'_>, Refusal> {
        let key: String = name.trim().to_lowercase().chars().take(NAME_KEY_CHARS).collect();
        let mut names = self.names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if names.len() >= MAX_NAMES && !names.contains_key(&key) {
            forget_old(&mut names, now);
        }
        let entry = names.entry(key.clone()).or_default();
        let failures = entry.failures.max(stored_failures) + entry.pending;
        let last = match (entry.last, stored_last) {
            (Some(a), Some(b)) => Some(if a.instant() >= b.instant() { a } else { b }),
            (a, b) => a.or(b),
        };
        let wait = throttle_wait(failures, last, now);
        if wait > 0 {
            return Err(Refusal::Throttled { retry_after_secs: wait });
        }
        entry.failures = entry.failures.max(stored_failures);
        entry.pending += 1;
        entry.last = Some(Timestamp::at(now));
        Ok(Reservation { guard: self, key, settled: false })
    }

    /// A turn to hash a password, or [`Refusal::Busy`] when too many wait already.
    pub async fn hash_turn(&self) -> Result<SemaphorePermit<'_>, Refusal> {
        if let Ok(permit) = self.hashes.try_acquire() {
            return Ok(permit);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::AcqRel) + 1;
        let result = if waiting > self.max_waiting {
            Err(Refusal::Busy)
        } else {
            match tokio::time::timeout(self.max_wait, self.hashes.acquire()).await {
                Ok(Ok(permit)) => Ok(permit),
                _ => Err(Refusal::Busy),
            }
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        result
    }

    /// Runs `work` (a password hash) on one of the hashing threads.
    pub async fn hash<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Box<dyn FnOnce() + Send> = Box::new(move || {
            let _ = done.send(work());
        });
        self.hashers.lock().ok()?.send(job).ok()?;
        result.await.ok()
    }

    fn settle(&self, key: &str, succeeded: bool) {
        let mut names = self.names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if succeeded {
            names.remove(key);
        } else if let Some(entry) = names.get_mut(key) {
            entry.pending = (entry.pending - 1).max(0);
            entry.failures += 1;
        }
    }

    /// Names tracked now (tests: memory stays bounded).
    pub fn tracked(&self) -> usize {
        self.names.lock().map(|n| n.len()).unwrap_or(0)
    }
}

/// Forgets names with nothing in flight whose delay is over; if that is not enough, the
/// least recently tried half of those with nothing in flight.
fn forget_old(names: &mut HashMap<String, Attempts>, now: time::OffsetDateTime) {
    let horizon = now - time::Duration::seconds(MAX_LOCKOUT_SECS);
    names.retain(|_, a| a.pending > 0 || a.last.is_some_and(|t| t.instant() > horizon && throttle_wait(a.failures, a.last, now) > 0));
    if names.len() >= MAX_NAMES {
        let mut idle: Vec<(String, time::OffsetDateTime)> =
            names.iter().filter(|(_, a)| a.pending == 0).map(|(k, a)| (k.clone(), a.last.map_or(horizon, |t| t.instant()))).collect();
        idle.sort_by_key(|(_, at)| *at);
        for (key, _) in idle.iter().take(idle.len().div_ceil(2)) {
            names.remove(key);
        }
    }
}

/// One reserved check. Dropped without [`succeeded`](Reservation::succeeded) (a wrong
/// password, or a client that hung up mid-check), it counts as a failure.
pub struct Reservation<'a> {
    guard: &'a SignInGuard,
    key: String,
    settled: bool,
}

impl Reservation<'_> {
    pub fn succeeded(mut self) {
        self.settled = true;
        self.guard.settle(&self.key, true);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.guard.settle(&self.key, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::FREE_FAILURES;

    #[test]
    fn parallel_guesses_count_as_they_arrive() {
        let guard = SignInGuard::new(2, 8);
        let now = time::OffsetDateTime::now_utc();
        let held: Vec<_> = (0..FREE_FAILURES).map(|_| guard.reserve("ana", 0, None, now).expect("free tries")).collect();
        // Three checks in flight and none finished: the fourth already waits.
        assert!(matches!(guard.reserve("Ana ", 0, None, now), Err(Refusal::Throttled { retry_after_secs: 1 })));
        drop(held);
        assert!(matches!(guard.reserve("ana", 0, None, now), Err(Refusal::Throttled { .. })));
        let later = now + time::Duration::seconds(2);
        guard.reserve("ana", 0, None, later).expect("after the wait").succeeded();
        assert!(guard.reserve("ana", 0, None, later).is_ok(), "a success clears the count");
    }

    #[test]
    fn the_shared_count_of_another_host_is_respected() {
        let guard = SignInGuard::new(2, 8);
        let now = time::OffsetDateTime::now_utc();
        assert!(matches!(guard.reserve("luis", FREE_FAILURES, Some(Timestamp::at(now)), now), Err(Refusal::Throttled { .. })));
    }

    #[test]
    fn a_flood_of_names_stays_bounded() {
        let guard = SignInGuard::new(2, 8);
        let now = time::OffsetDateTime::now_utc();
        for i in 0..(MAX_NAMES + 5_000) {
            drop(guard.reserve(&format!("nadie-{i}"), 0, None, now));
        }
        assert!(guard.tracked() <= MAX_NAMES, "{}", guard.tracked());
    }

    #[tokio::test]
    async fn hashes_beyond_the_queue_are_busy_at_once() {
        let guard = SignInGuard::new(1, 1);
        let _running = guard.hash_turn().await.unwrap();
        let waiting = guard.hash_turn();
        tokio::pin!(waiting);
        assert!(futures_poll_pending(waiting.as_mut()).await);
        assert_eq!(guard.hash_turn().await.unwrap_err(), Refusal::Busy);
    }

    /// Polls a future once: whether it is still pending.
    async fn futures_poll_pending<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> bool {
        let mut future = Some(future);
        std::future::poll_fn(|cx| std::task::Poll::Ready(future.take().unwrap().poll(cx).is_pending())).await
    }
}
