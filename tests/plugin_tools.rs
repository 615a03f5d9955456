//! Tools for plugin authors: `campo plugin new` scaffolds a crate that tests and builds out of
//! the box, and `campo plugin check` reports a module or says why the host would refuse it.

mod common;

use std::process::Command;

use common::*;

fn cargo(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        // One target directory for every run of this test, so the SDK is built once.
        .env("CARGO_TARGET_DIR", repo_root().join("target/scaffolded-plugin"))
        .output()
        .expect("run cargo");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_scaffolded_plugin_tests_builds_and_passes_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("mi-estudio");
    let (ok, out, err) = campo(&["plugin", "new", "mi-estudio", "--dir", crate_dir.to_str().unwrap()]);
    assert!(ok, "{out}{err}");

    let (ok, log) = cargo(&crate_dir, &["test", "--quiet"]);
    assert!(ok, "cargo test in the scaffolded crate failed:\n{log}");
    assert!(log.contains("3 passed"), "{log}");

    let (ok, log) = cargo(&crate_dir, &["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown"]);
    assert!(ok, "the scaffolded crate does not build for wasm32:\n{log}");
    let wasm = repo_root().join("target/scaffolded-plugin/wasm32-unknown-unknown/release/mi_estudio.wasm");

    let sample = dir.path().join("sample.json");
    std::fs::write(&sample, r#"{"answers": {"consentimiento": "si", "edad": 15}}"#).unwrap();
    let (ok, out, err) = campo(&["plugin", "check", wasm.to_str().unwrap(), "--input", sample.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("abi           v1"), "{out}");
    assert!(out.contains("imports       none"), "{out}");
    assert!(out.contains("resettable    yes"), "{out}");
    assert!(out.contains("menor_de_edad"), "the sample ran through the logic: {out}");
}

#[test]
fn the_check_refuses_what_the_host_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let wasi = dir.path().join("wasi.wasm");
    std::fs::write(
        &wasi,
        wat::parse_str(r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") 1 2))"#).unwrap(),
    )
    .unwrap();
    let (ok, _, err) = campo(&["plugin", "check", wasi.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("wasi_snapshot_preview1::proc_exit"), "{err}");

    let hostile = repo_root().join("tests/fixtures/hostile-study/plugins/hostile_fixture.wasm");
    let looping = dir.path().join("loop.json");
    std::fs::write(&looping, r#"{"mode": "loop"}"#).unwrap();
    let (ok, _, err) = campo(&["plugin", "check", hostile.to_str().unwrap(), "--input", looping.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("fuel"), "{err}");
}

#[test]
fn compiled_plugins_are_cached_so_a_restart_does_not_recompile() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir("ejemplo-hogares"));
    let hash = app.db.rows("SELECT logic_plugin FROM form_versions")[0][0].clone();
    // Installing compiled the module and wrote its artifact, named by its sha256, under a
    // directory keyed by the engine's compatibility hash.
    let artifacts: Vec<_> = std::fs::read_dir(std::env::temp_dir().join("campo-test-artifacts"))
        .expect("the artifact cache exists")
        .flatten()
        .map(|engine| engine.path().join(format!("{hash}.cwasm")))
        .filter(|path| path.exists())
        .collect();
    assert_eq!(artifacts.len(), 1, "one artifact for this engine: {artifacts:?}");

    // A server started now loads that artifact instead of compiling; a corrupt artifact is
    // noticed, recompiled and replaced, and submissions still work.
    std::fs::write(&artifacts[0], b"not a compiled module").unwrap();
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    let body = generate("ejemplo-hogares", "hogar", 1, 3).remove(0);
    let reply = app.post_json("/api/v1/studies/ejemplo-hogares/forms/hogar/submissions", Some(&enumerator), &body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(app.logs().iter().any(|l| l.contains("cached artifact unusable")), "the corrupt artifact was detected");
    assert!(std::fs::read(&artifacts[0]).unwrap().len() > 1000, "and replaced by a good one");
}
