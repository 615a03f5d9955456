//! The seed study `3x1-migrantes` end to end: generated responses are all accepted and stored
//! with the scores the scoring plugin computes natively; a response breaking any rule is refused
//! with that rule's code and messages; the soft rules (federal cap, COVAM window) store warnings.

mod common;

use campo_sdk::{Input, Logic, Scores, Severity};
use common::{Backend, TestApp, generate, study_dir, tres_por_uno_proyecto as proyecto};
use serde_json::{Value, json};

const STUDY: &str = "3x1-migrantes";

fn submit_url(form: &str) -> String {
    format!("/api/v1/studies/{STUDY}/forms/{form}/submissions")
}

fn spawn() -> (TestApp, String) {
    let app = TestApp::spawn_empty(Backend::Sqlite);
    app.install(&study_dir(STUDY));
    let token = app.token("enumerator", Some(STUDY));
    (app, token)
}

fn settings() -> Value {
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(study_dir(STUDY).join("manifest.json")).unwrap()).unwrap();
    manifest["settings"].clone()
}

fn native_scores(form: &str, answers: &Value) -> Value {
    let mut out = Scores::default();
    tres_por_uno_scoring::score(&Input::new(answers.clone()).for_form(form).with_settings(settings()), &mut out);
    serde_json::to_value(&out.scores).unwrap()
}

fn native_logic(form: &str, answers: &Value) -> Logic {
    let mut out = Logic::default();
    tres_por_uno_logic::logic(&Input::new(answers.clone()).for_form(form).with_settings(settings()), &mut out);
    out
}

#[test]
fn a_thousand_generated_responses_per_form_are_accepted_with_their_native_scores() {
    let (app, token) = spawn();
    for (form, seed) in [("proyecto", 31), ("beneficiario", 32)] {
        let bodies = generate(STUDY, form, 1_000, seed);
        for body in &bodies {
            let reply = app.post_json(&submit_url(form), Some(&token), body);
            assert_eq!(reply.status, 201, "{body}: {}", reply.text());
            assert_eq!(reply.json()["scores"], native_scores(form, &body["answers"]), "{body}");
        }
        let stored = app.db.rows(&format!("SELECT answers, scores FROM submissions WHERE form_id = '{form}' ORDER BY seq"));
        assert_eq!(stored.len(), 1_000);
        for (row, body) in stored.iter().zip(&bodies) {
            let answers: Value = serde_json::from_str(&row[0]).unwrap();
            assert_eq!(answers, body["answers"], "the generator sends the total the plugin computes");
            let scores: Value = serde_json::from_str(&row[1]).unwrap();
            assert_eq!(scores, native_scores(form, &answers));
        }
    }
}

fn beneficiario() -> Value {
    json!({"q01_folio_proyecto": "3x1-2017-32-00154", "q01b_tipo_proyecto": "productivo_familiar", "q02_conoce": "si",
           "q03_sabe_3x1": "si", "q04_uso": "diario", "q05_satisfaccion": 9, "q06_funciona": "si", "q07_participo": "no",
           "q08_familiar_club": "si", "q09_remesas": "si", "q10_tam_hogar": 4, "q11_ingreso_hogar": 7800, "q12_empleo_generado": 2})
}

/// `base` with each `(pointer, value)` set; `Value::Null` removes the answer.
fn changed(base: Value, changes: &[(&str, Value)]) -> Value {
    let mut v = base;
    for (pointer, value) in changes {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = v.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}")).as_object_mut().unwrap();
        if value.is_null() {
            parent.remove(key);
        } else {
            parent.insert(key.to_string(), value.clone());
        }
    }
    v
}

fn body(answers: Value) -> Value {
    json!({"id": uuid::Uuid::new_v4().to_string(), "answers": answers})
}

/// Posts `answers` and checks the refusal names `(path, code)`; for the plugin's own rules the
/// messages are exactly the plugin's, in Spanish and English.
fn assert_refused(app: &TestApp, token: &str, form: &str, answers: Value, path: &str, code: &str) {
    let reply = app.post_json(&submit_url(form), Some(token), &body(answers.clone()));
    assert_eq!(reply.status, 422, "{code}: {}", reply.text());
    let errors = reply.json()["errors"].as_array().cloned().unwrap_or_default();
    let error = errors
        .iter()
        .find(|e| e["path"] == path && e["code"] == code)
        .unwrap_or_else(|| panic!("no {code} at {path} in {errors:#?}"));
    if let Some(issue) = native_logic(form, &answers).issues.into_iter().find(|i| i.code == code && i.path == path) {
        assert_eq!(issue.severity, Severity::Error);
        assert_eq!((error["message"].as_str().unwrap(), error["message_en"].as_str().unwrap()), (issue.message.es.as_str(), issue.message.en.as_str()));
    } else {
        assert!(matches!(code, "not_relevant" | "required"), "{code} is neither the plugin's nor the server's");
    }
}

