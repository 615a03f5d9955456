//! Review with revisions: supervisors approve, send back or reject responses; corrections are
//! stored as new revisions (re-validated and re-scored), the earlier ones kept.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppState, JsonBody,
    auth::{Principal, StudyAccess},
    error::{ApiError, ErrorBody},
    submissions::parse_form,
};
use campo_domain::{FormId, ReviewState, Role, StudyId, TeamId};
use campo_store::management::SubmissionMeta;

use crate::views::{Case, CorrectionReceipt, CorrectionRequest, Returned, Revision};

/// The longest review comment.
const MAX_COMMENT_CHARS: usize = 2000;

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approved`, `has_issues` (back to the enumerator, with the comment) or `rejected`.
    #[schema(value_type = ReviewDecision)]
    pub state: String,
    /// Required for `has_issues`: what the enumerator must fix.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A supervisor's decision (the values `state` takes).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ReviewDecision {
    Approved,
    HasIssues,
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewReceipt {
    pub id: String,
    pub review: ReviewState,
    pub comment: Option<String>,
    pub revision: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub id: String,
    pub review: ReviewState,
    /// Oldest first; the last is the one exports use.
    pub revisions: Vec<Revision>,
}

/// What an enumerator has to do in a study: their open cases and the responses sent back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Work {
    /// Cases assigned to the caller (all of them, with how many responses each has).
    pub cases: Vec<Case>,
    /// Responses sent back with `has_issues`, with the supervisor's comment.
    pub returned: Vec<Returned>,
}

/// Finds a response of this study and form within the caller's team, or 404/403.
async fn find(state: &AppState, study: &StudyId, form: &FormId, id: &str, access: &StudyAccess) -> Result<SubmissionMeta, ApiError> {
    let not_found = || ApiError::not_found(format!("submission {id} of {study}/{form}"));
    let meta = state.app.store.submission_meta(id).await?.ok_or_else(not_found)?;
    // A response of another study or form is not found here, whatever the caller may see elsewhere.
    if meta.study != *study || meta.form != *form {
        return Err(not_found());
    }
    if !access.covers(meta.team.as_ref().map(TeamId::as_str)) {
        return Err(ApiError::forbidden_because(
            "La respuesta es de otro equipo".to_string(),
            "The response belongs to another team".to_string(),
        ));
    }
    Ok(meta)
}

fn is_own(principal: &Principal, meta: &SubmissionMeta) -> bool {
    match (&principal.person, meta.person_id) {
        (Some(person), Some(owner)) => person.id == owner,
        _ => meta.token_id == Some(principal.token_id),
    }
}

/// Sets a response's review state (supervisors and admins). `has_issues` sends it back to its
/// enumerator's app with the comment.
#[utoipa::path(post, path = "/api/v1/studies/{study}/forms/{form}/submissions/{id}/review", tag = "review",
    params(("study" = String, Path), ("form" = String, Path), ("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = ReviewReceipt), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "Unknown state, or has_issues without a comment")),
    security(("bearer" = [])))]
pub async fn review(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form, id)): Path<(String, String, String)>,
    JsonBody(request): JsonBody<ReviewRequest>,
) -> Result<Json<ReviewReceipt>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Supervisor])?;
    let decision = ReviewState::parse(&request.state).filter(|s| *s != ReviewState::Received).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_review_state",
            format!("Estado de revisión desconocido «{}»: use approved, has_issues o rejected", request.state),
            format!("Unknown review state \"{}\": use approved, has_issues or rejected", request.state),
        )
    })?;
    let comment = request.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(ApiError::unprocessable(
            "comment_too_long",
            format!("El comentario supera {MAX_COMMENT_CHARS} caracteres"),
            format!("The comment is over {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if decision == ReviewState::HasIssues && comment.is_none() {
        return Err(ApiError::unprocessable(
            "comment_required",
            "Indique en el comentario qué debe corregir el encuestador",
            "Say in the comment what the enumerator must fix",
        ));
    }
    let meta = find(&state, &study, &form, &id, &access).await?;
    state.app.store.set_review(&meta.id, study.as_str(), decision, comment.as_deref(), &principal.actor()).await?;
    tracing::info!(%study, %form, submission = %meta.id, state = %decision, "review");
    Ok(Json(ReviewReceipt { id: meta.id, review: decision, comment, revision: meta.revision }))
}

/// Corrects a response: new answers, re-validated and re-scored exactly as a submission, stored
/// as a new revision (the earlier ones are kept). Its enumerator may correct it while it is
/// `has_issues` (it goes back to `received`); a supervisor may correct it at any time (its
/// review state stays).
#[utoipa::path(put, path = "/api/v1/studies/{study}/forms/{form}/submissions/{id}", tag = "review",
    params(("study" = String, Path), ("form" = String, Path), ("id" = String, Path)),
    request_body = CorrectionRequest,
    responses((status = 200, body = CorrectionReceipt, description = "Stored as a new revision"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not sent back for correction, or corrected concurrently"),
              (status = 422, body = ErrorBody, description = "Schema or logic errors, each with its JSON Pointer")),
    security(("bearer" = [])))]
pub async fn correct(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form, id)): Path<(String, String, String)>,
    JsonBody(request): JsonBody<CorrectionRequest>,
) -> Result<Json<CorrectionReceipt>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Supervisor, Role::Enumerator])?;
    let meta = find(&state, &study, &form, &id, &access).await?;
    let review_after = if access.role == Role::Enumerator {
        if !is_own(&principal, &meta) {
            return Err(ApiError::forbidden_because(
                "Solo puede corregir sus propias respuestas",
                "You can only correct your own responses",
            ));
        }
        if meta.review != ReviewState::HasIssues {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "not_returned",
                "Esta respuesta no fue devuelta para corrección",
                "This response was not sent back for correction",
            ));
        }
        ReviewState::Received
    } else {
        meta.review
    };
    let receipt = state.app.correct(&study, &form, &meta, request.into(), review_after, &principal.actor()).await?;
    tracing::info!(%study, %form, submission = %meta.id, revision = receipt.revision, "correction stored");
    Ok(Json(receipt.into()))
}

/// Every revision of a response, oldest first (supervisors, analysts, and its enumerator).
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/submissions/{id}/revisions", tag = "review",
    params(("study" = String, Path), ("form" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RevisionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revisions(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form, id)): Path<(String, String, String)>,
) -> Result<Json<RevisionList>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Supervisor, Role::Analyst, Role::Enumerator])?;
    let meta = find(&state, &study, &form, &id, &access).await?;
    if access.role == Role::Enumerator && !is_own(&principal, &meta) {
        return Err(ApiError::forbidden_because("Solo puede ver sus propias respuestas", "You can only see your own responses"));
    }
    let revisions = state.app.store.revisions(&meta.id).await?;
    Ok(Json(RevisionList { id: meta.id, review: meta.review, revisions: revisions.into_iter().map(Into::into).collect() }))
}

/// The caller's work in a study: assigned cases and responses sent back for correction.
#[utoipa::path(get, path = "/api/v1/studies/{study}/work", tag = "review",
    params(("study" = String, Path)),
    responses((status = 200, body = Work), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn work(State(state): State<AppState>, principal: Principal, Path(study): Path<String>) -> Result<Json<Work>, ApiError> {
    let study = super::studies::parse_study(&study)?;
    principal.allow(&study, &[Role::Enumerator])?;
    let person = principal.person.as_ref().map(|p| p.id);
    let cases = match person {
        Some(id) => state.app.store.cases(&study, None, Some(id)).await?,
        None => Vec::new(),
    };
    let returned = state.app.store.returned_to(&study, person, principal.token_id).await?;
    Ok(Json(Work { cases: cases.into_iter().map(Into::into).collect(), returned: returned.into_iter().map(Into::into).collect() }))
}
