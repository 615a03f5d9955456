//! Exports for analysts, streamed from the database; codebooks; re-scoring.

use std::sync::Arc;

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{AppState, JsonBody, auth::Principal, error::{ApiError, ErrorBody}, submissions::parse_form};
use campo_domain::{PluginHash, ReviewState, Role};
use campo_export::{self as export, ExportError, ExportOptions, Format, Lang, codebook};
use campo_pipeline::rescore::{self, RescoreError};
use campo_store::audit::AuditEvent;

use crate::views::{FeedPage, RescoreJob};

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> ApiError {
        match e {
            ExportError::UnknownForm(f) => ApiError::not_found(format!("form {f}")),
            ExportError::UnknownVersion { form, version } => ApiError::not_found(format!("version {version} of {form}")),
            ExportError::BadOption { es, en } => ApiError::bad_request("invalid_option", es, en),
            ExportError::Store(s) => s.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<RescoreError> for ApiError {
    fn from(e: RescoreError) -> ApiError {
        match e {
            RescoreError::UnknownForm(f) => ApiError::not_found(format!("form {f}")),
            RescoreError::UnknownPlugin(p) => ApiError::not_found(format!("plugin {p}")),
            RescoreError::Incompatible { .. } => {
                let en = e.to_string();
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "plugin_incompatible", format!("El complemento no sirve para este formulario: {en}"), en)
            }
            RescoreError::Store(s) => s.into(),
        }
    }
}

/// Export options, as query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// One version only; all versions (with a `form_version` column) when absent.
    version: Option<String>,
    /// Received on or after: `YYYY-MM-DD` or an RFC 3339 instant.
    from: Option<String>,
    /// Received on or before `YYYY-MM-DD` (inclusive), or before an RFC 3339 instant.
    to: Option<String>,
    /// Only this enumerator's responses (the label stored with each).
    enumerator: Option<String>,
    /// Only responses in this review state: `received`, `approved`, `has_issues` or `rejected`.
    #[param(pattern = "^(received|approved|has_issues|rejected)?$")]
    review: Option<String>,
    /// `es` or `en`: headers and values as labels instead of codes.
    #[param(pattern = "^(es|en)?$")]
    labels: Option<String>,
    /// `1`: a UTF-8 byte order mark at the start of each CSV (for Excel).
    bom: Option<String>,
    /// `1`: text starting with `=`, `+`, `-` or `@` gets a leading `'`.
    neutralise: Option<String>,
    /// Joins group paths in column names (default `/`).
    #[param(min_length = 1)]
    sep: Option<String>,
    /// `auto` (CSV, or ZIP when the form has repeat groups), `csv` (main table only), `zip`,
    /// or an analyst format with labels: `dta` (Stata 14+), `sav` (SPSS), `xlsx` (one workbook,
    /// a sheet per table and a codebook sheet) or `parquet`. A `dta`, `sav` or `parquet` export
    /// of a form with repeat groups is a ZIP of one file per table (joined by `KEY`/`PARENT_KEY`)
    /// with `codebook.csv` (and for Stata and SPSS `variables.csv`: each column's name in the
    /// files and the integer code of each choice). With these formats `labels` picks the
    /// language of variable and value labels (Spanish by default) and cells keep the codes.
    #[param(pattern = "^(auto|csv|zip|dta|sav|xlsx|parquet)?$")]
    format: Option<String>,
    /// `0`: ZIP entries stored uncompressed.
    compress: Option<String>,
}

fn flag(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true" | "yes"))
}

impl ExportQuery {
    fn options(self) -> Result<ExportOptions, ApiError> {
        let labels = match self.labels.as_deref() {
            None | Some("") => None,
            Some(l) => Some(Lang::parse(l).ok_or_else(|| ApiError::bad_option("labels", l, "es, en"))?),
        };
        let format = match self.format.as_deref() {
            None | Some("") => Format::Auto,
            Some(f) => Format::parse(f).ok_or_else(|| ApiError::bad_option("format", f, "auto, csv, zip, dta, sav, xlsx, parquet"))?,
        };
        let review = match self.review.as_deref() {
            None | Some("") => None,
            Some(r) => Some(ReviewState::parse(r).ok_or_else(|| {
                ApiError::bad_option("review", r, "received, approved, has_issues, rejected")
            })?),
        };
        Ok(ExportOptions {
            review,
            team: None,
            version: self.version.filter(|v| !v.is_empty()),
            from: self.from.filter(|v| !v.is_empty()),
            to: self.to.filter(|v| !v.is_empty()),
            enumerator: self.enumerator.filter(|v| !v.is_empty()),
            labels,
            bom: flag(&self.bom),
            neutralise: flag(&self.neutralise),
            separator: self.sep.unwrap_or_else(|| "/".into()),
            format,
            store_uncompressed: matches!(self.compress.as_deref(), Some("0" | "false" | "no")),
        })
    }
}

