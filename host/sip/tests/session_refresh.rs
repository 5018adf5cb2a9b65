//! Our session refreshes refused (RFC 4028 §10: the refresher may retry until the session
//! expires), and the BYE that ends a call whose session expired or whose dialog was lost,
//! challenged by a proxy (RFC 3261 §22.3): calls the endpoint places to the scripted UAS,
//! through the simulated network on virtual time.

// The tests here use a part of the harness.
#[allow(dead_code)]
#[path = "outgoing/pair.rs"]
mod pair;

use std::time::Duration;

use pair::*;
use switchyard_sip::testing::{Net, addr, audio_offer, rsip::Method};
use switchyard_sip::{CallKey, Credentials, Endpoint, EndpointConfig, Event, OfferMethod};

const MINUTE: Duration = Duration::from_secs(60);

/// The 2xx of a call placed by the endpoint: a 1800 s session, the endpoint refreshing.
const LONG_SESSION: &str = "Session-Expires: 1800;refresher=uac\r\nRequire: timer\r\n";

/// The scripted UAS's SDP.
fn callee_sdp() -> String {
    audio_offer(addr("127.0.0.1:7000"))
}

/// A call placed with `credentials` by an endpoint sending its offers and refreshes by
/// `method`, which the scripted UAS answers 200 with the header lines `extra`; returns the
/// pair and when the 2xx came.
fn placed(
    seed: u64,
    method: OfferMethod,
    credentials: Option<Credentials>,
    extra: &str,
) -> (Pair, Duration) {
    let mut pair = Pair::new(Net::perfect(seed), idle());
    let config = EndpointConfig {
        user_agent: "caller".into(),
    };
    pair.a = Endpoint::new(config, 11).with_offer_method(method);
    pair.invite(modified(call_to(P), |call| call.credentials = credentials));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer
        .reply(Method::Invite, 200, "OK", extra, &callee_sdp());
    assert!(pair.run_until(pair.elapsed() + MINUTE, |p| !p.a_events.is_empty()));
    assert_eq!(pair.a_names(), ["CallAnswered"]);
    let answered_at = pair.elapsed();
    (pair, answered_at)
}

/// Runs until the scripted UAS holds `n` requests of `method`, for up to an hour of virtual
/// time; returns the last as text.
fn peer_wait(pair: &mut Pair, method: Method, n: usize) -> String {
    peer_wait_within(pair, method, n, 60 * MINUTE)
}

/// Answers the `n`th request of `method` (waited for) with `code`, `reason` and the header
/// lines `extra`.
fn refuse(pair: &mut Pair, (method, n): (Method, usize), code: u16, reason: &str, extra: &str) {
    peer_wait(pair, method, n);
    pair.peer.reply(method, code, reason, extra, "");
}

/// Refuses the `n`th request of `method` with `code` and `reason`; the same request sent
/// again (waited for), as text.
fn refused_and_sent_again(
    pair: &mut Pair,
    (method, n): (Method, usize),
    code: u16,
    reason: &str,
) -> String {
    refuse(pair, (method, n), code, reason, "");
    peer_wait(pair, method, n + 1)
}

/// Accepts the latest request of `method` with the 1800 s session (and an answer to a
/// re-INVITE's offer), then checks the call outlives the session it had: no BYE, no other
/// refresh than `refreshes` requests of `method`, and only `events`.
fn accepted_and_kept(pair: &mut Pair, method: Method, refreshes: usize, events: &[&str]) {
    let body = if method == Method::Invite {
        callee_sdp()
    } else {
        String::new()
    };
    pair.peer.reply(method, 200, "OK", LONG_SESSION, &body);
    pair.run_for(14 * MINUTE);
    assert!(
        pair.peer_got(Method::Bye).is_empty(),
        "{:?}",
        pair.a_names()
    );
    assert_eq!(pair.peer_got(method).len(), refreshes);
    assert_eq!(pair.a.active_calls(), 1);
    assert_eq!(event_kinds(pair), events);
}

/// The call of `pair`, answered.
fn call_of(pair: &Pair) -> CallKey {
    match pair.a_events.first() {
        Some(Event::CallAnswered { call, .. }) => *call,
        other => panic!("not answered: {other:?}"),
    }
}

