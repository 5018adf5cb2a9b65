//! A client that takes nothing it is sent is let go after
//! [`ServeOptions::write_stall_timeout`]: one that pipelines requests and
//! never reads their answers gives back its connection, over HTTP and HTTPS,
//! and an event subscriber that stops reading, of server-sent events or of a
//! WebSocket, gives back its place. One that reads slowly but steadily gets
//! all it asked for, however long that takes.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{
    FREED_WITHIN, LIMIT, Server, answer, assert_body, narrow, read_slowly, request, until_ok,
};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_rustls::rustls;

/// How long the tests' servers wait on a client that takes nothing.
const STALL: Duration = Duration::from_millis(500);

/// How long the pipelining tests' servers wait on a client that takes nothing: long enough
/// that a connection made meanwhile surely meets the one held, however late a loaded machine
/// accepts it.
const HELD: Duration = Duration::from_secs(5);

/// How long a new connection beyond the limit may take to learn of its reset, which the
/// server sends as it accepts it: one still open after that is served.
const RESET_WITHIN: Duration = Duration::from_secs(3);

/// A request for a document of some size, as a pipelining client sends it.
const PIPELINED: &[u8] = b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// How many requests the client pipelines: their answers are far more than the sockets buffer.
const REQUESTS: usize = 4000;

/// How much the steady slow reader takes at a time, every [`EVERY`]: 800 KiB/s, far slower
/// than loopback, so the server's writes wait on it nearly all the time, and far faster than
/// the least rate. A socket that woke its writer only once a third of its buffer (MiBs on
/// loopback) drained would keep a write waiting on it for over a second, past [`STALL`].
const SIP: u64 = 8 * 1024;

/// How often the steady slow reader takes [`SIP`].
const EVERY: Duration = Duration::from_millis(10);

/// What the steady slow reader downloads: more than the server's socket buffer holds (a few
/// MiB on loopback), and at least [`EVERY`] for each [`SIP`] of it, so that it takes several
/// times [`STALL`].
const DOWNLOAD: usize = 4 * 1024 * 1024;

/// How a new connection to `addr` that sends nothing ends within `within`: its first read's
/// result (or connecting's, if a reset came first), or `None` if it is still open then, as
/// one served is, waiting for its request.
async fn first_read(addr: SocketAddr, within: Duration) -> Option<std::io::Result<usize>> {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => return Some(Err(e)),
    };
    timeout(within, stream.read(&mut [0u8])).await.ok()
}

