//! The guests' versions behind the control API: which version serves a
//! control request, `guestLoad(name, path)` and `guestList()`.
//!
//! Each version of a guest whose file is watched keeps that file's look ([`FileStamp`]), taken
//! just before the version's bytes were read, whatever file they were read from: the watch
//! passes over the file while it still looks so (it has not changed since the version
//! serving was loaded, by hand from another file perhaps), and over a file holding the
//! bytes of the version serving, which then keeps the look the watch saw: the file's
//! state the watch passed over is the one it is judged against from then on. A version loaded
//! with new settings from the bytes of the one serving keeps that one's look.

use crate::control::on_blocking_thread;
use crate::guest_loader::{Component, GuestLoader, GuestSettings};
use crate::guest_registry::{Current, Digest, MAX_VERSIONS, Registry, VersionInfo};
use crate::guest_watch::Seen;
use crate::host_api::CoreHost;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use switchyard_control::file_stamp::FileStamp;
use switchyard_control::{Fault, Value};
use switchyard_guest::Guest;
use tracing::{info, warn};

/// The loaded guests, the loader of new versions, and the guest that
/// answers control requests.
#[derive(Clone)]
pub struct GuestSwitch {
    registry: Arc<Registry<Guest>>,
    loader: Arc<GuestLoader>,
    /// Shared by the clones: a reload's `routing.guest` changes it for every one.
    routing: Arc<RwLock<String>>,
    /// The watched file of each guest that has one.
    watched: Arc<BTreeMap<String, PathBuf>>,
    /// Held through each load: versions are numbered, and the last made current, in the
    /// order the loads were asked for, whichever compiles faster.
    loading: Arc<tokio::sync::Mutex<()>>,
}

impl GuestSwitch {
    /// Control requests go to the current version of `routing` in `registry`;
    /// new versions are compiled by `loader`; `watched` names the watched file of each guest
    /// that has one, whose look ([`FileStamp`]) each new version of that guest keeps.
    pub fn new(
        registry: Arc<Registry<Guest>>,
        loader: Arc<GuestLoader>,
        routing: String,
        watched: BTreeMap<String, PathBuf>,
    ) -> GuestSwitch {
        GuestSwitch {
            registry,
            loader,
            routing: Arc::new(RwLock::new(routing)),
            watched: Arc::new(watched),
            loading: Arc::default(),
        }
    }

