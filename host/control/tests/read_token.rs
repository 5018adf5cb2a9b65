//! A read token beside the admin token: a scraper or a wallboard holding it reads
//! (`/metrics`, REST `GET`s, the OpenAPI document, recordings, the event stream, with `GET`
//! or `HEAD`) and is refused everything else, XML-RPC included, with `403`; its
//! subscribers leave half the event stream's places to the admin token, which does
//! everything; any other token is `401`.

mod support;

use std::sync::Arc;

use base64::Engine as _;
use support::{ECHO_CALL, HttpReply, Server, answer, assert_problem, open, raw, request};
use switchyard_control::access::Access;
use switchyard_control::events::EventLog;
use switchyard_control::{MetricsSource, ServeOptions};
use tokio::net::TcpStream;

const ADMIN_TOKEN: &str = "an-admin-token-of-enough-length";
const READ_TOKEN: &str = "a-read-token-of-enough-length";

const RENDERED: &str = "# HELP up Up.\n# TYPE up gauge\nup 1\n";

/// Renders one fixed gauge.
struct TestMetrics;

impl MetricsSource for TestMetrics {
    fn render(&self) -> String {
        RENDERED.to_owned()
    }
}

/// The recording [`server_with_recordings`] serves, and its length.
const RECORDING: &str = "/api/v1/recordings/board.wav";
const RECORDING_BYTES: usize = 1000;

/// The event stream as server-sent events, and its WebSocket.
const EVENTS: &str = "/api/v1/events";
const WEBSOCKET: &str = "/api/v1/events/ws";

/// The header lines of a WebSocket handshake (RFC 6455 §4.1).
const HANDSHAKE: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/// Options with both tokens, metrics and events.
fn options() -> ServeOptions {
    ServeOptions {
        access: Access::with_read_token(ADMIN_TOKEN, READ_TOKEN),
        metrics: Some(Arc::new(TestMetrics)),
        events: Some(Arc::new(EventLog::new(16))),
        ..ServeOptions::default()
    }
}

/// A server with both tokens, metrics and events.
async fn server() -> Server {
    Server::start(options()).await
}

/// [`server`] with a recordings directory holding [`RECORDING`] (kept while the server runs).
async fn server_with_recordings() -> (Server, tempfile::TempDir) {
    let recordings = tempfile::tempdir().unwrap();
    let file = recordings.path().join("board.wav");
    std::fs::write(file, [7u8; RECORDING_BYTES]).unwrap();
    let server = Server::start(ServeOptions {
        recordings: Some(recordings.path().to_owned()),
        ..options()
    })
    .await;
    (server, recordings)
}

/// The header line carrying `token` as a bearer token.
fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

/// The header line carrying `token` as the password of Basic credentials (RFC 7617).
fn basic(token: &str) -> String {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("wallboard:{token}"));
    format!("Authorization: Basic {credentials}\r\n")
}

/// `method path` with `body`, carrying `token` as a bearer token.
async fn send(server: &Server, token: &str, method: &str, path: &str, body: &str) -> HttpReply {
    let request = request(method, path, &bearer(token), body);
    if method == "HEAD" {
        // Its `Content-Length` is GET's, with no body: read until the server closes.
        return raw(server.addr, &request).await;
    }
    answer(server.addr, &request).await
}

/// `GET path` (the event stream or its WebSocket) carrying `token`.
fn subscription(path: &str, token: &str) -> Vec<u8> {
    let handshake = if path == WEBSOCKET { HANDSHAKE } else { "" };
    request("GET", path, &format!("{}{handshake}", bearer(token)), "")
}

/// A subscriber with `token` served on `path`: its connection, left open.
async fn subscribed(server: &Server, token: &str, path: &str) -> TcpStream {
    let (stream, reply) = open(server.addr, &subscription(path, token)).await;
    let served = if path == WEBSOCKET { 101 } else { 200 };
    assert_eq!(reply.status, served, "{path}: {}", reply.head);
    stream
}

/// The answer to a subscriber with `token` on `path` that is not served.
async fn not_subscribed(server: &Server, token: &str, path: &str) -> HttpReply {
    answer(server.addr, &subscription(path, token)).await
}

/// The response's header `name` (lowercase), if it has one.
fn header<'a>(reply: &'a HttpReply, name: &str) -> Option<&'a str> {
    reply
        .head
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
}

/// A REST read, `/metrics`, a REST write (a kick) and an XML-RPC call, each carrying `token`:
/// their answers, in that order.
async fn four_requests(server: &Server, token: &str) -> [HttpReply; 4] {
    let kick = "/api/v1/rooms/1/participants/c7";
    [
        send(server, token, "GET", "/api/v1/rooms", "").await,
        send(server, token, "GET", "/metrics", "").await,
        send(server, token, "DELETE", kick, "").await,
        send(server, token, "POST", "/RPC2", ECHO_CALL).await,
    ]
}

