//! One error shape for the whole API: `{code, message, message_en, errors?}`, with a stable
//! machine-readable `code`, the message in Spanish first and English, and, for invalid
//! responses, every error with its JSON Pointer.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use campo_domain::FieldError;
use campo_pipeline::{InstallError, SubmitError, bundle::BundleError};
use campo_runtime::PluginError;
use campo_store::StoreError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable and machine-readable: `unauthorized`, `forbidden`, `not_found`, `malformed_json`,
    /// `invalid_body`, `body_too_large`, `conflict`, `invalid_response`, `invalid_bundle`,
    /// `plugin_*`, `database_unavailable` (503: retry later), `internal`.
    pub code: String,
    /// Spanish, Campo's first language.
    pub message: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For plugin errors: the sha256 of the plugin at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds, for `Retry-After` (every 503 and 429 has one).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, es: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody { code: code.into(), message: es.into(), message_en: en.into(), errors: None, plugin: None },
            retry_after: None,
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Falta un token válido (Authorization: Bearer …)",
            "A valid token is required (Authorization: Bearer …)",
        )
    }

    /// 403 with the reason in both languages.
    pub fn forbidden_because(es: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", es, en)
    }

    /// 422 for a request that is well-formed but asks for something that cannot be.
    pub fn unprocessable(code: &str, es: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, es, en)
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        let what = what.into();
        let what = campo_domain::clip(&what, 100);
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No existe: {what}"), format!("Not found: {what}"))
    }

    pub fn bad_request(code: &str, es: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, es, en)
    }

    /// 400 for a query parameter with a value the route does not take.
    pub fn bad_option(name: &str, value: &str, choices: &str) -> ApiError {
        let value = campo_domain::clip(value, 100);
        ApiError::bad_request(
            "invalid_option",
            format!("{name}={value} no es válido: use {choices}"),
            format!("{name}={value} is not valid: use {choices}"),
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Error interno del servidor; nada se guardó a medias",
            "Internal server error; nothing was half-stored",
        )
    }

    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_response",
            format!("La respuesta tiene {} error(es)", errors.len()),
            format!("The response has {} error(s)", errors.len()),
        );
        e.body.errors = Some(errors);
        e
    }

    /// 503: the server is too busy to handle this now; the same request later will be.
    pub fn busy() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "El servidor está ocupado; la respuesta no tiene errores: se reenviará sola en unos segundos (reenviar el mismo id es seguro)",
            "The server is busy; nothing is wrong with the response: retry in a few seconds (sending the same id again is safe)",
        )
        .retry_after(1)
    }

    /// 503: too many sign-ins are being checked at once.
    pub fn busy_signing_in() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "El servidor está revisando muchas contraseñas a la vez; intente de nuevo en unos segundos",
            "The server is checking many passwords at once; try again in a few seconds",
        )
        .retry_after(2)
    }

    /// Adds a `Retry-After` of `secs` seconds.
    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.body.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        let retry_after = self.retry_after.or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1));
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "El cuerpo de la solicitud supera el límite",
        "The request body is over the limit",
    )
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::VersionConflict { .. } => {
                let en = e.to_string();
                ApiError::new(StatusCode::CONFLICT, "version_conflict", format!("Conflicto de versión: {en}"), en)
            }
            unavailable if unavailable.is_unavailable() => {
                tracing::warn!(error = %unavailable, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "La base de datos no está disponible; reintente en unos segundos (reenviar el mismo id es seguro)",
                    "The database is unavailable; retry in a few seconds (sending the same id again is safe)",
                )
                .retry_after(2)
            }
            StoreError::Duplicate(what) => ApiError::new(
                StatusCode::CONFLICT,
                "duplicate",
                format!("Ya existe: {what}"),
                format!("Already exists: {what}"),
            ),
            StoreError::Concurrent(what) => ApiError::new(
                StatusCode::CONFLICT,
                "concurrent_change",
                format!("{what} cambió mientras se procesaba esta solicitud; vuelva a intentarlo"),
                format!("{what} changed while this request was being handled; try again"),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(e: PluginError) -> ApiError {
        if e.is_overload() {
            let mut busy = ApiError::busy();
            busy.body.plugin = Some(e.plugin().to_string());
            return busy;
        }
        let en = e.to_string();
        let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), format!("Error del complemento del formulario: {en}"), en);
        error.body.plugin = Some(e.plugin().to_string());
        error
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> ApiError {
        match e {
            SubmitError::UnknownForm { study, form } => ApiError::not_found(format!("form {study}/{form}")),
            SubmitError::UnknownVersion { study, form, version } => ApiError::not_found(format!("version {version} of {study}/{form}")),
            SubmitError::Conflict(id) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("La respuesta {id} ya se recibió con otro contenido"),
                format!("Submission {id} was already received with a different body"),
            ),
            SubmitError::Invalid(errors) => ApiError::invalid(errors),
            SubmitError::UnknownCase { study, case } => ApiError::unprocessable(
                "unknown_case",
                format!("El estudio {study} no tiene el caso «{case}»"),
                format!("Study {study} has no case \"{case}\""),
            ),
            SubmitError::CaseForm { case, expected, form } => ApiError::unprocessable(
                "case_form",
                format!("El caso «{case}» se responde con el formulario {expected}, no con {form}"),
                format!("Case \"{case}\" is answered with form {expected}, not {form}"),
            ),
            SubmitError::CaseTeam { case, case_team } => ApiError::forbidden_because(
                format!("El caso «{case}» es del equipo {case_team}, no del suyo"),
                format!("Case \"{case}\" belongs to team {case_team}, not yours"),
            ),
            SubmitError::Plugin(p) => p.into(),
            SubmitError::Busy(_) => ApiError::busy(),
            SubmitError::Store(s) => s.into(),
        }
    }
}

impl From<BundleError> for ApiError {
    fn from(e: BundleError) -> ApiError {
        let en = e.to_string();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_bundle", format!("El paquete del estudio no es válido: {en}"), en)
    }
}

impl From<InstallError> for ApiError {
    fn from(e: InstallError) -> ApiError {
        match e {
            InstallError::Bundle(b) => b.into(),
            InstallError::Store(s) => s.into(),
            InstallError::Plugin(p) => p.into(),
        }
    }
}
