//! The programme rules that change with the fiscal year (ROP §3.5 "Tipos y montos"): the cap on
//! the federal contribution and the expected shares of each party, by project type.
//!
//! They are read from the study setting `reglas_por_ejercicio`, a list of rows each valid from
//! `desde_ejercicio` until the next row, so a new ROP is a manifest edit and not a plugin release.
//! Both plugins of the study use this module (the scoring crate includes this file), so the logic's
//! cap warning and the scores' CAP can never disagree.

use std::collections::BTreeMap;

use campo_sdk::Settings;
use serde::Deserialize;

/// The project types of `p15_tipo`; the ones starting with `productivo` are productive projects.
pub const TIPOS: &[&str] = &[
    "infraestructura_social",
    "servicios_comunitarios",
    "educativo",
    "productivo_comunitario",
    "productivo_familiar",
    "productivo_individual",
];

/// Each party's expected share of the total cost.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Proporciones {
    pub federal: f64,
    pub estatal: f64,
    pub municipal: f64,
    pub migrantes: f64,
}

/// What the ROP of a year fixes for one project type.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ReglaTipo {
    /// Maximum federal contribution in MXN.
    pub tope_federal: f64,
    pub proporciones: Proporciones,
}

/// One row of `reglas_por_ejercicio`: the rules from a fiscal year on, by project type.
#[derive(Debug, Clone, Deserialize)]
pub struct ReglasEjercicio {
    pub desde_ejercicio: i64,
    pub tipos: BTreeMap<String, ReglaTipo>,
}

/// The table as the manifest states it.
pub fn tabla(settings: &Settings) -> Result<Vec<ReglasEjercicio>, String> {
    settings.parse("reglas_por_ejercicio")
}

/// The rule for `tipo` in fiscal year `ejercicio`: the latest row of `reglas_por_ejercicio` that
/// starts on or before that year and names the type. Without the setting, or when it cannot be
/// read, the defaults of [`regla_predeterminada`] apply (a test checks the shipped manifest parses).
pub fn regla(settings: &Settings, ejercicio: i64, tipo: &str) -> Option<ReglaTipo> {
    let Ok(filas) = tabla(settings) else {
        return regla_predeterminada(tipo);
    };
    filas
        .iter()
        .filter(|fila| fila.desde_ejercicio <= ejercicio)
        .max_by_key(|fila| fila.desde_ejercicio)
        .and_then(|fila| fila.tipos.get(tipo).copied())
}

/// [T1]: works and services up to MXN 1,000,000 federal at 25 % each (1x1x1x1 [T14, T23]);
/// productive projects up to MXN 250,000 federal, 50 % federal and 50 % migrants.
/// Reading the cap as federal (not total) is the notes' [ASSUMPTION].
pub fn regla_predeterminada(tipo: &str) -> Option<ReglaTipo> {
    let cuartos = Proporciones { federal: 0.25, estatal: 0.25, municipal: 0.25, migrantes: 0.25 };
    let mitades = Proporciones { federal: 0.5, estatal: 0.0, municipal: 0.0, migrantes: 0.5 };
    match tipo {
        "infraestructura_social" | "servicios_comunitarios" | "educativo" => {
            Some(ReglaTipo { tope_federal: 1_000_000.0, proporciones: cuartos })
        }
        t if es_productivo(t) => Some(ReglaTipo { tope_federal: 250_000.0, proporciones: mitades }),
        _ => None,
    }
}

pub fn es_productivo(tipo: &str) -> bool {
    tipo.starts_with("productivo")
}

/// `1234567.5` → `"$1,234,567.50"`, for messages.
pub fn pesos(monto: f64) -> String {
    let centavos = (monto * 100.0).round() as i64;
    let (enteros, resto) = (centavos.abs() / 100, centavos.abs() % 100);
    let digitos = enteros.to_string();
    let mut agrupado = String::new();
    for (i, c) in digitos.chars().enumerate() {
        if i > 0 && (digitos.len() - i) % 3 == 0 {
            agrupado.push(',');
        }
        agrupado.push(c);
    }
    let signo = if centavos < 0 { "-" } else { "" };
    if resto == 0 { format!("{signo}${agrupado}") } else { format!("{signo}${agrupado}.{resto:02}") }
}
