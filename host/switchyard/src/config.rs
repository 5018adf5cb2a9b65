//! The configuration file (TOML): its shape, its defaults, and its errors.
//!
//! Every key has a default, so an empty file (or no file at all) is a complete
//! configuration; `examples/switchyard.toml` lists every key with its default.
//! Errors name the file, the line and column, and the key:
//! `switchyard.toml:7:12: rtp.port_max: must not be below rtp.port_min (20000)`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use switchyard_control::PublicOrigin;
use switchyard_guest::{ConfigKeys, GuestLimits, Limits, bundled};
use switchyard_net::SocketsConfig;
use switchyard_sip::{OfferMethod, SessionTimers};

use crate::call_routing::{CallRoutes, RouteRule};
use crate::dial_policy::DialPolicy;
use crate::media::PacketIoChoice;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[log]`.
    pub log: LogConfig,
    /// `[sip]`.
    pub sip: SipConfig,
    /// `[rtp]`.
    pub rtp: RtpConfig,
    /// `[control]`.
    pub control: ControlConfig,
    /// `[media]`.
    pub media: MediaConfig,
    /// `[limits]`: what every guest instance runs under.
    pub limits: LimitsConfig,
    /// `[rooms]`: how long rooms and finished participants are kept.
    pub rooms: RoomsConfig,
    /// `[routing]`.
    pub routing: RoutingConfig,
    /// `[records]`.
    pub records: RecordsConfig,
    /// `[recording]`: where rooms are recorded.
    pub recording: RecordingConfig,
    /// `[dialout]`: which calls the host places, and how many a second.
    pub dialout: DialoutConfig,
    /// `[guest_cache]`: compiled guests kept on disk.
    pub guest_cache: GuestCacheConfig,
    /// `[guests.<name>]`: the guests to load. The embedded `webconference` is
    /// always listed, with an empty config table unless the file sets one; a
    /// guest's table holds only what the file sets, and the guest supplies its
    /// own defaults for the rest.
    pub guests: BTreeMap<String, GuestEntry>,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter (`info`, `switchyard=debug,info`, …); `RUST_LOG` overrides it.
    pub level: String,
}

/// `[sip]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Where SIP is received, over UDP and TCP on each address: one address
    /// or a list. By default both families on 5060.
    #[serde(deserialize_with = "one_or_many")]
    pub listen: Vec<SocketAddr>,
    /// The address put in Contact headers and SDP. By default the local address
    /// the host's routing table uses to reach each peer.
    pub advertise: Option<IpAddr>,
    /// The largest SIP message taken, in bytes (1024 to 65535); a larger
    /// request gets 513.
    pub max_message_bytes: usize,
    /// New requests taken per second from one source host (an IPv4 address
    /// or an IPv6 /64); 0 lifts the limit. Requests over it are dropped and
    /// counted.
    pub max_requests_per_source_per_second: u32,
    /// A SIP URI every call the host places goes through (it becomes the
    /// INVITE's Route; a loose router's URI carries `;lr`). None: calls go
    /// straight to the target their Request-URI resolves to (RFC 3263).
    pub outbound_proxy: Option<String>,
    /// The user part of a placed call's From when the guest gives none.
    pub dial_user: String,
    /// The Server header of responses and the User-Agent header of requests;
    /// empty (the default): neither is sent, so that a scan learns no product
    /// or version.
    pub user_agent: String,
    /// How long a placed call may ring unanswered before it is cancelled, in
    /// seconds (1 to 3600).
    pub ring_timeout_s: u64,
    /// How long a placed call's INVITE may go without any response, in milliseconds (500 to
    /// 32000), before the next target its resolution gave is tried.
    pub next_target_after_ms: u64,
    /// How long a TCP connection may idle before it is closed, in seconds (1
    /// to 86400); one that carries a call stays open however long it idles.
    pub tcp_idle_timeout_s: u64,
    /// The DNS server asked to resolve placed calls' targets; None: the
    /// system's resolver configuration (`/etc/resolv.conf`).
    pub dns_server: Option<SocketAddr>,
    /// Session timers (RFC 4028) for the calls the server answers (SEMS's
    /// `enable_session_timer`).
    pub session_timers: bool,
    /// The session interval chosen when a caller supports session timers but
    /// asks for none, in seconds (SEMS's `session_expires`).
    pub session_expires_s: u32,
    /// The smallest session interval accepted, in seconds: less gets 422
    /// with this Min-SE (SEMS's `minimum_timer`; at least 90).
    pub session_min_se_s: u32,
    /// The largest session interval accepted, in seconds: a longer one is
    /// shortened to it (SEMS's `maximum_timer`).
    pub session_max_s: u32,
    /// How the host sends its own new offers (hold, resume) and session
    /// refreshes in a call: `"reinvite"`, or `"update"` (RFC 3311) to peers
    /// whose Allow lists UPDATE, re-INVITE to the others (SEMS's
    /// `session_refresh_method`).
    pub offer_method: OfferMethodConfig,
}

/// `sip.offer_method`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfferMethodConfig {
    /// re-INVITE.
    #[default]
    Reinvite,
    /// UPDATE where the peer allows it.
    Update,
}

impl From<OfferMethodConfig> for OfferMethod {
    fn from(method: OfferMethodConfig) -> Self {
        match method {
            OfferMethodConfig::Reinvite => OfferMethod::Reinvite,
            OfferMethodConfig::Update => OfferMethod::Update,
        }
    }
}

/// `[rtp]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtpConfig {
    /// The address RTP sockets bind to.
    pub address: IpAddr,
    /// The lowest RTP port used.
    pub port_min: u16,
    /// The highest RTP port used.
    pub port_max: u16,
    /// A call that sends no RTP for this many seconds is hung up; 0 turns it off.
    pub timeout_s: u64,
}

/// `[control]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Where the control endpoint listens (XML-RPC at `/` and `/RPC2`, REST
    /// under `/api/v1`). Anything but a loopback address needs `token_file`.
    pub listen: SocketAddr,
    /// A file whose first line is the bearer token every request must
    /// carry (`Authorization: Bearer <token>`), at least 16 characters.
    /// Unset: no token, which only a loopback `listen` with no
    /// `public_origins` allows.
    pub token_file: Option<PathBuf>,
    /// HTTPS: the PEM certificate chain (with `tls_key`). Unset: plain HTTP.
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: the PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The most of the endpoint's 256 connections served at once from one
    /// host (an IPv4 address or an IPv6 /64; 1 to 256); behind a reverse
    /// proxy, whose address every client comes from, 256.
    pub max_connections_per_peer: usize,
    /// The origins a reverse proxy serves the endpoint under (`https://switch.example`):
    /// browsers' requests through it name them, and they are taken as the endpoint's own.
    /// Any needs `token_file`: the proxy serves the endpoint to the network.
    pub public_origins: Vec<String>,
}

/// The shortest bearer token taken.
const MIN_TOKEN_CHARS: usize = 16;

impl ControlConfig {
    /// The token of `token_file`, if set; the error says what is wrong with the file.
    pub fn token(&self) -> Result<Option<String>, String> {
        let Some(file) = &self.token_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let token = text.lines().next().unwrap_or("").trim();
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!(
                "{}: the token on its first line has {} characters; at least {MIN_TOKEN_CHARS} are needed",
                file.display(),
                token.chars().count()
            ));
        }
        // A header carries a token as visible ASCII (RFC 9110 §5.5): any other would
        // never match a Bearer header.
        if let Some(c) = token.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "{}: the token on its first line holds {c:?}; a token is letters, digits and \
                 ASCII punctuation, without spaces",
                file.display()
            ));
        }
        Ok(Some(token.to_owned()))
    }

    /// `public_origins`, parsed; the error names the entry at fault.
    pub fn public_origins(&self) -> Result<Vec<PublicOrigin>, (String, String)> {
        self.public_origins
            .iter()
            .enumerate()
            .map(|(index, origin)| {
                origin
                    .parse()
                    .map_err(|e| (format!("control.public_origins[{index}]"), e))
            })
            .collect()
    }

    /// The HTTPS acceptor, if `tls_cert` and `tls_key` are set; the error
    /// names the key at fault: `control.tls_key` for a key file that cannot
    /// be read as a PEM private key, else `control.tls_cert` (a certificate
    /// chain that cannot be read, or does not fit the key).
    pub fn tls(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, (String, String)> {
        use tokio_rustls::rustls::pki_types::PrivateKeyDer;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    (
                        "control.tls_key".to_owned(),
                        format!("{}: not a PEM private key: {e}", key.display()),
                    )
                })?;
                switchyard_control::tls::acceptor(cert, key)
                    .map(Some)
                    .map_err(|e| ("control.tls_cert".to_owned(), e))
            }
            (Some(_), None) => Err((
                "control.tls_key".to_owned(),
                "tls_cert needs tls_key".to_owned(),
            )),
            (None, Some(_)) => Err((
                "control.tls_cert".to_owned(),
                "tls_key needs tls_cert".to_owned(),
            )),
        }
    }
}

/// `[media]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Timing cores (media workers); 0 means one per CPU core.
    pub workers: usize,
    /// A directory of `<name>.wav` prompts that replace or add to the embedded ones.
    pub prompts_dir: Option<PathBuf>,
    /// The most talkers of one room mixed at once, the loudest first; 0: all.
    pub max_talkers: usize,
    /// How RTP is read and sent: `"auto"` (io_uring where the kernel allows it), `"io_uring"`
    /// or `"sweep"`.
    pub packet_io: PacketIoChoice,
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// How long one call into a guest may run, in milliseconds.
    pub call_deadline_ms: u64,
    /// The most memory one guest instance may use, in MiB.
    pub memory_mb: u32,
    /// How many call instances may be alive at once: one per call, so this is
    /// the most concurrent calls (1 to 100000).
    pub max_instances: u32,
    /// How many guest instances may serve control requests at once (1 to 1024).
    pub control_instances: u32,
    /// Threads that run guest code; 0 means two per CPU core (at most 256).
    pub guest_threads: usize,
}

/// `[rooms]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomsConfig {
    /// Seconds a finished participant stays in its room's list; 0 removes it at once.
    pub participants_expire_delay_s: u64,
    /// Seconds an empty room is kept before it is deleted.
    pub expire_delay_s: u64,
    /// Rooms that exist from start-up and are never deleted: each non-empty,
    /// at most 64 characters, none listed twice.
    pub predefined: Vec<String>,
    /// The most empty rooms kept waiting for their expiry; past it the oldest
    /// is deleted at once (1 to 10,000,000).
    pub max_empty: usize,
    /// The file the rooms (names, meta such as pins, locks) are kept in, so
    /// that they come back after a restart or a crash (relative to the config
    /// file; its directory must exist). Unset: rooms end with the process.
    pub state_file: Option<PathBuf>,
}

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The guest of the incoming calls no rule matches; also the guest that
    /// answers XML-RPC functions called without an interface name.
    pub guest: String,
    /// `[[routing.rules]]`: tried in order; the first that matches a call
    /// names its guest.
    pub rules: Vec<RouteRule>,
}

/// `[records]`: what the host keeps on disk across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordsConfig {
    /// The directory of the `stats` file (SEMS's `stats_dir`): calls in
    /// total, failed and connected seconds, carried across restarts. Unset:
    /// counted from zero at each start and never written.
    pub stats_dir: Option<PathBuf>,
}

/// `[dialout]`: the calls the host places for anyone (guests' dials and
/// forwards, the control API's dial-outs), against toll fraud.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialoutConfig {
    /// A regular expression every placed call's Request-URI must match.
    /// Unset: any.
    pub allow: Option<String>,
    /// The most calls placed in one second; 0 lifts the limit.
    pub max_per_second: u32,
}

