//! The timing cores: one thread per media worker, each driving a sans-IO
//! [`Worker`] on absolute 20 ms deadlines and owning its legs' RTP sockets,
//! which it reads and writes through io_uring where the kernel allows it
//! ([`uring`]), else by a sweep of every socket each tick ([`sweep`]).
//!
//! The core names a worker in every [`MediaOp`]. A leg that moves between
//! workers is detached with all its state and attached on the other: the core
//! tells the new worker to [`WorkerCommand::Expect`] it, which holds every
//! command for the leg until it arrives; commands sent meanwhile apply in order.
//! A leg that cannot move is lost: the new worker is told
//! ([`WorkerCommand::Lost`]) and the core ends its call, as it ends the calls of
//! a worker that failed ([`worker_thread`]).
//!
//! A worker's commands wait on an unbounded channel, so their number is bounded by
//! the core: it counts each command it emits for a worker in a shared
//! [`MediaBacklog`], the worker counts it off once it is done with it (carried out,
//! or dropped with a leg lost on the way; held for a leg on its way, it stays
//! counted), a leg handed over or lost counts on the worker it goes to, and the core
//! refuses a guest's media commands for a worker that has
//! [`MAX_MEDIA_BACKLOG`](switchyard_core::MAX_MEDIA_BACKLOG) waiting. What SIP and
//! the core itself ask of a worker is never refused: the call rate bounds it.

mod event_queue;
mod held;
mod packet_io;
mod receive_buffers;
mod receive_time;
mod send_failures;
mod sweep;
mod uring;
mod worker_thread;

use crate::network::PendingSockets;
use crate::rtp_ports::LegSockets;
use crate::vital::Vitals;
pub use event_queue::MediaEventReceiver;
use event_queue::{KeyBacklog, MediaEventSender, media_event_queue};
use packet_io::PacketIo;
use send_failures::SendFailures;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use switchyard_core::{MediaBacklog, MediaOp};
use switchyard_media::{
    DetachedLeg, LegId, LegParams, MediaEvent, PlayId, Prompt, PromptRole, RecordingTap, RoomId,
    Worker, WorkerConfig, WorkerStats,
};
use worker_thread::WorkerThread;

/// A command to one media worker's thread.
#[derive(Debug)]
enum WorkerCommand {
    /// A new leg with its sockets.
    AddLeg {
        leg: LegId,
        params: LegParams,
        sockets: LegSockets,
    },
    /// A leg arriving from another worker, with its state and sockets.
    Attach {
        leg: LegId,
        state: DetachedLeg,
        sockets: LegSockets,
    },
    /// The leg is gone: its RTCP BYE goes (RFC 3550 §6.3.7) and its sockets close.
    RemoveLeg(LegId),
    /// The leg is on its way here: hold its commands until it arrives.
    Expect(LegId),
    /// The leg on its way here will not come (its handover failed): drop
    /// what is held for it.
    Lost(LegId),
    /// Hand the leg over to the worker behind `to`.
    Detach {
        leg: LegId,
        to: Inbox,
    },
    Join(LegId, RoomId),
    Leave(LegId),
    Bridge(LegId, LegId),
    Unbridge(LegId),
    SetMuted(LegId, bool),
    SetDeaf(LegId, bool),
    SetGain(LegId, f32),
    SendDtmf(LegId, String),
    /// New parameters for a live leg (a re-negotiated session).
    Update(LegId, Box<LegParams>),
    /// Count the leg's RTP timeout afresh from now.
    RearmRtpTimeout(LegId),
    Play {
        leg: LegId,
        prompts: Vec<Arc<Prompt>>,
        looped: bool,
        role: PromptRole,
        play: PlayId,
    },
    Stop(LegId, PromptRole),
    Announce {
        room: RoomId,
        prompts: Vec<Arc<Prompt>>,
        looped: bool,
    },
    StopAnnouncement(RoomId),
    StartRecording(RoomId, RecordingTap),
    StopRecording(RoomId),
}

impl WorkerCommand {
    /// The room whose announcement the command starts or stops.
    fn announced_room(&self) -> Option<&RoomId> {
        match self {
            WorkerCommand::Announce { room, .. } | WorkerCommand::StopAnnouncement(room) => {
                Some(room)
            }
            _ => None,
        }
    }

    /// Whether the command joins a leg to `room`.
    fn joins(&self, room: &RoomId) -> bool {
        matches!(self, WorkerCommand::Join(_, joined) if joined == room)
    }

