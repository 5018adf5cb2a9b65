//! `switchyard`: a SIP softswitch whose call logic is WebAssembly.
//!
//! The binary's whole program: [`run`] is its `main`. The library exists so that
//! [`config`], the configuration loader, can be driven in-process (the fuzz targets
//! under `host/fuzz`); nothing else is public.

mod adapter;
mod call_routing;
mod cli_output;
mod cli_table;
mod component_file;
pub mod config;
mod config_reload;
mod control;
mod control_client;
mod control_connection;
mod control_tls;
mod control_turns;
mod ctl;
mod dial_policy;
mod durable_file;
mod events;
mod executor;
mod file_owner;
mod guest_check;
mod guest_cli;
mod guest_control;
mod guest_loader;
mod guest_new;
mod guest_registry;
mod guest_watch;
mod host_api;
mod host_functions;
mod import_sems;
mod log_level;
mod media;
mod method_list;
mod metrics;
mod network;
mod panics;
mod prompts;
mod quality;
mod recording;
mod room_state_file;
mod rtp_ports;
mod server;
mod session_functions;
mod signaling;
mod stats_file;
mod system_limits;
#[cfg(test)]
mod test_log;
mod vital;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory as _, Parser, Subcommand};
use config::Config;
use control_connection::ControlConnection;
use log_level::LogLevel;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt as _;

