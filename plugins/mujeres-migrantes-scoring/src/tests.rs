//! Every component of both indices, the re-normalisation, the coverage rule and the bands,
//! with values computed by hand, run with the settings the study bundle ships.

use super::*;

const MANIFEST: &str = include_str!("../../../studies/mujeres-migrantes-rm/manifest.json");

fn shipped_settings() -> Value {
    let manifest: Value = serde_json::from_str(MANIFEST).expect("manifest.json is JSON");
    manifest["settings"].clone()
}

/// The logic plugin's worked respondent: a 34-year-old Peruvian domestic worker interviewed on
/// 2017-10-16 (minimum wage 270,000), with a signed contract, pension contributions and
/// 300,000 CLP a month; 3 h of housework and 2.5 h of care a day.
///
/// IAE = 100 · (0.25·E1 + 0.15·E2 + 0.15·E3 + 0.20·E4 + 0.15·E5 + 0.10·E6)
///     = 100 · (0.25·1 + 0.15·min(300000/270000, 1) + 0.15·(1+1)/2 + 0.20·(1 − 5.5/12) + 0.15·1 + 0.10·1)
///     = 100 · (0.80 + 0.20·0.541667) = 90.83 → 90.8, "alto".
/// IAF = 100 · (0.30·P1 + 0.15·P2 + 0.20·P3 + 0.10·P4 + 0.15·P5 + 0.10·P6)
///     = 100 · (0.30·1 + 0.15·(1+0)/2 + 0.20·1 [IUD] + 0.10·0 [first child at 19] + 0.15·1 + 0.10·1)
///     = 82.5, "alto".
fn respondent() -> Value {
    serde_json::from_str(include_str!("../../mujeres-migrantes-logic/src/respondent.json")).expect("respondent.json is JSON")
}

/// `respondent()` with some answers replaced (`null` removes one), by `/`-joined path.
fn with(changes: &[(&str, Value)]) -> Value {
    let mut answers = respondent();
    for (path, value) in changes {
        let (parent, key) = path.rsplit_once('/').expect("section/question");
        let object = answers.pointer_mut(&format!("/{parent}")).and_then(Value::as_object_mut).expect("section exists");
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), value.clone());
        }
    }
    answers
}

fn scores_with(answers: Value, settings: Value) -> Scores {
    let mut out = Scores::default();
    score(&Input::new(answers).with_settings(settings), &mut out);
    out
}

fn scores(answers: Value) -> Scores {
    scores_with(answers, shipped_settings())
}

fn economic(answers: Value) -> [Component; 6] {
    let input = Input::new(answers).with_settings(shipped_settings());
    let reference = Reference::from_settings(input.settings()).expect("shipped settings are complete");
    economic_components(&input.answers(), &reference)
}

fn physical(answers: Value) -> [Component; 6] {
    physical_components(&Input::new(answers).answers())
}

fn assert_close(component: Component, expected: f64) {
    match component {
        Scored(value) => assert!((value - expected).abs() < 1e-9, "{value} ≠ {expected}"),
        other => panic!("{other:?} ≠ {expected}"),
    }
}

/// A partner who is not violent, a no-partner respondent, … : the violence section as given.
fn violence(section: Value) -> Value {
    let mut answers = respondent();
    answers["violencia"] = section;
    answers
}

#[test]
fn the_worked_respondent() {
    let out = scores(respondent());
    assert_eq!(out.get("autonomia_economica"), Some(90.8));
    assert_eq!(out.category("autonomia_economica"), Some("alto"));
    assert_eq!(out.get("autonomia_fisica"), Some(82.5));
    assert_eq!(out.category("autonomia_fisica"), Some("alto"));
    assert_eq!(out.get("horas_no_remuneradas"), Some(5.5));
    assert_eq!(out.category("horas_no_remuneradas"), Some("hasta_referencia"), "ENUT 2015: 5.89 h");
    assert_eq!(out.get("sin_ingresos_propios"), Some(0.0));
    assert_eq!(out.get("violencia_pareja_12m"), Some(0.0));
    assert_eq!(out.get("maternidad_adolescente"), Some(1.0));
    assert_eq!(out.get("necesidad_insatisfecha_pf"), Some(0.0));
}

