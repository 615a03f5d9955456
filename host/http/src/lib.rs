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
mod layers;
mod forms;
pub mod guide;
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
pub use error::{ApiError, ErrorBody};
pub use web_app::WebApp;

use campo_domain::RequestJsonError;
use campo_manage::sign_in_guard::SignInGuard;
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
    /// The address people reach Campo at (behind a proxy, the proxy's); an `https://` one makes
    /// the session cookie `Secure`.
    pub public_url: Option<String>,
    /// Sign-in attempts one client address may make at once, then per minute.
    pub sign_in_burst: u32,
    pub sign_ins_per_minute: u32,
}

impl ServeConfig {
    /// Whether cookies are marked `Secure` (sent over HTTPS only).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            body_limit: 1 << 20,
            upload_limit: 32 << 20,
            static_dir: None,
            public_url: None,
            // A field office's enumerators may all sign in at once through one NAT address.
            sign_in_burst: 30,
            sign_ins_per_minute: 120,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub config: Arc<ServeConfig>,
    /// The enumerator app's files.
    pub web_app: Arc<WebApp>,
    /// The guide (docs/), served at /docs.
    pub guide: Arc<WebApp>,
    /// Plugin modules already compressed for sending.
    pub compressed_plugins: Arc<web_app::CompressedPlugins>,
    /// Sign-in attempts reserved per person name, and the bound on password checks.
    pub sign_in_guard: Arc<SignInGuard>,
    /// Sign-in attempts per client address.
    pub sign_in_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
}

impl AppState {
    /// The state of a server: the app's files are read (from the binary, or the configured
    /// directory) and compressed in the background.
    pub fn new(app: Arc<App>, config: ServeConfig) -> std::io::Result<AppState> {
        let web_app = Arc::new(match &config.static_dir {
            Some(dir) => WebApp::from_dir(dir)?,
            None => WebApp::embedded(),
        });
        let guide = Arc::new(guide::embedded());
        let (warm, warm_guide) = (web_app.clone(), guide.clone());
        std::thread::Builder::new().name("campo-compress".into()).spawn(move || {
            warm.precompress();
            warm_guide.precompress();
        })?;
        let per_address = governor::Quota::per_minute(std::num::NonZeroU32::new(config.sign_ins_per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN))
            .allow_burst(std::num::NonZeroU32::new(config.sign_in_burst.max(1)).unwrap_or(std::num::NonZeroU32::MIN));
        Ok(AppState {
            app,
            config: Arc::new(config),
            web_app,
            guide,
            compressed_plugins: Default::default(),
            sign_in_guard: Arc::new(SignInGuard::default()),
            sign_in_limiter: Arc::new(governor::RateLimiter::keyed(per_address)),
        })
    }
}

/// A JSON body, read in two steps so that unacceptable JSON is always a 400 and JSON of the
/// wrong shape a 422 (a streaming parse would report whichever it met first). The body must be
/// sent as `application/json` (415 otherwise), be UTF-8, nest at most 128 levels and name no key
/// twice in an object. Rejections use Campo's error shape; a body over the route's limit is a 413.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_content_type(req.headers(), &["application/json"])?;
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error::body_too_large()
            } else {
                ApiError::bad_request(
                    "unreadable_body",
                    "No se pudo leer el cuerpo de la solicitud",
                    format!("The request body could not be read: {}", campo_domain::clip(&rejection.body_text(), 100)),
                )
            }
        })?;
        match campo_domain::parse_request_json(&bytes) {
            Ok(typed) => Ok(JsonBody(typed)),
            Err(RequestJsonError::Malformed(e)) => Err(ApiError::bad_request("malformed_json", e.message_es(), campo_domain::clip(&e.to_string(), 200))),
            Err(RequestJsonError::Shape(e)) => {
                let (line, column) = (e.line(), e.column());
                Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("El cuerpo es JSON pero no tiene la forma que esta ruta espera (línea {line}, columna {column}); vea el documento OpenAPI"),
                    format!("The body does not have the expected shape: {}", campo_domain::clip(&e.to_string(), 200)),
                ))
            }
        }
    }
}