    /// The legs the command concerns.
    fn legs(&self) -> [Option<LegId>; 2] {
        match self {
            WorkerCommand::Bridge(a, b) => [Some(*a), Some(*b)],
            WorkerCommand::AddLeg { leg, .. }
            | WorkerCommand::Attach { leg, .. }
            | WorkerCommand::Detach { leg, .. }
            | WorkerCommand::Play { leg, .. }
            | WorkerCommand::RemoveLeg(leg)
            | WorkerCommand::Expect(leg)
            | WorkerCommand::Lost(leg)
            | WorkerCommand::Join(leg, _)
            | WorkerCommand::Leave(leg)
            | WorkerCommand::Unbridge(leg)
            | WorkerCommand::SetMuted(leg, _)
            | WorkerCommand::SetDeaf(leg, _)
            | WorkerCommand::SetGain(leg, _)
            | WorkerCommand::SendDtmf(leg, _)
            | WorkerCommand::Update(leg, _)
            | WorkerCommand::RearmRtpTimeout(leg)
            | WorkerCommand::Stop(leg, _) => [Some(*leg), None],
            WorkerCommand::Announce { .. }
            | WorkerCommand::StopAnnouncement(_)
            | WorkerCommand::StartRecording(..)
            | WorkerCommand::StopRecording(_) => [None, None],
        }
    }
}

/// Where a worker's commands go, counted in the backlog the core shares with the workers.
#[derive(Clone, Debug)]
struct Inbox {
    worker: usize,
    sender: Sender<WorkerCommand>,
    backlog: Arc<MediaBacklog>,
}

impl Inbox {
    /// Sends a command the core counted already; one the worker will never take (it
    /// stopped, which happens only at exit) is counted off.
    fn deliver(&self, command: WorkerCommand) {
        if self.sender.send(command).is_err() {
            self.backlog.done(self.worker);
        }
    }

    /// Sends a command another worker passes on (a leg handed over, or lost on the way),
    /// counting it: the core did not.
    fn forward(&self, command: WorkerCommand) {
        self.backlog.add(self.worker);
        self.deliver(command);
    }
}

/// How the workers move packets (`media.packet_io`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PacketIoChoice {
    /// io_uring when the kernel gives one, else the sweep.
    #[default]
    Auto,
    /// io_uring, or the server does not start.
    IoUring,
    /// Every socket read each tick, one system call per packet.
    Sweep,
}

/// The media workers.
#[derive(Debug)]
pub struct MediaPool {
    workers: Vec<Inbox>,
    stats: Vec<Arc<Mutex<WorkerStats>>>,
    failures: Arc<AtomicU64>,
    send_failures: Arc<SendFailures>,
    key_backlog: Arc<KeyBacklog>,
    sockets: PendingSockets,
}

impl MediaPool {
    /// Starts `count` worker threads moving packets as `packet_io` asks; their events come
    /// out of the receiver returned with the pool, in the order each worker raised them;
    /// sockets reserved for new legs are taken from `sockets`. Fails when io_uring is asked
    /// for and the kernel refuses it, or a thread cannot start. The threads end once the pool
    /// or the receiver is dropped; each is a vital part of `vitals`. The commands the core
    /// counted in `backlog` (one count per worker) are counted off as the workers are done
    /// with them.
    pub fn start(
        count: usize,
        config: WorkerConfig,
        seed: u64,
        sockets: PendingSockets,
        packet_io: PacketIoChoice,
        vitals: &Vitals,
        backlog: Arc<MediaBacklog>,
    ) -> io::Result<(MediaPool, MediaEventReceiver)> {
        let use_uring = match packet_io {
            PacketIoChoice::Sweep => false,
            PacketIoChoice::Auto => uring::available().is_ok(),
            PacketIoChoice::IoUring => {
                uring::available().map_err(|error| {
                    io::Error::new(
                        error.kind(),
                        format!("media.packet_io = \"io_uring\": the kernel refuses it: {error}"),
                    )
                })?;
                true
            }
        };
        let mut workers = Vec::with_capacity(count);
        let mut stats = Vec::with_capacity(count);
        let failures = Arc::new(AtomicU64::new(0));
        let send_failures = Arc::new(SendFailures::default());
        let (events, receiver, key_backlog) = media_event_queue();
        for index in 0..count {
            let (sender, receiver) = channel();
            let published = Arc::new(Mutex::new(WorkerStats::default()));
            let thread = WorkerThread::new(
                index,
                receiver,
                events.clone(),
                published.clone(),
                failures.clone(),
                backlog.clone(),
            );
            let guard = vitals.guard(format!("media thread {index}"));
            let send_failures = send_failures.clone();
            std::thread::Builder::new()
                .name(format!("media-{index}"))
                .spawn(move || {
                    let _guard = guard;
                    thread.serve(|generation| {
                        let io = packet_io_for(use_uring, &send_failures);
                        if index == 0 && generation == 0 {
                            tracing::info!(packet_io = %io.name(), "media workers started");
                        }
                        // Each generation its own streams: a restarted worker's SSRCs are new.
                        let seed = seed ^ index as u64 ^ (generation << 32);
                        let config = WorkerConfig {
                            ntp_at_start: wallclock_ntp(),
                            ..config
                        };
                        (Worker::new(config, Instant::now(), seed), io)
                    });
                })?;
            workers.push(Inbox {
                worker: index,
                sender,
                backlog: backlog.clone(),
            });
            stats.push(published);
        }
        let pool = MediaPool {
            workers,
            stats,
            failures,
            send_failures,
            key_backlog,
            sockets,
        };
        Ok((pool, receiver))
    }

