//! The engine every guest runs on: compilation, linking, limits, deadlines.

use crate::cache::CompileCache;
use crate::context::Context;
use crate::exports::{AppPre, add_to_linker};
use crate::guest::{Guest, GuestConfig, Linked};
use crate::instance::GuestError;
use crate::version::WitVersion;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; call deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The limits every guest instance runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long one call into a guest export may run before it is interrupted.
    pub call_deadline: Duration,
    /// The most linear memory one instance may have, in bytes.
    pub memory_bytes: usize,
    /// How many guest instances may exist at once (calls plus control requests).
    pub max_instances: u32,
    /// How many core instances one component may create (a Rust guest needs a few).
    pub max_core_instances_per_guest: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_deadline: Duration::from_millis(100),
            memory_bytes: 32 << 20,
            max_instances: 1000,
            max_core_instances_per_guest: 16,
        }
    }
}

impl Limits {
    /// The call deadline in epoch ticks, rounded up, at least one.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let ticks = self
            .call_deadline
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// Compiles and links guests. One per process.
///
/// It owns a thread that advances the engine's epoch every few milliseconds,
/// which is what interrupts a guest past its deadline; the thread stops when the
/// runtime is dropped.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Context>,
    limits: Limits,
    cache: Option<CompileCache>,
    /// Held for its `Drop`, which stops the deadline thread with the runtime.
    _epoch: EpochTicker,
}

impl Runtime {
    /// An engine with the component model, epoch interruption and a pooling
    /// allocator sized by `limits`, and a linker with the host's imports (WASI
    /// included, with nothing granted).
    pub fn new(limits: Limits) -> Result<Runtime, GuestError> {
        let engine_error = |e: wasmtime::Error| GuestError::Engine(format!("{e:#}"));
        let per_guest = u32::try_from(limits.max_core_instances_per_guest).unwrap_or(u32::MAX);
        let instances = limits.max_instances;
        let mut pool = PoolingAllocationConfig::default();
        // A Rust guest has one linear memory and a table or two, whatever its
        // number of core instances; slots are sized to the memory cap so the pool
        // reserves address space in proportion to what guests may really use.
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(per_guest))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            .max_memory_size(limits.memory_bytes)
            .max_core_instances_per_component(per_guest);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            // Guests are call logic, not number crunching: explicit bounds checks
            // cost little, and a reservation of the cap instead of 4 GiB per
            // memory keeps thousands of instances cheap.
            .memory_reservation(limits.memory_bytes as u64)
            .memory_guard_size(64 << 10)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(engine_error)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(engine_error)?;
        add_to_linker(&mut linker).map_err(engine_error)?;
        let epoch = EpochTicker::start(engine.clone());
        Ok(Runtime {
            engine,
            linker,
            limits,
            cache: None,
            _epoch: epoch,
        })
    }

    /// The same runtime, keeping compiled guests in `cache` (none: compiling
    /// every guest at every load).
    pub fn with_cache(self, cache: Option<CompileCache>) -> Runtime {
        Runtime { cache, ..self }
    }

    /// Compiles `wasm` (a component of world `app` of a supported version of
    /// `switchyard:call`, see [`WitVersion`]) as the guest `name` with its
    /// config table, or takes it compiled from the cache.
    pub fn load(&self, name: &str, wasm: &[u8], config: GuestConfig) -> Result<Guest, GuestError> {
        let load_error = |message: String| GuestError::Load {
            guest: name.to_owned(),
            message,
        };
        let wasmtime_error = |e: wasmtime::Error| load_error(format!("{e:#}"));
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache.component(&self.engine, wasm),
            None => Component::new(&self.engine, wasm).map(|component| (component, false)),
        }
        .map_err(wasmtime_error)?;
        let version = self.version(&component).map_err(load_error)?;
        let pre = AppPre::new(&self.linker, &component, version).map_err(wasmtime_error)?;
        let linked = Linked {
            pre,
            version,
            from_cache,
            engine: self.engine.clone(),
            limits: self.limits,
        };
        Ok(Guest::new(name, config, linked))
    }

    /// The WIT version `component` targets, by the names of its imports and
    /// exports.
    fn version(&self, component: &Component) -> Result<WitVersion, String> {
        let ty = component.component_type();
        let imports = ty.imports(&self.engine).map(|(name, _)| name);
        let exports = ty.exports(&self.engine).map(|(name, _)| name);
        WitVersion::detect(imports.chain(exports))
    }
}

struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("guest-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .expect("spawning the guest epoch thread")
        };
        EpochTicker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and increments; it cannot have panicked.
            let _ = thread.join();
        }
    }
}
