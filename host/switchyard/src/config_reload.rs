//! The configuration read again while the server runs (at SIGHUP): what of it changed
//! from the configuration the server runs, what of that applies while calls are up
//! (`[routing]`'s rules, `[dialout]`, `log.level`), and which keys wait for the next
//! restart. [`plan`] is the decision; [`Reloader`] reads the file and carries it out.

mod reloader;
#[cfg(test)]
mod tests;

pub use reloader::{Reloader, Reloads, serve};

use crate::call_routing::RouteRule;
use crate::config::{
    Config, ControlConfig, DialoutConfig, GuestCacheConfig, GuestEntry, GuestLimitsConfig, KeyPath,
    LimitsConfig, LogConfig, MediaConfig, RecordingConfig, RecordsConfig, RoomsConfig,
    RoutingConfig, RtpConfig, SipConfig,
};
use std::collections::{BTreeMap, BTreeSet};

/// What reading the configuration again changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The routing rules new calls are to be routed by, when they changed and every guest
    /// they name runs.
    pub routing_rules: Option<Vec<RouteRule>>,
    /// The dial-out policy placed calls are to be held to, when it changed.
    pub dialout: Option<DialoutConfig>,
    /// What becomes of a changed `log.level`.
    pub log_level: LogLevelChange,
    /// The keys changed that apply now, as dotted TOML paths (`dialout.allow`).
    pub applied: Vec<String>,
    /// The keys changed that apply only at the next restart, each with why.
    pub waiting: Vec<Waiting>,
    /// The configuration as it runs once the plan is carried out: the running one with
    /// what applies taken from the file. The next reload is compared with it.
    pub running: Config,
}

/// What becomes of `log.level` read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLevelChange {
    /// Unchanged.
    Unchanged,
    /// Changed: the log filter becomes this.
    Apply(String),
    /// Changed, but `RUST_LOG` set the filter at start and rules it: nothing changes.
    RustLogRules(String),
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
    /// The sections it applies (`[routing]`, `[dialout]`, `[log]`), in that order.
    pub fn applied_sections(&self) -> Vec<&'static str> {
        [
            ("[routing]", self.routing_rules.is_some()),
            ("[dialout]", self.dialout.is_some()),
            ("[log]", matches!(self.log_level, LogLevelChange::Apply(_))),
        ]
        .into_iter()
        .filter_map(|(section, applied)| applied.then_some(section))
        .collect()
    }
}

/// What reading `new` changes in a server running `running`, whose log filter `RUST_LOG`
/// set at start when `rust_log_rules`. `[routing]`'s rules, `[dialout]` and `log.level`
/// apply, the rules only when every guest they name runs (a guest added waits for the
/// restart); every other key changed (a guest's table, a guest added or removed, and
/// `routing.guest`, which also answers the control functions called without an interface
/// name) waits for the next restart, its running value kept.
pub fn plan(running: &Config, new: &Config, rust_log_rules: bool) -> Plan {
    let mut plan = Plan {
        routing_rules: None,
        dialout: None,
        log_level: LogLevelChange::Unchanged,
        applied: Vec::new(),
        waiting: Vec::new(),
        running: running.clone(),
    };
    for key in changed_keys(running, new) {
        let key = key.to_string();
        match key.as_str() {
            "routing.rules" => plan_routing_rules(&mut plan, new, key),
            "dialout.allow" | "dialout.max_per_second" => {
                plan.dialout = Some(new.dialout.clone());
                plan.running.dialout = new.dialout.clone();
                plan.applied.push(key);
            }
            "log.level" => {
                plan.running.log.level = new.log.level.clone();
                plan.log_level = match rust_log_rules {
                    true => LogLevelChange::RustLogRules(new.log.level.clone()),
                    false => {
                        plan.applied.push(key);
                        LogLevelChange::Apply(new.log.level.clone())
                    }
                };
            }
            _ => plan.waiting.push(Waiting { key, why: None }),
        }
    }
    plan
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
            plan.routing_rules = Some(new.routing.rules.clone());
            plan.running.routing.rules = new.routing.rules.clone();
            plan.applied.push(key);
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

/// Every key whose value differs between `running` and `new`, as defaults fill them in: a
/// section's fields one by one, `routing.rules` as one key, a guest added or removed as
/// `guests.<name>`, and a guest's own table key by key, into its nested tables.
pub fn changed_keys(running: &Config, new: &Config) -> Vec<KeyPath> {
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
        guests,
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
    changed_guests(&mut changed, &top.key("guests"), guests, &new.guests);
    changed
}

/// The keys of `[guests]` that differ between `running` and `new`, under `path`.
fn changed_guests(
    changed: &mut Vec<KeyPath>,
    path: &KeyPath,
    running: &BTreeMap<String, GuestEntry>,
    new: &BTreeMap<String, GuestEntry>,
) {
    let names: BTreeSet<&String> = running.keys().chain(new.keys()).collect();
    for name in names {
        let path = path.key(name);
        match (running.get(name), new.get(name)) {
            (Some(running), Some(new)) => changed_guest(changed, &path, running, new),
            _ => changed.push(path),
        }
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
            (running, new) if running != new => changed.push(path),
            _ => {}
        }
    }
}
