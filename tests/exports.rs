//! Analyst exports, end to end against the real server: a small fixed data set of the example
//! study compared with golden files (tests/golden/, reviewed like code; regenerate with
//! `UPDATE_GOLDEN=1`), the ZIP of tables for a form with repeats, labels, filters, the BOM and
//! formula neutralisation, the codebook, the CLI, and the files read by Python's `csv` and pandas.

mod common;

use std::{io::Read, path::PathBuf};

use common::*;
use serde_json::{Value, json};

const STUDY: &str = "ejemplo-hogares";
const BASE: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar";
const ENUMERATOR: &str = "Encuestadora Ñuñoa";

/// The fixed data set: ids fixed, answers with accents, a formula, quotes, a comma and a line break.
fn fixed_responses() -> Vec<Value> {
    vec![
        json!({"id": "00000000-0000-4000-8000-000000000001", "answers": {
            "consentimiento": "si", "fecha": "2026-05-04", "jefa": {"nombre": "María José Núñez", "edad": 40},
            "comuna": "estacion_central", "miembros": [{"parentesco": "pareja", "edad": 42}, {"parentesco": "hijo", "edad": 10}],
            "fuentes": ["trabajo", "subsidio"], "ingreso_mensual": 900000}}),
        json!({"id": "00000000-0000-4000-8000-000000000002", "answers": {
            "consentimiento": "si", "fecha": "2026-05-05", "jefa": {"nombre": "=HIPERVINCULO(\"http://x\")", "edad": 67},
            "comuna": "recoleta", "miembros": [], "fuentes": ["pension"], "ingreso_mensual": 150000}}),
        json!({"id": "00000000-0000-4000-8000-000000000003", "answers": {
            "consentimiento": "si", "fecha": "2026-05-06", "jefa": {"nombre": "Pérez, \"La Flaca\"\nSegunda línea", "edad": 55},
            "comuna": "santiago", "miembros": [{"parentesco": "otro", "edad": 70}], "fuentes": ["ninguna"]}}),
    ]
}

/// A server with the example study and the fixed data set, submitted by one labelled enumerator.
fn app_with_fixed_data() -> (TestApp, String) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(STUDY));
    let (ok, out, err) = campo(&["token", "create", "--db", &app.db.url, "--role", "enumerator", "--study", STUDY, "--label", ENUMERATOR]);
    assert!(ok, "{err}");
    let enumerator = out.lines().last().unwrap().trim().to_string();
    for body in fixed_responses() {
        let reply = app.post_json(&format!("{BASE}/submissions"), Some(&enumerator), &body);
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let analyst = app.token("analyst", Some(STUDY));
    (app, analyst)
}

/// The entries of a ZIP, in order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().expect("a UTF-8 name").to_string(), data)
        })
        .collect()
}

/// Masks what changes from run to run (reception times, plugin hashes) so the rest can be
/// compared byte for byte.
fn masked(csv_bytes: &[u8]) -> String {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv_bytes);
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for record in reader.records() {
        let record = record.expect("valid CSV");
        let cells: Vec<String> = record
            .iter()
            .map(|cell| {
                let b = cell.as_bytes();
                if b.len() == 64 && b.iter().all(u8::is_ascii_hexdigit) {
                    "<sha256>".to_string()
                } else if b.len() == 24 && b[10] == b'T' && b[23] == b'Z' {
                    "<received_at>".to_string()
                } else {
                    cell.to_string()
                }
            })
            .collect();
        writer.write_record(&cells).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn golden(name: &str) -> PathBuf {
    repo_root().join("tests/golden").join(name)
}

/// Compares with a golden file (or rewrites it with `UPDATE_GOLDEN=1`).
fn check_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden file {} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

#[test]
fn a_form_with_repeats_exports_as_a_zip_of_tables_matching_the_golden_files() {
    let (app, analyst) = app_with_fixed_data();
    let reply = app.get(&format!("{BASE}/export.csv"), Some(&analyst));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "application/zip");
    assert!(reply.headers["content-disposition"].to_str().unwrap().contains("ejemplo-hogares-hogar.zip"));
    let entries = unzip(&reply.bytes);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["hogar.csv", "hogar-miembros.csv", "codebook.csv"]);
    for (name, data) in &entries {
        assert!(std::str::from_utf8(data).is_ok(), "{name} is UTF-8");
        check_golden(&format!("ejemplo-hogares/{name}"), &masked(data));
    }
    // RFC 4180: CRLF line ends, and the value with quotes, a comma and a line break is quoted.
    let main = String::from_utf8(entries[0].1.clone()).unwrap();
    assert!(main.contains("\"Pérez, \"\"La Flaca\"\"\nSegunda línea\""), "{main}");
    assert!(main.starts_with("submission_id,received_at,enumerator,form_version,logic_plugin,scoring_plugin,"));
    // The main table's key is submission_id (no second column with the same id).
    assert!(main.starts_with("submission_id,") && main.contains(",score/ingreso_per_capita,score/ingreso_per_capita/category\r\n"));
}

