//! Study management end to end, on SQLite and PostgreSQL: people and password sign-in, teams
//! that limit what a supervisor sees, cases imported from CSV, review with corrections kept as
//! revisions, the hash-chained audit log, and the dashboard's figures against SQL.

mod common;

use common::{Backend, TestApp, TestDb, campo_with_stdin, csv_rows, tres_por_uno_proyecto as proyecto};
use serde_json::{Value, json};

const STUDY: &str = "3x1-migrantes";

fn submissions_url() -> String {
    format!("/api/v1/studies/{STUDY}/forms/proyecto/submissions")
}

/// How tokens are stored: their sha256, lowercase hex.
fn sha256(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn campo_ok(args: &[&str]) -> String {
    let (ok, out, err) = common::campo(args);
    assert!(ok, "campo {args:?} failed: {out}{err}");
    out
}

/// A server with the 3x1 study, teams `jalisco` and `zacatecas`.
fn spawn(backend: Backend) -> TestApp {
    let app = TestApp::spawn_empty(backend);
    app.install(&common::study_dir(STUDY));
    for (id, name) in [("jalisco", "Jalisco"), ("zacatecas", "Zacatecas")] {
        campo_ok(&["team", "add", STUDY, id, "--name", name, "--db", &app.db.url]);
    }
    app
}

fn token(app: &TestApp, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--db", &app.db.url, "--role", role, "--study", STUDY];
    args.extend(extra);
    campo_ok(&args).lines().last().unwrap().trim().to_string()
}

fn create_person(app: &TestApp, username: &str, password: &str, grant: Option<(&str, Option<&str>)>) {
    let (ok, out, err) = campo_with_stdin(&["user", "create", username, "--name", &format!("Nombre de {username}"), "--db", &app.db.url], &format!("{password}\n"));
    assert!(ok, "user create: {out}{err}");
    if let Some((role, team)) = grant {
        let mut args = vec!["user", "grant", username, "--study", STUDY, "--role", role, "--db", &app.db.url];
        if let Some(t) = team {
            args.extend(["--team", t]);
        }
        campo_ok(&args);
    }
}

fn sign_in(app: &TestApp, user: &str, password: &str) -> common::Reply {
    app.post_json("/api/v1/session", None, &json!({"user": user, "password": password}))
}

fn with_socios(n: i64) -> Value {
    let mut answers = proyecto();
    answers["club"]["p14_n_socios"] = json!(n);
    answers
}

fn submit(app: &TestApp, token: &str, answers: Value, extra: Value) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let mut body = json!({"id": id, "answers": answers});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let reply = app.post_json(&submissions_url(), Some(token), &body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    id
}

fn review(app: &TestApp, token: &str, id: &str, body: Value) -> common::Reply {
    app.post_json(&format!("{}/{id}/review", submissions_url()), Some(token), &body)
}

fn correct(app: &TestApp, token: &str, id: &str, answers: Value) -> common::Reply {
    app.put_json(&format!("{}/{id}", submissions_url()), Some(token), &json!({"answers": answers}))
}

fn revisions(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let reply = app.get(&format!("{}/{id}/revisions", submissions_url()), Some(token));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["revisions"].as_array().unwrap().clone()
}

fn export(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let reply = app.get(&format!("/api/v1/studies/{STUDY}/forms/proyecto/export.csv?format=csv{query}"), Some(token));
    assert_eq!(reply.status, 200, "{}", reply.text());
    csv_rows(&reply.bytes)
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn people_sign_in_with_passwords_and_deactivation_stops_them(backend: Backend) {
    let app = spawn(backend);
    create_person(&app, "ana", "clave-de-ana-2026", Some(("enumerator", Some("zacatecas"))));
    let stored: String = app.db.rows("SELECT password_hash FROM people WHERE username = 'ana'")[0][0].clone();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("clave-de-ana"), "{stored}");
    // A password too short is refused, and nothing is created.
    let (ok, _, err) = campo_with_stdin(&["user", "create", "beto", "--name", "Beto", "--db", &app.db.url], "corta\n");
    assert!(!ok && err.contains("at least"), "{err}");
    assert_eq!(app.db.count("SELECT COUNT(*) FROM people WHERE username = 'beto'"), 0);

    let session = sign_in(&app, "ana", "clave-de-ana-2026");
    assert_eq!(session.status, 201, "{}", session.text());
    let session = session.json();
    let ana = session["token"].as_str().unwrap().to_string();
    assert!(session["expires_at"].as_str().unwrap() > "2026");
    assert_eq!(app.db.count(&format!("SELECT COUNT(*) FROM tokens WHERE hash = '{ana}'")), 0, "only the token's hash is stored");
    let me = app.get("/api/v1/me", Some(&ana)).json();
    assert_eq!(me["name"], "ana");
    assert_eq!(me["memberships"], json!([{"study": STUDY, "role": "enumerator", "team": "zacatecas"}]));
    // The session's role and team apply: ana submits, and her response is in her team.
    let id = submit(&app, &ana, proyecto(), json!({}));
    assert_eq!(app.db.rows(&format!("SELECT enumerator, team_id FROM submissions WHERE id = '{id}'"))[0], ["ana", "zacatecas"]);
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}/forms/proyecto/export.csv"), Some(&ana)).status, 403);

    // A session past its expiry is refused like an unknown token.
    let short = sign_in(&app, "ana", "clave-de-ana-2026").json()["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", Some(&short)).status, 200);
    app.db.rows(&format!("UPDATE tokens SET expires_at = '2026-01-01T00:00:00.000Z' WHERE hash = '{}'", sha256(&short)));
    assert_eq!(app.get("/api/v1/me", Some(&short)).status, 401, "an expired session");
    assert_eq!(app.get("/api/v1/me", Some(&ana)).status, 200, "her other session is still live");

    // Wrong password and unknown user: the same answer.
    let wrong = sign_in(&app, "ana", "no-es-la-clave");
    let unknown = sign_in(&app, "nadie", "no-es-la-clave");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.json()["message"], unknown.json()["message"]);
    assert_eq!(wrong.json()["message"], "Usuario o contraseña incorrectos");
    // Repeated failures are slowed down, even for the right password.
    for _ in 0..3 {
        sign_in(&app, "ana", "no-es-la-clave");
    }
    let throttled = sign_in(&app, "ana", "clave-de-ana-2026");
    assert_eq!(throttled.status, 429, "{}", throttled.text());
    assert!(throttled.headers.get("retry-after").is_some());

    // An API token belonging to ana, and her session: deactivating her stops both at once.
    let api = campo_ok(&["token", "create", "--db", &app.db.url, "--role", "enumerator", "--study", STUDY, "--user", "ana"]);
    let api = api.lines().last().unwrap().trim().to_string();
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}"), Some(&api)).status, 200);
    campo_ok(&["user", "deactivate", "ana", "--db", &app.db.url]);
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}"), Some(&ana)).status, 401);
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}"), Some(&api)).status, 401);
    campo_ok(&["user", "activate", "ana", "--db", &app.db.url]);
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}"), Some(&api)).status, 200);

    // Revoking a token takes effect on its next request; signing out revokes the session.
    let token_id = app.db.rows("SELECT id FROM tokens WHERE person_id IS NOT NULL AND role = 'enumerator'")[0][0].clone();
    campo_ok(&["token", "revoke", &token_id, "--db", &app.db.url]);
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}"), Some(&api)).status, 401);
    let bye = app.send(app.http.delete(format!("{}/api/v1/session", app.url)), Some(&ana));
    assert_eq!(bye.status, 204);
    assert_eq!(app.get("/api/v1/me", Some(&ana)).status, 401);

    let listed = campo_ok(&["user", "list", "--db", &app.db.url]);
    assert!(listed.contains("ana") && listed.contains("enumerator@3x1-migrantes/zacatecas"), "{listed}");
}

