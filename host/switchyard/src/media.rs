//! The timing cores: one task per media worker, each driving a sans-IO
//! [`Worker`] on absolute 20 ms deadlines and owning its legs' RTP sockets.
//!
//! The core names a worker in every [`MediaOp`]. A leg that moves between
//! workers is detached with all its state and attached on the other: the core
//! tells the new worker to [`WorkerCommand::Expect`] it, which holds every
//! command for the leg until it arrives; commands sent meanwhile apply in order.

use crate::network::PendingSockets;
use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use switchyard_core::MediaOp;
use switchyard_media::{
    DetachedLeg, LegId, LegParams, MediaEvent, Prompt, PromptRole, RecordingTap, RoomId, Worker,
    WorkerConfig, WorkerStats,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// The largest datagram read from an RTP socket.
const MAX_DATAGRAM: usize = 2048;
/// The most datagrams read from one socket per tick: a flood on one leg cannot starve the tick.
const MAX_READS_PER_TICK: usize = 64;

/// A command to one media worker's task.
#[derive(Debug)]
enum WorkerCommand {
    /// A new leg with its socket.
    AddLeg {
        leg: LegId,
        params: LegParams,
        socket: UdpSocket,
    },
    /// A leg arriving from another worker, with its state and socket.
    Attach {
        leg: LegId,
        state: Box<DetachedLeg>,
        socket: UdpSocket,
    },
    /// The leg is gone; its socket closes.
    RemoveLeg(LegId),
    /// The leg is on its way here: hold its commands until it arrives.
    Expect(LegId),
    /// Hand the leg over to the worker behind `to`.
    Detach {
        leg: LegId,
        to: UnboundedSender<WorkerCommand>,
    },
    Join(LegId, RoomId),
    Leave(LegId),
    Bridge(LegId, LegId),
    Unbridge(LegId),
    SetMuted(LegId, bool),
    SetGain(LegId, f32),
    /// New parameters for a live leg (a re-negotiated session).
    Update(LegId, Box<LegParams>),
    Play {
        leg: LegId,
        prompts: Vec<Arc<Prompt>>,
        looped: bool,
        role: PromptRole,
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
            | WorkerCommand::Join(leg, _)
            | WorkerCommand::Leave(leg)
            | WorkerCommand::Unbridge(leg)
            | WorkerCommand::SetMuted(leg, _)
            | WorkerCommand::SetGain(leg, _)
            | WorkerCommand::Update(leg, _)
            | WorkerCommand::Stop(leg, _) => [Some(*leg), None],
            WorkerCommand::Announce { .. }
            | WorkerCommand::StopAnnouncement(_)
            | WorkerCommand::StartRecording(..)
            | WorkerCommand::StopRecording(_) => [None, None],
        }
    }
}

/// The media workers.
#[derive(Debug)]
pub struct MediaPool {
    workers: Vec<UnboundedSender<WorkerCommand>>,
    stats: Vec<Arc<Mutex<WorkerStats>>>,
    sockets: PendingSockets,
}

impl MediaPool {
    /// Starts `count` workers; their events go to `events`; sockets reserved
    /// for new legs are taken from `sockets`.
    pub fn start(
        count: usize,
        config: WorkerConfig,
        seed: u64,
        events: UnboundedSender<MediaEvent>,
        sockets: PendingSockets,
    ) -> (MediaPool, Vec<JoinHandle<()>>) {
        let mut workers = Vec::with_capacity(count);
        let mut stats = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for index in 0..count {
            let (sender, receiver) = unbounded_channel();
            let worker = Worker::new(config, Instant::now(), seed ^ index as u64);
            let published = Arc::new(Mutex::new(WorkerStats::default()));
            tasks.push(tokio::spawn(run(
                worker,
                receiver,
                events.clone(),
                published.clone(),
            )));
            workers.push(sender);
            stats.push(published);
        }
        (
            MediaPool {
                workers,
                stats,
                sockets,
            },
            tasks,
        )
    }

