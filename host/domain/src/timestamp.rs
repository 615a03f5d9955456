//! Instants as Campo stores them: RFC 3339 in UTC with milliseconds, so they sort and compare
//! as text in either database.

use std::fmt;

use serde::{Serialize, Serializer};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::InvalidId;

/// A stored instant (when something was received, published, signed in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = DateTime))]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc())
    }

    pub fn at(at: OffsetDateTime) -> Timestamp {
        Timestamp(at)
    }

    /// Any RFC 3339 instant.
    pub fn parse(value: &str) -> Result<Timestamp, InvalidId> {
        OffsetDateTime::parse(value, &Rfc3339).map(Timestamp).map_err(|_| InvalidId::unknown("timestamp", value.to_string()))
    }

    pub fn instant(self) -> OffsetDateTime {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match stored_timestamp(self.0) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{}", self.0.unix_timestamp()),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, InvalidId> {
        Timestamp::parse(&value)
    }
}

/// The current time as Campo stores it.
pub fn now_rfc3339() -> String {
    Timestamp::now().to_string()
}

/// An instant as Campo stores it: RFC 3339 in UTC with milliseconds (`2026-05-04T10:00:00.000Z`).
pub fn stored_timestamp(at: OffsetDateTime) -> Result<String, time::error::Format> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC).format(&format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_timestamp_reads_back_as_the_same_text() {
        let text = "2026-05-04T10:00:00.120Z";
        assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        assert_eq!(Timestamp::parse("2026-05-04T12:00:00+02:00").unwrap().to_string(), "2026-05-04T10:00:00.000Z");
        assert!(Timestamp::parse("ayer").is_err());
        assert!(now_rfc3339() < "2100".to_string());
    }
}
