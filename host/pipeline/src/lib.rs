//! The submission pipeline: a study bundle becomes published form versions ([`bundle`], then
//! [`App::install`]); a response goes through its version's JSON Schema, logic plugin and scoring
//! plugin into the store ([`App::submit`], [`App::correct`]); stored responses are re-scored with
//! a new scoring plugin ([`rescore`]).
//!
//! Invariant: depends on the store, the runtime and the form downward; knows no HTTP.

mod app;
pub mod bundle;
pub mod gate;
pub mod rescore;

pub use app::*;
