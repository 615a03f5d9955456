//! JSON Schema validation of answers: each form version's schema is compiled once and shared.
//!
//! The `jsonschema` crate is built without its default features, so a `$ref` in a form's
//! schema can never make the server fetch a URL or read a file, and `pattern`s run on the
//! linear-time `regex` engine so a designer's regex cannot stall a submission.

use campo_domain::{FieldError, clip};
use serde_json::Value;

/// Why a form's schema cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the form's JSON Schema is not usable: {0}")]
pub struct SchemaError(pub String);

/// A compiled form schema.
pub struct FormValidator {
    validator: jsonschema::Validator,
}

/// Every error is listed, but no more than this many (a hostile body could produce millions).
const MAX_ERRORS: usize = 200;

impl FormValidator {
    pub fn compile(schema: &Value) -> Result<FormValidator, SchemaError> {
        if schema.get("$schema").and_then(Value::as_str).is_some_and(|s| !s.contains("2020-12")) {
            return Err(SchemaError("forms use JSON Schema draft 2020-12 (\"$schema\")".into()));
        }
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema)
            .map_err(|e| SchemaError(e.to_string()))?;
        Ok(FormValidator { validator })
    }

    /// `Ok` or every error (up to a bound), each with its JSON Pointer.
    pub fn validate(&self, answers: &Value) -> Result<(), Vec<FieldError>> {
        if self.validator.is_valid(answers) {
            return Ok(());
        }
        let errors: Vec<FieldError> = self
            .validator
            .iter_errors(answers)
            .take(MAX_ERRORS)
            .map(|e| {
                // The crate's own text quotes the whole value (a 1 MB answer makes a 1 MB error):
                // only rules without a message of ours fall back to it, cut short.
                let theirs = || clip(&e.to_string(), MAX_MESSAGE_CHARS).into_owned();
                FieldError {
                    path: clip(e.instance_path().as_str(), MAX_MESSAGE_CHARS).into_owned(),
                    code: "schema".into(),
                    message: spanish(e.kind()).unwrap_or_else(|| "La respuesta no cumple una regla del formulario".to_string()),
                    message_en: format!("Invalid answer: {}", english(e.kind()).unwrap_or_else(theirs)),
                }
            })
            .collect();
        Err(errors)
    }
}

/// Values quoted in an error are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 100;

/// The English message for the rules forms use, quoting limits but never the answer.
fn english(kind: &jsonschema::error::ValidationErrorKind) -> Option<String> {
    use jsonschema::error::ValidationErrorKind as K;
    Some(match kind {
        K::Minimum { limit } => format!("the value must be {limit} or more"),
        K::Maximum { limit } => format!("the value must be {limit} or less"),
        K::ExclusiveMinimum { limit } => format!("the value must be greater than {limit}"),
        K::ExclusiveMaximum { limit } => format!("the value must be less than {limit}"),
        K::Enum { .. } => "choose one of the options in the list".to_string(),
        K::Constant { expected_value } => format!("the value must be {}", clip(&expected_value.to_string(), MAX_MESSAGE_CHARS)),
        K::Type { .. } => "the answer is not of the type the question asks for (number, text, date…)".to_string(),
        K::Format { format } => format!("the answer is not in the {format} format"),
        K::MaxLength { limit } => format!("the text may have at most {limit} characters"),
        K::MinLength { limit } => format!("the text must have at least {limit} characters"),
        K::MaxItems { limit } => format!("there may be at most {limit} items"),
        K::MinItems { limit } => format!("there must be at least {limit} items"),
        K::UniqueItems => "an option appears more than once".to_string(),
        K::Pattern { pattern } => format!("the answer does not match the pattern {}", clip(pattern, MAX_MESSAGE_CHARS)),
        K::Required { property } => format!("the required answer {} is missing", clip(&property.to_string(), MAX_MESSAGE_CHARS)),
        K::AdditionalProperties { unexpected } => format!("answers to questions the form does not have: {}", clip(&unexpected.join(", "), MAX_MESSAGE_CHARS)),
        K::MultipleOf { multiple_of } => format!("the value must be a multiple of {multiple_of}"),
        _ => return None,
    })
}

