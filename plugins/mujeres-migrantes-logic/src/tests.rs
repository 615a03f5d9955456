//! Every skip rule and constraint of the notes (§1.4), one test per rule, run with the settings
//! the study bundle ships.

use super::*;

const MANIFEST: &str = include_str!("../../../studies/mujeres-migrantes-rm/manifest.json");

fn shipped_settings() -> Value {
    let manifest: Value = serde_json::from_str(MANIFEST).expect("manifest.json is JSON");
    manifest["settings"].clone()
}

/// A complete, valid interview (src/respondent.json, shared with the scoring crate's tests): a
/// 34-year-old Peruvian domestic worker in Independencia who lives with her partner and her
/// 4-year-old daughter.
fn respondent() -> Value {
    serde_json::from_str(include_str!("respondent.json")).expect("respondent.json is JSON")
}

/// `respondent()` with some answers replaced (`null` removes one), by `/`-joined path.
fn with(changes: &[(&str, Value)]) -> Value {
    let mut answers = respondent();
    for (path, value) in changes {
        let (parent, key) = path.rsplit_once('/').expect("section/question");
        let parent = answers.pointer_mut(&format!("/{parent}")).expect("parent exists");
        let object = parent.as_object_mut().expect("parent is an object");
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_string(), value.clone());
        }
    }
    answers
}

fn check(answers: Value) -> Logic {
    let mut out = Logic::default();
    logic(&Input::new(answers).with_settings(shipped_settings()), &mut out);
    out
}

/// The server's acceptance rule (sdk/ABI.md): no errors, nothing answered where not relevant,
/// nothing missing where required.
fn accepted(answers: &Value, out: &Logic) -> Result<(), String> {
    if out.has_errors() {
        return Err(format!("errors: {:?}", out.issues));
    }
    for (path, state) in &out.fields {
        if state.required && out.is_relevant(path) && answers.pointer(path).is_none_or(Value::is_null) {
            return Err(format!("required {path} missing"));
        }
        if !out.is_relevant(path) && answers.pointer(path).is_some_and(|v| !v.is_null()) {
            return Err(format!("answer at hidden {path}"));
        }
    }
    Ok(())
}

fn assert_accepted(answers: Value) -> Logic {
    let out = check(answers.clone());
    if let Err(why) = accepted(&answers, &out) {
        panic!("refused: {why}");
    }
    out
}

#[test]
fn the_worked_respondent_is_accepted_without_issues() {
    let out = assert_accepted(respondent());
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    assert_eq!(out.computed_at("identificacion/a14_resultado"), Some(&json!("elegible")));
}

mod screening {
    use super::*;

    #[test]
    fn declining_consent_ends_the_form() {
        let answers = json!({"identificacion": {"a01_consent": "no", "a14_resultado": "rechaza"}});
        let out = assert_accepted(answers);
        assert!(out.is_required("identificacion/a01_consent"));
        assert!(!out.is_relevant("identificacion/a02_fecha"));
        assert!(!out.is_relevant("identificacion/a13_espanol"));
        for section in SECTIONS {
            assert!(!out.is_relevant(&format!("{section}/anything")), "{section}");
        }
        assert!(out.is_relevant("identificacion/a14_resultado"));
        assert_eq!(out.computed_at("identificacion/a14_resultado"), Some(&json!("rechaza")));
    }

    #[test]
    fn consent_is_required_and_nothing_else_shows_before_it() {
        let out = check(json!({}));
        assert!(out.is_required("identificacion/a01_consent"));
        assert!(!out.is_relevant("identificacion/a05_edad"));
        assert!(!out.is_relevant("hogar/b01_n_personas"));
        assert_eq!(out.computed_at("identificacion/a14_resultado"), None);
    }

    #[test]
    fn an_answer_after_declining_is_refused() {
        let answers = json!({"identificacion": {"a01_consent": "no", "a05_edad": 30}});
        assert!(accepted(&answers, &check(answers.clone())).is_err());
    }