#[test]
fn an_informal_low_paid_worker() {
    // E1 = 1, E2 = 135000/270000 = 0.5, E3 = (0 + 0)/2 = 0, E4 = 1 − 9/12 = 0.25, E5 = 0.5, E6 = 0
    // IAE = 100 · (0.25 + 0.075 + 0 + 0.05 + 0.075 + 0) = 45.0, "medio".
    let out = scores(with(&[
        ("trabajo/c07_ocupacion", json!("comercio")), ("trabajo/c08_categoria", json!("asalariada")),
        ("trabajo/c09_contrato", json!("no")), ("trabajo/c10_cotiza", json!("no")), ("trabajo/c12_ingreso_trab", json!(135000)),
        ("trabajo/c16_decide_ingreso", json!("yo_y_pareja")), ("trabajo/c17_cuenta", json!("no")),
        ("tiempo/d01_h_domestico", json!(4.0)), ("tiempo/d02_h_cuidado", json!(5.0)),
    ]));
    assert_eq!(out.get("autonomia_economica"), Some(45.0));
    assert_eq!(out.category("autonomia_economica"), Some("medio"));
    assert_eq!(out.category("horas_no_remuneradas"), Some("sobre_referencia"));
}

#[test]
fn a_woman_without_own_income_drops_control_over_money_and_renormalises() {
    // E1 = 0, E2 = 0, E3 = 0 (not working), E4 = 1 − min(14/12, 1) = 0, E5 not applicable, E6 = 1
    // IAE = 100 · 0.10 / (1 − 0.15) = 11.76 → 11.8, "bajo".
    let answers = with(&[
        ("trabajo/c04_trabajo", json!("no")), ("trabajo/c12_ingreso_trab", Value::Null), ("trabajo/c16_decide_ingreso", Value::Null),
        ("tiempo/d01_h_domestico", json!(6.0)), ("tiempo/d02_h_cuidado", json!(8.0)),
    ]);
    let components = economic(answers.clone());
    assert_eq!(components[4], NotApplicable);
    let out = scores(answers);
    assert_eq!(out.get("autonomia_economica"), Some(11.8));
    assert_eq!(out.category("autonomia_economica"), Some("bajo"));
    assert_eq!(out.get("sin_ingresos_propios"), Some(1.0));
    assert_eq!(out.category("sin_ingresos_propios"), Some("sin_ingresos"));
}

mod economic_components {
    use super::*;

    #[test]
    fn e1_own_income_counts_labour_and_other_income() {
        assert_close(economic(respondent())[0], 1.0);
        let unpaid = with(&[("trabajo/c12_ingreso_trab", json!(0))]);
        assert_close(economic(unpaid)[0], 0.0);
        let only_a_pension = with(&[("trabajo/c04_trabajo", json!("no")), ("trabajo/c13_otros_ingresos", json!(["pension"])), ("trabajo/c14_monto_otros", json!(90000))]);
        assert_close(economic(only_a_pension)[0], 1.0);
    }

    #[test]
    fn e2_income_over_the_minimum_wage_of_the_interview_date() {
        let e2 = |date: &str, income: i64| economic(with(&[("identificacion/a02_fecha", json!(date)), ("trabajo/c12_ingreso_trab", json!(income))]))[1];
        assert_close(e2("2017-06-30", 132_000), 0.5); // 264,000
        assert_close(e2("2017-07-01", 135_000), 0.5); // 270,000
        assert_close(e2("2018-01-01", 138_000), 0.5); // 276,000
        assert_close(e2("2018-01-01", 600_000), 1.0); // capped at 1
        let with_other = with(&[("trabajo/c12_ingreso_trab", json!(100_000)), ("trabajo/c13_otros_ingresos", json!(["subsidios"])), ("trabajo/c14_monto_otros", json!(35_000))]);
        assert_close(economic(with_other)[1], 0.5);
    }

    #[test]
    fn e3_job_quality_is_a_signed_contract_and_pension_contributions() {
        assert_close(economic(with(&[("trabajo/c09_contrato", json!("si_sin_firmar"))]))[2], 0.5);
        assert_close(economic(with(&[("trabajo/c10_cotiza", json!("ns"))]))[2], 0.5);
        let self_employed = with(&[("trabajo/c08_categoria", json!("cuenta_propia")), ("trabajo/c09_contrato", Value::Null)]);
        assert_close(economic(self_employed)[2], 0.5);
        assert_close(economic(with(&[("trabajo/c04_trabajo", json!("no"))]))[2], 0.0);
    }

