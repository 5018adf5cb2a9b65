//! The guest executor: runs every call's guest work on a pool of threads, off
//! the SIP loop. A call's work runs in order, one piece at a time, on whichever
//! thread is free; different calls run in parallel. A guest that spins until its
//! deadline holds one thread, never the SIP loop or another call.
//!
//! The threads take the guest versions with work waiting by the time their
//! work has taken, the one that has used the least first ([`Ready`]): a
//! version whose every piece spins to its deadline, however far behind it
//! falls, delays another version's work by about one deadline (the pieces
//! already running end), after which the other's cheap pieces run until it
//! has used as much. A new call's version is known as its work is queued: its
//! INVITE is routed then.
//!
//! A new call gets an instance of the current version of the guest `[routing]`
//! picks for it (by the rules current as its INVITE is queued: a reload of the
//! configuration routes only later calls), and keeps it, with a [`Lease`] on that version, until it ends:
//! a version loaded while the call is up takes only later calls. A call that
//! guest work places gets its instance as it is placed, of the version of the
//! call that placed it ([`placed_instance`]), so that a flow spanning several
//! calls runs one version; a call that can have none is not placed.
//!
//! At most `max_instances` instances are alive at once; an incoming call takes
//! its slot as its INVITE is queued, so the INVITEs waiting for a thread are
//! bounded by it, and one guest's by its [`waiting_share`]: an INVITE past
//! either is refused at once.

use crate::adapter;
use crate::call_routing::CallRoutes;
use crate::guest_registry::{Lease, Registry};
use crate::host_api::{CoreHost, Placer, lock};
use crate::vital::Vitals;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use switchyard_control::rest::HOST_INTERFACE;
use switchyard_core::{CallEvent, CallId, GuestOp, Message};
use switchyard_guest::{Error, Guest, GuestError, Instance, LogThrottle};
use tracing::{Span, debug, error, info_span, warn};

/// The most pieces of work one call may have queued before the events its
/// guest may miss ([`discardable`]: a key press every 20 ms for over a
/// second) are dropped; see [`GuestExecutor::submit`].
pub const MAX_QUEUED: usize = 64;
/// The most queued work after which a message from another call is dropped:
/// half the queue, so that a flood of messages never crowds out the call's
/// own events.
const MAX_QUEUED_FOR_MESSAGES: usize = MAX_QUEUED / 2;
/// The most queued work after which even an event that changes the call is
/// dropped. Such events are few per call: one answer, failure and hang-up,
/// one `held` per hold, one `prompt-done` per prompt list, one `unbridged` per
/// bridge, and at most `max_timers_per_call` (64) timers pending at once.
/// Beside [`MAX_QUEUED`] key presses they reach this bound only when a guest
/// keeps starting timers or prompts faster than it takes their events; the
/// bound keeps even that guest's queue finite.
const MAX_QUEUED_AT_ALL: usize = 4 * MAX_QUEUED;
/// How long the work still queued when the executor is stopped (at shutdown: the calls'
/// ends, which guests write records on) goes on being run.
const DRAIN: Duration = Duration::from_secs(2);
/// The stack of each guest thread, reserved whole and used as touched.
const GUEST_THREAD_STACK: usize = 8 << 20;
/// The one key the lines saying a call was refused for want of an instance are throttled
/// under.
const REFUSED: &str = "refused";

/// The most INVITEs routed to one guest that may wait for a thread at once:
/// half of the `max_instances` slots, rounded up. A guest that falls behind
/// (its `on-invite` spinning to its deadline while calls keep coming) then
/// leaves at least the other half to the other guests' new calls; the calls
/// up keep the slots they hold, whoever's they are. A guest that keeps up
/// has few waiting (each INVITE waits only for those queued before it, each
/// a short `on-invite`), so on a server of one guest the share refuses a
/// call the pool would have taken only when half the pool's calls arrive
/// faster than the guest threads serve them.
fn waiting_share(max_instances: usize) -> usize {
    max_instances.div_ceil(2)
}

/// Why an INVITE got no instance slot ([`State::reserve_for_invite`]).
enum Refusal {
    /// All the slots are taken.
    NoneFree,
    /// Its guest has its [`waiting_share`] of INVITEs waiting for a thread.
    GuestBehind,
}

/// Whether `op` may join a mailbox holding `queued` pieces of work: a call's
/// first op (its INVITE or `Dialed`, one per call) and its hang-up always,
/// messages while fewer than [`MAX_QUEUED_FOR_MESSAGES`] wait, [`discardable`]
/// events while fewer than [`MAX_QUEUED`] do, any other event while fewer
/// than [`MAX_QUEUED_AT_ALL`] do.
fn fits(op: &GuestOp, queued: usize) -> bool {
    match op {
        GuestOp::Invite(_)
        | GuestOp::Dialed { .. }
        | GuestOp::Event {
            event: CallEvent::Hangup,
            ..
        } => true,
        GuestOp::Message { .. } => queued < MAX_QUEUED_FOR_MESSAGES,
        GuestOp::Event { event, .. } if discardable(event) => queued < MAX_QUEUED,
        GuestOp::Event { .. } => queued < MAX_QUEUED_AT_ALL,
    }
}

/// Whether a guest far behind may miss `event`: key presses, voice activity
/// and a placed call's progress come as fast as a peer sends them, and the
/// next one (or the answer, or the failure) supersedes each. Every other
/// event changes what the call is, and its guest must hear it.
fn discardable(event: &CallEvent) -> bool {
    matches!(
        event,
        CallEvent::Dtmf(_) | CallEvent::Talk { .. } | CallEvent::Progress { .. }
    )
}

/// Whether `event` is one a call set ending no longer hears (see
/// [`switchyard_core::CallCore::hears_events`]): the core emits none once the call is
/// ending, and those queued before are dropped as they come to be delivered.
fn unheard_once_ending(event: &CallEvent) -> bool {
    matches!(
        event,
        CallEvent::Timer(_)
            | CallEvent::Dtmf(_)
            | CallEvent::PromptDone(_)
            | CallEvent::Talk { .. }
    )
}

/// What `op` is, as a log line names it.
fn what(op: &GuestOp) -> &'static str {
    match op {
        GuestOp::Message { .. } => "a message",
        GuestOp::Event { event, .. } if discardable(event) => {
            "a key press, voice activity or progress"
        }
        GuestOp::Invite(_) | GuestOp::Dialed { .. } | GuestOp::Event { .. } => {
            "an event that changes the call"
        }
    }
}

/// The call `op` is for.
fn call_of(op: &GuestOp) -> CallId {
    match op {
        GuestOp::Invite(invite) => invite.call,
        GuestOp::Dialed { call, .. }
        | GuestOp::Event { call, .. }
        | GuestOp::Message { call, .. } => *call,
    }
}

thread_local! {
    /// While a guest thread runs guest work: what a call placed from it is
    /// served by (see [`placed_instance`]).
    static SERVING: RefCell<Option<Serving>> = const { RefCell::new(None) };
}

/// The guest work a guest thread runs now: its executor, the version of the
/// instance running, and the call it serves.
struct Serving {
    executor: Arc<Shared>,
    version: u32,
    call: CallId,
}

/// Sets [`SERVING`] while it lives.
struct ServingGuard;

impl ServingGuard {
    fn enter(serving: Serving) -> ServingGuard {
        SERVING.set(Some(serving));
        ServingGuard
    }
}

impl Drop for ServingGuard {
    fn drop(&mut self) {
        SERVING.set(None);
    }
}

/// The instance that serves a call the guest `guest` places from the guest
/// work running on this thread: of that work's version, in an instance slot of
/// its own, made before the call is placed so that a call that can have none
/// (no slot free, an instance that fails to start) is refused to its placer
/// as `failed` rather than placed without call logic. `None` off the guest
/// threads (a control request's instance), and while a placement makes its
/// instance (a call its start functions place): such a call gets its instance
/// of the current version when its `Dialed` op runs.
pub fn placed_instance(guest: &str) -> Option<Result<PlacedInstance, Error>> {
    placing(|serving| serving.executor.place(serving, guest))
}

/// Runs `place` on the guest work this thread runs, if any, with [`SERVING`]
/// taken out meanwhile and put back after, a panic included.
fn placing<T>(place: impl FnOnce(&Serving) -> T) -> Option<T> {
    // The instance a placement makes runs its start functions on this thread:
    // a call one of them places must not be placed by the guest work again,
    // each nested placement a store with a wasm stack allowance of its own,
    // until the thread's stack overflows and aborts the process.
    let taken = TakenServing(SERVING.take());
    taken.0.as_ref().map(place)
}

