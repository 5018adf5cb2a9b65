//! A raw SIP peer on its own loopback socket, for requests SIPp and the test
//! phone cannot send: broken ones, unknown methods, out-of-dialog BYEs.

use super::server::Server;
use std::cell::Cell;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// One peer and the server it talks to.
pub struct RawPeer {
    socket: UdpSocket,
    server: SocketAddr,
    /// How long it waits for an answer, however many messages it passes over meanwhile.
    timeout: Cell<Duration>,
}

impl RawPeer {
    /// A peer on a free loopback port; it waits up to 3 s for each answer.
    pub fn new(server: SocketAddr) -> RawPeer {
        RawPeer::on("127.0.0.1", server)
    }

    /// A peer on a free port of the loopback address `ip` (`127.0.0.2` is
    /// another source than `127.0.0.1`); it waits up to 3 s for each answer.
    pub fn on(ip: &str, server: SocketAddr) -> RawPeer {
        let socket = UdpSocket::bind((ip, 0)).unwrap();
        RawPeer {
            socket,
            server,
            timeout: Cell::new(Duration::from_secs(3)),
        }
    }

    /// Waits up to `timeout` for each answer from now on.
    pub fn wait_at_most(&self, timeout: Duration) {
        self.timeout.set(timeout);
    }

    /// The peer's own address.
    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// Sends one datagram to the server.
    pub fn send(&self, datagram: &[u8]) {
        self.socket.send_to(datagram, self.server).unwrap();
    }

    /// The next datagram that is not `100 Trying`, or `None` after the timeout.
    pub fn answer(&self) -> Option<String> {
        self.next_unless(|message| message.starts_with("SIP/2.0 100 "))
            .map(|(message, _)| message)
    }

    /// The next datagram that is not a provisional response (1xx), or `None`
    /// after the timeout.
    pub fn final_answer(&self) -> Option<String> {
        self.final_answer_from().map(|(message, _)| message)
    }

    /// [`RawPeer::final_answer`] with the address it came from.
    pub fn final_answer_from(&self) -> Option<(String, SocketAddr)> {
        self.next_unless(|message| message.starts_with("SIP/2.0 1"))
    }

    /// The next datagram `skip` does not pass over, and where it came from; `None` if none
    /// came within the peer's timeout (for all of them, not for each it passed over).
    fn next_unless(&self, skip: impl Fn(&str) -> bool) -> Option<(String, SocketAddr)> {
        let deadline = Instant::now() + self.timeout.get();
        let mut buffer = [0u8; 8192];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.socket.set_read_timeout(Some(left)).unwrap();
            let (len, from) = self.socket.recv_from(&mut buffer).ok()?;
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if !skip(&message) {
                return Some((message, from));
            }
        }
    }

    /// Sends `request` and returns its answer; panics, showing the server's
    /// log, if none comes.
    pub fn exchange(&self, server: &Server, request: &str) -> String {
        self.send(request.as_bytes());
        self.answer()
            .unwrap_or_else(|| panic!("no answer to:\n{request}\nserver log:\n{}", server.log()))
    }

    /// A request of this peer's one dialog to `000777123`: CSeq `cseq`
    /// (e.g. `1 INVITE`), To tag `to_tag` ("" outside the dialog), the header
    /// lines `extra` (each ending in CRLF; Max-Forwards is not added) and `body`.
    pub fn request(
        &self,
        method: &str,
        cseq: &str,
        to_tag: &str,
        extra: &str,
        body: &str,
    ) -> String {
        let port = self.socket.local_addr().unwrap().port();
        let server = self.server;
        let to_tag = if to_tag.is_empty() {
            String::new()
        } else {
            format!(";tag={to_tag}")
        };
        format!(
            "{method} sip:000777123@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{port}-{method};rport\r\n\
             From: <sip:tester@127.0.0.1>;tag=peer{port}\r\n\
             To: <sip:000777123@{server}>{to_tag}\r\n\
             Call-ID: raw-{port}@127.0.0.1\r\n\
             CSeq: {cseq}\r\n\
             Contact: <sip:tester@127.0.0.1:{port}>\r\n\
             {extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }
}