    #[test]
    fn under_eighteen_ends_the_form_after_the_age() {
        let answers = json!({"identificacion": {"a01_consent": "si", "a02_fecha": "2017-09-01", "a03_region": "13", "a05_edad": 17}});
        let out = assert_accepted(answers);
        assert_eq!(out.computed_at("identificacion/a14_resultado"), Some(&json!("no_elegible_edad")));
        assert!(out.is_required("identificacion/a05_edad"));
        assert!(!out.is_relevant("identificacion/a06_pais_nac"));
        assert!(!out.is_relevant("salud/e01_prevision"));
    }

    #[test]
    fn eighteen_is_eligible() {
        let out = check(with(&[("identificacion/a05_edad", json!(18)), ("identificacion/a08_anio_llegada", json!(2016)),
            ("salud/e03_hijos_nv", json!(0)), ("salud/e04_edad_1er_hijo", Value::Null)]));
        assert_eq!(out.computed_at("identificacion/a14_resultado"), Some(&json!("elegible")));
        assert!(out.is_relevant("salud/e01_prevision"));
    }

    #[test]
    fn born_in_chile_ends_the_form_after_the_country() {
        let answers = json!({"identificacion": {"a01_consent": "si", "a02_fecha": "2017-09-01", "a03_region": "01",
            "a04_comuna": "01107", "a05_edad": 40, "a06_pais_nac": "chile"}});
        let out = assert_accepted(answers);
        assert_eq!(out.computed_at("identificacion/a14_resultado"), Some(&json!("no_elegible_nacida_en_chile")));
        assert!(!out.is_relevant("identificacion/a08_anio_llegada"));
        assert!(!out.is_relevant("redes/g01_organizacion"));
    }

    #[test]
    fn the_core_identification_items_are_required() {
        let out = check(respondent());
        for id in ["a02_fecha", "a03_region", "a05_edad", "a06_pais_nac", "a08_anio_llegada", "a10_estatus"] {
            assert!(out.is_required(&format!("identificacion/{id}")), "{id}");
        }
        for id in ["a04_comuna", "a09_nacionalidad", "a11_cedula", "a12_lengua"] {
            assert!(out.is_relevant(&format!("identificacion/{id}")) && !out.is_required(&format!("identificacion/{id}")), "{id}");
        }
    }

    #[test]
    fn another_country_must_be_named() {
        assert!(!check(respondent()).is_relevant("identificacion/a07_pais_otro"));
        let out = check(with(&[("identificacion/a06_pais_nac", json!("otro"))]));
        assert!(out.is_required("identificacion/a07_pais_otro"));
    }

    #[test]
    fn migration_status_is_not_asked_of_chilean_only_nationals() {
        let out = check(with(&[("identificacion/a09_nacionalidad", json!("chilena_exclusiva")), ("identificacion/a10_estatus", Value::Null)]));
        assert!(!out.is_relevant("identificacion/a10_estatus"));
        let out = check(with(&[("identificacion/a09_nacionalidad", Value::Null)]));
        assert!(out.is_required("identificacion/a10_estatus"), "a09 is optional: unanswered, a10 is asked");
    }

    #[test]
    fn spanish_proficiency_is_asked_unless_spanish_is_her_mother_tongue() {
        assert!(!check(respondent()).is_relevant("identificacion/a13_espanol"));
        assert!(check(with(&[("identificacion/a12_lengua", json!("creole"))])).is_relevant("identificacion/a13_espanol"));
    }
}

mod identification_constraints {
    use super::*;

    #[test]
    fn the_interview_date_falls_in_the_fieldwork_period() {
        for (date, ok) in [("2017-08-01", true), ("2017-07-31", false), ("2018-12-31", true), ("2019-01-01", false)] {
            let out = check(with(&[("identificacion/a02_fecha", json!(date))]));
            assert_eq!(out.errors_at("identificacion/a02_fecha").is_empty(), ok, "{date}");
        }
    }

