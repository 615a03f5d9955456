//! Form versions and plugin modules for clients that evaluate forms themselves (the
//! enumerator app runs the same logic plugin offline), and server-side evaluation of a
//! partial response.

use axum::{
    Json,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{AppState, JsonBody, web_app::Encoding, auth::Principal, error::{ApiError, ErrorBody}, submissions::parse_form};
use campo_domain::{PluginHash, Role};
use campo_pipeline::PreparedVersion;
use campo_runtime::Entry;

use crate::views::ScoreDeclaration;

/// A published form version: everything a client needs to render and evaluate it.
#[derive(Serialize, ToSchema)]
pub struct FormVersionView {
    pub study: String,
    pub form: String,
    pub version: String,
    #[schema(value_type = Object)]
    pub schema: Value,
    #[schema(value_type = Object)]
    pub settings: Value,
    pub scores: Vec<ScoreDeclaration>,
    /// sha256 of the logic plugin; fetch it from `/api/v1/plugins/{hash}`.
    pub logic_plugin: Option<String>,
    pub scoring_plugin: Option<String>,
}

fn view(v: &PreparedVersion) -> FormVersionView {
    let r = &v.record;
    FormVersionView {
        study: r.study.to_string(),
        form: r.form.to_string(),
        version: r.version.clone(),
        schema: r.schema.clone(),
        settings: r.settings.clone(),
        scores: r.scores.iter().cloned().map(Into::into).collect(),
        logic_plugin: r.logic_plugin.as_ref().map(|h| h.to_string()),
        scoring_plugin: r.scoring_plugin.as_ref().map(|h| h.to_string()),
    }
}

/// The latest published version of a form.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}", tag = "studies",
    params(("study" = String, Path), ("form" = String, Path)),
    responses((status = 200, body = FormVersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn latest_version(State(state): State<AppState>, principal: Principal, Path((study, form)): Path<(String, String)>) -> Result<Json<FormVersionView>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    principal.allow(&study, &Role::MEMBERS)?;
    let version = state.app.version(&study, &form, None).await?;
    Ok(Json(view(&version)))
}

/// One published version of a form.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/versions/{version}", tag = "studies",
    params(("study" = String, Path), ("form" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = FormVersionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form, version)): Path<(String, String, String)>,
) -> Result<Json<FormVersionView>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    principal.allow(&study, &Role::MEMBERS)?;
    let version = state.app.version(&study, &form, Some(&version)).await?;
    Ok(Json(view(&version)))
}

/// A plugin module's bytes (`application/wasm`), immutable and cacheable forever.
#[utoipa::path(get, path = "/api/v1/plugins/{hash}", tag = "plugins",
    params(("hash" = String, Path, description = "sha256 of the module")),
    responses((status = 200, content_type = "application/wasm", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn plugin_bytes(
    State(state): State<AppState>,
    _principal: Principal,
    Path(hash): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let hash = hash.strip_suffix(".wasm").unwrap_or(&hash);
    let hash = PluginHash::parse(hash).map_err(|_| ApiError::not_found(format!("plugin {hash}")))?;
    let wasm = state.app.store.plugin_wasm(&hash).await?.ok_or_else(|| ApiError::not_found(format!("plugin {hash}")))?;
    let cache = [
        (header::CONTENT_TYPE, "application/wasm"),
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::VARY, "accept-encoding"),
    ];
    // Brotli at its densest, once per module (it never changes); other encodings are left to
    // the compression layer.
    if Encoding::accepted(&headers) == Encoding::Brotli {
        let compressed = state.compressed_plugins.brotli(&hash, wasm).await;
        return Ok((cache, [(header::CONTENT_ENCODING, "br")], compressed).into_response());
    }
    Ok((cache, wasm).into_response())
}

/// A (possibly partial) response to evaluate without storing it.
#[derive(serde::Deserialize, ToSchema)]
pub struct EvaluateRequest {
    #[schema(value_type = Object)]
    pub answers: Value,
    #[serde(default)]
    pub version: Option<String>,
}

/// Runs the form's logic plugin on a partial response and returns its result (relevance,
/// required-ness, computed values, issues) exactly as the server computes it. Stores nothing.
#[utoipa::path(post, path = "/api/v1/studies/{study}/forms/{form}/evaluate", tag = "submissions",
    params(("study" = String, Path), ("form" = String, Path)),
    request_body = EvaluateRequest,
    responses((status = 200, body = Object, description = "The logic plugin's result (sdk/ABI.md)"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn evaluate(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    JsonBody(request): JsonBody<EvaluateRequest>,
) -> Result<Json<Value>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    principal.allow(&study, &[Role::Enumerator, Role::Designer, Role::Supervisor])?;
    let version = state.app.version(&study, &form, request.version.as_deref()).await?;
    let Some(plugin) = version.record.logic_plugin.clone() else {
        return Ok(Json(serde_json::json!({"fields": {}, "computed": {}, "issues": []})));
    };
    let output = state.app.run_plugin(&plugin, Entry::Logic, &version, &request.answers).await?;
    Ok(Json(output))
}
