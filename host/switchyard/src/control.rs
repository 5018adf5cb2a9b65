//! XML-RPC functions (and the REST routes, which call them): the host's own
//! (`serverInfo`, `calls`, `stats`, `guestLoad`, `guestList`, `configReload`, SEMS's session
//! functions, `system.listMethods` and `switchyard.*`) and the guests':
//! `iface.fn(…)` and `di("iface", "fn", …)` go to the guest loaded under the
//! name `iface`, a function without an interface name to the routing guest.
//! A guest's array result gets the server-info string appended, as SEMS's
//! webconference does.
//!
//! Guest functions run in instances of their own, at most
//! `limits.control_instances` at once: control requests never take instances
//! from calls, nor calls from them. Each runs in the guest's current version,
//! and one guest's functions take turns ([`ControlTurns`]). The host's own
//! functions run on at most [`HOST_THREADS`] blocking threads at once.
//! [`access_rule`] is who may call them, as `[control]` sets it.

use crate::config::{ControlConfig, KeyPath};
use crate::config_reload::{self, ReloadAsker};
use crate::control_turns::ControlTurns;
use crate::executor::GuestExecutor;
use crate::guest_control::GuestSwitch;
use crate::host_api::{CoreHost, lock};
use crate::host_functions;
use crate::log_level::LogLevel;
use crate::media::MediaPool;
use crate::method_list::list_methods;
use crate::session_functions::SessionFunctions;
use crate::stats_file::Counters;
use std::sync::Arc;
use std::time::Duration;
use switchyard_control::access::Access;
use switchyard_control::rest::HOST_INTERFACE;
use switchyard_control::{DispatchFuture, Dispatcher, Fault, Route, Value, count};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{error, info_span};

/// How long a control request waits for its turn, a free control instance or a free thread
/// for a host function before its busy fault.
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// The most host functions (`switchyard.*`) running at once, each on a blocking thread. They
/// wait on the disk (recordings are created and synced, listed, deleted) and on the core's
/// lock, not on the CPU, so the number of cores does not size them: a small constant, more
/// than an operator's tools ask for at once. A hung disk then holds these few of the runtime's
/// blocking threads rather than all it would start (512), which guest control functions,
/// room-state writes, downloads and the wait for the recordings' writers at shutdown need too.
const HOST_THREADS: usize = 8;

/// Routes XML-RPC calls.
pub struct ControlBridge {
    host: Arc<CoreHost>,
    guests: GuestSwitch,
    media: Arc<MediaPool>,
    executor: Arc<GuestExecutor>,
    instances: Slots,
    host_threads: Slots,
    turns: ControlTurns,
    session: SessionFunctions,
    /// The counts of earlier runs (the stats file read at start).
    stats_base: Counters,
    /// Where `configReload()` asks for reloads; `None` for a server started without a file.
    reloads: Option<ReloadAsker>,
}

impl ControlBridge {
    /// Functions with no interface name, or the app guest's name, go to
    /// the current version of `guests`' routing guest, at most `instances`
    /// at once, unless the host answers them;
    /// `set_loglevel` changes the filter behind `log`.
    pub fn new(
        host: Arc<CoreHost>,
        guests: GuestSwitch,
        media: Arc<MediaPool>,
        executor: Arc<GuestExecutor>,
        instances: usize,
        log: LogLevel,
        stats_base: Counters,
    ) -> ControlBridge {
        ControlBridge {
            session: SessionFunctions::new(host.clone(), log),
            host,
            guests,
            media,
            executor,
            instances: Slots::new(instances, BUSY_WAIT, "control instance"),
            host_threads: Slots::new(HOST_THREADS, BUSY_WAIT, "thread for host functions"),
            turns: ControlTurns::default(),
            stats_base,
            reloads: None,
        }
    }

    /// The bridge with `configReload()` asking `reloads` for reloads (`None`: the server was
    /// started without a file, and answers it so).
    pub fn with_config_reloads(self, reloads: Option<ReloadAsker>) -> ControlBridge {
        ControlBridge { reloads, ..self }
    }

    fn server_info(&self) -> String {
        let core = lock(self.host.core());
        server_info(core.active_calls(), self.stats_base.plus(&core.stats()))
    }