fn statuses(replies: &[HttpReply]) -> Vec<u16> {
    replies.iter().map(|reply| reply.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_reads_and_is_refused_the_rest() {
    let server = server().await;
    let replies = four_requests(&server, READ_TOKEN).await;
    assert_eq!(statuses(&replies), [200, 200, 403, 403]);
    assert_eq!(replies[1].body, RENDERED);
    for refused in &replies[2..] {
        assert_problem(refused, "this token may only read");
        assert!(
            !refused.head.contains("www-authenticate"),
            "no challenge for a known token: {}",
            refused.head
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_does_everything_and_any_other_is_401() {
    let server = server().await;
    let replies = four_requests(&server, ADMIN_TOKEN).await;
    assert_eq!(statuses(&replies), [200, 200, 200, 200]);
    assert!(
        replies[3].body.contains("<methodResponse><params>"),
        "{}",
        replies[3].body
    );
    let replies = four_requests(&server, "a-wrong-token-of-enough-length").await;
    assert_eq!(statuses(&replies), [401, 401, 401, 401]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_reads_every_document_with_get_and_head() {
    let (server, _recordings) = server_with_recordings().await;
    let documents = ["/metrics", "/openapi.json", "/api/v1/rooms", RECORDING];
    for path in documents {
        let got = send(&server, READ_TOKEN, "GET", path, "").await;
        assert_eq!(got.status, 200, "GET {path}: {}", got.head);
        let head = send(&server, READ_TOKEN, "HEAD", path, "").await;
        assert_eq!(head.status, 200, "HEAD {path}: {}", head.head);
        assert_eq!(
            header(&head, "content-length"),
            header(&got, "content-length"),
            "HEAD {path} is GET without the body"
        );
    }
    let recording = send(&server, READ_TOKEN, "GET", RECORDING, "").await;
    assert_eq!(recording.body.len(), RECORDING_BYTES);
    let openapi = send(&server, READ_TOKEN, "GET", "/openapi.json", "").await;
    let document: serde_json::Value = serde_json::from_str(&openapi.body).unwrap();
    assert!(document["paths"][EVENTS].is_object(), "{}", openapi.body);
    let deleted = send(&server, READ_TOKEN, "DELETE", RECORDING, "").await;
    assert_eq!(deleted.status, 403, "{}", deleted.head);
    assert_problem(&deleted, "this token may only read");
    let kept = send(&server, ADMIN_TOKEN, "HEAD", RECORDING, "").await;
    assert_eq!(
        kept.status, 200,
        "the read token deleted nothing: {}",
        kept.head
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_subscribes_to_events_and_their_websocket() {
    let server = server().await;
    let head = send(&server, READ_TOKEN, "HEAD", EVENTS, "").await;
    assert_eq!(head.status, 200, "{}", head.head);
    assert_eq!(header(&head, "content-type"), Some("text/event-stream"));
    let (_events, reply) = open(server.addr, &subscription(EVENTS, READ_TOKEN)).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_eq!(header(&reply, "content-type"), Some("text/event-stream"));
    let (_socket, reply) = open(server.addr, &subscription(WEBSOCKET, READ_TOKEN)).await;
    assert_eq!(reply.status, 101, "{}", reply.head);
    assert_eq!(header(&reply, "upgrade"), Some("websocket"));
    for path in [EVENTS, WEBSOCKET] {
        let refused = not_subscribed(&server, "a-wrong-token-of-enough-length", path).await;
        assert_eq!(refused.status, 401, "{path}: {}", refused.head);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_as_a_basic_password_is_refused_xml_rpc_without_a_challenge() {
    let server = server().await;
    let xml = "Content-Type: text/xml\r\n";
    let call = |token: &str| {
        request(
            "POST",
            "/RPC2",
            &format!("{}{xml}", basic(token)),
            ECHO_CALL,
        )
    };
    let refused = answer(server.addr, &call(READ_TOKEN)).await;
    assert_eq!(refused.status, 403, "{}", refused.head);
    assert_problem(&refused, "this token may only read");
    assert_eq!(
        header(&refused, "www-authenticate"),
        None,
        "{}",
        refused.head
    );
    let served = answer(server.addr, &call(ADMIN_TOKEN)).await;
    assert_eq!(served.status, 200, "{}", served.head);
    assert!(
        served.body.contains("<methodResponse><params>"),
        "{}",
        served.body
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_token_leaves_half_the_subscriber_places_to_the_admin_token() {
    let server = server().await;
    let places = ServeOptions::default().max_subscribers;
    let half = places / 2;
    let alternately = |n: usize| [EVENTS, WEBSOCKET][n % 2];
    let mut held = Vec::new();
    for n in 0..half {
        held.push(subscribed(&server, READ_TOKEN, alternately(n)).await);
    }
    for path in [EVENTS, WEBSOCKET] {
        let refused = not_subscribed(&server, READ_TOKEN, path).await;
        assert_eq!(refused.status, 503, "{path}: {}", refused.head);
        assert_problem(&refused, "the read token may have");
    }
    let head = send(&server, READ_TOKEN, "HEAD", EVENTS, "").await;
    assert_eq!(head.status, 503, "as its GET is: {}", head.head);
    let head = send(&server, ADMIN_TOKEN, "HEAD", EVENTS, "").await;
    assert_eq!(head.status, 200, "{}", head.head);
    for n in half..places {
        held.push(subscribed(&server, ADMIN_TOKEN, alternately(n)).await);
    }
    let refused = not_subscribed(&server, ADMIN_TOKEN, EVENTS).await;
    assert_eq!(refused.status, 503, "every place taken: {}", refused.head);
    assert_problem(&refused, &format!("event subscribers ({places})"));
    drop(held);
    server.stop().await;
}
