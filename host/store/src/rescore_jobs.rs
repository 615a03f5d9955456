//! Re-scoring jobs as stored: each batch commits its cursor with its scores, so an interrupted
//! job resumes where it stopped.

use campo_domain::{FormId, PluginHash, RescoreState, StudyId, Timestamp, now_rfc3339};

use super::{Pool, Store, StoreError, rows::CampoRow};

/// A re-scoring job, as stored.
#[derive(Debug, Clone)]
pub struct RescoreJob {
    pub id: i64,
    pub study: StudyId,
    pub form: FormId,
    /// Only this version's responses; all versions when absent.
    pub version: Option<String>,
    pub plugin: PluginHash,
    pub state: RescoreState,
    /// The `seq` of the last response done.
    pub cursor: i64,
    /// The `seq` of the last response the job covers (stored when it started).
    pub last_seq: i64,
    pub total: i64,
    pub done: i64,
    /// Responses the plugin could not score (their scores are kept).
    pub failed: i64,
    pub last_error: Option<String>,
    pub started_by: String,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

fn rescore_job(r: &impl CampoRow) -> Result<RescoreJob, StoreError> {
    Ok(RescoreJob {
        id: r.get("id")?,
        study: r.get("study_id")?,
        form: r.get("form_id")?,
        version: r.get("version")?,
        plugin: r.get("plugin")?,
        state: r.get("state")?,
        cursor: r.get("cursor")?,
        last_seq: r.get("last_seq")?,
        total: r.get("total")?,
        done: r.get("done")?,
        failed: r.get("failed")?,
        last_error: r.get("last_error")?,
        started_by: r.get("started_by")?,
        started_at: r.get("started_at")?,
        updated_at: r.get("updated_at")?,
        finished_at: r.get("finished_at")?,
    })
}

const JOB_COLUMNS: &str = "id, study_id, form_id, version, plugin, state, cursor, last_seq, total, done, failed, last_error,
     started_by, started_at, updated_at, finished_at";

/// A response to re-score.
#[derive(Debug, Clone)]
pub struct RescoreInput {
    pub seq: i64,
    pub id: String,
    pub version: String,
    pub answers: String,
    pub scores: String,
    pub scoring_plugin: Option<String>,
    pub score_plugins: Option<String>,
}

/// New scores for one response.
#[derive(Debug, Clone)]
pub struct RescoreUpdate {
    pub id: String,
    pub scores_json: String,
    pub score_plugins_json: String,
}

/// How far a batch got.
#[derive(Debug, Clone, Default)]
pub struct BatchProgress {
    pub cursor: i64,
    pub done: i64,
    pub failed: i64,
    pub last_error: Option<String>,
}

impl Store {
    /// The unfinished job re-scoring this form with this plugin (to resume it), or a new one
    /// bounded to the responses stored now.
    pub async fn open_rescore_job(
        &self,
        study: &StudyId,
        form: &FormId,
        version: Option<&str>,
        plugin: &PluginHash,
        started_by: &str,
    ) -> Result<(RescoreJob, bool), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM rescore_jobs WHERE study_id = $1 AND form_id = $2 AND plugin = $3
                 AND (version = $4 OR (version IS NULL AND $4 IS NULL)) AND state = 'running' ORDER BY id LIMIT 1"
            )))
            .bind(study.as_str())
            .bind(form.as_str())
            .bind(plugin.as_str())
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                tx.commit().await?;
                return Ok((rescore_job(&row)?, true));
            }
            let (last_seq, total): (Option<i64>, i64) = {
                let row = sqlx::query(
                    "SELECT MAX(seq) AS last_seq, COUNT(*) AS total FROM submissions
                     WHERE study_id = $1 AND form_id = $2 AND ($3 IS NULL OR version = $3)",
                )
                .bind(study.as_str())
                .bind(form.as_str())
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
                (row.get("last_seq")?, row.get("total")?)
            };
            let now = now_rfc3339();
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO rescore_jobs (study_id, form_id, version, plugin, state, cursor, last_seq, total, started_by, started_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'running', 0, $5, $6, $7, $8, $8) RETURNING {JOB_COLUMNS}"
            )))
            .bind(study.as_str())
            .bind(form.as_str())
            .bind(version)
            .bind(plugin.as_str())
            .bind(last_seq.unwrap_or(0))
            .bind(total)
            .bind(started_by)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((rescore_job(&row)?, false))
        })
    }

    pub async fn rescore_job(&self, id: i64) -> Result<Option<RescoreJob>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM rescore_jobs WHERE id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|r| rescore_job(&r))
                .transpose()
        })
    }

    /// Every re-scoring of a form, oldest first.
    pub async fn rescore_jobs(&self, study: &StudyId, form: &FormId) -> Result<Vec<RescoreJob>, StoreError> {
        with_pool!(self, read, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM rescore_jobs WHERE study_id = $1 AND form_id = $2 ORDER BY id"
            )))
            .bind(study.as_str())
            .bind(form.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(rescore_job)
            .collect()
        })
    }

    /// The next responses of a job after its cursor.
    pub async fn rescore_batch(&self, job: &RescoreJob, cursor: i64, limit: i64) -> Result<Vec<RescoreInput>, StoreError> {
        with_pool!(self, read, |pool| {
            let rows = sqlx::query(
                "SELECT seq, id, version, answers, scores, scoring_plugin, score_plugins FROM submissions
                 WHERE study_id = $1 AND form_id = $2 AND ($3 IS NULL OR version = $3) AND seq > $4 AND seq <= $5
                 ORDER BY seq LIMIT $6",
            )
            .bind(job.study.as_str())
            .bind(job.form.as_str())
            .bind(job.version.as_deref())
            .bind(cursor)
            .bind(job.last_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(RescoreInput {
                        seq: r.get("seq")?,
                        id: r.get("id")?,
                        version: r.get("version")?,
                        answers: r.get("answers")?,
                        scores: r.get("scores")?,
                        scoring_plugin: r.get("scoring_plugin")?,
                        score_plugins: r.get("score_plugins")?,
                    })
                })
                .collect()
        })
    }

    /// Stores a batch's new scores and moves the job's cursor, in one transaction: an
    /// interruption loses at most the batch in flight, which the resumed job does again.
    pub async fn apply_rescore_batch(&self, job_id: i64, updates: &[RescoreUpdate], progress: &BatchProgress) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let mut tx = pool.begin().await?;
            for u in updates {
                sqlx::query("UPDATE submissions SET scores = $1, score_plugins = $2 WHERE id = $3")
                    .bind(&u.scores_json)
                    .bind(&u.score_plugins_json)
                    .bind(&u.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE rescore_jobs SET cursor = $1, done = done + $2, failed = failed + $3,
                 last_error = COALESCE($4, last_error), updated_at = $5 WHERE id = $6",
            )
            .bind(progress.cursor)
            .bind(progress.done)
            .bind(progress.failed)
            .bind(progress.last_error.as_deref())
            .bind(now_rfc3339())
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Marks a job `done` or `failed`.
    pub async fn finish_rescore_job(&self, job_id: i64, state: RescoreState, error: Option<&str>) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let now = now_rfc3339();
            sqlx::query(
                "UPDATE rescore_jobs SET state = $1, last_error = COALESCE($2, last_error), updated_at = $3, finished_at = $3 WHERE id = $4",
            )
            .bind(state.as_str())
            .bind(error)
            .bind(&now)
            .bind(job_id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}