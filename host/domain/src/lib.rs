//! Campo's domain vocabulary: identifiers that parse (and so cannot hold a bad value), roles and
//! review states, texts and languages, stored timestamps, canonical JSON, and the shape of a
//! problem with an answer. One name per concept across code, API, database and docs.
//!
//! Invariant: no I/O and no async runtime here; every other crate may depend on this one.

mod answer_error;
mod html;
mod ids;
mod json;
mod limits;
mod roles;
mod text;
mod timestamp;

pub use answer_error::FieldError;
pub use html::{Escaped, escape_html};
pub use ids::{CaseKey, FormId, InvalidId, PluginHash, StudyId, TeamId, Username, VersionName};
pub use json::{JsonParseError, JsonSyntaxError, RequestJsonError, canonical_json, check_json, parse_json, parse_request_json, sha256_hex, write_canonical_json};
pub use limits::LimitsOverride;
pub use roles::{RescoreState, ReviewState, Role};
pub use text::{Lang, Text, clip};
pub use timestamp::{Timestamp, now_rfc3339, stored_timestamp};
