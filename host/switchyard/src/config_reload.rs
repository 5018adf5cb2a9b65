//! The configuration read again while the server runs (at SIGHUP, or as `configReload()`
//! asks): what of it changed from the configuration the server runs, what of that applies
//! while calls are up (`[routing]`, `[dialout]`, `log.level`, the control endpoint's tokens,
//! and a guest's settings, with a new version of it), and which keys wait for the next
//! restart. [`plan`] is the decision; [`Reloader`] reads the file and carries it out, one
//! reload at a time, as SIGHUP and `configReload()` ask for them ([`ReloadAsker`]);
//! [`report::Report`] is what one did, [`ReloadStats`] what they came to.

mod reloader;
mod report;
mod requests;
mod stats;
#[cfg(test)]
mod tests;

pub use reloader::{Reloader, Reloads, serve};
pub use requests::{ReloadAsker, config_reload};
pub use stats::{ReloadCounts, ReloadStats};

use crate::config::{
    Config, ControlConfig, DialoutConfig, GuestCacheConfig, GuestEntry, GuestLimitsConfig, KeyPath,
    LimitsConfig, LogConfig, MediaConfig, RecordingConfig, RecordsConfig, RoomsConfig,
    RoutingConfig, RtpConfig, SipConfig, TokenNeed,
};
use std::collections::{BTreeMap, BTreeSet};
use switchyard_control::access::TokenChanges;

/// What reading the configuration again changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Whether new calls are to be routed by new rules, those of [`Plan::running`]: they
    /// changed and every guest they name runs.
    pub routing_rules_change: bool,
    /// The guest of the new calls no rule matches and of the control requests without an
    /// interface name, when `routing.guest` changed and names a guest that runs.
    pub routing_guest: Option<String>,
    /// Whether placed calls are to be held to a new dial-out policy, that of
    /// [`Plan::running`].
    pub dialout_change: bool,
    /// What becomes of a changed `log.level`.
    pub log_level: LogLevelChange,
    /// Whether the control endpoint is to take the tokens of the token files of
    /// [`Plan::running`]: a file's path changed ([`plan`]), or the token in it
    /// ([`plan_token_changes`]).
    pub control_tokens_change: bool,
    /// The keys changed that apply now, as dotted TOML paths (`dialout.allow`).
    pub applied: Vec<String>,
    /// The guests to load a new version of, with new settings, in order.
    pub guests: Vec<GuestLoad>,
    /// The keys changed that apply only at the next restart, each with why.
    pub waiting: Vec<Waiting>,
    /// The configuration as it runs once the plan is carried out: the running one with
    /// what applies taken from the file, each guest of [`Plan::guests`] with the entry it
    /// is to be loaded with. The next reload is compared with it.
    pub running: Config,
}

/// A guest whose changed table a new version of it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestLoad {
    /// The guest's name.
    pub name: String,
    /// Its table's dotted TOML path (`guests.webconference`).
    pub table: String,
    /// The keys changed that the new version takes, as dotted TOML paths.
    pub keys: Vec<String>,
    /// Its entry as the new version is to be compiled with: the running one with those keys
    /// as the file has them.
    pub entry: GuestEntry,
}

/// What becomes of `log.level` read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLevelChange {
    /// Unchanged.
    Unchanged,
    /// Changed: the log filter becomes this.
    Apply(String),
}

/// A changed key that applies only at the next restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Its dotted TOML path (`sip.listen`, `guests.webconference.config.direct_room_re`).
    pub key: String,
    /// Why it cannot apply now, beyond its being read only at start.
    pub why: Option<String>,
}

impl Plan {
    /// Whether the routes of new calls change: their rules, or the guest of those no rule
    /// matches.
    pub fn routing_changes(&self) -> bool {
        self.routing_rules_change || self.routing_guest.is_some()
    }

    /// The sections it applies (`[routing]`, `[dialout]`, `[log]`, `[control]` for its
    /// tokens), in that order; the guests' tables apply as their new versions load.
    pub fn applied_sections(&self) -> Vec<&'static str> {
        [
            ("[routing]", self.routing_changes()),
            ("[dialout]", self.dialout_change),
            ("[log]", matches!(self.log_level, LogLevelChange::Apply(_))),
            ("[control]", self.control_tokens_change),
        ]
        .into_iter()
        .filter_map(|(section, applied)| applied.then_some(section))
        .collect()
    }
}

