//! Every score with hand-computed expectations. The CIC and leverage checks use the 2007 state
//! totals of the external evaluation's Annex X, Table 1 [T8] (MXN, columns Federación, Estados,
//! Municipios, Migrantes, Crédito), which are the shares behind the examples in the notes §2.4.

use super::*;

fn scores(form: &str, answers: Value, settings: Value) -> Scores {
    let mut out = Scores::default();
    score(&Input::new(answers).for_form(form).with_settings(settings), &mut out);
    out
}

fn proyecto_scores(answers: Value) -> Scores {
    scores("proyecto", answers, json!({}))
}

fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.expect("a value");
    assert!((actual - expected).abs() <= tolerance, "expected {expected} ± {tolerance}, got {actual}");
}

const UNO_X_UNO: Proporciones = Proporciones { federal: 0.25, estatal: 0.25, municipal: 0.25, migrantes: 0.25 };
const MITADES: Proporciones = Proporciones { federal: 0.5, estatal: 0.0, municipal: 0.0, migrantes: 0.5 };

fn ap(federal: f64, estatal: f64, municipal: f64, migrantes: f64, otros: f64) -> Aportaciones {
    Aportaciones { federal, estatal, municipal, migrantes, otros }
}

/// Annex X, Table 1 [T8]: resources of 3x1 works by state, 2007.
fn anexo_2007(estado: &str) -> Aportaciones {
    match estado {
        "jalisco" => ap(37_135_420.0, 37_135_420.0, 37_135_556.0, 37_129_652.0, 0.0),
        "guanajuato" => ap(20_425_778.0, 20_750_612.0, 18_902_856.0, 19_948_156.0, 0.0),
        "veracruz" => ap(2_981_409.0, 0.0, 2_516_511.0, 2_573_207.0, 263_604.0),
        "chiapas" => ap(1_879_272.0, 1_879_272.0, 31_625.0, 5_431_858.0, 0.0),
        "durango" => ap(7_066_169.0, 75_000.0, 75_000.0, 75_000.0, 0.0),
        _ => unreachable!(),
    }
}

#[test]
fn cic_reproduces_the_2007_state_examples() {
    // Shares (fed/state/mun/mig/credit, %): Jalisco 25.0/25.0/25.0/25.0/0; Guanajuato
    // 25.52/25.93/23.62/24.93/0; Veracruz 35.77/0/30.19/30.87/3.16; Chiapas 20.38/20.38/0.34/58.90/0;
    // Durango 96.91/1.03/1.03/1.03/0. Half the sum of absolute gaps to 25 % each gives:
    for (estado, esperado) in [("jalisco", 99.997), ("guanajuato", 98.547), ("veracruz", 75.0), ("chiapas", 66.099), ("durango", 28.086)] {
        close(cic(&anexo_2007(estado), &UNO_X_UNO, false), esperado, 0.001);
    }
}

#[test]
fn cic_with_state_and_municipal_judged_together() {
    // Guanajuato: |25.52−25| + |(25.93+23.62)−50| + |24.93−25| = 0.524 + 0.451 + 0.073 = 1.048 pp, half 0.524 → 99.477.
    close(cic(&anexo_2007("guanajuato"), &UNO_X_UNO, true), 99.477, 0.001);
    // Veracruz: state 0 % is offset by municipal 30.19 %: ½(10.77+19.81+5.87+3.16) → 80.193.
    close(cic(&anexo_2007("veracruz"), &UNO_X_UNO, true), 80.193, 0.001);
    // Chiapas' municipal shortfall is not offset (both low): unchanged 66.099.
    close(cic(&anexo_2007("chiapas"), &UNO_X_UNO, true), 66.099, 0.001);
}

#[test]
fn cic_of_productive_projects_expects_half_federal_half_migrant() {
    close(cic(&ap(200_000.0, 0.0, 0.0, 200_000.0, 0.0), &MITADES, false), 100.0, 1e-9);
    // 50/25/0/25: gaps 0 + 25 (state, expected 0) + 0 + 25 (migrants) → 100·(1 − 0.25) = 75.
    close(cic(&ap(200_000.0, 100_000.0, 0.0, 100_000.0, 0.0), &MITADES, false), 75.0, 1e-9);
    assert_eq!(cic(&ap(0.0, 0.0, 0.0, 0.0, 0.0), &MITADES, false), None);
}

