//! A client of the control API: one XML-RPC call, over one HTTP/1.1
//! connection (HTTPS when the configuration has `control.tls_cert`), to a
//! running server.

use crate::control_tls::{self, TrustedCertificate};
use anyhow::{Context, anyhow, bail};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use switchyard_control::xmlrpc::{encode_method_call, parse_method_response};
use switchyard_control::{Fault, Value};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a reading command's answer may take: the server answers one
/// within seconds, or with a busy fault, unless it is stuck.
pub const READ_WAIT: Duration = Duration::from_secs(15);

/// How long a changing command's answer may take (loading a guest compiles it).
pub const CHANGE_WAIT: Duration = Duration::from_secs(120);

/// Why a server refused a client for how it came, which a command completes
/// with what its user is to do instead: the root cause of some [`call`]
/// errors ([`refusal`] finds it).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The server serves HTTPS; the client spoke plain HTTP.
    #[error("the answer is TLS, not plain HTTP: the control API serves HTTPS")]
    Https,
    /// The server wants a token the client did not send (or another one); the
    /// status line it answered.
    #[error("answered {0:?}: the control API wants its token")]
    Unauthorized(String),
    /// The token the client sent may only read (`control.read_token_file`), and XML-RPC
    /// calls all write as far as the server can tell; the status line it answered.
    #[error("answered {0:?}: the token given may only read")]
    ReadOnly(String),
}

/// The [`Refusal`] behind an error of [`call`], if it was one.
pub fn refusal(error: &anyhow::Error) -> Option<&Refusal> {
    error.chain().find_map(|cause| cause.downcast_ref())
}

/// A server that took the request and did not answer it within the wait (the
/// `Duration`): unlike every other error of [`call`], the server may still
/// carry the request out, so calling again may do it twice ([`unanswered`]
/// finds it).
#[derive(Debug, thiserror::Error)]
#[error(
    "timed out after {} s waiting for the answer (the server took the request, and may still \
     carry it out)",
    .0.as_secs_f64()
)]
pub struct Unanswered(pub Duration);

/// A server that took the request and then closed the connection before its
/// whole answer came: as after [`Unanswered`], it may have carried the
/// request out ([`unanswered`] finds it). A server reads the whole request
/// before it answers, so one that ends then (stopped, or killed) closes the
/// connection; one that resets it had not read the request ([`call`]).
#[derive(Debug, thiserror::Error)]
pub enum CutOff {
    /// Closed with no answer at all.
    #[error(
        "the server closed the connection before its answer came (it took the request, and \
         may have carried it out)"
    )]
    Unanswered,
    /// Closed within the answer: its head unfinished, or its body shorter than
    /// its Content-Length.
    #[error(
        "the server closed the connection before its whole answer came (it took the request, \
         and may have carried it out)"
    )]
    PartlyAnswered,
}

/// Whether an error of [`call`] is [`Unanswered`] or [`CutOff`]: the request
/// was sent, and may have been carried out.
pub fn unanswered(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.is::<Unanswered>() || cause.is::<CutOff>())
}

/// A running server's control API, as a client reaches it.
#[derive(Debug, Clone, Copy)]
pub struct ControlApi<'a> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Sent as `Authorization: Bearer <token>`, if any.
    pub token: Option<&'a str>,
    /// HTTPS trusting only this certificate (the server's `control.tls_cert`); none: plain
    /// HTTP.
    pub tls_cert: Option<&'a TrustedCertificate>,
}

