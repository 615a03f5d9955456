//! The walking skeleton, end to end against the real server on a real SQLite file and on a
//! real PostgreSQL database: install, tokens and roles, submissions (and every bad input),
//! generation, export, OpenAPI, logs. Each test runs on both (`NAME::sqlite`, `NAME::postgres`).

mod common;

use common::*;
use serde_json::{Value, json};

const SUBMIT: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/submissions";
const EXPORT: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/export.csv";

fn valid_body() -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "answers": {
            "consentimiento": "si", "fecha": "2026-05-04", "jefa": {"edad": 40}, "comuna": "santiago",
            "miembros": [{"parentesco": "hijo", "edad": 10}], "fuentes": ["trabajo"], "ingreso_mensual": 800000
        }
    })
}

crate::on_both_backends!(
    health_and_migrations_on_start,
    installing_is_idempotent_and_a_changed_version_is_refused,
    a_bad_bundle_is_refused_with_its_reason,
    tokens_are_stored_hashed_and_roles_are_enforced,
    a_submission_is_stored_once_with_its_scores_and_metadata,
    every_bad_input_gets_a_clear_error_and_stores_nothing,
    generated_responses_are_reproducible_and_all_accepted,
    concurrent_submissions_and_retries_share_commits_and_stay_exact,
    the_export_streams_metadata_answers_then_scores,
    the_openapi_document_describes_every_route_the_router_serves,
    every_log_line_of_a_request_carries_its_request_id,
    sigterm_drains_and_exits_cleanly,
);

fn submissions(app: &TestApp) -> i64 {
    app.db.count("SELECT COUNT(*) FROM submissions")
}

fn health_and_migrations_on_start(backend: Backend) {
    let app = TestApp::spawn_empty(backend);
    assert_eq!(app.get("/healthz", None).status, 200);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM studies"), 0, "migrations created the tables");
}

