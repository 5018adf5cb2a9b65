//! Starting and stopping a server: sockets, tasks, guests.

use crate::config::{Config, ControlConfig, default_sip_listen};
use crate::config_reload::{self, ReloadStats, Reloader, Reloads};
use crate::control::{ControlBridge, access_rule};
use crate::durable_file;
use crate::events::Events;
use crate::executor::GuestExecutor;
use crate::guest_control::GuestSwitch;
use crate::guest_loader::GuestLoader;
use crate::guest_registry::Registry;
use crate::guest_watch;
use crate::host_api::CoreHost;
use crate::log_level::LogLevel;
use crate::media::MediaPool;
use crate::metrics::{Metrics, Sources};
use crate::network::{PendingSockets, ShellNetwork, plain_listeners, tls_listeners};
use crate::prompts::PromptLibrary;
use crate::recording::Recorder;
use crate::room_state_file::RoomStateFile;
use crate::rtp_ports::RtpPorts;
use crate::signaling::{Signaling, Stop};
use crate::stats_file::{Counters, StatsFile};
use crate::system_limits;
use crate::vital;
use anyhow::{Context, anyhow};
use rand::TryRngCore;
use rand::rngs::OsRng;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchyard_control::ServeOptions;
use switchyard_control::file_stamp::FileStamp;
use switchyard_core::{CallCore, CoreConfig, MediaBacklog};
use switchyard_guest::{CompileCache, Runtime};
use switchyard_media::WorkerConfig;
use switchyard_net::{Resolver, SipSockets, SocketsConfig};
use switchyard_sip::{Endpoint, EndpointConfig, Limits as SipLimits, SessionTimers};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tracing::{error, info, warn};

/// How long the writers of the recordings stopped at shutdown get to complete their files.
const RECORDINGS_WAIT: Duration = Duration::from_secs(5);
/// How long past its guest's call deadline the last work of a guest thread is waited
/// for at shutdown, before the thread is taken to be stuck in a host call.
const GUEST_WORK_ROOM: Duration = Duration::from_secs(1);