/// A SIP softswitch whose call logic is WebAssembly.
///
/// With no arguments it runs with the embedded default configuration: SIP on
/// UDP and TCP 5060 of every IPv4 and IPv6 address, RTP on 10000-30000, XML-RPC
/// control on 127.0.0.1:8090, and the embedded webconference guest.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version)]
struct Cli {
    /// Read the configuration from this TOML file (every key is optional).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a configuration file and exit: 0 if it is valid, 1 with
    /// `file:line:column: key: problem` if not.
    CheckConfig {
        /// The file to check.
        file: PathBuf,
    },
    /// Convert a SEMS webconference.conf into this configuration (TOML, on
    /// stdout) and exit: 0 once converted, with `file:line: key: not mapped:
    /// why` on stderr for each key that has no place here; 1 with
    /// `file:line: problem` if the file cannot be read, a line is malformed,
    /// or the result would not load here (nothing is written then).
    ImportSemsConfig {
        /// The SEMS webconference.conf.
        file: PathBuf,
        /// Write the TOML to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite the --output file if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Rooms, participants, recordings and guests of a running server,
    /// through its control API: tables, or JSON with --json. HTTPS when
    /// --config sets control.tls_cert, trusting that certificate only.
    Ctl {
        #[command(subcommand)]
        command: ctl::CtlCommand,
        #[command(flatten)]
        reach: ControlArgs,
        /// Print the answer as JSON.
        #[arg(long, global = true)]
        json: bool,
    },
    /// The guests of a running server, through its control API, reached as
    /// `ctl` reaches it (HTTPS when --config sets control.tls_cert); or a new
    /// guest crate (`guest new`).
    Guest {
        /// The server's configuration file, for `guest load` and `guest list`: as given
        /// after them.
        #[arg(long = "config", id = "guest_config", value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: GuestCommand,
    },
}

/// How `ctl` and `guest load|list` reach the control API of a running server: each option
/// given once, after `ctl`, `guest load` or `guest list`, before or after what follows it
/// (`--config` may come before the command too, or between `guest` and `load|list`).
#[derive(Debug, Args)]
struct ControlArgs {
    /// The server's configuration file: where its control API listens, its
    /// token's file and its certificate (control.listen, control.token_file,
    /// control.tls_cert).
    // An id apart from the top level's `--config`: clap gives a global argument's value to
    // every command that has an argument of its id.
    #[arg(
        long = "config",
        id = "server_config",
        value_name = "FILE",
        global = true
    )]
    config: Option<PathBuf>,
    /// The server's control API (default: control.listen of --config,
    /// else 127.0.0.1:8090); an every-address one (0.0.0.0 or ::) is
    /// reached on loopback.
    #[arg(long, value_name = "ADDR", global = true)]
    control: Option<SocketAddr>,
    /// A file whose first line is the server's bearer token (default:
    /// control.token_file of --config, if any).
    #[arg(long, value_name = "FILE", global = true)]
    token_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum GuestCommand {
    /// Load FILE as a new version of the guest NAME: new calls go to it,
    /// calls in progress stay on the version they started with.
    Load {
        /// The guest's name, as configured under `[guests]`.
        name: String,
        /// The component file, read by the server from its own file system (a
        /// relative path is taken from this command's directory); `(embedded)`:
        /// the one built into the server.
        file: PathBuf,
        #[command(flatten)]
        reach: ControlArgs,
    },
    /// List every loaded version of every guest, with its live calls.
    List {
        #[command(flatten)]
        reach: ControlArgs,
    },
    /// Create a new guest crate NAME: an example call flow on the Rust SDK,
    /// with the SDK and the WIT files, that builds on its own with
    /// `cargo build --target wasm32-wasip2 --release`.
    New {
        /// The crate's name (letters, digits, - and _, starting with a letter).
        name: String,
        /// The directory to create (default: ./NAME); it must not exist.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

impl Cli {
    /// The command line `args` as clap parses it, and then refused as clap refuses one
    /// (exit 2) when it gives `--config` or an option that a command passes down to its
    /// subcommands (`--control`, `--token-file`, `--json`) more than once, at one level or
    /// across them (`ctl --control A rooms --control B`), or `--config` before a command
    /// that reads no configuration (`check-config`, `import-sems-config`, `guest new`, also
    /// as `guest --config FILE new`); a `--config` before `ctl` or `guest load|list`, or
    /// between `guest` and `load|list`, is taken as given after it.
    fn try_parse_args(
        args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    ) -> Result<Cli, clap::Error> {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut cli = Cli::try_parse_from(&args)?;
        let refused =
            |message: &str| Err(Cli::command().error(ErrorKind::ArgumentConflict, message));
        // clap refuses an option given twice to one command, but of a global option given to
        // a command and to its subcommand it keeps the subcommand's alone: the line is counted,
        // by name, so the top level's and `guest`'s own `--config` count with the global one.
        if let Some(option) = option_given_twice(&args, &global_options(&Cli::command())) {
            return refused(&format!(
                "--{option} is given both before the command and after it"
            ));
        }
        let Some(command) = &mut cli.command else {
            return Ok(cli);
        };
        let Some(config) = cli.config.take().or_else(|| command.take_config()) else {
            return Ok(cli);
        };
        match command.reach() {
            None => refused(
                "--config is taken only by the server (no command), ctl, guest load and guest list",
            ),
            Some(reach) => {
                reach.config = Some(config);
                Ok(cli)
            }
        }
    }
}

/// The long names of the options that `command` or any of its subcommands passes down to
/// its own subcommands (clap's global arguments), each once.
fn global_options(command: &clap::Command) -> Vec<String> {
    let mut names: Vec<String> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .chain(command.get_subcommands().flat_map(global_options))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The first of the options `longs` (long names) that the command line `args` gives more
/// than once, at whatever levels: [`occurrences`].
fn option_given_twice<'a>(args: &[OsString], longs: &'a [String]) -> Option<&'a str> {
    longs
        .iter()
        .find(|long| occurrences(args, long) > 1)
        .map(String::as_str)
}

/// How many times the command line `args` gives the option `--LONG` (as `--LONG`, `--LONG
/// VALUE` or `--LONG=VALUE`), up to a `--`, after which each argument is an operand.
fn occurrences(args: &[OsString], long: &str) -> usize {
    args.iter()
        .skip(1)
        .map(|arg| arg.as_encoded_bytes())
        .take_while(|&arg| arg != b"--")
        .filter_map(|arg| arg.strip_prefix(b"--"))
        .filter_map(|arg| arg.strip_prefix(long.as_bytes()))
        .filter(|rest| rest.is_empty() || rest.starts_with(b"="))
        .count()
}

impl Command {
    /// The `--config` given between the command and its subcommand (`guest --config FILE
    /// list`), taken out of it.
    fn take_config(&mut self) -> Option<PathBuf> {
        match self {
            Command::Guest { config, .. } => config.take(),
            Command::CheckConfig { .. }
            | Command::ImportSemsConfig { .. }
            | Command::Ctl { .. } => None,
        }
    }

    /// How the command reaches a running server, when it does.
    fn reach(&mut self) -> Option<&mut ControlArgs> {
        match self {
            Command::Ctl { reach, .. }
            | Command::Guest {
                command: GuestCommand::Load { reach, .. } | GuestCommand::List { reach },
                ..
            } => Some(reach),
            Command::CheckConfig { .. }
            | Command::ImportSemsConfig { .. }
            | Command::Guest {
                command: GuestCommand::New { .. },
                ..
            } => None,
        }
    }
}

/// The `switchyard` command: parses the command line and runs what it asks for.
pub fn run() -> ExitCode {
    let cli = Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    match cli.command {
        Some(Command::CheckConfig { file }) => check_config(&file),
        Some(Command::ImportSemsConfig {
            file,
            output,
            force,
        }) => import_sems_config(&file, output.as_deref(), force),
        Some(Command::Guest { command, .. }) => guest(command),
        Some(Command::Ctl {
            command,
            reach,
            json,
        }) => ctl(reach, json, command),
        None => serve(cli.config.as_deref()),
    }
}

/// `guest load|list` against the control API reached as `ctl` reaches it
/// ([`resolve_control`]); `guest new` on its own.
fn guest(command: GuestCommand) -> ExitCode {
    match command {
        GuestCommand::Load { name, file, reach } => resolve_control(reach)
            .map_or(ExitCode::FAILURE, |connection| {
                guest_cli::load(&connection.api(), &name, &file)
            }),
        GuestCommand::List { reach } => resolve_control(reach)
            .map_or(ExitCode::FAILURE, |connection| {
                guest_cli::list(&connection.api())
            }),
        GuestCommand::New { name, dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            guest_new::new(&name, &dir)
        }
    }
}

/// `ctl …` against the control API reached as [`resolve_control`] says.
fn ctl(reach: ControlArgs, json: bool, command: ctl::CtlCommand) -> ExitCode {
    match resolve_control(reach) {
        Some(connection) => ctl::run(&connection.api(), json, command),
        None => ExitCode::FAILURE,
    }
}

/// How `ctl` and `guest load|list` reach the control API: at `--control`, else the
/// `control.listen` of the configuration in `--config`; with the token of `--token-file`,
/// else of its `control.token_file`; over HTTPS trusting its `control.tls_cert` when it has
/// one ([`ControlConnection::resolve`]). None, the reason printed, when the configuration,
/// the token's file or the certificate cannot be read: as `check-config` and `serve` print
/// a configuration's errors, each as it is, led by the file or key it is about.
fn resolve_control(reach: ControlArgs) -> Option<ControlConnection> {
    let config = client_config(reach.config.as_deref())
        .map_err(|e| eprintln!("{e}"))
        .ok()?;
    ControlConnection::resolve(config.control, reach.control, reach.token_file)
        .map_err(|e| eprintln!("{e}"))
        .ok()
}

/// The configuration in `file`, else the default one.
fn load_config(file: Option<&Path>) -> Result<Config, config::ConfigError> {
    file.map(Config::load)
        .unwrap_or_else(|| Ok(Config::default()))
}

/// The configuration in `file` as a client of its server reads it, else the default one.
fn client_config(file: Option<&Path>) -> Result<Config, config::ConfigError> {
    file.map(Config::load_for_client)
        .unwrap_or_else(|| Ok(Config::default()))
}

fn check_config(file: &Path) -> ExitCode {
    match Config::load(file).and_then(|config| guest_check::check_guests(file, &config)) {
        Ok(()) => cli_output::print(&format!("{}: OK\n", file.display())),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `import-sems-config`: the conversion, checked to load as it would from
/// where it goes (`output`, else a file in the current directory), then
/// written to stdout or to `output`: created, or with `force` replaced whole,
/// readable by its owner only (it may hold the master password).
fn import_sems_config(file: &Path, output: Option<&Path>, force: bool) -> ExitCode {
    let conversion = match import_sems::read(file)
        .and_then(|text| import_sems::convert(&file.display().to_string(), &text))
    {
        Ok(conversion) => conversion,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for note in &conversion.notes {
        eprintln!("{note}");
    }
    let destination = output.unwrap_or(Path::new("switchyard.toml"));
    if let Err(e) = conversion.check(destination) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let toml = conversion.to_toml();
    let Some(output) = output else {
        return cli_output::print(&toml);
    };
    let written = if force {
        durable_file::replace(output, toml.as_bytes(), durable_file::PRIVATE)
    } else {
        durable_file::create_new(output, toml.as_bytes(), durable_file::PRIVATE)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "{}: already exists; give --force to overwrite it",
                output.display()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}: cannot write: {e}", output.display());
            ExitCode::FAILURE
        }
    }
}

fn serve(file: Option<&Path>) -> ExitCode {
    let config = match load_config(file) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let StartFilter {
        filter,
        from_rust_log,
        refused,
    } = log_filter(std::env::var("RUST_LOG").ok(), &config.log.level);
    if let Some(refused) = refused {
        eprintln!("switchyard: warning: {refused}");
    }
    // Reloadable, so that XML-RPC's set_loglevel and a reload's log.level can change it.
    let (filter, filter_handle) = reload::Layer::new(filter);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .init();
    panics::install_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The handlers go in before anything else starts, so that no signal
    // meets the default action (which ends the process) while it starts.
    let started = Arc::new(AtomicBool::new(false));
    let reloads = file.map(|file| config_reload::Reloads::new(file.to_owned(), from_rust_log));
    let reload_asked = reloads.as_ref().map(|reloads| reloads.asker.clone());
    let asked = match watch_signals(started.clone(), reload_asked) {
        Ok(asked) => Some(asked),
        Err(e) => {
            tracing::error!("cannot install signal handlers ({e}); stop with SIGKILL");
            None
        }
    };
    let shutdown = async move {
        started.store(true, Ordering::SeqCst);
        match asked {
            Some(asked) => drop(asked.await),
            None => std::future::pending().await,
        }
    };
    // Kept to place a guest's start-up error in the file, as `check-config` places it.
    let started_with = config.clone();
    let served = runtime.block_on(server::run(
        config,
        LogLevel::new(filter_handle),
        reloads,
        shutdown,
    ));
    let code = match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match file.and_then(|file| guest_check::start_error_at(file, &started_with, &e)) {
                Some(located) => tracing::error!("{located}"),
                None => tracing::error!("{e:#}"),
            }
            ExitCode::FAILURE
        }
    };
    // Dropping the runtime would wait for every blocking task however long it hangs.
    runtime.shutdown_timeout(LEFTOVERS_WAIT);
    code
}

