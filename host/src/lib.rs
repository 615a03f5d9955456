//! Campo's host: the server, the store, the plugin runtime, validation and exports.
//! `ARCHITECTURE.md` at the repository root maps how a submission flows through these modules.

pub mod app;
pub mod bundle;
pub mod cases;
pub mod cli;
pub mod dashboard;
pub mod domain;
pub mod export;
pub mod r#gen;
pub mod http;
pub mod people;
pub mod plugin_dev;
pub mod runtime;
pub mod seeds;
pub mod store;
pub mod validate;
