//! Studies: list, describe, install a bundle over HTTP.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, JsonBody, auth::Principal, error::{ApiError, ErrorBody}};
use campo_domain::{Role, StudyId};
use campo_pipeline::bundle::BundleFiles;

use crate::views::{PublishOutcome, StudyDetail, StudySummary};

#[derive(Serialize, ToSchema)]
pub struct StudyList {
    pub studies: Vec<StudySummary>,
}

/// Lists the studies the caller can see.
#[utoipa::path(get, path = "/api/v1/studies", tag = "studies",
    responses((status = 200, body = StudyList), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_studies(State(state): State<AppState>, principal: Principal) -> Result<Json<StudyList>, ApiError> {
    let studies = state.app.store.list_studies().await?.into_iter().filter(|s| principal.can_see(&s.id)).map(Into::into).collect();
    Ok(Json(StudyList { studies }))
}

/// A study with its forms and their published versions.
#[utoipa::path(get, path = "/api/v1/studies/{study}", tag = "studies",
    params(("study" = String, Path, description = "Study id")),
    responses((status = 200, body = StudyDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_study(State(state): State<AppState>, principal: Principal, Path(study): Path<String>) -> Result<Json<StudyDetail>, ApiError> {
    let study = parse_study(&study)?;
    principal.allow(&study, &Role::MEMBERS)?;
    let detail = state.app.store.study(&study).await?.ok_or_else(|| ApiError::not_found(format!("study {study}")))?;
    Ok(Json(detail.into()))
}

/// A study bundle sent over HTTP: the manifest and every file it names, base64-encoded.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleUpload {
    #[schema(value_type = Object)]
    pub manifest: serde_json::Value,
    /// Path inside the bundle → base64 of the file's bytes.
    pub files: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct InstallReport {
    pub study: StudyId,
    pub forms: Vec<PublishOutcome>,
}

/// Installs (publishes) a study bundle. The same bundle again changes nothing (200); a changed
/// bundle under an existing version number is refused (409).
#[utoipa::path(post, path = "/api/v1/studies", tag = "studies", request_body = BundleUpload,
    responses((status = 201, body = InstallReport, description = "At least one version was published"),
              (status = 200, body = InstallReport, description = "Already installed: nothing changed"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn install_study(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(upload): JsonBody<BundleUpload>,
) -> Result<(StatusCode, Json<InstallReport>), ApiError> {
    principal.require(&[Role::Designer])?;
    let mut files = BTreeMap::new();
    for (path, encoded) in upload.files {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| ApiError::bad_request("invalid_body", format!("files[«{}»] no está en base64", campo_domain::clip(&path, 100)), format!("files[{:?}] is not base64: {e}", campo_domain::clip(&path, 100))))?;
        files.insert(path, bytes);
    }
    files.insert("manifest.json".into(), upload.manifest.to_string().into_bytes());
    if let Some(id) = upload.manifest.get("id").and_then(|v| v.as_str()).and_then(|s| StudyId::parse(s).ok()) {
        principal.allow(&id, &[Role::Designer])?;
    }
    let (study, forms) = state.app.install(&BundleFiles::new(files), &principal.actor()).await?;
    let status = if forms.iter().any(|f| f.status == campo_store::PublishStatus::Published) { StatusCode::CREATED } else { StatusCode::OK };
    tracing::info!(%study, by = %principal.name, "study installed");
    Ok((status, Json(InstallReport { study, forms: forms.into_iter().map(Into::into).collect() })))
}

pub fn parse_study(study: &str) -> Result<StudyId, ApiError> {
    StudyId::parse(study).map_err(|_| ApiError::not_found(format!("study {study}")))
}
