//! The engine every guest runs on: compilation, linking, limits, deadlines.

use crate::bounded_lists::bound_lists;
use crate::bounded_text::bound_texts;
use crate::cache::CompileCache;
use crate::config_keys::ConfigKeys;
use crate::context::Context;
use crate::deadline::EPOCH_TICK;
use crate::exports::{GuestPre, add_to_linker};
use crate::guest::{Guest, GuestConfig, Linked};
use crate::instance::GuestError;
use crate::no_blocking::forbid_blocking;
use crate::version::WitVersion;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy};

/// The limits of the runtime: those every guest instance runs under, and the
/// defaults of what each guest may set for itself ([`GuestLimits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long one call into a guest export may run before it is
    /// interrupted, for a guest that sets no deadline of its own: CPU time of
    /// the thread that runs it, so that waiting for a core does not count.
    pub call_deadline: Duration,
    /// The most linear memory one instance of any guest may have, in bytes, in
    /// all its memories together: what each memory reserves of address space,
    /// and the cap of a guest that sets none of its own.
    pub memory_bytes: usize,
    /// Whether the engine meters fuel, so that a guest may be given a fuel
    /// budget per call into it; metering makes every guest a little slower.
    pub fuel: bool,
    /// How many core instances one component may create (a Rust guest needs a few).
    pub max_core_instances_per_guest: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            call_deadline: Duration::from_millis(100),
            memory_bytes: 32 << 20,
            fuel: false,
            max_core_instances_per_guest: 16,
        }
    }
}

/// What one guest may set for itself, each in place of the runtime's
/// [`Limits`] (unset: the runtime's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestLimits {
    /// How long one call into the guest may run before it is interrupted.
    pub call_deadline: Option<Duration>,
    /// The most linear memory one of its instances may have, in bytes; at
    /// most the runtime's [`Limits::memory_bytes`].
    pub memory_bytes: Option<usize>,
    /// The fuel (roughly, Wasm instructions) one call into the guest may
    /// burn before it traps; needs a runtime with [`Limits::fuel`].
    pub fuel: Option<u64>,
}

/// A guest's limits with the runtime's defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The CPU time one call may run (see [`crate::deadline`]).
    pub(crate) deadline: Duration,
    pub(crate) memory_bytes: usize,
    pub(crate) max_core_instances: usize,
    /// The fuel each call starts with; `None` on a runtime without metering.
    pub(crate) fuel: Option<u64>,
}

impl Limits {
    /// `guest`'s limits over these defaults, or why they cannot be had.
    fn resolve(&self, guest: GuestLimits) -> Result<Resolved, String> {
        let memory_bytes = guest.memory_bytes.unwrap_or(self.memory_bytes);
        if memory_bytes > self.memory_bytes {
            return Err(format!(
                "its memory limit ({} MiB) is over the runtime's ({} MiB)",
                memory_bytes >> 20,
                self.memory_bytes >> 20
            ));
        }
        let fuel = match (self.fuel, guest.fuel) {
            (false, Some(_)) => {
                return Err("it has a fuel budget but the runtime does not meter fuel".to_owned());
            }
            (false, None) => None,
            // A guest without a budget on a metering runtime runs unmetered in effect.
            (true, budget) => Some(budget.unwrap_or(u64::MAX)),
        };
        Ok(Resolved {
            deadline: guest.call_deadline.unwrap_or(self.call_deadline),
            memory_bytes,
            max_core_instances: self.max_core_instances_per_guest,
            fuel,
        })
    }
}

/// Compiles and links guests. One per process.
///
/// It starts a thread that advances the engine's epoch every few milliseconds,
/// which is what interrupts a guest past its deadline. The thread runs as long
/// as the engine does: while the runtime or any guest it loaded (and so any
/// instance of one) is alive, so that a guest still running after the runtime
/// is dropped (at shutdown) is still held to its deadline. It ends within a
/// tick of the last of them.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Context>,
    limits: Limits,
    cache: Option<CompileCache>,
}

