//! The callee's requests in an early dialog of a call we place (RFC 3261 §12.1.2, §12.2.2;
//! RFC 3311 §5.2).

use std::time::Duration;

use super::pair::*;
use super::{callee_sdp, peer_wait};
use switchyard_sip::testing::{Net, rsip::Method};
use switchyard_sip::{CallKey, Event};

/// A call placed to the scripted UAS, which rang without a session description (180, an
/// early dialog with To tag `uas-tag`).
fn ringing(seed: u64) -> (Pair, CallKey) {
    let mut pair = Pair::new(Net::perfect(seed), idle());
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    pair.settle();
    (pair, call)
}

/// The responses the UAS got to its `method` requests, in order.
fn responses(pair: &Pair, method: Method) -> Vec<&str> {
    pair.peer
        .received()
        .filter(|r| r.code().is_some() && r.cseq_method() == Some(method))
        .map(|r| r.text.as_str())
        .collect()
}

/// Their status lines.
fn answers(pair: &Pair, method: Method) -> Vec<String> {
    responses(pair, method)
        .iter()
        .map(|text| text.lines().next().unwrap_or_default().to_owned())
        .collect()
}

/// The scripted UAS sends `method` in its dialog with `extra` header lines and `body`; returns
/// its text once a second has passed (long enough for its response, well within Timer M).
fn send(pair: &mut Pair, method: Method, extra: &str, body: &str) -> String {
    let text = pair.peer.request(method, extra, body);
    pair.run_for(SECOND);
    text
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn the_callees_update_info_and_options_in_an_early_dialog_are_answered() {
    let (mut pair, call) = ringing(60);
    let update = send(&mut pair, Method::Update, "Session-Expires: 1800\r\n", "");
    let ok = answers(&pair, Method::Update);
    assert_eq!(ok, ["SIP/2.0 200 OK"]);
    let response = responses(&pair, Method::Update)[0];
    // RFC 3311 §5.2: a 2xx to UPDATE has a Contact; no session timer runs before the answer.
    assert!(header(response, "Contact").is_some(), "{response}");
    assert_eq!(header(response, "Session-Expires"), None, "{response}");
    // A retransmission gets the same response again (§17.2.2).
    pair.peer_send(update);
    pair.settle();
    let texts = responses(&pair, Method::Update);
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0], texts[1], "byte for byte");
    assert_eq!(pair.a.stats().request_retransmissions_received, 1);

    send(&mut pair, Method::Options, "", "");
    assert_eq!(answers(&pair, Method::Options), ["SIP/2.0 200 OK"]);
    let info = pair.peer.request(Method::Info, "", "");
    assert!(info.contains("CSeq: 3 INFO"));
    pair.settle();
    assert_eq!(answers(&pair, Method::Info), ["SIP/2.0 200 OK"]);
    // The INVITE is still under way: the callee cannot start another (§14.2).
    send(&mut pair, Method::Invite, "", &callee_sdp());
    assert_eq!(
        answers(&pair, Method::Invite).last().map(String::as_str),
        Some("SIP/2.0 491 Request Pending")
    );
    assert_eq!(pair.a_names(), ["CallProgress(180)"]);
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn a_key_sent_by_info_in_an_early_dialog_is_reported() {
    let (mut pair, call) = ringing(61);
    let body = "Signal=5\r\nDuration=160\r\n";
    pair.peer.request(
        Method::Info,
        "Content-Type: application/dtmf-relay\r\n",
        body,
    );
    pair.settle();
    assert_eq!(answers(&pair, Method::Info), ["SIP/2.0 200 OK"]);
    let keys: Vec<_> = pair
        .a_events
        .iter()
        .filter_map(|event| match event {
            Event::Dtmf { call: c, digit, .. } if *c == call => Some(*digit),
            _ => None,
        })
        .collect();
    assert_eq!(keys, ['5']);
}

