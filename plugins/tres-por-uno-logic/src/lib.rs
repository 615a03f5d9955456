//! Logic of the seed study `3x1-migrantes` (evaluation of the Programa 3x1 para Migrantes, S061).
//!
//! One module serves both forms, dispatching on the form id:
//! - `proyecto` (p01–p38): the eligibility rules of the ROP (Toma de Nota, club size, families,
//!   expediente técnico), the COVAM → Convenio → execution order of dates, the contribution rules
//!   and federal caps, the computed total p29, and which items a ruling or a status makes relevant.
//! - `beneficiario` (q01–q12): the survey's skips.
//!
//! Source ids ([T#]) refer to the study's research notes, §0; the README of the bundle lists them.
#![forbid(unsafe_code)]

pub mod reglas;

use campo_sdk::prelude::*;
use reglas::{es_productivo, pesos, regla};

/// A Toma de Nota is valid for two years from its issue [T3].
const VIGENCIA_TOMA_DE_NOTA_ANIOS: i32 = 2;
/// A club needs at least ten adult members [T4].
const MINIMO_SOCIOS: i64 = 10;

pub fn logic(input: &Input, out: &mut Logic) {
    match input.form() {
        "proyecto" => proyecto(input, out),
        "beneficiario" => beneficiario(&input.answers(), out),
        _ => {}
    }
}

// ------------------------------------------------------------------------------------------------
// proyecto

/// Items every project record answers, whatever its ruling or status.
const SIEMPRE_REQUERIDAS: &[&str] = &[
    "solicitud/p01_folio",
    "solicitud/p02_ejercicio",
    "solicitud/p03_fecha_solicitud",
    "ubicacion/p04_entidad",
    "ubicacion/p05_municipio",
    "ubicacion/p06_localidad",
    "ubicacion/p07_marginacion",
    "club/p08_club",
    "club/p10_club_estado_ext",
    "club/p11_tn_folio",
    "club/p12_tn_tipo",
    "club/p13_tn_fecha",
    "club/p14_n_socios",
    "caracteristicas/p15_tipo",
    "caracteristicas/p16_subtipo",
    "covam/p21_covam_fecha",
    "covam/p22_dictamen",
];

fn proyecto(input: &Input, out: &mut Logic) {
    let a = input.answers();
    for path in SIEMPRE_REQUERIDAS {
        out.require(path);
    }
    solicitud(&a, out);
    club(&a, out);
    caracteristicas(&a, &input.settings(), out);
    covam(&a, &input.settings(), out);
    // A rejected application ends at the COVAM: there is no agreement, money or execution [T7].
    if a.is("covam/p22_dictamen", "rechazado") {
        out.hide("convenio").hide("seguimiento");
        return;
    }
    convenio(&a, &input.settings(), out);
    seguimiento(&a, out);
}

fn solicitud(a: &Answers, out: &mut Logic) {
    if let (Some(ejercicio), Some(fecha)) = (a.int("solicitud/p02_ejercicio"), a.date("solicitud/p03_fecha_solicitud")) {
        let anio = i64::from(fecha.year);
        if anio != ejercicio && anio != ejercicio - 1 {
            out.error("solicitud/p03_fecha_solicitud", "solicitud_fuera_de_ejercicio", msg!(
                format!("La solicitud debe presentarse en el ejercicio {ejercicio} o en el año anterior"),
                format!("The application must be filed in fiscal year {ejercicio} or the year before"),
            ));
        }
    }
    if let (Some(entidad), Some(municipio)) = (a.str("ubicacion/p04_entidad"), a.str("ubicacion/p05_municipio"))
        && let Some(clave) = clave_inegi(entidad)
        && !municipio.starts_with(clave)
    {
        out.error("ubicacion/p05_municipio", "municipio_de_otra_entidad", msg!(
            format!("La clave del municipio debe empezar con {clave}, la clave INEGI de la entidad"),
            format!("The municipality code must start with {clave}, the state's INEGI code"),
        ));
    }
}

