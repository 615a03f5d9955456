//! `campo gen`: realistic, valid submission bodies for a study's forms, reproducible for a seed.
//!
//! Each seed study has its own generator, written from the distributions in its research
//! notes, because realistic answers follow cross-field rules (a household roster whose size
//! matches the stated count, contributions that add up) that no schema-only generator knows.

mod ejemplo;
mod mujeres;
mod tres_por_uno;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("no generator for study {0:?}")]
    UnknownStudy(String),
    #[error("study {study:?} has no form {form:?} to generate")]
    UnknownForm { study: String, form: String },
}

/// The forms a study's generator knows, in the order `campo gen` uses by default.
pub fn forms(study: &str) -> Result<&'static [&'static str], GenError> {
    match study {
        "ejemplo-hogares" => Ok(ejemplo::FORMS),
        "mujeres-migrantes-rm" => Ok(mujeres::FORMS),
        "3x1-migrantes" => Ok(tres_por_uno::FORMS),
        _ => Err(GenError::UnknownStudy(study.to_string())),
    }
}

/// One response's answers for `study`/`form`.
pub fn answers(study: &str, form: &str, rng: &mut StdRng) -> Result<Value, GenError> {
    let generated = match study {
        "ejemplo-hogares" => ejemplo::answers(form, rng),
        "mujeres-migrantes-rm" => mujeres::answers(form, rng),
        "3x1-migrantes" => tres_por_uno::answers(form, rng),
        _ => return Err(GenError::UnknownStudy(study.to_string())),
    };
    generated.ok_or_else(|| GenError::UnknownForm { study: study.to_string(), form: form.to_string() })
}

/// `n` submission bodies `{"id", "answers"}`, the same for the same `seed`.
pub fn submissions(study: &str, form: &str, n: usize, seed: u64) -> Result<Vec<Value>, GenError> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
            Ok(json!({"id": id.to_string(), "answers": answers(study, form, &mut rng)?}))
        })
        .collect()
}

/// Picks an item by weight (weights need not sum to 1).
pub(crate) fn weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// A normal draw (Box–Muller), for generators that need one.
pub(crate) fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A log-normal draw with the given median and log-scale sigma.
pub(crate) fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    median * normal(rng, 0.0, sigma).exp()
}
