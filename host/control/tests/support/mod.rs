//! What the endpoint's tests share: a dispatcher that echoes, a server on a
//! free loopback port, and raw HTTP/1.1 requests. Each test binary uses part
//! of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_control::{
    DispatchFuture, Dispatcher, Fault, Route, ServeOptions, Value, serve_with,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// The longest any wait of a test takes.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Answers `echo`-style calls with `[interface or "-", function, [params…]]`; `fail` with fault
/// 504; `slow` after 300 ms; `hang` never; `panic` by panicking; `large` with a string of
/// [`LARGE`] bytes; any call whose first param is `"busy"` with a busy fault.
pub struct TestDispatcher;

impl Dispatcher for TestDispatcher {
    fn dispatch(&self, route: Route) -> DispatchFuture<'_> {
        Box::pin(async move {
            if route.params.first() == Some(&Value::from("busy")) {
                return Err(Fault::busy("every test slot is in use"));
            }
            match route.function.as_str() {
                "fail" => Err(Fault::unknown_method("fail")),
                "slow" => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(Value::from("slow done"))
                }
                "hang" => std::future::pending().await,
                "panic" => panic!("test dispatcher panics on purpose"),
                "large" => Ok(Value::from(large_string())),
                _ => Ok(Value::Array(vec![
                    Value::String(route.interface.unwrap_or_else(|| "-".into())),
                    Value::String(route.function),
                    Value::Array(route.params),
                ])),
            }
        })
    }
}

/// The length of the `large` call's answer: far more than a loopback socket's buffers hold.
pub const LARGE: usize = 8 * 1024 * 1024;

/// What the `large` call answers.
pub fn large_string() -> String {
    "x".repeat(LARGE)
}

/// What `stream` carries until it ends, read `chunk` bytes at a time with `every` between
/// reads, as a slow client reads; each read must come within [`LIMIT`].
pub async fn read_slowly(stream: &mut TcpStream, chunk: u64, every: Duration) -> Vec<u8> {
    let mut read = Vec::new();
    loop {
        tokio::time::sleep(every).await;
        let taken = timeout(LIMIT, (&mut *stream).take(chunk).read_to_end(&mut read))
            .await
            .expect("neither sent nor closed")
            .expect("the connection ends without an error");
        if taken == 0 {
            return read;
        }
    }
}

/// Asserts that the whole HTTP/1.1 response `read` carries `body` after its head, saying how
/// much of it arrived and `how`.
pub fn assert_body(read: &[u8], body: &[u8], how: &str) {
    let split = read.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(
        read[split..] == *body,
        "{} of {} bytes {how}",
        read.len() - split,
        body.len()
    );
}

/// A connection to `addr` that buffers little of what it is sent, so that the server's
/// writes soon wait on it.
pub async fn narrow(addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    timeout(LIMIT, socket.connect(addr)).await.unwrap().unwrap()
}

/// The connection `connecting` gave, or `None` if the server reset it (one beyond its
/// connection limits) before connecting returned.
pub fn unless_reset(connecting: std::io::Result<TcpStream>) -> Option<TcpStream> {
    match connecting {
        Ok(stream) => Some(stream),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
        Err(e) => panic!("connecting: {e}"),
    }
}

/// A server on a free port, stopped by [`Server::stop`].
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves [`TestDispatcher`] on a free loopback port.
    pub async fn start(options: ServeOptions) -> Server {
        Server::start_on("127.0.0.1:0", options).await
    }

    /// Serves [`TestDispatcher`] on `bind`; `addr` is then a loopback address of its port.
    pub async fn start_on(bind: &str, options: ServeOptions) -> Server {
        Server::serving(bind, Arc::new(TestDispatcher), options).await
    }

    /// Serves `dispatcher` on `bind`; `addr` is then a loopback address of its port.
    pub async fn serving(
        bind: &str,
        dispatcher: Arc<dyn Dispatcher>,
        options: ServeOptions,
    ) -> Server {
        let listener = TcpListener::bind(bind).await.unwrap();
        let mut addr = listener.local_addr().unwrap();
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve_with(listener, dispatcher, shutdown, options));
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Shuts down and returns how long `serve` took to return.
    pub async fn stop(mut self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        timeout(LIMIT, &mut self.task)
            .await
            .expect("serve did not return after shutdown")
            .unwrap()
            .unwrap();
        started.elapsed()
    }
}

/// How long a freed connection or subscriber may take to be usable again.
pub const FREED_WITHIN: Duration = Duration::from_secs(5);

