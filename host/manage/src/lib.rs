//! Fieldwork management above the store: people and sign-in, the credentials every entry point
//! mints and checks (API tokens, sessions, passwords), and the sample list of cases.
//!
//! Invariant: depends on the store and the domain only; knows no HTTP and no plugin.

pub mod cases;
pub mod credentials;
pub mod people;
pub mod sign_in_guard;
