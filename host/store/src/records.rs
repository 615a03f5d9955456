//! What the store reads and writes, as types.

use serde::Serialize;
use serde_json::Value;
use campo_domain::{FormId, LimitsOverride, PluginHash, Role, StudyId, TeamId, Text, Timestamp, VersionName};

use super::StoreError;
use crate::rows::{CampoRow, Json};

#[derive(Debug, Clone, Serialize)]
pub struct StudySummary {
    pub id: StudyId,
    pub title: Text,
}

pub(crate) fn study_summary(r: &impl CampoRow) -> Result<StudySummary, StoreError> {
    Ok(StudySummary {
        id: r.get("id")?,
        title: Text::new(r.get::<String>("title_es")?, r.get::<String>("title_en")?),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct StudyDetail {
    #[serde(flatten)]
    pub study: StudySummary,
    pub description: Option<Value>,
    pub forms: Vec<FormSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormSummary {
    pub id: FormId,
    pub title: Text,
    pub latest_version: Option<String>,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    pub version: String,
    pub seq: i64,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
    pub published_at: Timestamp,
    pub scores: Value,
}

/// A score a form version declares in its manifest.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ScoreDeclaration {
    pub name: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
    pub limits: LimitsOverride,
}

pub(crate) fn form_version_record(r: &impl CampoRow) -> Result<FormVersionRecord, StoreError> {
    Ok(FormVersionRecord {
        study: r.get("study_id")?,
        form: r.get("form_id")?,
        version: r.get("version")?,
        seq: r.get("seq")?,
        content_hash: r.get("content_hash")?,
        schema: r.get::<Json<_>>("schema_json")?.0,
        logic_plugin: r.get("logic_plugin")?,
        scoring_plugin: r.get("scoring_plugin")?,
        settings: r.get::<Json<_>>("settings_json")?.0,
        scores: r.get::<Json<_>>("scores_json")?.0,
        limits: r.get::<Json<_>>("limits_json")?.0,
    })
}

/// What installing a bundle writes: checked and hashed by `the pipeline's bundle reader`.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PublishStatus {
    /// A new version was published.
    Published,
    /// The same version with the same content was already published: nothing changed.
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishOutcome {
    pub form: FormId,
    pub version: VersionName,
    pub status: PublishStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginSummary {
    pub hash: String,
    pub size: i64,
    pub capabilities: Vec<String>,
    pub uploaded_at: Timestamp,
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
    pub study: StudyId,
    pub form: FormId,
    pub version: String,
    pub request_hash: String,
    pub scores: Value,
    pub warnings: Value,
}

pub(crate) fn stored_submission(r: &impl CampoRow) -> Result<StoredSubmission, StoreError> {
    Ok(StoredSubmission {
        id: r.get("id")?,
        study: r.get("study_id")?,
        form: r.get("form_id")?,
        version: r.get("version")?,
        request_hash: r.get("request_hash")?,
        scores: r.get::<Json<_>>("scores")?.0,
        warnings: r.get::<Json<_>>("warnings")?.0,
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
        id: r.get("id")?,
        version: r.get("version")?,
        answers: r.get("answers")?,
        scores: r.get("scores")?,
        enumerator: r.get("enumerator")?,
        received_at: r.get("received_at")?,
        logic_plugin: r.get("logic_plugin")?,
        scoring_plugin: r.get("scoring_plugin")?,
    })
}
