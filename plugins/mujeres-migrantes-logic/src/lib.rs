//! Logic of the seed study `mujeres-migrantes-rm`, form `cuestionario`: "Estudio exploratorio
//! sobre autonomías física y económica de las mujeres migrantes" (MMEG + Rimisp, Chile 2017).
//!
//! The rules come from the research notes (`/work/shared/domain/studies.md` §1.4). Answers live
//! in one object per section (`identificacion`, `hogar`, `trabajo`, `tiempo`, `salud`,
//! `violencia`, `redes`), so paths read `"trabajo/c12_ingreso_trab"`.
//!
//! Relevance follows XLSForm: a rule "x ≠ v" holds while x is unanswered, a rule "x = v" does
//! not; a condition on a question that is itself hidden reads that question as unanswered.
//! The core items of the notes (§1.4, "Core form") are required when relevant; the optional
//! modules are not, except `a02_fecha` (it picks the minimum wage) and `a07_pais_otro`
//! (the notes ask for a non-empty answer).
#![forbid(unsafe_code)]

use campo_sdk::prelude::*;

/// The study's universe is adult women (notes §1.3): a younger respondent ends the form.
pub const ADULT_AGE: i64 = 18;
/// Upper age of the reproductive-age questions (OIG family-planning indicator, women 15–49).
pub const REPRODUCTIVE_AGE_MAX: i64 = 49;
/// Upper age at which the pregnancy question is asked.
pub const PREGNANCY_QUESTION_AGE_MAX: i64 = 55;

/// The sections after identification; each is one object (one page in the app).
const SECTIONS: &[&str] = &["hogar", "trabajo", "tiempo", "salud", "violencia", "redes"];

/// Identification questions in the order asked; screening ends the form after one of them.
const IDENTIFICATION: &[&str] = &[
    "a01_consent", "a02_fecha", "a03_region", "a04_comuna", "a05_edad", "a06_pais_nac",
    "a07_pais_otro", "a08_anio_llegada", "a09_nacionalidad", "a10_estatus", "a11_cedula",
    "a12_lengua", "a13_espanol",
];

/// The violence questions behind the interviewer's privacy check `f00_privacidad`.
const VIOLENCE: &[&str] = &[
    "f01_pareja", "f02_v_psico", "f03_v_fisica", "f04_v_sexual", "f05_v_economica",
    "f06_denuncio", "f07_razon_no_den", "f08_acoso_publico", "f09_discrim_origen", "f10_conoce_serv",
];

/// Education levels that imply at least 12 years of schooling and a degree to recognise.
const HIGHER_EDUCATION: &[&str] = &["tecnico_superior", "universitaria", "postgrado"];
/// Occupations that are domestic work in a private household (trabajo de casa particular).
const DOMESTIC_WORK: &[&str] = &["tcp_puertas_adentro", "tcp_puertas_afuera"];

/// The screening outcome the plugin computes into `identificacion/a14_resultado`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screening {
    Eligible,
    Declined,
    UnderAge,
    BornInChile,
}

impl Screening {
    pub fn code(self) -> &'static str {
        match self {
            Screening::Eligible => "elegible",
            Screening::Declined => "rechaza",
            Screening::UnderAge => "no_elegible_edad",
            Screening::BornInChile => "no_elegible_nacida_en_chile",
        }
    }
}

pub fn logic(input: &Input, out: &mut Logic) {
    let a = input.answers();
    if !identification(&a, input.settings(), out) {
        return;
    }
    household(&a, out);
    work(&a, input.settings(), out);
    time_use(&a, out);
    health(&a, out);
    violence(&a, out);
}