/// The application offers to hold the call of `pair` (a=sendonly).
fn offer_hold(pair: &mut Pair) {
    let held = format!("{}a=sendonly\r\n", callee_sdp());
    pair.a.reoffer(pair.now, call_of(pair), held).unwrap();
}

/// Waits for the `n`th INVITE, the application's offer to hold, and refuses it 488.
fn hold_refused(pair: &mut Pair, n: usize) {
    let offered = peer_wait(pair, Method::Invite, n);
    assert!(offered.contains("a=sendonly"), "{offered}");
    refuse(pair, (Method::Invite, n), 488, "Not Acceptable Here", "");
}

/// Waits for the `n`th INVITE, a refresh: it offers the session as it was, not held.
fn refresh_waited(pair: &mut Pair, n: usize) {
    let refresh = peer_wait(pair, Method::Invite, n);
    assert!(!refresh.contains("a=sendonly"), "{refresh}");
}

/// The session of the call answered at `answered_at` expired, the scripted UAS having got
/// `invites` INVITEs in all (the first included): the BYE went at the expiry (RFC 4028 §10:
/// 1800 - 32 s after the 2xx), and the events were `events`.
fn expired_after(pair: &mut Pair, answered_at: Duration, invites: usize, events: &[&str]) {
    peer_wait(pair, Method::Bye, 1);
    assert_eq!(pair.peer_got(Method::Invite).len(), invites);
    assert_eq!(
        sent_after(pair, "BYE ", answered_at),
        [Duration::from_secs(1768)]
    );
    assert_eq!(event_kinds(pair), events);
}

/// The endpoint's events by name, without their fields.
fn event_kinds(pair: &Pair) -> Vec<String> {
    let kind = |name: &str| name.split(" {").next().unwrap_or_default().to_owned();
    pair.a_names().iter().map(|name| kind(name)).collect()
}

#[test]
fn a_refresh_refused_500_is_sent_again_and_its_200_keeps_the_call() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, answered_at) = placed(60, OfferMethod::Reinvite, None, answer);
    let again =
        refused_and_sent_again(&mut pair, (Method::Invite, 2), 500, "Server Internal Error");
    assert_eq!(header(&again, "CSeq"), Some("3 INVITE"));
    assert_eq!(header(&again, "Session-Expires"), Some("120;refresher=uac"));
    // At half the interval, then a few seconds after the 500 (10 ms each way).
    assert_eq!(
        sent_after(&pair, "INVITE ", answered_at),
        [Duration::from_secs(60), Duration::from_millis(65_020)]
    );
    // The application made no offer: the refusal of ours retried is not its to hear.
    let events = ["CallAnswered", "OfferAnswered"];
    accepted_and_kept(&mut pair, Method::Invite, 3, &events);
}

#[test]
fn a_refresh_refused_503_is_sent_again_after_its_retry_after_and_not_past_the_expiry() {
    let (mut pair, answered_at) = placed(61, OfferMethod::Reinvite, None, LONG_SESSION);
    let unavailable = "Service Unavailable";
    refuse(
        &mut pair,
        (Method::Invite, 2),
        503,
        unavailable,
        "Retry-After: 120 (overloaded);duration=60\r\n",
    );
    // RFC 3261 §21.5.4: no request to the peer for an hour, past the expiry (1800 - 32 s
    // after the 2xx); the refusal that ends the retries is reported.
    refuse(
        &mut pair,
        (Method::Invite, 3),
        503,
        unavailable,
        "Retry-After: 3600\r\n",
    );
    let half = Duration::from_secs(900);
    let ended = ["CallAnswered", "OfferRefused", "CallEnded(SessionExpired)"];
    expired_after(&mut pair, answered_at, 3, &ended);
    assert_eq!(
        sent_after(&pair, "INVITE ", answered_at),
        [half, half + Duration::from_millis(120_020)]
    );
}