    #[test]
    fn e4_unpaid_hours_against_the_cap() {
        assert_close(economic(respondent())[3], 1.0 - 5.5 / 12.0);
        assert_close(economic(with(&[("tiempo/d01_h_domestico", json!(12.0)), ("tiempo/d02_h_cuidado", json!(0.0))]))[3], 0.0);
        assert_close(economic(with(&[("tiempo/d01_h_domestico", json!(0.0)), ("tiempo/d02_h_cuidado", json!(0.0))]))[3], 1.0);
        let mut settings = shipped_settings();
        settings["autonomia_economica"]["tope_horas_no_remuneradas"] = json!(11);
        let input = Input::new(respondent()).with_settings(settings);
        let reference = Reference::from_settings(input.settings()).unwrap();
        assert_close(economic_components(&input.answers(), &reference)[3], 1.0 - 5.5 / 11.0);
    }

    #[test]
    fn e5_control_over_her_money() {
        let e5 = |who: &str| economic(with(&[("trabajo/c16_decide_ingreso", json!(who))]))[4];
        assert_close(e5("yo_sola"), 1.0);
        assert_close(e5("yo_y_pareja"), 0.5);
        assert_close(e5("pareja"), 0.0);
        assert_close(e5("otra_persona"), 0.0);
    }

    #[test]
    fn e6_a_bank_account_in_her_name() {
        assert_close(economic(respondent())[5], 1.0);
        assert_close(economic(with(&[("trabajo/c17_cuenta", json!("no"))]))[5], 0.0);
    }
}

mod physical_components {
    use super::*;

    fn partner(f02: &str, f03: &str, f04: &str, f05: Option<&str>) -> Component {
        let mut section = json!({"f00_privacidad": "si", "f01_pareja": "ex_pareja", "f02_v_psico": f02, "f03_v_fisica": f03,
            "f04_v_sexual": f04, "f09_discrim_origen": "no", "f10_conoce_serv": "si"});
        if let Some(f05) = f05 {
            section["f05_v_economica"] = json!(f05);
        }
        physical(violence(section))[0]
    }

    #[test]
    fn p1_partner_violence() {
        assert_close(partner("no", "no", "no", Some("no")), 1.0);
        assert_close(partner("no", "no", "no", None), 1.0);
        assert_close(partner("si", "no", "no", Some("no")), 0.5);
        assert_close(partner("no", "no", "no", Some("si")), 0.5);
        assert_close(partner("si", "si", "no", Some("si")), 0.0);
        assert_close(partner("no", "no", "si", None), 0.0);
    }

    #[test]
    fn p1_a_declined_answer_drops_it_only_when_it_could_change_the_value() {
        assert_close(partner("pnr", "si", "no", None), 0.0);
        assert_eq!(partner("no", "pnr", "no", None), Missing);
        assert_eq!(partner("si", "no", "pnr", None), Missing);
        assert_eq!(partner("pnr", "no", "no", None), Missing);
        assert_close(partner("si", "no", "no", Some("pnr")), 0.5);
    }

    #[test]
    fn p1_is_not_applicable_without_a_partner_and_missing_without_privacy() {
        let no_partner = violence(json!({"f00_privacidad": "si", "f01_pareja": "no", "f09_discrim_origen": "no", "f10_conoce_serv": "si"}));
        assert_eq!(physical(no_partner)[0], NotApplicable);
        let [p1, p2, _, _, _, p6] = physical(violence(json!({"f00_privacidad": "no"})));
        assert_eq!((p1, p2, p6), (Missing, Missing, Missing));
    }

    #[test]
    fn p2_no_street_harassment_and_no_discrimination() {
        assert_close(physical(respondent())[1], 0.5);
        let p2 = |f08: Option<&str>, f09: &str| {
            let mut answers = with(&[("violencia/f09_discrim_origen", json!(f09))]);
            match f08 {
                Some(f08) => answers["violencia"]["f08_acoso_publico"] = json!(f08),
                None => _ = answers["violencia"].as_object_mut().unwrap().remove("f08_acoso_publico"),
            }
            physical(answers)[1]
        };
        assert_close(p2(Some("no"), "no"), 1.0);
        assert_close(p2(Some("si"), "si"), 0.0);
        assert_close(p2(Some("pnr"), "si"), 0.0);
        assert_close(p2(None, "no"), 1.0);
        assert_eq!(p2(Some("pnr"), "pnr"), Missing);
    }

