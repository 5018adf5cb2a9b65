//! The timing cores: one task per media worker, each driving a sans-IO
//! [`Worker`] on absolute 20 ms deadlines and owning its legs' RTP sockets.
//!
//! A room lives on one worker (chosen by hashing its name), so a leg that joins
//! a room on another worker moves there: the core tells the new worker to
//! [`MediaCommand::Expect`] it, which holds every command for the leg until the
//! old worker hands the leg over; commands sent meanwhile are applied in order.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Instant;
use switchyard_media::{LegId, LegParams, MediaEvent, Prompt, RoomId, Worker, WorkerConfig};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// The largest datagram read from an RTP socket.
const MAX_DATAGRAM: usize = 2048;

/// A command to one media worker.
#[derive(Debug)]
pub enum MediaCommand {
    /// A new leg with its socket.
    AddLeg {
        /// The leg.
        leg: LegId,
        /// Codec and peer.
        params: LegParams,
        /// The leg's RTP socket (non-blocking).
        socket: UdpSocket,
    },
    /// The leg is gone; its socket closes.
    RemoveLeg(LegId),
    /// The leg is being handed over to this worker: hold its commands until it arrives.
    Expect(LegId),
    /// Hand the leg over to the worker behind `to`.
    Detach {
        /// The leg.
        leg: LegId,
        /// The receiving worker.
        to: UnboundedSender<MediaCommand>,
    },
    /// Put the leg into a room (leaving any other).
    Join(LegId, RoomId),
    /// Take the leg out of its room.
    Leave(LegId),
    /// Play prompts to the leg only.
    Play {
        /// The leg.
        leg: LegId,
        /// The prompts, in order.
        prompts: Vec<Arc<Prompt>>,
        /// Start over at the end instead of reporting `PromptDone`.
        looped: bool,
    },
    /// Stop playback on the leg.
    Stop(LegId),
}

impl MediaCommand {
    fn leg(&self) -> LegId {
        match self {
            MediaCommand::AddLeg { leg, .. }
            | MediaCommand::Detach { leg, .. }
            | MediaCommand::Play { leg, .. } => *leg,
            MediaCommand::RemoveLeg(leg)
            | MediaCommand::Expect(leg)
            | MediaCommand::Join(leg, _)
            | MediaCommand::Leave(leg)
            | MediaCommand::Stop(leg) => *leg,
        }
    }
}

/// The media workers.
#[derive(Debug)]
pub struct MediaPool {
    workers: Vec<UnboundedSender<MediaCommand>>,
}

impl MediaPool {
    /// Starts `count` workers; their events go to `events`.
    pub fn start(
        count: usize,
        config: WorkerConfig,
        seed: u64,
        events: UnboundedSender<MediaEvent>,
    ) -> (MediaPool, Vec<JoinHandle<()>>) {
        let mut workers = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        for index in 0..count {
            let (sender, receiver) = unbounded_channel();
            let worker = Worker::new(config, Instant::now(), seed ^ index as u64);
            tasks.push(tokio::spawn(run(worker, receiver, events.clone())));
            workers.push(sender);
        }
        (MediaPool { workers }, tasks)
    }

    /// The worker a room lives on.
    pub fn worker_for_room(&self, room: &str) -> usize {
        let mut hasher = DefaultHasher::new();
        room.hash(&mut hasher);
        (hasher.finish() % self.workers.len() as u64) as usize
    }

    /// The worker a leg starts on before it joins a room.
    pub fn worker_for_leg(&self, leg: LegId) -> usize {
        (leg.0 % self.workers.len() as u64) as usize
    }

    /// Sends a command to a worker. A worker that has stopped (only at exit)
    /// drops it.
    pub fn send(&self, worker: usize, command: MediaCommand) {
        let _ = self.workers[worker].send(command);
    }

    /// Moves `leg` from worker `from` to worker `to`; later commands for the leg
    /// go to `to`.
    pub fn move_leg(&self, leg: LegId, from: usize, to: usize) {
        self.send(to, MediaCommand::Expect(leg));
        self.send(
            from,
            MediaCommand::Detach {
                leg,
                to: self.workers[to].clone(),
            },
        );
    }
}

/// A worker's loop: tick on the worker's deadlines, reading every leg's socket
/// just before each tick; apply commands as they come.
async fn run(
    mut worker: Worker,
    mut commands: UnboundedReceiver<MediaCommand>,
    events: UnboundedSender<MediaEvent>,
) {
    let mut io = WorkerIo::default();
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    loop {
        let deadline = worker.poll_timeout().unwrap_or_else(Instant::now);
        tokio::select! {
            () = tokio::time::sleep_until(deadline.into()) => {
                let now = Instant::now();
                for (leg, (socket, _)) in &io.legs {
                    // Bounded: a flood on one socket cannot starve the tick.
                    for _ in 0..64 {
                        match socket.recv_from(&mut buffer) {
                            Ok((len, _from)) => worker.handle_rtp(now, *leg, &buffer[..len]),
                            Err(_) => break,
                        }
                    }
                }
                worker.handle_timeout(now);
            }
            command = commands.recv() => match command {
                Some(command) => io.apply(&mut worker, command),
                None => return,
            },
        }
        while let Some(transmit) = worker.poll_transmit() {
            if let Some((socket, _)) = io.legs.get(&transmit.leg) {
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
    legs: HashMap<LegId, (UdpSocket, LegParams)>,
    held: HashMap<LegId, Vec<MediaCommand>>,
}

impl WorkerIo {
    fn apply(&mut self, worker: &mut Worker, command: MediaCommand) {
        let leg = command.leg();
        if let MediaCommand::Expect(leg) = command {
            self.held.entry(leg).or_default();
            return;
        }
        let arriving = matches!(command, MediaCommand::AddLeg { .. });
        if !arriving && let Some(queue) = self.held.get_mut(&leg) {
            queue.push(command);
            return;
        }
        self.execute(worker, command);
        if arriving && let Some(queue) = self.held.remove(&leg) {
            for command in queue {
                self.execute(worker, command);
            }
        }
    }

    fn execute(&mut self, worker: &mut Worker, command: MediaCommand) {
        let now = Instant::now();
        match command {
            MediaCommand::AddLeg {
                leg,
                params,
                socket,
            } => {
                worker.add_leg(now, leg, params.clone());
                self.legs.insert(leg, (socket, params));
            }
            MediaCommand::RemoveLeg(leg) => {
                worker.remove_leg(leg);
                self.legs.remove(&leg);
            }
            MediaCommand::Detach { leg, to } => {
                worker.remove_leg(leg);
                if let Some((socket, params)) = self.legs.remove(&leg) {
                    let _ = to.send(MediaCommand::AddLeg {
                        leg,
                        params,
                        socket,
                    });
                }
            }
            MediaCommand::Join(leg, room) => worker.join(leg, room),
            MediaCommand::Leave(leg) => worker.leave(leg),
            MediaCommand::Play {
                leg,
                prompts,
                looped,
            } => worker.play(leg, prompts, looped),
            MediaCommand::Stop(leg) => worker.stop_playback(leg),
            MediaCommand::Expect(_) => unreachable!("handled in apply"),
        }
    }
}