fn installing_is_idempotent_and_a_changed_version_is_refused(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let admin = app.token("admin", None);
    // The same bundle again: nothing changes.
    app.install(&study_dir("ejemplo-hogares"));
    assert_eq!(app.db.count("SELECT COUNT(*) FROM form_versions"), 1);

    // The same version number with a different schema: refused, nothing changed.
    let changed = tempfile::tempdir().unwrap();
    copy_dir(&study_dir("ejemplo-hogares"), changed.path());
    let schema_path = changed.path().join("schemas/hogar.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    schema["properties"]["jefa"]["properties"]["edad"]["minimum"] = json!(15);
    std::fs::write(&schema_path, schema.to_string()).unwrap();
    let (ok, _, err) = campo(&["study", "install", changed.path().to_str().unwrap(), "--db", &app.db.url]);
    assert!(!ok);
    assert!(err.contains("different content"), "{err}");
    let stored = app.db.rows("SELECT schema_json FROM form_versions")[0][0].clone();
    assert!(stored.contains("\"minimum\":18"), "the published version was not touched");

    // Over HTTP: same bundle 200, changed bundle 409, bump the version 201.
    let upload = |dir: &std::path::Path| bundle_upload(dir);
    assert_eq!(app.post_json("/api/v1/studies", Some(&admin), &upload(&study_dir("ejemplo-hogares"))).status, 200);
    let refused = app.post_json("/api/v1/studies", Some(&admin), &upload(changed.path()));
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(refused.code(), "version_conflict");
    let manifest_path = changed.path().join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap().replace("\"version\": \"1\"", "\"version\": \"2\"");
    std::fs::write(&manifest_path, manifest).unwrap();
    let published = app.post_json("/api/v1/studies", Some(&admin), &upload(changed.path()));
    assert_eq!(published.status, 201, "{}", published.text());
    let study = app.get("/api/v1/studies/ejemplo-hogares", Some(&admin)).json();
    assert_eq!(study["forms"][0]["latest_version"], "2");
    assert_eq!(study["forms"][0]["versions"].as_array().unwrap().len(), 2);
}

fn a_bad_bundle_is_refused_with_its_reason(backend: Backend) {
    let app = TestApp::spawn_empty(backend);
    let designer = app.token("designer", None);
    let mut upload = bundle_upload(&study_dir("ejemplo-hogares"));
    upload["manifest"]["forms"][0]["title"] = json!({"es": "Sin inglés"});
    let reply = app.post_json("/api/v1/studies", Some(&designer), &upload);
    assert_eq!(reply.status, 422);
    assert!(reply.json()["message_en"].as_str().unwrap().contains("title"), "{}", reply.text());
    assert_eq!(app.db.count("SELECT COUNT(*) FROM studies"), 0);
}

fn tokens_are_stored_hashed_and_roles_are_enforced(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let analyst = app.token("analyst", Some("ejemplo-hogares"));
    assert!(enumerator.starts_with("campo_"));
    let stored: Vec<String> = app.db.rows("SELECT hash FROM tokens").into_iter().map(|r| r[0].clone()).collect();
    assert!(!stored.contains(&enumerator), "the secret itself is never stored");
    assert_eq!(stored.len(), 2);

    assert_eq!(app.post_json(SUBMIT, None, &valid_body()).status, 401);
    assert_eq!(app.post_json(SUBMIT, Some("campo_not-a-token"), &valid_body()).status, 401);
    assert_eq!(app.post_json(SUBMIT, Some(&analyst), &valid_body()).status, 403);
    assert_eq!(app.get(EXPORT, Some(&enumerator)).status, 403);
    assert_eq!(app.get("/api/v1/studies", None).status, 401);
    assert_eq!(app.get("/api/v1/plugins", Some(&enumerator)).status, 403);
    assert_eq!(submissions(&app), 0);

    // A token limited to another study sees nothing of this one.
    app.install(&study_dir("ejemplo-hogares"));
    let (ok, _, err) = campo(&["token", "create", "--db", &app.db.url, "--role", "enumerator", "--study", "otro-estudio"]);
    assert!(!ok && err.contains("no study"), "{err}");
}

fn a_submission_is_stored_once_with_its_scores_and_metadata(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let body = valid_body();
    let first = app.post_json(SUBMIT, Some(&enumerator), &body);
    assert_eq!(first.status, 201, "{}", first.text());
    let receipt = first.json();
    assert_eq!(receipt["id"], body["id"]);
    assert_eq!(receipt["version"], "1");
    assert_eq!(receipt["scores"]["ingreso_per_capita"]["value"], json!(400000.0));
    assert_eq!(receipt["scores"]["ingreso_per_capita"]["category"], "sobre_linea");

    // A retry: 200, the same result, nothing stored twice.
    let again = app.post_json(SUBMIT, Some(&enumerator), &body);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["scores"], receipt["scores"]);
    assert_eq!(submissions(&app), 1);

    // Same id, different body: 409, nothing changed.
    let mut changed = body.clone();
    changed["answers"]["ingreso_mensual"] = json!(900000);
    assert_eq!(app.post_json(SUBMIT, Some(&enumerator), &changed).status, 409);
    assert_eq!(submissions(&app), 1);

    let row = &app.db.rows("SELECT id, version, enumerator, logic_plugin, scoring_plugin, answers FROM submissions")[0];
    assert_eq!(row[0], body["id"].as_str().unwrap());
    assert_eq!(row[1], "1");
    assert_eq!(row[2], "enumerator@ejemplo-hogares");
    assert_eq!(row[3].len(), 64, "the logic plugin's sha256 is pinned");
    let answers: Value = serde_json::from_str(&row[5]).unwrap();
    assert_eq!(answers["n_personas"], 2, "the computed value from the logic plugin is stored");
}