    #[test]
    fn the_comuna_belongs_to_the_region() {
        let out = check(with(&[("identificacion/a04_comuna", json!("02201"))]));
        assert_eq!(out.errors_at("identificacion/a04_comuna"), vec!["comuna_fuera_de_region"]);
        let out = check(with(&[("identificacion/a03_region", json!("02")), ("identificacion/a04_comuna", json!("02201"))]));
        assert!(out.errors_at("identificacion/a04_comuna").is_empty());
    }

    #[test]
    fn arrival_is_not_before_birth() {
        // Interviewed in 2017 aged 34: born in 1983 (birthday already passed) or 1982.
        let arrival = |year: i64| check(with(&[("identificacion/a08_anio_llegada", json!(year))]));
        assert!(arrival(1983).errors_at("identificacion/a08_anio_llegada").is_empty());
        assert!(arrival(1982).errors_at("identificacion/a08_anio_llegada").is_empty());
        assert_eq!(arrival(1981).errors_at("identificacion/a08_anio_llegada"), vec!["llegada_antes_de_nacer"]);
    }

    #[test]
    fn arrival_is_not_after_the_interview_year() {
        let arrival = |year: i64| check(with(&[("identificacion/a08_anio_llegada", json!(year))]));
        assert!(arrival(2017).errors_at("identificacion/a08_anio_llegada").is_empty());
        assert_eq!(arrival(2018).errors_at("identificacion/a08_anio_llegada"), vec!["llegada_despues_de_entrevista"]);
    }

    #[test]
    fn an_id_card_while_undocumented_is_a_warning() {
        let out = check(with(&[("identificacion/a10_estatus", json!("sin_documentos"))]));
        assert_eq!(out.warnings_at("identificacion/a11_cedula"), vec!["cedula_sin_documentos"]);
        assert!(!out.has_errors());
    }
}

mod household {
    use super::*;

    #[test]
    fn the_roster_lists_everyone_but_the_respondent() {
        let out = check(with(&[("hogar/b01_n_personas", json!(4))]));
        assert_eq!(out.errors_at("hogar/b_miembros"), vec!["miembros_no_cuadran"]);
        let out = check(with(&[("hogar/b01_n_personas", json!(2))]));
        assert_eq!(out.errors_at("hogar/b_miembros"), vec!["miembros_no_cuadran"]);
    }

    #[test]
    fn a_single_person_household_has_no_roster() {
        let answers = with(&[("hogar/b01_n_personas", json!(1)), ("hogar/b_miembros", Value::Null), ("tiempo/d03_comparte", Value::Null)]);
        let out = assert_accepted(answers);
        assert!(!out.is_relevant("hogar/b_miembros"));
        assert!(!out.is_relevant("tiempo/d03_comparte"));
        let out = check(with(&[("hogar/b01_n_personas", json!(1))]));
        assert!(accepted(&with(&[("hogar/b01_n_personas", json!(1))]), &out).is_err(), "a roster for one person is refused");
    }

    #[test]
    fn every_roster_item_is_required() {
        let mut answers = respondent();
        answers["hogar"]["b_miembros"][1].as_object_mut().unwrap().remove("b04_edad");
        let out = check(answers.clone());
        assert!(out.is_required("/hogar/b_miembros/1/b04_edad"));
        assert!(accepted(&answers, &out).is_err());
    }

    #[test]
    fn a_child_under_six_without_care_is_a_warning() {
        let mut answers = respondent();
        answers["hogar"]["b_miembros"][1]["b06_cuidados"] = json!("no");
        let out = check(answers);
        assert_eq!(out.warnings_at("/hogar/b_miembros/1/b06_cuidados"), vec!["menor_de_6_sin_cuidados"]);
        assert!(!out.has_errors());
        let mut answers = respondent();
        answers["hogar"]["b_miembros"][1]["b04_edad"] = json!(6);
        answers["hogar"]["b_miembros"][1]["b06_cuidados"] = json!("no");
        assert!(check(answers).issues.is_empty(), "six years old is not the rule");
    }

    #[test]
    fn the_remittance_amount_is_asked_only_of_those_who_send() {
        assert!(check(respondent()).is_relevant("hogar/b09_monto_remesas"));
        assert!(!check(with(&[("hogar/b08_remesas", json!("no"))])).is_relevant("hogar/b09_monto_remesas"));
    }

