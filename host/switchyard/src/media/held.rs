//! The commands a worker holds for legs on their way to it, until they arrive
//! or are lost on the way; and what is played into a room that has no member
//! here while a leg is on its way to join it, which waits for that leg (a
//! worker plays nothing into a room with no member here).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use switchyard_core::MediaBacklog;
use switchyard_media::{LegId, RoomId, Worker};

use super::event_queue::MediaEventSender;
use super::packet_io::PacketIo;
use super::{WorkerCommand, execute};

/// The commands held for legs on their way to a worker, by leg: one queue per
/// arrival expected, from the leg's [`WorkerCommand::Expect`] to its arrival
/// ([`WorkerCommand::AddLeg`], [`WorkerCommand::Attach`]) or its loss
/// ([`WorkerCommand::Lost`]). A leg may be expected again before it first
/// arrived (moved here, away and back): what was sent after the second
/// `Expect` waits for the second arrival.
///
/// Every `Expect` is answered: the pool sends the leg's
/// [`WorkerCommand::Detach`] to the worker it leaves right after it, and that
/// worker answers with the leg's `Attach` or its `Lost`, also when it fails
/// during the handover or before it (its successor, without the leg, answers
/// `Lost`) and when it holds the `Detach` for the leg's own arrival (a loss is
/// passed on). So a queue lasts no longer than the leaving worker takes to
/// reach the `Detach`; it holds whatever is sent for the leg meanwhile, each
/// command counted in the worker's backlog until it is carried out or dropped.
/// Held commands are taken out before the leg's arrival is carried out (see
/// [`Taken`]): a worker failing on the arrival or on one of them leaves none held.
pub(super) struct HeldCommands {
    held: HashMap<LegId, VecDeque<Vec<WorkerCommand>>>,
    tally: Tally,
}

/// Where a worker counts off the commands it is done with.
#[derive(Clone)]
struct Tally {
    /// The worker's number in `backlog`.
    worker: usize,
    backlog: Arc<MediaBacklog>,
}

impl Tally {
    /// The worker is done with one command.
    fn done(&self) {
        self.backlog.done(self.worker);
    }

    /// A held command that will not be carried out: counted off, and a handover of
    /// the leg answered as its loss to the worker expecting it (every `Expect` is
    /// answered).
    fn drop_held(&self, command: WorkerCommand) {
        self.done();
        if let WorkerCommand::Detach { leg, to } = command {
            to.forward(WorkerCommand::Lost(leg));
        }
    }
}

/// Held commands taken out to be carried out in order. Those still in it when it
/// is dropped, which happens only when one before them panicked and the worker
/// with it, are [dropped as held commands](Tally::drop_held): the worker that takes
/// the failed one's place never gets them.
struct Taken {
    commands: std::vec::IntoIter<WorkerCommand>,
    tally: Tally,
}

impl Iterator for Taken {
    type Item = WorkerCommand;

    fn next(&mut self) -> Option<WorkerCommand> {
        self.commands.next()
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        for command in self.commands.by_ref() {
            self.tally.drop_held(command);
        }
    }
}

impl HeldCommands {
    /// Nothing held yet for worker number `worker`, which counts off in `backlog` each
    /// command it is done with.
    pub(super) fn new(worker: usize, backlog: Arc<MediaBacklog>) -> HeldCommands {
        HeldCommands {
            held: HashMap::new(),
            tally: Tally { worker, backlog },
        }
    }

    /// Carries out `command` (see [`execute`]), or holds it while a leg it
    /// concerns is on its way; an arriving leg's held commands follow it in
    /// order.
    pub(super) fn apply(
        &mut self,
        worker: &mut Worker,
        io: &mut dyn PacketIo,
        events: &MediaEventSender,
        command: WorkerCommand,
    ) {
        self.dispatch(worker, io, events, command, None);
    }