/// 415 unless the request's `Content-Type` is one of `accepted` (parameters such as `charset`
/// are allowed; `application/*+json` counts as `application/json`).
pub fn require_content_type(headers: &axum::http::HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let sent = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = sent.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let json_suffix = essence.starts_with("application/") && essence.ends_with("+json");
    if accepted.iter().any(|a| *a == essence || (*a == "application/json" && json_suffix)) {
        return Ok(());
    }
    let wanted = accepted.join(", ");
    let sent = if sent.is_empty() { "ninguno".to_string() } else { campo_domain::clip(sent, 100).into_owned() };
    let sent_en = if essence.is_empty() { "none".to_string() } else { sent.clone() };
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("Esta ruta recibe {wanted} (Content-Type enviado: {sent})"),
        format!("This route takes {wanted} (Content-Type sent: {sent_en})"),
    ))
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

/// The OpenAPI document the server serves at `/api/v1/openapi.json` (for `campo docs api`).
pub fn openapi_json() -> String {
    let (_, openapi) = api_router(&ServeConfig::default()).split_for_parts();
    openapi.to_pretty_json().unwrap_or_default()
}

/// The whole application: API, OpenAPI document, static web app, and the layers every request
/// goes through (request id, tracing, body limits).
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = api_router(&state.config).split_for_parts();
    document_shared_errors(&mut openapi);
    let openapi = Arc::new(openapi);
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .fallback(web_app_file)
        .layer(axum::middleware::from_fn(layers::json_errors))
        .layer(axum::middleware::from_fn(layers::security_headers))
        .layer(CompressionLayer::new().br(true).gzip(true).compress_when(compressible()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(axum::middleware::from_fn(layers::no_request_id_for_app_files))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Adds to every operation the errors that the layers in front of every handler can answer, so
/// the document lists every status the server sends: 400 for a path or query the extractors
/// cannot read, 413 and 415 for request bodies, and 503 (busy, or the database unavailable,
/// always with `Retry-After`).
fn document_shared_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, path::HttpMethod};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build(),
        )
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        for method in [HttpMethod::Get, HttpMethod::Post, HttpMethod::Put, HttpMethod::Delete, HttpMethod::Patch] {
            let operation = match method {
                HttpMethod::Get => item.get.as_mut(),
                HttpMethod::Post => item.post.as_mut(),
                HttpMethod::Put => item.put.as_mut(),
                HttpMethod::Delete => item.delete.as_mut(),
                HttpMethod::Patch => item.patch.as_mut(),
                _ => None,
            };
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) || path.contains('{');
            if has_parameters {
                responses.entry("400".into()).or_insert_with(|| error("A path or query parameter the route cannot read"));
            }
            if operation.request_body.is_some() {
                responses.entry("400".into()).or_insert_with(|| error("The body is not JSON, or names a key twice"));
                responses.entry("413".into()).or_insert_with(|| error("The body is over the route's limit"));
                responses.entry("415".into()).or_insert_with(|| error("The body is not sent with the content type the route takes"));
            }
            if path != "/healthz" {
                responses.entry("503".into()).or_insert_with(|| error("Busy, or the database is unavailable: retry after Retry-After seconds"));
            }
        }
    }
}

/// What the router has no route for: a page of the guide (under /docs), a file of the
/// enumerator app, or 404.
async fn web_app_file(axum::extract::State(state): axum::extract::State<AppState>, request: Request) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    if (method == Method::GET || method == Method::HEAD) && (path == guide::PREFIX || path.starts_with("/docs/")) {
        return guide::respond(&state.guide, method, path, request.headers());
    }
    if method == Method::GET || method == Method::HEAD {
        // A file not yet compressed by the start-up pass is compressed here, off the async
        // worker (brotli 11 takes tens of milliseconds on the larger modules).
        if let Some(mut response) = tokio::task::block_in_place(|| state.web_app.respond(method, path, request.headers())) {
            response.extensions_mut().insert(layers::AppFile);
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

/// Liveness: 200 `ok` when the server answers and its database does, else 503.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = String, content_type = "text/plain"), (status = 503, body = ErrorBody)))]
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, ApiError> {
    match state.app.store.list_studies().await {
        Ok(_) => Ok("ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "La base de datos no está disponible",
                "The database is unavailable",
            ))
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
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(async move {
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
