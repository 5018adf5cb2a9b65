//! A call whose peer need not send RTP (held either way, or inactive) is probed
//! with in-dialog OPTIONS: it ends when the peer is gone, and goes on while
//! the peer answers anything but 408 or 481.

mod common;

use common::*;
use std::time::Duration;
use switchyard_core::{CallEvent, CallId, CoreConfig, MediaOp};
use switchyard_sip::testing::{Net, addr, audio_offer, rsip::Method};

const PROBE_INTERVAL: Duration = Duration::from_secs(30);

/// Long enough for a probe to come due and time out (Timer F, 64*T1 = 32 s),
/// with room to spare.
const PROBE_AND_TIMEOUT: Duration = Duration::from_secs(30 + 32 + 10);

fn config() -> CoreConfig {
    CoreConfig {
        peer_probe_interval: PROBE_INTERVAL,
        ..CoreConfig::default()
    }
}

/// One call from a caller whose INVITE offers `direction` (e.g.
/// `a=sendrecv`), answered and confirmed.
fn answered_call(direction: &str) -> (World, CallId) {
    let mut w = World::new(config(), Net::perfect(11), 11, answer_only());
    let offer = format!("{}{direction}\r\n", audio_offer(addr("127.0.0.1:30000")));
    w.dial_offering("alone", "alice", &offer);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0].codes(Method::Invite).contains(&200)
    }));
    w.run_for(Duration::from_secs(1));
    let call = w.invites().last().expect("the call was offered").call;
    (w, call)
}

/// The peer puts the call on hold with `a=inactive` (RFC 3264 §8.4).
fn peer_holds(w: &mut World) {
    let inactive = format!("{}a=inactive\r\n", audio_offer(addr("127.0.0.1:30000")));
    w.uacs[0].reoffer(w.now, "", &inactive);
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0]
            .last_response(Method::Invite)
            .is_some_and(|r| r.body().contains("a=inactive"))
    }));
}

/// Every datagram to the caller is lost from now on: it crashed.
fn peer_vanishes(w: &mut World) {
    let caller = w.locals[0];
    w.net.drop_if(move |d| d.to == caller);
}

fn probes(w: &World) -> usize {
    w.uacs[0].requests(Method::Options).len()
}

fn assert_torn_down(w: &World, call: CallId) {
    assert!(!w.core.has_call(call), "the call is over");
    assert!(
        w.media
            .iter()
            .any(|op| matches!(op, MediaOp::RemoveLeg { leg, .. } if *leg == call.leg())),
        "its leg is removed"
    );
    assert!(
        w.events_of(call).contains(&CallEvent::Hangup),
        "its guest hears the hang-up"
    );
    assert_eq!(w.core.footprint().sip_calls, 0, "the endpoint forgot it");
}

#[test]
fn a_held_call_whose_peer_vanished_is_ended_when_the_probe_times_out() {
    let (mut w, call) = answered_call("a=sendrecv");
    peer_holds(&mut w);
    peer_vanishes(&mut w);
    w.run_for(PROBE_INTERVAL - Duration::from_secs(2));
    assert!(w.core.has_call(call), "no probe before its interval");
    assert!(w.run_until(PROBE_AND_TIMEOUT, |w| !w.core.has_call(call)));
    assert_torn_down(&w, call);
}

#[test]
fn a_call_offered_recvonly_whose_peer_vanished_is_ended() {
    // We only send from the start: the media workers' RTP timeout never fires.
    let (mut w, call) = answered_call("a=recvonly");
    peer_vanishes(&mut w);
    assert!(w.run_until(PROBE_AND_TIMEOUT, |w| !w.core.has_call(call)));
    assert_torn_down(&w, call);
}

#[test]
fn a_call_whose_peer_holds_it_sending_nothing_is_probed_and_ended_once_it_vanished() {
    // The peer only sends (its hold, music on hold off): silence from it is no
    // sign it is gone, so the RTP timeout does not judge it, the probe does.
    let (mut w, call) = answered_call("a=sendonly");
    peer_vanishes(&mut w);
    // No media worker runs here: only the probe can end it.
    assert!(w.run_until(PROBE_AND_TIMEOUT, |w| !w.core.has_call(call)));
    assert_torn_down(&w, call);
}

#[test]
fn a_call_we_hold_whose_peer_vanished_is_ended() {
    let (mut w, call) = answered_call("a=sendrecv");
    w.core.hold(w.now, call, true).unwrap();
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.events_of(call).contains(&CallEvent::Held(Ok(true)))
    }));
    peer_vanishes(&mut w);
    assert!(w.run_until(PROBE_AND_TIMEOUT, |w| !w.core.has_call(call)));
    assert_torn_down(&w, call);
}

#[test]
fn a_held_call_whose_peer_answers_the_probe_goes_on() {
    // RFC 3261 §12.2.1.2: only 481 and 408 say the dialog is gone; a peer that
    // does not allow OPTIONS in a dialog is still there.
    for answer in [200, 405, 501] {
        let (mut w, call) = answered_call("a=sendrecv");
        w.uacs[0].options_answer = answer;
        peer_holds(&mut w);
        w.run_for(PROBE_INTERVAL * 4 + Duration::from_secs(1));
        assert!(w.core.has_call(call), "{answer}: the call goes on");
        assert_eq!(probes(&w), 4, "{answer}: one probe per interval");
        assert_eq!(
            w.uacs[0].codes(Method::Bye),
            Vec::<u16>::new(),
            "{answer}: no BYE was answered"
        );
    }
}

#[test]
fn a_call_taken_off_hold_is_probed_no_more() {
    let (mut w, call) = answered_call("a=sendrecv");
    peer_holds(&mut w);
    w.run_for(PROBE_INTERVAL + Duration::from_secs(1));
    assert_eq!(probes(&w), 1, "probed while held");
    w.uacs[0].reoffer(w.now, "", &audio_offer(addr("127.0.0.1:30000")));
    assert!(w.run_until(Duration::from_secs(5), |w| {
        w.uacs[0]
            .last_response(Method::Invite)
            .is_some_and(|r| r.body().contains("a=sendrecv"))
    }));
    peer_vanishes(&mut w);
    w.run_for(PROBE_INTERVAL * 4);
    assert_eq!(probes(&w), 1, "not probed since it was resumed");
    // The media workers' RTP timeout is what ends it now.
    assert!(w.core.has_call(call));
}

#[test]
fn a_call_that_sends_and_receives_is_never_probed() {
    let (mut w, call) = answered_call("a=sendrecv");
    w.run_for(PROBE_INTERVAL * 4);
    assert_eq!(probes(&w), 0);
    assert!(w.core.has_call(call));
}
