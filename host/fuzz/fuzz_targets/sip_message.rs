//! One SIP message, as a UDP datagram and as a TCP stream, into a fresh endpoint.
//!
//! The endpoint must never panic, must answer or drop every message, and what it
//! sends must itself be a message it can read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::Instant;
use switchyard_sip::{Endpoint, EndpointConfig, StreamFramer, Transport};

const LOCAL: &str = "127.0.0.1:5060";
const REMOTE: &str = "127.0.0.1:5070";

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = LOCAL.parse().unwrap();
    let remote: SocketAddr = REMOTE.parse().unwrap();
    let now = Instant::now();

    let mut endpoint = Endpoint::new(config(), 1);
    endpoint.handle_datagram(now, local, remote, data);
    let sent = drain(&mut endpoint);

    // What the endpoint sends, it can read: fed back, it is counted as read,
    // not as unparseable.
    for payload in sent {
        let mut peer = Endpoint::new(config(), 2);
        peer.handle_datagram(now, remote, local, &payload);
        assert_eq!(
            peer.stats().dropped_unparseable,
            0,
            "sent {:?}",
            String::from_utf8_lossy(&payload)
        );
        drain(&mut peer);
    }

    // The same bytes as a TCP stream, in two reads split in the middle.
    let mut framer = StreamFramer::new(64 * 1024);
    let mut endpoint = Endpoint::new(config(), 3);
    let (head, tail) = data.split_at(data.len() / 2);
    for chunk in [head, tail] {
        framer.push(chunk);
        while let Ok(Some(message)) = framer.next_message() {
            endpoint.handle_message(now, Transport::Tcp, local, remote, &message);
        }
    }
    drain(&mut endpoint);
});

fn config() -> EndpointConfig {
    EndpointConfig {
        user_agent: "switchyard-fuzz".into(),
    }
}

/// Takes everything the endpoint has to send and to report; returns the payloads sent.
fn drain(endpoint: &mut Endpoint) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    while let Some(transmit) = endpoint.poll_transmit() {
        sent.push(transmit.payload);
    }
    while endpoint.poll_event().is_some() {}
    sent
}
