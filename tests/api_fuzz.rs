//! A bounded schemathesis pass over the whole API with every check (`-c all`, a fixed seed and
//! a time budget): the OpenAPI document must say exactly what the server does — every status,
//! every content type, every pattern and enum — and no request may make it fail. The plugin
//! upload (raw wasm) is left out; tests/hostile_plugins.rs covers it. Exceptions to
//! "schema-valid requests are accepted" are listed, each with its reason, in
//! tests/schemathesis.toml.

mod common;

use std::process::Command;

use common::{Backend, TestApp, repo_root, study_dir};

#[test]
fn schemathesis_finds_nothing_with_every_check() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    for study in ["ejemplo-hogares", "mujeres-migrantes-rm", "3x1-migrantes"] {
        app.install(&study_dir(study));
    }
    let admin = app.token("admin", None);
    let venv = repo_root().join(".venv/bin/schemathesis");
    let program = if venv.exists() { venv.into_os_string() } else { "schemathesis".into() };
    let report = std::env::temp_dir().join(format!("campo-schemathesis-{}", std::process::id()));
    let output = Command::new(program)
        .current_dir(repo_root())
        .args(["--config-file", "tests/schemathesis.toml", "run", &format!("{}/api/v1/openapi.json", app.url)])
        .args(["--checks", "all", "--seed", "20261202", "--max-examples", "20", "--max-time", "150", "--workers", "2"])
        .args(["--exclude-name", "POST /api/v1/plugins", "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .env("SCHEMATHESIS_HOOKS", "")
        .env("HOME", &report)
        .output()
        .expect("run schemathesis (scripts/setup installs it from tests/requirements.txt)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "schemathesis found problems:\n{}\n{}", tail(&text, 12_000), String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("Tested:"), "schemathesis ran no operations:\n{text}");
    assert_eq!(app.get("/healthz", None).status, 200, "the server still answers");
}

fn tail(text: &str, max: usize) -> &str {
    let start = text.len().saturating_sub(max);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    &text[start..]
}
