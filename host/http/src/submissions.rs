//! Submissions: the path a response takes from an enumerator's phone into the store.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::{AppState, JsonBody, auth::Principal, error::{ApiError, ErrorBody}, studies::parse_study};
use campo_domain::{FormId, Role, StudyId};
use campo_pipeline::{SubmitOutcome, Submitter};

use crate::views::{SubmissionReceipt, SubmissionRequest};

/// Submits a response. The host validates `answers` against the version's JSON Schema, runs the
/// logic plugin (answers to questions it reports not relevant are refused; its constraint
/// errors are returned), runs the scoring plugin and stores everything in one transaction.
/// Sending the same id and body again answers 200 with the stored result.
#[utoipa::path(post, path = "/api/v1/studies/{study}/forms/{form}/submissions", tag = "submissions",
    params(("study" = String, Path), ("form" = String, Path)),
    request_body = SubmissionRequest,
    responses((status = 201, body = SubmissionReceipt, description = "Stored"),
              (status = 200, body = SubmissionReceipt, description = "Already stored with this id and body"),
              (status = 400, body = ErrorBody, description = "Malformed JSON"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "Same id, different body"),
              (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "Schema or logic errors (each with its JSON Pointer), or a plugin failure naming plugin and limit")),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    JsonBody(request): JsonBody<SubmissionRequest>,
) -> Result<(StatusCode, Json<SubmissionReceipt>), ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Enumerator])?;
    let submitter = Submitter {
        name: principal.name.clone(),
        token_id: Some(principal.token_id),
        person_id: principal.person.as_ref().map(|p| p.id),
        team: access.team().map(str::to_string),
    };
    match state.app.submit(&study, &form, request.into(), &submitter).await? {
        SubmitOutcome::Created(receipt) => {
            tracing::info!(%study, %form, submission = %receipt.id, "submission stored");
            Ok((StatusCode::CREATED, Json(receipt.into())))
        }
        SubmitOutcome::Replayed(receipt) => Ok((StatusCode::OK, Json(receipt.into()))),
    }
}

pub fn parse_form(study: &str, form: &str) -> Result<(StudyId, FormId), ApiError> {
    let study = parse_study(study)?;
    let form = FormId::parse(form).map_err(|_| ApiError::not_found(format!("form {study}/{form}")))?;
    Ok((study, form))
}
