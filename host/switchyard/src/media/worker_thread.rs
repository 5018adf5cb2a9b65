//! A media worker's thread: ticks its [`Worker`] on the worker's deadlines, moves its packets
//! and applies the commands sent to it, and outlives a worker that fails. A panic in the worker
//! (a bug, never an input it was built to refuse) ends that worker's calls and recordings, and a
//! new worker takes its place for the calls that come after, so one bad tick costs the calls
//! it touched, not the process.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_core::MediaBacklog;
use switchyard_media::{Worker, WorkerStats};

use super::WorkerCommand;
use super::event_queue::MediaEventSender;
use super::held::HeldCommands;
use super::packet_io::PacketIo;

/// How long a thread whose worker failed waits before it starts the next: a failure that
/// recurs at once costs a restart every this often, not a spinning core.
const RESTART_PAUSE: Duration = Duration::from_millis(100);

/// What a worker thread talks to, and what outlives a failed worker: the commands held for
/// legs on their way to it (they still arrive, at its successor) and its counters.
pub(super) struct WorkerThread {
    index: usize,
    commands: Receiver<WorkerCommand>,
    events: MediaEventSender,
    published: Arc<Mutex<WorkerStats>>,
    failures: Arc<AtomicU64>,
    held: HeldCommands,
    /// The counters of the thread's failed workers, so that what it publishes never goes back.
    retired: WorkerStats,
}

impl WorkerThread {
    /// The thread of worker `index`, taking `commands`, passing the worker's events on to
    /// `events`, publishing its counters (its failed workers' included) in `published` each
    /// tick, counting its workers' failures in `failures` and counting off in `backlog` each
    /// command it is done with.
    pub(super) fn new(
        index: usize,
        commands: Receiver<WorkerCommand>,
        events: MediaEventSender,
        published: Arc<Mutex<WorkerStats>>,
        failures: Arc<AtomicU64>,
        backlog: Arc<MediaBacklog>,
    ) -> WorkerThread {
        WorkerThread {
            index,
            commands,
            events,
            published,
            failures,
            held: HeldCommands::new(index, backlog),
            retired: WorkerStats::default(),
        }
    }

    /// Runs a worker and its packet I/O made by `start` (given how many workers failed before
    /// it) until the pool or the event receiver is gone. When the worker panics, its losses go
    /// out as events (each leg lost, so the core ends its call; each recording ended), its
    /// sockets close, and after [`RESTART_PAUSE`] the next worker serves the commands that
    /// follow.
    pub(super) fn serve(mut self, start: impl Fn(u64) -> (Worker, Box<dyn PacketIo>)) {
        for generation in 0.. {
            let (mut worker, mut io) = start(generation);
            let ran = catch_unwind(AssertUnwindSafe(|| self.run(&mut worker, io.as_mut())));
            let Err(panic) = ran else {
                return;
            };
            drop(io);
            self.failures.fetch_add(1, Ordering::Relaxed);
            self.retired.accumulate(&worker.stats());
            let losses = worker.into_losses();
            let why = crate::panics::message(panic.as_ref());
            tracing::error!(
                worker = self.index,
                generation,
                "the media worker failed ({why}): its calls end and its recordings stop, \
                 and a new worker takes its place"
            );
            for event in losses {
                if self.events.send(event).is_err() {
                    return;
                }
            }
            std::thread::sleep(RESTART_PAUSE);
        }
    }

