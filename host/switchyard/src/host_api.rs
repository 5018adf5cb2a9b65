//! The guests' view of the host: every import goes to the [`CallCore`], or to
//! the guest's key-value store.

use crate::adapter;
use crate::dial_policy::DialPolicy;
use crate::events::Events;
use crate::executor::{self, PlacedInstance};
use crate::prompts::PromptLibrary;
use crate::recording::{DeleteError, Recorder};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use switchyard_control::rest::HOST_INTERFACE;
use switchyard_core::kv::{KvStore, MemoryKv};
use switchyard_core::{CallCore, CallId, CoreError, TimerId};
use switchyard_guest::{DialRequest, Error, HostApi, JoinOptions, LogThrottle, RoomInfo};
use switchyard_media::{Prompt, PromptRole};
use tokio::sync::Notify;

/// The [`HostApi`] of every guest instance: locks the core for each import
/// and wakes the signaling task, which carries out what the import queued.
pub struct CoreHost {
    core: Arc<Mutex<CallCore>>,
    wake: Arc<Notify>,
    prompts: Arc<PromptLibrary>,
    recorder: Recorder,
    /// Each guest's store, by guest name, each under its own lock.
    kv: Mutex<HashMap<String, Arc<Mutex<MemoryKv>>>>,
    /// What the event stream is told.
    events: Arc<Events>,
    /// Who placed each call until the executor takes it
    /// ([`CoreHost::take_placer`]), which it does at the call's one
    /// `Dialed` op.
    placers: Mutex<HashMap<CallId, Placer>>,
    /// Which calls may be placed, and how many a second.
    dial_policy: DialPolicy,
    /// The lines saying a guest's call was not placed.
    refusals_logged: LogThrottle,
}

/// Who placed a call, as the executor serves it.
pub enum Placer {
    /// Guest work on a call: the instance made for the placed call, of that
    /// call's version.
    Instance(PlacedInstance),
    /// A guest's control request, or the host's own dial-out
    /// ([`HOST_INTERFACE`]): the
    /// name the call is placed under.
    Guest(String),
}

impl CoreHost {
    /// A host API over `core`; `wake` is notified after every change; rooms are recorded by
    /// `recorder`; what happens in rooms is told to `events`; calls are placed within
    /// `dial_policy`.
    pub fn new(
        core: Arc<Mutex<CallCore>>,
        wake: Arc<Notify>,
        prompts: Arc<PromptLibrary>,
        recorder: Recorder,
        events: Arc<Events>,
        dial_policy: DialPolicy,
    ) -> CoreHost {
        CoreHost {
            core,
            wake,
            prompts,
            recorder,
            events,
            kv: Mutex::new(HashMap::new()),
            placers: Mutex::new(HashMap::new()),
            dial_policy,
            refusals_logged: LogThrottle::default(),
        }
    }

    /// Whether `guest` may place `request` as far as the request alone says: a request
    /// the core takes (its sizes, URI), and a URI `dialout.allow` lets through.
    /// A refusal is `invalid-argument`; one of the policy is logged as
    /// [`LogThrottle`] lets it. Nothing is counted against `dialout.max_per_second`.
    fn check_dial(&self, guest: &str, request: &switchyard_core::DialRequest) -> Result<(), Error> {
        // The core's check first: the policy's refusal is logged with the URI as
        // given, which must hold no line break or other control character by then.
        request.check().map_err(adapter::error)?;
        self.dial_policy
            .allows(&request.uri)
            .map_err(|reason| Error::InvalidArgument(self.dial_refused(guest, reason)))
    }

    /// Counts a call `guest` is about to place against `dialout.max_per_second`,
    /// once it is known to be placeable. Over the limit it is `wrong-state`, as the
    /// core's limit on calls being placed at once is: the same call may be placed
    /// once the second is over.
    /// Places a call with `place` within the dial-out rate: counted first, and given back
    /// when `place` refuses it after all (no instance, the core's own limits), so that only
    /// calls placed use up the rate.
    fn within_rate<T>(
        &self,
        guest: &str,
        place: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let counted = self
            .dial_policy
            .admit(Instant::now())
            .map_err(|reason| Error::WrongState(self.dial_refused(guest, reason)))?;
        place().inspect_err(|_| self.dial_policy.give_back(counted))
    }

    /// Logs that `guest`'s call was not placed for `reason`, as [`LogThrottle`] lets
    /// it; returns `reason`.
    fn dial_refused(&self, guest: &str, reason: String) -> String {
        if let Some(admitted) = self.refusals_logged.admit(guest, Instant::now()) {
            tracing::warn!(guest, "call not placed: {reason}{admitted}");
        }
        reason
    }

    /// The policy the calls placed through it are held to; [`DialPolicy::adopt`] changes it
    /// for the calls placed after.
    pub fn dial_policy(&self) -> &DialPolicy {
        &self.dial_policy
    }

