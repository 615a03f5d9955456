//! Each rule of the study's notes (§2.2, §2.3) as a specification: a valid record, then the one
//! change that breaks (or just satisfies) the rule.

use super::*;
use campo_sdk::Severity;

fn run(form: &str, answers: Value) -> Logic {
    run_with(form, answers, json!({}))
}

fn run_with(form: &str, answers: Value, settings: Value) -> Logic {
    let mut out = Logic::default();
    logic(&Input::new(answers).for_form(form).with_settings(settings), &mut out);
    out
}

/// A concluded 2017 water project in Jerez, Zacatecas, co-funded 1x1x1x1: every rule holds.
fn proyecto_valido() -> Value {
    json!({
        "solicitud": {"p01_folio": "3x1-2017-32-00154", "p02_ejercicio": 2017, "p03_fecha_solicitud": "2017-02-15"},
        "ubicacion": {"p04_entidad": "zacatecas", "p05_municipio": "32020", "p06_localidad": "Jerez de García Salinas", "p07_marginacion": "alto"},
        "club": {"p08_club": "Club Social Jerez", "p09_federacion": "Federación de Clubes Zacatecanos del Sur de California",
                 "p10_club_estado_ext": "california", "p11_tn_folio": "LA-2016-0187", "p12_tn_tipo": "renovada",
                 "p13_tn_fecha": "2016-03-01", "p14_n_socios": 32},
        "caracteristicas": {"p15_tipo": "infraestructura_social", "p16_subtipo": "agua_drenaje_electrificacion", "p20_exp_tecnico": "si"},
        "covam": {"p21_covam_fecha": "2017-05-10", "p22_dictamen": "aprobado"},
        "convenio": {"p23_convenio_fecha": "2017-06-20", "p24_ap_federal": 250000, "p25_ap_estatal": 250000,
                     "p26_ap_municipal": 250000, "p27_ap_migrantes": 250000, "p29_total": 1000000,
                     "p30_benef_directos": 240, "p31_benef_mujeres": 125},
        "seguimiento": {"p32_estatus": "concluido", "p33_fecha_inicio": "2017-07-03", "p34_fecha_fin_prog": "2017-12-15",
                        "p35_avance_fisico": 100, "p36_avance_fin": 100, "p37_fecha_fin_real": "2017-12-08",
                        "p38_reportes": [{"trimestre": "2017-T3", "avance_fisico": 40, "avance_financiero": 50},
                                         {"trimestre": "2017-T4", "avance_fisico": 100, "avance_financiero": 100}]}
    })
}

/// The valid project with answers changed (`Some`) or removed (`None`) at JSON Pointers.
fn proyecto(cambios: &[(&str, Option<Value>)]) -> Value {
    let mut v = proyecto_valido();
    for (pointer, nuevo) in cambios {
        let (padre, clave) = pointer.rsplit_once('/').expect("a pointer");
        let padre = v.pointer_mut(padre).unwrap_or_else(|| panic!("no parent for {pointer}"));
        match (padre, nuevo) {
            (Value::Object(map), Some(n)) => {
                map.insert(clave.to_string(), n.clone());
            }
            (Value::Object(map), None) => {
                map.remove(clave);
            }
            (Value::Array(items), Some(n)) => items[clave.parse::<usize>().unwrap()] = n.clone(),
            (Value::Array(items), None) => {
                items.remove(clave.parse::<usize>().unwrap());
            }
            _ => panic!("{pointer} is not inside an object or array"),
        }
    }
    v
}

fn check(cambios: &[(&str, Option<Value>)]) -> Logic {
    run("proyecto", proyecto(cambios))
}

fn set(pointer: &str, v: Value) -> (&str, Option<Value>) {
    (pointer, Some(v))
}

fn unset(pointer: &str) -> (&str, Option<Value>) {
    (pointer, None)
}

/// What the server would refuse: error issues, answers to non-relevant questions and missing
/// answers to relevant required ones.
fn rechazos(answers: &Value, out: &Logic) -> Vec<String> {
    let mut problemas: Vec<String> = out.issues.iter().filter(|i| i.severity == Severity::Error).map(|i| format!("{} {}", i.path, i.code)).collect();
    let mut hojas = Vec::new();
    respuestas(answers, String::new(), &mut hojas);
    problemas.extend(hojas.into_iter().filter(|p| !out.is_relevant(p)).map(|p| format!("{p} answered but not relevant")));
    for (path, state) in &out.fields {
        let answered = answers.pointer(path).is_some_and(|v| !v.is_null() && v != "" && v != &json!([]));
        if state.required && out.is_relevant(path) && !answered {
            problemas.push(format!("{path} required but missing"));
        }
    }
    problemas
}

