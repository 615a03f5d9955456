//! The guide (docs/, an mdBook), rendered at build time by build.rs and compiled into the
//! binary, served at /docs: a field office without internet reads it from its own server.
//! Public, like the app's files: it holds nothing about any study.

use axum::{
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use include_dir::{Dir, include_dir};

use crate::{ApiError, WebApp};

static BOOK: Dir<'_> = include_dir!("$OUT_DIR/book");

/// Where the guide lives on the server.
pub const PREFIX: &str = "/docs";

/// The guide compiled into the binary.
pub fn embedded() -> WebApp {
    WebApp::from_embedded(&BOOK)
}

/// `/docs` redirects to `/docs/` (the book's links are relative); `/docs/PATH` is the book's file.
pub fn respond(guide: &WebApp, method: &Method, path: &str, headers: &HeaderMap) -> Response {
    if path == PREFIX {
        return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, HeaderValue::from_static("/docs/"))]).into_response();
    }
    let inner = &path[PREFIX.len()..];
    match guide.respond(method, inner, headers) {
        Some(mut page) => {
            page.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(GUIDE_POLICY));
            page
        }
        None => ApiError::not_found(path.to_string()).into_response(),
    }
}

/// The guide's pages: mdBook writes small inline scripts (theme, sidebar) and styles. The guide
/// is built from this repository, with nothing from users in it, so inline code is allowed
/// there, and only there; the app's pages keep `script-src 'self'`.
pub const GUIDE_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
