//! The fieldwork dashboard: an HTML page (`/studies/{study}/dashboard`) and the same figures
//! as JSON. Supervisors, analysts and admins; a caller limited to a team sees that team's.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    AppState,
    auth::{PagePrincipal, Principal},
    error::{ApiError, ErrorBody},
    studies::parse_study,
};
use campo_domain::{Lang, Role};

use crate::views::Dashboard;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// `es` (default) or `en`.
    lang: Option<String>,
    /// `json`: the figures as JSON instead of the page.
    format: Option<String>,
}

async fn figures(state: &AppState, principal: &Principal, study: &str) -> Result<campo_dashboard::figures::Dashboard, ApiError> {
    let study = parse_study(study)?;
    let access = principal.allow(&study, &[Role::Supervisor, Role::Analyst])?;
    campo_dashboard::gather(&state.app.store, &study, access.team()).await?.ok_or_else(|| ApiError::not_found(format!("study {study}")))
}

/// The dashboard page: responses per day, enumerator and team; case progress; review backlog;
/// median interview duration; score histograms. SVG drawn by Campo, no scripts, readable at
/// 360 px. Takes the bearer token in the `Authorization` header, or the session cookie a
/// password sign-in sets (a browser following a link cannot add a header).
#[utoipa::path(get, path = "/studies/{study}/dashboard", tag = "dashboard",
    params(("study" = String, Path), DashboardQuery),
    responses((status = 200, description = "The page (HTML), or with format=json its figures",
               content((String = "text/html"), (Dashboard = "application/json"))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn page(
    State(state): State<AppState>,
    PagePrincipal(principal): PagePrincipal,
    Path(study): Path<String>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let figures = figures(&state, &principal, &study).await?;
    if query.format.as_deref() == Some("json") {
        return Ok(Json(Dashboard::from(figures)).into_response());
    }
    let html = campo_dashboard::page(&figures, Lang::from_query(query.lang.as_deref()));
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html).into_response())
}

/// The dashboard's figures as JSON.
#[utoipa::path(get, path = "/api/v1/studies/{study}/dashboard", tag = "dashboard",
    params(("study" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn figures_json(State(state): State<AppState>, principal: Principal, Path(study): Path<String>) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(figures(&state, &principal, &study).await?.into()))
}
