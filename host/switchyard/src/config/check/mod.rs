//! What types alone cannot check of a configuration: ranges, names, and keys that must agree;
//! each problem at the key path it concerns.

mod places;
#[cfg(test)]
mod tests;

pub(crate) use places::same_path;

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::Path;
use switchyard_guest::{ConfigKeys, bundled};
use switchyard_sip::SessionTimers;

use super::{Config, GuestEntry, KeyPath, TokenNeed};
use crate::component_file::read_component;
use places::{at_written, not_a_peers_address, of_this_host};

/// A check's outcome: the key path at fault and what is wrong with it.
type Checked = Result<(), (KeyPath, String)>;

/// Control interfaces the host answers itself (`system.listMethods`,
/// `switchyard.rooms`), which no guest may be named.
const RESERVED_INTERFACES: [&str; 2] = ["system", switchyard_control::rest::HOST_INTERFACE];

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

/// The smallest `sip.session_min_se_s` taken: RFC 4028 §5 allows no Min-SE
/// below 90 s.
pub const MIN_SESSION_MIN_SE_S: u32 = 90;

impl Config {
    /// Checks what types alone cannot: the first problem found, with its key path. `file` is
    /// the configuration file and `text` what it writes.
    pub(super) fn check(&self, file: &Path, text: &str) -> Checked {
        if let Err(e) = crate::log_level::parse_filter(&self.log.level) {
            return Err((["log", "level"].into(), format!("not a log filter: {e}")));
        }
        self.check_listeners()?;
        self.check_control()?;
        self.check_sip(text)?;
        self.check_rtp(text)?;
        self.check_ports_apart(text)?;
        self.check_media()?;
        self.check_files()?;
        self.check_limits()?;
        self.check_rooms()?;
        self.check_routing()?;
        self.guests
            .iter()
            .try_for_each(|(name, entry)| self.check_guest(name, entry, file))
    }