/// JSON Pointers of every answered question (groups and repeat items are walked into).
fn respuestas(v: &Value, at: String, hojas: &mut Vec<String>) {
    match v {
        Value::Object(map) => map.iter().for_each(|(k, v)| respuestas(v, format!("{at}/{k}"), hojas)),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            hojas.push(at.clone());
            items.iter().enumerate().for_each(|(i, v)| respuestas(v, format!("{at}/{i}"), hojas));
        }
        _ => hojas.push(at),
    }
}

#[test]
fn a_complete_valid_project_is_accepted_without_warnings() {
    let answers = proyecto_valido();
    let out = run("proyecto", answers.clone());
    assert_eq!(rechazos(&answers, &out), Vec::<String>::new());
    assert!(out.issues.is_empty(), "{:?}", out.issues);
    assert!(out.is_required("solicitud/p01_folio"));
    assert!(!out.is_required("club/p09_federacion"), "the federation is optional");
}

#[test]
fn the_application_is_filed_in_the_fiscal_year_or_the_year_before() {
    assert!(check(&[set("/solicitud/p03_fecha_solicitud", json!("2016-11-20"))]).errors_at("solicitud/p03_fecha_solicitud").is_empty());
    let out = check(&[set("/solicitud/p03_fecha_solicitud", json!("2015-12-01")), set("/club/p13_tn_fecha", json!("2015-01-01"))]);
    assert_eq!(out.errors_at("solicitud/p03_fecha_solicitud"), vec!["solicitud_fuera_de_ejercicio"]);
}

#[test]
fn the_municipality_code_starts_with_the_states_inegi_code() {
    assert_eq!(check(&[set("/ubicacion/p05_municipio", json!("14039"))]).errors_at("ubicacion/p05_municipio"), vec!["municipio_de_otra_entidad"]);
    let jalisco = check(&[set("/ubicacion/p04_entidad", json!("jalisco")), set("/ubicacion/p05_municipio", json!("14039"))]);
    assert!(jalisco.errors_at("ubicacion/p05_municipio").is_empty());
}

#[test]
fn the_toma_de_nota_is_valid_for_two_years_up_to_the_application() {
    let exactamente_dos_anios = check(&[set("/club/p13_tn_fecha", json!("2015-02-15"))]);
    assert!(exactamente_dos_anios.errors_at("club/p13_tn_fecha").is_empty());
    let mismo_dia = check(&[set("/club/p13_tn_fecha", json!("2017-02-15"))]);
    assert!(mismo_dia.errors_at("club/p13_tn_fecha").is_empty());
    assert_eq!(check(&[set("/club/p13_tn_fecha", json!("2015-02-14"))]).errors_at("club/p13_tn_fecha"), vec!["toma_de_nota_vencida"]);
    assert_eq!(check(&[set("/club/p13_tn_fecha", json!("2017-02-16"))]).errors_at("club/p13_tn_fecha"), vec!["toma_de_nota_posterior"]);
}

#[test]
fn a_club_needs_ten_members() {
    assert!(check(&[set("/club/p14_n_socios", json!(10))]).errors_at("club/p14_n_socios").is_empty());
    assert_eq!(check(&[set("/club/p14_n_socios", json!(9))]).errors_at("club/p14_n_socios"), vec!["club_con_pocos_socios"]);
}

#[test]
fn the_sub_type_belongs_to_the_type() {
    let out = check(&[set("/caracteristicas/p16_subtipo", json!("becas"))]);
    assert_eq!(out.errors_at("caracteristicas/p16_subtipo"), vec!["subtipo_de_otro_tipo"]);
}

fn productivo(tipo: &str, subtipo: &str, familias: i64) -> Logic {
    check(&[
        set("/caracteristicas/p15_tipo", json!(tipo)),
        set("/caracteristicas/p16_subtipo", json!(subtipo)),
        unset("/caracteristicas/p20_exp_tecnico"),
        set("/caracteristicas/p17_n_familias", json!(familias)),
    ])
}