    /// The directory recordings are written in, if one is configured.
    pub fn recordings_dir(&self) -> Option<&std::path::Path> {
        self.recorder.dir()
    }

    /// Records `room`'s mix to a new WAV file `name` (see [`HostApi::start_recording`]), and
    /// with `tracks` each participant's own audio to a file of its own beside it (see
    /// [`Recorder::create`]). A start the core refuses (no such room, recorded already, too
    /// many recordings) touches no file; a name no directory could take is refused first.
    pub fn record(&self, room: &str, name: &str, tracks: bool) -> Result<(), Error> {
        self.record_admitted(room, name, tracks, &mut || Ok(()))
    }

    /// [`record`](Self::record), asking `admit` once the start is known to be possible, before
    /// any file is touched: its refusal is the start's.
    fn record_admitted(
        &self,
        room: &str,
        name: &str,
        tracks: bool,
        admit: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.recorder.check_name(name, tracks)?;
        lock(&self.core)
            .check_recording(room)
            .map_err(adapter::error)?;
        admit()?;
        let (tap, recording) = self.recorder.create(name, tracks)?;
        let file_name = recording.file_name();
        let started = {
            let mut core = lock(&self.core);
            let started = core.start_recording(room, tap);
            // Told before the core is let go: whatever ends the recording (a stop, the room's
            // end) takes the core after, and so is told after.
            if started.is_ok() {
                self.events.recording(room, Some(&file_name), true);
            }
            started
        };
        self.wake();
        if let Err(e) = started {
            recording.abandon();
            return Err(adapter::error(e));
        }
        // The writer's thread is spawned with the core let go: every import waits for it.
        recording.start().inspect_err(|_| {
            let _ = self.end_recording(room);
        })
    }

    /// Stops the recording of `room` and, when there was one, tells the event stream so
    /// before the core is let go, so that a start that takes the core after is told after.
    fn end_recording(&self, room: &str) -> Result<(), CoreError> {
        let mut core = lock(&self.core);
        let stopped = core.stop_recording(room);
        if stopped.is_ok() {
            self.events.recording(room, None, false);
        }
        drop(core);
        self.wake();
        stopped
    }

    /// Deletes the recording `name` unless a room is being recorded to it.
    pub fn delete_recording(&self, name: &str) -> Result<(), DeleteError> {
        self.recorder.delete(name)
    }

    /// What the event stream is told.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// How many calls placed by guests have not had their `Dialed` op yet.
    pub fn placers_pending(&self) -> usize {
        lock_any(&self.placers).len()
    }

    /// Who placed `call` (by `signaling.dial` or `forward`); asked once, at
    /// the call's `Dialed` op.
    pub fn take_placer(&self, call: CallId) -> Option<Placer> {
        lock_any(&self.placers).remove(&call)
    }

    /// Who is placing a call for the guest `guest`: the instance made for
    /// the call when guest work places it, else (a control request, the
    /// host's own dial-out) the guest's name. Refused when the call can have
    /// no instance.
    fn placer(guest: &str) -> Result<Placer, Error> {
        match executor::placed_instance(guest) {
            Some(instance) => instance.map(Placer::Instance),
            None => Ok(Placer::Guest(guest.to_owned())),
        }
    }

    /// Runs `place` on the locked core and, when it places a call, notes
    /// `placer` for it before the core is unlocked, so before the call's
    /// `Dialed` op can reach the executor. A placer left unused (nothing
    /// placed) is dropped once the core is unlocked: an instance made for the
    /// call frees its slot then, taking the executor's lock, which comes
    /// before the core's.
    fn place_with(
        &self,
        placer: Placer,
        place: impl FnOnce(&mut CallCore) -> Result<CallId, CoreError>,
    ) -> Result<CallId, CoreError> {
        let (placed, unused) = {
            let mut core = lock(&self.core);
            match place(&mut core) {
                // A placed call's id is new: no placer is replaced.
                Ok(call) => (Ok(call), lock_any(&self.placers).insert(call, placer)),
                Err(e) => (Err(e), Some(placer)),
            }
        };
        drop(unused);
        self.wake();
        placed
    }

    /// The core.
    pub fn core(&self) -> &Mutex<CallCore> {
        &self.core
    }

    /// Tells the signaling task the core has something to carry out.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs `f` on the locked core with the call named by `call`, then wakes
    /// the signaling task.
    fn on_call<T>(
        &self,
        call: &str,
        f: impl FnOnce(&mut CallCore, CallId) -> Result<T, CoreError>,
    ) -> Result<T, Error> {
        let call = adapter::call_id(call)?;
        let result = f(&mut lock(&self.core), call).map_err(adapter::error);
        self.wake();
        result
    }

    /// `media.play` or `media.speak`: the prompts by name, to the call or as its voice.
    fn play_as(
        &self,
        call: &str,
        prompts: &[String],
        looped: bool,
        role: PromptRole,
    ) -> Result<(), Error> {
        let prompts = self.resolve_prompts(prompts)?;
        self.on_call(call, |core, call| core.play(call, prompts, looped, role))
    }