/// What [`SERVING`] held, put back when dropped.
struct TakenServing(Option<Serving>);

impl Drop for TakenServing {
    fn drop(&mut self) {
        SERVING.set(self.0.take());
    }
}

/// An instance made for a placed call ([`placed_instance`]), holding its
/// slot until the call's `Dialed` op takes it; dropped untaken (the call was
/// not placed), it frees the slot.
pub struct PlacedInstance {
    instance: CallInstance,
    slot: Slot,
}

impl PlacedInstance {
    /// The instance, its slot counted from now on as the call's.
    fn into_instance(self) -> CallInstance {
        let PlacedInstance { instance, slot } = self;
        slot.keep();
        instance
    }
}

/// The guest version a call's work runs in, which the threads take turns
/// between: its instance's, or, before it has one, the version of the guest
/// it was routed to as its first op was queued (`version` 0 when none was
/// loaded); a call that failed to get an instance stays there. Only a
/// mailbox whose first op is an event or a message (its call's INVITE or
/// `Dialed` op never queued) is in the lane of the empty name.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct Lane {
    guest: Arc<str>,
    version: u32,
}

impl Lane {
    /// The lane of an instance of `lease`'s version.
    fn of(lease: &Lease<Guest>) -> Lane {
        Lane {
            guest: lease.name().into(),
            version: lease.version(),
        }
    }

    /// Now the lane of an instance of `lease`'s version, which differs from
    /// the one routed to when a version was loaded in between.
    fn settle(&mut self, lease: &Lease<Guest>) {
        if self.version != lease.version() || *self.guest != *lease.name() {
            *self = Lane::of(lease);
        }
    }
}

/// How far a lane with work running may trail the lanes with calls waiting
/// when its next piece is queued ([`Ready::push`]): a default deadline, so a
/// call's burst of events (keys typed quickly) runs within about one piece
/// of a version that spins, while a lane kept busy for long banks no more.
const BUSY_CREDIT: Duration = Duration::from_millis(100);

/// The calls with queued work and no thread on them, by [`Lane`]. The lanes
/// take turns by the time their work has taken (start-time fair queuing): the
/// lane with work waiting that has used the least goes next, ties in the order
/// their turns came, and each lane's calls go in the order they became ready.
/// A call is in it at most once.
#[derive(Default)]
struct Ready {
    /// Each lane with calls waiting or work running; a lane with neither is
    /// not kept. There are few (a guest's versions with work), so the next
    /// turn is found by looking at each.
    lanes: HashMap<Lane, Turns>,
    /// The time used by the lane that took the last turn: where a lane with
    /// work again starts when no other lane has work waiting.
    clock: Duration,
    /// Counts turns given and lanes made ready, to order lanes that have used
    /// as much.
    order: u64,
}

/// One lane's place in [`Ready`].
#[derive(Default)]
struct Turns {
    /// Its calls, in the order they became ready.
    calls: VecDeque<CallId>,
    /// The time its work has taken while it was kept, from where it started.
    used: Duration,
    /// Its pieces of work taken and not yet [`Ready::done`].
    running: usize,
    /// When its turn came or it became ready, as counted by [`Ready::order`].
    since: u64,
}

impl Ready {
    /// Queues `call` behind the calls of its `lane`. A lane with no call
    /// waiting starts no lower than the least used of those with calls
    /// waiting, so that time it was idle earns it no turns, and takes its
    /// turn after theirs among those that have used as much; one with work
    /// running (a call whose next piece follows the one just done) may trail
    /// them by [`BUSY_CREDIT`], so that a call's own queued events are not
    /// served one per turn of a lane whose pieces take far longer.
    fn push(&mut self, lane: Lane, call: CallId) {
        let floor = self.floor();
        self.order += 1;
        let turns = self.lanes.entry(lane).or_default();
        if turns.calls.is_empty() {
            let floor = match turns.running {
                0 => floor,
                _ => floor.saturating_sub(BUSY_CREDIT),
            };
            turns.used = turns.used.max(floor);
            turns.since = self.order;
        }
        turns.calls.push_back(call);
    }

    /// The least time used among the lanes with calls waiting, or the
    /// [`Ready::clock`] when none has any.
    fn floor(&self) -> Duration {
        self.waiting()
            .map(|turns| turns.used)
            .min()
            .unwrap_or(self.clock)
    }

    /// The lanes with calls waiting.
    fn waiting(&self) -> impl Iterator<Item = &Turns> {
        self.lanes.values().filter(|turns| !turns.calls.is_empty())
    }

    /// The first call of the lane with calls waiting that has used the least,
    /// with that lane, which the time the call's piece of work takes is to be
    /// charged to ([`Ready::done`]).
    fn pop(&mut self) -> Option<(Lane, CallId)> {
        let (lane, turns) = self
            .lanes
            .iter_mut()
            .filter(|(_, turns)| !turns.calls.is_empty())
            .min_by_key(|(_, turns)| (turns.used, turns.since))?;
        let call = turns.calls.pop_front()?;
        self.order += 1;
        turns.since = self.order;
        turns.running += 1;
        self.clock = self.clock.max(turns.used);
        Some((lane.clone(), call))
    }

    /// A piece of work of `lane`'s taken by [`Ready::pop`] is done, having
    /// taken `took`.
    fn done(&mut self, lane: &Lane, took: Duration) {
        let Some(turns) = self.lanes.get_mut(lane) else {
            return;
        };
        turns.used += took;
        turns.running = turns.running.saturating_sub(1);
        if turns.calls.is_empty() && turns.running == 0 {
            self.lanes.remove(lane);
        }
    }

    fn is_empty(&self) -> bool {
        self.waiting().next().is_none()
    }
}

/// One of the executor's instance slots held for an instance not yet in its
/// call's mailbox: freed when dropped, unless kept. Never dropped with the
/// executor's state locked (it takes that lock).
struct Slot {
    executor: Option<Weak<Shared>>,
}

impl Slot {
    /// The slot goes on being counted, now for the instance's call.
    fn keep(mut self) {
        self.executor = None;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(shared) = self.executor.take().and_then(|weak| weak.upgrade()) {
            shared.lock().instances -= 1;
        }
    }
}

/// Runs guest work for calls; see the module docs.
pub struct GuestExecutor {
    shared: Arc<Shared>,
    /// Its threads until [`GuestExecutor::stop`] takes them.
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// How long past [`DRAIN`] its threads are waited for when it is stopped.
    stop_wait: Duration,
}

struct Shared {
    guests: Arc<Registry<Guest>>,
    /// Which guest an incoming call goes to: each INVITE takes its own hold on the
    /// rules current then, so a replacement waits for no routing and no guest work.
    routes: RwLock<Arc<CallRoutes>>,
    host: Arc<CoreHost>,
    /// The most call instances alive at once.
    max_instances: usize,
    /// The lines saying a guest's message was dropped.
    drops_logged: LogThrottle,
    /// The lines saying a call's guest was too far behind to take an event.
    behind_logged: LogThrottle,
    /// The lines saying a guest's call was not placed for want of an instance.
    unplaced_logged: LogThrottle,
    /// The lines saying an incoming call was refused for want of an instance, under
    /// [`REFUSED`]: the limit is the host's, whichever guest the call was for.
    refused_logged: LogThrottle,
    /// The lines saying an incoming call was refused as its guest has its
    /// [`waiting_share`] of INVITEs waiting, by guest.
    behind_refused_logged: LogThrottle,
    state: Mutex<State>,
    ready: Condvar,
    /// Notified as each thread ends.
    ended: Condvar,
}

#[derive(Default)]
struct State {
    mailboxes: HashMap<CallId, Mailbox>,
    /// Calls with queued work and no thread on them.
    ready: Ready,
    /// Instance slots taken: instances alive, being made, or to be made for an
    /// INVITE queued.
    instances: usize,
    /// The INVITEs queued and not yet taken by a thread, by the guest they
    /// were routed to; a guest with none is not kept.
    waiting: HashMap<Arc<str>, usize>,
    /// Events dropped by [`GuestExecutor::submit`].
    dropped: u64,
    /// Once the executor is stopped: until when the work still queued is run.
    stopping: Option<Instant>,
    /// Threads not ended yet.
    threads: usize,
}

