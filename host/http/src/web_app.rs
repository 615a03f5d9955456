//! The enumerator app's files (`host/static`), served the way a cheap phone on a poor
//! connection needs them: compressed once with brotli (quality 11) and gzip, and revalidated
//! with a strong ETag (`Cache-Control: no-cache`: the service worker and the HTTP cache keep a
//! copy, and ask whether it changed with `If-None-Match`, which costs a 304 and no body).
//!
//! The files are compiled into the binary, so a `campo` binary copied alone serves its app;
//! `campo serve --static-dir DIR` serves a directory instead (read once at start-up), for
//! working on the app.

use std::{
    collections::HashMap,
    io::{self, Read, Write},
    path::Path,
    sync::{Arc, OnceLock},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use include_dir::{Dir, include_dir};

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../static");

/// The app's files by URL path (`/index.html`, `/screens/form.js`).
pub struct WebApp {
    files: HashMap<String, Asset>,
}

struct Asset {
    raw: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

impl WebApp {
    /// The app compiled into the binary.
    pub fn embedded() -> WebApp {
        WebApp::from_embedded(&EMBEDDED)
    }

    /// The files of a directory compiled into the binary (the app, or the guide).
    pub fn from_embedded(root: &'static Dir<'static>) -> WebApp {
        let mut files = HashMap::new();
        let mut pending = vec![root];
        while let Some(dir) = pending.pop() {
            for file in dir.files() {
                files.insert(url_path(file.path()), Asset::new(Bytes::from_static(file.contents()), file.path()));
            }
            pending.extend(dir.dirs());
        }
        WebApp { files }
    }

    /// The app in `dir`, read now.
    pub fn from_dir(dir: &Path) -> io::Result<WebApp> {
        let mut files = HashMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current)? {
                let path = entry?.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                    files.insert(url_path(&rel), Asset::new(Bytes::from(std::fs::read(&path)?), &rel));
                }
            }
        }
        Ok(WebApp { files })
    }

    /// Compresses every file now (the server calls it in the background at start-up, so the
    /// first visitors get compressed files without waiting for it).
    pub fn precompress(&self) {
        for asset in self.files.values() {
            if asset.compressible() {
                asset.brotli();
                asset.gzip();
            }
        }
    }

    /// The answer for `GET`/`HEAD` of `path`, or `None` when the app has no such file.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        let path = if path.ends_with('/') { format!("{path}index.html") } else { path.to_string() };
        let asset = self.files.get(&path)?;
        let mut response_headers = HeaderMap::new();
        response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response_headers.insert(header::ETAG, asset.etag.clone());
        response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if headers.get(header::IF_NONE_MATCH).is_some_and(|tags| etag_matches(tags, &asset.etag)) {
            return Some((StatusCode::NOT_MODIFIED, response_headers).into_response());
        }
        let (encoding, body) = match Encoding::accepted(headers) {
            Encoding::Brotli if asset.compressible() => (Some("br"), asset.brotli()),
            Encoding::Brotli | Encoding::Gzip if asset.compressible() => (Some("gzip"), asset.gzip()),
            _ => (None, asset.raw.clone()),
        };
        if let Some(encoding) = encoding {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        let body = if method == Method::HEAD { Bytes::new() } else { body };
        Some((StatusCode::OK, response_headers, body).into_response())
    }
}

impl Asset {
    fn new(raw: Bytes, path: &Path) -> Asset {
        let digest = campo_domain::sha256_hex(&raw);
        // 64 bits of the content's sha256 tell two versions of one file apart; headers are a
        // good part of what a phone downloads for the app's small files.
        let etag = HeaderValue::from_str(&format!("\"{}\"", &digest[..16])).unwrap_or(HeaderValue::from_static("\"0\""));
        Asset { raw, content_type: content_type(path), etag, brotli: OnceLock::new(), gzip: OnceLock::new() }
    }

    /// Text and WebAssembly shrink; images that are already compressed do not.
    fn compressible(&self) -> bool {
        self.raw.len() >= 256 && !self.content_type.starts_with("image/png")
    }

    fn brotli(&self) -> Bytes {
        self.brotli.get_or_init(|| compress_brotli(&self.raw).unwrap_or_else(|_| self.raw.clone())).clone()
    }

    fn gzip(&self) -> Bytes {
        self.gzip.get_or_init(|| compress_gzip(&self.raw).unwrap_or_else(|_| self.raw.clone())).clone()
    }
}

