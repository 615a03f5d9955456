//! Scores of the seed study `3x1-migrantes` (research notes §2.4; formulas are design choices
//! [ASSUMPTION], their inputs and reference values are sourced [T1, T7, T8, T14, T15]).
//!
//! `proyecto`: co-investment compliance `cic`, migrant leverage `apalancamiento`, cap compliance
//! `cap`, cost per beneficiary `cpb` and federal `fcpb`, completion `comp`, targeting `tgt`, the
//! COVAM-window flag `covam_en_ventana` and the project performance score `pps`.
//! `beneficiario`: the rating `satisfaccion` (q05), `funciona` (q06) and `ingreso_per_capita`.
//!
//! Expected shares, caps, weights and thresholds are study settings (see the bundle's README).
#![forbid(unsafe_code)]

// The per-year rules table is the logic plugin's, so the cap warning and CAP always agree. It is
// included as a file rather than a dependency so this module exports no `campo_logic`.
#[path = "../../tres-por-uno-logic/src/reglas.rs"]
pub mod reglas;

use campo_sdk::prelude::*;
use reglas::{Proporciones, regla};
use serde::Deserialize;

pub fn score(input: &Input, out: &mut Scores) {
    match input.form() {
        "proyecto" => proyecto(&input.answers(), &input.settings(), out),
        "beneficiario" => beneficiario(&input.answers(), &input.settings(), out),
        _ => {}
    }
}

// ------------------------------------------------------------------------------------------------
// proyecto

/// The five sources of a project's money in MXN [T1, T8]; "otros" (credit, beneficiaries) is
/// expected to be 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aportaciones {
    pub federal: f64,
    pub estatal: f64,
    pub municipal: f64,
    pub migrantes: f64,
    pub otros: f64,
}

impl Aportaciones {
    /// `None` when the four parties' contributions are not all there (a rejected project).
    pub fn de(a: &Answers) -> Option<Self> {
        Some(Aportaciones {
            federal: a.num("convenio/p24_ap_federal")?,
            estatal: a.num("convenio/p25_ap_estatal")?,
            municipal: a.num("convenio/p26_ap_municipal")?,
            migrantes: a.num("convenio/p27_ap_migrantes")?,
            otros: a.num("convenio/p28_ap_otros").unwrap_or(0.0),
        })
    }

    /// p29: the same sum the logic plugin computes.
    pub fn total(&self) -> f64 {
        self.federal + self.estatal + self.municipal + self.migrantes + self.otros
    }
}

/// CIC = 100 · (1 − ½ Σ_i |s_i − e_i|), with `s_i` the actual and `e_i` the expected share of
/// each source (others expected 0): 100 is the rule's mix, 0 a mix sharing nothing with it.
/// With `estatal_municipal_conjunto` the state and municipal shares are compared together with
/// their joint expectation, which is all the ROP fixes (50 % for both [T1]).
pub fn cic(ap: &Aportaciones, esperado: &Proporciones, estatal_municipal_conjunto: bool) -> Option<f64> {
    let total = ap.total();
    if total <= 0.0 {
        return None;
    }
    let desvio = |monto: f64, esperado: f64| (monto / total - esperado).abs();
    let gobiernos_locales = if estatal_municipal_conjunto {
        desvio(ap.estatal + ap.municipal, esperado.estatal + esperado.municipal)
    } else {
        desvio(ap.estatal, esperado.estatal) + desvio(ap.municipal, esperado.municipal)
    };
    let suma = desvio(ap.federal, esperado.federal) + gobiernos_locales + desvio(ap.migrantes, esperado.migrantes) + desvio(ap.otros, 0.0);
    Some(100.0 * (1.0 - suma / 2.0))
}