    /// A function of the guest `name`, loaded (checked by the caller): run,
    /// once the guest's functions before it have returned, on a blocking
    /// thread (a guest call holds its thread for up to its deadline), in a
    /// fresh instance of its current version.
    async fn guest_function(
        &self,
        name: &str,
        function: String,
        params: Vec<Value>,
    ) -> Result<Value, Fault> {
        let turn = self.turns.take(name, BUSY_WAIT).await.ok_or_else(|| {
            Fault::busy(format!(
                "the functions of {name} before this one took more than {} s",
                BUSY_WAIT.as_secs()
            ))
        })?;
        let permit = self.instances.take().await?;
        let current = self
            .guests
            .current(name)
            .ok_or_else(|| Fault::unknown_interface(name))?;
        let host = self.host.clone();
        let span = info_span!(
            "guest",
            name = current.guest.name(),
            version = current.version
        );
        let doing = format!("guest function {name}.{function}");
        let outcome = on_blocking_thread(&doing, move || {
            // Held until the guest returns, even if the request is dropped meanwhile.
            let (_turn, _permit) = (turn, permit);
            let _entered = span.entered();
            let mut instance = current.metrics.counted(current.guest.instantiate(host))?;
            current
                .metrics
                .time(|| instance.handle_control(&function, &params))
        })
        .await?;
        self.host.wake();
        match outcome {
            Ok(Ok(Value::Array(mut items))) => {
                items.push(Value::String(self.server_info()));
                Ok(Value::Array(items))
            }
            Ok(Ok(value)) => Ok(value),
            Ok(Err(fault)) => Err(Fault::new(fault.code, fault.message)),
            Err(e) => {
                error!("{e}");
                Err(Fault::internal(format!("guest {name} failed")))
            }
        }
    }

    /// What the host holds and has done: `stats()`. Calls, rooms, listed
    /// participants, pending timers, guest instances and mailboxes, the calls
    /// the call core refused (`refused_*`: no instance, no codec, over the call
    /// rate limit, shutting down, no media address of the offer's family; each a
    /// call started), guest failures, the SIP endpoint's counts (`sip_*`; among
    /// them `sip_invites_refused_*`, new INVITEs it refused before any call
    /// started: no room for the INVITE's transaction, an unusable offer, a loop
    /// detected, a session interval too small, Max-Forwards 0, an unsupported
    /// extension required, a Contact or Record-Route no dialog can be made
    /// with, a Request-URI scheme not served, a SIP version not supported) and
    /// the media workers' counters summed.
    fn stats(&self) -> Value {
        let (footprint, calls, sip) = {
            let core = lock(self.host.core());
            (core.footprint(), core.stats(), core.sip_stats())
        };
        let stats = self.media.stats();
        counters([
            ("calls", footprint.calls as u64),
            ("sip_calls", footprint.sip_calls as u64),
            ("sip_transactions", footprint.sip_transactions as u64),
            ("rooms", footprint.rooms as u64),
            ("participants", footprint.participants as u64),
            ("timers", footprint.timers as u64),
            ("guest_instances", self.executor.instances() as u64),
            ("guest_mailboxes", self.executor.calls() as u64),
            ("guest_events_dropped", self.executor.dropped()),
            (
                "placed_calls_unannounced",
                self.host.placers_pending() as u64,
            ),
            ("rtp_sockets_pending", self.media.sockets_pending() as u64),
            (
                "event_calls_in_rooms",
                self.host.events().calls_in_rooms() as u64,
            ),
            ("refused_no_instance", calls.refused_no_instance),
            ("refused_no_codec", calls.refused_no_codec),
            ("guest_failures", calls.guest_failures),
            ("refused_rate_limited", calls.refused_rate_limited),
            ("refused_shutting_down", calls.refused_shutting_down),
            ("refused_no_media_address", calls.refused_no_media_address),
            ("refused_no_resources", calls.refused_no_resources),
            ("sip_bad_requests_sent", sip.bad_requests_sent),
            ("sip_too_large_sent", sip.too_large_sent),
            ("sip_dropped_too_large", sip.dropped_too_large),
            ("sip_dropped_rate_limited", sip.dropped_rate_limited),
            ("sip_dropped_unparseable", sip.dropped_unparseable),
            (
                "sip_invites_refused_overloaded",
                sip.invites_refused_overloaded,
            ),
            (
                "sip_invites_refused_unusable_offer",
                sip.invites_refused_unusable_offer,
            ),
            (
                "sip_invites_refused_loop_detected",
                sip.invites_refused_loop_detected,
            ),
            (
                "sip_invites_refused_session_interval_too_small",
                sip.invites_refused_session_interval_too_small,
            ),
            (
                "sip_invites_refused_too_many_hops",
                sip.invites_refused_too_many_hops,
            ),
            (
                "sip_invites_refused_unsupported_extension",
                sip.invites_refused_unsupported_extension,
            ),
            (
                "sip_invites_refused_bad_request",
                sip.invites_refused_bad_request,
            ),
            (
                "sip_invites_refused_unsupported_uri_scheme",
                sip.invites_refused_unsupported_uri_scheme,
            ),
            (
                "sip_invites_refused_version_not_supported",
                sip.invites_refused_version_not_supported,
            ),
            ("ticks", stats.ticks),
            ("ticks_late_over_5ms", stats.lateness.later_than(5)),
            ("ticks_late_over_20ms", stats.lateness.later_than(20)),
            ("packets_received", stats.packets_received),
            ("packets_foreign_source", stats.foreign_source_dropped),
            ("packets_lost", stats.jitter.lost),
            ("packets_late", stats.jitter.late),
            ("packets_duplicate", stats.jitter.duplicates),
            ("frames_concealed", stats.jitter.concealed),
            ("packets_sent", stats.packets_sent),
            ("encodes", stats.encodes),
            ("relayed_frames", stats.relayed_frames),
            ("bridged_transcodes", stats.bridged_transcodes),
            ("recording_dropped_frames", stats.recording_dropped_frames),
        ])
    }