/// Section A. Returns whether the interview goes on past screening.
fn identification(a: &Answers, settings: Settings, out: &mut Logic) -> bool {
    out.require("identificacion/a01_consent");
    let (outcome, last_asked) = if !a.is("identificacion/a01_consent", "si") {
        let declined = a.is("identificacion/a01_consent", "no");
        (declined.then_some(Screening::Declined), "a01_consent")
    } else if a.int("identificacion/a05_edad").is_some_and(|age| age < ADULT_AGE) {
        (Some(Screening::UnderAge), "a05_edad")
    } else if a.is("identificacion/a06_pais_nac", "chile") {
        (Some(Screening::BornInChile), "a06_pais_nac")
    } else {
        let screened = a.has("identificacion/a05_edad") && a.has("identificacion/a06_pais_nac");
        (screened.then_some(Screening::Eligible), "a13_espanol")
    };
    if let Some(outcome) = outcome {
        out.compute("identificacion/a14_resultado", outcome.code());
    }
    let asked_upto = IDENTIFICATION.iter().position(|id| *id == last_asked).map_or(0, |i| i + 1);
    for id in &IDENTIFICATION[..asked_upto] {
        // Only the screening questions asked so far; the rest of section A is set below.
        if ["a02_fecha", "a03_region", "a05_edad", "a06_pais_nac"].contains(id) {
            out.require(format!("identificacion/{id}"));
        }
    }
    if last_asked != "a13_espanol" {
        out.hide_all(IDENTIFICATION[asked_upto..].iter().map(|id| format!("identificacion/{id}")));
        out.hide_all(SECTIONS);
        return false;
    }

    out.require_if("identificacion/a07_pais_otro", a.is("identificacion/a06_pais_nac", "otro"));
    out.require("identificacion/a08_anio_llegada");
    out.require_if("identificacion/a10_estatus", !a.is("identificacion/a09_nacionalidad", "chilena_exclusiva"));
    out.relevant("identificacion/a13_espanol", !a.is("identificacion/a12_lengua", "espanol"));

    let interview = a.date("identificacion/a02_fecha");
    if let (Some(date), Some(window)) = (interview, FieldworkWindow::from_settings(settings))
        && !window.contains(date)
    {
        out.error("identificacion/a02_fecha", "fecha_fuera_de_trabajo_de_campo", msg!(
            format!("La fecha debe estar entre {} y {}, el período de trabajo de campo", window.from, window.to),
            format!("The date must be between {} and {}, the fieldwork period", window.from, window.to),
        ));
    }
    if let (Some(region), Some(comuna)) = (a.str("identificacion/a03_region"), a.str("identificacion/a04_comuna")) {
        // Comuna codes are INE's CUT codes, whose first two digits are the region's code.
        if !comuna.starts_with(region) {
            out.error("identificacion/a04_comuna", "comuna_fuera_de_region", msg!(
                "La comuna no pertenece a la región de residencia",
                "The comuna is not in the region of residence",
            ));
        }
    }
    if let (Some(date), Some(age), Some(arrival)) =
        (interview, a.int("identificacion/a05_edad"), a.int("identificacion/a08_anio_llegada"))
    {
        // Born in year(a02) − a05, or a year earlier when her birthday is still to come.
        let earliest_birth_year = i64::from(date.year) - age - 1;
        if arrival < earliest_birth_year {
            out.error("identificacion/a08_anio_llegada", "llegada_antes_de_nacer", msg!(
                "El año de llegada no puede ser anterior al año de nacimiento",
                "The arrival year cannot be before the year of birth",
            ));
        }
        if arrival > i64::from(date.year) {
            out.error("identificacion/a08_anio_llegada", "llegada_despues_de_entrevista", msg!(
                "El año de llegada no puede ser posterior al año de la entrevista",
                "The arrival year cannot be after the interview year",
            ));
        }
    }
    if a.is("identificacion/a10_estatus", "sin_documentos") && a.is("identificacion/a11_cedula", "si") {
        out.warning("identificacion/a11_cedula", "cedula_sin_documentos", msg!(
            "Declaró no tener documentos pero sí cédula chilena: confirme ambas respuestas",
            "She reported being undocumented but holding a Chilean ID: confirm both answers",
        ));
    }
    true
}

