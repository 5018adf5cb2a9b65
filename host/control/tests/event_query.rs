//! The event stream's query and `Last-Event-ID`: an `after` that is neither an event id nor
//! `now`, a `dtmf` that is no boolean, a `room` that is not UTF-8, or a `Last-Event-ID` that
//! is no event id is answered 400 naming it, over server-sent events and WebSocket alike
//! (before the upgrade) and to a `HEAD`, rather than left out and the whole backlog
//! replayed; parameters the stream does not read are left alone.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::{Server, answer, assert_problem, open, request};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;

/// A WebSocket opening handshake's lines, valid (RFC 6455 §4.2.1).
const WEBSOCKET: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/// Queries the stream refuses, each with the parameter and value its problem names.
const REFUSED: &[(&str, &str)] = &[
    ("after=NOW", "after=\"NOW\""),
    ("after=latest", "after=\"latest\""),
    ("after=-1", "after=\"-1\""),
    ("room=1&after=12abc", "after=\"12abc\""),
    ("after=", "after=\"\""),
    ("dtmf=TRUE", "dtmf=\"TRUE\""),
    ("dtmf=yes&room=1", "dtmf=\"yes\""),
    ("room=%FF", "room=\"%FF\""),
];

/// A server keeping three events, with `places` subscriber places.
async fn server(places: usize) -> Server {
    let log = Arc::new(EventLog::new(16));
    for n in 0..3 {
        log.publish("join", Some("1"), json!({"n": n}));
    }
    Server::start(ServeOptions {
        events: Some(log),
        max_subscribers: places,
        ..ServeOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_value_the_stream_does_not_take_is_a_400_naming_it() {
    // One place: a refused subscription that took it would leave none for the next.
    let server = server(1).await;
    for &(query, named) in REFUSED {
        for (path, headers) in [("/api/v1/events", ""), ("/api/v1/events/ws", WEBSOCKET)] {
            let asked = format!("{path}?{query}");
            let reply = answer(server.addr, &request("GET", &asked, headers, "")).await;
            assert_eq!(reply.status, 400, "{asked}: {}", reply.head);
            assert_problem(&reply, named);
            let (_, head) = open(server.addr, &request("HEAD", &asked, headers, "")).await;
            assert_eq!(head.status, 400, "HEAD {asked}: {}", head.head);
        }
    }
    // Nothing was subscribed: the one place is free.
    let (_stream, reply) = open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_event_id_that_is_no_event_id_is_a_400_naming_it() {
    // One place: a refused subscription that took it would leave none for the next.
    let server = server(1).await;
    for id in ["abc", "-1", "12abc", "now"] {
        for (path, upgrade) in [("/api/v1/events", ""), ("/api/v1/events/ws", WEBSOCKET)] {
            let headers = format!("Last-Event-ID: {id}\r\n{upgrade}");
            for query in ["", "?after=1"] {
                let asked = format!("{path}{query}");
                let sent = request("GET", &asked, &headers, "");
                let reply = answer(server.addr, &sent).await;
                assert_eq!(reply.status, 400, "{asked} {id}: {}", reply.head);
                assert_problem(&reply, &format!("header Last-Event-ID \"{id}\""));
                let (_, head) = open(server.addr, &request("HEAD", &asked, &headers, "")).await;
                assert_eq!(head.status, 400, "HEAD {asked} {id}: {}", head.head);
            }
        }
    }
    // Nothing was subscribed: the one place is free, to an event id.
    let resuming = request("GET", "/api/v1/events", "Last-Event-ID: 2\r\n", "");
    let (_stream, reply) = open(server.addr, &resuming).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_values_the_document_declares_and_other_parameters_are_taken() {
    let server = server(8).await;
    let mut streams = Vec::new();
    for query in [
        "after=now&dtmf=true",
        "after=7&dtmf=1",
        "dtmf=false&room=12+3",
        "dtmf=0&utm_source=wallboard",
        "",
    ] {
        let asked = format!("/api/v1/events?{query}");
        let (stream, reply) = open(server.addr, &request("GET", &asked, "", "")).await;
        assert_eq!(reply.status, 200, "{asked}: {}", reply.head);
        streams.push(stream);
    }
    drop(streams);
    server.stop().await;
}
