//! Who may do what, and where a response or a re-scoring job stands.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{InvalidId, Text};

/// The shared parts of an enum stored as text: `as_str`/`parse` over `ALL`, `Display`, and
/// `TryFrom<String>` (how the store reads one from a column).
macro_rules! text_enum {
    ($name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(value: &str) -> Option<$name> {
                $name::ALL.into_iter().find(|v| v.as_str() == value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                $name::parse(&value).ok_or_else(|| InvalidId::unknown($kind, value))
            }
        }
    };
}

/// Who is asking. Admin is global; the others may be limited to one study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Designer,
    Enumerator,
    Analyst,
    Supervisor,
}

text_enum!(Role, "role", {
    Admin => "admin",
    Designer => "designer",
    Enumerator => "enumerator",
    Analyst => "analyst",
    Supervisor => "supervisor",
});

impl Role {
    /// Every role a study membership can hold (admin is global).
    pub const MEMBERS: [Role; 4] = [Role::Designer, Role::Enumerator, Role::Analyst, Role::Supervisor];

    /// Whether this role submits new responses (admins may too).
    pub fn submits(self) -> bool {
        matches!(self, Role::Enumerator | Role::Admin)
    }
}

/// Where a response stands in review. Every response starts `received`; a supervisor moves it
/// to one of the others (and may move it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Received,
    Approved,
    HasIssues,
    Rejected,
}

text_enum!(ReviewState, "review state", {
    Received => "received",
    Approved => "approved",
    HasIssues => "has_issues",
    Rejected => "rejected",
});

impl ReviewState {
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

/// Where a re-scoring job stands: `running` (or interrupted: starting it again resumes it),
/// `done`, or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RescoreState {
    Running,
    Done,
    Failed,
}

text_enum!(RescoreState, "rescore state", {
    Running => "running",
    Done => "done",
    Failed => "failed",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        for state in ReviewState::ALL {
            assert_eq!(ReviewState::try_from(state.as_str().to_string()).unwrap(), state);
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        for state in RescoreState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        assert!(ReviewState::try_from("aprobada".to_string()).is_err());
    }
}