    /// The name of the guest that answers control requests.
    pub fn routing(&self) -> String {
        self.routing
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Makes `guest` the one that answers the control requests from now on.
    pub fn set_routing(&self, guest: &str) {
        *self.routing.write().unwrap_or_else(|p| p.into_inner()) = guest.to_owned();
    }

    /// The current version of the guest `name` (a control request runs in
    /// it), its number and its metrics; `None` when no guest of that name is loaded.
    pub fn current(&self, name: &str) -> Option<Current<Guest>> {
        self.registry.current(name)
    }

    /// Why the watched file of `name`, seen as `seen` just before its bytes, of `digest`, were
    /// read, is not to be loaded now, as [`passed_over`] judges it; `None` when it is. A file
    /// passed over as holding the serving version's bytes ([`Outcome::Same`]) leaves `seen` as
    /// that version's look.
    pub fn passed_over(&self, name: &str, digest: Digest, seen: FileStamp) -> Option<Outcome> {
        pass_over(&self.registry, name, digest, seen)
    }

    /// Whether a load of `name` would be refused now because [`MAX_VERSIONS`] of its versions
    /// serve calls (nothing is read nor compiled for it then).
    pub fn full(&self, name: &str) -> bool {
        self.registry.serving(name) >= MAX_VERSIONS
    }

    /// `guestLoad(name, path)`: the new version's number, or a fault saying
    /// why the component was refused (the current version keeps serving).
    /// Compiling takes a blocking thread; `host`'s event stream is told of the new version.
    pub async fn load(&self, params: &[Value], host: Arc<CoreHost>) -> Result<Value, Fault> {
        let [Value::String(name), Value::String(path)] = params else {
            return Err(Fault::bad_params(
                "guestLoad: expected 2 strings, the guest's name and the component's path",
            ));
        };
        let version = self
            .load_file(name.clone(), PathBuf::from(path), host)
            .await?;
        Ok(Value::Int(i32::try_from(version).unwrap_or(i32::MAX)))
    }

    /// Loads a new version of `name` from the component at `path` (the one embedded under
    /// that name for `(embedded)`) and makes it the current one: its number, or a fault
    /// saying why it was refused (the current version keeps serving). Loads run one at a
    /// time, in the order asked. Compiling takes a blocking thread; `host`'s event stream is
    /// told of the new version, also when this future is dropped before it is made.
    pub async fn load_file(
        &self,
        name: String,
        path: PathBuf,
        host: Arc<CoreHost>,
    ) -> Result<u32, Fault> {
        let loader = self.loader.clone();
        let file = path.display().to_string();
        let watched = self.watched.get(&name).cloned();
        let outcome = load_in_turn(
            &self.loading,
            Arc::clone(&self.registry),
            name,
            file,
            None,
            move |name| looked(watched.as_deref(), || loader.load_file(name, &path)),
            move |name, version| host.events().guest_loaded(name, version),
        )
        .await?;
        match outcome {
            Outcome::Loaded(version) => Ok(version),
            // Nothing is passed over without a change to judge.
            Outcome::Same | Outcome::Unchanged => Err(Fault::internal_error()),
        }
    }

    /// Reads the component at `path` on a blocking thread, for
    /// [`GuestSwitch::load_component`] to load as a version of `name`: its bytes and their
    /// digest, or the fault a load of it is refused with (logged already).
    pub async fn read_component(&self, name: &str, path: &Path) -> Result<Arc<Component>, Fault> {
        let (name, path) = (name.to_owned(), path.to_owned());
        let doing = format!("reading {} for guest {name}", path.display());
        on_blocking_thread(&doing, move || {
            Component::read(&name, &path)
                .map(Arc::new)
                .map_err(|e| refused(&name, &path.display().to_string(), &e))
        })
        .await?
    }

    /// The watcher's [`GuestSwitch::load_file`] of `component`, read from the watched file
    /// `path` seen as `seen` just before, unless [`passed_over`] as the load's turn comes (a
    /// load asked for earlier may have loaded the same bytes, or others from that state of the
    /// file, meanwhile): then nothing is loaded, and the answer says why. The version loaded
    /// keeps `seen` as its look, as does the version serving when the file is passed over as
    /// holding its bytes. Logs `watched file changed: loading it` once the load goes ahead
    /// (past those checks and the limit of versions), and not otherwise. A fault is logged
    /// already, but for [`Fault::CONFLICT`]'s ([`MAX_VERSIONS`] versions serve calls) and
    /// the one for a name not loaded (a watched guest always is).
    pub async fn load_component(
        &self,
        name: String,
        path: &Path,
        component: Arc<Component>,
        seen: FileStamp,
        host: Arc<CoreHost>,
    ) -> Result<Outcome, Fault> {
        let loader = self.loader.clone();
        let digest = component.digest();
        let file = path.display().to_string();
        load_in_turn(
            &self.loading,
            Arc::clone(&self.registry),
            name,
            file.clone(),
            Some((digest, seen)),
            move |name| {
                info!(guest = name, file, "watched file changed: loading it");
                Ok((loader.load_component(name, &component)?, digest, Some(seen)))
            },
            move |name, version| host.events().guest_loaded(name, version),
        )
        .await
    }

    /// Loads a new version of `name` from the file the version serving new calls now was read
    /// from (or the embedded component), as it is now, compiled with `settings`, and makes it
    /// the current one, in turn with the other loads ([`GuestSwitch::load_file`]): its number,
    /// or a fault saying why it was refused (logged already, but for [`Fault::CONFLICT`]'s),
    /// the current version serving on. Bytes the file took since the serving version was read
    /// from it are loaded with `settings` (and logged): a release needing new settings is put
    /// in place first, then loaded by the settings' reload. Once it is loaded, `settings` are
    /// those every later load of `name` (`guestLoad`, the watch) compiles it with; a refused
    /// load leaves those as they were. The new version keeps the serving one's look when its
    /// bytes are the same, so a change of the watched file pending meanwhile is still one; else
    /// it takes the watched file's look just before the bytes were read. `host`'s event stream
    /// is told of the new version.
    pub async fn load_settings(
        &self,
        name: String,
        settings: GuestSettings,
        host: Arc<CoreHost>,
    ) -> Result<u32, Fault> {
        let (registry, loader) = (Arc::clone(&self.registry), Arc::clone(&self.loader));
        let watched = self.watched.get(&name).cloned();
        let doing = format!("the load of guest {name}'s new settings");
        in_turn(&self.loading, &doing, move || {
            let serving = serving(&registry, &name)?;
            let version = add_version(&registry, &name, serving.file.clone(), || {
                let (component, look) = reread_serving(&serving, &name, watched.as_deref())?;
                let guest = loader.load_with(&name, &component, &settings)?;
                Ok((guest, component.digest(), look))
            })?;
            loader.adopt(&name, settings);
            host.events().guest_loaded(&name, version);
            Ok(version)
        })
        .await?
    }

    /// `guestList()`: every loaded version, as [`version_value`] shows it.
    pub fn list(&self, params: &[Value]) -> Result<Value, Fault> {
        if !params.is_empty() {
            return Err(Fault::bad_params(format!(
                "guestList: expected 0 arguments, got {}",
                params.len()
            )));
        }
        let versions = self.registry.list();
        Ok(Value::Array(
            versions
                .iter()
                .map(|info| version_value(info, info.guest.wit_version().number()))
                .collect(),
        ))
    }
}

/// The version of `name` serving new calls in `registry`, as the registry shows it: the file it
/// was read from, the digest of its bytes and its look ([`Current::look`]); or the fault of a
/// load of a name not loaded.
fn serving<T>(registry: &Registry<T>, name: &str) -> Result<Current<T>, Fault> {
    registry
        .current(name)
        .ok_or_else(|| not_loaded(registry, name))
}

/// The file of `serving`, the version of the guest `name` serving new calls, read again, with
/// the look of `watched`, the guest's watched file if it has one, that the new version keeps
/// ([`Current::look`]). The bytes may be newer than the version's: a component whose next
/// release needs new settings is put in place first, refused with the settings running, and
/// then loaded by the reload that brings its settings.
fn reread_serving<T>(
    serving: &Current<T>,
    name: &str,
    watched: Option<&Path>,
) -> anyhow::Result<(Component, Seen)> {
    let seen = watched.and_then(FileStamp::of);
    let component = Component::of_file(name, Path::new(&serving.file))?;
    if component.digest() == serving.digest {
        // The same bytes: the watched file is judged as it was against them.
        return Ok((component, serving.look));
    }
    info!(
        guest = name,
        file = %serving.file,
        "{} has changed since version {} was read from it: its new bytes are loaded with the new settings",
        serving.file,
        serving.version
    );
    Ok((component, seen))
}

/// What a load of a watched file came to, unless it was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Loaded as this version, which new calls go to.
    Loaded(u32),
    /// Not loaded: the version serving new calls was compiled from the same bytes.
    Same,
    /// Not loaded: the file looks as it did just before the bytes of the version serving new
    /// calls were read (from it or, by hand, from another file: a way back, say), so it has
    /// not changed since that version was loaded, which stands.
    Unchanged,
}

