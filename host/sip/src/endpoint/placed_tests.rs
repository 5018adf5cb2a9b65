//! Calls we place leave nothing behind: however each ends, the endpoint forgets it and the
//! index its early dialogs are found by.

use std::time::Duration;

use rsip::Method;

use super::*;
use crate::outgoing::OutgoingCall;
use crate::testing::{Uas, addr, audio_offer, epoch};

const EP: &str = "127.0.0.1:5070";
const CALLEE: &str = "127.0.0.1:5080";

fn call() -> OutgoingCall {
    OutgoingCall {
        request_uri: format!("sip:bob@{CALLEE}"),
        from: format!("<sip:conf@{EP}>"),
        to: format!("<sip:bob@{CALLEE}>"),
        headers: Vec::new(),
        route: Vec::new(),
        destination: addr(CALLEE),
        transport: Transport::Udp,
        local: addr(EP),
        sdp_offer: audio_offer(addr("127.0.0.1:6000")),
        credentials: None,
        max_forwards: MAX_FORWARDS,
    }
}

/// Moves everything the endpoint sends to the callee, and the other way, at `now`. Every
/// message of ours leaves from the address its Via names (RFC 3261 §18.1.1), the
/// socket a trunk or the callee's NAT knows.
fn exchange(ep: &mut Endpoint, callee: &mut Uas, now: Instant) {
    for _ in 0..100 {
        let mut moved = false;
        while let Some(t) = ep.poll_transmit() {
            assert_eq!(
                t.source,
                Some(addr(EP)),
                "{}",
                String::from_utf8_lossy(&t.payload)
            );
            callee.handle_datagram(now, addr(EP), &t.payload);
            moved = true;
        }
        while let Some(t) = callee.poll_transmit() {
            ep.handle_datagram(now, addr(EP), addr(CALLEE), &t.payload);
            moved = true;
        }
        if !moved {
            return;
        }
    }
    panic!("the exchange did not settle");
}

#[test]
fn answered_refused_and_unanswered_placed_calls_are_all_forgotten() {
    let t0 = epoch();
    let mut ep = Endpoint::new(
        EndpointConfig {
            user_agent: "sut".into(),
        },
        3,
    );
    let answer = audio_offer(addr("127.0.0.1:7000"));
    for round in 0..52 {
        let mut callee = Uas::new(addr(CALLEE));
        let call = ep.invite(t0, call()).unwrap();
        exchange(&mut ep, &mut callee, t0);
        callee.reply(Method::Invite, 180, "Ringing", "", "");
        let hang_up = match round % 4 {
            0 => {
                callee.reply(Method::Invite, 200, "OK", "", &answer);
                true
            }
            1 => {
                callee.reply(Method::Invite, 486, "Busy Here", "", "");
                false
            }
            // A 2xx without the Contact RFC 3261 §12.1.2 asks for answers the call too, its
            // Request-URI the remote target.
            3 => {
                callee.contact = false;
                callee.reply(Method::Invite, 200, "OK", "", &answer);
                true
            }
            _ => true,
        };
        exchange(&mut ep, &mut callee, t0);
        if hang_up {
            ep.hangup(t0, call).unwrap();
            exchange(&mut ep, &mut callee, t0);
        }
    }
    let answered = |e: &&Event| matches!(e, Event::CallAnswered { .. });
    assert_eq!(
        ep.events.iter().filter(answered).count(),
        26,
        "with and without Contact"
    );
    assert_eq!(ep.placed_call_ids.len(), ep.placed.len());
    assert_eq!(ep.placed.len(), 26, "the answered calls");
    // Timer M of the INVITEs a 2xx answered, with or without Contact (RFC 6026), and 64*T1
    // for the cancelled ones.
    ep.handle_timeout(t0 + Duration::from_secs(64));
    while let Some(at) = ep.poll_timeout() {
        ep.handle_timeout(at);
    }
    assert!(
        ep.placed.is_empty() && ep.placed_call_ids.is_empty() && ep.calls.is_empty(),
        "left behind: {} placed, {} Call-IDs, {} calls",
        ep.placed.len(),
        ep.placed_call_ids.len(),
        ep.calls.len()
    );
}
