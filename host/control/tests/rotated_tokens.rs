//! Event streams across a change of the access rule ([`Access::adopt`], what a reload that
//! rotates the tokens does): a stream whose token the new rule no longer lets in ends,
//! server-sent events with the end of the response, a WebSocket with a Close `1008`, and
//! its place is freed; a stream whose token is kept, or now lets it do more, goes on.

mod support;

use std::sync::Arc;

use futures_util::StreamExt as _;
use serde_json::json;
use support::{LIMIT, Server, answer, open, request};
use switchyard_control::ServeOptions;
use switchyard_control::access::Access;
use switchyard_control::events::EventLog;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, client_async};

const ADMIN_TOKEN: &str = "an-admin-token-of-enough-length";
const READ_TOKEN: &str = "a-read-token-of-enough-length";
const ROTATED_READ_TOKEN: &str = "a-rotated-read-token-of-enough-length";

const EVENTS: &str = "/api/v1/events?after=now";
const WEBSOCKET: &str = "/api/v1/events/ws?after=now";

/// A server with `access` and an event log, and that log.
async fn server(access: Access) -> (Server, Arc<EventLog>) {
    let log = Arc::new(EventLog::new(16));
    let server = Server::start(ServeOptions {
        access,
        events: Some(Arc::clone(&log)),
        ..ServeOptions::default()
    })
    .await;
    (server, log)
}

/// The header line carrying `token` (none: no line).
fn authorization(token: Option<&str>) -> String {
    token.map_or_else(String::new, |token| {
        format!("Authorization: Bearer {token}\r\n")
    })
}

/// A server-sent event stream of `server` opened with `token`: its connection, the answer's
/// head read.
async fn events(server: &Server, token: Option<&str>) -> TcpStream {
    let (stream, reply) = open(
        server.addr,
        &request("GET", EVENTS, &authorization(token), ""),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    stream
}

/// A WebSocket on the event stream of `server` opened with `token`.
async fn websocket(server: &Server, token: Option<&str>) -> WebSocketStream<TcpStream> {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut handshake = format!("ws://{}{WEBSOCKET}", server.addr)
        .into_client_request()
        .unwrap();
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().unwrap();
        handshake.headers_mut().insert("authorization", value);
    }
    let (socket, _) = timeout(LIMIT, client_async(handshake, stream))
        .await
        .unwrap()
        .unwrap();
    socket
}

/// Asserts that the server ends the server-sent events of `stream`: the response's last
/// chunk, then the connection closed.
async fn assert_ended(stream: &mut TcpStream) {
    let mut rest = Vec::new();
    timeout(LIMIT, stream.read_to_end(&mut rest))
        .await
        .expect("the event stream still open")
        .unwrap();
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "the stream's last chunk: {:?}",
        String::from_utf8_lossy(&rest)
    );
}

/// Asserts that `stream` carries an event of `room` (the next one published).
async fn assert_carries(stream: &mut TcpStream, room: &str) {
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    let wanted = format!("\"room\":\"{room}\"");
    while !String::from_utf8_lossy(&read).contains(&wanted) {
        let n = timeout(LIMIT, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no {wanted} in {:?}", String::from_utf8_lossy(&read)))
            .unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&read));
        read.extend_from_slice(&buffer[..n]);
    }
}

/// The next Close `socket` receives: its code and reason (none for the connection ending
/// without one), the messages before it skipped.
async fn close_of(socket: &mut WebSocketStream<TcpStream>) -> Option<(CloseCode, String)> {
    let closed = timeout(LIMIT, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (f.code, f.reason.to_string()));
                }
                None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    });
    closed.await.expect("the server still holds the socket")
}

