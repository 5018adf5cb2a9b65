//! The per-source limit on refused room entries (see
//! [`crate::source_limit`]), kept in the key-value store shared by every call.

use super::room::now;
use super::settings::Settings;
use crate::source_limit::{self, KEY_PREFIX};
use switchyard_sdk::kv;
use switchyard_sdk::log::{Level, log};

/// The most source addresses tracked at once; a new one past it evicts the
/// records that matter least.
const MAX_TRACKED_SOURCES: u32 = 1000;

/// Whether calls from source address `ip` are refused now. A record whose
/// failures all aged out is deleted on the way.
pub fn is_blocked(settings: &Settings, ip: &str) -> bool {
    let policy = settings.source_limit;
    if !policy.is_on() {
        return false;
    }
    let key = source_limit::key(ip);
    let Some(record) = kv::get(&key) else {
        return false;
    };
    let now = now();
    if source_limit::is_stale(&policy, &record, now) {
        kv::delete(&key);
        return false;
    }
    source_limit::is_blocked(&policy, Some(&record), now)
}

/// Counts one refused room entry from `ip`; true if that puts the source
/// over its limit.
pub fn record_failure(settings: &Settings, ip: &str) -> bool {
    let policy = settings.source_limit;
    if !policy.is_on() {
        return false;
    }
    let key = source_limit::key(ip);
    let record = kv::get(&key);
    let now = now();
    if record.is_none() {
        make_room(settings, now);
    }
    let record = source_limit::record_failure(&policy, record.as_deref(), now);
    if let Err(e) = kv::set(&key, &record) {
        log(
            Level::Warn,
            &format!("failed room entry from {ip} not counted: {e:?}"),
        );
    }
    source_limit::is_blocked(&policy, Some(&record), now)
}

/// Makes room for one more tracked source when [`MAX_TRACKED_SOURCES`] are.
fn make_room(settings: &Settings, now: u64) {
    let keys = kv::list(KEY_PREFIX, MAX_TRACKED_SOURCES);
    if keys.len() < MAX_TRACKED_SOURCES as usize {
        return;
    }
    let records: Vec<(String, String)> = keys
        .into_iter()
        .filter_map(|key| kv::get(&key).map(|value| (key, value)))
        .collect();
    let cap = MAX_TRACKED_SOURCES as usize;
    for key in source_limit::evict(&settings.source_limit, &records, now, cap) {
        kv::delete(&key);
    }
}