    #[test]
    fn sending_more_than_her_own_income_is_a_warning() {
        assert!(check(with(&[("hogar/b09_monto_remesas", json!(300000))])).issues.is_empty());
        let out = check(with(&[("hogar/b09_monto_remesas", json!(300001))]));
        assert_eq!(out.warnings_at("hogar/b09_monto_remesas"), vec!["remesa_mayor_que_ingresos"]);
        assert!(!out.has_errors());
    }

    #[test]
    fn partner_sharing_is_asked_only_with_a_partner_at_home() {
        assert!(check(respondent()).is_relevant("tiempo/d03_comparte"));
        let mut answers = respondent();
        answers["hogar"]["b_miembros"][0]["b02_parentesco"] = json!("hermano");
        assert!(!check(answers).is_relevant("tiempo/d03_comparte"));
    }
}

mod work {
    use super::*;

    fn not_working() -> Value {
        let mut answers = with(&[("trabajo/c04_trabajo", json!("no")), ("trabajo/c05_busco", json!("no")), ("trabajo/c06_razon_no", json!("cuidado")),
            ("trabajo/c13_otros_ingresos", json!(["subsidios"])), ("trabajo/c14_monto_otros", json!(60000))]);
        for id in ["c07_ocupacion", "c08_categoria", "c09_contrato", "c10_cotiza", "c11_horas", "c12_ingreso_trab", "c18_discrim_lab"] {
            answers["trabajo"].as_object_mut().unwrap().remove(id);
        }
        answers["hogar"]["b09_monto_remesas"] = json!(20000);
        answers
    }

    #[test]
    fn job_questions_are_asked_only_of_women_who_work() {
        let out = check(respondent());
        for id in ["c07_ocupacion", "c08_categoria", "c09_contrato", "c10_cotiza", "c11_horas", "c12_ingreso_trab"] {
            assert!(out.is_required(&format!("trabajo/{id}")), "{id}");
        }
        assert!(!out.is_relevant("trabajo/c05_busco"));
        let out = assert_accepted(not_working());
        for id in ["c07_ocupacion", "c08_categoria", "c09_contrato", "c10_cotiza", "c11_horas", "c12_ingreso_trab", "c18_discrim_lab"] {
            assert!(!out.is_relevant(&format!("trabajo/{id}")), "{id}");
        }
        assert!(out.is_relevant("trabajo/c05_busco") && out.is_relevant("trabajo/c06_razon_no"));
    }

    #[test]
    fn the_reason_for_not_looking_is_asked_only_of_those_who_did_not_look() {
        let mut answers = not_working();
        answers["trabajo"]["c05_busco"] = json!("si");
        assert!(!check(answers).is_relevant("trabajo/c06_razon_no"));
    }

    #[test]
    fn the_contract_is_asked_of_employees_and_domestic_workers() {
        assert!(check(respondent()).is_required("trabajo/c09_contrato"));
        let out = check(with(&[("trabajo/c07_ocupacion", json!("comercio_ambulante")), ("trabajo/c08_categoria", json!("cuenta_propia"))]));
        assert!(!out.is_relevant("trabajo/c09_contrato"));
        let out = check(with(&[("trabajo/c07_ocupacion", json!("comercio")), ("trabajo/c08_categoria", json!("asalariada"))]));
        assert!(out.is_required("trabajo/c09_contrato"));
    }

    #[test]
    fn domestic_work_has_the_domestic_worker_category() {
        let out = check(with(&[("trabajo/c08_categoria", json!("asalariada"))]));
        assert_eq!(out.errors_at("trabajo/c08_categoria"), vec!["categoria_debe_ser_tcp"]);
        let out = check(with(&[("trabajo/c07_ocupacion", json!("tcp_puertas_adentro"))]));
        assert!(out.errors_at("trabajo/c08_categoria").is_empty());
    }