fn corrections_are_kept_as_revisions_and_the_export_shows_the_last(backend: Backend) {
    let app = spawn(backend);
    let enumerator = token(&app, "enumerator", &[]);
    let other_enumerator = token(&app, "enumerator", &[]);
    let supervisor = token(&app, "supervisor", &[]);
    let analyst = token(&app, "analyst", &[]);
    let first = submit(&app, &enumerator, with_socios(20), json!({}));
    let second = submit(&app, &enumerator, with_socios(21), json!({}));

    // Only supervisors review; states are checked; has_issues needs a comment.
    assert_eq!(review(&app, &enumerator, &first, json!({"state": "approved"})).status, 403);
    assert_eq!(review(&app, &analyst, &first, json!({"state": "approved"})).status, 403);
    let bogus = review(&app, &supervisor, &first, json!({"state": "bogus"}));
    assert_eq!((bogus.status, bogus.code().as_str()), (422, "invalid_review_state"));
    assert_eq!(review(&app, &supervisor, &first, json!({"state": "received"})).status, 422);
    let silent = review(&app, &supervisor, &first, json!({"state": "has_issues"}));
    assert_eq!((silent.status, silent.code().as_str()), (422, "comment_required"));
    assert_eq!(review(&app, &supervisor, &uuid::Uuid::new_v4().to_string(), json!({"state": "approved"})).status, 404);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions WHERE review_state <> 'received'"), 0, "refused reviews change nothing");

    // The enumerator cannot correct a response that was not sent back.
    assert_eq!(correct(&app, &enumerator, &first, with_socios(30)).status, 409);
    let sent_back = review(&app, &supervisor, &first, json!({"state": "has_issues", "comment": "Revisar el número de socios"}));
    assert_eq!(sent_back.status, 200, "{}", sent_back.text());
    // It is in the enumerator's work list with the comment; not in another enumerator's.
    let work = app.get(&format!("/api/v1/studies/{STUDY}/work"), Some(&enumerator)).json();
    assert_eq!(work["returned"].as_array().unwrap().len(), 1, "{work}");
    assert_eq!(work["returned"][0]["comment"], "Revisar el número de socios");
    assert_eq!(work["returned"][0]["answers"]["club"]["p14_n_socios"], 20);
    let others = app.get(&format!("/api/v1/studies/{STUDY}/work"), Some(&other_enumerator)).json();
    assert_eq!(others["returned"], json!([]));
    assert_eq!(correct(&app, &other_enumerator, &first, with_socios(30)).status, 403);

    // Corrections that break the schema or the logic plugin: refused, nothing changed.
    let mut bad_schema = with_socios(30);
    bad_schema["club"]["p14_n_socios"] = json!("treinta");
    let refused = correct(&app, &enumerator, &first, bad_schema);
    assert_eq!(refused.status, 422);
    assert!(refused.json()["errors"].as_array().unwrap().iter().any(|e| e["path"] == "/club/p14_n_socios"), "{}", refused.text());
    let refused = correct(&app, &supervisor, &first, with_socios(9));
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("club_con_pocos_socios"), "{}", refused.text());
    assert_eq!(revisions(&app, &supervisor, &first).len(), 1);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submission_revisions"), 0);

    // The enumerator's correction: revision 2, back to `received`. A supervisor's: revision 3.
    let fixed = correct(&app, &enumerator, &first, with_socios(30));
    assert_eq!(fixed.status, 200, "{}", fixed.text());
    assert_eq!((fixed.json()["revision"].as_i64(), fixed.json()["review"].as_str()), (Some(2), Some("received")));
    assert_eq!(correct(&app, &enumerator, &first, with_socios(31)).status, 409, "no longer sent back");
    let again = correct(&app, &supervisor, &first, with_socios(33));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["revision"], 3);
    let all = revisions(&app, &analyst, &first);
    let socios: Vec<i64> = all.iter().map(|r| r["answers"]["club"]["p14_n_socios"].as_i64().unwrap()).collect();
    assert_eq!(socios, [20, 30, 33], "every revision kept, oldest first");
    assert_eq!(all.iter().map(|r| r["revision"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(all[2]["scores"].is_object());
    assert_eq!(app.db.count(&format!("SELECT COUNT(*) FROM submission_revisions WHERE submission_id = '{first}'")), 3);

    // Exports use the last revision, with review and revision columns, and filter by state.
    assert_eq!(review(&app, &supervisor, &second, json!({"state": "approved", "comment": "ok"})).status, 200);
    let rows = export(&app, &analyst, "");
    assert_eq!(rows.len(), 3);
    let ids = column(&rows, "submission_id");
    let at = |id: &str| ids.iter().position(|x| x == id).unwrap();
    assert_eq!(column(&rows, "club/p14_n_socios")[at(&first)], "33");
    assert_eq!(column(&rows, "revision")[at(&first)], "3");
    assert_eq!(column(&rows, "review")[at(&first)], "received");
    assert_eq!(column(&rows, "review")[at(&second)], "approved");
    let approved = export(&app, &analyst, "&review=approved");
    assert_eq!(column(&approved, "submission_id"), [second]);
    let bad = app.get(&format!("/api/v1/studies/{STUDY}/forms/proyecto/export.csv?review=done"), Some(&analyst));
    assert_eq!(bad.status, 400);

    // A response of another form or study is not found under this path.
    let elsewhere = app.post_json(&format!("/api/v1/studies/{STUDY}/forms/beneficiario/submissions/{first}/review"), Some(&supervisor), &json!({"state": "approved"}));
    assert_eq!(elsewhere.status, 404);
}

fn teams_limit_what_a_supervisor_sees_and_cases_carry_their_team(backend: Backend) {
    let app = spawn(backend);
    create_person(&app, "rosa", "clave-de-rosa-2026", Some(("enumerator", None)));
    let cases = "key,form,team,enumerator,municipio\nZAC-001,proyecto,zacatecas,rosa,Jerez\nJAL-001,proyecto,jalisco,rosa,Tlaquepaque\nJAL-002,proyecto,jalisco,,Zapopan\n";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), cases).unwrap();
    let out = campo_ok(&["cases", "import", STUDY, file.path().to_str().unwrap(), "--db", &app.db.url]);
    assert!(out.contains("3 case(s)"), "{out}");

    let rosa = sign_in(&app, "rosa", "clave-de-rosa-2026").json()["token"].as_str().unwrap().to_string();
    let work = app.get(&format!("/api/v1/studies/{STUDY}/work"), Some(&rosa)).json();
    let keys: Vec<&str> = work["cases"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["JAL-001", "ZAC-001"], "her assigned cases");
    assert_eq!(work["cases"][1]["attributes"]["municipio"], "Jerez");

    let zac = submit(&app, &rosa, proyecto(), json!({"case": "ZAC-001"}));
    let jal = submit(&app, &rosa, with_socios(25), json!({"case": "JAL-001"}));
    let unknown = app.post_json(&submissions_url(), Some(&rosa), &json!({"id": uuid::Uuid::new_v4(), "answers": proyecto(), "case": "NO-EXISTE"}));
    assert_eq!((unknown.status, unknown.code().as_str()), (422, "unknown_case"));
    assert_eq!(app.db.rows(&format!("SELECT team_id, case_key FROM submissions WHERE id = '{zac}'"))[0], ["zacatecas", "ZAC-001"]);

    let jalisco_supervisor = token(&app, "supervisor", &["--team", "jalisco"]);
    let rows = export(&app, &jalisco_supervisor, "");
    assert_eq!(column(&rows, "submission_id"), [jal.as_str()], "only the team's responses");
    assert_eq!(column(&rows, "team"), ["jalisco"]);
    assert_eq!(column(&rows, "case"), ["JAL-001"]);
    assert_eq!(review(&app, &jalisco_supervisor, &zac, json!({"state": "approved"})).status, 403);
    assert_eq!(review(&app, &jalisco_supervisor, &jal, json!({"state": "approved"})).status, 200);
    let listed = app.get(&format!("/api/v1/studies/{STUDY}/cases"), Some(&jalisco_supervisor)).json();
    let listed: Vec<(String, i64)> = listed["cases"].as_array().unwrap().iter().map(|c| (c["key"].as_str().unwrap().to_string(), c["responses"].as_i64().unwrap())).collect();
    assert_eq!(listed, [("JAL-001".to_string(), 1), ("JAL-002".to_string(), 0)]);
    let dashboard = app.get(&format!("/api/v1/studies/{STUDY}/dashboard"), Some(&jalisco_supervisor)).json();
    assert_eq!((dashboard["team"].as_str(), dashboard["totals"]["responses"].as_i64()), (Some("jalisco"), Some(1)));
    // A team-limited supervisor imports only their team's cases.
    let outside = app.post_raw(&format!("/api/v1/studies/{STUDY}/cases"), Some(&jalisco_supervisor), b"key,form,team\nZAC-009,proyecto,zacatecas\n".to_vec(), "text/csv");
    assert_eq!(outside.status, 422, "{}", outside.text());
}