/// Why the watched file, seen as `seen` just before its bytes, of `digest`, were read, is not
/// to be loaded over `current`, the version serving new calls; `None` when it is to be loaded.
/// No clock is compared: only the file's look with the one `current` keeps, and the bytes'
/// digest with its. A version kept without a look (its guest not watched then, or the file
/// missing) is judged by its digest alone.
fn passed_over<T>(
    current: Option<&Current<T>>,
    digest: Digest,
    seen: FileStamp,
) -> Option<Outcome> {
    let current = current?;
    if current.digest == digest {
        Some(Outcome::Same)
    } else if current.look == Some(seen) {
        Some(Outcome::Unchanged)
    } else {
        None
    }
}

/// [`passed_over`] of the watched file of `name` over its current version in `registry`. A
/// file passed over as holding that version's bytes ([`Outcome::Same`]) may look otherwise
/// than the version's look, taken of another state of the file (before another file was
/// loaded by hand, say, or when a symlink pointed elsewhere): `seen` becomes the version's
/// look, unless another version was made current meanwhile, so that the file's state seen
/// with those bytes, and no older one, is the one passed over as unchanged from then on.
fn pass_over<T>(
    registry: &Registry<T>,
    name: &str,
    digest: Digest,
    seen: FileStamp,
) -> Option<Outcome> {
    let current = registry.current(name)?;
    let outcome = passed_over(Some(&current), digest, seen);
    if outcome == Some(Outcome::Same) {
        registry.set_look(name, current.version, Some(seen));
    }
    outcome
}

/// `read`'s guest and digest, with the look ([`FileStamp::of`]) of `watched`, the guest's
/// watched file if it has one, taken just before the read: what the version keeps to be judged
/// by ([`passed_over`]).
fn looked<T>(
    watched: Option<&Path>,
    read: impl FnOnce() -> anyhow::Result<(T, Digest)>,
) -> anyhow::Result<(T, Digest, Seen)> {
    let seen = watched.and_then(FileStamp::of);
    let (guest, digest) = read()?;
    Ok((guest, digest, seen))
}

/// Once `loading`'s turn comes, loads a new version of `name` from `file` with `load` (the
/// guest, its bytes' digest, and its watched file's look taken before they were read) on a
/// blocking thread and makes it the
/// current one ([`add_version`]), then tells `loaded` its number. The turn is held, and
/// `loaded` told, by the blocking thread, so both happen even when the future is dropped
/// meanwhile (its client gone): the version is current either way. With `unless`, a watched
/// file's bytes' digest and its look before they were read, nothing is loaded (nor told) when [`passed_over`] as the
/// turn comes: the answer says why.
async fn load_in_turn<T: Send + Sync + 'static>(
    loading: &Arc<tokio::sync::Mutex<()>>,
    registry: Arc<Registry<T>>,
    name: String,
    file: String,
    unless: Option<(Digest, FileStamp)>,
    load: impl FnOnce(&str) -> anyhow::Result<(T, Digest, Seen)> + Send + 'static,
    loaded: impl FnOnce(&str, u32) + Send + 'static,
) -> Result<Outcome, Fault> {
    let doing = format!("guestLoad of {name} from {file}");
    in_turn(loading, &doing, move || {
        // Judged in the turn: a load asked for earlier may have loaded the same bytes, or
        // others from this state of the file, meanwhile.
        if let Some((digest, seen)) = unless
            && let Some(outcome) = pass_over(&registry, &name, digest, seen)
        {
            return Ok(outcome);
        }
        let version = add_version(&registry, &name, file, || load(&name))?;
        loaded(&name, version);
        Ok(Outcome::Loaded(version))
    })
    .await?
}

