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
//! changes once more; but a load refused because 16 versions still serve
//! calls is tried again at every look until it passes, as the oldest unloads
//! with its last call, its refusal logged once.

use crate::component_file::read_component;
use crate::guest_control::GuestSwitch;
use crate::host_api::CoreHost;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use switchyard_control::Fault;
use tracing::{info, warn};

/// How often a watched file is looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// What a look at the file saw: modification time and size, or nothing (the
/// file is missing or unreadable).
pub type Seen = Option<(SystemTime, u64)>;

/// The SHA-256 of a component's bytes.
type Content = Option<[u8; 32]>;

/// Watches `path`, the component of the guest `name`, loaded as `loaded` saw
/// it (a [`look`] taken before it was read, so that a change written while the
/// server started is loaded too), for as long as the returned future runs (the
/// server aborts it at shutdown).
pub async fn watch(
    switch: GuestSwitch,
    name: String,
    path: PathBuf,
    loaded: Seen,
    host: Arc<CoreHost>,
) {
    // Unchanged since it was read at start: its content is the running version's.
    let content = digest_off_thread(&path).await;
    let mut watched = Watched {
        loaded,
        loaded_content: content.filter(|_| look(&path) == loaded),
        ..Watched::default()
    };
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let seen = look(&path);
        if !watched.due(seen) {
            continue;
        }
        let retry = watched.retrying(seen);
        let content = match retry {
            Some(content) => content,
            None => digest_off_thread(&path).await,
        };
        // The version serving now came from elsewhere (a load by hand): the file is
        // the way back to its content, whatever it was last time.
        if switch.current_file(&name) != Some(path.display().to_string()) {
            watched.loaded_content = None;
        }
        if watched.touched(seen, content) {
            info!(guest = name, file = %path.display(), "watched file touched, its content unchanged: not loaded");
            continue;
        }
        if retry.is_none() {
            info!(guest = name, file = %path.display(), "watched file changed: loading it");
        }
        let outcome = switch
            .load_file(name.clone(), path.clone(), host.clone())
            .await;
        if let Err(fault) = &outcome
            && retry.is_none()
        {
            let again = if retried(fault) {
                ": tried again at every look"
            } else {
                ""
            };
            warn!(guest = name, file = %path.display(), "{}{again}", fault.message);
        }
        watched.after_load(seen, content, &outcome);
    }
}

/// What the watch knows of the file between looks.
#[derive(Debug, Default)]
struct Watched {
    /// The file as last loaded, at start, or refused until it changes.
    loaded: Seen,
    /// A change seen at the last look, to load at the next one if it stays.
    pending: Option<Seen>,
    /// The content of the version last loaded from the file, when known.
    loaded_content: Content,
    /// The file as it was when its load was refused to be tried again, and its content.
    refused: Option<(Seen, Content)>,
}

impl Watched {
    /// Whether the file, as `seen` now, is to be loaded.
    fn due(&mut self, seen: Seen) -> bool {
        match next_step(self.loaded, self.pending, seen) {
            Step::Wait(next) => {
                self.pending = next;
                false
            }
            Step::Load => {
                self.pending = None;
                true
            }
        }
    }

    /// The content of the file, as `seen` now, when it is a refused load tried again:
    /// unchanged since, it is not read again.
    fn retrying(&self, seen: Seen) -> Option<Content> {
        self.refused
            .filter(|(refused, _)| *refused == seen)
            .map(|(_, content)| content)
    }

    /// Whether the file, as `seen` now holding `content`, holds the version loaded last:
    /// then it counts as loaded.
    fn touched(&mut self, seen: Seen, content: Content) -> bool {
        let touched = content.is_some() && content == self.loaded_content;
        if touched {
            self.loaded = seen;
            self.refused = None;
        }
        touched
    }

    /// The load of the file, as `seen` holding `content`, came to `outcome`.
    fn after_load(&mut self, seen: Seen, content: Content, outcome: &Result<u32, Fault>) {
        self.refused = None;
        match outcome {
            Ok(_) => {
                self.loaded = seen;
                self.loaded_content = content;
            }
            Err(fault) if retried(fault) => {
                self.pending = Some(seen);
                self.refused = Some((seen, content));
            }
            Err(_) => self.loaded = seen,
        }
    }
}

/// Whether a load refused with `fault` is tried again though the file did not change:
/// refused because 16 versions still serve calls, it may pass once the oldest unloads, and
/// that refusal comes before anything is compiled. Any other refusal is the component's own.
fn retried(fault: &Fault) -> bool {
    fault.code == Fault::CONFLICT
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

/// The SHA-256 of the component at `path`, or none if it cannot be read as one; read on a
/// blocking thread, as a component may be large.
async fn digest_off_thread(path: &Path) -> Content {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || digest(&path))
        .await
        .ok()
        .flatten()
}

/// The SHA-256 of the component at `path`, or none if it cannot be read as one.
fn digest(path: &Path) -> Content {
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

    /// A watch of a file loaded as `at(1, 100)`, whose change to `changed` has held still
    /// for one look and is due.
    fn due_change(changed: Seen) -> Watched {
        let mut watched = Watched {
            loaded: at(1, 100),
            ..Watched::default()
        };
        assert!(!watched.due(changed), "seen once");
        assert!(watched.due(changed), "held still");
        watched
    }

    #[test]
    fn a_load_refused_while_16_versions_serve_calls_is_tried_at_each_look_until_it_passes() {
        let changed = at(2, 50);
        let mut watched = due_change(changed);
        let content = Some([7; 32]);
        assert_eq!(watched.retrying(changed), None, "a first try");
        let conflict = Err(Fault::new(Fault::CONFLICT, "16 versions serve calls"));
        watched.after_load(changed, content, &conflict);
        for _ in 0..3 {
            assert!(
                watched.due(changed),
                "the file unchanged, the load is tried again"
            );
            assert_eq!(
                watched.retrying(changed),
                Some(content),
                "without reading the file again, nor logging the refusal again"
            );
            watched.after_load(changed, content, &conflict);
        }
        watched.after_load(changed, content, &Ok(17));
        assert!(!watched.due(changed), "loaded at last");
        assert!(
            watched.touched(changed, content),
            "its content is the version's"
        );
    }

    #[test]
    fn a_load_refused_for_its_component_waits_for_the_file_to_change() {
        let changed = at(2, 50);
        let mut watched = due_change(changed);
        let refused = Err(Fault::bad_params("guestLoad: refused: not a component"));
        watched.after_load(changed, Some([7; 32]), &refused);
        assert!(!watched.due(changed));
        assert_eq!(watched.retrying(changed), None);
        let again = at(3, 60);
        assert!(!watched.due(again), "a change is seen");
        assert!(watched.due(again), "and loaded once it holds still");
    }

    #[test]
    fn a_change_while_a_refused_load_is_tried_again_is_read_afresh() {
        let changed = at(2, 50);
        let mut watched = due_change(changed);
        let conflict = Err(Fault::new(Fault::CONFLICT, "16 versions serve calls"));
        watched.after_load(changed, Some([7; 32]), &conflict);
        let rewritten = at(3, 60);
        assert!(!watched.due(rewritten), "a change is seen");
        assert!(watched.due(rewritten), "and loaded once it holds still");
        assert_eq!(watched.retrying(rewritten), None, "its content is read");
    }
}