#[test]
fn labels_neutralised_formulas_and_the_bom_on_request() {
    let (app, analyst) = app_with_fixed_data();
    let reply = app.get(&format!("{BASE}/export.csv?format=csv&labels=es&neutralise=1&bom=1"), Some(&analyst));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "text/csv; charset=utf-8");
    assert!(reply.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    check_golden("ejemplo-hogares/hogar-labels-es.csv", &masked(&reply.bytes[3..]));
    let text = String::from_utf8(reply.bytes[3..].to_vec()).unwrap();
    assert!(text.contains("'=HIPERVINCULO"), "the formula is neutralised");
    assert!(text.contains("Estación Central"), "values as Spanish labels");
    assert!(!text.contains("miembros"), "format=csv leaves the repeat group out");

    let english = app.get(&format!("{BASE}/export.csv?format=csv&labels=en"), Some(&analyst)).text();
    assert!(english.starts_with("Submission ID,Received at,Enumerator,"), "{english}");
    assert!(english.contains("Do you agree to take part?") && english.contains("Work; State benefits"), "{english}");
    let raw = app.get(&format!("{BASE}/export.csv?format=csv"), Some(&analyst)).text();
    assert!(raw.contains(",\"=HIPERVINCULO(\"\"http://x\"\")\","), "not neutralised unless asked");

    let dashed = app.get(&format!("{BASE}/export.csv?format=csv&sep=."), Some(&analyst)).text();
    assert!(dashed.contains(",jefa.nombre,jefa.edad,") && dashed.contains(",fuentes.trabajo,"), "{dashed}");
}

#[test]
fn filters_select_the_responses() {
    let (app, analyst) = app_with_fixed_data();
    let rows = |query: &str| {
        let reply = app.get(&format!("{BASE}/export.csv?format=csv&{query}"), Some(&analyst));
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        csv_rows(&reply.bytes).len() - 1
    };
    assert_eq!(rows(""), 3);
    assert_eq!(rows("version=1"), 3);
    assert_eq!(rows(&format!("enumerator={}", "Encuestadora%20%C3%91u%C3%B1oa")), 3);
    assert_eq!(rows("enumerator=otra"), 0);
    assert_eq!(rows("from=2000-01-01"), 3);
    assert_eq!(rows("to=2000-01-01"), 0);
    assert_eq!(rows("from=2999-01-01"), 0);
    assert_eq!(rows("to=2999-01-01T00:00:00Z"), 3);
    assert_eq!(app.get(&format!("{BASE}/export.csv?version=9"), Some(&analyst)).status, 404);
    assert_eq!(app.get(&format!("{BASE}/export.csv?from=ayer"), Some(&analyst)).status, 400);
    assert_eq!(app.get(&format!("{BASE}/export.csv?labels=fr"), Some(&analyst)).status, 400);
    let enumerator = app.token("enumerator", Some(STUDY));
    assert_eq!(app.get(&format!("{BASE}/export.csv"), Some(&enumerator)).status, 403);
    assert_eq!(app.get(&format!("{BASE}/codebook.csv"), Some(&enumerator)).status, 403);
}

