//! Session timers (RFC 4028) of calls the endpoint places, against the scripted UAS.

use super::*;
use switchyard_sip::{Endpoint, EndpointConfig, OfferMethod, SessionTimers};

/// The caller with our Min-SE `min_se` and offers by `method`.
fn caller(min_se: u32, method: OfferMethod) -> Endpoint {
    let config = EndpointConfig {
        user_agent: "caller".into(),
    };
    let timers = SessionTimers {
        min_se,
        ..SessionTimers::default()
    };
    Endpoint::new(config, 11)
        .with_session_timers(timers)
        .with_offer_method(method)
}

/// A call placed by [`caller`] to the scripted UAS, answered with the header lines `extra`;
/// returns the pair and when the 2xx came.
fn placed(seed: u64, min_se: u32, method: OfferMethod, extra: &str) -> (Pair, Duration) {
    let mut pair = Pair::new(Net::perfect(seed), idle());
    pair.a = caller(min_se, method);
    pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    pair.peer
        .reply(Method::Invite, 200, "OK", extra, &callee_sdp());
    assert!(pair.run_until(MINUTE, answered));
    let answered_at = pair.elapsed();
    (pair, answered_at)
}

/// Runs until the scripted UAS holds `n` requests of `method`, for up to ten more minutes
/// of virtual time; returns the last as text.
fn peer_wait_long(pair: &mut Pair, method: Method, n: usize) -> String {
    peer_wait_within(pair, method, n, 10 * MINUTE)
}

#[test]
fn our_invite_states_our_min_se_and_a_shorter_interval_answered_is_refreshed_in_time() {
    let answer = "Session-Expires: 900;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, answered_at) = placed(50, 1800, OfferMethod::Reinvite, answer);
    let invite = pair.peer_got(Method::Invite)[0].to_owned();
    // RFC 4028 §9: the callee may not choose less than the Min-SE our INVITE states.
    assert_eq!(header(&invite, "Min-SE"), Some("1800"), "{invite}");
    assert_eq!(header(&invite, "Session-Expires"), None, "{invite}");
    // The callee chose 900 s all the same, and ends the session by it: we refresh at half
    // of that (§10), not of our Min-SE.
    let refresh = peer_wait_long(&mut pair, Method::Invite, 2);
    let refreshed = sent_after(&pair, "INVITE ", answered_at);
    assert_eq!(refreshed.len(), 1);
    assert!(
        (Duration::from_secs(449)..=Duration::from_secs(451)).contains(&refreshed[0]),
        "refreshed {refreshed:?} after the answer"
    );
    assert_eq!(
        header(&refresh, "Session-Expires"),
        Some("900;refresher=uac")
    );
    assert_eq!(header(&refresh, "Min-SE"), Some("900"), "{refresh}");
}

#[test]
fn an_invite_refused_422_is_sent_again_with_the_interval_named() {
    let mut pair = Pair::new(Net::perfect(51), idle());
    pair.a = caller(90, OfferMethod::Reinvite);
    pair.invite(call_to(P));
    let first = peer_wait(&mut pair, Method::Invite, 1);
    assert_eq!(header(&first, "Min-SE"), Some("90"));
    pair.peer.reply(
        Method::Invite,
        422,
        "Session Interval Too Small",
        "Min-SE: 1800\r\n",
        "",
    );
    // RFC 4028 §7.3: a new INVITE asking for at least the Min-SE of the 422.
    let again = peer_wait(&mut pair, Method::Invite, 2);
    assert_ne!(branch(&again), branch(&first));
    assert_eq!(header(&again, "CSeq"), Some("2 INVITE"));
    assert_eq!(header(&again, "Session-Expires"), Some("1800"));
    assert_eq!(header(&again, "Min-SE"), Some("1800"));
    assert_eq!(pair.peer_got(Method::Ack).len(), 1, "the 422 was ACKed");
    pair.peer.reply(
        Method::Invite,
        200,
        "OK",
        "Session-Expires: 1800;refresher=uac\r\n",
        &callee_sdp(),
    );
    assert!(pair.run_until(MINUTE, answered), "{:?}", pair.a_names());
    assert_eq!(pair.a_names(), ["CallAnswered"]);
}

/// Answers the refresh request of `method` waited for as the `n`th with 422 naming
/// Min-SE 1800, and returns the request sent again.
fn refused_422(pair: &mut Pair, method: Method, n: usize) -> String {
    peer_wait_long(pair, method, n);
    pair.peer.reply(
        method,
        422,
        "Session Interval Too Small",
        "Min-SE: 1800\r\n",
        "",
    );
    peer_wait_long(pair, method, n + 1)
}

