//! What the host checks in a plugin module before it will ever run it (sdk/ABI.md, "Exports").
//!
//! Checked with `wasmparser` on the raw bytes, before compilation: a module that imports
//! anything (WASI included), lacks the ABI marker or the entry points, has no memory export or
//! no declared maximum, or carries more data than its memory may hold is refused at upload.

use serde::Serialize;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

/// The largest module Campo accepts, in bytes.
pub const MAX_MODULE_BYTES: usize = 8 * 1024 * 1024;
/// The largest declared maximum linear memory, in 64 KiB pages (16 MiB).
pub const MAX_MEMORY_PAGES: u64 = 256;

/// What a plugin can do, from its exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub logic: bool,
    pub score: bool,
}

impl Capabilities {
    pub fn as_list(&self) -> Vec<&'static str> {
        let mut list = Vec::new();
        if self.logic {
            list.push("logic");
        }
        if self.score {
            list.push("score");
        }
        list
    }
}

/// A module's ABI-relevant facts, reported by `campo plugin check` and stored at upload.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleReport {
    pub abi_version: u32,
    pub capabilities: Capabilities,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    pub memory_min_pages: u64,
    pub memory_max_pages: Option<u64>,
    pub data_bytes: u64,
    pub size: usize,
    /// Whether a used instance can be reset to its pristine state by restoring its memory and
    /// exported mutable globals: every mutable global is exported, and no instruction mutates
    /// tables or passive segments (state the host could not restore). Modules that are not
    /// resettable still run, on a fresh instance per evaluation.
    pub resettable: bool,
}