/// How long the blocking tasks still running once the server has stopped (a control
/// request past the control endpoint's grace, a file write on a hung disk) are waited
/// for before the process exits without them: the 5 s every part of the stop gets (the
/// calls' BYEs, the recordings' files, the control requests in flight), since each of
/// them has had its own by then.
const LEFTOVERS_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The log filter the server starts with.
struct StartFilter {
    filter: tracing_subscriber::EnvFilter,
    /// It is `RUST_LOG`'s, not `log.level`'s.
    from_rust_log: bool,
    /// The warning naming a `RUST_LOG` that is not a filter.
    refused: Option<String>,
}

/// The log filter: `rust_log` (`RUST_LOG`) when set and valid, else
/// `level` (`log.level`, which the config check parsed). A `rust_log` with no
/// directive (`RUST_LOG=`, as a unit file or a compose file leaves an unset
/// variable) counts as unset. A `rust_log` that is not a filter comes back
/// with the filter of `level` and a warning naming its first bad directive.
fn log_filter(rust_log: Option<String>, level: &str) -> StartFilter {
    use log_level::FilterError;
    let from_level = |refused| StartFilter {
        filter: log_level::parse_filter(level).unwrap_or_default(),
        from_rust_log: false,
        refused,
    };
    let Some(spec) = rust_log else {
        return from_level(None);
    };
    match log_level::parse_filter(&spec) {
        Ok(filter) => StartFilter {
            filter,
            from_rust_log: true,
            refused: None,
        },
        Err(FilterError::Empty) => from_level(None),
        Err(e @ FilterError::Invalid(_)) => {
            let bad = spec
                .split(',')
                .find(|directive| {
                    matches!(
                        log_level::parse_filter(directive),
                        Err(FilterError::Invalid(_))
                    )
                })
                .unwrap_or(&spec);
            let warning = format!(
                "RUST_LOG: {bad:?} is not a log directive ({e}); the whole of RUST_LOG is \
                 ignored and log.level {level:?} is used"
            );
            from_level(Some(warning))
        }
    }
}

