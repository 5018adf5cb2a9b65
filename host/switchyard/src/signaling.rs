//! The signaling task: the SIP socket, the core's timers, and the hand-off of
//! everything the core asks for (media commands, guest work).

use crate::events::Events;
use crate::executor::GuestExecutor;
use crate::host_api::lock;
use crate::media::{MediaEventReceiver, MediaPool};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_core::{CallCore, CallId, Effect, MAX_TARGETS};
use switchyard_media::MediaEvent;
use switchyard_net::{Outgoing, Resolver, SipSockets, SocketEvent};
use tokio::sync::Notify;
use tracing::{debug, error, info, warn};

/// How long shutdown waits for BYEs to be answered before exiting anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long the last calls' legs are waited for at shutdown, to tell how they fared.
const LAST_LEGS_WAIT: Duration = Duration::from_millis(100);
/// [`LAST_LEGS_WAIT`] once calls were abandoned at the end of the grace: their legs are only
/// then sent to the workers, which may be a few ticks behind on a loaded host.
const ABANDONED_LEGS_WAIT: Duration = Duration::from_secs(1);
/// How long the loop sleeps when nothing is scheduled.
const IDLE: Duration = Duration::from_secs(3600);
/// How long the resolution of a placed call's target may take (RFC 3263 lookups are several
/// round trips): the targets found by then are tried; none fails the call.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long past [`RESOLVE_TIMEOUT`] a resolution that has not returned is given up: a bug,
/// as its lookups stop at the timeout.
const RESOLVE_GRACE: Duration = Duration::from_secs(1);

/// Why the server stops.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// It was asked to (a signal).
    Asked,
    /// A part it cannot serve without ended: says which and why.
    Failed(String),
}

/// The signaling task's state.
pub struct Signaling {
    sockets: SipSockets,
    core: Arc<Mutex<CallCore>>,
    wake: Arc<Notify>,
    media: Arc<MediaPool>,
    executor: Arc<GuestExecutor>,
    media_events: MediaEventReceiver,
    resolver: Arc<Resolver>,
    events: Arc<Events>,
}

