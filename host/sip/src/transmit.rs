//! Messages waiting to be sent by the shell.

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::counts::ResponseCounts;
use crate::transport::{Transport, TransportAddr};

/// One message the shell must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The transport to send it over. Over TCP, a response goes on the connection its
    /// request came on (§18.2.2), which the shell finds by `destination`, the request's
    /// source; a request goes on a connection to `destination`, opened if need be.
    pub transport: Transport,
    /// Where to send it.
    pub destination: SocketAddr,
    /// A complete SIP message.
    pub payload: Vec<u8>,
}

/// The queue of messages to send, counting retransmissions and responses.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Transmit>,
    retransmissions: u64,
    responses: ResponseCounts,
}

impl Outbox {
    /// Queues a first transmission of `payload` to `to`.
    pub(crate) fn send(&mut self, to: TransportAddr, payload: Vec<u8>) {
        self.responses.count(&payload);
        self.push(to, payload);
    }

    /// Queues a retransmission of `payload` to `to`.
    pub(crate) fn resend(&mut self, to: TransportAddr, payload: &[u8]) {
        self.retransmissions += 1;
        self.push(to, payload.to_vec());
    }

    fn push(&mut self, to: TransportAddr, payload: Vec<u8>) {
        self.queue.push_back(Transmit {
            transport: to.transport,
            destination: to.addr,
            payload,
        });
    }

    /// The next message to send, oldest first.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// How many retransmissions were queued so far.
    pub(crate) fn retransmissions(&self) -> u64 {
        self.retransmissions
    }

    /// The responses queued so far for their first transmission.
    pub(crate) fn responses(&self) -> ResponseCounts {
        self.responses
    }
}