fn every_bad_input_gets_a_clear_error_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let token = Some(enumerator.as_str());

    let malformed = app.post_raw(SUBMIT, token, b"{\"id\": \"x\", \"answers\": {".to_vec(), "application/json");
    assert_eq!((malformed.status, malformed.code().as_str()), (400, "malformed_json"));

    let not_uuid = app.post_json(SUBMIT, token, &json!({"id": "x", "answers": {}}));
    assert_eq!((not_uuid.status, not_uuid.code().as_str()), (422, "invalid_body"));

    let mut big = valid_body();
    big["answers"]["jefa"]["nombre"] = json!("a".repeat(2 << 20));
    // On its own connection: the server closes a connection whose body it refused unread, and a
    // pooled connection reused right after could meet that close.
    let own_connection = reqwest::blocking::Client::new()
        .post(format!("{}{SUBMIT}", app.url))
        .header("content-type", "application/json")
        .body(big.to_string());
    let too_big = app.send(own_connection, token);
    assert_eq!((too_big.status, too_big.code().as_str()), (413, "body_too_large"));

    // Schema violations: every error, each with its JSON Pointer.
    let mut wrong = valid_body();
    wrong["answers"]["jefa"]["edad"] = json!(7);
    wrong["answers"]["comuna"] = json!("atlantida");
    wrong["answers"]["fecha"] = json!("ayer");
    let reply = app.post_json(SUBMIT, token, &wrong);
    assert_eq!((reply.status, reply.code().as_str()), (422, "invalid_response"));
    let mut paths: Vec<String> = reply.json()["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/comuna", "/fecha", "/jefa/edad"]);

    // The logic plugin: an answer to a question that is not relevant, a missing required
    // answer, a constraint, each with its code and Spanish and English messages.
    let mut logic = valid_body();
    logic["answers"]["consentimiento"] = json!("no");
    let reply = app.post_json(SUBMIT, token, &logic);
    assert_eq!(reply.status, 422);
    assert!(reply.json()["errors"].as_array().unwrap().iter().all(|e| e["code"] == "not_relevant"));
    let mut logic = valid_body();
    logic["answers"].as_object_mut().unwrap().remove("comuna");
    logic["answers"]["fuentes"] = json!(["ninguna", "trabajo"]);
    let errors = app.post_json(SUBMIT, token, &logic).json()["errors"].clone();
    let codes: Vec<(&str, &str)> = errors.as_array().unwrap().iter().map(|e| (e["path"].as_str().unwrap(), e["code"].as_str().unwrap())).collect();
    assert!(codes.contains(&("/comuna", "required")), "{codes:?}");
    assert!(codes.contains(&("/fuentes", "ninguna_exclusiva")), "{codes:?}");
    assert!(errors.as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty() && !e["message_en"].as_str().unwrap().is_empty()));

    // Unknown study, form, version.
    assert_eq!(app.post_json("/api/v1/studies/nada/forms/hogar/submissions", token, &valid_body()).status, 403);
    let admin = app.token("admin", None);
    assert_eq!(app.post_json("/api/v1/studies/nada/forms/hogar/submissions", Some(&admin), &valid_body()).status, 404);
    assert_eq!(app.post_json("/api/v1/studies/ejemplo-hogares/forms/nada/submissions", token, &valid_body()).status, 404);
    let mut versioned = valid_body();
    versioned["version"] = json!("99");
    assert_eq!(app.post_json(SUBMIT, token, &versioned).status, 404);
    assert_eq!(app.get("/api/v1/studies/nada", Some(&admin)).status, 404);

    assert_eq!(submissions(&app), 0, "nothing was stored");
    assert_eq!(app.get("/healthz", None).status, 200, "the server keeps serving");
}

fn generated_responses_are_reproducible_and_all_accepted(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 60, 42);
    assert_eq!(bodies, generate("ejemplo-hogares", "hogar", 60, 42), "same seed, same bodies");
    assert_ne!(bodies, generate("ejemplo-hogares", "hogar", 60, 43));
    for body in &bodies {
        let reply = app.post_json(SUBMIT, Some(&enumerator), body);
        assert_eq!(reply.status, 201, "{body}: {}", reply.text());
    }
    assert_eq!(submissions(&app), 60);
}

/// Submissions commit in batches (group commit): whatever arrives while one commit runs goes
/// into the next. 120 bodies sent at once from 24 threads, each of them twice in flight at the
/// same time, plus for 20 of them a different body under the same id: every id is stored once,
/// exactly one of its twins is 201 and the other 200, each changed body is 409, and every stored
/// row has its own answers and its audit entry.
fn concurrent_submissions_and_retries_share_commits_and_stay_exact(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 120, 7);
    let mut sends: Vec<(usize, Value)> = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        sends.push((i, body.clone()));
        sends.push((i, body.clone()));
        if i % 6 == 0 {
            let mut changed = body.clone();
            changed["answers"]["ingreso_mensual"] = json!(12_345_678);
            sends.push((i, changed));
        }
    }
    // Interleave so twins land in the same batch as often as in different ones.
    sends.sort_by_key(|(i, body)| (i % 24, body["answers"]["ingreso_mensual"] == json!(12_345_678), *i));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let replies = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..24 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((i, body)) = sends.get(n) else { break };
                    let changed = body["answers"]["ingreso_mensual"] == json!(12_345_678);
                    let reply = app.post_json(SUBMIT, Some(&enumerator), body);
                    replies.lock().unwrap().push((*i, changed, reply.status, reply.text()));
                }
            });
        }
    });
    let replies = replies.into_inner().unwrap();
    for i in 0..bodies.len() {
        let same: Vec<u16> = replies.iter().filter(|r| r.0 == i && !r.1).map(|r| r.2).collect();
        let mut sorted = same.clone();
        sorted.sort();
        // A changed body may be stored first; then both twins are 409.
        let changed: Vec<u16> = replies.iter().filter(|r| r.0 == i && r.1).map(|r| r.2).collect();
        match changed.as_slice() {
            [201] => assert_eq!(sorted, [409, 409], "id {i}: the changed body won, the twins conflict"),
            [] | [409] => assert_eq!(sorted, [200, 201], "id {i}: one twin stored, the other replayed: {replies:?}"),
            other => panic!("id {i}: changed body answered {other:?}"),
        }
    }
    assert_eq!(submissions(&app), 120, "every id stored once");
    let ids: std::collections::HashSet<String> = app.db.rows("SELECT id FROM submissions").into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids.len(), 120);
    for body in &bodies {
        let id = body["id"].as_str().unwrap();
        let stored = &app.db.rows(&format!("SELECT answers FROM submissions WHERE id = '{id}'"))[0][0];
        let stored: Value = serde_json::from_str(stored).unwrap();
        let changed = stored["ingreso_mensual"] == json!(12_345_678);
        if !changed {
            assert_eq!(stored["comuna"], body["answers"]["comuna"], "{id} holds its own answers");
        }
    }
    app.db.wait_until_audited();
    assert_eq!(app.db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.create'"), 120, "one audit entry per stored row");
}

