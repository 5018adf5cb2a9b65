//! The tables of the configuration file, one struct each, and their defaults.

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use switchyard_control::{PublicOrigin, regular_file};
use switchyard_net::SocketsConfig;
use switchyard_sip::{OfferMethod, SessionTimers};
use tokio_rustls::TlsAcceptor;

use super::{KeyPath, read_at_most};
use crate::call_routing::RouteRule;
use crate::media::PacketIoChoice;

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
    /// Where SIP over TLS is received (RFC 3261 §26.2.1), on TCP: one address or a list.
    /// Empty (the default): nowhere. Needs `tls_cert` and `tls_key`.
    #[serde(deserialize_with = "one_or_many")]
    pub tls_listen: Vec<SocketAddr>,
    /// SIP over TLS: the PEM certificate chain served (with `tls_key`), read again when it
    /// changes.
    pub tls_cert: Option<PathBuf>,
    /// SIP over TLS: the PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
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
    /// shortened to it (SEMS grants at most its `session_expires`).
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
    /// A file whose first line is a second token, as `token_file`'s, that
    /// may only read (`GET` and `HEAD`: REST reads, `/metrics`, the event
    /// stream); it needs `token_file`, and differs from its token.
    pub read_token_file: Option<PathBuf>,
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

/// Why the control endpoint may not serve without a bearer token ([`ControlConfig::token_need`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenNeed {
    /// `listen` is not a loopback address: the network reaches the endpoint.
    NetworkListen,
    /// `listen` is a loopback address but `public_origins` names origins: a reverse proxy
    /// serves the endpoint to the network.
    ReverseProxy,
}

/// The shortest bearer token taken.
const MIN_TOKEN_CHARS: usize = 16;

/// The most of a token's file read, 64 KiB: thousands of times a token, so that a large
/// file named by mistake is refused rather than read whole.
const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;

/// What token files are, in the error of one too large.
const A_TOKEN_FILE: &str = "a token file";

/// The token on the first line of `file`, a regular file of at most [`MAX_TOKEN_FILE_BYTES`]
/// ([`regular_file::read`]: a FIFO would hold up the start, or a reload, until some writer
/// came); the error says what is wrong with the file.
fn token_of(file: &Path) -> Result<String, String> {
    token_in(
        file,
        regular_file::read(file, MAX_TOKEN_FILE_BYTES, A_TOKEN_FILE),
    )
}

/// The token on the first line of `file`, of at most [`MAX_TOKEN_FILE_BYTES`], whatever
/// `file` is ([`read_at_most`]): a client run by hand may be given it through a pipe
/// (`--token-file <(pass show switchyard)`, `/dev/stdin`). The error says what is wrong
/// with the file.
fn token_of_any_file(file: &Path) -> Result<String, String> {
    token_in(file, read_at_most(file, MAX_TOKEN_FILE_BYTES, A_TOKEN_FILE))
}

/// The token on the first line of `file`, whose `bytes` were read; the error says what is
/// wrong with the file, or why it could not be read.
fn token_in(file: &Path, bytes: std::io::Result<Vec<u8>>) -> Result<String, String> {
    let cannot_read = |e: &dyn std::fmt::Display| format!("{}: cannot read: {e}", file.display());
    let bytes = bytes.map_err(|e| cannot_read(&e))?;
    let text = String::from_utf8(bytes).map_err(|_| cannot_read(&"not UTF-8 text"))?;
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
    Ok(token.to_owned())
}

impl ControlConfig {
    /// The token of `token_file`, if set, as the server reads it: from a regular file alone
    /// ([`token_of`]); the error says what is wrong with the file.
    pub fn token(&self) -> Result<Option<String>, String> {
        self.token_file.as_deref().map(token_of).transpose()
    }

    /// The token of `token_file`, if set, as a client run by hand reads it: from any file, a
    /// pipe included ([`token_of_any_file`]); the error says what is wrong with the file.
    pub fn client_token(&self) -> Result<Option<String>, String> {
        self.token_file
            .as_deref()
            .map(token_of_any_file)
            .transpose()
    }