/// Section B: the roster has one item per household member besides the respondent.
fn household(a: &Answers, out: &mut Logic) {
    out.require("hogar/b01_n_personas");
    let size = a.int("hogar/b01_n_personas");
    let has_others = size.is_some_and(|n| n > 1);
    out.relevant("hogar/b_miembros", has_others);
    if has_others {
        for member in a.repeat("hogar/b_miembros") {
            for id in ["b02_parentesco", "b03_sexo", "b04_edad", "b05_nacio_chile", "b06_cuidados"] {
                out.require(member.at(id));
            }
            if member.int("b04_edad").is_some_and(|age| age < 6) && member.is("b06_cuidados", "no") {
                out.warning(member.at("b06_cuidados"), "menor_de_6_sin_cuidados", msg!(
                    "Un niño o niña menor de 6 años normalmente requiere cuidados permanentes: confirme",
                    "A child under 6 normally needs permanent care: please confirm",
                ));
            }
        }
    }
    if let Some(size) = size.filter(|n| *n > 1) {
        let listed = a.count("hogar/b_miembros") as i64;
        if listed != size - 1 {
            out.error("hogar/b_miembros", "miembros_no_cuadran", msg!(
                format!("Se declararon {size} personas: la lista debe tener {} además de la entrevistada, tiene {listed}", size - 1),
                format!("{size} people were reported: the list must have {} besides the respondent, it has {listed}", size - 1),
            ));
        }
    }
    out.require("hogar/b08_remesas");
    out.relevant("hogar/b09_monto_remesas", a.is("hogar/b08_remesas", "si"));
    if let Some(sent) = a.int("hogar/b09_monto_remesas").filter(|_| a.is("hogar/b08_remesas", "si")) {
        // The notes write "≤ c13 + c14"; c13 is the list of sources, so own income is meant.
        if sent > own_income(a) {
            out.warning("hogar/b09_monto_remesas", "remesa_mayor_que_ingresos", msg!(
                "El monto enviado supera sus ingresos propios del mes: confirme",
                "The amount sent is more than her own monthly income: please confirm",
            ));
        }
    }
}

/// Section C: education, work and income.
fn work(a: &Answers, settings: Settings, out: &mut Logic) {
    out.require("trabajo/c01_nivel_educ");
    let higher_education = a.is_any("trabajo/c01_nivel_educ", HIGHER_EDUCATION);
    out.relevant("trabajo/c03_titulo_conv", higher_education);
    if higher_education && a.int("trabajo/c02_anios_esc").is_some_and(|years| years < 12) {
        out.warning("trabajo/c02_anios_esc", "escolaridad_baja_para_nivel", msg!(
            "Menos de 12 años de escolaridad con educación superior: confirme",
            "Fewer than 12 years of schooling with higher education: please confirm",
        ));
    }

    out.require("trabajo/c04_trabajo");
    let working = is_working(a);
    let not_working = a.is("trabajo/c04_trabajo", "no");
    out.relevant("trabajo/c05_busco", not_working);
    out.relevant("trabajo/c06_razon_no", not_working && a.is("trabajo/c05_busco", "no"));
    for id in ["c07_ocupacion", "c08_categoria", "c10_cotiza", "c11_horas", "c12_ingreso_trab"] {
        out.require_if(format!("trabajo/{id}"), working);
    }
    out.require_if("trabajo/c09_contrato", working && a.is_any("trabajo/c08_categoria", &["asalariada", "tcp"]));
    out.relevant("trabajo/c18_discrim_lab", working);
    if working && a.is_any("trabajo/c07_ocupacion", DOMESTIC_WORK) && !a.is("trabajo/c08_categoria", "tcp") && a.has("trabajo/c08_categoria") {
        out.error("trabajo/c08_categoria", "categoria_debe_ser_tcp", msg!(
            "Si trabaja en casa particular, la categoría debe ser «trabajadora de casa particular»",
            "Domestic work in a private household must have the category “domestic worker”",
        ));
    }
    if working {
        exclusive_none(a, out, "trabajo/c18_discrim_lab", "ninguna", "ninguna_exclusiva");
        minimum_wage_warning(a, settings, out);
    }

    out.require("trabajo/c13_otros_ingresos");
    exclusive_none(a, out, "trabajo/c13_otros_ingresos", "ninguno", "ninguno_exclusivo");
    out.require_if("trabajo/c14_monto_otros", has_other_income(a));
    out.require("trabajo/c15_ingreso_hogar");
    if let Some(household) = a.int("trabajo/c15_ingreso_hogar") {
        let own = own_income(a);
        if household < own {
            out.error("trabajo/c15_ingreso_hogar", "ingreso_hogar_menor_que_propio", msg!(
                format!("El ingreso del hogar no puede ser menor que sus ingresos propios ({own} CLP)"),
                format!("Household income cannot be less than her own income (CLP {own})"),
            ));
        }
    }
    out.require_if("trabajo/c16_decide_ingreso", own_income(a) > 0);
    out.require("trabajo/c17_cuenta");
    if a.is("identificacion/a11_cedula", "no") && a.is("trabajo/c17_cuenta", "si") {
        out.warning("trabajo/c17_cuenta", "cuenta_sin_rut", msg!(
            "Tiene cuenta bancaria a su nombre pero no cédula chilena (RUT): confirme",
            "She has a bank account in her name but no Chilean ID (RUT): please confirm",
        ));
    }
}

