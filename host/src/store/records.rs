//! What the store reads and writes, as types; and one way to read a row from either driver.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Row, postgres::PgRow, sqlite::SqliteRow};
use utoipa::ToSchema;

use super::StoreError;
use crate::domain::{FormId, PluginHash, Role, StudyId, TeamId, Text, VersionName};

/// Reads columns the same way from a SQLite or a PostgreSQL row.
pub(crate) trait CampoRow {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
}

macro_rules! campo_row {
    ($row:ty) => {
        impl CampoRow for $row {
            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
                Ok(self.try_get(column)?)
            }
        }
    };
}
campo_row!(SqliteRow);
campo_row!(PgRow);

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn json(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

fn plugin(text: Option<String>) -> Result<Option<PluginHash>, StoreError> {
    text.map(|h| PluginHash::parse(&h).map_err(corrupt)).transpose()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudySummary {
    pub id: StudyId,
    pub title: Text,
}

pub(crate) fn study_summary(r: &impl CampoRow) -> Result<StudySummary, StoreError> {
    Ok(StudySummary {
        id: StudyId::parse(&r.text("id")?).map_err(corrupt)?,
        title: Text::new(r.text("title_es")?, r.text("title_en")?),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudyDetail {
    #[serde(flatten)]
    pub study: StudySummary,
    #[schema(value_type = Object)]
    pub description: Option<Value>,
    pub forms: Vec<FormSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormSummary {
    pub id: FormId,
    pub title: Text,
    pub latest_version: Option<String>,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: String,
    pub seq: i64,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
    pub published_at: String,
    #[schema(value_type = Vec<Object>)]
    pub scores: Value,
}

/// A score a form version declares in its manifest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ScoreDeclaration {
    pub name: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub categories: Vec<Value>,
}

/// A published form version, everything needed to validate, evaluate and export.
#[derive(Debug, Clone)]
pub struct FormVersionRecord {
    pub study: StudyId,
    pub form: FormId,
    pub version: String,
    pub seq: i64,
    pub content_hash: String,
    pub schema: Value,
    pub logic_plugin: Option<PluginHash>,
    pub scoring_plugin: Option<PluginHash>,
    pub settings: Value,
    pub scores: Vec<ScoreDeclaration>,
    pub limits: crate::runtime::LimitsOverride,
}

pub(crate) fn form_version_record(r: &impl CampoRow) -> Result<FormVersionRecord, StoreError> {
    Ok(FormVersionRecord {
        study: StudyId::parse(&r.text("study_id")?).map_err(corrupt)?,
        form: FormId::parse(&r.text("form_id")?).map_err(corrupt)?,
        version: r.text("version")?,
        seq: r.int("seq")?,
        content_hash: r.text("content_hash")?,
        schema: json(&r.text("schema_json")?)?,
        logic_plugin: plugin(r.opt_text("logic_plugin")?)?,
        scoring_plugin: plugin(r.opt_text("scoring_plugin")?)?,
        settings: json(&r.text("settings_json")?)?,
        scores: serde_json::from_str(&r.text("scores_json")?).map_err(corrupt)?,
        limits: serde_json::from_str(&r.text("limits_json")?).map_err(corrupt)?,
    })
}

/// What installing a bundle writes: checked and hashed by `crate::bundle`.
#[derive(Debug, Clone)]
pub struct PublishPlan {
    pub study: StudyId,
    pub title: Text,
    pub manifest_json: String,
    pub plugins: Vec<PluginUpload>,
    pub forms: Vec<FormPublication>,
}

#[derive(Debug, Clone)]
pub struct PluginUpload {
    pub hash: PluginHash,
    pub wasm: Vec<u8>,
    pub capabilities: String,
}

#[derive(Debug, Clone)]
pub struct FormPublication {
    pub form: FormId,
    pub title: Text,
    pub version: VersionName,
    pub content_hash: String,
    pub schema_json: String,
    pub schema_hash: String,
    pub logic_plugin: Option<PluginHash>,
    pub scoring_plugin: Option<PluginHash>,
    pub settings_json: String,
    pub scores_json: String,
    pub limits_json: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PublishStatus {
    /// A new version was published.
    Published,
    /// The same version with the same content was already published: nothing changed.
    Unchanged,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishOutcome {
    pub form: FormId,
    #[schema(value_type = String)]
    pub version: VersionName,
    pub status: PublishStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginSummary {
    pub hash: String,
    pub size: i64,
    pub capabilities: Vec<String>,
    pub uploaded_at: String,
    /// Form versions that pin this plugin; a pinned plugin is never deleted.
    pub pinned_by_versions: i64,
}

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    /// `None` for a sign-in session: it carries its person's memberships instead.
    pub role: Option<Role>,
    pub study: Option<StudyId>,
    pub team: Option<TeamId>,
    pub label: String,
    pub person: Option<PersonRef>,
}

/// The person behind a token, as a request sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRef {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
}

/// A submission to store.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: uuid::Uuid,
    pub study: StudyId,
    pub form: FormId,
    pub version: String,
    pub request_hash: String,
    pub answers_json: String,
    pub scores_json: String,
    pub warnings_json: String,
    pub enumerator: String,
    pub token_id: Option<i64>,
    pub received_at: String,
    pub logic_plugin: Option<PluginHash>,
    pub scoring_plugin: Option<PluginHash>,
    pub person_id: Option<i64>,
    /// The case the response is for, when it names one.
    pub case_key: Option<String>,
    /// The case's team, else the submitter's.
    pub team_id: Option<String>,
    /// When the enumerator opened and finished the form (as their device reports it).
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// A submission already stored, as far as idempotent retries need it.
#[derive(Debug, Clone)]
pub struct StoredSubmission {
    pub id: String,
    pub study: String,
    pub form: String,
    pub version: String,
    pub request_hash: String,
    pub scores: Value,
    pub warnings: Value,
}

pub(crate) fn stored_submission(r: &impl CampoRow) -> Result<StoredSubmission, StoreError> {
    Ok(StoredSubmission {
        id: r.text("id")?,
        study: r.text("study_id")?,
        form: r.text("form_id")?,
        version: r.text("version")?,
        request_hash: r.text("request_hash")?,
        scores: json(&r.text("scores")?)?,
        warnings: json(&r.text("warnings")?)?,
    })
}

pub enum InsertOutcome {
    Inserted,
    Exists(StoredSubmission),
}

/// One row of an export: stored JSON kept as text, parsed by the exporter.
#[derive(Debug, Clone)]
pub struct SubmissionRow {
    pub id: String,
    pub version: String,
    pub answers: String,
    pub scores: String,
    pub enumerator: String,
    pub received_at: String,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
}

pub(crate) fn submission_row(r: &impl CampoRow) -> Result<SubmissionRow, StoreError> {
    Ok(SubmissionRow {
        id: r.text("id")?,
        version: r.text("version")?,
        answers: r.text("answers")?,
        scores: r.text("scores")?,
        enumerator: r.text("enumerator")?,
        received_at: r.text("received_at")?,
        logic_plugin: r.opt_text("logic_plugin")?,
        scoring_plugin: r.opt_text("scoring_plugin")?,
    })
}
