//! The plugin runtime: wasmtime, configured for untrusted code.
//!
//! One [`Runtime`] per process holds the engine (Cranelift, fuel, epoch interruption, the
//! pooling allocator), the compiled plugins cached by sha256 (on disk as serialized artifacts,
//! so a restart does not recompile) and their `InstancePre`s. Every evaluation runs on a fresh
//! instance under [`Limits`], so nothing carries over from one response to the next.
//! Invariant: a plugin can reach nothing outside its linear memory — the linker defines no
//! imports at all, and modules that ask for any are refused before compilation.

mod limits;
pub mod module_check;

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    path::PathBuf,
    sync::{Arc, RwLock},
    time::Duration,
};

use serde_json::Value;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, OptLevel,
    PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

pub use limits::{Limit, Limits, LimitsOverride};
pub use module_check::{Capabilities, ModuleProblem, ModuleReport, check_module};

use crate::domain::PluginHash;

/// Epoch ticks are this long; deadlines are counted in ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// Instances the pool keeps slots for: more than the evaluations that can run at once.
const POOL_SLOTS: u32 = 256;

/// Which entry point to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Logic,
    Score,
}

impl Entry {
    fn export(self) -> &'static str {
        match self {
            Entry::Logic => "campo_logic",
            Entry::Score => "campo_score",
        }
    }
    pub fn capability(self) -> &'static str {
        match self {
            Entry::Logic => "logic",
            Entry::Score => "score",
        }
    }
}

/// Why an evaluation produced no result. Each names the plugin; limit breaches name the limit.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {plugin} was refused: {problem}")]
    Refused { plugin: PluginHash, problem: ModuleProblem },
    #[error("plugin {plugin} exceeded its {limit} limit")]
    Limit { plugin: PluginHash, limit: Limit },
    #[error("plugin {plugin} trapped: {message}")]
    Trap { plugin: PluginHash, message: String },
    #[error("plugin {plugin} refused the input: {message}")]
    Failed { plugin: PluginHash, message: String },
    #[error("plugin {plugin} returned an unusable result: {reason}")]
    BadOutput { plugin: PluginHash, reason: String },
    #[error("plugin {plugin} has no {capability} entry point")]
    MissingCapability { plugin: PluginHash, capability: &'static str },
    #[error("plugin {plugin} could not be compiled or instantiated: {message}")]
    Engine { plugin: PluginHash, message: String },
}

impl PluginError {
    pub fn plugin(&self) -> &PluginHash {
        match self {
            PluginError::Refused { plugin, .. }
            | PluginError::Limit { plugin, .. }
            | PluginError::Trap { plugin, .. }
            | PluginError::Failed { plugin, .. }
            | PluginError::BadOutput { plugin, .. }
            | PluginError::MissingCapability { plugin, .. }
            | PluginError::Engine { plugin, .. } => plugin,
        }
    }

    /// A stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            PluginError::Refused { .. } => "plugin_refused",
            PluginError::Limit { limit, .. } => limit.code(),
            PluginError::Trap { .. } => "plugin_trap",
            PluginError::Failed { .. } => "plugin_failed",
            PluginError::BadOutput { .. } => "plugin_bad_output",
            PluginError::MissingCapability { .. } => "plugin_missing_capability",
            PluginError::Engine { .. } => "plugin_engine",
        }
    }
}

/// A compiled plugin, ready to instantiate.
struct LoadedPlugin {
    pre: InstancePre<Guest>,
    report: ModuleReport,
}

/// The per-store state: the limiter, and what it denied (to name the limit when a trap follows).
struct Guest {
    memory_limit: usize,
    table_limit: usize,
    denied: Option<Limit>,
}

impl ResourceLimiter for Guest {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.denied = Some(Limit::Memory);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_limit {
            self.denied = Some(Limit::TableElements);
            return Ok(false);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }
    fn tables(&self) -> usize {
        1
    }
    fn memories(&self) -> usize {
        1
    }
}

/// The plugin runtime shared by every request.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Guest>,
    plugins: RwLock<HashMap<PluginHash, Arc<LoadedPlugin>>>,
    artifact_dir: Option<PathBuf>,
    ceiling: Limits,
}

