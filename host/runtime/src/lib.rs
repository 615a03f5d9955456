//! The plugin runtime: wasmtime, configured for untrusted code.
//!
//! One [`Runtime`] per process holds the engine (Cranelift, fuel, epoch interruption, the
//! pooling allocator), the compiled plugins cached by sha256 (on disk as serialized artifacts,
//! so a restart does not recompile) and their `InstancePre`s. Every evaluation runs under
//! [`Limits`] on an instance in exactly the same state — fresh, or reset to its post-warm-up
//! image — so nothing carries over from one response to the next.
//! Invariant: a plugin can reach nothing outside its linear memory — the linker defines no
//! imports at all, and modules that ask for any are refused before compilation.

mod input;
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

pub use campo_domain::LimitsOverride;
pub use input::{ABI_VERSION, FormRef, plugin_input};
pub use limits::{Limit, Limits};
pub use module_check::{Capabilities, ModuleProblem, ModuleReport, check_module};

use campo_domain::{JsonParseError, PluginHash};

/// Epoch ticks are this long: the deadline is checked on every tick.
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
    pub fn capability(self) -> &'static str {
        match self {
            Entry::Logic => "logic",
            Entry::Score => "score",
        }
    }

    /// How an error message names this entry's result.
    fn result_name(self) -> &'static str {
        match self {
            Entry::Logic => "logic",
            Entry::Score => "scoring",
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

    /// The server was too busy to finish the evaluation (see [`Limit::is_overload`]): retry.
    pub fn is_overload(&self) -> bool {
        matches!(self, PluginError::Limit { limit, .. } if limit.is_overload())
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

/// A compiled plugin, ready to instantiate, with its idle warm instances.
struct LoadedPlugin {
    pre: InstancePre<Guest>,
    report: ModuleReport,
    idle: std::sync::Mutex<Vec<PluginInstance>>,
    /// The linear memory size (bytes) a warm instance is grown to: the most a call of this
    /// plugin has needed so far, so its calls do not grow memory (a grown instance cannot be
    /// reset) and a reset copies no more than they use.
    warm_memory: std::sync::atomic::AtomicUsize,
}

/// The per-store state: the limiter, and what it denied (to name the limit when a trap follows).
struct Guest {
    memory_limit: usize,
    table_limit: usize,
    denied: Option<Limit>,
    /// The clock of the guest code running now (instantiation, warm-up or a call).
    clock: CallClock,
}

impl Guest {
    fn new(limits: &Limits) -> Guest {
        Guest { memory_limit: limits.memory_bytes, table_limit: limits.table_elements, denied: None, clock: CallClock::start(limits) }
    }
}

/// A new store for untrusted code: the limiter, the fuel, and the deadline checked on every
/// epoch tick against the CPU time this thread spent, not the wall clock (see [`CallClock`]).
fn new_store(engine: &Engine, limits: &Limits) -> Store<Guest> {
    let mut store = Store::new(engine, Guest::new(limits));
    store.limiter(|guest| guest);
    let _ = store.set_fuel(limits.fuel);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut context| {
        let guest = context.data_mut();
        if guest.clock.expired() {
            guest.denied = Some(Limit::Deadline);
            Ok(wasmtime::UpdateDeadline::Interrupt)
        } else {
            Ok(wasmtime::UpdateDeadline::Continue(1))
        }
    });
    store
}

/// The deadline of one piece of guest code. Fuel is the deterministic limit; the deadline is a
/// backstop for a plugin that is stuck without burning fuel, so it counts the CPU time this
/// thread spent in the call: a machine so busy that the thread waits for a core does not
/// make a correct response look like a runaway plugin. The wall clock is only a far backstop
/// (ten times the deadline, at least a second). Either way a deadline is the server's
/// problem, not the response's: it is answered 503 and the client retries.
#[derive(Debug, Clone, Copy)]
struct CallClock {
    cpu_started: Duration,
    wall_started: std::time::Instant,
    cpu_budget: Duration,
    wall_budget: Duration,
}

impl CallClock {
    fn start(limits: &Limits) -> CallClock {
        let cpu_budget = Duration::from_millis(limits.deadline_ms);
        CallClock {
            cpu_started: thread_cpu_time(),
            wall_started: std::time::Instant::now(),
            cpu_budget,
            wall_budget: (cpu_budget * 10).max(Duration::from_secs(1)),
        }
    }

    fn expired(&self) -> bool {
        thread_cpu_time().saturating_sub(self.cpu_started) > self.cpu_budget || self.wall_started.elapsed() > self.wall_budget
    }
}

/// CPU time the calling thread has used.
#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID needs nothing else.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Without a per-thread CPU clock the wall clock is all there is.
#[cfg(not(unix))]
fn thread_cpu_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
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
    /// Held while compiling, so concurrent first requests for a plugin compile it once.
    compiling: std::sync::Mutex<()>,
    /// Idle warm instances across all plugins: bounded so they never take the pool slots that
    /// in-flight evaluations need.
    idle_instances: std::sync::atomic::AtomicUsize,
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
        Ok(Arc::new(Runtime { linker: Linker::new(&engine), engine, plugins: RwLock::default(), artifact_dir, ceiling, compiling: Default::default(), idle_instances: Default::default() }))
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
        let _compiling = self.compiling.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(loaded) = self.plugins.read().ok().and_then(|p| p.get(hash).cloned()) {
            return Ok(loaded.report.clone());
        }
        let engine_error = |message: String| PluginError::Engine { plugin: hash.clone(), message };
        let module = self.compile(hash, wasm).map_err(engine_error)?;
        let pre = self.linker.instantiate_pre(&module).map_err(|e| engine_error(e.to_string()))?;
        let loaded = Arc::new(LoadedPlugin { pre, report: report.clone(), idle: Default::default(), warm_memory: Default::default() });
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
    ///
    /// A resettable module runs on a warm instance that is put back exactly as it was after
    /// its warm-up (memory and exported mutable globals restored), which avoids faulting in a
    /// fresh memory for every response; any other module, and any instance whose call failed
    /// or grew its memory, gets a fresh instance.
    ///
    /// The result is parsed straight into `T` (the host's typed view of a logic or scoring
    /// result, or a [`Value`]): no intermediate tree on the hot path.
    pub fn evaluate<T: serde::de::DeserializeOwned>(&self, hash: &PluginHash, entry: Entry, input: &[u8], limits: &Limits) -> Result<T, PluginError> {
        let loaded = self.loaded(hash)?;
        let enabled = match entry {
            Entry::Logic => loaded.report.capabilities.logic,
            Entry::Score => loaded.report.capabilities.score,
        };
        if !enabled {
            return Err(PluginError::MissingCapability { plugin: hash.clone(), capability: entry.capability() });
        }
        let limits = limits.clamped_to(&self.ceiling);
        if input.len() > limits.input_bytes {
            return Err(PluginError::Limit { plugin: hash.clone(), limit: Limit::InputSize });
        }
        use std::sync::atomic::Ordering::Relaxed;
        let mut instance = match loaded.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(warm) => {
                self.idle_instances.fetch_sub(1, Relaxed);
                warm
            }
            None => self.instantiate(&loaded, hash, &limits, loaded.report.resettable)?,
        };
        let result = instance.call(hash, entry, input, &limits);
        if result.is_ok() && loaded.report.resettable {
            // A call that grew the memory (its instance cannot be reset): later instances start
            // at its size, up to a ceiling (beyond it such calls get a fresh instance rather
            // than every reset copying more).
            let size = instance.memory.data_size(&instance.store);
            if size > instance.image.len() && size <= MAX_WARM_MEMORY {
                loaded.warm_memory.fetch_max(size, Relaxed);
            }
            if instance.reset() && self.idle_instances.load(Relaxed) < MAX_IDLE_TOTAL {
                if let Ok(mut idle) = loaded.idle.lock() {
                    if idle.len() < MAX_IDLE_PER_PLUGIN {
                        idle.push(instance);
                        self.idle_instances.fetch_add(1, Relaxed);
                    }
                }
            }
        }
        result
    }

    /// Measurement hook (benches/plugins.rs): instantiates the plugin and drops the instance.
    #[doc(hidden)]
    pub fn bench_instantiate(&self, hash: &PluginHash) -> Result<(), PluginError> {
        let loaded = self.loaded(hash)?;
        let mut store = new_store(&self.engine, &Limits::DEFAULT);
        loaded.pre.instantiate(&mut store).map_err(|e| classify(hash, &store, e))?;
        Ok(())
    }

    /// Measurement hook (benches/plugins.rs): the naive design, a fresh pooled instance for
    /// every evaluation, with no warm-up and no reuse.
    #[doc(hidden)]
    pub fn bench_evaluate_fresh(&self, hash: &PluginHash, entry: Entry, input: &[u8], limits: &Limits) -> Result<Value, PluginError> {
        let loaded = self.loaded(hash)?;
        self.instantiate(&loaded, hash, limits, false)?.call(hash, entry, input, limits)
    }

    fn loaded(&self, hash: &PluginHash) -> Result<Arc<LoadedPlugin>, PluginError> {
        self.plugins
            .read()
            .ok()
            .and_then(|p| p.get(hash).cloned())
            .ok_or_else(|| PluginError::Engine { plugin: hash.clone(), message: "plugin is not loaded".into() })
    }

    /// A new instance, warmed up (and snapshotted) when `warm`.
    fn instantiate(&self, loaded: &LoadedPlugin, hash: &PluginHash, limits: &Limits, warm: bool) -> Result<PluginInstance, PluginError> {
        let mut store = new_store(&self.engine, limits);
        let instance = loaded.pre.instantiate(&mut store).map_err(|e| classify(hash, &store, e))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| PluginError::BadOutput { plugin: hash.clone(), reason: "no memory export".into() })?;
        let alloc: TypedFunc<u32, u32> = typed(&instance, &mut store, "campo_alloc", hash)?;
        let dealloc: TypedFunc<(u32, u32), ()> = typed(&instance, &mut store, "campo_dealloc", hash)?;
        let logic = loaded.report.capabilities.logic.then(|| typed(&instance, &mut store, "campo_logic", hash)).transpose()?;
        let score = loaded.report.capabilities.score.then(|| typed(&instance, &mut store, "campo_score", hash)).transpose()?;
        let stack_pointer = instance.get_global(&mut store, "__stack_pointer");
        let mut plugin = PluginInstance { store, memory, alloc, logic, score, image: Vec::new(), globals: Vec::new(), stack_pointer };
        if warm {
            // Warm the guest allocator up (no plugin logic runs): the heap it grows stays in
            // the image, so ordinary evaluations neither grow memory nor start cold. It is grown
            // to what this plugin's calls have needed so far (at least WARM_UP_BYTES more
            // than its initial memory): every reset copies the whole image, so a larger one
            // than the calls need costs on every call.
            let target = loaded.warm_memory.load(std::sync::atomic::Ordering::Relaxed);
            let initial = plugin.memory.data_size(&plugin.store);
            let mut bytes = target.saturating_sub(initial).max(WARM_UP_BYTES as usize);
            loop {
                let size = u32::try_from(bytes).unwrap_or(u32::MAX);
                let ptr = plugin.alloc.call(&mut plugin.store, size).map_err(|e| classify(hash, &plugin.store, e))?;
                dealloc.call(&mut plugin.store, (ptr, size)).map_err(|e| classify(hash, &plugin.store, e))?;
                // The allocator may have served part of it from memory it already had.
                if plugin.memory.data_size(&plugin.store) >= target || bytes >= MAX_WARM_MEMORY {
                    break;
                }
                bytes += WARM_UP_BYTES as usize;
            }
            plugin.image = plugin.memory.data(&plugin.store).to_vec();
            let globals: Vec<wasmtime::Global> =
                instance.exports(&mut plugin.store).filter_map(|e| e.into_global()).collect();
            for global in globals {
                if global.ty(&plugin.store).mutability() == wasmtime::Mutability::Var {
                    let value = global.get(&mut plugin.store);
                    plugin.globals.push((global, value));
                }
            }
        }
        Ok(plugin)
    }
}

