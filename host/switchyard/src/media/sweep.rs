//! Packet I/O without io_uring: every leg's socket is read until it is empty at each tick, and
//! each packet is sent with its own system call.

use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::Instant;

use switchyard_media::{LegId, Worker};

use super::packet_io::{MAX_DATAGRAM, MAX_READS_PER_TICK, PacketIo};

/// A worker's non-blocking sockets, swept in turn.
pub(super) struct SweepIo {
    sockets: HashMap<LegId, UdpSocket>,
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

    fn add(&mut self, leg: LegId, socket: UdpSocket) {
        self.sockets.insert(leg, socket);
    }

    fn remove(&mut self, _worker: &mut Worker, leg: LegId) -> Option<UdpSocket> {
        self.sockets.remove(&leg)
    }

    fn receive(&mut self, worker: &mut Worker, arrived: Instant) {
        for (leg, socket) in &self.sockets {
            for _ in 0..MAX_READS_PER_TICK {
                match socket.recv_from(&mut self.buffer[..]) {
                    Ok((len, from)) => worker.handle_rtp(arrived, *leg, from, &self.buffer[..len]),
                    Err(_) => break,
                }
            }
        }
    }

    fn send(&mut self, worker: &mut Worker) {
        while let Some(transmit) = worker.poll_transmit() {
            if let Some(socket) = self.sockets.get(&transmit.leg) {
                // UDP is best effort: a full socket buffer drops the packet, as the network would.
                let _ = socket.send_to(&transmit.payload, transmit.destination);
            }
            worker.recycle(transmit.payload);
        }
    }
}
