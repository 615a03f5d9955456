//! What a form is, as the platform reads it: its JSON Schema compiled for validation, and the
//! relevance rule that decides which answers a response keeps.
//!
//! Invariant: no I/O; a form's schema can never make Campo reach the network or a file.

pub mod relevance;
mod validate;

pub use validate::{FormValidator, SchemaError};