/// An encoding the client accepts, best first: brotli, then gzip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// What `Accept-Encoding` allows (a coding with `q=0` is refused).
    pub fn accepted(headers: &HeaderMap) -> Encoding {
        let accepts = |coding: &str| {
            headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let name = parts.next().unwrap_or("");
                let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
                name.eq_ignore_ascii_case(coding) && !refused
            })
        };
        if accepts("br") {
            Encoding::Brotli
        } else if accepts("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// Brotli at its densest: these bytes are compressed once and sent many times.
pub fn compress_brotli(raw: &[u8]) -> io::Result<Bytes> {
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let mut out = Vec::with_capacity(raw.len() / 3);
    brotli::BrotliCompress(&mut &raw[..], &mut out, &params)?;
    Ok(Bytes::from(out))
}

pub fn compress_gzip(raw: &[u8]) -> io::Result<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 3), flate2::Compression::best());
    encoder.write_all(raw)?;
    Ok(Bytes::from(encoder.finish()?))
}

/// Decompresses brotli (for tests).
pub fn decompress_brotli(compressed: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    brotli::Decompressor::new(compressed, 4096).read_to_end(&mut out)?;
    Ok(out)
}

fn etag_matches(tags: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = tags.to_str() else { return false };
    let ours = etag.to_str().unwrap_or("");
    tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == ours)
}

fn url_path(rel: &Path) -> String {
    let rel = rel.to_string_lossy().replace('\\', "/");
    format!("/{}", rel.trim_start_matches('/'))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "wasm" => "application/wasm",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "eot" => "application/vnd.ms-fontobject",
        _ => "application/octet-stream",
    }
}

/// The compressed bytes of each plugin module sent so far, by hash: modules never change, so
/// each is compressed once per process (brotli 11 takes a noticeable moment on 200 KB).
#[derive(Default)]
pub struct CompressedPlugins {
    brotli: std::sync::Mutex<HashMap<campo_domain::PluginHash, Bytes>>,
}

/// Plugins compressed and kept: more would be an unusual study count; the cache starts over.
const MAX_COMPRESSED_PLUGINS: usize = 64;

impl CompressedPlugins {
    pub async fn brotli(self: &Arc<Self>, hash: &campo_domain::PluginHash, raw: Vec<u8>) -> Bytes {
        if let Some(found) = self.brotli.lock().ok().and_then(|m| m.get(hash).cloned()) {
            return found;
        }
        let compressed = tokio::task::spawn_blocking(move || compress_brotli(&raw).unwrap_or_else(|_| Bytes::from(raw)))
            .await
            .unwrap_or_default();
        if let Ok(mut cache) = self.brotli.lock() {
            if cache.len() >= MAX_COMPRESSED_PLUGINS {
                cache.clear();
            }
            cache.insert(hash.clone(), compressed.clone());
        }
        compressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn the_best_accepted_encoding_wins() {
        assert_eq!(Encoding::accepted(&headers(&[("accept-encoding", "gzip, deflate, br")])), Encoding::Brotli);
        assert_eq!(Encoding::accepted(&headers(&[("accept-encoding", "gzip")])), Encoding::Gzip);
        assert_eq!(Encoding::accepted(&headers(&[("accept-encoding", "br;q=0, gzip;q=0.5")])), Encoding::Gzip);
        assert_eq!(Encoding::accepted(&headers(&[])), Encoding::Identity);
    }

    #[test]
    fn the_embedded_app_is_served_compressed_and_revalidated() {
        let app = WebApp::embedded();
        let response = app.respond(&Method::GET, "/", &headers(&[("accept-encoding", "br")])).expect("index");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = response.headers()[header::ETAG].clone();
        let again = app.respond(&Method::GET, "/index.html", &[(header::IF_NONE_MATCH, etag)].into_iter().collect()).expect("index");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(app.respond(&Method::GET, "/nope.js", &HeaderMap::new()).is_none());
    }

    #[test]
    fn compression_round_trips() {
        let text = "¿Acepta participar en la entrevista? ".repeat(50);
        assert_eq!(decompress_brotli(&compress_brotli(text.as_bytes()).unwrap()).unwrap(), text.as_bytes());
        assert!(compress_gzip(text.as_bytes()).unwrap().len() < text.len() / 4);
    }
}
