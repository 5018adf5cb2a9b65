//! Call flows through the simulated network, on virtual time.

mod common;

use std::time::Duration;

use common::*;
use rsip::Method;
use switchyard_sip::sdp::Offer;
use switchyard_sip::timer::Timer;
use switchyard_sip::{CallError, Event};

const HOLD: Duration = Duration::from_secs(20);

/// INVITE/100/200/ACK, a hold, BYE/200; returns the simulation after it settled.
fn full_call(net: Net, seed: u64) -> Sim {
    let mut sim = Sim::new(net, seed, answering_shell());
    sim.invite();
    assert!(
        sim.run_until(Duration::from_secs(60), |s| s.uac.remote_tag().is_some()),
        "no 2xx reached the UAC"
    );
    sim.run_for(HOLD);
    sim.uac.bye(sim.now);
    assert!(
        sim.run_until(Duration::from_secs(200), |s| s
            .has_event("CallEnded(RemoteBye)")),
        "call did not end: {:?}",
        sim.event_names()
    );
    sim.settle();
    sim
}

#[test]
fn full_call_without_loss() {
    let sim = full_call(Net::perfect(1), 1);
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(RemoteBye)"]
    );
    assert_eq!(sim.uac.codes(Method::Invite), [100, 200]);
    assert_eq!(sim.uac.codes(Method::Bye), [200]);
    assert_eq!(sim.ep.active_calls(), 0);
    assert_eq!(sim.ep.poll_timeout(), None, "transactions left behind");
    assert_eq!(sim.ep.stats().retransmissions_sent, 0);

    let Event::IncomingCall(call) = &sim.events[0].1 else {
        unreachable!()
    };
    assert_eq!(call.request_user, "conf-1234");
    assert_eq!(call.from_user, "alice");
    assert_eq!(call.from_display_name.as_deref(), Some("Alice Caller"));
    assert_eq!(call.call_id, "call-1@127.0.0.1");
    assert_eq!(call.source, addr(UAC));
    assert_eq!(
        call.offer
            .as_ref()
            .and_then(|o| o.sole_stream())
            .map(|s| s.connection),
        Some(addr("127.0.0.1:6000"))
    );
    assert!(
        call.headers
            .contains(&("X-ParticipantID".into(), "42".into()))
    );

    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        ok.header("Contact").as_deref(),
        Some(format!("<sip:{EP}>").as_str())
    );
    assert_eq!(ok.header("Server").as_deref(), Some("switchyard-test"));
    assert!(
        ok.body().contains("m=audio 40000 RTP/AVP 0 101\r\n"),
        "{}",
        ok.body()
    );
    let trying = &sim.uac.received()[0];
    assert_eq!(trying.code(), Some(100));
    assert_eq!(trying.to_tag(), None, "100 Trying carries no To tag");
    assert!(
        ok.header("Via")
            .unwrap()
            .contains("rport=5062;received=127.0.0.1")
    );
}

#[test]
fn full_call_survives_loss_duplication_and_reordering() {
    let (mut lost, mut duplicated, mut resent) = (0, 0, 0);
    for seed in 1..=16 {
        let net = Net::lossy(seed, 0.3, 0.15, Duration::from_millis(120));
        let sim = full_call(net, seed);
        assert_eq!(
            sim.event_names(),
            ["IncomingCall", "CallConfirmed", "CallEnded(RemoteBye)"],
            "seed {seed}"
        );
        assert_eq!(sim.ep.active_calls(), 0, "seed {seed}");
        assert_eq!(
            sim.ep.poll_timeout(),
            None,
            "seed {seed}: transactions left behind"
        );
        assert!(sim.uac.codes(Method::Bye).contains(&200), "seed {seed}");
        lost += sim.net.lost();
        duplicated += sim.net.duplicated();
        resent += sim.ep.stats().retransmissions_sent;
    }
    assert!(
        lost > 10 && duplicated > 5 && resent > 5,
        "{lost} {duplicated} {resent}"
    );
}

