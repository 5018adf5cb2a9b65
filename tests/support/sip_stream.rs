//! SIP messages over a connection of a test's own (TCP, or TLS over TCP),
//! each framed by its Content-Length (RFC 3261 §18.3).

use super::phone;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tokio_rustls::rustls::{ClientConnection, StreamOwned};

/// A byte stream over a TCP connection, whose reads time out as that
/// connection's do.
pub trait OverTcp: Read + Write {
    /// The TCP connection under it.
    fn tcp(&self) -> &TcpStream;
}

impl OverTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl OverTcp for StreamOwned<ClientConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

/// A connection that SIP messages are sent on and read from.
pub struct SipStream<S> {
    /// The connection.
    pub stream: S,
    /// Bytes read past the last message taken.
    unread: Vec<u8>,
}

impl<S: OverTcp> SipStream<S> {
    /// Messages over `stream`, nothing read yet.
    pub fn new(stream: S) -> Self {
        SipStream {
            stream,
            unread: Vec::new(),
        }
    }

    /// Writes `message` out whole.
    pub fn send(&mut self, message: &str) {
        self.stream.write_all(message.as_bytes()).unwrap();
        self.stream.flush().unwrap();
    }

    /// The next message on the connection, waiting at most `timeout`; `Err`
    /// says why none came (the connection closed, or the time ran out).
    pub fn next_message(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(message) = self.take_message() {
                return Ok(message);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("nothing within {timeout:?}"));
            }
            self.stream.tcp().set_read_timeout(Some(left)).unwrap();
            let mut buffer = [0u8; 4096];
            match self.stream.read(&mut buffer) {
                Ok(0) => return Err("the server closed the connection".to_owned()),
                Ok(len) => self.unread.extend_from_slice(&buffer[..len]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    /// The first final response (not 1xx) within ten seconds, however many
    /// provisional ones come first; panics naming `request` if none comes.
    pub fn final_response(&mut self, request: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self.next_message(left).unwrap_or_else(|why| {
                panic!("no final answer to the {request} within 10 s: {why}")
            });
            if !message.starts_with("SIP/2.0 1") {
                return message;
            }
        }
    }

    /// The first whole message in what was read (its Content-Length bounds
    /// it), taken out.
    fn take_message(&mut self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.unread).into_owned();
        let head_end = text.find("\r\n\r\n")? + 4;
        let body: usize = header(&text[..head_end], "Content-Length").parse().ok()?;
        if self.unread.len() < head_end + body {
            return None;
        }
        let message: Vec<u8> = self.unread.drain(..head_end + body).collect();
        Some(String::from_utf8_lossy(&message).into_owned())
    }
}

/// The value of header `name` in `message`; panics if it has none.
pub fn header<'a>(message: &'a str, name: &str) -> &'a str {
    phone::header(message, name).unwrap_or_else(|| panic!("no {name} in:\n{message}"))
}
