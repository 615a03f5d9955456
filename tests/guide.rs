//! The guide (docs/) cannot drift from the product: its reference pages are what the binary
//! generates, its getting-started shell samples run as written against a fresh build, and the
//! server serves the built book at /docs. (Its Rust samples are doc-tests of `docs/lib.rs`.)

mod common;

use std::{path::Path, process::Command};

use common::*;

/// Compares a generated page with the committed one; `CAMPO_BLESS=1` rewrites it (scripts/docs).
fn check_generated(page: &str, args: &[&str]) {
    let (ok, generated, err) = campo(args);
    assert!(ok, "campo {args:?}: {err}");
    let path = repo_root().join("docs/src/reference").join(page);
    if std::env::var_os("CAMPO_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/src/reference/{page} is stale: run scripts/docs (campo {})", args.join(" "));
}

#[test]
fn the_cli_reference_is_what_clap_prints() {
    check_generated("cli.md", &["docs", "cli"]);
}

#[test]
fn the_api_reference_is_the_openapi_document() {
    check_generated("api.md", &["docs", "api"]);
}

/// The ```sh blocks of a page, in order.
fn shell_blocks(page: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(page).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_first_study_runs_as_written() {
    let page = repo_root().join("docs/src/getting-started/first-study.md");
    let blocks = shell_blocks(&page);
    assert!(blocks.len() >= 5, "the page has its shell samples: {blocks:?}");
    let work = tempfile::tempdir().unwrap();
    let bin = Path::new(CAMPO).parent().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // Stop the server the page starts even when a later block fails.
    let script = format!("set -euo pipefail\ntrap 'kill %1 2>/dev/null || true' EXIT\n{}", blocks.join("\n"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(work.path())
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("CAMPO_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("CAMPO_DB")
        .env("CAMPO_CACHE_DIR", std::env::temp_dir().join("campo-test-artifacts"))
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the getting-started samples failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("\"invalid_response\""), "the refused response is shown: {stdout}");
    let csv = csv_rows(&std::fs::read(work.path().join("hogar.csv")).unwrap());
    assert_eq!(csv.len(), 2, "one response exported: {csv:?}");
    let header = &csv[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column: {header:?}"));
    assert_eq!((csv[1][at("comuna")].as_str(), csv[1][at("personas")].as_str(), csv[1][at("agua")].as_str()), ("Recoleta", "4", "red"));
    assert!(std::fs::read_to_string(work.path().join("libro-de-codigos.html")).unwrap().contains("¿Cuántas personas viven en el hogar?"));
}

#[test]
fn the_server_serves_the_guide_at_docs() {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    let no_redirects = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let bare = app.send(no_redirects.get(format!("{}/docs", app.url)), None);
    assert_eq!(bare.status, 308);
    assert_eq!(bare.headers["location"], "/docs/");

    let index = app.get("/docs/", None);
    assert_eq!(index.status, 200, "{}", index.text());
    assert!(index.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(index.text().contains("<html") && index.text().contains("Campo"));
    // A page of each role, by the file names of docs/src/SUMMARY.md.
    for page in ["designers/plugins.html", "enumerators/guia.html", "enumerators/guide.html", "supervisors/guia.html", "analysts/exports.html", "running/backups.html", "reference/cli.html"] {
        let reply = app.get(&format!("/docs/{page}"), None);
        assert_eq!(reply.status, 200, "/docs/{page}");
    }
    let guia = app.get("/docs/enumerators/guia.html", None).text();
    assert!(guia.contains("Bandeja de salida"), "the Spanish enumerator guide is the real page");
    assert_eq!(app.get("/docs/no-such-page.html", None).status, 404);
    // The app is still served next to it.
    assert_eq!(app.get("/", None).status, 200);
}
