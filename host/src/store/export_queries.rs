//! Queries for exports, codebooks and re-scoring.

use futures::{StreamExt, stream::BoxStream};

use super::{Pool, Store, StoreError, records::CampoRow};
use crate::domain::{FormId, PluginHash, StudyId, now_rfc3339};

/// Which responses an export includes.
#[derive(Debug, Clone)]
pub struct ExportFilter {
    pub study: StudyId,
    pub form: FormId,
    pub version: Option<String>,
    /// Received at or after (RFC 3339 text, compared as text: every `received_at` is UTC `…Z`).
    pub received_from: Option<String>,
    /// Received before.
    pub received_before: Option<String>,
    /// The enumerator's label as stored with each response.
    pub enumerator: Option<String>,
    /// Only this team's responses (a caller limited to a team gets nothing else).
    pub team: Option<String>,
    /// Only responses in this review state.
    pub review: Option<String>,
}

/// One response as an export reads it: stored JSON kept as text, parsed by the exporter.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: String,
    pub version: String,
    pub answers: String,
    pub scores: String,
    pub enumerator: String,
    pub received_at: String,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
    /// `{"score": "plugin hash"}` once re-scored; `None`: every score from `scoring_plugin`.
    pub score_plugins: Option<String>,
    pub case_key: Option<String>,
    pub team: Option<String>,
    pub review: String,
    pub revision: i64,
}

fn export_row(r: &impl CampoRow) -> Result<ExportRow, StoreError> {
    Ok(ExportRow {
        id: r.text("id")?,
        version: r.text("version")?,
        answers: r.text("answers")?,
        scores: r.text("scores")?,
        enumerator: r.text("enumerator")?,
        received_at: r.text("received_at")?,
        logic_plugin: r.opt_text("logic_plugin")?,
        scoring_plugin: r.opt_text("scoring_plugin")?,
        score_plugins: r.opt_text("score_plugins")?,
        case_key: r.opt_text("case_key")?,
        team: r.opt_text("team_id")?,
        review: r.text("review_state")?,
        revision: r.int("revision")?,
    })
}

const FILTERS: &str = "study_id = $1 AND form_id = $2 AND ($3 IS NULL OR version = $3) AND ($4 IS NULL OR received_at >= $4)
     AND ($5 IS NULL OR received_at < $5) AND ($6 IS NULL OR enumerator = $6) AND ($7 IS NULL OR team_id = $7)
     AND ($8 IS NULL OR review_state = $8)";

/// A re-scoring job, as stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RescoreJob {
    pub id: i64,
    pub study: String,
    pub form: String,
    /// Only this version's responses; all versions when absent.
    pub version: Option<String>,
    pub plugin: String,
    /// `running` (or interrupted: start it again to resume), `done`, `failed`.
    pub state: String,
    /// The `seq` of the last response done.
    #[serde(skip)]
    pub cursor: i64,
    #[serde(skip)]
    pub last_seq: i64,
    pub total: i64,
    pub done: i64,
    /// Responses the plugin could not score (their scores are kept).
    pub failed: i64,
    pub last_error: Option<String>,
    pub started_by: String,
    pub started_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

fn rescore_job(r: &impl CampoRow) -> Result<RescoreJob, StoreError> {
    Ok(RescoreJob {
        id: r.int("id")?,
        study: r.text("study_id")?,
        form: r.text("form_id")?,
        version: r.opt_text("version")?,
        plugin: r.text("plugin")?,
        state: r.text("state")?,
        cursor: r.int("cursor")?,
        last_seq: r.int("last_seq")?,
        total: r.int("total")?,
        done: r.int("done")?,
        failed: r.int("failed")?,
        last_error: r.opt_text("last_error")?,
        started_by: r.text("started_by")?,
        started_at: r.text("started_at")?,
        updated_at: r.text("updated_at")?,
        finished_at: r.opt_text("finished_at")?,
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
    /// The responses an export includes, in the order they were received, streamed (never held
    /// whole in memory).
    pub fn stream_export_rows<'a>(&'a self, filter: &'a ExportFilter) -> BoxStream<'a, Result<ExportRow, StoreError>> {
        const SQL: &str = "SELECT id, version, answers, scores, enumerator, received_at, logic_plugin, scoring_plugin, score_plugins,
             case_key, team_id, review_state, revision FROM submissions WHERE ";
        let sql = sqlx::AssertSqlSafe(format!("{SQL}{FILTERS} ORDER BY seq"));
        macro_rules! run {
            ($pool:expr) => {
                sqlx::query(sql)
                    .bind(filter.study.as_str())
                    .bind(filter.form.as_str())
                    .bind(filter.version.as_deref())
                    .bind(filter.received_from.as_deref())
                    .bind(filter.received_before.as_deref())
                    .bind(filter.enumerator.as_deref())
                    .bind(filter.team.as_deref())
                    .bind(filter.review.as_deref())
                    .fetch($pool)
                    .map(|r| export_row(&r?))
                    .boxed()
            };
        }
        match &self.pool {
            Pool::Sqlite { read, .. } => run!(read),
            Pool::Postgres(pg) => run!(pg),
        }
    }

    /// How many responses an export includes (for progress bars).
    pub async fn count_export_rows(&self, filter: &ExportFilter) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM submissions WHERE {FILTERS}");
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(filter.study.as_str())
                .bind(filter.form.as_str())
                .bind(filter.version.as_deref())
                .bind(filter.received_from.as_deref())
                .bind(filter.received_before.as_deref())
                .bind(filter.enumerator.as_deref())
                .bind(filter.team.as_deref())
                .bind(filter.review.as_deref())
                .fetch_one(pool)
                .await?)
        })
    }

    /// The installed manifest of a study (to name the plugins in codebooks).
    pub async fn study_manifest(&self, study: &StudyId) -> Result<Option<String>, StoreError> {
        with_pool!(self, read, |pool| {
            Ok(sqlx::query_scalar("SELECT manifest FROM studies WHERE id = $1").bind(study.as_str()).fetch_optional(pool).await?)
        })
    }

    // ---- re-scoring ---------------------------------------------------------------------

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
                (row.opt_int("last_seq")?, row.int("total")?)
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
            .bind(&job.study)
            .bind(&job.form)
            .bind(job.version.as_deref())
            .bind(cursor)
            .bind(job.last_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(RescoreInput {
                        seq: r.int("seq")?,
                        id: r.text("id")?,
                        version: r.text("version")?,
                        answers: r.text("answers")?,
                        scores: r.text("scores")?,
                        scoring_plugin: r.opt_text("scoring_plugin")?,
                        score_plugins: r.opt_text("score_plugins")?,
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
    pub async fn finish_rescore_job(&self, job_id: i64, state: &str, error: Option<&str>) -> Result<(), StoreError> {
        with_pool!(self, write, |pool| {
            let now = now_rfc3339();
            sqlx::query(
                "UPDATE rescore_jobs SET state = $1, last_error = COALESCE($2, last_error), updated_at = $3, finished_at = $3 WHERE id = $4",
            )
            .bind(state)
            .bind(error)
            .bind(&now)
            .bind(job_id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