    /// Carries out a media command of the core.
    pub fn apply(&self, op: MediaOp) {
        match op {
            MediaOp::AddLeg {
                worker,
                leg,
                params,
            } => match self.sockets.take(leg) {
                Some(sockets) => self.send(
                    worker,
                    WorkerCommand::AddLeg {
                        leg,
                        params,
                        sockets,
                    },
                ),
                None => {
                    self.not_sent(worker);
                    tracing::error!(?leg, "no RTP sockets were reserved for the leg");
                }
            },
            MediaOp::RemoveLeg { worker, leg } => self.send(worker, WorkerCommand::RemoveLeg(leg)),
            MediaOp::Move { leg, from, to } => {
                self.send(to, WorkerCommand::Expect(leg));
                let to = self.workers[to].clone();
                self.send(from, WorkerCommand::Detach { leg, to });
            }
            MediaOp::Join { worker, leg, room } => {
                self.send(worker, WorkerCommand::Join(leg, room))
            }
            MediaOp::Leave { worker, leg } => self.send(worker, WorkerCommand::Leave(leg)),
            MediaOp::Bridge { worker, a, b } => self.send(worker, WorkerCommand::Bridge(a, b)),
            MediaOp::Unbridge { worker, leg } => self.send(worker, WorkerCommand::Unbridge(leg)),
            MediaOp::SetMuted { worker, leg, muted } => {
                self.send(worker, WorkerCommand::SetMuted(leg, muted));
            }
            MediaOp::SetDeaf { worker, leg, deaf } => {
                self.send(worker, WorkerCommand::SetDeaf(leg, deaf));
            }
            MediaOp::SendDtmf {
                worker,
                leg,
                digits,
            } => self.send(worker, WorkerCommand::SendDtmf(leg, digits)),
            MediaOp::SetGain {
                worker,
                leg,
                gain_db,
            } => self.send(worker, WorkerCommand::SetGain(leg, gain_db)),
            MediaOp::Play {
                worker,
                leg,
                prompts,
                looped,
                role,
                play,
            } => self.send(
                worker,
                WorkerCommand::Play {
                    leg,
                    prompts,
                    looped,
                    role,
                    play,
                },
            ),
            MediaOp::Announce {
                worker,
                room,
                prompts,
                looped,
            } => self.send(
                worker,
                WorkerCommand::Announce {
                    room,
                    prompts,
                    looped,
                },
            ),
            MediaOp::StopAnnouncement { worker, room } => {
                self.send(worker, WorkerCommand::StopAnnouncement(room));
            }
            MediaOp::StartRecording { worker, room, tap } => {
                self.send(worker, WorkerCommand::StartRecording(room, tap));
            }
            MediaOp::StopRecording { worker, room } => {
                self.send(worker, WorkerCommand::StopRecording(room));
            }
            MediaOp::Stop { worker, leg, role } => {
                self.send(worker, WorkerCommand::Stop(leg, role));
            }
            MediaOp::UpdateLeg {
                worker,
                leg,
                params,
            } => self.send(worker, WorkerCommand::Update(leg, Box::new(params))),
            MediaOp::RearmRtpTimeout { worker, leg } => {
                self.send(worker, WorkerCommand::RearmRtpTimeout(leg));
            }
        }
    }

    /// Every worker's counters, summed, as of each worker's last tick.
    pub fn stats(&self) -> WorkerStats {
        let mut total = WorkerStats::default();
        for stats in self.worker_stats() {
            total.accumulate(&stats);
        }
        total
    }

    /// How many legs' RTP sockets are reserved and not yet taken by a worker.
    pub fn sockets_pending(&self) -> usize {
        self.sockets.reserved()
    }