impl Default for DialoutConfig {
    fn default() -> Self {
        DialoutConfig {
            allow: None,
            max_per_second: 20,
        }
    }
}

/// `[recording]`: rooms recorded to WAV files (`rooms.start-recording`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    /// The directory recordings are written in (relative to the config file); it must exist.
    /// Unset: every recording is refused.
    pub dir: Option<PathBuf>,
    /// The most rooms recorded at once (1 to 10,000).
    pub max_active: usize,
    /// The most megabytes (MiB) the recordings in `dir` take together (1 to 16,777,216, 16
    /// TiB): a recording is refused when less than 1 MiB of it is left, and one being written
    /// is completed where the space runs out.
    pub max_total_mb: u64,
}

/// `[guest_cache]`: compiled guests kept on disk, so that a restart does not
/// compile them again.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuestCacheConfig {
    /// Whether compiled guests are kept.
    pub enabled: bool,
    /// Their directory (relative to the config file), created when first
    /// written. Unset: `switchyard/components` in the user's cache directory
    /// (`$XDG_CACHE_HOME`, else `~/.cache`).
    pub dir: Option<PathBuf>,
    /// The most compiled guests kept (1 to 1000); past it the least recently
    /// used go.
    pub max_entries: usize,
}

/// `[guests.<name>]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestEntry {
    /// The component file; relative paths are relative to the config file.
    /// Without it the guest must be one embedded in the binary.
    pub wasm: Option<PathBuf>,
    /// The directory the guest's `records` import writes in (relative to the
    /// config file). Unset: the guest keeps no records.
    pub records_dir: Option<PathBuf>,
    /// The size, in MiB, past which no append grows a file in `records_dir`
    /// (1 to 1048576). Unset: 1024.
    pub records_max_file_mb: Option<u64>,
    /// The size, in MiB, past which no append grows the files of `records_dir`
    /// together (1 to 16777216). Unset: 10240.
    pub records_max_total_mb: Option<u64>,
    /// Whether `wasm` is watched: a changed file is loaded as the guest's
    /// next version (see `guest_watch.rs`).
    #[serde(default)]
    pub watch: bool,
    /// The guest's own table, served to it by the `config.get` import.
    #[serde(default)]
    pub config: toml::Table,
    /// `[guests.<name>.limits]`: the guest's own, in place of `[limits]`.
    #[serde(default)]
    pub limits: GuestLimitsConfig,
}

/// `[guests.<name>.limits]`: each unset key is `[limits]`' value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestLimitsConfig {
    /// How long one call into the guest may run, in milliseconds.
    pub call_deadline_ms: Option<u64>,
    /// The most memory one instance of the guest may use, in MiB.
    pub memory_mb: Option<u32>,
    /// The fuel (about one per Wasm instruction) one call into the guest may
    /// burn. Unset: no fuel limit, only the deadline.
    pub fuel: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            log: LogConfig::default(),
            sip: SipConfig::default(),
            rtp: RtpConfig::default(),
            control: ControlConfig::default(),
            media: MediaConfig::default(),
            limits: LimitsConfig::default(),
            rooms: RoomsConfig::default(),
            routing: RoutingConfig::default(),
            records: RecordsConfig::default(),
            recording: RecordingConfig::default(),
            dialout: DialoutConfig::default(),
            guest_cache: GuestCacheConfig::default(),
            guests: default_guests(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: default_sip_listen(),
            advertise: None,
            max_message_bytes: 16 * 1024,
            max_requests_per_source_per_second: 10_000,
            outbound_proxy: None,
            dial_user: "switchyard".to_owned(),
            ring_timeout_s: 60,
            next_target_after_ms: 4000,
            tcp_idle_timeout_s: SocketsConfig::DEFAULT_IDLE_TIMEOUT.as_secs(),
            user_agent: String::new(),
            dns_server: None,
            session_timers: true,
            session_expires_s: SessionTimers::DEFAULT_INTERVAL,
            session_min_se_s: SessionTimers::DEFAULT_MIN_SE,
            session_max_s: SessionTimers::DEFAULT_MAX_INTERVAL,
            offer_method: OfferMethodConfig::default(),
        }
    }
}

impl Default for RtpConfig {
    fn default() -> Self {
        RtpConfig {
            address: Ipv4Addr::UNSPECIFIED.into(),
            port_min: 10000,
            // 10,000 pairs: one for each call `limits.max_instances` allows.
            port_max: 30000,
            timeout_s: 300,
        }
    }
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            listen: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 8090),
            token_file: None,
            tls_cert: None,
            tls_key: None,
            max_connections_per_peer: 128,
            public_origins: Vec::new(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            call_deadline_ms: 100,
            memory_mb: 32,
            max_instances: 10_000,
            control_instances: 16,
            guest_threads: 0,
        }
    }
}

impl Default for RoomsConfig {
    fn default() -> Self {
        RoomsConfig {
            participants_expire_delay_s: 10,
            expire_delay_s: 7200,
            predefined: Vec::new(),
            max_empty: 10_000,
            state_file: None,
        }
    }
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            dir: None,
            max_active: 32,
            max_total_mb: 10_240,
        }
    }
}

impl Default for GuestCacheConfig {
    fn default() -> Self {
        GuestCacheConfig {
            enabled: true,
            dir: None,
            max_entries: 16,
        }
    }
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            guest: "webconference".to_owned(),
            rules: Vec::new(),
        }
    }
}

/// Control interfaces the host answers itself (`system.listMethods`,
/// `switchyard.rooms`), which no guest may be named.
const RESERVED_INTERFACES: [&str; 2] = ["system", switchyard_control::rest::HOST_INTERFACE];

/// The guests embedded in the binary.
const EMBEDDED_GUESTS: [&str; 1] = ["webconference"];

/// The embedded guests, each with an empty config table.
fn default_guests() -> BTreeMap<String, GuestEntry> {
    EMBEDDED_GUESTS
        .into_iter()
        .map(|name| (name.to_owned(), GuestEntry::embedded()))
        .collect()
}

impl GuestEntry {
    /// The embedded guest of the entry's name, with an empty config table.
    fn embedded() -> GuestEntry {
        GuestEntry {
            wasm: None,
            records_dir: None,
            records_max_file_mb: None,
            records_max_total_mb: None,
            watch: false,
            config: toml::Table::new(),
            limits: GuestLimitsConfig::default(),
        }
    }
}

/// Checks a call deadline and a memory cap (each if set), `[limits]`' or a
/// guest's own, whose table is `table`: the key path and the problem.
fn check_guest_limits(
    table: &str,
    call_deadline_ms: Option<u64>,
    memory_mb: Option<u32>,
) -> Result<(), (String, String)> {
    if let Some(ms) = call_deadline_ms
        && !(1..=10_000).contains(&ms)
    {
        return Err((
            format!("{table}.call_deadline_ms"),
            "must be 1 to 10000".to_owned(),
        ));
    }
    if let Some(mb) = memory_mb
        && !(1..=4096).contains(&mb)
    {
        return Err((format!("{table}.memory_mb"), "must be 1 to 4096".to_owned()));
    }
    Ok(())
}

fn mib(mb: u32) -> usize {
    mb as usize * 1024 * 1024
}

impl RtpConfig {
    /// The RTP inactivity timeout, if any.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_s > 0).then(|| Duration::from_secs(self.timeout_s))
    }
}

impl RoomsConfig {
    /// How long a finished participant stays in its room's list; zero removes
    /// it at once.
    pub fn participants_expire_delay(&self) -> Duration {
        Duration::from_secs(self.participants_expire_delay_s)
    }

    /// How long an empty room is kept before it is deleted; predefined rooms
    /// are never deleted.
    pub fn expire_delay(&self) -> Duration {
        Duration::from_secs(self.expire_delay_s)
    }
}

/// A configuration error, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line and column of the offending key or value, when known.
    pub position: Option<(usize, usize)>,
    /// The dotted key path (`rtp.port_max`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// `message` about `key` of `file`, located by reading the file again (no position when it
    /// cannot be read or the key is not written in it).
    pub fn at_key(file: &Path, key: String, message: String) -> ConfigError {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        ConfigError::in_text(file, &text, key, message)
    }

    /// `message` about `key` of `file`, whose text is `text`, at the key's place in it.
    fn in_text(file: &Path, text: &str, key: String, message: String) -> ConfigError {
        ConfigError {
            file: file.to_owned(),
            position: locate(text, &key),
            key: Some(key),
            message,
        }
    }
}

/// The text of the configuration file `file`.
fn read(file: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_owned(),
        position: None,
        key: None,
        message: format!("cannot read: {e}"),
    })
}