/// Once `loading`'s turn comes, runs `work` (`doing`, as a failure logs it) on a blocking thread,
/// which holds the turn until `work` returns, even when this future is dropped meanwhile (its
/// client gone).
async fn in_turn<R: Send + 'static>(
    loading: &Arc<tokio::sync::Mutex<()>>,
    doing: &str,
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R, Fault> {
    let turn = Arc::clone(loading).lock_owned().await;
    on_blocking_thread(doing, move || {
        let _turn = turn;
        work()
    })
    .await
}

/// Loads a new version of `name` (already loaded) from `file` with `load`
/// and makes it the current one; a load that fails leaves the registry as
/// it was, and its error is the fault's message.
fn add_version<T>(
    registry: &Registry<T>,
    name: &str,
    file: String,
    load: impl FnOnce() -> anyhow::Result<(T, Digest, Seen)>,
) -> Result<u32, Fault> {
    if registry.current(name).is_none() {
        return Err(not_loaded(registry, name));
    }
    // Checked before the compile, so that nothing is compiled in vain, and again as the
    // version is added: a version may gain a call meanwhile.
    let serving = registry.serving(name);
    if serving >= MAX_VERSIONS {
        return Err(too_many_versions(name, serving));
    }
    match load() {
        Ok((guest, digest, seen)) => {
            let version = registry
                .add_within_limit(name, guest, file.clone(), digest, seen)
                .map_err(|serving| too_many_versions(name, serving))?;
            info!(
                guest = name,
                version, file, "guest version loaded: new calls go to it"
            );
            Ok(version)
        }
        Err(e) => Err(refused(name, &file, &e)),
    }
}

/// The fault of a load of `name`, which `registry` has not loaded.
fn not_loaded<T>(registry: &Registry<T>, name: &str) -> Fault {
    Fault::bad_params(format!(
        "guestLoad: no guest named {name:?} is loaded (loaded: {})",
        registry.names().join(", ")
    ))
}

/// The fault of a load of `name` from `file` refused for `error`, logged with the fault's
/// message.
pub(crate) fn refused(name: &str, file: &str, error: &anyhow::Error) -> Fault {
    // The file named is the caller's: missing, not a component, of a WIT version not served,
    // or failing to start.
    let fault = Fault::bad_params(format!("guestLoad: refused: {error:#}"));
    warn!(guest = name, file, "{}", fault.message);
    fault
}

/// The fault of a load refused while `serving` versions of `name` serve calls.
fn too_many_versions(name: &str, serving: usize) -> Fault {
    Fault::new(
        Fault::CONFLICT,
        format!(
            "guestLoad: {serving} versions of guest {name} still serve calls, the most \
             kept at once; each unloads when its last call ends"
        ),
    )
}

/// One version as `guestList` answers it: a struct of `name`, `version`,
/// `wit_version`, `file`, `loaded_at` (UTC), `live_calls` and `state`
/// (`current` or `draining`).
fn version_value<T>(info: &VersionInfo<T>, wit_version: &str) -> Value {
    let count = |n: usize| Value::Int(i32::try_from(n).unwrap_or(i32::MAX));
    Value::Struct(vec![
        ("name".into(), Value::String(info.name.clone())),
        ("version".into(), count(info.version as usize)),
        ("wit_version".into(), Value::String(wit_version.to_owned())),
        ("file".into(), Value::String(info.file.clone())),
        ("loaded_at".into(), Value::DateTime(iso8601(info.loaded_at))),
        ("live_calls".into(), count(info.live_calls)),
        (
            "state".into(),
            Value::String(if info.current { "current" } else { "draining" }.into()),
        ),
    ])
}