/// Runs a server with `config` until `shutdown` resolves; then hangs up every
/// call and returns once they have ended. XML-RPC's `set_loglevel` changes
/// the filter behind `log`; so does a reload's `log.level`. With `reloads`, the
/// configuration file is read again at each of its requests (SIGHUP's, `configReload()`'s),
/// and what may change while calls are up applied (see [`config_reload`]), until the stop
/// begins.
pub async fn run(
    config: Config,
    log: LogLevel,
    reloads: Option<Reloads>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let reload_stats = Arc::new(ReloadStats::new(std::time::SystemTime::now()));
    let prompts = Arc::new(PromptLibrary::load(config.media.prompts_dir.as_deref())?);
    let stats_file = match &config.records.stats_dir {
        Some(dir) => Some(Arc::new(StatsFile::open(dir)?)),
        None => None,
    };
    let call_instances = config.limits.max_instances;
    let control_instances = config.limits.control_instances;
    system_limits::raise_open_files_limit();
    let runtime = Runtime::new(config.runtime_limits())?.with_cache(compile_cache(&config));
    let routes = config
        .call_routes()
        .map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    let routing_guest = routes.default_guest().to_owned();
    let dial_policy = config
        .dial_policy()
        .map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    let loader = Arc::new(GuestLoader::new(runtime, &config));
    let guests = Arc::new(Registry::default());
    // Taken before the files are read: a change written meanwhile is a change.
    let watched: Vec<_> = config
        .guests
        .iter()
        .filter(|(_, entry)| entry.watch)
        .filter_map(|(name, entry)| Some((name.clone(), entry.wasm.clone()?)))
        .map(|(name, path)| {
            let seen = FileStamp::of(&path);
            (name, path, seen)
        })
        .collect();

    let user_agent = config.sip.user_agent.clone();
    let sip = bind_sip(&config, &user_agent).await?;
    let control = TcpListener::bind(config.control.listen)
        .await
        .with_context(|| format!("control: cannot listen on {}", config.control.listen))?;
    let seed = seed().context("SIP identifiers")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = match config.media.workers {
        0 => cores,
        n => n,
    };
    let guest_threads = match config.limits.guest_threads {
        0 => 2 * cores,
        n => n,
    };
    let (vitals, mut vital_ends) = vital::vitals();
    let worker_config = WorkerConfig {
        rtp_timeout: config.rtp.timeout(),
        max_talkers: config.media.max_talkers,
        ..WorkerConfig::default()
    };
    let sockets = PendingSockets::default();
    let media_backlog = Arc::new(MediaBacklog::new(workers));
    let (media, media_events) = MediaPool::start(
        workers,
        worker_config,
        // Its own: SSRCs and sequence numbers must tell nothing of the SIP identifiers.
        self::seed().context("RTP identifiers")?,
        sockets.clone(),
        config.media.packet_io,
        &vitals,
        media_backlog.clone(),
    )
    .context("media workers")?;
    let media = Arc::new(media);
    let endpoint = Endpoint::new(EndpointConfig { user_agent }, seed)
        .with_limits(SipLimits {
            max_message_bytes: config.sip.max_message_bytes,
            max_requests_per_source_per_second: NonZeroU32::new(
                config.sip.max_requests_per_source_per_second,
            ),
        })
        .with_session_timers(SessionTimers {
            enabled: config.sip.session_timers,
            min_se: config.sip.session_min_se_s,
            default_interval: config.sip.session_expires_s,
            max_interval: config.sip.session_max_s,
        })
        .with_offer_method(config.sip.offer_method.into());
    let sip_addr = sip
        .local_addrs()
        .first()
        .map(|(_, addr)| *addr)
        .ok_or_else(|| anyhow!("SIP: no socket is listening"))?;
    let ports = RtpPorts::new(config.rtp.address, config.rtp.port_min, config.rtp.port_max);
    if ports.pairs() < call_instances {
        warn!(
            "rtp.port_min..rtp.port_max ({}..={}) holds {} port pairs, one per call, fewer than \
             limits.max_instances ({call_instances}): calls past them are refused",
            config.rtp.port_min,
            config.rtp.port_max,
            ports.pairs()
        );
    }
    let network = ShellNetwork::new(
        config.sip.advertise,
        plain_listeners(sip.local_addrs()),
        ports,
        sockets,
    )
    .reached_over_tls_on(tls_listeners(sip.local_addrs()));
    let core_config = CoreConfig {
        workers,
        participants_expire_delay: config.rooms.participants_expire_delay(),
        rooms_expire_delay: config.rooms.expire_delay(),
        predefined_rooms: config.rooms.predefined.clone(),
        max_empty_rooms: config.rooms.max_empty,
        dial_user: config.sip.dial_user.clone(),
        outbound_proxy: config.sip.outbound_proxy.clone(),
        ring_timeout: Duration::from_secs(config.sip.ring_timeout_s),
        next_target_after: Duration::from_millis(config.sip.next_target_after_ms),
        max_recordings: config.recording.max_active,
        // A held call, where no RTP is expected, is given as long to show it is
        // alive as a call that goes silent.
        peer_probe_interval: config
            .rtp
            .timeout()
            .unwrap_or(CoreConfig::default().peer_probe_interval),
        ..CoreConfig::default()
    };
    let core = Arc::new(Mutex::new(
        CallCore::new(core_config, endpoint, Box::new(network))
            .with_media_backlog(media_backlog.clone()),
    ));
    let room_state_file = match &config.rooms.state_file {
        Some(path) => Some(Arc::new(RoomStateFile::open(path, &core)?)),
        None => None,
    };
    let wake = Arc::new(Notify::new());
    let recorder = Recorder::open(
        config.recording.dir.clone(),
        config.recording.max_total_mb << 20,
    )?;
    let recording_writers = recorder.writers();
    let events = Arc::new(Events::default());
    let host = Arc::new(CoreHost::new(
        core.clone(),
        wake.clone(),
        prompts,
        recorder,
        events.clone(),
        dial_policy,
    ));
    for name in loader.names() {
        let (guest, file, digest) = loader.load_configured(name)?;
        let seen = watched
            .iter()
            .find(|(watched, _, _)| watched == name)
            .and_then(|(_, _, seen)| *seen);
        guests.add(name, guest, file, digest, seen);
    }
    // The work a guest thread runs as the executor's drain ends finishes within its
    // guest's call deadline, which counts CPU time: a busy machine gets it some room.
    let longest_deadline = loader
        .names()
        .filter_map(|name| config.guest_limits(name).call_deadline)
        .max()
        .unwrap_or(Duration::from_millis(config.limits.call_deadline_ms));
    let executor = GuestExecutor::start(
        guests.clone(),
        routes,
        host.clone(),
        guest_threads,
        call_instances as usize,
        longest_deadline + GUEST_WORK_ROOM,
        &vitals,
    )
    .context("starting the guest threads")?;
    let executor = Arc::new(executor);
    let executor_to_stop = executor.clone();

    let dns_seed = self::seed().context("DNS query ids")?;
    let resolver = Arc::new(
        match config.sip.dns_server {
            Some(server) => Resolver::with_name_server(server, dns_seed),
            None => Resolver::from_system_conf(dns_seed),
        }
        .map_err(|e| anyhow!("DNS: {e}; set sip.dns_server to the address of a DNS server"))?,
    );
    let control_addr = control.local_addr()?;
    let listening: Vec<String> = sip
        .local_addrs()
        .iter()
        .map(|(transport, addr)| format!("{transport}:{addr}"))
        .collect();
    let signaling = Signaling::new(
        sip,
        core.clone(),
        wake,
        media.clone(),
        executor.clone(),
        media_events,
        resolver,
        events.clone(),
    );
    let metrics = Metrics::new(
        Sources {
            host: host.clone(),
            media: media.clone(),
            media_backlog: media_backlog.clone(),
            executor: executor.clone(),
            instance_limit: call_instances as usize,
        },
        guests.clone(),
        reload_stats.clone(),
    );
    let watched_files = watched
        .iter()
        .map(|(name, path, _)| (name.clone(), path.clone()))
        .collect();
    let switch = GuestSwitch::new(guests, loader, routing_guest.clone(), watched_files);
    // Checked when the config was read: an error here is a file that changed since.
    let control_access =
        access_rule(&config.control).map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    let reload_asker = reloads.as_ref().map(|reloads| reloads.asker.clone());
    let reloader = reloads.map(|reloads| {
        let reloader = Reloader::new(
            &reloads,
            config.clone(),
            executor.clone(),
            switch.clone(),
            host.clone(),
            log.clone(),
            reload_stats,
            control_access.clone(),
        );
        (reloader, reloads.queue)
    });
    let watchers: Vec<_> = watched
        .into_iter()
        .map(|(name, path, seen)| {
            tokio::spawn(guest_watch::watch(
                switch.clone(),
                name,
                path,
                seen,
                host.clone(),
            ))
        })
        .collect();
    let bridge = ControlBridge::new(
        host,
        switch,
        media,
        executor,
        control_instances as usize,
        log,
        stats_file
            .as_ref()
            .map_or_else(Counters::default, |file| file.base()),
    )
    .with_config_reloads(reload_asker);
    let (stop_stats, stats_stopped) = oneshot::channel::<()>();
    let stats_task = stats_file.map(|file| {
        let keep = file.keep(core.clone(), async {
            let _ = stats_stopped.await;
        });
        tokio::spawn(vitals.watch("the stats file's task", keep))
    });
    let (stop_rooms, rooms_stopped) = oneshot::channel::<()>();
    let rooms_task = room_state_file.map(|file| {
        let keep = file.keep(core.clone(), async {
            let _ = rooms_stopped.await;
        });
        tokio::spawn(vitals.watch("the room state file's task", keep))
    });
    let (stop_control, control_stopped) = oneshot::channel::<()>();
    let control_options = ServeOptions {
        access: control_access,
        events: Some(events.log()),
        recordings: config.recording.dir.clone(),
        metrics: Some(Arc::new(metrics)),
        ..control_options(&config.control)?
    };
    // bind_sip keeps the SIP sockets' default cap on TCP connections; evicted ones still
    // closing hold sockets beside it.
    let connections = SocketsConfig::most_open(SocketsConfig::DEFAULT_MAX_CONNECTIONS)
        + control_options.max_connections;
    let control_task = tokio::spawn(vitals.watch(
        "the control endpoint",
        switchyard_control::serve_with(
            control,
            Arc::new(bridge),
            async {
                let _ = control_stopped.await;
            },
            control_options,
        ),
    ));
    system_limits::warn_of_shortfalls(
        call_instances,
        control_instances,
        system_limits::recordings_possible(&config.recording),
        connections,
    );
    info!(
        sip = %sip_addr,
        listening = ?listening,
        control = %control_addr,
        rtp = %format!("{}:{}-{}", config.rtp.address, config.rtp.port_min, config.rtp.port_max),
        workers,
        guest_threads,
        call_instances,
        control_instances,
        guest = routing_guest.as_str(),
        "switchyard ready"
    );

    let reload_task =
        reloader.map(|(reloader, queue)| tokio::spawn(config_reload::serve(reloader, queue)));
    let reloads_to_stop = reload_task.as_ref().map(|task| task.abort_handle());

    let stop = async move {
        let stop = tokio::select! {
            () = shutdown => Stop::Asked,
            part = vital_ends.next() => Stop::Failed(format!("{part} ended")),
        };
        // As a SIGHUP is then: nothing is left to apply a change to.
        if let Some(reloads) = reloads_to_stop {
            reloads.abort();
        }
        stop
    };
    let stopped = signaling.run(stop).await;
    for watcher in watchers.into_iter().chain(reload_task) {
        watcher.abort();
    }

    // The recordings were stopped with the calls: their writers complete the files.
    let writers = tokio::task::spawn_blocking(move || recording_writers.wait(RECORDINGS_WAIT));
    if !writers.await.unwrap_or(false) {
        warn!("recordings still being written after {RECORDINGS_WAIT:?}: left as they are");
    }
    // Each part is stopped in turn, whichever failed: the room state file's last write and
    // the control endpoint's orderly close do not depend on the stats file's. The control
    // endpoint stops before the room state file, and the guest threads' drain after it:
    // the requests it lets finish and the guests' last work may still change rooms, and
    // the file's last write is to hold those changes. The drain is asked for here, not
    // left to the executor's last holder (a request past the grace may be one).
    let _ = stop_stats.send(());
    if let Some(task) = stats_task {
        await_file_task(task, "the stats file's task").await;
    }
    let _ = stop_control.send(());
    match control_task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => error!("the control endpoint: {e}"),
        Err(e) => error!("the control endpoint's task: {e}"),
    }
    if let Err(e) = tokio::task::spawn_blocking(move || executor_to_stop.stop()).await {
        error!("the guest threads' stop: {e}");
    }
    let _ = stop_rooms.send(());
    if let Some(task) = rooms_task {
        await_file_task(task, "the room state file's task").await;
    }
    match stopped {
        Stop::Asked => {
            info!("switchyard stopped");
            Ok(())
        }
        Stop::Failed(why) => Err(anyhow!("switchyard stopped: {why}")),
    }
}

