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
    guide.respond(method, inner, headers).unwrap_or_else(|| ApiError::not_found(path.to_string()).into_response())
}
