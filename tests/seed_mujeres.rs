//! The seed study `mujeres-migrantes-rm` end to end, against the real server and SQLite:
//! generated interviews are all accepted and stored with the scores the scoring plugin computes
//! natively; an interview that breaks a rule is refused with that rule's code and messages.

mod common;

use campo_sdk::{Input, Logic, Scores, Severity};
use common::*;
use serde_json::{Value, json};

const STUDY: &str = "mujeres-migrantes-rm";
const SUBMIT: &str = "/api/v1/studies/mujeres-migrantes-rm/forms/cuestionario/submissions";

fn settings() -> Value {
    let manifest = std::fs::read_to_string(study_dir(STUDY).join("manifest.json")).expect("the bundle's manifest");
    serde_json::from_str::<Value>(&manifest).expect("manifest is JSON")["settings"].clone()
}

fn native_logic(answers: &Value) -> Logic {
    let mut logic = Logic::default();
    mujeres_migrantes_logic::logic(&Input::new(answers.clone()).with_settings(settings()), &mut logic);
    logic
}

/// What the server stores as scores: the logic's computed values applied, then scored.
fn native_scores(answers: &Value) -> Value {
    let mut answers = answers.clone();
    for (path, value) in native_logic(&answers).computed {
        *answers.pointer_mut(&path).expect("computed into an existing section") = value;
    }
    let mut scores = Scores::default();
    mujeres_migrantes_scoring::score(&Input::new(answers).with_settings(settings()), &mut scores);
    serde_json::to_value(scores.scores).expect("scores serialize")
}

fn app_with_study() -> (TestApp, String) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(STUDY));
    let enumerator = app.token("enumerator", Some(STUDY));
    (app, enumerator)
}

#[test]
fn a_thousand_generated_interviews_are_accepted_with_the_native_scores() {
    let (app, enumerator) = app_with_study();
    let bodies = generate(STUDY, "cuestionario", 1_000, 2017);
    for body in &bodies {
        let reply = app.post_json(SUBMIT, Some(&enumerator), body);
        assert_eq!(reply.status, 201, "{body}: {}", reply.text());
        assert_eq!(reply.json()["scores"], native_scores(&body["answers"]), "{body}");
    }
    let stored = app.db.rows("SELECT id, scores FROM submissions ORDER BY seq");
    assert_eq!(stored.len(), 1_000);
    for (body, row) in bodies.iter().zip(&stored) {
        assert_eq!(row[0], body["id"].as_str().unwrap(), "stored in order");
        assert_eq!(serde_json::from_str::<Value>(&row[1]).unwrap(), native_scores(&body["answers"]));
    }
    let indexed = bodies.iter().filter(|b| native_scores(&b["answers"])["autonomia_economica"]["value"].is_number()).count();
    assert!(indexed > 900, "most interviews have an economic autonomy index: {indexed}");
}

#[test]
fn the_screening_outcome_is_computed_and_screened_out_interviews_have_no_scores() {
    let (app, enumerator) = app_with_study();
    let body = json!({"id": uuid_simple_v4(), "answers": {"identificacion": {"a01_consent": "no"}}});
    let reply = app.post_json(SUBMIT, Some(&enumerator), &body);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["scores"]["autonomia_economica"]["value"], Value::Null);
    let answers: Value = serde_json::from_str(&app.db.rows("SELECT answers FROM submissions")[0][0]).unwrap();
    assert_eq!(answers["identificacion"]["a14_resultado"], "rechaza");
}

