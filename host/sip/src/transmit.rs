//! Datagrams waiting to be sent by the shell.

use std::collections::VecDeque;
use std::net::SocketAddr;

/// One UDP datagram the shell must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram, a complete SIP message.
    pub payload: Vec<u8>,
}

/// The queue of datagrams to send, counting retransmissions.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Transmit>,
    retransmissions: u64,
}

impl Outbox {
    /// Queues a first transmission of `payload`.
    pub(crate) fn send(&mut self, destination: SocketAddr, payload: Vec<u8>) {
        self.queue.push_back(Transmit {
            destination,
            payload,
        });
    }

    /// Queues a retransmission of `payload`.
    pub(crate) fn resend(&mut self, destination: SocketAddr, payload: &[u8]) {
        self.retransmissions += 1;
        self.send(destination, payload.to_vec());
    }

    /// The next datagram to send, oldest first.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// How many retransmissions were queued so far.
    pub(crate) fn retransmissions(&self) -> u64 {
        self.retransmissions
    }
}