    /// `system.fn`: only `listMethods`, the names of every function
    /// answered, as an array of strings.
    fn system(&self, route: &Route) -> Result<Value, Fault> {
        let name = format!("system.{}", route.function);
        if route.function != "listMethods" {
            return Err(Fault::unknown_method(&name));
        }
        no_arguments(&name, &route.params)?;
        let names = list_methods(&self.guests.routing());
        Ok(Value::Array(names.into_iter().map(Value::String).collect()))
    }
}

impl Dispatcher for ControlBridge {
    fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
        Box::pin(async move {
            if route.interface.as_deref() == Some("system") {
                return self.system(&route);
            }
            if route.interface.as_deref() == Some(HOST_INTERFACE) {
                return host_function(&self.host, &self.host_threads, route).await;
            }
            let guest = route
                .interface
                .clone()
                .unwrap_or_else(|| self.guests.routing());
            if self.guests.current(&guest).is_none() {
                return Err(Fault::unknown_interface(&guest));
            }
            if route.interface.is_none()
                && let Some(answer) = self.session.answer(&route.function, &route.params)
            {
                return answer;
            }
            match route.function.as_str() {
                // A webconference function of SEMS's, which ignores arguments it does not read.
                "serverInfo" => {
                    let info = self.server_info();
                    Ok(Value::Array(vec![
                        Value::String(info.clone()),
                        Value::String(info),
                    ]))
                }
                "calls" if route.interface.is_none() => {
                    no_arguments("calls", &route.params)?;
                    let active = lock(self.host.core()).active_calls();
                    Ok(Value::Int(i32::try_from(active).unwrap_or(i32::MAX)))
                }
                "stats" if route.interface.is_none() => {
                    no_arguments("stats", &route.params)?;
                    Ok(self.stats())
                }
                "guestLoad" if route.interface.is_none() => {
                    self.guests.load(&route.params, self.host.clone()).await
                }
                "guestList" if route.interface.is_none() => self.guests.list(&route.params),
                "configReload" if route.interface.is_none() => {
                    config_reload::config_reload(self.reloads.as_ref(), &route.params).await
                }
                _ => {
                    self.guest_function(&guest, route.function, route.params)
                        .await
                }
            }
        })
    }
}

