//! The loaded guests by name, each with its versions: the newest takes new
//! calls; an older one keeps the calls it has until they end and is unloaded
//! (dropped) when its last call goes.
//!
//! A call holds a [`Lease`] on the version it started with for as long as it
//! lasts; the lease counts the call and, when it is dropped, unloads a
//! version that is no longer the newest and has no call left.
//!
//! Each version keeps its own [`GuestMetrics`], which go with it: the label
//! sets of the guest metrics are bounded by the versions loaded.

use crate::guest_watch::Seen;
use crate::metrics::GuestMetrics;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// The most versions of one guest kept at once: the current one and those still serving
/// calls. A load past it is refused (`guestLoad` answers a conflict); the file watcher
/// tries its load again once an older version unloads.
pub const MAX_VERSIONS: usize = 16;

/// The SHA-256 of the bytes a version was compiled from.
pub type Digest = [u8; 32];

/// The versions of every loaded guest; `T` is the compiled guest.
pub struct Registry<T> {
    guests: Arc<Mutex<BTreeMap<String, Versions<T>>>>,
}

/// One guest's versions, oldest first: the last is the current one.
struct Versions<T> {
    /// The number the next version gets.
    next: u32,
    loaded: Vec<Loaded<T>>,
}

struct Loaded<T> {
    version: u32,
    file: String,
    digest: Digest,
    look: Seen,
    loaded_at: SystemTime,
    guest: Arc<T>,
    live: usize,
    metrics: GuestMetrics,
}

/// The current version of a guest, as [`Registry::current`] gives it.
pub struct Current<T> {
    /// Its number.
    pub version: u32,
    /// The compiled guest.
    pub guest: Arc<T>,
    /// Its metrics.
    pub metrics: GuestMetrics,
    /// The file it was read from.
    pub file: String,
    /// The SHA-256 of the bytes it was compiled from.
    pub digest: Digest,
    /// Its guest's watched file as a look saw it just before this version's bytes were read
    /// (from that file or another); `None` when the guest is not watched, the file was missing,
    /// or the version was added without it. The same look now means the file has not changed
    /// since this version was loaded.
    pub look: Seen,
}

/// One version as [`Registry::list`] shows it.
pub struct VersionInfo<T> {
    /// The guest's name.
    pub name: String,
    /// Its number: 1 for the one loaded at start, then counting up.
    pub version: u32,
    /// The file it was read from.
    pub file: String,
    /// When it was loaded.
    pub loaded_at: SystemTime,
    /// The calls on it now.
    pub live_calls: usize,
    /// Whether new calls go to it (else it is draining).
    pub current: bool,
    /// The compiled guest.
    pub guest: Arc<T>,
    /// Its metrics.
    pub metrics: GuestMetrics,
}

/// A call's hold on the version it started with; see the module docs.
pub struct Lease<T> {
    guests: Arc<Mutex<BTreeMap<String, Versions<T>>>>,
    name: String,
    version: u32,
    guest: Arc<T>,
    metrics: GuestMetrics,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            guests: Arc::default(),
        }
    }
}

impl<T> Registry<T> {
    /// How many versions of `name` serve calls now: those a new version would not unload.
    pub fn serving(&self, name: &str) -> usize {
        lock(&self.guests).get(name).map_or(0, Versions::serving)
    }

    /// Adds `guest`, read from `file` and compiled from bytes whose SHA-256 is `digest`, its
    /// guest's watched file seen as `look` just before they were read (see [`Current::look`]),
    /// as the newest version of `name` and returns its number. The version it replaces is
    /// unloaded now if it has no call, else when its last call ends.
    pub fn add(&self, name: &str, guest: T, file: String, digest: Digest, look: Seen) -> u32 {
        let (version, _unloaded) = push(&mut lock(&self.guests), name, guest, file, digest, look);
        version
    }

    /// [`Registry::add`], unless [`MAX_VERSIONS`] versions of `name` serve calls: then nothing is
    /// added, and the error is how many do. The count is taken under the lock the addition holds,
    /// so a call that a version gained a moment before counts.
    pub fn add_within_limit(
        &self,
        name: &str,
        guest: T,
        file: String,
        digest: Digest,
        look: Seen,
    ) -> Result<u32, usize> {
        let (version, _unloaded) = {
            let mut guests = lock(&self.guests);
            let serving = guests.get(name).map_or(0, Versions::serving);
            if serving >= MAX_VERSIONS {
                return Err(serving);
            }
            push(&mut guests, name, guest, file, digest, look)
        };
        Ok(version)
    }

