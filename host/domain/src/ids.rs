//! Identifiers that parse: a value of these types cannot hold a bad id.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::json::sha256_hex;

/// Why an identifier was refused.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {value:?} is not valid: {rule}")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
    rule: &'static str,
}

impl InvalidId {
    /// A value that is none of the known ones (a stored role, a review state).
    pub(crate) fn unknown(kind: &'static str, value: String) -> InvalidId {
        InvalidId { kind, value, rule: "not one of the known values" }
    }
}

/// The methods and trait impls every identifier shares: `as_str`, `Display`, `Deserialize`
/// through `parse`, and `TryFrom<String>` (how the store reads one from a column).
macro_rules! parsed_id {
    ($name:ident) => {
        impl $name {
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

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                $name::parse(&value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,62}$"))]
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
        }

        parsed_id!($name);
    };
}

slug_id!(
    /// A study's id, e.g. `encuesta-hogares-2026`.
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = "^\\S(.{0,98}\\S)?$"))]
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
}

parsed_id!(CaseKey);

/// A published form version's name, e.g. `2017.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"))]
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
}

parsed_id!(VersionName);

/// The sha256 of a plugin's .wasm bytes, lowercase hex: how every version pins its plugins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
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
    /// The first 12 hex digits, for logs and messages.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

parsed_id!(PluginHash);

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
        assert!(CaseKey::parse(" folio").is_err());
        assert!(StudyId::try_from("hogares".to_string()).is_ok());
    }
}
