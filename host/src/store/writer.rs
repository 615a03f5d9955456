//! SQLite's single writer with group commit.
//!
//! SQLite lets one connection write at a time, and with sqlx every statement is a round trip
//! to that connection's thread; committing each submission in its own transaction makes the
//! commit, not the pipeline, the limit. So submissions go through a channel to one task that
//! commits them in batches: a batch is whatever queued while the previous commit ran (at most
//! [`MAX_BATCH`] rows), so an idle server adds no waiting and a busy one commits many rows per
//! transaction. Each request is answered only after its batch's COMMIT returned: a 201 means
//! the row is in the WAL (see `Store::connect` for the `synchronous` setting and why).

use sqlx::{Connection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{NewSubmission, PluginHash, StoreError, audit::AppendAudit};

/// The most rows one transaction commits; bounds a batch's latency and the queue it drains.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer; beyond this, senders wait (back-pressure).
const QUEUE: usize = 4 * MAX_BATCH;

/// The handle requests use to reach the writer task; cheap to clone.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

struct Job {
    submission: NewSubmission,
    /// `true` when the row was inserted, `false` when a row with its id already existed.
    done: oneshot::Sender<Result<bool, StoreError>>,
}

impl Writer {
    /// Starts the writer task on `pool` (the one write connection). The task ends when the
    /// last handle is dropped.
    pub(super) fn start(pool: SqlitePool) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, queue));
        Writer { jobs }
    }

    /// Inserts a submission unless its id is stored; resolves after the commit.
    pub(super) async fn insert(&self, submission: NewSubmission) -> Result<bool, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { submission, done })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match insert_all(&pool, &batch).await {
            Ok(inserted) => {
                for (job, inserted) in batch.drain(..).zip(inserted) {
                    let _ = job.done.send(Ok(inserted));
                }
            }
            // One bad row must not fail its neighbours: nothing of the batch was committed, so
            // each row gets its own transaction and its own answer.
            Err(_) if batch.len() > 1 => {
                for job in batch.drain(..) {
                    let result = insert_all(&pool, std::slice::from_ref(&job)).await;
                    let _ = job.done.send(result.map(|v| v[0]).map_err(StoreError::from));
                }
            }
            Err(error) => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(error.into()));
                }
            }
        }
    }
}

/// Inserts every row of `jobs` in one transaction; for each, whether it was new.
async fn insert_all(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<bool>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    // IMMEDIATE takes the write lock up front, so another process on the same file (a second
    // host) makes this wait in the busy handler instead of failing the batch mid-way.
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut inserted = Vec::with_capacity(jobs.len());
    let mut events = Vec::with_capacity(jobs.len());
    for job in jobs {
        let done = bind_submission!(sqlx::query(super::INSERT_SUBMISSION), &job.submission).execute(&mut *tx).await?;
        inserted.push(done.rows_affected() == 1);
        if done.rows_affected() == 1 {
            events.push(super::submission_event(&job.submission));
        }
    }
    // The batch's audit entries commit with its rows: one read of the chain's head per batch.
    tx.append_audit(&events).await?;
    tx.commit().await?;
    Ok(inserted)
}