    /// How many workers failed (panicked) and were replaced since the start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Key presses the workers received but dropped because 4096 (the queue's cap) already
    /// waited for the signaling task.
    pub fn dropped_key_presses(&self) -> u64 {
        self.key_backlog.dropped()
    }

    /// The RTP and RTCP packets the workers made but could not send, by cause: each cause's
    /// metric label with its count.
    pub fn send_failures(&self) -> [(&'static str, u64); send_failures::SendFailure::ALL.len()] {
        self.send_failures.counts()
    }

    /// Each worker's counters, in worker order, as of its last tick.
    pub fn worker_stats(&self) -> Vec<WorkerStats> {
        self.stats
            .iter()
            .map(|stats| *stats.lock().unwrap_or_else(|p| p.into_inner()))
            .collect()
    }

    /// A worker that has stopped (only at exit) drops the command.
    fn send(&self, worker: usize, command: WorkerCommand) {
        if let Some(inbox) = self.workers.get(worker) {
            inbox.deliver(command);
        }
    }

    /// The command the core counted for `worker` goes nowhere.
    fn not_sent(&self, worker: usize) {
        if let Some(inbox) = self.workers.get(worker) {
            inbox.backlog.done(worker);
        }
    }
}

// io_uring, unless it was not chosen or this thread cannot have one; counting the sends that
// fail in `failures`.
fn packet_io_for(use_uring: bool, failures: &Arc<SendFailures>) -> Box<dyn PacketIo> {
    if use_uring {
        match uring::UringIo::new(failures.clone()) {
            Ok(io) => return Box::new(io),
            Err(error) => tracing::warn!(%error, "no io_uring for a media worker: sweeping"),
        }
    }
    Box::new(sweep::SweepIo::new(failures.clone()))
}

/// The sockets of `leg`, which leaves the worker, taken from `io` once a packet of it waiting
/// half a tick is sent from the socket it was made for.
fn sockets_of_leaving(
    worker: &mut Worker,
    io: &mut dyn PacketIo,
    leg: LegId,
) -> Option<LegSockets> {
    worker.release(leg);
    io.send(worker);
    io.remove(worker, leg)
}

/// A leg moving into or out of a worker whose move a panic cuts short: the core hears the leg
/// lost, which the failed worker may not hold (its losses name only the legs it holds: one
/// arriving is not held until the worker took it, one leaving may be gone already); when it
/// still does, the core hears it twice, and the second report, of a call already ending, does
/// nothing. The worker a leaving leg was moving to is told it will not come, or it would hold
/// the commands for the leg (and what is played into the room the leg joins) for as long as it
/// runs.
struct LostIfUnwound<'a> {
    leg: LegId,
    /// The worker a leaving leg was moving to.
    to: Option<&'a Inbox>,
    events: &'a MediaEventSender,
}

impl Drop for LostIfUnwound<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(to) = self.to {
                to.forward(WorkerCommand::Lost(self.leg));
            }
            let _ = self.events.send(MediaEvent::LegLost { leg: self.leg });
        }
    }
}

/// The guard of a leg arriving at a worker, until the worker holds it: an arrival gives the
/// leg's sockets to the packet I/O first and the leg to the worker last, so that a panic on
/// the way reports the leg lost, whichever step fails.
fn arriving(leg: LegId, events: &MediaEventSender) -> LostIfUnwound<'_> {
    LostIfUnwound {
        leg,
        to: None,
        events,
    }
}

