//! Sign-in for the web apps: a username and password for a session token that expires.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppState, JsonBody,
    auth::{Principal, RoleView},
    error::{ApiError, ErrorBody},
};
use campo_manage::people::{self, SignInError};

use crate::views::Membership;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub user: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    /// The bearer token for this session (shown once).
    pub token: String,
    /// RFC 3339 UTC; after it, sign in again.
    pub expires_at: String,
    pub user: String,
}

/// Who the caller is and what they may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub name: String,
    pub admin: bool,
    /// The person's memberships (sign-in sessions and tokens that belong to a person).
    pub memberships: Vec<Membership>,
    /// What this token may do: the memberships for a session, the token's own role otherwise.
    pub roles: Vec<RoleView>,
}

/// Signs in with a username and password (argon2id). Repeated failures are slowed down: after
/// a few, each attempt waits longer (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/session", tag = "people",
    request_body = SignInRequest,
    responses((status = 201, body = SessionCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "Too many failures: wait Retry-After seconds")))]
pub async fn sign_in(State(state): State<AppState>, JsonBody(request): JsonBody<SignInRequest>) -> Result<Response, ApiError> {
    match people::sign_in(&state.app.store, request.user.trim(), &request.password).await {
        Ok(session) => {
            tracing::info!(user = %session.username, "signed in");
            let cookie = session_cookie(&session.token, people::SESSION_HOURS * 3600);
            let body = SessionCreated { token: session.token, expires_at: session.expires_at, user: session.username };
            Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(body)).into_response())
        }
        Err(SignInError::Refused) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign_in_refused",
            "Usuario o contraseña incorrectos",
            "Wrong username or password",
        )),
        Err(SignInError::Throttled { retry_after_secs }) => {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("Demasiados intentos fallidos; espere {retry_after_secs} s"),
                format!("Too many failed attempts; wait {retry_after_secs} s"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(response)
        }
        Err(SignInError::Store(e)) => Err(e.into()),
    }
}

/// Signs out: revokes the token of this request.
#[utoipa::path(delete, path = "/api/v1/session", tag = "people",
    responses((status = 204), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sign_out(State(state): State<AppState>, principal: Principal) -> Result<Response, ApiError> {
    state.app.store.revoke_token(principal.token_id, &principal.actor()).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie("", 0))]).into_response())
}

/// The page-session cookie (see `auth::SESSION_COOKIE`): HttpOnly, sent only to `/studies/…`
/// pages, never cross-site.
fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!("{}={token}; Path=/studies; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}", super::auth::SESSION_COOKIE)
}

/// The caller: name, admin or not, memberships.
#[utoipa::path(get, path = "/api/v1/me", tag = "people",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, principal: Principal) -> Result<Json<Me>, ApiError> {
    let memberships = match &principal.person {
        Some(p) => state.app.store.memberships(p.id).await?,
        None => Vec::new(),
    };
    Ok(Json(Me {
        name: principal.name.clone(),
        admin: principal.is_admin(),
        memberships: memberships.into_iter().map(Into::into).collect(),
        roles: principal.roles(),
    }))
}