/// Full-time work paid under half the minimum wage is possible (informal work) but is more
/// often a typing error, so it is a warning, not an error.
fn minimum_wage_warning(a: &Answers, settings: Settings, out: &mut Logic) {
    let (Some(hours), Some(income)) = (a.int("trabajo/c11_horas"), a.int("trabajo/c12_ingreso_trab")) else {
        return;
    };
    let Some(smm) = a.date("identificacion/a02_fecha").and_then(|date| minimum_wage(settings, date)) else {
        return;
    };
    let min_hours = settings.num("alerta_salario_bajo/horas_semanales_desde");
    let fraction = settings.num("alerta_salario_bajo/fraccion_del_minimo");
    let (Some(min_hours), Some(fraction)) = (min_hours, fraction) else {
        return;
    };
    if hours as f64 >= min_hours && (income as f64) < fraction * smm {
        out.warning("trabajo/c12_ingreso_trab", "ingreso_bajo_salario_minimo", msg!(
            format!("Trabaja {hours} horas semanales y gana menos de la mitad del salario mínimo ({smm} CLP): confirme"),
            format!("She works {hours} hours a week and earns less than half the minimum wage (CLP {smm}): please confirm"),
        ));
    }
}

/// Section D: unpaid work, which with paid work must fit in a day.
fn time_use(a: &Answers, out: &mut Logic) {
    out.require("tiempo/d01_h_domestico").require("tiempo/d02_h_cuidado");
    let partner_at_home = a.int("hogar/b01_n_personas").is_some_and(|n| n > 1)
        && a.repeat("hogar/b_miembros").any(|m| m.is("b02_parentesco", "pareja"));
    out.relevant("tiempo/d03_comparte", partner_at_home);
    if let (Some(domestic), Some(care)) = (a.num("tiempo/d01_h_domestico"), a.num("tiempo/d02_h_cuidado")) {
        // Weekly paid hours over a five-day week.
        let paid = if is_working(a) { a.num("trabajo/c11_horas").unwrap_or(0.0) / 5.0 } else { 0.0 };
        if domestic + care + paid > 24.0 {
            out.error("tiempo/d02_h_cuidado", "dia_de_mas_de_24_horas", msg!(
                "Las horas de quehaceres, cuidados y trabajo pagado (horas semanales / 5) suman más de 24 en un día",
                "Housework, care and paid work (weekly hours / 5) add up to more than 24 hours a day",
            ));
        }
    }
}

/// Section E: health and sexual and reproductive rights.
fn health(a: &Answers, out: &mut Logic) {
    for id in ["e01_prevision", "e02_atencion_negada", "e03_hijos_nv"] {
        out.require(format!("salud/{id}"));
    }
    out.require_if("salud/e04_edad_1er_hijo", a.int("salud/e03_hijos_nv").is_some_and(|n| n > 0));
    let age = a.int("identificacion/a05_edad");
    if let (Some(age), Some(first_birth)) = (age, a.int("salud/e04_edad_1er_hijo"))
        && first_birth > age
        && a.int("salud/e03_hijos_nv").is_some_and(|n| n > 0)
    {
        out.error("salud/e04_edad_1er_hijo", "primer_hijo_despues_de_edad_actual", msg!(
            "La edad al primer hijo/a no puede ser mayor que su edad actual",
            "Age at first birth cannot be greater than her current age",
        ));
    }
    let asked_pregnancy = age.is_some_and(|age| age <= PREGNANCY_QUESTION_AGE_MAX);
    out.relevant("salud/e05_embarazada", asked_pregnancy);
    let pregnant = asked_pregnancy && a.is("salud/e05_embarazada", "si");
    out.relevant("salud/e06_control_prenatal", pregnant);
    // An absent e05 (optional module) reads as not pregnant, as the notes ask.
    let asked_contraception = age.is_some_and(|age| age <= REPRODUCTIVE_AGE_MAX) && !pregnant;
    out.require_if("salud/e07_anticonc", asked_contraception);
    out.require_if("salud/e08_metodo", asked_contraception && a.is("salud/e07_anticonc", "si"));
    out.require_if("salud/e09_deseo_hijo", asked_contraception && a.is("salud/e07_anticonc", "no"));
}