#[test]
fn a_project_breaking_any_rule_is_refused_with_the_rules_message() {
    let (app, token) = spawn();
    let productivo = |familias: i64| changed(proyecto(), &[
        ("/caracteristicas/p15_tipo", json!("productivo_comunitario")), ("/caracteristicas/p16_subtipo", json!("agropecuario_comunitario")),
        ("/caracteristicas/p20_exp_tecnico", Value::Null), ("/caracteristicas/p17_n_familias", json!(familias)),
        ("/convenio/p24_ap_federal", json!(200000)), ("/convenio/p25_ap_estatal", json!(0)), ("/convenio/p26_ap_municipal", json!(0)),
        ("/convenio/p27_ap_migrantes", json!(200000)), ("/convenio/p29_total", json!(400000)),
    ]);
    let becas = changed(proyecto(), &[
        ("/caracteristicas/p15_tipo", json!("servicios_comunitarios")), ("/caracteristicas/p16_subtipo", json!("becas")),
        ("/caracteristicas/p20_exp_tecnico", Value::Null), ("/caracteristicas/p18_n_becas", json!(300)),
        ("/caracteristicas/p19_nivel_beca", json!(["secundaria"])),
    ]);
    let cases: Vec<(Value, &str, &str)> = vec![
        (changed(proyecto(), &[("/solicitud/p03_fecha_solicitud", json!("2015-12-01")), ("/club/p13_tn_fecha", json!("2015-06-01"))]), "/solicitud/p03_fecha_solicitud", "solicitud_fuera_de_ejercicio"),
        (changed(proyecto(), &[("/ubicacion/p05_municipio", json!("14039"))]), "/ubicacion/p05_municipio", "municipio_de_otra_entidad"),
        (changed(proyecto(), &[("/club/p13_tn_fecha", json!("2015-02-14"))]), "/club/p13_tn_fecha", "toma_de_nota_vencida"),
        (changed(proyecto(), &[("/club/p13_tn_fecha", json!("2017-02-16"))]), "/club/p13_tn_fecha", "toma_de_nota_posterior"),
        (changed(proyecto(), &[("/club/p14_n_socios", json!(9))]), "/club/p14_n_socios", "club_con_pocos_socios"),
        (changed(proyecto(), &[("/caracteristicas/p16_subtipo", json!("cultura_recreacion"))]), "/caracteristicas/p16_subtipo", "subtipo_de_otro_tipo"),
        (productivo(4), "/caracteristicas/p17_n_familias", "familias_fuera_de_rango"),
        (changed(proyecto(), &[("/caracteristicas/p20_exp_tecnico", json!("no"))]), "/caracteristicas/p20_exp_tecnico", "falta_expediente_tecnico"),
        (changed(proyecto(), &[("/covam/p21_covam_fecha", json!("2017-02-14"))]), "/covam/p21_covam_fecha", "covam_antes_de_solicitud"),
        (changed(proyecto(), &[("/convenio/p23_convenio_fecha", json!("2017-05-09"))]), "/convenio/p23_convenio_fecha", "convenio_antes_de_covam"),
        (changed(proyecto(), &[("/convenio/p27_ap_migrantes", json!(0)), ("/convenio/p29_total", json!(750000))]), "/convenio/p27_ap_migrantes", "sin_aportacion_migrante"),
        (becas, "/convenio/p30_benef_directos", "menos_beneficiarios_que_becas"),
        (changed(proyecto(), &[("/convenio/p31_benef_mujeres", json!(241))]), "/convenio/p31_benef_mujeres", "mujeres_mas_que_beneficiarios"),
        (changed(proyecto(), &[("/seguimiento/p38_reportes", json!([])), ("/seguimiento/p35_avance_fisico", json!(99))]), "/seguimiento/p35_avance_fisico", "concluido_sin_avance_completo"),
        (changed(proyecto(), &[("/seguimiento/p33_fecha_inicio", json!("2017-06-19"))]), "/seguimiento/p33_fecha_inicio", "inicio_antes_de_convenio"),
        (changed(proyecto(), &[("/seguimiento/p34_fecha_fin_prog", json!("2017-07-02"))]), "/seguimiento/p34_fecha_fin_prog", "fin_programado_antes_de_inicio"),
        (changed(proyecto(), &[("/seguimiento/p37_fecha_fin_real", json!("2017-07-02"))]), "/seguimiento/p37_fecha_fin_real", "conclusion_antes_de_inicio"),
        (changed(proyecto(), &[("/seguimiento/p38_reportes/1/trimestre", json!("2017-T2"))]), "/seguimiento/p38_reportes/1/trimestre", "trimestres_desordenados"),
        (changed(proyecto(), &[("/seguimiento/p38_reportes/0/avance_financiero", json!(100.0)), ("/seguimiento/p38_reportes/1/avance_financiero", json!(99.0))]), "/seguimiento/p38_reportes/1/avance_financiero", "avance_decreciente"),
        (changed(proyecto(), &[("/seguimiento/p36_avance_fin", json!(90)), ("/seguimiento/p38_reportes", json!([{"trimestre": "2017-T3", "avance_fisico": 50, "avance_financiero": 95}]))]), "/seguimiento/p36_avance_fin", "avance_menor_que_reporte"),
        // The server's own refusals, driven by the plugin's relevance.
        (changed(proyecto(), &[("/covam/p22_dictamen", json!("rechazado")), ("/seguimiento", Value::Null)]), "/convenio", "not_relevant"),
        (changed(proyecto(), &[("/convenio/p30_benef_directos", Value::Null)]), "/convenio/p30_benef_directos", "required"),
        (changed(proyecto(), &[("/seguimiento/p32_estatus", json!("en_ejecucion"))]), "/seguimiento/p37_fecha_fin_real", "not_relevant"),
    ];
    for (answers, path, code) in cases {
        assert_refused(&app, &token, "proyecto", answers, path, code);
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), 0, "nothing refused was stored");
}

