//! Reliable provisional responses (RFC 3262) to a caller that requires them, on virtual time:
//! numbered, retransmitted until their PRACK, one at a time, the 2xx held behind them, and the
//! INVITE rejected when no PRACK comes.

mod common;

use std::time::Duration;

use common::*;
use rsip::Method;
use switchyard_sip::testing::Received;
use switchyard_sip::testing::Simulation;

const REQUIRE_100REL: &str = "Require: 100rel\r\nSupported: 100rel\r\n";

/// An offered call whose INVITE requires reliable provisional responses.
fn reliable_call(seed: u64, prack: bool) -> (Sim, switchyard_sip::CallKey) {
    let mut sim = Sim::new(Net::perfect(seed), seed, idle_shell());
    sim.uac.prack = prack;
    sim.uac.invite(sim.now, REQUIRE_100REL, &offer());
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    (sim, call)
}

fn rseq(response: &Received) -> u32 {
    response
        .header("RSeq")
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSeq in {}", response.text))
}

fn invite_responses(sim: &Sim, code: u16) -> Vec<&Received> {
    sim.uac
        .received()
        .iter()
        .filter(|r| r.cseq_method() == Some(Method::Invite) && r.code() == Some(code))
        .collect()
}

#[test]
fn a_required_reliable_provisional_response_is_numbered_pracked_and_the_call_answered() {
    let (mut sim, call) = reliable_call(1, true);
    early_media(&mut sim, call);
    // The answer comes at once, before the PRACK: it waits for it.
    answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    let progress = invite_responses(&sim, 183);
    assert_eq!(progress.len(), 1, "acknowledged at once: sent once");
    let first = progress[0];
    assert_eq!(first.header("Require").as_deref(), Some("100rel"));
    let number = rseq(first);
    assert!((1..1 << 31).contains(&number));
    assert_eq!(sim.uac.codes(Method::PRack), [200]);
    let prack = sim.uac.requests(Method::PRack);
    assert!(prack.is_empty(), "the endpoint sends no PRACK");
    // The 2xx went only after the PRACK's 200.
    let prack_ok = sim.sent_times("SIP/2.0 200 OK", "PRACK");
    let invite_ok = sim.sent_times("SIP/2.0 200 OK", "CSeq: 1 INVITE");
    assert!(prack_ok[0] <= invite_ok[0], "{prack_ok:?} {invite_ok:?}");
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert!(
        ok.header("Supported")
            .is_some_and(|tags| tags.contains("100rel")),
        "{}",
        ok.text
    );
    assert!(
        ok.header("Allow")
            .is_some_and(|methods| methods.contains("PRACK"))
    );
}

#[test]
fn one_reliable_response_at_a_time_the_latest_waiting_goes_next() {
    let (mut sim, call) = reliable_call(2, false);
    ring(&mut sim, call);
    // Two more while the first waits for its PRACK: only the latest is kept.
    sim.ep
        .progress(sim.now, call, 181, "Forwarded", None)
        .unwrap();
    early_media(&mut sim, call);
    sim.run_for(Duration::from_secs(2));
    assert_eq!(
        invite_responses(&sim, 183).len(),
        0,
        "nothing overtakes the 180"
    );
    let ringing = invite_responses(&sim, 180);
    // Retransmitted at T1 and 3*T1 within 2 s.
    assert_eq!(ringing.len(), 3);
    let number = rseq(ringing[0]);
    assert!(ringing.iter().all(|r| rseq(r) == number));
    // The caller acknowledges it now: the 183 goes, numbered next.
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(invite_responses(&sim, 181).len(), 0, "replaced by the 183");
    let progress = invite_responses(&sim, 183);
    assert_eq!(progress.len(), 1);
    assert_eq!(rseq(progress[0]), number + 1);
}

