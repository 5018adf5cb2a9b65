//! `[guests.<name>] watch = true`: the guest's component file is watched,
//! and a changed file is loaded as the guest's next version, as
//! `guestLoad(name, file)` would load it.
//!
//! The file is looked at every [`POLL`]; a change (of its modification time,
//! size or status-change time, or another file put in its place, a symlink
//! followed) is loaded once the file has stayed the same for one more look, so
//! a file being written is not taken half-written unless its writer pauses for
//! as long (then the part written is refused with a warning, and the whole file
//! loaded once it is written), unless
//! - its content is that of the version serving new calls (a file touched,
//!   rewritten the same, or already loaded by `guestLoad`, is no new version), or
//! - it has not changed since the version serving new calls was loaded: it looks
//!   as it did just before that version's bytes were read, each version of the
//!   guest keeping that look whatever file it was read from (or, once the file is
//!   passed over as holding its bytes, the look it had then). A version loaded by
//!   `guestLoad` from another file after the change (a way back from the file's
//!   content, say) stands until the file changes again.
//!
//! No clock is compared: a symlink pointed back at an older file, or a file
//! whose times come from another clock (an NFS server's), is a change like any
//! other.
//!
//! Each look that reads the file logs one line of what came of it: loading it, not
//! loaded and why, or refused. The file is read once for each load: the bytes
//! compared are the bytes compiled. A component that is refused is logged, the
//! running version keeps serving, and the file is looked at again only when it
//! changes once more; but a load refused because 16 versions still serve calls is
//! tried again (the file read afresh) at the first look after one of them
//! unloads with its last call, its refusal logged once.

use crate::guest_control::{GuestSwitch, Outcome};
use crate::host_api::CoreHost;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use switchyard_control::Fault;
use switchyard_control::file_stamp::FileStamp;
use tracing::{info, warn};

/// How often a watched file is looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// What a look at the file saw: its stamp, or nothing (the file is missing or unreadable).
pub type Seen = Option<FileStamp>;

/// Watches `path`, the component of the guest `name`, loaded as `loaded` saw
/// it (its [`FileStamp`] taken before it was read, so that a change written while the
/// server started is loaded too; the version loaded at start keeps it), for as long as the returned future runs (the
/// server aborts it at shutdown).
pub async fn watch(
    switch: GuestSwitch,
    name: String,
    path: PathBuf,
    loaded: Seen,
    host: Arc<CoreHost>,
) {
    let mut watched = Watched {
        loaded,
        ..Watched::default()
    };
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let seen = FileStamp::of(&path);
        if !watched.due(seen) {
            continue;
        }
        let Some(stat) = seen else { continue };
        let retry = watched.retrying(seen);
        if retry && switch.full(&name) {
            // Still refused: nothing is read, nor logged again, until a version unloads.
            watched.still_refused(seen);
            continue;
        }
        let outcome = match switch.read_component(&name, &path).await {
            // Judged before the turn, and again in it ("loading it" is logged there, once the
            // load goes ahead): a load by hand may be under way.
            Ok(component) => match switch.passed_over(&name, component.digest(), stat) {
                Some(outcome) => Ok(outcome),
                None => {
                    switch
                        .load_component(name.clone(), &path, component, stat, host.clone())
                        .await
                }
            },
            Err(fault) => Err(fault),
        };
        report(&name, &path, retry, &outcome);
        watched.after_load(seen, &outcome);
    }
}

/// Logs what came of a look that read the watched file `path` of `name`, a refused load tried
/// again if `retry`, unless the load logged it already: "loading it" and a refusal of the
/// component are logged by the load, a refusal while 16 versions serve calls only here, once.
fn report(name: &str, path: &Path, retry: bool, outcome: &Result<Outcome, Fault>) {
    match outcome {
        Ok(Outcome::Loaded(_)) => {}
        Ok(Outcome::Same) => {
            info!(guest = name, file = %path.display(), "watched file touched, its content unchanged: not loaded");
        }
        Ok(Outcome::Unchanged) => {
            info!(guest = name, file = %path.display(), "watched file has not changed since the version serving was loaded: not loaded");
        }
        Err(fault) if retried(fault) && !retry => {
            warn!(guest = name, file = %path.display(), "{}: tried again once a version unloads", fault.message);
        }
        Err(_) => {}
    }
}

/// What the watch knows of the file between looks.
#[derive(Default)]
struct Watched {
    /// The file as last loaded, at start, or refused until it changes.
    loaded: Seen,
    /// A change seen at the last look, to load at the next one if it stays.
    pending: Option<Seen>,
    // Only how the file was: its bytes (up to 256 MiB) are read again when the load can go
    // ahead, rather than held for as long as 16 versions serve calls.
    /// The file as it was when its load was refused to be tried again; nothing once it changes
    /// or goes.
    refused: Seen,
}