/// Fault 300 unless `function` was called without arguments: one of the host's own takes
/// none, and a client passing some meant something it does not do.
fn no_arguments(function: &str, params: &[Value]) -> Result<(), Fault> {
    if params.is_empty() {
        return Ok(());
    }
    Err(Fault::bad_params(format!(
        "{function}: expected 0 arguments, got {}",
        params.len()
    )))
}

/// At most a fixed number of requests at once, each waiting a bounded time for its slot.
struct Slots {
    free: Arc<Semaphore>,
    wait: Duration,
    /// What a slot is, as the busy fault names it.
    what: &'static str,
}

impl Slots {
    /// `count` slots, each named `what`, waited for at most `wait`.
    fn new(count: usize, wait: Duration, what: &'static str) -> Slots {
        Slots {
            free: Arc::new(Semaphore::new(count)),
            wait,
            what,
        }
    }

    /// A slot, held until the permit is dropped; fault -32603 `busy: …` when none is free
    /// within the wait.
    async fn take(&self) -> Result<OwnedSemaphorePermit, Fault> {
        tokio::time::timeout(self.wait, self.free.clone().acquire_owned())
            .await
            .map_err(|_| {
                Fault::busy(format!(
                    "every {} is in use (waited {} s)",
                    self.what,
                    self.wait.as_secs_f64()
                ))
            })?
            .map_err(|_| Fault::internal("shutting down"))
    }
}

/// The host's function `route` (`switchyard.*`) on `host`: answered on a blocking thread,
/// off the runtime's workers (recordings are created and synced, listed and deleted on
/// disk), once one of `threads` is free.
async fn host_function(
    host: &Arc<CoreHost>,
    threads: &Slots,
    route: Route,
) -> Result<Value, Fault> {
    let thread = threads.take().await?;
    let answering = host.clone();
    let doing = format!("host function {}", route.function);
    on_blocking_thread(&doing, move || {
        // Held until the function returns, even if the request is dropped meanwhile.
        let _thread = thread;
        let answer = host_functions::answer(&answering, &route.function, &route.params);
        // Its commands queued effects for the signaling loop, which are carried out even if
        // the request is gone by now.
        answering.wake();
        answer
    })
    .await?
}

/// Runs `f` on a blocking thread and returns what it returns. If `f` panics (or the
/// runtime shuts down before it runs), the fault is `-32603 "internal error"`, as the
/// control server answers a panicking dispatcher; the error, with `doing`, is logged.
pub(crate) async fn on_blocking_thread<T: Send + 'static>(
    doing: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Fault> {
    // A panic's message can show paths and state: it is for the log, not the client.
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        error!("{doing} failed: {e}");
        Fault::internal_error()
    })
}

/// `stats()`'s struct: each counter under its name, an int while it fits 32 bits and a
/// double past that, so that a long-running server's counts keep growing.
fn counters<const N: usize>(counts: [(&str, u64); N]) -> Value {
    Value::Struct(
        counts
            .into_iter()
            .map(|(name, n)| (name.to_owned(), count(n)))
            .collect(),
    )
}

/// The server-info string, in SEMS's shape:
/// `Server: <name> (<version> (<arch>/<os>)) calls: <active> active/<total> total/<connected> connect/<minutes> min`.
pub fn server_info(active: usize, counters: Counters) -> String {
    format!(
        "Server: Switchyard ({} ({}/{})) calls: {active} active/{} total/{} connect/{} min",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS,
        counters.total,
        counters.connected(),
        counters.seconds / 60,
    )
}

/// The endpoint's access rule as `control` sets it, its token files read now and checked
/// as the configuration's check does ([`read_token_beside`]): the files may have changed
/// since. The error names the key whose file gives no token, or a read token it refuses.
pub fn access_rule(control: &ControlConfig) -> Result<Access, (KeyPath, String)> {
    let token = control
        .token()
        .map_err(|e| (["control", "token_file"].into(), e))?;
    let read_token = read_token_beside(control, token.as_deref())?;
    Ok(match (token, read_token) {
        (Some(token), Some(read_token)) => Access::with_read_token(&token, &read_token),
        (Some(token), None) => Access::token(&token),
        (None, _) => Access::open(),
    })
}

