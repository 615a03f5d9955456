//! The plugin registry: content-addressed .wasm modules, checked at upload.

use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, auth::Principal, error::{ApiError, ErrorBody}};
use campo_domain::{PluginHash, Role};
use campo_runtime::{ModuleReport, check_module};

use crate::views::PluginSummary;

#[derive(Serialize, ToSchema)]
pub struct PluginUploaded {
    /// sha256 of the module: how a study bundle pins it (`"logic": "sha256:<hash>"`).
    pub sha256: String,
    pub size: usize,
    pub capabilities: Vec<&'static str>,
    #[schema(value_type = Object)]
    pub report: ModuleReport,
}

/// Uploads a plugin (the body is the .wasm). It is checked before it is stored: the ABI marker,
/// no imports at all, the required exports, a declared memory maximum of at most 16 MiB.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins",
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses((status = 201, body = PluginUploaded, description = "Stored"), (status = 200, body = PluginUploaded, description = "Already stored"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "The module is refused, with the reason")),
    security(("bearer" = [])))]
pub async fn upload_plugin(State(state): State<AppState>, principal: Principal, wasm: Bytes) -> Result<(StatusCode, Json<PluginUploaded>), ApiError> {
    principal.require(&[Role::Designer])?;
    let report = check_module(&wasm).map_err(|problem| {
        let en = format!("the module is refused: {problem}");
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "plugin_refused", format!("El complemento fue rechazado: {problem}"), en)
    })?;
    let hash = PluginHash::of(&wasm);
    // Compiling proves the module is usable and warms the artifact cache.
    let runtime = state.app.runtime.clone();
    let (h, bytes) = (hash.clone(), wasm.to_vec());
    tokio::task::spawn_blocking(move || runtime.load(&h, &bytes)).await.map_err(ApiError::internal)??;
    let created = state.app.store.insert_plugin(&hash, &wasm, &report.capabilities.as_list().join(","), &principal.actor()).await?;
    tracing::info!(plugin = %hash, by = %principal.name, created, "plugin uploaded");
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(PluginUploaded { sha256: hash.to_string(), size: wasm.len(), capabilities: report.capabilities.as_list(), report })))
}

#[derive(Serialize, ToSchema)]
pub struct PluginList {
    pub plugins: Vec<PluginSummary>,
}

/// Lists the stored plugins and how many form versions pin each.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = PluginList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_plugins(State(state): State<AppState>, principal: Principal) -> Result<Json<PluginList>, ApiError> {
    principal.require(&[Role::Designer])?;
    Ok(Json(PluginList { plugins: state.app.store.list_plugins().await?.into_iter().map(Into::into).collect() }))
}
