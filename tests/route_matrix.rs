//! Who may call what: every route of the router (read from the OpenAPI document the router
//! generates, so a new route without a rule here fails this test) × every role, in and out of
//! the study and the team, with the expected allow or deny.
//!
//! "Allowed" means the role gate let the request through: any answer but 401 or 403 (a 404 for
//! a job that does not exist, a 422 for an empty response, a 409 for a correction of a response
//! not sent back are all past the gate). "Denied" means exactly 403.

mod common;

use common::{Backend, TestApp, campo};
use serde_json::{Value, json};

const STUDY: &str = "3x1-migrantes";
const OTHER: &str = "ejemplo-hogares";

/// Who may pass a route's gate (admin always may).
struct Rule {
    /// Roles allowed; `ANY` for every authenticated caller.
    roles: &'static [&'static str],
    /// The route belongs to `{study}`: callers limited to another study are denied.
    study: bool,
    /// The route names one response: callers limited to another team are denied.
    team: bool,
}

const ANY: &[&str] = &["designer", "enumerator", "analyst", "supervisor"];

fn rule(method: &str, path: &str) -> Option<Rule> {
    let r = |roles, study, team| Some(Rule { roles, study, team });
    let sub = "/api/v1/studies/{study}/forms/{form}/submissions";
    match (method, path) {
        ("get", "/api/v1/me") | ("delete", "/api/v1/session") | ("get", "/api/v1/plugins/{hash}") => r(ANY, false, false),
        ("get", "/api/v1/studies") => r(ANY, false, false),
        ("post", "/api/v1/studies") => r(&["designer"], true, false),
        ("get" | "post", "/api/v1/plugins") => r(&["designer"], false, false),
        ("get", "/api/v1/audit") => r(&[], false, false),
        ("get", "/api/v1/studies/{study}") | ("get", "/api/v1/studies/{study}/forms/{form}") => r(ANY, true, false),
        ("get", "/api/v1/studies/{study}/forms/{form}/versions/{version}") => r(ANY, true, false),
        ("post", "/api/v1/studies/{study}/forms/{form}/evaluate") => r(&["enumerator", "designer", "supervisor"], true, false),
        ("get", "/api/v1/studies/{study}/forms/{form}/export.csv") => r(&["analyst", "supervisor"], true, false),
        ("get", "/api/v1/studies/{study}/forms/{form}/codebook.csv" | "/api/v1/studies/{study}/forms/{form}/codebook.html") => {
            r(&["analyst", "designer", "supervisor"], true, false)
        }
        ("post", "/api/v1/studies/{study}/forms/{form}/rescore") => r(&["designer"], true, false),
        ("get", "/api/v1/studies/{study}/forms/{form}/rescore/{job}") => r(&["designer", "analyst"], true, false),
        ("get", "/api/v1/studies/{study}/teams") => r(ANY, true, false),
        ("put", "/api/v1/studies/{study}/teams") => r(&["designer"], true, false),
        ("get", "/api/v1/studies/{study}/cases") => r(&["supervisor", "analyst", "designer"], true, false),
        ("post", "/api/v1/studies/{study}/cases") => r(&["supervisor", "designer"], true, false),
        ("get", "/api/v1/studies/{study}/work") => r(&["enumerator"], true, false),
        ("get", "/api/v1/studies/{study}/dashboard" | "/studies/{study}/dashboard") => r(&["supervisor", "analyst"], true, false),
        ("post", p) if p == sub => r(&["enumerator"], true, false),
        ("get", p) if p == sub => r(&["analyst", "supervisor"], true, false),
        ("put", p) if p == format!("{sub}/{{id}}") => r(&["supervisor", "enumerator"], true, true),
        ("post", p) if p == format!("{sub}/{{id}}/review") => r(&["supervisor"], true, true),
        ("get", p) if p == format!("{sub}/{{id}}/revisions") => r(&["supervisor", "analyst", "enumerator"], true, true),
        _ => None,
    }
}

/// Routes anyone may call.
fn is_public(method: &str, path: &str) -> bool {
    matches!((method, path), ("get", "/healthz") | ("post", "/api/v1/session"))
}

/// A caller: role, study and team it is limited to.
struct Caller {
    name: &'static str,
    role: &'static str,
    study: Option<&'static str>,
    team: Option<&'static str>,
}

const CALLERS: &[Caller] = &[
    Caller { name: "admin", role: "admin", study: None, team: None },
    Caller { name: "designer in study", role: "designer", study: Some(STUDY), team: None },
    Caller { name: "enumerator in study", role: "enumerator", study: Some(STUDY), team: None },
    Caller { name: "analyst in study", role: "analyst", study: Some(STUDY), team: None },
    Caller { name: "supervisor in study", role: "supervisor", study: Some(STUDY), team: None },
    Caller { name: "supervisor of the response's team", role: "supervisor", study: Some(STUDY), team: Some("zacatecas") },
    Caller { name: "supervisor of another team", role: "supervisor", study: Some(STUDY), team: Some("jalisco") },
    Caller { name: "analyst of another team", role: "analyst", study: Some(STUDY), team: Some("jalisco") },
    Caller { name: "designer in another study", role: "designer", study: Some(OTHER), team: None },
    Caller { name: "enumerator in another study", role: "enumerator", study: Some(OTHER), team: None },
    Caller { name: "supervisor in another study", role: "supervisor", study: Some(OTHER), team: None },
    Caller { name: "analyst in another study", role: "analyst", study: Some(OTHER), team: None },
];