    #[test]
    fn a_degree_is_recognised_only_with_higher_education() {
        assert!(!check(respondent()).is_relevant("trabajo/c03_titulo_conv"));
        assert!(check(with(&[("trabajo/c01_nivel_educ", json!("universitaria")), ("trabajo/c02_anios_esc", json!(16))])).is_relevant("trabajo/c03_titulo_conv"));
    }

    #[test]
    fn few_years_of_schooling_with_higher_education_is_a_warning() {
        let out = check(with(&[("trabajo/c01_nivel_educ", json!("tecnico_superior")), ("trabajo/c02_anios_esc", json!(11))]));
        assert_eq!(out.warnings_at("trabajo/c02_anios_esc"), vec!["escolaridad_baja_para_nivel"]);
        let out = check(with(&[("trabajo/c01_nivel_educ", json!("tecnico_superior")), ("trabajo/c02_anios_esc", json!(12))]));
        assert!(out.issues.is_empty());
    }

    #[test]
    fn none_is_exclusive_among_other_incomes_and_workplace_experiences() {
        let out = check(with(&[("trabajo/c13_otros_ingresos", json!(["ninguno", "pension"])), ("trabajo/c14_monto_otros", json!(100000))]));
        assert_eq!(out.errors_at("trabajo/c13_otros_ingresos"), vec!["ninguno_exclusivo"]);
        let out = check(with(&[("trabajo/c18_discrim_lab", json!(["acoso_sexual", "ninguna"]))]));
        assert_eq!(out.errors_at("trabajo/c18_discrim_lab"), vec!["ninguna_exclusiva"]);
        assert!(check(with(&[("trabajo/c18_discrim_lab", json!(["acoso_sexual", "salario_menor"]))])).issues.is_empty());
    }

    #[test]
    fn the_amount_of_other_income_is_asked_only_with_a_source() {
        assert!(!check(respondent()).is_relevant("trabajo/c14_monto_otros"));
        let out = check(with(&[("trabajo/c13_otros_ingresos", json!(["apoyo_familiar"]))]));
        assert!(out.is_required("trabajo/c14_monto_otros"));
    }

    #[test]
    fn household_income_is_not_below_her_own() {
        let answers = |household: i64| with(&[("trabajo/c13_otros_ingresos", json!(["pension"])), ("trabajo/c14_monto_otros", json!(50000)),
            ("trabajo/c15_ingreso_hogar", json!(household))]);
        assert!(check(answers(350000)).errors_at("trabajo/c15_ingreso_hogar").is_empty());
        assert_eq!(check(answers(349999)).errors_at("trabajo/c15_ingreso_hogar"), vec!["ingreso_hogar_menor_que_propio"]);
    }

    #[test]
    fn who_decides_on_her_money_is_asked_only_with_own_income() {
        assert!(check(respondent()).is_required("trabajo/c16_decide_ingreso"));
        let mut answers = not_working();
        answers["trabajo"]["c13_otros_ingresos"] = json!(["ninguno"]);
        answers["trabajo"].as_object_mut().unwrap().remove("c14_monto_otros");
        assert!(!check(answers).is_relevant("trabajo/c16_decide_ingreso"));
        let out = check(with(&[("trabajo/c12_ingreso_trab", json!(0)), ("trabajo/c08_categoria", json!("tcp"))]));
        assert!(!out.is_relevant("trabajo/c16_decide_ingreso"), "unpaid work is no own income");
    }

    #[test]
    fn full_time_under_half_the_minimum_wage_is_a_warning() {
        // Interviewed 2017-10-16: minimum wage 270,000, half is 135,000.
        let out = check(with(&[("trabajo/c12_ingreso_trab", json!(134999))]));
        assert_eq!(out.warnings_at("trabajo/c12_ingreso_trab"), vec!["ingreso_bajo_salario_minimo"]);
        assert!(!out.has_errors());
        assert!(check(with(&[("trabajo/c12_ingreso_trab", json!(135000))])).issues.is_empty());
        assert!(check(with(&[("trabajo/c12_ingreso_trab", json!(134999)), ("trabajo/c11_horas", json!(43))])).issues.is_empty());
        // From 2018-01-01 the minimum wage is 276,000: 137,999 is under half of it.
        let out = check(with(&[("identificacion/a02_fecha", json!("2018-01-01")), ("trabajo/c12_ingreso_trab", json!(137999))]));
        assert_eq!(out.warnings_at("trabajo/c12_ingreso_trab"), vec!["ingreso_bajo_salario_minimo"]);
    }

