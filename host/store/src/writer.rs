//! Group commit: submissions go through a channel to one task per host that commits them in
//! batches. A batch is whatever queued while the previous commit ran (at most [`MAX_BATCH`]
//! rows), so an idle server adds no waiting and a busy one commits many rows per transaction.
//! Each request is answered only after its batch's COMMIT returned.
//!
//! - **SQLite** lets one connection write at a time, and with sqlx every statement is a round
//!   trip to that connection's thread; committing each submission in its own transaction makes
//!   the commit, not the pipeline, the limit. A 201 means the row is in the WAL (see
//!   `Store::connect` for the `synchronous` setting and why).
//! - **PostgreSQL** commits a batch as one statement (`UNNEST` of one array per column): one
//!   round trip, one transaction and one WAL flush for the whole batch instead of one of each
//!   per submission, with the rows' `audit_pending` marks in the same statement. Rows go in
//!   sorted by id, so two hosts inserting overlapping ids (a client retrying on both) take the
//!   unique index's locks in the same order and cannot deadlock.

use std::collections::HashSet;

use sqlx::{Connection, PgPool, SqlitePool};
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

/// Where a writer commits.
pub(super) enum Target {
    /// The one write connection.
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

struct Job {
    submission: NewSubmission,
    /// `true` when the row was inserted, `false` when a row with its id already existed.
    done: oneshot::Sender<Result<bool, StoreError>>,
}

impl Writer {
    /// Starts the writer task. The task ends when the last handle is dropped.
    pub(super) fn start(target: Target) -> Writer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(target, queue));
        Writer { jobs }
    }

    /// Inserts a submission unless its id is stored; resolves after the commit.
    pub(super) async fn insert(&self, submission: NewSubmission) -> Result<bool, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { submission, done })
            .await
            .map_err(|_| StoreError::StoreTaskGone)?;
        answer.await.map_err(|_| StoreError::StoreTaskGone)?
    }
}

async fn run(target: Target, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match target.insert_all(&batch).await {
            Ok(inserted) => {
                for (job, inserted) in batch.drain(..).zip(inserted) {
                    let _ = job.done.send(Ok(inserted));
                }
            }
            // One bad row must not fail its neighbours: nothing of the batch was committed, so
            // each row gets its own transaction and its own answer. Not when the database is
            // out of reach: that is every row's answer, and retrying row by row would hold the
            // queue for one connection timeout per row.
            Err(error) if batch.len() > 1 && !super::database_unavailable(&error) => {
                for job in batch.drain(..) {
                    let result = target.insert_all(std::slice::from_ref(&job)).await;
                    let _ = job.done.send(result.map(|v| v[0]).map_err(StoreError::from));
                }
            }
            Err(error) => {
                let mut error = super::error_for_each(error);
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(error().into()));
                }
            }
        }
    }
}

impl Target {
    /// Inserts every row of `jobs` in one transaction; for each, whether it was new.
    async fn insert_all(&self, jobs: &[Job]) -> Result<Vec<bool>, sqlx::Error> {
        match self {
            Target::Sqlite(pool) => insert_all_sqlite(pool, jobs).await,
            Target::Postgres(pool) => insert_all_postgres(pool, jobs).await,
        }
    }
}

async fn insert_all_sqlite(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<bool>, sqlx::Error> {
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

/// The whole batch in one statement (so one atomic commit): the rows, and for each row that
/// was new, its mark for the audit sealer (`Store::seal_audit`). Answers the ids it inserted.
const INSERT_BATCH_POSTGRES: &str = "WITH batch AS (
       SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[],
                            $16::text[], $17::text[], $18::text[])
         WITH ORDINALITY AS b(id, study_id, form_id, version, request_hash, answers, scores, warnings, enumerator, token_id,
                              received_at, logic_plugin, scoring_plugin, person_id, case_key, team_id, started_at, completed_at, n)),
     stored AS (
       INSERT INTO submissions (id, study_id, form_id, version, request_hash, answers, scores, warnings, enumerator, token_id,
                                received_at, logic_plugin, scoring_plugin, person_id, case_key, team_id, started_at, completed_at)
       SELECT id, study_id, form_id, version, request_hash, answers, scores, warnings, enumerator, token_id,
              received_at, logic_plugin, scoring_plugin, person_id, case_key, team_id, started_at, completed_at
       FROM batch ORDER BY n
       ON CONFLICT (id) DO NOTHING RETURNING id, seq),
     pending AS (INSERT INTO audit_pending (submission_seq) SELECT seq FROM stored)
     SELECT id FROM stored";

async fn insert_all_postgres(pool: &PgPool, jobs: &[Job]) -> Result<Vec<bool>, sqlx::Error> {
    // Sorted by id (see the module's note on deadlocks), each id once: a second job with the
    // same id in one batch (a client retrying before its first answer) finds the first stored.
    let mut rows: Vec<&NewSubmission> = jobs.iter().map(|j| &j.submission).collect();
    rows.sort_by_key(|s| s.id);
    rows.dedup_by_key(|s| s.id);
    let ids: Vec<String> = rows.iter().map(|s| s.id.to_string()).collect();
    let text = |f: fn(&NewSubmission) -> &str| rows.iter().map(|s| f(s)).collect::<Vec<&str>>();
    let optional = |f: fn(&NewSubmission) -> Option<&str>| rows.iter().map(|s| f(s)).collect::<Vec<Option<&str>>>();
    let number = |f: fn(&NewSubmission) -> Option<i64>| rows.iter().map(|s| f(s)).collect::<Vec<Option<i64>>>();
    let stored: Vec<String> = sqlx::query_scalar(INSERT_BATCH_POSTGRES)
        .bind(&ids)
        .bind(text(|s| s.study.as_str()))
        .bind(text(|s| s.form.as_str()))
        .bind(text(|s| &s.version))
        .bind(text(|s| &s.request_hash))
        .bind(text(|s| &s.answers_json))
        .bind(text(|s| &s.scores_json))
        .bind(text(|s| &s.warnings_json))
        .bind(text(|s| &s.enumerator))
        .bind(number(|s| s.token_id))
        .bind(text(|s| &s.received_at))
        .bind(optional(|s| s.logic_plugin.as_ref().map(PluginHash::as_str)))
        .bind(optional(|s| s.scoring_plugin.as_ref().map(PluginHash::as_str)))
        .bind(number(|s| s.person_id))
        .bind(optional(|s| s.case_key.as_deref()))
        .bind(optional(|s| s.team_id.as_deref()))
        .bind(optional(|s| s.started_at.as_deref()))
        .bind(optional(|s| s.completed_at.as_deref()))
        .fetch_all(pool)
        .await?;
    // Each stored id answers `true` once, to the first job that sent it.
    let mut unclaimed: HashSet<String> = stored.into_iter().collect();
    Ok(jobs.iter().map(|j| unclaimed.remove(&j.submission.id.to_string())).collect())
}