#[test]
fn leverage_counts_other_pesos_per_migrant_peso() {
    close(apalancamiento(&ap(1.0, 1.0, 1.0, 1.0, 0.0)), 3.0, 1e-12);
    // Durango 2007: (7,291,169 − 75,000) / 75,000 = 96.216; Chiapas: 3,790,169 / 5,431,858 = 0.698.
    close(apalancamiento(&anexo_2007("durango")), 96.216, 0.001);
    close(apalancamiento(&anexo_2007("chiapas")), 0.698, 0.001);
    assert_eq!(apalancamiento(&ap(1.0, 1.0, 1.0, 0.0, 0.0)), None);
}

/// A concluded, on-time 2017 water project in a high-marginalisation locality, co-funded 1x1x1x1.
fn proyecto_valido() -> Value {
    json!({
        "solicitud": {"p01_folio": "3x1-2017-32-00154", "p02_ejercicio": 2017, "p03_fecha_solicitud": "2017-02-15"},
        "ubicacion": {"p04_entidad": "zacatecas", "p05_municipio": "32020", "p06_localidad": "Jerez", "p07_marginacion": "alto"},
        "caracteristicas": {"p15_tipo": "infraestructura_social", "p16_subtipo": "agua_drenaje_electrificacion", "p20_exp_tecnico": "si"},
        "covam": {"p21_covam_fecha": "2017-05-10", "p22_dictamen": "aprobado"},
        "convenio": {"p23_convenio_fecha": "2017-06-20", "p24_ap_federal": 250000, "p25_ap_estatal": 250000,
                     "p26_ap_municipal": 250000, "p27_ap_migrantes": 250000, "p29_total": 1000000,
                     "p30_benef_directos": 250, "p31_benef_mujeres": 125},
        "seguimiento": {"p32_estatus": "concluido", "p33_fecha_inicio": "2017-07-03", "p34_fecha_fin_prog": "2017-12-15",
                        "p35_avance_fisico": 100, "p36_avance_fin": 100, "p37_fecha_fin_real": "2017-12-08"}
    })
}

fn con(cambios: &[(&str, Value)]) -> Value {
    let mut v = proyecto_valido();
    for (pointer, nuevo) in cambios {
        *v.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = nuevo.clone();
    }
    v
}

#[test]
fn a_model_project_scores_full_marks() {
    let s = proyecto_scores(proyecto_valido());
    close(s.get("cic"), 100.0, 1e-9);
    close(s.get("apalancamiento"), 3.0, 1e-12);
    assert_eq!(s.get("cap"), Some(1.0));
    close(s.get("cpb"), 4000.0, 1e-9);
    close(s.get("fcpb"), 1000.0, 1e-9);
    close(s.get("comp"), 100.0, 1e-9);
    assert_eq!(s.get("tgt"), Some(1.0));
    assert_eq!(s.get("covam_en_ventana"), Some(1.0));
    close(s.get("pps"), 100.0, 1e-9);
    assert_eq!(s.category("pps"), Some("alto"));
}

#[test]
fn the_project_cic_reads_its_expected_shares_and_the_switch_from_the_settings() {
    // Veracruz 2007 as one project: 75.0 separately, 80.193 with state and municipal together.
    let veracruz = con(&[
        ("/convenio/p24_ap_federal", json!(2981409)), ("/convenio/p25_ap_estatal", json!(0)),
        ("/convenio/p26_ap_municipal", json!(2516511)), ("/convenio/p27_ap_migrantes", json!(2573207)),
    ]);
    let mut veracruz = veracruz;
    veracruz["convenio"]["p28_ap_otros"] = json!(263604);
    close(proyecto_scores(veracruz.clone()).get("cic"), 75.0, 1e-6);
    close(scores("proyecto", veracruz.clone(), json!({"cic_estatal_municipal_conjunto": true})).get("cic"), 80.193, 0.001);
    let todo_migrante = json!({"reglas_por_ejercicio": [{"desde_ejercicio": 2002, "tipos": {"infraestructura_social":
        {"tope_federal": 1000000, "proporciones": {"federal": 0, "estatal": 0, "municipal": 0, "migrantes": 1}}}}]});
    // Against 100 % migrants: ½(35.77 + 0 + 30.19 + 69.13 + 3.16) = 69.13 gap → 30.87.
    close(scores("proyecto", veracruz, todo_migrante).get("cic"), 30.873, 0.001);
}