#[test]
fn productive_projects_count_families_by_type() {
    let familias = "caracteristicas/p17_n_familias";
    for (tipo, subtipo, validas, invalidas) in [
        ("productivo_comunitario", "agropecuario_comunitario", vec![5, 40], vec![4, 1]),
        ("productivo_familiar", "comercio_servicios_familiar", vec![2, 3, 4], vec![1, 5]),
        ("productivo_individual", "transformacion_individual", vec![1], vec![2]),
    ] {
        for n in validas {
            let out = productivo(tipo, subtipo, n);
            assert!(out.errors_at(familias).is_empty(), "{tipo} with {n} families");
            assert!(out.is_required(familias));
        }
        for n in invalidas {
            assert_eq!(productivo(tipo, subtipo, n).errors_at(familias), vec!["familias_fuera_de_rango"], "{tipo} with {n} families");
        }
    }
    assert!(!check(&[]).is_relevant(familias), "families are asked only of productive projects");
}

#[test]
fn scholarships_ask_number_and_levels_and_bound_the_beneficiaries() {
    let becas = |n: i64, beneficiarios: i64| {
        check(&[
            set("/caracteristicas/p15_tipo", json!("servicios_comunitarios")),
            set("/caracteristicas/p16_subtipo", json!("becas")),
            unset("/caracteristicas/p20_exp_tecnico"),
            set("/caracteristicas/p18_n_becas", json!(n)),
            set("/caracteristicas/p19_nivel_beca", json!(["secundaria", "bachillerato"])),
            set("/convenio/p30_benef_directos", json!(beneficiarios)),
            set("/convenio/p31_benef_mujeres", json!(0)),
        ])
    };
    let out = becas(40, 40);
    assert!(out.is_required("caracteristicas/p18_n_becas") && out.is_required("caracteristicas/p19_nivel_beca"));
    assert!(!out.has_errors(), "{:?}", out.issues);
    assert_eq!(becas(40, 39).errors_at("convenio/p30_benef_directos"), vec!["menos_beneficiarios_que_becas"]);
    let obra = check(&[]);
    assert!(!obra.is_relevant("caracteristicas/p18_n_becas") && !obra.is_relevant("caracteristicas/p19_nivel_beca"));
}

#[test]
fn infrastructure_needs_a_technical_file_from_2017() {
    let exp = "caracteristicas/p20_exp_tecnico";
    assert!(check(&[]).is_required(exp));
    assert_eq!(check(&[set("/caracteristicas/p20_exp_tecnico", json!("no"))]).errors_at(exp), vec!["falta_expediente_tecnico"]);
    let en_2016 = check(&[
        set("/solicitud/p02_ejercicio", json!(2016)),
        set("/caracteristicas/p20_exp_tecnico", json!("no")),
    ]);
    assert!(en_2016.errors_at(exp).is_empty());
    let otro_umbral = run_with("proyecto", proyecto(&[set("/caracteristicas/p20_exp_tecnico", json!("no"))]), json!({"expediente_tecnico_desde_ejercicio": 2018}));
    assert!(otro_umbral.errors_at(exp).is_empty(), "the year is a setting");
    let servicios = check(&[set("/caracteristicas/p15_tipo", json!("educativo")), set("/caracteristicas/p16_subtipo", json!("equipamiento_escolar"))]);
    assert!(!servicios.is_relevant(exp));
}

#[test]
fn the_covam_sits_after_the_application_and_from_2017_in_april_to_june() {
    let fecha = "covam/p21_covam_fecha";
    assert_eq!(check(&[set("/covam/p21_covam_fecha", json!("2017-02-14"))]).errors_at(fecha), vec!["covam_antes_de_solicitud"]);
    let marzo = check(&[set("/covam/p21_covam_fecha", json!("2017-03-31"))]);
    assert_eq!(marzo.warnings_at(fecha), vec!["covam_fuera_de_abril_junio"]);
    assert!(!marzo.has_errors(), "outside April–June is a warning only");
    assert!(check(&[set("/covam/p21_covam_fecha", json!("2017-06-30"))]).warnings_at(fecha).is_empty());
    assert!(check(&[set("/covam/p21_covam_fecha", json!("2017-04-01"))]).warnings_at(fecha).is_empty());
    let antes_de_2017 = check(&[set("/solicitud/p02_ejercicio", json!(2016)), set("/solicitud/p03_fecha_solicitud", json!("2016-02-15")),
                                set("/club/p13_tn_fecha", json!("2015-03-01")), set("/covam/p21_covam_fecha", json!("2016-08-01"))]);
    assert!(antes_de_2017.warnings_at(fecha).is_empty());
}