impl Signaling {
    /// A signaling task on `sockets` for `core`; guest work goes to
    /// `executor`, media commands to `media`, targets of placed calls are
    /// found by `resolver`, what the core tells of rooms goes to `events`,
    /// and `wake` is notified whenever the core has something new to carry
    /// out.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sockets: SipSockets,
        core: Arc<Mutex<CallCore>>,
        wake: Arc<Notify>,
        media: Arc<MediaPool>,
        executor: Arc<GuestExecutor>,
        media_events: MediaEventReceiver,
        resolver: Arc<Resolver>,
        events: Arc<Events>,
    ) -> Signaling {
        // A connection that carries a call stays open however long it idles.
        let calls = Arc::clone(&core);
        sockets.keep_open_while(move |remote| lock(&calls).needs_connection(remote));
        Signaling {
            sockets,
            core,
            wake,
            media,
            executor,
            media_events,
            resolver,
            events,
        }
    }

    /// Serves until `stop` resolves or a SIP socket is read no more, then hangs up every call
    /// and returns why it stopped when all calls have ended (or after [`SHUTDOWN_GRACE`]).
    pub async fn run(mut self, stop: impl Future<Output = Stop>) -> Stop {
        tokio::pin!(stop);
        let mut stopping: Option<(Instant, Stop)> = None;
        loop {
            let timer = lock(&self.core).poll_timeout();
            let give_up = stopping.as_ref().map(|(since, _)| *since + SHUTDOWN_GRACE);
            let wake_at = [timer, give_up].into_iter().flatten().min();
            let wake_at = wake_at.unwrap_or_else(|| Instant::now() + IDLE);
            tokio::select! {
                event = self.sockets.recv() => match event {
                    SocketEvent::Message(received) => lock(&self.core).handle_message(
                        Instant::now(),
                        received.transport,
                        received.local,
                        received.remote,
                        &received.payload,
                    ),
                    SocketEvent::Unreachable { transport, remote } => {
                        lock(&self.core).transport_failed(Instant::now(), transport, remote);
                    }
                    SocketEvent::FramingRefused {
                        bad_requests,
                        too_large,
                        dropped_unroutable,
                        dropped_too_large,
                    } => lock(&self.core).framing_refused(
                        bad_requests,
                        too_large,
                        dropped_unroutable,
                        dropped_too_large,
                    ),
                    SocketEvent::Stopped(why) if stopping.is_none() => {
                        stopping = Some(self.begin_stopping(Stop::Failed(why)));
                    }
                    SocketEvent::Stopped(why) => warn!("while shutting down: {why}"),
                },
                () = tokio::time::sleep_until(wake_at.into()) => {
                    lock(&self.core).handle_timeout(Instant::now());
                }
                () = self.wake.notified() => {}
                Some(event) = self.media_events.recv() => self.on_media_event(event),
                why = &mut stop, if stopping.is_none() => {
                    stopping = Some(self.begin_stopping(why));
                }
            }
            self.flush().await;
            if let Some((since, why)) = stopping.take() {
                let left = lock(&self.core).active_calls();
                if left > 0 && since.elapsed() < SHUTDOWN_GRACE {
                    stopping = Some((since, why));
                    continue;
                }
                let mut legs_wait = LAST_LEGS_WAIT;
                if left > 0 {
                    legs_wait = ABANDONED_LEGS_WAIT;
                    warn!(
                        calls = left,
                        "calls still up after the shutdown grace period: ended without \
                         their peers' answers"
                    );
                    lock(&self.core).abandon_all(Instant::now());
                    // Their legs go to the workers to be removed, and reported.
                    self.flush().await;
                }
                self.report_last_legs(legs_wait).await;
                self.stop_recordings().await;
                return why;
            }
        }
    }

    /// What a media worker reported: how a leg fared is told here, the rest goes to the core.
    fn on_media_event(&self, event: MediaEvent) {
        match event {
            MediaEvent::LegEnded { leg, room, quality } => {
                crate::quality::report(&self.events, leg, room.as_ref(), &quality);
            }
            event => lock(&self.core).handle_media_event(Instant::now(), event),
        }
    }

    /// At shutdown, once the calls have ended: every room's recording ends, so that the media
    /// workers let their writers complete the files; the guests hear of the calls' ends.
    async fn stop_recordings(&mut self) {
        lock(&self.core).stop_all_recordings();
        self.flush().await;
    }

    /// Once the last calls ended at shutdown, on their own or abandoned: the workers' reports
    /// of their legs, which they send as they remove them, for at most `wait`.
    async fn report_last_legs(&mut self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        while let Ok(Some(event)) = tokio::time::timeout_at(until, self.media_events.recv()).await {
            self.on_media_event(event);
        }
    }

    /// Hangs up every call, to stop for `why`; returns when that began, and why.
    fn begin_stopping(&self, why: Stop) -> (Instant, Stop) {
        let mut core = lock(&self.core);
        match &why {
            Stop::Asked => info!(
                calls = core.active_calls(),
                "shutting down: hanging up every call"
            ),
            Stop::Failed(part) => error!(
                calls = core.active_calls(),
                "{part}: shutting down, hanging up every call, to exit with an error \
                 (a supervisor should start the server afresh)"
            ),
        }
        let now = Instant::now();
        core.hangup_all(now);
        (now, why)
    }

    /// Resolves the target of the placed call `call` in a task of its own and
    /// tells the core every place its INVITE may go, in order. At most
    /// `max_dialing` calls are being placed, so at most that many of these
    /// tasks run, each bounded by [`RESOLVE_TIMEOUT`].
    fn resolve(&self, call: CallId, uri: String) {
        let (resolver, core, wake) = (self.resolver.clone(), self.core.clone(), self.wake.clone());
        tokio::spawn(async move {
            // In a task of its own, so that the core hears of the call even when the lookup
            // panics (a bug): a call never told stays placed, holding a `max_dialing` slot.
            let lookup = tokio::spawn({
                let uri = uri.clone();
                let core = core.clone();
                async move {
                    // Only targets the host can reach count: the core passes over the others.
                    let reaches = |ip| lock(&core).reaches(ip);
                    let resolved =
                        resolver.resolve_within(&uri, MAX_TARGETS, RESOLVE_TIMEOUT, reaches);
                    tokio::time::timeout(RESOLVE_TIMEOUT + RESOLVE_GRACE, resolved).await
                }
            });
            let targets = match lookup.await {
                // RFC 3263 §4.3: the core tries them in this order.
                Ok(Ok(Ok(targets))) => Ok(targets.iter().map(|t| (t.transport, t.addr)).collect()),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                Ok(Err(_)) => Err(format!(
                    "no DNS answer for {uri} within {RESOLVE_TIMEOUT:?}"
                )),
                Err(e) => Err(format!("the lookup of {uri} failed: {e}")),
            };
            lock(&core).resolved(Instant::now(), call, targets);
            wake.notify_one();
        });
    }

    /// What must be noted or told of `effect` as it is taken from the core, the core still
    /// locked: a call's leave of a room for a bridge is of the listing it has now, and a guest
    /// may join the call to that room again before the leave is told; a recording's end is
    /// told before anything that takes the core next (a recording started in the room) is.
    fn taken(&self, effect: &Effect) {
        match effect {
            Effect::LeftRoom { call, room } => self.events.bridging(*call, room),
            Effect::RecordingEnded { room, reason } => self.events.recording_ended(room, *reason),
            _ => {}
        }
    }

    /// Sends what the core queued and hands on its effects, until both are
    /// empty. The core is unlocked while they are carried out.
    async fn flush(&mut self) {
        loop {
            let (transmits, effects) = {
                let mut core = lock(&self.core);
                let transmits: Vec<_> = std::iter::from_fn(|| core.poll_transmit()).collect();
                let effects: Vec<_> = std::iter::from_fn(|| core.poll_effect())
                    .inspect(|effect| self.taken(effect))
                    .collect();
                (transmits, effects)
            };
            if transmits.is_empty() && effects.is_empty() {
                return;
            }
            for transmit in transmits {
                let (transport, destination) = (transmit.transport, transmit.destination);
                // A response over TCP finds the connection its request came on by
                // the peer's address (§18.2.2); a request reuses or opens one.
                let outgoing = Outgoing {
                    transport,
                    destination,
                    connection: None,
                    source: transmit.source,
                    reopen: transmit.reopen,
                    payload: transmit.payload,
                };
                if let Err(e) = self.sockets.send(outgoing).await {
                    debug!(to = %destination, "SIP send failed: {e}");
                    // §18.4: the transaction layer hears of a destination it cannot
                    // reach, so that a call being placed goes on to its next target
                    // and the other requests waiting on it are given up at once.
                    if e.unreaches_destination() {
                        lock(&self.core).transport_failed(Instant::now(), transport, destination);
                    }
                }
            }
            for effect in effects {
                match effect {
                    Effect::Media(op) => self.media.apply(op),
                    Effect::Guest(op) => self.executor.submit(op),
                    Effect::Resolve { call, uri } => self.resolve(call, uri),
                    // Told as it was taken.
                    Effect::RecordingEnded { .. } => {}
                    Effect::LeftRoom { call, room } => self.events.left_room(call, &room),
                }
            }
        }
    }
}
