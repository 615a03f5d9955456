//! Campo's domain vocabulary: identifiers that parse (and so cannot hold a bad value), roles,
//! and bilingual texts. One name per concept across code, API, database and docs.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Why an identifier was refused.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {value:?} is not valid: {rule}")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
    rule: &'static str,
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 63.
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                let ok = !value.is_empty()
                    && value.len() <= 63
                    && value.as_bytes()[0].is_ascii_alphanumeric()
                    && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
                if ok {
                    Ok($name(value.to_string()))
                } else {
                    Err(InvalidId { kind: $kind, value: value.to_string(), rule: "use a-z, 0-9, - and _, at most 63" })
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

slug_id!(
    /// A study's id, e.g. `mujeres-migrantes-rm`.
    StudyId,
    "study id"
);
slug_id!(
    /// A form's id within its study, e.g. `cuestionario`.
    FormId,
    "form id"
);
slug_id!(
    /// A team's id within its study, e.g. `jalisco` or `rm-norte`.
    TeamId,
    "team id"
);
slug_id!(
    /// A person's sign-in name, e.g. `mgonzalez`.
    Username,
    "username"
);

/// A case's key in its study's sample list (a project folio, a household code): printable,
/// without surrounding spaces, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
pub struct CaseKey(String);

impl CaseKey {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let ok = !value.is_empty()
            && value.chars().count() <= 100
            && value.trim() == value
            && !value.chars().any(char::is_control);
        if ok {
            Ok(CaseKey(value.to_string()))
        } else {
            Err(InvalidId { kind: "case key", value: value.to_string(), rule: "1 to 100 printable characters, no surrounding spaces" })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CaseKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CaseKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Where a response stands in review. Every response starts `received`; a supervisor moves it
/// to one of the others (and may move it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Received,
    Approved,
    HasIssues,
    Rejected,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [ReviewState::Received, ReviewState::Approved, ReviewState::HasIssues, ReviewState::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Received => "received",
            ReviewState::Approved => "approved",
            ReviewState::HasIssues => "has_issues",
            ReviewState::Rejected => "rejected",
        }
    }

    pub fn parse(value: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The state's name for people, Spanish first.
    pub fn label(self) -> Text {
        match self {
            ReviewState::Received => Text::new("Recibida", "Received"),
            ReviewState::Approved => Text::new("Aprobada", "Approved"),
            ReviewState::HasIssues => Text::new("Con observaciones", "Has issues"),
            ReviewState::Rejected => Text::new("Rechazada", "Rejected"),
        }
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A published form version's name, e.g. `2017.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct VersionName(String);

impl VersionName {
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let ok = !value.is_empty()
            && value.len() <= 32
            && value.as_bytes()[0].is_ascii_alphanumeric()
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if ok {
            Ok(VersionName(value.to_string()))
        } else {
            Err(InvalidId { kind: "version", value: value.to_string(), rule: "use A-Z, a-z, 0-9, ., - and _, at most 32" })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The sha256 of a plugin's .wasm bytes, lowercase hex: how every version pins its plugins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PluginHash(String);

impl PluginHash {
    pub fn of(bytes: &[u8]) -> Self {
        PluginHash(sha256_hex(bytes))
    }
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(PluginHash(value.to_string()))
        } else {
            Err(InvalidId { kind: "plugin hash", value: value.to_string(), rule: "64 lowercase hex digits (sha256)" })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The first 12 hex digits, for logs and messages.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for PluginHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Why bytes did not parse into a type: they are not JSON at all, or JSON of the wrong shape.
#[derive(Debug)]
pub enum JsonParseError {
    Malformed(serde_json::Error),
    Shape(serde_json::Error),
}

/// Parses `bytes` into `T` once; only when that fails are they read again as plain JSON, to
/// tell malformed JSON from the wrong shape (a typed parse stops at the first error of either
/// kind, so it cannot tell them apart by itself).
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonParseError> {
    serde_json::from_slice(bytes).map_err(|shape| match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(syntax) => JsonParseError::Malformed(syntax),
        Ok(_) => JsonParseError::Shape(shape),
    })
}

/// Who is asking. Admin is global; the others may be limited to one study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Designer,
    Enumerator,
    Analyst,
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Designer, Role::Enumerator, Role::Analyst, Role::Supervisor];
    /// Every role a study membership can hold (admin is global).
    pub const MEMBERS: [Role; 4] = [Role::Designer, Role::Enumerator, Role::Analyst, Role::Supervisor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Designer => "designer",
            Role::Enumerator => "enumerator",
            Role::Analyst => "analyst",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text in Spanish (Campo's first language) and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Text {
    pub es: String,
    pub en: String,
}

impl Text {
    pub fn new(es: impl Into<String>, en: impl Into<String>) -> Self {
        Text { es: es.into(), en: en.into() }
    }
}

/// The current time as RFC 3339 UTC with milliseconds: how Campo stores and sorts timestamps.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    stored_timestamp(now).unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// An instant as Campo stores it: RFC 3339 in UTC with milliseconds (`2026-05-04T10:00:00.000Z`),
/// so stored timestamps sort and compare as text.
pub fn stored_timestamp(at: time::OffsetDateTime) -> Result<String, time::error::Format> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC).format(&format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_or_refuse() {
        assert!(StudyId::parse("3x1-migrantes").is_ok());
        assert!(StudyId::parse("Mujeres").is_err());
        assert!(StudyId::parse("../etc").is_err());
        assert!(StudyId::parse("").is_err());
        assert!(VersionName::parse("2017.1").is_ok());
        assert!(VersionName::parse(".hidden").is_err());
        assert!(PluginHash::parse(&"a".repeat(64)).is_ok());
        assert!(PluginHash::parse(&"A".repeat(64)).is_err());
    }
}