fn club(a: &Answers, out: &mut Logic) {
    if let (Some(solicitud), Some(toma)) = (a.date("solicitud/p03_fecha_solicitud"), a.date("club/p13_tn_fecha")) {
        if toma > solicitud {
            out.error("club/p13_tn_fecha", "toma_de_nota_posterior", msg!(
                "La Toma de Nota no puede ser posterior a la fecha de solicitud",
                "The Toma de Nota cannot be issued after the application date",
            ));
        } else if toma < solicitud.add_years(-VIGENCIA_TOMA_DE_NOTA_ANIOS) {
            out.error("club/p13_tn_fecha", "toma_de_nota_vencida", msg!(
                "La Toma de Nota estaba vencida en la fecha de solicitud (vigencia de 2 años)",
                "The Toma de Nota had expired on the application date (it is valid for 2 years)",
            ));
        }
    }
    if a.int("club/p14_n_socios").is_some_and(|n| n < MINIMO_SOCIOS) {
        out.error("club/p14_n_socios", "club_con_pocos_socios", msg!(
            "El club debe tener al menos 10 integrantes",
            "The club must have at least 10 members",
        ));
    }
}

fn caracteristicas(a: &Answers, settings: &Settings, out: &mut Logic) {
    let tipo = a.str("caracteristicas/p15_tipo").unwrap_or_default();
    let subtipo = a.str("caracteristicas/p16_subtipo").unwrap_or_default();
    if !tipo.is_empty() && !subtipo.is_empty() && tipo_de_subtipo(subtipo) != Some(tipo) {
        out.error("caracteristicas/p16_subtipo", "subtipo_de_otro_tipo", msg!(
            "El subtipo no corresponde al tipo de proyecto",
            "The sub-type does not belong to the project type",
        ));
    }

    out.require_if("caracteristicas/p17_n_familias", es_productivo(tipo));
    if let Some(familias) = a.int("caracteristicas/p17_n_familias").filter(|_| es_productivo(tipo)) {
        let (valido, es, en) = match tipo {
            "productivo_comunitario" => (familias >= 5, "Un proyecto productivo comunitario requiere al menos 5 familias", "A community productive project needs at least 5 families"),
            "productivo_familiar" => ((2..=4).contains(&familias), "Un proyecto productivo familiar es de 2 a 4 familias", "A family productive project has 2 to 4 families"),
            _ => (familias == 1, "Un proyecto productivo individual es de 1 familia", "An individual productive project has 1 family"),
        };
        if !valido {
            out.error("caracteristicas/p17_n_familias", "familias_fuera_de_rango", msg!(es, en));
        }
    }

    let becas = subtipo == "becas";
    out.require_if("caracteristicas/p18_n_becas", becas);
    out.require_if("caracteristicas/p19_nivel_beca", becas);

    // Public works need an expediente técnico; the ROP made it mandatory in 2017 [T5].
    let obra = tipo == "infraestructura_social";
    out.require_if("caracteristicas/p20_exp_tecnico", obra);
    let desde = settings.num_or("expediente_tecnico_desde_ejercicio", 2017.0) as i64;
    if obra && a.is("caracteristicas/p20_exp_tecnico", "no") && a.int("solicitud/p02_ejercicio").is_some_and(|e| e >= desde) {
        out.error("caracteristicas/p20_exp_tecnico", "falta_expediente_tecnico", msg!(
            format!("Desde el ejercicio {desde} las obras de infraestructura requieren expediente técnico"),
            format!("From fiscal year {desde} infrastructure works require a technical file"),
        ));
    }
}

fn covam(a: &Answers, settings: &Settings, out: &mut Logic) {
    let Some(sesion) = a.date("covam/p21_covam_fecha") else { return };
    if a.date("solicitud/p03_fecha_solicitud").is_some_and(|solicitud| sesion < solicitud) {
        out.error("covam/p21_covam_fecha", "covam_antes_de_solicitud", msg!(
            "El COVAM no puede sesionar antes de la fecha de solicitud",
            "The COVAM session cannot precede the application",
        ));
    }
    // From 2017 the COVAM sits from April to June at the latest [T5]; other dates happen, so warn.
    let desde = settings.num_or("covam_abril_junio_desde_ejercicio", 2017.0) as i64;
    if a.int("solicitud/p02_ejercicio").is_some_and(|e| e >= desde) && !(4..=6).contains(&sesion.month) {
        out.warning("covam/p21_covam_fecha", "covam_fuera_de_abril_junio", msg!(
            format!("Desde {desde} las sesiones del COVAM se realizan de abril a junio"),
            format!("From {desde} COVAM sessions are held from April to June"),
        ));
    }
}