impl Config {
    /// Reads, parses and checks a configuration file.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        Config::parse(file, &read(file)?)
    }

    /// Reads and parses a configuration file for a client of the server it configures
    /// (`switchyard ctl`, `guest`): what the server alone needs (its files, directories, key,
    /// guests) is not checked, as a client's user may not read it.
    pub fn load_for_client(file: &Path) -> Result<Config, ConfigError> {
        Config::parse_unchecked(file, &read(file)?)
    }

    /// Parses and checks configuration text; `file` names it in errors and is
    /// the base of relative paths.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let config = Config::parse_unchecked(file, text)?;
        config
            .check()
            .map_err(|(key, message)| ConfigError::in_text(file, text, key, message))?;
        Ok(config)
    }

    /// Parses configuration text, checking what its types check and nothing more.
    fn parse_unchecked(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let error = |position, key, message| ConfigError {
            file: file.to_owned(),
            position,
            key,
            message,
        };
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|e| error(position_of(text, e.span()), None, e.message().to_owned()))?;
        let mut config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let position = position_of(text, inner.span()).or_else(|| locate(text, &key));
            let message = in_words(&key, inner.message());
            error(position, (key != ".").then_some(key), message)
        })?;
        config.add_embedded_guests();
        config.resolve_paths(file);
        Ok(config)
    }

    fn add_embedded_guests(&mut self) {
        for name in EMBEDDED_GUESTS {
            self.guests
                .entry(name.to_owned())
                .or_insert_with(GuestEntry::embedded);
        }
    }

    fn resolve_paths(&mut self, file: &Path) {
        // A bare file name's parent is "", which names no directory to check.
        let base = file
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for entry in self.guests.values_mut() {
            if let Some(wasm) = &mut entry.wasm {
                *wasm = base.join(&*wasm);
            }
            if let Some(dir) = &mut entry.records_dir {
                *dir = base.join(&*dir);
            }
        }
        for dir in [
            &mut self.control.token_file,
            &mut self.control.tls_cert,
            &mut self.control.tls_key,
            &mut self.media.prompts_dir,
            &mut self.records.stats_dir,
            &mut self.recording.dir,
            &mut self.guest_cache.dir,
            &mut self.rooms.state_file,
        ]
        .into_iter()
        .flatten()
        {
            *dir = base.join(&*dir);
        }
    }

    /// Checks what types alone cannot: returns the key path and the problem.
    fn check(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, message: String| Err((key.to_owned(), message));
        if let Err(e) = crate::log_level::parse_filter(&self.log.level) {
            return fail("log.level", format!("not a log filter: {e}"));
        }
        if self.sip.listen.is_empty() {
            return fail("sip.listen", "needs at least one address".to_owned());
        }
        // A wildcard serves whichever families the host has; a given address must be one
        // of its own, or the start would fail on it.
        let specific = self.sip.listen.iter().map(|a| ("sip.listen", *a));
        for (key, addr) in specific.chain([("control.listen", self.control.listen)]) {
            if !addr.ip().is_unspecified()
                && let Err(e) = of_this_host(addr)
            {
                return fail(key, format!("{addr} is no address of this host: {e}"));
            }
        }
        let token = self
            .control
            .token()
            .map_err(|e| ("control.token_file".to_owned(), e))?;
        if token.is_none() && !self.control.listen.ip().is_loopback() {
            return fail(
                "control.listen",
                format!(
                    "{} is not a loopback address: requests from the network need a bearer \
                     token; set control.token_file",
                    self.control.listen
                ),
            );
        }
        self.control.tls()?;
        if !(1..=256).contains(&self.control.max_connections_per_peer) {
            return fail(
                "control.max_connections_per_peer",
                "must be 1 to 256".to_owned(),
            );
        }
        self.control.public_origins()?;
        // A public origin's host is served as a loopback one: through the proxy, anyone who
        // reaches it would drive the endpoint.
        if token.is_none() && !self.control.public_origins.is_empty() {
            return fail(
                "control.public_origins",
                "a reverse proxy serves the endpoint to the network under these origins: \
                 requests through it need a bearer token; set control.token_file"
                    .to_owned(),
            );
        }
        if let Some(ip) = self.sip.advertise
            && let Some(why) = not_a_peers_address(ip)
        {
            return fail(
                "sip.advertise",
                format!("{ip} is {why}: peers could send neither requests nor RTP to it"),
            );
        }
        if !(1024..=65_535).contains(&self.sip.max_message_bytes) {
            return fail("sip.max_message_bytes", "must be 1024 to 65535".to_owned());
        }
        if let Some(proxy) = &self.sip.outbound_proxy {
            let scheme = proxy
                .split_once(':')
                .map(|(scheme, _)| scheme.to_ascii_lowercase());
            let host = proxy.split_once(':').map_or("", |(_, rest)| rest);
            if !matches!(scheme.as_deref(), Some("sip" | "sips"))
                || host.is_empty()
                || proxy
                    .chars()
                    .any(|c| c.is_control() || c == ' ' || c == '<' || c == '>')
            {
                return fail(
                    "sip.outbound_proxy",
                    format!("not a SIP URI like sip:proxy.example.com;lr: {proxy:?}"),
                );
            }
            if let Err(e) = switchyard_net::check_routable(proxy) {
                return fail(
                    "sip.outbound_proxy",
                    format!("no call could be placed through {proxy:?}: {e}"),
                );
            }
        }
        if self.sip.dial_user.is_empty()
            || !self
                .sip
                .dial_user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/".contains(c))
        {
            return fail(
                "sip.dial_user",
                "must be a non-empty SIP user part (letters, digits, -_.!~*'()&=+$,;?/)".to_owned(),
            );
        }
        if !(1..=3600).contains(&self.sip.ring_timeout_s) {
            return fail("sip.ring_timeout_s", "must be 1 to 3600".to_owned());
        }
        if !(500..=32_000).contains(&self.sip.next_target_after_ms) {
            return fail(
                "sip.next_target_after_ms",
                "must be 500 to 32000".to_owned(),
            );
        }
        if !(1..=86_400).contains(&self.sip.tcp_idle_timeout_s) {
            return fail("sip.tcp_idle_timeout_s", "must be 1 to 86400".to_owned());
        }
        if let Some(server) = self.sip.dns_server
            && let Some(why) = not_a_dns_server(server)
        {
            return fail(
                "sip.dns_server",
                format!("{server} {why}: no query could be sent to it"),
            );
        }
        // RFC 3261 §25.1: a header value is TEXT-UTF8 on one line.
        if self.sip.user_agent.len() > 256 || self.sip.user_agent.chars().any(char::is_control) {
            return fail(
                "sip.user_agent",
                "must be one line of at most 256 bytes without control characters".to_owned(),
            );
        }
        let sip = &self.sip;
        for (key, value, low, high) in [
            (
                "sip.session_min_se_s",
                sip.session_min_se_s,
                MIN_SESSION_MIN_SE_S,
                MAX_SESSION_S,
            ),
            (
                "sip.session_expires_s",
                sip.session_expires_s,
                sip.session_min_se_s,
                MAX_SESSION_S,
            ),
            (
                "sip.session_max_s",
                sip.session_max_s,
                sip.session_expires_s,
                MAX_SESSION_S,
            ),
        ] {
            if !(low..=high).contains(&value) {
                return fail(key, format!("must be {low} to {high}"));
            }
        }
        if self.rtp.port_min == 0 {
            return fail("rtp.port_min", "must be at least 1".to_owned());
        }
        if self.rtp.port_max < self.rtp.port_min {
            return fail(
                "rtp.port_max",
                format!("must not be below rtp.port_min ({})", self.rtp.port_min),
            );
        }
        // RFC 3550 §11: RTP takes an even port, RTCP the odd one after it.
        let first_even = u32::from(self.rtp.port_min) + u32::from(self.rtp.port_min % 2);
        if first_even + 1 > u32::from(self.rtp.port_max) {
            return fail(
                "rtp.port_max",
                format!(
                    "the range {}..={} holds no even port and the odd one after it, and a call \
                     takes such a pair (RTP on the even port, RTCP on the odd one)",
                    self.rtp.port_min, self.rtp.port_max
                ),
            );
        }
        // An address this host does not have would fail every call's RTP socket.
        if let Err(e) = of_this_host(SocketAddr::new(self.rtp.address, 0)) {
            return fail(
                "rtp.address",
                format!("no RTP socket can be bound to {}: {e}", self.rtp.address),
            );
        }
        self.check_ports_apart()?;
        if self.media.workers > 1024 {
            return fail("media.workers", "must be at most 1024".to_owned());
        }
        if self.media.max_talkers > MAX_TALKERS {
            return fail(
                "media.max_talkers",
                format!("must be at most {MAX_TALKERS} (0: every talker)"),
            );
        }
        for (key, dir) in [
            ("media.prompts_dir", &self.media.prompts_dir),
            ("records.stats_dir", &self.records.stats_dir),
            ("recording.dir", &self.recording.dir),
        ] {
            if let Some(dir) = dir
                && !dir.is_dir()
            {
                return fail(key, format!("{} is not a directory", dir.display()));
            }
        }
        // Each prompt file is decoded as the server will at start, so that one it cannot play
        // fails the check rather than the start.
        if let Some(dir) = &self.media.prompts_dir
            && let Err(e) = crate::prompts::PromptLibrary::check_dir(dir)
        {
            return fail("media.prompts_dir", format!("{e:#}"));
        }
        if let Some(file) = &self.rooms.state_file {
            self.check_state_file(file)
                .map_err(|why| ("rooms.state_file".to_owned(), why))?;
        }
        // The first two are replaced by renaming a new file into their directory; recordings
        // are new files there.
        for (key, dir) in [
            ("records.stats_dir", self.records.stats_dir.as_deref()),
            ("recording.dir", self.recording.dir.as_deref()),
            (
                "rooms.state_file",
                self.rooms.state_file.as_deref().and_then(Path::parent),
            ),
        ] {
            if let Some(dir) = dir
                && let Err(why) = writable(dir)
            {
                return fail(key, why);
            }
        }
        if !(1..=10_000).contains(&self.recording.max_active) {
            return fail("recording.max_active", "must be 1 to 10000".to_owned());
        }
        if !(1..=MAX_RECORDINGS_MB).contains(&self.recording.max_total_mb) {
            return fail(
                "recording.max_total_mb",
                format!("must be 1 to {MAX_RECORDINGS_MB}"),
            );
        }
        if !(1..=1000).contains(&self.guest_cache.max_entries) {
            return fail("guest_cache.max_entries", "must be 1 to 1000".to_owned());
        }
        check_guest_limits(
            "limits",
            Some(self.limits.call_deadline_ms),
            Some(self.limits.memory_mb),
        )?;
        if !(1..=100_000).contains(&self.limits.max_instances) {
            return fail("limits.max_instances", "must be 1 to 100000".to_owned());
        }
        if !(1..=1024).contains(&self.limits.control_instances) {
            return fail("limits.control_instances", "must be 1 to 1024".to_owned());
        }
        if self.limits.guest_threads > 256 {
            return fail("limits.guest_threads", "must be at most 256".to_owned());
        }
        // Delays are added to the clock; a year keeps that far from overflowing.
        for (key, seconds) in [
            (
                "rooms.participants_expire_delay_s",
                self.rooms.participants_expire_delay_s,
            ),
            ("rooms.expire_delay_s", self.rooms.expire_delay_s),
            ("rtp.timeout_s", self.rtp.timeout_s),
        ] {
            if seconds > MAX_DELAY_S {
                return fail(key, format!("must be at most {MAX_DELAY_S} (a year)"));
            }
        }
        if !(1..=10_000_000).contains(&self.rooms.max_empty) {
            return fail("rooms.max_empty", "must be 1 to 10000000".to_owned());
        }
        for (index, room) in self.rooms.predefined.iter().enumerate() {
            let key = format!("rooms.predefined[{index}]");
            if let Some(problem) = switchyard_core::room_name_problem(room) {
                return fail(&key, problem);
            }
            if let Some(first) = self.rooms.predefined[..index]
                .iter()
                .position(|r| r == room)
            {
                return fail(
                    &key,
                    format!("room {room:?} is already listed as rooms.predefined[{first}]"),
                );
            }
        }
        let configured = |key: &str, guest: &str| {
            if self.guests.contains_key(guest) {
                Ok(())
            } else {
                fail(
                    key,
                    format!("no guest named {guest:?} is configured under [guests]"),
                )
            }
        };
        configured("routing.guest", &self.routing.guest)?;
        self.call_routes()?;
        self.dial_policy()?;
        for (index, rule) in self.routing.rules.iter().enumerate() {
            configured(&format!("routing.rules[{index}].guest"), &rule.guest)?;
        }
        for (name, entry) in &self.guests {
            let table = guest_key(name);
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return fail(
                    &table,
                    "a guest's name is made of letters, digits, - and _ only: control \
                     functions are called as <guest>.<function>"
                        .to_owned(),
                );
            }
            if RESERVED_INTERFACES.contains(&name.as_str()) {
                return fail(
                    &table,
                    format!("{name:?} names the host's own control functions; choose another name"),
                );
            }
            if let Some(wasm) = &entry.wasm
                && !wasm.is_file()
            {
                return fail(
                    &format!("{table}.wasm"),
                    format!("{} is not a file", wasm.display()),
                );
            }
            if entry.wasm.is_none() && bundled::named(name).is_none() {
                return fail(
                    &table,
                    "no `wasm` file is configured and no guest of this name is embedded \
                     (the embedded ones: webconference, nway)"
                        .to_owned(),
                );
            }
            if entry.watch && entry.wasm.is_none() {
                return fail(
                    &format!("{table}.watch"),
                    "needs `wasm`: the embedded guest has no file to watch".to_owned(),
                );
            }
            if let Some(dir) = &entry.records_dir {
                self.check_records_dir(name, dir)?;
            }
            for (key, mb, most) in [
                (
                    "records_max_file_mb",
                    entry.records_max_file_mb,
                    MAX_RECORDS_FILE_MB,
                ),
                (
                    "records_max_total_mb",
                    entry.records_max_total_mb,
                    MAX_RECORDS_TOTAL_MB,
                ),
            ] {
                if mb.is_some_and(|mb| !(1..=most).contains(&mb)) {
                    return fail(&format!("{table}.{key}"), format!("must be 1 to {most}"));
                }
            }
            check_guest_config(name, entry)?;
            let limits = &entry.limits;
            check_guest_limits(
                &format!("{table}.limits"),
                limits.call_deadline_ms,
                limits.memory_mb,
            )?;
            if limits.fuel == Some(0) {
                return fail(
                    &format!("{table}.limits.fuel"),
                    "must be at least 1".to_owned(),
                );
            }
        }
        Ok(())
    }

    /// Checks that no two listeners would take the same port: SIP takes its ports over TCP as
    /// well as UDP, so `control.listen` (TCP) may not share one, and RTP takes UDP ports of its
    /// range, so no `sip.listen` port may lie in it; each on an address the other may bind too
    /// (see [`addresses_overlap`]). A port of 0 is picked at start, never one in use.
    fn check_ports_apart(&self) -> Result<(), (String, String)> {
        let control = self.control.listen;
        let rtp = &self.rtp;
        for &sip in &self.sip.listen {
            if control.port() != 0
                && control.port() == sip.port()
                && addresses_overlap(control.ip(), sip.ip())
            {
                return Err((
                    "control.listen".to_owned(),
                    format!(
                        "{control} has the port of sip.listen {sip}, which SIP takes over TCP as \
                         well as UDP: the control endpoint could not listen on it"
                    ),
                ));
            }
            if (rtp.port_min..=rtp.port_max).contains(&sip.port())
                && addresses_overlap(rtp_binds(rtp.address), sip.ip())
            {
                return Err((
                    "sip.listen".to_owned(),
                    format!(
                        "{sip} lies in the RTP range rtp.port_min..=rtp.port_max ({}..={}) on \
                         rtp.address {}: SIP and calls' RTP would contend for its UDP port",
                        rtp.port_min, rtp.port_max, rtp.address
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks `guests.<name>.records_dir`, `dir`: a writable directory, and
    /// none the server keeps its own files in nor another guest's records
    /// directory, as a guest may empty or overwrite any file of its
    /// directory. A directory inside one of those, or holding one, is taken:
    /// a guest names only files directly in its own.
    fn check_records_dir(&self, name: &str, dir: &Path) -> Result<(), (String, String)> {
        let key = format!("{}.records_dir", guest_key(name));
        if !dir.is_dir() {
            return Err((key, format!("{} is not a directory", dir.display())));
        }
        // The guest's records are files it makes there.
        writable(dir).map_err(|why| (key.clone(), why))?;
        match self
            .dirs_beside_records(name)
            .find(|(_, other)| same_path(dir, other))
        {
            Some((other_key, _)) => Err((
                key,
                format!(
                    "{} is also the directory of {other_key}: the guest could empty or \
                     overwrite the files kept there; give it a directory of its own",
                    dir.display()
                ),
            )),
            None => Ok(()),
        }
    }

    /// The directories no records directory of the guest `name` may be, each
    /// with the key that sets it: those the server writes its own files in,
    /// the prompts', and the other guests' records directories.
    fn dirs_beside_records<'c>(
        &'c self,
        name: &'c str,
    ) -> impl Iterator<Item = (String, PathBuf)> + 'c {
        let cache = match (&self.guest_cache.dir, self.guest_cache.enabled) {
            (Some(dir), true) => Some(("guest_cache.dir".to_owned(), dir.clone())),
            (None, true) => switchyard_guest::CompileCache::default_dir()
                .map(|dir| ("guest_cache.dir (its default)".to_owned(), dir)),
            (_, false) => None,
        };
        let server = [
            ("records.stats_dir", self.records.stats_dir.as_deref()),
            (
                "rooms.state_file",
                self.rooms.state_file.as_deref().and_then(Path::parent),
            ),
            ("recording.dir", self.recording.dir.as_deref()),
            ("media.prompts_dir", self.media.prompts_dir.as_deref()),
        ]
        .into_iter()
        .filter_map(|(key, dir)| Some((key.to_owned(), dir?.to_owned())));
        let guests = self
            .guests
            .iter()
            .filter(move |(other, _)| *other != name)
            .filter_map(|(other, entry)| {
                let dir = entry.records_dir.clone()?;
                Some((format!("{}.records_dir", guest_key(other)), dir))
            });
        server.chain(cache).chain(guests)
    }

    /// Checks `rooms.state_file`, `file`: a file (existing or not) in an
    /// existing directory, and not the stats file of `records.stats_dir`,
    /// which the two would write over each other; the error says why not.
    fn check_state_file(&self, file: &Path) -> Result<(), String> {
        if !file.parent().is_some_and(Path::is_dir) {
            return Err(format!(
                "{} is not in an existing directory",
                file.display()
            ));
        }
        if file.is_dir() {
            return Err(format!(
                "{} is a directory; give the path of the file the rooms are kept in",
                file.display()
            ));
        }
        if let Some(dir) = &self.records.stats_dir
            && same_path(file, &dir.join(crate::stats_file::FILE_NAME))
        {
            return Err(format!(
                "{} is the stats file of records.stats_dir; give the rooms a file of their own",
                file.display()
            ));
        }
        Ok(())
    }

    /// `[dialout]` compiled; an error gives the key and what is wrong.
    pub fn dial_policy(&self) -> Result<DialPolicy, (String, String)> {
        DialPolicy::new(self.dialout.allow.as_deref(), self.dialout.max_per_second)
    }

    /// `[routing]` compiled; an error gives the key and what is wrong.
    pub fn call_routes(&self) -> Result<CallRoutes, (String, String)> {
        CallRoutes::new(&self.routing.rules, &self.routing.guest)
    }

    /// The limits `name` runs under: its own over `[limits]`' (none of its
    /// own for a guest not configured).
    pub fn guest_limits(&self, name: &str) -> GuestLimits {
        let own = self
            .guests
            .get(name)
            .map(|entry| entry.limits)
            .unwrap_or_default();
        let global = &self.limits;
        GuestLimits {
            call_deadline: Some(Duration::from_millis(
                own.call_deadline_ms.unwrap_or(global.call_deadline_ms),
            )),
            memory_bytes: Some(mib(own.memory_mb.unwrap_or(global.memory_mb))),
            fuel: own.fuel,
        }
    }

    /// The runtime's limits: the most memory any guest may have, and fuel
    /// metered when any guest has a fuel budget.
    pub fn runtime_limits(&self) -> Limits {
        let memory_mb = self
            .guests
            .values()
            .filter_map(|entry| entry.limits.memory_mb)
            .fold(self.limits.memory_mb, u32::max);
        Limits {
            call_deadline: Duration::from_millis(self.limits.call_deadline_ms),
            memory_bytes: mib(memory_mb),
            fuel: self
                .guests
                .values()
                .any(|entry| entry.limits.fuel.is_some()),
            ..Limits::default()
        }
    }

    /// A guest's config table as the text values `config.get` serves: a
    /// string as it is, anything else (a number, a boolean, a table, an
    /// array) as its TOML text, a table inline (`{ "102" = "sip:…" }`).
    pub fn guest_config(entry: &GuestEntry) -> impl Iterator<Item = (String, String)> + '_ {
        entry.config.iter().map(|(key, value)| {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
    }
}

/// The widest address calls' RTP sockets bind on `rtp.address`: an unspecified one binds `::`
/// for IPv6 calls, which takes IPv4 as well.
fn rtp_binds(address: IpAddr) -> IpAddr {
    if address.is_unspecified() {
        Ipv6Addr::UNSPECIFIED.into()
    } else {
        address
    }
}

/// Whether a plain socket bound to `plain` (the control listener's, an RTP socket's) and a SIP
/// socket bound to `sip` on one port and protocol would clash: the same address (an
/// IPv4-mapped IPv6 address is its IPv4 one), or a wildcard and an address of its family. A
/// plain `::` clashes with IPv4 too, as a socket on it takes IPv4 as well; SIP's `::` does
/// not, as SIP's IPv6 sockets are IPv6-only.
fn addresses_overlap(plain: IpAddr, sip: IpAddr) -> bool {
    let (plain, sip) = (plain.to_canonical(), sip.to_canonical());
    plain == sip
        || plain == IpAddr::from(Ipv6Addr::UNSPECIFIED)
        || ((plain.is_unspecified() || sip.is_unspecified()) && plain.is_ipv4() == sip.is_ipv4())
}

/// Whether `addr`'s address is one of this host's (or the wildcard of a family
/// it has): a socket can be bound to it, on any port. An IPv6 link-local
/// address keeps its scope, without which the kernel binds none.
fn of_this_host(mut addr: SocketAddr) -> std::io::Result<()> {
    addr.set_port(0);
    std::net::UdpSocket::bind(addr).map(drop)
}

/// Whether this process may create and rename files in `dir` (its effective
/// user and groups), asked of the kernel without writing; the error says why not.
fn writable(dir: &Path) -> Result<(), String> {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    accessat(
        CWD,
        dir,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
    .map_err(|e| {
        format!(
            "the directory {} is not writable by this process: {e}",
            dir.display()
        )
    })
}

/// What makes `server` no address a DNS query can be sent to (port 0, an
/// unspecified, multicast or broadcast address); `None` if it is one.
fn not_a_dns_server(server: SocketAddr) -> Option<&'static str> {
    let ip = server.ip();
    if server.port() == 0 {
        Some("has port 0")
    } else if ip.is_unspecified() {
        Some("is unspecified")
    } else if ip.is_multicast() {
        Some("is a multicast address")
    } else if matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()) {
        Some("is the broadcast address")
    } else {
        None
    }
}

/// `path` with its links resolved: the whole path when it exists, else its
/// directory's, else as it is.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    match (
        path.parent().and_then(|dir| dir.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// Whether `a` and `b` name the same file or directory, their links resolved
/// (as far as they exist).
pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    resolved(a) == resolved(b)
}

/// The key path of the table of the guest `name`: `guests.<name>`, the name
/// quoted when TOML needs it.
fn guest_key(name: &str) -> String {
    format!("guests.{}", key_part(name))
}

/// `name` as one part of a dotted TOML key: as it is when it is a bare key
/// (letters, digits, `-` and `_`), else a basic string, quoted and escaped.
fn key_part(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return name.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Where SIP listens unless configured: both families on 5060.
pub fn default_sip_listen() -> Vec<SocketAddr> {
    vec![
        SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 5060),
        SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 5060),
    ]
}

/// One address (`"0.0.0.0:5060"`) or a list of them.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    struct Addresses;
    impl<'de> serde::de::Visitor<'de> for Addresses {
        type Value = Vec<SocketAddr>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an address like 127.0.0.1:5060, or a list of them")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            text.parse().map(|a| vec![a]).map_err(E::custom)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut addresses = Vec::new();
            while let Some(address) = seq.next_element()? {
                addresses.push(address);
            }
            Ok(addresses)
        }
    }
    d.deserialize_any(Addresses)
}