    /// The prompts named; an unknown name is an `invalid-argument` error.
    fn resolve_prompts(&self, prompts: &[String]) -> Result<Vec<Arc<Prompt>>, Error> {
        self.prompts
            .resolve(prompts)
            .map_err(|name| Error::InvalidArgument(format!("no prompt named {name:?}")))
    }

    fn kv<T>(&self, guest: &str, f: impl FnOnce(&mut MemoryKv) -> T) -> T {
        // A guest listing its 100,000 keys holds up its own instances, not another guest's.
        let store = Arc::clone(lock_any(&self.kv).entry(guest.to_owned()).or_default());
        f(&mut lock_any(&store))
    }
}

/// Locks a map of the host's; a panic while it was held left it whole (each
/// change is one insert or remove).
fn lock_any<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Locks the core. A panic while it was held is a bug that already took its
/// thread down; the state is still the best there is, so keep serving.
pub fn lock(core: &Mutex<CallCore>) -> MutexGuard<'_, CallCore> {
    core.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl HostApi for CoreHost {
    fn answer(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| core.answer(Instant::now(), call))
    }

    fn reject(&self, call: &str, code: u16, reason: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| {
            core.reject(Instant::now(), call, code, reason)
        })
    }

    fn hangup(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| core.hangup(Instant::now(), call))
    }

    fn bridge(&self, a: &str, b: &str) -> Result<(), Error> {
        let b = adapter::call_id(b)?;
        self.on_call(a, |core, a| core.bridge(Instant::now(), a, b))
    }

    fn unbridge(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| core.unbridge(Instant::now(), call))
    }

    fn hold(&self, call: &str, held: bool) -> Result<(), Error> {
        self.on_call(call, |core, call| core.hold(Instant::now(), call, held))
    }

    /// As [`HostApi::dial`]; the host's own dial-out ([`HOST_INTERFACE`] as `guest`) into
    /// a room that does not exist is [`Error::NoSuchRoom`], and nothing is placed.
    fn dial(&self, guest: &str, mut request: DialRequest) -> Result<String, Error> {
        let room = request
            .room
            .take()
            .map(|(room, options)| (room, adapter::join_options(options)));
        let request = adapter::dial_request(request);
        self.check_dial(guest, &request)?;
        if let Some((room, options)) = &room {
            lock(&self.core)
                .check_dial_room(room, options)
                .map_err(adapter::error)?;
        }
        self.within_rate(guest, || {
            let placer = Self::placer(guest)?;
            self.place_with(placer, |core| match room {
                None => core.dial(request),
                // The host's own dial-out (the control API's) joins only rooms that exist: a
                // room it opened would lack what a guest sets up in the rooms it opens (an
                // admin pin), and a mistyped name would open one. Checked under the lock
                // the call is placed under, so a room closed meanwhile is not opened again.
                Some((room, _)) if guest == HOST_INTERFACE && core.is_locked(&room).is_none() => {
                    Err(CoreError::NoSuchRoom)
                }
                // A room that cannot take the call refuses the dial whole.
                Some((room, options)) => {
                    let number = options.number.clone();
                    core.dial_into_room(Instant::now(), request, &room, options)
                        .inspect(|&call| self.events.joined(call, &room, &number))
                }
            })
            .map(|call| call.to_string())
            .map_err(adapter::error)
        })
    }

    fn forward(&self, guest: &str, call: &str, request: DialRequest) -> Result<String, Error> {
        let call = adapter::call_id(call)?;
        let request = adapter::dial_request(request);
        self.check_dial(guest, &request)?;
        // A call that is not there to forward uses up nothing of the rate.
        if !lock(&self.core).has_call(call) {
            return Err(Error::NoSuchCall);
        }
        self.within_rate(guest, || {
            let placer = Self::placer(guest)?;
            self.place_with(placer, |core| core.forward(call, request))
                .map(|placed| placed.to_string())
                .map_err(adapter::error)
        })
    }

    fn play(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.play_as(call, prompts, looped, PromptRole::Heard)
    }

    fn stop(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| core.stop(call, PromptRole::Heard))
    }

    fn speak(&self, call: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        self.play_as(call, prompts, looped, PromptRole::Said)
    }

    fn stop_speaking(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| core.stop(call, PromptRole::Said))
    }

    fn open_room(&self, room: &str) -> bool {
        let opened = lock(&self.core).open_room(Instant::now(), room);
        self.wake();
        opened.unwrap_or(false)
    }

    fn room_info(&self, room: &str) -> Option<RoomInfo> {
        lock(&self.core).room_info(room).map(adapter::room)
    }

    fn list_rooms(&self) -> Vec<String> {
        lock(&self.core).list_rooms()
    }

    fn announce(&self, room: &str, prompts: &[String], looped: bool) -> Result<(), Error> {
        let prompts = self.resolve_prompts(prompts)?;
        let result = lock(&self.core)
            .announce(room, prompts, looped)
            .map_err(adapter::error);
        self.wake();
        result
    }

    fn stop_announcement(&self, room: &str) -> Result<(), Error> {
        let result = lock(&self.core)
            .stop_announcement(room)
            .map_err(adapter::error);
        self.wake();
        result
    }

    fn close_room(&self, room: &str) -> Result<(), Error> {
        let result = lock(&self.core).close_room(Instant::now(), room);
        self.wake();
        result.map_err(adapter::error)
    }

    fn join(&self, call: &str, room: &str, options: JoinOptions) -> Result<u32, Error> {
        let number = options.number.clone();
        let options = adapter::join_options(options);
        // Told with the core locked, so that a hang-up after the join finds
        // the call in the stream's table and takes it out.
        self.on_call(call, |core, call| {
            core.join(Instant::now(), call, room, options)
                .inspect(|_| self.events.joined(call, room, &number))
        })
    }

    fn leave(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| {
            core.leave(Instant::now(), call)
                .inspect(|()| self.events.left(call, "left"))
        })
    }

    fn set_gain(&self, call: &str, gain_db: f32) -> Result<(), Error> {
        self.on_call(call, |core, call| core.set_gain(call, gain_db))
    }

    fn send_dtmf(&self, call: &str, digits: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| {
            core.send_dtmf(Instant::now(), call, digits)
        })
    }

    fn set_muted(&self, call: &str, muted: bool) -> Result<(), Error> {
        self.on_call(call, |core, call| {
            core.set_muted(call, muted)
                .inspect(|()| self.events.muted(call, muted))
        })
    }

    fn set_listen_only(&self, call: &str, listen_only: bool) -> Result<(), Error> {
        self.on_call(call, |core, call| core.set_listen_only(call, listen_only))
    }

    fn set_deaf(&self, call: &str, deaf: bool) -> Result<(), Error> {
        self.on_call(call, |core, call| core.set_deaf(call, deaf))
    }

    fn kick(&self, call: &str) -> Result<(), Error> {
        self.on_call(call, |core, call| {
            core.kick(Instant::now(), call).map(|kicked| {
                // A call ending already leaves at its hang-up, for its own reason.
                if kicked {
                    self.events.left(call, "kicked");
                }
            })
        })
    }

    fn set_meta(&self, room: &str, key: &str, value: &str) -> Result<(), Error> {
        let result = lock(&self.core).set_meta(Instant::now(), room, key, value);
        // Clearing `keep` starts an empty room's expiry: a timer the signaling task, asleep
        // until its earliest one, must see.
        self.wake();
        result.map_err(adapter::error)
    }

    fn get_meta(&self, room: &str, key: &str) -> Option<String> {
        lock(&self.core).get_meta(room, key)
    }

    fn swap_meta(
        &self,
        room: &str,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool, Error> {
        // One lock for the comparison and the write: no other import comes between.
        let result = lock(&self.core).swap_meta(Instant::now(), room, key, expected, value);
        // As `set_meta`: a swapped `keep` may start an empty room's expiry.
        self.wake();
        result.map_err(adapter::error)
    }

    fn start_recording(
        &self,
        room: &str,
        name: &str,
        admit: &mut dyn FnMut() -> Result<(), Error>,
    ) -> Result<(), Error> {
        // Guests record the mix alone: their API has no word for tracks.
        self.record_admitted(room, name, false, admit)
    }

    fn stop_recording(&self, room: &str) -> Result<(), Error> {
        self.end_recording(room).map_err(adapter::error)
    }

    fn start_timer(&self, call: &str, ms: u32) -> Result<u64, Error> {
        let after = Duration::from_millis(u64::from(ms));
        self.on_call(call, |core, call| {
            core.start_timer(Instant::now(), call, after).map(|id| id.0)
        })
    }

    fn cancel_timer(&self, call: &str, timer: u64) -> bool {
        // An instance serving no call (a control request's) has no timers of its own.
        let Ok(call) = adapter::call_id(call) else {
            return false;
        };
        lock(&self.core).cancel_timer(call, TimerId(timer))
    }

    fn kv_get(&self, guest: &str, key: &str) -> Option<String> {
        self.kv(guest, |kv| kv.get(key))
    }

    fn kv_set(&self, guest: &str, key: &str, value: &str) -> Result<(), Error> {
        self.kv(guest, |kv| kv.set(key, value))
            .map_err(adapter::error)
    }

    fn kv_delete(&self, guest: &str, key: &str) -> bool {
        self.kv(guest, |kv| kv.delete(key))
    }

    fn kv_swap(
        &self,
        guest: &str,
        key: &str,
        expected: Option<&str>,
        value: Option<&str>,
    ) -> Result<bool, Error> {
        self.kv(guest, |kv| kv.swap(key, expected, value))
            .map_err(adapter::error)
    }

    fn kv_list(&self, guest: &str, prefix: &str, limit: u32) -> Vec<String> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        self.kv(guest, |kv| kv.list(prefix, limit))
    }

    fn send_message(
        &self,
        guest: &str,
        from: &str,
        call: &str,
        message: &str,
    ) -> Result<(), Error> {
        // "": an instance serving a control request, which serves no call.
        let from = match from {
            "" => None,
            from => Some(adapter::call_id(from)?),
        };
        self.on_call(call, |core, call| {
            core.send_message(guest, from, call, message)
        })
    }
}