impl State {
    /// Takes an instance slot if fewer than `max` are taken.
    fn reserve(&mut self, max: usize) -> bool {
        let free = self.instances < max;
        if free {
            self.instances += 1;
        }
        free
    }

    /// Takes an instance slot, of `max`, for an INVITE routed to `guest`, which
    /// then counts as waiting until [`State::invite_taken`]: refused when none
    /// is free, or when `guest` has its [`waiting_share`] waiting already.
    fn reserve_for_invite(&mut self, guest: &Arc<str>, max: usize) -> Result<(), Refusal> {
        let waiting = self.waiting.get(guest).copied().unwrap_or(0);
        if waiting >= waiting_share(max) && self.instances < max {
            return Err(Refusal::GuestBehind);
        }
        if !self.reserve(max) {
            return Err(Refusal::NoneFree);
        }
        *self.waiting.entry(guest.clone()).or_default() += 1;
        Ok(())
    }

    /// A thread has taken an INVITE routed to `guest` that
    /// [`State::reserve_for_invite`] counted as waiting.
    fn invite_taken(&mut self, guest: &str) {
        if let Some(waiting) = self.waiting.get_mut(guest) {
            *waiting -= 1;
            if *waiting == 0 {
                self.waiting.remove(guest);
            }
        }
    }
}

/// One call's queued work and its instance. The instance is out of the mailbox
/// while a thread runs it.
#[derive(Default)]
struct Mailbox {
    queue: VecDeque<GuestOp>,
    instance: Option<CallInstance>,
    /// An instance slot is taken for the instance its queued INVITE is to get.
    slot: bool,
    running: bool,
    /// The version its work runs in, and so the guest its instance is of or
    /// is to be made of.
    lane: Lane,
}

/// A call's instance and its hold on the version it was made from.
struct CallInstance {
    instance: Instance,
    lease: Lease<Guest>,
}

impl CallInstance {
    /// The span its guest's work and log lines run in: guest, version, call.
    fn span(&self, call: CallId) -> Span {
        info_span!(
            "guest",
            name = self.lease.name(),
            version = self.lease.version(),
            %call
        )
    }
}

/// What one piece of work left behind.
enum Outcome {
    /// The instance goes on.
    Keep(CallInstance),
    /// The instance is gone (after a hang-up, a failure, or none could be had).
    Gone,
}

