//! Re-scoring, end to end: a new scoring plugin is uploaded, every response is re-scored in
//! batches (from the CLI and over HTTP), an interrupted job resumes where it stopped, each score
//! keeps the hash of the plugin that produced it, and exports and the codebook say which.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const STUDY: &str = "ejemplo-hogares";
const BASE: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar";

/// The example study's plugin with an extra custom section: the same scoring, another sha256
/// (what a designer's rebuilt plugin looks like to Campo).
fn variant_plugin() -> Vec<u8> {
    let mut wasm = std::fs::read(study_dir(STUDY).join("plugins/ejemplo_hogares.wasm")).unwrap();
    let name = b"campo-rescore-test";
    let payload = b"variant 2";
    wasm.push(0); // a custom section
    wasm.push((1 + name.len() + payload.len()) as u8);
    wasm.push(name.len() as u8);
    wasm.extend_from_slice(name);
    wasm.extend_from_slice(payload);
    wasm
}

/// A server with `n` generated responses whose stored scores were wiped (so re-scoring has
/// something to recompute), and the variant plugin uploaded; returns (app, designer, sha256).
fn app_with_responses(n: usize) -> (TestApp, String, String) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(STUDY));
    let enumerator = app.token("enumerator", Some(STUDY));
    for body in generate(STUDY, "hogar", n, 11) {
        let reply = app.post_json(&format!("{BASE}/submissions"), Some(&enumerator), &body);
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    app.db.rows("UPDATE submissions SET scores = '{}'");
    let designer = app.token("designer", None);
    let uploaded = app.post_raw("/api/v1/plugins", Some(&designer), variant_plugin(), "application/wasm");
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let hash = uploaded.json()["sha256"].as_str().unwrap().to_string();
    (app, designer, hash)
}

fn rescored(app: &TestApp, hash: &str) -> i64 {
    app.db.count(&format!("SELECT COUNT(*) FROM submissions WHERE score_plugins LIKE '%{hash}%' AND scores LIKE '%ingreso_per_capita%'"))
}

#[test]
fn the_cli_rescores_in_batches_and_resumes_after_an_interruption() {
    let (app, _, hash) = app_with_responses(25);
    let original: String = app.db.rows("SELECT scoring_plugin FROM submissions LIMIT 1")[0][0].clone();
    assert_ne!(original, hash);

    // Interrupted after one batch of 10: those 10 are committed with the job's cursor.
    let (ok, _, err) = campo(&["rescore", STUDY, "hogar", "--db", &app.db.url, "--plugin", &hash, "--batch", "10", "--max-batches", "1"]);
    assert!(ok, "{err}");
    assert!(err.contains("run the same command again to resume"), "{err}");
    assert_eq!(rescored(&app, &hash), 10);
    let job = &app.db.rows("SELECT state, done, total FROM rescore_jobs")[0];
    assert_eq!(job, &["running", "10", "25"]);

    // The same command resumes the job instead of starting over.
    let (ok, _, err) = campo(&["rescore", STUDY, "hogar", "--db", &app.db.url, "--plugin", &hash, "--batch", "10"]);
    assert!(ok, "{err}");
    assert!(err.contains("resuming re-scoring job 1 at 10/25"), "{err}");
    assert_eq!(rescored(&app, &hash), 25);
    assert_eq!(app.db.rows("SELECT state, done, failed FROM rescore_jobs"), vec![vec!["done", "25", "0"]]);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM rescore_jobs"), 1);
    // Starting and resuming are in the audit log.
    assert_eq!(app.db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'rescore.start'"), 2);

    // The scores are back, each with the plugin that produced it; the export says which.
    let scores: Value = serde_json::from_str(&app.db.rows("SELECT scores FROM submissions LIMIT 1")[0][0]).unwrap();
    assert!(scores["ingreso_per_capita"]["category"].is_string(), "{scores}");
    let analyst = app.token("analyst", Some(STUDY));
    let export = app.get(&format!("{BASE}/export.csv?format=csv"), Some(&analyst));
    let rows = csv_rows(&export.bytes);
    let column = rows[0].iter().position(|h| h == "scoring_plugin").unwrap();
    assert!(rows[1..].iter().all(|r| r[column] == hash), "exports name the re-scoring plugin");
    let codebook = app.get(&format!("{BASE}/codebook.csv"), Some(&analyst)).text();
    assert!(codebook.contains(&hash), "the codebook names the re-scoring plugin");
}

#[test]
fn rescoring_over_http_runs_in_the_background_for_designers_only() {
    let (app, designer, hash) = app_with_responses(12);
    let analyst = app.token("analyst", Some(STUDY));
    let path = format!("{BASE}/rescore");
    assert_eq!(app.post_json(&path, Some(&analyst), &json!({"plugin": hash})).status, 403);
    assert_eq!(app.post_json(&path, Some(&designer), &json!({"plugin": "ab".repeat(32)})).status, 404);
    assert_eq!(app.post_json(&path, Some(&designer), &json!({"plugin": "nope"})).status, 400);

    let started = app.post_json(&path, Some(&designer), &json!({"plugin": format!("sha256:{hash}")}));
    assert_eq!(started.status, 202, "{}", started.text());
    let job = started.json()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = app.get(&format!("{path}/{job}"), Some(&designer)).json();
        if status["state"] != "running" || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["done"], 12);
    assert_eq!(rescored(&app, &hash), 12);
    assert_eq!(app.get(&format!("{path}/999"), Some(&designer)).status, 404);
}

#[test]
fn a_plugin_that_does_not_fit_the_form_is_refused_and_nothing_changes() {
    let (app, designer, _) = app_with_responses(3);
    // The mujeres-migrantes scoring plugin expects another questionnaire (and declares other scores).
    let foreign = std::fs::read(study_dir("mujeres-migrantes-rm").join("plugins/mujeres_migrantes_scoring.wasm")).unwrap();
    let uploaded = app.post_raw("/api/v1/plugins", Some(&designer), foreign, "application/wasm");
    assert!(uploaded.status == 201 || uploaded.status == 200, "{}", uploaded.text());
    let hash = uploaded.json()["sha256"].as_str().unwrap().to_string();
    let (ok, _, err) = campo(&["rescore", STUDY, "hogar", "--db", &app.db.url, "--plugin", &hash]);
    assert!(!ok, "an incompatible plugin fails the job");
    assert!(err.contains("cannot re-score"), "{err}");
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions WHERE score_plugins IS NOT NULL"), 0);
    assert_eq!(app.db.rows("SELECT state FROM rescore_jobs")[0][0], "failed");
}
