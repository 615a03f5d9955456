//! A study's teams and cases over HTTP.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, JsonBody, auth::Principal, error::{ApiError, ErrorBody}, studies::parse_study};
use campo_domain::{Role, TeamId};
use campo_manage::cases::{self, CaseImportError};

use crate::views::{Case, CaseFileProblem, ImportReport, Team};

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub teams: Vec<Team>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    #[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,62}$")]
    pub id: TeamId,
    /// Shown to people; not blank.
    #[schema(pattern = "\\S")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<Case>,
}

/// The problems that refused a case file; nothing was imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseFileRefused {
    pub code: String,
    pub message: String,
    pub message_en: String,
    pub problems: Vec<CaseFileProblem>,
}

/// A study's teams.
#[utoipa::path(get, path = "/api/v1/studies/{study}/teams", tag = "management",
    params(("study" = String, Path)),
    responses((status = 200, body = TeamList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_teams(State(state): State<AppState>, principal: Principal, Path(study): Path<String>) -> Result<Json<TeamList>, ApiError> {
    let study = parse_study(&study)?;
    principal.allow(&study, &Role::MEMBERS)?;
    Ok(Json(TeamList { teams: state.app.store.teams(&study).await?.into_iter().map(Into::into).collect() }))
}

/// Adds teams to a study, or renames them (designers and admins).
#[utoipa::path(put, path = "/api/v1/studies/{study}/teams", tag = "management",
    params(("study" = String, Path)),
    request_body = Vec<TeamInput>,
    responses((status = 200, body = TeamList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_teams(
    State(state): State<AppState>,
    principal: Principal,
    Path(study): Path<String>,
    JsonBody(teams): JsonBody<Vec<TeamInput>>,
) -> Result<Json<TeamList>, ApiError> {
    let study = parse_study(&study)?;
    principal.allow(&study, &[Role::Designer])?;
    state.app.store.study(&study).await?.ok_or_else(|| ApiError::not_found(format!("study {study}")))?;
    if teams.iter().any(|t| t.name.trim().is_empty()) {
        return Err(ApiError::unprocessable("invalid_team", "Cada equipo necesita un nombre", "Every team needs a name"));
    }
    let teams: Vec<campo_store::management::Team> =
        teams.into_iter().map(|t| campo_store::management::Team { id: t.id, name: t.name.trim().to_string() }).collect();
    state.app.store.upsert_teams(&study, &teams, &principal.actor()).await?;
    Ok(Json(TeamList { teams: state.app.store.teams(&study).await?.into_iter().map(Into::into).collect() }))
}

/// A study's cases with their progress (a caller limited to a team sees that team's).
#[utoipa::path(get, path = "/api/v1/studies/{study}/cases", tag = "management",
    params(("study" = String, Path)),
    responses((status = 200, body = CaseList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_cases(State(state): State<AppState>, principal: Principal, Path(study): Path<String>) -> Result<Json<CaseList>, ApiError> {
    let study = parse_study(&study)?;
    let access = principal.allow(&study, &[Role::Supervisor, Role::Analyst, Role::Designer])?;
    Ok(Json(CaseList { cases: state.app.store.cases(&study, access.team(), None).await?.into_iter().map(Into::into).collect() }))
}

/// Imports cases from CSV (the body): `key`, optional `form`, `team`, `enumerator` (a
/// username), other columns as attributes. Known keys are updated. Any problem (duplicate key,
/// unknown team, form or enumerator) refuses the whole file with every problem and its row.
#[utoipa::path(post, path = "/api/v1/studies/{study}/cases", tag = "management",
    params(("study" = String, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = CaseFileRefused)),
    security(("bearer" = [])))]
pub async fn import_cases(
    State(state): State<AppState>,
    principal: Principal,
    Path(study): Path<String>,
    body: Bytes,
) -> Result<Result<Json<ImportReport>, (StatusCode, Json<CaseFileRefused>)>, ApiError> {
    let study = parse_study(&study)?;
    let access = principal.allow(&study, &[Role::Supervisor, Role::Designer])?;
    state.app.store.study(&study).await?.ok_or_else(|| ApiError::not_found(format!("study {study}")))?;
    match cases::import(&state.app.store, &study, &body, access.team.as_ref(), &principal.actor()).await {
        Ok(report) => Ok(Ok(Json(report.into()))),
        Err(CaseImportError::Invalid(problems)) => Ok(Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(CaseFileRefused {
                code: "invalid_case_file".into(),
                message: format!("El archivo de casos tiene {} problema(s); no se importó nada", problems.len()),
                message_en: format!("The case file has {} problem(s); nothing was imported", problems.len()),
                problems: problems.into_iter().map(Into::into).collect(),
            }),
        ))),
        Err(CaseImportError::Store(e)) => Err(e.into()),
    }
}