#[test]
fn an_offer_in_an_early_update_gets_491_before_the_answer_and_488_after() {
    let (mut pair, call) = ringing(62);
    send(&mut pair, Method::Update, "", &callee_sdp());
    pair.peer
        .reply(Method::Invite, 183, "Session Progress", "", &callee_sdp());
    pair.settle();
    send(&mut pair, Method::Update, "", &callee_sdp());
    assert_eq!(
        answers(&pair, Method::Update),
        [
            "SIP/2.0 491 Request Pending",
            "SIP/2.0 488 Not Acceptable Here"
        ]
    );
    // The early session stays as the 183 set it up, and the call is answered as usual.
    pair.peer.reply(Method::Invite, 200, "OK", "", "");
    pair.settle();
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallProgress(183+sdp)", "CallAnswered"]
    );
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn the_callees_cseq_goes_on_from_the_early_dialog_into_the_confirmed_one() {
    let (mut pair, call) = ringing(63);
    let first = send(&mut pair, Method::Options, "", "");
    send(&mut pair, Method::Options, "", "");
    // A request on a new branch with a CSeq not above the last is out of order (§12.2.2).
    let stale = |branch: &str| first.replace("z9hG4bK-uas-1", branch);
    pair.peer_send(stale("z9hG4bK-uas-early-stale"));
    pair.settle();
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.settle();
    assert_eq!(pair.a_names(), ["CallProgress(180)", "CallAnswered"]);
    // The confirmed dialog keeps the early dialog's CSeq numbers of the callee.
    pair.peer_send(stale("z9hG4bK-uas-confirmed-stale"));
    pair.settle();
    send(&mut pair, Method::Options, "", "");
    assert_eq!(
        answers(&pair, Method::Options),
        [OK, OK, OUT_OF_ORDER, OUT_OF_ORDER, OK]
    );
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn the_callees_requests_may_start_at_cseq_0_in_the_early_dialog_and_the_confirmed_one() {
    // §8.1.1.5: a first CSeq number is any below 2^31, 0 included; §12.2.2 only asks each
    // request to be numbered above the last one.
    let (mut pair, call) = ringing(67);
    pair.peer.next_cseq = 0;
    let first = send(&mut pair, Method::Options, "", "");
    assert!(first.contains("CSeq: 0 OPTIONS"), "{first}");
    let stale = |branch: &str| first.replace("z9hG4bK-uas-1", branch);
    pair.peer_send(stale("z9hG4bK-uas-early-stale"));
    pair.settle();
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.settle();
    pair.peer_send(stale("z9hG4bK-uas-confirmed-stale"));
    pair.settle();
    send(&mut pair, Method::Options, "", "");
    assert_eq!(
        answers(&pair, Method::Options),
        [OK, OUT_OF_ORDER, OUT_OF_ORDER, OK]
    );
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn requests_outside_a_placed_calls_early_dialogs_get_481() {
    let (mut pair, _) = ringing(64);
    // Another To tag: no provisional response made that dialog.
    pair.peer.tag = "never-sent".into();
    send(&mut pair, Method::Update, "", "");
    pair.peer.tag = "uas-tag".into();
    send(&mut pair, Method::Update, "", "");
    // A BYE ends the early dialog it is sent in for good, and the INVITE waits on for its
    // final response (§15.1.2).
    send(&mut pair, Method::Bye, "", "");
    send(&mut pair, Method::Update, "", "");
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    pair.settle();
    send(&mut pair, Method::Update, "", "");
    // Once the call has failed, none of its early dialogs is left.
    pair.peer.reply(Method::Invite, 486, "Busy Here", "", "");
    pair.settle();
    send(&mut pair, Method::Update, "", "");
    assert_eq!(
        answers(&pair, Method::Update),
        [NO_SUCH, OK, NO_SUCH, NO_SUCH, NO_SUCH]
    );
    assert_eq!(answers(&pair, Method::Bye), [OK]);
    assert_eq!(
        pair.a_names(),
        ["CallProgress(180)", "CallProgress(180)", "CallFailed(486)"]
    );
}

#[test]
fn forks_numbering_their_updates_alike_each_get_their_own_response() {
    let (mut pair, call) = ringing(65);
    pair.peer.tag = "fork-b".into();
    pair.peer
        .reply(Method::Invite, 183, "Session Progress", "", &callee_sdp());
    pair.settle();
    pair.peer.tag = "uas-tag".into();
    let from_a = send(&mut pair, Method::Update, "", &callee_sdp());
    // Fork B's UPDATE has the same CSeq: another request, not a retransmission.
    let from_b = from_a
        .replace("tag=uas-tag", "tag=fork-b")
        .replace("z9hG4bK-uas-1", "z9hG4bK-fork-b-1");
    pair.peer_send(from_b);
    pair.settle();
    let texts = responses(&pair, Method::Update);
    assert_eq!(texts.len(), 2, "{texts:?}");
    // Fork A has sent no answer to our offer, fork B has (its 183).
    assert!(texts[0].starts_with("SIP/2.0 491 ") && texts[0].contains("tag=uas-tag"));
    assert!(texts[1].starts_with("SIP/2.0 488 ") && texts[1].contains("tag=fork-b"));
    assert_eq!(pair.a.stats().request_retransmissions_received, 0);
    pair.a.hangup(pair.now, call).unwrap();
    pair.settle();
}

#[test]
fn once_answered_other_forks_and_ended_calls_get_481() {
    let (mut pair, call) = ringing(66);
    pair.peer.tag = "fork-b".into();
    pair.peer.reply(Method::Invite, 180, "Ringing", "", "");
    pair.settle();
    pair.peer.tag = "uas-tag".into();
    send(&mut pair, Method::Update, "", "");
    pair.peer
        .reply(Method::Invite, 200, "OK", "", &callee_sdp());
    pair.run_for(SECOND);
    // Fork B's key after fork A answered is not the call's.
    pair.peer.tag = "fork-b".into();
    let key = "Content-Type: application/dtmf-relay\r\n";
    send(&mut pair, Method::Info, key, "Signal=7\r\nDuration=160\r\n");
    pair.peer.tag = "uas-tag".into();
    pair.a.hangup(pair.now, call).unwrap();
    pair.run_for(SECOND);
    // Timer M keeps the placed call's record for 32 s more; its dialog is gone already.
    send(&mut pair, Method::Update, "", "");
    assert_eq!(answers(&pair, Method::Info), [NO_SUCH]);
    assert_eq!(answers(&pair, Method::Update), [OK, NO_SUCH]);
    assert_eq!(
        pair.a_names(),
        [
            "CallProgress(180)",
            "CallProgress(180)",
            "CallAnswered",
            "CallEnded(LocalHangup)"
        ]
    );
}

const OK: &str = "SIP/2.0 200 OK";
const NO_SUCH: &str = "SIP/2.0 481 Call/Transaction Does Not Exist";
const OUT_OF_ORDER: &str = "SIP/2.0 500 CSeq out of order";