/// Calls `method` with `params` on the server whose control API is `api`,
/// waiting at most `wait` for the answer: its answer, or the fault it
/// answered with. The outer error is a server that cannot be reached, does
/// not answer within `wait` ([`Unanswered`] once it has the request), closes
/// the connection without its whole answer ([`CutOff`] once it has the
/// request) or resets it before any answer (at its connection limit, or
/// stopping: it did not take the request), refuses the token or plain HTTP
/// ([`Refusal`]) or its certificate is not trusted, or does not speak XML-RPC
/// (over HTTPS when `api` has a certificate, else over plain HTTP).
pub fn call(
    api: &ControlApi<'_>,
    method: &str,
    params: &[Value],
    wait: Duration,
) -> anyhow::Result<Result<Value, Fault>> {
    let addr = api.addr;
    let body = encode_method_call(method, params);
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).with_context(|| {
        format!("cannot reach the control API at {addr} (is the server running, and is that its control.listen?)")
    })?;
    let authorization = api
        .token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\n{authorization}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // One deadline for the whole exchange, the TLS handshake included.
    let socket = Deadlined::after(stream, wait);
    let response = match api.tls_cert {
        None => exchange(socket, request.as_bytes(), wait),
        Some(cert) => control_tls::connect(addr, cert, socket, wait)
            .and_then(|tls| exchange(tls, request.as_bytes(), wait)),
    }
    .with_context(|| format!("control API at {addr}"))?;
    let answer = http_body(&response).with_context(|| format!("control API at {addr}"))?;
    parse_method_response(answer).map_err(|fault| {
        anyhow!(
            "control API at {addr}: not an XML-RPC answer: {}",
            fault.message
        )
    })
}

/// Sends `request` on `stream` and reads the answer to the connection's end,
/// which is to come within `wait` (a [`Deadlined`] socket's). Once the whole
/// request is sent, no answer at all is [`Unanswered`], [`CutOff`] or a reset.
fn exchange(
    mut stream: impl Read + Write,
    request: &[u8],
    wait: Duration,
) -> anyhow::Result<Vec<u8>> {
    stream
        .write_all(request)
        .and_then(|()| stream.flush())
        .context("sending the request")?;
    let mut response = Vec::new();
    match stream.read_to_end(&mut response) {
        Ok(0) => Err(CutOff::Unanswered.into()),
        Ok(_) => Ok(response),
        // A read timeout is WouldBlock on Unix, TimedOut on Windows.
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err(Unanswered(wait).into())
        }
        // Part of an answer came: the server took the request; whether the answer is whole
        // is for `http_body` to tell.
        Err(e) if ended(e.kind()) && !response.is_empty() => Ok(response),
        // A socket closed with data unread resets the connection (RFC 2525 §2.17): a server
        // that closes one at its connection limit, or stops, without reading the request. One
        // that read it and then ended closes it.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
            ) =>
        {
            bail!(
                "the server reset the connection without taking the request (at its connection \
                 limit, or stopping): it was not carried out"
            )
        }
        // Over TLS: the connection closed without the close_notify alert (RFC 8446 §6.1).
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(CutOff::Unanswered.into()),
        Err(e) => Err(anyhow::Error::new(e).context("reading the answer")),
    }
}

/// A socket whose reads all end by one deadline: an answer that trickles in, a byte now and
/// then, times out as one that never comes does, rather than each byte starting a new wait.
struct Deadlined {
    socket: TcpStream,
    deadline: Instant,
}

impl Deadlined {
    /// `socket`, its reads ending `wait` from now.
    fn after(socket: TcpStream, wait: Duration) -> Self {
        Deadlined {
            socket,
            deadline: Instant::now() + wait,
        }
    }
}

impl Read for Deadlined {
    /// Reads from the socket, waiting until the deadline at most: past it, a
    /// [`ErrorKind::TimedOut`] error, as a read timeout is.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        // A zero read timeout would mean none at all.
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.socket.set_read_timeout(Some(left))?;
        self.socket.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.socket.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.socket.flush()
    }
}

/// Whether a read failing with `kind` is the connection's end: reset, or closed without
/// TLS's close_notify alert.
fn ended(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof
    )
}

/// The most header fields an answer may have: the control API sends a handful.
const MAX_HEADERS: usize = 32;