impl Watched {
    /// Whether the file, as `seen` now, is to be loaded.
    fn due(&mut self, seen: Seen) -> bool {
        if self.refused != seen {
            self.refused = None;
        }
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

    /// Whether the file, as `seen` now, is that of a refused load tried again (its refusal
    /// logged already).
    fn retrying(&self, seen: Seen) -> bool {
        self.refused.is_some() && self.refused == seen
    }

    /// The refused load of the file, as `seen` now, is not tried at this look (no version has
    /// unloaded since): it is due again at the next.
    fn still_refused(&mut self, seen: Seen) {
        self.pending = Some(seen);
    }

    /// The load of the file, as `seen`, came to `outcome`: loaded, or not loaded with reason
    /// (then it counts as loaded), or refused.
    fn after_load(&mut self, seen: Seen, outcome: &Result<Outcome, Fault>) {
        self.refused = None;
        match outcome {
            Err(fault) if retried(fault) => {
                self.pending = Some(seen);
                self.refused = seen;
            }
            Ok(_) | Err(_) => self.loaded = seen,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Looks at `N` files side by side: no two alike, as looks at a file replaced in between.
    fn looks<const N: usize>() -> [Seen; N] {
        let dir = tempfile::tempdir().unwrap();
        std::array::from_fn(|n| {
            let path = dir.path().join(format!("{n}.wasm"));
            std::fs::write(&path, b"guest").unwrap();
            let seen = FileStamp::of(&path);
            assert!(seen.is_some());
            seen
        })
    }

    #[test]
    fn a_change_is_loaded_once_it_holds_still_for_one_look() {
        let [loaded, changed, again] = looks();
        assert_eq!(next_step(loaded, None, loaded), Step::Wait(None));
        assert_eq!(next_step(loaded, None, changed), Step::Wait(Some(changed)));
        // Still being written: it changed again since the last look.
        assert_eq!(
            next_step(loaded, Some(changed), again),
            Step::Wait(Some(again))
        );
        assert_eq!(next_step(loaded, Some(again), again), Step::Load);
    }

    #[test]
    fn a_missing_file_or_a_change_undone_loads_nothing() {
        let [loaded, changed] = looks();
        assert_eq!(next_step(loaded, Some(changed), None), Step::Wait(None));
        assert_eq!(next_step(loaded, Some(changed), loaded), Step::Wait(None));
    }

    /// A watch of a file loaded as `loaded`, whose change to `changed` has held still for one
    /// look and is due.
    fn due_change(loaded: Seen, changed: Seen) -> Watched {
        let mut watched = Watched {
            loaded,
            ..Watched::default()
        };
        assert!(!watched.due(changed), "seen once");
        assert!(watched.due(changed), "held still");
        watched
    }

    #[test]
    fn a_load_refused_while_16_versions_serve_calls_is_tried_at_each_look_until_it_passes() {
        let [loaded, changed] = looks();
        let mut watched = due_change(loaded, changed);
        assert!(!watched.retrying(changed), "a first try");
        let conflict = Err(Fault::new(Fault::CONFLICT, "16 versions serve calls"));
        watched.after_load(changed, &conflict);
        // No version unloads: the load is not tried.
        for _ in 0..3 {
            assert!(watched.due(changed), "the file unchanged, the load is due");
            assert!(watched.retrying(changed), "its refusal not logged again");
            watched.still_refused(changed);
        }
        // One unloads, but a call comes first: tried, and refused again.
        assert!(watched.due(changed));
        watched.after_load(changed, &conflict);
        assert!(watched.due(changed));
        assert!(watched.retrying(changed));
        watched.after_load(changed, &Ok(Outcome::Loaded(17)));
        assert!(!watched.due(changed), "loaded at last");
        assert!(!watched.retrying(changed));
    }

    #[test]
    fn a_refused_load_is_forgotten_once_the_file_goes() {
        let [loaded, changed] = looks();
        let mut watched = due_change(loaded, changed);
        let conflict = Err(Fault::new(Fault::CONFLICT, "16 versions serve calls"));
        watched.after_load(changed, &conflict);
        assert!(!watched.due(None), "gone");
        assert_eq!(watched.refused, None);
        assert!(!watched.retrying(changed));
    }

    #[test]
    fn a_file_passed_over_counts_as_loaded() {
        for outcome in [Outcome::Same, Outcome::Unchanged] {
            let [loaded, changed] = looks();
            let mut watched = due_change(loaded, changed);
            watched.after_load(changed, &Ok(outcome));
            assert!(!watched.due(changed), "{outcome:?}");
            assert!(!watched.retrying(changed));
        }
    }

    #[test]
    fn a_load_refused_for_its_component_waits_for_the_file_to_change() {
        let [loaded, changed, again] = looks();
        let mut watched = due_change(loaded, changed);
        let refused = Err(Fault::bad_params("guestLoad: refused: not a component"));
        watched.after_load(changed, &refused);
        assert!(!watched.due(changed));
        assert!(!watched.retrying(changed));
        assert!(!watched.due(again), "a change is seen");
        assert!(watched.due(again), "and loaded once it holds still");
    }

    #[test]
    fn a_change_while_a_refused_load_is_tried_again_is_read_afresh() {
        let [loaded, changed, rewritten] = looks();
        let mut watched = due_change(loaded, changed);
        let conflict = Err(Fault::new(Fault::CONFLICT, "16 versions serve calls"));
        watched.after_load(changed, &conflict);
        assert!(!watched.due(rewritten), "a change is seen");
        assert!(watched.due(rewritten), "and loaded once it holds still");
        assert!(
            !watched.retrying(rewritten),
            "a first try, its refusal logged"
        );
    }

    #[test]
    fn a_refused_file_is_logged_once() {
        let path = Path::new("guest.wasm");
        let ((), log) = crate::test_log::logged(|| {
            let error = anyhow::anyhow!("not a component");
            let fault = crate::guest_control::refused("conf", "guest.wasm", &error);
            report("conf", path, false, &Err(fault));
            let conflict = Fault::new(Fault::CONFLICT, "16 versions serve calls");
            report("conf", path, false, &Err(conflict.clone()));
            report("conf", path, true, &Err(conflict));
        });
        assert_eq!(
            log.matches("guestLoad: refused: not a component").count(),
            1,
            "{log}"
        );
        assert_eq!(log.matches("16 versions serve calls").count(), 1, "{log}");
        assert!(log.contains("tried again once a version unloads"), "{log}");
    }
}
