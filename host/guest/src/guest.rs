//! A compiled guest, ready to be instantiated per call.

use crate::budget::InstanceBudget;
use crate::call_allowance::CallAllowance;
use crate::context::{Context, one_line};
use crate::deadline::{self, CallClock};
use crate::exports::GuestPre;
use crate::instance::{GuestError, Instance};
use crate::records::RecordFiles;
use crate::runtime::Resolved;
use crate::{GuestLimits, HostApi, WitVersion};
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtx;

/// The WASI handles (streams, pollables) one instance may hold at once: a guest
/// takes a few, and each is host memory outside its budget.
const MAX_RESOURCES: usize = 1024;

/// The most bytes one `wasi:random` call may ask for; a larger request traps. The host
/// makes the bytes before they reach the guest, outside its budget (wasmtime-wasi would
/// take 64 MiB). Keys and seeds are tens of bytes; Python seeds its `random` with 2.5 KiB.
const MAX_RANDOM_BYTES: u64 = 64 << 10;

/// A guest's own configuration: its table, as the `config.get` import serves
/// it (keys to values as text: strings unquoted; numbers and booleans as
/// written), the directory its `records` import writes in, and its limits.
#[derive(Debug, Clone, Default)]
pub struct GuestConfig {
    values: BTreeMap<String, String>,
    records: RecordFiles,
    limits: GuestLimits,
}

impl GuestConfig {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every key and its value, in key order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The same table, with its records kept in `records`.
    pub fn with_records(self, records: RecordFiles) -> Self {
        GuestConfig { records, ..self }
    }

    /// Where the guest's records go.
    pub fn records(&self) -> &RecordFiles {
        &self.records
    }

    /// The same table, with limits of the guest's own.
    pub fn with_limits(self, limits: GuestLimits) -> Self {
        GuestConfig { limits, ..self }
    }

    /// The guest's own limits.
    pub fn limits(&self) -> GuestLimits {
        self.limits
    }
}

impl FromIterator<(String, String)> for GuestConfig {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        GuestConfig {
            values: iter.into_iter().collect(),
            records: RecordFiles::default(),
            limits: GuestLimits::default(),
        }
    }
}

/// A guest component compiled and linked against the host's imports of the
/// WIT version it targets.
pub struct Guest {
    name: Arc<str>,
    config: Arc<GuestConfig>,
    pre: GuestPre,
    version: WitVersion,
    from_cache: bool,
    engine: Engine,
    limits: Resolved,
}

/// What [`Guest::new`] is made of besides its name and config.
pub(crate) struct Linked {
    pub(crate) pre: GuestPre,
    pub(crate) version: WitVersion,
    pub(crate) from_cache: bool,
    pub(crate) engine: Engine,
    pub(crate) limits: Resolved,
}

impl Guest {
    pub(crate) fn new(name: &str, config: GuestConfig, linked: Linked) -> Self {
        let Linked {
            pre,
            version,
            from_cache,
            engine,
            limits,
        } = linked;
        Guest {
            name: name.into(),
            config: Arc::new(config),
            pre,
            version,
            from_cache,
            engine,
            limits,
        }
    }

    /// The name the guest was loaded under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The WIT version the guest targets.
    pub fn wit_version(&self) -> WitVersion {
        self.version
    }