/// The four contributions the Convenio must state; "otros" (credit, beneficiaries [T8]) is optional.
const APORTACIONES: &[&str] = &[
    "convenio/p24_ap_federal",
    "convenio/p25_ap_estatal",
    "convenio/p26_ap_municipal",
    "convenio/p27_ap_migrantes",
];

fn convenio(a: &Answers, settings: &Settings, out: &mut Logic) {
    let estatus = a.str("seguimiento/p32_estatus");
    // "En validación" means the agreement is still being drawn up, so it has no date yet.
    out.relevant("convenio/p23_convenio_fecha", estatus != Some("en_validacion"));
    out.required("convenio/p23_convenio_fecha", matches!(estatus, Some("aprobado" | "en_ejecucion" | "concluido")));
    if let (Some(sesion), Some(convenio)) = (a.date("covam/p21_covam_fecha"), a.date("convenio/p23_convenio_fecha"))
        && convenio < sesion
    {
        out.error("convenio/p23_convenio_fecha", "convenio_antes_de_covam", msg!(
            "El Convenio de Concertación no puede ser anterior a la sesión del COVAM",
            "The agreement cannot precede the COVAM session",
        ));
    }

    for path in APORTACIONES {
        out.require(path);
        if a.num(path).is_some_and(|v| v < 0.0) {
            out.error(path, "aportacion_negativa", msg!("La aportación no puede ser negativa", "A contribution cannot be negative"));
        }
    }
    if a.num("convenio/p28_ap_otros").is_some_and(|v| v < 0.0) {
        out.error("convenio/p28_ap_otros", "aportacion_negativa", msg!("La aportación no puede ser negativa", "A contribution cannot be negative"));
    }
    // Without migrant money there is no 3x1 project [T1].
    if a.num("convenio/p27_ap_migrantes").is_some_and(|v| v <= 0.0) {
        out.error("convenio/p27_ap_migrantes", "sin_aportacion_migrante", msg!(
            "La aportación del club de migrantes debe ser mayor que cero",
            "The migrant club's contribution must be greater than zero",
        ));
    }
    if let Some(total) = total_en_pesos(a) {
        out.compute("convenio/p29_total", total);
    }
    tope_federal(a, settings, out);

    out.require("convenio/p30_benef_directos").require("convenio/p31_benef_mujeres");
    let beneficiarios = a.int("convenio/p30_benef_directos");
    if let (Some(b), Some(becas)) = (beneficiarios, a.int("caracteristicas/p18_n_becas"))
        && a.is("caracteristicas/p16_subtipo", "becas") && b < becas
    {
        out.error("convenio/p30_benef_directos", "menos_beneficiarios_que_becas", msg!(
            "Las personas beneficiarias no pueden ser menos que las becas",
            "There cannot be fewer beneficiaries than scholarships",
        ));
    }
    if let (Some(b), Some(mujeres)) = (beneficiarios, a.int("convenio/p31_benef_mujeres"))
        && mujeres > b
    {
        out.error("convenio/p31_benef_mujeres", "mujeres_mas_que_beneficiarios", msg!(
            "Las mujeres beneficiarias no pueden superar el total de personas beneficiarias",
            "Women beneficiaries cannot exceed all beneficiaries",
        ));
    }
}

/// p29 = p24 + … + p28 (p28 counts as 0 when blank), once the four required contributions are
/// in. Summed in centavos so the total is exact; whole pesos are written as a JSON integer.
pub fn total_en_pesos(a: &Answers) -> Option<Value> {
    let centavos = |path: &str| a.num(path).map(|v| (v * 100.0).round() as i64);
    let mut total = 0;
    for path in APORTACIONES {
        total += centavos(path)?;
    }
    total += centavos("convenio/p28_ap_otros").unwrap_or(0);
    Some(if total % 100 == 0 { json!(total / 100) } else { json!(total as f64 / 100.0) })
}