/// The next text message `socket` receives, as JSON.
async fn next_message(socket: &mut WebSocketStream<TcpStream>) -> serde_json::Value {
    loop {
        let message = timeout(LIMIT, socket.next()).await.expect("no message");
        if let Some(Ok(Message::Text(text))) = message {
            return serde_json::from_str(&text).unwrap();
        }
        assert!(matches!(message, Some(Ok(_))), "{message:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_token_is_rotated_away_ends_and_one_with_a_kept_token_goes_on() {
    let access = Access::with_read_token(ADMIN_TOKEN, READ_TOKEN);
    let (server, log) = server(access.clone()).await;
    let mut rotated_events = events(&server, Some(READ_TOKEN)).await;
    let mut rotated_socket = websocket(&server, Some(READ_TOKEN)).await;
    let mut kept_events = events(&server, Some(ADMIN_TOKEN)).await;
    let mut kept_socket = websocket(&server, Some(ADMIN_TOKEN)).await;

    access.adopt(&Access::with_read_token(ADMIN_TOKEN, ROTATED_READ_TOKEN));
    assert_ended(&mut rotated_events).await;
    let (code, reason) = close_of(&mut rotated_socket).await.expect("a Close");
    // RFC 6455 §7.4.1: 1008, a policy violation.
    assert_eq!(code, CloseCode::Policy);
    assert!(reason.contains("no longer lets it in"), "{reason}");

    log.publish("join", Some("kept"), json!({"call": "c1"}));
    assert_carries(&mut kept_events, "kept").await;
    let message = next_message(&mut kept_socket).await;
    assert_eq!(
        (&message["event"], &message["data"]["room"]),
        (&json!("join"), &json!("kept")),
        "{message}"
    );
    let refused = answer(
        server.addr,
        &request("GET", EVENTS, &authorization(Some(READ_TOKEN)), ""),
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.head);
    drop((kept_events, kept_socket));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_without_a_token_ends_once_one_is_needed() {
    let access = Access::open();
    let (server, _log) = server(access.clone()).await;
    let mut events = events(&server, None).await;
    let mut socket = websocket(&server, None).await;
    access.adopt(&Access::token(ADMIN_TOKEN));
    assert_ended(&mut events).await;
    let close = close_of(&mut socket).await.map(|(code, _)| code);
    assert_eq!(close, Some(CloseCode::Policy));
    server.stop().await;
}

/// A server with `access` and two event-stream places, one of them the read token's.
async fn server_of_two_places(access: Access) -> Server {
    Server::start(ServeOptions {
        access,
        events: Some(Arc::new(EventLog::new(16))),
        max_subscribers: 2,
        ..ServeOptions::default()
    })
    .await
}

/// Asserts that a server-sent events subscriber with `token` finds no place free to it.
async fn assert_no_place_for(server: &Server, token: &str) {
    let busy = answer(
        server.addr,
        &request("GET", EVENTS, &authorization(Some(token)), ""),
    )
    .await;
    assert_eq!(busy.status, 503, "{}", busy.head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_places_of_the_streams_ended_are_free_again() {
    let access = Access::with_read_token(ADMIN_TOKEN, READ_TOKEN);
    let server = server_of_two_places(access.clone()).await;
    // The read token's one place of two.
    let mut held = events(&server, Some(READ_TOKEN)).await;
    assert_no_place_for(&server, READ_TOKEN).await;
    access.adopt(&Access::with_read_token(ADMIN_TOKEN, ROTATED_READ_TOKEN));
    assert_ended(&mut held).await;
    let _new = events(&server, Some(ROTATED_READ_TOKEN)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_place_of_a_websocket_ended_is_free_again() {
    let access = Access::with_read_token(ADMIN_TOKEN, READ_TOKEN);
    let server = server_of_two_places(access.clone()).await;
    let mut held = websocket(&server, Some(READ_TOKEN)).await;
    assert_no_place_for(&server, READ_TOKEN).await;
    access.adopt(&Access::with_read_token(ADMIN_TOKEN, ROTATED_READ_TOKEN));
    let close = close_of(&mut held).await.map(|(code, _)| code);
    assert_eq!(close, Some(CloseCode::Policy));
    // Reading on sends the answering Close, which the server waits for before it lets the
    // socket go.
    let rest = timeout(LIMIT, async { while held.next().await.is_some() {} }).await;
    rest.expect("the server still holds the socket");
    let _new = websocket(&server, Some(ROTATED_READ_TOKEN)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_token_stream_goes_on_once_every_token_is_unset() {
    let access = Access::with_read_token(ADMIN_TOKEN, READ_TOKEN);
    let (server, log) = server(access.clone()).await;
    let mut events = events(&server, Some(READ_TOKEN)).await;
    let mut socket = websocket(&server, Some(READ_TOKEN)).await;
    access.adopt(&Access::open());
    log.publish("join", Some("kept"), json!({"call": "c1"}));
    assert_carries(&mut events, "kept").await;
    let message = next_message(&mut socket).await;
    assert_eq!(message["data"]["room"], "kept", "{message}");
    drop((events, socket));
    server.stop().await;
}