impl Runtime {
    /// An engine with the component model, epoch interruption and memory
    /// caps from `limits`, and a linker with the host's imports (WASI
    /// included, with nothing granted).
    pub fn new(limits: Limits) -> Result<Runtime, GuestError> {
        let engine_error = |e: wasmtime::Error| GuestError::engine(format_args!("{e:#}"));
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(limits.fuel)
            // Guests are call logic, not number crunching: explicit bounds checks
            // cost little, and a reservation of the cap instead of 4 GiB per
            // memory keeps thousands of instances cheap.
            .memory_reservation(limits.memory_bytes as u64)
            .memory_guard_size(64 << 10)
            // Each instance's memories and tables are allocated for it alone: a
            // pooling slot would hold every table in a page of its own, 8 KiB
            // more per call for a Rust guest's two small tables. The executor
            // caps the instances alive, and each store's limiter their memory.
            .allocation_strategy(InstanceAllocationStrategy::OnDemand);
        let engine = Engine::new(&config).map_err(engine_error)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(engine_error)?;
        forbid_blocking(&mut linker).map_err(engine_error)?;
        add_to_linker(&mut linker).map_err(engine_error)?;
        bound_lists(&mut linker).map_err(engine_error)?;
        bound_texts(&mut linker).map_err(engine_error)?;
        start_epoch_ticker(&engine).map_err(GuestError::engine)?;
        Ok(Runtime {
            engine,
            linker,
            limits,
            cache: None,
        })
    }

    /// The same runtime, keeping compiled guests in `cache` (none: compiling
    /// every guest at every load).
    pub fn with_cache(self, cache: Option<CompileCache>) -> Runtime {
        Runtime { cache, ..self }
    }

    /// Compiles `wasm` (a component of world `app` or `call-flow` of a
    /// supported version of `switchyard:call`, see [`WitVersion`]) as the
    /// guest `name` with its config table and limits, or takes it compiled
    /// from the cache. A table that does not fit the keys the guest declares
    /// ([`ConfigKeys`]) is an error naming the key.
    pub fn load(&self, name: &str, wasm: &[u8], config: GuestConfig) -> Result<Guest, GuestError> {
        let load_error = |message: String| GuestError::load(name, &message);
        let wasmtime_error = |e: wasmtime::Error| load_error(format!("{e:#}"));
        if let Some(keys) = ConfigKeys::declared_by(wasm).map_err(load_error)?
            && let Some((key, problem)) = keys.first_problem(config.values())
        {
            return Err(load_error(format!("config key {key}: {problem}")));
        }
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache.component(&self.engine, wasm),
            None => Component::new(&self.engine, wasm).map(|component| (component, false)),
        }
        .map_err(wasmtime_error)?;
        let limits = self.limits.resolve(config.limits()).map_err(load_error)?;
        let version = self.version(&component).map_err(load_error)?;
        let pre = GuestPre::new(&self.linker, &component, version).map_err(wasmtime_error)?;
        let linked = Linked {
            pre,
            version,
            from_cache,
            engine: self.engine.clone(),
            limits,
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

/// Starts the thread that advances `engine`'s epoch every [`EPOCH_TICK`] until the
/// engine is gone. It holds the engine only weakly: its own hold would keep the engine,
/// and so itself, alive for ever.
fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("guest-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoServer;
    use crate::context::MAX_LOG_LINE;
    use crate::test_wasm::component_importing;
    use std::sync::{Arc, mpsc};

    #[test]
    fn a_load_error_quoting_a_name_the_guest_chose_is_one_line_of_the_log() {
        let forged = format!(
            "x\nERROR switchyard: forged\r\u{2028}{}",
            "x".repeat(90_000)
        );
        let runtime = Runtime::new(Limits::default()).unwrap();
        let refused = runtime.load("g", &component_importing(&forged), GuestConfig::default());
        let Err(error) = refused else {
            panic!("a name not in kebab case is refused");
        };
        let GuestError::Load { message, .. } = &error else {
            panic!("a load error, not {error:?}");
        };
        assert!(
            message.contains(r"`x\nERROR switchyard: forged\r\u{2028}xxx"),
            "{message}"
        );
        assert!(
            !error.to_string().contains(['\n', '\r', '\u{2028}']),
            "{error}"
        );
        assert!(
            message.len() <= MAX_LOG_LINE + '…'.len_utf8(),
            "{}",
            message.len()
        );
    }

    #[test]
    fn a_guest_outliving_its_runtime_is_still_stopped_at_its_deadline() {
        let runtime = Runtime::new(Limits {
            call_deadline: Duration::from_millis(50),
            ..Limits::default()
        })
        .unwrap();
        let wasm = std::fs::read(env!("SWITCHYARD_GUEST_MISBEHAVE")).unwrap();
        // Its config check spins.
        let config = [("config_problem".to_owned(), "spin".to_owned())]
            .into_iter()
            .collect();
        let guest = runtime.load("misbehave", &wasm, config).unwrap();
        drop(runtime);
        let (done, checked) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(guest.config_problem(Arc::new(NoServer)));
        });
        let checked = checked
            .recv_timeout(Duration::from_secs(10))
            .expect("the spinning guest stopped at its 50 ms deadline");
        assert!(
            matches!(checked, Err(GuestError::Timeout { .. })),
            "{checked:?}"
        );
    }
}