#[test]
fn a_reliable_provisional_after_the_answer_carries_no_session_description() {
    let (mut sim, call) = reliable_call(12, true);
    early_media(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    // Early media goes on (a callee forwarded to rings): RFC 6337 §3.1.1, a session
    // description in a later reliable provisional response would be a new offer.
    early_media(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let progress = invite_responses(&sim, 183);
    assert_eq!(progress.len(), 2, "each sent once, PRACKed at once");
    assert!(
        progress[0].body().contains("m=audio"),
        "{}",
        progress[0].text
    );
    assert_eq!(progress[1].body(), "", "{}", progress[1].text);
    assert_eq!(rseq(progress[1]), rseq(progress[0]) + 1);
    assert_eq!(sim.uac.codes(Method::PRack), [200, 200]);
}

/// Sends a PRACK of `rseq` for the INVITE (CSeq 1) in the early dialog.
fn send_prack(sim: &mut Sim, rseq: u32) {
    sim.uac
        .prack(sim.now, &format!("RAck: {rseq} 1 INVITE\r\n"));
}

#[test]
fn a_prack_that_names_no_waiting_response_gets_481_and_one_without_rack_400() {
    let (mut sim, call) = reliable_call(3, false);
    ring(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let ringing = invite_responses(&sim, 180)[0].clone();
    let number = rseq(&ringing);
    // Another RSeq, another request's CSeq, no RAck at all.
    send_prack(&mut sim, number + 1);
    sim.run_for(Duration::from_millis(100));
    sim.uac
        .prack(sim.now, &format!("RAck: {number} 2 INVITE\r\n"));
    sim.run_for(Duration::from_millis(100));
    sim.uac.prack(sim.now, "");
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack), [481, 481, 400]);
    let bad = sim.uac.last_response(Method::PRack).unwrap();
    assert!(bad.text.contains("RAck"), "{}", bad.text);
    // The right one is taken; the same again names nothing.
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack), [481, 481, 400, 200, 481]);
    // Outside a dialog, a PRACK is 481.
    sim.uac.stray("PRACK", None);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack).last(), Some(&481));
}

#[test]
fn without_a_prack_the_invite_is_rejected_after_64_t1() {
    let (mut sim, call) = reliable_call(4, false);
    // Early media: the 2xx may not overtake it.
    early_media_then_answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(60), |s| {
        s.has_event("CallEnded(NoPrack)")
    }));
    sim.settle();
    let progress = sim.sent_times("SIP/2.0 183", "CSeq: 1 INVITE");
    // T1, doubling without a cap: 0.5, 1, 2, 4, 8 and 16 s apart.
    assert_eq!(gaps_ms(&progress), [500, 1000, 2000, 4000, 8000, 16000]);
    assert_eq!(sim.uac.codes(Method::Invite).last(), Some(&500));
    assert!(
        invite_responses(&sim, 200).is_empty(),
        "the held 2xx never went"
    );
}

#[test]
fn an_answer_waiting_for_the_prack_is_not_withdrawn_by_the_invites_expires() {
    // §13.3.1: Expires bounds how long the invitation waits for the application, which
    // answered in time; the 2xx only waits for the PRACK (RFC 3262 §3).
    let mut sim = Sim::new(Net::perfect(20), 20, idle_shell());
    sim.uac.prack = false;
    sim.uac.invite(
        sim.now,
        &format!("{REQUIRE_100REL}Expires: 3\r\n"),
        &offer(),
    );
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    early_media_then_answer(&mut sim, call);
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.event_names(), ["IncomingCall"]);
    assert!(invite_responses(&sim, 487).is_empty());
    let number = rseq(invite_responses(&sim, 183)[0]);
    send_prack(&mut sim, number);
    assert!(sim.run_until(Duration::from_secs(15), |s| s.has_event("CallConfirmed")));
    assert_eq!(invite_responses(&sim, 200).len(), 1);
}