    #[test]
    fn a_bank_account_without_an_id_is_a_warning() {
        let out = check(with(&[("identificacion/a11_cedula", json!("no"))]));
        assert_eq!(out.warnings_at("trabajo/c17_cuenta"), vec!["cuenta_sin_rut"]);
    }
}

mod time_use {
    use super::*;

    #[test]
    fn unpaid_and_paid_work_fit_in_a_day() {
        // 45 weekly hours are 9 a day: 15 hours of unpaid work are left.
        let day = |domestic: f64, care: f64| check(with(&[("tiempo/d01_h_domestico", json!(domestic)), ("tiempo/d02_h_cuidado", json!(care))]));
        assert!(day(8.0, 7.0).errors_at("tiempo/d02_h_cuidado").is_empty());
        assert_eq!(day(8.0, 7.5).errors_at("tiempo/d02_h_cuidado"), vec!["dia_de_mas_de_24_horas"]);
    }

    #[test]
    fn hours_of_a_hidden_job_do_not_count() {
        let mut answers = with(&[("tiempo/d01_h_domestico", json!(12.0)), ("tiempo/d02_h_cuidado", json!(12.0)), ("trabajo/c04_trabajo", json!("no"))]);
        answers["trabajo"]["c11_horas"] = json!(45);
        assert!(check(answers).errors_at("tiempo/d02_h_cuidado").is_empty());
    }
}

mod health {
    use super::*;

    #[test]
    fn age_at_first_birth_is_asked_only_of_mothers() {
        assert!(check(respondent()).is_required("salud/e04_edad_1er_hijo"));
        let out = check(with(&[("salud/e03_hijos_nv", json!(0)), ("salud/e04_edad_1er_hijo", Value::Null)]));
        assert!(!out.is_relevant("salud/e04_edad_1er_hijo"));
    }

    #[test]
    fn first_birth_is_not_after_her_current_age() {
        assert!(check(with(&[("salud/e04_edad_1er_hijo", json!(34))])).issues.is_empty());
        let out = check(with(&[("salud/e04_edad_1er_hijo", json!(35))]));
        assert_eq!(out.errors_at("salud/e04_edad_1er_hijo"), vec!["primer_hijo_despues_de_edad_actual"]);
    }

    #[test]
    fn pregnancy_is_asked_up_to_55() {
        let older = |age: i64| check(with(&[("identificacion/a05_edad", json!(age)), ("identificacion/a08_anio_llegada", json!(2000))]));
        assert!(older(55).is_relevant("salud/e05_embarazada"));
        assert!(!older(56).is_relevant("salud/e05_embarazada"));
    }

    #[test]
    fn prenatal_care_is_asked_only_in_pregnancy() {
        assert!(!check(respondent()).is_relevant("salud/e06_control_prenatal"));
        let out = check(with(&[("salud/e05_embarazada", json!("si"))]));
        assert!(out.is_relevant("salud/e06_control_prenatal"));
    }

    #[test]
    fn contraception_is_asked_up_to_49_and_not_in_pregnancy() {
        assert!(check(respondent()).is_required("salud/e07_anticonc"));
        let out = check(with(&[("identificacion/a05_edad", json!(50)), ("identificacion/a08_anio_llegada", json!(2000))]));
        assert!(!out.is_relevant("salud/e07_anticonc"));
        assert!(!check(with(&[("salud/e05_embarazada", json!("si"))])).is_relevant("salud/e07_anticonc"));
        let out = check(with(&[("salud/e05_embarazada", Value::Null)]));
        assert!(out.is_required("salud/e07_anticonc"), "no answer to e05 reads as not pregnant");
    }