fn expected_allowed(rule: &Rule, caller: &Caller) -> bool {
    if caller.role == "admin" {
        return true;
    }
    if !rule.roles.contains(&caller.role) {
        return false;
    }
    if rule.study && caller.study.is_some_and(|s| s != STUDY) {
        return false;
    }
    !(rule.team && caller.team.is_some_and(|t| t != "zacatecas"))
}

fn make_token(app: &TestApp, caller: &Caller) -> String {
    let mut args = vec!["token", "create", "--db", &app.db.url, "--role", caller.role, "--label", caller.name];
    if let Some(s) = caller.study {
        args.extend(["--study", s]);
    }
    if let Some(t) = caller.team {
        args.extend(["--team", t]);
    }
    let (ok, out, err) = campo(&args);
    assert!(ok, "{err}");
    out.lines().last().unwrap().trim().to_string()
}

/// A body the route's extractor accepts, so that the gate, not the body, decides.
fn body_for(method: &str, path: &str) -> Option<(Vec<u8>, &'static str)> {
    let json = |v: Value| Some((v.to_string().into_bytes(), "application/json"));
    match (method, path) {
        ("post", "/api/v1/studies") => json(json!({"manifest": {"id": STUDY}, "files": {}})),
        ("post", "/api/v1/plugins") => Some((b"not wasm".to_vec(), "application/wasm")),
        ("post", "/api/v1/studies/{study}/cases") => Some((b"key\n".to_vec(), "text/csv")),
        ("put", "/api/v1/studies/{study}/teams") => json(json!([])),
        ("post", p) if p.ends_with("/submissions") => json(json!({"id": uuid::Uuid::new_v4(), "answers": {}})),
        ("put", _) => json(json!({"answers": {}})),
        ("post", p) if p.ends_with("/review") => json(json!({"state": "approved"})),
        ("post", p) if p.ends_with("/evaluate") => json(json!({"answers": {}})),
        ("post", p) if p.ends_with("/rescore") => json(json!({"plugin": "0".repeat(64)})),
        ("post", _) => json(json!({})),
        _ => None,
    }
}

fn every_route_allows_exactly_the_roles_it_should(backend: Backend) {
    let app = TestApp::spawn_empty(backend);
    app.install(&common::study_dir(STUDY));
    app.install(&common::study_dir(OTHER));
    for team in ["zacatecas", "jalisco"] {
        let (ok, _, err) = campo(&["team", "add", STUDY, team, "--name", team, "--db", &app.db.url]);
        assert!(ok, "{err}");
    }
    let admin = make_token(&app, &CALLERS[0]);
    let cases = app.post_raw(&format!("/api/v1/studies/{STUDY}/cases"), Some(&admin), b"key,form,team\nZAC-1,proyecto,zacatecas\n".to_vec(), "text/csv");
    assert_eq!(cases.status, 200, "{}", cases.text());
    let tokens: Vec<String> = CALLERS.iter().map(|c| make_token(&app, c)).collect();
    // The response the id routes name: submitted by the enumerator in study, for a case of zacatecas.
    let answers = common::generate(STUDY, "proyecto", 1, 5)[0]["answers"].clone();
    let id = uuid::Uuid::new_v4().to_string();
    let submitted = app.post_json(
        &format!("/api/v1/studies/{STUDY}/forms/proyecto/submissions"),
        Some(&tokens[2]),
        &json!({"id": id, "answers": answers, "case": "ZAC-1"}),
    );
    assert_eq!(submitted.status, 201, "{}", submitted.text());
    let hash = app.get(&format!("/api/v1/studies/{STUDY}"), Some(&admin)).json()["forms"][0]["versions"][0]["logic_plugin"].as_str().unwrap().to_string();

    let doc = app.get("/api/v1/openapi.json", None).json();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if is_public(method, path) {
                continue;
            }
            let rule = rule(method, path).unwrap_or_else(|| panic!("{method} {path} has no rule in tests/route_matrix.rs: add one"));
            let concrete = path
                .replace("{study}", STUDY)
                .replace("{form}", "proyecto")
                .replace("{id}", &id)
                .replace("{version}", "2017.1")
                .replace("{hash}", &hash)
                .replace("{job}", "999999");
            for (caller, token) in CALLERS.iter().zip(&tokens) {
                // Signing out revokes the token used: give it a throwaway one.
                let token = if method == "delete" && path == "/api/v1/session" { make_token(&app, caller) } else { token.clone() };
                let mut request = app.http.request(method.to_uppercase().parse().unwrap(), format!("{}{concrete}", app.url));
                if let Some((body, content_type)) = body_for(method, path) {
                    request = request.header("content-type", content_type).body(body);
                }
                let status = app.send(request, Some(&token)).status;
                let allowed = expected_allowed(&rule, caller);
                let ok = if allowed { status != 401 && status != 403 } else { status == 403 };
                if !ok {
                    failures.push(format!("{method} {path} as {}: {status}, expected {}", caller.name, if allowed { "allowed" } else { "403" }));
                }
                checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 25 * CALLERS.len(), "only {checked} checks");
}

crate::on_both_backends!(every_route_allows_exactly_the_roles_it_should);