#[test]
fn soft_rules_are_stored_as_warnings() {
    let (app, token) = spawn();
    let over_cap = changed(proyecto(), &[("/convenio/p24_ap_federal", json!(1200000)), ("/convenio/p29_total", json!(1950000))]);
    let late_covam = changed(proyecto(), &[("/covam/p21_covam_fecha", json!("2017-03-20"))]);
    for (answers, code) in [(over_cap, "tope_federal_excedido"), (late_covam, "covam_fuera_de_abril_junio")] {
        let reply = app.post_json(&submit_url("proyecto"), Some(&token), &body(answers.clone()));
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(reply.json()["scores"], native_scores("proyecto", &answers));
        let warnings = app.db.rows(&format!("SELECT warnings FROM submissions WHERE id = '{}'", reply.json()["id"].as_str().unwrap()));
        assert!(warnings[0][0].contains(code), "{code} not stored: {}", warnings[0][0]);
    }
}

#[test]
fn the_total_cost_is_the_plugins_whatever_the_device_sent() {
    let (app, token) = spawn();
    let answers = changed(proyecto(), &[("/convenio/p29_total", json!(1))]);
    let reply = app.post_json(&submit_url("proyecto"), Some(&token), &body(answers));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let stored: Value = serde_json::from_str(&app.db.rows("SELECT answers FROM submissions")[0][0]).unwrap();
    assert_eq!(stored["convenio"]["p29_total"], json!(1000000));
}

#[test]
fn an_interview_breaking_a_skip_is_refused() {
    let (app, token) = spawn();
    let cases = [
        (changed(beneficiario(), &[("/q02_conoce", json!("no"))]), "/q05_satisfaccion", "not_relevant"),
        (changed(beneficiario(), &[("/q04_uso", json!("nunca"))]), "/q05_satisfaccion", "not_relevant"),
        (changed(beneficiario(), &[("/q01b_tipo_proyecto", json!("infraestructura_social"))]), "/q12_empleo_generado", "not_relevant"),
        (changed(beneficiario(), &[("/q12_empleo_generado", Value::Null)]), "/q12_empleo_generado", "required"),
        (changed(beneficiario(), &[("/q10_tam_hogar", Value::Null)]), "/q10_tam_hogar", "required"),
    ];
    for (answers, path, code) in cases {
        assert_refused(&app, &token, "beneficiario", answers, path, code);
    }
    let ended = json!({"q01_folio_proyecto": "3x1-2017-32-00154", "q01b_tipo_proyecto": "educativo", "q02_conoce": "no"});
    assert_eq!(app.post_json(&submit_url("beneficiario"), Some(&token), &body(ended)).status, 201);
}
