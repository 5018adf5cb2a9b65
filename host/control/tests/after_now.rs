//! Where a server-sent event stream starts: a subscription with no resume
//! point gets every event the log keeps before the new ones; `after=now` gets
//! only those published once it is answered.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::{LIMIT, Server, open, request};
use switchyard_control::ServeOptions;
use switchyard_control::events::EventLog;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// What `stream` carries until it holds `until`.
async fn read_until(stream: &mut TcpStream, until: &str) -> String {
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&read).contains(until) {
        let n = timeout(LIMIT, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no {until:?} in {:?}", String::from_utf8_lossy(&read)))
            .unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&read));
        read.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&read).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_starts_with_the_events_kept_unless_it_asks_for_those_after_now() {
    let log = Arc::new(EventLog::new(16));
    let server = Server::start(ServeOptions {
        events: Some(Arc::clone(&log)),
        ..ServeOptions::default()
    })
    .await;
    let kept: Vec<u64> = (0..3)
        .map(|n| log.publish("join", Some("1"), json!({"n": n})))
        .collect();
    let (mut everything, reply) =
        open(server.addr, &request("GET", "/api/v1/events", "", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    let (mut new_only, reply) = open(
        server.addr,
        &request("GET", "/api/v1/events?after=now", "", ""),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.head);
    // Published once both are answered: both get it.
    let new = log.publish("leave", Some("1"), json!({}));
    let all = read_until(&mut everything, "event: leave").await;
    let ids: Vec<&str> = all
        .lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .collect();
    let expected: Vec<String> = kept.iter().chain([&new]).map(u64::to_string).collect();
    assert_eq!(ids, expected, "{all}");
    assert!(!all.contains("event: reset"), "{all}");
    let later = read_until(&mut new_only, "event: leave").await;
    let ids: Vec<&str> = later
        .lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .collect();
    assert_eq!(ids, [new.to_string()], "{later}");
    assert!(!later.contains("event: join"), "{later}");
    server.stop().await;
}