#[test]
fn a_refresh_refused_with_a_retry_after_too_long_for_the_clock_is_not_sent_again() {
    let longest = ["18446744073709551615", "99999999999999999999999"];
    for (seed, retry_after) in (66..).zip(longest) {
        let (mut pair, answered_at) = placed(seed, OfferMethod::Reinvite, None, LONG_SESSION);
        let extra = format!("Retry-After: {retry_after}\r\n");
        refuse(
            &mut pair,
            (Method::Invite, 2),
            503,
            "Service Unavailable",
            &extra,
        );
        let ended = ["CallAnswered", "OfferRefused", "CallEnded(SessionExpired)"];
        expired_after(&mut pair, answered_at, 2, &ended);
    }
}

#[test]
fn a_refresh_refused_as_a_retry_would_be_is_not_sent_again() {
    let refusals = [
        (302, "Moved Temporarily"),
        (400, "Bad Request"),
        (403, "Forbidden"),
        (415, "Unsupported Media Type"),
        (420, "Bad Extension"),
        (488, "Not Acceptable Here"),
        (580, "Precondition Failure"),
        (603, "Decline"),
        (606, "Not Acceptable"),
    ];
    for (seed, (code, reason)) in (70..).zip(refusals) {
        let (mut pair, answered_at) = placed(seed, OfferMethod::Reinvite, None, LONG_SESSION);
        refuse(&mut pair, (Method::Invite, 2), code, reason, "");
        let ended = ["CallAnswered", "OfferRefused", "CallEnded(SessionExpired)"];
        expired_after(&mut pair, answered_at, 2, &ended);
        assert!(
            matches!(pair.a_events[1], Event::OfferRefused { code: c, .. } if c == code),
            "{:?}",
            pair.a_names()
        );
    }
}

#[test]
fn a_refresh_refused_by_a_peer_unavailable_for_a_while_is_sent_again() {
    let refusals = [
        (480, "Temporarily Unavailable"),
        (486, "Busy Here"),
        (504, "Server Time-out"),
    ];
    for (seed, (code, reason)) in (80..).zip(refusals) {
        let (mut pair, answered_at) = placed(seed, OfferMethod::Reinvite, None, LONG_SESSION);
        refuse(
            &mut pair,
            (Method::Invite, 2),
            code,
            reason,
            "Retry-After: 30\r\n",
        );
        peer_wait(&mut pair, Method::Invite, 3);
        let half = Duration::from_secs(900);
        assert_eq!(
            sent_after(&pair, "INVITE ", answered_at),
            [half, half + Duration::from_millis(30_020)]
        );
        accepted_and_kept(
            &mut pair,
            Method::Invite,
            3,
            &["CallAnswered", "OfferAnswered"],
        );
    }
}

#[test]
fn the_applications_offer_refused_sends_no_refresh_the_peer_asked_to_wait_for() {
    let (mut pair, answered_at) = placed(90, OfferMethod::Reinvite, None, LONG_SESSION);
    let unavailable = "Service Unavailable";
    refuse(
        &mut pair,
        (Method::Invite, 2),
        503,
        unavailable,
        "Retry-After: 3600\r\n",
    );
    pair.run_for(MINUTE);
    offer_hold(&mut pair);
    // A passing refusal of the application's offer is the application's to retry.
    refuse(&mut pair, (Method::Invite, 3), 503, unavailable, "");
    let ended = [
        "CallAnswered",
        "OfferRefused",
        "OfferRefused",
        "CallEnded(SessionExpired)",
    ];
    expired_after(&mut pair, answered_at, 3, &ended);
}

#[test]
fn a_refresh_whose_491_retry_gave_way_to_the_applications_refused_offer_still_goes() {
    let (mut pair, answered_at) = placed(91, OfferMethod::Reinvite, None, LONG_SESSION);
    refuse(&mut pair, (Method::Invite, 2), 491, "Request Pending", "");
    // The refresh waits 2.1 s at least (§14.1: the Call-ID is ours); the application's
    // offer goes first, in its place.
    pair.run_for(Duration::from_secs(1));
    offer_hold(&mut pair);
    hold_refused(&mut pair, 3);
    refresh_waited(&mut pair, 4);
    let sent = sent_after(&pair, "INVITE ", answered_at);
    assert!(
        sent[2] < Duration::from_secs(910),
        "soon after the refusal: {sent:?}"
    );
    let events = ["CallAnswered", "OfferRefused", "OfferAnswered"];
    accepted_and_kept(&mut pair, Method::Invite, 4, &events);
}

