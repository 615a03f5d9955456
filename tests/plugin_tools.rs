//! Tools for plugin authors: `campo plugin new` (from the binary alone) scaffolds a crate that tests and builds out of
//! the box, and `campo plugin check` reports a module or says why the host would refuse it.

mod common;

use std::process::Command;

use common::*;

/// The build directory of this test run (`CARGO_TARGET_DIR` or the workspace's `target/`),
/// found from the binary under test: `<target>/<profile>/campo`.
fn target_dir() -> std::path::PathBuf {
    std::path::Path::new(CAMPO).parent().and_then(std::path::Path::parent).expect("the target directory").to_path_buf()
}

fn cargo(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        // One target directory for every run of this test, so the SDK is built once.
        .env("CARGO_TARGET_DIR", target_dir().join("scaffolded-plugin"))
        .output()
        .expect("run cargo");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Every `path = "..."` in the scaffold's manifests, resolved.
fn manifest_paths(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "Cargo.toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("path = \"").skip(1) {
                    let target = &part[..part.find('"').unwrap()];
                    found.push(dir.join(target));
                }
            }
        }
    }
    found
}

/// The `campo` binary copied alone into an empty directory, far from any checkout, with its own
/// HOME: whatever the scaffold needs must come from the binary itself.
#[test]
fn the_binary_alone_scaffolds_a_plugin_that_tests_builds_and_passes_the_check() {
    let solo = tempfile::tempdir().unwrap();
    let (bin, work, home) = (solo.path().join("bin"), solo.path().join("work"), solo.path().join("home"));
    for dir in [&bin, &work, &home] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let campo_alone = bin.join("campo");
    std::fs::copy(CAMPO, &campo_alone).unwrap();
    let out = Command::new(&campo_alone)
        .args(["plugin", "new", "mi-estudio"])
        .current_dir(&work)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let crate_dir = work.join("mi-estudio");
    assert!(String::from_utf8_lossy(&out.stdout).contains("campo plugin check"), "it says what to do next");

    // Only relative paths, all inside what was written.
    let paths = manifest_paths(&crate_dir);
    assert!(!paths.is_empty(), "the scaffold depends on its own copy of the SDK");
    for path in paths {
        let resolved = path.canonicalize().unwrap_or_else(|_| panic!("{} does not exist", path.display()));
        assert!(resolved.starts_with(crate_dir.canonicalize().unwrap()), "{} is outside the scaffold", path.display());
    }
    let sdk = crate_dir.join(format!("vendor/campo-sdk-{}", env!("CARGO_PKG_VERSION")));
    assert!(sdk.join("ABI.md").is_file() && sdk.join("src/lib.rs").is_file() && sdk.join("src/__abi.rs").is_file());
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    for step in ["cargo test", "cargo build --release --target wasm32-unknown-unknown", "campo plugin check"] {
        assert!(readme.contains(step), "the README says how: {step}");
    }

    let (ok, log) = cargo(&crate_dir, &["test", "--quiet"]);
    assert!(ok, "cargo test in the scaffolded crate failed:\n{log}");
    assert!(log.contains("3 passed"), "{log}");

    let (ok, log) = cargo(&crate_dir, &["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown"]);
    assert!(ok, "the scaffolded crate does not build for wasm32:\n{log}");
    let wasm = target_dir().join("scaffolded-plugin/wasm32-unknown-unknown/release/mi_estudio.wasm");

    let out = Command::new(&campo_alone)
        .args(["plugin", "check", wasm.to_str().unwrap(), "--input", "sample.json"])
        .current_dir(&crate_dir)
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("abi           v1"), "{stdout}");
    assert!(stdout.contains("imports       none"), "{stdout}");
    assert!(stdout.contains("resettable    yes"), "{stdout}");
    assert!(stdout.contains("menor_de_edad"), "the sample ran through the logic: {stdout}");
}

/// Inside Campo's repository, `plugin new` writes plugins/NAME on the workspace's SDK.
#[test]
fn inside_the_repository_a_plugin_joins_the_workspace() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("plugins")).unwrap();
    std::fs::create_dir_all(root.path().join("sdk")).unwrap();
    let out = Command::new(CAMPO).args(["plugin", "new", "otro"]).current_dir(root.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest = std::fs::read_to_string(root.path().join("plugins/otro/Cargo.toml")).unwrap();
    assert!(manifest.contains("campo-sdk.workspace = true"), "{manifest}");
    assert!(!root.path().join("plugins/otro/vendor").exists());
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