/// Caps change by year and their reading is uncertain (see `reglas`), so a breach is a warning.
fn tope_federal(a: &Answers, settings: &Settings, out: &mut Logic) {
    let (Some(ejercicio), Some(tipo), Some(federal)) =
        (a.int("solicitud/p02_ejercicio"), a.str("caracteristicas/p15_tipo"), a.num("convenio/p24_ap_federal"))
    else {
        return;
    };
    let Some(regla) = regla(settings, ejercicio, tipo) else { return };
    if federal > regla.tope_federal {
        let tope = pesos(regla.tope_federal);
        out.warning("convenio/p24_ap_federal", "tope_federal_excedido", msg!(
            format!("La aportación federal supera el tope de {tope} para este tipo de proyecto en {ejercicio}"),
            format!("The federal contribution exceeds the {tope} cap for this project type in {ejercicio}"),
        ));
    }
}

/// Dates and progress exist once a project runs [T7]; the status says which apply.
fn seguimiento(a: &Answers, out: &mut Logic) {
    out.require("seguimiento/p32_estatus");
    let estatus = a.str("seguimiento/p32_estatus");
    let en_curso = matches!(estatus, Some("en_ejecucion" | "concluido"));
    let concluido = estatus == Some("concluido");
    for path in ["seguimiento/p33_fecha_inicio", "seguimiento/p34_fecha_fin_prog", "seguimiento/p35_avance_fisico", "seguimiento/p36_avance_fin"] {
        out.require_if(path, en_curso);
    }
    out.relevant("seguimiento/p38_reportes", en_curso);
    out.require_if("seguimiento/p37_fecha_fin_real", concluido);
    if !en_curso {
        return;
    }

    if concluido && a.num("seguimiento/p35_avance_fisico").is_some_and(|v| v != 100.0) {
        out.error("seguimiento/p35_avance_fisico", "concluido_sin_avance_completo", msg!(
            "Un proyecto concluido tiene avance físico de 100 %",
            "A completed project has 100 % physical progress",
        ));
    }
    let inicio = a.date("seguimiento/p33_fecha_inicio");
    if let (Some(convenio), Some(inicio)) = (a.date("convenio/p23_convenio_fecha"), inicio)
        && inicio < convenio
    {
        out.error("seguimiento/p33_fecha_inicio", "inicio_antes_de_convenio", msg!(
            "El proyecto no puede iniciar antes del Convenio de Concertación",
            "The project cannot start before the agreement",
        ));
    }
    for (path, code, es, en) in [
        ("seguimiento/p34_fecha_fin_prog", "fin_programado_antes_de_inicio", "El término programado no puede ser anterior al inicio", "The planned end cannot precede the start"),
        ("seguimiento/p37_fecha_fin_real", "conclusion_antes_de_inicio", "La conclusión no puede ser anterior al inicio", "Completion cannot precede the start"),
    ] {
        if let (Some(inicio), Some(fin)) = (inicio, a.date(path))
            && fin < inicio
        {
            out.error(path, code, msg!(es, en));
        }
    }
    reportes_trimestrales(a, out);
}

/// Quarterly reports carry cumulative progress [T7]: quarters in order, progress never falling,
/// and the current progress (p35, p36) at least the last report's.
fn reportes_trimestrales(a: &Answers, out: &mut Logic) {
    let mut anterior: Option<Answers> = None;
    for reporte in a.repeat("seguimiento/p38_reportes") {
        out.require(reporte.at("trimestre")).require(reporte.at("avance_fisico")).require(reporte.at("avance_financiero"));
        if let Some(previo) = &anterior {
            if let (Some(t0), Some(t1)) = (previo.str("trimestre"), reporte.str("trimestre"))
                && t1 <= t0
            {
                out.error(reporte.at("trimestre"), "trimestres_desordenados", msg!(
                    format!("El trimestre {t1} debe ser posterior al del reporte anterior ({t0})"),
                    format!("Quarter {t1} must come after the previous report's ({t0})"),
                ));
            }
            for campo in ["avance_fisico", "avance_financiero"] {
                if let (Some(v0), Some(v1)) = (previo.num(campo), reporte.num(campo))
                    && v1 < v0
                {
                    out.error(reporte.at(campo), "avance_decreciente", msg!(
                        "El avance acumulado no puede ser menor que el del reporte anterior",
                        "Cumulative progress cannot be lower than in the previous report",
                    ));
                }
            }
        }
        anterior = Some(reporte);
    }
    let Some(ultimo) = anterior else { return };
    for (actual, campo) in [("seguimiento/p35_avance_fisico", "avance_fisico"), ("seguimiento/p36_avance_fin", "avance_financiero")] {
        if let (Some(v), Some(reportado)) = (a.num(actual), ultimo.num(campo))
            && v < reportado
        {
            out.error(actual, "avance_menor_que_reporte", msg!(
                "El avance no puede ser menor que el del último reporte trimestral",
                "Progress cannot be lower than in the last quarterly report",
            ));
        }
    }
}