#[test]
fn cancel_before_answer_gets_487_and_ends_the_call() {
    let mut sim = Sim::new(Net::perfect(2), 2, idle_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    sim.uac.cancel(sim.now);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.has_event("CallEnded(Cancelled)")
    }));
    sim.settle();
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
    assert_eq!(sim.uac.codes(Method::Cancel), [200]);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 487]);
    assert_eq!(
        sim.uac.last_response(Method::Cancel).unwrap().to_tag(),
        sim.uac.last_response(Method::Invite).unwrap().to_tag()
    );
    assert_eq!(
        sim.ep.stats().retransmissions_sent,
        0,
        "the ACK stopped Timer G"
    );
    assert_eq!(sim.ep.poll_timeout(), None);
    let call = first_call(&sim);
    assert!(sim.ep.answer(sim.now, call, String::new()).is_err());
}

#[test]
fn a_cancel_after_the_final_response_gets_200_with_a_to_tag() {
    let (mut sim, call) = offered_call(3);
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
    // The CANCEL crosses the 480: the INVITE's transaction still absorbs its ACK's
    // retransmissions (Timer I).
    sim.run_for(Duration::from_millis(100));
    sim.uac.cancel(sim.now);
    sim.settle();
    assert_eq!(sim.uac.codes(Method::Invite), [100, 480]);
    assert_eq!(sim.uac.codes(Method::Cancel), [200], "the INVITE is known");
    let cancel_ok = sim.uac.last_response(Method::Cancel).unwrap();
    assert!(
        cancel_ok.to_tag().is_some_and(|tag| !tag.is_empty()),
        "§8.2.6.2: {}",
        cancel_ok.text
    );
    // §9.2: the To tag of the INVITE's responses, though the call is gone.
    let rejected = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(cancel_ok.to_tag(), rejected.to_tag());
}

#[test]
fn a_late_cancel_gets_200_with_the_to_tag_of_the_invites_responses() {
    // §9.2: whatever answered the INVITE, the CANCEL's 200 has the same To tag.
    let (mut sim, _) = confirmed_call(8);
    sim.uac.bye(sim.now);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.has_event("CallEnded(RemoteBye)")
    }));
    // The answered INVITE's transaction lingers (RFC 6026 Timer L); the call is gone.
    sim.uac.cancel(sim.now);
    sim.run_for(Duration::from_secs(1));
    // INVITEs the endpoint refused itself: 420 for an extension it lacks, 400 for a
    // malformed header.
    for extra in ["Require: foo\r\n", "Record-Route: <sip:proxy\r\n"] {
        sim.uac.invite(sim.now, extra, &offer());
        sim.run_for(Duration::from_secs(1));
        sim.uac.cancel(sim.now);
        sim.run_for(Duration::from_secs(1));
    }
    let final_tags: Vec<_> = sim
        .uac
        .received()
        .iter()
        .filter(|r| r.cseq_method() == Some(Method::Invite) && r.code() >= Some(200))
        .map(|r| (r.code(), r.to_tag()))
        .collect();
    let codes: Vec<_> = final_tags.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [Some(200), Some(420), Some(400)]);
    let invite_tags: Vec<_> = final_tags.into_iter().map(|(_, tag)| tag).collect();
    let cancel_tags: Vec<_> = sim
        .uac
        .received()
        .iter()
        .filter(|r| r.cseq_method() == Some(Method::Cancel))
        .map(|r| (r.code(), r.to_tag()))
        .collect();
    assert!(cancel_tags.iter().all(|(code, _)| *code == Some(200)));
    let cancel_tags: Vec<_> = cancel_tags.into_iter().map(|(_, tag)| tag).collect();
    assert_eq!(cancel_tags, invite_tags);
    // A CANCEL matching no INVITE gets 481 (§9.2).
    sim.uac.stray("CANCEL", None);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Cancel).last(), Some(&481));
}