    /// Carries out a media command of the core.
    pub fn apply(&self, op: MediaOp) {
        match op {
            MediaOp::AddLeg {
                worker,
                leg,
                params,
            } => match self.sockets.take(leg) {
                Some(socket) => self.send(
                    worker,
                    WorkerCommand::AddLeg {
                        leg,
                        params,
                        socket,
                    },
                ),
                None => tracing::error!(?leg, "no RTP socket was reserved for the leg"),
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
            } => self.send(
                worker,
                WorkerCommand::Play {
                    leg,
                    prompts,
                    looped,
                    role,
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
        }
    }

    /// Every worker's counters, summed, as of each worker's last tick.
    pub fn stats(&self) -> WorkerStats {
        let mut total = WorkerStats::default();
        for stats in &self.stats {
            total.accumulate(&stats.lock().unwrap_or_else(|p| p.into_inner()));
        }
        total
    }

    /// A worker that has stopped (only at exit) drops the command.
    fn send(&self, worker: usize, command: WorkerCommand) {
        if let Some(sender) = self.workers.get(worker) {
            let _ = sender.send(command);
        }
    }
}

/// A worker's loop: tick on the worker's deadlines, reading every leg's socket
/// just before each tick; apply commands as they come.
async fn run(
    mut worker: Worker,
    mut commands: UnboundedReceiver<WorkerCommand>,
    events: UnboundedSender<MediaEvent>,
    published: Arc<Mutex<WorkerStats>>,
) {
    let mut io = WorkerIo::default();
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let deadline = worker.poll_timeout().unwrap_or_else(Instant::now);
        tokio::select! {
            () = tokio::time::sleep_until(deadline.into()) => {
                let now = Instant::now();
                // The sockets are read at the tick, so what they hold was there by its
                // deadline (the wake-up comes a little after): stamped so, it plays in this
                // tick, where `now` would hold it back a whole tick.
                let arrived = deadline.min(now);
                for (leg, socket) in &io.sockets {
                    for _ in 0..MAX_READS_PER_TICK {
                        match socket.recv_from(&mut buffer) {
                            Ok((len, from)) => {
                                worker.handle_rtp(arrived, *leg, from, &buffer[..len]);
                            }
                            Err(_) => break,
                        }
                    }
                }
                worker.handle_timeout(now);
                *published.lock().unwrap_or_else(|p| p.into_inner()) = worker.stats();
            }
            command = commands.recv() => match command {
                Some(command) => io.apply(&mut worker, command),
                None => return,
            },
        }
        while let Some(transmit) = worker.poll_transmit() {
            if let Some(socket) = io.sockets.get(&transmit.leg) {
                // UDP is best effort: a full socket buffer drops the packet, as the network would.
                let _ = socket.send_to(&transmit.payload, transmit.destination);
            }
        }
        while let Some(event) = worker.poll_event() {
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

/// A worker's sockets and the commands held for legs on their way to it.
#[derive(Default)]
struct WorkerIo {
    sockets: HashMap<LegId, UdpSocket>,
    held: HashMap<LegId, Vec<WorkerCommand>>,
}

impl WorkerIo {
    fn apply(&mut self, worker: &mut Worker, command: WorkerCommand) {
        if let WorkerCommand::Expect(leg) = command {
            self.held.entry(leg).or_default();
            return;
        }
        let arriving = match &command {
            WorkerCommand::AddLeg { leg, .. } | WorkerCommand::Attach { leg, .. } => Some(*leg),
            _ => None,
        };
        if arriving.is_none()
            && let Some(held) = command
                .legs()
                .into_iter()
                .flatten()
                .find(|l| self.held.contains_key(l))
        {
            self.held.entry(held).or_default().push(command);
            return;
        }
        self.execute(worker, command);
        if let Some(leg) = arriving
            && let Some(queue) = self.held.remove(&leg)
        {
            for command in queue {
                self.apply(worker, command);
            }
        }
    }

    fn execute(&mut self, worker: &mut Worker, command: WorkerCommand) {
        match command {
            WorkerCommand::AddLeg {
                leg,
                params,
                socket,
            } => {
                worker.add_leg(Instant::now(), leg, params);
                self.sockets.insert(leg, socket);
            }
            WorkerCommand::Attach { leg, state, socket } => {
                worker.attach(leg, *state);
                self.sockets.insert(leg, socket);
            }
            WorkerCommand::RemoveLeg(leg) => {
                worker.remove_leg(leg);
                self.sockets.remove(&leg);
            }
            WorkerCommand::Detach { leg, to } => {
                if let (Some(state), Some(socket)) = (worker.detach(leg), self.sockets.remove(&leg))
                {
                    let _ = to.send(WorkerCommand::Attach {
                        leg,
                        state: Box::new(state),
                        socket,
                    });
                }
            }
            WorkerCommand::Join(leg, room) => worker.join(leg, room),
            WorkerCommand::Leave(leg) => worker.leave(leg),
            WorkerCommand::Bridge(a, b) => worker.bridge(a, b),
            WorkerCommand::Unbridge(leg) => worker.unbridge(leg),
            WorkerCommand::SetMuted(leg, muted) => worker.set_muted(leg, muted),
            WorkerCommand::SetGain(leg, gain_db) => worker.set_gain(leg, gain_db),
            WorkerCommand::Update(leg, params) => worker.update_leg(Instant::now(), leg, *params),
            WorkerCommand::Play {
                leg,
                prompts,
                looped,
                role: PromptRole::Heard,
            } => worker.play(leg, prompts, looped),
            WorkerCommand::Play {
                leg,
                prompts,
                looped,
                role: PromptRole::Said,
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
            WorkerCommand::Expect(_) => unreachable!("handled in apply"),
        }
    }
}