/// How long the stats or room state file's task is waited for once told to stop: the
/// time its writes get ([`durable_file::STOP_WAIT`]), and a second more, so that the
/// task itself says what it left.
const FILE_TASK_WAIT: Duration = durable_file::STOP_WAIT.saturating_add(Duration::from_secs(1));

/// Waits for the file task `name` told to stop, at most [`FILE_TASK_WAIT`]: one still
/// running then is left to end with the process.
async fn await_file_task(task: tokio::task::JoinHandle<()>, name: &str) {
    match tokio::time::timeout(FILE_TASK_WAIT, task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => error!("{name}: {e}"),
        Err(_) => error!(
            "{name}: still running {FILE_TASK_WAIT:?} after the stop: left to end with the process"
        ),
    }
}

/// The SIP sockets: UDP and TCP on every `sip.listen` address, and TLS on
/// every `sip.tls_listen` one. When the listen addresses are the default and
/// the host has no IPv6 (the kernel refuses an IPv6 socket), IPv4 alone
/// serves, with a warning; any other failure to bind, such as a port in use,
/// stops the start.
async fn bind_sip(config: &Config, user_agent: &str) -> anyhow::Result<SipSockets> {
    let mut listen = config.sip.listen.clone();
    if listen == default_sip_listen()
        && let Err(e) = std::net::UdpSocket::bind((std::net::Ipv6Addr::UNSPECIFIED, 0))
    {
        warn!("SIP: this host has no IPv6 ({e}); serving IPv4 only");
        listen.retain(|address| address.is_ipv4());
    }
    let sockets = SocketsConfig {
        max_message_bytes: config.sip.max_message_bytes,
        idle_timeout: Duration::from_secs(config.sip.tcp_idle_timeout_s),
        server: user_agent.to_owned(),
        ..SocketsConfig::on(listen.clone())
    };
    let mut sockets = SipSockets::bind(sockets)
        .await
        .with_context(|| format!("SIP: cannot listen on {listen:?}"))?;
    // Checked when the config was read: an error here is a file that changed since.
    let tls = config
        .sip
        .tls()
        .map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    if let Some(acceptor) = tls {
        let tls_listen = &config.sip.tls_listen;
        sockets
            .listen_tls(tls_listen, &acceptor)
            .with_context(|| format!("SIP: cannot listen for TLS on {tls_listen:?}"))?;
    }
    Ok(sockets)
}