#[test]
fn a_refresh_that_gave_way_to_the_applications_waiting_offer_goes_as_the_session_offered_again() {
    let (mut pair, _) = placed(93, OfferMethod::Reinvite, None, LONG_SESSION);
    let pending = "Request Pending";
    refuse(&mut pair, (Method::Invite, 2), 491, pending, "");
    pair.run_for(Duration::from_secs(1));
    // The application's offer takes the place of the refresh, which is due again 2 s later
    // (while that offer is under way), before the offer's own 491 retry (2.1 s at least).
    offer_hold(&mut pair);
    refuse(&mut pair, (Method::Invite, 3), 491, pending, "");
    refresh_waited(&mut pair, 4);
    // The refresh meets glare too, and gives way: the application's offer goes first, and
    // is refused.
    refuse(&mut pair, (Method::Invite, 4), 491, pending, "");
    hold_refused(&mut pair, 5);
    // The session offered again is the refresh, retried after a passing refusal.
    refresh_waited(&mut pair, 6);
    refuse(
        &mut pair,
        (Method::Invite, 6),
        503,
        "Service Unavailable",
        "",
    );
    peer_wait(&mut pair, Method::Invite, 7);
    let events = ["CallAnswered", "OfferRefused", "OfferAnswered"];
    accepted_and_kept(&mut pair, Method::Invite, 7, &events);
}

#[test]
fn a_refresh_whose_491_retry_found_no_time_to_go_is_not_reported_and_goes_again() {
    let (mut pair, answered_at) = placed(92, OfferMethod::Reinvite, None, LONG_SESSION);
    refuse(&mut pair, (Method::Invite, 2), 491, "Request Pending", "");
    // The peer's own offer, which the application leaves waiting past the retry's bound
    // (64*T1 after it fell due).
    pair.peer
        .request(Method::Invite, LONG_SESSION, &callee_sdp());
    pair.run_for(MINUTE);
    assert_eq!(event_kinds(&pair), ["CallAnswered", "SessionOffer"]);
    assert_eq!(pair.peer_got(Method::Invite).len(), 2, "no offer could go");
    pair.a
        .refuse_offer(pair.now, call_of(&pair), 488, "Not Acceptable Here")
        .unwrap();
    let refused_at = pair.elapsed() - answered_at;
    peer_wait(&mut pair, Method::Invite, 3);
    let sent = sent_after(&pair, "INVITE ", answered_at);
    assert!(
        sent[1] > refused_at && sent[1] < refused_at + Duration::from_secs(3),
        "once the peer's offer is settled: {sent:?}"
    );
    let events = ["CallAnswered", "SessionOffer", "OfferAnswered"];
    accepted_and_kept(&mut pair, Method::Invite, 3, &events);
}

#[test]
fn a_refresh_update_refused_503_is_sent_again_and_its_200_keeps_the_call() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n\
                  Allow: INVITE, ACK, CANCEL, BYE, UPDATE\r\n";
    let (mut pair, answered_at) = placed(62, OfferMethod::Update, None, answer);
    let again = refused_and_sent_again(&mut pair, (Method::Update, 1), 503, "Service Unavailable");
    assert_eq!(header(&again, "CSeq"), Some("3 UPDATE"));
    assert_eq!(
        sent_after(&pair, "UPDATE ", answered_at),
        [Duration::from_secs(60), Duration::from_millis(65_020)]
    );
    accepted_and_kept(&mut pair, Method::Update, 2, &["CallAnswered"]);
}

