//! Sign-in for the web apps: a username and password for a session token that expires.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
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

/// Signs in with a username and password (argon2id). Repeated failures for a name (known or
/// not) are slowed down: after three, each attempt waits longer (429 with `Retry-After`); a
/// client address that tries too often also waits (429), and a server checking too many
/// passwords at once answers 503 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/session", tag = "people",
    request_body(content = SignInRequest, content_type = "application/json"),
    responses((status = 201, body = SessionCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody, description = "Too many attempts: wait Retry-After seconds"),
              (status = 503, body = ErrorBody, description = "Too many sign-ins being checked: retry after Retry-After seconds")))]
pub async fn sign_in(State(state): State<AppState>, client: ClientAddress, JsonBody(request): JsonBody<SignInRequest>) -> Result<Response, ApiError> {
    if let Some(address) = client.0 {
        if state.sign_in_limiter.len() > 10_000 {
            state.sign_in_limiter.retain_recent();
        }
        if let Err(not_until) = state.sign_in_limiter.check_key(&address) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let secs = wait.as_secs().max(1);
            tracing::warn!(%address, "sign-in rate limit for this address");
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("Demasiados intentos desde esta dirección; espere {secs} s"),
                format!("Too many attempts from this address; wait {secs} s"),
            )
            .retry_after(secs));
        }
    }
    match people::sign_in(&state.app.store, &state.sign_in_guard, request.user.trim(), &request.password).await {
        Ok(session) => {
            tracing::info!(user = %session.username, "signed in");
            let cookie = session_cookie(&session.token, people::SESSION_HOURS * 3600, state.config.secure_cookies());
            let body = SessionCreated { token: session.token, expires_at: session.expires_at, user: session.username };
            Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(body)).into_response())
        }
        Err(SignInError::Refused) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign_in_refused",
            "Usuario o contraseña incorrectos",
            "Wrong username or password",
        )),
        Err(SignInError::Throttled { retry_after_secs }) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("Demasiados intentos fallidos; espere {retry_after_secs} s"),
            format!("Too many failed attempts; wait {retry_after_secs} s"),
        )
        .retry_after(retry_after_secs.max(1) as u64)),
        Err(SignInError::Busy) => {
            tracing::warn!("sign-in: too many password checks at once");
            Err(ApiError::busy_signing_in())
        }
        Err(SignInError::Store(e)) => Err(e.into()),
    }
}

/// Signs out: ends the sign-in session of this request. Only sessions sign out: an API token
/// (from `campo token create`) is not a session, so this answers 409 and the token stays valid;
/// tokens are revoked with `campo token revoke`.
#[utoipa::path(delete, path = "/api/v1/session", tag = "people",
    responses((status = 204, description = "The session is over"), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "The bearer token is an API token, not a sign-in session")),
    security(("bearer" = [])))]
pub async fn sign_out(State(state): State<AppState>, principal: Principal) -> Result<Response, ApiError> {
    if !principal.is_session() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_a_session",
            "Este token es un token de API, no una sesión: no se cierra aquí (se revoca con campo token revoke)",
            "This token is an API token, not a sign-in session: it is not signed out here (revoke it with campo token revoke)",
        ));
    }
    state.app.store.revoke_token(principal.token_id, &principal.actor()).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie("", 0, state.config.secure_cookies()))]).into_response())
}

/// The page-session cookie (see `auth::SESSION_COOKIE`): HttpOnly, sent only to `/studies/…`
/// pages, never cross-site, and only over HTTPS when Campo's public address is HTTPS.
fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{}={token}; Path=/studies; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}", super::auth::SESSION_COOKIE)
}

/// The address of the client at the other end of the connection (`None` when the server was
/// not started with connection info, as in-process tests do).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(info.map(|c| c.0.ip())))
    }
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
