//! People and sign-in: passwords hashed with argon2id, sessions that expire, and a growing
//! delay after repeated failures.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

use campo_domain::{Timestamp, now_rfc3339, stored_timestamp};
use campo_store::{
    NewToken, Store, StoreError,
    audit::{Actor, AuditEvent},
};

use crate::{
    credentials,
    sign_in_guard::{Refusal, SignInGuard},
};

/// How long a sign-in session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failures allowed before sign-in is slowed down.
pub const FREE_FAILURES: i64 = 3;
/// The longest wait imposed after failures.
pub const MAX_LOCKOUT_SECS: i64 = 15 * 60;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user, wrong password, no password set or deactivated: one answer for all, so
    /// sign-in does not reveal which usernames exist.
    #[error("wrong username or password")]
    Refused,
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    /// Too many password checks running or waiting: nothing is wrong with this attempt.
    #[error("too many sign-ins are being checked; try again shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// Hashes a password with argon2id and a random salt (a PHC string).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the user does not exist, so that an unknown username takes as
/// long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-matches").unwrap_or_default())
}

/// Seconds still to wait after `failures` failures, the last at `last_failed_at`: none for the
/// first [`FREE_FAILURES`], then doubling from 1 s up to [`MAX_LOCKOUT_SECS`].
pub fn throttle_wait(failures: i64, last_failed_at: Option<Timestamp>, now: time::OffsetDateTime) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let Some(last) = last_failed_at.map(Timestamp::instant) else {
        return 0;
    };
    let exponent = (failures - FREE_FAILURES).min(20) as u32;
    let wait = 2i64.saturating_pow(exponent).min(MAX_LOCKOUT_SECS);
    let elapsed = (now - last).whole_seconds();
    (wait - elapsed).max(0)
}

/// A new sign-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: String,
    pub person_id: i64,
    pub username: String,
}

/// Checks a username and password; on success stores a session token (its hash) and returns it.
///
/// The attempt is reserved in `guard` before the password is checked, with the same delay for
/// every name, known or not, and the check waits for a hashing turn (see [`SignInGuard`]).
pub async fn sign_in(store: &Store, guard: &SignInGuard, username: &str, password: &str) -> Result<Session, SignInError> {
    let record = store.sign_in_record(username).await?;
    let (stored_failures, stored_last) = record.as_ref().map_or((0, None), |r| (r.failed_logins, r.last_failed_at));
    let reservation = guard.reserve(username, stored_failures, stored_last, time::OffsetDateTime::now_utc()).map_err(refusal)?;
    // The decoy is made on the hashing thread too: it is an argon2 hash like any other.
    let phc = record.as_ref().and_then(|r| r.password_hash.clone());
    let password = password.to_string();
    let matches = {
        let _turn = guard.hash_turn().await.map_err(refusal)?;
        guard
            .hash(move || verify_password(&password, phc.as_deref().unwrap_or_else(|| decoy_hash())))
            .await
            .ok_or_else(|| StoreError::Corrupt("password check: the hashing thread stopped".into()))?
    };
    let Some(person) = record.filter(|r| r.active && r.password_hash.is_some()) else {
        return Err(SignInError::Refused);
    };
    let actor = Actor { name: person.username.clone(), person_id: Some(person.id), token_id: None };
    if !matches {
        drop(reservation);
        store.record_sign_in(person.id, false).await?;
        store.audit(&[AuditEvent::new(&actor, "session.refused", None, Some(&person.username), serde_json::json!({}))]).await?;
        return Err(SignInError::Refused);
    }
    reservation.succeeded();
    store.record_sign_in(person.id, true).await?;
    let (token, hash) = credentials::new_session_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS);
    let expires_at = rfc3339(expires);
    let label = format!("session:{}", person.username);
    let new = NewToken { hash: &hash, role: None, study: None, team: None, label: &label, person_id: Some(person.id), expires_at: Some(&expires_at) };
    store.insert_token(&new, &actor).await?;
    Ok(Session { token, expires_at, person_id: person.id, username: person.username })
}

fn refusal(refusal: Refusal) -> SignInError {
    match refusal {
        Refusal::Throttled { retry_after_secs } => SignInError::Throttled { retry_after_secs },
        Refusal::Busy => SignInError::Busy,
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    stored_timestamp(t).unwrap_or_else(|_| now_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let phc = hash_password("una clave larga").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("una clave larga", &phc));
        assert!(!verify_password("una clave largA", &phc));
        assert_ne!(phc, hash_password("una clave larga").unwrap(), "salted");
        assert!(matches!(hash_password("corta"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn failures_slow_sign_in_down_exponentially() {
        let now = time::OffsetDateTime::now_utc();
        let at = |secs_ago: i64| Timestamp::at(now - time::Duration::seconds(secs_ago));
        assert_eq!(throttle_wait(2, Some(at(0)), now), 0);
        assert_eq!(throttle_wait(FREE_FAILURES, Some(at(0)), now), 1);
        assert!(throttle_wait(FREE_FAILURES + 4, Some(at(0)), now) >= 15);
        assert_eq!(throttle_wait(FREE_FAILURES + 4, Some(at(100)), now), 0);
        assert_eq!(throttle_wait(FREE_FAILURES + 40, Some(at(0)), now), MAX_LOCKOUT_SECS);
    }
}