#[test]
fn an_invite_unanswered_when_its_expires_runs_out_gets_487_like_a_cancel() {
    // §13.3.1: the invitation expires with the INVITE's Expires.
    let (mut sim, call) = ringing_call_with(5, "Expires: 3\r\n");
    assert!(sim.run_until(Duration::from_secs(10), |s| {
        s.has_event("CallEnded(Cancelled)")
    }));
    let times: Vec<Duration> = sim.events.iter().map(|(at, _)| *at).collect();
    assert_eq!(gaps_ms(&times), [3000], "3 s after the INVITE came");
    sim.settle();
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 180, 487]);
    let terminated = sim.uac.last_response(Method::Invite).unwrap();
    assert!(
        terminated
            .text
            .starts_with("SIP/2.0 487 Request Terminated\r\n")
    );
    assert!(sim.ep.answer(sim.now, call, String::new()).is_err());
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn an_invite_the_application_leaves_alone_expires_too() {
    // §13.3.1: the invitation expires with the INVITE's Expires, whatever the application
    // does; Expires: 0 withdraws it at once.
    for (seed, expires, after_ms) in [(9, 3, 3000), (10, 0, 0)] {
        let mut sim = Sim::new(Net::perfect(seed), seed, idle_shell());
        sim.uac
            .invite(sim.now, &format!("Expires: {expires}\r\n"), &offer());
        assert!(
            sim.run_until(Duration::from_secs(10), |s| {
                s.has_event("CallEnded(Cancelled)")
            }),
            "Expires: {expires}: {:?}",
            sim.event_names()
        );
        let times: Vec<Duration> = sim.events.iter().map(|(at, _)| *at).collect();
        assert_eq!(gaps_ms(&times), [after_ms], "Expires: {expires}");
        sim.settle();
        assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Cancelled)"]);
        assert_eq!(
            sim.uac.codes(Method::Invite),
            [100, 487],
            "Expires: {expires}"
        );
        let call = first_call(&sim);
        let progress = sim.ep.progress(sim.now, call, 180, "Ringing", None);
        assert!(progress.is_err(), "the call is gone");
    }
}

#[test]
fn an_invite_answered_within_its_expires_stays_answered() {
    let (mut sim, call) = ringing_call_with(6, "Expires: 3\r\n");
    let offer = Offer::parse(offer().as_bytes()).unwrap();
    sim.ep.answer(sim.now, call, g711_answer(&offer)).unwrap();
    sim.run_for(Duration::from_secs(10));
    assert_eq!(sim.event_names(), ["IncomingCall", "CallConfirmed"]);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 180, 200]);
}

#[test]
fn an_invite_whose_expires_is_no_delta_seconds_is_offered_without_expiry() {
    // RFC 4475 §3.1.2.4: an Expires that is no delta-seconds (an RFC 2543 date, garbage) is
    // ignored rather than refused, and one past 32 bits is read as the largest.
    let date = "Thu, 01 Dec 1994 16:00:00 GMT";
    let values = ["soon", "-1", date, "4294967296"];
    for (seed, expires) in (11..).zip(values) {
        let mut sim = Sim::new(Net::perfect(seed), seed, idle_shell());
        sim.uac
            .invite(sim.now, &format!("Expires: {expires}\r\n"), &offer());
        sim.run_for(Duration::from_secs(600));
        assert_eq!(sim.event_names(), ["IncomingCall"], "{expires}");
        assert_eq!(sim.uac.codes(Method::Invite), [100], "{expires}");
        let call = first_call(&sim);
        let offer = Offer::parse(offer().as_bytes()).unwrap();
        sim.ep.answer(sim.now, call, g711_answer(&offer)).unwrap();
        sim.run_for(Duration::from_secs(1));
        assert_eq!(sim.uac.codes(Method::Invite), [100, 200], "{expires}");
    }
}

#[test]
fn a_bye_on_the_early_dialog_gets_200_and_the_invite_487() {
    let (mut sim, _) = ringing_call(2);
    sim.uac.bye(sim.now);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.has_event("CallEnded(RemoteBye)")
    }));
    sim.settle();
    assert_eq!(sim.uac.codes(Method::Bye), [200]);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 180, 487]);
    assert_eq!(
        sim.ep.active_transactions(),
        0,
        "the INVITE's transaction ended"
    );
}

#[test]
fn an_update_in_the_early_dialog_starts_no_session_timer() {
    let (mut sim, _) = ringing_call(2);
    sim.uac
        .update(sim.now, "Session-Expires: 90\r\nSupported: timer\r\n", "");
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Update), [200]);
    let ok = sim.uac.last_response(Method::Update).unwrap();
    assert_eq!(
        ok.header("Session-Expires"),
        None,
        "the INVITE's 2xx negotiates the session timer: {}",
        ok.text
    );
    // Ringing long past the interval the UPDATE asked for: the call is not over.
    sim.run_for(Duration::from_secs(120));
    assert!(
        !sim.has_event("CallEnded(SessionExpired)"),
        "{:?}",
        sim.event_names()
    );
    assert!(
        !sim.sent.iter().any(|(_, m)| m.starts_with("BYE ")),
        "no BYE in an early dialog (RFC 3261 §15)"
    );
    // The caller can still cancel it, and the INVITE gets its 487 (after its 180 every
    // minute, §13.3.1.1).
    sim.uac.cancel(sim.now);
    sim.settle();
    assert_eq!(sim.uac.codes(Method::Invite), [100, 180, 180, 180, 487]);
    assert_eq!(sim.ep.active_transactions(), 0);
}