#[test]
fn a_refresh_reinvite_refused_422_is_sent_again_with_the_interval_named() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, _) = placed(52, 90, OfferMethod::Reinvite, answer);
    retried_and_kept(&mut pair, Method::Invite, 2, "3 INVITE", &callee_sdp());
}

/// Refuses the refresh of `method` waited for as the `n`th with 422 naming Min-SE 1800, checks
/// it is sent again (as `cseq`) asking for 1800 s, accepts that with `body`, and checks the
/// session then outlives the 120 s it had, with no other refresh before 900 s.
fn retried_and_kept(pair: &mut Pair, method: Method, n: usize, cseq: &str, body: &str) {
    let again = refused_422(pair, method, n);
    assert_eq!(header(&again, "CSeq"), Some(cseq));
    assert_eq!(
        header(&again, "Session-Expires"),
        Some("1800;refresher=uac")
    );
    assert_eq!(header(&again, "Min-SE"), Some("1800"));
    pair.peer.reply(
        method,
        200,
        "OK",
        "Session-Expires: 1800;refresher=uac\r\n",
        body,
    );
    // The 120 s session would have expired by now without the retry.
    pair.run_for(3 * MINUTE);
    assert!(
        pair.peer_got(Method::Bye).is_empty(),
        "{:?}",
        pair.a_names()
    );
    assert_eq!(pair.peer_got(method).len(), n + 1, "none more before 900 s");
    assert_eq!(pair.a.active_calls(), 1);
}

#[test]
fn a_refresh_update_refused_422_is_sent_again_with_the_interval_named() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n\
                  Allow: INVITE, ACK, CANCEL, BYE, UPDATE\r\n";
    let (mut pair, _) = placed(53, 90, OfferMethod::Update, answer);
    retried_and_kept(&mut pair, Method::Update, 1, "3 UPDATE", "");
}

#[test]
fn a_refresh_answered_2xx_without_an_answer_still_refreshes_the_session() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, _) = placed(54, 90, OfferMethod::Reinvite, answer);
    peer_wait_long(&mut pair, Method::Invite, 2);
    // RFC 4028 §10: the 2xx refreshes the session, whatever became of the offer.
    pair.peer.reply(Method::Invite, 200, "OK", answer, "");
    let refreshed = pair.elapsed();
    peer_wait_long(&mut pair, Method::Invite, 3);
    let next = sent_after(&pair, "INVITE ", refreshed);
    assert_eq!(next.len(), 1, "{:?}", pair.a_names());
    assert!(
        (Duration::from_secs(59)..=Duration::from_secs(61)).contains(&next[0]),
        "next refresh {next:?} after the 2xx"
    );
    assert!(
        pair.peer_got(Method::Bye).is_empty(),
        "{:?}",
        pair.a_names()
    );
    assert_eq!(pair.a.active_calls(), 1);
}

#[test]
fn an_offer_by_update_answered_2xx_without_an_answer_still_refreshes_the_session() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n\
                  Allow: INVITE, ACK, CANCEL, BYE, UPDATE\r\n";
    let (mut pair, _) = placed(55, 90, OfferMethod::Update, answer);
    let Some(Event::CallAnswered { call, .. }) = pair.a_events.first() else {
        panic!("{:?}", pair.a_names());
    };
    let call = *call;
    let held = format!("{}a=sendonly\r\n", audio_offer(addr("127.0.0.1:6000")));
    pair.a.reoffer(pair.now, call, held).unwrap();
    peer_wait_long(&mut pair, Method::Update, 1);
    // Its 2xx comes 20 s later (the UPDATE sent again meanwhile), without an answer: it
    // refreshes the session all the same (RFC 4028 §10).
    let late = pair.elapsed() + Duration::from_secs(20);
    assert!(pair.run_until(late, |p| p.elapsed() >= late));
    pair.peer.reply(Method::Update, 200, "OK", answer, "");
    let refreshed = pair.elapsed();
    let refresh = |p: &Pair| {
        p.a_sent
            .iter()
            .find(|(_, text)| {
                text.starts_with("UPDATE ") && header(text, "CSeq") == Some("3 UPDATE")
            })
            .map(|(at, _)| *at - refreshed)
    };
    assert!(pair.run_until(refreshed + 2 * MINUTE, |p| refresh(p).is_some()));
    assert_eq!(
        refresh(&pair),
        // Half the interval after the 2xx arrived, 10 ms after it left.
        Some(Duration::from_millis(60_010)),
        "{:?}",
        pair.a_names()
    );
    assert!(
        pair.peer_got(Method::Bye).is_empty(),
        "{:?}",
        pair.a_names()
    );
}

