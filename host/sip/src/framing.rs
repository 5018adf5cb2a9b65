//! Message framing on stream transports (RFC 3261 §18.3): a TCP connection carries messages
//! back to back, so each one ends where its Content-Length says. Sans-IO: the shell pushes the
//! bytes it reads and takes out whole messages, each of which it then handles like a datagram.

use crate::build::ResponseBuilder;
use crate::fields;
use crate::message;
use crate::wire::{self, Datagram, RawRequest};

/// What the shell answers to a keepalive ping: RFC 5626 §3.5.1 has the server answer each
/// double-CRLF ping with a single CRLF "pong".
pub const PONG: &[u8] = b"\r\n";

/// The double-CRLF keepalive ping of RFC 5626 §3.5.1.
const PING: &[u8] = b"\r\n\r\n";

/// Why a stream cannot be framed any further. The shell sends [`FramingError::response`], if
/// any, and closes the connection: once framing is lost, no later byte can be trusted to start
/// a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// No empty line ended the head within the first `limit` bytes of a message.
    #[error("message head longer than {limit} bytes")]
    HeadTooLarge {
        /// The size cap, [`Limits::max_message_bytes`](crate::Limits::max_message_bytes).
        limit: usize,
        /// The message head if its empty line arrived, past the limit; else empty: a response
        /// must copy every Via, From, To, Call-ID and CSeq (§8.2.6.2), and a head cut short
        /// may hold only some of them.
        head: Vec<u8>,
    },
    /// The head has no Content-Length header, which stream transports require (§18.3,
    /// §20.14).
    #[error("no Content-Length header")]
    MissingContentLength {
        /// The message head, start line to the empty line.
        head: Vec<u8>,
    },
    /// A Content-Length value is not a decimal number, or two of them differ.
    #[error("malformed Content-Length header")]
    BadContentLength {
        /// The message head, start line to the empty line.
        head: Vec<u8>,
    },
    /// Head and body together would exceed `limit` bytes.
    #[error("message of {length} bytes, over the limit of {limit}")]
    MessageTooLarge {
        /// The head's length plus Content-Length.
        length: usize,
        /// The size cap, [`Limits::max_message_bytes`](crate::Limits::max_message_bytes).
        limit: usize,
        /// The message head, start line to the empty line.
        head: Vec<u8>,
    },
}

impl FramingError {
    /// The response owed to the message that broke the framing: `400 Bad Request` naming the
    /// Content-Length problem, or `513 Message Too Large` (§21.5.11), with To tag `to_tag` and
    /// Server `server`. `None` when there is nothing to answer: the head cannot be read as a
    /// request, the message is a response or an ACK (§17.1.1.3), or it is a request that no
    /// response can be sent to ([`FramingError::is_dropped`]). A head too large
    /// is answered from what was read of it, as a datagram too large is from all of it.
    pub fn response(&self, to_tag: &str, server: &str) -> Option<Vec<u8>> {
        let (code, reason) = match self {
            Self::MissingContentLength { .. } => (400, "Missing Content-Length header"),
            Self::BadContentLength { .. } => (400, "Malformed Content-Length header"),
            Self::HeadTooLarge { .. } | Self::MessageTooLarge { .. } => (513, "Message Too Large"),
        };
        let request = self.request()?;
        if &*request.line.method == "ACK" || !message::is_answerable(&request) {
            return None;
        }
        Some(ResponseBuilder::new(&*request, code, reason, Some(to_tag), server).build())
    }

    /// Whether the message that broke the framing, left unanswered, is counted among the
    /// dropped messages, as the endpoint counts a datagram like it: a request, an ACK
    /// included, that no response can be sent to (without a readable top Via, or whose
    /// response would copy a control character, §8.2.6.2), and, over the size limit
    /// ([`FramingError::is_too_large`]), any message but a request (a response, or no SIP
    /// message). A request answered, or an ACK that could be, is not.
    pub fn is_dropped(&self) -> bool {
        match self.request() {
            Some(request) => !message::is_answerable(&request),
            None => self.is_too_large(),
        }
    }

