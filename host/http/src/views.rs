//! What the API answers and reads, as documented types (utoipa), built from the records of the
//! crates below. Only this crate knows the API's shapes: the store, the pipeline, management
//! and the dashboard hand over plain records, and each is turned into its view here, so the
//! OpenAPI document describes exactly the bytes sent.

use campo_domain::{CaseKey, FormId, PluginHash, ReviewState, Role, StudyId, TeamId, Text, Timestamp, Username};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

// ---- studies and forms ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudySummary {
    pub id: StudyId,
    pub title: Text,
}

impl From<campo_store::StudySummary> for StudySummary {
    fn from(s: campo_store::StudySummary) -> Self {
        StudySummary { id: s.id, title: s.title }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudyDetail {
    #[serde(flatten)]
    pub study: StudySummary,
    #[schema(value_type = Object)]
    pub description: Option<Value>,
    pub forms: Vec<FormSummary>,
}

impl From<campo_store::StudyDetail> for StudyDetail {
    fn from(d: campo_store::StudyDetail) -> Self {
        StudyDetail { study: d.study.into(), description: d.description, forms: d.forms.into_iter().map(Into::into).collect() }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormSummary {
    pub id: FormId,
    pub title: Text,
    pub latest_version: Option<String>,
    pub versions: Vec<VersionSummary>,
}

impl From<campo_store::FormSummary> for FormSummary {
    fn from(f: campo_store::FormSummary) -> Self {
        FormSummary { id: f.id, title: f.title, latest_version: f.latest_version, versions: f.versions.into_iter().map(Into::into).collect() }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: String,
    pub seq: i64,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
    pub published_at: Timestamp,
    #[schema(value_type = Vec<Object>)]
    pub scores: Value,
}

impl From<campo_store::VersionSummary> for VersionSummary {
    fn from(v: campo_store::VersionSummary) -> Self {
        VersionSummary {
            version: v.version,
            seq: v.seq,
            logic_plugin: v.logic_plugin,
            scoring_plugin: v.scoring_plugin,
            published_at: v.published_at,
            scores: v.scores,
        }
    }
}

/// A score a form version declares in its manifest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreDeclaration {
    pub name: String,
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub categories: Vec<Value>,
}

impl From<campo_store::ScoreDeclaration> for ScoreDeclaration {
    fn from(s: campo_store::ScoreDeclaration) -> Self {
        ScoreDeclaration { name: s.name, label: s.label, description: s.description, categories: s.categories }
    }
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
    pub version: campo_domain::VersionName,
    pub status: PublishStatus,
}

impl From<campo_store::PublishOutcome> for PublishOutcome {
    fn from(o: campo_store::PublishOutcome) -> Self {
        let status = match o.status {
            campo_store::PublishStatus::Published => PublishStatus::Published,
            campo_store::PublishStatus::Unchanged => PublishStatus::Unchanged,
        };
        PublishOutcome { form: o.form, version: o.version, status }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginSummary {
    pub hash: String,
    pub size: i64,
    pub capabilities: Vec<String>,
    pub uploaded_at: Timestamp,
    /// Form versions that pin this plugin; a pinned plugin is never deleted.
    pub pinned_by_versions: i64,
}

impl From<campo_store::PluginSummary> for PluginSummary {
    fn from(p: campo_store::PluginSummary) -> Self {
        PluginSummary { hash: p.hash, size: p.size, capabilities: p.capabilities, uploaded_at: p.uploaded_at, pinned_by_versions: p.pinned_by_versions }
    }
}

// ---- submissions ------------------------------------------------------------------------------

/// A submission body: the client chooses the id, so a retry is recognised.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionRequest {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    #[schema(value_type = Object)]
    pub answers: Value,
    /// The form version; the latest published when absent.
    #[serde(default)]
    pub version: Option<String>,
    /// The case (from the study's sample list) this response is for.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub case: Option<CaseKey>,
    /// When the enumerator opened the form (RFC 3339), for interview durations.
    #[serde(default)]
    pub started_at: Option<String>,
    /// When the enumerator finished the form (RFC 3339).
    #[serde(default)]
    pub completed_at: Option<String>,
}

impl From<SubmissionRequest> for campo_pipeline::SubmissionRequest {
    fn from(r: SubmissionRequest) -> Self {
        campo_pipeline::SubmissionRequest {
            id: r.id,
            answers: r.answers,
            version: r.version,
            case: r.case,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

/// What the server answers for a stored submission (first time or a retry).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionReceipt {
    pub id: String,
    pub version: String,
    #[schema(value_type = Object)]
    pub scores: Value,
    /// Soft checks the logic plugin raised; stored with the response.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Value,
}

impl From<campo_pipeline::SubmissionReceipt> for SubmissionReceipt {
    fn from(r: campo_pipeline::SubmissionReceipt) -> Self {
        SubmissionReceipt { id: r.id, version: r.version, scores: r.scores, warnings: r.warnings }
    }
}

/// A correction: new answers for a stored response, kept as a new revision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    #[schema(value_type = Object)]
    pub answers: Value,
    /// The form version to validate against; the response's own version when absent.
    #[serde(default)]
    pub version: Option<String>,
}

impl From<CorrectionRequest> for campo_pipeline::CorrectionRequest {
    fn from(r: CorrectionRequest) -> Self {
        campo_pipeline::CorrectionRequest { answers: r.answers, version: r.version }
    }
}

/// What the server answers for a stored correction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectionReceipt {
    pub id: String,
    pub revision: i64,
    pub version: String,
    pub review: ReviewState,
    #[schema(value_type = Object)]
    pub scores: Value,
    #[schema(value_type = Vec<Object>)]
    pub warnings: Value,
}

impl From<campo_pipeline::CorrectionReceipt> for CorrectionReceipt {
    fn from(r: campo_pipeline::CorrectionReceipt) -> Self {
        CorrectionReceipt { id: r.id, revision: r.revision, version: r.version, review: r.review, scores: r.scores, warnings: r.warnings }
    }
}

/// One revision of a response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revision {
    pub revision: i64,
    pub version: String,
    #[schema(value_type = Object)]
    pub answers: Value,
    #[schema(value_type = Object)]
    pub scores: Value,
    #[schema(value_type = Vec<Object>)]
    pub warnings: Value,
    pub author: String,
    pub created_at: Timestamp,
}

impl From<campo_store::management::Revision> for Revision {
    fn from(r: campo_store::management::Revision) -> Self {
        Revision { revision: r.revision, version: r.version, answers: r.answers, scores: r.scores, warnings: r.warnings, author: r.author, created_at: r.created_at }
    }
}

/// A response sent back to its enumerator (`has_issues`), with the supervisor's comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Returned {
    pub id: String,
    pub form: String,
    pub version: String,
    pub revision: i64,
    #[schema(value_type = Object)]
    pub answers: Value,
    pub comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Timestamp>,
    pub case: Option<CaseKey>,
}

impl From<campo_store::management::Returned> for Returned {
    fn from(r: campo_store::management::Returned) -> Self {
        Returned {
            id: r.id,
            form: r.form,
            version: r.version,
            revision: r.revision,
            answers: r.answers,
            comment: r.comment,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            case: r.case,
        }
    }
}

// ---- people, teams and cases ------------------------------------------------------------------

/// A person's role in one study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Membership {
    pub study: StudyId,
    pub role: Role,
    /// Limited to this team's responses and cases.
    pub team: Option<TeamId>,
}

impl From<campo_store::management::Membership> for Membership {
    fn from(m: campo_store::management::Membership) -> Self {
        Membership { study: m.study, role: m.role, team: m.team }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
}

impl From<campo_store::management::Team> for Team {
    fn from(t: campo_store::management::Team) -> Self {
        Team { id: t.id, name: t.name }
    }
}

/// A case with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Case {
    pub key: CaseKey,
    pub form: FormId,
    pub team: Option<TeamId>,
    pub assignee: Option<Username>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// Responses that name this case.
    pub responses: i64,
}

impl From<campo_store::management::Case> for Case {
    fn from(c: campo_store::management::Case) -> Self {
        Case { key: c.key, form: c.form, team: c.team, assignee: c.assignee, attributes: c.attributes, responses: c.responses }
    }
}

/// One problem in a case file, with its row (1 = the header).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseFileProblem {
    pub row: usize,
    pub message: String,
    pub message_en: String,
}

impl From<campo_manage::cases::CaseFileProblem> for CaseFileProblem {
    fn from(p: campo_manage::cases::CaseFileProblem) -> Self {
        CaseFileProblem { row: p.row, message: p.message, message_en: p.message_en }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: usize,
}

impl From<campo_manage::cases::ImportReport> for ImportReport {
    fn from(r: campo_manage::cases::ImportReport) -> Self {
        ImportReport { imported: r.imported }
    }
}

// ---- audit and re-scoring ---------------------------------------------------------------------

/// An audit entry as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub person_id: Option<i64>,
    pub token_id: Option<i64>,
    pub action: String,
    pub study: Option<String>,
    pub target: Option<String>,
    /// JSON text, exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<campo_store::audit::AuditEntry> for AuditEntry {
    fn from(e: campo_store::audit::AuditEntry) -> Self {
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            person_id: e.person_id,
            token_id: e.token_id,
            action: e.action,
            study: e.study,
            target: e.target,
            details: e.details,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// One page of the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

impl From<campo_store::audit::AuditPage> for AuditPage {
    fn from(p: campo_store::audit::AuditPage) -> Self {
        AuditPage { entries: p.entries.into_iter().map(Into::into).collect(), next_after: p.next_after }
    }
}

/// One response as the incremental feed gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedSubmission {
    pub id: String,
    /// Pass as `after` to get what was stored after this response: a script keeps the last
    /// one it read and asks again later for only what is new.
    pub cursor: String,
    pub form_version: String,
    /// RFC 3339, UTC, as stored.
    pub received_at: String,
    pub enumerator: String,
    pub case: Option<String>,
    pub team: Option<String>,
    /// `received`, `approved`, `has_issues` or `rejected`.
    pub review: String,
    pub revision: i64,
    /// The answers as submitted (latest revision).
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// `{"name": {"value", "category"?}}`.
    #[schema(value_type = Object)]
    pub scores: serde_json::Value,
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
}

/// A page of the incremental feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedPage {
    pub submissions: Vec<FeedSubmission>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

impl From<campo_export::FeedPage> for FeedPage {
    fn from(page: campo_export::FeedPage) -> Self {
        let json = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        FeedPage {
            submissions: page
                .rows
                .into_iter()
                .map(|(cursor, r)| FeedSubmission {
                    cursor,
                    answers: json(&r.answers),
                    scores: json(&r.scores),
                    id: r.id,
                    form_version: r.version,
                    received_at: r.received_at,
                    enumerator: r.enumerator,
                    case: r.case_key,
                    team: r.team,
                    review: r.review.as_str().to_string(),
                    revision: r.revision,
                    logic_plugin: r.logic_plugin,
                    scoring_plugin: r.scoring_plugin,
                })
                .collect(),
            next: page.next,
        }
    }
}

/// A re-scoring job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RescoreJob {
    pub id: i64,
    pub study: StudyId,
    pub form: FormId,
    /// Only this version's responses; all versions when absent.
    pub version: Option<String>,
    pub plugin: PluginHash,
    /// `running` (or interrupted: start it again to resume), `done`, `failed`.
    pub state: campo_domain::RescoreState,
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

impl From<campo_store::rescore_jobs::RescoreJob> for RescoreJob {
    fn from(j: campo_store::rescore_jobs::RescoreJob) -> Self {
        RescoreJob {
            id: j.id,
            study: j.study,
            form: j.form,
            version: j.version,
            plugin: j.plugin,
            state: j.state,
            total: j.total,
            done: j.done,
            failed: j.failed,
            last_error: j.last_error,
            started_by: j.started_by,
            started_at: j.started_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

// ---- the dashboard's figures ------------------------------------------------------------------

/// Every figure of one study's dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub study: String,
    pub title: Text,
    /// RFC 3339 UTC, when the figures were computed.
    pub generated_at: String,
    /// The team the viewer is limited to, when they are (their figures cover only it).
    pub team: Option<String>,
    pub totals: Totals,
    /// Responses received per day (`label` = `YYYY-MM-DD`, oldest first).
    pub per_day: Vec<Count>,
    /// Responses per enumerator (`label` = username), most first.
    pub per_enumerator: Vec<Count>,
    /// Responses per team (`label` = team id; responses with no team under `"—"`), most first.
    pub per_team: Vec<Count>,
    /// Responses by review state (`label` = `received`, `approved`, `has_issues`, `rejected`),
    /// in that order, zero counts included.
    pub review: Vec<Count>,
    /// Case progress per team (`label` = team id).
    pub cases_per_team: Vec<Progress>,
    /// Case progress per assigned enumerator (`label` = username, `"—"` when unassigned).
    pub cases_per_enumerator: Vec<Progress>,
    /// Median interview duration in minutes over responses that report when they started and
    /// ended; `None` when none do.
    pub median_duration_minutes: Option<f64>,
    /// One histogram per declared score of every form.
    pub scores: Vec<ScoreHistogram>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    pub responses: i64,
    pub cases: i64,
    /// Cases with at least one response.
    pub cases_done: i64,
    /// Responses waiting for review (`received`).
    pub review_backlog: i64,
    pub enumerators: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub label: String,
    pub total: i64,
    pub done: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreHistogram {
    pub form: String,
    /// The score's name (`autonomia_economica`).
    pub score: String,
    pub label: Text,
    /// Responses with a number for this score.
    pub n: i64,
    /// Responses where the score is null.
    pub nulls: i64,
    pub bins: Vec<Bin>,
}

/// A histogram bar: values in `[from, to)` (the last bin includes `to`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: i64,
}

impl From<campo_dashboard::figures::Dashboard> for Dashboard {
    fn from(d: campo_dashboard::figures::Dashboard) -> Self {
        use campo_dashboard::figures as f;
        let count = |c: f::Count| Count { label: c.label, count: c.count };
        let progress = |p: f::Progress| Progress { label: p.label, total: p.total, done: p.done };
        Dashboard {
            study: d.study,
            title: d.title,
            generated_at: d.generated_at,
            team: d.team,
            totals: Totals {
                responses: d.totals.responses,
                cases: d.totals.cases,
                cases_done: d.totals.cases_done,
                review_backlog: d.totals.review_backlog,
                enumerators: d.totals.enumerators,
            },
            per_day: d.per_day.into_iter().map(count).collect(),
            per_enumerator: d.per_enumerator.into_iter().map(count).collect(),
            per_team: d.per_team.into_iter().map(count).collect(),
            review: d.review.into_iter().map(count).collect(),
            cases_per_team: d.cases_per_team.into_iter().map(progress).collect(),
            cases_per_enumerator: d.cases_per_enumerator.into_iter().map(progress).collect(),
            median_duration_minutes: d.median_duration_minutes,
            scores: d
                .scores
                .into_iter()
                .map(|s| ScoreHistogram {
                    form: s.form,
                    score: s.score,
                    label: s.label,
                    n: s.n,
                    nulls: s.nulls,
                    bins: s.bins.into_iter().map(|b| Bin { from: b.from, to: b.to, count: b.count }).collect(),
                })
                .collect(),
        }
    }
}