/// Section F, opened only when the interviewer confirms the respondent is alone and safe.
fn violence(a: &Answers, out: &mut Logic) {
    out.require("violencia/f00_privacidad");
    if !a.is("violencia/f00_privacidad", "si") {
        out.hide_all(VIOLENCE.iter().map(|id| format!("violencia/{id}")));
        return;
    }
    out.require("violencia/f01_pareja");
    let partner = a.is_any("violencia/f01_pareja", &["actual", "ex_pareja"]);
    for id in ["f02_v_psico", "f03_v_fisica", "f04_v_sexual"] {
        out.require_if(format!("violencia/{id}"), partner);
    }
    out.relevant("violencia/f05_v_economica", partner);
    let any_violence = partner
        && ["f02_v_psico", "f03_v_fisica", "f04_v_sexual", "f05_v_economica"]
            .iter()
            .any(|id| a.is(&format!("violencia/{id}"), "si"));
    out.relevant("violencia/f06_denuncio", any_violence);
    out.relevant("violencia/f07_razon_no_den", any_violence && a.is("violencia/f06_denuncio", "no"));
    out.require("violencia/f09_discrim_origen").require("violencia/f10_conoce_serv");
}

/// "Ninguno/ninguna" (`none`) cannot be ticked together with another option.
fn exclusive_none(a: &Answers, out: &mut Logic, path: &str, none: &str, code: &str) {
    let chosen = a.choices(path);
    if chosen.contains(&none) && chosen.len() > 1 {
        out.error(path, code, msg!(
            "«Ninguno/a» no puede marcarse junto con otras opciones",
            "“None” cannot be ticked together with other options",
        ));
    }
}

fn is_working(a: &Answers) -> bool {
    a.is("trabajo/c04_trabajo", "si")
}

fn has_other_income(a: &Answers) -> bool {
    let sources = a.choices("trabajo/c13_otros_ingresos");
    !sources.is_empty() && !sources.contains(&"ninguno")
}

/// Her own monthly income: labour income (when she works) plus other own income (when she
/// has other sources). Answers to hidden questions do not count.
pub fn own_income(a: &Answers) -> i64 {
    let labour = if is_working(a) { a.int("trabajo/c12_ingreso_trab").unwrap_or(0) } else { 0 };
    let other = if has_other_income(a) { a.int("trabajo/c14_monto_otros").unwrap_or(0) } else { 0 };
    labour + other
}

/// The monthly minimum wage (CLP) in force on `date`, from the `salario_minimo` setting: a
/// list of `{"desde": "YYYY-MM-DD", "clp": n}` in any order. A date before the first entry
/// takes the first entry. The scoring plugin reads the same setting the same way.
pub fn minimum_wage(settings: Settings, date: Date) -> Option<f64> {
    let entries = match settings.get("salario_minimo") {
        Some(Value::Array(entries)) => entries,
        _ => return None,
    };
    let mut table: Vec<(Date, f64)> = entries
        .iter()
        .filter_map(|e| Some((Date::parse(e.get("desde")?.as_str()?)?, e.get("clp")?.as_f64()?)))
        .collect();
    table.sort_by_key(|(from, _)| *from);
    let earliest = table.first()?.1;
    Some(table.iter().rev().find(|(from, _)| *from <= date).map_or(earliest, |(_, clp)| *clp))
}

/// The `trabajo_de_campo` setting: interview dates outside it are refused. A plugin has no
/// clock, so this stands in for the notes' "not after today".
struct FieldworkWindow {
    from: Date,
    to: Date,
}

impl FieldworkWindow {
    fn from_settings(settings: Settings) -> Option<Self> {
        let from = settings.str("trabajo_de_campo/desde").and_then(Date::parse)?;
        let to = settings.str("trabajo_de_campo/hasta").and_then(Date::parse)?;
        Some(FieldworkWindow { from, to })
    }

    fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

campo_sdk::plugin!(logic = logic);

#[cfg(test)]
mod tests;