#[test]
fn a_rejected_ruling_ends_the_record_at_the_covam() {
    let rechazado = proyecto(&[set("/covam/p22_dictamen", json!("rechazado")), unset("/convenio"), unset("/seguimiento")]);
    let out = run("proyecto", rechazado.clone());
    assert_eq!(rechazos(&rechazado, &out), Vec::<String>::new());
    for path in ["convenio/p23_convenio_fecha", "convenio/p24_ap_federal", "convenio/p29_total", "convenio/p30_benef_directos", "seguimiento/p32_estatus", "seguimiento/p38_reportes/0/trimestre"] {
        assert!(!out.is_relevant(path), "{path}");
    }
    assert_eq!(out.computed_at("convenio/p29_total"), None);
    let con_montos = proyecto(&[set("/covam/p22_dictamen", json!("rechazado")), unset("/seguimiento")]);
    assert!(rechazos(&con_montos, &run("proyecto", con_montos.clone())).iter().any(|p| p.starts_with("/convenio/p24_ap_federal answered")));
}

#[test]
fn the_agreement_follows_the_covam() {
    assert_eq!(check(&[set("/convenio/p23_convenio_fecha", json!("2017-05-09"))]).errors_at("convenio/p23_convenio_fecha"), vec!["convenio_antes_de_covam"]);
    assert!(check(&[set("/convenio/p23_convenio_fecha", json!("2017-05-10")), set("/seguimiento/p33_fecha_inicio", json!("2017-05-10"))]).issues.is_empty());
}

#[test]
fn the_four_parties_contributions_are_required_and_migrants_put_money_in() {
    let out = check(&[unset("/convenio/p25_ap_estatal"), unset("/convenio/p28_ap_otros")]);
    assert!(out.is_required("convenio/p25_ap_estatal"));
    assert!(!out.is_required("convenio/p28_ap_otros"));
    assert_eq!(check(&[set("/convenio/p27_ap_migrantes", json!(0))]).errors_at("convenio/p27_ap_migrantes"), vec!["sin_aportacion_migrante"]);
    assert_eq!(check(&[set("/convenio/p28_ap_otros", json!(-1))]).errors_at("convenio/p28_ap_otros"), vec!["aportacion_negativa"]);
    assert!(check(&[set("/convenio/p25_ap_estatal", json!(0)), set("/convenio/p26_ap_municipal", json!(0))]).issues.is_empty(),
            "a state or municipality may put nothing in (Veracruz 2007 [T8]): the score, not the logic, judges the mix");
}

#[test]
fn the_total_is_the_sum_of_all_contributions() {
    assert_eq!(check(&[]).computed_at("convenio/p29_total"), Some(&json!(1000000)));
    let con_otros = check(&[set("/convenio/p28_ap_otros", json!(32000.5)), set("/convenio/p24_ap_federal", json!(250000.25))]);
    assert_eq!(con_otros.computed_at("convenio/p29_total"), Some(&json!(1032000.75)));
    assert_eq!(check(&[unset("/convenio/p26_ap_municipal")]).computed_at("convenio/p29_total"), None, "no total until the four parties are in");
}

#[test]
fn federal_money_above_the_years_cap_is_a_warning() {
    let federal = "convenio/p24_ap_federal";
    let obra = check(&[set("/convenio/p24_ap_federal", json!(1000001))]);
    assert_eq!(obra.warnings_at(federal), vec!["tope_federal_excedido"]);
    assert!(!obra.has_errors());
    assert!(check(&[set("/convenio/p24_ap_federal", json!(1000000))]).warnings_at(federal).is_empty());
    let productivo = |monto: i64| check(&[
        set("/caracteristicas/p15_tipo", json!("productivo_familiar")), set("/caracteristicas/p16_subtipo", json!("agropecuario_familiar")),
        unset("/caracteristicas/p20_exp_tecnico"), set("/caracteristicas/p17_n_familias", json!(3)),
        set("/convenio/p24_ap_federal", json!(monto)), set("/convenio/p25_ap_estatal", json!(0)), set("/convenio/p26_ap_municipal", json!(0)),
    ]);
    assert!(productivo(250000).warnings_at(federal).is_empty());
    assert_eq!(productivo(250001).warnings_at(federal), vec!["tope_federal_excedido"]);
    let message = &productivo(250001).issues[0].message;
    assert!(message.es.contains("$250,000") && message.en.contains("$250,000"), "{message:?}");
}