impl GuestExecutor {
    /// Starts `threads` threads running instances of the current versions of
    /// `guests`, incoming calls routed by `routes`, at most `max_instances`
    /// instances alive at once, whose imports go to `host`. Each thread is a
    /// vital part of `vitals`. It runs work until [`GuestExecutor::stop`],
    /// which waits `stop_wait` past the drain; dropped, it is stopped.
    pub fn start(
        guests: Arc<Registry<Guest>>,
        routes: CallRoutes,
        host: Arc<CoreHost>,
        threads: usize,
        max_instances: usize,
        stop_wait: Duration,
        vitals: &Vitals,
    ) -> std::io::Result<GuestExecutor> {
        let count = threads.max(1);
        let shared = Arc::new(Shared {
            guests,
            routes: RwLock::new(Arc::new(routes)),
            host,
            max_instances,
            drops_logged: LogThrottle::default(),
            behind_logged: LogThrottle::default(),
            unplaced_logged: LogThrottle::default(),
            refused_logged: LogThrottle::default(),
            behind_refused_logged: LogThrottle::default(),
            state: Mutex::new(State {
                threads: count,
                ..State::default()
            }),
            ready: Condvar::new(),
            ended: Condvar::new(),
        });
        let threads = (0..count)
            .map(|n| {
                let shared = shared.clone();
                let guard = vitals.guard(format!("guest thread {n}"));
                std::thread::Builder::new()
                    .name(format!("guest-{n}"))
                    // Wasmtime lets each store's wasm take up to its `max_wasm_stack`
                    // (512 KiB, the runtime keeps the default) below where it is entered,
                    // and a guest thread can be in two stores at once: the guest work's
                    // and, while a call it places gets its instance, that instance's
                    // start functions' (see `placing`). With the host's frames around
                    // them, Rust's default of 2 MiB leaves too little to be sure a guest
                    // cannot run the thread into its guard page, which aborts the process.
                    .stack_size(GUEST_THREAD_STACK)
                    .spawn(move || {
                        let _guard = guard;
                        let _ending = Ending(shared.clone());
                        shared.run();
                    })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(GuestExecutor {
            shared,
            threads: Mutex::new(threads),
            stop_wait,
        })
    }

    /// Queues work for its call; it runs after the call's earlier work, and the
    /// event stream is told of a call's events as they come, whether its guest
    /// is behind or not. An INVITE takes an instance slot now: with none free,
    /// or with its guest's [`waiting_share`] of INVITEs waiting for a thread,
    /// the call is refused (503, `Retry-After`). A call whose guest falls
    /// [`MAX_QUEUED`] pieces of work behind loses the events it may miss
    /// ([`discardable`]) until it catches up, messages from other calls half
    /// as far behind, other events only [`MAX_QUEUED_AT_ALL`] behind (each
    /// drop counted and logged); its hang-up is always delivered. An INVITE
    /// is routed now, and a `Dialed` op takes who placed its call now, for its
    /// call's work to wait in the [`Lane`] of the version that is to run it.
    pub fn submit(&self, op: GuestOp) {
        let call = call_of(&op);
        self.shared.publish(call, &op);
        let invite = matches!(op, GuestOp::Invite(_));
        let first = self.shared.first(call, &op);
        let mut state = self.shared.lock();
        if let Some((lane, _)) = first.as_ref().filter(|_| invite)
            && let Err(refusal) = state.reserve_for_invite(&lane.guest, self.shared.max_instances)
        {
            drop(state);
            match refusal {
                Refusal::NoneFree => self.shared.no_instance(call),
                Refusal::GuestBehind => self.shared.guest_behind(call, &lane.guest),
            }
            self.shared.host.wake();
            return;
        }
        let mailbox = state.mailboxes.entry(call).or_default();
        mailbox.slot |= invite;
        if let Some((lane, instance)) = first {
            mailbox.lane = lane;
            if let Some(instance) = instance {
                mailbox.instance = Some(instance);
            }
        }
        if !fits(&op, mailbox.queue.len()) {
            let behind = mailbox.queue.len();
            let guest = mailbox.lane.guest.clone();
            state.dropped += 1;
            drop(state);
            self.shared.log_behind(call, &guest, behind, &op);
            return;
        }
        mailbox.queue.push_back(op);
        if !mailbox.running && mailbox.queue.len() == 1 {
            let lane = mailbox.lane.clone();
            state.ready.push(lane, call);
            self.shared.ready.notify_one();
        }
    }

    /// Routes the incoming calls queued from now on by `routes`; the calls up keep
    /// their guests.
    pub fn set_routes(&self, routes: CallRoutes) {
        *self
            .shared
            .routes
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(routes);
    }

    /// Events dropped because their call's guest was too far behind.
    pub fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    /// Instance slots taken: call instances alive, and those being made or
    /// to be made for a call waiting for a thread.
    pub fn instances(&self) -> usize {
        self.shared.lock().instances
    }

    /// Calls with an instance or queued work.
    pub fn calls(&self) -> usize {
        self.shared.lock().mailboxes.len()
    }
}

impl GuestExecutor {
    /// Lets the work still queued run for [`DRAIN`], then waits `stop_wait` more
    /// for its threads to end (the work they run then finishes within its
    /// guest's deadline, unless stuck in a host call, such as a write to a hung
    /// disk); the threads still running after that are left to end with the
    /// process, with a warning. Work queued after it never runs. Blocks for as
    /// long; once it has returned, it returns at once.
    pub fn stop(&self) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        if threads.is_empty() {
            return;
        }
        let drained = Instant::now() + DRAIN;
        let until = drained + self.stop_wait;
        let mut state = self.shared.lock();
        state.stopping = Some(drained);
        self.shared.ready.notify_all();
        while state.threads > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .ended
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let stuck = state.threads;
        drop(state);
        if stuck > 0 {
            warn!(
                "{stuck} guest thread(s) still running {:?} after the stop, stuck in a host call: \
                 left to end with the process",
                DRAIN + self.stop_wait
            );
        }
        for thread in threads {
            // A thread still running is detached: its handle is dropped unjoined. A guest
            // thread only ends by returning; a panic there is already logged.
            if stuck == 0 || thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for GuestExecutor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Counts its guest thread out when dropped, as the thread ends, by returning or by a
/// panic.
struct Ending(Arc<Shared>);

impl Drop for Ending {
    fn drop(&mut self) {
        self.0.lock().threads -= 1;
        self.0.ended.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The routing rules current now.
    fn routes(&self) -> Arc<CallRoutes> {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Where `op`, when it is `call`'s first, puts the call: an INVITE in the
    /// lane of the guest routing picks; a `Dialed` op in that of the instance
    /// made as the call was placed (returned, its slot now the call's), else
    /// of the guest that placed it, else of the default guest. `None` for
    /// any other op.
    fn first(&self, call: CallId, op: &GuestOp) -> Option<(Lane, Option<CallInstance>)> {
        match op {
            GuestOp::Invite(invite) => {
                let sip = &invite.sip;
                let routes = self.routes();
                let guest = routes.guest_for(&sip.request_uri, &sip.headers);
                Some((self.lane(guest), None))
            }
            GuestOp::Dialed { .. } => Some(match self.host.take_placer(call) {
                Some(Placer::Instance(placed)) => {
                    let instance = placed.into_instance();
                    (Lane::of(&instance.lease), Some(instance))
                }
                Some(Placer::Guest(guest)) => (self.lane(&guest), None),
                None => (self.lane(self.routes().default_guest()), None),
            }),
            GuestOp::Event { .. } | GuestOp::Message { .. } => None,
        }
    }

    /// The lane of the current version of `guest`.
    fn lane(&self, guest: &str) -> Lane {
        Lane {
            guest: guest.into(),
            version: self.guests.current_version(guest).unwrap_or(0),
        }
    }

    /// Tells the event stream what `op` says happened to `call`.
    fn publish(&self, call: CallId, op: &GuestOp) {
        let event = match op {
            GuestOp::Event { event, .. } => event,
            GuestOp::Dialed { context, .. } => &CallEvent::Dialed(context.clone()),
            GuestOp::Invite(_) | GuestOp::Message { .. } => return,
        };
        self.host.events().call_event(&call.to_string(), event);
    }

    /// No instance slot is free for `call`: the core refuses it (each refusal counted
    /// there), and it is logged as [`LogThrottle`] lets it: a flood of INVITEs while the
    /// instances are full must not add a line each.
    fn no_instance(&self, call: CallId) {
        let now = Instant::now();
        if let Some(admitted) = self.refused_logged.admit(REFUSED, now) {
            let limit = self.max_instances;
            warn!(%call, limit, "no guest instance free: call refused{admitted}");
        }
        lock(self.host.core()).guest_unavailable(now, call);
    }

    /// `call`'s guest has its [`waiting_share`] of INVITEs waiting for a thread:
    /// the core refuses it as when no slot is free (the same 503 and count),
    /// and it is logged as [`LogThrottle`] lets it, by guest.
    fn guest_behind(&self, call: CallId, guest: &str) {
        let now = Instant::now();
        if let Some(admitted) = self.behind_refused_logged.admit(guest, now) {
            let share = waiting_share(self.max_instances);
            warn!(
                %call,
                guest,
                share,
                "the guest's calls waiting for a thread hold their share of the instances: \
                 call refused{admitted}"
            );
        }
        lock(self.host.core()).guest_unavailable(now, call);
    }

    /// Logs, as [`LogThrottle`] lets it, that `op` for `call`, whose instance
    /// is (or is to be) of `guest`, was dropped `behind` pieces of work behind.
    fn log_behind(&self, call: CallId, guest: &str, behind: usize, op: &GuestOp) {
        if let Some(admitted) = self.behind_logged.admit(guest, Instant::now()) {
            warn!(
                %call,
                guest,
                "the guest is {behind} pieces of work behind: {} dropped{admitted}",
                what(op)
            );
        }
    }

    fn run(self: &Arc<Self>) {
        let mut state = self.lock();
        loop {
            // Stopping: what is queued (the calls' ends, mostly) still runs, for a while.
            if let Some(until) = state.stopping
                && (state.ready.is_empty() || Instant::now() >= until)
            {
                return;
            }
            let Some((lane, call)) = state.ready.pop() else {
                state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            let next = state.mailboxes.get_mut(&call).and_then(|mailbox| {
                let op = mailbox.queue.pop_front()?;
                Some((mailbox, op))
            });
            let Some((mailbox, op)) = next else {
                state.ready.done(&lane, Duration::ZERO);
                continue;
            };
            mailbox.running = true;
            let slot = std::mem::take(&mut mailbox.slot);
            let instance = mailbox.instance.take();
            let guest = mailbox.lane.guest.clone();
            let reserved = match &op {
                GuestOp::Invite(_) if slot => {
                    state.invite_taken(&guest);
                    true
                }
                GuestOp::Invite(_) => false,
                GuestOp::Dialed { .. } => instance.is_none() && state.reserve(self.max_instances),
                GuestOp::Event { .. } | GuestOp::Message { .. } => false,
            };
            let had_instance = instance.is_some() || reserved;
            drop(state);
            let started = Instant::now();
            let outcome =
                unless_panicked(call, || self.execute(call, op, instance, reserved, &guest))
                    .unwrap_or_else(|| {
                        // The call goes on without call logic, as after a trap; a core that panics
                        // at that too has logged it, and the thread serves the next call.
                        unless_panicked(call, || {
                            lock(self.host.core()).guest_failed(Instant::now(), call);
                        });
                        Outcome::Gone
                    });
            let took = started.elapsed();
            self.host.wake();
            state = self.lock();
            self.finish(&mut state, call, outcome, had_instance);
            // After the call's next work is queued, so that a lane kept busy
            // is kept with the time it has used.
            state.ready.done(&lane, took);
        }
    }

    /// Puts back what a piece of `call`'s work left, `had_instance` if the
    /// call had an instance or a slot for one as it started: the instance,
    /// or its slot freed; the call's mailbox dropped once the call is over,
    /// else the call ready again if work is queued.
    fn finish(&self, state: &mut State, call: CallId, outcome: Outcome, had_instance: bool) {
        let gone = matches!(outcome, Outcome::Gone);
        if gone && had_instance {
            state.instances -= 1;
        }
        let Some(mailbox) = state.mailboxes.get_mut(&call) else {
            return;
        };
        mailbox.running = false;
        if let Outcome::Keep(instance) = outcome {
            mailbox.lane.settle(&instance.lease);
            mailbox.instance = Some(instance);
        }
        let hung_up = gone && mailbox.queue.is_empty() && mailbox.instance.is_none();
        // Lock order: the executor's state, then the core; nothing takes them the other way.
        if hung_up && !lock(self.host.core()).has_call(call) {
            state.mailboxes.remove(&call);
        } else if !mailbox.queue.is_empty() {
            let lane = mailbox.lane.clone();
            state.ready.push(lane, call);
        }
    }

    /// Runs one piece of work. `reserved`: an instance slot was taken for a
    /// new call; `guest`: the guest of its [`Lane`], which a new call's
    /// instance is made of.
    fn execute(
        self: &Arc<Self>,
        call: CallId,
        op: GuestOp,
        instance: Option<CallInstance>,
        reserved: bool,
        guest: &str,
    ) -> Outcome {
        match op {
            GuestOp::Invite(invite) => {
                // A caller who gave up while the INVITE waited (a CANCEL) is not
                // served: neither its INVITE nor its later events reach a guest.
                if !lock(self.host.core()).has_call(call) {
                    debug!(%call, "the call ended before its guest saw it");
                    return Outcome::Gone;
                }
                let Some(mut instance) =
                    self.new_instance(call, reserved, guest, self.guests.lease(guest))
                else {
                    return Outcome::Gone;
                };
                let _entered = instance.span(call).entered();
                let invite = adapter::invite(&invite);
                let invited = self.run_guest(call, &mut instance, |i| i.on_invite(&invite));
                match invited {
                    Ok(()) => {
                        lock(self.host.core()).invite_done(Instant::now(), call);
                        Outcome::Keep(instance)
                    }
                    Err(e) => {
                        self.guest_failed(call, &instance.lease, &e);
                        Outcome::Gone
                    }
                }
            }
            GuestOp::Dialed { context, .. } => {
                let dialed = CallEvent::Dialed(context);
                if let Some(instance) = instance {
                    return self.deliver(call, instance, dialed);
                }
                // Placed by the host (a REST or XML-RPC dial-out): no guest
                // serves it; its events only reach the event stream.
                if guest == HOST_INTERFACE {
                    return Outcome::Gone;
                }
                let lease = self.guests.lease(guest);
                let Some(instance) = self.new_instance(call, reserved, guest, lease) else {
                    return Outcome::Gone;
                };
                self.deliver(call, instance, dialed)
            }
            GuestOp::Event { event, .. } => match instance {
                Some(instance) => self.deliver(call, instance, event),
                // The call has no guest (it failed, or none could be had).
                None => Outcome::Gone,
            },
            GuestOp::Message { message, .. } => match instance {
                Some(instance) => self.deliver_message(call, instance, &message),
                None => {
                    debug!(%call, "the call has no instance (any more): message dropped");
                    Outcome::Gone
                }
            },
        }
    }

    /// A new instance of `guest` from `lease` (of one of its versions) for a
    /// new call, in the slot `reserved` for it. Without a slot, the core is
    /// told no instance could be had; when it fails to start, that the
    /// call's guest failed; either way, `None`.
    fn new_instance(
        &self,
        call: CallId,
        reserved: bool,
        guest: &str,
        lease: Option<Lease<Guest>>,
    ) -> Option<CallInstance> {
        if !reserved {
            self.no_instance(call);
            return None;
        }
        let Some(lease) = lease else {
            error!(%call, "guest {guest} is not loaded");
            lock(self.host.core()).guest_unavailable(Instant::now(), call);
            return None;
        };
        match self.instantiate(&lease) {
            Ok(instance) => {
                let instance = CallInstance { instance, lease };
                debug!(parent: &instance.span(call), "new instance");
                Some(instance)
            }
            Err(e) => {
                self.guest_failed(call, &lease, &e);
                None
            }
        }
    }

    /// The instance for a call `guest` places from the work `serving` runs;
    /// see [`placed_instance`].
    fn place(self: &Arc<Self>, serving: &Serving, guest: &str) -> Result<PlacedInstance, Error> {
        let placer = serving.call;
        let Some(slot) = self.slot() else {
            if let Some(admitted) = self.unplaced_logged.admit(guest, Instant::now()) {
                let limit = self.max_instances;
                warn!(%placer, limit, "no guest instance free: call not placed{admitted}");
            }
            return Err(Error::Failed(
                "no guest instance is free for the call: not placed".to_owned(),
            ));
        };
        let lease = self
            .guests
            .lease_version(guest, serving.version)
            .ok_or_else(|| {
                Error::Failed(format!(
                    "guest {guest} version {} is not loaded",
                    serving.version
                ))
            })?;
        match self.instantiate(&lease) {
            Ok(instance) => Ok(PlacedInstance {
                instance: CallInstance { instance, lease },
                slot,
            }),
            Err(e) => {
                self.report_fault(placer, &lease, &e);
                Err(Error::Failed(format!(
                    "the call's guest instance could not be made: {e}"
                )))
            }
        }
    }

    /// A new instance of `lease`'s version; a failure to start counts among
    /// the version's faults.
    fn instantiate(&self, lease: &Lease<Guest>) -> Result<Instance, GuestError> {
        let started = lease.guest().instantiate(self.host.clone());
        lease.metrics().counted(started)
    }

    /// An instance slot, if one is free.
    fn slot(self: &Arc<Self>) -> Option<Slot> {
        self.lock().reserve(self.max_instances).then(|| Slot {
            executor: Some(Arc::downgrade(self)),
        })
    }

    /// Runs `work` on the call's instance, timed on its version's metrics; a
    /// call it places meanwhile is served by that version ([`placed_instance`]).
    fn run_guest<T>(
        self: &Arc<Self>,
        call: CallId,
        instance: &mut CallInstance,
        work: impl FnOnce(&mut Instance) -> Result<T, GuestError>,
    ) -> Result<T, GuestError> {
        let CallInstance { instance, lease } = instance;
        let _serving = ServingGuard::enter(Serving {
            executor: self.clone(),
            version: lease.version(),
            call,
        });
        lease.metrics().time(|| work(instance))
    }

    /// Runs the instance's `on-message` when it is an instance of the guest
    /// that sent the message and its version takes messages; drops the
    /// message otherwise, with a log line when it is of another guest (as
    /// [`LogThrottle`] lets it). It goes after a failure.
    fn deliver_message(
        self: &Arc<Self>,
        call: CallId,
        mut instance: CallInstance,
        message: &Message,
    ) -> Outcome {
        let _entered = instance.span(call).entered();
        if instance.lease.name() != message.guest {
            if let Some(admitted) = self.drops_logged.admit(&message.guest, Instant::now()) {
                warn!(%call, sender = message.guest, "a message from another guest: dropped{admitted}");
            }
            return Outcome::Keep(instance);
        }
        let from = message
            .from
            .map(|from| from.to_string())
            .unwrap_or_default();
        let call_id = call.to_string();
        let delivered = self.run_guest(call, &mut instance, |i| {
            i.on_message(&call_id, &from, &message.text)
        });
        match delivered {
            Ok(true) => Outcome::Keep(instance),
            Ok(false) => {
                debug!(%call, "its guest's version takes no messages: message dropped");
                Outcome::Keep(instance)
            }
            Err(e) => {
                self.guest_failed(call, &instance.lease, &e);
                Outcome::Gone
            }
        }
    }

    /// A call into `lease`'s guest failed on `call`: reported, and told to
    /// the core (which falls back safely).
    fn guest_failed(&self, call: CallId, lease: &Lease<Guest>, error: &GuestError) {
        self.report_fault(call, lease, error);
        lock(self.host.core()).guest_failed(Instant::now(), call);
    }

    /// Logs a fault of `lease`'s guest on `call` and tells the event stream.
    fn report_fault(&self, call: CallId, lease: &Lease<Guest>, error: &GuestError) {
        error!(%call, "{error}");
        self.host.events().guest_fault(
            lease.name(),
            lease.version(),
            &call.to_string(),
            &error.to_string(),
        );
    }

    /// Runs the instance's `on-event`, unless the call no longer hears `event`: it is ending
    /// ([`unheard_once_ending`]), or it is the end of a prompt list the guest has since
    /// replaced or stopped ([`switchyard_core::CallCore::hears_event`]); it goes after a
    /// hang-up or a failure.
    fn deliver(
        self: &Arc<Self>,
        call: CallId,
        mut instance: CallInstance,
        event: CallEvent,
    ) -> Outcome {
        if unheard_once_ending(&event) && !lock(self.host.core()).hears_event(call, &event) {
            debug!(%call, "no longer heard: {event:?} dropped");
            return Outcome::Keep(instance);
        }
        let hangup = event == CallEvent::Hangup;
        let _entered = instance.span(call).entered();
        let call_id = call.to_string();
        let event = adapter::event(event);
        let delivered = self.run_guest(call, &mut instance, |i| i.on_event(&call_id, event));
        match delivered {
            Ok(()) if hangup => Outcome::Gone,
            Ok(()) => Outcome::Keep(instance),
            Err(e) => {
                self.guest_failed(call, &instance.lease, &e);
                Outcome::Gone
            }
        }
    }
}

/// What `work` for `call` returns, or `None` if it panicked: the panic is logged, and the
/// executor thread, the call's mailbox and its instance slot carry on (a panic escaping
/// here would leave the mailbox marked running forever and the slot taken).
fn unless_panicked<T>(call: CallId, work: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(outcome) => Some(outcome),
        Err(panic) => {
            let what = crate::panics::message(panic.as_ref());
            error!(%call, "guest work panicked in the host: {what}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call_routing::RouteRule;
    use crate::host_api::testing;
    use switchyard_core::Effect;
    use switchyard_guest::{GuestConfig, GuestLimits, HostApi, Limits, Runtime, bundled};
    use switchyard_sip::Transport;

    #[test]
    fn a_panic_in_guest_work_is_caught_and_reported_as_none() {
        assert_eq!(unless_panicked(CallId(1), || 7), Some(7));
        let caught = unless_panicked(CallId(1), || -> u32 { panic!("a bug in an import") });
        assert_eq!(caught, None);
    }

    #[test]
    fn a_call_placed_while_guest_work_places_one_is_not_placed_by_that_work_again() {
        let harness = Harness::new(GuestLimits::default());
        let shared = harness.executor.shared.clone();
        let version = shared
            .guests
            .lease("webconference")
            .expect("the guest loaded")
            .version();
        let _serving = ServingGuard::enter(Serving {
            executor: shared,
            version,
            call: CallId(1),
        });
        let placed = placed_instance("webconference");
        assert!(matches!(placed, Some(Ok(_))), "guest work places a call");
        drop(placed);
        // As a start function of the instance being made would dial.
        let nested = placing(|_| placed_instance("webconference").map(|placed| placed.is_ok()));
        assert_eq!(nested, Some(None), "placed as outside guest work");
        let in_panic = std::panic::catch_unwind(|| placing(|_| panic!("a bug in a placement")));
        assert!(in_panic.is_err());
        assert!(
            SERVING.with_borrow(Option::is_some),
            "the guest work's serving is back"
        );
    }

    #[test]
    fn messages_take_at_most_half_the_queue_and_a_hang_up_always_fits() {
        let call = CallId(1);
        let message = GuestOp::Message {
            call,
            message: Box::new(Message {
                guest: "g".into(),
                from: Some(CallId(2)),
                text: "hi".into(),
            }),
        };
        let event = |event| GuestOp::Event { call, event };
        assert!(fits(&message, MAX_QUEUED_FOR_MESSAGES - 1));
        assert!(!fits(&message, MAX_QUEUED_FOR_MESSAGES));
        // A call flooded with messages still takes its own events.
        assert!(fits(&event(CallEvent::Dtmf('1')), MAX_QUEUED_FOR_MESSAGES));
        assert!(fits(&event(CallEvent::Hangup), MAX_QUEUED_AT_ALL * 2));
    }

    #[test]
    fn events_that_change_the_call_get_in_where_key_presses_are_dropped() {
        let call = CallId(1);
        let event = |event| GuestOp::Event { call, event };
        let talk = CallEvent::Talk {
            talking: true,
            level_dbov: -20,
        };
        let progress = CallEvent::Progress {
            code: 180,
            reason: "Ringing".into(),
            early_media: false,
        };
        for dropped in [CallEvent::Dtmf('1'), talk, progress] {
            assert!(fits(&event(dropped.clone()), MAX_QUEUED - 1), "{dropped:?}");
            assert!(!fits(&event(dropped.clone()), MAX_QUEUED), "{dropped:?}");
        }
        let changes = [
            CallEvent::Timer(switchyard_core::TimerId(7)),
            CallEvent::Answered,
            CallEvent::Unbridged,
            CallEvent::Held(Ok(true)),
            CallEvent::PromptDone(switchyard_media::PlayId(1)),
            CallEvent::Failed {
                code: 486,
                reason: "Busy Here".into(),
            },
        ];
        for kept in changes {
            assert!(fits(&event(kept.clone()), MAX_QUEUED), "{kept:?}");
            assert!(!fits(&event(kept.clone()), MAX_QUEUED_AT_ALL), "{kept:?}");
        }
        let dialed = GuestOp::Dialed {
            call,
            context: String::new(),
        };
        assert!(fits(&dialed, MAX_QUEUED_AT_ALL), "a call's first op");
    }

    /// An executor of one thread over [`testing::host`] whose every call goes
    /// to the bundled webconference guest, loaded with `limits`; the runtime
    /// and vitals it needs live as long as it.
    struct Harness {
        executor: GuestExecutor,
        host: Arc<CoreHost>,
        _runtime: Runtime,
        _vitals: crate::vital::VitalEnds,
    }

    impl Harness {
        fn new(limits: GuestLimits) -> Harness {
            Harness::of("webconference", bundled::WEBCONFERENCE, limits, 10)
        }

        /// An executor whose every call goes to the guest `name`, the component `wasm`,
        /// with at most `max_instances` instances.
        fn of(name: &str, wasm: &[u8], limits: GuestLimits, max_instances: usize) -> Harness {
            Harness::routed(&[(name, wasm, limits)], &[], max_instances)
        }

        /// An executor over `loaded` (name, component, limits), whose calls `rules`
        /// route, those no rule matches to the first, with at most `max_instances`
        /// instances.
        fn routed(
            loaded: &[(&str, &[u8], GuestLimits)],
            rules: &[RouteRule],
            max_instances: usize,
        ) -> Harness {
            let runtime = Runtime::new(Limits::default()).expect("a runtime");
            let guests = Arc::new(Registry::default());
            for &(name, wasm, limits) in loaded {
                let config = GuestConfig::default().with_limits(limits);
                let guest = runtime
                    .load(name, wasm, config)
                    .expect("the guest compiles");
                guests.add(name, guest, "(embedded)".into(), [0; 32], None);
            }
            let routes = CallRoutes::new(rules, loaded[0].0).expect("routes");
            let host = Arc::new(testing::host());
            let (vitals, ends) = crate::vital::vitals();
            let executor = GuestExecutor::start(
                guests,
                routes,
                host.clone(),
                1,
                max_instances,
                Duration::ZERO,
                &vitals,
            )
            .expect("a guest thread");
            Harness {
                executor,
                host,
                _runtime: runtime,
                _vitals: ends,
            }
        }

        /// An INVITE without an offer from `127.0.0.1:5070` reaches the core,
        /// and its guest work the executor; returns its call.
        fn invite(&self) -> CallId {
            let ops = invite_ops(&mut lock(self.host.core()), 0);
            let call = call_of(ops.first().expect("guest work for the INVITE"));
            for op in ops {
                self.executor.submit(op);
            }
            call
        }

        /// Waits until the executor has run all of `call`'s work, at most 10 s.
        fn await_idle(&self, call: CallId) {
            await_true("the call's work run", || {
                let state = self.executor.shared.lock();
                state
                    .mailboxes
                    .get(&call)
                    .is_none_or(|m| m.queue.is_empty() && !m.running)
            });
        }

        /// Waits until `done` holds of the core, at most 10 s.
        fn await_core(&self, what: &str, done: impl Fn(&switchyard_core::CallCore) -> bool) {
            await_true(what, || done(&lock(self.host.core())));
        }

        /// What the core sent and no test took yet, as text, in the order sent.
        fn sent(&self) -> Vec<String> {
            let mut core = lock(self.host.core());
            std::iter::from_fn(|| core.poll_transmit())
                .map(|t| String::from_utf8_lossy(&t.payload).into_owned())
                .collect()
        }

        /// Every 500 the core sent, as text, in the order sent.
        fn sent_500s(&self) -> Vec<String> {
            let mut sent = self.sent();
            sent.retain(|m| m.starts_with("SIP/2.0 500 "));
            sent
        }

        /// Submits `first`; once the one thread runs it, waiting for the core held
        /// here, submits `queued` behind it and lets the core go.
        fn submit_behind_a_running_call(
            &self,
            first: Vec<GuestOp>,
            queued: impl IntoIterator<Item = GuestOp>,
        ) {
            let core = lock(self.host.core());
            first.into_iter().for_each(|op| self.executor.submit(op));
            let shared = &self.executor.shared;
            await_true("the first call taken", || {
                shared.lock().mailboxes.values().any(|m| m.running)
            });
            queued.into_iter().for_each(|op| self.executor.submit(op));
            drop(core);
        }

        /// The final response the core sent, as text.
        fn final_response(&self) -> String {
            self.sent()
                .into_iter()
                .find(|m| is_final(m))
                .expect("a final response")
        }

        /// The final response the core sends to the `n`th INVITE ([`invite_ops`]),
        /// as text, waited for at most 10 s; what else it sends meanwhile is taken.
        fn await_final_response_to(&self, n: u32) -> String {
            let call_id = format!("Call-ID: executor-{n}@");
            let until = Instant::now() + Duration::from_secs(10);
            loop {
                let sent = self.sent();
                if let Some(found) = sent
                    .into_iter()
                    .find(|m| is_final(m) && m.contains(&call_id))
                {
                    return found;
                }
                assert!(
                    Instant::now() < until,
                    "expected a final response to INVITE {n} within 10 s"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Whether `message` is a final response.
    fn is_final(message: &str) -> bool {
        message.starts_with("SIP/2.0 ") && !message.starts_with("SIP/2.0 1")
    }

    /// Waits until `done` holds, at most 10 s.
    fn await_true(what: &str, done: impl Fn() -> bool) {
        let until = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < until, "expected {what} within 10 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Limits under which a guest's instance cannot start: its initial memory is
    /// more than the one mebibyte they allow, so each of its calls fails at once.
    fn unstartable() -> GuestLimits {
        GuestLimits {
            memory_bytes: Some(1 << 20),
            ..GuestLimits::default()
        }
    }

    /// The rule sending each call whose Request-URI user is `user` to `guest`.
    fn route(guest: &str, user: &str) -> RouteRule {
        RouteRule {
            guest: guest.into(),
            uri: Some(format!("^sip:{user}@")),
            headers: Default::default(),
        }
    }

    /// The `n`th INVITE (its own Call-ID and branch) without an offer from
    /// `127.0.0.1:5070` given to `core`: the guest work it makes.
    fn invite_ops(core: &mut switchyard_core::CallCore, n: u32) -> Vec<GuestOp> {
        invite_ops_to(core, n, "000777123")
    }

    /// [`invite_ops`] with the Request-URI `sip:{user}@127.0.0.1`.
    fn invite_ops_to(core: &mut switchyard_core::CallCore, n: u32, user: &str) -> Vec<GuestOp> {
        let invite = format!(
            "INVITE sip:{user}@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-executor-{n};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:alice@127.0.0.1>;tag=alice\r\n\
             To: <sip:{user}@127.0.0.1>\r\n\
             Call-ID: executor-{n}@127.0.0.1\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:alice@127.0.0.1:5070>\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let (local, remote) = ("127.0.0.1:5060", "127.0.0.1:5070");
        core.handle_message(
            Instant::now(),
            Transport::Udp,
            local.parse().unwrap(),
            remote.parse().unwrap(),
            invite.as_bytes(),
        );
        std::iter::from_fn(|| core.poll_effect())
            .filter_map(|effect| match effect {
                Effect::Guest(op) => Some(op),
                _ => None,
            })
            .collect()
    }

    /// The misbehave test guest's component.
    fn misbehave_wasm() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/guests/wasm32-wasip2/release/misbehave.wasm"
        ))
        .expect("the misbehave guest, built with switchyard-guest")
    }

    #[test]
    fn a_call_whose_instance_cannot_start_is_refused_500_as_a_guest_failure() {
        let harness = Harness::new(unstartable());
        harness.invite();
        harness.await_core("the guest failure counted", |core| {
            core.stats().guest_failures == 1
        });
        let response = harness.final_response();
        assert!(response.starts_with("SIP/2.0 500 "), "{response}");
        assert!(!response.contains("Retry-After"), "{response}");
        assert_eq!(
            lock(harness.host.core()).stats().refused_no_instance,
            0,
            "a full pool is another refusal"
        );
        assert_eq!(harness.executor.instances(), 0, "its slot is free again");
    }

    #[test]
    fn an_instance_that_cannot_start_counts_as_a_trap_of_its_version() {
        let harness = Harness::new(unstartable());
        let call = harness.invite();
        harness.await_idle(call);
        let version = harness.executor.shared.guests.current("webconference");
        let traps = version.expect("the guest is loaded").metrics.traps();
        assert_eq!(traps, 1, "the failed start is the version's trap");
    }

    fn lane(guest: &str, version: u32) -> Lane {
        Lane {
            guest: guest.into(),
            version,
        }
    }

    #[test]
    fn the_ready_lanes_take_turns_and_an_emptied_lane_is_not_kept() {
        let mut ready = Ready::default();
        for call in 1..=3 {
            ready.push(lane("spins", 2), CallId(call));
        }
        ready.push(lane("spins", 1), CallId(4));
        ready.push(lane("good", 1), CallId(5));
        let taken: Vec<(Lane, CallId)> = std::iter::from_fn(|| ready.pop()).collect();
        let order: Vec<u64> = taken.iter().map(|(_, call)| call.0).collect();
        assert_eq!(order, [1, 4, 5, 2, 3], "versions in turn, each in order");
        assert!(ready.is_empty());
        for (lane, _) in &taken {
            ready.done(lane, Duration::ZERO);
        }
        assert!(ready.lanes.is_empty(), "no lane kept once empty");
    }

    #[test]
    fn the_lane_that_has_used_the_least_goes_next_and_idle_time_earns_no_turns() {
        let (spins, good, idle) = (lane("spins", 1), lane("good", 1), lane("idle", 1));
        let mut ready = Ready::default();
        for call in 1..=3 {
            ready.push(spins.clone(), CallId(call));
            ready.push(good.clone(), CallId(10 + call));
        }
        let run = |ready: &mut Ready, took: Duration| {
            let (lane, call) = ready.pop().expect("a call ready");
            ready.done(&lane, took);
            call.0
        };
        let deadline = Duration::from_millis(100);
        assert_eq!(
            run(&mut ready, deadline),
            1,
            "the spinner's turn came first"
        );
        let cheap = Duration::from_micros(10);
        let next: Vec<u64> = (0..3).map(|_| run(&mut ready, cheap)).collect();
        assert_eq!(
            next,
            [11, 12, 13],
            "the cheap lane's calls, all before the spinner's next"
        );
        // A lane ready again after its idle time starts level with the spinner,
        // the least used then: the two take turns.
        ready.push(idle.clone(), CallId(21));
        ready.push(idle, CallId(22));
        let next: Vec<u64> = (0..4).map(|_| run(&mut ready, deadline)).collect();
        assert_eq!(next, [2, 21, 3, 22], "no credit for the time it was idle");
        assert!(ready.lanes.is_empty(), "no lane kept once empty");
    }

    #[test]
    fn a_calls_own_queued_events_run_before_the_next_piece_of_a_spinner() {
        let (spins, good) = (lane("spins", 1), lane("good", 1));
        let mut ready = Ready::default();
        for call in 1..=3 {
            ready.push(spins.clone(), CallId(call));
        }
        ready.push(good.clone(), CallId(11));
        let (lane, call) = ready.pop().unwrap();
        assert_eq!(call, CallId(1));
        ready.done(&lane, Duration::from_millis(100));
        // One call with five key presses queued: each piece's end queues the
        // next while the piece still counts as running, as the threads do.
        for key in 0..5 {
            let (lane, call) = ready.pop().unwrap();
            assert_eq!(
                call,
                CallId(11),
                "key {key} before the spinner's next piece"
            );
            if key < 4 {
                ready.push(good.clone(), call);
            }
            ready.done(&lane, Duration::from_micros(10));
        }
        assert_eq!(ready.pop().map(|(_, call)| call), Some(CallId(2)));
    }

    #[test]
    fn new_routes_take_the_calls_queued_after_them() {
        let wasm = bundled::WEBCONFERENCE;
        let loaded = [
            ("conference", wasm, unstartable()),
            ("other", wasm, unstartable()),
        ];
        let harness = Harness::routed(&loaded, &[route("other", "other")], 100);
        let (before, after) = {
            let mut core = lock(harness.host.core());
            (
                invite_ops_to(&mut core, 0, "other"),
                invite_ops_to(&mut core, 1, "other"),
            )
        };
        let routed_to = |ops: &[GuestOp]| {
            let invite = ops.first().expect("an INVITE");
            let (lane, _) = harness
                .executor
                .shared
                .first(call_of(invite), invite)
                .expect("an INVITE is routed");
            lane.guest.to_string()
        };
        assert_eq!(routed_to(&before), "other");

        harness
            .executor
            .set_routes(CallRoutes::new(&[route("other", "nobody")], "conference").unwrap());
        assert_eq!(routed_to(&after), "conference");
    }

    #[test]
    fn a_call_of_another_guest_runs_after_one_piece_of_a_backlog_not_all_of_it() {
        // Neither guest's instance starts (each call fails at once, 500): the order
        // their calls were served in is the order of those 500s.
        let wasm = bundled::WEBCONFERENCE;
        let loaded = [
            ("backlog", wasm, unstartable()),
            ("other", wasm, unstartable()),
        ];
        let harness = Harness::routed(&loaded, &[route("other", "other")], 100);
        let backlog = 20;
        let (first, queued, other) = {
            let mut core = lock(harness.host.core());
            let first = invite_ops(&mut core, 0);
            let queued: Vec<_> = (1..=backlog)
                .flat_map(|n| invite_ops(&mut core, n))
                .collect();
            (first, queued, invite_ops_to(&mut core, 99, "other"))
        };
        // The one thread takes the first call and waits for the core, held,
        // while the backlog and then the other guest's call are queued.
        harness.submit_behind_a_running_call(first, queued.into_iter().chain(other));
        harness.await_core("every call served", |core| {
            core.stats().guest_failures == u64::from(backlog) + 2
        });
        let served = harness.sent_500s();
        let before = served
            .iter()
            .position(|m| m.contains("Call-ID: executor-99@"))
            .expect("the other guest's call served");
        // The piece running as it was queued, and the one whose turn came first.
        assert!(
            before <= 2,
            "the other guest's call waited for {before} of the backlog's calls"
        );
    }

    #[test]
    fn a_guests_cheap_calls_all_run_within_one_piece_of_a_spinning_guest() {
        // The cheap guest's instance never starts (each call fails at once, 500);
        // the spinner's every INVITE spins to its deadline (then 500). The order
        // of the 500s is the order their calls were served in.
        let spins = GuestLimits {
            call_deadline: Some(Duration::from_millis(100)),
            ..GuestLimits::default()
        };
        let misbehave = misbehave_wasm();
        let loaded = [
            ("cheap", bundled::WEBCONFERENCE, unstartable()),
            ("spinner", &misbehave[..], spins),
        ];
        let harness = Harness::routed(&loaded, &[route("spinner", "spin")], 100);
        let calls = 20;
        let spinner = |n| 100 + n;
        let (first, queued) = {
            let mut core = lock(harness.host.core());
            let first = invite_ops_to(&mut core, spinner(0), "spin");
            let mut queued: Vec<_> = (1..=calls).flat_map(|n| invite_ops(&mut core, n)).collect();
            for n in 1..calls {
                queued.extend(invite_ops_to(&mut core, spinner(n), "spin"));
            }
            (first, queued)
        };
        // The one thread takes the spinner's first call and waits for the core,
        // held, while the cheap calls and then the spinner's others are queued.
        harness.submit_behind_a_running_call(first, queued);
        harness.await_core("the cheap calls and two of the spinner's served", |core| {
            core.stats().guest_failures >= u64::from(calls) + 2
        });
        let served = harness.sent_500s();
        let is_cheap =
            |m: &String| (1..=calls).any(|n| m.contains(&format!("Call-ID: executor-{n}@")));
        let cheap_served = served.iter().filter(|m| is_cheap(m)).count();
        assert_eq!(
            cheap_served, calls as usize,
            "every cheap call served first: {served:#?}"
        );
        let last_cheap = served.iter().rposition(is_cheap).unwrap_or_default();
        let spun_before = served[..last_cheap].iter().filter(|m| !is_cheap(m)).count();
        assert_eq!(
            spun_before, 1,
            "the spinner's calls served before the cheap ones ended"
        );
    }

    #[test]
    fn a_guests_backlog_at_its_share_leaves_instances_for_another_guests_calls() {
        // The one thread spins on the spinner's first call while nine more of its
        // calls are queued, then one of the other guest's, whose instance never
        // starts: served, it gets a 500; a 503 is a call that found no slot free.
        let spins = GuestLimits {
            call_deadline: Some(Duration::from_millis(500)),
            ..GuestLimits::default()
        };
        let misbehave = misbehave_wasm();
        let loaded = [
            ("spinner", &misbehave[..], spins),
            ("other", bundled::WEBCONFERENCE, unstartable()),
        ];
        let max_instances = 10;
        let harness = Harness::routed(&loaded, &[route("other", "other")], max_instances);
        let other = 99;
        let (spinning, backlog, others) = {
            let mut core = lock(harness.host.core());
            let spinning = invite_ops_to(&mut core, 0, "spin");
            let backlog: Vec<_> = (1..10)
                .flat_map(|n| invite_ops_to(&mut core, n, "spin"))
                .collect();
            (spinning, backlog, invite_ops_to(&mut core, other, "other"))
        };
        spinning
            .into_iter()
            .for_each(|op| harness.executor.submit(op));
        let shared = &harness.executor.shared;
        await_true("the spinner's first call taken", || {
            shared.lock().mailboxes.values().any(|m| m.running)
        });
        backlog
            .into_iter()
            .chain(others)
            .for_each(|op| harness.executor.submit(op));

        let response = harness.await_final_response_to(other);
        assert!(response.starts_with("SIP/2.0 500 "), "{response}");
        let share = waiting_share(max_instances);
        assert_eq!(share, 5);
        assert_eq!(
            lock(harness.host.core()).stats().refused_no_instance,
            9 - share as u64,
            "the spinner's calls past its share refused"
        );
        harness.await_core("the spinner's calls within its share served", |core| {
            core.stats().guest_failures == 1 + share as u64 + 1
        });
        await_true("every slot free again", || {
            harness.executor.instances() == 0
        });
        assert!(
            shared.lock().waiting.is_empty(),
            "no guest kept with none waiting"
        );
    }

    #[test]
    fn a_flood_of_calls_refused_for_want_of_an_instance_is_one_line_and_each_is_counted() {
        let harness = Harness::of(
            "webconference",
            bundled::WEBCONFERENCE,
            GuestLimits::default(),
            0,
        );
        let ((), log) = crate::test_log::logged(|| {
            for n in 0..100 {
                let ops = invite_ops(&mut lock(harness.host.core()), n);
                for op in ops {
                    harness.executor.submit(op);
                }
            }
        });
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("no guest instance free"))
            .collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(lines[0].contains("call refused"), "{log}");
        assert_eq!(
            lock(harness.host.core()).stats().refused_no_instance,
            100,
            "each refusal counted"
        );
        let busy = {
            let mut core = lock(harness.host.core());
            std::iter::from_fn(|| core.poll_transmit())
                .filter(|t| t.payload.starts_with(b"SIP/2.0 503 "))
                .count()
        };
        assert_eq!(busy, 100, "each call refused 503");
    }

    #[test]
    fn a_call_its_guest_hung_up_hears_none_of_the_events_queued_before() {
        let wasm = misbehave_wasm();
        let harness = Harness::of("misbehave", &wasm, GuestLimits::default(), 10);
        let call = harness.invite();
        harness.await_idle(call);
        let talk = CallEvent::Talk {
            talking: true,
            level_dbov: -20,
        };
        // Its guest hangs up at the key D; the rest were queued before it did.
        let queued = [
            CallEvent::Dtmf('D'),
            CallEvent::Dtmf('6'),
            CallEvent::Timer(switchyard_core::TimerId(1)),
            CallEvent::PromptDone(switchyard_media::PlayId(1)),
            talk,
        ];
        for event in queued {
            harness.executor.submit(GuestOp::Event { call, event });
        }
        harness.await_idle(call);
        assert!(
            !lock(harness.host.core()).hears_events(call),
            "the guest hung it up"
        );
        let heard = harness
            .host
            .kv_get("misbehave", &format!("heard-after-hangup/{call}"));
        assert_eq!(heard, None, "the guest heard {heard:?} after its hang-up");
    }

    #[test]
    fn stop_runs_the_work_queued_and_ends_the_threads_whoever_else_holds_the_executor() {
        let harness = Harness::new(GuestLimits::default());
        let Harness {
            executor,
            host,
            _runtime,
            _vitals,
        } = harness;
        let executor = Arc::new(executor);
        let held_elsewhere = executor.clone();
        for op in invite_ops(&mut lock(host.core()), 0) {
            executor.submit(op);
        }
        executor.stop();
        let state = executor.shared.lock();
        assert_eq!(state.threads, 0, "its threads ended");
        assert!(
            !state.mailboxes.is_empty() && state.mailboxes.values().all(|m| m.instance.is_some()),
            "the INVITE queued ran"
        );
        drop(state);
        executor.stop();
        drop(held_elsewhere);
    }

    #[test]
    fn a_guest_thread_stuck_in_a_host_call_is_left_running_once_the_drop_has_waited() {
        let harness = Harness::new(GuestLimits::default());
        let shared = harness.executor.shared.clone();
        let host = harness.host.clone();
        let core = {
            let mut core = lock(host.core());
            for op in invite_ops(&mut core, 0) {
                harness.executor.submit(op);
            }
            core
        };
        // Its thread takes the INVITE, then waits for the core, which this thread holds.
        await_true("the INVITE taken", || {
            shared.lock().mailboxes.values().any(|m| m.running)
        });
        let Harness {
            executor,
            _runtime,
            _vitals,
            ..
        } = harness;
        let (dropped, told) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(executor);
            let _ = dropped.send(());
        });
        // The drain, and the harness's wait of none after it, with room to spare.
        let waited = told.recv_timeout(DRAIN + Duration::from_secs(10));
        assert!(
            waited.is_ok(),
            "expected the drop to return with its thread stuck"
        );
        assert_eq!(shared.lock().threads, 1, "the stuck thread is left running");
        drop(core);
        await_true("the thread ended once let go", || {
            shared.lock().threads == 0
        });
    }
}
