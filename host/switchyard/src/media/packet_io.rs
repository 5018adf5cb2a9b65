//! How a worker thread moves its legs' RTP: io_uring where the kernel allows it, else a sweep
//! of every socket each tick.

use std::time::Instant;

use switchyard_media::{LegId, Worker};

use crate::rtp_ports::LegSockets;

/// The largest datagram read from an RTP socket; a longer one is cut (no audio payload we
/// negotiate comes near it).
pub(super) const MAX_DATAGRAM: usize = 2048;
/// The most datagrams the sweep reads from one socket per tick, and the most rounds of
/// completions io_uring reaps per tick (each round at most a buffer per leg and a few): a
/// flood on one leg cannot hold the tick.
pub(super) const MAX_READS_PER_TICK: usize = 64;

/// A worker's RTP and RTCP sockets and how it reads and writes them.
pub(super) trait PacketIo {
    /// What it is, for the log.
    fn name(&self) -> &'static str;
    /// Takes the leg's sockets and starts receiving on them.
    fn add(&mut self, leg: LegId, sockets: LegSockets);
    /// Stops using the leg's sockets and returns them (to hand them to another worker); `None`
    /// for an unknown leg. Every packet already taken from them is handed to `worker` first
    /// (call it while the worker still holds the leg); what arrives later waits in the sockets
    /// for their next owner.
    fn remove(&mut self, worker: &mut Worker, leg: LegId) -> Option<LegSockets>;
    /// Hands `worker` every packet that arrived since the last call, stamped `arrived`: those
    /// of RTP sockets to [`Worker::handle_rtp`], those of RTCP sockets to
    /// [`Worker::handle_rtcp`].
    fn receive(&mut self, worker: &mut Worker, arrived: Instant);
    /// Sends every packet `worker` has queued, each from the socket it names, giving their
    /// buffers back to it.
    fn send(&mut self, worker: &mut Worker);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::send_failures::{SendFailure, SendFailures};
    use crate::media::{WorkerCommand, sweep::SweepIo, uring::UringIo};
    use std::net::{SocketAddr, UdpSocket};
    use std::sync::Arc;
    use std::time::Duration;
    use switchyard_media::WorkerConfig;

    const LEG: LegId = LegId(7);

    fn rtp(sequence: u16) -> Vec<u8> {
        rtp_rs::RtpPacketBuilder::new()
            .payload_type(0)
            .ssrc(0x5EED)
            .sequence(rtp_rs::Seq::from(sequence))
            .timestamp(u32::from(sequence) * 160)
            .payload(&[0xFF; 160])
            .build()
            .expect("a valid packet")
    }