#[test]
fn an_update_before_the_answer_leaves_the_invites_session_timer_to_its_2xx() {
    let timer = "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\n";
    let (mut sim, call) = ringing_call_with(4, timer);
    sim.uac.update(sim.now, "", "");
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Update), [200]);
    let offer = Offer::parse(offer().as_bytes()).unwrap();
    sim.ep.answer(sim.now, call, g711_answer(&offer)).unwrap();
    sim.run_for(Duration::from_secs(1));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ok.code(), Some(200));
    assert_eq!(
        ok.header("Session-Expires").as_deref(),
        Some("120;refresher=uac"),
        "the INVITE's session timer: {}",
        ok.text
    );
}

#[test]
fn a_reinvite_in_the_early_dialog_gets_500_with_retry_after() {
    let (mut sim, _) = ringing_call(2);
    sim.uac.reinvite(sim.now);
    sim.run_for(Duration::from_secs(1));
    let refused = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(
        refused.code(),
        Some(500),
        "RFC 3261 §14.2: {}",
        refused.text
    );
    assert!(refused.header("Retry-After").is_some(), "{}", refused.text);
    // The call's own INVITE is still waiting for its answer.
    assert!(
        !sim.event_names().iter().any(|e| e.starts_with("CallEnded")),
        "{:?}",
        sim.event_names()
    );
}

#[test]
fn a_ringing_response_copies_the_record_route() {
    let record_route = "<sip:proxy.example.com;lr>";
    let (sim, _) = ringing_call_with(2, &format!("Record-Route: {record_route}\r\n"));
    let ringing = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(ringing.code(), Some(180));
    assert_eq!(
        ringing.header("Record-Route").as_deref(),
        Some(record_route)
    );
}

#[test]
fn missing_ack_retransmits_2xx_with_backoff_then_byes() {
    let mut sim = Sim::new(Net::perfect(3), 3, answering_shell());
    sim.uac.ack_2xx = false;
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(60), |s| s.has_event("CallEnded(NoAck)")));
    let oks = sim.sent_times("SIP/2.0 200 OK", "CSeq: 1 INVITE");
    assert_eq!(
        gaps_ms(&oks),
        [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000],
        "§13.3.1.4: T1 doubling, capped at T2"
    );
    let byes = sim.sent_times("BYE ", "BYE");
    assert_eq!(byes.len(), 1);
    assert_eq!(byes[0] - oks[0], Timer::AckTimeout.duration());
    let ended_at = sim.events.last().unwrap().0;
    assert_eq!(ended_at, byes[0]);
    sim.settle();
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(NoAck)"]);
    assert_eq!(sim.uac.requests(Method::Bye).len(), 1);
    assert_eq!(sim.ep.poll_timeout(), None);
}

/// A call whose INVITE reached the endpoint, which has not answered it.
fn offered_call(seed: u64) -> (Sim, switchyard_sip::CallKey) {
    let mut sim = Sim::new(Net::perfect(seed), seed, idle_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    (sim, call)
}

/// [`offered_call`], rung (180): its early dialog is up.
fn ringing_call(seed: u64) -> (Sim, switchyard_sip::CallKey) {
    ringing_call_with(seed, "")
}

/// A call whose INVITE had the header lines `headers`, offered and rung (180).
fn ringing_call_with(seed: u64, headers: &str) -> (Sim, switchyard_sip::CallKey) {
    let mut sim = Sim::new(Net::perfect(seed), seed, idle_shell());
    sim.uac.invite(sim.now, headers, &offer());
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("IncomingCall")));
    let call = first_call(&sim);
    sim.ep
        .progress(sim.now, call, 180, "Ringing", None)
        .unwrap();
    sim.run_for(Duration::from_millis(100));
    (sim, call)
}