    /// The current version of `name`, held for as long as the caller keeps
    /// it, uncounted (for a control request).
    pub fn current(&self, name: &str) -> Option<Current<T>> {
        let guests = lock(&self.guests);
        let current = guests.get(name)?.loaded.last()?;
        Some(Current {
            version: current.version,
            guest: current.guest.clone(),
            metrics: current.metrics.clone(),
            file: current.file.clone(),
            digest: current.digest,
            look: current.look,
        })
    }

    /// Records `look` as the look of version `version` of `name` (see [`Current::look`]) if it
    /// is still the current version. The version is compared under the lock, so a version
    /// added meanwhile keeps its own look.
    pub fn set_look(&self, name: &str, version: u32, look: Seen) {
        let mut guests = lock(&self.guests);
        if let Some(current) = guests
            .get_mut(name)
            .and_then(|versions| versions.loaded.last_mut())
            .filter(|current| current.version == version)
        {
            current.look = look;
        }
    }

    /// The number of the current version of `name`.
    pub fn current_version(&self, name: &str) -> Option<u32> {
        let guests = lock(&self.guests);
        Some(guests.get(name)?.loaded.last()?.version)
    }

    /// The current version of `name`, counted as one more live call until
    /// the lease is dropped.
    pub fn lease(&self, name: &str) -> Option<Lease<T>> {
        let mut guests = lock(&self.guests);
        let current = guests.get_mut(name)?.loaded.last_mut()?;
        Some(self.counted(name, current))
    }

    /// Version `version` of `name`, counted as one more live call until the
    /// lease is dropped; `None` once it is unloaded (it stays loaded while a
    /// lease on it is held).
    pub fn lease_version(&self, name: &str, version: u32) -> Option<Lease<T>> {
        let mut guests = lock(&self.guests);
        let loaded = guests
            .get_mut(name)?
            .loaded
            .iter_mut()
            .find(|loaded| loaded.version == version)?;
        Some(self.counted(name, loaded))
    }

    /// A lease on `loaded`, a version of `name`, counted on it.
    fn counted(&self, name: &str, loaded: &mut Loaded<T>) -> Lease<T> {
        loaded.live += 1;
        Lease {
            guests: self.guests.clone(),
            name: name.to_owned(),
            version: loaded.version,
            guest: loaded.guest.clone(),
            metrics: loaded.metrics.clone(),
        }
    }

    /// The names loaded, sorted.
    pub fn names(&self) -> Vec<String> {
        lock(&self.guests).keys().cloned().collect()
    }

    /// Every loaded version, by name, then oldest first.
    pub fn list(&self) -> Vec<VersionInfo<T>> {
        let guests = lock(&self.guests);
        guests
            .iter()
            .flat_map(|(name, versions)| {
                let newest = versions.loaded.last().map(|loaded| loaded.version);
                versions.loaded.iter().map(move |loaded| VersionInfo {
                    name: name.clone(),
                    version: loaded.version,
                    file: loaded.file.clone(),
                    loaded_at: loaded.loaded_at,
                    live_calls: loaded.live,
                    current: Some(loaded.version) == newest,
                    guest: loaded.guest.clone(),
                    metrics: loaded.metrics.clone(),
                })
            })
            .collect()
    }
}

impl<T> Lease<T> {
    /// The guest's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of the version held.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The compiled guest of the version held.
    pub fn guest(&self) -> &T {
        &self.guest
    }

    /// The metrics of the version held.
    pub fn metrics(&self) -> &GuestMetrics {
        &self.metrics
    }
}

