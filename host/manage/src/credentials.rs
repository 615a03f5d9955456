//! The one place Campo mints and hashes secrets: API tokens and sign-in sessions (256 random
//! bits, stored as sha256) and passwords (argon2id). HTTP, sign-in and the CLI all call here.

use campo_domain::{Role, StudyId, TeamId, sha256_hex};
use campo_store::{NewToken, Store, StoreError, audit::Actor};
use rand::RngCore;

/// The stored form of a token. Tokens are 256 random bits, so a plain sha256 is enough (a
/// slow password hash protects low-entropy secrets; it would only slow every request here).
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A new random token secret: shown once, never stored.
pub fn new_secret() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    format!("campo_{}", hex::encode(secret))
}

/// What an API token may do.
#[derive(Debug, Clone, Default)]
pub struct TokenScope<'a> {
    pub study: Option<&'a StudyId>,
    pub team: Option<&'a TeamId>,
    pub label: Option<&'a str>,
    /// The person it belongs to.
    pub person_id: Option<i64>,
}

/// Creates an API token, stores its hash and returns `(id, secret)`.
pub async fn create_token(store: &Store, role: Role, scope: TokenScope<'_>, actor: &Actor) -> Result<(i64, String), StoreError> {
    let token = new_secret();
    let label = scope
        .label
        .map(str::to_string)
        .unwrap_or_else(|| format!("{role}{}", scope.study.map(|s| format!("@{s}")).unwrap_or_default()));
    let hash = token_hash(&token);
    let new = NewToken {
        hash: &hash,
        role: Some(role),
        study: scope.study,
        team: scope.team,
        label: &label,
        person_id: scope.person_id,
        expires_at: None,
    };
    let id = store.insert_token(&new, actor).await?;
    Ok((id, token))
}

/// A new sign-in session's secret and the hash to store.
pub(crate) fn new_session_secret() -> (String, String) {
    let token = new_secret();
    let hash = token_hash(&token);
    (token, hash)
}
