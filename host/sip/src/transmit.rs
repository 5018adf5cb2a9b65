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
    /// The local address it leaves from over UDP, from the socket bound there: for a
    /// response, the address its request arrived at (RFC 3581 §4), so that a NAT that let
    /// the request in lets it out; for a request, the address its Via and Contact name
    /// (RFC 3261 §18.1.1), where the peer's NAT or trunk knows us. `None`: any socket of
    /// the destination's family.
    pub source: Option<SocketAddr>,
    /// For a response over TCP, where to open a connection when its request's connection
    /// has closed (§18.2.2: the source IP at the Via's sent-by port). `None` for a request,
    /// whose connection is opened to `destination`.
    pub reopen: Option<SocketAddr>,
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
            source: to.source,
            reopen: to
                .reopen_port
                .map(|port| SocketAddr::new(to.addr.ip(), port)),
            payload,
        });
    }

    /// The next message to send, oldest first.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// Counts `count` responses with status `code` that the shell sent on its own, never
    /// queued here, among the responses sent.
    pub(crate) fn count_sent_by_shell(&mut self, code: u16, count: u64) {
        self.responses.add(code, count);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_names_where_it_leaves_from_and_where_to_reconnect() {
        let mut out = Outbox::default();
        let local: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        let mut to =
            TransportAddr::new(Transport::Tcp, "192.0.2.7:40000".parse().unwrap()).sent_from(local);
        to.reopen_port = Some(5062);
        out.send(to, b"SIP/2.0 200 OK\r\n\r\n".to_vec());
        let response = out.pop().unwrap();
        assert_eq!(response.source, Some(local));
        assert_eq!(response.reopen, Some("192.0.2.7:5062".parse().unwrap()));
        out.send(TransportAddr::new(Transport::Tcp, to.addr), b"BYE".to_vec());
        let request = out.pop().unwrap();
        assert_eq!((request.source, request.reopen), (None, None));
    }
}
