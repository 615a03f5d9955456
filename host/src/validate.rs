//! JSON Schema validation of answers: each form version's schema is compiled once and shared.
//!
//! The `jsonschema` crate is built without its default features, so a `$ref` in a form's
//! schema can never make the server fetch a URL or read a file, and `pattern`s run on the
//! linear-time `regex` engine so a designer's regex cannot stall a submission.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One problem with a response, attached to the answer it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON Pointer into `answers` (`""` for the whole response).
    pub path: String,
    /// A stable code (`schema`, `not_relevant`, `required`, or the logic plugin's own code).
    pub code: String,
    /// The message in Spanish (Campo's first language).
    pub message: String,
    /// The message in English.
    pub message_en: String,
}

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
                let message = e.to_string();
                FieldError {
                    path: e.instance_path().as_str().to_string(),
                    code: "schema".into(),
                    message: format!("Respuesta no válida: {message}"),
                    message_en: format!("Invalid answer: {message}"),
                }
            })
            .collect();
        Err(errors)
    }
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
    fn remote_refs_are_never_fetched() {
        let schema = json!({"$ref": "http://127.0.0.1:9/evil.json"});
        assert!(FormValidator::compile(&schema).is_err());
        let schema = json!({"$ref": "file:///etc/passwd"});
        assert!(FormValidator::compile(&schema).is_err());
    }
}