/// The message an enumerator reads, in Spanish, for the schema rules forms use.
fn spanish(kind: &jsonschema::error::ValidationErrorKind) -> Option<String> {
    use jsonschema::error::ValidationErrorKind as K;
    Some(match kind {
        K::Minimum { limit } => format!("El valor debe ser {limit} o más"),
        K::Maximum { limit } => format!("El valor debe ser {limit} o menos"),
        K::ExclusiveMinimum { limit } => format!("El valor debe ser mayor que {limit}"),
        K::ExclusiveMaximum { limit } => format!("El valor debe ser menor que {limit}"),
        K::Enum { .. } => "Elija una de las opciones de la lista".to_string(),
        K::Constant { expected_value } => format!("El valor debe ser {}", clip(&expected_value.to_string(), MAX_MESSAGE_CHARS)),
        K::Type { .. } => "La respuesta no es del tipo que pide la pregunta (número, texto, fecha…)".to_string(),
        K::Format { format } if format == "date" => "Escriba una fecha válida (AAAA-MM-DD)".to_string(),
        K::Format { format } => format!("La respuesta no tiene el formato {format}"),
        K::MaxLength { limit } => format!("El texto puede tener como máximo {limit} caracteres"),
        K::MinLength { limit } => format!("El texto debe tener al menos {limit} caracteres"),
        K::MaxItems { limit } => format!("Puede haber como máximo {limit} elementos"),
        K::MinItems { limit } => format!("Debe haber al menos {limit} elementos"),
        K::UniqueItems => "Una opción aparece más de una vez".to_string(),
        K::Pattern { .. } => "La respuesta no tiene el formato esperado".to_string(),
        K::Required { property } => format!("Falta la respuesta obligatoria {}", clip(&property.to_string(), MAX_MESSAGE_CHARS)),
        K::AdditionalProperties { unexpected } => format!("Respuestas a preguntas que el formulario no tiene: {}", clip(&unexpected.join(", "), MAX_MESSAGE_CHARS)),
        K::MultipleOf { .. } => "El valor no respeta el paso permitido".to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, answers: Value) -> Vec<String> {
        match FormValidator::compile(&schema).unwrap().validate(&answers) {
            Ok(()) => vec![],
            Err(errors) => errors.into_iter().map(|e| e.path).collect(),
        }
    }

    #[test]
    fn every_error_comes_with_its_pointer() {
        let schema = json!({"type": "object", "properties": {
            "edad": {"type": "integer", "minimum": 18},
            "g": {"type": "object", "properties": {"fecha": {"type": "string", "format": "date"}}}
        }});
        assert_eq!(check(schema.clone(), json!({"edad": 20, "g": {"fecha": "2017-08-01"}})), Vec::<String>::new());
        let mut paths = check(schema, json!({"edad": 3, "g": {"fecha": "ayer"}}));
        paths.sort();
        assert_eq!(paths, vec!["/edad", "/g/fecha"]);
    }

    #[test]
    fn enumerators_read_the_errors_in_spanish() {
        let schema = json!({"type": "object", "properties": {"edad": {"type": "integer", "minimum": 18}, "fecha": {"type": "string", "format": "date"}}});
        let errors = FormValidator::compile(&schema).unwrap().validate(&json!({"edad": 7, "fecha": "ayer"})).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.contains(&"El valor debe ser 18 o más"), "{messages:?}");
        assert!(messages.contains(&"Escriba una fecha válida (AAAA-MM-DD)"), "{messages:?}");
        assert!(errors.iter().all(|e| e.message_en.starts_with("Invalid answer: ")));
    }

    #[test]
    fn a_huge_answer_is_not_echoed_in_its_error() {
        let schema = json!({"type": "object", "properties": {"otro": {"type": "string", "maxLength": 200}, "n": {"type": "integer"}}});
        let huge = "x".repeat(1_000_000);
        let errors = FormValidator::compile(&schema).unwrap().validate(&json!({"otro": huge, "n": huge})).unwrap_err();
        assert_eq!(errors.len(), 2);
        for e in &errors {
            assert!(e.message.len() + e.message_en.len() < 400, "{e:?}");
        }
    }

    #[test]
    fn remote_refs_are_never_fetched() {
        let schema = json!({"$ref": "http://127.0.0.1:9/evil.json"});
        assert!(FormValidator::compile(&schema).is_err());
        let schema = json!({"$ref": "file:///etc/passwd"});
        assert!(FormValidator::compile(&schema).is_err());
    }
}