#[test]
fn ringing_without_a_session_description_is_overtaken_by_the_answer_and_goes_no_more() {
    let (mut sim, call) = reliable_call(7, false);
    ring(&mut sim, call);
    sim.run_for(Duration::from_millis(600));
    answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    sim.run_for(Duration::from_secs(10));
    let ringing = sim.sent_times("SIP/2.0 180", "CSeq: 1 INVITE");
    let answered = sim.sent_times("SIP/2.0 200 OK", "CSeq: 1 INVITE");
    assert_eq!(ringing.len(), 2, "sent, and again at T1: {ringing:?}");
    assert!(
        ringing.iter().all(|at| *at < answered[0]),
        "{ringing:?} {answered:?}"
    );
}

#[test]
fn a_prack_crossing_the_answer_that_overtook_its_ringing_gets_200() {
    let (mut sim, call) = reliable_call(10, true);
    ring(&mut sim, call);
    // The answer at once: it overtakes the 180, whose PRACK is still to come.
    answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    sim.settle();
    assert_eq!(sim.uac.codes(Method::PRack), [200]);
    assert!(!sim.has_event("CallEnded"), "{:?}", sim.event_names());
}

/// An offered call refused with 486 while its reliable ringing waits for the PRACK, and the
/// ringing's RSeq.
fn refused_while_ringing(seed: u64) -> (Sim, u32) {
    let (mut sim, call) = reliable_call(seed, false);
    ring(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let number = rseq(invite_responses(&sim, 180)[0]);
    sim.ep.reject(sim.now, call, 486, "Busy Here").unwrap();
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::Invite).last(), Some(&486));
    assert!(
        sim.event_names().iter().any(|n| n.starts_with("CallEnded")),
        "{:?}",
        sim.event_names()
    );
    (sim, number)
}

#[test]
fn a_prack_crossing_a_refusal_gets_200_for_64_t1_and_once() {
    // The PRACK was on its way when the refusal went.
    let (mut sim, number) = refused_while_ringing(11);
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    // Taken once; another naming the same response, or another one, names nothing.
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    send_prack(&mut sim, number + 1);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack), [200, 481, 481]);
    // What was owed is forgotten after 64*T1: then nothing is left.
    let (mut sim, number) = refused_while_ringing(12);
    sim.run_for(Duration::from_secs(33));
    sim.settle();
    assert_eq!(sim.ep.poll_timeout(), None);
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack), [481]);
}

#[test]
fn a_cancel_while_the_answer_waits_for_the_prack_gets_487_and_the_answer_never_goes() {
    let (mut sim, call) = reliable_call(8, false);
    early_media_then_answer(&mut sim, call);
    sim.run_for(Duration::from_millis(700));
    sim.uac.cancel(sim.now);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.has_event("CallEnded(Cancelled)")
    }));
    sim.settle();
    assert_eq!(sim.uac.codes(Method::Cancel), [200]);
    assert_eq!(sim.uac.codes(Method::Invite).last(), Some(&487));
    assert!(invite_responses(&sim, 200).is_empty());
    let progress = sim.sent_times("SIP/2.0 183", "CSeq: 1 INVITE");
    assert_eq!(progress.len(), 2, "none after the 487: {progress:?}");
}

#[test]
fn an_early_update_offer_gets_500_until_our_reliable_answer_is_pracked_then_488() {
    let (mut sim, call) = reliable_call(13, false);
    early_media(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let number = rseq(invite_responses(&sim, 183)[0]);
    // Our answer is not acknowledged yet: the INVITE's offer counts as unanswered.
    let sendonly = format!("{}a=sendonly\r\n", offer());
    sim.uac.update(sim.now, "", &sendonly);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::Update), [500]);
    let refused = sim.uac.last_response(Method::Update).unwrap();
    assert!(refused.header("Retry-After").is_some(), "{}", refused.text);
    send_prack(&mut sim, number);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::PRack), [200]);
    // A new offer now: refused, and the early session stays until the answer.
    sim.uac.update(sim.now, "", &sendonly);
    sim.run_for(Duration::from_millis(100));
    assert_eq!(sim.uac.codes(Method::Update), [500, 488]);
    assert_eq!(sim.event_names(), ["IncomingCall"]);
    answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
}