/// `time` in XML-RPC's `dateTime.iso8601` form, UTC: `20261202T02:33:00`.
fn iso8601(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, of_day) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let of_era = z - era * 146_097;
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::guest_loader::EMBEDDED;
    use crate::host_api::testing;
    use std::time::Duration;
    use switchyard_guest::{Runtime, bundled};

    /// A switch over the embedded webconference guest of `config`, loaded with its settings
    /// as version 1.
    fn webconference(config: &Config) -> GuestSwitch {
        let runtime = Runtime::new(config.runtime_limits()).unwrap();
        let loader = Arc::new(GuestLoader::new(runtime, config));
        let registry = Arc::new(Registry::default());
        let (guest, file, digest) = loader.load_configured("webconference").unwrap();
        registry.add("webconference", guest, file, digest, None);
        GuestSwitch::new(registry, loader, "webconference".into(), BTreeMap::new())
    }

    /// The default configuration, its webconference table holding `table` (TOML).
    fn configured(table: &str) -> Config {
        let mut config = Config::default();
        let webconference = config.guests.get_mut("webconference").unwrap();
        webconference.config = toml::from_str(table).unwrap();
        config
    }

    /// The webconference guest's settings in `configured(table)`.
    fn settings(table: &str) -> GuestSettings {
        GuestSettings::of(&configured(table), "webconference").unwrap()
    }

    /// The status of what the version of webconference serving new requests answers
    /// `listRooms(password)`: 200 for its master password, 407 for another.
    fn list_rooms_status(switch: &GuestSwitch, password: &str) -> Value {
        let current = switch.current("webconference").unwrap();
        let mut instance = current
            .guest
            .instantiate(Arc::new(testing::host()))
            .unwrap();
        let answer = instance
            .handle_control("listRooms", &[Value::String(password.into())])
            .unwrap();
        let Ok(Value::Array(items)) = answer else {
            panic!("{answer:?}")
        };
        items[0].clone()
    }

    #[tokio::test]
    async fn new_settings_are_loaded_as_a_version_and_later_loads_take_them() {
        let switch = webconference(&Config::default());
        let host = Arc::new(testing::host());
        assert_eq!(list_rooms_status(&switch, "m4ster"), Value::Int(407));
        let version = switch
            .load_settings(
                "webconference".into(),
                settings("master_password = \"m4ster\""),
                host.clone(),
            )
            .await;
        assert_eq!(version, Ok(2));
        assert_eq!(list_rooms_status(&switch, "m4ster"), Value::Int(200));
        assert_eq!(
            switch.registry.list()[0].file,
            EMBEDDED,
            "the serving version's component"
        );
        // A load by hand, after: compiled with the settings loaded.
        let by_hand = switch
            .load_file("webconference".into(), EMBEDDED.into(), host)
            .await;
        assert_eq!(by_hand, Ok(3));
        assert_eq!(list_rooms_status(&switch, "m4ster"), Value::Int(200));
    }

    #[tokio::test]
    async fn refused_settings_keep_the_running_version_and_the_settings_loads_take() {
        let switch = webconference(&configured("master_password = \"m4ster\""));
        let host = Arc::new(testing::host());
        let refused = switch
            .load_settings(
                "webconference".into(),
                settings("master_password = \"other\"\npredefined_rooms = \"101\""),
                host.clone(),
            )
            .await
            .unwrap_err();
        assert!(
            refused
                .message
                .contains("guests.webconference.config: predefined_rooms: \"101\""),
            "the guest's own words: {refused:?}"
        );
        assert_eq!(switch.current("webconference").unwrap().version, 1);
        // A load by hand, after: compiled with the running settings, which it takes.
        let by_hand = switch
            .load_file("webconference".into(), EMBEDDED.into(), host)
            .await;
        assert_eq!(by_hand, Ok(2));
        assert_eq!(list_rooms_status(&switch, "m4ster"), Value::Int(200));
        assert_eq!(list_rooms_status(&switch, "other"), Value::Int(407));
    }

    #[tokio::test]
    async fn new_settings_load_the_files_bytes_of_now_and_are_refused_with_a_file_that_is_no_component()
     {
        let switch = webconference(&Config::default());
        let host = Arc::new(testing::host());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("webconference.wasm");
        std::fs::write(&file, bundled::WEBCONFERENCE).unwrap();
        let by_hand = switch
            .load_file("webconference".into(), file.clone(), host.clone())
            .await;
        assert_eq!(by_hand, Ok(2));

        // The next build (here: the same code with one more custom section, named "note").
        let mut next = bundled::WEBCONFERENCE.to_vec();
        next.extend([0, 5, 4, b'n', b'o', b't', b'e']);
        std::fs::write(&file, &next).unwrap();
        let loaded = switch
            .load_settings(
                "webconference".into(),
                settings("master_password = \"m4ster\""),
                host.clone(),
            )
            .await;
        assert_eq!(loaded, Ok(3));
        assert_eq!(
            switch.current("webconference").unwrap().digest,
            Component::new(next).digest(),
            "the file's bytes of now"
        );
        assert_eq!(list_rooms_status(&switch, "m4ster"), Value::Int(200));

        std::fs::write(&file, b"another build").unwrap();
        let refused = switch
            .load_settings(
                "webconference".into(),
                settings("master_password = \"0ther\""),
                host,
            )
            .await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(switch.current("webconference").unwrap().version, 3);
        assert_eq!(list_rooms_status(&switch, "0ther"), Value::Int(407));
    }

    #[tokio::test]
    async fn a_load_whose_request_is_dropped_still_tells_of_its_version() {
        let registry = Arc::new(Registry::default());
        registry.add("conf", 1, "v1.wasm".into(), [0; 32], None);
        let (started, compiling) = tokio::sync::oneshot::channel();
        let (finish, finished) = std::sync::mpsc::channel::<()>();
        let (tell, mut told) = tokio::sync::mpsc::unbounded_channel();
        let loading = Arc::default();
        let request = load_in_turn(
            &loading,
            Arc::clone(&registry),
            "conf".into(),
            "v2.wasm".into(),
            None,
            move |_| {
                let _ = started.send(());
                finished.recv()?;
                Ok((2, [2; 32], None))
            },
            move |name, version| {
                let _ = tell.send((name.to_owned(), version));
            },
        );
        // The request is dropped mid-compile, as when its client goes away.
        tokio::select! {
            _ = request => panic!("the compile has not finished"),
            _ = compiling => {}
        }
        finish.send(()).unwrap();
        let event = tokio::time::timeout(Duration::from_secs(10), told.recv()).await;
        assert_eq!(event.unwrap(), Some(("conf".to_owned(), 2)));
        assert_eq!(registry.current("conf").unwrap().version, 2);
    }

    /// A watched file in its own directory, to write and look at.
    struct File {
        dir: tempfile::TempDir,
        path: PathBuf,
    }

    impl File {
        /// `guest.wasm` in a new directory, holding `bytes`.
        fn new(bytes: &[u8]) -> File {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("guest.wasm");
            std::fs::write(&path, bytes).unwrap();
            File { dir, path }
        }

        /// Copies `bytes` over the file in place, as `cp` does.
        fn copy_over(&self, bytes: &[u8]) {
            std::fs::write(&self.path, bytes).unwrap();
        }

        /// The file as a look sees it now.
        fn seen(&self) -> FileStamp {
            FileStamp::of(&self.path).unwrap()
        }
    }

    /// Two releases, `a.wasm` and `b.wasm`, written at once, long before either is deployed,
    /// beside the watched file, to be pointed at one of them.
    struct Releases {
        file: File,
        a: PathBuf,
        b: PathBuf,
    }

    impl Releases {
        fn new() -> Releases {
            let file = File::new(b"unused");
            let (a, b) = (
                file.dir.path().join("a.wasm"),
                file.dir.path().join("b.wasm"),
            );
            std::fs::write(&a, b"version A").unwrap();
            std::fs::write(&b, b"version B").unwrap();
            Releases { file, a, b }
        }

        /// Makes the watched file a symlink to `release` as a deploy does: a new symlink
        /// renamed over it.
        fn point_at(&self, release: &Path) {
            let next = self.file.dir.path().join("next-link");
            std::os::unix::fs::symlink(release, &next).unwrap();
            std::fs::rename(&next, &self.file.path).unwrap();
        }
    }

    /// A watched file's load into `registry`: of bytes whose digest is `digest`, the file seen
    /// as `seen` just before they were read; each version loaded is sent to `tell`.
    async fn watched_load(
        loading: &Arc<tokio::sync::Mutex<()>>,
        registry: &Arc<Registry<u8>>,
        tell: &tokio::sync::mpsc::UnboundedSender<u32>,
        digest: Digest,
        seen: FileStamp,
    ) -> Result<Outcome, Fault> {
        let tell = tell.clone();
        load_in_turn(
            loading,
            Arc::clone(registry),
            "conf".into(),
            "guest.wasm".into(),
            Some((digest, seen)),
            move |_| Ok((digest[0], digest, Some(seen))),
            move |_, version| {
                let _ = tell.send(version);
            },
        )
        .await
    }

    /// A load by hand into `registry` of bytes whose digest is `digest` from `from`, the guest's
    /// watched file being `watched`: its version.
    fn load_by_hand(registry: &Registry<u8>, watched: &File, from: &str, digest: Digest) -> u32 {
        add_version(registry, "conf", from.into(), || {
            looked(Some(&watched.path), || Ok((digest[0], digest)))
        })
        .unwrap()
    }

    #[tokio::test]
    async fn bytes_the_current_version_was_compiled_from_are_not_loaded_again() {
        let file = File::new(b"A");
        let registry = Arc::new(Registry::default());
        registry.add("conf", 1, "v1.wasm".into(), [1; 32], None);
        let loading = Arc::default();
        let (tell, mut told) = tokio::sync::mpsc::unbounded_channel();
        let load = |digest: Digest, seen: FileStamp| {
            watched_load(&loading, &registry, &tell, digest, seen)
        };
        file.copy_over(b"A again");
        assert_eq!(
            load([1; 32], file.seen()).await,
            Ok(Outcome::Same),
            "the current version's bytes"
        );
        file.copy_over(b"version B");
        assert_eq!(load([2; 32], file.seen()).await, Ok(Outcome::Loaded(2)));
        file.copy_over(b"version B, again");
        assert_eq!(
            load([2; 32], file.seen()).await,
            Ok(Outcome::Same),
            "loaded just before"
        );
        assert_eq!(registry.current("conf").unwrap().version, 2);
        drop(tell);
        assert_eq!(told.recv().await, Some(2));
        assert_eq!(told.recv().await, None, "one version told of");
    }

    #[tokio::test]
    async fn a_file_copied_over_and_loaded_by_hand_is_not_loaded_again() {
        let file = File::new(b"version A");
        let registry = Arc::new(Registry::default());
        let at_start = FileStamp::of(&file.path);
        registry.add("conf", 1, "guest.wasm".into(), [1; 32], at_start);
        file.copy_over(b"version B, longer");
        assert_eq!(load_by_hand(&registry, &file, "guest.wasm", [2; 32]), 2);
        assert_eq!(registry.current("conf").unwrap().look, Some(file.seen()));
        let loading = Arc::default();
        let (tell, _told) = tokio::sync::mpsc::unbounded_channel();
        assert_eq!(
            watched_load(&loading, &registry, &tell, [2; 32], file.seen()).await,
            Ok(Outcome::Same)
        );
        assert_eq!(registry.current("conf").unwrap().version, 2);
    }

    #[tokio::test]
    async fn a_way_back_loaded_by_hand_stands_until_the_file_changes() {
        let file = File::new(b"version A");
        let registry = Arc::new(Registry::default());
        registry.add(
            "conf",
            1,
            "guest.wasm".into(),
            [1; 32],
            FileStamp::of(&file.path),
        );
        // B copied over the watched file and loaded by hand from it; then, B failing, A loaded
        // by hand from another file: the way back.
        file.copy_over(b"version B, longer");
        assert_eq!(load_by_hand(&registry, &file, "guest.wasm", [2; 32]), 2);
        assert_eq!(load_by_hand(&registry, &file, "a.wasm", [1; 32]), 3);
        let loading = Arc::default();
        let (tell, mut told) = tokio::sync::mpsc::unbounded_channel();
        assert_eq!(
            watched_load(&loading, &registry, &tell, [2; 32], file.seen()).await,
            Ok(Outcome::Unchanged),
            "the copy of B, taken in after the way back"
        );
        assert_eq!(registry.current("conf").unwrap().version, 3);
        // Another build written right after the way back is a change.
        file.copy_over(b"version C, longer still");
        assert_eq!(
            watched_load(&loading, &registry, &tell, [3; 32], file.seen()).await,
            Ok(Outcome::Loaded(4))
        );
        drop(tell);
        assert_eq!(told.recv().await, Some(4));
        assert_eq!(told.recv().await, None, "one version told of");
    }

    #[tokio::test]
    async fn a_symlink_pointed_back_at_an_older_file_is_loaded() {
        let releases = Releases::new();
        releases.point_at(&releases.a);
        let file = &releases.file;
        let registry = Arc::new(Registry::default());
        registry.add(
            "conf",
            1,
            "guest.wasm".into(),
            [1; 32],
            FileStamp::of(&file.path),
        );
        let loading = Arc::default();
        let (tell, _told) = tokio::sync::mpsc::unbounded_channel();
        releases.point_at(&releases.b);
        assert_eq!(
            watched_load(&loading, &registry, &tell, [2; 32], file.seen()).await,
            Ok(Outcome::Loaded(2))
        );
        // The way back: the older release, unchanged since it was written.
        releases.point_at(&releases.a);
        assert_eq!(
            watched_load(&loading, &registry, &tell, [1; 32], file.seen()).await,
            Ok(Outcome::Loaded(3))
        );
    }

    #[tokio::test]
    async fn a_symlink_pointed_back_after_a_release_loaded_by_hand_is_loaded() {
        // The file passed over as holding the bytes of the version serving, as the watch judges
        // it before the load's turn, then in it.
        for in_turn in [false, true] {
            let releases = Releases::new();
            releases.point_at(&releases.a);
            let file = &releases.file;
            let registry = Arc::new(Registry::default());
            registry.add(
                "conf",
                1,
                "guest.wasm".into(),
                [1; 32],
                FileStamp::of(&file.path),
            );
            // B loaded by hand from its release while the link still names A; then the link
            // is pointed at B.
            assert_eq!(load_by_hand(&registry, file, "b.wasm", [2; 32]), 2);
            releases.point_at(&releases.b);
            let loading = Arc::default();
            let (tell, _told) = tokio::sync::mpsc::unbounded_channel();
            let same = if in_turn {
                watched_load(&loading, &registry, &tell, [2; 32], file.seen()).await
            } else {
                Ok(pass_over(&registry, "conf", [2; 32], file.seen()).unwrap())
            };
            assert_eq!(same, Ok(Outcome::Same), "in turn: {in_turn}");
            assert_eq!(registry.current("conf").unwrap().look, Some(file.seen()));
            // B misbehaves: the link is pointed back at A, untouched since.
            releases.point_at(&releases.a);
            assert_eq!(
                watched_load(&loading, &registry, &tell, [1; 32], file.seen()).await,
                Ok(Outcome::Loaded(3)),
                "in turn: {in_turn}"
            );
        }
    }

    #[test]
    fn only_a_file_holding_the_bytes_serving_leaves_its_look() {
        let file = File::new(b"version A");
        let registry = Registry::default();
        registry.add("conf", 1, "guest.wasm".into(), [1; 32], None);
        assert_eq!(
            pass_over(&registry, "conf", [2; 32], file.seen()),
            None,
            "another content"
        );
        assert_eq!(
            registry.current("conf").unwrap().look,
            None,
            "nothing recorded"
        );
        assert_eq!(pass_over(&registry, "ivr", [1; 32], file.seen()), None);
    }

    #[test]
    fn a_version_without_a_look_is_judged_by_its_content_alone() {
        let file = File::new(b"version B");
        let registry = Registry::default();
        registry.add("conf", 1, "v1.wasm".into(), [1; 32], None);
        let current = registry.current("conf");
        assert_eq!(
            passed_over(current.as_ref(), [2; 32], file.seen()),
            None,
            "a change written while the server started"
        );
        assert_eq!(
            passed_over(current.as_ref(), [1; 32], file.seen()),
            Some(Outcome::Same)
        );
        assert_eq!(
            passed_over(registry.current("ivr").as_ref(), [1; 32], file.seen()),
            None
        );
    }

    #[test]
    fn a_load_by_hand_of_an_unwatched_guest_keeps_no_look() {
        let (guest, digest, seen) = looked(None, || Ok((1, [1; 32]))).unwrap();
        assert_eq!((guest, digest, seen), (1, [1; 32], None));
        let gone = tempfile::tempdir().unwrap().path().join("gone.wasm");
        assert_eq!(looked(Some(&gone), || Ok((1, [1; 32]))).unwrap().2, None);
    }

    #[test]
    fn a_refused_component_leaves_the_current_version_serving() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let fault = add_version(&registry, "conf", "bad.wasm".into(), || {
            Err(anyhow::anyhow!("not a component"))
        })
        .unwrap_err();
        assert!(
            fault.message.contains("refused: not a component"),
            "{fault:?}"
        );
        let Current { version, guest, .. } = registry.current("conf").unwrap();
        assert_eq!((version, *guest), (1, "one"));
        assert_eq!(registry.list().len(), 1);

        let version = add_version(&registry, "conf", "two.wasm".into(), || {
            Ok(("two", [2; 32], None))
        })
        .unwrap();
        assert_eq!(version, 2, "a refusal takes no version number");
    }

    #[test]
    fn versions_still_serving_calls_are_kept_up_to_a_limit() {
        let registry = Registry::default();
        registry.add("conf", 0, "v1.wasm".into(), [0; 32], None);
        let mut calls = Vec::new();
        for n in 1..MAX_VERSIONS {
            calls.push(registry.lease("conf").unwrap());
            add_version(&registry, "conf", format!("v{n}.wasm"), || {
                Ok((n, [0; 32], None))
            })
            .unwrap();
        }
        calls.push(registry.lease("conf").unwrap());
        assert_eq!(registry.serving("conf"), MAX_VERSIONS);
        let fault = add_version(&registry, "conf", "more.wasm".into(), || {
            panic!("nothing is compiled past the limit")
        })
        .unwrap_err();
        assert_eq!(fault.code, Fault::CONFLICT);
        assert!(
            fault.message.contains("16 versions of guest conf"),
            "{fault:?}"
        );
        // The oldest version's last call ends: it unloads, and there is room again.
        drop(calls.remove(0));
        add_version(&registry, "conf", "more.wasm".into(), || {
            Ok((99, [0; 32], None))
        })
        .unwrap();
        assert_eq!(
            registry.list().len(),
            MAX_VERSIONS,
            "15 serving and the new one"
        );
    }

    #[test]
    fn a_version_that_gains_a_call_during_a_load_counts_against_the_limit() {
        let registry = Registry::default();
        registry.add("conf", 0, "v1.wasm".into(), [0; 32], None);
        let mut calls = Vec::new();
        for n in 1..MAX_VERSIONS {
            calls.push(registry.lease("conf").unwrap());
            add_version(&registry, "conf", format!("v{n}.wasm"), || {
                Ok((n, [0; 32], None))
            })
            .unwrap();
        }
        assert_eq!(
            registry.serving("conf"),
            MAX_VERSIONS - 1,
            "the current has no call"
        );
        let fault = add_version(&registry, "conf", "late.wasm".into(), || {
            // The current version's first call comes while the component compiles.
            calls.push(registry.lease("conf").unwrap());
            Ok((99, [0; 32], None))
        })
        .unwrap_err();
        assert_eq!(fault.code, Fault::CONFLICT);
        assert!(
            fault.message.contains("16 versions of guest conf"),
            "{fault:?}"
        );
        assert_eq!(registry.list().len(), MAX_VERSIONS);
        assert_eq!(registry.current("conf").unwrap().version, 16);
    }

    #[test]
    fn only_a_loaded_guest_gets_a_new_version() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let fault = add_version(&registry, "ivr", "ivr.wasm".into(), || {
            panic!("nothing is compiled for a name that is not loaded")
        })
        .unwrap_err();
        assert!(
            fault
                .message
                .contains("no guest named \"ivr\" is loaded (loaded: conf)"),
            "{fault:?}"
        );
    }

    #[test]
    fn versions_are_listed_with_their_state() {
        let registry = Registry::default();
        registry.add("conf", "one", "one.wasm".into(), [0; 32], None);
        let _call = registry.lease("conf").unwrap();
        registry.add("conf", "two", "two.wasm".into(), [0; 32], None);
        let values: Vec<Value> = registry
            .list()
            .iter()
            .map(|info| version_value(info, "0.2.0"))
            .collect();
        let Value::Struct(first) = &values[0] else {
            panic!("{values:?}")
        };
        let member = |name: &str| first.iter().find(|(n, _)| n == name).unwrap().1.clone();
        assert_eq!(member("version"), Value::Int(1));
        assert_eq!(member("live_calls"), Value::Int(1));
        assert_eq!(member("state"), Value::String("draining".into()));
        assert_eq!(member("file"), Value::String("one.wasm".into()));
        assert_eq!(member("wit_version"), Value::String("0.2.0".into()));
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(iso8601(UNIX_EPOCH), "19700101T00:00:00");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(iso8601(leap_day), "20000229T01:02:03");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_798_761_599);
        assert_eq!(iso8601(new_year), "20261231T23:59:59");
    }
}