/// Carries out `command` on the worker and its sockets; a leg lost in a
/// handover is reported to `events`.
fn execute(
    worker: &mut Worker,
    io: &mut dyn PacketIo,
    events: &MediaEventSender,
    command: WorkerCommand,
) {
    match command {
        WorkerCommand::AddLeg {
            leg,
            params,
            sockets,
        } => {
            let _lost_if_cut_short = arriving(leg, events);
            io.add(leg, sockets);
            worker.add_leg(Instant::now(), leg, params);
        }
        WorkerCommand::Attach {
            leg,
            state,
            sockets,
        } => {
            let _lost_if_cut_short = arriving(leg, events);
            io.add(leg, sockets);
            worker.attach(leg, state);
        }
        WorkerCommand::RemoveLeg(leg) => {
            // What the worker had queued for the leg was sent before this command: the
            // worker thread sends its queue after every command and tick.
            let sockets = sockets_of_leaving(worker, io, leg);
            // The leg's RTCP BYE goes from its socket before the socket closes.
            if let Some(goodbye) = worker.remove_leg(Instant::now(), leg) {
                if let Some(sockets) = sockets {
                    // UDP is best effort: a full socket buffer drops it, as the network would.
                    let _ = sockets
                        .get(goodbye.socket)
                        .send_to(&goodbye.payload, goodbye.destination);
                }
                worker.recycle(goodbye.payload);
            }
        }
        WorkerCommand::Detach { leg, to } => {
            let _lost_if_cut_short = LostIfUnwound {
                leg,
                to: Some(&to),
                events,
            };
            // The sockets first: the packets the kernel already took from them reach the leg
            // before its state moves.
            let sockets = sockets_of_leaving(worker, io, leg);
            if let (Some(state), Some(sockets)) = (worker.detach(leg), sockets) {
                to.forward(WorkerCommand::Attach {
                    leg,
                    state,
                    sockets,
                });
                return;
            }
            // Without its state, or sockets (io_uring's copies of them need free descriptors),
            // the leg is gone: what the other worker holds for it goes, and its call ends as
            // one whose RTP stopped, since none can reach it any more.
            tracing::warn!(
                ?leg,
                "the leg could not move to another worker: ending its call"
            );
            to.forward(WorkerCommand::Lost(leg));
            let _ = events.send(MediaEvent::LegLost { leg });
        }
        WorkerCommand::Join(leg, room) => worker.join(leg, room),
        WorkerCommand::Leave(leg) => worker.leave(leg),
        WorkerCommand::Bridge(a, b) => worker.bridge(a, b),
        WorkerCommand::Unbridge(leg) => worker.unbridge(leg),
        WorkerCommand::SetMuted(leg, muted) => worker.set_muted(leg, muted),
        WorkerCommand::SetDeaf(leg, deaf) => worker.set_deaf(leg, deaf),
        WorkerCommand::SendDtmf(leg, digits) => {
            // The core checked the keys against its estimate of those waiting; the worker
            // only refuses them if it fell a key behind that estimate.
            if let Err(e) = worker.send_dtmf(leg, &digits) {
                tracing::warn!(?leg, "keys not sent: {e}");
            }
        }
        WorkerCommand::SetGain(leg, gain_db) => worker.set_gain(leg, gain_db),
        WorkerCommand::Update(leg, params) => worker.update_leg(Instant::now(), leg, *params),
        WorkerCommand::RearmRtpTimeout(leg) => worker.rearm_rtp_timeout(leg, Instant::now()),
        WorkerCommand::Play {
            leg,
            prompts,
            looped,
            role: PromptRole::Heard,
            play,
        } => worker.play(leg, prompts, looped, play),
        WorkerCommand::Play {
            leg,
            prompts,
            looped,
            role: PromptRole::Said,
            ..
        } => worker.speak(leg, prompts, looped),
        WorkerCommand::Stop(leg, PromptRole::Heard) => worker.stop_playback(leg),
        WorkerCommand::Stop(leg, PromptRole::Said) => worker.stop_speaking(leg),
        WorkerCommand::Announce {
            room,
            prompts,
            looped,
        } => worker.announce(&room, prompts, looped),
        WorkerCommand::StopAnnouncement(room) => worker.stop_announcement(&room),
        WorkerCommand::StartRecording(room, tap) => worker.start_recording(room, tap),
        WorkerCommand::StopRecording(room) => worker.stop_recording(&room),
        WorkerCommand::Expect(_) | WorkerCommand::Lost(_) => {
            unreachable!("held commands are handled before execution")
        }
    }
}

/// The wallclock now as an NTP timestamp, for a worker's RTCP sender reports; the Unix epoch
/// if the clock is set before it.
fn wallclock_ntp() -> u64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    switchyard_media::ntp_timestamp(since_epoch)
}

/// Worker 0's inbox, counting in a backlog of its own, and what it receives, as the worker
/// threads' tests make them.
#[cfg(test)]
fn test_inbox() -> (Inbox, std::sync::mpsc::Receiver<WorkerCommand>) {
    let (sender, receiver) = channel();
    let inbox = Inbox {
        worker: 0,
        sender,
        backlog: Arc::new(MediaBacklog::new(1)),
    };
    (inbox, receiver)
}

/// A PCMU leg sending to `remote`, as the worker threads' tests add them.
#[cfg(test)]
fn pcmu_leg(remote: std::net::SocketAddr) -> LegParams {
    LegParams {
        codec: switchyard_media::Codec::Pcmu,
        payload_type: 0,
        telephone_event: None,
        incoming: None,
        remote,
        direction: switchyard_media::MediaDirection::SendRecv,
        ptime_ms: 20,
        opus: switchyard_media::OpusParams::default(),
        rtcp: switchyard_media::RtcpPath::Separate(std::net::SocketAddr::new(
            remote.ip(),
            remote.port() + 1,
        )),
        peer_holds: false,
    }
}