/// Why a module is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModuleProblem {
    #[error("the module is {0} bytes; the limit is {MAX_MODULE_BYTES}")]
    TooLarge(usize),
    #[error("not a valid WebAssembly module: {0}")]
    Invalid(String),
    #[error("components are not plugins: build a core module for wasm32-unknown-unknown")]
    Component,
    #[error("the module imports {0}; Campo plugins may import nothing (build for wasm32-unknown-unknown, without WASI)")]
    ForbiddenImport(String),
    #[error("no ABI marker: the module exports neither campo_abi_v1 nor any known campo_abi_vN")]
    NoAbiMarker,
    #[error("ABI version {0} is not supported by this host (it supports 1)")]
    UnsupportedAbi(u32),
    #[error("missing export {0}")]
    MissingExport(&'static str),
    #[error("export {name} has the wrong type: expected {expected}")]
    WrongExportType { name: String, expected: &'static str },
    #[error("the module exports neither campo_logic nor campo_score")]
    NoCapability,
    #[error("the exported memory declares no maximum; link with -C link-arg=--max-memory=16777216")]
    UnboundedMemory,
    #[error("the memory's declared maximum is {0} pages; the limit is {MAX_MEMORY_PAGES} (16 MiB)")]
    MemoryTooLarge(u64),
    #[error("the module needs {0} pages of memory at start; the limit is {MAX_MEMORY_PAGES}")]
    InitialMemoryTooLarge(u64),
    #[error("data segments hold {0} bytes, more than the 16 MiB memory limit")]
    DataTooLarge(u64),
    #[error("the module defines {0} memories; a plugin has exactly one")]
    MemoryCount(usize),
    #[error("64-bit or shared memories are not allowed")]
    UnsupportedMemory,
}

const ABI_MARKER_PREFIX: &str = "campo_abi_v";

/// Checks `bytes` against ABI v1 and reports what the module is.
pub fn check_module(bytes: &[u8]) -> Result<ModuleReport, ModuleProblem> {
    if bytes.len() > MAX_MODULE_BYTES {
        return Err(ModuleProblem::TooLarge(bytes.len()));
    }
    let mut validator = wasmparser::Validator::new();
    validator.validate_all(bytes).map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;

    let mut func_types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut func_type_of: Vec<u32> = Vec::new(); // function index -> type index
    let mut memories: Vec<wasmparser::MemoryType> = Vec::new();
    let mut imports = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut data_bytes = 0u64;
    let mut mutable_globals: Vec<u32> = Vec::new();
    let mut global_count = 0u32;
    let mut hidden_state = false;

    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))? {
            Payload::Version { encoding: wasmparser::Encoding::Component, .. } => return Err(ModuleProblem::Component),
            Payload::TypeSection(reader) => {
                for group in reader.into_iter_err_on_gc_types() {
                    let ty = group.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                    func_types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                    imports.push(format!("{}::{}", import.module, import.name));
                    if let TypeRef::Func(t) = import.ty {
                        func_type_of.push(t);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_type_of.push(t.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?);
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    memories.push(m.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?);
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                    if g.ty.mutable {
                        mutable_globals.push(global_count);
                    }
                    global_count += 1;
                }
            }
            Payload::CodeSectionEntry(body) if !hidden_state => {
                let mut reader = body.get_operators_reader().map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                while !reader.eof() {
                    use wasmparser::Operator as Op;
                    match reader.read().map_err(|e| ModuleProblem::Invalid(e.message().to_string()))? {
                        Op::TableSet { .. } | Op::TableGrow { .. } | Op::TableFill { .. } | Op::TableCopy { .. }
                        | Op::TableInit { .. } | Op::ElemDrop { .. } | Op::MemoryInit { .. } | Op::DataDrop { .. } => {
                            hidden_state = true;
                            break;
                        }
                        _ => {}
                    }
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    let d = d.map_err(|e| ModuleProblem::Invalid(e.message().to_string()))?;
                    data_bytes += d.data.len() as u64;
                }
            }
            _ => {}
        }
    }

    if let Some(first) = imports.first() {
        return Err(ModuleProblem::ForbiddenImport(first.clone()));
    }

    let abi_version = exports
        .iter()
        .filter_map(|(name, _, _)| name.strip_prefix(ABI_MARKER_PREFIX)?.parse::<u32>().ok())
        .max()
        .ok_or(ModuleProblem::NoAbiMarker)?;
    if abi_version != 1 {
        return Err(ModuleProblem::UnsupportedAbi(abi_version));
    }

    let signature = |index: u32| {
        func_type_of.get(index as usize).and_then(|t| func_types.get(*t as usize))
    };
    let find = |name: &str| exports.iter().find(|(n, _, _)| n == name);
    let expect_func = |name: &'static str, params: &[ValType], results: &[ValType], expected: &'static str| {
        match find(name) {
            None => Err(ModuleProblem::MissingExport(name)),
            Some((_, ExternalKind::Func, index)) => match signature(*index) {
                Some((p, r)) if p == params && r == results => Ok(()),
                _ => Err(ModuleProblem::WrongExportType { name: name.to_string(), expected }),
            },
            Some(_) => Err(ModuleProblem::WrongExportType { name: name.to_string(), expected }),
        }
    };
    use ValType::{I32, I64};
    expect_func("campo_abi_v1", &[], &[], "func () -> ()")?;
    expect_func("campo_alloc", &[I32], &[I32], "func (i32) -> i32")?;
    expect_func("campo_dealloc", &[I32, I32], &[], "func (i32, i32) -> ()")?;
    let entry = |name: &'static str| match find(name) {
        None => Ok(false),
        Some(_) => expect_func(name, &[I32, I32], &[I64], "func (i32, i32) -> i64").map(|()| true),
    };
    let capabilities = Capabilities { logic: entry("campo_logic")?, score: entry("campo_score")? };
    if !capabilities.logic && !capabilities.score {
        return Err(ModuleProblem::NoCapability);
    }

    match find("memory") {
        Some((_, ExternalKind::Memory, 0)) => {}
        Some(_) => return Err(ModuleProblem::WrongExportType { name: "memory".into(), expected: "the module's memory" }),
        None => return Err(ModuleProblem::MissingExport("memory")),
    }
    if memories.len() != 1 {
        return Err(ModuleProblem::MemoryCount(memories.len()));
    }
    let memory = memories[0];
    if memory.memory64 || memory.shared {
        return Err(ModuleProblem::UnsupportedMemory);
    }
    let max = memory.maximum.ok_or(ModuleProblem::UnboundedMemory)?;
    if max > MAX_MEMORY_PAGES {
        return Err(ModuleProblem::MemoryTooLarge(max));
    }
    if memory.initial > MAX_MEMORY_PAGES {
        return Err(ModuleProblem::InitialMemoryTooLarge(memory.initial));
    }
    if data_bytes > MAX_MEMORY_PAGES * 65536 {
        return Err(ModuleProblem::DataTooLarge(data_bytes));
    }

    let exported_globals: Vec<u32> =
        exports.iter().filter(|(_, kind, _)| *kind == ExternalKind::Global).map(|(_, _, index)| *index).collect();
    let resettable = !hidden_state && mutable_globals.iter().all(|g| exported_globals.contains(g));

    Ok(ModuleReport {
        abi_version,
        capabilities,
        imports,
        exports: exports.into_iter().map(|(name, _, _)| name).collect(),
        memory_min_pages: memory.initial,
        memory_max_pages: memory.maximum,
        data_bytes,
        size: bytes.len(),
        resettable,
    })
}