/// The longest `rooms.*_s` delay, in seconds: a year.
pub const MAX_DELAY_S: u64 = 365 * 24 * 60 * 60;

/// The largest cap on a room's talkers mixed at once.
const MAX_TALKERS: usize = 1000;

/// The largest `guests.<name>.records_max_file_mb`: 1 TiB.
const MAX_RECORDS_FILE_MB: u64 = 1 << 20;

/// The largest `guests.<name>.records_max_total_mb`: 16 TiB.
const MAX_RECORDS_TOTAL_MB: u64 = 1 << 24;

/// The largest `recording.max_total_mb`: 16 TiB.
const MAX_RECORDINGS_MB: u64 = 1 << 24;

/// The longest session interval configurable, in seconds: a day.
pub const MAX_SESSION_S: u32 = SessionTimers::DEFAULT_MAX_INTERVAL;

/// What makes `ip` an address no peer can send to (unspecified, multicast, broadcast);
/// `None` if it is one.
fn not_a_peers_address(ip: IpAddr) -> Option<&'static str> {
    if ip.is_unspecified() {
        Some("unspecified (in SDP, c=0.0.0.0 reads as hold: RFC 3264 §8.4)")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()) {
        Some("the broadcast address")
    } else {
        None
    }
}

/// The smallest `sip.session_min_se_s` taken: RFC 4028 §5 allows no Min-SE
/// below 90 s.
pub const MIN_SESSION_MIN_SE_S: u32 = 90;