/// Asserts that the one connection `addr` serves is held: a new one is reset, however late
/// it is accepted, rather than served (which a server closes, if ever, only at its header
/// timeout, an end of stream).
async fn assert_held(addr: SocketAddr) {
    let ended = first_read(addr, LIMIT).await;
    assert!(
        matches!(&ended, Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "the one connection is held, so a new one is reset: {ended:?}"
    );
}

/// Waits until a new connection is served, for at most [`HELD`] and [`FREED_WITHIN`] more.
async fn until_served(addr: SocketAddr) {
    let started = Instant::now();
    while first_read(addr, RESET_WITHIN).await.is_some() {
        assert!(
            started.elapsed() < HELD + FREED_WITHIN,
            "the connection is still held"
        );
    }
}

/// Reads a response head off `stream`, byte by byte (nothing of what follows).
async fn head_of(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let read = timeout(LIMIT, stream.read(&mut byte))
            .await
            .expect("no response head")
            .unwrap();
        assert_eq!(read, 1, "closed after {:?}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// On `stream`: one request answered (so the server surely holds the connection), then
/// [`REQUESTS`] more whose answers are never read. Returns the task writing them, and
/// what reads the stream, to be kept open.
async fn pipeline_and_never_read<S>(stream: S) -> (JoinHandle<()>, tokio::io::ReadHalf<S>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    writer.write_all(PIPELINED).await.unwrap();
    let head = head_of(&mut reader).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let writing = tokio::spawn(async move {
        // The server stops reading once it cannot write: this waits, then fails when it
        // closes the connection.
        let _ = writer.write_all(&PIPELINED.repeat(REQUESTS)).await;
        std::future::pending::<()>().await;
    });
    (writing, reader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_pipelines_and_never_reads_gives_back_its_connection() {
    let server = Server::start(ServeOptions {
        max_connections: 1,
        write_stall_timeout: HELD,
        ..ServeOptions::default()
    })
    .await;
    let (writing, _reader) = pipeline_and_never_read(narrow(server.addr).await).await;
    assert_held(server.addr).await;
    until_served(server.addr).await;
    until_ok(&server, "/openapi.json").await;
    writing.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_pipelines_over_https_and_never_reads_gives_back_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let server = Server::start(ServeOptions {
        tls: Some(switchyard_control::tls::acceptor("control endpoint", &cert, &key).unwrap()),
        max_connections: 1,
        write_stall_timeout: HELD,
        ..ServeOptions::default()
    })
    .await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = timeout(LIMIT, connector.connect(name, narrow(server.addr).await))
        .await
        .unwrap()
        .unwrap();
    let (writing, _reader) = pipeline_and_never_read(tls).await;
    assert_held(server.addr).await;
    until_served(server.addr).await;
    writing.abort();
    server.stop().await;
}

/// A server keeping `log`'s events for one subscriber at most.
async fn one_subscriber(log: &Arc<EventLog>) -> Server {
    Server::start(ServeOptions {
        events: Some(log.clone()),
        max_subscribers: 1,
        write_stall_timeout: STALL,
        ..ServeOptions::default()
    })
    .await
}

/// Publishes far more than the sockets buffer.
fn flood(log: &EventLog) {
    let padding = "x".repeat(64 * 1024);
    for _ in 0..256 {
        log.publish("join", Some("1"), json!({ "padding": padding }));
    }
}

/// Subscribes with `path` and `headers`, as `status`, and never reads again; the place is
/// given back once the server has waited on it for [`STALL`].
async fn a_stuck_subscriber_gives_back_its_place(path: &str, headers: &str, status: &str) {
    let log = Arc::new(EventLog::new(512));
    let server = one_subscriber(&log).await;
    let mut stuck = narrow(server.addr).await;
    stuck
        .write_all(&request("GET", path, headers, ""))
        .await
        .unwrap();
    let head = head_of(&mut stuck).await;
    assert!(head.starts_with(status), "{head}");
    let busy = answer(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(busy.status, 503, "the one place is held: {}", busy.head);
    flood(&log);
    until_ok(&server, "/api/v1/events").await;
    drop(stuck);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_subscriber_that_stops_reading_gives_back_its_place() {
    a_stuck_subscriber_gives_back_its_place("/api/v1/events", "", "HTTP/1.1 200").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_subscriber_that_stops_reading_gives_back_its_place() {
    let handshake = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    a_stuck_subscriber_gives_back_its_place("/api/v1/events/ws", handshake, "HTTP/1.1 101").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_slow_reader_gets_a_download_that_outlasts_the_limit_whole() {
    let recordings = tempfile::tempdir().unwrap();
    let wav: Vec<u8> = (0..DOWNLOAD).map(|i| (i % 251) as u8).collect();
    std::fs::write(recordings.path().join("board.wav"), &wav).unwrap();
    let server = Server::start(ServeOptions {
        recordings: Some(recordings.path().to_owned()),
        write_stall_timeout: STALL,
        ..ServeOptions::default()
    })
    .await;
    let mut stream = narrow(server.addr).await;
    stream
        .write_all(&request("GET", "/api/v1/recordings/board.wav", "", ""))
        .await
        .unwrap();
    let started = Instant::now();
    let read = read_slowly(&mut stream, SIP, EVERY).await;
    let took = started.elapsed();
    assert_body(&read, &wav, &format!("in {took:?}"));
    assert!(
        took > STALL * 4,
        "over in {took:?}: not slow enough to test"
    );
    server.stop().await;
}