/// Establishes a call without loss and returns the simulation with the call confirmed.
fn confirmed_call(seed: u64) -> (Sim, switchyard_sip::CallKey) {
    let mut sim = Sim::new(Net::perfect(seed), seed, answering_shell());
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.has_event("CallConfirmed")));
    let call = first_call(&sim);
    (sim, call)
}

#[test]
fn local_bye_is_retransmitted_by_timer_e_through_loss() {
    let (mut sim, call) = confirmed_call(4);
    let mut dropped = 0;
    sim.net.drop_if(move |d| {
        let drop = d.to == addr(UAC) && d.payload.starts_with(b"BYE ") && dropped < 2;
        dropped += drop as u32;
        drop
    });
    let start = sim.elapsed();
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(sim.run_until(Duration::from_secs(60), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
    let byes = sim.sent_times("BYE ", "BYE");
    assert_eq!(byes[0], start);
    assert_eq!(gaps_ms(&byes), [500, 1000], "Timer E: T1, then 2*T1");
    assert_eq!(sim.uac.requests(Method::Bye).len(), 1);
    let bye = sim.uac.requests(Method::Bye)[0];
    assert_eq!(
        bye.header("To").unwrap(),
        "\"Alice Caller\" <sip:alice@127.0.0.1:5062>;tag=uac-tag"
    );
    assert_eq!(bye.header("User-Agent").as_deref(), Some("switchyard-test"));
    sim.settle();
    assert_eq!(sim.ep.poll_timeout(), None);
    assert_eq!(sim.ep.active_calls(), 0);
}

#[test]
fn unanswered_bye_times_out_with_timer_f() {
    let (mut sim, call) = confirmed_call(5);
    sim.uac.answer_bye = false;
    let start = sim.elapsed();
    sim.ep.hangup(sim.now, call).unwrap();
    assert!(sim.run_until(Duration::from_secs(120), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
    let ended_at = sim.events.last().unwrap().0;
    assert_eq!(ended_at - start, Timer::F.duration());
    let byes = sim.sent_times("BYE ", "BYE");
    assert_eq!(gaps_ms(&byes)[..5], [500, 1000, 2000, 4000, 4000]);
    assert_eq!(byes.len(), 11);
}

#[test]
fn hangup_before_ack_waits_for_the_ack() {
    let mut sim = Sim::new(Net::perfect(6), 6, answering_shell());
    sim.uac.ack_2xx = false;
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.uac.remote_tag().is_some()));
    let call = first_call(&sim);
    sim.ep.hangup(sim.now, call).unwrap();
    sim.run_for(Duration::from_secs(1));
    assert!(
        sim.sent_times("BYE ", "BYE").is_empty(),
        "§15: no BYE before the ACK"
    );
    sim.uac.ack_2xx = true;
    assert!(sim.run_until(Duration::from_secs(30), |s| {
        s.has_event("CallEnded(LocalHangup)")
    }));
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"]
    );
}

#[test]
fn reject_is_retransmitted_until_ack() {
    let (mut sim, call) = offered_call(7);
    assert_eq!(
        sim.ep.reject(sim.now, call, 200, "OK"),
        Err(switchyard_sip::CallError::InvalidStatus(200))
    );
    let mut lose_first_ack = true;
    sim.net.drop_if(move |d| {
        let drop = d.to == addr(EP) && d.payload.starts_with(b"ACK ") && lose_first_ack;
        lose_first_ack &= !drop;
        drop
    });
    sim.ep.reject(sim.now, call, 486, "Busy Here").unwrap();
    sim.settle();
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Rejected)"]);
    let rejects = sim.sent_times("SIP/2.0 486 Busy Here", "INVITE");
    assert_eq!(
        gaps_ms(&rejects),
        [500],
        "Timer G resent once; the second ACK got through"
    );
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn reject_with_retry_after_is_retransmitted_until_ack() {
    let (mut sim, call) = offered_call(16);
    let unavailable = |sim: &mut Sim, headers: &[(&str, &str)]| {
        sim.ep
            .reject_with(sim.now, call, 503, "Service Unavailable", headers)
    };
    assert_eq!(
        unavailable(&mut sim, &[("Retry-After", "5"), ("", "x")])
            .unwrap_err()
            .to_string(),
        "header \"\" cannot be added: the name is empty"
    );
    for bad in [
        ("Retry-After", "5\r\nX-Evil: 1"),
        ("Retry After", "5"),
        ("l", "0"),
    ] {
        assert!(
            matches!(
                unavailable(&mut sim, &[bad]),
                Err(CallError::InvalidHeader { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(sim.sent_times("SIP/2.0 503", "INVITE").is_empty());
    let mut acks_lost = 0;
    sim.net.drop_if(move |d| {
        let drop = d.to == addr(EP) && d.payload.starts_with(b"ACK ") && acks_lost < 2;
        acks_lost += drop as u32;
        drop
    });
    unavailable(&mut sim, &[("Retry-After", "5")]).unwrap();
    sim.settle();
    assert_eq!(sim.event_names(), ["IncomingCall", "CallEnded(Rejected)"]);
    let rejects = sim.sent_times("SIP/2.0 503 Service Unavailable", "INVITE");
    assert_eq!(
        gaps_ms(&rejects),
        [500, 1000],
        "Timer G resent twice; the third ACK got through"
    );
    assert_eq!(sim.uac.codes(Method::Invite), [100, 503, 503, 503]);
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert_eq!(response.header("Retry-After").as_deref(), Some("5"));
    assert!(
        sim.sent
            .iter()
            .filter(|(_, text)| text.starts_with("SIP/2.0 503"))
            .all(|(_, text)| text.contains("\r\nRetry-After: 5\r\n"))
    );
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn reinvite_before_ack_gets_491() {
    let mut sim = Sim::new(Net::perfect(9), 9, answering_shell());
    sim.uac.ack_2xx = false;
    sim.invite();
    assert!(sim.run_until(Duration::from_secs(5), |s| s.uac.remote_tag().is_some()));
    sim.uac.reinvite(sim.now);
    assert!(sim.run_until(Duration::from_secs(5), |s| {
        s.uac.codes(Method::Invite).contains(&491)
    }));
}

#[test]
fn in_dialog_requests_for_unknown_dialogs_get_481() {
    let mut sim = Sim::new(Net::perfect(10), 10, idle_shell());
    sim.uac.stray("BYE", Some("nope"));
    sim.uac.stray("INVITE", Some("nope"));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.uac.codes(Method::Bye), [481]);
    assert_eq!(sim.uac.codes(Method::Invite), [481]);
    assert_eq!(
        sim.uac
            .last_response(Method::Bye)
            .unwrap()
            .to_tag()
            .as_deref(),
        Some("nope")
    );
}

#[test]
fn options_outside_a_dialog_lists_capabilities() {
    let mut sim = Sim::new(Net::perfect(11), 11, idle_shell());
    sim.uac.stray("OPTIONS", None);
    sim.run_for(Duration::from_secs(1));
    let ok = sim
        .uac
        .last_response(Method::Options)
        .expect("no answer to OPTIONS");
    assert_eq!(ok.code(), Some(200));
    assert_eq!(
        ok.header("Allow").as_deref(),
        Some("INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK")
    );
    assert_eq!(ok.header("Accept").as_deref(), Some("application/sdp"));
    assert_eq!(ok.header("Supported").as_deref(), Some("100rel, timer"));
    assert!(ok.to_tag().is_some(), "§8.2.6.2: a To tag is added");
}

#[test]
fn unsupported_methods_get_405_with_allow() {
    let mut sim = Sim::new(Net::perfect(12), 12, idle_shell());
    sim.uac.stray("REGISTER", None);
    sim.uac.stray("SUBSCRIBE", None);
    sim.run_for(Duration::from_secs(1));
    for method in [Method::Register, Method::Subscribe] {
        let response = sim.uac.last_response(method).unwrap();
        assert_eq!(response.code(), Some(405));
        assert!(response.header("Allow").is_some());
    }
}

#[test]
fn retransmitted_invite_gets_the_last_response_and_one_event() {
    let mut sim = Sim::new(Net::perfect(13), 13, idle_shell());
    sim.net.drop_if(|d| d.to == addr(UAC));
    sim.invite();
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.event_names(), ["IncomingCall"]);
    assert_eq!(sim.sent_times("SIP/2.0 100 Trying", "INVITE").len(), 3);
    assert_eq!(sim.ep.stats().request_retransmissions_received, 2);
}

#[test]
fn invites_the_endpoint_refuses_itself() {
    let offer = offer();
    let cases: [(&str, &str, u16, &str); 4] = [
        ("", "v=0\r\nthis is not sdp\r\n", 400, "Malformed SDP body"),
        (
            "",
            &offer.replace("RTP/AVP", "RTP/SAVP"),
            488,
            "No RTP/AVP audio stream in SDP offer",
        ),
        ("Require: path\r\n", &offer, 420, "Bad Extension"),
        (
            "Content-Type: text/plain\r\n",
            "hello",
            415,
            "Unsupported Media Type",
        ),
    ];
    for (extra, body, code, reason) in cases {
        let mut sim = Sim::new(Net::perfect(14), 14, idle_shell());
        sim.uac.invite(sim.now, extra, body);
        sim.settle();
        assert!(sim.events.is_empty(), "{reason}: the shell never sees it");
        let response = sim.uac.last_response(Method::Invite).unwrap();
        assert_eq!(response.code(), Some(code), "{reason}");
        assert!(
            response
                .text
                .starts_with(&format!("SIP/2.0 {code} {reason}\r\n")),
            "{}",
            response.text
        );
        assert!(response.to_tag().is_some());
        assert_eq!(
            sim.ep.poll_timeout(),
            None,
            "{reason}: the ACK ended the transaction"
        );
    }
}

#[test]
fn an_invite_with_a_body_in_another_content_coding_gets_415_with_accept_encoding() {
    let offer = offer();
    let mut sim = Sim::new(Net::perfect(15), 15, idle_shell());
    sim.uac
        .invite(sim.now, "Content-Encoding: gzip\r\n", &offer);
    sim.settle();
    assert!(sim.events.is_empty(), "the shell never sees it");
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert!(
        response
            .text
            .starts_with("SIP/2.0 415 Unsupported Content-Encoding\r\n"),
        "{}",
        response.text
    );
    // §8.2.3: the 415 lists the codings the endpoint understands.
    assert_eq!(
        response.header("Accept-Encoding").as_deref(),
        Some("identity")
    );
    let mut sim = Sim::new(Net::perfect(15), 15, idle_shell());
    sim.uac
        .invite(sim.now, "Content-Encoding: identity\r\n", &offer);
    sim.settle();
    assert_eq!(
        sim.event_names(),
        ["IncomingCall"],
        "the identity is no coding"
    );
}

#[test]
fn an_invite_with_sdp_among_isup_in_a_multipart_body_is_offered_its_sdp() {
    let offer = offer();
    let multipart = |isup_disposition: &str| {
        format!(
            "--b1\r\nContent-Type: application/sdp\r\n\r\n{offer}\r\n\
             --b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\
             Content-Disposition: {isup_disposition}\r\n\r\n\u{1}\u{0}I\r\n--b1--\r\n"
        )
    };
    let content_type = "Content-Type: multipart/mixed;boundary=b1\r\n";
    let mut sim = Sim::new(Net::perfect(16), 16, idle_shell());
    sim.uac.invite(
        sim.now,
        content_type,
        &multipart("signal;handling=optional"),
    );
    sim.settle();
    let offered = sim.events.iter().find_map(|(_, e)| match e {
        Event::IncomingCall(call) => Some(call.offer.clone()),
        _ => None,
    });
    assert_eq!(
        offered
            .flatten()
            .and_then(|o| o.sole_stream().map(|s| s.connection)),
        Offer::parse(offer.as_bytes())
            .unwrap()
            .sole_stream()
            .map(|s| s.connection)
    );
    // A part the sender requires us to understand, and we do not (RFC 5621 §9.1).
    let mut sim = Sim::new(Net::perfect(17), 17, idle_shell());
    sim.uac.invite(
        sim.now,
        content_type,
        &multipart("signal;handling=required"),
    );
    sim.settle();
    assert!(sim.events.is_empty());
    assert_eq!(
        sim.uac.last_response(Method::Invite).unwrap().code(),
        Some(415)
    );
}

/// Answers every call without an offer with one of ours (RTP at 127.0.0.1:40000).
fn offering_shell() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            assert!(call.offer.is_none(), "a late offer");
            let ours = switchyard_sip::testing::audio_offer(addr("127.0.0.1:40000"));
            ep.answer(now, call.call, ours).unwrap();
        }
    })
}

#[test]
fn a_late_offer_is_answered_with_ours_and_the_ack_brings_the_answer() {
    let mut sim = Sim::new(Net::perfect(18), 18, offering_shell());
    sim.uac.invite(sim.now, "", "");
    assert!(sim.run_until(sim.elapsed() + Duration::from_secs(5), |s| {
        s.has_event("OfferAnswered")
    }));
    let ok = sim.uac.last_response(Method::Invite).unwrap();
    assert!(ok.body().contains("m=audio 40000 RTP/AVP"), "{}", ok.body());
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "OfferAnswered"]
    );
    let Some((_, Event::OfferAnswered { answer, offer, .. })) = sim.events.last() else {
        unreachable!()
    };
    assert_eq!(answer.sole_stream().unwrap().connection, addr(UAC));
    assert!(offer.contains("m=audio 40000 "), "{offer}");
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.ep.active_calls(), 1, "the call goes on");
}