/// What reading `new` changes in a server running `running`, whose log filter `RUST_LOG`
/// set at start when `rust_log_rules`. `[routing]` (its rules, and `routing.guest`, which
/// also answers the control functions called without an interface name), `[dialout]`,
/// `log.level` (unless `RUST_LOG` rules the log filter: then it waits, saying so) and the
/// control endpoint's token files apply, `[routing]` only when every guest it names runs (a
/// guest added waits for the restart), a token file unset only when the running endpoint may
/// serve without a token ([`plan_token_file`]). A guest's changed table is taken by a new
/// version of the guest ([`Plan::guests`]), but for the keys [`with_new_settings`] leaves as
/// they run. Every other key changed (a guest added or removed among them) waits for the next
/// restart, its running value kept.
pub fn plan(running: &Config, new: &Config, rust_log_rules: bool) -> Plan {
    let mut plan = Plan {
        routing_rules_change: false,
        routing_guest: None,
        dialout_change: false,
        log_level: LogLevelChange::Unchanged,
        control_tokens_change: false,
        applied: Vec::new(),
        guests: Vec::new(),
        waiting: Vec::new(),
        running: running.clone(),
    };
    for key in changed_sections(running, new) {
        let key = key.to_string();
        match key.as_str() {
            "routing.guest" => plan_routing_guest(&mut plan, new, key),
            "routing.rules" => plan_routing_rules(&mut plan, new, key),
            "control.token_file" | "control.read_token_file" => {
                plan_token_file(&mut plan, new, key);
            }
            "dialout.allow" | "dialout.max_per_second" => {
                plan.dialout_change = true;
                plan.running.dialout = new.dialout.clone();
                plan.applied.push(key);
            }
            "log.level" => plan_log_level(&mut plan, new, key, rust_log_rules),
            _ => plan.waiting.push(Waiting { key, why: None }),
        }
    }
    plan_guests(&mut plan, &running.guests, &new.guests);
    plan
}

/// Takes `new`'s `log.level` into `plan` (`key` names it): applied, the running value from
/// now on, unless `RUST_LOG` set the log filter at start (`rust_log_rules`), which then rules
/// it: the running value stays, and the key waits saying why, named again at each reload
/// while the file's value differs from it.
fn plan_log_level(plan: &mut Plan, new: &Config, key: String, rust_log_rules: bool) {
    if rust_log_rules {
        // The running level stays, as every waiting key's does: named again at each reload
        // while the file and what runs differ.
        plan.waiting.push(Waiting {
            key,
            why: Some("RUST_LOG rules the log filter; unset it for log.level to apply".to_owned()),
        });
    } else {
        let level = new.log.level.clone();
        plan.running.log.level = level.clone();
        plan.log_level = LogLevelChange::Apply(level);
        plan.applied.push(key);
    }
}

/// Takes `new`'s `routing.guest` into `plan` (`key` names it) when that guest runs; else it
/// waits, saying it does not.
fn plan_routing_guest(plan: &mut Plan, new: &Config, key: String) {
    let guest = &new.routing.guest;
    if plan.running.guests.contains_key(guest) {
        plan.routing_guest = Some(guest.clone());
        plan.running.routing.guest = guest.clone();
        plan.applied.push(key);
    } else {
        plan.waiting.push(Waiting {
            key,
            why: Some(format!(
                "the guest {guest:?} is not running: a guest added starts at the next \
                 restart; the running one is kept"
            )),
        });
    }
}

/// Takes `new`'s routing rules into `plan` (`key` names them) when every guest they name
/// runs; else they wait, saying which guest does not.
fn plan_routing_rules(plan: &mut Plan, new: &Config, key: String) {
    let missing = new
        .routing
        .rules
        .iter()
        .map(|rule| &rule.guest)
        .find(|guest| !plan.running.guests.contains_key(guest.as_str()));
    match missing {
        Some(guest) => plan.waiting.push(Waiting {
            key,
            why: Some(format!(
                "the guest {guest:?} they name is not running: a guest added starts at the \
                 next restart; the running rules are kept"
            )),
        }),
        None => {
            plan.routing_rules_change = true;
            plan.running.routing.rules = new.routing.rules.clone();
            plan.applied.push(key);
        }
    }
}