#[test]
fn cap_compliance_follows_the_years_cap_per_type() {
    assert_eq!(proyecto_scores(con(&[("/convenio/p24_ap_federal", json!(1000000))])).get("cap"), Some(1.0));
    assert_eq!(proyecto_scores(con(&[("/convenio/p24_ap_federal", json!(1000001))])).get("cap"), Some(0.0));
    let productivo = con(&[("/caracteristicas/p15_tipo", json!("productivo_individual")), ("/convenio/p24_ap_federal", json!(250001))]);
    assert_eq!(proyecto_scores(productivo).get("cap"), Some(0.0));
    let tope_2018 = json!({"reglas_por_ejercicio": [
        {"desde_ejercicio": 2002, "tipos": {"infraestructura_social": {"tope_federal": 1000000, "proporciones": {"federal": 0.25, "estatal": 0.25, "municipal": 0.25, "migrantes": 0.25}}}},
        {"desde_ejercicio": 2018, "tipos": {"infraestructura_social": {"tope_federal": 200000, "proporciones": {"federal": 0.25, "estatal": 0.25, "municipal": 0.25, "migrantes": 0.25}}}}]});
    assert_eq!(scores("proyecto", proyecto_valido(), tope_2018.clone()).get("cap"), Some(1.0));
    assert_eq!(scores("proyecto", con(&[("/solicitud/p02_ejercicio", json!(2018))]), tope_2018).get("cap"), Some(0.0));
}

#[test]
fn cost_per_beneficiary_matches_the_campeche_reference() {
    // Campeche 2016 [T15]: MXN 13,325,963 for 3,660 beneficiaries ≈ 3,641 per person.
    let campeche = con(&[
        ("/convenio/p24_ap_federal", json!(3927103)), ("/convenio/p25_ap_estatal", json!(2000000)),
        ("/convenio/p26_ap_municipal", json!(2740406)), ("/convenio/p27_ap_migrantes", json!(4658454)),
        ("/convenio/p30_benef_directos", json!(3660)),
    ]);
    let s = proyecto_scores(campeche);
    close(s.get("cpb"), 3640.97, 0.01);
    close(s.get("fcpb"), 1072.98, 0.01);
}

#[test]
fn completion_weighs_progress_and_timeliness() {
    // Late delivery, 90 % spent: 100·(0.5·1 + 0.3·0.9 + 0.2·0) = 77.
    let tarde = con(&[("/seguimiento/p37_fecha_fin_real", json!("2017-12-16")), ("/seguimiento/p36_avance_fin", json!(90))]);
    close(proyecto_scores(tarde).get("comp"), 77.0, 1e-9);
    // Delivered on the planned day counts as on time.
    close(proyecto_scores(con(&[("/seguimiento/p37_fecha_fin_real", json!("2017-12-15"))])).get("comp"), 100.0, 1e-9);
    // Running at 60 % physical, 50 % financial: 100·(0.3 + 0.15) = 45, no timeliness credit yet.
    let mut en_ejecucion = con(&[("/seguimiento/p32_estatus", json!("en_ejecucion")), ("/seguimiento/p35_avance_fisico", json!(60)), ("/seguimiento/p36_avance_fin", json!(50))]);
    en_ejecucion["seguimiento"].as_object_mut().unwrap().remove("p37_fecha_fin_real");
    close(proyecto_scores(en_ejecucion).get("comp"), 45.0, 1e-9);
    let cancelado = json!({"solicitud": {"p02_ejercicio": 2017}, "seguimiento": {"p32_estatus": "cancelado"}});
    assert_eq!(proyecto_scores(cancelado).get("comp"), Some(0.0));
    for estatus in ["en_validacion", "aprobado"] {
        assert_eq!(proyecto_scores(con(&[("/seguimiento/p32_estatus", json!(estatus))])).get("comp"), None, "{estatus}");
    }
    // Weights from the settings, renormalised: (1·1 + 0 + 1·0) / 2 → 50 for the late project.
    let tarde = con(&[("/seguimiento/p37_fecha_fin_real", json!("2017-12-16"))]);
    let pesos = json!({"comp_pesos": {"avance_fisico": 1, "avance_financiero": 0, "a_tiempo": 1}});
    close(scores("proyecto", tarde, pesos).get("comp"), 50.0, 1e-9);
}