    /// Whether its compiled code came from the runtime's on-disk cache rather
    /// than from compiling it.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// A fresh instance, with its own memory, whose imports go to `host`.
    pub fn instantiate(&self, host: Arc<dyn HostApi>) -> Result<Instance, GuestError> {
        let mut store = self.store(host, self.config.clone());
        let exports = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| GuestError::from_wasmtime(&self.name, "instantiate", e))?;
        Ok(Instance::new(
            self.name.clone(),
            store,
            exports,
            self.limits,
        ))
    }

    /// What the guest's check of its config table finds wrong, asked of a fresh instance whose
    /// imports go to `host`: `Ok(None)` when it finds nothing or the component does not export
    /// the check (`switchyard:settings/check`); `Err` when the instance cannot start, or the
    /// check traps or runs past its deadline (a deadline of its own, as any call's). A check
    /// that finds a problem but gives no words for it is a problem saying so. The problem, in
    /// the guest's words, is made one line of the log of at most 4 KiB as its log lines are:
    /// every use of it (a log line, a fault, `check-config`) can print it as it is. The
    /// instance has no records directory: a check writes nothing.
    pub fn config_problem(&self, host: Arc<dyn HostApi>) -> Result<Option<String>, GuestError> {
        let without_records = (*self.config).clone().with_records(RecordFiles::default());
        let mut store = self.store(host, Arc::new(without_records));
        let instance = self
            .pre
            .bare_instance(&mut store)
            .map_err(|e| GuestError::from_wasmtime(&self.name, "instantiate", e))?;
        arm(&mut store, &self.limits);
        let found = self
            .pre
            .config_problem(&mut store, &instance)
            .map_err(|e| GuestError::from_wasmtime(&self.name, "check", e))?;
        Ok(found.map(|problem| one_line(&worded(problem))))
    }

    /// A store for one instance, whose imports go to `host` and `config`, armed for its first
    /// call.
    fn store(&self, host: Arc<dyn HostApi>, config: Arc<GuestConfig>) -> Store<Context> {
        let context = Context {
            host,
            guest: self.name.clone(),
            call: String::new(),
            config,
            limits: InstanceBudget::new(self.limits.memory_bytes, self.limits.max_core_instances),
            // No preopened directories, no sockets, no environment, no stdio.
            wasi: WasiCtx::builder().max_random_size(MAX_RANDOM_BYTES).build(),
            table: {
                let mut table = ResourceTable::new();
                table.set_max_capacity(MAX_RESOURCES);
                table
            },
            clock: CallClock::default(),
            allowance: CallAllowance::default(),
        };
        let mut store = Store::new(&self.engine, context);
        store.limiter(|context| &mut context.limits);
        // What the host copies out of the guest in one call (its answer, an import's
        // arguments) is at most four times what the guest's memory can hold: entries that all
        // point at one string make no more of it (wasmtime's own default is 128 MiB). Lists
        // count the host's size of their elements (a value node 32 bytes, 16 in the guest), so
        // whatever the guest's memory holds fits.
        store.set_hostcall_fuel(self.limits.memory_bytes.saturating_mul(4));
        let limit = self.limits.deadline;
        store.epoch_deadline_callback(move |mut store| {
            deadline::on_epoch_deadline(&mut store.data_mut().clock, limit)
        });
        arm(&mut store, &self.limits);
        store
    }
}

/// A config check's `problem`, with words saying so where it gave none (nothing, or a key and
/// nothing after it).
fn worded(problem: String) -> String {
    const NO_REASON: &str = "its check found it wrong but gave no reason";
    let trimmed = problem.trim();
    match trimmed.strip_suffix(':') {
        _ if trimmed.is_empty() => NO_REASON.to_owned(),
        Some(key) => format!("{}: {NO_REASON}", key.trim_end()),
        None => problem,
    }
}

/// A fresh deadline and fuel budget in `store` for the next call into its
/// guest, as `limits` give them. The call must run on this thread: its
/// deadline counts this thread's CPU time (see [`deadline`]).
pub(crate) fn arm(store: &mut Store<Context>, limits: &Resolved) {
    store.data_mut().clock = CallClock::Unchecked;
    store.data_mut().allowance = CallAllowance::default();
    store.set_epoch_deadline(deadline::FIRST_CHECK_TICKS);
    if let Some(fuel) = limits.fuel {
        // Fuel is only `Some` on a metering engine, where setting it cannot fail.
        store
            .set_fuel(fuel)
            .expect("the engine meters fuel when a guest has a budget");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MAX_LOG_LINE;
    use crate::{Limits, NoServer, Runtime};

    #[test]
    fn a_check_answer_is_one_line_of_the_log_within_its_cap() {
        let answer = format!(
            "rooms.7.pin: not digits\r\nERROR switchyard: forged\u{1b}[2J{}",
            "x".repeat(1 << 20)
        );
        let runtime = Runtime::new(Limits::default()).unwrap();
        let wasm = std::fs::read(env!("SWITCHYARD_GUEST_MISBEHAVE")).unwrap();
        // Its check finds the value of `config_problem` wrong, in those words.
        let config = [("config_problem".to_owned(), answer)]
            .into_iter()
            .collect();
        let guest = runtime.load("misbehave", &wasm, config).unwrap();
        let problem = guest
            .config_problem(Arc::new(NoServer))
            .expect("a check that runs")
            .expect("a problem found");
        assert!(
            problem.starts_with(r"rooms.7.pin: not digits\r\nERROR switchyard: forged\u{1b}[2Jxxx"),
            "{problem:.300}"
        );
        assert!(!problem.contains(['\n', '\r', '\u{1b}']), "{problem:.300}");
        assert!(
            problem.len() <= MAX_LOG_LINE + '…'.len_utf8(),
            "{}",
            problem.len()
        );
    }
}