#[test]
fn a_late_offer_whose_ack_brings_no_answer_is_hung_up() {
    let mut sim = Sim::new(Net::perfect(19), 19, offering_shell());
    // A body of whitespace only: no offer, and this UAC then ACKs without an answer.
    sim.uac.invite(sim.now, "", "\r\n");
    sim.run_for(Duration::from_secs(5));
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallConfirmed", "CallEnded(LocalHangup)"]
    );
    assert!(
        sim.sent.iter().any(|(_, t)| t.starts_with("BYE ")),
        "the call is ended with a BYE"
    );
}

#[test]
fn early_media_without_the_callers_offer_is_refused() {
    let mut sim = Sim::new(Net::perfect(20), 20, idle_shell());
    sim.uac.invite(sim.now, "", "");
    sim.settle();
    let call = match &sim.events[..] {
        [(_, Event::IncomingCall(call))] => call.call,
        other => panic!("{other:?}"),
    };
    let sdp = switchyard_sip::testing::audio_offer(addr("127.0.0.1:40000"));
    assert!(matches!(
        sim.ep
            .progress(sim.now, call, 183, "Session Progress", Some(sdp)),
        Err(CallError::InvalidState { .. })
    ));
    sim.ep
        .progress(sim.now, call, 180, "Ringing", None)
        .expect("ringing needs no SDP");
}