/// Retries `GET path` until it is answered 200, for at most [`FREED_WITHIN`]; a connection
/// closed unanswered counts as not yet.
pub async fn until_ok(server: &Server, path: &str) {
    let started = Instant::now();
    loop {
        let mut status = [0u8; 12];
        if let Some(mut stream) = unless_reset(TcpStream::connect(server.addr).await) {
            let _ = stream.write_all(&request("GET", path, "", "")).await;
            let read = timeout(LIMIT, stream.read_exact(&mut status))
                .await
                .expect("neither answered nor closed");
            if read.is_ok() && &status == b"HTTP/1.1 200" {
                return;
            }
        }
        assert!(
            started.elapsed() < FREED_WITHIN,
            "{path} still answers {}",
            String::from_utf8_lossy(&status)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A response as raw HTTP: its status, its head lowercased, its body.
pub struct HttpReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// `reply` is an RFC 9457 problem whose detail says `detail_part`.
pub fn assert_problem(reply: &HttpReply, detail_part: &str) {
    assert!(
        reply
            .head
            .contains("content-type: application/problem+json"),
        "{}",
        reply.head
    );
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("a JSON problem");
    assert_eq!(body["status"], reply.status, "{}", reply.body);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(detail_part), "{detail}");
}

pub fn parse_reply(raw: &[u8]) -> HttpReply {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response in {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    HttpReply {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// Sends `request` on a fresh connection and reads until the server closes it.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> HttpReply {
    let mut stream = sent(addr, request).await;
    let mut buf = Vec::new();
    // An error after the response (a reset for unread body bytes) still leaves it in `buf`.
    let _ = timeout(LIMIT, stream.read_to_end(&mut buf))
        .await
        .expect("the server did not close the connection");
    parse_reply(&buf)
}

/// Sends `request` on a fresh connection and reads the response's head only: for answers
/// that go on (a stream, a WebSocket). Returns the open connection too.
pub async fn open(addr: SocketAddr, request: &[u8]) -> (TcpStream, HttpReply) {
    let mut stream = sent(addr, request).await;
    let mut buf = Vec::new();
    while !buf.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let read = timeout(LIMIT, stream.read(&mut byte))
            .await
            .expect("no response head")
            .unwrap();
        assert_eq!(read, 1, "closed after {:?}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    (stream, parse_reply(&buf))
}

/// Sends `request` on a fresh connection and reads one response: its head, and as much body
/// as its `Content-Length` says (none without one; not for `HEAD`).
pub async fn answer(addr: SocketAddr, request: &[u8]) -> HttpReply {
    let (mut stream, mut reply) = open(addr, request).await;
    let length = reply
        .head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    timeout(LIMIT, stream.read_exact(&mut body))
        .await
        .expect("the body did not arrive")
        .unwrap();
    reply.body = String::from_utf8_lossy(&body).into_owned();
    reply
}

/// `method path` with the extra header lines `headers` (each ending in CRLF) and `body`
/// (its length declared when not empty), and `Connection: close` unless `headers` have a
/// `Connection` line of their own.
pub fn request(method: &str, path: &str, headers: &str, body: &str) -> Vec<u8> {
    request_for("127.0.0.1", method, path, headers, body)
}

/// [`request`] with `Host: <host>`.
pub fn request_for(host: &str, method: &str, path: &str, headers: &str, body: &str) -> Vec<u8> {
    let length = if body.is_empty() {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let close = if headers.to_ascii_lowercase().contains("connection:") {
        ""
    } else {
        "Connection: close\r\n"
    };
    format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}{length}{close}\r\n{body}")
        .into_bytes()
}

/// An XML-RPC `POST` of `body` to `path`.
pub fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub const ECHO_CALL: &str = "<?xml version='1.0'?>\n<methodCall>\n<methodName>webconference.echo</methodName>\n\
    <params>\n<param>\n<value><string>alive</string></value>\n</param>\n</params>\n</methodCall>\n";

/// The server still answers a good call.
pub async fn assert_alive(addr: SocketAddr) {
    let reply = raw(addr, &post("/RPC2", ECHO_CALL)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.head.contains("content-type: text/xml"),
        "{}",
        reply.head
    );
    assert_eq!(
        reply.body,
        "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><array><data>\
         <value><string>webconference</string></value><value><string>echo</string></value>\
         <value><array><data><value><string>alive</string></value></data></array></value>\
         </data></array></value></param></params></methodResponse>\n"
    );
}

pub fn assert_fault(reply: &HttpReply, code: i32, message_part: &str) {
    assert_eq!(
        reply.status, 200,
        "faults travel as HTTP 200: {}",
        reply.body
    );
    let code_xml = format!("<member><name>faultCode</name><value><i4>{code}</i4></value></member>");
    assert!(
        reply.body.contains("<methodResponse><fault>"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(&code_xml), "{}", reply.body);
    assert!(reply.body.contains(message_part), "{}", reply.body);
}

/// A fresh connection to `addr` with `request` written on it.
async fn sent(addr: SocketAddr, request: &[u8]) -> TcpStream {
    let mut stream = timeout(LIMIT, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    stream.write_all(request).await.unwrap();
    stream
}