    #[test]
    fn p3_demand_for_family_planning_satisfied() {
        let p3 = |changes: &[(&str, Value)]| physical(with(changes))[2];
        assert_close(p3(&[]), 1.0);
        assert_close(p3(&[("salud/e08_metodo", json!("condon"))]), 1.0);
        assert_close(p3(&[("salud/e08_metodo", json!("natural_retiro"))]), 0.5);
        let not_using = |wish: &str| p3(&[("salud/e07_anticonc", json!("no")), ("salud/e08_metodo", Value::Null), ("salud/e09_deseo_hijo", json!(wish))]);
        assert_close(not_using("si"), 1.0);
        assert_close(not_using("no"), 0.0);
        assert_close(not_using("ns"), 0.0);
        assert_eq!(p3(&[("salud/e07_anticonc", json!("pnr")), ("salud/e08_metodo", Value::Null)]), Missing);
    }

    #[test]
    fn p3_is_not_applicable_over_49_or_in_pregnancy() {
        assert_eq!(physical(with(&[("identificacion/a05_edad", json!(50))]))[2], NotApplicable);
        assert_close(physical(with(&[("identificacion/a05_edad", json!(49))]))[2], 1.0);
        assert_eq!(physical(with(&[("salud/e05_embarazada", json!("si"))]))[2], NotApplicable);
    }

    #[test]
    fn p4_no_first_birth_before_20() {
        assert_close(physical(respondent())[3], 0.0);
        assert_close(physical(with(&[("salud/e04_edad_1er_hijo", json!(20))]))[3], 1.0);
        assert_close(physical(with(&[("salud/e03_hijos_nv", json!(0)), ("salud/e04_edad_1er_hijo", Value::Null)]))[3], 1.0);
    }

    #[test]
    fn p5_health_access() {
        assert_close(physical(respondent())[4], 1.0);
        assert_close(physical(with(&[("salud/e01_prevision", json!("ninguno")), ("salud/e02_atencion_negada", json!("si"))]))[4], 0.0);
        assert_close(physical(with(&[("salud/e01_prevision", json!("ns")), ("salud/e02_atencion_negada", json!("no_necesito"))]))[4], 0.5);
        let pregnant = |check_ups: &str| physical(with(&[("salud/e05_embarazada", json!("si")), ("salud/e06_control_prenatal", json!(check_ups))]))[4];
        assert_close(pregnant("no"), 2.0 / 3.0);
        assert_close(pregnant("si"), 1.0);
    }

    #[test]
    fn p6_knows_where_to_seek_help() {
        assert_close(physical(respondent())[5], 1.0);
        assert_close(physical(with(&[("violencia/f10_conoce_serv", json!("no"))]))[5], 0.0);
    }
}

mod index_rules {
    use super::*;

    #[test]
    fn partner_violence_moves_the_index_and_the_flag() {
        // P1 = 0.5: IAF = 100 · (0.15 + 0.075 + 0.20 + 0 + 0.15 + 0.10) = 67.5, "medio".
        let out = scores(with(&[("violencia/f02_v_psico", json!("si"))]));
        assert_eq!(out.get("autonomia_fisica"), Some(67.5));
        assert_eq!(out.category("autonomia_fisica"), Some("medio"));
        assert_eq!(out.get("violencia_pareja_12m"), Some(1.0));
    }

    #[test]
    fn a_declined_component_drops_out_and_the_weights_renormalise() {
        // P1 unknown (physical violence declined): IAF = 100 · (0.075 + 0.20 + 0 + 0.15 + 0.10) / 0.70 = 75.0.
        let out = scores(with(&[("violencia/f03_v_fisica", json!("pnr"))]));
        assert_eq!(out.get("autonomia_fisica"), Some(75.0));
        assert_eq!(out.get("violencia_pareja_12m"), None);
    }

    #[test]
    fn without_privacy_the_physical_index_has_too_little_information() {
        // P1, P2 and P6 unknown: answered weight 0.45 < 0.6.
        let out = scores(violence(json!({"f00_privacidad": "no"})));
        assert_eq!(out.get("autonomia_fisica"), None);
        assert_eq!(out.category("autonomia_fisica"), None);
        assert_eq!(out.get("autonomia_economica"), Some(90.8));
    }

    /// A 55-year-old without a partner: P1 and P3 do not apply, so only 0.5 of the weight can be
    /// answered. P2 = 0.5, P4 = 0, P5 = 1, P6 = 1.
    fn older_without_partner() -> Value {
        let mut answers = with(&[("identificacion/a05_edad", json!(55)), ("identificacion/a08_anio_llegada", json!(2000)),
            ("salud/e07_anticonc", Value::Null), ("salud/e08_metodo", Value::Null)]);
        answers["violencia"] = json!({"f00_privacidad": "si", "f01_pareja": "no", "f08_acoso_publico": "no",
            "f09_discrim_origen": "si", "f10_conoce_serv": "si"});
        answers
    }

