//! A study's plugin limits as its manifest states them (the runtime applies them).

use serde::{Deserialize, Serialize};

/// A study's `limits` in its manifest: each key optional; the runtime fills the rest from its
/// defaults and clamps everything to its ceiling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsOverride {
    pub fuel: Option<u64>,
    pub memory_bytes: Option<usize>,
    pub table_elements: Option<usize>,
    pub wasm_stack_bytes: Option<usize>,
    pub input_bytes: Option<usize>,
    pub output_bytes: Option<usize>,
    pub deadline_ms: Option<u64>,
}