/// A host over a core without sockets, for the tests of this crate.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};
    use switchyard_core::{CoreConfig, Network};
    use switchyard_media::LegId;
    use switchyard_sip::{Endpoint, EndpointConfig};

    /// Addresses on the loopback interface and RTP ports that are never bound.
    struct NoSockets;

    impl Network for NoSockets {
        fn local_ip_for(&mut self, _peer: IpAddr) -> IpAddr {
            Ipv4Addr::LOCALHOST.into()
        }

        fn reaches(&mut self, _peer: IpAddr) -> bool {
            true
        }

        fn sip_port_for(&self, _local: IpAddr) -> u16 {
            5060
        }

        fn open_rtp(&mut self, _leg: LegId, _local: IpAddr) -> Result<u16, String> {
            Ok(40_000)
        }

        fn close_rtp(&mut self, _leg: LegId) {}
    }

    /// A host whose core has the default config, on the loopback interface,
    /// with RTP ports that are never bound, placing any call at any rate.
    pub fn host() -> CoreHost {
        host_with(any_dial())
    }

    /// [`host`], placing calls within `dial_policy`.
    pub fn host_with(dial_policy: DialPolicy) -> CoreHost {
        host_of(
            CoreConfig::default(),
            dial_policy,
            Recorder::new(None, u64::MAX),
        )
    }

    /// [`host`], recording rooms with `recorder`.
    pub fn host_recording(recorder: Recorder) -> CoreHost {
        host_of(CoreConfig::default(), any_dial(), recorder)
    }

    /// [`host`] whose core has `config`, placing calls within `dial_policy`.
    pub fn host_configured(config: CoreConfig, dial_policy: DialPolicy) -> CoreHost {
        host_of(config, dial_policy, Recorder::new(None, u64::MAX))
    }

    fn any_dial() -> DialPolicy {
        DialPolicy::new(None, 0).expect("no pattern")
    }

    fn host_of(config: CoreConfig, dial_policy: DialPolicy, recorder: Recorder) -> CoreHost {
        let endpoint = Endpoint::new(
            EndpointConfig {
                user_agent: "test".into(),
            },
            1,
        );
        let core = CallCore::new(config, endpoint, Box::new(NoSockets));
        CoreHost::new(
            Arc::new(Mutex::new(core)),
            Arc::new(Notify::new()),
            Arc::default(),
            recorder,
            Arc::new(Events::default()),
            dial_policy,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{host, host_with};
    use super::*;
    use switchyard_core::{Effect, GuestOp};
    use switchyard_guest::SipHeader;

    /// A guest's request to place a call to `uri`, in no room.
    fn dial_to(uri: &str) -> DialRequest {
        DialRequest {
            uri: uri.to_owned(),
            from: String::new(),
            to: String::new(),
            headers: Vec::<SipHeader>::new(),
            credentials: None,
            context: String::new(),
            room: None,
        }
    }

    /// Whether `change` wakes the signaling task of `host` (a wake left from
    /// before it does not count).
    fn wakes_signaling(host: &CoreHost, change: impl FnOnce(&CoreHost)) -> bool {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let woken = || {
            runtime.block_on(async {
                tokio::time::timeout(Duration::ZERO, host.wake.notified())
                    .await
                    .is_ok()
            })
        };
        let _ = woken();
        change(host);
        woken()
    }

    #[test]
    fn setting_a_rooms_meta_wakes_the_signaling_task_for_the_expiry_it_may_start() {
        let host = host();
        assert!(host.open_room("7"));
        let set = |host: &CoreHost| host.set_meta("7", "keep", "").unwrap();
        assert!(wakes_signaling(&host, set), "the signaling task is woken");
    }

    #[test]
    fn swapping_a_rooms_meta_wakes_the_signaling_task_for_the_expiry_it_may_start() {
        let host = host();
        assert!(host.open_room("7"));
        host.set_meta("7", "keep", "1").unwrap();
        let swap = |host: &CoreHost| {
            let swapped = host.swap_meta("7", "keep", Some("1"), "");
            assert!(matches!(swapped, Ok(true)));
        };
        assert!(wakes_signaling(&host, swap), "the signaling task is woken");
        assert_eq!(host.get_meta("7", "keep").as_deref(), Some(""));
    }

    /// Adds one to the count kept by `read` and `swap`, reading again while another
    /// thread's write comes first: false if it never got its turn.
    fn count_one(
        read: impl Fn() -> Option<String>,
        swap: impl Fn(Option<&str>, &str) -> Result<bool, Error>,
    ) -> bool {
        (0..100_000).any(|_| {
            let seen = read();
            let next = seen.as_deref().map_or(0, |n| n.parse::<u32>().unwrap()) + 1;
            swap(seen.as_deref(), &next.to_string()).unwrap()
        })
    }

    #[test]
    fn swaps_from_many_threads_lose_no_write_to_a_rooms_meta_or_a_guests_store() {
        const THREADS: usize = 4;
        const COUNTS: usize = 300;
        let host = host();
        assert!(host.open_room("7"));
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..COUNTS {
                        assert!(count_one(
                            || host.get_meta("7", "count"),
                            |seen, next| host.swap_meta("7", "count", seen, next)
                        ));
                        assert!(count_one(
                            || host.kv_get("g", "count"),
                            |seen, next| host.kv_swap("g", "count", seen, Some(next))
                        ));
                    }
                });
            }
        });
        let counted = (THREADS * COUNTS).to_string();
        assert_eq!(host.get_meta("7", "count"), Some(counted.clone()));
        assert_eq!(host.kv_get("g", "count"), Some(counted));
    }

    #[test]
    fn a_guests_swap_is_in_its_own_store_with_the_bounds_of_set() {
        let host = host();
        host.kv_set("g", "k", "v").unwrap();
        assert!(
            matches!(host.kv_swap("other", "k", Some("v"), None), Ok(false)),
            "another guest's store has no k"
        );
        assert!(matches!(host.kv_swap("g", "k", Some("v"), None), Ok(true)));
        assert_eq!(host.kv_get("g", "k"), None);
        let long_key = "k".repeat(switchyard_core::kv::MAX_KEY_BYTES + 1);
        for value in [None, Some("v")] {
            let refused = host.kv_swap("g", &long_key, None, value);
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(m)) if m.contains("key")),
                "{refused:?}"
            );
        }
        assert!(matches!(
            host.swap_meta("nowhere", "k", None, "v"),
            Err(Error::NoSuchRoom)
        ));
    }

    #[test]
    fn a_dial_refused_for_its_request_uses_none_of_the_rate_which_is_wrong_state_past_it() {
        let policy = DialPolicy::new(Some("(sip|tel):[0-9]+@(192[.]0[.]2[.]9)?"), 1);
        let host = host_with(policy.expect("pattern"));
        for (uri, why) in [
            ("sip:bob@192.0.2.9", "is not allowed by dialout.allow"),
            ("tel:1@192.0.2.9", "is not a sip: or sips: URI"),
            ("sip:1@", "has no host"),
        ] {
            let refused = host.dial("g", dial_to(uri));
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(m)) if m.contains(why)),
                "{uri}: {refused:?}"
            );
        }
        let long_context = DialRequest {
            context: "x".repeat(switchyard_core::MAX_CONTEXT_BYTES + 1),
            ..dial_to("sip:1@192.0.2.9")
        };
        let refused = host.dial("g", long_context);
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(m)) if m.contains("dial context")),
            "{refused:?}"
        );
        let refused = host.forward("g", "c1", dial_to("sip:1@192.0.2.9"));
        assert!(matches!(refused, Err(Error::NoSuchCall)), "{refused:?}");
        let placed = host.dial("g", dial_to("sip:1@192.0.2.9"));
        assert!(
            matches!(placed.as_deref(), Ok("c1")),
            "the refusals before it left the second's one call: {placed:?}"
        );
        let over = host.dial("g", dial_to("sip:2@192.0.2.9"));
        assert!(
            matches!(&over, Err(Error::WrongState(m))
                if m.contains("more than dialout.max_per_second (1) calls placed this second")),
            "past the rate, the host refuses for now: {over:?}"
        );
    }

    use crate::test_log::logged;

    #[test]
    fn a_dial_uri_with_a_line_break_is_refused_as_invalid_and_never_logged_raw() {
        let policy = DialPolicy::new(Some("sip:1@192[.]0[.]2[.]9"), 1);
        let host = host_with(policy.expect("pattern"));
        let forged = "sip:1@192.0.2.9\r\n2025-01-01T00:00:00Z  WARN switchyard::control: forged";
        for (refused, log) in [
            logged(|| host.dial("g", dial_to(forged))),
            logged(|| host.forward("g", "c1", dial_to(forged))),
        ] {
            assert!(
                matches!(&refused, Err(Error::InvalidArgument(m))
                    if m.contains("holds a space or control character") && !m.contains(['\r', '\n'])),
                "{refused:?}"
            );
            assert!(
                !log.contains('\r') && !log.lines().any(|line| line.starts_with("2025-")),
                "{log}"
            );
        }
    }

    #[test]
    fn the_host_dials_out_into_rooms_that_exist_only() {
        let policy = DialPolicy::new(None, 1).expect("no pattern");
        let host = host_with(policy);
        let into = |room: &str| DialRequest {
            room: Some((
                room.to_owned(),
                JoinOptions {
                    number: "bob".into(),
                    reason: "dialout".into(),
                    participant_id: String::new(),
                },
            )),
            ..dial_to("sip:bob@192.0.2.9")
        };
        let refused = host.dial(HOST_INTERFACE, into("ghost"));
        assert!(matches!(refused, Err(Error::NoSuchRoom)), "{refused:?}");
        assert!(host.list_rooms().is_empty(), "no room is opened");
        assert!(host.open_room("7"));
        let placed = host.dial(HOST_INTERFACE, into("7"));
        assert!(
            matches!(placed.as_deref(), Ok("c1")),
            "the refusal used none of the second's one call: {placed:?}"
        );
        assert_eq!(host.list_rooms(), ["7"]);
    }

    #[test]
    fn a_dial_the_core_refuses_is_given_back_to_the_rate() {
        let config = switchyard_core::CoreConfig {
            max_dialing: 1,
            ..Default::default()
        };
        let policy = DialPolicy::new(None, 2).expect("no pattern");
        let host = super::testing::host_configured(config, policy);
        let first = host.dial("g", dial_to("sip:1@192.0.2.9"));
        assert!(matches!(first.as_deref(), Ok("c1")), "{first:?}");
        let refused = host.dial("g", dial_to("sip:2@192.0.2.9"));
        assert!(
            matches!(&refused, Err(Error::WrongState(m)) if !m.contains("max_per_second")),
            "the core's own limit: {refused:?}"
        );
        host.hangup("c1").expect("hung up while resolving");
        let placed = host.dial("g", dial_to("sip:3@192.0.2.9"));
        assert!(
            placed.is_ok(),
            "the refused dial used up none of the second's two: {placed:?}"
        );
    }

    #[test]
    fn an_instance_cancels_the_timers_of_the_call_it_serves_only() {
        let host = host();
        let placed = |uri: &str| {
            lock(host.core()).dial(switchyard_core::DialRequest {
                uri: uri.into(),
                ..Default::default()
            })
        };
        let (alice, bob) = (placed("sip:a@192.0.2.9"), placed("sip:b@192.0.2.9"));
        let (alice, bob) = (alice.unwrap().to_string(), bob.unwrap().to_string());
        let timer = host.start_timer(&alice, 60_000).expect("timer");
        assert!(!host.cancel_timer(&bob, timer), "another call's");
        assert!(
            !host.cancel_timer("", timer),
            "a control request's instance serves no call"
        );
        assert!(host.cancel_timer(&alice, timer), "its own call's");
        assert!(!host.cancel_timer(&alice, timer), "once");
    }

    /// Publishes the core's guest events as the executor does as it queues them.
    fn publish_call_events(host: &CoreHost) {
        let effects: Vec<Effect> = std::iter::from_fn(|| lock(host.core()).poll_effect()).collect();
        for effect in effects {
            if let Effect::Guest(GuestOp::Event { call, event }) = effect {
                host.events().call_event(&call.to_string(), &event);
            }
        }
    }

    #[test]
    fn a_kick_of_a_call_already_ending_leaves_its_own_reason_on_the_stream() {
        let host = host();
        let request = switchyard_core::DialRequest {
            uri: "sip:bob@192.0.2.9".into(),
            ..Default::default()
        };
        let call = lock(host.core()).dial(request).expect("placed");
        let options = JoinOptions {
            number: "bob".into(),
            reason: String::new(),
            participant_id: String::new(),
        };
        host.join("c1", "7", options).expect("joined");
        let target = vec![(
            switchyard_sip::Transport::Udp,
            "192.0.2.9:5060".parse().unwrap(),
        )];
        lock(host.core()).resolved(Instant::now(), call, Ok(target));
        // Its INVITE is out: the hang-up waits for the CANCEL's outcome.
        host.hangup("c1").expect("hung up");
        host.kick("c1").expect("kicked");
        lock(host.core()).abandon_all(Instant::now());
        publish_call_events(&host);
        let log = host.events().log().since(0).events;
        let left: Vec<&serde_json::Value> = log
            .iter()
            .filter(|e| e.kind == "leave")
            .map(|e| &e.data["reason"])
            .collect();
        assert_eq!(left, [&serde_json::Value::from("hangup")]);
    }

    #[test]
    fn a_call_named_with_leading_zeros_leaves_the_event_stream_s_table_at_its_hang_up() {
        let host = host();
        let request = switchyard_core::DialRequest {
            uri: "sip:bob@192.0.2.9".into(),
            ..Default::default()
        };
        let call = lock(host.core()).dial(request).expect("placed");
        assert_eq!(call, CallId(1));
        let options = JoinOptions {
            number: "bob".into(),
            reason: String::new(),
            participant_id: String::new(),
        };
        host.join("c01", "7", options).expect("joined");
        host.hangup("c1").expect("hung up");
        publish_call_events(&host);
        let log = host.events().log().since(0).events;
        let seen: Vec<(&str, Option<&str>, &serde_json::Value)> = log
            .iter()
            .filter(|e| e.kind != "dialout")
            .map(|e| (e.kind, e.room.as_deref(), &e.data["call"]))
            .collect();
        assert_eq!(
            seen,
            [
                ("join", Some("7"), &"c1".into()),
                ("leave", Some("7"), &"c1".into())
            ],
            "the call is named by its tag, and its hang-up takes it out"
        );
    }

    #[test]
    fn a_guest_holding_its_store_holds_up_no_other_guest() {
        let host = Arc::new(host());
        host.kv_set("b", "key", "value").unwrap();
        let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let holder = {
            let host = Arc::clone(&host);
            std::thread::spawn(move || {
                host.kv("a", |_| {
                    held.0.send(()).unwrap();
                    let _ = release.1.recv_timeout(std::time::Duration::from_secs(10));
                });
            })
        };
        held.1.recv().unwrap();
        let (read, got) = std::sync::mpsc::channel();
        let reader = {
            let host = Arc::clone(&host);
            std::thread::spawn(move || read.send(host.kv_get("b", "key")).unwrap())
        };
        let value = got.recv_timeout(std::time::Duration::from_secs(5));
        release.0.send(()).unwrap();
        holder.join().unwrap();
        reader.join().unwrap();
        assert_eq!(value, Ok(Some("value".to_owned())));
    }

    /// A host recording into `dir`, with room `7` open.
    fn recording_into(dir: &std::path::Path) -> CoreHost {
        let host = super::testing::host_recording(Recorder::new(Some(dir.to_owned()), u64::MAX));
        lock(host.core())
            .open_room(std::time::Instant::now(), "7")
            .unwrap();
        host
    }

    #[test]
    fn a_recording_is_told_by_the_name_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let host = recording_into(dir.path());
        host.start_recording("7", "board", &mut || Ok(())).unwrap();
        let log = host.events().log().since(0).events;
        let told: Vec<&serde_json::Value> = log
            .iter()
            .filter(|e| e.kind == "recording")
            .map(|e| &e.data["name"])
            .collect();
        assert_eq!(told, [&serde_json::Value::from("board.wav")]);
        assert!(dir.path().join("board.wav").is_file());
        host.stop_recording("7").unwrap();
    }

    #[test]
    fn a_stop_racing_a_start_is_told_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let host = Arc::new(recording_into(dir.path()));
        // Nothing lets a test in between the start and its event: the race is run, often
        // enough that a start told after the core is let go loses it in nearly every run.
        for round in 0..100 {
            let stopper = Arc::clone(&host);
            // Stops the recording as soon as the core has it: the start is then still
            // spawning the writer's thread.
            let stop = std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(5);
                while stopper.stop_recording("7").is_err() {
                    assert!(Instant::now() < until, "round {round}: never recorded");
                }
            });
            host.start_recording("7", &format!("board{round}"), &mut || Ok(()))
                .unwrap();
            stop.join().unwrap();
            let log = host.events().log().since(0).events;
            let told: Vec<bool> = log
                .iter()
                .filter(|e| e.kind == "recording")
                .map(|e| e.data["recording"].as_bool().unwrap())
                .collect();
            assert_eq!(
                told,
                [true, false].repeat(round + 1),
                "round {round}: each start told before its stop"
            );
        }
    }

    #[test]
    fn a_recording_the_core_refuses_never_reaches_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        // A directory that is not there: any look at it fails.
        let missing = dir.path().join("missing");
        let host = super::testing::host_recording(Recorder::new(Some(missing), u64::MAX));
        let mut asked = 0;
        assert!(matches!(
            host.start_recording("nope", "r1", &mut || {
                asked += 1;
                Ok(())
            }),
            Err(Error::NoSuchRoom)
        ));
        assert_eq!(asked, 0, "a start the core refuses takes no allowance");
        lock(host.core())
            .open_room(std::time::Instant::now(), "7")
            .unwrap();
        assert!(
            matches!(
                host.start_recording("7", "r1", &mut || {
                    asked += 1;
                    Ok(())
                }),
                Err(Error::Failed(_))
            ),
            "a room that exists gets as far as the directory"
        );
        assert_eq!(asked, 1);
    }

    #[test]
    fn a_recording_start_refused_its_admission_touches_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let host = recording_into(dir.path());
        let refused = host.start_recording("7", "board", &mut || {
            Err(Error::Failed("used up".to_owned()))
        });
        assert!(
            matches!(&refused, Err(Error::Failed(why)) if why == "used up"),
            "{refused:?}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(
            host.stop_recording("7").is_err(),
            "the room is not being recorded"
        );
    }
}
