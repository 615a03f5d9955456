//! Hardening, from outside, against the real server: a CPU-starved machine never turns a valid
//! response into a 4xx; sign-in counts parallel guesses, treats unknown names like known ones
//! and keeps its memory under a flood; every answer carries the security headers; and every
//! bad request gets the right status and Campo's JSON error, in Spanish, without echoing what
//! it was sent.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Backend, Reply, TestApp, TestDb, campo_with_stdin, generate, study_dir};
use serde_json::{Value, json};

const STUDY: &str = "mujeres-migrantes-rm";
const SUBMIT: &str = "/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/submissions";

fn app_with_mujeres() -> (TestApp, String) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(STUDY));
    let enumerator = app.token("enumerator", Some(STUDY));
    (app, enumerator)
}

/// Submits like the enumerator app's outbox: a 503 with `Retry-After` is tried again.
fn submit_with_retries(app: &TestApp, token: &str, body: &Value) -> (u16, String, u32) {
    let mut busy = 0;
    loop {
        let reply = app.post_json(SUBMIT, Some(token), body);
        if reply.status == 503 && busy < 30 {
            assert!(reply.headers.contains_key("retry-after"), "a 503 says when to retry: {}", reply.text());
            assert_eq!(reply.code(), "server_busy", "{}", reply.text());
            busy += 1;
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        return (reply.status, reply.text(), busy);
    }
}

#[test]
fn a_cpu_starved_server_never_refuses_a_valid_response() {
    let (app, enumerator) = app_with_mujeres();
    let bodies = generate(STUDY, "cuestionario", 600, 11);
    // Three busy loops per core, for as long as the submissions take (bounded).
    let stop = Arc::new(AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hogs: Vec<_> = (0..3 * cores)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                std::hint::black_box(x);
            })
        })
        .collect();
    let app = Arc::new(app);
    let chunks: Vec<Vec<Value>> = bodies.chunks(bodies.len() / 32).map(<[Value]>::to_vec).collect();
    let results: Vec<(u16, String, u32)> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (app, enumerator) = (app.clone(), enumerator.clone());
                scope.spawn(move || chunk.iter().map(|body| submit_with_retries(&app, &enumerator, body)).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    stop.store(true, Ordering::Relaxed);
    for hog in hogs {
        hog.join().unwrap();
    }
    let refused: Vec<&(u16, String, u32)> = results.iter().filter(|(status, _, _)| *status != 201).collect();
    assert!(refused.is_empty(), "{} of {} valid responses refused under load, e.g. {:?}", refused.len(), results.len(), refused.first());
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), bodies.len() as i64);
}

fn person(app: &TestApp, username: &str, password: &str) {
    let (ok, out, err) = campo_with_stdin(&["user", "create", username, "--name", "Ana Prueba", "--db", &app.db.url], &format!("{password}\n"));
    assert!(ok, "user create: {out}{err}");
}

fn sign_in(app: &TestApp, user: &str, password: &str) -> Reply {
    app.post_json("/api/v1/session", None, &json!({"user": user, "password": password}))
}

#[test]
fn parallel_guesses_count_and_unknown_names_are_treated_like_known_ones() {
    let app = Arc::new(TestApp::spawn_empty(Backend::Sqlite));
    person(&app, "ana", "una-clave-de-prueba-1");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40).map(|i| {
            let app = app.clone();
            scope.spawn(move || sign_in(&app, "ana", &format!("mala-{i}")).status)
        }).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 3, "40 parallel guesses got {checked} real password checks: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    let waited = sign_in(&app, "ana", "mala-otra");
    assert_eq!(waited.status, 429);
    assert!(waited.headers.contains_key("retry-after"));

    // Four quick tries: the same answers for a name nobody has and for one that exists.
    person(&app, "beatriz", "otra-clave-de-prueba");
    let known: Vec<u16> = (0..4).map(|i| sign_in(&app, "beatriz", &format!("x{i}")).status).collect();
    let unknown: Vec<u16> = (0..4).map(|i| sign_in(&app, "nadie-conocido", &format!("x{i}")).status).collect();
    assert_eq!(known, vec![401, 401, 401, 429]);
    assert_eq!(unknown, known, "unknown names cannot be told apart from known ones");
}