/// How long after the first SIGINT or SIGTERM another is taken as the same request:
/// systemd sends its `KillSignal` (SIGTERM) right after an `ExecStop=kill -TERM $MAINPID`
/// has sent one.
const REPEAT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Installs the signal handlers, on a thread of their own that outlives the server's
/// runtime (so that a signal is heard while its blocking tasks are waited for too), and
/// returns what resolves at the first SIGINT or SIGTERM once `started` is set. Before
/// then such a signal ends the process at once with status 0: there is nothing to hang
/// up or write yet. A repeat within [`REPEAT_GRACE`] of the first is logged and ignored;
/// one after it ends the process at once with status 1, however the stop began (a
/// signal, or a vital part that ended). SIGHUP asks `reload` for a reload (the configuration
/// file is read again; one asked while the server starts is served once it is ready);
/// without a file to read, or once a signal has asked the server to stop, it is logged and
/// ignored: a closed terminal or a log rotation script must not end the server.
fn watch_signals(
    started: Arc<AtomicBool>,
    reload: Option<config_reload::ReloadAsker>,
) -> std::io::Result<tokio::sync::oneshot::Receiver<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let (asked, asked_for) = tokio::sync::oneshot::channel();
    let (installed, installing) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let handlers = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|runtime| {
                    let _entered = runtime.enter();
                    let handlers = (
                        signal(SignalKind::interrupt())?,
                        signal(SignalKind::terminate())?,
                        signal(SignalKind::hangup())?,
                    );
                    Ok((runtime, handlers))
                });
            let (runtime, (mut interrupt, mut terminate, mut hangup)) = match handlers {
                Ok(handlers) => {
                    let _ = installed.send(Ok(()));
                    handlers
                }
                Err(e) => {
                    let _ = installed.send(Err(e));
                    return;
                }
            };
            let mut asked = Some(asked);
            let mut first = None;
            runtime.block_on(async move {
                loop {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                        _ = hangup.recv() => {
                            hang_up(first.is_some(), reload.as_ref());
                            continue;
                        }
                    }
                    let now = std::time::Instant::now();
                    match heed(started.load(Ordering::SeqCst), first, now) {
                        Heed::ExitWhileStarting => {
                            tracing::info!("stopped while starting, as asked");
                            std::process::exit(0);
                        }
                        Heed::Stop => {
                            first = Some(now);
                            if let Some(asked) = asked.take() {
                                let _ = asked.send(());
                            }
                        }
                        Heed::Repeat => tracing::info!(
                            "asked again to stop within {REPEAT_GRACE:?} of the first signal: \
                             taken as the same request; the stop goes on"
                        ),
                        Heed::ExitNow => {
                            tracing::warn!(
                                "asked again to stop: exiting now, without finishing the stop"
                            );
                            std::process::exit(1);
                        }
                    }
                }
            });
        })?;
    installing
        .recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread ended")))?;
    Ok(asked_for)
}