impl Runtime {
    /// Builds the engine and starts the epoch ticker. `artifact_dir` caches compiled modules
    /// (`None`: compile in memory only).
    pub fn new(artifact_dir: Option<PathBuf>) -> anyhow::Result<Arc<Runtime>> {
        let ceiling = Limits::CEILING;
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(ceiling.wasm_stack_bytes)
            .cranelift_opt_level(OptLevel::Speed)
            // Bit-identical results on every host, and in step with the browser.
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .wasm_multi_memory(false)
            .wasm_memory64(false);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(POOL_SLOTS)
            .total_memories(POOL_SLOTS)
            .total_tables(POOL_SLOTS)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .max_memory_size(ceiling.memory_bytes)
            .table_elements(ceiling.table_elements)
            .max_core_instance_size(1 << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("wasmtime engine: {e}"))?;

        let ticker = engine.weak();
        std::thread::Builder::new().name("campo-epoch".into()).spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;

        let artifact_dir = artifact_dir.map(|dir| dir.join(format!("engine-{}", compatibility_key(&engine))));
        Ok(Arc::new(Runtime { linker: Linker::new(&engine), engine, plugins: RwLock::default(), artifact_dir, ceiling }))
    }

    /// The host's ceiling on every limit; a study may lower them or raise them up to this.
    pub fn ceiling(&self) -> Limits {
        self.ceiling
    }

    pub fn is_loaded(&self, hash: &PluginHash) -> bool {
        self.plugins.read().map(|p| p.contains_key(hash)).unwrap_or(false)
    }

    /// Checks, compiles (or loads the cached artifact of) and prepares a plugin. Idempotent.
    pub fn load(&self, hash: &PluginHash, wasm: &[u8]) -> Result<ModuleReport, PluginError> {
        if let Some(loaded) = self.plugins.read().ok().and_then(|p| p.get(hash).cloned()) {
            return Ok(loaded.report.clone());
        }
        let report = check_module(wasm).map_err(|problem| PluginError::Refused { plugin: hash.clone(), problem })?;
        let engine_error = |message: String| PluginError::Engine { plugin: hash.clone(), message };
        let module = self.compile(hash, wasm).map_err(engine_error)?;
        let pre = self.linker.instantiate_pre(&module).map_err(|e| engine_error(e.to_string()))?;
        let loaded = Arc::new(LoadedPlugin { pre, report: report.clone() });
        if let Ok(mut plugins) = self.plugins.write() {
            plugins.insert(hash.clone(), loaded);
        }
        Ok(report)
    }

    fn compile(&self, hash: &PluginHash, wasm: &[u8]) -> Result<Module, String> {
        let Some(dir) = &self.artifact_dir else {
            return Module::new(&self.engine, wasm).map_err(|e| e.to_string());
        };
        let path = dir.join(format!("{hash}.cwasm"));
        if path.exists() {
            // SAFETY: the file is one this runtime wrote (below) for this engine's compatibility
            // key, named by the sha256 of the module it came from; wasmtime still checks the
            // header and refuses artifacts from another version or configuration.
            match unsafe { Module::deserialize_file(&self.engine, &path) } {
                Ok(module) => return Ok(module),
                Err(e) => tracing::warn!(plugin = %hash.short(), error = %e, "cached artifact unusable; recompiling"),
            }
        }
        let module = Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        if let Err(e) = write_artifact(dir, &path, &module) {
            tracing::warn!(plugin = %hash.short(), error = %e, "could not cache the compiled plugin");
        }
        Ok(module)
    }