fn uuid_simple_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The logic plugin's worked respondent (plugins/mujeres-migrantes-logic/src/tests.rs).
fn respondent() -> Value {
    json!({
        "identificacion": {
            "a01_consent": "si", "a02_fecha": "2017-10-16", "a03_region": "13", "a04_comuna": "13108",
            "a05_edad": 34, "a06_pais_nac": "peru", "a08_anio_llegada": 2012,
            "a09_nacionalidad": "solo_extranjera", "a10_estatus": "permanencia_definitiva",
            "a11_cedula": "si", "a12_lengua": "espanol"
        },
        "hogar": {
            "b01_n_personas": 3,
            "b_miembros": [
                {"b02_parentesco": "pareja", "b03_sexo": "hombre", "b04_edad": 37, "b05_nacio_chile": "no", "b06_cuidados": "no"},
                {"b02_parentesco": "hijo", "b03_sexo": "mujer", "b04_edad": 4, "b05_nacio_chile": "si", "b06_cuidados": "si"}
            ],
            "b07_hijos_origen": 1, "b08_remesas": "si", "b09_monto_remesas": 80000
        },
        "trabajo": {
            "c01_nivel_educ": "media", "c02_anios_esc": 12, "c04_trabajo": "si",
            "c07_ocupacion": "tcp_puertas_afuera", "c08_categoria": "tcp", "c09_contrato": "si_firmado",
            "c10_cotiza": "si", "c11_horas": 45, "c12_ingreso_trab": 300000,
            "c13_otros_ingresos": ["ninguno"], "c15_ingreso_hogar": 750000,
            "c16_decide_ingreso": "yo_sola", "c17_cuenta": "si", "c18_discrim_lab": ["ninguna"]
        },
        "tiempo": {"d01_h_domestico": 3.0, "d02_h_cuidado": 2.5, "d03_comparte": "algo"},
        "salud": {
            "e01_prevision": "fonasa", "e02_atencion_negada": "no", "e03_hijos_nv": 2, "e04_edad_1er_hijo": 19,
            "e05_embarazada": "no", "e07_anticonc": "si", "e08_metodo": "diu"
        },
        "violencia": {
            "f00_privacidad": "si", "f01_pareja": "actual", "f02_v_psico": "no", "f03_v_fisica": "no",
            "f04_v_sexual": "no", "f05_v_economica": "no", "f08_acoso_publico": "no",
            "f09_discrim_origen": "si", "f10_conoce_serv": "si"
        },
        "redes": {"g01_organizacion": "no", "g02_decide_salud": "yo_sola"}
    })
}

/// `respondent()` with answers replaced by JSON Pointer (`null` removes one).
fn breaking(changes: &[(&str, Value)]) -> Value {
    let mut answers = respondent();
    for (pointer, value) in changes {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = answers.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent object");
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), value.clone());
        }
    }
    answers
}

