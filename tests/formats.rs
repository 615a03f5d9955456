//! Analyst formats and the incremental feed, end to end against the real server: every seed
//! study's forms exported as Stata, SPSS, Excel and Parquet and opened with the readers analysts
//! use (pyreadstat and pandas, R's haven, PSPP, DuckDB, openpyxl — tests/readers/formats.py),
//! each value, type and label compared with the CSV export of the same responses; a 400-column
//! form with long paths; the feed's pages, cursors, filters and team limits on both databases.

mod common;

use std::{path::Path, process::Command};

use common::*;
use serde_json::{Value, json};

/// Submits `bodies` as an enumerator of `study`.
fn submit_all(app: &TestApp, study: &str, form: &str, bodies: &[Value]) {
    let enumerator = app.token("enumerator", Some(study));
    for body in bodies {
        let reply = app.post_json(&format!("/api/v1/studies/{study}/forms/{form}/submissions"), Some(&enumerator), body);
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
}

/// The CSV exports (codes and Spanish labels) and the four formats of a form, into `dir`.
fn export_every_format(app: &TestApp, token: &str, study: &str, form: &str, dir: &Path) {
    let base = format!("/api/v1/studies/{study}/forms/{form}/export.csv");
    for (file, query) in [
        ("codes.zip", "format=zip"),
        ("labels.zip", "format=zip&labels=es"),
        ("x.dta", "format=dta"),
        ("x.sav", "format=sav"),
        ("x.xlsx", "format=xlsx"),
        ("x.parquet", "format=parquet"),
    ] {
        let reply = app.get(&format!("{base}?{query}"), Some(token));
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        std::fs::write(dir.join(file), &reply.bytes).unwrap();
    }
}

/// Runs the readers over the exports in `dir` (python3 and the packages from
/// tests/requirements.txt, PSPP and R's haven from scripts/setup).
fn read_with_every_reader(dir: &Path, form: &str) -> String {
    let out = Command::new("python3")
        .arg(repo_root().join("tests/readers/formats.py"))
        .arg(dir)
        .arg(form)
        .output()
        .expect("python3 runs (scripts/setup installs the readers)");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.contains("formats ok"), "a reader disagrees with the CSV export:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

fn check_seed_form(study: &str, form: &str, n: usize, seed: u64) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(study));
    submit_all(&app, study, form, &generate(study, form, n, seed));
    let analyst = app.token("analyst", Some(study));
    let dir = tempfile::tempdir().unwrap();
    export_every_format(&app, &analyst, study, form, dir.path());
    read_with_every_reader(dir.path(), form);
}

#[test]
fn mujeres_cuestionario_and_its_roster_round_trip_in_every_reader() {
    check_seed_form("mujeres-migrantes-rm", "cuestionario", 120, 2026);
}

#[test]
fn tres_por_uno_proyecto_round_trips_in_every_reader() {
    check_seed_form("3x1-migrantes", "proyecto", 80, 7);
}

#[test]
fn tres_por_uno_beneficiario_round_trips_in_every_reader() {
    check_seed_form("3x1-migrantes", "beneficiario", 80, 8);
}