    /// Ticks on the worker's deadlines, reading every leg's packets just before each tick and
    /// sending what it makes right after; applies commands as they come in between. Returns when
    /// the pool or the event receiver is gone.
    fn run(&mut self, worker: &mut Worker, io: &mut dyn PacketIo) {
        loop {
            let deadline = worker.poll_timeout().unwrap_or_else(Instant::now);
            while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
                match self.commands.recv_timeout(wait) {
                    Ok(command) => {
                        self.held.apply(worker, io, &self.events, command);
                        if !self.deliver(worker, io) {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            let now = Instant::now();
            // Half a tick after one, the wake only sends the packets that waited for it.
            let tick = worker.next_tick();
            let tick_due = now >= tick;
            if tick_due {
                // The packets are read at the tick, so what arrived was there by its deadline
                // (the wake-up comes a little after): stamped so, it plays in this tick, where
                // `now` would hold it back a whole tick.
                io.receive(worker, tick);
            }
            worker.handle_timeout(now);
            if tick_due {
                let mut stats = self.retired;
                stats.accumulate(&worker.stats());
                *self.published.lock().unwrap_or_else(|p| p.into_inner()) = stats;
            }
            if !self.deliver(worker, io) {
                return;
            }
        }
    }

    // Sends the worker's packets and passes on its events; false once nobody listens.
    fn deliver(&self, worker: &mut Worker, io: &mut dyn PacketIo) -> bool {
        io.send(worker);
        while let Some(event) = worker.poll_event() {
            if self.events.send(event).is_err() {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::event_queue::{MediaEventReceiver, media_event_queue};
    use crate::rtp_ports::LegSockets;
    use std::net::SocketAddr;
    use std::sync::mpsc::{Sender, channel};
    use std::thread::JoinHandle;
    use switchyard_media::{LegId, MediaEvent, RoomId, WorkerConfig, recording_queue};

    /// The leg [`FailingIo`] cannot take.
    const POISON: LegId = LegId(13);

    /// The leg [`FailingIo`] takes but cannot give back.
    const STUCK: LegId = LegId(14);

    /// Packet I/O that fails (panics) when given [`POISON`]'s socket, as a bug would.
    struct FailingIo;

    impl PacketIo for FailingIo {
        fn name(&self) -> &'static str {
            "failing"
        }

        fn add(&mut self, leg: LegId, _sockets: LegSockets) {
            assert_ne!(leg, POISON, "a leg this packet I/O fails on");
        }

        fn remove(&mut self, _worker: &mut Worker, leg: LegId) -> Option<LegSockets> {
            assert_ne!(leg, STUCK, "a leg this packet I/O fails to give back");
            None
        }

        fn receive(&mut self, _worker: &mut Worker, _arrived: Instant) {}

        fn send(&mut self, worker: &mut Worker) {
            while let Some(transmit) = worker.poll_transmit() {
                worker.recycle(transmit.payload);
            }
        }
    }

    fn add_leg(leg: LegId) -> WorkerCommand {
        WorkerCommand::AddLeg {
            leg,
            params: crate::media::pcmu_leg(SocketAddr::from(([127, 0, 0, 1], 9))),
            sockets: LegSockets::loopback(),
        }
    }

    /// The events that arrive within 5 s, until `count` have.
    fn next_events(events: &mut MediaEventReceiver, count: usize) -> Vec<MediaEvent> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        while got.len() < count && Instant::now() < deadline {
            match events.try_recv() {
                Ok(event) => got.push(event),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        got
    }

    /// Worker thread 0 of a pool of one, not serving yet, and the ends a test holds of it.
    struct Rig {
        thread: WorkerThread,
        commands: Sender<WorkerCommand>,
        reported: MediaEventReceiver,
        published: Arc<Mutex<WorkerStats>>,
        failures: Arc<AtomicU64>,
        backlog: Arc<MediaBacklog>,
    }

    fn rig() -> Rig {
        let (commands, inbox) = channel();
        let (events, reported, _) = media_event_queue();
        let published = Arc::new(Mutex::new(WorkerStats::default()));
        let failures = Arc::new(AtomicU64::new(0));
        let backlog = Arc::new(MediaBacklog::new(1));
        let thread = WorkerThread::new(
            0,
            inbox,
            events,
            published.clone(),
            failures.clone(),
            backlog.clone(),
        );
        Rig {
            thread,
            commands,
            reported,
            published,
            failures,
            backlog,
        }
    }

    /// Serves `thread` on a thread of its own, each of its workers over [`FailingIo`] and
    /// `started` called with the generation of each as it starts.
    fn serve_failing(
        thread: WorkerThread,
        started: impl Fn(u64) + Send + 'static,
    ) -> JoinHandle<()> {
        std::thread::spawn(move || {
            thread.serve(|generation| {
                started(generation);
                let worker = Worker::new(WorkerConfig::default(), Instant::now(), generation);
                (worker, Box::new(FailingIo) as Box<dyn PacketIo>)
            });
        })
    }

    /// Ends the pool, whose thread ends once the sender of its commands is gone.
    fn stop(commands: Sender<WorkerCommand>, serving: JoinHandle<()>) {
        drop(commands);
        serving.join().expect("the thread ends with its pool");
    }

    /// The commands still counted for worker 0 once none are, or once 5 s have passed.
    fn waiting_once_drained(backlog: &MediaBacklog) -> usize {
        let deadline = Instant::now() + Duration::from_secs(5);
        while backlog.waiting(0) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        backlog.waiting(0)
    }

    /// Whether the worker expecting `leg` hears within 5 s that it is lost.
    fn told_lost(expecting: &Receiver<WorkerCommand>, leg: LegId) -> bool {
        let told = expecting.recv_timeout(Duration::from_secs(5));
        matches!(told, Ok(WorkerCommand::Lost(lost)) if lost == leg)
    }

    #[test]
    fn a_move_cut_short_by_a_failure_tells_the_worker_expecting_the_leg_it_will_not_come() {
        let mut rig = rig();
        let serving = serve_failing(rig.thread, |_| {});
        let (to, expecting) = crate::media::test_inbox();
        rig.commands.send(add_leg(STUCK)).unwrap();
        rig.commands
            .send(WorkerCommand::Detach { leg: STUCK, to })
            .unwrap();
        assert!(
            told_lost(&expecting, STUCK),
            "the worker expecting the leg hears it is lost"
        );
        let lost = next_events(&mut rig.reported, 1);
        assert_eq!(lost, [MediaEvent::LegLost { leg: STUCK }]);
        stop(rig.commands, serving);
    }

    #[test]
    fn a_worker_counts_off_each_command_it_takes_once_it_runs() {
        let rig = rig();
        // Counted as the core counts them, while the worker does not run.
        rig.commands.send(add_leg(LegId(1))).unwrap();
        for _ in 0..1000 {
            rig.commands
                .send(WorkerCommand::SetGain(LegId(1), -6.0))
                .unwrap();
        }
        (0..1001).for_each(|_| rig.backlog.add(0));
        assert_eq!(rig.backlog.waiting(0), 1001);
        let serving = serve_failing(rig.thread, |_| {});
        assert_eq!(
            waiting_once_drained(&rig.backlog),
            0,
            "the worker took them all"
        );
        stop(rig.commands, serving);
    }

    #[test]
    fn what_waited_for_a_leg_whose_arrival_failed_is_counted_off_and_not_held() {
        let mut rig = rig();
        let serving = serve_failing(rig.thread, |_| {});
        // Each counted as the core counts it.
        let send = |command| {
            rig.backlog.add(0);
            rig.commands.send(command).unwrap();
        };
        send(WorkerCommand::Expect(POISON));
        send(WorkerCommand::SetGain(POISON, -6.0));
        send(add_leg(POISON));
        assert_eq!(
            next_events(&mut rig.reported, 1),
            [MediaEvent::LegLost { leg: POISON }]
        );
        // The core ends the lost leg's call: its removal is carried out, not held.
        send(WorkerCommand::RemoveLeg(POISON));
        assert_eq!(
            waiting_once_drained(&rig.backlog),
            0,
            "nothing waits for the lost leg"
        );
        stop(rig.commands, serving);
    }

    #[test]
    fn a_leg_whose_arrival_fails_before_the_worker_holds_it_is_reported_lost() {
        let mut rig = rig();
        let serving = serve_failing(rig.thread, |_| {});
        rig.commands.send(add_leg(POISON)).unwrap();
        assert_eq!(
            next_events(&mut rig.reported, 1),
            [MediaEvent::LegLost { leg: POISON }],
            "a new leg"
        );
        let mut leaving = Worker::new(WorkerConfig::default(), Instant::now(), 1);
        let remote = SocketAddr::from(([127, 0, 0, 1], 9));
        leaving.add_leg(Instant::now(), POISON, crate::media::pcmu_leg(remote));
        let state = leaving.detach(POISON).expect("the leg leaves its worker");
        rig.commands
            .send(WorkerCommand::Attach {
                leg: POISON,
                state,
                sockets: LegSockets::loopback(),
            })
            .unwrap();
        assert_eq!(
            next_events(&mut rig.reported, 1),
            [MediaEvent::LegLost { leg: POISON }],
            "a leg handed over"
        );
        stop(rig.commands, serving);
    }

    #[test]
    fn a_leg_whose_arrival_failed_is_lost_to_the_worker_it_was_to_move_on_to() {
        let rig = rig();
        let serving = serve_failing(rig.thread, |_| {});
        // Moved on before it arrived: the handover waits for the arrival, which fails.
        let (to, expecting) = crate::media::test_inbox();
        rig.commands.send(WorkerCommand::Expect(POISON)).unwrap();
        rig.commands
            .send(WorkerCommand::Detach { leg: POISON, to })
            .unwrap();
        rig.commands.send(add_leg(POISON)).unwrap();
        assert!(
            told_lost(&expecting, POISON),
            "the worker expecting the leg hears it is lost"
        );
        stop(rig.commands, serving);
    }

    #[test]
    fn a_failed_worker_loses_its_legs_and_recordings_and_a_new_one_serves_what_follows() {
        let Rig {
            thread,
            commands,
            mut reported,
            published,
            failures,
            ..
        } = rig();
        let (started, generations) = channel();
        let serving = serve_failing(thread, move |generation| {
            let _ = started.send(generation);
        });
        let wait = Duration::from_secs(5);
        assert_eq!(generations.recv_timeout(wait), Ok(0));
        let room = RoomId("board".into());
        let (tap, recorded) = recording_queue(4);
        commands.send(add_leg(LegId(1))).unwrap();
        commands
            .send(WorkerCommand::StartRecording(room.clone(), tap))
            .unwrap();
        let ticks = || published.lock().unwrap().ticks;
        let deadline = Instant::now() + wait;
        while ticks() < 5 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        commands.send(add_leg(POISON)).unwrap();
        // What the thread publishes, sampled across the failure and the restart.
        let mut published_ticks = Vec::new();
        let mut restarted = None;
        while restarted.is_none_or(|at: Instant| at.elapsed() < Duration::from_millis(200))
            && Instant::now() < deadline + wait
        {
            published_ticks.push(ticks());
            if restarted.is_none() && generations.try_recv() == Ok(1) {
                restarted = Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(restarted.is_some(), "a new worker started");
        assert!(published_ticks[0] >= 5, "{published_ticks:?}");
        assert!(
            published_ticks.windows(2).all(|pair| pair[0] <= pair[1]),
            "the counters count on from the failed worker's: {published_ticks:?}"
        );
        // The leg whose arrival failed first, as the worker unwinds, then what it held.
        let lost = next_events(&mut reported, 3);
        assert!(
            matches!(
                lost.as_slice(),
                [
                    MediaEvent::LegLost { leg: POISON },
                    MediaEvent::LegLost { leg: LegId(1) },
                    MediaEvent::RecordingLost { room: ended, .. },
                ] if *ended == room
            ),
            "{lost:?}"
        );
        // The tap went with the failed worker: the writer reads to the end.
        let end = (0..1000)
            .map(|_| recorded.recv_timeout(wait))
            .find_map(Result::err);
        assert_eq!(end, Some(RecvTimeoutError::Disconnected));

        // The next worker serves what follows, without its predecessor's legs: failing in
        // turn, it loses only its own.
        commands.send(add_leg(LegId(2))).unwrap();
        commands.send(add_leg(POISON)).unwrap();
        let lost = next_events(&mut reported, 2);
        assert_eq!(
            lost,
            [
                MediaEvent::LegLost { leg: POISON },
                MediaEvent::LegLost { leg: LegId(2) },
            ]
        );
        assert_eq!(generations.recv_timeout(wait), Ok(2));
        assert_eq!(failures.load(Ordering::Relaxed), 2);

        stop(commands, serving);
    }
}