/// Serde's `message` about `key` with the Rust type it expected (`u16`,
/// `socket address`, …) put in words (`a port number, 1–65535`, …); other
/// messages unchanged.
fn in_words(key: &str, message: &str) -> String {
    match message {
        "invalid socket address syntax" => return "not an address like 127.0.0.1:5060".to_owned(),
        "invalid IP address syntax" => return "not an IP address".to_owned(),
        _ => {}
    }
    let Some((problem, expected)) = message.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    let words = match expected {
        "u16" => "a port number, 1–65535",
        "u32" | "u64" | "usize" if key.ends_with("_s") => "a whole number of seconds, 0 or more",
        "u32" | "u64" | "usize" => "a whole number",
        "socket address" => "an address like 127.0.0.1:5060",
        "IP address" => "an IP address",
        "a boolean" => "true or false",
        "path string" => "a path",
        "a sequence" => "a list",
        "a map" => "a table",
        _ if expected.starts_with("struct ") => "a table",
        _ => return message.to_owned(),
    };
    format!("{problem}, expected {words}")
}

/// The 1-based line and column of a byte offset's span start.
fn position_of(text: &str, span: Option<std::ops::Range<usize>>) -> Option<(usize, usize)> {
    let start = span?.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, column))
}

/// Where the key path (`rtp.port_max`, `rooms.predefined[2]`,
/// `guests."my guest".wasm`) is written in `text`: the key, or the array
/// element for an index; else the nearest enclosing key that is written.
fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    use toml::de::DeValue;
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    'path: for (name, indices) in key_path(key) {
        let Some((name_span, mut value)) = table.get_key_value(name.as_str()) else {
            break;
        };
        found = Some(name_span.span());
        for index in indices {
            let element = match value.get_ref() {
                DeValue::Array(array) => array.get::<usize>(index),
                _ => None,
            };
            let Some(element) = element else {
                break 'path;
            };
            found = Some(element.span());
            value = element;
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    position_of(text, found)
}

/// The parts of the key path `key`, each a name and the indices after it:
/// `a."b.c"[1][2]` is `a`, then `b.c` with 1 and 2. A name is bare or a TOML
/// quoted key, basic (`"…"`, with its escapes) or literal (`'…'`). What is
/// not such a path ends the parts at it.
fn key_path(key: &str) -> Vec<(String, Vec<usize>)> {
    let mut parts = Vec::new();
    let mut rest = Some(key);
    while let Some((name, after)) = rest.and_then(key_name) {
        let (indices, after) = key_indices(after);
        parts.push((name, indices));
        rest = after.strip_prefix('.');
    }
    parts
}

/// The key name `text` starts with, and the text after it.
fn key_name(text: &str) -> Option<(String, &str)> {
    if let Some(literal) = text.strip_prefix('\'') {
        let (name, after) = literal.split_once('\'')?;
        return Some((name.to_owned(), after));
    }
    let Some(basic) = text.strip_prefix('"') else {
        let end = text.find(['.', '[']).unwrap_or(text.len());
        return Some((text[..end].to_owned(), &text[end..]));
    };
    let mut name = String::new();
    let mut chars = basic.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((name, &basic[at + 1..])),
            '\\' => name.push(unescape(&mut chars)?),
            c => name.push(c),
        }
    }
    None
}

/// The character of the escape after a backslash in a TOML basic string,
/// read from `chars`.
fn unescape(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    Some(match chars.next()?.1 {
        'b' => '\u{8}',
        't' => '\t',
        'n' => '\n',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        'x' => hex_char(chars, 2)?,
        'u' => hex_char(chars, 4)?,
        'U' => hex_char(chars, 8)?,
        c @ ('"' | '\\') => c,
        _ => return None,
    })
}

/// The character whose code is the `digits` hexadecimal digits read from `chars`.
fn hex_char(chars: &mut std::str::CharIndices<'_>, digits: usize) -> Option<char> {
    let code: String = chars.take(digits).map(|(_, c)| c).collect();
    let whole = code.len() == digits && code.chars().all(|c| c.is_ascii_hexdigit());
    whole
        .then(|| u32::from_str_radix(&code, 16).ok())
        .flatten()
        .and_then(char::from_u32)
}

/// The indices (`[2][0]`) `text` starts with, and the text after them.
fn key_indices(mut text: &str) -> (Vec<usize>, &str) {
    let mut indices = Vec::new();
    while let Some((index, after)) = text
        .strip_prefix('[')
        .and_then(|inner| inner.split_once(']'))
        .and_then(|(index, after)| Some((index.parse().ok()?, after)))
    {
        indices.push(index);
        text = after;
    }
    (indices, text)
}