#[test]
fn targeting_counts_high_and_very_high_marginalisation() {
    for (grado, esperado) in [("muy_alto", 1.0), ("alto", 1.0), ("medio", 0.0), ("bajo", 0.0), ("muy_bajo", 0.0)] {
        assert_eq!(proyecto_scores(con(&[("/ubicacion/p07_marginacion", json!(grado))])).get("tgt"), Some(esperado), "{grado}");
    }
    let solo_muy_alto = json!({"tgt_marginacion": ["muy_alto"]});
    assert_eq!(scores("proyecto", proyecto_valido(), solo_muy_alto).get("tgt"), Some(0.0));
}

#[test]
fn the_covam_window_flag_applies_from_2017() {
    assert_eq!(proyecto_scores(con(&[("/covam/p21_covam_fecha", json!("2017-07-01"))])).get("covam_en_ventana"), Some(0.0));
    assert_eq!(proyecto_scores(con(&[("/covam/p21_covam_fecha", json!("2017-06-30"))])).get("covam_en_ventana"), Some(1.0));
    assert_eq!(proyecto_scores(con(&[("/solicitud/p02_ejercicio", json!(2016))])).get("covam_en_ventana"), None);
}

#[test]
fn pps_renormalises_over_the_available_components() {
    // CIC 75, COMP 45, TGT 0, no SAT: (0.35·75 + 0.35·45 + 0.15·0) / 0.85 = 42 / 0.85 = 49.41.
    close(pps(Some(75.0), Some(45.0), Some(0.0), None, &PesosPps::default()), 49.412, 0.001);
    // With SAT 9 (from the beneficiaries, after the join): (42 + 0.15·90) / 1.0 = 55.5.
    close(pps(Some(75.0), Some(45.0), Some(0.0), Some(9.0), &PesosPps::default()), 55.5, 1e-9);
    assert_eq!(pps(Some(75.0), None, Some(1.0), None, &PesosPps::default()), None, "no execution, no performance");
    close(pps(None, Some(0.0), Some(1.0), None, &PesosPps::default()), 30.0, 1e-9);
}

#[test]
fn pps_of_a_project_and_its_category() {
    // A family project at 50/25/0/25 (CIC 75) running at 60/50 (COMP 45) in a medium locality.
    let mut v = con(&[
        ("/ubicacion/p07_marginacion", json!("medio")),
        ("/caracteristicas/p15_tipo", json!("productivo_familiar")),
        ("/convenio/p24_ap_federal", json!(200000)), ("/convenio/p25_ap_estatal", json!(100000)),
        ("/convenio/p26_ap_municipal", json!(0)), ("/convenio/p27_ap_migrantes", json!(100000)),
        ("/seguimiento/p32_estatus", json!("en_ejecucion")), ("/seguimiento/p35_avance_fisico", json!(60)), ("/seguimiento/p36_avance_fin", json!(50)),
    ]);
    v["seguimiento"].as_object_mut().unwrap().remove("p37_fecha_fin_real");
    let s = proyecto_scores(v.clone());
    close(s.get("pps"), 49.412, 0.001);
    assert_eq!(s.category("pps"), Some("bajo"));
    let cortes = json!({"pps_cortes": {"medio": 40, "alto": 90}});
    assert_eq!(scores("proyecto", v.clone(), cortes).category("pps"), Some("medio"));
    let pesos = json!({"pps_pesos": {"cic": 1, "comp": 0, "tgt": 0, "sat": 0}});
    close(scores("proyecto", v, pesos).get("pps"), 75.0, 1e-9);
}

#[test]
fn a_rejected_application_has_no_money_scores() {
    let rechazado = json!({
        "solicitud": {"p02_ejercicio": 2017}, "ubicacion": {"p07_marginacion": "muy_alto"},
        "caracteristicas": {"p15_tipo": "infraestructura_social"},
        "covam": {"p21_covam_fecha": "2017-05-10", "p22_dictamen": "rechazado"}});
    let s = proyecto_scores(rechazado);
    for name in ["cic", "apalancamiento", "cap", "cpb", "fcpb", "comp", "pps"] {
        assert_eq!(s.get(name), None, "{name}");
    }
    assert_eq!(s.get("tgt"), Some(1.0), "targeting describes applications too");
    assert_eq!(s.get("covam_en_ventana"), Some(1.0));
}