fn the_export_streams_metadata_answers_then_scores(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let analyst = app.token("analyst", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 25, 7);
    for body in &bodies {
        assert_eq!(app.post_json(SUBMIT, Some(&enumerator), body).status, 201);
    }
    // The example form has a repeat group, so its full export is a ZIP (tests/exports.rs);
    // `format=csv` asks for the main table alone.
    let reply = app.get(&format!("{EXPORT}?format=csv"), Some(&analyst));
    assert_eq!(reply.status, 200);
    assert!(reply.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let rows = csv_rows(&reply.bytes);
    let header = &rows[0];
    assert_eq!(&header[..6], &["submission_id", "received_at", "enumerator", "form_version", "logic_plugin", "scoring_plugin"]);
    let position = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    assert!(position("jefa/edad") < position("score/ingreso_per_capita"), "answers before scores");
    assert!(position("fuentes/ninguna") > position("fuentes"));
    assert_eq!(rows.len(), 26);
    for (row, body) in rows[1..].iter().zip(&bodies) {
        assert_eq!(row[0], body["id"].as_str().unwrap(), "in the order received");
        let edad = body["answers"]["jefa"]["edad"].as_i64().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(row[position("jefa/edad")], edad);
    }
}

fn the_openapi_document_describes_every_route_the_router_serves(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let doc = app.get("/api/v1/openapi.json", None).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 6);
    // Every documented operation is served: without a token it answers 401 (never 404 or 405),
    // and each documents its error bodies.
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let concrete = path.replace("{study}", "ejemplo-hogares").replace("{form}", "hogar");
            let request = app.http.request(method.to_uppercase().parse().unwrap(), format!("{}{concrete}", app.url));
            let status = app.send(request, None).status;
            if path == "/healthz" {
                assert_eq!(status, 200);
                continue;
            }
            // Signing in needs no token: a body that is not JSON is a 415.
            if path == "/api/v1/session" && method == "post" {
                assert_eq!(status, 415);
                continue;
            }
            assert_eq!(status, 401, "{method} {path} answered {status}");
            assert!(operation["responses"]["401"].is_object(), "{method} {path} documents its 401");
        }
    }
}

fn every_log_line_of_a_request_carries_its_request_id(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let reply = app.post_json(SUBMIT, Some(&enumerator), &valid_body());
    let request_id = reply.headers["x-request-id"].to_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let lines: Vec<Value> = app.logs().iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let stored = lines.iter().find(|l| l["fields"]["message"] == "submission stored").expect("a log line for the submission");
    assert_eq!(stored["span"]["request_id"], request_id.as_str());
}

fn sigterm_drains_and_exits_cleanly(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    assert!(app.terminate(), "campo exits 0 on SIGTERM");
}


/// A bundle directory as the HTTP install body.
fn bundle_upload(dir: &std::path::Path) -> Value {
    use base64::Engine as _;
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut files = serde_json::Map::new();
    for form in manifest["forms"].as_array().unwrap() {
        for key in ["schema", "logic", "scoring"] {
            if let Some(path) = form[key].as_str() {
                let bytes = std::fs::read(dir.join(path)).unwrap();
                files.insert(path.to_string(), json!(base64::engine::general_purpose::STANDARD.encode(bytes)));
            }
        }
    }
    json!({"manifest": manifest, "files": files})
}
