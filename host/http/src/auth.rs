//! Who is asking and what they may do.
//!
//! Every request carries a bearer token; only its sha256 is stored. A token is either an API
//! token (`campo token create`: its own role, optionally one study and one team) or a sign-in
//! session (`POST /api/v1/session`: the person's memberships, read on every request, so a
//! change of role or a deactivation applies to the next request). Tokens of a deactivated person,
//! revoked tokens and expired sessions are refused like unknown ones.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{AppState, error::ApiError};
use campo_domain::{Role, StudyId, TeamId};
use campo_manage::credentials::token_hash;
use campo_store::{PersonRef, audit::Actor, management::Membership};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: i64,
    /// A sign-in session (not an API token).
    session: bool,
    pub person: Option<PersonRef>,
    /// The name stored with what this caller does: the person's username, else the token's label.
    pub name: String,
    access: Access,
}

#[derive(Debug, Clone)]
enum Access {
    Admin,
    Grants(Vec<Grant>),
}

/// One role the caller holds: in one study (or every study, for an API token not limited to
/// one), optionally limited to one team.
#[derive(Debug, Clone)]
struct Grant {
    study: Option<StudyId>,
    role: Role,
    team: Option<TeamId>,
}

/// One role the caller holds, as `/api/v1/me` shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RoleView {
    /// `None`: every study (admins, and API tokens not limited to one).
    #[schema(value_type = Option<String>)]
    pub study: Option<StudyId>,
    pub role: Role,
    #[schema(value_type = Option<String>)]
    pub team: Option<TeamId>,
}

/// What an allowed caller may see in one study.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyAccess {
    /// The role that allowed the request (`Admin` for admins).
    pub role: Role,
    /// Limited to this team's responses and cases.
    pub team: Option<TeamId>,
}

impl StudyAccess {
    pub fn team(&self) -> Option<&str> {
        self.team.as_ref().map(TeamId::as_str)
    }
    /// Whether a response of `team` is within reach.
    pub fn covers(&self, team: Option<&str>) -> bool {
        self.team.as_ref().is_none_or(|own| team == Some(own.as_str()))
    }
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor { name: self.name.clone(), person_id: self.person.as_ref().map(|p| p.id), token_id: Some(self.token_id) }
    }

    /// Whether the token is a sign-in session rather than an API token.
    pub fn is_session(&self) -> bool {
        self.session
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.access, Access::Admin)
    }

    fn grants(&self) -> &[Grant] {
        match &self.access {
            Access::Admin => &[],
            Access::Grants(g) => g,
        }
    }

    /// Allows a caller holding one of `roles` anywhere (admin always), else 403. For routes
    /// that belong to no study (the plugin registry).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || self.grants().iter().any(|g| roles.contains(&g.role)) {
            Ok(())
        } else {
            Err(denied(roles))
        }
    }

    /// Admins only, else 403.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(&[])
    }

    /// Allows a caller holding one of `roles` in `study` (admin always), else 403; says which
    /// team they are limited to.
    pub fn allow(&self, study: &StudyId, roles: &[Role]) -> Result<StudyAccess, ApiError> {
        if self.is_admin() {
            return Ok(StudyAccess { role: Role::Admin, team: None });
        }
        let in_study: Vec<&Grant> = self.grants().iter().filter(|g| g.study.as_ref().is_none_or(|s| s == study)).collect();
        if in_study.is_empty() {
            return Err(ApiError::forbidden_because(
                format!("No tiene acceso al estudio {study}"),
                format!("You have no access to study {study}"),
            ));
        }
        in_study
            .into_iter()
            .find(|g| roles.contains(&g.role))
            .map(|g| StudyAccess { role: g.role, team: g.team.clone() })
            .ok_or_else(|| denied(roles))
    }

    /// What the caller may do, for the apps to show the right things (`/api/v1/me`).
    pub fn roles(&self) -> Vec<RoleView> {
        match &self.access {
            Access::Admin => vec![RoleView { study: None, role: Role::Admin, team: None }],
            Access::Grants(grants) => {
                grants.iter().map(|g| RoleView { study: g.study.clone(), role: g.role, team: g.team.clone() }).collect()
            }
        }
    }

    /// Whether the caller has any role in `study`.
    pub fn can_see(&self, study: &StudyId) -> bool {
        self.is_admin() || self.grants().iter().any(|g| g.study.as_ref().is_none_or(|s| s == study))
    }
}

fn denied(roles: &[Role]) -> ApiError {
    let names: Vec<&str> = std::iter::once("admin").chain(roles.iter().map(|r| r.as_str())).collect();
    ApiError::forbidden_because(
        format!("Su rol no permite esta acción (permitido para: {})", names.join(", ")),
        format!("Your role does not allow this (allowed for: {})", names.join(", ")),
    )
}

/// The cookie a password sign-in also sets, for the pages a browser opens by navigating (the
/// dashboard), where no `Authorization` header can be added. Only page routes read it
/// ([`PagePrincipal`]); the API takes the header alone, so a cookie cannot make a browser
/// change anything on someone's behalf.
pub const SESSION_COOKIE: &str = "campo_session";

fn bearer(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim).filter(|t| !t.is_empty())
}

fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The caller of a page route: the bearer header, else the session cookie.
pub struct PagePrincipal(pub Principal);

impl FromRequestParts<AppState> for PagePrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).or_else(|| session_cookie(parts)).ok_or_else(ApiError::unauthorized)?;
        Ok(PagePrincipal(Principal::authenticate(state, token).await?))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        Principal::authenticate(state, token).await
    }
}

impl Principal {
    /// The live token's principal, or 401.
    async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
        let store = &state.app.store;
        let record = store.token_by_hash(&token_hash(token)).await?.ok_or_else(ApiError::unauthorized)?;
        let name = record.person.as_ref().map(|p| p.username.clone()).unwrap_or_else(|| record.label.clone());
        let is_admin = record.role == Some(Role::Admin) || (record.role.is_none() && record.person.as_ref().is_some_and(|p| p.is_admin));
        let access = if is_admin {
            Access::Admin
        } else {
            match (record.role, &record.person) {
                (Some(role), _) => Access::Grants(vec![Grant { study: record.study, role, team: record.team }]),
                (None, Some(person)) => Access::Grants(store.memberships(person.id).await?.into_iter().map(Grant::from).collect()),
                (None, None) => return Err(ApiError::unauthorized()),
            }
        };
        Ok(Principal { token_id: record.id, session: record.role.is_none(), person: record.person, name, access })
    }
}

impl From<Membership> for Grant {
    fn from(m: Membership) -> Grant {
        Grant { study: Some(m.study), role: m.role, team: m.team }
    }
}