    // Reads what `worker` receives through `io` until `count` packets came, `attempts` times at
    // most, 10 ms apart.
    fn receive_until(io: &mut dyn PacketIo, worker: &mut Worker, count: u64, attempts: u32) -> u64 {
        for _ in 0..attempts {
            io.receive(worker, Instant::now());
            if worker.stats().packets_received >= count {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        worker.stats().packets_received
    }

    // A worker with leg `LEG`, whose sockets `io` reads, and the leg's peer (reads time out
    // after 2 s); with the leg's RTP address and the worker's start.
    fn leg_and_peer(io: &mut dyn PacketIo) -> (Worker, UdpSocket, SocketAddr, Instant) {
        let (worker, peer, leg_address, _, start) = leg_with_rtcp_and_peer(io, false);
        (worker, peer, leg_address, start)
    }

    // `leg_and_peer`, with the leg's RTCP address too; the peer's SDP names its one socket
    // for RTCP too (`a=rtcp`) if `rtcp_at_peer`.
    fn leg_with_rtcp_and_peer(
        io: &mut dyn PacketIo,
        rtcp_at_peer: bool,
    ) -> (Worker, UdpSocket, SocketAddr, SocketAddr, Instant) {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let sockets = LegSockets::loopback();
        let leg_address = sockets.rtp.local_addr().unwrap();
        let rtcp_address = sockets.rtcp.local_addr().unwrap();
        let start = Instant::now();
        let mut worker = Worker::new(WorkerConfig::default(), start, 1);
        let mut params = crate::media::pcmu_leg(peer.local_addr().unwrap());
        if rtcp_at_peer {
            params.rtcp = switchyard_media::RtcpPath::Separate(peer.local_addr().unwrap());
        }
        worker.add_leg(start, LEG, params);
        io.add(LEG, sockets);
        (worker, peer, leg_address, rtcp_address, start)
    }

    /// A receiver report of the peer's, with no block.
    const RECEIVER_REPORT: [u8; 8] = [0x80, 201, 0, 1, 0, 0, 0x12, 0x34];

    // The peer's report reaches the worker through the leg's RTCP socket, and the leg's report
    // goes back from that socket to where the peer's came from (the RTCP address its SDP
    // names: before any audio, the only one followed).
    fn moves_rtcp_both_ways(io: &mut dyn PacketIo) {
        let (mut worker, peer, _, rtcp_address, start) = leg_with_rtcp_and_peer(io, true);
        peer.send_to(&RECEIVER_REPORT, rtcp_address).unwrap();
        for _ in 0..200 {
            io.receive(&mut worker, Instant::now());
            if worker.stats().rtcp_received == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(worker.stats().rtcp_received, 1, "{}", io.name());
        // The first report is due within about 3 s.
        worker.handle_timeout(start + Duration::from_secs(4));
        assert_eq!(worker.stats().rtcp_sent, 1);
        io.send(&mut worker);
        let mut buffer = [0u8; 2048];
        loop {
            let (len, from) = peer.recv_from(&mut buffer).expect("the leg's report");
            // Its RTP goes from the other socket.
            if from == rtcp_address {
                // A receiver report: the leg's first tick ran before it sent any RTP.
                assert_eq!(buffer[1], 201, "a report: {:?}", &buffer[..len]);
                break;
            }
        }
    }

    /// RFC 3550 A.8's interarrival jitter of 8 kHz packets stamped 160 units apart, the n-th
    /// arriving at `arrivals[n]` (from any one origin).
    fn jitter_of(arrivals: &[Duration]) -> Duration {
        let mut jitter = 0.0;
        for pair in arrivals.windows(2) {
            let spacing = pair[1].as_secs_f64() - pair[0].as_secs_f64();
            let transit_change = (spacing - 0.020).abs();
            jitter += (transit_change - jitter) / 16.0;
        }
        Duration::from_secs_f64(jitter)
    }

    // Sends 25 packets 20 ms apart to a leg `io` reads, reads them together, as a tick reads
    // what came since the last; returns the leg's interarrival jitter (RFC 3550 A.8), that of
    // the times they were sent at, and how far apart the two may be.
    fn jitter_and_that_of_the_send_times(io: &mut dyn PacketIo) -> (Duration, Duration, Duration) {
        let (mut worker, peer, leg_address, _) = leg_and_peer(io);
        const SENT: u16 = 25;
        let started = Instant::now();
        // When each packet was sent: the kernel stamps it between the two readings.
        let mut sent_between = Vec::new();
        for sequence in 0..SENT {
            let due = started + Duration::from_millis(20 * u64::from(sequence));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let before = Instant::now();
            peer.send_to(&rtp(sequence), leg_address).unwrap();
            sent_between.push((before, Instant::now()));
        }
        assert_eq!(
            receive_until(io, &mut worker, u64::from(SENT), 200),
            u64::from(SENT)
        );
        let jitter = worker.quality(LEG).expect("the leg").jitter;
        let sent: Vec<Duration> = sent_between
            .iter()
            .map(|(before, after)| (*before - started) + (*after - *before) / 2)
            .collect();
        // A receive time is off its packet's mid-point by half that reading's width at most,
        // the change of transit by a whole width, and so the mean of such changes; the RTP
        // clock's 125 µs units and the wallclock put on the monotonic one add a little.
        let widest = sent_between
            .iter()
            .map(|(before, after)| *after - *before)
            .max()
            .unwrap_or_default();
        (
            jitter,
            jitter_of(&sent),
            widest + Duration::from_micros(500),
        )
    }

    // Packets read together are told apart by their receive times, not the read's: the leg's
    // jitter is that of the times they were sent at on loopback, where a read time would make
    // it some 20 ms. The kernel starts stamping a moment after the first socket of the system
    // asks it to (and stops after the last closes): an attempt whose packets came before that
    // sees read times, and the next one, its sockets opened while the first's still are, does
    // not.
    #[test]
    fn io_uring_takes_each_packets_receive_time() {
        const ATTEMPTS: usize = 3;
        let mut held = Vec::new();
        let mut figures = Vec::new();
        for _ in 0..ATTEMPTS {
            let mut io = UringIo::new(Default::default()).expect("this kernel refuses io_uring");
            let (jitter, expected, tolerance) = jitter_and_that_of_the_send_times(&mut io);
            held.push(io);
            if jitter.abs_diff(expected) <= tolerance {
                return;
            }
            figures.push(format!(
                "the leg's jitter {jitter:?}, that of the send times {expected:?} \
                 (at most {tolerance:?} apart)"
            ));
        }
        panic!("in each of {ATTEMPTS} attempts: {figures:#?}");
    }

    #[test]
    fn io_uring_moves_rtcp_both_ways() {
        moves_rtcp_both_ways(
            &mut UringIo::new(Default::default()).expect("this kernel refuses io_uring"),
        );
    }

    #[test]
    fn the_sweep_moves_rtcp_both_ways() {
        moves_rtcp_both_ways(&mut SweepIo::new(Default::default()));
    }

    // A leg at ptime 10 sends its second packet of a tick half a tick after the first: removed
    // in between, it still sends that one from its socket before the socket closes.
    fn a_removed_leg_sends_the_packet_waiting_half_a_tick(io: &mut dyn PacketIo) {
        let (mut worker, peer, leg_address, start) = leg_and_peer(io);
        let params = switchyard_media::LegParams {
            ptime_ms: 10,
            ..crate::media::pcmu_leg(peer.local_addr().unwrap())
        };
        worker.update_leg(start, LEG, params);
        worker.handle_timeout(start);
        io.send(&mut worker);
        assert!(
            worker.poll_timeout() < Some(worker.next_tick()),
            "one waits"
        );
        let (events, _reported, _) = crate::media::event_queue::media_event_queue();
        crate::media::execute(&mut worker, io, &events, WorkerCommand::RemoveLeg(LEG));
        let mut buffer = [0u8; 2048];
        let mut numbers = Vec::new();
        for _ in 0..2 {
            let (len, from) = peer.recv_from(&mut buffer).expect("the leg's packets");
            assert_eq!(from, leg_address, "{}", io.name());
            let packet = rtp_rs::RtpReader::new(&buffer[..len]).expect("RTP");
            numbers.push(packet.sequence_number().into());
        }
        let numbers: Vec<u16> = numbers;
        assert_eq!(numbers[1], numbers[0].wrapping_add(1), "{}", io.name());
    }

    #[test]
    fn io_uring_sends_a_removed_leg_s_waiting_packet() {
        let mut io = UringIo::new(Default::default()).expect("this kernel refuses io_uring");
        a_removed_leg_sends_the_packet_waiting_half_a_tick(&mut io);
    }

    #[test]
    fn the_sweep_sends_a_removed_leg_s_waiting_packet() {
        a_removed_leg_sends_the_packet_waiting_half_a_tick(&mut SweepIo::new(Default::default()));
    }

    // A peer and a leg on loopback: what the peer sends reaches the worker, what the worker
    // makes reaches the peer, a removed leg's socket comes back and is read no more.
    fn moves_packets_both_ways(io: &mut dyn PacketIo) {
        let (mut worker, peer, leg_address, start) = leg_and_peer(io);
        for sequence in 0..3 {
            peer.send_to(&rtp(sequence), leg_address).unwrap();
        }
        assert_eq!(receive_until(io, &mut worker, 3, 200), 3, "{}", io.name());

        worker.handle_timeout(start);
        io.send(&mut worker);
        let mut buffer = [0u8; 2048];
        let (len, from) = peer.recv_from(&mut buffer).expect("the leg's packet");
        assert_eq!(from, leg_address);
        let packet = rtp_rs::RtpReader::new(&buffer[..len]).expect("RTP");
        assert_eq!(packet.payload().len(), 160);

        let socket = io
            .remove(&mut worker, LEG)
            .expect("the leg's sockets back")
            .rtp;
        assert_eq!(socket.local_addr().unwrap(), leg_address);
        assert!(io.remove(&mut worker, LEG).is_none());
        peer.send_to(&rtp(3), leg_address).unwrap();
        assert_eq!(receive_until(io, &mut worker, 4, 20), 3, "{}", io.name());
        socket.set_nonblocking(false).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let (len, _) = socket
            .recv_from(&mut buffer)
            .expect("the packet for its next owner");
        assert_eq!(&buffer[..len], &rtp(3)[..]);
    }

    // Packets that reached a leg's socket before it is handed over reach either the worker
    // (which still holds the leg) or the socket's next owner: none is lost on the way.
    fn hands_a_leg_over_losing_no_packet(io: &mut dyn PacketIo) {
        let (mut worker, peer, leg_address, _) = leg_and_peer(io);
        io.receive(&mut worker, Instant::now());
        const SENT: u16 = 10;
        for sequence in 0..SENT {
            peer.send_to(&rtp(sequence), leg_address).unwrap();
        }
        // Let them all reach the socket, and the tick's sends enter the kernel (which may then
        // take them from the socket), before the leg is handed over.
        std::thread::sleep(Duration::from_millis(50));
        io.send(&mut worker);
        let socket = io
            .remove(&mut worker, LEG)
            .expect("the leg's sockets back")
            .rtp;
        let delivered = worker.stats().packets_received;
        let mut buffer = [0u8; 2048];
        let mut waiting = 0;
        while socket.recv_from(&mut buffer).is_ok() {
            waiting += 1;
        }
        assert_eq!(
            (delivered + waiting, worker.stats().unknown_leg_packets),
            (u64::from(SENT), 0),
            "{}: {delivered} delivered and {waiting} left in the socket",
            io.name()
        );
    }

    #[test]
    fn io_uring_hands_a_leg_over_losing_no_packet() {
        let mut io = UringIo::new(Default::default()).expect("this kernel refuses io_uring");
        hands_a_leg_over_losing_no_packet(&mut io);
    }

    #[test]
    fn the_sweep_hands_a_leg_over_losing_no_packet() {
        hands_a_leg_over_losing_no_packet(&mut SweepIo::new(Default::default()));
    }

    #[test]
    fn io_uring_moves_packets_both_ways() {
        let mut io = UringIo::new(Default::default())
            .expect("this kernel refuses io_uring (kernel.io_uring_disabled, or a seccomp filter)");
        moves_packets_both_ways(&mut io);
    }

    // A burst of more packets than the ring holds buffers (one per leg and 64 spare) ends the
    // leg's multishot receive; armed again, it reads the rest from the socket, all in one
    // call. One packet at a time, the same few buffers go round however many packets come.
    #[test]
    fn io_uring_reads_a_burst_larger_than_its_buffers_and_reuses_few() {
        let mut io = UringIo::new(Default::default()).expect("this kernel refuses io_uring");
        let (mut worker, peer, leg_address, _) = leg_and_peer(&mut io);
        const BURST: u16 = 200;
        for sequence in 0..BURST {
            peer.send_to(&rtp(sequence), leg_address).unwrap();
        }
        // Let the whole burst reach the socket before the one read.
        std::thread::sleep(Duration::from_millis(50));
        io.receive(&mut worker, Instant::now());
        assert_eq!(worker.stats().packets_received, u64::from(BURST));

        let lent = io.receive_buffers_lent();
        for sequence in BURST..BURST + 500 {
            peer.send_to(&rtp(sequence), leg_address).unwrap();
            let expected = u64::from(sequence) + 1;
            assert_eq!(receive_until(&mut io, &mut worker, expected, 200), expected);
        }
        assert_eq!(
            io.receive_buffers_lent(),
            lent,
            "500 packets one at a time took buffers never lent before"
        );
        assert!(lent <= 1 + 64 + 1, "{lent} buffers lent for one leg");
    }

    // A packet the kernel refuses (from a loopback socket to an address beyond it: EINVAL)
    // and one of a leg that has no socket here are each counted under their cause.
    fn counts_the_sends_that_fail(io: &mut dyn PacketIo, failures: &SendFailures) {
        const NO_SOCKET: LegId = LegId(8);
        let start = Instant::now();
        let mut worker = Worker::new(WorkerConfig::default(), start, 1);
        let beyond = SocketAddr::from(([192, 0, 2, 1], 9));
        for leg in [LEG, NO_SOCKET] {
            worker.add_leg(start, leg, crate::media::pcmu_leg(beyond));
        }
        io.add(LEG, LegSockets::loopback());
        worker.handle_timeout(start);
        io.send(&mut worker);
        assert_eq!(worker.stats().packets_sent, 2, "{}", io.name());
        // io_uring tells of a send's outcome in a completion, reaped as packets are read.
        for _ in 0..200 {
            io.receive(&mut worker, Instant::now());
            if failures.count(SendFailure::Other) > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let failed = failures.counts();
        assert_eq!(
            failed.iter().map(|&(_, count)| count).sum::<u64>(),
            2,
            "{}: {failed:?}",
            io.name()
        );
        assert_eq!(failures.count(SendFailure::Other), 1, "{failed:?}");
        assert_eq!(failures.count(SendFailure::NoSocket), 1, "{failed:?}");
    }

    #[test]
    fn io_uring_counts_the_sends_that_fail() {
        let failures = Arc::new(SendFailures::default());
        let mut io = UringIo::new(failures.clone()).expect("this kernel refuses io_uring");
        counts_the_sends_that_fail(&mut io, &failures);
    }

    #[test]
    fn the_sweep_counts_the_sends_that_fail() {
        let failures = Arc::new(SendFailures::default());
        counts_the_sends_that_fail(&mut SweepIo::new(failures.clone()), &failures);
    }

    #[test]
    fn the_sweep_moves_packets_both_ways() {
        moves_packets_both_ways(&mut SweepIo::new(Default::default()));
    }
}