    /// [`apply`](Self::apply), with the commands held for `arrived`'s arrival
    /// now carried out for it, even while it is expected again later.
    fn dispatch(
        &mut self,
        worker: &mut Worker,
        io: &mut dyn PacketIo,
        events: &MediaEventSender,
        command: WorkerCommand,
        arrived: Option<LegId>,
    ) {
        let command = match command {
            WorkerCommand::Expect(leg) => {
                self.tally.done();
                self.held.entry(leg).or_default().push_back(Vec::new());
                return;
            }
            WorkerCommand::Lost(leg) => {
                self.tally.done();
                return self.lost(worker, io, events, leg);
            }
            command => command,
        };
        let arriving = match &command {
            WorkerCommand::AddLeg { leg, .. } | WorkerCommand::Attach { leg, .. } => Some(*leg),
            _ => None,
        };
        if arriving.is_none()
            && let Some(held) = command
                .legs()
                .into_iter()
                .flatten()
                .find(|l| Some(*l) != arrived && self.held.contains_key(l))
        {
            if let Some(queue) = self.held.get_mut(&held).and_then(VecDeque::back_mut) {
                queue.push(command);
            }
            return;
        }
        if let Some(room) = command.announced_room()
            && let Some(index) = self.queue_for(room, worker.has_members(room))
            && let Some(queue) = self.held.values_mut().flatten().nth(index)
        {
            queue.push(command);
            return;
        }
        // Taken out before the leg is added: should that fail, what waited for the leg
        // is not held for it for ever.
        let arrival = arriving.and_then(|leg| Some((leg, self.next_arrival(leg)?)));
        let joined = match &command {
            WorkerCommand::Join(_, room) => Some(room.clone()),
            _ => None,
        };
        self.execute(worker, io, events, command);
        // The room has a member now: what was played into it meanwhile plays.
        if let Some(room) = joined {
            for command in self.take_announced(&room) {
                self.execute(worker, io, events, command);
            }
        }
        if let Some((leg, queue)) = arrival {
            for command in queue {
                self.dispatch(worker, io, events, command, Some(leg));
            }
        }
    }

    /// [`execute`]s `command`, counted off first: a command the worker fails on is done with
    /// too.
    fn execute(
        &self,
        worker: &mut Worker,
        io: &mut dyn PacketIo,
        events: &MediaEventSender,
        command: WorkerCommand,
    ) {
        self.tally.done();
        execute(worker, io, events, command);
    }

    /// `commands`, to be carried out in order.
    fn taken(&self, commands: Vec<WorkerCommand>) -> Taken {
        Taken {
            commands: commands.into_iter(),
            tally: self.tally.clone(),
        }
    }

    /// Where, among the queues held for arrivals (in the order of `held`'s values, flattened),
    /// a command starting or stopping `room`'s announcement waits: after one held before it,
    /// so that they keep their order; else, while the room has no member here, after a leg's
    /// join into it. `None`: it is carried out now.
    fn queue_for(&self, room: &RoomId, has_members: bool) -> Option<usize> {
        let queues = || self.held.values().flatten();
        let announced = |queue: &Vec<WorkerCommand>| {
            queue
                .iter()
                .any(|command| command.announced_room() == Some(room))
        };
        let joins = |queue: &Vec<WorkerCommand>| queue.iter().any(|command| command.joins(room));
        queues()
            .position(announced)
            .or_else(|| (!has_members).then(|| queues().position(joins)).flatten())
    }

    /// The commands starting or stopping `room`'s announcement that wait for an arrival, taken
    /// out in order.
    fn take_announced(&mut self, room: &RoomId) -> Taken {
        let mut taken = Vec::new();
        for queue in self.held.values_mut().flatten() {
            taken.extend(queue.extract_if(.., |command| command.announced_room() == Some(room)));
        }
        self.taken(taken)
    }

    /// The commands held for `leg`'s arrival now, taken out; the leg's entry goes
    /// with its last expected arrival.
    fn next_arrival(&mut self, leg: LegId) -> Option<Taken> {
        let arrivals = self.held.get_mut(&leg)?;
        let queue = arrivals.pop_front();
        if arrivals.is_empty() {
            self.held.remove(&leg);
        }
        Some(self.taken(queue?))
    }