/// L = (total − migrants) / migrants: pesos from everyone else per migrant peso (1x1x1x1 = 3).
pub fn apalancamiento(ap: &Aportaciones) -> Option<f64> {
    (ap.migrantes > 0.0).then(|| (ap.total() - ap.migrantes) / ap.migrantes)
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PesosComp {
    pub avance_fisico: f64,
    pub avance_financiero: f64,
    pub a_tiempo: f64,
}

impl Default for PesosComp {
    fn default() -> Self {
        PesosComp { avance_fisico: 0.5, avance_financiero: 0.3, a_tiempo: 0.2 }
    }
}

/// COMP = 100 · (0.5 · physical + 0.3 · financial + 0.2 · on time), cancelled = 0; `None`
/// before execution. "On time" is credited on delivery only (p37 ≤ p34), so a project still
/// running scores at most 80 [ASSUMPTION].
pub fn comp(a: &Answers, pesos: &PesosComp) -> Option<f64> {
    let estatus = a.str("seguimiento/p32_estatus")?;
    match estatus {
        "cancelado" => Some(0.0),
        "en_ejecucion" | "concluido" => {
            let fisico = a.num("seguimiento/p35_avance_fisico")? / 100.0;
            let financiero = a.num("seguimiento/p36_avance_fin")? / 100.0;
            let a_tiempo = match (a.date("seguimiento/p37_fecha_fin_real"), a.date("seguimiento/p34_fecha_fin_prog")) {
                (Some(real), Some(programada)) if estatus == "concluido" && real <= programada => 1.0,
                _ => 0.0,
            };
            let suma = pesos.avance_fisico + pesos.avance_financiero + pesos.a_tiempo;
            Some(100.0 * (pesos.avance_fisico * fisico + pesos.avance_financiero * financiero + pesos.a_tiempo * a_tiempo) / suma)
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PesosPps {
    pub cic: f64,
    pub comp: f64,
    pub tgt: f64,
    pub sat: f64,
}

impl Default for PesosPps {
    fn default() -> Self {
        PesosPps { cic: 0.35, comp: 0.35, tgt: 0.15, sat: 0.15 }
    }
}

/// PPS = Σ w_i · x_i / Σ w_i over the components that are available, each on 0–100
/// (CIC, COMP, 100·TGT, 10·SAT). A project record never sees its beneficiaries' ratings, so SAT
/// is always dropped here and analysts add it after the join (README). Without COMP (a rejected
/// application, or one not yet executed) there is no performance to score.
pub fn pps(cic: Option<f64>, comp: Option<f64>, tgt: Option<f64>, sat: Option<f64>, pesos: &PesosPps) -> Option<f64> {
    comp?;
    let componentes = [(pesos.cic, cic), (pesos.comp, comp), (pesos.tgt, tgt.map(|t| 100.0 * t)), (pesos.sat, sat.map(|s| 10.0 * s))];
    let (suma, pesos_disponibles) = componentes
        .iter()
        .filter_map(|(w, x)| x.map(|x| (w * x, *w)))
        .fold((0.0, 0.0), |(s, ws), (wx, w)| (s + wx, ws + w));
    (pesos_disponibles > 0.0).then(|| suma / pesos_disponibles)
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct CortesPps {
    medio: f64,
    alto: f64,
}

fn proyecto(a: &Answers, settings: &Settings, out: &mut Scores) {
    let ejercicio = a.int("solicitud/p02_ejercicio");
    let tipo = a.str("caracteristicas/p15_tipo");
    let regla = ejercicio.zip(tipo).and_then(|(e, t)| regla(settings, e, t));
    let aportaciones = Aportaciones::de(a);
    let beneficiarios = a.num("convenio/p30_benef_directos").filter(|b| *b > 0.0);

    let conjunto = settings.bool_or("cic_estatal_municipal_conjunto", false);
    let cic = aportaciones.zip(regla).and_then(|(ap, r)| cic(&ap, &r.proporciones, conjunto));
    out.set("cic", cic);
    out.set("apalancamiento", aportaciones.as_ref().and_then(apalancamiento));
    let cap = aportaciones.zip(regla).map(|(ap, r)| if ap.federal <= r.tope_federal { 1.0 } else { 0.0 });
    out.set("cap", cap);
    out.set("cpb", aportaciones.zip(beneficiarios).map(|(ap, b)| ap.total() / b));
    out.set("fcpb", aportaciones.zip(beneficiarios).map(|(ap, b)| ap.federal / b));

    let comp = comp(a, &settings.parse("comp_pesos").unwrap_or_default());
    out.set("comp", comp);

    let marginadas: Vec<String> = settings.parse("tgt_marginacion").unwrap_or_else(|_| vec!["alto".into(), "muy_alto".into()]);
    let tgt = a.str("ubicacion/p07_marginacion").map(|g| if marginadas.iter().any(|m| m == g) { 1.0 } else { 0.0 });
    out.set("tgt", tgt);

    let desde = settings.num_or("covam_abril_junio_desde_ejercicio", 2017.0) as i64;
    let en_ventana = match (ejercicio, a.date("covam/p21_covam_fecha")) {
        (Some(e), Some(sesion)) if e >= desde => Some(if (4..=6).contains(&sesion.month) { 1.0 } else { 0.0 }),
        _ => None,
    };
    out.set("covam_en_ventana", en_ventana);

    let pps = pps(cic, comp, tgt, None, &settings.parse("pps_pesos").unwrap_or_default());
    let cortes = settings.parse::<CortesPps>("pps_cortes").unwrap_or(CortesPps { medio: 50.0, alto: 75.0 });
    let score = out.set("pps", pps);
    if let Some(v) = pps {
        score.category(if v < cortes.medio { "bajo" } else if v < cortes.alto { "medio" } else { "alto" });
    }
}

// ------------------------------------------------------------------------------------------------
// beneficiario

#[derive(Debug, Clone, Copy, Deserialize)]
struct LineasPobreza {
    extrema: f64,
    pobreza: f64,
}

/// CONEVAL rural lines, MXN per person per month, August 2018 [T21]: most 3x1 localities are rural.
const LINEAS_RURALES_2018: LineasPobreza = LineasPobreza { extrema: 1073.69, pobreza: 1941.01 };

fn beneficiario(a: &Answers, settings: &Settings, out: &mut Scores) {
    // The project's SAT is the mean of this score over its interviews (README).
    out.set("satisfaccion", a.num("q05_satisfaccion"));
    out.set("funciona", a.str("q06_funciona").map(|f| if f == "si" { 1.0 } else { 0.0 }));

    let per_capita = a.num("q11_ingreso_hogar").zip(a.num("q10_tam_hogar").filter(|n| *n > 0.0)).map(|(y, n)| y / n);
    let lineas = settings.parse("lineas_pobreza_per_capita").unwrap_or(LINEAS_RURALES_2018);
    let score = out.set("ingreso_per_capita", per_capita);
    if let Some(v) = per_capita {
        score.category(if v < lineas.extrema { "pobreza_extrema" } else if v < lineas.pobreza { "pobreza" } else { "sobre_linea" });
    }
}

campo_sdk::plugin!(score = score);

#[cfg(test)]
mod tests;