    #[test]
    fn the_method_follows_use_and_the_wish_for_a_child_follows_non_use() {
        let out = check(respondent());
        assert!(out.is_required("salud/e08_metodo") && !out.is_relevant("salud/e09_deseo_hijo"));
        let out = check(with(&[("salud/e07_anticonc", json!("no"))]));
        assert!(!out.is_relevant("salud/e08_metodo") && out.is_required("salud/e09_deseo_hijo"));
        let out = check(with(&[("salud/e07_anticonc", json!("pnr"))]));
        assert!(!out.is_relevant("salud/e08_metodo") && !out.is_relevant("salud/e09_deseo_hijo"));
    }
}

mod violence {
    use super::*;

    #[test]
    fn the_section_opens_only_after_the_privacy_check() {
        let mut answers = respondent();
        answers["violencia"] = json!({"f00_privacidad": "no"});
        let out = assert_accepted(answers);
        assert!(out.is_required("violencia/f00_privacidad"));
        for id in VIOLENCE {
            assert!(!out.is_relevant(&format!("violencia/{id}")), "{id}");
        }
        assert!(out.is_relevant("redes/g01_organizacion"), "the form goes on to section G");
    }

    #[test]
    fn partner_violence_is_asked_only_with_a_partner() {
        let out = check(respondent());
        for id in ["f02_v_psico", "f03_v_fisica", "f04_v_sexual"] {
            assert!(out.is_required(&format!("violencia/{id}")), "{id}");
        }
        let mut answers = respondent();
        answers["violencia"] = json!({"f00_privacidad": "si", "f01_pareja": "no", "f09_discrim_origen": "pnr", "f10_conoce_serv": "no"});
        let out = assert_accepted(answers);
        for id in ["f02_v_psico", "f03_v_fisica", "f04_v_sexual", "f05_v_economica", "f06_denuncio"] {
            assert!(!out.is_relevant(&format!("violencia/{id}")), "{id}");
        }
    }

    #[test]
    fn reporting_is_asked_only_after_some_violence_and_reasons_only_when_not_reported() {
        assert!(!check(respondent()).is_relevant("violencia/f06_denuncio"));
        let out = check(with(&[("violencia/f05_v_economica", json!("si"))]));
        assert!(out.is_relevant("violencia/f06_denuncio") && !out.is_relevant("violencia/f07_razon_no_den"));
        let out = check(with(&[("violencia/f02_v_psico", json!("si")), ("violencia/f06_denuncio", json!("no"))]));
        assert!(out.is_relevant("violencia/f07_razon_no_den"));
        assert!(!check(with(&[("violencia/f02_v_psico", json!("pnr"))])).is_relevant("violencia/f06_denuncio"));
    }

    #[test]
    fn discrimination_and_help_seeking_are_required_once_open() {
        let out = check(respondent());
        assert!(out.is_required("violencia/f09_discrim_origen") && out.is_required("violencia/f10_conoce_serv"));
        assert!(out.is_relevant("violencia/f08_acoso_publico") && !out.is_required("violencia/f08_acoso_publico"));
    }
}

mod reference_values {
    use super::*;

    #[test]
    fn the_minimum_wage_follows_the_interview_date() {
        let input = Input::new(json!({})).with_settings(shipped_settings());
        let on = |date: &str| minimum_wage(input.settings(), Date::parse(date).unwrap());
        assert_eq!(on("2016-01-15"), Some(264_000.0), "before the table: its first entry");
        assert_eq!(on("2017-06-30"), Some(264_000.0));
        assert_eq!(on("2017-07-01"), Some(270_000.0));
        assert_eq!(on("2017-12-31"), Some(270_000.0));
        assert_eq!(on("2018-01-01"), Some(276_000.0));
    }

    #[test]
    fn without_settings_the_checks_that_need_them_are_skipped() {
        let mut out = Logic::default();
        logic(&Input::new(with(&[("trabajo/c12_ingreso_trab", json!(100_000)), ("identificacion/a02_fecha", json!("2030-01-01")),
            ("identificacion/a08_anio_llegada", json!(2012))])), &mut out);
        assert!(out.issues.is_empty(), "{:?}", out.issues);
    }
}