/// The cache of compiled guests `[guest_cache]` asks for, if any.
fn compile_cache(config: &Config) -> Option<CompileCache> {
    let cache = &config.guest_cache;
    if !cache.enabled {
        return None;
    }
    let Some(dir) = cache.dir.clone().or_else(CompileCache::default_dir) else {
        warn!(
            "guest_cache: neither $XDG_CACHE_HOME nor $HOME is set and guest_cache.dir is not; \
             guests are compiled at every start"
        );
        return None;
    };
    info!("guest_cache: compiled guests kept in {}", dir.display());
    Some(CompileCache::new(dir, cache.max_entries))
}

/// A seed from the operating system's random source, unpredictable to peers:
/// each generator (SIP identifiers, RTP identifiers, DNS query ids) gets its
/// own, so what one shows tells nothing of another.
fn seed() -> anyhow::Result<u64> {
    OsRng
        .try_next_u64()
        .context("the operating system's random source failed")
}

/// The control endpoint's HTTPS and limits, as `[control]` sets them
/// (checked when the config was read, so an error here is a file that
/// changed since).
fn control_options(control: &ControlConfig) -> anyhow::Result<ServeOptions> {
    let tls = control
        .tls()
        .map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    let public_origins = control
        .public_origins()
        .map_err(|(key, message)| anyhow!("{key}: {message}"))?;
    Ok(ServeOptions {
        tls,
        max_connections_per_peer: control.max_connections_per_peer,
        public_origins,
        ..ServeOptions::default()
    })
}