/// Takes `new`'s token file named by `key` (`control.token_file` or
/// `control.read_token_file`) into `plan`, but while `new` unsets the token file where the
/// running endpoint needs a token: listening beyond loopback, or behind a reverse proxy
/// (the file's own `control.listen` and `control.public_origins` wait for the restart).
/// Then both wait, saying why, and the running tokens are kept ([`tokens_kept`]).
fn plan_token_file(plan: &mut Plan, new: &Config, key: String) {
    let running = &mut plan.running.control;
    if new.control.token_file.is_none()
        && running.token_file.is_some()
        && let Some(why) = needs_a_token(running)
    {
        plan.waiting.push(Waiting {
            key,
            why: Some(format!("{why}; the running tokens are kept")),
        });
        return;
    }
    if key == "control.token_file" {
        running.token_file = new.control.token_file.clone();
    } else {
        running.read_token_file = new.control.read_token_file.clone();
    }
    plan.control_tokens_change = true;
    plan.applied.push(key);
}

/// Why the endpoint `control` sets up may not serve without a token, if it may not
/// ([`ControlConfig::token_need`]), said of the running endpoint.
fn needs_a_token(control: &ControlConfig) -> Option<String> {
    control.token_need().map(|need| match need {
        TokenNeed::NetworkListen => format!(
            "the endpoint listens on {}, not a loopback address, until the restart: requests \
             from the network need a bearer token",
            control.listen
        ),
        TokenNeed::ReverseProxy => "a reverse proxy serves the endpoint (control.public_origins) \
             until the restart: requests through it need a bearer token"
            .to_owned(),
    })
}

/// Whether the running tokens are kept whatever their files hold now: `plan` leaves the
/// token file unset waiting ([`plan_token_file`]).
pub fn tokens_kept(plan: &Plan) -> bool {
    plan.waiting.iter().any(|w| w.key == "control.token_file")
}

/// Takes into `plan` the tokens of its running token files that differ from those the
/// endpoint takes (`changes`): each key whose token changed applies, its file's path the
/// same or not.
pub fn plan_token_changes(plan: &mut Plan, changes: TokenChanges) {
    for (key, changed) in [
        ("control.token_file", changes.token),
        ("control.read_token_file", changes.read_token),
    ] {
        if changed && !plan.applied.iter().any(|applied| applied == key) {
            plan.applied.push(key.to_owned());
            plan.control_tokens_change = true;
        }
    }
}

/// Pushes `$path.<field>` to `$changed` for each of the fields listed that differs between
/// `$running` and `$new`.
macro_rules! compare_fields {
    ($changed:ident, $path:expr, $running:expr, $new:expr, [$($field:ident),* $(,)?]) => {{
        let path: &KeyPath = &$path;
        $(
            if $running.$field != $new.$field {
                $changed.push(path.key(stringify!($field)));
            }
        )*
    }};
}

/// [`compare_fields`] over every field of `$Type`, which must all be listed: one added to
/// the section fails to compile here until it is.
macro_rules! changed_fields {
    ($changed:ident, $path:expr, $running:expr, $new:expr, $Type:ident { $($field:ident),* $(,)? }) => {{
        let $Type { $($field: _),* } = $running;
        compare_fields!($changed, $path, $running, $new, [$($field),*]);
    }};
}