    /// Whether the message that broke the framing is over the size limit, its head alone or
    /// its head and body together.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            Self::HeadTooLarge { .. } | Self::MessageTooLarge { .. }
        )
    }

    /// The head of the message that broke the framing, read as a request; `None` if it is
    /// none or cannot be read.
    fn request(&self) -> Option<Box<RawRequest>> {
        let (Self::HeadTooLarge { head, .. }
        | Self::MissingContentLength { head }
        | Self::BadContentLength { head }
        | Self::MessageTooLarge { head, .. }) = self;
        match wire::parse(head)? {
            Datagram::Request(request) => Some(request),
            _ => None,
        }
    }
}

/// Splits the bytes of one stream (a TCP connection) into SIP messages.
///
/// Feed it with [`push`](Self::push) as bytes arrive, then call
/// [`next_message`](Self::next_message) until it returns `Ok(None)`; after each push, answer
/// [`take_pings`](Self::take_pings) pings with [`PONG`]. It buffers at most one incomplete
/// message of up to `max_message_bytes` plus whatever the last push added beyond it. After an
/// error it yields nothing more and drops what is pushed: the connection must be closed.
#[derive(Debug)]
pub struct StreamFramer {
    buffer: Vec<u8>,
    max_message_bytes: usize,
    /// How far the search for the end of the head has looked without finding it.
    scanned: usize,
    /// The length of the message whose head has been read, while its body arrives: the head
    /// is read once, however slowly the body trickles in.
    framed: Option<usize>,
    pings: usize,
    failed: bool,
}

impl StreamFramer {
    /// A framer for messages of at most `max_message_bytes` bytes, head and body together
    /// (normally [`Limits::max_message_bytes`](crate::Limits::max_message_bytes)).
    pub fn new(max_message_bytes: usize) -> Self {
        Self {
            buffer: Vec::new(),
            max_message_bytes,
            scanned: 0,
            framed: None,
            pings: 0,
            failed: false,
        }
    }

    /// Appends `bytes`, as read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// The next complete message, head and body, with the CRLFs before it dropped;
    /// `Ok(None)` until more bytes arrive. Double-CRLF keepalive pings between messages are
    /// counted for [`take_pings`](Self::take_pings). An error ends the stream.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        if self.failed {
            return Ok(None);
        }
        self.skip_keepalives();
        if self.buffer.starts_with(b"\r") || self.buffer.starts_with(b"\n") {
            return Ok(None);
        }
        match self.frame() {
            Ok(Some(length)) => {
                self.scanned = 0;
                self.framed = None;
                Ok(Some(self.buffer.drain(..length).collect()))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                self.failed = true;
                self.buffer = Vec::new();
                Err(error)
            }
        }
    }

    /// Whether part of a message is buffered: once [`next_message`](Self::next_message) has
    /// returned `Ok(None)`, the buffer holds nothing but CR and LF (keepalives, the start of
    /// a ping) unless a message has begun, and a message starts with neither.
    pub fn is_mid_message(&self) -> bool {
        self.buffer.iter().any(|b| !matches!(b, b'\r' | b'\n'))
    }

    /// How many keepalive pings arrived since the last call; the shell answers each with
    /// [`PONG`].
    pub fn take_pings(&mut self) -> usize {
        std::mem::take(&mut self.pings)
    }

    /// Drops the CR and LF bytes before a message (§7.5), counting each CRLFCRLF among them
    /// as a ping; a prefix of a ping stays until the bytes after it show what it is.
    fn skip_keepalives(&mut self) {
        let mut start = 0;
        loop {
            let rest = &self.buffer[start..];
            if rest.starts_with(PING) {
                self.pings += 1;
                start += PING.len();
            } else if rest.len() < PING.len() && !rest.is_empty() && PING.starts_with(rest) {
                break;
            } else if rest.first().is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                start += 1;
            } else {
                break;
            }
        }
        if start > 0 {
            self.buffer.drain(..start);
            self.scanned = 0;
        }
    }

    /// The length of the message at the start of the buffer once it is all there.
    fn frame(&mut self) -> Result<Option<usize>, FramingError> {
        if let Some(length) = self.framed {
            return Ok((self.buffer.len() >= length).then_some(length));
        }
        let limit = self.max_message_bytes;
        let Some(head_len) = self.find_head_end() else {
            return if self.buffer.len() > limit {
                Err(FramingError::HeadTooLarge {
                    limit,
                    head: Vec::new(),
                })
            } else {
                Ok(None)
            };
        };
        if head_len > limit {
            return Err(FramingError::HeadTooLarge {
                limit,
                head: self.buffer[..head_len].to_vec(),
            });
        }
        let head = &self.buffer[..head_len];
        let body_len = match content_length(head) {
            Ok(Some(length)) => length,
            Ok(None) => {
                return Err(FramingError::MissingContentLength {
                    head: head.to_vec(),
                });
            }
            Err(()) => {
                return Err(FramingError::BadContentLength {
                    head: head.to_vec(),
                });
            }
        };
        let length = head_len.saturating_add(body_len);
        if length > limit {
            return Err(FramingError::MessageTooLarge {
                length,
                limit,
                head: head.to_vec(),
            });
        }
        self.framed = Some(length);
        Ok((self.buffer.len() >= length).then_some(length))
    }

    /// The length of the head including the empty line that ends it, found as `wire` finds
    /// it in a datagram ([`wire::head_end`]); `None` if it has not arrived. Resumes where the
    /// last search stopped, so that bytes trickling in cost linear time.
    fn find_head_end(&mut self) -> Option<usize> {
        // The empty line is found from the LF before it: the last two bytes searched may
        // start it.
        let from = self.scanned.saturating_sub(2);
        let found = wire::head_end(&self.buffer[from..]).map(|(_, body)| from + body);
        if found.is_none() {
            self.scanned = self.buffer.len();
        }
        found
    }
}