#[test]
fn a_refresh_refused_every_time_is_retried_a_few_times_then_the_session_expires_with_a_bye() {
    let (mut pair, answered_at) = placed(63, OfferMethod::Reinvite, None, LONG_SESSION);
    for n in 2..=5 {
        refuse(
            &mut pair,
            (Method::Invite, n),
            500,
            "Server Internal Error",
            "",
        );
    }
    let bye = peer_wait(&mut pair, Method::Bye, 1);
    assert_eq!(header(&bye, "CSeq"), Some("6 BYE"));
    let half = Duration::from_secs(900);
    let retry = |n: u64| half + Duration::from_millis(n * 5_020);
    assert_eq!(
        sent_after(&pair, "INVITE ", answered_at),
        [half, retry(1), retry(2), retry(3)],
        "three retries, no more"
    );
    // RFC 4028 §10: the session expires 1800 - 32 s after the 2xx that set it up.
    assert_eq!(
        sent_after(&pair, "BYE ", answered_at),
        [Duration::from_secs(1768)]
    );
    // Only the last refusal, which is not retried, is reported.
    assert!(
        matches!(pair.a_events[1], Event::OfferRefused { code: 500, .. }),
        "{:?}",
        pair.a_names()
    );
    assert_eq!(
        event_kinds(&pair),
        ["CallAnswered", "OfferRefused", "CallEnded(SessionExpired)"]
    );
}

/// The scripted UAS's 407 challenge, asking for `qop=auth`.
const CHALLENGE: &str =
    "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", qop=\"auth\"\r\n";

/// The BYE the endpoint sent for the call of `pair`, which ended at once, is challenged 407:
/// it goes again with credentials, the next CSeq and a new branch, and its 200 ends it.
fn challenged_bye_is_answered(pair: &mut Pair) {
    let bye = peer_wait(pair, Method::Bye, 1);
    assert_eq!(pair.a.active_calls(), 0, "ended at once");
    assert_eq!(header(&bye, "Proxy-Authorization"), None);
    pair.peer.reply(
        Method::Bye,
        407,
        "Proxy Authentication Required",
        CHALLENGE,
        "",
    );
    let again = peer_wait(pair, Method::Bye, 2);
    let credentials = header(&again, "Proxy-Authorization").unwrap_or_default();
    for answer in [
        "Digest ",
        "username=\"alice\"",
        "realm=\"carrier\"",
        "nonce=\"n1\"",
    ] {
        assert!(credentials.contains(answer), "{again}");
    }
    assert_ne!(branch(&again), branch(&bye));
    let cseq = |request: &str| {
        let value = header(request, "CSeq").unwrap();
        value.split(' ').next().unwrap().parse::<u32>().unwrap()
    };
    assert_eq!(cseq(&again), cseq(&bye) + 1);
    assert_eq!(header(&again, "Call-ID"), header(&bye, "Call-ID"));
    pair.peer.reply(Method::Bye, 200, "OK", "", "");
    pair.run_for(MINUTE);
    assert_eq!(pair.peer_got(Method::Bye).len(), 2, "answered once");
    assert_eq!(pair.a.active_transactions(), 0);
}

fn alice() -> Option<Credentials> {
    Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
    })
}

#[test]
fn the_bye_of_a_call_whose_session_expired_answers_a_challenge() {
    // The peer refreshes, and never does.
    let answer = "Session-Expires: 90;refresher=uas\r\nRequire: timer\r\n";
    let (mut pair, answered_at) = placed(64, OfferMethod::Reinvite, alice(), answer);
    pair.peer.answer_bye = false;
    challenged_bye_is_answered(&mut pair);
    assert_eq!(
        sent_after(&pair, "BYE ", answered_at)[0],
        Duration::from_secs(60)
    );
    assert_eq!(
        pair.a_names(),
        ["CallAnswered", "CallEnded(SessionExpired)"]
    );
}

#[test]
fn the_bye_of_a_call_whose_refresh_went_unanswered_answers_a_challenge() {
    let answer = "Session-Expires: 300;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, _) = placed(65, OfferMethod::Reinvite, alice(), answer);
    pair.peer.answer_bye = false;
    // The refresh gets no response: Timer B ends it, and with it the dialog (RFC 5057 §5.1).
    peer_wait(&mut pair, Method::Invite, 2);
    challenged_bye_is_answered(&mut pair);
    assert_eq!(
        pair.a_names().last().map(String::as_str),
        Some("CallEnded(DialogGone)")
    );
}