/// The body of a complete `200` response (read to its connection's end). An
/// HTTP/1.x answer whose head never ends, or a `200` whose body is shorter than its
/// Content-Length, is [`CutOff::PartlyAnswered`].
fn http_body(response: &[u8]) -> anyhow::Result<&[u8]> {
    // A TLS record: an alert (21) or a handshake (22), of version 3.x (RFC 8446 §5.1).
    if let [21 | 22, 3, ..] = response {
        return Err(Refusal::Https.into());
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Response::new(&mut headers);
    // Only Content-Length is read from the fields: a malformed header line is passed over
    // rather than the whole answer refused.
    let parsed = httparse::ParserConfig::default()
        .allow_spaces_after_header_name_in_responses(true)
        .ignore_invalid_headers_in_responses(true)
        .parse_response(&mut head, response);
    let head_length = match parsed {
        Ok(httparse::Status::Complete(length)) => length,
        // Every byte that came begins an HTTP/1.x answer.
        Ok(httparse::Status::Partial) => return Err(CutOff::PartlyAnswered.into()),
        Err(error) => bail!("the answer is not HTTP: {error}"),
    };
    check_status(&head)?;
    let body = &response[head_length..];
    match content_length(head.headers)? {
        Some(length) if body.len() < length => Err(CutOff::PartlyAnswered.into()),
        Some(length) => Ok(&body[..length]),
        None => Ok(body),
    }
}

/// Whether the answer whose head is `head` is a `200`: else the error it is, naming its status
/// line.
fn check_status(head: &httparse::Response<'_, '_>) -> anyhow::Result<()> {
    let status = format!(
        "HTTP/1.{} {} {}",
        head.version.unwrap_or_default(),
        head.code.unwrap_or_default(),
        head.reason.unwrap_or_default()
    );
    let status = status.trim_end().to_owned();
    match head.code {
        Some(200) => Ok(()),
        Some(401) => Err(Refusal::Unauthorized(status).into()),
        Some(403) => Err(Refusal::ReadOnly(status).into()),
        _ => bail!("answered {status:?}"),
    }
}

/// The Content-Length among the header fields `headers` of an HTTP answer, if it has one.
/// Repeated, in several fields or as a list in one, it is taken when every value is the same
/// (RFC 9110 §8.6); differing values are an error, as where the body ends cannot be told
/// (RFC 9112 §6.3).
fn content_length(headers: &[httparse::Header<'_>]) -> anyhow::Result<Option<usize>> {
    let mut lengths = headers
        .iter()
        .filter(|header| header.name.eq_ignore_ascii_case("content-length"))
        .flat_map(|header| header.value.split(|&byte| byte == b','))
        .map(length);
    let Some(first) = lengths.next().transpose()? else {
        return Ok(None);
    };
    for other in lengths {
        let other = other?;
        if other != first {
            bail!("the answer's Content-Length is both {first} and {other}: its end is unknown");
        }
    }
    Ok(Some(first))
}

/// The length one Content-Length value, `value`, gives.
fn length(value: &[u8]) -> anyhow::Result<usize> {
    let value = String::from_utf8_lossy(value);
    let value = value.trim();
    value
        .parse()
        .with_context(|| format!("the answer's Content-Length {value:?} is no length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl ControlApi<'static> {
        /// The API at `addr`, over plain HTTP, with no token.
        fn plain(addr: SocketAddr) -> Self {
            ControlApi {
                addr,
                token: None,
                tls_cert: None,
            }
        }
    }

    #[test]
    fn the_body_of_a_200_is_taken_and_other_answers_refused() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
        assert_eq!(http_body(ok).unwrap(), b"hi");
        let missing = b"HTTP/1.1 404 Not Found\r\n\r\nno";
        let error = http_body(missing).unwrap_err().to_string();
        assert!(error.contains("404 Not Found"), "{error}");
        assert!(http_body(b"SSH-2.0-OpenSSH").is_err());
        let alert = http_body(&[21, 3, 3, 0, 2, 2, 50]).unwrap_err();
        assert!(alert.to_string().contains("serves HTTPS"), "{alert}");
        assert!(matches!(refusal(&alert), Some(Refusal::Https)), "{alert}");
        let unauthorized = b"HTTP/1.1 401 Unauthorized\r\n\r\n{}";
        let error = http_body(unauthorized).unwrap_err();
        assert!(
            matches!(refusal(&error), Some(Refusal::Unauthorized(status)) if status.contains("401")),
            "{error}"
        );
        let read_only = http_body(b"HTTP/1.1 403 Forbidden\r\n\r\n{}").unwrap_err();
        assert!(
            matches!(refusal(&read_only), Some(Refusal::ReadOnly(status)) if status.contains("403")),
            "{read_only}"
        );
        assert!(refusal(&http_body(missing).unwrap_err()).is_none());
    }

    #[test]
    fn an_answer_shorter_than_its_head_says_is_cut_off_and_a_longer_one_cut_to_it() {
        let cut_off = |response: &[u8]| {
            let error = http_body(response).unwrap_err();
            assert!(unanswered(&error), "{error:#}");
            matches!(error.downcast_ref(), Some(CutOff::PartlyAnswered))
        };
        assert!(cut_off(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi"));
        assert!(cut_off(b"HTTP/1.1 200 OK\r\nContent-Len"));
        let longer = b"HTTP/1.1 200 OK\r\nCONTENT-LENGTH:  2 \r\n\r\nhi there";
        assert_eq!(http_body(longer).unwrap(), b"hi");
        let broken = b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nhi";
        let error = http_body(broken).unwrap_err();
        assert!(!unanswered(&error), "{error:#}");
        assert!(!unanswered(&http_body(b"SSH-2.0-OpenSSH").unwrap_err()));
    }

    #[test]
    fn an_answer_of_differing_content_lengths_is_refused_and_of_one_repeated_taken() {
        for differing in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhi there"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2, 5\r\n\r\nhi there",
        ] {
            let error = http_body(differing).unwrap_err();
            let shown = format!("{error:#}");
            assert!(shown.contains("Content-Length is both 2 and 5"), "{shown}");
            assert!(!unanswered(&error), "{shown}");
        }
        for repeated in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length:  2\r\n\r\nhi there"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2 ,2\r\n\r\nhi there",
        ] {
            assert_eq!(http_body(repeated).unwrap(), b"hi");
        }
        let listed_with_junk = b"HTTP/1.1 200 OK\r\nContent-Length: 2, two\r\n\r\nhi";
        let error = http_body(listed_with_junk).unwrap_err();
        assert!(
            error.to_string().contains("\"two\" is no length"),
            "{error:#}"
        );
    }

    #[test]
    fn an_answer_is_read_as_http_1_x_reads_it() {
        // Lines may end in a bare line feed (RFC 9112 §2.2).
        let bare = b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi there";
        assert_eq!(http_body(bare).unwrap(), b"hi");
        // Whatever begins an HTTP/1.x answer is one cut off.
        let error = http_body(b"HTT").unwrap_err();
        assert!(
            matches!(error.downcast_ref(), Some(CutOff::PartlyAnswered)),
            "{error:#}"
        );
        let other = http_body(b"HTTP/2 200 OK\r\n\r\nhi").unwrap_err();
        assert!(other.to_string().contains("not HTTP"), "{other:#}");
        assert!(!unanswered(&other), "{other:#}");
        // Malformed fields are passed over; too many refuse the answer.
        let sloppy = b"HTTP/1.1 200 OK\r\nno colon\r\nContent-Length : 2\r\n\r\nhi there";
        assert_eq!(http_body(sloppy).unwrap(), b"hi");
        let fields = "X-Field: 1\r\n".repeat(MAX_HEADERS + 1);
        let crowded = format!("HTTP/1.1 200 OK\r\n{fields}\r\nhi");
        let error = http_body(crowded.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("too many headers"), "{error:#}");
    }

    #[test]
    fn a_server_that_never_answers_is_said_to_have_timed_out() {
        // Listening but never accepting: the request is taken, and nothing answers it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let addr = listener.local_addr().unwrap();
        let wait = Duration::from_millis(200);
        let error = call(&ControlApi::plain(addr), "switchyard.rooms", &[], wait).unwrap_err();
        let error = format!("{error:#}");
        assert!(error.contains("timed out after 0.2 s"), "{error}");
        assert!(!error.contains("os error"), "{error}");
    }

    #[test]
    fn only_a_request_sent_and_unanswered_may_have_been_carried_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let addr = listener.local_addr().unwrap();
        let wait = Duration::from_millis(200);
        let error = call(&ControlApi::plain(addr), "switchyard.kick", &[], wait).unwrap_err();
        assert!(unanswered(&error), "{error:#}");
        let refused = anyhow::Error::new(Refusal::Https).context("control API at 127.0.0.1:1");
        assert!(!unanswered(&refused));
        assert!(!unanswered(&anyhow!("cannot reach the control API")));
    }

    /// How [`serving_once`] ends its one connection.
    #[derive(Clone, Copy)]
    enum Ending {
        /// Reads the request, sends the answer, closes the connection.
        Read(&'static [u8]),
        /// Waits for the whole request and closes the connection without reading it.
        Unread,
        /// Reads the request, then sends the answer a byte at a time, one every
        /// [`TRICKLE`], until the client goes.
        Trickle(&'static [u8]),
    }

    /// How long [`Ending::Trickle`] waits between two bytes.
    const TRICKLE: Duration = Duration::from_millis(500);

    /// A server at a loopback address that takes one connection and ends it as `ending`
    /// says; joined, it gives the request that came on it.
    fn serving_once(ending: Ending) -> (SocketAddr, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("the client");
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut chunk = [0; 4096];
            for _ in 0..5_000 {
                if request.ends_with(b"</methodCall>\n") {
                    break;
                }
                let n = match ending {
                    Ending::Read(_) | Ending::Trickle(_) => stream.read(&mut chunk),
                    Ending::Unread => {
                        // What came so far, from its start, left unread.
                        std::thread::sleep(Duration::from_millis(1));
                        request.clear();
                        stream.peek(&mut chunk)
                    }
                }
                .expect("the request within 5 s");
                assert!(n > 0, "the client closed first");
                request.extend_from_slice(&chunk[..n]);
            }
            match ending {
                Ending::Read(answer) => stream.write_all(answer).expect("the answer sent"),
                Ending::Trickle(answer) => {
                    for byte in answer.chunks(1) {
                        std::thread::sleep(TRICKLE);
                        if stream.write_all(byte).is_err() {
                            break;
                        }
                    }
                }
                Ending::Unread => {}
            }
            String::from_utf8(request).unwrap()
        });
        (addr, server)
    }

    /// What `call` makes of `server`'s ending, shown, once `server` has the request.
    fn call_ended_by(
        (addr, server): (SocketAddr, std::thread::JoinHandle<String>),
    ) -> (anyhow::Error, String) {
        let error = call(&ControlApi::plain(addr), "switchyard.kick", &[], READ_WAIT).unwrap_err();
        let request = server.join().expect("the server had the request");
        assert!(request.contains("switchyard.kick"), "{request}");
        let shown = format!("{error:#}");
        assert!(!shown.contains("os error"), "{shown}");
        (error, shown)
    }

    #[test]
    fn a_connection_closed_after_the_whole_request_may_have_carried_it_out() {
        let (error, shown) = call_ended_by(serving_once(Ending::Read(b"")));
        assert!(unanswered(&error), "{shown}");
        assert!(
            shown.contains("the server closed the connection before its answer came")
                && shown.contains("may have carried it out"),
            "{shown}"
        );
    }

    #[test]
    fn an_answer_that_trickles_in_is_waited_for_no_longer_than_one_that_never_comes() {
        // 26 bytes, 13 s of them: the wait ends early among them.
        let (addr, server) = serving_once(Ending::Trickle(b"HTTP/1.1 200 OK\r\nContent"));
        let wait = Duration::from_secs(2);
        let started = Instant::now();
        let error = call(&ControlApi::plain(addr), "switchyard.rooms", &[], wait).unwrap_err();
        let took = started.elapsed();
        let shown = format!("{error:#}");
        assert!(shown.contains("timed out after 2 s"), "{shown}");
        assert!(unanswered(&error), "{shown}");
        assert!(
            took < wait + Duration::from_secs(1),
            "answered after {took:?}"
        );
        server.join().expect("the server had the request");
    }

    #[test]
    fn a_connection_reset_with_the_request_unread_did_not_carry_it_out() {
        // Closing a connection with the request come and unread resets it (RFC 2525 §2.17).
        let (error, shown) = call_ended_by(serving_once(Ending::Unread));
        assert!(!unanswered(&error), "{shown}");
        assert!(
            shown.contains("the server reset the connection without taking the request")
                && shown.contains("it was not carried out"),
            "{shown}"
        );
    }

    /// Answers no call: the calls of these tests never reach it.
    struct Unreached;

    impl switchyard_control::Dispatcher for Unreached {
        fn dispatch(
            &self,
            route: switchyard_control::Route,
        ) -> switchyard_control::DispatchFuture<'_> {
            Box::pin(async move { Err(Fault::unknown_method(&route.function)) })
        }
    }

    /// A control server at a loopback address that serves one connection at most, running on
    /// the runtime given (dropping it stops the server), and a connection it serves, which
    /// holds it at that limit.
    fn at_its_connection_limit() -> (tokio::runtime::Runtime, SocketAddr, TcpStream) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a listener");
        let addr = listener.local_addr().unwrap();
        // The connection held stays held however slowly the calls after it come: the idle
        // keep-alive connection's header timeout would free its place after 10 s.
        let options = switchyard_control::ServeOptions {
            max_connections: 1,
            header_read_timeout: Duration::from_secs(600),
            write_stall_timeout: Duration::from_secs(600),
            ..switchyard_control::ServeOptions::default()
        };
        runtime.spawn(switchyard_control::serve_with(
            listener,
            std::sync::Arc::new(Unreached),
            std::future::pending(),
            options,
        ));
        let mut held = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).expect("served");
        held.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // Answered, so surely served before the next connection comes.
        held.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("the request sent");
        let mut status = [0u8; 12];
        held.read_exact(&mut status).expect("an answer within 5 s");
        assert_eq!(&status, b"HTTP/1.1 200");
        (runtime, addr, held)
    }

    #[test]
    fn a_call_beyond_the_servers_connection_limit_did_not_carry_it_out() {
        let (_server, addr, _held) = at_its_connection_limit();
        // The server resets each connection as soon as it accepts it: before the request is
        // sent or after it came, as the scheduling falls (so, many calls); neither may be taken
        // for a request carried out.
        for _ in 0..100 {
            let error =
                call(&ControlApi::plain(addr), "switchyard.kick", &[], READ_WAIT).unwrap_err();
            let shown = format!("{error:#}");
            assert!(!unanswered(&error), "{shown}");
            assert!(shown.contains("reset"), "{shown}");
        }
    }

    #[test]
    fn a_200_cut_short_may_have_carried_the_request_out() {
        let cut = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 200\r\n\r\n\
                    <?xml version=\"1.0\"?><methodResponse><params><param><value>";
        let (error, shown) = call_ended_by(serving_once(Ending::Read(cut)));
        assert!(unanswered(&error), "{shown}");
        assert!(
            shown.contains("the server closed the connection before its whole answer came")
                && shown.contains("may have carried it out"),
            "{shown}"
        );
    }

    #[test]
    fn a_server_that_never_answers_the_tls_handshake_is_said_to_have_timed_out() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&cert, made.cert.pem()).unwrap();
        // Listening but never accepting: the handshake is sent, and nothing answers it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let cert = TrustedCertificate::load(&cert).unwrap();
        let api = ControlApi {
            addr: listener.local_addr().unwrap(),
            token: None,
            tls_cert: Some(&cert),
        };
        let error = call(&api, "switchyard.kick", &[], Duration::from_millis(200)).unwrap_err();
        let shown = format!("{error:#}");
        assert!(
            shown.contains("timed out after 0.2 s waiting for the TLS handshake"),
            "{shown}"
        );
        assert!(!shown.contains("os error"), "{shown}");
        // The request was never sent: nothing may have been carried out.
        assert!(!unanswered(&error), "{shown}");
    }

    #[test]
    fn a_closed_port_is_said_to_be_unreachable() {
        // Bound but not listening: a connection is refused, and no other test
        // can take the port meanwhile, as it could once a listener is dropped.
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a TCP socket");
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&loopback.into()).expect("bound on loopback");
        let addr = socket.local_addr().unwrap().as_socket().unwrap();
        let error = call(&ControlApi::plain(addr), "guestList", &[], READ_WAIT)
            .unwrap_err()
            .to_string();
        assert!(error.contains("cannot reach the control API"), "{error}");
    }
}