#[test]
fn a_sign_in_flood_keeps_memory_flat_and_the_server_answering() {
    let app = Arc::new(TestApp::spawn_empty(Backend::Sqlite));
    let rss = |app: &TestApp| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", app.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM")).unwrap().to_string();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
    };
    assert_eq!(app.get("/healthz", None).status, 200);
    let flood = |seconds: u64| -> Vec<u16> {
        let end = Instant::now() + Duration::from_secs(seconds);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..48).map(|_| {
                let app = app.clone();
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    while Instant::now() < end {
                        seen.push(sign_in(&app, &uuid::Uuid::new_v4().simple().to_string(), "xxxxxxxxxxxx").status);
                    }
                    seen
                })
            }).collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        })
    };
    let before = rss(&app);
    let mut statuses = flood(4);
    let first = rss(&app);
    statuses.extend(flood(4));
    let second = rss(&app);
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{:?}", statuses.iter().find(|s| ![401, 429, 503].contains(*s)));
    assert!(statuses.contains(&429), "the per-address limit answered: {} tries", statuses.len());
    // A couple of argon2 checks at a time (19 MiB each) and the allocator's caches: a bounded
    // step at the start, then flat — a second flood as long as the first adds next to nothing.
    assert!(second - before <= 192, "the flood grew the server from {before} MiB to a peak of {second} MiB");
    assert!(second - first <= 32, "memory kept growing under the flood: {before} → {first} → {second} MiB");
    assert_eq!(app.get("/healthz", None).status, 200);
}

#[test]
fn every_answer_carries_the_security_headers() {
    let (app, _) = app_with_mujeres();
    let admin = app.token("admin", None);
    // Pages and the service worker: the app's policy.
    for path in ["/", "/sw.js", "/studies/mujeres-migrantes-rm/dashboard", "/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/codebook.html"] {
        let reply = app.get(path, Some(&admin));
        let csp = header(&reply, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{path}: {csp:?}");
        assert!(!csp.contains("unsafe-eval'") || csp.contains("wasm-unsafe-eval"), "{path}: no eval: {csp}");
    }
    // Data: nothing may run in it or frame it.
    for path in ["/api/v1/studies", "/api/v1/no-existe", "/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/export.csv"] {
        let reply = app.get(path, Some(&admin));
        assert_eq!(header(&reply, "content-security-policy"), "default-src 'none'; frame-ancestors 'none'", "{path}");
    }
    for path in ["/", "/app.js", "/api/v1/studies", "/api/v1/no-existe"] {
        let reply = app.get(path, Some(&admin));
        assert_eq!(header(&reply, "x-content-type-options"), "nosniff", "{path}");
    }
    for path in ["/", "/sw.js", "/studies/mujeres-migrantes-rm/dashboard"] {
        assert_eq!(header(&app.get(path, Some(&admin)), "referrer-policy"), "no-referrer", "{path}");
    }
}

fn header(reply: &Reply, name: &str) -> String {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[test]
fn the_session_cookie_is_secure_when_campo_is_served_over_https() {
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite), &["--public-url", "https://campo.example.org"]);
    person(&app, "ana", "una-clave-de-prueba-1");
    let reply = sign_in(&app, "ana", "una-clave-de-prueba-1");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let cookie = reply.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");

    // Served over plain HTTP (a laptop in the field office), the cookie must still work there.
    let plain = TestApp::spawn_empty(Backend::Sqlite);
    person(&plain, "ana", "una-clave-de-prueba-1");
    let cookie = sign_in(&plain, "ana", "una-clave-de-prueba-1").headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

/// A Spanish message with no English words in it.
fn assert_spanish_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(!body["message_en"].as_str().unwrap().is_empty());
    for english in [" the ", " is ", " not ", " must ", "invalid", "expected", "found", "feature"] {
        assert!(!format!(" {message} ").contains(english), "English in the Spanish message: {message}");
    }
}