    /// The leg expected here will not come: what is held for it concerns a
    /// leg this worker never had (its removal included), so it goes; a worker
    /// it was to move on to is told in turn. What was played into a room, or
    /// stopped, while it waited for the leg is carried out now for the room's
    /// members (or waits for the next leg on its way there).
    fn lost(
        &mut self,
        worker: &mut Worker,
        io: &mut dyn PacketIo,
        events: &MediaEventSender,
        leg: LegId,
    ) {
        for command in self.next_arrival(leg).into_iter().flatten() {
            if command.announced_room().is_some() {
                self.dispatch(worker, io, events, command, None);
            } else {
                self.tally.drop_held(command);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::event_queue::media_event_queue;
    use crate::media::{Inbox, test_inbox};
    use crate::rtp_ports::LegSockets;
    use std::net::SocketAddr;
    use std::sync::mpsc::Receiver;
    use std::time::Instant;
    use switchyard_media::{LegParams, MediaEvent, WorkerConfig};

    const LEG: LegId = LegId(7);

    /// Packet I/O whose sockets cannot be handed over, as io_uring's when no
    /// descriptor is free to duplicate one.
    struct NoHandover;

    impl PacketIo for NoHandover {
        fn name(&self) -> &'static str {
            "no handover"
        }

        fn add(&mut self, _leg: LegId, _sockets: LegSockets) {}

        fn remove(&mut self, _worker: &mut Worker, _leg: LegId) -> Option<LegSockets> {
            None
        }

        fn receive(&mut self, _worker: &mut Worker, _arrived: Instant) {}

        fn send(&mut self, _worker: &mut Worker) {}
    }

    fn params() -> LegParams {
        crate::media::pcmu_leg(SocketAddr::from(([127, 0, 0, 1], 9)))
    }

    /// A worker thread's state, without the thread: its worker, the commands
    /// it holds, and its inbox.
    struct Side {
        worker: Worker,
        held: HeldCommands,
        inbox: Receiver<WorkerCommand>,
        address: Inbox,
    }

    impl Side {
        fn new() -> Side {
            let (address, inbox) = test_inbox();
            Side {
                worker: Worker::new(WorkerConfig::default(), Instant::now(), 1),
                held: HeldCommands::new(0, address.backlog.clone()),
                inbox,
                address,
            }
        }

        fn apply(&mut self, events: &MediaEventSender, command: WorkerCommand) {
            self.held
                .apply(&mut self.worker, &mut NoHandover, events, command);
        }

        /// Applies everything in its inbox.
        fn run(&mut self, events: &MediaEventSender) {
            while let Ok(command) = self.inbox.try_recv() {
                self.apply(events, command);
            }
        }
    }

    #[test]
    fn a_failed_handover_frees_what_the_new_worker_held_and_ends_the_call() {
        let (events, mut reported, _) = media_event_queue();
        let (mut from, mut to) = (Side::new(), Side::new());
        from.worker.add_leg(Instant::now(), LEG, params());
        // The core moves the leg, then hangs up before it arrives.
        to.apply(&events, WorkerCommand::Expect(LEG));
        to.apply(&events, WorkerCommand::SetMuted(LEG, true));
        to.apply(&events, WorkerCommand::RemoveLeg(LEG));
        assert_eq!(to.held.held[&LEG][0].len(), 2, "held until the leg comes");
        let detach = WorkerCommand::Detach {
            leg: LEG,
            to: to.address.clone(),
        };
        from.apply(&events, detach);
        to.run(&events);
        assert!(to.held.held.is_empty(), "nothing is held for the lost leg");
        assert_eq!(
            reported.try_recv().ok(),
            Some(MediaEvent::LegLost { leg: LEG }),
            "the core hears the leg is gone"
        );
        assert!(
            from.worker.detach(LEG).is_none(),
            "the old worker let the leg go"
        );
    }

    #[test]
    fn a_worker_told_to_hand_over_a_leg_it_does_not_have_frees_the_worker_expecting_it() {
        let (events, mut reported, _) = media_event_queue();
        // As a worker that replaced a failed one: the leg went with its predecessor.
        let (mut from, mut to) = (Side::new(), Side::new());
        to.apply(&events, WorkerCommand::Expect(LEG));
        to.apply(&events, WorkerCommand::SetGain(LEG, 6.0));
        let detach = WorkerCommand::Detach {
            leg: LEG,
            to: to.address.clone(),
        };
        from.apply(&events, detach);
        to.run(&events);
        assert!(to.held.held.is_empty(), "nothing is held for the leg");
        assert_eq!(
            reported.try_recv().ok(),
            Some(MediaEvent::LegLost { leg: LEG })
        );
    }

    #[test]
    fn what_waits_for_a_leg_stays_counted_until_carried_out_or_dropped() {
        let (events, _reported, _) = media_event_queue();
        let (mut from, mut to) = (Side::new(), Side::new());
        let backlog = to.address.backlog.clone();
        // Sent as the core counts them: each by one.
        let send = |side: &mut Side, command| {
            side.address.backlog.add(0);
            side.apply(&events, command);
        };
        send(&mut to, WorkerCommand::Expect(LEG));
        send(&mut to, WorkerCommand::SetMuted(LEG, true));
        send(&mut to, WorkerCommand::SetGain(LEG, 6.0));
        assert_eq!(backlog.waiting(0), 2, "what waits for the leg counts");
        // The handover fails: the worker expecting the leg is told, counted on it.
        from.worker.add_leg(Instant::now(), LEG, params());
        let detach = WorkerCommand::Detach {
            leg: LEG,
            to: to.address.clone(),
        };
        send(&mut from, detach);
        assert_eq!(from.address.backlog.waiting(0), 0);
        assert_eq!(backlog.waiting(0), 3, "the loss is on its way");
        to.run(&events);
        assert_eq!(backlog.waiting(0), 0, "what was held went with the leg");

        // A leg that arrives: what waited for it is carried out, and counted off.
        send(&mut to, WorkerCommand::Expect(LEG));
        send(&mut to, WorkerCommand::SetDeaf(LEG, true));
        send(&mut to, WorkerCommand::RearmRtpTimeout(LEG));
        assert_eq!(backlog.waiting(0), 2);
        let arrival = WorkerCommand::AddLeg {
            leg: LEG,
            params: params(),
            sockets: LegSockets::loopback(),
        };
        send(&mut to, arrival);
        assert_eq!(backlog.waiting(0), 0);
    }

    /// Packet I/O that keeps each leg's sockets and hands them over.
    #[derive(Default)]
    struct Sockets(HashMap<LegId, LegSockets>);

    impl PacketIo for Sockets {
        fn name(&self) -> &'static str {
            "sockets kept"
        }

        fn add(&mut self, leg: LegId, sockets: LegSockets) {
            self.0.insert(leg, sockets);
        }

        fn remove(&mut self, _worker: &mut Worker, leg: LegId) -> Option<LegSockets> {
            self.0.remove(&leg)
        }

        fn receive(&mut self, _worker: &mut Worker, _arrived: Instant) {}

        fn send(&mut self, _worker: &mut Worker) {}
    }

    #[test]
    fn what_was_sent_after_a_second_expect_waits_for_the_second_arrival() {
        let (events, _reported, _) = media_event_queue();
        let mut worker = Worker::new(WorkerConfig::default(), Instant::now(), 1);
        let (elsewhere, away) = test_inbox();
        let mut held = HeldCommands::new(0, Arc::new(MediaBacklog::new(1)));
        let mut io = Sockets::default();
        // The leg is moved here, away again and back, before it first arrives.
        for command in [
            WorkerCommand::Expect(LEG),
            WorkerCommand::SetMuted(LEG, true),
            WorkerCommand::Detach {
                leg: LEG,
                to: elsewhere,
            },
            WorkerCommand::Expect(LEG),
            WorkerCommand::SetMuted(LEG, false),
        ] {
            held.apply(&mut worker, &mut io, &events, command);
        }
        let arrival = WorkerCommand::AddLeg {
            leg: LEG,
            params: params(),
            sockets: LegSockets::loopback(),
        };
        held.apply(&mut worker, &mut io, &events, arrival);
        assert!(
            matches!(away.try_recv(), Ok(WorkerCommand::Attach { leg: LEG, .. })),
            "the first arrival's commands ran: the leg moved on"
        );
        assert_eq!(
            held.held[&LEG].len(),
            1,
            "the second arrival's commands wait for it"
        );
        assert!(matches!(
            held.held[&LEG][0][..],
            [WorkerCommand::SetMuted(LEG, false)]
        ));
    }

    #[test]
    fn a_leg_lost_before_it_moved_on_frees_the_worker_after_too() {
        let (events, mut reported, _) = media_event_queue();
        let (mut first, mut second, mut third) = (Side::new(), Side::new(), Side::new());
        // Moved from the first worker to the second, then on to the third
        // before it reached the second.
        second.apply(&events, WorkerCommand::Expect(LEG));
        first.apply(
            &events,
            WorkerCommand::Detach {
                leg: LEG,
                to: second.address.clone(),
            },
        );
        third.apply(&events, WorkerCommand::Expect(LEG));
        second.apply(
            &events,
            WorkerCommand::Detach {
                leg: LEG,
                to: third.address.clone(),
            },
        );
        second.run(&events);
        third.run(&events);
        assert!(second.held.held.is_empty());
        assert!(third.held.held.is_empty());
        assert_eq!(
            reported.try_recv().ok(),
            Some(MediaEvent::LegLost { leg: LEG })
        );
        assert!(reported.try_recv().is_err(), "the loss is reported once");
    }

    /// A looped tone played into `room`.
    fn music_into(room: &RoomId) -> WorkerCommand {
        WorkerCommand::Announce {
            room: room.clone(),
            prompts: vec![std::sync::Arc::new(switchyard_media::Prompt::from_pcm(
                vec![8000; 160],
            ))],
            looped: true,
        }
    }

    /// What `worker` sends its leg at its next tick, as μ-law bytes.
    fn next_frame(worker: &mut Worker) -> Vec<u8> {
        worker.handle_timeout(worker.next_tick());
        let mut payload = Vec::new();
        while let Some(transmit) = worker.poll_transmit() {
            if transmit.payload[1] & 0x7f == 0 {
                payload = transmit.payload[12..].to_vec();
            }
        }
        payload
    }

    /// A worker thread's state once the core moved [`LEG`] to it into room `hold`, played a
    /// looped tone into that room, then sent `later`, all before the leg arrived; with how
    /// many commands wait for the leg, and the room.
    fn moved_into_a_room_playing(later: Vec<WorkerCommand>) -> (Side, usize, RoomId) {
        let (events, _reported, _) = media_event_queue();
        let mut side = Side::new();
        let room = RoomId("hold".into());
        let first = [
            WorkerCommand::Expect(LEG),
            WorkerCommand::Join(LEG, room.clone()),
            music_into(&room),
        ];
        for command in first.into_iter().chain(later) {
            side.apply(&events, command);
        }
        let waiting = side.held.held[&LEG][0].len();
        let arrival = WorkerCommand::AddLeg {
            leg: LEG,
            params: params(),
            sockets: LegSockets::loopback(),
        };
        side.apply(&events, arrival);
        assert!(side.held.held.is_empty());
        (side, waiting, room)
    }

    #[test]
    fn what_is_played_into_a_room_waits_for_the_leg_on_its_way_to_join_it() {
        let (mut side, waiting, room) = moved_into_a_room_playing(Vec::new());
        assert_eq!(waiting, 2, "held with the join");
        let heard = next_frame(&mut side.worker);
        assert!(
            heard.iter().any(|&b| b != 0xff),
            "the music is heard: {heard:?}"
        );
        // Stopped: at once, now that the leg is here.
        let (events, _reported, _) = media_event_queue();
        side.apply(&events, WorkerCommand::StopAnnouncement(room));
        assert!(next_frame(&mut side.worker).iter().all(|&b| b == 0xff));
    }

    #[test]
    fn a_stop_follows_the_announcement_it_stops_while_both_wait() {
        let (mut side, waiting, _) = moved_into_a_room_playing(vec![
            WorkerCommand::StopAnnouncement(RoomId("hold".into())),
            // Another room's waits for nobody (and is ignored: nobody is there).
            WorkerCommand::StopAnnouncement(RoomId("elsewhere".into())),
        ]);
        assert_eq!(waiting, 3);
        assert!(next_frame(&mut side.worker).iter().all(|&b| b == 0xff));
    }

    #[test]
    fn music_waiting_for_a_leg_plays_as_soon_as_a_leg_already_here_joins_the_room() {
        const HERE: LegId = LegId(8);
        let (events, _reported, _) = media_event_queue();
        let mut side = Side::new();
        let room = RoomId("hold".into());
        for command in [
            WorkerCommand::AddLeg {
                leg: HERE,
                params: params(),
                sockets: LegSockets::loopback(),
            },
            WorkerCommand::Expect(LEG),
            WorkerCommand::Join(LEG, room.clone()),
            music_into(&room),
            WorkerCommand::Join(HERE, room.clone()),
        ] {
            side.apply(&events, command);
        }
        assert_eq!(side.held.held[&LEG][0].len(), 1, "only the join waits");
        let heard = next_frame(&mut side.worker);
        assert!(heard.iter().any(|&b| b != 0xff), "{heard:?}");
        // The leg on its way is lost; the room's music goes on, and stops when told.
        side.apply(&events, WorkerCommand::Lost(LEG));
        assert!(side.held.held.is_empty());
        assert!(next_frame(&mut side.worker).iter().any(|&b| b != 0xff));
        side.apply(&events, WorkerCommand::StopAnnouncement(room));
        assert!(next_frame(&mut side.worker).iter().all(|&b| b == 0xff));
    }

    #[test]
    fn what_waited_for_a_lost_leg_is_carried_out_for_the_room_as_it_is() {
        let (events, _reported, _) = media_event_queue();
        let mut side = Side::new();
        let room = RoomId("hold".into());
        for command in [
            WorkerCommand::Expect(LEG),
            WorkerCommand::Join(LEG, room.clone()),
            music_into(&room),
            WorkerCommand::Lost(LEG),
        ] {
            side.apply(&events, command);
        }
        assert!(side.held.held.is_empty(), "nothing left waiting");
        assert!(!side.worker.has_members(&room), "nobody to play it to");
    }
}