#[test]
fn the_cap_is_read_from_the_row_of_the_fiscal_year() {
    let settings = json!({"reglas_por_ejercicio": [
        {"desde_ejercicio": 2002, "tipos": {"infraestructura_social": {"tope_federal": 1000000, "proporciones": {"federal": 0.25, "estatal": 0.25, "municipal": 0.25, "migrantes": 0.25}}}},
        {"desde_ejercicio": 2018, "tipos": {"infraestructura_social": {"tope_federal": 500000, "proporciones": {"federal": 0.25, "estatal": 0.25, "municipal": 0.25, "migrantes": 0.25}}}}
    ]});
    let federal_600k = |ejercicio: i64| {
        let answers = proyecto(&[
            set("/solicitud/p02_ejercicio", json!(ejercicio)),
            set("/solicitud/p03_fecha_solicitud", json!(format!("{ejercicio}-02-15"))),
            set("/club/p13_tn_fecha", json!(format!("{}-03-01", ejercicio - 1))),
            set("/covam/p21_covam_fecha", json!(format!("{ejercicio}-05-10"))),
            set("/convenio/p24_ap_federal", json!(600000)),
        ]);
        run_with("proyecto", answers, settings.clone()).warnings_at("convenio/p24_ap_federal").len()
    };
    assert_eq!(federal_600k(2017), 0);
    assert_eq!(federal_600k(2018), 1);
    assert_eq!(federal_600k(2019), 1);
}

#[test]
fn women_are_counted_among_the_beneficiaries() {
    assert!(check(&[set("/convenio/p31_benef_mujeres", json!(240))]).issues.is_empty());
    assert_eq!(check(&[set("/convenio/p31_benef_mujeres", json!(241))]).errors_at("convenio/p31_benef_mujeres"), vec!["mujeres_mas_que_beneficiarios"]);
}

#[test]
fn the_status_decides_which_dates_and_progress_apply() {
    const EJECUCION: &[&str] = &["seguimiento/p33_fecha_inicio", "seguimiento/p34_fecha_fin_prog", "seguimiento/p35_avance_fisico", "seguimiento/p36_avance_fin"];
    let estatus = |e: &str| check(&[set("/seguimiento/p32_estatus", json!(e))]);

    let en_validacion = estatus("en_validacion");
    assert!(!en_validacion.is_relevant("convenio/p23_convenio_fecha"), "the agreement is not signed yet");
    assert!(en_validacion.is_required("convenio/p24_ap_federal"), "the amounts come from the COVAM minutes");
    let aprobado = estatus("aprobado");
    assert!(aprobado.is_required("convenio/p23_convenio_fecha"));
    let cancelado = estatus("cancelado");
    assert!(cancelado.is_relevant("convenio/p23_convenio_fecha") && !cancelado.is_required("convenio/p23_convenio_fecha"));
    for out in [&en_validacion, &aprobado, &cancelado] {
        assert!(EJECUCION.iter().all(|p| !out.is_relevant(p)));
        assert!(!out.is_relevant("seguimiento/p37_fecha_fin_real") && !out.is_relevant("seguimiento/p38_reportes"));
    }

    let en_ejecucion = estatus("en_ejecucion");
    assert!(EJECUCION.iter().all(|p| en_ejecucion.is_required(p)));
    assert!(en_ejecucion.is_relevant("seguimiento/p38_reportes") && !en_ejecucion.is_required("seguimiento/p38_reportes"));
    assert!(!en_ejecucion.is_relevant("seguimiento/p37_fecha_fin_real"));
    let concluido = estatus("concluido");
    assert!(EJECUCION.iter().all(|p| concluido.is_required(p)) && concluido.is_required("seguimiento/p37_fecha_fin_real"));
}

