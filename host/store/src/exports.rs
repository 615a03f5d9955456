//! Queries for exports and codebooks: responses streamed in stored order, never held whole.

use futures::{StreamExt, stream::BoxStream};

use super::{Pool, Store, StoreError, rows::CampoRow};
use campo_domain::{FormId, ReviewState, StudyId};

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
    pub review: Option<ReviewState>,
}

/// One response as an export reads it: stored JSON kept as text, parsed by the exporter, and
/// `received_at` as stored text, which the export writes as it is (an export reads every row of
/// a form, so nothing is parsed that is not needed).
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
    pub review: ReviewState,
    pub revision: i64,
}

fn export_row(r: &impl CampoRow) -> Result<ExportRow, StoreError> {
    Ok(ExportRow {
        id: r.get("id")?,
        version: r.get("version")?,
        answers: r.get("answers")?,
        scores: r.get("scores")?,
        enumerator: r.get("enumerator")?,
        received_at: r.get("received_at")?,
        logic_plugin: r.get("logic_plugin")?,
        scoring_plugin: r.get("scoring_plugin")?,
        score_plugins: r.get("score_plugins")?,
        case_key: r.get("case_key")?,
        team: r.get("team_id")?,
        review: r.get("review_state")?,
        revision: r.get("revision")?,
    })
}

const FILTERS: &str = "study_id = $1 AND form_id = $2 AND ($3 IS NULL OR version = $3) AND ($4 IS NULL OR received_at >= $4)
     AND ($5 IS NULL OR received_at < $5) AND ($6 IS NULL OR enumerator = $6) AND ($7 IS NULL OR team_id = $7)
     AND ($8 IS NULL OR review_state = $8)";

/// Binds `$1`…`$8` of [`FILTERS`] in their order (one place for the order the SQL relies on).
macro_rules! bind_filter {
    ($query:expr, $filter:expr) => {
        $query
            .bind($filter.study.as_str())
            .bind($filter.form.as_str())
            .bind($filter.version.as_deref())
            .bind($filter.received_from.as_deref())
            .bind($filter.received_before.as_deref())
            .bind($filter.enumerator.as_deref())
            .bind($filter.team.as_deref())
            .bind($filter.review.map(ReviewState::as_str))
    };
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
                bind_filter!(sqlx::query(sql), filter)
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

    /// One page of the incremental feed: up to `limit` responses the export would include whose
    /// `seq` is greater than `after`, in stored order, each with its `seq` (the next cursor).
    pub async fn feed_rows(&self, filter: &ExportFilter, after: i64, limit: i64) -> Result<Vec<(i64, ExportRow)>, StoreError> {
        const SQL: &str = "SELECT seq, id, version, answers, scores, enumerator, received_at, logic_plugin, scoring_plugin, score_plugins,
             case_key, team_id, review_state, revision FROM submissions WHERE ";
        let sql = format!("{SQL}{FILTERS} AND seq > $9 ORDER BY seq LIMIT $10");
        macro_rules! run {
            ($pool:expr) => {{
                let rows = bind_filter!(sqlx::query(sqlx::AssertSqlSafe(sql)), filter)
                    .bind(after)
                    .bind(limit)
                    .fetch_all($pool)
                    .await?;
                rows.iter().map(|r| Ok((r.get::<i64>("seq")?, export_row(r)?))).collect()
            }};
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
            Ok(bind_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), filter)
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
}