/// The project type a sub-type belongs to (the `parent` of its choice in the schema).
fn tipo_de_subtipo(subtipo: &str) -> Option<&'static str> {
    Some(match subtipo {
        "agua_drenaje_electrificacion" | "aulas_clinicas_espacios" | "caminos_puentes" | "calles_parques" | "medio_ambiente" => "infraestructura_social",
        "becas" | "cultura_recreacion" | "desarrollo_comunitario" => "servicios_comunitarios",
        "equipamiento_escolar" | "mejoramiento_escolar" => "educativo",
        s if s.ends_with("_comunitario") => "productivo_comunitario",
        s if s.ends_with("_familiar") => "productivo_familiar",
        s if s.ends_with("_individual") => "productivo_individual",
        _ => return None,
    })
}

/// INEGI's two-digit code of a state, the first two digits of its municipalities' codes.
pub fn clave_inegi(entidad: &str) -> Option<&'static str> {
    ENTIDADES.iter().find(|(codigo, _)| *codigo == entidad).map(|(_, clave)| *clave)
}

pub const ENTIDADES: &[(&str, &str)] = &[
    ("aguascalientes", "01"), ("baja_california", "02"), ("baja_california_sur", "03"), ("campeche", "04"),
    ("coahuila", "05"), ("colima", "06"), ("chiapas", "07"), ("chihuahua", "08"), ("ciudad_de_mexico", "09"),
    ("durango", "10"), ("guanajuato", "11"), ("guerrero", "12"), ("hidalgo", "13"), ("jalisco", "14"),
    ("mexico", "15"), ("michoacan", "16"), ("morelos", "17"), ("nayarit", "18"), ("nuevo_leon", "19"),
    ("oaxaca", "20"), ("puebla", "21"), ("queretaro", "22"), ("quintana_roo", "23"), ("san_luis_potosi", "24"),
    ("sinaloa", "25"), ("sonora", "26"), ("tabasco", "27"), ("tamaulipas", "28"), ("tlaxcala", "29"),
    ("veracruz", "30"), ("yucatan", "31"), ("zacatecas", "32"),
];

// ------------------------------------------------------------------------------------------------
// beneficiario

/// Everything after q02; "no, I don't know the project" ends the interview.
const DESPUES_DE_Q02: &[&str] = &[
    "q03_sabe_3x1", "q04_uso", "q05_satisfaccion", "q06_funciona", "q07_participo", "q08_familiar_club",
    "q09_remesas", "q10_tam_hogar", "q11_ingreso_hogar", "q12_empleo_generado",
];

fn beneficiario(a: &Answers, out: &mut Logic) {
    out.require("q01_folio_proyecto").require("q01b_tipo_proyecto").require("q02_conoce");
    if a.is("q02_conoce", "no") {
        out.hide_all(DESPUES_DE_Q02);
        return;
    }
    // q11 (income) stays optional: respondents may refuse it.
    for path in ["q03_sabe_3x1", "q04_uso", "q06_funciona", "q07_participo", "q08_familiar_club", "q09_remesas", "q10_tam_hogar"] {
        out.require(path);
    }
    // Only someone who uses the work can rate it.
    out.require_if("q05_satisfaccion", !a.is("q04_uso", "nunca"));
    // The survey cannot see the project record, so q01b copies its type from the sample list.
    out.require_if("q12_empleo_generado", a.str("q01b_tipo_proyecto").is_some_and(es_productivo));
    if a.is("q09_remesas", "si") && a.num("q11_ingreso_hogar") == Some(0.0) {
        out.warning("q11_ingreso_hogar", "ingreso_cero_con_remesas", msg!(
            "El hogar recibe remesas pero declara ingreso cero: confirme el ingreso",
            "The household receives remittances but reports zero income: please confirm",
        ));
    }
}

campo_sdk::plugin!(logic = logic);

#[cfg(test)]
mod tests;
