//! Hostile plugins: each is refused at upload or stopped at run time with a clear error naming
//! the plugin and the limit, nothing is stored, and normal submissions keep succeeding.

mod common;

use common::*;
use serde_json::{Value, json};

const HOSTILE: &str = "/api/v1/studies/hostile-study/forms/f/submissions";
const NORMAL: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/submissions";

fn fixture(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// A core module that follows ABI v1's exports; `extra` adds or overrides functions.
fn abi_module(memory: &str, logic_body: &str, extra: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
            {memory}
            (global $heap (mut i32) (i32.const 4096))
            (func (export "campo_abi_v1"))
            (func (export "campo_alloc") (param $len i32) (result i32) (local $p i32)
                global.get $heap local.set $p
                global.get $heap local.get $len i32.add global.set $heap
                local.get $p)
            (func (export "campo_dealloc") (param i32 i32))
            (func (export "campo_logic") (param i32 i32) (result i64) {logic_body})
            {extra})"#
    ))
    .expect("valid WAT")
}

const MEMORY: &str = r#"(memory (export "memory") 1 256)"#;

fn upload(app: &TestApp, token: &str, wasm: Vec<u8>) -> Reply {
    app.post_raw("/api/v1/plugins", Some(token), wasm, "application/wasm")
}

#[test]
fn modules_the_host_would_refuse_are_refused_at_upload() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    let designer = app.token("designer", None);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a WASI import",
            wat::parse_str(format!(
                r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) {MEMORY}
                   (func (export "campo_abi_v1")) (func (export "campo_alloc") (param i32) (result i32) i32.const 0)
                   (func (export "campo_dealloc") (param i32 i32)) (func (export "campo_logic") (param i32 i32) (result i64) i64.const 0))"#
            ))
            .unwrap(),
            "wasi_snapshot_preview1::fd_write",
        ),
        (
            "an unknown import",
            wat::parse_str(format!(
                r#"(module (import "env" "steal_secrets" (func)) {MEMORY}
                   (func (export "campo_abi_v1")) (func (export "campo_alloc") (param i32) (result i32) i32.const 0)
                   (func (export "campo_dealloc") (param i32 i32)) (func (export "campo_logic") (param i32 i32) (result i64) i64.const 0))"#
            ))
            .unwrap(),
            "env::steal_secrets",
        ),
        ("no memory export", abi_module("(memory 1 256)", "i64.const 0", ""), "missing export memory"),
        ("no declared maximum", abi_module(r#"(memory (export "memory") 1)"#, "i64.const 0", ""), "declares no maximum"),
        ("a maximum over 16 MiB", abi_module(r#"(memory (export "memory") 1 65536)"#, "i64.const 0", ""), "maximum is 65536 pages"),
        (
            "a huge data segment",
            abi_module(MEMORY, "i64.const 0", &format!(r#"(data (i32.const 0) "{}")"#, "A".repeat(17 << 20))),
            "the limit is 8388608",
        ),
        (
            "no ABI marker",
            wat::parse_str(format!(
                r#"(module {MEMORY} (func (export "campo_alloc") (param i32) (result i32) i32.const 0)
                   (func (export "campo_dealloc") (param i32 i32)) (func (export "campo_logic") (param i32 i32) (result i64) i64.const 0))"#
            ))
            .unwrap(),
            "no ABI marker",
        ),
        ("an entry point of the wrong type", abi_module(MEMORY, "i64.const 0", "(func (export \"campo_score\") (param i32) (result i32) i32.const 0)"), "campo_score has the wrong type"),
        ("bytes that are not wasm", b"\0asm-but-not-really".to_vec(), "not a valid WebAssembly module"),
    ];
    for (what, wasm, expected) in cases {
        let reply = upload(&app, &designer, wasm);
        assert_eq!(reply.status, 422, "{what}: {}", reply.text());
        assert_eq!(reply.code(), "plugin_refused", "{what}");
        let message = reply.json()["message_en"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{what}: {message:?} should say {expected:?}");
        assert!(!reply.json()["message"].as_str().unwrap().is_empty(), "{what}: a Spanish message too");
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM plugins"), 0, "nothing refused was stored");

    // A good module is stored once, content-addressed, and listed.
    let good = std::fs::read(fixture("hostile-study/plugins/hostile_fixture.wasm")).unwrap();
    let first = upload(&app, &designer, good.clone());
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["capabilities"], json!(["logic", "score"]));
    assert_eq!(upload(&app, &designer, good).status, 200);
    let listed = app.get("/api/v1/plugins", Some(&designer)).json();
    assert_eq!(listed["plugins"].as_array().unwrap().len(), 1);
    let enumerator = app.token("enumerator", None);
    assert_eq!(upload(&app, &enumerator, vec![]).status, 403);
}

fn hostile_app() -> (TestApp, String, String) {
    let app = TestApp::spawn();
    app.install(&fixture("hostile-study"));
    let admin = app.token("admin", None);
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    (app, admin, enumerator)
}

fn body(mode: &str) -> Value {
    json!({"id": uuid::Uuid::new_v4().to_string(), "answers": {"mode": mode}})
}

#[test]
fn runaway_plugins_are_stopped_by_the_limit_they_hit() {
    let (app, admin, _) = hostile_app();
    let hash = app.db.rows("SELECT logic_plugin FROM form_versions WHERE study_id = 'hostile-study'")[0][0].clone();
    for (mode, code) in [
        ("loop", "plugin_fuel_exhausted"),
        ("memory", "plugin_memory_exceeded"),
        ("recursion", "plugin_stack_exhausted"),
        ("panic", "plugin_trap"),
        ("flood", "plugin_output_too_large"),
    ] {
        let reply = app.post_json(HOSTILE, Some(&admin), &body(mode));
        assert_eq!(reply.status, 422, "{mode}: {}", reply.text());
        assert_eq!(reply.code(), code, "{mode}: {}", reply.text());
        assert_eq!(reply.json()["plugin"], hash.as_str(), "{mode}: the error names the plugin");
        assert!(reply.json()["message_en"].as_str().unwrap().contains(&hash), "{mode}");
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(app.post_json(HOSTILE, Some(&admin), &body("ok")).status, 201, "the plugin still works for good input");
}

/// The deadline is a backstop for a stuck plugin, not a verdict on the response: when it
/// stops an evaluation that still had fuel, the server says it was busy (503, retry), never that
/// the response is wrong (4xx), and logs which plugin overran.
#[test]
fn the_deadline_stops_what_fuel_would_allow_and_answers_busy() {
    let app = TestApp::spawn();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("hostile-study"), dir.path());
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json"))
        .unwrap()
        .replace(r#""limits": {"fuel": 200000000, "deadline_ms": 2000}"#, r#""limits": {"fuel": 1000000000, "deadline_ms": 20}"#);
    std::fs::write(dir.path().join("manifest.json"), manifest).unwrap();
    app.install(dir.path());
    let admin = app.token("admin", None);
    let started = std::time::Instant::now();
    let reply = app.post_json(HOSTILE, Some(&admin), &body("loop"));
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.code(), "server_busy", "{}", reply.text());
    assert!(reply.headers.contains_key("retry-after"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The server's log reaches the test through a pipe and a reader thread: give it a moment.
    let logged = (0..50).any(|_| {
        let seen = app.logs().iter().any(|l| l.contains("deadline"));
        if !seen {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        seen
    });
    assert!(logged, "the overrun is logged");
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn unusable_results_are_refused() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    let admin = app.token("admin", None);
    let cases = [
        ("invalid UTF-8", abi_module(MEMORY, "i64.const 68719476738", r#"(data (i32.const 16) "\ff\fe")"#), "not UTF-8"),
        ("not JSON", abi_module(MEMORY, "i64.const 68719476744", r#"(data (i32.const 16) "not json")"#), "not JSON"),
        ("outside memory", abi_module(MEMORY, "i64.const 9223090561878065252", ""), "outside memory"),
        ("the wrong shape", abi_module(MEMORY, "i64.const 68719476741", r#"(data (i32.const 16) "[1,2]")"#), "logic result"),
    ];
    for (i, (what, wasm, expected)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
        std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
        std::fs::copy(fixture("hostile-study/schemas/f.schema.json"), dir.path().join("schemas/f.schema.json")).unwrap();
        std::fs::write(dir.path().join("plugins/bad.wasm"), wasm).unwrap();
        let study = format!("bad-{i}");
        let manifest = json!({"format": 1, "id": study, "title": {"es": "Malo", "en": "Bad"}, "forms": [
            {"id": "f", "title": {"es": "F", "en": "F"}, "version": "1", "schema": "schemas/f.schema.json", "logic": "plugins/bad.wasm"}]});
        std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
        app.install(dir.path());
        let reply = app.post_json(&format!("/api/v1/studies/{study}/forms/f/submissions"), Some(&admin), &body("ok"));
        assert_eq!((reply.status, reply.code().as_str()), (422, "plugin_bad_output"), "{what}: {}", reply.text());
        assert!(reply.json()["message_en"].as_str().unwrap().contains(expected), "{what}: {}", reply.text());
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn nothing_carries_over_from_one_response_to_the_next() {
    let (app, admin, _) = hostile_app();
    for _ in 0..5 {
        let reply = app.post_json(HOSTILE, Some(&admin), &body("ok"));
        assert_eq!(reply.status, 201, "{}", reply.text());
        // The logic call and the scoring call each see a pristine instance.
        assert_eq!(reply.json()["scores"]["calls"]["value"], json!(1.0));
    }
    let stored: Vec<Value> = app.db.rows("SELECT answers FROM submissions").iter().map(|r| serde_json::from_str(&r[0]).unwrap()).collect();
    assert!(stored.iter().all(|a| a["calls"] == 1), "{stored:?}");
    // A trap in the middle does not poison the next evaluation either.
    assert_eq!(app.post_json(HOSTILE, Some(&admin), &body("panic")).status, 422);
    assert_eq!(app.post_json(HOSTILE, Some(&admin), &body("ok")).json()["scores"]["calls"]["value"], json!(1.0));
}

#[test]
fn normal_submissions_keep_succeeding_while_hostile_plugins_run() {
    let (app, admin, enumerator) = hostile_app();
    let bodies = generate("ejemplo-hogares", "hogar", 40, 9);
    std::thread::scope(|scope| {
        let attackers: Vec<_> = ["loop", "memory", "recursion", "panic", "loop", "memory"]
            .into_iter()
            .map(|mode| {
                let (app, admin) = (&app, &admin);
                scope.spawn(move || (0..3).map(|_| app.post_json(HOSTILE, Some(admin), &body(mode)).status).collect::<Vec<_>>())
            })
            .collect();
        for b in &bodies {
            let reply = app.post_json(NORMAL, Some(&enumerator), b);
            assert_eq!(reply.status, 201, "{}", reply.text());
        }
        for attacker in attackers {
            assert!(attacker.join().unwrap().iter().all(|s| *s == 422));
        }
    });
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions WHERE study_id = 'ejemplo-hogares'"), 40);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions WHERE study_id = 'hostile-study'"), 0);
}