/// A form's responses for analysts: CSV (UTF-8, RFC 4180), or with `format` Stata, SPSS, Excel
/// or Parquet. The CSV: metadata columns, then one column per
/// answer (group paths joined with `/`, a multiple choice as its codes plus one 0/1 column per
/// option), then `score/<name>` columns. A form with repeat groups exports as a ZIP: the main
/// table (ending with `KEY`), one CSV per repeat group (`PARENT_KEY`, `KEY`) and `codebook.csv`.
/// Streamed: the first byte leaves before any response is read.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/export.csv", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path), ExportQuery),
    responses((status = 200, description = "A CSV (forms without repeat groups, or format=csv); a ZIP of tables (forms with repeat groups: CSV, dta, sav or parquet); \
format=dta: Stata 118 with variable and value labels; format=sav: SPSS with variable labels, value labels and measurement levels; \
format=xlsx: a sheet per table and a codebook sheet; format=parquet: typed columns, labels in the key-value metadata `campo.labels`",
               content((String = "text/csv"), (Vec<u8> = "application/zip"), (Vec<u8> = "application/x-stata-dta"), (Vec<u8> = "application/x-spss-sav"),
                       (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/vnd.apache.parquet"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_csv(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Analyst, Role::Supervisor])?;
    let mut options = query.options()?;
    // A caller limited to a team exports only that team's responses.
    options.team = access.team().map(str::to_string);
    let audit = AuditEvent::new(
        &principal.actor(),
        "export.csv",
        Some(study.as_str()),
        Some(form.as_str()),
        serde_json::json!({"version": options.version, "from": options.from, "to": options.to, "enumerator": options.enumerator,
            "team": options.team, "review": options.review.map(|r| r.as_str())}),
    );
    let prepared = export::prepare(&state.app.store, &study, &form, options).await?;
    state.app.store.audit(&[audit]).await?;
    tracing::info!(%study, %form, by = %principal.name, zipped = prepared.zipped, "export started");
    let (content_type, filename) = (prepared.content_type(), prepared.file_name());
    let stream = export::stream(state.app.store.clone(), prepared);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The incremental feed's query: a page after a cursor, with the export's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next` of the previous page; from the first response when absent.
    #[param(pattern = "^[0-9]{0,18}$")]
    after: Option<String>,
    /// Responses per page: 1 to 1000, 100 when absent.
    #[param(pattern = "^([1-9][0-9]{0,2}|1000)?$")]
    limit: Option<String>,
    /// One version only.
    version: Option<String>,
    /// Received on or after: `YYYY-MM-DD` or an RFC 3339 instant.
    from: Option<String>,
    /// Received on or before `YYYY-MM-DD` (inclusive), or before an RFC 3339 instant.
    to: Option<String>,
    /// Only this enumerator's responses.
    enumerator: Option<String>,
    /// Only responses in this review state.
    #[param(pattern = "^(received|approved|has_issues|rejected)?$")]
    review: Option<String>,
}

/// The form's responses as JSON pages in stored order, for pipelines (R, Python, Power BI) that
/// pull only what is new: pass a page's `next` as `after` for the next page; `next` is null on
/// the last page. Each response carries its own `cursor`: keep the last one read and pass it as
/// `after` later to get only what arrived since. The same filters and team limits as the export.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/submissions", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path), FeedQuery),
    responses((status = 200, body = FeedPage),
              (status = 400, body = ErrorBody, description = "A cursor or limit this feed does not accept, or a bad filter"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn feed(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    Query(query): Query<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    let access = principal.allow(&study, &[Role::Analyst, Role::Supervisor])?;
    let FeedQuery { after, limit, version, from, to, enumerator, review } = query;
    let mut options = ExportQuery { version, from, to, enumerator, review, ..ExportQuery::default() }.options()?;
    options.team = access.team().map(str::to_string);
    let page = export::feed(&state.app.store, &study, &form, &options, after.as_deref(), limit.as_deref()).await?;
    if after.as_deref().is_none_or(str::is_empty) {
        // The first page is audited as an export; the pages after it continue the same read.
        let audit = AuditEvent::new(
            &principal.actor(),
            "export.feed",
            Some(study.as_str()),
            Some(form.as_str()),
            serde_json::json!({"version": options.version, "from": options.from, "to": options.to, "enumerator": options.enumerator,
                "team": options.team, "review": options.review.map(|r| r.as_str())}),
        );
        state.app.store.audit(&[audit]).await?;
    }
    Ok(Json(FeedPage::from(page)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodebookQuery {
    /// One version; every version when absent.
    version: Option<String>,
    /// Joins group paths in variable names (default `/`).
    #[param(min_length = 1)]
    sep: Option<String>,
}

async fn codebooks(state: &AppState, principal: &Principal, study: &str, form: &str, query: CodebookQuery) -> Result<(campo_domain::StudyId, campo_domain::FormId, Vec<codebook::VersionCodebook>), ApiError> {
    let (study, form) = parse_form(study, form)?;
    principal.allow(&study, &[Role::Analyst, Role::Designer, Role::Supervisor])?;
    if query.sep.as_deref() == Some("") {
        return Err(ApiError::bad_request("invalid_option", "sep= no puede estar vacío: use un separador como / o _", "sep= must not be empty: use a separator such as / or _"));
    }
    let versions: Vec<_> = state
        .app
        .store
        .form_versions(&study, &form)
        .await?
        .into_iter()
        .filter(|v| query.version.as_ref().is_none_or(|x| x == &v.version))
        .collect();
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("form {study}/{form}{}", query.version.map(|v| format!(" version {v}")).unwrap_or_default())));
    }
    let books = codebook::build(&state.app.store, &study, &form, &versions, query.sep.as_deref().unwrap_or("/")).await?;
    Ok((study, form, books))
}

/// The form's codebook as CSV: one row per variable per version (table file, variable, type,
/// Spanish and English label, choices, and for scores the plugin and hash that produced them).
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/codebook.csv", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path), CodebookQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn codebook_csv(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    Query(query): Query<CodebookQuery>,
) -> Result<Response, ApiError> {
    let (study, form, books) = codebooks(&state, &principal, &study, &form, query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{study}-{form}-codebook.csv\"")),
        ],
        codebook::to_csv(&books),
    )
        .into_response())
}

/// The form's codebook as a readable HTML page.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/codebook.html", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path), CodebookQuery),
    responses((status = 200, content_type = "text/html", body = String),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn codebook_html(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    Query(query): Query<CodebookQuery>,
) -> Result<Response, ApiError> {
    let (study, form, books) = codebooks(&state, &principal, &study, &form, query).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], codebook::to_html(&study, &form, &books)).into_response())
}

/// What to re-score with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescoreRequest {
    /// sha256 of a stored scoring plugin (64 lowercase hex digits, `sha256:` in front or not).
    #[schema(pattern = "^(sha256:)?[0-9a-f]{64}$")]
    pub plugin: String,
    /// Only this version's responses; every version when absent.
    #[serde(default)]
    pub version: Option<String>,
}

/// Re-scores every stored response of the form with a stored scoring plugin, in batches, in the
/// background. Starting it again with the same plugin resumes an interrupted job. Each score
/// keeps the hash of the plugin that produced it; exports and codebooks say which.
#[utoipa::path(post, path = "/api/v1/studies/{study}/forms/{form}/rescore", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path)),
    request_body = RescoreRequest,
    responses((status = 202, body = RescoreJob, description = "Started or resumed; poll the job"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "The plugin cannot score this form")),
    security(("bearer" = [])))]
pub async fn start_rescore(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form)): Path<(String, String)>,
    JsonBody(request): JsonBody<RescoreRequest>,
) -> Result<(StatusCode, Json<RescoreJob>), ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    principal.allow(&study, &[Role::Designer])?;
    let plugin = PluginHash::parse(request.plugin.strip_prefix("sha256:").unwrap_or(&request.plugin))
        .map_err(|_| ApiError::bad_request("invalid_option", format!("«{}» no es un sha256 de complemento", campo_domain::clip(&request.plugin, 100)), format!("plugin {:?} is not a sha256", campo_domain::clip(&request.plugin, 100))))?;
    let started = rescore::start(&state.app, &study, &form, request.version.as_deref(), &plugin, &principal.actor()).await?;
    let job = started.job.clone();
    tracing::info!(%study, %form, plugin = %plugin.short(), job = job.id, resumed = started.resumed, by = %principal.name, "re-scoring started");
    let app = Arc::clone(&state.app);
    tokio::spawn(async move {
        if let Err(e) = rescore::run(&app, started.job, rescore::DEFAULT_BATCH, None, &ignore_progress).await {
            tracing::warn!(error = %e, "re-scoring stopped");
        }
    });
    Ok((StatusCode::ACCEPTED, Json(job.into())))
}

fn ignore_progress(_: &campo_store::rescore_jobs::RescoreJob) {}

/// A re-scoring job's progress.
#[utoipa::path(get, path = "/api/v1/studies/{study}/forms/{form}/rescore/{job}", tag = "exports",
    params(("study" = String, Path), ("form" = String, Path), ("job" = i64, Path)),
    responses((status = 200, body = RescoreJob), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rescore_status(
    State(state): State<AppState>,
    principal: Principal,
    Path((study, form, job)): Path<(String, String, i64)>,
) -> Result<Json<RescoreJob>, ApiError> {
    let (study, form) = parse_form(&study, &form)?;
    principal.allow(&study, &[Role::Designer, Role::Analyst])?;
    let found = state.app.store.rescore_job(job).await?.filter(|j| j.study == study && j.form == form);
    found.map(|j| Json(j.into())).ok_or_else(|| ApiError::not_found(format!("re-scoring job {job} of {study}/{form}")))
}