fn a_bad_case_file_is_refused_whole_with_every_problem(backend: Backend) {
    let app = spawn(backend);
    let supervisor = token(&app, "supervisor", &[]);
    let url = format!("/api/v1/studies/{STUDY}/cases");
    let bad = "key,form,team,enumerator\nA-1,proyecto,jalisco,\nA-1,proyecto,jalisco,\nA-2,proyecto,sonora,\nA-3,encuesta,jalisco,\nA-4,proyecto,jalisco,fantasma\n";
    let reply = app.post_raw(&url, Some(&supervisor), bad.as_bytes().to_vec(), "text/csv");
    assert_eq!(reply.status, 422, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["code"], "invalid_case_file");
    let rows: Vec<i64> = body["problems"].as_array().unwrap().iter().map(|p| p["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, [3, 4, 5, 6]);
    assert!(body["problems"][1]["message"].as_str().unwrap().contains("sonora"));
    assert_eq!(app.db.count("SELECT COUNT(*) FROM cases"), 0, "nothing imported");
    let (ok, _, err) = {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bad).unwrap();
        common::campo(&["cases", "import", STUDY, file.path().to_str().unwrap(), "--db", &app.db.url])
    };
    assert!(!ok && err.contains("row 3") && err.contains("nothing was imported"), "{err}");
    let good = app.post_raw(&url, Some(&supervisor), b"key,form,team\nA-1,proyecto,jalisco\nA-2,proyecto,zacatecas\n".to_vec(), "text/csv");
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(good.json()["imported"], 2);
    let enumerator = token(&app, "enumerator", &[]);
    assert_eq!(app.post_raw(&url, Some(&enumerator), b"key\nB\n".to_vec(), "text/csv").status, 403);
    assert_eq!(app.db.count("SELECT COUNT(*) FROM cases"), 2);
}

fn the_audit_log_records_every_action_and_detects_tampering(backend: Backend) {
    let app = spawn(backend);
    let admin = common::campo(&["token", "create", "--db", &app.db.url, "--role", "admin"]).1.lines().last().unwrap().trim().to_string();
    create_person(&app, "lucia", "clave-de-lucia-2026", Some(("supervisor", None)));
    let lucia = sign_in(&app, "lucia", "clave-de-lucia-2026").json()["token"].as_str().unwrap().to_string();
    let enumerator = token(&app, "enumerator", &[]);
    let analyst = token(&app, "analyst", &[]);
    let designer = token(&app, "designer", &[]);
    let id = submit(&app, &enumerator, proyecto(), json!({}));
    assert_eq!(review(&app, &lucia, &id, json!({"state": "has_issues", "comment": "socios"})).status, 200);
    assert_eq!(correct(&app, &enumerator, &id, with_socios(40)).status, 200);
    assert_eq!(app.post_raw(&format!("/api/v1/studies/{STUDY}/cases"), Some(&lucia), b"key,team\nX-1,jalisco\n".to_vec(), "text/csv").status, 422, "two forms, no form column");
    assert_eq!(app.post_raw(&format!("/api/v1/studies/{STUDY}/cases"), Some(&lucia), b"key,form,team\nX-1,proyecto,jalisco\n".to_vec(), "text/csv").status, 200);
    let wasm = std::fs::read(common::study_dir("ejemplo-hogares").join("plugins/ejemplo_hogares.wasm")).unwrap();
    assert!([200, 201].contains(&app.post_raw("/api/v1/plugins", Some(&designer), wasm, "application/wasm").status));
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}/forms/proyecto/export.csv"), Some(&analyst)).status, 200);
    campo_ok(&["user", "deactivate", "lucia", "--db", &app.db.url]);
    app.db.wait_until_audited();

    let actions: Vec<String> = app.db.rows("SELECT action FROM audit_log ORDER BY seq").into_iter().map(|r| r[0].clone()).collect();
    for expected in [
        "study.install", "version.publish", "team.upsert", "person.create", "membership.grant", "session.create", "token.create",
        "submission.create", "submission.review", "submission.correct", "case.import", "plugin.upload", "export.csv", "person.deactivate",
    ] {
        assert!(actions.iter().any(|a| a == expected), "no {expected} in {actions:?}");
    }
    // Who and from which token.
    let review_row = &app.db.rows("SELECT actor, token_id, target, details FROM audit_log WHERE action = 'submission.review'")[0];
    assert_eq!(review_row[0], "lucia");
    assert_ne!(review_row[1], "NULL");
    assert_eq!(review_row[2], id);
    assert!(review_row[3].contains("has_issues"));

    // Admins read it, paged, and as CSV; nobody else does.
    assert_eq!(app.get(&format!("/api/v1/audit?study={STUDY}"), Some(&analyst)).status, 403);
    let page = app.get(&format!("/api/v1/audit?study={STUDY}&limit=3"), Some(&admin)).json();
    assert_eq!(page["entries"].as_array().unwrap().len(), 3);
    let next = page["next_after"].as_i64().unwrap();
    let page2 = app.get(&format!("/api/v1/audit?study={STUDY}&limit=3&after={next}"), Some(&admin)).json();
    assert!(page2["entries"][0]["seq"].as_i64().unwrap() > next);
    let csv = app.get("/api/v1/audit?format=csv", Some(&admin));
    let rows = csv_rows(&csv.bytes);
    assert_eq!(rows[0][..3], ["seq", "at", "actor"]);
    assert_eq!(rows.len() as i64 - 1, app.db.count("SELECT COUNT(*) FROM audit_log"), "every entry, one row each");

    let verify = |db: &TestDb| common::campo(&["audit", "verify", "--db", &db.url]);
    let (ok, out, err) = verify(&app.db);
    assert!(ok, "{out}{err}");
    assert!(out.contains("intact"));
    // Edit one entry: verify fails and names it.
    let seq = app.db.rows("SELECT seq FROM audit_log WHERE action = 'submission.review'")[0][0].clone();
    app.db.rows(&format!("UPDATE audit_log SET details = '{{\"state\":\"approved\"}}' WHERE seq = {seq}"));
    let (ok, out, err) = verify(&app.db);
    assert!(!ok, "a tampered log passes: {out}");
    assert!(err.contains(&format!("entry {seq}")), "{err}");
}