#[test]
fn bad_requests_get_the_right_status_and_one_error_shape() {
    let (app, enumerator) = app_with_mujeres();
    let admin = app.token("admin", None);
    let valid = generate(STUDY, "cuestionario", 1, 5).remove(0);
    let text = valid.to_string();

    // The content type is part of the contract.
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let request = app.http.post(format!("{}{SUBMIT}", app.url)).body(text.clone());
        let request = if content_type.is_empty() { request } else { request.header("content-type", content_type) };
        assert_spanish_error(&app.send(request, Some(&enumerator)), 415, "unsupported_media_type");
    }
    assert_eq!(app.post_raw(SUBMIT, Some(&enumerator), text.clone().into_bytes(), "application/json; charset=utf-8").status, 201);

    // A key twice is refused, not guessed at.
    let duplicate = format!(r#"{{"id": "{}", "answers": {{"identificacion": {{"a05_edad": 200, "a05_edad": 44}}}}}}"#, uuid::Uuid::new_v4());
    let reply = app.post_raw(SUBMIT, Some(&enumerator), duplicate.into_bytes(), "application/json");
    assert_spanish_error(&reply, 400, "malformed_json");
    assert!(reply.json()["message"].as_str().unwrap().contains("a05_edad"));

    // Unreadable JSON is always 400 malformed_json.
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    for body in [b"{\"id\": \"\xff\"}".to_vec(), deep.into_bytes(), b"{\"id\":".to_vec(), Vec::new()] {
        assert_spanish_error(&app.post_raw(SUBMIT, Some(&enumerator), body, "application/json"), 400, "malformed_json");
    }

    // Errors outside the handlers are in the same shape.
    assert_spanish_error(&app.get("/api/v1/no-existe", Some(&admin)), 404, "not_found");
    assert_spanish_error(&app.get("/api/v1/audit?limit=abc", Some(&admin)), 400, "invalid_request");
    assert_spanish_error(&app.get("/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/rescore/abc", Some(&admin)), 400, "invalid_request");
    let wrong_method = app.send(app.http.post(format!("{}/healthz", app.url)), None);
    assert_spanish_error(&wrong_method, 405, "method_not_allowed");
    assert!(wrong_method.headers.contains_key("allow"));
    assert_spanish_error(&app.get("/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/export.csv?labels=xx", Some(&admin)), 400, "invalid_option");

    // A huge answer is named, not echoed.
    let mut huge = valid.clone();
    huge["id"] = json!(uuid::Uuid::new_v4().to_string());
    huge["answers"]["identificacion"]["a07_pais_otro"] = json!("x".repeat(1_000_000));
    let reply = app.post_raw(SUBMIT, Some(&enumerator), huge.to_string().into_bytes(), "application/json");
    assert!((400..500).contains(&reply.status), "{}", reply.status);
    assert!(reply.bytes.len() <= 16 * 1024, "a {} byte error for a 1 MB answer", reply.bytes.len());
    assert_eq!(app.get("/healthz", None).status, 200);
}

#[test]
fn signing_out_ends_sessions_and_leaves_api_tokens_alone() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    let admin = app.token("admin", None);
    let reply = app.send(app.http.delete(format!("{}/api/v1/session", app.url)), Some(&admin));
    assert_spanish_error(&reply, 409, "not_a_session");
    assert_eq!(app.get("/api/v1/me", Some(&admin)).status, 200, "the API token still works");

    person(&app, "ana", "una-clave-de-prueba-1");
    let session = sign_in(&app, "ana", "una-clave-de-prueba-1").json()["token"].as_str().unwrap().to_string();
    assert_eq!(app.send(app.http.delete(format!("{}/api/v1/session", app.url)), Some(&session)).status, 204);
    assert_eq!(app.get("/api/v1/me", Some(&session)).status, 401);
}

#[test]
fn a_bundle_sent_over_http_can_pin_a_registry_plugin_by_its_hash() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    let designer = app.token("admin", None);
    let dir = study_dir("ejemplo-hogares");
    let wasm_path = std::fs::read_dir(dir.join("plugins")).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "wasm")).unwrap();
    let wasm = std::fs::read(&wasm_path).unwrap();
    let uploaded = app.post_raw("/api/v1/plugins", Some(&designer), wasm.clone(), "application/wasm");
    assert!(uploaded.status == 200 || uploaded.status == 201, "{}", uploaded.text());
    let hash = uploaded.json()["sha256"].as_str().unwrap().to_string();

    let mut manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let relative = format!("plugins/{}", wasm_path.file_name().unwrap().to_str().unwrap());
    let mut files = serde_json::Map::new();
    for form in manifest["forms"].as_array_mut().unwrap() {
        for key in ["logic", "scoring"] {
            if form[key] == json!(relative) {
                form[key] = json!(format!("sha256:{hash}"));
            }
        }
        let schema = form["schema"].as_str().unwrap().to_string();
        files.insert(schema.clone(), json!(base64(&std::fs::read(dir.join(&schema)).unwrap())));
    }
    let reply = app.post_json("/api/v1/studies", Some(&designer), &json!({"manifest": manifest, "files": files}));
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.text());
    let pinned = app.db.rows("SELECT DISTINCT logic_plugin FROM form_versions WHERE study_id = 'ejemplo-hogares'");
    assert!(pinned.iter().any(|row| row[0] == hash), "{pinned:?} pins {hash}");
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
