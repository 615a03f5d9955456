//! What every answer goes through on its way out: security headers, and one error shape for
//! errors raised outside Campo's handlers (no route, wrong method, a path or query the
//! extractors could not read), so a client never meets an empty or plain-text error.

use axum::{
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

/// What pages may load: only Campo's own scripts (and compiling the plugins' WebAssembly),
/// styles, images and connections; no framing by anyone; no plugins; no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; \
    manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// For everything that is not a page: nothing may run or load in it, nobody may frame it (a
/// JSON answer opened in a tab is a page too).
pub const CONTENT_SECURITY_POLICY_DATA: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the security headers. Every answer is `nosniff`; pages (HTML) and the service worker
/// get the app's policy and send no referrer; data (JSON, CSV) gets the policy that allows
/// nothing. Scripts, styles and images loaded by a page are governed by the page's policy and
/// referrer policy, so they carry none of their own: on a phone's first visit the app's 30
/// files would otherwise carry 17 KB of repeated headers (the budget is 120 KB in all).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let service_worker = request.uri().path() == "/sw.js";
    let mut response = next.run(request).await;
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let document = content_type.starts_with("text/html") || service_worker;
    let policy = if document {
        Some(CONTENT_SECURITY_POLICY)
    } else if ["text/javascript", "application/javascript", "text/css", "image/", "application/wasm", "application/manifest+json"]
        .iter()
        .any(|subresource| content_type.starts_with(subresource))
    {
        None
    } else {
        Some(CONTENT_SECURITY_POLICY_DATA)
    };
    let headers = response.headers_mut();
    // A route with a policy of its own (the guide's) keeps it.
    if let Some(policy) = policy.filter(|_| !headers.contains_key(header::CONTENT_SECURITY_POLICY)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if document {
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

/// Marks an answer with one of the app's own files (content-addressed by its ETag).
#[derive(Debug, Clone, Copy)]
pub struct AppFile;

/// The app's files need no request id: nothing is logged about them but the access line, and
/// the header is 51 of the few hundred bytes each small module costs a phone.
pub async fn no_request_id_for_app_files(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.extensions().get::<AppFile>().is_some() {
        response.headers_mut().remove("x-request-id");
    }
    response
}

/// Error answers that are not yet in Campo's JSON shape (axum's own: no route, 405, path and
/// query rejections, all plain text or empty) are rewritten into it. Campo's own errors, HTML
/// error pages and successful answers pass untouched.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Axum's rejection texts are short; read at most a little of whatever this is.
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut rewritten = rejection(status, &method, &path, text.trim()).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

/// Campo's error for a status some layer produced, in Spanish and English.
fn rejection(status: StatusCode, method: &Method, path: &str, detail: &str) -> ApiError {
    let detail = campo_domain::clip(detail, 100);
    let en_detail = |fallback: &str| if detail.is_empty() { fallback.to_string() } else { detail.to_string() };
    match status {
        StatusCode::NOT_FOUND => ApiError::not_found(path),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!("La ruta {} no acepta el método {method} (vea el encabezado Allow)", campo_domain::clip(path, 100)),
            format!("{} does not take {method} (see the Allow header)", campo_domain::clip(path, 100)),
        ),
        StatusCode::BAD_REQUEST => ApiError::bad_request(
            "invalid_request",
            "La dirección o sus parámetros no son válidos para esta ruta; vea el documento OpenAPI",
            en_detail("the path or its query parameters are not valid for this route"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => crate::error::body_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "Esta ruta no recibe el tipo de contenido enviado",
            en_detail("this route does not take the content type sent"),
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::new(
            status,
            "invalid_body",
            "El cuerpo no tiene la forma que esta ruta espera; vea el documento OpenAPI",
            en_detail("the body does not have the shape this route expects"),
        ),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::new(
            status,
            "unavailable",
            "El servidor no puede atender ahora; reintente en unos segundos",
            en_detail("the server cannot answer now; retry in a few seconds"),
        ),
        s if s.is_client_error() => ApiError::new(s, "bad_request", "La solicitud no es válida", en_detail("the request is not valid")),
        s => {
            tracing::error!(status = %s, detail = %detail, "error answer outside the handlers");
            ApiError::new(s, "internal", "Error interno del servidor; nada se guardó a medias", "Internal server error; nothing was half-stored")
        }
    }
}