    /// Runs `entry` of a loaded plugin on `input` (the ABI input envelope) under `limits`.
    pub fn evaluate(&self, hash: &PluginHash, entry: Entry, input: &[u8], limits: &Limits) -> Result<Value, PluginError> {
        let plugin = hash.clone();
        let loaded = self
            .plugins
            .read()
            .ok()
            .and_then(|p| p.get(hash).cloned())
            .ok_or_else(|| PluginError::Engine { plugin: plugin.clone(), message: "plugin is not loaded".into() })?;
        let enabled = match entry {
            Entry::Logic => loaded.report.capabilities.logic,
            Entry::Score => loaded.report.capabilities.score,
        };
        if !enabled {
            return Err(PluginError::MissingCapability { plugin, capability: entry.capability() });
        }
        let limits = limits.clamped_to(&self.ceiling);
        if input.len() > limits.input_bytes {
            return Err(PluginError::Limit { plugin, limit: Limit::InputSize });
        }

        let mut store = Store::new(
            &self.engine,
            Guest { memory_limit: limits.memory_bytes, table_limit: limits.table_elements, denied: None },
        );
        store.limiter(|guest| guest);
        let _ = store.set_fuel(limits.fuel);
        store.set_epoch_deadline(limits.deadline_ticks(EPOCH_TICK));

        let classify = |store: &Store<Guest>, error: wasmtime::Error| -> PluginError {
            if let Some(limit) = store.data().denied {
                return PluginError::Limit { plugin: plugin.clone(), limit };
            }
            match error.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => PluginError::Limit { plugin: plugin.clone(), limit: Limit::Fuel },
                Some(Trap::Interrupt) => PluginError::Limit { plugin: plugin.clone(), limit: Limit::Deadline },
                Some(Trap::StackOverflow) => PluginError::Limit { plugin: plugin.clone(), limit: Limit::WasmStack },
                Some(trap) => PluginError::Trap { plugin: plugin.clone(), message: trap.to_string() },
                None => PluginError::Trap { plugin: plugin.clone(), message: error.to_string() },
            }
        };

        let instance = loaded.pre.instantiate(&mut store).map_err(|e| classify(&store, e))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| PluginError::BadOutput { plugin: plugin.clone(), reason: "no memory export".into() })?;
        let alloc: TypedFunc<u32, u32> = typed(&instance, &mut store, "campo_alloc", &plugin)?;
        let run: TypedFunc<(u32, u32), u64> = typed(&instance, &mut store, entry.export(), &plugin)?;

        let len = input.len() as u32;
        let ptr = alloc.call(&mut store, len).map_err(|e| classify(&store, e))?;
        memory
            .write(&mut store, ptr as usize, input)
            .map_err(|_| PluginError::BadOutput { plugin: plugin.clone(), reason: format!("campo_alloc({len}) returned {ptr}, outside memory") })?;
        let packed = run.call(&mut store, (ptr, len)).map_err(|e| classify(&store, e))?;

        let out_ptr = (packed >> 32) as usize;
        let raw_len = packed as u32;
        let failed = raw_len & (1 << 31) != 0;
        let out_len = (raw_len & !(1 << 31)) as usize;
        if out_len > limits.output_bytes {
            return Err(PluginError::Limit { plugin, limit: Limit::OutputSize });
        }
        let bytes = memory
            .data(&store)
            .get(out_ptr..out_ptr.saturating_add(out_len))
            .ok_or_else(|| PluginError::BadOutput { plugin: plugin.clone(), reason: "result lies outside memory".into() })?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| PluginError::BadOutput { plugin: plugin.clone(), reason: "result is not UTF-8".into() })?;
        if failed {
            return Err(PluginError::Failed { plugin, message: text.chars().take(2000).collect() });
        }
        serde_json::from_str(text).map_err(|e| PluginError::BadOutput { plugin, reason: format!("result is not JSON: {e}") })
    }
}

fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    instance: &wasmtime::Instance,
    store: &mut Store<Guest>,
    name: &str,
    plugin: &PluginHash,
) -> Result<TypedFunc<P, R>, PluginError> {
    instance
        .get_typed_func::<P, R>(store, name)
        .map_err(|e| PluginError::BadOutput { plugin: plugin.clone(), reason: format!("export {name}: {e}") })
}

/// Writes the artifact atomically (temporary file, then rename) so concurrent hosts sharing a
/// cache directory never read a half-written file.
fn write_artifact(dir: &std::path::Path, path: &std::path::Path, module: &Module) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = module.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// A short key for this engine's compiled-code compatibility (wasmtime version and settings).
fn compatibility_key(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
