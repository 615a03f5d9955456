//! The audit log for admins: JSON pages, or the whole (filtered) log as CSV.

use axum::{
    Json,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{AppState, auth::Principal, error::{ApiError, ErrorBody}};
use crate::views::{AuditEntry, AuditPage};

/// The largest page.
const MAX_PAGE: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this study's entries.
    study: Option<String>,
    /// Entries after this `seq` (from the previous page's `next_after`).
    after: Option<i64>,
    /// Entries per page (default 100, at most 1000).
    limit: Option<i64>,
    /// `csv`: every matching entry as CSV (no paging); `json` (the default) a page.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// The audit log (admins only): every change and export, who did it, when, through which
/// token, each entry chained to the one before by its hash. Paged by `seq`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of entries (JSON), or with format=csv every entry as CSV",
               content((AuditPage = "application/json"), (String = "text/csv"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_log(State(state): State<AppState>, principal: Principal, Query(query): Query<AuditQuery>) -> Result<Response, ApiError> {
    principal.require_admin()?;
    let study = query.study.as_deref().filter(|s| !s.is_empty());
    let after = query.after.unwrap_or(0).max(0);
    match query.format.as_deref() {
        Some("csv") => {
            let mut out = csv::Writer::from_writer(Vec::new());
            let write = |out: &mut csv::Writer<Vec<u8>>, e: &AuditEntry| {
                out.write_record([
                    e.seq.to_string(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.person_id.map(|p| p.to_string()).unwrap_or_default(),
                    e.token_id.map(|t| t.to_string()).unwrap_or_default(),
                    e.action.clone(),
                    e.study.clone().unwrap_or_default(),
                    e.target.clone().unwrap_or_default(),
                    e.details.clone(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ])
            };
            out.write_record(["seq", "at", "actor", "person_id", "token_id", "action", "study", "target", "details", "prev_hash", "hash"])
                .map_err(ApiError::internal)?;
            let mut cursor = after;
            loop {
                let page = state.app.store.audit_page(study, cursor, MAX_PAGE).await?;
                for e in page.entries {
                    write(&mut out, &e.into()).map_err(ApiError::internal)?;
                }
                match page.next_after {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            let bytes = out.into_inner().map_err(ApiError::internal)?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\"")], bytes)
                .into_response())
        }
        None | Some("" | "json") => {
            let limit = query.limit.unwrap_or(100).clamp(1, MAX_PAGE);
            Ok(Json(state.app.store.audit_page(study, after, limit).await?).into_response())
        }
        Some(other) => Err(ApiError::bad_option("format", other, "json, csv")),
    }
}
