//! `[guests.<name>] watch = true`: the guest's component file is watched,
//! and a changed file is loaded as the guest's next version, as
//! `guestLoad(name, file)` would load it.
//!
//! The file is looked at every [`POLL`]; a change (of modification time or
//! size) is loaded once the file has stayed the same for one more look, so a
//! file still being written is not taken half-written, unless its content is
//! that of the version it last loaded (a file touched, or rewritten the same,
//! is no new version). A component that is refused is logged, the running
//! version keeps serving, and the file is looked at again only when it
//! changes once more.

use crate::component_file::read_component;
use crate::guest_control::GuestSwitch;
use crate::host_api::CoreHost;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tracing::{info, warn};

/// How often a watched file is looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// What a look at the file saw: modification time and size, or nothing (the
/// file is missing or unreadable).
pub type Seen = Option<(SystemTime, u64)>;

/// Watches `path`, the component of the guest `name`, loaded as `loaded` saw
/// it (a [`look`] taken before it was read, so that a change written while the
/// server started is loaded too), for as long as the returned future runs (the
/// server aborts it at shutdown).
pub async fn watch(
    switch: GuestSwitch,
    name: String,
    path: PathBuf,
    mut loaded: Seen,
    host: Arc<CoreHost>,
) {
    // Unchanged since it was read at start: its content is the running version's.
    let mut loaded_content = digest(&path).filter(|_| look(&path) == loaded);
    let mut pending: Option<Seen> = None;
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let seen = look(&path);
        match next_step(loaded, pending, seen) {
            Step::Wait(next) => pending = next,
            Step::Load => {
                pending = None;
                loaded = seen;
                let content = digest(&path);
                // The version serving now came from elsewhere (a load by hand): the file is
                // the way back to its content, whatever it was last time.
                if switch.current_file(&name) != Some(path.display().to_string()) {
                    loaded_content = None;
                }
                if content.is_some() && content == loaded_content {
                    info!(guest = name, file = %path.display(), "watched file touched, its content unchanged: not loaded");
                    continue;
                }
                info!(guest = name, file = %path.display(), "watched file changed: loading it");
                match switch
                    .load_file(name.clone(), path.clone(), host.clone())
                    .await
                {
                    Ok(_) => loaded_content = content,
                    Err(fault) => warn!(guest = name, file = %path.display(), "{}", fault.message),
                }
            }
        }
    }
}

/// What to do after a look.
#[derive(Debug, PartialEq)]
enum Step {
    /// Nothing to load yet; the change seen so far, if any.
    Wait(Option<Seen>),
    /// The file changed and has stayed the same since: load it.
    Load,
}

/// The step after seeing `seen`, with `loaded` the file as last loaded (or
/// as at start) and `pending` a change seen at the last look.
fn next_step(loaded: Seen, pending: Option<Seen>, seen: Seen) -> Step {
    if seen == loaded || seen.is_none() {
        // Unchanged, or gone for now (a file replaced by rename is missing for a moment).
        return Step::Wait(None);
    }
    if pending == Some(seen) {
        Step::Load
    } else {
        Step::Wait(Some(seen))
    }
}

/// The SHA-256 of the component at `path`, or none if it cannot be read as one.
fn digest(path: &Path) -> Option<[u8; 32]> {
    read_component(path)
        .ok()
        .map(|bytes| Sha256::digest(bytes).into())
}

/// How `path` is now.
pub fn look(path: &PathBuf) -> Seen {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, size: u64) -> Seen {
        Some((SystemTime::UNIX_EPOCH + Duration::from_secs(seconds), size))
    }

    #[test]
    fn a_change_is_loaded_once_it_holds_still_for_one_look() {
        let loaded = at(1, 100);
        assert_eq!(next_step(loaded, None, loaded), Step::Wait(None));
        let changed = at(2, 50);
        assert_eq!(next_step(loaded, None, changed), Step::Wait(Some(changed)));
        // Still being written: it grew since the last look.
        let grown = at(2, 120);
        assert_eq!(
            next_step(loaded, Some(changed), grown),
            Step::Wait(Some(grown))
        );
        assert_eq!(next_step(loaded, Some(grown), grown), Step::Load);
    }

    #[test]
    fn a_missing_file_or_a_change_undone_loads_nothing() {
        let loaded = at(1, 100);
        assert_eq!(next_step(loaded, Some(at(2, 5)), None), Step::Wait(None));
        assert_eq!(next_step(loaded, Some(at(2, 5)), loaded), Step::Wait(None));
    }
}