#[test]
fn a_caller_without_an_offer_gets_no_reliable_response_and_our_offer_in_the_2xx() {
    let mut sim = Sim::new(Net::perfect(9), 9, idle_shell());
    sim.uac.invite(sim.now, REQUIRE_100REL, "");
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    ring(&mut sim, call);
    answer(&mut sim, call);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    assert!(invite_responses(&sim, 180).is_empty());
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert!(ok.body().contains("m=audio"), "{}", ok.text);
}

#[test]
fn a_caller_that_only_supports_reliable_responses_gets_them_unreliably() {
    let mut sim = Sim::new(Net::perfect(5), 5, idle_shell());
    sim.uac.invite(sim.now, "Supported: 100rel\r\n", &offer());
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    ring(&mut sim, call);
    sim.run_for(Duration::from_secs(3));
    let ringing = invite_responses(&sim, 180);
    assert_eq!(ringing.len(), 1, "sent once");
    assert_eq!(ringing[0].header("RSeq"), None);
    assert!(sim.uac.requests(Method::PRack).is_empty());
}

#[test]
fn other_required_extensions_are_still_refused_with_420() {
    let mut sim = Sim::new(Net::perfect(6), 6, idle_shell());
    sim.uac
        .invite(sim.now, "Require: 100rel, precondition\r\n", &offer());
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Invite), [420]);
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        refused.header("Unsupported").as_deref(),
        Some("precondition")
    );
}

/// A 180 without SDP.
fn ring(sim: &mut Sim, call: switchyard_sip::CallKey) {
    sim.ep
        .progress(sim.now, call, 180, "Ringing", None)
        .unwrap();
}

/// The 200, with our answer to the test offer.
fn answer(sim: &mut Sim, call: switchyard_sip::CallKey) {
    sim.ep
        .answer(sim.now, call, g711_answer_to_offer())
        .unwrap();
}

/// A 183 with early media (our answer to the test offer).
fn early_media(sim: &mut Sim, call: switchyard_sip::CallKey) {
    let early = Some(g711_answer_to_offer());
    sim.ep
        .progress(sim.now, call, 183, "Session Progress", early)
        .unwrap();
}

/// A reliable 183 with early media, then the answer at once: it waits for the 183's PRACK.
fn early_media_then_answer(sim: &mut Sim, call: switchyard_sip::CallKey) {
    early_media(sim, call);
    answer(sim, call);
}

/// A G.711 answer to the test offer.
fn g711_answer_to_offer() -> String {
    g711_answer(&switchyard_sip::sdp::Offer::parse(offer().as_bytes()).unwrap())
}

/// A PRACK acknowledging `progress`, a reliable provisional response, and carrying `sdp`.
fn prack_with_offer(progress: &Received, sdp: &str) -> Vec<u8> {
    prack_with_body(progress, "application/sdp", sdp)
}

/// A PRACK acknowledging `progress`, a reliable provisional response, and carrying `body` of
/// type `content_type`.
fn prack_with_body(progress: &Received, content_type: &str, body: &str) -> Vec<u8> {
    prack_naming(progress, rseq(progress), content_type, body)
}

/// A PRACK in the early dialog of `progress`, a reliable provisional response, whose RAck
/// names `rseq` and the INVITE, carrying `body` of type `content_type`.
fn prack_naming(progress: &Received, rseq: u32, content_type: &str, body: &str) -> Vec<u8> {
    let header = |name| progress.header(name).expect(name);
    let via = header("Via");
    let sent_by = via.split(';').next().unwrap();
    let contact = header("Contact");
    let target = contact.trim_start_matches('<').split('>').next().unwrap();
    format!(
        "PRACK {target} SIP/2.0\r\nVia: {sent_by};branch=z9hG4bKprackoffer\r\n\
         Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 2 PRACK\r\n\
         RAck: {rseq} 1 INVITE\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        header("From"),
        header("To"),
        header("Call-ID"),
        body.len()
    )
    .into_bytes()
}