    #[test]
    fn the_coverage_rule_counts_not_applicable_weight_against_the_index_by_default() {
        assert_eq!(scores(older_without_partner()).get("autonomia_fisica"), None, "0.5 answered of 1.0");
    }

    #[test]
    fn the_coverage_rule_can_count_only_applicable_weight() {
        // 100 · (0.075 + 0 + 0.15 + 0.10) / 0.5 = 65.0, coverage 0.5 / 0.5 = 1.
        let mut settings = shipped_settings();
        settings["cobertura"]["sobre"] = json!("aplicable");
        let out = scores_with(older_without_partner(), settings.clone());
        assert_eq!(out.get("autonomia_fisica"), Some(65.0));
        // Declined items still count against the index: without privacy, 0.2 of 0.5 is answered.
        let mut answers = older_without_partner();
        answers["violencia"] = json!({"f00_privacidad": "no"});
        assert_eq!(scores_with(answers, settings).get("autonomia_fisica"), None);
    }

    #[test]
    fn coverage_exactly_at_the_minimum_is_enough() {
        // Without own income the answered IAE weight is 0.25 + 0.15 + 0.15 + 0.20 + 0.10, which in
        // binary is not exactly 0.85.
        let answers = with(&[("trabajo/c04_trabajo", json!("no")), ("trabajo/c16_decide_ingreso", Value::Null)]);
        let mut settings = shipped_settings();
        settings["cobertura"]["minima"] = json!(0.85);
        assert!(scores_with(answers.clone(), settings.clone()).get("autonomia_economica").is_some());
        settings["cobertura"]["minima"] = json!(0.86);
        assert_eq!(scores_with(answers, settings).get("autonomia_economica"), None);
    }

    #[test]
    fn weights_come_from_the_settings() {
        // Only E6 weighs: the index is 100 · E6.
        let mut settings = shipped_settings();
        settings["autonomia_economica"]["pesos"] = json!({"e1_ingreso_propio": 0, "e2_suficiencia_ingreso": 0, "e3_calidad_empleo": 0,
            "e4_autonomia_tiempo": 0, "e5_control_dinero": 0, "e6_inclusion_financiera": 1});
        settings["cobertura"]["minima"] = json!(0.0);
        assert_eq!(scores_with(respondent(), settings.clone()).get("autonomia_economica"), Some(100.0));
        assert_eq!(scores_with(with(&[("trabajo/c17_cuenta", json!("no"))]), settings).get("autonomia_economica"), Some(0.0));
    }

    #[test]
    fn bands() {
        let input = Input::new(json!({})).with_settings(shipped_settings());
        let reference = Reference::from_settings(input.settings()).unwrap();
        for (value, band) in [(0.0, "bajo"), (39.9, "bajo"), (40.0, "medio"), (69.9, "medio"), (70.0, "alto"), (100.0, "alto")] {
            assert_eq!(reference.band(value), band, "{value}");
        }
    }

    #[test]
    fn declined_and_ineligible_interviews_have_no_scores() {
        for outcome in ["rechaza", "no_elegible_edad", "no_elegible_nacida_en_chile"] {
            let out = scores(json!({"identificacion": {"a01_consent": "si", "a14_resultado": outcome}}));
            for name in SCORE_NAMES {
                assert_eq!(out.scores.get(*name).map(|s| s.value), Some(None), "{outcome} {name}");
            }
        }
    }

    #[test]
    fn the_declared_scores_match_the_manifest() {
        let manifest: Value = serde_json::from_str(MANIFEST).unwrap();
        let declared: Vec<&str> = manifest["forms"][0]["scores"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(declared, SCORE_NAMES);
        assert_eq!(scores(respondent()).scores.keys().count(), SCORE_NAMES.len());
    }

    #[test]
    #[should_panic(expected = "autonomia_fisica/pesos/p6_busqueda_ayuda")]
    fn a_bundle_without_a_weight_is_refused() {
        let mut settings = shipped_settings();
        settings["autonomia_fisica"]["pesos"].as_object_mut().unwrap().remove("p6_busqueda_ayuda");
        scores_with(respondent(), settings);
    }
}
