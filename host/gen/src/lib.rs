//! `campo gen`: valid, varied submission bodies for a form, reproducible for a seed.
//!
//! The [`generic`] generator serves any installed form: it walks the form's JSON Schema and runs
//! the form's own logic plugin, so it answers exactly the relevant questions, every required one,
//! and only values the form accepts. A study whose realistic answers follow cross-field rules no
//! schema knows (a household roster matching its stated size, contributions that add up) brings
//! its own [`StudyGenerator`]; the `campo` binary picks it for that study.

pub mod generic;
mod random;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

pub use generic::{FormUnderTest, GenericGenerator};
pub use random::{lognormal, normal, weighted};

/// Why no bodies were generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("study {study:?} has no form {form:?} to generate")]
    UnknownForm { study: String, form: String },
    #[error(transparent)]
    Generic(#[from] generic::GenericError),
}

/// A study's own generator of realistic answers.
pub trait StudyGenerator: Send + Sync {
    /// The study it writes for.
    fn study(&self) -> &str;
    /// The forms it knows, in the order `campo gen` uses by default.
    fn forms(&self) -> &[&str];
    /// One response's answers to `form`, or `None` for a form it does not know.
    fn answers(&self, form: &str, rng: &mut StdRng) -> Option<Value>;
}

/// `n` submission bodies `{"id", "answers"}` from `answers`, the same for the same `seed`: the
/// id is drawn first, then the answers, from one generator seeded with `seed`.
pub fn bodies<E>(n: usize, seed: u64, mut answers: impl FnMut(&mut StdRng) -> Result<Value, E>) -> Result<Vec<Value>, E> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
            Ok(json!({"id": id.to_string(), "answers": answers(&mut rng)?}))
        })
        .collect()
}

/// `n` bodies from a study's own generator.
pub fn study_bodies(generator: &dyn StudyGenerator, form: &str, n: usize, seed: u64) -> Result<Vec<Value>, GenError> {
    bodies(n, seed, |rng| {
        generator
            .answers(form, rng)
            .ok_or_else(|| GenError::UnknownForm { study: generator.study().to_string(), form: form.to_string() })
    })
}
