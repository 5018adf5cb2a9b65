//! `HEAD` is answered like `GET` without the body (RFC 9110 §9.3.2) on every
//! path that answers `GET`: metrics, the OpenAPI document, a recording, the
//! REST reads, the console and the event stream; but where only a `GET` is
//! served: a recording's `HEAD` with `Range` gets `200` and the whole file's
//! headers where the `GET` gets `206` (RFC 9110 §14.2), and the event stream's
//! over WebSocket gets `426` where the `GET` gets `101` (RFC 6455 §4.1).

mod support;

use std::sync::Arc;

use support::{Server, raw, request};
use switchyard_control::access::Access;
use switchyard_control::events::EventLog;
use switchyard_control::{MetricsSource, ServeOptions};

/// What [`Gauge`] renders.
const RENDERED: &str = "# TYPE up gauge\nup 1\n";

/// Renders one fixed gauge.
struct Gauge;

impl MetricsSource for Gauge {
    fn render(&self) -> String {
        RENDERED.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_the_headers_of_get_and_allow_names_it() {
    let recordings = tempfile::tempdir().unwrap();
    std::fs::write(recordings.path().join("board.wav"), [7u8; 1000]).unwrap();
    let server = Server::start(ServeOptions {
        metrics: Some(Arc::new(Gauge)),
        recordings: Some(recordings.path().to_owned()),
        ..ServeOptions::default()
    })
    .await;
    for path in ["/metrics", "/openapi.json", "/api/v1/recordings/board.wav"] {
        head_is_get_without_the_body(&server, path, "").await;
        let post = raw(server.addr, &request("POST", path, "", "")).await;
        assert_eq!(post.status, 405, "{path}");
        assert!(
            post.head.contains("allow: get, head"),
            "{path}: {}",
            post.head
        );
    }
    let range = raw(
        server.addr,
        &request(
            "HEAD",
            "/api/v1/recordings/board.wav",
            "Range: bytes=0-9\r\n",
            "",
        ),
    )
    .await;
    // RFC 9110 §14.2: only GET is served a range.
    assert_eq!(range.status, 200, "{}", range.head);
    assert!(
        range.head.contains("content-length: 1000"),
        "{}",
        range.head
    );
    assert!(!range.head.contains("content-range"), "{}", range.head);
    assert_eq!(range.body, "");
    server.stop().await;
}

/// A valid WebSocket opening handshake's lines, but for the method (RFC 6455 §4.1).
const HANDSHAKE: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                         Sec-WebSocket-Version: 13\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_gives_each_head_the_statuses_the_server_answers_it() {
    let recordings = tempfile::tempdir().unwrap();
    std::fs::write(recordings.path().join("board.wav"), [7u8; 1000]).unwrap();
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        recordings: Some(recordings.path().to_owned()),
        ..ServeOptions::default()
    })
    .await;
    let document = raw(server.addr, &request("GET", "/openapi.json", "", "")).await;
    let document: serde_json::Value = serde_json::from_str(&document.body).unwrap();
    let documented = |path: &str, method: &str| -> Vec<String> {
        let responses = document["paths"][path][method]["responses"].as_object();
        responses.unwrap().keys().cloned().collect()
    };
    let range = "Range: bytes=0-9\r\n";
    for (documented_path, path, headers, get, head) in [
        (
            "/api/v1/recordings/{name}",
            "/api/v1/recordings/board.wav",
            range,
            206,
            200,
        ),
        (
            "/api/v1/events/ws",
            "/api/v1/events/ws",
            HANDSHAKE,
            101,
            426,
        ),
    ] {
        // The heads only: the 101 goes on as a WebSocket, and the handshake keeps the
        // connection open.
        let (_, got) = support::open(server.addr, &request("GET", path, headers, "")).await;
        let (_, headed) = support::open(server.addr, &request("HEAD", path, headers, "")).await;
        assert_eq!((got.status, headed.status), (get, head), "{path}");
        let (get, head) = (get.to_string(), head.to_string());
        assert!(documented(documented_path, "get").contains(&get), "{path}");
        assert!(
            documented(documented_path, "head").contains(&head),
            "{path}"
        );
        assert!(
            !documented(documented_path, "head").contains(&get),
            "{path}"
        );
    }
    let named = |method: &str| -> Vec<String> {
        let parameters = document["paths"]["/api/v1/recordings/{name}"][method]["parameters"]
            .as_array()
            .unwrap();
        parameters.iter().map(|p| p["name"].to_string()).collect()
    };
    assert!(named("get").contains(&"\"Range\"".to_owned()));
    assert!(!named("head").contains(&"\"Range\"".to_owned()));
    server.stop().await;
}

