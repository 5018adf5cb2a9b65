//! Packet I/O without io_uring: every leg's sockets are read until they are empty at each
//! tick, and each packet is sent with its own system call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use switchyard_media::{LegId, LegSocket, Worker};

use super::packet_io::{MAX_DATAGRAM, MAX_READS_PER_TICK, PacketIo};
use super::send_failures::{SendFailure, SendFailures};
use crate::rtp_ports::LegSockets;

/// A worker's non-blocking sockets, swept in turn.
pub(super) struct SweepIo {
    sockets: HashMap<LegId, LegSockets>,
    buffer: Box<[u8; MAX_DATAGRAM]>,
    failures: Arc<SendFailures>,
}

impl SweepIo {
    /// No sockets yet; the sends that fail are counted in `failures`.
    pub(super) fn new(failures: Arc<SendFailures>) -> Self {
        SweepIo {
            sockets: HashMap::new(),
            buffer: Box::new([0; MAX_DATAGRAM]),
            failures,
        }
    }
}

impl PacketIo for SweepIo {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn add(&mut self, leg: LegId, sockets: LegSockets) {
        self.sockets.insert(leg, sockets);
    }

    fn remove(&mut self, _worker: &mut Worker, leg: LegId) -> Option<LegSockets> {
        self.sockets.remove(&leg)
    }

    fn receive(&mut self, worker: &mut Worker, arrived: Instant) {
        for (&leg, sockets) in &self.sockets {
            for which in [LegSocket::Rtp, LegSocket::Rtcp] {
                let socket = sockets.get(which);
                for _ in 0..MAX_READS_PER_TICK {
                    let Ok((len, from)) = socket.recv_from(&mut self.buffer[..]) else {
                        break;
                    };
                    let packet = &self.buffer[..len];
                    match which {
                        LegSocket::Rtp => worker.handle_rtp(arrived, leg, from, packet),
                        LegSocket::Rtcp => worker.handle_rtcp(arrived, leg, from, packet),
                    }
                }
            }
        }
    }

    fn send(&mut self, worker: &mut Worker) {
        while let Some(transmit) = worker.poll_transmit() {
            let (leg, to) = (transmit.leg, transmit.destination);
            // UDP is best effort: a packet that fails to go is dropped, as the network would
            // drop it, and counted.
            match self.sockets.get(&leg) {
                Some(sockets) => {
                    if let Err(error) = sockets.get(transmit.socket).send_to(&transmit.payload, to)
                    {
                        self.failures
                            .record(SendFailure::of(&error), leg, to, &error);
                    }
                }
                None => self.failures.record(
                    SendFailure::NoSocket,
                    leg,
                    to,
                    &"the leg has no socket here",
                ),
            }
            worker.recycle(transmit.payload);
        }
    }
}
