//! What one client, or many, can hold of the endpoint: connections up to
//! [`ServeOptions::max_connections`], request heads up to 16 KiB, event
//! subscribers up to [`ServeOptions::max_subscribers`].

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;

use support::{LIMIT, Server, answer, assert_problem, open, raw, request, unless_reset, until_ok};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_beyond_the_limit_is_closed_until_one_is_free() {
    let server = Server::start(ServeOptions {
        max_connections: 2,
        ..ServeOptions::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        // A request on it, so it is surely accepted before the next one connects.
        stream
            .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 12];
        timeout(LIMIT, stream.read_exact(&mut first))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        held.push(stream);
    }
    if let Some(mut third) = unless_reset(TcpStream::connect(server.addr).await) {
        let _ = third
            .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await;
        let mut buf = Vec::new();
        let _ = timeout(LIMIT, third.read_to_end(&mut buf))
            .await
            .expect("a connection beyond the limit is closed");
        assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
    }
    drop(held.pop());
    until_ok(&server, "/openapi.json").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_beyond_either_limit_is_reset_even_before_its_request_is_sent() {
    let at_most_one = ServeOptions {
        max_connections: 1,
        ..ServeOptions::default()
    };
    let one_per_address = ServeOptions {
        max_connections_per_peer: 1,
        ..ServeOptions::default()
    };
    for options in [at_most_one, one_per_address] {
        let server = Server::start(options).await;
        let held = held_from("127.0.0.1", &server).await;
        assert!(held.is_some(), "within the limits");
        let unsent = timeout(LIMIT, read_before_sending(server.addr))
            .await
            .expect("a connection beyond the limit ends at once");
        assert_eq!(
            unsent.map_err(|e| e.kind()),
            Err(ErrorKind::ConnectionReset),
            "reset, not closed"
        );
        server.stop().await;
    }
}

/// What the first read of a connection to `addr` that sends nothing gives (a reset may come
/// before connecting has returned). A server's close would be an end of stream, `Ok(0)`, which a
/// client that sends its request next could not tell from a server that took it and ended.
async fn read_before_sending(addr: SocketAddr) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.read(&mut [0u8; 1]).await
}

/// A connection from `local` (any loopback address) with one request answered on it, so it is
/// surely accepted; `None` if the server closed it unanswered (a reset may come before
/// connecting has returned).
async fn held_from(local: &str, server: &Server) -> Option<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    let mut stream = unless_reset(socket.connect(server.addr).await)?;
    let _ = stream
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let mut first = [0u8; 12];
    match timeout(LIMIT, stream.read_exact(&mut first)).await.unwrap() {
        Ok(_) => {
            assert_eq!(&first, b"HTTP/1.1 200");
            Some(stream)
        }
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_no_more_than_its_share_of_the_connections() {
    let server = Server::start(ServeOptions {
        max_connections: 8,
        max_connections_per_peer: 2,
        ..ServeOptions::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(
            held_from("127.0.0.1", &server)
                .await
                .expect("within its share"),
        );
    }
    assert!(
        held_from("127.0.0.1", &server).await.is_none(),
        "a third from one address is closed"
    );
    let other = held_from("127.0.0.2", &server).await;
    assert!(other.is_some(), "another address is served meanwhile");
    drop(held.pop());
    assert!(
        until_held("127.0.0.1", &server).await,
        "its share again once one of its connections closed"
    );
    server.stop().await;
}

/// Whether a connection from `local` is served within [`LIMIT`] (a closed one frees its
/// place a moment after the client closes it).
async fn until_held(local: &str, server: &Server) -> bool {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while tokio::time::Instant::now() < deadline {
        if held_from(local, server).await.is_some() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_over_16_kib_is_refused() {
    let server = Server::start(ServeOptions::default()).await;
    let padding = format!("X-Padding: {}\r\n", "x".repeat(20 * 1024));
    let reply = raw(server.addr, &request("GET", "/openapi.json", &padding, "")).await;
    assert_eq!(reply.status, 431, "{}", reply.head);
    let padding = format!("X-Padding: {}\r\n", "x".repeat(8 * 1024));
    let reply = raw(server.addr, &request("GET", "/openapi.json", &padding, "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_beyond_the_limit_is_answered_503_until_one_leaves() {
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        max_subscribers: 1,
        ..ServeOptions::default()
    })
    .await;
    let (stream, reply) = open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    let websocket = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (path, headers) in [("/api/v1/events", ""), ("/api/v1/events/ws", websocket)] {
        let reply = answer(server.addr, &request("GET", path, headers, "")).await;
        assert_eq!(reply.status, 503, "{path}: {}", reply.head);
        assert_problem(&reply, "subscribers");
    }
    drop(stream);
    until_ok(&server, "/api/v1/events").await;
    server.stop().await;
}
