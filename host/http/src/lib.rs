//! The HTTP API (axum). Routes are declared with their OpenAPI description next to the handler
//! (utoipa), so `GET /api/v1/openapi.json` is generated from the router and cannot drift.
//!
//! Invariant: every route under `/api/v1` except the OpenAPI document takes a [`Principal`]
//! and checks its role and study before touching the store.

mod audit;
pub mod auth;
mod dashboard;
pub mod error;
mod exports;
mod forms;
mod management;
mod people;
mod plugins;
mod review;
mod studies;
mod submissions;
pub mod views;
pub mod web_app;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRequest, Request},
    http::{HeaderName, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use auth::{Principal, StudyAccess};
pub use error::ApiError;
pub use web_app::WebApp;

use campo_domain::JsonParseError;
use campo_pipeline::App;
use campo_store::audit::SEAL_BATCH;

/// What the server is configured with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The largest request body accepted on ordinary routes (submissions).
    pub body_limit: usize,
    /// The largest plugin or bundle upload.
    pub upload_limit: usize,
    /// Serve the web app from this directory instead of the copy compiled into the binary.
    pub static_dir: Option<std::path::PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            body_limit: 1 << 20,
            upload_limit: 32 << 20,
            static_dir: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub config: Arc<ServeConfig>,
    /// The enumerator app's files.
    pub web_app: Arc<WebApp>,
    /// Plugin modules already compressed for sending.
    pub compressed_plugins: Arc<web_app::CompressedPlugins>,
}

impl AppState {
    /// The state of a server: the app's files are read (from the binary, or the configured
    /// directory) and compressed in the background.
    pub fn new(app: Arc<App>, config: ServeConfig) -> std::io::Result<AppState> {
        let web_app = Arc::new(match &config.static_dir {
            Some(dir) => WebApp::from_dir(dir)?,
            None => WebApp::embedded(),
        });
        let warm = web_app.clone();
        std::thread::Builder::new().name("campo-compress".into()).spawn(move || warm.precompress())?;
        Ok(AppState { app, config: Arc::new(config), web_app, compressed_plugins: Default::default() })
    }
}

/// A JSON body, read in two steps so that malformed JSON is always a 400 and JSON of the wrong
/// shape a 422 (a streaming parse would report whichever it met first). Rejections use
/// Campo's error shape; a body over the route's limit is a 413.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error::body_too_large()
            } else {
                ApiError::bad_request("unreadable_body", rejection.body_text())
            }
        })?;
        match campo_domain::parse_json(&bytes) {
            Ok(typed) => Ok(JsonBody(typed)),
            Err(JsonParseError::Malformed(e)) => Err(ApiError::bad_request("malformed_json", format!("the body is not JSON: {e}"))),
            Err(JsonParseError::Shape(e)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("El cuerpo no tiene la forma esperada: {e}"),
                format!("The body does not have the expected shape: {e}"),
            )),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Campo", description = "Field studies: forms, plugins, submissions and exports."),
    modifiers(&BearerAuth),
    tags((name = "studies"), (name = "submissions"), (name = "review"), (name = "exports"), (name = "plugins"), (name = "people"),
         (name = "management"), (name = "audit"), (name = "dashboard"), (name = "meta"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The API's routes with their OpenAPI description. Uploads (plugins, bundles) get a larger
/// body limit than everything else.
pub fn api_router(config: &ServeConfig) -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(studies::list_studies, studies::install_study))
        .routes(routes!(plugins::upload_plugin, plugins::list_plugins))
        .layer(DefaultBodyLimit::max(config.upload_limit));
    let rest = OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(studies::get_study))
        .routes(routes!(forms::latest_version))
        .routes(routes!(forms::get_version))
        .routes(routes!(forms::plugin_bytes))
        .routes(routes!(forms::evaluate))
        .routes(routes!(submissions::submit, exports::feed))
        .routes(routes!(exports::export_csv))
        .routes(routes!(exports::codebook_csv))
        .routes(routes!(exports::codebook_html))
        .routes(routes!(exports::start_rescore))
        .routes(routes!(exports::rescore_status))
        .routes(routes!(review::review))
        .routes(routes!(review::correct))
        .routes(routes!(review::revisions))
        .routes(routes!(review::work))
        .routes(routes!(people::sign_in, people::sign_out))
        .routes(routes!(people::me))
        .routes(routes!(management::list_teams, management::put_teams))
        .routes(routes!(audit::audit_log))
        .routes(routes!(dashboard::page))
        .routes(routes!(dashboard::figures_json))
        .layer(DefaultBodyLimit::max(config.body_limit));
    // A sample list can be larger than a submission.
    let case_files = OpenApiRouter::new()
        .routes(routes!(management::list_cases, management::import_cases))
        .layer(DefaultBodyLimit::max(config.upload_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(uploads).merge(rest).merge(case_files)
}

/// The whole application: API, OpenAPI document, static web app, and the layers every request
/// goes through (request id, tracing, body limits).
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_router(&state.config).split_for_parts();
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .fallback(web_app_file)
        .layer(CompressionLayer::new().br(true).gzip(true).compress_when(compressible()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// What the router has no route for: a file of the enumerator app, or 404.
async fn web_app_file(axum::extract::State(state): axum::extract::State<AppState>, request: Request) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    if method == Method::GET || method == Method::HEAD {
        // A file not yet compressed by the start-up pass is compressed here, off the async
        // worker (brotli 11 takes tens of milliseconds on the larger modules).
        if let Some(response) = tokio::task::block_in_place(|| state.web_app.respond(method, path, request.headers())) {
            return response;
        }
    }
    ApiError::not_found(path.to_string()).into_response()
}

/// Responses compressed on the way out (JSON, CSV, HTML, plugin modules for clients without
/// brotli), but not what is compressed already: ZIP exports, images, and responses that carry
/// their own `Content-Encoding` (the app's files and plugins sent as brotli 11).
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    // Exports that are compressed already (ZIP, Excel, Parquet) go as they are.
    DefaultPredicate::new()
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("image/"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("application/vnd.apache.parquet"))
}

/// Liveness: 200 when the server answers and its database does.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = String), (status = 503, body = String)))]
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.app.store.list_studies().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then stops taking connections and lets in-flight requests
/// finish (up to `drain`).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState, drain: Duration) -> anyhow::Result<()> {
    let app = router(state.clone());
    let addr: SocketAddr = listener.local_addr()?;
    let sealer = tokio::spawn(campo_store::audit::seal_forever(state.app.store.clone()));
    tracing::info!(%addr, "campo listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        tracing::info!("shutting down: draining in-flight requests");
    });
    let mut stop_rx = stop_rx;
    tokio::select! {
        result = server => result?,
        _ = async {
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(drain).await;
        } => tracing::warn!("drain period over; closing remaining connections"),
    }
    sealer.abort();
    // What this host stored is in the audit log before it stops (another host's sealer, or this
    // one's next start, would append it otherwise).
    while let Ok(n) = state.app.store.seal_audit(SEAL_BATCH).await {
        if n == 0 {
            break;
        }
    }
    state.app.store.close().await;
    tracing::info!("campo stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
