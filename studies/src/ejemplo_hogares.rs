//! Generator for the example study `ejemplo-hogares`.

use rand::{Rng, rngs::StdRng};
use serde_json::{Value, json};

use campo_gen::weighted;

/// The study's own generator.
pub struct Generator;

impl campo_gen::StudyGenerator for Generator {
    fn study(&self) -> &str {
        "ejemplo-hogares"
    }

    fn forms(&self) -> &[&str] {
        &["hogar"]
    }

    fn answers(&self, form: &str, rng: &mut StdRng) -> Option<Value> {
        answers(form, rng)
    }
}

fn answers(form: &str, rng: &mut StdRng) -> Option<Value> {
    if form != "hogar" {
        return None;
    }
    if rng.random_bool(0.05) {
        return Some(json!({"consentimiento": "no"}));
    }
    let edad: i64 = rng.random_range(18..=85);
    let n_miembros = *weighted(rng, &[(0usize, 0.15), (1, 0.25), (2, 0.25), (3, 0.2), (5, 0.15)]);
    let miembros: Vec<Value> = (0..n_miembros)
        .map(|i| {
            let parentesco = if i == 0 && rng.random_bool(0.6) { "pareja" } else { *weighted(rng, &[("hijo", 0.7), ("otro", 0.3)]) };
            let edad_m = match parentesco {
                "hijo" => rng.random_range(0..(edad - 15).clamp(1, 60)),
                _ => rng.random_range(0..=95),
            };
            json!({"parentesco": parentesco, "edad": edad_m})
        })
        .collect();
    let mut answers = json!({
        "consentimiento": "si",
        "fecha": format!("2026-{:02}-{:02}", rng.random_range(1..=11), rng.random_range(1..=28)),
        "jefa": {"edad": edad},
        "comuna": weighted(rng, &[("santiago", 0.4), ("independencia", 0.2), ("recoleta", 0.2), ("estacion_central", 0.2)]),
        "miembros": miembros,
        "n_personas": 1 + n_miembros,
    });
    if rng.random_bool(0.3) {
        answers["jefa"]["nombre"] = json!(*weighted(rng, &[("María José", 1.0), ("Ana Lucía", 1.0), ("Begoña", 1.0), ("Iñés", 0.5)]));
    }
    if rng.random_bool(0.1) {
        answers["fuentes"] = json!(["ninguna"]);
    } else {
        let mut fuentes = vec!["trabajo"];
        if rng.random_bool(0.2) { fuentes.push("pension"); }
        if rng.random_bool(0.3) { fuentes.push("subsidio"); }
        answers["fuentes"] = json!(fuentes);
        answers["ingreso_mensual"] = json!((campo_gen::lognormal(rng, 650_000.0, 0.6) as i64 / 1000) * 1000);
    }
    Some(answers)
}