/// The least a warm-up allocates: the heap a typical questionnaire response's JSON needs. A
/// plugin whose calls need more is warmed up to what they needed (`LoadedPlugin::warm_memory`).
const WARM_UP_BYTES: u32 = 64 * 1024;
/// The unit [`PluginInstance::reset`] compares and restores.
const RESET_PAGE: usize = 4096;
/// The largest memory a warm instance is grown to; calls needing more get fresh instances.
const MAX_WARM_MEMORY: usize = 4 << 20;
/// Warm instances kept per plugin: more than the evaluations one plugin runs at once here.
const MAX_IDLE_PER_PLUGIN: usize = 8;
/// Warm instances kept in all: half the pool, the other half is for evaluations in flight.
const MAX_IDLE_TOTAL: usize = POOL_SLOTS as usize / 2;

/// One instance of a plugin, with its store and entry points.
struct PluginInstance {
    store: Store<Guest>,
    memory: wasmtime::Memory,
    alloc: TypedFunc<u32, u32>,
    logic: Option<TypedFunc<(u32, u32), u64>>,
    score: Option<TypedFunc<(u32, u32), u64>>,
    /// Linear memory right after the warm-up, restored after every evaluation.
    image: Vec<u8>,
    /// Exported mutable globals (the shadow stack pointer) and their warm-up values.
    globals: Vec<(wasmtime::Global, wasmtime::Val)>,
    /// The shadow stack pointer, when exported: an out-of-bounds access with the pointer run
    /// off the bottom of memory is a stack overflow, not a stray pointer.
    stack_pointer: Option<wasmtime::Global>,
}