#[test]
fn a_completed_project_has_full_physical_progress() {
    let out = check(&[set("/seguimiento/p35_avance_fisico", json!(99.5)), set("/seguimiento/p38_reportes", json!([]))]);
    assert_eq!(out.errors_at("seguimiento/p35_avance_fisico"), vec!["concluido_sin_avance_completo"]);
    let en_ejecucion = check(&[set("/seguimiento/p32_estatus", json!("en_ejecucion")), unset("/seguimiento/p37_fecha_fin_real"),
                               set("/seguimiento/p38_reportes", json!([])), set("/seguimiento/p35_avance_fisico", json!(99.5))]);
    assert!(en_ejecucion.issues.is_empty(), "{:?}", en_ejecucion.issues);
    assert!(check(&[set("/seguimiento/p36_avance_fin", json!(97)), set("/seguimiento/p38_reportes", json!([]))]).issues.is_empty(), "financial progress may lag");
}

#[test]
fn execution_dates_are_in_order() {
    assert_eq!(check(&[set("/seguimiento/p33_fecha_inicio", json!("2017-06-19"))]).errors_at("seguimiento/p33_fecha_inicio"), vec!["inicio_antes_de_convenio"]);
    assert_eq!(check(&[set("/seguimiento/p34_fecha_fin_prog", json!("2017-07-02"))]).errors_at("seguimiento/p34_fecha_fin_prog"), vec!["fin_programado_antes_de_inicio"]);
    assert_eq!(check(&[set("/seguimiento/p37_fecha_fin_real", json!("2017-07-02"))]).errors_at("seguimiento/p37_fecha_fin_real"), vec!["conclusion_antes_de_inicio"]);
    assert!(check(&[set("/seguimiento/p34_fecha_fin_prog", json!("2017-07-03")), set("/seguimiento/p37_fecha_fin_real", json!("2017-07-03"))]).issues.is_empty());
}

#[test]
fn quarterly_reports_move_forward() {
    let reportes = |r: Value| check(&[set("/seguimiento/p38_reportes", r)]);
    assert!(reportes(json!([])).issues.is_empty(), "a project may have no report yet");
    let repetido = reportes(json!([{"trimestre": "2017-T3", "avance_fisico": 40, "avance_financiero": 50}, {"trimestre": "2017-T3", "avance_fisico": 100, "avance_financiero": 100}]));
    assert_eq!(repetido.errors_at("seguimiento/p38_reportes/1/trimestre"), vec!["trimestres_desordenados"]);
    let cae_fisico = reportes(json!([{"trimestre": "2017-T3", "avance_fisico": 60, "avance_financiero": 50}, {"trimestre": "2017-T4", "avance_fisico": 55, "avance_financiero": 100}]));
    assert_eq!(cae_fisico.errors_at("seguimiento/p38_reportes/1/avance_fisico"), vec!["avance_decreciente"]);
    let cae_financiero = reportes(json!([{"trimestre": "2017-T3", "avance_fisico": 60, "avance_financiero": 50}, {"trimestre": "2017-T4", "avance_fisico": 60, "avance_financiero": 49.9}]));
    assert_eq!(cae_financiero.errors_at("seguimiento/p38_reportes/1/avance_financiero"), vec!["avance_decreciente"]);
    let igual = reportes(json!([{"trimestre": "2017-T3", "avance_fisico": 60, "avance_financiero": 50}, {"trimestre": "2018-T1", "avance_fisico": 60, "avance_financiero": 50}]));
    assert!(igual.issues.is_empty(), "equal progress is not a decrease");
    let sobre_actual = check(&[set("/seguimiento/p36_avance_fin", json!(90))]);
    assert_eq!(sobre_actual.errors_at("seguimiento/p36_avance_fin"), vec!["avance_menor_que_reporte"]);
    let incompleto = reportes(json!([{"trimestre": "2017-T3"}]));
    assert!(incompleto.is_required("seguimiento/p38_reportes/0/avance_fisico") && incompleto.is_required("seguimiento/p38_reportes/0/avance_financiero"));
}