/// Every key but `[guests]`' whose value differs between `running` and `new`, as defaults
/// fill them in: a section's fields one by one, `routing.rules` as one key.
fn changed_sections(running: &Config, new: &Config) -> Vec<KeyPath> {
    let mut changed = Vec::new();
    let Config {
        log,
        sip,
        rtp,
        control,
        media,
        limits,
        rooms,
        routing,
        records,
        recording,
        dialout,
        guest_cache,
        guests: _,
    } = running;
    let top = KeyPath::default();
    changed_fields!(changed, top.key("log"), log, new.log, LogConfig { level });
    changed_fields!(
        changed,
        top.key("sip"),
        sip,
        new.sip,
        SipConfig {
            listen,
            tls_listen,
            tls_cert,
            tls_key,
            advertise,
            max_message_bytes,
            max_requests_per_source_per_second,
            outbound_proxy,
            dial_user,
            user_agent,
            ring_timeout_s,
            next_target_after_ms,
            tcp_idle_timeout_s,
            dns_server,
            session_timers,
            session_expires_s,
            session_min_se_s,
            session_max_s,
            offer_method,
        }
    );
    changed_fields!(
        changed,
        top.key("rtp"),
        rtp,
        new.rtp,
        RtpConfig {
            address,
            port_min,
            port_max,
            timeout_s,
        }
    );
    changed_fields!(
        changed,
        top.key("control"),
        control,
        new.control,
        ControlConfig {
            listen,
            token_file,
            read_token_file,
            tls_cert,
            tls_key,
            max_connections_per_peer,
            public_origins,
        }
    );
    changed_fields!(
        changed,
        top.key("media"),
        media,
        new.media,
        MediaConfig {
            workers,
            prompts_dir,
            max_talkers,
            packet_io,
        }
    );
    changed_fields!(
        changed,
        top.key("limits"),
        limits,
        new.limits,
        LimitsConfig {
            call_deadline_ms,
            memory_mb,
            max_instances,
            control_instances,
            guest_threads,
        }
    );
    changed_fields!(
        changed,
        top.key("rooms"),
        rooms,
        new.rooms,
        RoomsConfig {
            participants_expire_delay_s,
            expire_delay_s,
            predefined,
            max_empty,
            state_file,
        }
    );
    changed_fields!(
        changed,
        top.key("routing"),
        routing,
        new.routing,
        RoutingConfig { guest, rules }
    );
    changed_fields!(
        changed,
        top.key("records"),
        records,
        new.records,
        RecordsConfig { stats_dir }
    );
    changed_fields!(
        changed,
        top.key("recording"),
        recording,
        new.recording,
        RecordingConfig {
            dir,
            max_active,
            max_total_mb,
        }
    );
    changed_fields!(
        changed,
        top.key("dialout"),
        dialout,
        new.dialout,
        DialoutConfig {
            allow,
            max_per_second,
        }
    );
    changed_fields!(
        changed,
        top.key("guest_cache"),
        guest_cache,
        new.guest_cache,
        GuestCacheConfig {
            enabled,
            dir,
            max_entries,
        }
    );
    changed
}

/// Plans the guests of `new` over those `running`: a guest added or removed waits for the
/// next restart, as `guests.<name>`; a guest in both has its table planned
/// ([`plan_guest`]).
fn plan_guests(
    plan: &mut Plan,
    running: &BTreeMap<String, GuestEntry>,
    new: &BTreeMap<String, GuestEntry>,
) {
    let guests = KeyPath::default().key("guests");
    let names: BTreeSet<&String> = running.keys().chain(new.keys()).collect();
    for name in names {
        let table = guests.key(name);
        match (running.get(name), new.get(name)) {
            (Some(running), Some(new)) => plan_guest(plan, name, &table, running, new),
            _ => plan.waiting.push(Waiting {
                key: table.to_string(),
                why: None,
            }),
        }
    }
}

/// Plans the guest `name`'s table, `table`, read as `new` where it runs as `running`: the
/// keys changed that a new version takes ([`with_new_settings`]) make a [`GuestLoad`], and
/// its entry the running one; the others wait for the next restart.
fn plan_guest(
    plan: &mut Plan,
    name: &str,
    table: &KeyPath,
    running: &GuestEntry,
    new: &GuestEntry,
) {
    let entry = with_new_settings(running, new);
    let mut waiting = Vec::new();
    changed_guest(&mut waiting, table, &entry, new);
    plan.waiting.extend(waiting.into_iter().map(|key| Waiting {
        why: why_guest_key_waits(table, &key),
        key: key.to_string(),
    }));
    let mut keys = Vec::new();
    changed_guest(&mut keys, table, running, &entry);
    if keys.is_empty() {
        return;
    }
    plan.running.guests.insert(name.to_owned(), entry.clone());
    plan.guests.push(GuestLoad {
        name: name.to_owned(),
        table: table.to_string(),
        keys: keys.iter().map(KeyPath::to_string).collect(),
        entry,
    });
}

