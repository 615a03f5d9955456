//! Who is asking: bearer tokens, stored only as sha256 hashes, checked on every request.

use axum::{extract::FromRequestParts, http::request::Parts};
use rand::RngCore;

use super::{AppState, error::ApiError};
use crate::{
    domain::{Role, StudyId, sha256_hex},
    store::{Store, StoreError},
};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: i64,
    pub role: Role,
    /// `Some` when the token is limited to one study.
    pub study: Option<StudyId>,
    pub label: String,
}

impl Principal {
    /// Allows the roles listed (admin always), else 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the {} role cannot do this", self.role)))
        }
    }

    /// Allows a caller with access to `study`, else 403.
    pub fn require_study(&self, study: &StudyId) -> Result<(), ApiError> {
        match &self.study {
            Some(own) if own != study => Err(ApiError::forbidden(format!("this token is limited to study {own}"))),
            _ => Ok(()),
        }
    }

    pub fn can_see(&self, study: &StudyId) -> bool {
        self.study.as_ref().is_none_or(|own| own == study)
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let record = state.app.store.token_by_hash(&token_hash(token)).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Principal { token_id: record.id, role: record.role, study: record.study, label: record.label })
    }
}

/// The stored form of a token. Tokens are 256 random bits, so a plain sha256 is enough (a
/// slow password hash protects low-entropy secrets; it would only slow every request here).
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// Creates a token, stores its hash and returns the secret (shown once, never stored).
pub async fn create_token(store: &Store, role: Role, study: Option<&StudyId>, label: Option<&str>) -> Result<(i64, String), StoreError> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("campo_{}", hex::encode(secret));
    let label = label.map(str::to_string).unwrap_or_else(|| format!("{role}{}", study.map(|s| format!("@{s}")).unwrap_or_default()));
    let id = store.insert_token(&token_hash(&token), role, study, &label).await?;
    Ok((id, token))
}
