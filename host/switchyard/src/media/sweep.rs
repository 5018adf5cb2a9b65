//! Packet I/O without io_uring: every leg's sockets are read until they are empty at each
//! tick, and each packet is sent with its own system call.

use std::collections::HashMap;
use std::time::Instant;

use switchyard_media::{LegId, LegSocket, Worker};

use super::packet_io::{MAX_DATAGRAM, MAX_READS_PER_TICK, PacketIo};
use crate::rtp_ports::LegSockets;

/// A worker's non-blocking sockets, swept in turn.
pub(super) struct SweepIo {
    sockets: HashMap<LegId, LegSockets>,
    buffer: Box<[u8; MAX_DATAGRAM]>,
}

impl Default for SweepIo {
    fn default() -> Self {
        SweepIo {
            sockets: HashMap::new(),
            buffer: Box::new([0; MAX_DATAGRAM]),
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
            if let Some(sockets) = self.sockets.get(&transmit.leg) {
                // UDP is best effort: a full socket buffer drops the packet, as the network would.
                let socket = sockets.get(transmit.socket);
                let _ = socket.send_to(&transmit.payload, transmit.destination);
            }
            worker.recycle(transmit.payload);
        }
    }
}