/// The entry a new version of a guest running with `running` takes from `new`: all of it but
/// the keys read only at start. `wasm` and `watch`: the new version is read from the file of
/// the version serving new calls, which may have been loaded by hand or by the watch since,
/// and the watch keeps its file. `records_dir`: see [`RECORDS_DIR_WAITS`].
/// `limits.call_deadline_ms`: the guest threads' last work at a stop is waited for as long as
/// the longest deadline at start.
fn with_new_settings(running: &GuestEntry, new: &GuestEntry) -> GuestEntry {
    GuestEntry {
        wasm: running.wasm.clone(),
        watch: running.watch,
        records_dir: running.records_dir.clone(),
        limits: GuestLimitsConfig {
            call_deadline_ms: running.limits.call_deadline_ms,
            ..new.limits
        },
        ..new.clone()
    }
}

// A guest may empty or overwrite any file of its records directory, so the directory is
// checked against the places the server writes and reads (its stats, its rooms' state, its
// certificate, ...) and against the other guests' directories. Those stay as they were at
// start until a restart, whatever the file now says, and the versions up keep writing in
// the old directory: a directory taken at a reload could be one of them.
/// Why a changed `records_dir` waits for the next restart.
const RECORDS_DIR_WAITS: &str = "the server's own files, and the versions of guests up, stay \
    where they were at start until a restart; a records directory is checked against them";

/// Why `key`, of the guest table `table`, waits for the next restart, beyond its being read
/// only at start.
fn why_guest_key_waits(table: &KeyPath, key: &KeyPath) -> Option<String> {
    if *key == table.key("wasm") {
        Some(
            "a reload keeps the file the serving version was read from; guestLoad loads another"
                .to_owned(),
        )
    } else if *key == table.key("records_dir") {
        Some(RECORDS_DIR_WAITS.to_owned())
    } else if *key == table.key("limits").key("call_deadline_ms") {
        Some(
            "the guest threads' last work at a stop is waited for as long as the longest \
             deadline at start"
                .to_owned(),
        )
    } else {
        None
    }
}

/// The keys of one guest's table, `path`, that differ between `running` and `new`.
fn changed_guest(
    changed: &mut Vec<KeyPath>,
    path: &KeyPath,
    running: &GuestEntry,
    new: &GuestEntry,
) {
    // Every field named, as in `changed_fields`: the table and the limits are compared
    // key by key.
    let GuestEntry {
        wasm: _,
        records_dir: _,
        records_max_file_mb: _,
        records_max_total_mb: _,
        watch: _,
        config,
        limits,
    } = running;
    compare_fields!(
        changed,
        path,
        running,
        new,
        [
            wasm,
            records_dir,
            records_max_file_mb,
            records_max_total_mb,
            watch,
        ]
    );
    changed_table(changed, &path.key("config"), config, &new.config);
    changed_fields!(
        changed,
        path.key("limits"),
        limits,
        new.limits,
        GuestLimitsConfig {
            call_deadline_ms,
            memory_mb,
            fuel,
        }
    );
}

/// The keys of the TOML table `path` that differ between `running` and `new`, a table
/// in both compared key by key.
fn changed_table(
    changed: &mut Vec<KeyPath>,
    path: &KeyPath,
    running: &toml::Table,
    new: &toml::Table,
) {
    let keys: BTreeSet<&String> = running.keys().chain(new.keys()).collect();
    for key in keys {
        let path = path.key(key);
        match (running.get(key), new.get(key)) {
            (Some(toml::Value::Table(running)), Some(toml::Value::Table(new))) => {
                changed_table(changed, &path, running, new);
            }
            (Some(running), Some(new)) if same_value(running, new) => {}
            _ => changed.push(path),
        }
    }
}

/// Whether two values of a guest's table are the same setting: as `==`, but a NaN is the same
/// as a NaN (TOML writes `nan`), so that a value left alone never reads as changed.
fn same_value(running: &toml::Value, new: &toml::Value) -> bool {
    use toml::Value::{Array, Float, Table};
    match (running, new) {
        (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
        (Array(a), Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (Table(a), Table(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_value(a, b)))
        }
        _ => running == new,
    }
}