/// What a SIGHUP does.
#[derive(Debug, PartialEq, Eq)]
enum HangupHeed {
    /// The server started without a configuration file: ignored.
    NoFile,
    /// A signal asked the server to stop: ignored, there is nothing to apply a change to.
    Stopping,
    /// The configuration file is read again; while the server starts, once it is ready (the
    /// file may have changed after it was read).
    Reload,
}

/// What a SIGHUP does, whether a signal asked the server to stop (`stopping`) and whether it
/// was given a `file`.
fn heed_hangup(stopping: bool, file: bool) -> HangupHeed {
    match (stopping, file) {
        (_, false) => HangupHeed::NoFile,
        (true, true) => HangupHeed::Stopping,
        (false, true) => HangupHeed::Reload,
    }
}

/// Does what a SIGHUP does: asks `reload` for a reload when there is one and the server is
/// not `stopping`, else logs why not. A reload asked for while the server starts waits until
/// its reload task is ready for it.
fn hang_up(stopping: bool, reload: Option<&config_reload::ReloadAsker>) {
    match heed_hangup(stopping, reload.is_some()) {
        HangupHeed::Reload => reload
            .into_iter()
            .for_each(config_reload::ReloadAsker::signal),
        HangupHeed::Stopping => {
            tracing::info!("SIGHUP ignored: the server is stopping")
        }
        HangupHeed::NoFile => tracing::info!(
            "SIGHUP ignored: the server was started without --config, so there is no \
             configuration file to read again"
        ),
    }
}

