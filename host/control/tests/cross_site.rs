//! What a web page on another site cannot make the endpoint do: XML-RPC from a
//! browser and REST bodies only of their own content types (no `text/plain`
//! form post), no request whose `Origin` is another host, and on a loopback
//! listener no `Host` but a loopback one (DNS rebinding).

mod support;

use std::sync::Arc;

use support::{ECHO_CALL, HttpReply, Server, answer, assert_problem, open, request, request_for};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;

/// `Upgrade` lines of a WebSocket handshake.
const WEBSOCKET: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_rpc_from_a_browser_takes_xml_bodies_only() {
    let server = Server::start(ServeOptions::default()).await;
    let port = server.addr.port();
    let own_host = format!("127.0.0.1:{port}");
    // A page on the server's own origin: an origin check lets it through.
    let page = format!("Origin: http://127.0.0.1:{port}\r\n");
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let headers = format!("{page}Content-Type: {content_type}\r\n");
        let call = request_for(&own_host, "POST", "/RPC2", &headers, ECHO_CALL);
        let reply = answer(server.addr, &call).await;
        assert_eq!(reply.status, 415, "{content_type}: {}", reply.body);
        assert_problem(&reply, "text/xml");
        assert!(reply.body.contains(content_type), "{}", reply.body);
        assert!(
            reply.head.contains("accept: text/xml, application/xml"),
            "{}",
            reply.head
        );
    }
    let untyped = request_for(&own_host, "POST", "/", &page, ECHO_CALL);
    let reply = answer(server.addr, &untyped).await;
    assert_eq!(reply.status, 415, "no Content-Type: {}", reply.body);
    for content_type in ["Text/XML; charset=UTF-8", "application/xml"] {
        let headers = format!("{page}Content-Type: {content_type}\r\n");
        let call = request_for(&own_host, "POST", "/RPC2", &headers, ECHO_CALL);
        assert_echoed(&answer(server.addr, &call).await, content_type);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_rpc_from_other_clients_takes_any_body_type_as_sems_does() {
    let server = Server::start(ServeOptions::default()).await;
    // What `curl -d @call.xml` sends, what a hand-made client may send, and none.
    for headers in [
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "Content-Type: text/plain\r\n",
        "",
    ] {
        let call = request("POST", "/RPC2", headers, ECHO_CALL);
        assert_echoed(&answer(server.addr, &call).await, headers);
    }
    server.stop().await;
}

/// Asserts that `reply` answers [`ECHO_CALL`] (sent with `what`).
fn assert_echoed(reply: &HttpReply, what: &str) {
    assert_eq!(reply.status, 200, "{what:?}: {}", reply.body);
    assert!(
        reply.body.contains("<string>alive</string>"),
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_bodies_are_json_and_a_post_without_a_body_needs_no_type() {
    let server = Server::start(ServeOptions::default()).await;
    let body = r#"{"name": "board"}"#;
    let form = request(
        "POST",
        "/api/v1/rooms/9/recording",
        "Content-Type: text/plain\r\n",
        body,
    );
    let reply = answer(server.addr, &form).await;
    assert_eq!(reply.status, 415, "{}", reply.body);
    assert!(
        reply.body.contains("application/json") && reply.body.contains("text/plain"),
        "{}",
        reply.body
    );
    assert!(
        reply.head.contains("accept: application/json"),
        "{}",
        reply.head
    );
    let untyped = request("POST", "/api/v1/rooms/9/recording", "", body);
    assert_eq!(answer(server.addr, &untyped).await.status, 415);
    let json = request(
        "POST",
        "/api/v1/rooms/9/recording",
        "Content-Type: Application/JSON; charset=utf-8\r\n",
        body,
    );
    let reply = answer(server.addr, &json).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        r#"["switchyard","startRecording",["9","board"]]"#
    );
    // What the console sends for Mute: no body, no Content-Type.
    let mute = request("POST", "/api/v1/rooms/9/participants/c1/mute", "", "");
    let reply = answer(server.addr, &mute).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_from_another_origin_is_refused_on_every_route() {
    let server = Server::start(ServeOptions {
        events: Some(Arc::new(EventLog::new(16))),
        ..ServeOptions::default()
    })
    .await;
    let port = server.addr.port();
    // What a browser sends: the host with the port.
    let own_host = format!("127.0.0.1:{port}");
    let xml = "Content-Type: text/xml\r\n";
    for origin in [
        "http://evil.example",
        "null",
        &format!("http://127.0.0.1:{}", port ^ 1),
    ] {
        let from = |extra: &str| format!("Origin: {origin}\r\n{extra}");
        for (method, path, headers, body) in [
            ("POST", "/RPC2", from(xml), ECHO_CALL),
            ("GET", "/api/v1/rooms", from(""), ""),
            ("POST", "/api/v1/rooms/9/participants/c1/mute", from(""), ""),
            ("GET", "/api/v1/events/ws", from(WEBSOCKET), ""),
        ] {
            let refused = request_for(&own_host, method, path, &headers, body);
            let reply = answer(server.addr, &refused).await;
            assert_eq!(
                reply.status, 403,
                "{origin} {method} {path}: {}",
                reply.body
            );
            assert!(reply.body.contains("origin"), "{}", reply.body);
        }
    }
    // The page's own origin, and a browser's spelling of it.
    let own = format!("Origin: http://127.0.0.1:{port}\r\n{xml}");
    let call = request_for(&own_host, "POST", "/RPC2", &own, ECHO_CALL);
    let reply = answer(server.addr, &call).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let host = format!("localhost:{port}");
    let own = format!("Origin: http://LocalHost:{port}\r\n");
    let reply = answer(
        server.addr,
        &request_for(&host, "GET", "/api/v1/rooms", &own, ""),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let own = format!("Origin: http://127.0.0.1:{port}\r\n{WEBSOCKET}");
    let handshake = request_for(&own_host, "GET", "/api/v1/events/ws", &own, "");
    let (_socket, reply) = open(server.addr, &handshake).await;
    assert_eq!(reply.status, 101, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_listener_answers_only_a_loopback_host() {
    let server = Server::start(ServeOptions::default()).await;
    let port = server.addr.port();
    for host in [format!("evil.example:{port}"), "10.0.0.1".to_owned()] {
        let reply = answer(
            server.addr,
            &request_for(&host, "GET", "/api/v1/rooms", "", ""),
        )
        .await;
        assert_eq!(reply.status, 421, "{host}: {}", reply.body);
        assert!(reply.body.contains(&host), "{}", reply.body);
    }
    for host in [
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.2".to_owned(),
    ] {
        let reply = answer(
            server.addr,
            &request_for(&host, "GET", "/api/v1/rooms", "", ""),
        )
        .await;
        assert_eq!(reply.status, 200, "{host}: {}", reply.body);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_on_every_address_answers_any_host() {
    let server = Server::start_on("0.0.0.0:0", ServeOptions::default()).await;
    let host = format!("switch.example:{}", server.addr.port());
    let reply = answer(
        server.addr,
        &request_for(&host, "GET", "/api/v1/rooms", "", ""),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop().await;
}