/// Answers the latest request of `method` with 422 naming Min-SE `min_se`.
fn too_small(pair: &mut Pair, method: Method, min_se: u32) {
    let min_se = format!("Min-SE: {min_se}\r\n");
    pair.peer
        .reply(method, 422, "Session Interval Too Small", &min_se, "");
}

#[test]
fn an_invite_refused_422_again_after_its_retry_fails_the_call() {
    let mut pair = Pair::new(Net::perfect(56), idle());
    pair.a = caller(90, OfferMethod::Reinvite);
    let call = pair.invite(call_to(P));
    peer_wait(&mut pair, Method::Invite, 1);
    too_small(&mut pair, Method::Invite, 91);
    let again = peer_wait(&mut pair, Method::Invite, 2);
    assert_eq!(header(&again, "Session-Expires"), Some("91"));
    // A peer that names a larger Min-SE each time: the one retry met the first, no more go.
    too_small(&mut pair, Method::Invite, 92);
    pair.run_for(MINUTE);
    assert_eq!(pair.peer_got(Method::Invite).len(), 2);
    assert_eq!(pair.peer_got(Method::Ack).len(), 2, "both 422s were ACKed");
    assert_only_failure(&pair, call, 422, "Session Interval Too Small", false);
}

#[test]
fn a_refresh_reinvite_refused_422_again_after_its_retry_lets_the_session_expire() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n";
    let (mut pair, answered_at) = placed(57, 90, OfferMethod::Reinvite, answer);
    peer_wait_long(&mut pair, Method::Invite, 2);
    too_small(&mut pair, Method::Invite, 121);
    let again = peer_wait_long(&mut pair, Method::Invite, 3);
    assert_eq!(header(&again, "Session-Expires"), Some("121;refresher=uac"));
    too_small(&mut pair, Method::Invite, 122);
    let limit = answered_at + 2 * MINUTE;
    let expired = pair.run_until(limit, |p| !p.peer_got(Method::Bye).is_empty());
    assert_eq!(pair.peer_got(Method::Invite).len(), 3, "one retry only");
    assert!(expired, "{:?}", pair.a_names());
    // A refused refresh: the session still expires when the 2xx that set it up said, 120 s
    // less 32 (RFC 4028 §10), and the call ends with a BYE.
    let bye = sent_after(&pair, "BYE ", answered_at);
    assert_eq!(bye.len(), 1, "{:?}", pair.a_names());
    assert!(
        (Duration::from_secs(87)..=Duration::from_secs(89)).contains(&bye[0]),
        "BYE {bye:?} after the answer"
    );
    assert!(
        matches!(
            pair.a_events.as_slice(),
            [
                Event::CallAnswered { .. },
                Event::OfferRefused { code: 422, .. },
                Event::CallEnded { .. }
            ]
        ),
        "{:?}",
        pair.a_names()
    );
    assert_eq!(pair.a_names()[2], "CallEnded(SessionExpired)");
}

#[test]
fn a_refresh_update_after_a_successful_one_may_retry_once_again() {
    let answer = "Session-Expires: 120;refresher=uac\r\nRequire: timer\r\n\
                  Allow: INVITE, ACK, CANCEL, BYE, UPDATE\r\n";
    let (mut pair, _) = placed(58, 90, OfferMethod::Update, answer);
    peer_wait_long(&mut pair, Method::Update, 1);
    too_small(&mut pair, Method::Update, 121);
    peer_wait_long(&mut pair, Method::Update, 2);
    let refreshed = "Session-Expires: 121;refresher=uac\r\n";
    pair.peer.reply(Method::Update, 200, "OK", refreshed, "");
    let refreshed_at = pair.elapsed();
    // The next refresh, after the 2xx, has its own retry.
    peer_wait_long(&mut pair, Method::Update, 3);
    too_small(&mut pair, Method::Update, 122);
    let again = peer_wait_long(&mut pair, Method::Update, 4);
    assert_eq!(header(&again, "Session-Expires"), Some("122;refresher=uac"));
    too_small(&mut pair, Method::Update, 123);
    let limit = refreshed_at + 2 * MINUTE;
    let expired = pair.run_until(limit, |p| !p.peer_got(Method::Bye).is_empty());
    assert_eq!(pair.peer_got(Method::Update).len(), 4, "one retry each");
    assert!(expired, "{:?}", pair.a_names());
    // The refused refresh leaves the session to expire 121 s less 32 after the last 2xx
    // (RFC 4028 §10).
    let bye = sent_after(&pair, "BYE ", refreshed_at);
    assert_eq!(bye.len(), 1, "{:?}", pair.a_names());
    assert!(
        (Duration::from_secs(88)..=Duration::from_secs(90)).contains(&bye[0]),
        "BYE {bye:?} after the 2xx"
    );
}
