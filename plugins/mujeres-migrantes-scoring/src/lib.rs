//! Scores of the seed study `mujeres-migrantes-rm`, form `cuestionario`: the Economic
//! Autonomy Index (IAE, `autonomia_economica`) and the Physical Autonomy Index (IAF,
//! `autonomia_fisica`) of the research notes (§1.5), plus the notes' derived reporting
//! variables. The formulas, sources and assumptions are in the bundle's README.md.
//!
//! Each index is `100 · Σ wₖcₖ / Σ wₖ` over the components with a value `cₖ ∈ [0, 1]`. A
//! component is *not applicable* (the question does not concern her: no partner, no own
//! income, over 49) or *missing* (declined with `pnr`, the privacy check failed, an optional
//! module was not used); both drop out and the weights re-normalise. Weights, reference values,
//! the coverage rule and the bands are study settings (manifest.json), never literals here.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use campo_sdk::prelude::*;
use serde::Deserialize;

/// Adolescent maternity is a first birth before 20 (OIG indicator, women 15–19).
const ADOLESCENCE_END: i64 = 20;
/// The family-planning component concerns women of reproductive age (OIG, 15–49).
const REPRODUCTIVE_AGE_MAX: i64 = 49;

/// The study settings this plugin reads; a manifest without them is a broken bundle.
#[derive(Debug, Clone, Deserialize)]
pub struct Reference {
    salario_minimo: Vec<MinimumWage>,
    autonomia_economica: EconomicSettings,
    autonomia_fisica: PhysicalSettings,
    cobertura: Coverage,
    bandas: Bands,
    horas_no_remuneradas_referencia: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct MinimumWage {
    desde: String,
    clp: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct EconomicSettings {
    pesos: BTreeMap<String, f64>,
    tope_horas_no_remuneradas: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct PhysicalSettings {
    pesos: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
struct Coverage {
    minima: f64,
    /// `"total"`: answered weight over all weight (the notes' rule); `"aplicable"`: over the
    /// weight of the components that concern her, so not-applicable ones do not count against.
    sobre: CoverageBase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageBase {
    Total,
    Aplicable,
}

#[derive(Debug, Clone, Deserialize)]
struct Bands {
    medio_desde: f64,
    alto_desde: f64,
}

impl Reference {
    pub fn from_settings(settings: Settings) -> Result<Self, String> {
        let reference: Reference = settings.parse("")?;
        for (index, weights, ids) in [
            ("autonomia_economica", &reference.autonomia_economica.pesos, ECONOMIC_COMPONENTS),
            ("autonomia_fisica", &reference.autonomia_fisica.pesos, PHYSICAL_COMPONENTS),
        ] {
            for id in ids {
                match weights.get(*id) {
                    Some(w) if *w >= 0.0 => {}
                    _ => return Err(format!("setting {index}/pesos/{id} must be a weight ≥ 0")),
                }
            }
        }
        Ok(reference)
    }

    /// The monthly minimum wage on `date`: the latest entry starting on or before it, or the
    /// earliest entry for a date before the table (the logic plugin reads it the same way).
    pub fn minimum_wage(&self, date: Date) -> Option<f64> {
        let mut table: Vec<(Date, f64)> =
            self.salario_minimo.iter().filter_map(|e| Some((Date::parse(&e.desde)?, e.clp))).collect();
        table.sort_by_key(|(from, _)| *from);
        let earliest = table.first()?.1;
        Some(table.iter().rev().find(|(from, _)| *from <= date).map_or(earliest, |(_, clp)| *clp))
    }

    fn band(&self, value: f64) -> &'static str {
        if value < self.bandas.medio_desde {
            "bajo"
        } else if value < self.bandas.alto_desde {
            "medio"
        } else {
            "alto"
        }
    }
}

/// One component of an index for one respondent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Component {
    /// A value in [0, 1].
    Scored(f64),
    /// The question does not concern her (no partner, no own income, over 49, pregnant).
    NotApplicable,
    /// It concerns her but is unknown: declined (`pnr`), not asked for safety, module unused.
    Missing,
}

use Component::{Missing, NotApplicable, Scored};

pub const ECONOMIC_COMPONENTS: &[&str] = &[
    "e1_ingreso_propio", "e2_suficiencia_ingreso", "e3_calidad_empleo",
    "e4_autonomia_tiempo", "e5_control_dinero", "e6_inclusion_financiera",
];
pub const PHYSICAL_COMPONENTS: &[&str] = &[
    "p1_sin_violencia_pareja", "p2_sin_acoso_ni_discriminacion", "p3_autonomia_reproductiva",
    "p4_sin_maternidad_adolescente", "p5_acceso_salud", "p6_busqueda_ayuda",
];

pub fn score(input: &Input, out: &mut Scores) {
    // The SDK gives a plugin no error channel: a trap is what the host reports as this
    // plugin's failure, which is what a bundle without its reference values deserves.
    let reference = match Reference::from_settings(input.settings()) {
        Ok(reference) => reference,
        Err(message) => panic!("mujeres-migrantes-scoring: {message}"),
    };
    let a = input.answers();
    // The logic plugin computes the screening outcome; declined or ineligible interviews
    // have nothing to score.
    if !a.is("identificacion/a14_resultado", "elegible") {
        for name in SCORE_NAMES {
            out.set(name, None);
        }
        return;
    }

    let economic = economic_components(&a, &reference);
    let value = index(&economic, ECONOMIC_COMPONENTS, &reference.autonomia_economica.pesos, &reference);
    set_banded(out, "autonomia_economica", value, &reference);
    let physical = physical_components(&a);
    let value = index(&physical, PHYSICAL_COMPONENTS, &reference.autonomia_fisica.pesos, &reference);
    set_banded(out, "autonomia_fisica", value, &reference);

    let hours = unpaid_hours(&a);
    let score = out.set("horas_no_remuneradas", hours);
    if let Some(hours) = hours {
        score.category(if hours > reference.horas_no_remuneradas_referencia { "sobre_referencia" } else { "hasta_referencia" });
    }
    let no_income = own_income(&a).map(|income| if income > 0.0 { 0.0 } else { 1.0 });
    let score = out.set("sin_ingresos_propios", no_income);
    if let Some(flag) = no_income {
        score.category(if flag == 1.0 { "sin_ingresos" } else { "con_ingresos" });
    }
    // The derived flags are the complements of components, so they cannot disagree with them.
    let flag = |component: Component, bad: f64| match component {
        Scored(c) => Some(if c <= bad { 1.0 } else { 0.0 }),
        _ => None,
    };
    out.set("violencia_pareja_12m", flag(physical[0], 0.5));
    out.set("maternidad_adolescente", flag(physical[3], 0.0));
    out.set("necesidad_insatisfecha_pf", flag(physical[2], 0.0));
}

/// Every score the manifest declares, in its order.
pub const SCORE_NAMES: &[&str] = &[
    "autonomia_economica", "autonomia_fisica", "horas_no_remuneradas", "sin_ingresos_propios",
    "violencia_pareja_12m", "maternidad_adolescente", "necesidad_insatisfecha_pf",
];

fn set_banded(out: &mut Scores, name: &str, value: Option<f64>, reference: &Reference) {
    let score = out.set(name, value);
    if let Some(value) = value {
        score.category(reference.band(value));
    }
}

/// `100 · Σ wₖcₖ / Σ wₖ` over the scored components, rounded to one decimal (the band is read
/// from the rounded value, so a shown 70.0 is always "alto"); `None` when the answered weight
/// is under the coverage minimum. `ids[k]` names `components[k]`'s weight in `weights`.
pub fn index(components: &[Component], ids: &[&str], weights: &BTreeMap<String, f64>, reference: &Reference) -> Option<f64> {
    let (mut answered, mut applicable, mut total, mut sum) = (0.0, 0.0, 0.0, 0.0);
    for (component, id) in components.iter().zip(ids) {
        let w = weights.get(*id).copied().unwrap_or(0.0);
        total += w;
        match component {
            Scored(c) => {
                answered += w;
                applicable += w;
                sum += w * c;
            }
            Missing => applicable += w,
            NotApplicable => {}
        }
    }
    let base = match reference.cobertura.sobre {
        CoverageBase::Total => total,
        CoverageBase::Aplicable => applicable,
    };
    // Weights such as 0.25 + 0.15 + … do not add up exactly in binary; a coverage that equals
    // the minimum on paper must not fall below it by a rounding error.
    if answered <= 0.0 || answered / base < reference.cobertura.minima - 1e-9 {
        return None;
    }
    Some((1000.0 * sum / answered).round() / 10.0)
}

/// Her own monthly income (labour income when she works, plus other own income when she has
/// other sources); `None` when the work or income questions are unanswered.
fn own_income(a: &Answers) -> Option<f64> {
    let labour = match a.str("trabajo/c04_trabajo")? {
        "si" => a.num("trabajo/c12_ingreso_trab")?,
        _ => 0.0,
    };
    let sources = a.choices("trabajo/c13_otros_ingresos");
    if sources.is_empty() {
        return None;
    }
    let other = if sources.contains(&"ninguno") { 0.0 } else { a.num("trabajo/c14_monto_otros")? };
    Some(labour + other)
}

fn unpaid_hours(a: &Answers) -> Option<f64> {
    Some(a.num("tiempo/d01_h_domestico")? + a.num("tiempo/d02_h_cuidado")?)
}

fn from(value: Option<f64>) -> Component {
    value.map_or(Missing, Scored)
}

fn yes(a: &Answers, path: &str) -> f64 {
    if a.is(path, "si") { 1.0 } else { 0.0 }
}

/// The mean of the parts that are known; `Missing` when none is.
fn mean(parts: &[Option<f64>]) -> Component {
    let known: Vec<f64> = parts.iter().flatten().copied().collect();
    if known.is_empty() { Missing } else { Scored(known.iter().sum::<f64>() / known.len() as f64) }
}

/// E1–E6, in order.
pub fn economic_components(a: &Answers, reference: &Reference) -> [Component; 6] {
    let income = own_income(a);
    let has_income = income.map(|i| i > 0.0);
    let smm = a.date("identificacion/a02_fecha").and_then(|date| reference.minimum_wage(date));
    let e1 = from(has_income.map(|yes| if yes { 1.0 } else { 0.0 }));
    let e2 = match (income, smm) {
        (Some(income), Some(smm)) if smm > 0.0 => Scored((income / smm).min(1.0)),
        _ => Missing,
    };
    // Job quality: a signed contract and pension contributions; not working scores 0.
    let e3 = match a.str("trabajo/c04_trabajo") {
        Some("si") => Scored((yes_code(a, "trabajo/c09_contrato", "si_firmado") + yes(a, "trabajo/c10_cotiza")) / 2.0),
        Some(_) => Scored(0.0),
        None => Missing,
    };
    let cap = reference.autonomia_economica.tope_horas_no_remuneradas;
    let e4 = from(unpaid_hours(a).filter(|_| cap > 0.0).map(|hours| 1.0 - (hours / cap).min(1.0)));
    let e5 = match has_income {
        Some(false) => NotApplicable,
        None => Missing,
        Some(true) => from(a.str("trabajo/c16_decide_ingreso").map(|who| match who {
            "yo_sola" => 1.0,
            "yo_y_pareja" => 0.5,
            _ => 0.0,
        })),
    };
    let e6 = from(a.str("trabajo/c17_cuenta").map(|_| yes(a, "trabajo/c17_cuenta")));
    [e1, e2, e3, e4, e5, e6]
}

fn yes_code(a: &Answers, path: &str, code: &str) -> f64 {
    if a.is(path, code) { 1.0 } else { 0.0 }
}

/// P1–P6, in order.
pub fn physical_components(a: &Answers) -> [Component; 6] {
    let private = a.is("violencia/f00_privacidad", "si");
    [
        partner_violence(a, private),
        if private { harassment_and_discrimination(a) } else { Missing },
        reproductive_autonomy(a),
        no_adolescent_maternity(a),
        health_access(a),
        if private { from(a.str("violencia/f10_conoce_serv").map(|_| yes(a, "violencia/f10_conoce_serv"))) } else { Missing },
    ]
}

/// P1: 1 with no partner violence, 0.5 with only psychological and/or economic violence, 0
/// with physical or sexual violence. A declined item counts only when it could change the
/// value: a `pnr` on physical violence leaves the component unknown unless another answer
/// already makes it 0.
fn partner_violence(a: &Answers, private: bool) -> Component {
    if !private {
        return Missing;
    }
    match a.str("violencia/f01_pareja") {
        Some("no") => return NotApplicable,
        None => return Missing,
        Some(_) => {}
    }
    let answer = |id: &str| a.str(&format!("violencia/{id}"));
    let severe = [answer("f03_v_fisica"), answer("f04_v_sexual")];
    // Economic violence is an optional item: unasked, it is simply not part of the picture.
    let moderate = [answer("f02_v_psico"), answer("f05_v_economica").or(Some("no"))];
    if severe.contains(&Some("si")) {
        return Scored(0.0);
    }
    if severe.iter().any(|v| *v != Some("no")) {
        return Missing;
    }
    if moderate.contains(&Some("si")) {
        return Scored(0.5);
    }
    if moderate.iter().any(|v| *v != Some("no")) {
        return Missing;
    }
    Scored(1.0)
}

/// P2: the mean of "no street harassment" and "no discrimination for her origin"; a declined
/// or unasked item leaves the mean of the other.
fn harassment_and_discrimination(a: &Answers) -> Component {
    let no = |path: &str| match a.str(path) {
        Some("no") => Some(1.0),
        Some("si") => Some(0.0),
        _ => None,
    };
    mean(&[no("violencia/f08_acoso_publico"), no("violencia/f09_discrim_origen")])
}

/// P3: demand for family planning satisfied. Not applicable over 49 or while pregnant.
fn reproductive_autonomy(a: &Answers) -> Component {
    let Some(age) = a.int("identificacion/a05_edad") else { return Missing };
    if age > REPRODUCTIVE_AGE_MAX || a.is("salud/e05_embarazada", "si") {
        return NotApplicable;
    }
    match a.str("salud/e07_anticonc") {
        Some("si") => from(a.str("salud/e08_metodo").map(|method| if method == "natural_retiro" { 0.5 } else { 1.0 })),
        // Not using a method while wanting a child soon is no unmet need.
        Some("no") => from(a.str("salud/e09_deseo_hijo").map(|wish| if wish == "si" { 1.0 } else { 0.0 })),
        _ => Missing,
    }
}

/// P4: 1 unless her first child was born before she was 20.
fn no_adolescent_maternity(a: &Answers) -> Component {
    match a.int("salud/e03_hijos_nv") {
        Some(0) => Scored(1.0),
        Some(_) => from(a.int("salud/e04_edad_1er_hijo").map(|age| if age < ADOLESCENCE_END { 0.0 } else { 1.0 })),
        None => Missing,
    }
}

/// P5: the mean of having health insurance, not having been refused care and, in pregnancy,
/// having prenatal check-ups.
fn health_access(a: &Answers) -> Component {
    let insured = a.str("salud/e01_prevision").map(|system| if ["ninguno", "ns"].contains(&system) { 0.0 } else { 1.0 });
    let not_refused = a.str("salud/e02_atencion_negada").map(|refused| if refused == "si" { 0.0 } else { 1.0 });
    let prenatal = if a.is("salud/e05_embarazada", "si") {
        a.str("salud/e06_control_prenatal").map(|_| yes(a, "salud/e06_control_prenatal"))
    } else {
        None
    };
    mean(&[insured, not_refused, prenatal])
}

campo_sdk::plugin!(score = score);

#[cfg(test)]
mod tests;