/// The Content-Length of a message head (full name or compact `l`, §7.3.3); `Ok(None)` if it
/// has none, `Err` if a value is not one ([`fields::content_length`]) or two values differ.
/// The head's lines are read as `wire` reads them: a continuation line (§7.3.1) is part of
/// the value before it, never a header of its own.
fn content_length(head: &[u8]) -> Result<Option<usize>, ()> {
    let mut found: Option<usize> = None;
    let mut lines = wire::lines(head).skip(1).peekable();
    while let Some(line) = lines.next() {
        if wire::is_continuation(line) {
            continue;
        }
        let mut value = match line.iter().position(|&b| b == b':') {
            Some(colon) if is_content_length(line[..colon].trim_ascii()) => {
                line[colon + 1..].to_vec()
            }
            _ => continue,
        };
        while let Some(next) = lines.next_if(|l| wire::is_continuation(l)) {
            value.push(b' ');
            value.extend_from_slice(next);
        }
        let length = std::str::from_utf8(&value)
            .ok()
            .and_then(fields::content_length)
            .ok_or(())?;
        if found.is_some_and(|f| f != length) {
            return Err(());
        }
        found = Some(length);
    }
    Ok(found)
}

fn is_content_length(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"Content-Length") || name.eq_ignore_ascii_case(b"l")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    fn request(body: &str) -> Vec<u8> {
        format!(
            "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK1\r\n\
             From: <sip:b@192.0.2.7>;tag=f\r\nTo: <sip:a@192.0.2.1>\r\nCall-ID: c1\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// Every message and ping count out of `stream` pushed in pieces of `chunk` bytes.
    fn frame_in_chunks(stream: &[u8], chunk: usize) -> (Vec<Vec<u8>>, usize) {
        let mut framer = StreamFramer::new(MAX);
        let (mut messages, mut pings) = (Vec::new(), 0);
        for piece in stream.chunks(chunk) {
            framer.push(piece);
            while let Some(message) = framer.next_message().unwrap() {
                messages.push(message);
            }
            pings += framer.take_pings();
        }
        (messages, pings)
    }

    fn error_of(stream: &[u8]) -> FramingError {
        let mut framer = StreamFramer::new(MAX);
        framer.push(stream);
        loop {
            match framer.next_message() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error in {:?}", String::from_utf8_lossy(stream)),
                Err(error) => return error,
            }
        }
    }

    #[test]
    fn any_split_of_pipelined_messages_and_pings_gives_the_same_messages() {
        let (first, second) = (request("v=0\r\n"), request(""));
        let mut stream = b"\r\n\r\n".to_vec();
        stream.extend_from_slice(&first);
        stream.extend_from_slice(b"\r\n\r\n\r\n\r\n");
        stream.extend_from_slice(&second);
        for split in 0..=stream.len() {
            let mut framer = StreamFramer::new(MAX);
            framer.push(&stream[..split]);
            let mut messages: Vec<_> = std::iter::from_fn(|| framer.next_message().unwrap())
                .take(3)
                .collect();
            framer.push(&stream[split..]);
            messages.extend(std::iter::from_fn(|| framer.next_message().unwrap()).take(3));
            assert_eq!(
                messages,
                [first.clone(), second.clone()],
                "split at {split}"
            );
            assert_eq!(framer.take_pings(), 3, "split at {split}");
        }
        assert_eq!(
            frame_in_chunks(&stream, 1),
            (vec![first, second], 3),
            "byte by byte"
        );
    }

    #[test]
    fn only_the_start_of_a_message_counts_as_being_mid_message() {
        let mut framer = StreamFramer::new(MAX);
        framer.push(b"\r\n\r\n\r\n\r");
        assert_eq!(framer.next_message(), Ok(None));
        assert!(!framer.is_mid_message(), "keepalives and half a ping");
        framer.push(b"\nOPT");
        assert_eq!(framer.next_message(), Ok(None));
        assert!(framer.is_mid_message());
        let mut framer = StreamFramer::new(MAX);
        framer.push(&request("x"));
        assert!(framer.next_message().unwrap().is_some());
        assert!(!framer.is_mid_message(), "a whole message was taken");
    }

    #[test]
    fn a_lone_crlf_is_skipped_without_counting_as_a_ping() {
        let mut stream = b"\r\n".to_vec();
        stream.extend_from_slice(&request("x"));
        assert_eq!(frame_in_chunks(&stream, 7), (vec![request("x")], 0));
        let mut framer = StreamFramer::new(MAX);
        framer.push(b"\r\n\r");
        assert_eq!((framer.next_message(), framer.take_pings()), (Ok(None), 0));
        framer.push(b"\n");
        assert_eq!((framer.next_message(), framer.take_pings()), (Ok(None), 1));
        assert_eq!(framer.take_pings(), 0, "pings are taken once");
    }

    #[test]
    fn a_zero_length_body_and_a_compact_header_frame() {
        let compact = b"BYE sip:a@b SIP/2.0\r\nl: 3\r\nv: SIP/2.0/TCP h\r\n\r\nabcBYE";
        let (messages, _) = frame_in_chunks(compact, 5);
        assert_eq!(messages, [&compact[..compact.len() - 3]]);
        let empty = request("");
        assert_eq!(frame_in_chunks(&empty, 3).0, [empty]);
        let folded = b"BYE sip:a@b SIP/2.0\r\nContent-Length:\r\n  2\r\n\r\nokNEXT";
        assert_eq!(frame_in_chunks(folded, 64).0, [&folded[..folded.len() - 4]]);
        let lf_only = b"BYE sip:a@b SIP/2.0\nContent-Length: 1\n\nz";
        assert_eq!(frame_in_chunks(lf_only, 2).0, [lf_only.to_vec()]);
    }

    /// The one message framed out of `stream` (pushed in pieces of every size) and what `wire`
    /// reads of it: its body.
    fn framed_and_parsed(stream: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let whole = frame_in_chunks(stream, stream.len()).0;
        for chunk in 1..stream.len() {
            assert_eq!(frame_in_chunks(stream, chunk).0, whole, "pieces of {chunk}");
        }
        let [message] = &whole[..] else {
            panic!("not one message: {whole:?}");
        };
        let Some(wire::Datagram::Request(request)) = wire::parse(message) else {
            panic!("not a request: {:?}", String::from_utf8_lossy(message));
        };
        (message.clone(), request.body)
    }

    #[test]
    fn a_folded_line_is_never_a_header_of_its_own() {
        let hidden = b"BYE sip:a@b SIP/2.0\r\nSubject: hi\r\n Content-Length: 40\r\n\
                       Content-Length: 2\r\n\r\nokNEXT";
        let (message, body) = framed_and_parsed(hidden);
        assert_eq!(message, &hidden[..hidden.len() - 4]);
        assert_eq!(body, b"ok", "framing and parsing agree on the body");
        let only_folded = b"BYE sip:a@b SIP/2.0\r\nSubject: hi\r\n Content-Length: 5\r\n\r\nABCDE";
        assert!(
            matches!(
                error_of(only_folded),
                FramingError::MissingContentLength { .. }
            ),
            "a Content-Length inside Subject's value frames no body"
        );
    }

    #[test]
    fn the_head_ends_where_wire_ends_it() {
        let mixed = b"BYE sip:a@b SIP/2.0\nContent-Length: 4\n\r\nv=0\nNEXT";
        let (message, body) = framed_and_parsed(mixed);
        assert_eq!(message, &mixed[..mixed.len() - 4]);
        assert_eq!(body, b"v=0\n", "LF CRLF ends the head for both");
        let cr_then_lf = b"BYE sip:a@b SIP/2.0\r\nContent-Length: 1\r\n\nzNEXT";
        assert_eq!(framed_and_parsed(cr_then_lf).1, b"z");
    }

    #[test]
    fn content_length_problems_are_named_and_answered() {
        let missing =
            error_of(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n");
        assert!(matches!(missing, FramingError::MissingContentLength { .. }));
        let response = String::from_utf8(missing.response("t1", "sut").unwrap()).unwrap();
        assert!(
            response.starts_with("SIP/2.0 400 Missing Content-Length header\r\n"),
            "{response}"
        );
        assert!(response.contains("Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"));
        assert!(!missing.is_too_large());
        assert!(!missing.is_dropped(), "answered");
        for value in ["abc", "", "-1", "1 2", "99999999999999999999999"] {
            let text = format!("BYE sip:a@b SIP/2.0\r\nContent-Length: {value}\r\n\r\n");
            let error = error_of(text.as_bytes());
            assert!(
                matches!(error, FramingError::BadContentLength { .. }),
                "{value:?}: {error:?}"
            );
        }
        let twice = error_of(b"BYE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n");
        assert!(matches!(twice, FramingError::BadContentLength { .. }));
        let ack = error_of(b"ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n");
        assert_eq!(ack.response("t", "s"), None, "an ACK is never answered");
    }

    #[test]
    fn a_request_no_response_can_be_sent_to_gets_none() {
        let via = "Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n";
        let smuggling = "From: <sip:a@b>;tag=1\rX-Evil: 1\r\n";
        let over_the_limit = format!("Content-Length: {}\r\n", MAX + 1);
        for (head, problem) in [
            (format!("{via}{smuggling}"), "a bare CR in From"),
            (
                format!("{via}{smuggling}{over_the_limit}"),
                "a bare CR in From, too large",
            ),
            (
                format!("{via}To: <sip:b@c\x01>\r\nl: x\r\n"),
                "a control in To",
            ),
            ("From: <sip:a@b>;tag=1\r\n".to_owned(), "no Via"),
            (
                format!("Via: SIP/2.0/TCP :5060\r\n{over_the_limit}"),
                "no readable Via",
            ),
        ] {
            let text = format!("OPTIONS sip:a@b SIP/2.0\r\n{head}\r\n");
            let error = error_of(text.as_bytes());
            assert_eq!(error.response("t", "sut"), None, "{problem}: {error:?}");
            assert!(error.is_dropped(), "{problem}: {error:?}");
            assert_eq!(
                error.is_too_large(),
                head.contains(&over_the_limit),
                "{problem}"
            );
        }
    }

    #[test]
    fn an_ack_is_dropped_as_a_datagram_is_only_without_a_readable_via() {
        let no_via = error_of(b"ACK sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\r\n");
        assert_eq!(no_via.response("t", "s"), None);
        assert!(no_via.is_dropped());
        let via = error_of(b"ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n");
        assert_eq!(via.response("t", "s"), None);
        assert!(!via.is_dropped());
    }

    #[test]
    fn messages_other_than_requests_are_dropped_only_over_the_limit() {
        let status = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 BYE\r\n";
        let not_utf8 = b"\xff\xfe\r\n";
        for head in [&status[..], not_utf8] {
            let mut large = head.to_vec();
            large.extend_from_slice(format!("Content-Length: {MAX}\r\n\r\n").as_bytes());
            let large = error_of(&large);
            assert!(large.is_too_large() && large.is_dropped(), "{large:?}");
            assert_eq!(large.response("t", "s"), None);
            let missing = error_of(&[head, b"\r\n"].concat());
            assert!(!missing.is_dropped(), "{missing:?}");
        }
    }

    /// What the framer reads of a request whose head runs past the limit: its header lines
    /// until `header` repeats beyond it, pushed in pieces of `chunk` bytes.
    fn head_too_large(first: &str, header: &str, chunk: usize) -> FramingError {
        let mut stream = format!("OPTIONS sip:a@b SIP/2.0\r\n{first}").into_bytes();
        while stream.len() <= MAX + header.len() {
            stream.extend_from_slice(header.as_bytes());
        }
        let mut framer = StreamFramer::new(MAX);
        for piece in stream.chunks(chunk) {
            framer.push(piece);
            if let Err(error) = framer.next_message() {
                return error;
            }
        }
        panic!("no error in pieces of {chunk}");
    }

    #[test]
    fn a_head_too_large_is_answered_only_when_it_came_whole() {
        let via = "Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n";
        for chunk in [1, 7, 100, 2 * MAX] {
            let cut = head_too_large(via, "Subject: xxxxxxxxxxxxxxxx\r\n", chunk);
            assert_eq!(
                cut,
                FramingError::HeadTooLarge {
                    limit: MAX,
                    head: Vec::new()
                },
                "nothing kept of a head cut short: {chunk}"
            );
            assert_eq!(cut.response("t", "sut"), None);
            assert!(cut.is_too_large() && cut.is_dropped());
        }
        let mut late_end = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        late_end.extend_from_slice(via.as_bytes());
        late_end.extend_from_slice(format!("Subject: {}\r\n\r\n", "z".repeat(MAX)).as_bytes());
        let late = error_of(&late_end);
        assert_eq!(
            late,
            FramingError::HeadTooLarge {
                limit: MAX,
                head: late_end.clone()
            },
            "the whole head when its end came past the limit"
        );
        let response = String::from_utf8(late.response("t", "sut").unwrap()).unwrap();
        assert!(response.starts_with("SIP/2.0 513 Message Too Large\r\n"));
        assert!(response.contains("Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"));
        assert!(response.contains("CSeq: 1 OPTIONS\r\n"), "{response}");
        assert!(!late.is_dropped());
        let mut no_via = b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n".to_vec();
        no_via.extend_from_slice(format!("Subject: {}\r\n\r\n", "z".repeat(MAX)).as_bytes());
        let no_via = error_of(&no_via);
        assert_eq!(no_via.response("t", "s"), None, "{no_via:?}");
        assert!(no_via.is_too_large() && no_via.is_dropped());
    }

    #[test]
    fn oversized_messages_end_the_stream() {
        let mut framer = StreamFramer::new(MAX);
        framer.push(&[b'a'; MAX]);
        assert_eq!(
            framer.next_message(),
            Ok(None),
            "a head of MAX bytes may end"
        );
        framer.push(b"a");
        assert!(matches!(
            framer.next_message(),
            Err(FramingError::HeadTooLarge { limit: MAX, .. })
        ));
        framer.push(&request(""));
        assert_eq!(framer.next_message(), Ok(None), "nothing after an error");

        let big = error_of(&request(&"x".repeat(MAX)));
        let FramingError::MessageTooLarge { length, limit, .. } = &big else {
            panic!("{big:?}");
        };
        assert_eq!((*length > MAX, *limit), (true, MAX));
        let response = String::from_utf8(big.response("t", "sut").unwrap()).unwrap();
        assert!(response.starts_with("SIP/2.0 513 Message Too Large\r\n"));
        assert!(big.is_too_large() && !big.is_dropped());
    }

    #[test]
    fn a_message_of_exactly_the_limit_passes() {
        let exact = (0..MAX)
            .map(|n| request(&"y".repeat(n)))
            .find(|m| m.len() == MAX)
            .unwrap();
        assert_eq!(frame_in_chunks(&exact, 100).0, [exact]);
    }
}