fn a_deleted_audit_entry_is_detected(backend: Backend) {
    let app = spawn(backend);
    let enumerator = token(&app, "enumerator", &[]);
    for n in 20..23 {
        submit(&app, &enumerator, with_socios(n), json!({}));
    }
    app.db.wait_until_audited();
    let (ok, out, err) = common::campo(&["audit", "verify", "--db", &app.db.url]);
    assert!(ok, "{out}{err}");
    app.db.rows("DELETE FROM audit_log WHERE seq = 4");
    let (ok, _, err) = common::campo(&["audit", "verify", "--db", &app.db.url]);
    assert!(!ok && err.contains("entry 4"), "{err}");
}

fn the_dashboard_figures_equal_counts_computed_in_sql(backend: Backend) {
    let app = spawn(backend);
    create_person(&app, "eva", "clave-de-eva-2026", Some(("enumerator", None)));
    let cases = "key,form,team,enumerator\nZ-1,proyecto,zacatecas,eva\nZ-2,proyecto,zacatecas,eva\nJ-1,proyecto,jalisco,\n";
    let supervisor = token(&app, "supervisor", &[]);
    assert_eq!(app.post_raw(&format!("/api/v1/studies/{STUDY}/cases"), Some(&supervisor), cases.as_bytes().to_vec(), "text/csv").status, 200);
    let eva = sign_in(&app, "eva", "clave-de-eva-2026").json()["token"].as_str().unwrap().to_string();
    let other = token(&app, "enumerator", &["--team", "jalisco", "--label", "pedro"]);
    let timing = |minutes: i64| json!({"started_at": "2026-05-04T10:00:00Z", "completed_at": format!("2026-05-04T10:{minutes:02}:00Z")});
    let a = submit(&app, &eva, proyecto(), {
        let mut t = timing(20);
        t["case"] = json!("Z-1");
        t
    });
    submit(&app, &eva, with_socios(40), timing(30));
    submit(&app, &other, with_socios(50), timing(45));
    submit(&app, &other, with_socios(60), json!({"case": "J-1"}));
    assert_eq!(review(&app, &supervisor, &a, json!({"state": "approved"})).status, 200);

    let figures = app.get(&format!("/studies/{STUDY}/dashboard?format=json"), Some(&supervisor)).json();
    let sql = |q: &str| app.db.count(q);
    assert_eq!(figures["totals"]["responses"].as_i64().unwrap(), sql(&format!("SELECT COUNT(*) FROM submissions WHERE study_id = '{STUDY}'")));
    assert_eq!(figures["totals"]["review_backlog"].as_i64().unwrap(), sql("SELECT COUNT(*) FROM submissions WHERE review_state = 'received'"));
    assert_eq!(figures["totals"]["cases"].as_i64().unwrap(), sql("SELECT COUNT(*) FROM cases"));
    assert_eq!(
        figures["totals"]["cases_done"].as_i64().unwrap(),
        sql("SELECT COUNT(*) FROM cases c WHERE EXISTS (SELECT 1 FROM submissions s WHERE s.case_key = c.case_key)")
    );
    for row in figures["per_enumerator"].as_array().unwrap() {
        let name = row["label"].as_str().unwrap();
        assert_eq!(row["count"].as_i64().unwrap(), sql(&format!("SELECT COUNT(*) FROM submissions WHERE enumerator = '{name}'")), "{name}");
    }
    for row in figures["per_team"].as_array().unwrap() {
        let team = row["label"].as_str().unwrap();
        let filter = if team == "—" { "team_id IS NULL".to_string() } else { format!("team_id = '{team}'") };
        assert_eq!(row["count"].as_i64().unwrap(), sql(&format!("SELECT COUNT(*) FROM submissions WHERE {filter}")), "{team}");
    }
    for row in figures["review"].as_array().unwrap() {
        let state = row["label"].as_str().unwrap();
        assert_eq!(row["count"].as_i64().unwrap(), sql(&format!("SELECT COUNT(*) FROM submissions WHERE review_state = '{state}'")));
    }
    let day_total: i64 = figures["per_day"].as_array().unwrap().iter().map(|d| d["count"].as_i64().unwrap()).sum();
    assert_eq!(day_total, 4);
    assert_eq!(figures["median_duration_minutes"], 30.0, "median of 20, 30 and 45 minutes");
    let eva_cases = figures["cases_per_enumerator"].as_array().unwrap().iter().find(|p| p["label"] == "eva").unwrap().clone();
    assert_eq!((eva_cases["total"].as_i64(), eva_cases["done"].as_i64()), (Some(2), Some(1)));
    // A histogram per declared score, counting every scored response.
    let histograms = figures["scores"].as_array().unwrap();
    assert!(!histograms.is_empty());
    for h in histograms.iter().filter(|h| h["form"] == "proyecto") {
        let binned: i64 = h["bins"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
        assert_eq!(binned + h["nulls"].as_i64().unwrap(), 4, "{h}");
    }

    // The page: inline SVG, Spanish by default, English on request; JSON at the API path too.
    let page = app.get(&format!("/studies/{STUDY}/dashboard"), Some(&supervisor));
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("<svg") && html.contains("Respuestas por día") && !html.contains("<script"), "{html}");
    assert!(app.get(&format!("/studies/{STUDY}/dashboard?lang=en"), Some(&supervisor)).text().contains("Responses per day"));
    assert_eq!(app.get(&format!("/api/v1/studies/{STUDY}/dashboard"), Some(&supervisor)).json()["totals"], figures["totals"]);
    assert_eq!(app.get(&format!("/studies/{STUDY}/dashboard"), Some(&eva)).status, 403, "enumerators do not see the dashboard");
    assert_eq!(app.get(&format!("/studies/{STUDY}/dashboard"), None).status, 401);

    // A supervisor who signed in with a password follows a link to the page: the session
    // cookie carries her in. The cookie opens pages only, never the API; signing out ends it.
    create_person(&app, "sara", "clave-de-sara-2026", Some(("supervisor", None)));
    let signed_in = sign_in(&app, "sara", "clave-de-sara-2026");
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/studies"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let with_cookie = |path: &str| app.send(app.http.get(format!("{}{path}", app.url)).header("cookie", &pair), None);
    let page = with_cookie(&format!("/studies/{STUDY}/dashboard"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<svg"));
    assert_eq!(with_cookie(&format!("/api/v1/studies/{STUDY}/dashboard")).status, 401, "the API takes no cookie");
    assert_eq!(with_cookie(&format!("/api/v1/studies/{STUDY}")).status, 401);
    let sara = signed_in.json()["token"].as_str().unwrap().to_string();
    let bye = app.send(app.http.delete(format!("{}/api/v1/session", app.url)), Some(&sara));
    assert!(bye.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(with_cookie(&format!("/studies/{STUDY}/dashboard")).status, 401, "signed out");
}

crate::on_both_backends!(
    people_sign_in_with_passwords_and_deactivation_stops_them,
    corrections_are_kept_as_revisions_and_the_export_shows_the_last,
    teams_limit_what_a_supervisor_sees_and_cases_carry_their_team,
    a_bad_case_file_is_refused_whole_with_every_problem,
    the_audit_log_records_every_action_and_detects_tampering,
    a_deleted_audit_entry_is_detected,
    the_dashboard_figures_equal_counts_computed_in_sql,
    concurrent_requests_each_get_their_own_token_read_after_they_arrive,
);

/// Token look-ups of concurrent requests share queries on PostgreSQL (`store::token_reader`).
/// 24 threads send 480 requests with eight live tokens (each its own name and role), a revoked
/// one and an unknown one, interleaved: each answer names its own token's holder, and the dead
/// ones are 401. Then a token revoked while the load runs is refused from the next request on.
fn concurrent_requests_each_get_their_own_token_read_after_they_arrive(backend: Backend) {
    let app = spawn(backend);
    let roles = ["enumerator", "supervisor", "analyst", "designer"];
    let live: Vec<(String, String)> = (0..8)
        .map(|i| {
            let label = format!("guion-{i}");
            (token(&app, roles[i % roles.len()], &["--label", &label]), label)
        })
        .collect();
    let revoked = token(&app, "enumerator", &["--label", "revocado"]);
    let revoked_id = app.db.rows("SELECT id FROM tokens WHERE label = 'revocado'")[0][0].clone();
    campo_ok(&["token", "revoke", &revoked_id, "--db", &app.db.url]);
    let unknown = format!("campo_{}", "0".repeat(64));

    let next = std::sync::atomic::AtomicUsize::new(0);
    let victim_revoked = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..24 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= 480 {
                        break;
                    }
                    match n % 10 {
                        8 => assert_eq!(app.get("/api/v1/me", Some(&revoked)).status, 401, "revoked"),
                        9 => assert_eq!(app.get("/api/v1/me", Some(&unknown)).status, 401, "unknown"),
                        i => {
                            let (token, label) = &live[i];
                            let after_revocation = victim_revoked.load(std::sync::atomic::Ordering::SeqCst);
                            let me = app.get("/api/v1/me", Some(token));
                            if i == 0 && (after_revocation || me.status == 401) {
                                assert!(me.status == 401 || !after_revocation, "a request sent after the revocation committed is refused");
                                continue;
                            }
                            assert_eq!(me.status, 200, "{}", me.text());
                            assert_eq!(me.json()["name"], label.as_str(), "each request is answered with its own token");
                        }
                    }
                }
            });
        }
        // Revoked in the middle of the load: refused from the next request on.
        let (victim, _) = &live[0];
        let victim_id = app.db.rows("SELECT id FROM tokens WHERE label = 'guion-0'")[0][0].clone();
        while next.load(std::sync::atomic::Ordering::Relaxed) < 240 {
            std::thread::yield_now();
        }
        app.db.rows(&format!("UPDATE tokens SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE id = {victim_id}"));
        victim_revoked.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(app.get("/api/v1/me", Some(victim)).status, 401, "revoked under load");
    });
}