// ------------------------------------------------------------------------------------------------
// beneficiario

fn entrevista(cambios: Value) -> Scores {
    let mut v = json!({"q01_folio_proyecto": "3x1-2017-32-00154", "q01b_tipo_proyecto": "infraestructura_social", "q02_conoce": "si",
        "q03_sabe_3x1": "si", "q04_uso": "diario", "q05_satisfaccion": 9, "q06_funciona": "si", "q07_participo": "no",
        "q08_familiar_club": "si", "q09_remesas": "si", "q10_tam_hogar": 4, "q11_ingreso_hogar": 7800});
    for (k, nuevo) in cambios.as_object().unwrap() {
        if nuevo.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = nuevo.clone();
        }
    }
    scores("beneficiario", v, json!({}))
}

#[test]
fn satisfaction_is_the_rating_when_the_work_is_used() {
    assert_eq!(entrevista(json!({})).get("satisfaccion"), Some(9.0));
    assert_eq!(entrevista(json!({"q04_uso": "nunca", "q05_satisfaccion": null})).get("satisfaccion"), None);
}

#[test]
fn working_means_fully_working() {
    assert_eq!(entrevista(json!({})).get("funciona"), Some(1.0));
    assert_eq!(entrevista(json!({"q06_funciona": "parcialmente"})).get("funciona"), Some(0.0));
    assert_eq!(entrevista(json!({"q06_funciona": "no"})).get("funciona"), Some(0.0));
}

#[test]
fn per_capita_income_is_placed_against_the_rural_poverty_lines() {
    // 7,800 / 4 = 1,950 ≥ 1,941.01 (LB rural 2018 [T21]); 7,000 / 4 = 1,750; 4,000 / 4 = 1,000 < 1,073.69.
    let s = entrevista(json!({}));
    close(s.get("ingreso_per_capita"), 1950.0, 1e-9);
    assert_eq!(s.category("ingreso_per_capita"), Some("sobre_linea"));
    assert_eq!(entrevista(json!({"q11_ingreso_hogar": 7000})).category("ingreso_per_capita"), Some("pobreza"));
    assert_eq!(entrevista(json!({"q11_ingreso_hogar": 4000})).category("ingreso_per_capita"), Some("pobreza_extrema"));
    assert_eq!(entrevista(json!({"q11_ingreso_hogar": null})).get("ingreso_per_capita"), None, "income refused");
    let urbanas = json!({"lineas_pobreza_per_capita": {"extrema": 1516.62, "pobreza": 3001.17}});
    let v = json!({"q10_tam_hogar": 4, "q11_ingreso_hogar": 7800});
    assert_eq!(scores("beneficiario", v, urbanas).category("ingreso_per_capita"), Some("pobreza"));
}

#[test]
fn an_interview_that_ends_at_q02_scores_nothing() {
    let v = json!({"q01_folio_proyecto": "x", "q01b_tipo_proyecto": "educativo", "q02_conoce": "no"});
    let s = scores("beneficiario", v, json!({}));
    assert!(["satisfaccion", "funciona", "ingreso_per_capita"].iter().all(|n| s.get(n).is_none()));
}

#[test]
fn the_shipped_settings_are_the_documented_defaults() {
    let manifest: Value = include_str!("../../../studies/3x1-migrantes/manifest.json").parse().unwrap();
    let settings = manifest["settings"].clone();
    let con_manifiesto = scores("proyecto", proyecto_valido(), settings.clone());
    assert_eq!(con_manifiesto, proyecto_scores(proyecto_valido()));
    let input = Input::new(json!({})).with_settings(settings);
    let s = input.settings();
    let pesos: PesosPps = s.parse("pps_pesos").unwrap();
    assert_eq!((pesos.cic, pesos.comp, pesos.tgt, pesos.sat), (0.35, 0.35, 0.15, 0.15));
    let comp: PesosComp = s.parse("comp_pesos").unwrap();
    assert_eq!((comp.avance_fisico, comp.avance_financiero, comp.a_tiempo), (0.5, 0.3, 0.2));
    assert!(reglas::tabla(&s).is_ok());
}