/// The content type of a reply, if any.
fn kind(reply: &support::HttpReply) -> Option<&str> {
    reply
        .head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: "))
}

/// Checks that `HEAD path` (with the header lines `headers`) answers 200 with
/// the length and type of `GET path`'s answer and no body.
async fn head_is_get_without_the_body(server: &Server, path: &str, headers: &str) {
    let get = raw(server.addr, &request("GET", path, headers, "")).await;
    let head = raw(server.addr, &request("HEAD", path, headers, "")).await;
    assert_eq!(
        (get.status, head.status),
        (200, 200),
        "{path}: {}",
        head.head
    );
    assert_eq!(head.body, "", "{path}");
    let length = format!("content-length: {}", get.body.len());
    assert!(head.head.contains(&length), "{path}: {}", head.head);
    assert_eq!(kind(&head), kind(&get), "{path}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_get_without_the_body_on_the_rest_reads_and_the_console() {
    let server = Server::start(ServeOptions {
        access: Access::token("a-token-of-twenty-chars"),
        ..ServeOptions::default()
    })
    .await;
    let token = "Authorization: Bearer a-token-of-twenty-chars\r\n";
    for (path, headers) in [
        ("/", ""),
        ("/api/v1/rooms", token),
        ("/api/v1/stats", token),
    ] {
        head_is_get_without_the_body(&server, path, headers).await;
    }
    // The console needs no token, whether read with GET or HEAD; nothing else does.
    let refused = raw(server.addr, &request("HEAD", "/api/v1/rooms", "", "")).await;
    assert_eq!(refused.status, 401, "{}", refused.head);
    for (method, path, allow) in [
        ("PUT", "/", "get, head, post"),
        ("POST", "/api/v1/rooms", "get, head"),
        ("HEAD", "/api/v1/rooms/1/lock", "put, delete"),
    ] {
        let reply = raw(server.addr, &request(method, path, token, "")).await;
        assert_eq!(reply.status, 405, "{method} {path}: {}", reply.head);
        let allowed = format!("allow: {allow}\r\n");
        assert!(
            reply.head.contains(&allowed),
            "{method} {path}: {}",
            reply.head
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_of_the_event_stream_answers_its_headers_and_subscribes_nobody() {
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        max_subscribers: 1,
        ..ServeOptions::default()
    })
    .await;
    for _ in 0..3 {
        let head = raw(server.addr, &request("HEAD", "/api/v1/events", "", "")).await;
        assert_eq!(head.status, 200, "{}", head.head);
        assert_eq!(kind(&head), Some("text/event-stream"));
        assert_unbuffered(&head.head);
        assert_eq!(head.body, "");
    }
    let websocket = raw(server.addr, &request("HEAD", "/api/v1/events/ws", "", "")).await;
    assert_eq!(websocket.status, 426, "{}", websocket.head);
    assert_eq!(websocket.body, "");
    let (subscriber, reply) =
        support::open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    assert_unbuffered(&reply.head);
    let busy = raw(server.addr, &request("HEAD", "/api/v1/events", "", "")).await;
    assert_eq!(busy.status, 503, "as GET would be: {}", busy.head);
    for path in ["/api/v1/events", "/api/v1/events/ws"] {
        let post = raw(server.addr, &request("POST", path, "", "")).await;
        assert_eq!(post.status, 405, "{path}");
        assert!(
            post.head.contains("allow: get, head\r\n"),
            "{path}: {}",
            post.head
        );
    }
    drop(subscriber);
    server.stop().await;
}

/// An event stream's head (lowercased) tells caches and proxies on the way to pass each
/// event on as it comes: neither kept nor transformed (RFC 9111 §5.2.2.4, §5.2.2.6), nor
/// buffered by nginx.
fn assert_unbuffered(head: &str) {
    let has = |line: &str| head.lines().any(|l| l == line);
    assert!(has("cache-control: no-cache, no-transform"), "{head}");
    assert!(has("x-accel-buffering: no"), "{head}");
}