#[test]
fn the_shipped_settings_parse_and_match_the_defaults() {
    let manifest: Value = include_str!("../../../studies/3x1-migrantes/manifest.json").parse().unwrap();
    let input = Input::new(json!({})).with_settings(manifest["settings"].clone());
    assert_eq!(reglas::tabla(&input.settings()).map(|filas| filas.len()), Ok(1));
    for tipo in reglas::TIPOS {
        assert_eq!(regla(&input.settings(), 2017, tipo), reglas::regla_predeterminada(tipo), "{tipo}");
    }
    assert_eq!(input.settings().num("expediente_tecnico_desde_ejercicio"), Some(2017.0));
    assert_eq!(input.settings().num("covam_abril_junio_desde_ejercicio"), Some(2017.0));
}

#[test]
fn pesos_are_written_with_thousands_separators() {
    assert_eq!(pesos(1_000_000.0), "$1,000,000");
    assert_eq!(pesos(250_000.5), "$250,000.50");
    assert_eq!(pesos(999.0), "$999");
}

// ------------------------------------------------------------------------------------------------
// beneficiario

fn beneficiario_valido() -> Value {
    json!({"q01_folio_proyecto": "3x1-2017-32-00154", "q01b_tipo_proyecto": "infraestructura_social", "q02_conoce": "si",
           "q03_sabe_3x1": "si", "q04_uso": "diario", "q05_satisfaccion": 9, "q06_funciona": "si", "q07_participo": "no",
           "q08_familiar_club": "si", "q09_remesas": "si", "q10_tam_hogar": 4, "q11_ingreso_hogar": 7800})
}

fn encuesta(cambios: &[(&str, Option<Value>)]) -> (Value, Logic) {
    let mut v = beneficiario_valido();
    for (clave, nuevo) in cambios {
        match nuevo {
            Some(n) => v[clave.trim_start_matches('/')] = n.clone(),
            None => {
                v.as_object_mut().unwrap().remove(clave.trim_start_matches('/'));
            }
        }
    }
    let out = run("beneficiario", v.clone());
    (v, out)
}

#[test]
fn a_complete_interview_is_accepted() {
    let (v, out) = encuesta(&[]);
    assert_eq!(rechazos(&v, &out), Vec::<String>::new());
    assert!(out.issues.is_empty());
    assert!(out.is_required("q05_satisfaccion") && out.is_required("q10_tam_hogar"));
    assert!(!out.is_required("q11_ingreso_hogar") && out.is_relevant("q11_ingreso_hogar"), "income may be refused");
}

#[test]
fn not_knowing_the_project_ends_the_interview() {
    let v = json!({"q01_folio_proyecto": "3x1-2017-32-00154", "q01b_tipo_proyecto": "productivo_familiar", "q02_conoce": "no"});
    let out = run("beneficiario", v.clone());
    assert_eq!(rechazos(&v, &out), Vec::<String>::new());
    assert!(DESPUES_DE_Q02.iter().all(|q| !out.is_relevant(q)));
    let (v, out) = encuesta(&[set("/q02_conoce", json!("no"))]);
    assert!(rechazos(&v, &out).iter().any(|p| p == "/q05_satisfaccion answered but not relevant"));
}

#[test]
fn only_users_rate_the_work() {
    let (v, out) = encuesta(&[set("/q04_uso", json!("nunca")), unset("/q05_satisfaccion")]);
    assert!(!out.is_relevant("q05_satisfaccion"));
    assert_eq!(rechazos(&v, &out), Vec::<String>::new());
    assert!(encuesta(&[set("/q04_uso", json!("rara_vez"))]).1.is_required("q05_satisfaccion"));
}

#[test]
fn jobs_created_are_asked_only_about_productive_projects() {
    assert!(!encuesta(&[]).1.is_relevant("q12_empleo_generado"));
    for tipo in ["productivo_comunitario", "productivo_familiar", "productivo_individual"] {
        assert!(encuesta(&[set("/q01b_tipo_proyecto", json!(tipo))]).1.is_required("q12_empleo_generado"), "{tipo}");
    }
}

#[test]
fn zero_income_with_remittances_is_questioned() {
    let (_, out) = encuesta(&[set("/q11_ingreso_hogar", json!(0))]);
    assert_eq!(out.warnings_at("q11_ingreso_hogar"), vec!["ingreso_cero_con_remesas"]);
    assert!(encuesta(&[set("/q11_ingreso_hogar", json!(0)), set("/q09_remesas", json!("no"))]).1.issues.is_empty());
}

#[test]
fn other_forms_get_no_rules() {
    assert_eq!(run("otro", proyecto_valido()), Logic::default());
}