#[test]
fn an_interview_breaking_a_rule_is_refused_with_that_rules_message() {
    let (app, enumerator) = app_with_study();
    let accepted = app.post_json(SUBMIT, Some(&enumerator), &json!({"id": uuid_simple_v4(), "answers": respondent()}));
    assert_eq!(accepted.status, 201, "{}", accepted.text());

    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("consent declined", breaking(&[("/identificacion/a01_consent", json!("no"))]), "/identificacion/a02_fecha", "not_relevant"),
        ("under 18", breaking(&[("/identificacion/a05_edad", json!(17))]), "/identificacion/a06_pais_nac", "not_relevant"),
        ("born in Chile", breaking(&[("/identificacion/a06_pais_nac", json!("chile"))]), "/hogar", "not_relevant"),
        ("interview date", breaking(&[("/identificacion/a02_fecha", json!("2017-07-31"))]), "/identificacion/a02_fecha", "fecha_fuera_de_trabajo_de_campo"),
        ("comuna", breaking(&[("/identificacion/a04_comuna", json!("01101"))]), "/identificacion/a04_comuna", "comuna_fuera_de_region"),
        ("arrival before birth", breaking(&[("/identificacion/a08_anio_llegada", json!(1981))]), "/identificacion/a08_anio_llegada", "llegada_antes_de_nacer"),
        ("arrival after interview", breaking(&[("/identificacion/a08_anio_llegada", json!(2018))]), "/identificacion/a08_anio_llegada", "llegada_despues_de_entrevista"),
        ("roster size", breaking(&[("/hogar/b01_n_personas", json!(4))]), "/hogar/b_miembros", "miembros_no_cuadran"),
        ("one-person roster", breaking(&[("/hogar/b01_n_personas", json!(1)), ("/tiempo/d03_comparte", Value::Null)]), "/hogar/b_miembros", "not_relevant"),
        ("domestic worker category", breaking(&[("/trabajo/c08_categoria", json!("asalariada"))]), "/trabajo/c08_categoria", "categoria_debe_ser_tcp"),
        ("none with other incomes", breaking(&[("/trabajo/c13_otros_ingresos", json!(["ninguno", "pension"])), ("/trabajo/c14_monto_otros", json!(1000))]), "/trabajo/c13_otros_ingresos", "ninguno_exclusivo"),
        ("none with workplace experiences", breaking(&[("/trabajo/c18_discrim_lab", json!(["ninguna", "acoso_sexual"]))]), "/trabajo/c18_discrim_lab", "ninguna_exclusiva"),
        ("household income", breaking(&[("/trabajo/c15_ingreso_hogar", json!(299_999))]), "/trabajo/c15_ingreso_hogar", "ingreso_hogar_menor_que_propio"),
        ("day over 24 hours", breaking(&[("/tiempo/d01_h_domestico", json!(8.0)), ("/tiempo/d02_h_cuidado", json!(7.5))]), "/tiempo/d02_h_cuidado", "dia_de_mas_de_24_horas"),
        ("first birth after her age", breaking(&[("/salud/e04_edad_1er_hijo", json!(35))]), "/salud/e04_edad_1er_hijo", "primer_hijo_despues_de_edad_actual"),
        ("income of a working woman", breaking(&[("/trabajo/c12_ingreso_trab", Value::Null)]), "/trabajo/c12_ingreso_trab", "required"),
        ("contraception over 49", breaking(&[("/identificacion/a05_edad", json!(50)), ("/identificacion/a08_anio_llegada", json!(2000))]), "/salud/e07_anticonc", "not_relevant"),
        ("violence without privacy", breaking(&[("/violencia/f00_privacidad", json!("no"))]), "/violencia/f02_v_psico", "not_relevant"),
        ("partner violence without partner", breaking(&[("/violencia/f01_pareja", json!("no"))]), "/violencia/f03_v_fisica", "not_relevant"),
        ("reporting unasked", breaking(&[("/violencia/f06_denuncio", json!("no"))]), "/violencia/f06_denuncio", "not_relevant"),
    ];
    for (rule, answers, path, code) in cases {
        let reply = app.post_json(SUBMIT, Some(&enumerator), &json!({"id": uuid_simple_v4(), "answers": answers}));
        assert_eq!(reply.status, 422, "{rule}: {}", reply.text());
        let errors = reply.json()["errors"].as_array().cloned().unwrap_or_default();
        let error = errors
            .iter()
            .find(|e| e["path"] == path && e["code"] == code)
            .unwrap_or_else(|| panic!("{rule}: no {code} at {path} in {errors:?}"));
        // A plugin constraint carries the plugin's own messages, in both languages.
        if let Some(issue) = native_logic(&answers).issues.into_iter().find(|i| i.severity == Severity::Error && i.code == code) {
            assert_eq!(error["message"], issue.message.es, "{rule}");
            assert_eq!(error["message_en"], issue.message.en, "{rule}");
        } else {
            assert!(!error["message"].as_str().unwrap_or_default().is_empty() && !error["message_en"].as_str().unwrap_or_default().is_empty(), "{rule}");
        }
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), 1, "nothing refused was stored");
}

#[test]
fn a_warning_is_stored_with_the_accepted_interview() {
    let (app, enumerator) = app_with_study();
    // 45 hours a week for 134,999 CLP in October 2017: under half the minimum wage of 270,000.
    let answers = breaking(&[("/trabajo/c12_ingreso_trab", json!(134_999)), ("/hogar/b09_monto_remesas", json!(20_000))]);
    let reply = app.post_json(SUBMIT, Some(&enumerator), &json!({"id": uuid_simple_v4(), "answers": answers}));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let warnings: Value = serde_json::from_str(&app.db.rows("SELECT warnings FROM submissions")[0][0]).unwrap();
    let codes: Vec<&str> = warnings.as_array().unwrap().iter().filter_map(|w| w["code"].as_str()).collect();
    assert_eq!(codes, vec!["ingreso_bajo_salario_minimo"]);
}
