//! Exports for analysts, streamed from the database.

use axum::{
    body::Body,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use futures::StreamExt;

use super::{AppState, auth::Principal, error::{ApiError, ErrorBody}, submissions::parse_form};
use crate::{domain::Role, export};

/// A form's responses as CSV (UTF-8, RFC 4180), across all its versions: metadata columns,
/// then one column per answer (group paths joined with `/`), then `score/<name>` columns.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/export.csv", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_csv(State(state): State<AppState>, principal: Principal, Path((study, form)): Path<(String, String)>) -> Result<Response, ApiError> {
    principal.require(&[Role::Analyst])?;
    let (study, form) = parse_form(&study, &form)?;
    principal.require_study(&study)?;
    let versions = state.app.store.form_versions(&study, &form).await?;
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("form {study}/{form}")));
    }
    tracing::info!(%study, %form, by = %principal.label, "export started");
    let filename = format!("{study}-{form}.csv");
    let stream = export::csv_stream(state.app.store.clone(), study, form, versions).map(|chunk| chunk.map_err(std::io::Error::other));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