    /// `control`'s bearer tokens, their need on the network, TLS and the connection cap.
    fn check_control(&self) -> Checked {
        let control = &self.control;
        let token = control
            .token()
            .map_err(|e| (["control", "token_file"].into(), e))?;
        let token_need = control.token_need().filter(|_| token.is_none());
        if token_need == Some(TokenNeed::NetworkListen) {
            return Err((
                ["control", "listen"].into(),
                format!(
                    "{} is not a loopback address: requests from the network need a bearer \
                     token; set control.token_file",
                    control.listen
                ),
            ));
        }
        crate::control::read_token_beside(control, token.as_deref())?;
        control.tls()?;
        in_range(
            ["control", "max_connections_per_peer"].into(),
            control.max_connections_per_peer,
            1..=256,
        )?;
        control.public_origins()?;
        // A public origin's host is served as a loopback one: through the proxy, anyone who
        // reaches it would drive the endpoint.
        if token_need == Some(TokenNeed::ReverseProxy) {
            return Err((
                ["control", "public_origins"].into(),
                "a reverse proxy serves the endpoint to the network under these origins: \
                 requests through it need a bearer token; set control.token_file"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// `[sip]` but its listeners' addresses; `text` is what the file writes.
    fn check_sip(&self, text: &str) -> Checked {
        let sip = &self.sip;
        let key = |name| KeyPath::from(["sip", name]);
        sip.tls()?;
        if let Some(ip) = sip.advertise
            && let Some(why) = not_a_peers_address(ip)
        {
            return Err((
                key("advertise"),
                format!("{ip} is {why}: peers could send neither requests nor RTP to it"),
            ));
        }
        in_range(
            key("max_message_bytes"),
            sip.max_message_bytes,
            1024..=65_535,
        )?;
        if let Some(proxy) = &sip.outbound_proxy {
            check_outbound_proxy(proxy).map_err(|why| (key("outbound_proxy"), why))?;
        }
        if sip.dial_user.is_empty()
            || !sip
                .dial_user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/".contains(c))
        {
            return Err((
                key("dial_user"),
                "must be a non-empty SIP user part (letters, digits, -_.!~*'()&=+$,;?/)".to_owned(),
            ));
        }
        in_range(key("ring_timeout_s"), sip.ring_timeout_s, 1..=3600)?;
        in_range(
            key("next_target_after_ms"),
            sip.next_target_after_ms,
            500..=32_000,
        )?;
        in_range(
            key("tcp_idle_timeout_s"),
            sip.tcp_idle_timeout_s,
            1..=86_400,
        )?;
        if let Some(server) = sip.dns_server
            && let Some(why) = switchyard_net::unsendable(server)
        {
            return Err((
                key("dns_server"),
                format!("{server} {why}: no query could be sent to it"),
            ));
        }
        // RFC 3261 §25.1: a header value is TEXT-UTF8 on one line.
        if sip.user_agent.len() > 256 || sip.user_agent.chars().any(char::is_control) {
            return Err((
                key("user_agent"),
                "must be one line of at most 256 bytes without control characters".to_owned(),
            ));
        }
        in_range(
            key("session_min_se_s"),
            sip.session_min_se_s,
            MIN_SESSION_MIN_SE_S..=MAX_SESSION_S,
        )?;
        in_range_above(
            text,
            (key("session_expires_s"), sip.session_expires_s),
            (key("session_min_se_s"), sip.session_min_se_s),
            Some(MAX_SESSION_S),
        )?;
        in_range_above(
            text,
            (key("session_max_s"), sip.session_max_s),
            (key("session_expires_s"), sip.session_expires_s),
            Some(MAX_SESSION_S),
        )
    }

    /// `rtp.port_min`, `rtp.port_max` and `rtp.address`; `text` is what the file writes.
    fn check_rtp(&self, text: &str) -> Checked {
        let rtp = &self.rtp;
        let key = |name| KeyPath::from(["rtp", name]);
        if rtp.port_min == 0 {
            return Err((key("port_min"), "must be at least 1".to_owned()));
        }
        in_range_above(
            text,
            (key("port_max"), rtp.port_max),
            (key("port_min"), rtp.port_min),
            None,
        )?;
        // RFC 3550 §11: RTP takes an even port, RTCP the odd one after it.
        let first_even = u32::from(rtp.port_min) + u32::from(rtp.port_min % 2);
        if first_even + 1 > u32::from(rtp.port_max) {
            let why = format!(
                "the range rtp.port_min..=rtp.port_max ({}..={}) holds no even port and the odd \
                 one after it, and a call takes such a pair (RTP on the even port, RTCP on the \
                 odd one)",
                rtp.port_min, rtp.port_max
            );
            return Err(at_written(
                text,
                (key("port_max"), why.clone()),
                [(key("port_min"), why)],
            ));
        }
        // An address this host does not have would fail every call's RTP socket.
        of_this_host(SocketAddr::new(rtp.address, 0)).map_err(|e| {
            (
                ["rtp", "address"].into(),
                format!("no RTP socket can be bound to {}: {e}", rtp.address),
            )
        })
    }

    /// `media.workers` and `media.max_talkers`.
    fn check_media(&self) -> Checked {
        if self.media.workers > 1024 {
            return Err((
                ["media", "workers"].into(),
                "must be at most 1024".to_owned(),
            ));
        }
        if self.media.max_talkers > MAX_TALKERS {
            return Err((
                ["media", "max_talkers"].into(),
                format!("must be at most {MAX_TALKERS} (0: every talker)"),
            ));
        }
        Ok(())
    }

    /// `[recording]`, `[guest_cache]` and `[limits]` counts.
    fn check_limits(&self) -> Checked {
        in_range(
            ["recording", "max_active"].into(),
            self.recording.max_active,
            1..=10_000,
        )?;
        in_range(
            ["recording", "max_total_mb"].into(),
            self.recording.max_total_mb,
            1..=MAX_RECORDINGS_MB,
        )?;
        in_range(
            ["guest_cache", "max_entries"].into(),
            self.guest_cache.max_entries,
            1..=1000,
        )?;
        let limits = &self.limits;
        check_guest_limits(
            &["limits"].into(),
            Some(limits.call_deadline_ms),
            Some(limits.memory_mb),
        )?;
        in_range(
            ["limits", "max_instances"].into(),
            limits.max_instances,
            1..=100_000,
        )?;
        in_range(
            ["limits", "control_instances"].into(),
            limits.control_instances,
            1..=1024,
        )?;
        if limits.guest_threads > 256 {
            return Err((
                ["limits", "guest_threads"].into(),
                "must be at most 256".to_owned(),
            ));
        }
        Ok(())
    }

    /// The delays added to the clock, `rooms.max_empty` and `rooms.predefined`.
    fn check_rooms(&self) -> Checked {
        // Delays are added to the clock; a year keeps that far from overflowing.
        for (key, seconds) in [
            (
                ["rooms", "participants_expire_delay_s"],
                self.rooms.participants_expire_delay_s,
            ),
            (["rooms", "expire_delay_s"], self.rooms.expire_delay_s),
            (["rtp", "timeout_s"], self.rtp.timeout_s),
        ] {
            if seconds > MAX_DELAY_S {
                return Err((
                    key.into(),
                    format!("must be at most {MAX_DELAY_S} (a year)"),
                ));
            }
        }
        in_range(
            ["rooms", "max_empty"].into(),
            self.rooms.max_empty,
            1..=10_000_000,
        )?;
        let predefined = &self.rooms.predefined;
        for (index, room) in predefined.iter().enumerate() {
            let key = KeyPath::from(["rooms", "predefined"]).index(index);
            if let Some(problem) = switchyard_core::room_name_problem(room) {
                return Err((key, problem));
            }
            if let Some(first) = predefined[..index].iter().position(|r| r == room) {
                return Err((
                    key,
                    format!("room {room:?} is already listed as rooms.predefined[{first}]"),
                ));
            }
        }
        Ok(())
    }

    /// `[routing]` and `[dialout]`: their patterns, and the guests they name configured.
    fn check_routing(&self) -> Checked {
        self.configured(["routing", "guest"].into(), &self.routing.guest)?;
        self.call_routes()?;
        self.dial_policy()?;
        let rules = KeyPath::from(["routing", "rules"]);
        self.routing
            .rules
            .iter()
            .enumerate()
            .try_for_each(|(index, rule)| {
                self.configured(rules.index(index).key("guest"), &rule.guest)
            })
    }

    /// Whether `guest`, which `key` names, is configured.
    fn configured(&self, key: KeyPath, guest: &str) -> Checked {
        if self.guests.contains_key(guest) {
            return Ok(());
        }
        Err((
            key,
            format!("no guest named {guest:?} is configured under [guests]"),
        ))
    }

    /// `[guests.<name>]`, `entry`: its name, its component, its records and its limits;
    /// `file` is the configuration file.
    fn check_guest(&self, name: &str, entry: &GuestEntry, file: &Path) -> Checked {
        let table = guest_key(name);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err((
                table,
                "a guest's name is made of letters, digits, - and _ only: control \
                 functions are called as <guest>.<function>"
                    .to_owned(),
            ));
        }
        if RESERVED_INTERFACES.contains(&name) {
            return Err((
                table,
                format!("{name:?} names the host's own control functions; choose another name"),
            ));
        }
        if let Some(wasm) = &entry.wasm
            && !wasm.is_file()
        {
            return Err((
                table.key("wasm"),
                format!("{} is not a file", wasm.display()),
            ));
        }
        if entry.wasm.is_none() && bundled::named(name).is_none() {
            return Err((
                table,
                "no `wasm` file is configured and no guest of this name is embedded \
                 (the embedded ones: webconference, nway)"
                    .to_owned(),
            ));
        }
        if entry.watch && entry.wasm.is_none() {
            return Err((
                table.key("watch"),
                "needs `wasm`: the embedded guest has no file to watch".to_owned(),
            ));
        }
        if let Some(dir) = &entry.records_dir {
            self.check_records_dir(name, dir, file)?;
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
            if let Some(mb) = mb {
                in_range(table.key(key), mb, 1..=most)?;
            }
        }
        check_guest_config(name, entry)?;
        let limits = &entry.limits;
        check_guest_limits(
            &table.key("limits"),
            limits.call_deadline_ms,
            limits.memory_mb,
        )?;
        if limits.fuel == Some(0) {
            return Err((
                table.key("limits").key("fuel"),
                "must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

/// `value` of `key` within `range`; else `"must be <first> to <last>"`.
fn in_range<T: PartialOrd + fmt::Display>(
    key: KeyPath,
    value: T,
    range: RangeInclusive<T>,
) -> Checked {
    if range.contains(&value) {
        return Ok(());
    }
    Err((key, format!("must be {} to {}", range.start(), range.end())))
}

/// `value` of `key` from `floor`, the value of the key `floor_key`, to `most` (no more than
/// its type holds for `None`). Below `floor` the two keys disagree, and the error is told at
/// the one `text` (the file) writes, `key` first, naming the other: where it has a line,
/// rather than at a key left to its default.
fn in_range_above<T: PartialOrd + fmt::Display>(
    text: &str,
    (key, value): (KeyPath, T),
    (floor_key, floor): (KeyPath, T),
    most: Option<T>,
) -> Checked {
    let above_most = most.as_ref().is_some_and(|most| value > *most);
    if value >= floor && !above_most {
        return Ok(());
    }
    let of_key = match &most {
        Some(most) => format!("must be {floor_key} ({floor}) to {most}"),
        None => format!("must not be below {floor_key} ({floor})"),
    };
    if above_most {
        return Err((key, of_key));
    }
    let of_floor = format!("must not be above {key} ({value})");
    Err(at_written(text, (key, of_key), [(floor_key, of_floor)]))
}

/// `sip.outbound_proxy`, `proxy`: a SIP URI a call can be placed through, with the `lr`
/// parameter; the error says why not.
fn check_outbound_proxy(proxy: &str) -> Result<(), String> {
    let Some(route) = switchyard_sip::route_uri(proxy) else {
        return Err(format!(
            "not a SIP URI like sip:proxy.example.com;lr: {proxy:?}"
        ));
    };
    // A proxy's URI goes into a Route, where headers are not allowed (RFC 3261 §19.1.1,
    // table 1).
    if route.has_headers {
        return Err(format!(
            "{proxy:?} takes no headers, as a Route's URI has none (RFC 3261 §19.1.1)"
        ));
    }
    // Also refused: an address no request can reach (`sip:0.0.0.0;lr` reaches this host
    // itself), which would take every placed call, as it would every DNS query at
    // `sip.dns_server`.
    switchyard_net::check_routable(proxy)
        .map_err(|e| format!("no call could be placed through {proxy:?}: {e}"))?;
    // RFC 3261 §8.1.2, §12.2.1.1: a proxy without `lr` is a strict router (RFC 2543), which
    // needs the Request-URI to name it and the target in the last Route; the INVITE names
    // the target and routes loosely through the proxy.
    if !route.loose {
        return Err(format!(
            "{proxy:?} has no ;lr parameter: strict routers (RFC 2543) are not supported; \
             add ;lr for a proxy that routes loosely (RFC 3261 §19.1.1)"
        ));
    }
    Ok(())
}

/// Checks a call deadline and a memory cap (each if set), `[limits]`' or a
/// guest's own, whose table is `table`.
fn check_guest_limits(
    table: &KeyPath,
    call_deadline_ms: Option<u64>,
    memory_mb: Option<u32>,
) -> Checked {
    if let Some(ms) = call_deadline_ms {
        in_range(table.key("call_deadline_ms"), ms, 1..=10_000)?;
    }
    if let Some(mb) = memory_mb {
        in_range(table.key("memory_mb"), mb, 1..=4096)?;
    }
    Ok(())
}

/// The key path of the table of the guest `name`: `guests.<name>`.
fn guest_key(name: &str) -> KeyPath {
    KeyPath::from(["guests"]).key(name)
}

/// `[guests.<name>.config]` against the keys the guest declares (see
/// [`ConfigKeys`]): the first key it does not declare, or whose value is not of
/// its kind, is the error. A guest that declares nothing, or has no component
/// to read (a missing file is `wasm`'s error), passes. The component is read as
/// the loader reads it ([`read_component`]): a file too large to load is `wasm`'s error.
fn check_guest_config(name: &str, entry: &GuestEntry) -> Checked {
    if entry.config.is_empty() {
        return Ok(());
    }
    let wasm_key = || guest_key(name).key("wasm");
    let wasm = match &entry.wasm {
        Some(path) => match read_component(path) {
            Ok(bytes) => std::borrow::Cow::Owned(bytes),
            Err(e) => return Err((wasm_key(), format!("{}: {e}", path.display()))),
        },
        None => match bundled::named(name) {
            Some(bytes) => std::borrow::Cow::Borrowed(bytes),
            None => return Ok(()),
        },
    };
    let keys = match ConfigKeys::declared_by(&wasm) {
        Ok(Some(keys)) => keys,
        Ok(None) => return Ok(()),
        Err(e) => return Err((wasm_key(), e)),
    };
    match keys.first_problem(Config::guest_config(entry)) {
        Some((key, problem)) => Err((guest_key(name).key("config").key(&key), problem)),
        None => Ok(()),
    }
}
