//! The guest executor: runs every call's guest work on a pool of threads, off
//! the SIP loop. A call's work runs in order, one piece at a time, on whichever
//! thread is free; different calls run in parallel. A guest that spins until its
//! deadline holds one thread, never the SIP loop or another call.
//!
//! A new call gets an instance of the current version of its guest (the one
//! `[routing]` picks for an incoming call, the one that placed it for a
//! placed call) and keeps it, with a [`Lease`] on that version, until it
//! ends: a version loaded while the call is up takes only later calls.

use crate::adapter;
use crate::call_routing::CallRoutes;
use crate::guest_registry::{Lease, Registry};
use crate::host_api::{CoreHost, lock};
use crate::vital::Vitals;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use switchyard_control::rest::HOST_INTERFACE;
use switchyard_core::{CallEvent, CallId, GuestOp, Message};
use switchyard_guest::{Guest, GuestError, Instance, LogThrottle};
use tracing::{Span, debug, error, info_span, warn};

/// The most pieces of work one call may have queued (a key press every
/// 20 ms for over a second); see [`GuestExecutor::submit`].
pub const MAX_QUEUED: usize = 64;
/// The most queued work after which a message from another call is dropped:
/// half the queue, so that a flood of messages never crowds out the call's
/// own events.
const MAX_QUEUED_FOR_MESSAGES: usize = MAX_QUEUED / 2;
/// How long the work still queued when the executor is dropped (at shutdown: the calls'
/// ends, which guests write records on) goes on being run.
const DRAIN: Duration = Duration::from_secs(2);

/// Whether `op` may join a mailbox holding `queued` pieces of work: a hang-up
/// always, messages while fewer than [`MAX_QUEUED_FOR_MESSAGES`] wait, anything
/// else while fewer than [`MAX_QUEUED`] do.
fn fits(op: &GuestOp, queued: usize) -> bool {
    match op {
        GuestOp::Event {
            event: CallEvent::Hangup,
            ..
        } => true,
        GuestOp::Message { .. } => queued < MAX_QUEUED_FOR_MESSAGES,
        GuestOp::Invite(_) | GuestOp::Dialed { .. } | GuestOp::Event { .. } => queued < MAX_QUEUED,
    }
}

