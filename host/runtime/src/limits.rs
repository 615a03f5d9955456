use std::fmt;

use campo_domain::LimitsOverride;
use serde::{Deserialize, Serialize};

/// Hard limits on one plugin evaluation. A breach stops that evaluation only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Wasmtime fuel: roughly one unit per wasm instruction.
    pub fuel: u64,
    pub memory_bytes: usize,
    pub table_elements: usize,
    /// Engine-wide: the host sets it once, a study cannot change it.
    pub wasm_stack_bytes: usize,
    pub input_bytes: usize,
    pub output_bytes: usize,
    /// The backstop behind fuel: CPU time of one evaluation (checked on epoch ticks), with
    /// ten times as much wall-clock time as the far backstop.
    pub deadline_ms: u64,
}

impl Limits {
    /// Safe defaults: a seed-study evaluation uses well under 1 % of this fuel.
    pub const DEFAULT: Limits = Limits {
        fuel: 50_000_000,
        memory_bytes: 16 << 20,
        table_elements: 10_000,
        wasm_stack_bytes: 512 << 10,
        input_bytes: 1 << 20,
        output_bytes: 1 << 20,
        deadline_ms: 100,
    };

    /// The most any study may ask for.
    pub const CEILING: Limits = Limits {
        fuel: 1_000_000_000,
        memory_bytes: 16 << 20,
        table_elements: 100_000,
        wasm_stack_bytes: 512 << 10,
        input_bytes: 4 << 20,
        output_bytes: 4 << 20,
        deadline_ms: 2_000,
    };

    pub fn clamped_to(&self, ceiling: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(ceiling.fuel),
            memory_bytes: self.memory_bytes.min(ceiling.memory_bytes),
            table_elements: self.table_elements.min(ceiling.table_elements),
            wasm_stack_bytes: self.wasm_stack_bytes.min(ceiling.wasm_stack_bytes),
            input_bytes: self.input_bytes.min(ceiling.input_bytes),
            output_bytes: self.output_bytes.min(ceiling.output_bytes),
            deadline_ms: self.deadline_ms.min(ceiling.deadline_ms),
        }
    }

    /// These defaults with a study's overrides applied (then clamped to the ceiling at run time).
    pub fn with(&self, o: &LimitsOverride) -> Limits {
        Limits {
            fuel: o.fuel.unwrap_or(self.fuel),
            memory_bytes: o.memory_bytes.unwrap_or(self.memory_bytes),
            table_elements: o.table_elements.unwrap_or(self.table_elements),
            wasm_stack_bytes: o.wasm_stack_bytes.unwrap_or(self.wasm_stack_bytes),
            input_bytes: o.input_bytes.unwrap_or(self.input_bytes),
            output_bytes: o.output_bytes.unwrap_or(self.output_bytes),
            deadline_ms: o.deadline_ms.unwrap_or(self.deadline_ms),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which limit an evaluation hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Fuel,
    Memory,
    TableElements,
    WasmStack,
    InputSize,
    OutputSize,
    Deadline,
}

impl Limit {
    /// Whether hitting this limit says the server was too busy, not that the plugin or the
    /// response is at fault: the deadline is wall-clock and CPU time, which a loaded machine
    /// stretches; fuel, memory and stack are deterministic.
    pub fn is_overload(self) -> bool {
        self == Limit::Deadline
    }

    pub fn code(self) -> &'static str {
        match self {
            Limit::Fuel => "plugin_fuel_exhausted",
            Limit::Memory => "plugin_memory_exceeded",
            Limit::TableElements => "plugin_table_exceeded",
            Limit::WasmStack => "plugin_stack_exhausted",
            Limit::InputSize => "plugin_input_too_large",
            Limit::OutputSize => "plugin_output_too_large",
            Limit::Deadline => "plugin_deadline_exceeded",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Fuel => "fuel (CPU)",
            Limit::Memory => "linear memory",
            Limit::TableElements => "table elements",
            Limit::WasmStack => "wasm stack",
            Limit::InputSize => "input size",
            Limit::OutputSize => "output size",
            Limit::Deadline => "deadline",
        })
    }
}