/// What a SIGINT or SIGTERM at `now` does.
#[derive(Debug, PartialEq, Eq)]
enum Heed {
    /// The server has not started: the process ends, status 0.
    ExitWhileStarting,
    /// The first: the server stops.
    Stop,
    /// Within [`REPEAT_GRACE`] of the first: ignored.
    Repeat,
    /// Past it: the process ends, status 1.
    ExitNow,
}

/// What a SIGINT or SIGTERM at `now` does, whether the server has `started` and
/// when the `first` such signal came.
fn heed(started: bool, first: Option<std::time::Instant>, now: std::time::Instant) -> Heed {
    match first {
        _ if !started => Heed::ExitWhileStarting,
        None => Heed::Stop,
        Some(at) if now.duration_since(at) < REPEAT_GRACE => Heed::Repeat,
        Some(_) => Heed::ExitNow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn a_repeat_within_two_seconds_of_the_first_signal_is_the_same_request() {
        let first = Instant::now();
        let at = |ms: u64| first + Duration::from_millis(ms);
        assert_eq!(heed(false, None, first), Heed::ExitWhileStarting);
        assert_eq!(heed(true, None, first), Heed::Stop);
        for ms in [0, 100, 1_999] {
            assert_eq!(heed(true, Some(first), at(ms)), Heed::Repeat, "{ms} ms on");
        }
        assert_eq!(heed(true, Some(first), at(2_000)), Heed::ExitNow);
        assert_eq!(heed(true, Some(first), at(60_000)), Heed::ExitNow);
    }

    /// The command line `switchyard LINE`, its words split at spaces.
    fn words(line: &str) -> Vec<OsString> {
        ["switchyard"]
            .into_iter()
            .chain(line.split(' '))
            .map(Into::into)
            .collect()
    }

    #[test]
    fn every_option_passed_down_to_subcommands_is_counted() {
        let found = global_options(&Cli::command());
        assert_eq!(found, ["config", "control", "json", "token-file"]);
    }

    #[test]
    fn an_address_token_or_json_given_before_and_after_the_subcommand_is_refused() {
        for (option, line) in [
            (
                "--control",
                "ctl --control 127.0.0.1:1 rooms --control 127.0.0.1:2",
            ),
            (
                "--control",
                "ctl --control=127.0.0.1:1 room 7 --control=127.0.0.1:2",
            ),
            (
                "--token-file",
                "ctl --token-file a kick 7 c1 --token-file=b",
            ),
            ("--json", "ctl --json rooms --json"),
        ] {
            let refused = Cli::try_parse_args(words(line)).expect_err(line);
            assert_eq!(refused.exit_code(), 2, "{line}: {refused}");
            assert_eq!(refused.kind(), ErrorKind::ArgumentConflict, "{line}");
            let message = format!("{option} is given both before the command and after it");
            assert!(refused.to_string().contains(&message), "{line}: {refused}");
        }
    }

    #[test]
    fn an_option_after_a_double_dash_is_an_operand_and_a_longer_name_another_option() {
        let room_named_control = words("ctl --control 127.0.0.1:1 room -- --control");
        assert_eq!(occurrences(&room_named_control, "control"), 1);
        assert!(Cli::try_parse_args(&room_named_control).is_ok());
        let longer = words("--controls --control-x=1 --control=2 --control");
        assert_eq!(occurrences(&longer, "control"), 2);
        assert_eq!(occurrences(&longer, "json"), 0);
    }

    #[test]
    fn a_sighup_reloads_a_server_given_a_file_unless_a_signal_stops_it() {
        assert_eq!(heed_hangup(false, true), HangupHeed::Reload);
        assert_eq!(heed_hangup(true, true), HangupHeed::Stopping);
        assert_eq!(heed_hangup(false, false), HangupHeed::NoFile);
        assert_eq!(heed_hangup(true, false), HangupHeed::NoFile);
    }

    /// The level the filter of `start` lets through, whether it is `RUST_LOG`'s, and its
    /// warning.
    fn started(start: StartFilter) -> (Option<LevelFilter>, bool, Option<String>) {
        (
            start.filter.max_level_hint(),
            start.from_rust_log,
            start.refused,
        )
    }

    #[test]
    fn a_bad_rust_log_is_named_and_log_level_used_instead() {
        let (level, from_rust_log, warning) = started(log_filter(
            Some("info,switchyard=loud,warn".into()),
            "debug",
        ));
        assert_eq!((level, from_rust_log), (Some(LevelFilter::DEBUG), false));
        let warning = warning.expect("a warning");
        assert!(
            warning.starts_with("RUST_LOG: \"switchyard=loud\" is not a log directive"),
            "{warning}"
        );
        assert!(
            warning.ends_with("log.level \"debug\" is used"),
            "{warning}"
        );

        assert_eq!(
            started(log_filter(Some("trace".into()), "debug")),
            (Some(LevelFilter::TRACE), true, None)
        );
        assert_eq!(
            started(log_filter(None, "warn")),
            (Some(LevelFilter::WARN), false, None)
        );
    }

    #[test]
    fn a_rust_log_without_directives_counts_as_unset() {
        for spec in ["", " ", ",", " , "] {
            assert_eq!(
                started(log_filter(Some(spec.into()), "warn")),
                (Some(LevelFilter::WARN), false, None),
                "RUST_LOG={spec:?}"
            );
        }
        // An empty directive beside a bad one is not the one named.
        let warning = log_filter(Some(",switchyard=loud".into()), "warn").refused;
        let warning = warning.expect("a warning");
        assert!(
            warning.starts_with("RUST_LOG: \"switchyard=loud\""),
            "{warning}"
        );
    }
}