#[test]
fn hangup_of_an_unanswered_call_rejects_with_480() {
    let (mut sim, call) = offered_call(15);
    sim.ep.hangup(sim.now, call).unwrap();
    sim.settle();
    assert_eq!(
        sim.event_names(),
        ["IncomingCall", "CallEnded(LocalHangup)"]
    );
    let response = sim.uac.last_response(Method::Invite).unwrap();
    assert!(
        response
            .text
            .starts_with("SIP/2.0 480 Temporarily Unavailable\r\n")
    );
    assert_eq!(
        sim.ep.hangup(sim.now, call),
        Err(switchyard_sip::CallError::UnknownCall(call))
    );
    assert_eq!(call.to_string(), "c1");
}

#[test]
fn a_call_left_ringing_repeats_its_provisional_every_minute_until_answered() {
    let (mut sim, call) = ringing_call(50);
    sim.run_for(Duration::from_secs(130));
    // §13.3.1.1: a proxy whose INVITE timer restarts on each provisional keeps the call.
    let rung = sim.sent_times("SIP/2.0 180", "CSeq: 1 INVITE");
    assert_eq!(rung.len(), 3, "{rung:?}");
    assert_eq!(rung[1] - rung[0], Duration::from_secs(60));
    let offer = Offer::parse(offer().as_bytes()).unwrap();
    sim.ep.answer(sim.now, call, g711_answer(&offer)).unwrap();
    sim.run_for(Duration::from_secs(130));
    assert_eq!(
        sim.sent_times("SIP/2.0 180", "CSeq: 1 INVITE").len(),
        3,
        "none once answered"
    );
    assert!(sim.uac.codes(Method::Invite).contains(&200));
}

#[test]
fn a_rung_call_rejected_repeats_no_provisional() {
    let (mut sim, call) = ringing_call(51);
    sim.run_for(Duration::from_secs(30));
    sim.ep.reject(sim.now, call, 486, "Busy Here").unwrap();
    sim.run_for(Duration::from_secs(100));
    assert_eq!(sim.sent_times("SIP/2.0 180", "CSeq: 1 INVITE").len(), 1);
    assert_eq!(sim.uac.codes(Method::Invite), [100, 180, 486]);
}