#[test]
fn an_offer_in_a_prack_is_refused_with_488_and_the_prack_still_acknowledges() {
    let (mut sim, call) = reliable_call(31, false);
    early_media_then_answer(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let progress = invite_responses(&sim, 183)[0].clone();
    let prack = prack_with_offer(&progress, &offer());
    sim.uac.send_raw(prack);
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    assert_eq!(
        sim.uac.codes(Method::PRack),
        [488],
        "no 200 without an answer"
    );
    assert_eq!(
        invite_responses(&sim, 183).len(),
        1,
        "acknowledged: sent no more"
    );
}

/// Sends the PRACK `prack` that `make` builds for a call's reliable 183 (seed `seed`), then
/// the same again as its sender retransmits it over UDP (§17.1.2.2): both get `code`, the
/// second the same bytes as the first (§17.2.2).
fn assert_retransmitted_prack_refused_alike(
    seed: u64,
    make: impl Fn(&Received) -> Vec<u8>,
    code: u16,
) {
    let (mut sim, call) = reliable_call(seed, false);
    early_media(&mut sim, call);
    sim.run_for(Duration::from_millis(100));
    let prack = make(invite_responses(&sim, 183)[0]);
    sim.uac.send_raw(prack.clone());
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.uac.codes(Method::PRack) == [code]
    }));
    let refusal = sim.uac.last_response(Method::PRack).unwrap().text.clone();
    sim.uac.send_raw(prack);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.uac.codes(Method::PRack).len() == 2
    }));
    assert_eq!(sim.uac.codes(Method::PRack), [code, code]);
    let again = &sim.uac.last_response(Method::PRack).unwrap().text;
    assert_eq!(*again, refusal, "the transaction's response, again");
}

#[test]
fn a_prack_naming_no_waiting_response_gets_481_whatever_its_body() {
    // RFC 3262 §4: the RAck is matched first; the body of a PRACK that names nothing is not
    // looked at.
    let bodies = [
        ("application/sdp", offer()),
        ("text/plain", "hello".to_owned()),
        ("application/sdp", "v=0\r\nbroken\r\n".to_owned()),
    ];
    for (seed, (content_type, body)) in (35..).zip(bodies) {
        let (mut sim, call) = reliable_call(seed, false);
        early_media(&mut sim, call);
        sim.run_for(Duration::from_millis(100));
        let progress = invite_responses(&sim, 183)[0].clone();
        let prack = prack_naming(&progress, rseq(&progress) + 1, content_type, &body);
        sim.uac.send_raw(prack);
        assert!(sim.run_until(Duration::from_secs(5), |s| {
            !s.uac.codes(Method::PRack).is_empty()
        }));
        assert_eq!(
            sim.uac.codes(Method::PRack),
            [481],
            "{content_type}: {body}"
        );
        sim.run_for(Duration::from_secs(1));
        assert!(
            invite_responses(&sim, 183).len() > 1,
            "{content_type}: the 183 still waits for its PRACK"
        );
    }
}

#[test]
fn a_retransmitted_prack_with_an_offer_gets_the_same_488() {
    assert_retransmitted_prack_refused_alike(32, |p| prack_with_offer(p, &offer()), 488);
}

#[test]
fn a_retransmitted_prack_with_an_unreadable_body_gets_the_same_415() {
    let text = |p: &Received| prack_with_body(p, "text/plain", "hello");
    assert_retransmitted_prack_refused_alike(33, text, 415);
}

#[test]
fn a_retransmitted_prack_with_malformed_sdp_gets_the_same_400() {
    let broken = |p: &Received| prack_with_body(p, "application/sdp", "v=0\r\nbroken\r\n");
    assert_retransmitted_prack_refused_alike(34, broken, 400);
}
