//! The enumerator app's Node and real-browser tests (tests/browser/, node:test with
//! playwright-core driving Debian's Chromium), run against the `campo` binary cargo just built.
//! `scripts/setup` installs Chromium and the Node packages; these tests fail, not skip, without
//! them.

mod common;

use std::process::Command;

/// Runs `node --test FILES` in tests/ with this build's binary; fails with node's report.
fn node_test(files: &[&str]) {
    let tests = common::repo_root().join("tests");
    assert!(
        tests.join("node_modules/playwright-core").is_dir(),
        "tests/node_modules is missing: run scripts/setup (npm ci in tests/)"
    );
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(files)
        .current_dir(&tests)
        .env("CAMPO_BIN", common::CAMPO)
        .output()
        .expect("node runs (Node.js 20 or later is needed for the browser tests)");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{report}");
    assert!(output.status.success(), "node --test {files:?} failed:\n{report}");
}

#[test]
fn browser_plugin_loader_matches_the_server() {
    node_test(&["browser/plugin-loader.test.js"]);
}

#[test]
fn enumerator_app_in_chromium() {
    node_test(&["browser/enumerator-app.test.js", "browser/offline.test.js"]);
}

#[test]
fn study_management_in_chromium() {
    node_test(&["browser/management.test.js"]);
}

#[test]
fn app_rules_in_node_with_the_shared_relevance_vectors() {
    node_test(&["browser/form-rules.test.js"]);
}

#[test]
fn forms_never_lose_an_answer_in_chromium() {
    node_test(&["browser/field-forms.test.js", "browser/first-visit.test.js"]);
}

#[test]
fn the_guide_next_to_the_installed_app_in_chromium() {
    node_test(&["browser/guide.test.js"]);
}