impl PluginInstance {
    fn call<T: serde::de::DeserializeOwned>(&mut self, plugin: &PluginHash, entry: Entry, input: &[u8], limits: &Limits) -> Result<T, PluginError> {
        let guest = self.store.data_mut();
        guest.memory_limit = limits.memory_bytes;
        guest.table_limit = limits.table_elements;
        guest.denied = None;
        guest.clock = CallClock::start(limits);
        let _ = self.store.set_fuel(limits.fuel);
        self.store.set_epoch_deadline(1);
        let run = match entry {
            Entry::Logic => self.logic.clone(),
            Entry::Score => self.score.clone(),
        }
        .ok_or_else(|| PluginError::MissingCapability { plugin: plugin.clone(), capability: entry.capability() })?;

        let len = input.len() as u32;
        let ptr = self.alloc.call(&mut self.store, len).map_err(|e| classify(plugin, &self.store, e))?;
        self.memory.write(&mut self.store, ptr as usize, input).map_err(|_| PluginError::BadOutput {
            plugin: plugin.clone(),
            reason: format!("campo_alloc({len}) returned {ptr}, outside memory"),
        })?;
        let packed = run.call(&mut self.store, (ptr, len)).map_err(|e| self.classify_call_error(plugin, e))?;

        let out_ptr = (packed >> 32) as usize;
        let raw_len = packed as u32;
        let failed = raw_len & (1 << 31) != 0;
        let out_len = (raw_len & !(1 << 31)) as usize;
        if out_len > limits.output_bytes {
            return Err(PluginError::Limit { plugin: plugin.clone(), limit: Limit::OutputSize });
        }
        let bytes = self
            .memory
            .data(&self.store)
            .get(out_ptr..out_ptr.saturating_add(out_len))
            .ok_or_else(|| PluginError::BadOutput { plugin: plugin.clone(), reason: "result lies outside memory".into() })?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| PluginError::BadOutput { plugin: plugin.clone(), reason: "result is not UTF-8".into() })?;
        if failed {
            return Err(PluginError::Failed { plugin: plugin.clone(), message: text.chars().take(2000).collect() });
        }
        campo_domain::parse_json(text.as_bytes()).map_err(|e| {
            let reason = match e {
                JsonParseError::Malformed(syntax) => format!("result is not JSON: {syntax}"),
                JsonParseError::Shape(shape) => format!("{} result: {shape}", entry.result_name()),
            };
            PluginError::BadOutput { plugin: plugin.clone(), reason }
        })
    }

    fn classify_call_error(&mut self, plugin: &PluginHash, error: wasmtime::Error) -> PluginError {
        let out_of_bounds = matches!(error.downcast_ref::<Trap>(), Some(Trap::MemoryOutOfBounds));
        if out_of_bounds && self.store.data().denied.is_none() {
            if let Some(sp) = self.stack_pointer.and_then(|g| g.get(&mut self.store).i32()) {
                // The shadow stack grows down from `-zstack-size`; past address 0 it wraps.
                let memory_size = self.memory.data_size(&self.store) as u64;
                if sp < 4096 || sp as u32 as u64 >= memory_size {
                    return PluginError::Limit { plugin: plugin.clone(), limit: Limit::WasmStack };
                }
            }
        }
        classify(plugin, &self.store, error)
    }

    /// Puts the instance back to its post-warm-up state; `false` when it cannot be (the call
    /// grew the memory), and the instance must be dropped.
    fn reset(&mut self) -> bool {
        if self.image.is_empty() || self.memory.data_size(&self.store) != self.image.len() {
            return false;
        }
        // Only the pages that differ are written back: a call touches its stack and the low
        // end of the heap, and comparing a clean page costs less than rewriting it.
        let memory = self.memory.data_mut(&mut self.store);
        for (page, image) in memory.chunks_mut(RESET_PAGE).zip(self.image.chunks(RESET_PAGE)) {
            if page != image {
                page.copy_from_slice(image);
            }
        }
        for (global, value) in &self.globals {
            if global.set(&mut self.store, *value).is_err() {
                return false;
            }
        }
        true
    }
}

/// Names the limit a failed call hit, or describes its trap.
fn classify(plugin: &PluginHash, store: &Store<Guest>, error: wasmtime::Error) -> PluginError {
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