/// Runs guest work for calls; see the module docs.
pub struct GuestExecutor {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared {
    guests: Arc<Registry<Guest>>,
    /// Which guest an incoming call goes to.
    routes: CallRoutes,
    host: Arc<CoreHost>,
    /// The most call instances alive at once.
    max_instances: usize,
    /// The lines saying a guest's message was dropped.
    drops_logged: LogThrottle,
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
struct State {
    mailboxes: HashMap<CallId, Mailbox>,
    /// Calls with queued work and no thread on them, in the order they became ready.
    ready: VecDeque<CallId>,
    /// Call instances alive (or being created).
    instances: usize,
    /// Events dropped by [`GuestExecutor::submit`].
    dropped: u64,
    /// Once the executor is dropped: until when the work still queued is run.
    stopping: Option<Instant>,
}

/// One call's queued work and its instance. The instance is out of the mailbox
/// while a thread runs it.
#[derive(Default)]
struct Mailbox {
    queue: VecDeque<GuestOp>,
    instance: Option<CallInstance>,
    running: bool,
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
    /// vital part of `vitals`.
    pub fn start(
        guests: Arc<Registry<Guest>>,
        routes: CallRoutes,
        host: Arc<CoreHost>,
        threads: usize,
        max_instances: usize,
        vitals: &Vitals,
    ) -> std::io::Result<GuestExecutor> {
        let shared = Arc::new(Shared {
            guests,
            routes,
            host,
            max_instances,
            drops_logged: LogThrottle::default(),
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
        });
        let threads = (0..threads.max(1))
            .map(|n| {
                let shared = shared.clone();
                let guard = vitals.guard(format!("guest thread {n}"));
                std::thread::Builder::new()
                    .name(format!("guest-{n}"))
                    .spawn(move || {
                        let _guard = guard;
                        shared.run();
                    })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(GuestExecutor { shared, threads })
    }

    /// Queues work for its call; it runs after the call's earlier work.
    /// A call whose guest falls [`MAX_QUEUED`] pieces of work behind loses new
    /// events (counted) until it catches up, and messages from other calls
    /// half as far behind; its hang-up is always delivered.
    pub fn submit(&self, op: GuestOp) {
        let call = match &op {
            GuestOp::Invite(invite) => invite.call,
            GuestOp::Dialed { call, .. }
            | GuestOp::Event { call, .. }
            | GuestOp::Message { call, .. } => *call,
        };
        let mut state = self.shared.lock();
        let mailbox = state.mailboxes.entry(call).or_default();
        if !fits(&op, mailbox.queue.len()) {
            let behind = mailbox.queue.len();
            state.dropped += 1;
            debug!(%call, "the guest is {behind} events behind: event dropped");
            return;
        }
        mailbox.queue.push_back(op);
        if !mailbox.running && mailbox.queue.len() == 1 {
            state.ready.push_back(call);
            self.shared.ready.notify_one();
        }
    }

    /// Events dropped because their call's guest was too far behind.
    pub fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    /// Call instances alive now.
    pub fn instances(&self) -> usize {
        self.shared.lock().instances
    }

    /// Calls with an instance or queued work.
    pub fn calls(&self) -> usize {
        self.shared.lock().mailboxes.len()
    }
}

impl Drop for GuestExecutor {
    fn drop(&mut self) {
        self.shared.lock().stopping = Some(Instant::now() + DRAIN);
        self.shared.ready.notify_all();
        for thread in self.threads.drain(..) {
            // A guest thread only ends by returning; a panic there is already logged.
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run(&self) {
        let mut state = self.lock();
        loop {
            // Stopping: what is queued (the calls' ends, mostly) still runs, for a while.
            if let Some(until) = state.stopping
                && (state.ready.is_empty() || Instant::now() >= until)
            {
                return;
            }
            let Some(call) = state.ready.pop_front() else {
                state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            let Some(mailbox) = state.mailboxes.get_mut(&call) else {
                continue;
            };
            let Some(op) = mailbox.queue.pop_front() else {
                continue;
            };
            mailbox.running = true;
            let instance = mailbox.instance.take();
            let reserved = matches!(op, GuestOp::Invite(_) | GuestOp::Dialed { .. })
                && instance.is_none()
                && state.instances < self.max_instances;
            if reserved {
                state.instances += 1;
            }
            let had_instance = instance.is_some() || reserved;
            drop(state);
            let outcome = unless_panicked(call, || self.execute(call, op, instance, reserved))
                .unwrap_or_else(|| {
                    // The call goes on without call logic, as after a trap; a core that panics
                    // at that too has logged it, and the thread serves the next call.
                    unless_panicked(call, || {
                        lock(self.host.core()).guest_failed(Instant::now(), call);
                    });
                    Outcome::Gone
                });
            self.host.wake();
            state = self.lock();
            let gone = matches!(outcome, Outcome::Gone);
            if gone && had_instance {
                state.instances -= 1;
            }
            let Some(mailbox) = state.mailboxes.get_mut(&call) else {
                continue;
            };
            mailbox.running = false;
            if let Outcome::Keep(instance) = outcome {
                mailbox.instance = Some(instance);
            }
            let hung_up = gone && mailbox.queue.is_empty() && mailbox.instance.is_none();
            // Lock order: the executor's state, then the core; nothing takes them the other way.
            if hung_up && !lock(self.host.core()).has_call(call) {
                state.mailboxes.remove(&call);
            } else if !mailbox.queue.is_empty() {
                state.ready.push_back(call);
            }
        }
    }

    /// Runs one piece of work. `reserved`: an instance slot was taken for a new call.
    fn execute(
        &self,
        call: CallId,
        op: GuestOp,
        instance: Option<CallInstance>,
        reserved: bool,
    ) -> Outcome {
        match op {
            GuestOp::Invite(invite) => {
                let sip = &invite.sip;
                let guest = self.routes.guest_for(&sip.request_uri, &sip.headers);
                let Some(mut instance) = self.new_instance(call, reserved, guest) else {
                    return Outcome::Gone;
                };
                let _entered = instance.span(call).entered();
                let invited = instance
                    .lease
                    .metrics()
                    .time(|| instance.instance.on_invite(&adapter::invite(&invite)));
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
                self.host.events().call_event(&call.to_string(), &dialed);
                let placer = self.host.take_placer(call);
                if placer.as_deref() == Some(HOST_INTERFACE) {
                    // Placed by the host (a REST or XML-RPC dial-out): no
                    // guest serves it; its events only reach the event stream.
                    return Outcome::Gone;
                }
                let guest = placer
                    .as_deref()
                    .unwrap_or_else(|| self.routes.default_guest());
                let Some(instance) = self.new_instance(call, reserved, guest) else {
                    return Outcome::Gone;
                };
                self.deliver(call, instance, dialed)
            }
            GuestOp::Event { event, .. } => {
                self.host.events().call_event(&call.to_string(), &event);
                match instance {
                    Some(instance) => self.deliver(call, instance, event),
                    // The call has no guest (it failed, or none could be had).
                    None => Outcome::Gone,
                }
            }
            GuestOp::Message { message, .. } => match instance {
                Some(instance) => self.deliver_message(call, instance, &message),
                None => {
                    debug!(%call, "the call has no instance (any more): message dropped");
                    Outcome::Gone
                }
            },
        }
    }

    /// A new instance of `guest` for a new call in the slot `reserved` for
    /// it; without one, the core is told and `None` returned.
    fn new_instance(&self, call: CallId, reserved: bool, guest: &str) -> Option<CallInstance> {
        if !reserved {
            warn!(%call, limit = self.max_instances, "no guest instance free");
            lock(self.host.core()).guest_unavailable(Instant::now(), call);
            return None;
        }
        let Some(lease) = self.guests.lease(guest) else {
            error!(%call, "guest {guest} is not loaded");
            lock(self.host.core()).guest_unavailable(Instant::now(), call);
            return None;
        };
        match lease.guest().instantiate(self.host.clone()) {
            Ok(instance) => {
                let instance = CallInstance { instance, lease };
                debug!(parent: &instance.span(call), "new instance");
                Some(instance)
            }
            Err(e) => {
                self.report_fault(call, &lease, &e);
                lock(self.host.core()).guest_unavailable(Instant::now(), call);
                None
            }
        }
    }

    /// Runs the instance's `on-message` when it is an instance of the guest
    /// that sent the message and its version takes messages; drops the
    /// message otherwise, with a log line when it is of another guest (as
    /// [`LogThrottle`] lets it). It goes after a failure.
    fn deliver_message(
        &self,
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
        let delivered = instance
            .lease
            .metrics()
            .time(|| instance.instance.on_message(&call_id, &from, &message.text));
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

    /// Runs the instance's `on-event`; it goes after a hang-up or a failure.
    fn deliver(&self, call: CallId, mut instance: CallInstance, event: CallEvent) -> Outcome {
        let hangup = event == CallEvent::Hangup;
        let _entered = instance.span(call).entered();
        let call_id = call.to_string();
        let event = adapter::event(event);
        let delivered = instance
            .lease
            .metrics()
            .time(|| instance.instance.on_event(&call_id, event));
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

    #[test]
    fn a_panic_in_guest_work_is_caught_and_reported_as_none() {
        assert_eq!(unless_panicked(CallId(1), || 7), Some(7));
        let caught = unless_panicked(CallId(1), || -> u32 { panic!("a bug in an import") });
        assert_eq!(caught, None);
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
        assert!(fits(&event(CallEvent::Answered), MAX_QUEUED_FOR_MESSAGES));
        assert!(!fits(&event(CallEvent::Answered), MAX_QUEUED));
        assert!(fits(&event(CallEvent::Hangup), MAX_QUEUED * 2));
    }
}