/// Accents, quotes and line breaks, a formula-looking name, empty repeats; the media types,
/// file names, English labels and the CLI.
#[test]
fn the_example_study_keeps_accents_labels_and_media_types() {
    let app = TestApp::spawn();
    let bodies = vec![
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
    ];
    submit_all(&app, "ejemplo-hogares", "hogar", &bodies);
    let analyst = app.token("analyst", Some("ejemplo-hogares"));
    let dir = tempfile::tempdir().unwrap();
    export_every_format(&app, &analyst, "ejemplo-hogares", "hogar", dir.path());
    read_with_every_reader(dir.path(), "hogar");

    let base = "/api/v1/studies/ejemplo-hogares/forms/hogar/export.csv";
    for (format, media_type, file) in [
        ("dta", "application/zip", "ejemplo-hogares-hogar.zip"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ejemplo-hogares-hogar.xlsx"),
    ] {
        let reply = app.get(&format!("{base}?format={format}"), Some(&analyst));
        assert_eq!(reply.headers["content-type"], media_type);
        assert_eq!(reply.headers["content-disposition"], format!("attachment; filename=\"{file}\""));
    }
    let bad = app.get(&format!("{base}?format=spss"), Some(&analyst));
    assert_eq!((bad.status, bad.code().as_str()), (400, "invalid_option"));
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    assert_eq!(app.get(&format!("{base}?format=dta"), Some(&enumerator)).status, 403);

    // English labels, and the CLI writes the same formats.
    std::fs::write(dir.path().join("en.zip"), app.get(&format!("{base}?format=sav&labels=en"), Some(&analyst)).bytes).unwrap();
    let out_path = dir.path().join("cli.zip");
    let (ok, _, err) = campo(&["export", "ejemplo-hogares", "hogar", "--db", &app.db.url, "--format", "dta", "--out", out_path.to_str().unwrap()]);
    assert!(ok, "{err}");
    let script = r#"
import sys, zipfile, os, pyreadstat
d = sys.argv[1]
zipfile.ZipFile(os.path.join(d, "en.zip")).extractall(os.path.join(d, "en"))
df, meta = pyreadstat.read_sav(os.path.join(d, "en", "hogar.sav"))
labels = dict(zip(meta.column_names, meta.column_labels))
assert labels["comuna"].startswith("Municipality"), labels["comuna"]
assert meta.variable_value_labels["comuna"][4] == "Estación Central", meta.variable_value_labels["comuna"]
assert meta.variable_value_labels["review"][1] != "Recibida", meta.variable_value_labels["review"]
zipfile.ZipFile(os.path.join(d, "cli.zip")).extractall(os.path.join(d, "cli"))
df, meta = pyreadstat.read_dta(os.path.join(d, "cli", "hogar.dta"))
assert len(df) == 3 and "jefa_nombre" in meta.column_names
assert sorted(os.listdir(os.path.join(d, "cli"))) == ["codebook.csv", "hogar-miembros.dta", "hogar.dta", "variables.csv"], os.listdir(os.path.join(d, "cli"))
print("labels ok")
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A form of 400 questions in nested groups whose paths run to 60 characters (30-character
/// question names): Stata's 32 and SPSS's 64 give valid, unique names, the paths in the labels;
/// and a 3,000-byte text (Stata strL, SPSS very long string) arrives whole.
#[test]
fn a_form_with_400_columns_and_long_paths_gets_valid_unique_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut groups = serde_json::Map::new();
    let mut answers = serde_json::Map::new();
    for g in 0..8 {
        let group = format!("modulo_{g}_preguntas_del_hogar_x");
        let mut properties = serde_json::Map::new();
        let mut values = serde_json::Map::new();
        for q in 0..50 {
            // 30 characters, identical across groups: only the group tells them apart.
            let name = format!("pregunta_numero_{q:03}_del_modulo");
            assert_eq!(name.len(), 30);
            properties.insert(name.clone(), json!({"type": "integer", "x-label": {"es": format!("Pregunta {q} del módulo {g}"), "en": format!("Question {q}")}}));
            values.insert(name, json!(g * 100 + q));
        }
        groups.insert(group.clone(), json!({"type": "object", "x-label": {"es": format!("Módulo {g}"), "en": format!("Module {g}")}, "properties": properties}));
        answers.insert(group, Value::Object(values));
    }
    // And a long text: Stata's strL, SPSS's very long string.
    groups.insert("notas".into(), json!({"type": "string", "x-label": {"es": "Notas de la entrevista", "en": "Interview notes"}}));
    answers.insert("notas".into(), json!("Él dijo: «año, niño, camión». ".repeat(100)));
    let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": groups});
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    std::fs::write(dir.path().join("schemas/ancho.schema.json"), schema.to_string()).unwrap();
    let manifest = json!({"format": 1, "id": "ancho", "title": {"es": "Ancho", "en": "Wide"}, "forms": [
        {"id": "ancho", "title": {"es": "Ancho", "en": "Wide"}, "version": "1", "schema": "schemas/ancho.schema.json"}]});
    std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(dir.path());
    submit_all(&app, "ancho", "ancho", &[json!({"id": uuid::Uuid::new_v4(), "answers": answers}), json!({"id": uuid::Uuid::new_v4(), "answers": {}})]);
    let analyst = app.token("analyst", Some("ancho"));
    let out = tempfile::tempdir().unwrap();
    export_every_format(&app, &analyst, "ancho", "ancho", out.path());
    read_with_every_reader(out.path(), "ancho");
    let script = r#"
import sys, pyreadstat
d = sys.argv[1]
for fmt, limit in (("dta", 32), ("sav", 64)):
    df, meta = getattr(pyreadstat, "read_" + fmt)(f"{d}/x.{fmt}")
    names = meta.column_names
    assert len(names) == 411, len(names)
    assert len({n.lower() for n in names}) == 411, "names are not unique"
    assert df["notas"][0].rstrip() == ("Él dijo: «año, niño, camión». " * 100).rstrip()
    assert all(len(n) <= limit and n[0].isalpha() and all(c.isalnum() or c == "_" for c in n) for n in names), names
    labels = dict(zip(names, meta.column_labels))
    assert any("modulo_3_preguntas_del_hogar_x/pregunta_numero_007_del_modulo" in (l or "") for l in meta.column_labels)
    assert df.iloc[0, 10 + 3 * 50 + 7] == 307, df.iloc[0, 10 + 3 * 50 + 7]
print("names ok")
"#;
    let run = Command::new("python3").arg("-c").arg(script).arg(out.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
}

// ---- the incremental feed ------------------------------------------------------------------------

const FEED: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/submissions";

fn hogar(i: usize, comuna: &str) -> Value {
    json!({"id": uuid::Uuid::new_v4(), "answers": {"consentimiento": "si", "fecha": "2026-05-04", "jefa": {"nombre": format!("Persona {i}"), "edad": 30 + i % 50},
        "comuna": comuna, "miembros": [], "fuentes": ["trabajo"], "ingreso_mensual": 500000}})
}

/// Every page of the feed from `after` with `query`; (ids, cursor of the last item, pages).
fn pull(app: &TestApp, token: &str, query: &str, after: Option<&str>) -> (Vec<String>, Option<String>, usize) {
    let (mut ids, mut last, mut pages) = (Vec::new(), after.map(str::to_string), 0);
    let mut cursor = after.map(str::to_string);
    loop {
        let url = format!("{FEED}?{query}{}", cursor.as_ref().map(|c| format!("&after={c}")).unwrap_or_default());
        let reply = app.get(&url, Some(token));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page = reply.json();
        pages += 1;
        for item in page["submissions"].as_array().unwrap() {
            ids.push(item["id"].as_str().unwrap().to_string());
            last = Some(item["cursor"].as_str().unwrap().to_string());
            assert!(item["answers"].is_object() && item["received_at"].is_string());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (ids, last, pages),
        }
    }
}

fn the_feed_pages_through_every_response_once_in_stored_order(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let bodies: Vec<Value> = (0..23).map(|i| hogar(i, if i % 3 == 0 { "recoleta" } else { "santiago" })).collect();
    submit_all(&app, "ejemplo-hogares", "hogar", &bodies);
    let analyst = app.token("analyst", Some("ejemplo-hogares"));
    let stored: Vec<String> = app.db.rows("SELECT id FROM submissions ORDER BY seq").into_iter().map(|r| r[0].clone()).collect();

    let (ids, last, pages) = pull(&app, &analyst, "limit=10", None);
    assert_eq!((ids.len(), pages), (23, 3));
    assert_eq!(ids, stored, "stored order, each once");
    // Later, from the last cursor: only what is new.
    let (none, _, _) = pull(&app, &analyst, "limit=10", last.as_deref());
    assert!(none.is_empty());
    submit_all(&app, "ejemplo-hogares", "hogar", &[hogar(100, "santiago"), hogar(101, "santiago")]);
    let (new, _, _) = pull(&app, &analyst, "limit=10", last.as_deref());
    assert_eq!(new.len(), 2);
    // The export's filters apply, and a supervisor reads it as an analyst does.
    let supervisor = app.token("supervisor", Some("ejemplo-hogares"));
    let (today, _, _) = pull(&app, &supervisor, "limit=1000&from=2000-01-01&review=received", None);
    assert_eq!(today.len(), 25);
    let (future, _, _) = pull(&app, &analyst, "from=2999-01-01", None);
    assert!(future.is_empty());

    for bad in ["after=abc", "after=-4", "limit=0", "limit=1001", "limit=diez", "review=maybe", "from=ayer"] {
        let reply = app.get(&format!("{FEED}?{bad}"), Some(&analyst));
        assert_eq!((reply.status, reply.code().as_str()), (400, "invalid_option"), "{bad}: {}", reply.text());
        assert!(reply.json()["message_en"].is_string());
    }
    let enumerator = app.token("enumerator", Some("ejemplo-hogares"));
    assert_eq!(app.get(FEED, Some(&enumerator)).status, 403);
    assert_eq!(app.get(FEED, None).status, 401);
    assert_eq!(app.get("/api/v1/studies/ejemplo-hogares/forms/nada/submissions", Some(&analyst)).status, 404);
}

fn the_feed_keeps_a_team_limited_caller_to_its_team(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    for team in ["norte", "sur"] {
        let (ok, out, err) = campo(&["team", "add", "ejemplo-hogares", team, "--name", team, "--db", &app.db.url]);
        assert!(ok, "{out}{err}");
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "key,form,team\nN-1,hogar,norte\nS-1,hogar,sur\n").unwrap();
    let (ok, out, err) = campo(&["cases", "import", "ejemplo-hogares", file.path().to_str().unwrap(), "--db", &app.db.url]);
    assert!(ok, "{out}{err}");
    let mut bodies = Vec::new();
    for i in 0..6 {
        let mut body = hogar(i, "santiago");
        body["case"] = json!(if i % 2 == 0 { "N-1" } else { "S-1" });
        bodies.push(body);
    }
    submit_all(&app, "ejemplo-hogares", "hogar", &bodies);
    let (ok, out, err) = campo(&["token", "create", "--db", &app.db.url, "--role", "supervisor", "--study", "ejemplo-hogares", "--team", "norte"]);
    assert!(ok, "{err}");
    let norte = out.lines().last().unwrap().trim().to_string();
    let page = app.get(&format!("{FEED}?limit=100"), Some(&norte)).json();
    let teams: Vec<&str> = page["submissions"].as_array().unwrap().iter().map(|s| s["team"].as_str().unwrap_or("")).collect();
    assert_eq!(teams, ["norte", "norte", "norte"]);
    let openapi = app.get("/api/v1/openapi.json", None).json();
    let get = &openapi["paths"][FEED.replace("ejemplo-hogares", "{study}").replace("hogar/", "{form}/")]["get"];
    assert!(get["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "after"), "{get}");
}

crate::on_both_backends!(the_feed_pages_through_every_response_once_in_stored_order, the_feed_keeps_a_team_limited_caller_to_its_team);
