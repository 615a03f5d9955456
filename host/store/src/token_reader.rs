//! PostgreSQL: concurrent token look-ups share one query.
//!
//! Every request reads its token from the database (no cache: a revocation or deactivation made
//! on any host or from the CLI applies to the next request). Under load that was one query per
//! request, and PostgreSQL's share of the work was mostly these reads. Here look-ups go through a
//! channel to one task that reads whatever queued while its previous query ran, with
//! `hash = ANY($2)`: one round trip for the batch. Each look-up is still read after its request
//! arrived, so nothing is ever answered from before a change that committed earlier.

use std::collections::HashMap;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use super::{LIVE_TOKENS_AMONG, StoreError, TokenRecord, rows::CampoRow, token_record};
use campo_domain::now_rfc3339;

/// The most look-ups one query answers.
const MAX_BATCH: usize = 256;

type Answer = oneshot::Sender<Result<Option<TokenRecord>, StoreError>>;

/// The handle requests use to reach the reader task; cheap to clone.
#[derive(Clone)]
pub(super) struct TokenReader {
    jobs: mpsc::Sender<(String, Answer)>,
}

impl TokenReader {
    /// Starts the reader task. The task ends when the last handle is dropped.
    pub(super) fn start(pool: PgPool) -> TokenReader {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, queue));
        TokenReader { jobs }
    }

    /// The live token with this sha256 (hex), read after this call was made.
    pub(super) async fn lookup(&self, hash: String) -> Result<Option<TokenRecord>, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs.send((hash, done)).await.map_err(|_| StoreError::StoreTaskGone)?;
        answer.await.map_err(|_| StoreError::StoreTaskGone)?
    }
}

async fn run(pool: PgPool, mut queue: mpsc::Receiver<(String, Answer)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let hashes: Vec<&str> = batch.iter().map(|(hash, _)| hash.as_str()).collect();
        let rows = sqlx::query(LIVE_TOKENS_AMONG)
            .bind(now_rfc3339())
            .bind(&hashes)
            .fetch_all(&pool)
            .await;
        match rows {
            Ok(rows) => {
                let mut found: HashMap<String, Result<TokenRecord, String>> = HashMap::with_capacity(rows.len());
                for row in &rows {
                    if let Ok(hash) = row.get("hash") {
                        found.insert(hash, token_record(row).map_err(|e| e.to_string()));
                    }
                }
                for (hash, done) in batch.drain(..) {
                    let answer = match found.get(&hash) {
                        None => Ok(None),
                        Some(Ok(record)) => Ok(Some(record.clone())),
                        Some(Err(corrupt)) => Err(StoreError::Corrupt(corrupt.clone())),
                    };
                    let _ = done.send(answer);
                }
            }
            Err(error) => {
                let mut error = super::error_for_each(error);
                for (_, done) in batch.drain(..) {
                    let _ = done.send(Err(error().into()));
                }
            }
        }
    }
}