impl<T> Drop for Lease<T> {
    // The lease's own handle on the guest is let go after this, with the lock: a version
    // unloaded here is freed outside it.
    fn drop(&mut self) {
        let mut guests = lock(&self.guests);
        let Some(versions) = guests.get_mut(&self.name) else {
            return;
        };
        let newest = versions.loaded.last().map(|loaded| loaded.version);
        if let Some(loaded) = versions
            .loaded
            .iter_mut()
            .find(|loaded| loaded.version == self.version)
        {
            loaded.live -= 1;
        }
        versions
            .loaded
            .retain(|loaded| loaded.live > 0 || Some(loaded.version) == newest);
    }
}

impl<T> Versions<T> {
    /// How many of these versions serve calls.
    fn serving(&self) -> usize {
        self.loaded.iter().filter(|loaded| loaded.live > 0).count()
    }
}

/// Adds `guest`, read from `file` holding the bytes of `digest`, its watched file seen as
/// `look` before they were read, to `guests` as the newest version of `name`; returns its
/// number and the versions it unloads, those that serve no call, for the caller to drop once
/// it has let go of the registry's lock: freeing a compiled component (megabytes of code to
/// unmap) would hold up every call's start and every control request waiting on the lock.
fn push<T>(
    guests: &mut BTreeMap<String, Versions<T>>,
    name: &str,
    guest: T,
    file: String,
    digest: Digest,
    look: Seen,
) -> (u32, Vec<Loaded<T>>) {
    let versions = guests.entry(name.to_owned()).or_insert(Versions {
        next: 1,
        loaded: Vec::new(),
    });
    let version = versions.next;
    versions.next += 1;
    let unloaded = versions
        .loaded
        .extract_if(.., |loaded| loaded.live == 0)
        .collect();
    versions.loaded.push(Loaded {
        version,
        file,
        digest,
        look,
        loaded_at: SystemTime::now(),
        guest: Arc::new(guest),
        live: 0,
        metrics: GuestMetrics::default(),
    });
    (version, unloaded)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_control::file_stamp::FileStamp;

    /// (version, live calls, current) of every version of `name`.
    fn shown(registry: &Registry<&'static str>, name: &str) -> Vec<(u32, usize, bool)> {
        registry
            .list()
            .into_iter()
            .filter(|info| info.name == name)
            .map(|info| (info.version, info.live_calls, info.current))
            .collect()
    }

    #[test]
    fn new_calls_go_to_the_newest_version_and_old_ones_drain() {
        let registry = Registry::default();
        assert_eq!(
            registry.add("conf", "one", "one.wasm".into(), [0; 32], None),
            1
        );
        let first = registry.lease("conf").unwrap();
        assert_eq!((first.version(), *first.guest()), (1, "one"));

        assert_eq!(
            registry.add("conf", "two", "two.wasm".into(), [0; 32], None),
            2
        );
        let second = registry.lease("conf").unwrap();
        assert_eq!((second.version(), *second.guest()), (2, "two"));
        assert_eq!(shown(&registry, "conf"), [(1, 1, false), (2, 1, true)]);

        drop(first);
        assert_eq!(shown(&registry, "conf"), [(2, 1, true)], "v1 unloaded");
        drop(second);
        assert_eq!(
            shown(&registry, "conf"),
            [(2, 0, true)],
            "the current stays"
        );
    }

    #[test]
    fn a_version_without_calls_is_unloaded_as_soon_as_it_is_replaced() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        assert_eq!(shown(&registry, "conf"), [(2, 0, true)]);
        let info = &registry.list()[0];
        assert_eq!((info.file.as_str(), *info.guest), ("two.wasm", "two"));
    }

    #[test]
    fn the_guest_itself_is_dropped_with_its_last_holder() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let lease = registry.lease("conf").unwrap();
        let control = registry.current("conf").unwrap().guest;
        let weak = Arc::downgrade(&control);
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        drop(lease);
        assert!(weak.upgrade().is_some(), "a control request still holds v1");
        drop(control);
        assert!(weak.upgrade().is_none(), "v1 freed");
    }

    /// The versions of the guests of a registry of [`FreedAside`] guests.
    type FreedAsideGuests = Mutex<BTreeMap<String, Versions<FreedAside>>>;

    /// A guest that notes, as it is freed, whether its registry's lock was free then.
    struct FreedAside {
        guests: std::sync::Weak<FreedAsideGuests>,
        lock_was_free: Arc<Mutex<Vec<bool>>>,
    }

    impl Drop for FreedAside {
        fn drop(&mut self) {
            if let Some(guests) = self.guests.upgrade() {
                let free = guests.try_lock().is_ok();
                self.lock_was_free.lock().unwrap().push(free);
            }
        }
    }

    #[test]
    fn an_unloaded_version_is_freed_once_the_lock_is_let_go() {
        let registry = Registry::default();
        let lock_was_free = Arc::new(Mutex::new(Vec::new()));
        let guest = || FreedAside {
            guests: Arc::downgrade(&registry.guests),
            lock_was_free: lock_was_free.clone(),
        };
        registry.add("conf", guest(), "one.wasm".into(), [0; 32], None);
        registry.add("conf", guest(), "two.wasm".into(), [0; 32], None);
        assert_eq!(*lock_was_free.lock().unwrap(), [true], "v1, as v2 came");
        let three = registry.add_within_limit("conf", guest(), "3.wasm".into(), [0; 32], None);
        assert_eq!(three, Ok(3));
        assert_eq!(
            *lock_was_free.lock().unwrap(),
            [true, true],
            "v2, as v3 came"
        );
    }

    #[test]
    fn several_calls_on_one_version_keep_it_until_the_last_ends() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let calls: Vec<_> = (0..3).map(|_| registry.lease("conf").unwrap()).collect();
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        let mut calls = calls.into_iter();
        drop(calls.next());
        assert_eq!(shown(&registry, "conf"), [(1, 2, false), (2, 0, true)]);
        drop(calls);
        assert_eq!(shown(&registry, "conf"), [(2, 0, true)]);
    }

    #[test]
    fn a_lease_of_a_draining_version_keeps_it_as_long_as_it_is_held() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let call = registry.lease("conf").unwrap();
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        let placed = registry.lease_version("conf", 1).unwrap();
        assert_eq!((placed.version(), *placed.guest()), (1, "one"));
        assert_eq!(shown(&registry, "conf"), [(1, 2, false), (2, 0, true)]);
        drop(call);
        assert_eq!(shown(&registry, "conf"), [(1, 1, false), (2, 0, true)]);
        drop(placed);
        assert_eq!(shown(&registry, "conf"), [(2, 0, true)], "v1 unloaded");
        assert!(registry.lease_version("conf", 1).is_none());
        assert!(registry.lease_version("nope", 1).is_none());
    }

    #[test]
    fn the_current_version_shows_the_digest_and_look_it_was_added_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        std::fs::write(&path, b"version two").unwrap();
        let look = FileStamp::of(&path);
        assert!(look.is_some());
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [1; 32], None);
        assert_eq!(registry.current("conf").unwrap().digest, [1; 32]);
        assert_eq!(registry.current("conf").unwrap().look, None);
        let _call = registry.lease("conf").unwrap();
        assert_eq!(
            registry.add_within_limit("conf", "two", "two.wasm".into(), [2; 32], look),
            Ok(2)
        );
        let current = registry.current("conf").unwrap();
        assert_eq!(
            (current.version, current.digest, current.look),
            (2, [2; 32], look)
        );
    }

    #[test]
    fn a_look_is_recorded_only_on_the_version_still_current() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        std::fs::write(&path, b"version one").unwrap();
        let look = FileStamp::of(&path);
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [1; 32], None);
        registry.set_look("conf", 1, look);
        assert_eq!(registry.current("conf").unwrap().look, look);
        registry.add("conf", "two", "two.wasm".into(), [2; 32], None);
        registry.set_look("conf", 1, look);
        assert_eq!(
            registry.current("conf").unwrap().look,
            None,
            "replaced meanwhile: version 2 keeps its own"
        );
        registry.set_look("ivr", 1, look);
        assert!(registry.current("ivr").is_none());
    }

    #[test]
    fn guests_are_apart_and_an_unknown_name_has_nothing() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        registry.add("ivr", "menu", "menu.wasm".into(), [0; 32], None);
        let _call = registry.lease("ivr").unwrap();
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        assert_eq!(shown(&registry, "ivr"), [(1, 1, true)]);
        assert_eq!(registry.names(), ["conf", "ivr"]);
        assert!(registry.lease("nope").is_none());
        assert!(registry.current("nope").is_none());
    }
}