/// `[guests.<name>.config]` against the keys the guest declares (see
/// [`ConfigKeys`]): the first key it does not declare, or whose value is not of
/// its kind, is the error. A guest that declares nothing, or has no component
/// to read (a missing file is `wasm`'s error), passes.
fn check_guest_config(name: &str, entry: &GuestEntry) -> Result<(), (String, String)> {
    let fail = |key: String, message: String| Err((key, message));
    if entry.config.is_empty() {
        return Ok(());
    }
    let wasm = match &entry.wasm {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => std::borrow::Cow::Owned(bytes),
            Err(e) => {
                return fail(
                    format!("{}.wasm", guest_key(name)),
                    format!("{}: {e}", path.display()),
                );
            }
        },
        None => match bundled::named(name) {
            Some(bytes) => std::borrow::Cow::Borrowed(bytes),
            None => return Ok(()),
        },
    };
    let keys = match ConfigKeys::declared_by(&wasm) {
        Ok(Some(keys)) => keys,
        Ok(None) => return Ok(()),
        Err(e) => return fail(format!("{}.wasm", guest_key(name)), e),
    };
    match keys.first_problem(Config::guest_config(entry)) {
        Some((key, problem)) => fail(
            format!("{}.config.{}", guest_key(name), key_part(&key)),
            problem,
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("test.toml"), text)
    }

    #[test]
    fn paths_in_a_config_named_without_a_directory_are_of_the_working_directory() {
        let config = Config::parse(
            Path::new("switchyard.toml"),
            "[rooms]\nstate_file = \"rooms.json\"\n",
        )
        .expect("a state file in the working directory is taken");
        assert_eq!(
            config.rooms.state_file.as_deref(),
            Some(Path::new("./rooms.json"))
        );
    }

    #[test]
    fn a_prompt_that_does_not_decode_fails_the_check_naming_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("enter_pin.wav");
        std::fs::write(&bad, b"RIFF, but no WAV").unwrap();
        let text = format!("[media]\nprompts_dir = \"{}\"\n", dir.path().display());
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "test.toml:2:1: media.prompts_dir: prompt {}: ",
                bad.display()
            )),
            "{err}"
        );
        std::fs::remove_file(&bad).unwrap();
        assert!(parse(&text).is_ok(), "a directory of no prompts is taken");
    }

    #[test]
    fn a_guest_config_key_the_guest_does_not_declare_is_an_error_with_its_line() {
        for (text, key, words) in [
            (
                "[guests.webconference.config]\nprivate_rooms = true\nprivte_rooms = true\n",
                "guests.webconference.config.privte_rooms",
                "not a key of this guest",
            ),
            (
                "[guests.webconference.config]\n\nmax_room_attempts = -1\n",
                "guests.webconference.config.max_room_attempts",
                "is not a whole number",
            ),
            (
                "[guests.nway]\n[guests.nway.config]\ndynamic_rooms = \"on\"\n",
                "guests.nway.config.dynamic_rooms",
                "is not true, false, yes or no",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            let line = text.lines().count();
            assert_eq!(err.position.map(|(l, _)| l), Some(line), "{err}");
            assert!(err.message.contains(words), "{err}");
        }
        assert!(parse("[guests.webconference.config]\nprivate_rooms = \"yes\"\n").is_ok());
    }

    #[test]
    fn an_empty_file_is_the_default() {
        assert_eq!(
            parse("").unwrap(),
            Config::default(),
            "expected an empty file to give the defaults"
        );
    }

    #[test]
    fn the_example_file_is_the_default() {
        let example = include_str!("../../../examples/switchyard.toml");
        assert_eq!(
            parse(example).unwrap(),
            Config::default(),
            "expected examples/switchyard.toml to hold every key at its default"
        );
    }

    #[test]
    fn the_embedded_guest_is_listed_with_an_empty_table_by_default() {
        let config = parse("").unwrap();
        let entry = &config.guests["webconference"];
        assert_eq!(entry.wasm, None, "the embedded guest has no wasm file");
        assert!(
            entry.config.is_empty(),
            "the host must leave the guest's defaults to the guest, got {:?}",
            entry.config
        );
    }

    #[test]
    fn guest_tables_hold_only_what_the_file_sets() {
        let config = parse("[guests.webconference.config]\nprivate_rooms = true\n").unwrap();
        let table: BTreeMap<_, _> = Config::guest_config(&config.guests["webconference"]).collect();
        assert_eq!(
            table,
            BTreeMap::from([("private_rooms".to_owned(), "true".to_owned())]),
            "expected exactly the one key the file sets"
        );
    }

    #[test]
    fn the_host_s_interface_names_are_no_guest_names() {
        let err = parse("[guests.switchyard]\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("guests.switchyard"), "{err}");
        assert!(
            err.message.contains("host's own control functions"),
            "{err}"
        );
    }

    #[test]
    fn guest_tables_and_arrays_reach_the_guest_as_toml_text() {
        let config = parse(
            "[guests.nway.config]\ndirectory = [1, 2]\n\
             [guests.nway.config.rooms.101]\npin = \"12\"\n",
        )
        .unwrap();
        let table: BTreeMap<_, _> = Config::guest_config(&config.guests["nway"]).collect();
        assert_eq!(table["directory"], "[1, 2]");
        let rooms: toml::Table = format!("v = {}", table["rooms"]).parse().unwrap();
        assert_eq!(
            rooms["v"]["101"]["pin"].as_str(),
            Some("12"),
            "{}",
            table["rooms"]
        );
    }

    #[test]
    fn another_guest_keeps_the_embedded_one_listed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        std::fs::write(dir.path().join("other.wasm"), b"").unwrap();
        let config = Config::parse(&file, "[guests.other]\nwasm = \"other.wasm\"\n").unwrap();
        assert_eq!(
            config.guests.keys().collect::<Vec<_>>(),
            ["other", "webconference"],
            "expected the configured guest and the embedded one"
        );
        assert_eq!(
            config.guests["other"].wasm.as_deref(),
            Some(dir.path().join("other.wasm").as_path()),
            "expected the wasm path relative to the config file"
        );
    }

    #[test]
    fn rooms_defaults_and_delays() {
        let rooms = parse("").unwrap().rooms;
        assert_eq!(
            rooms.participants_expire_delay(),
            Duration::from_secs(10),
            "expected finished participants to stay 10 s by default"
        );
        assert_eq!(
            rooms.expire_delay(),
            Duration::from_secs(7200),
            "expected empty rooms to stay 2 h by default"
        );
        assert!(
            rooms.predefined.is_empty(),
            "no predefined rooms by default"
        );
        let rooms = parse(
            "[rooms]\nparticipants_expire_delay_s = 0\nexpire_delay_s = 60\n\
             predefined = [\"1\", \"sales\"]\n",
        )
        .unwrap()
        .rooms;
        assert_eq!(
            rooms.participants_expire_delay(),
            Duration::ZERO,
            "expected 0 to remove finished participants at once"
        );
        assert_eq!(
            rooms.expire_delay(),
            Duration::from_secs(60),
            "expected expire_delay_s = 60 as 60 s"
        );
        assert_eq!(
            rooms.predefined,
            ["1", "sales"],
            "expected the predefined rooms in file order"
        );
    }

    #[test]
    fn predefined_rooms_are_checked_by_index() {
        let long = "r".repeat(65);
        let cases = [
            (
                "[rooms]\npredefined = [\"1\", \"\"]\n".to_owned(),
                "test.toml:2:20: rooms.predefined[1]: a room name must not be empty",
            ),
            (
                format!("[rooms]\npredefined = [\n  \"1\",\n  \"{long}\",\n]\n"),
                "test.toml:4:3: rooms.predefined[1]: a room name must be at most 64 characters, not 65",
            ),
            (
                "[control]\npublic_origins = [\n  \"https://switch.example\",\n  \"https://switch.example/console\",\n]\n".to_owned(),
                "test.toml:4:3: control.public_origins[1]: not an origin like https://switch.example or http://10.0.0.5:8090: \"https://switch.example/console\"",
            ),
            (
                "[rooms]\npredefined = [\"1\", \"2\", \"1\"]\n".to_owned(),
                "test.toml:2:25: rooms.predefined[2]: room \"1\" is already listed as rooms.predefined[0]",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(&text).expect_err(expected);
            assert_eq!(err.to_string(), expected, "for {text:?}");
        }
        let sixty_four = "é".repeat(64);
        let text = format!("[rooms]\npredefined = [\"{sixty_four}\"]\n");
        assert!(
            parse(&text).is_ok(),
            "64 characters (128 bytes) must be accepted"
        );
    }

    #[test]
    fn limits_and_delays_are_bounded() {
        let cases = [
            (
                "[rooms]\nmax_empty = 0\n",
                "rooms.max_empty: must be 1 to 10000000",
            ),
            (
                "[limits]\nmax_instances = 0\n",
                "limits.max_instances: must be 1 to 100000",
            ),
            (
                "[sip]\nadvertise = \"0.0.0.0\"\n",
                "sip.advertise: 0.0.0.0 is unspecified (in SDP, c=0.0.0.0 reads as hold: RFC \
                 3264 §8.4): peers could send neither requests nor RTP to it",
            ),
            (
                "[sip]\nadvertise = \"ff02::1\"\n",
                "sip.advertise: ff02::1 is a multicast address: peers could send neither \
                 requests nor RTP to it",
            ),
            (
                "[sip]\nadvertise = \"255.255.255.255\"\n",
                "sip.advertise: 255.255.255.255 is the broadcast address: peers could send \
                 neither requests nor RTP to it",
            ),
            (
                "[limits]\nmax_instances = 100001\n",
                "limits.max_instances: must be 1 to 100000",
            ),
            (
                "[limits]\ncontrol_instances = 0\n",
                "limits.control_instances: must be 1 to 1024",
            ),
            (
                "[limits]\ncontrol_instances = 1025\n",
                "limits.control_instances: must be 1 to 1024",
            ),
            (
                "[limits]\nguest_threads = 257\n",
                "limits.guest_threads: must be at most 256",
            ),
            (
                "[media]\nmax_talkers = 1001\n",
                "media.max_talkers: must be at most 1000 (0: every talker)",
            ),
            (
                "[recording]\nmax_total_mb = 0\n",
                "recording.max_total_mb: must be 1 to 16777216",
            ),
            (
                "[recording]\nmax_total_mb = 16777217\n",
                "recording.max_total_mb: must be 1 to 16777216",
            ),
            (
                "[control]\nmax_connections_per_peer = 0\n",
                "control.max_connections_per_peer: must be 1 to 256",
            ),
            (
                "[recording]\nmax_active = 0\n",
                "recording.max_active: must be 1 to 10000",
            ),
            (
                "[guest_cache]\nmax_entries = 0\n",
                "guest_cache.max_entries: must be 1 to 1000",
            ),
            (
                "[guests.webconference]\nrecords_max_file_mb = 0\n",
                "guests.webconference.records_max_file_mb: must be 1 to 1048576",
            ),
            (
                "[guests.webconference]\nrecords_max_total_mb = 0\n",
                "guests.webconference.records_max_total_mb: must be 1 to 16777216",
            ),
            (
                "[recording]\ndir = \"/no/such/dir\"\n",
                "recording.dir: /no/such/dir is not a directory",
            ),
            (
                "[sip]\nsession_min_se_s = 60\n",
                "sip.session_min_se_s: must be 90 to 86400",
            ),
            (
                "[sip]\nsession_expires_s = 300\nsession_min_se_s = 600\n",
                "sip.session_expires_s: must be 600 to 86400",
            ),
            (
                "[sip]\nsession_max_s = 900\n",
                "sip.session_max_s: must be 1800 to 86400",
            ),
            (
                "[sip]\nuser_agent = \"a\\r\\nX-Injected: 1\"\n",
                "sip.user_agent: must be one line of at most 256 bytes without control characters",
            ),
            (
                "[rooms]\nexpire_delay_s = 31536001\n",
                "rooms.expire_delay_s: must be at most 31536000 (a year)",
            ),
            (
                "[rooms]\nparticipants_expire_delay_s = 31536001\n",
                "rooms.participants_expire_delay_s: must be at most 31536000 (a year)",
            ),
            (
                "[rtp]\ntimeout_s = 9223372036854775807\n",
                "rtp.timeout_s: must be at most 31536000 (a year)",
            ),
            (
                "[rtp]\nport_max = 65535\nport_min = 65535\n",
                "rtp.port_max: the range 65535..=65535 holds no even port and the odd one after \
                 it, and a call takes such a pair (RTP on the even port, RTCP on the odd one)",
            ),
            (
                "[rtp]\nport_max = 10000\nport_min = 10000\n",
                "rtp.port_max: the range 10000..=10000 holds no even port and the odd one after \
                 it, and a call takes such a pair (RTP on the even port, RTCP on the odd one)",
            ),
            (
                "[sip]\noutbound_proxy = \"proxy.example.com\"\n",
                "sip.outbound_proxy: not a SIP URI like sip:proxy.example.com;lr: \"proxy.example.com\"",
            ),
            (
                "[sip]\noutbound_proxy = \"<sip:proxy.example.com;lr>\"\n",
                "sip.outbound_proxy: not a SIP URI like sip:proxy.example.com;lr: \"<sip:proxy.example.com;lr>\"",
            ),
            (
                "[sip]\noutbound_proxy = \"sips:proxy.example.com;lr\"\n",
                "sip.outbound_proxy: no call could be placed through \"sips:proxy.example.com;lr\": TLS is not supported",
            ),
            (
                "[sip]\noutbound_proxy = \"sip:proxy.example.com:99999\"\n",
                "sip.outbound_proxy: no call could be placed through \"sip:proxy.example.com:99999\": not a SIP URI with a usable host: sip:proxy.example.com:99999",
            ),
            (
                "[rtp]\naddress = \"192.0.2.1\"\n",
                "rtp.address: no RTP socket can be bound to 192.0.2.1: Cannot assign requested address (os error 99)",
            ),
            (
                "[sip]\nring_timeout_s = 0\n",
                "sip.ring_timeout_s: must be 1 to 3600",
            ),
            (
                "[sip]\nnext_target_after_ms = 100\n",
                "sip.next_target_after_ms: must be 500 to 32000",
            ),
            (
                "[sip]\ntcp_idle_timeout_s = 0\n",
                "sip.tcp_idle_timeout_s: must be 1 to 86400",
            ),
            (
                "[sip]\ndial_user = \"two words\"\n",
                "sip.dial_user: must be a non-empty SIP user part (letters, digits, -_.!~*'()&=+$,;?/)",
            ),
            (
                "[rooms]\nstate_file = \"/no/such/dir/rooms.json\"\n",
                "rooms.state_file: /no/such/dir/rooms.json is not in an existing directory",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(expected);
            assert_eq!(
                err.to_string(),
                format!("test.toml:2:1: {expected}"),
                "for {text:?}"
            );
        }
        let misspelt = parse("[guests.webconfernce.config]\nx = 1\n").unwrap_err();
        assert_eq!(
            misspelt.to_string(),
            "test.toml:1:9: guests.webconfernce: no `wasm` file is configured and no guest of \
             this name is embedded (the embedded ones: webconference, nway)"
        );
        let bad_allow = parse("[dialout]\nallow = \"(\"\n").unwrap_err().to_string();
        assert!(
            bad_allow.starts_with("test.toml:2:1: dialout.allow: not a regular expression"),
            "{bad_allow}"
        );
        let limits = parse(
            "[limits]\nmax_instances = 100000\ncontrol_instances = 1024\nguest_threads = 256\n",
        )
        .unwrap()
        .limits;
        assert_eq!(
            (
                limits.max_instances,
                limits.control_instances,
                limits.guest_threads
            ),
            (100_000, 1024, 256),
            "the upper bounds themselves are accepted"
        );
    }

    #[test]
    fn type_errors_name_the_expected_value_in_words() {
        let cases = [
            (
                "[rtp]\nport_max = 70000\n",
                "test.toml:2:12: rtp.port_max: invalid value: integer `70000`, expected a port number, 1–65535",
            ),
            (
                "[rtp]\ntimeout_s = -1\n",
                "test.toml:2:13: rtp.timeout_s: invalid value: integer `-1`, expected a whole number of seconds, 0 or more",
            ),
            (
                "[rooms]\nexpire_delay_s = \"2h\"\n",
                "test.toml:2:18: rooms.expire_delay_s: invalid type: string \"2h\", expected a whole number of seconds, 0 or more",
            ),
            (
                "[limits]\nmemory_mb = 1.5\n",
                "test.toml:2:13: limits.memory_mb: invalid type: floating point `1.5`, expected a whole number",
            ),
            (
                "[control]\nlisten = 8090\n",
                "test.toml:2:10: control.listen: invalid type: integer `8090`, expected an address like 127.0.0.1:5060",
            ),
            (
                "[sip]\nlisten = \"localhost\"\n",
                "test.toml:2:10: sip.listen: not an address like 127.0.0.1:5060",
            ),
            (
                "[rtp]\naddress = 0\n",
                "test.toml:2:11: rtp.address: invalid type: integer `0`, expected an IP address",
            ),
            (
                "[sip]\nadvertise = \"example.com\"\n",
                "test.toml:2:13: sip.advertise: not an IP address",
            ),
            (
                "[rooms]\npredefined = \"1\"\n",
                "test.toml:2:14: rooms.predefined: invalid type: string \"1\", expected a list",
            ),
            (
                "limits = 5\n",
                "test.toml:1:10: limits: invalid type: integer `5`, expected a table",
            ),
            (
                "[media]\npacket_io = \"epoll\"\n",
                "test.toml:2:13: media.packet_io: unknown variant `epoll`, expected one of `auto`, `io_uring`, `sweep`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(expected);
            assert_eq!(err.to_string(), expected, "for {text:?}");
        }
    }

    #[test]
    fn serde_types_become_words() {
        let cases = [
            (
                "invalid type: string \"y\", expected a boolean",
                "invalid type: string \"y\", expected true or false",
            ),
            (
                "invalid type: integer `1`, expected path string",
                "invalid type: integer `1`, expected a path",
            ),
            (
                "invalid type: integer `1`, expected a map",
                "invalid type: integer `1`, expected a table",
            ),
            (
                "unknown field `y`, expected one of `a`, `b`",
                "unknown field `y`, expected one of `a`, `b`",
            ),
            (
                "invalid type: integer `1`, expected a string",
                "invalid type: integer `1`, expected a string",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(in_words("x", message), expected, "for {message:?}");
        }
    }

    #[test]
    fn routing_rules_name_configured_guests_and_are_checked_in_place() {
        let file = "[guests.ivr]\nwasm = \"Cargo.toml\"\n\
                    [[routing.rules]]\nguest = \"ivr\"\nuri = \"^sip:1\"\n\
                    [[routing.rules]]\nguest = \"ivr\"\nuri = \"(\"\n";
        let err = Config::parse(Path::new("/nonexistent/test.toml"), file).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routing.rules[1].uri"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(8), "{err}");
        assert!(err.message.starts_with("not a regular expression"), "{err}");

        let err = parse("[[routing.rules]]\nguest = \"nway\"\nuri = \"^sip:9\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routing.rules[0].guest"), "{err}");
        assert_eq!(
            err.message,
            "no guest named \"nway\" is configured under [guests]"
        );
        let err = parse("[[routing.rules]]\nguest = \"webconference\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routing.rules[0]"), "{err}");
    }

    #[test]
    fn only_a_guest_with_a_file_can_be_watched() {
        let err = parse("[guests.webconference]\nwatch = true\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("guests.webconference.watch"));
        assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
    }

    #[test]
    fn a_guests_own_limits_replace_the_global_ones() {
        let config = parse(
            "[limits]\ncall_deadline_ms = 200\nmemory_mb = 16\n\
             [guests.webconference.limits]\nmemory_mb = 64\nfuel = 5000\n",
        )
        .unwrap();
        let own = config.guest_limits("webconference");
        assert_eq!(own.call_deadline, Some(Duration::from_millis(200)));
        assert_eq!(own.memory_bytes, Some(64 << 20));
        assert_eq!(own.fuel, Some(5000));
        let runtime = config.runtime_limits();
        assert_eq!(runtime.memory_bytes, 64 << 20, "sized for the largest");
        assert!(runtime.fuel, "metered when a guest has fuel");
        assert!(!Config::default().runtime_limits().fuel);

        for (file, key, message) in [
            (
                "[guests.webconference.limits]\nmemory_mb = 0\n",
                "guests.webconference.limits.memory_mb",
                "must be 1 to 4096",
            ),
            (
                "[guests.webconference.limits]\ncall_deadline_ms = 10001\n",
                "guests.webconference.limits.call_deadline_ms",
                "must be 1 to 10000",
            ),
            (
                "[guests.webconference.limits]\nfuel = 0\n",
                "guests.webconference.limits.fuel",
                "must be at least 1",
            ),
        ] {
            let err = parse(file).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.message, message);
            assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
        }
    }

    #[test]
    fn a_listen_address_this_host_does_not_have_names_its_key_and_line() {
        // 192.0.2.0/24 (RFC 5737) is no address of any host.
        let err = parse("[sip]\nlisten = [\"0.0.0.0:5060\", \"192.0.2.1:5060\"]\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
        assert!(
            err.message
                .starts_with("192.0.2.1:5060 is no address of this host"),
            "{err}"
        );
        let err = parse("[control]\nlisten = \"192.0.2.1:8090\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        assert!(
            err.message
                .starts_with("192.0.2.1:8090 is no address of this host"),
            "{err}"
        );
        assert!(
            parse("[sip]\nlisten = [\"127.0.0.1:5060\", \"[::]:5060\"]\n").is_ok(),
            "an address of this host, and a wildcard, are taken"
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse("[sip]\nlisten = \"0.0.0.0:5060\"\nadvertise = \n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.to_string().starts_with("test.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_keys_name_their_path_and_line() {
        let err = parse("[sip]\nlisen = \"0.0.0.0:5060\"\n").unwrap_err();
        assert_eq!(err.position, Some((2, 1)), "{err}");
        assert!(err.message.contains("unknown field `lisen`"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key_and_line() {
        let err = parse("[rtp]\nport_min = 1\n\n[control]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
    }

    #[test]
    fn sip_listens_on_one_address_or_a_list() {
        assert_eq!(Config::default().sip.listen, default_sip_listen());
        let one = parse("[sip]\nlisten = \"127.0.0.1:5070\"\n").unwrap();
        assert_eq!(one.sip.listen, ["127.0.0.1:5070".parse().unwrap()]);
        let two = parse("[sip]\nlisten = [\"127.0.0.1:5070\", \"[::1]:5070\"]\n").unwrap();
        assert_eq!(two.sip.listen.len(), 2);
        assert!(two.sip.listen[1].is_ipv6());
        let none = parse("[sip]\nlisten = []\n").unwrap_err();
        assert_eq!(
            none.to_string(),
            "test.toml:2:1: sip.listen: needs at least one address"
        );
        let bad = parse("[sip]\nlisten = [\"127.0.0.1:5070\", \"nowhere\"]\n").unwrap_err();
        assert!(
            bad.to_string().contains("sip.listen") && bad.to_string().contains("127.0.0.1:5060"),
            "{bad}"
        );
    }

    #[test]
    fn the_control_endpoint_may_not_listen_on_a_port_sip_takes_over_tcp() {
        // Port 5070, below the default RTP range.
        let err =
            parse("[sip]\nlisten = [\"127.0.0.1:5070\"]\n[control]\nlisten = \"127.0.0.1:5070\"\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:4:1: control.listen: 127.0.0.1:5070 has the port of sip.listen \
             127.0.0.1:5070, which SIP takes over TCP as well as UDP: the control endpoint \
             could not listen on it"
        );
        // The default sip.listen: both families' wildcards.
        let err = parse("[control]\nlisten = \"127.0.0.1:5060\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        for apart in [
            "[sip]\nlisten = \"127.0.0.2:5070\"\n[control]\nlisten = \"127.0.0.1:5070\"\n",
            "[sip]\nlisten = \"[::1]:5070\"\n[control]\nlisten = \"127.0.0.1:5070\"\n",
            "[sip]\nlisten = \"127.0.0.1:0\"\n[control]\nlisten = \"127.0.0.1:0\"\n",
        ] {
            assert!(parse(apart).is_ok(), "{apart}");
        }
    }

    #[test]
    fn no_sip_port_may_lie_in_the_rtp_range_on_an_address_rtp_binds() {
        let err = parse(
            "[sip]\nlisten = [\"[::1]:5060\", \"127.0.0.1:20001\"]\n\
             [rtp]\nport_min = 20000\nport_max = 20099\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:2:1: sip.listen: 127.0.0.1:20001 lies in the RTP range \
             rtp.port_min..=rtp.port_max (20000..=20099) on rtp.address 0.0.0.0: SIP and \
             calls' RTP would contend for its UDP port"
        );
        let on = |sip: &str, rtp: &str| {
            parse(&format!(
                "[sip]\nlisten = \"{sip}\"\n[rtp]\naddress = \"{rtp}\"\n\
                 port_min = 20000\nport_max = 20099\n"
            ))
        };
        let err = on("127.0.0.1:20099", "127.0.0.1").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
        assert!(on("127.0.0.1:20100", "127.0.0.1").is_ok(), "past the range");
        assert!(
            on("127.0.0.2:20001", "127.0.0.1").is_ok(),
            "another address"
        );
        assert!(on("[::1]:20001", "127.0.0.1").is_ok(), "another family");
        // An unspecified rtp.address binds `::` for IPv6 calls.
        for sip in ["[::]:20001", "[::1]:20001"] {
            assert!(
                on(sip, "0.0.0.0").is_err(),
                "{sip} beside RTP of both families"
            );
        }
    }

    #[test]
    fn addresses_overlap_on_the_same_address_or_a_wildcard_that_takes_the_other() {
        let overlap = |a: &str, b: &str| addresses_overlap(a.parse().unwrap(), b.parse().unwrap());
        for (a, b) in [
            ("127.0.0.1", "127.0.0.1"),
            ("0.0.0.0", "192.0.2.1"),
            ("::", "2001:db8::1"),
            ("::", "::"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
            ("::ffff:0.0.0.0", "192.0.2.1"),
        ] {
            assert!(overlap(a, b) && overlap(b, a), "{a} and {b}");
        }
        for (a, b) in [
            ("127.0.0.1", "127.0.0.2"),
            ("0.0.0.0", "::1"),
            ("::1", "127.0.0.1"),
            ("2001:db8::1", "2001:db8::2"),
        ] {
            assert!(!overlap(a, b) && !overlap(b, a), "{a} and {b}");
        }
        // A plain socket on `::` takes IPv4 too; SIP's is IPv6-only.
        for (plain, sip) in [("::", "192.0.2.1"), ("::", "0.0.0.0")] {
            assert!(overlap(plain, sip), "{plain} and SIP on {sip}");
            assert!(!overlap(sip, plain), "{sip} and SIP on {plain}");
        }
    }

    #[test]
    fn sip_on_the_ipv6_wildcard_leaves_the_ipv4_port_to_control_and_rtp() {
        let control =
            parse("[sip]\nlisten = [\"[::]:5060\"]\n[control]\nlisten = \"127.0.0.1:5060\"\n");
        assert!(control.is_ok(), "{control:?}");
        let rtp = parse(
            "[sip]\nlisten = [\"[::]:20001\"]\n[rtp]\naddress = \"127.0.0.1\"\n\
             port_min = 20000\nport_max = 20099\n",
        );
        assert!(rtp.is_ok(), "{rtp:?}");
        // Control or RTP on `::` takes IPv4 too (control there needs a token, checked first).
        let unchecked = "[sip]\nlisten = [\"127.0.0.1:5060\"]\n[control]\nlisten = \"[::]:5060\"\n";
        let (key, _) = Config::parse_unchecked(Path::new("test.toml"), unchecked)
            .unwrap()
            .check_ports_apart()
            .unwrap_err();
        assert_eq!(key, "control.listen");
        let err = parse(
            "[sip]\nlisten = [\"127.0.0.1:20001\"]\n[rtp]\naddress = \"::\"\n\
             port_min = 20000\nport_max = 20099\n",
        )
        .unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
    }

    #[test]
    fn semantic_errors_name_their_key_and_line() {
        let err = parse("[rtp]\nport_min = 3000\nport_max = 2000\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:3:1: rtp.port_max: must not be below rtp.port_min (3000)",
            "expected the error at port_max's line"
        );
        let err = parse("[routing]\nguest = \"nway\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("routing.guest"), "{err}");
        assert_eq!(err.position, Some((2, 1)), "{err}");
    }

    #[test]
    fn public_origins_need_a_token_even_on_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        let proxied = "[control]\nlisten = \"127.0.0.1:8090\"\n\
                       public_origins = [\"https://switch.example\"]\n";
        let err = Config::parse(&file, proxied).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:3:1: control.public_origins: a reverse proxy serves the endpoint to the \
                 network under these origins: requests through it need a bearer token; set \
                 control.token_file",
                file.display()
            )
        );
        std::fs::write(dir.path().join("token"), "a-token-of-twenty-chars\n").unwrap();
        let with_token = format!("{proxied}token_file = \"token\"\n");
        let config = Config::parse(&file, &with_token).unwrap();
        assert_eq!(config.control.public_origins().unwrap().len(), 1);
        assert!(Config::parse(&file, "[control]\npublic_origins = []\n").is_ok());
    }

    #[test]
    fn a_bad_tls_key_is_named_as_control_tls_key() {
        let dir = tempfile::tempdir().unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        let file = dir.path().join("switchyard.toml");
        let config = |cert: &str, key: &str| {
            format!("[control]\ntls_cert = \"{cert}\"\ntls_key = \"{key}\"\n")
        };
        assert!(Config::parse(&file, &config("cert.pem", "key.pem")).is_ok());

        for key in ["cert.pem", "missing.pem"] {
            let err = Config::parse(&file, &config("cert.pem", key)).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("control.tls_key"), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
            assert!(
                err.message
                    .contains(&format!("{key}: not a PEM private key")),
                "{err}"
            );
        }
        let err = Config::parse(&file, &config("key.pem", "key.pem")).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.tls_cert"), "{err}");
        assert!(err.message.contains("holds no certificate"), "{err}");
        let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(
            dir.path().join("other.pem"),
            other.signing_key.serialize_pem(),
        )
        .unwrap();
        let err = Config::parse(&file, &config("cert.pem", "other.pem")).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("control.tls_cert"),
            "a certificate that does not fit its key: {err}"
        );
    }

    #[test]
    fn guest_names_are_letters_digits_dashes_and_underscores() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.wasm"), b"").unwrap();
        let file = dir.path().join("switchyard.toml");
        for good in ["ivr", "Nway_2", "dial-out"] {
            let text = format!("[guests.{good}]\nwasm = \"g.wasm\"\n");
            assert!(Config::parse(&file, &text).is_ok(), "{good}");
        }
        for (header, name) in [
            ("[guests.\"a.b\"]", "a.b"),
            ("[guests.\"\"]", ""),
            ("[guests.\"a b\"]", "a b"),
            ("[guests.\"ивр\"]", "ивр"),
        ] {
            let text = format!("[rooms]\nmax_empty = 5\n{header}\nwasm = \"g.wasm\"\n");
            let err = Config::parse(&file, &text).unwrap_err();
            assert_eq!(err.key, Some(format!("guests.{name:?}")), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
            assert!(
                err.message
                    .starts_with("a guest's name is made of letters, digits, - and _ only"),
                "{err}"
            );
        }
    }

    /// A directory this process cannot write in, whoever it runs as: no
    /// write permission, and for root (who needs none) the immutable
    /// attribute; dropping it makes the directory writable again.
    struct Unwritable(tempfile::TempDir);

    impl Unwritable {
        fn new() -> Unwritable {
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
            if std::fs::write(dir.path().join("probe"), b"").is_ok() {
                std::fs::remove_file(dir.path().join("probe")).unwrap();
                let status = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(dir.path())
                    .status()
                    .expect("running chattr, to make a directory root cannot write in");
                assert!(status.success(), "chattr +i {}", dir.path().display());
            }
            assert!(
                std::fs::write(dir.path().join("probe"), b"").is_err(),
                "{} is still writable",
                dir.path().display()
            );
            Unwritable(dir)
        }
    }

    impl Drop for Unwritable {
        fn drop(&mut self) {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0.path())
                .stderr(std::process::Stdio::null())
                .status();
            let _ = std::fs::set_permissions(self.0.path(), std::fs::Permissions::from_mode(0o755));
        }
    }

    #[test]
    fn the_stats_recording_room_state_and_guest_records_directories_must_be_writable() {
        let locked = Unwritable::new();
        let dir = locked.0.path().display().to_string();
        for (text, key) in [
            (
                format!("# stats\n[records]\nstats_dir = \"{dir}\"\n"),
                "records.stats_dir",
            ),
            (
                format!("# rooms\n[rooms]\nstate_file = \"{dir}/rooms.json\"\n"),
                "rooms.state_file",
            ),
            (
                format!("# recordings\n[recording]\ndir = \"{dir}\"\n"),
                "recording.dir",
            ),
            (
                format!("# records\n[guests.webconference]\nrecords_dir = \"{dir}\"\n"),
                "guests.webconference.records_dir",
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
            assert!(
                err.message.starts_with(&format!(
                    "the directory {dir} is not writable by this process: "
                )),
                "{err}"
            );
        }
        let open = tempfile::tempdir().unwrap();
        for sub in ["stats", "rooms", "records"] {
            std::fs::create_dir(open.path().join(sub)).unwrap();
        }
        let text = format!(
            "[records]\nstats_dir = \"{0}/stats\"\n[rooms]\nstate_file = \"{0}/rooms/rooms.json\"\n\
             [guests.webconference]\nrecords_dir = \"{0}/records\"\n",
            open.path().display()
        );
        assert!(parse(&text).is_ok());
    }

    /// A directory `records` in `dir`, and a link `link` to it there.
    fn linked_records_dir(dir: &Path) -> (PathBuf, PathBuf) {
        let records = dir.join("records");
        std::fs::create_dir(&records).unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&records, &link).unwrap();
        (records, link)
    }

    #[test]
    fn a_guests_records_dir_is_no_directory_of_the_servers_files_nor_another_guests() {
        let dir = tempfile::tempdir().unwrap();
        let (records, link) = linked_records_dir(dir.path());
        let (records, link) = (records.display(), link.display());
        for (table, key) in [
            (
                format!("[records]\nstats_dir = \"{link}\""),
                "records.stats_dir",
            ),
            (
                format!("[rooms]\nstate_file = \"{link}/rooms.json\""),
                "rooms.state_file",
            ),
            (format!("[recording]\ndir = \"{link}/\""), "recording.dir"),
            (
                format!("[media]\nprompts_dir = \"{link}\""),
                "media.prompts_dir",
            ),
            (
                format!("[guest_cache]\ndir = \"{link}\""),
                "guest_cache.dir",
            ),
            (
                format!("[guests.webconference]\nrecords_dir = \"{link}\""),
                "guests.webconference.records_dir",
            ),
        ] {
            let text = format!("{table}\n[guests.nway]\n# records\nrecords_dir = \"{records}\"\n");
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("guests.nway.records_dir"), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
            assert_eq!(
                err.message,
                format!(
                    "{records} is also the directory of {key}: the guest could empty or \
                     overwrite the files kept there; give it a directory of its own"
                ),
                "{err}"
            );
        }
        // A guest names only files directly in its directory: one inside another is taken.
        let text = format!(
            "[records]\nstats_dir = \"{records}\"\n[guests.nway]\nrecords_dir = \"{records}/..\"\n\
             [guests.webconference]\nrecords_dir = \"{link}/..\"\n"
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("guests.nway.records_dir"),
            "the two guests' directories are one: {err}"
        );
        std::fs::create_dir(dir.path().join("records").join("nway")).unwrap();
        let text = format!(
            "[records]\nstats_dir = \"{records}\"\n[guests.nway]\nrecords_dir = \"{records}/nway\"\n\
             [guests.webconference]\nrecords_dir = \"{link}/..\"\n"
        );
        assert!(parse(&text).is_ok(), "{:?}", parse(&text));
    }

    #[test]
    fn a_rooms_state_file_that_is_a_directory_or_the_stats_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (records, link) = linked_records_dir(dir.path());
        let (records, link) = (records.display(), link.display());
        for (text, message) in [
            (
                format!("[rooms]\n\nstate_file = \"{records}\"\n"),
                format!(
                    "{records} is a directory; give the path of the file the rooms are kept in"
                ),
            ),
            (
                format!(
                    "[records]\nstats_dir = \"{records}\"\n[rooms]\nstate_file = \"{link}/stats\"\n"
                ),
                format!(
                    "{link}/stats is the stats file of records.stats_dir; give the rooms a file \
                     of their own"
                ),
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("rooms.state_file"), "{err}");
            assert_eq!(
                err.position.map(|p| p.0),
                Some(text.lines().count()),
                "{err}"
            );
            assert_eq!(err.message, message, "{err}");
        }
        let beside = format!(
            "[records]\nstats_dir = \"{records}\"\n[rooms]\nstate_file = \"{link}/rooms.json\"\n"
        );
        assert!(parse(&beside).is_ok(), "{:?}", parse(&beside));
    }

    #[test]
    fn a_dns_server_must_be_one_a_query_can_be_sent_to() {
        for (server, why) in [
            ("10.0.0.53:0", "has port 0"),
            ("0.0.0.0:53", "is unspecified"),
            ("[::]:53", "is unspecified"),
            ("224.0.0.251:5353", "is a multicast address"),
            ("[ff02::fb]:5353", "is a multicast address"),
            ("255.255.255.255:53", "is the broadcast address"),
        ] {
            let err = parse(&format!("[sip]\ndns_server = \"{server}\"\n")).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "test.toml:2:1: sip.dns_server: {server} {why}: no query could be sent to it"
                )
            );
        }
        let config = parse("[sip]\ndns_server = \"127.0.0.53:53\"\n").unwrap();
        assert_eq!(
            config.sip.dns_server,
            Some("127.0.0.53:53".parse().unwrap())
        );
    }

    #[test]
    fn errors_about_a_quoted_key_point_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.wasm"), b"").unwrap();
        let file = dir.path().join("switchyard.toml");
        for (header, key) in [
            ("[guests.\"my guest\"]", "guests.\"my guest\""),
            ("[guests.\"a.b\"]", "guests.\"a.b\""),
            ("[guests.'x y']", "guests.\"x y\""),
            ("[guests.\"tab\\there\"]", "guests.\"tab\\u0009here\""),
            ("[guests.\"q\\\"\"]", "guests.\"q\\\"\""),
        ] {
            let text = format!(
                "[guests.webconference]\nrecords_max_file_mb = 5\n\n{header}\nwasm = \"g.wasm\"\n"
            );
            let err = Config::parse(&file, &text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(4), "{err}");
        }
        let text =
            "[guests.webconference.config]\nprivate_rooms = true\n\"private rooms\" = true\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("guests.webconference.config.\"private rooms\""),
            "{err}"
        );
        assert_eq!(err.position, Some((3, 1)), "{err}");
    }

    #[test]
    fn key_paths_are_split_at_dots_outside_quotes() {
        let parts = |key: &str| key_path(key);
        let owned = |parts: &[(&str, &[usize])]| -> Vec<(String, Vec<usize>)> {
            parts
                .iter()
                .map(|(name, indices)| ((*name).to_owned(), indices.to_vec()))
                .collect()
        };
        assert_eq!(
            parts("rooms.predefined[2]"),
            owned(&[("rooms", &[]), ("predefined", &[2])])
        );
        assert_eq!(
            parts("a.\"b.c\"[1][0].'d\\e'"),
            owned(&[("a", &[]), ("b.c", &[1, 0]), ("d\\e", &[])])
        );
        assert_eq!(
            parts("\"\\u0041\\x42\\U00000043\\\"\\\\\\t\""),
            owned(&[("ABC\"\\\t", &[])])
        );
        assert_eq!(parts("\"unended.x"), owned(&[]));
        assert_eq!(parts("\"\\u12\".x"), owned(&[]), "a short escape");
        for name in ["ivr", "my guest", "a.b", "q\"\\", "\u{1}", ""] {
            assert_eq!(parts(&key_part(name)), owned(&[(name, &[])]), "{name:?}");
        }
    }

    #[test]
    fn missing_files_are_named() {
        let err = Config::load(Path::new("/nonexistent/switchyard.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/switchyard.toml: cannot read:"),
            "{err}"
        );
    }
}
