//! The shape of a problem with a response, wherever it was found (schema, logic plugin, server).

use serde::Serialize;

/// One problem with a response, attached to the answer it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