#[test]
fn the_codebook_as_csv_and_html() {
    let (app, analyst) = app_with_fixed_data();
    let csv = app.get(&format!("{BASE}/codebook.csv?version=1"), Some(&analyst));
    assert_eq!(csv.status, 200, "{}", csv.text());
    check_golden("ejemplo-hogares/codebook.csv", &masked(&csv.bytes));
    let html = app.get(&format!("{BASE}/codebook.html"), Some(&analyst));
    assert_eq!(html.status, 200);
    assert!(html.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = html.text();
    for expected in ["<h2>Versión / Version 1</h2>", "hogar-miembros.csv", "¿Acepta participar en la entrevista?", "Per-capita income (CLP/month)", "plugins/ejemplo_hogares.wasm"] {
        assert!(page.contains(expected), "the page shows {expected}");
    }
    assert_eq!(app.get(&format!("{BASE}/codebook.csv?version=7"), Some(&analyst)).status, 404);
    let openapi = app.get("/api/v1/openapi.json", None).json();
    for path in ["codebook.csv", "codebook.html", "rescore"] {
        assert!(openapi["paths"].get(format!("/api/v1/studies/{{study}}/forms/{{form}}/{path}")).is_some(), "{path} is in the OpenAPI document");
    }
}

#[test]
fn the_cli_exports_a_zip_or_a_csv_to_a_file() {
    let (app, _) = app_with_fixed_data();
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("hogar.zip");
    let (ok, _, err) = campo(&["export", STUDY, "hogar", "--db", &app.db.url, "--out", zip_path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(err.contains("exported 3 responses"), "{err}");
    let entries = unzip(&std::fs::read(&zip_path).unwrap());
    check_golden("ejemplo-hogares/hogar.csv", &masked(&entries[0].1));
    let csv_path = dir.path().join("hogar.csv");
    let (ok, _, err) = campo(&["export", STUDY, "hogar", "--db", &app.db.url, "--format", "csv", "--out", csv_path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(csv_rows(&std::fs::read(&csv_path).unwrap()).len(), 4);
    let (ok, html, _) = campo(&["export", STUDY, "hogar", "--db", &app.db.url, "--codebook", "html"]);
    assert!(ok && html.contains("<table>"));
    let (ok, _, err) = campo(&["export", STUDY, "nada", "--db", &app.db.url, "--out", csv_path.to_str().unwrap()]);
    assert!(!ok && err.contains("not installed"), "{err}");
}

/// Python must be able to read what analysts get: `csv`, and pandas (installed from
/// tests/requirements.txt by scripts/setup into .venv, which scripts/test puts first on PATH).
#[test]
fn python_csv_and_pandas_read_the_exports() {
    let (app, analyst) = app_with_fixed_data();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("export.zip"), app.get(&format!("{BASE}/export.csv"), Some(&analyst)).bytes).unwrap();
    std::fs::write(dir.path().join("labels.csv"), app.get(&format!("{BASE}/export.csv?format=csv&labels=es&bom=1"), Some(&analyst)).bytes).unwrap();
    let script = r#"
import csv, os, sys, zipfile
import pandas as pd
d = sys.argv[1]
zipfile.ZipFile(os.path.join(d, "export.zip")).extractall(os.path.join(d, "z"))
main, members = os.path.join(d, "z", "hogar.csv"), os.path.join(d, "z", "hogar-miembros.csv")
rows = list(csv.DictReader(open(main, encoding="utf-8", newline="")))
assert len(rows) == 3, len(rows)
assert list(rows[0])[:6] == ["submission_id", "received_at", "enumerator", "form_version", "logic_plugin", "scoring_plugin"], list(rows[0])
assert rows[0]["jefa/nombre"] == "María José Núñez", rows[0]["jefa/nombre"]
assert rows[0]["enumerator"] == "Encuestadora Ñuñoa"
assert rows[2]["jefa/nombre"] == 'Pérez, "La Flaca"\nSegunda línea', repr(rows[2]["jefa/nombre"])
assert rows[0]["fuentes"] == "trabajo subsidio" and rows[0]["fuentes/trabajo"] == "1" and rows[0]["fuentes/pension"] == "0"
df = pd.read_csv(main, encoding="utf-8")
assert len(df) == 3 and "score/ingreso_per_capita" in df.columns and "KEY" not in df.columns
assert df["score/ingreso_per_capita"].dtype.kind in "if", df["score/ingreso_per_capita"].dtype
assert list(df["score/ingreso_per_capita/category"]) == ["sobre_linea", "bajo_linea", "bajo_linea"], list(df["score/ingreso_per_capita/category"])
assert df["jefa/edad"].tolist() == [40, 67, 55]
m = pd.read_csv(members, encoding="utf-8", dtype=str)
assert len(m) == 3 and set(m["PARENT_KEY"]) <= set(df["submission_id"]) and m["KEY"].is_unique
joined = m.merge(df, left_on="PARENT_KEY", right_on="submission_id", suffixes=("", "_hogar"))
assert len(joined) == 3
l = pd.read_csv(os.path.join(d, "labels.csv"), encoding="utf-8-sig")
assert "Comuna" in l.columns and "Estación Central" in set(l["Comuna"]), list(l.columns)
print("python ok")
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(dir.path()).output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Python could not read the exports (pandas comes from tests/requirements.txt via scripts/setup): {stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python ok"));
}
