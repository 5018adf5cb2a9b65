//! The event stream over WebSocket against a client: the handshake's errors
//! (RFC 6455 §4.2.1, §4.4), the close handshake (§5.5.1), how large a
//! message the server reads, and the Close a stopping server sends (§7.4.1).

mod support;

use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use support::{LIMIT, Server, answer, open, request};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, client_async};

const PATH: &str = "/api/v1/events/ws";

async fn server() -> Server {
    Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        ..ServeOptions::default()
    })
    .await
}

/// The next Close `socket` receives: its code (none for a Close without one, or the
/// connection ending without a Close).
async fn close_code(socket: &mut WebSocketStream<TcpStream>) -> Option<CloseCode> {
    let closed = timeout(LIMIT, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    });
    closed.await.expect("the server still holds the socket")
}

/// A client socket on the event stream of `server`.
async fn connect(server: &Server) -> WebSocketStream<TcpStream> {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let url = format!("ws://{}{PATH}", server.addr);
    let (socket, _) = timeout(
        LIMIT,
        client_async(url.into_client_request().unwrap(), stream),
    )
    .await
    .unwrap()
    .unwrap();
    socket
}

/// A handshake's lines but for `connection` and `version`.
fn handshake(connection: &str, version: &str) -> Vec<u8> {
    keyed_handshake(connection, version, "dGhlIHNhbXBsZSBub25jZQ==")
}

/// A handshake's lines but for `connection`, `version` and `key`.
fn keyed_handshake(connection: &str, version: &str, key: &str) -> Vec<u8> {
    let headers = format!(
        "Upgrade: websocket\r\nConnection: {connection}\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n"
    );
    request("GET", PATH, &headers, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_close_is_answered_with_a_close() {
    let server = server().await;
    let mut socket = connect(&server).await;
    socket.send(Message::Close(None)).await.unwrap();
    let reply = timeout(LIMIT, socket.next()).await.unwrap();
    assert!(
        matches!(reply, Some(Ok(Message::Close(_)))),
        "the server answers a Close with a Close: {reply:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_4_kib_ends_the_socket() {
    let server = server().await;
    let mut socket = connect(&server).await;
    socket
        .send(Message::text("x".repeat(3 * 1024)))
        .await
        .unwrap();
    socket
        .send(Message::text("x".repeat(8 * 1024)))
        .await
        .unwrap();
    // RFC 6455 §7.4.1: 1009, too big to process.
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Size));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_ends_its_event_streams_rather_than_wait_out_its_grace() {
    // A grace longer than `Server::stop` waits: stopping returns only if the streams end.
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        shutdown_grace: LIMIT * 3,
        ..ServeOptions::default()
    })
    .await;
    let (mut events, reply) = open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    let mut socket = connect(&server).await;
    let stopped = tokio::spawn(server.stop());
    // RFC 6455 §7.4.1: 1001, going away.
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Away));
    // Read on, the client answers the Close; the server then ends the connection (§7.1.1).
    while let Some(Ok(_)) = timeout(LIMIT, socket.next())
        .await
        .expect("the server keeps the connection")
    {}
    let mut rest = Vec::new();
    timeout(LIMIT, events.read_to_end(&mut rest))
        .await
        .expect("the event stream still open")
        .unwrap();
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "the stream's last chunk: {:?}",
        String::from_utf8_lossy(&rest)
    );
    stopped.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_handshake_is_told_so_when_no_subscriber_place_is_free() {
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        max_subscribers: 1,
        ..ServeOptions::default()
    })
    .await;
    let (_subscriber, reply) = open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    for (handshake, status) in [
        (request("GET", PATH, "", ""), 426),
        (handshake("Upgrade", "8"), 426),
        (handshake("keep-alive", "13"), 400),
        (keyed_handshake("Upgrade", "13", "the sample nonce"), 400),
    ] {
        for method in ["GET", "HEAD"] {
            let sent = String::from_utf8(handshake.clone())
                .unwrap()
                .replacen("GET", method, 1);
            let (_, reply) = open(server.addr, sent.as_bytes()).await;
            assert_eq!(reply.status, status, "{sent}: {}", reply.head);
        }
    }
    let busy = answer(server.addr, &handshake("Upgrade", "13")).await;
    assert_eq!(
        busy.status, 503,
        "a good handshake waits for a place: {}",
        busy.head
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_needs_the_upgrade_token_and_version_13() {
    let server = server().await;
    let reply = answer(server.addr, &handshake("Upgrade", "8")).await;
    assert_eq!(reply.status, 426, "{}", reply.head);
    assert!(
        reply.head.contains("\r\nsec-websocket-version: 13"),
        "{}",
        reply.head
    );
    let reply = answer(server.addr, &handshake("keep-alive", "13")).await;
    assert_eq!(reply.status, 400, "{}", reply.head);
    assert!(reply.body.contains("Upgrade"), "{}", reply.body);
    let reply = answer(server.addr, &request("GET", PATH, "", "")).await;
    assert_eq!(reply.status, 426, "{}", reply.head);
    assert!(
        reply.head.contains("\r\nsec-websocket-version: 13"),
        "{}",
        reply.head
    );
    let (_socket, reply) = open(server.addr, &handshake("keep-alive, Upgrade", "13")).await;
    assert_eq!(reply.status, 101, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_key_must_be_16_bytes_in_base64() {
    let server = server().await;
    for key in [
        "dGhlIHNhbXBsZSBub25j",     // 15 bytes
        "dGhlIHNhbXBsZSBub25jZSE=", // 17 bytes
        "dGhlIHNhbXBsZSBub25jZQ",   // unpadded
        "dGhl!HNhbXBsZSBub25jZQ==", // not base64
        "the sample nonce",         // 16 bytes, not encoded
    ] {
        let reply = answer(server.addr, &keyed_handshake("Upgrade", "13", key)).await;
        assert_eq!(reply.status, 400, "{key}: {}", reply.head);
        assert!(reply.body.contains("Sec-WebSocket-Key"), "{}", reply.body);
    }
    let (_socket, reply) = open(
        server.addr,
        &keyed_handshake("Upgrade", "13", "AAAAAAAAAAAAAAAAAAAAAA=="),
    )
    .await;
    assert_eq!(reply.status, 101, "{}", reply.head);
    assert!(
        reply
            .head
            .contains("sec-websocket-accept: icx+yqv66kxgm0fcwalwlflwtai="),
        "{}",
        reply.head
    );
    server.stop().await;
}