/// The token of `control.read_token_file`, read now, if set: it needs `token` (that of
/// `control.token_file`) beside it, and must differ from it, as a request carrying it would
/// be let in to change everything. The error, at `control.read_token_file`, says why not.
pub(crate) fn read_token_beside(
    control: &ControlConfig,
    token: Option<&str>,
) -> Result<Option<String>, (KeyPath, String)> {
    let key = || KeyPath::from(["control", "read_token_file"]);
    let Some(file) = &control.read_token_file else {
        return Ok(None);
    };
    let (Some(token), Some(token_file)) = (token, &control.token_file) else {
        return Err((
            key(),
            format!(
                "{}: a read token needs control.token_file: without it every request is let \
                 in, to read and to change alike",
                file.display()
            ),
        ));
    };
    let read_token = control.read_token().map_err(|e| (key(), e))?;
    if read_token.as_deref() == Some(token) {
        return Err((
            key(),
            format!(
                "{}: holds the token of control.token_file ({}): a request carrying it would \
                 be let in to change everything; give the read token one of its own",
                file.display(),
                token_file.display()
            ),
        ));
    }
    Ok(read_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_token_written_over_with_the_admin_token_since_the_check_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        let read_token_file = dir.path().join("read-token");
        std::fs::write(&token_file, "an-admin-token-of-enough-length\n").unwrap();
        std::fs::write(&read_token_file, "a-read-token-of-enough-length\n").unwrap();
        let control = ControlConfig {
            token_file: Some(token_file),
            read_token_file: Some(read_token_file.clone()),
            ..ControlConfig::default()
        };
        assert!(access_rule(&control).is_ok());
        // As a reload reads the files again once the configuration was checked.
        std::fs::write(&read_token_file, "an-admin-token-of-enough-length\n").unwrap();
        let (key, message) = access_rule(&control).unwrap_err();
        assert_eq!(key.to_string(), "control.read_token_file");
        assert!(
            message.contains("holds the token of control.token_file"),
            "{message}"
        );
    }

    #[test]
    fn server_info_has_the_sems_shape() {
        let counters = Counters {
            total: 3,
            failed: 1,
            seconds: 150,
        };
        let info = server_info(1, counters);
        let expected_tail = " calls: 1 active/3 total/2 connect/2 min";
        assert!(info.starts_with("Server: Switchyard (0.1.0 ("), "{info}");
        assert!(info.ends_with(expected_tail), "{info}");
    }

    #[test]
    fn counters_past_32_bits_go_on_as_doubles() {
        let stats = counters([
            ("rooms", 3),
            ("ticks", 3_000_000_000),
            ("packets_sent", (1 << 53) - 1),
        ]);
        assert_eq!(
            stats,
            Value::Struct(vec![
                ("rooms".into(), Value::Int(3)),
                ("ticks".into(), Value::Double(3e9)),
                (
                    "packets_sent".into(),
                    Value::Double(9_007_199_254_740_991.0)
                ),
            ])
        );
    }

    #[tokio::test]
    async fn host_functions_past_their_threads_are_busy_rather_than_left_waiting() {
        let host = Arc::new(crate::host_api::testing::host());
        let threads = Slots::new(1, Duration::from_millis(100), "thread for host functions");
        let rooms = || Route {
            interface: Some(HOST_INTERFACE.to_owned()),
            function: "rooms".to_owned(),
            params: Vec::new(),
        };
        // The core held, as a hung disk holds a function: the first holds the only thread.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, holding) = std::sync::mpsc::channel();
        let holder = {
            let host = host.clone();
            std::thread::spawn(move || {
                let _core = lock(host.core());
                held.send(()).unwrap();
                released.recv().ok();
            })
        };
        holding.recv().unwrap();
        let first = host_function(&host, &threads, rooms());
        tokio::pin!(first);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut first)
                .await
                .is_err(),
            "held up by the core"
        );
        let second = tokio::time::timeout(
            Duration::from_secs(5),
            host_function(&host, &threads, rooms()),
        )
        .await
        .expect("answered, not left waiting for a thread");
        let fault = second.unwrap_err();
        assert!(
            fault
                .message
                .starts_with("busy: every thread for host functions is in use"),
            "{}",
            fault.message
        );
        release.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(first.await, Ok(Value::Array(Vec::new())));
    }

    /// A bridge over [`crate::host_api::testing::host`] whose routing guest is the embedded
    /// webconference, with no media worker; the vitals its guest thread needs live as long.
    struct Bridge {
        bridge: ControlBridge,
        _vitals: crate::vital::VitalEnds,
    }

    impl Bridge {
        fn new() -> Bridge {
            let config = crate::config::Config::default();
            let runtime = switchyard_guest::Runtime::new(config.runtime_limits()).unwrap();
            let loader = Arc::new(crate::guest_loader::GuestLoader::new(runtime, &config));
            let registry = Arc::new(crate::guest_registry::Registry::default());
            let (guest, file, digest) = loader.load_configured("webconference").unwrap();
            registry.add("webconference", guest, file, digest, None);
            let host = Arc::new(crate::host_api::testing::host());
            let (vitals, ends) = crate::vital::vitals();
            let (media, _events) = MediaPool::start(
                0,
                switchyard_media::WorkerConfig::default(),
                0,
                crate::network::PendingSockets::default(),
                crate::media::PacketIoChoice::Sweep,
                &vitals,
                Arc::new(switchyard_core::MediaBacklog::new(1)),
            )
            .unwrap();
            let executor = GuestExecutor::start(
                registry.clone(),
                config.call_routes().unwrap(),
                host.clone(),
                1,
                1,
                Duration::ZERO,
                &vitals,
            )
            .unwrap();
            let (_filter, handle) =
                tracing_subscriber::reload::Layer::new(tracing_subscriber::EnvFilter::new("info"));
            let guests = GuestSwitch::new(
                registry,
                loader,
                "webconference".into(),
                std::collections::BTreeMap::new(),
            );
            let bridge = ControlBridge::new(
                host,
                guests,
                Arc::new(media),
                Arc::new(executor),
                1,
                LogLevel::new(handle),
                Counters::default(),
            );
            Bridge {
                bridge,
                _vitals: ends,
            }
        }

        /// The plain (no interface) `function(params…)`.
        async fn call(&self, function: &str, params: Vec<Value>) -> Result<Value, Fault> {
            let route = Route {
                interface: None,
                function: function.to_owned(),
                params,
            };
            self.bridge.dispatch(route).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_hosts_own_functions_refuse_arguments_they_do_not_take() {
        let bridge = Bridge::new();
        for (function, params) in [
            ("stats", vec![Value::from("x")]),
            ("calls", vec![Value::Int(1)]),
            ("calls", vec![Value::Int(1), Value::Int(2)]),
        ] {
            let count = params.len();
            let fault = bridge.call(function, params).await.unwrap_err();
            assert_eq!(
                (fault.code, fault.message),
                (
                    Fault::BAD_PARAMS,
                    format!("{function}: expected 0 arguments, got {count}")
                )
            );
        }
        assert_eq!(bridge.call("calls", Vec::new()).await, Ok(Value::Int(0)));
        assert!(matches!(
            bridge.call("stats", Vec::new()).await,
            Ok(Value::Struct(_))
        ));
        // SEMS's webconference function, which reads no argument and ignores any.
        let info = bridge
            .call("serverInfo", vec![Value::Int(1), Value::Int(2)])
            .await
            .unwrap();
        assert!(
            matches!(&info, Value::Array(both) if both.len() == 2),
            "{info:?}"
        );
    }

    #[test]
    fn a_panicking_blocking_function_is_an_internal_error_whose_details_are_only_logged() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let secret = "opened /var/lib/switchyard/secret.key";
        let (answer, log) = crate::test_log::logged(|| {
            runtime.block_on(on_blocking_thread(
                "host function rooms",
                move || -> Value { panic!("{secret}") },
            ))
        });
        assert_eq!(
            answer,
            Err(Fault::new(Fault::INTERNAL_ERROR, "internal error"))
        );
        assert!(log.contains("ERROR"), "{log}");
        assert!(log.contains("host function rooms failed"), "{log}");
        assert!(log.contains(secret), "{log}");
    }
}