    /// The token of `read_token_file`, if set; the error says what is wrong with the file.
    pub fn read_token(&self) -> Result<Option<String>, String> {
        self.read_token_file.as_deref().map(token_of).transpose()
    }

    /// Why requests need a bearer token, if they do: the endpoint listens beyond loopback
    /// ([`TokenNeed::NetworkListen`], which wins when both hold), or a reverse proxy serves
    /// it under `public_origins` ([`TokenNeed::ReverseProxy`]). `None`: only this host
    /// reaches the endpoint, and it may serve without a token.
    pub fn token_need(&self) -> Option<TokenNeed> {
        if !self.listen.ip().is_loopback() {
            Some(TokenNeed::NetworkListen)
        } else if !self.public_origins.is_empty() {
            Some(TokenNeed::ReverseProxy)
        } else {
            None
        }
    }

    /// `public_origins`, parsed; the error names the entry at fault.
    pub fn public_origins(&self) -> Result<Vec<PublicOrigin>, (KeyPath, String)> {
        let key = KeyPath::from(["control", "public_origins"]);
        self.public_origins
            .iter()
            .enumerate()
            .map(|(index, origin)| origin.parse().map_err(|e| (key.index(index), e)))
            .collect()
    }

    /// The HTTPS acceptor, if `tls_cert` and `tls_key` are set; the error
    /// names the key at fault ([`tls_acceptor`]).
    pub fn tls(&self) -> Result<Option<TlsAcceptor>, (KeyPath, String)> {
        let (cert, key) = (self.tls_cert.as_deref(), self.tls_key.as_deref());
        tls_acceptor("control", "control endpoint", cert, key)
    }
}

impl SipConfig {
    /// The acceptor of SIP over TLS if `tls_listen` names an address: `tls_cert` and
    /// `tls_key` are needed then. The error names the key at fault ([`tls_acceptor`]); the
    /// files are checked whenever they are set.
    pub fn tls(&self) -> Result<Option<TlsAcceptor>, (KeyPath, String)> {
        let (cert, key) = (self.tls_cert.as_deref(), self.tls_key.as_deref());
        let acceptor = tls_acceptor("sip", "SIP over TLS", cert, key)?;
        match (acceptor, self.tls_listen.is_empty()) {
            (_, true) => Ok(None),
            (None, false) => Err((
                KeyPath::from(["sip", "tls_cert"]),
                "sip.tls_listen needs tls_cert and tls_key".to_owned(),
            )),
            (acceptor, false) => Ok(acceptor),
        }
    }
}

/// The TLS acceptor of `[<section>]`'s `tls_cert` and `tls_key`, if both are set, served as
/// the control endpoint serves its own (the files read again when they change,
/// [`switchyard_control::tls::acceptor`], its log lines naming `user`). The error names the
/// key at fault: `<section>.tls_key` for a key file that cannot be read as a PEM private key
/// ([`switchyard_control::tls::private_key`]: a FIFO or a device is refused without being
/// read), or that is set alone, else `<section>.tls_cert` (a certificate chain that cannot be
/// read, does not fit the key, or is set alone).
fn tls_acceptor(
    section: &str,
    user: &str,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<Option<TlsAcceptor>, (KeyPath, String)> {
    let at = |name| KeyPath::from([section, name]);
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => {
            switchyard_control::tls::private_key(key).map_err(|e| (at("tls_key"), e))?;
            switchyard_control::tls::acceptor(user, cert, key)
                .map(Some)
                .map_err(|e| (at("tls_cert"), e))
        }
        (Some(_), None) => Err((at("tls_key"), "tls_cert needs tls_key".to_owned())),
        (None, Some(_)) => Err((at("tls_cert"), "tls_key needs tls_cert".to_owned())),
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
            tls_listen: Vec::new(),
            tls_cert: None,
            tls_key: None,
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
            read_token_file: None,
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

impl GuestEntry {
    /// The embedded guest of the entry's name, with an empty config table.
    pub(super) fn embedded() -> GuestEntry {
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
