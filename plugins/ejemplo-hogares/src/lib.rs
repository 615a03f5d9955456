//! The example study `ejemplo-hogares`: a short household survey that exercises every
//! question type (text, integer, date, single and multiple choice, a group, a repeat), one
//! skip rule, one cross-field constraint, one computed value and one score.
#![forbid(unsafe_code)]

use campo_sdk::prelude::*;

/// Every question after consent, hidden when the respondent declines.
const AFTER_CONSENT: &[&str] = &["fecha", "jefa", "comuna", "miembros", "fuentes", "ingreso_mensual", "n_personas"];

pub fn logic(input: &Input, out: &mut Logic) {
    let a = input.answers();
    out.require("consentimiento");
    if !a.is("consentimiento", "si") {
        out.hide_all(AFTER_CONSENT);
        return;
    }
    out.require("fecha").require("jefa/edad").require("comuna").require("fuentes");
    for member in a.repeat("miembros") {
        out.require(member.at("parentesco")).require(member.at("edad"));
    }
    let fuentes = a.choices("fuentes");
    if fuentes.contains(&"ninguna") && fuentes.len() > 1 {
        out.error("fuentes", "ninguna_exclusiva", msg!(
            "«Ninguna» no puede marcarse junto con otras fuentes",
            "“None” cannot be ticked together with other sources",
        ));
    }
    out.require_if("ingreso_mensual", !fuentes.is_empty() && !fuentes.contains(&"ninguna"));
    if let (Some(edad), Some(hijos)) = (a.int("jefa/edad"), a.repeat("miembros").filter(|m| m.is("parentesco", "hijo")).map(|m| m.int("edad")).max()) {
        if hijos.is_some_and(|h| h >= edad) {
            out.error("jefa/edad", "hijo_mayor_que_jefa", msg!(
                "La jefa de hogar no puede ser menor que un hijo o hija",
                "The head of household cannot be younger than a child",
            ));
        }
    }
    out.compute("n_personas", 1 + a.count("miembros") as i64);
}

pub fn score(input: &Input, out: &mut Scores) {
    let a = input.answers();
    let personas = 1.0 + a.count("miembros") as f64;
    let per_capita = match a.num("ingreso_mensual") {
        Some(ingreso) => Some(ingreso / personas),
        None if a.has_choice("fuentes", "ninguna") => Some(0.0),
        None => None,
    };
    let linea = input.settings().num_or("linea_pobreza_per_capita", 200_000.0);
    let score = out.set("ingreso_per_capita", per_capita);
    if let Some(v) = per_capita {
        score.category(if v < linea { "bajo_linea" } else { "sobre_linea" });
    }
}

campo_sdk::plugin!(logic = logic, score = score);

#[cfg(test)]
mod tests {
    use super::*;

    fn check_logic(answers: Value) -> Logic {
        let mut out = Logic::default();
        logic(&Input::new(answers), &mut out);
        out
    }

    #[test]
    fn declining_consent_hides_everything_else() {
        let out = check_logic(json!({"consentimiento": "no"}));
        assert!(!out.is_relevant("jefa/edad"));
        assert!(!out.is_relevant("miembros/0/edad"));
        assert!(out.is_required("consentimiento"));
    }

    #[test]
    fn none_is_exclusive() {
        let out = check_logic(json!({"consentimiento": "si", "fuentes": ["ninguna", "trabajo"]}));
        assert_eq!(out.errors_at("fuentes"), vec!["ninguna_exclusiva"]);
        assert!(check_logic(json!({"consentimiento": "si", "fuentes": ["ninguna"]})).errors_at("fuentes").is_empty());
    }

    #[test]
    fn income_is_asked_only_with_a_source() {
        assert!(!check_logic(json!({"consentimiento": "si", "fuentes": ["ninguna"]})).is_relevant("ingreso_mensual"));
        assert!(check_logic(json!({"consentimiento": "si", "fuentes": ["pension"]})).is_required("ingreso_mensual"));
    }

    #[test]
    fn a_child_older_than_the_head_is_refused() {
        let out = check_logic(json!({"consentimiento": "si", "jefa": {"edad": 30},
            "miembros": [{"parentesco": "hijo", "edad": 31}]}));
        assert_eq!(out.errors_at("jefa/edad"), vec!["hijo_mayor_que_jefa"]);
        assert_eq!(out.computed_at("n_personas"), Some(&json!(2)));
    }

    #[test]
    fn per_capita_income_and_its_category() {
        let mut out = Scores::default();
        score(&Input::new(json!({"ingreso_mensual": 600000, "miembros": [{}, {}]}))
            .with_settings(json!({"linea_pobreza_per_capita": 250000})), &mut out);
        assert_eq!(out.get("ingreso_per_capita"), Some(200000.0));
        assert_eq!(out.category("ingreso_per_capita"), Some("bajo_linea"));
    }
}
