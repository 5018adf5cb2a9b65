//! Guests that misbehave, and guest features, end to end through the real
//! binary with the `misbehave` test guest: the host's fallbacks after a trap
//! or an overrun, guest code kept off the SIP path, and guest timers.

mod support;

use std::time::{Duration, Instant};
use support::audio::assert_each_hears_the_other;
use support::phone::Phone;
use support::prometheus::scrape;
use support::raw_peer::RawPeer;
use support::server::{Server, misbehave_config};
use support::xmlrpc::{HELD_FOR_CALLS, calls, rpc, stats};

/// How long anything the tests wait for may take.
const DEADLINE: Duration = Duration::from_secs(10);
/// How long a participant whose guest panicked is watched for a BYE.
const NO_BYE_WATCH: Duration = Duration::from_secs(2);
/// The tones of the two room participants.
const TONES: [f64; 2] = [600.0, 1100.0];

/// Polls `stats()` until `guest_instances` is `expected`, at most [`DEADLINE`].
fn await_guest_instances(server: &Server, expected: i64) {
    await_stat(server, "guest_instances", expected);
}

/// Waits until the calls' guest instances are gone, and with them what the host holds for
/// calls until they end: placed calls' records, reserved RTP sockets, the event stream's
/// rooms of calls.
fn await_nothing_held(server: &Server) {
    for held in HELD_FOR_CALLS {
        await_stat(server, held, 0);
    }
}

/// Waits until the `stats()` counter `name` reads `expected`, for at most `DEADLINE`.
fn await_stat(server: &Server, name: &str, expected: i64) {
    server.await_value(name, &expected, DEADLINE, || stats(server).get(name));
}

/// Dials `user` and returns the final status code of the INVITE.
fn final_status(server: &Server, user: &str) -> u16 {
    Phone::dial(server.sip, user, &format!("{user}-caller"), &[]).await_answer()
}

#[test]
fn guest_faults_fall_back_safely() {
    let server = Server::start_with(&misbehave_config());

    // (a) Unanswered calls whose guest panics, spins past its deadline, runs
    // out of memory or tries to sleep (block its thread) are rejected 500.
    for user in ["panic", "spin", "grow", "sleep"] {
        let status = final_status(&server, user);
        assert_eq!(
            status, 500,
            "expected 500 to a call whose guest does `{user}` before answering"
        );
    }

    // (b) A participant whose guest then panics stays in its room.
    let anna = Phone::call(server.sip, "room", "anna", &[]);
    let bert = Phone::call(server.sip, "room", "bert", &[]);
    await_guest_instances(&server, 2);
    bert.send_dtmf('3');
    // Bert's instance is gone: the panic happened.
    await_guest_instances(&server, 1);
    let (heard, bye) = std::thread::scope(|scope| {
        let anna_talks = scope.spawn(|| anna.talk(TONES[0], NO_BYE_WATCH));
        let bert_talks = scope.spawn(|| bert.talk(TONES[1], NO_BYE_WATCH));
        let bye = bert.await_bye(NO_BYE_WATCH);
        (
            [anna_talks.join().unwrap(), bert_talks.join().unwrap()],
            bye,
        )
    });
    assert!(
        !bye,
        "expected no BYE to a participant whose guest panicked; log:\n{}",
        server.log()
    );
    assert_eq!(
        calls(&server),
        2,
        "expected calls() to still count both participants"
    );
    assert_each_hears_the_other(&heard, TONES);
    anna.hang_up();
    bert.hang_up();

    // (c) A call alone whose guest panics is hung up.
    let carl = Phone::call(server.sip, "alone", "carl", &[]);
    carl.send_dtmf('3');
    assert!(
        carl.await_bye(DEADLINE),
        "expected a BYE within {DEADLINE:?} to a call alone whose guest panicked; log:\n{}",
        server.log()
    );
}

#[test]
fn a_spinning_guest_does_not_hold_up_other_calls() {
    // A second of spinning: however slow this machine is at starting the
    // other call's instance, its answer can only come first if the SIP loop
    // goes on meanwhile.
    let server = Server::start_with(&format!(
        "{}[guests.misbehave.limits]\ncall_deadline_ms = 1000\n",
        misbehave_config()
    ));
    let mut spinning = Phone::dial(server.sip, "spin", "spinner", &[]);
    // The server has taken the INVITE; its guest is starting to spin.
    assert_eq!(
        spinning.await_provisional(DEADLINE),
        Some(100),
        "expected 100 Trying to the INVITE of the spinning call"
    );
    let mut alone = Phone::dial(server.sip, "alone", "other", &[]);
    let (spin_status, alone_status) = std::thread::scope(|scope| {
        let spin = scope.spawn(|| spinning.await_answer());
        let other = alone.await_answer();
        (spin.join().unwrap(), other)
    });
    assert_eq!(spin_status, 500, "expected 500 to the spinning call");
    assert_eq!(alone_status, 200, "expected 200 to the call to `alone`");
    let alone_answered = alone.answered_at().expect("answered");
    let spin_rejected = spinning.answered_at().expect("rejected");
    eprintln!(
        "alone: INVITE -> 200 in {:?}; spin: INVITE -> 500 in {:?}",
        alone_answered - alone.invited_at(),
        spin_rejected - spinning.invited_at()
    );
    assert!(
        alone_answered < spin_rejected,
        "expected the 200 to `alone` before the 500 to `spin` (the SIP loop must not wait \
         for a spinning guest); it came {:?} after",
        alone_answered - spin_rejected
    );
    alone.hang_up();
}

#[test]
fn a_guest_timer_hangs_the_call_up() {
    let server = Server::start_with(&misbehave_config());
    let phone = Phone::call(server.sip, "timer", "tim", &[]);
    let answered = phone.answered_at().expect("answered");
    let bye = phone.await_bye_at(DEADLINE).unwrap_or_else(|| {
        panic!(
            "expected the guest's 500 ms timer to hang the call up within {DEADLINE:?}; log:\n{}",
            server.log()
        )
    });
    let after = bye - answered;
    eprintln!("the BYE came {after:?} after the 200 OK");
    assert!(
        after >= Duration::from_millis(450),
        "expected the BYE no earlier than 450 ms after the 200 OK (a 500 ms timer), came after {after:?}"
    );
}

#[test]
fn past_the_instance_limit_calls_get_503_and_control_keeps_its_own_instances() {
    let config = format!("{}[limits]\nmax_instances = 1\n", misbehave_config());
    let server = Server::start_with(&config);
    let first = Phone::call(server.sip, "alone", "first", &[]);
    let mut second = Phone::dial(server.sip, "alone", "second", &[]);
    let status = second.await_answer();
    assert_eq!(status, 503, "expected 503 while the one instance is taken");
    assert_eq!(
        second.final_answer_header("Retry-After"),
        Some("5"),
        "expected the 503 to say when to retry"
    );
    assert_eq!(
        stats(&server).get("refused_no_instance"),
        1,
        "expected the refusal to be counted"
    );
    let answer = rpc(&server, "s.hello()");
    assert!(
        answer.starts_with("[0, 'OK', 'Server: Switchyard"),
        "expected control requests to have instances of their own while calls hold all of theirs, got {answer}"
    );
    first.hang_up();
    await_nothing_held(&server);
    let third = Phone::call(server.sip, "alone", "third", &[]);
    assert_eq!(
        calls(&server),
        1,
        "expected a call to be taken again once the instance is free"
    );
    third.hang_up();
}

#[test]
fn a_guest_that_falls_behind_loses_events_not_memory() {
    let server = Server::start_with(&misbehave_config());
    let phone = Phone::call(server.sip, "alone", "presser", &[]);
    // Each press keeps the guest busy 50 ms: 100 presses in half a second
    // queue far more than the 64 a call may have waiting. (Paced, so the
    // kernel's socket buffer takes them all; each press is due at its own
    // time, so sleeps that overrun on a busy machine do not add up.)
    let pacing = Instant::now();
    for press in 1..=100u32 {
        phone.send_dtmf('4');
        let due = pacing + Duration::from_millis(5) * press;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    // The count is final once every press has arrived: taken when it has not moved for
    // SETTLED, at most DEADLINE after the last press.
    const SETTLED: Duration = Duration::from_secs(1);
    let started = Instant::now();
    let mut dropped = stats(&server).get("guest_events_dropped");
    let mut unchanged_since = Instant::now();
    let settled = loop {
        if dropped > 0 && unchanged_since.elapsed() >= SETTLED {
            break true;
        }
        if started.elapsed() > DEADLINE {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
        let now = stats(&server).get("guest_events_dropped");
        if now != dropped {
            dropped = now;
            unchanged_since = Instant::now();
        }
    };
    assert!(
        (1..=100 - 64).contains(&dropped),
        "expected some of the 100 presses dropped and at least 64 queued, dropped {dropped}; log:\n{}",
        server.log()
    );
    assert!(
        settled,
        "the dropped count still changed {DEADLINE:?} after the last press (at {dropped}); log:\n{}",
        server.log()
    );
    assert_eq!(calls(&server), 1, "expected the call to stay up");
    phone.hang_up();
    await_nothing_held(&server);
    // An instance over its deadline under load is gone before the queued events behind it
    // are drained; the mailbox goes once the hang-up is through.
    await_stat(&server, "guest_mailboxes", 0);
}

#[test]
fn a_call_placed_with_no_instance_free_is_refused_to_the_guest_placing_it() {
    let config = format!("{}[limits]\nmax_instances = 1\n", misbehave_config());
    let server = Server::start_with(&config);
    // Its guest places calls, and rejects it with 403 when the host placed none.
    assert_eq!(
        final_status(&server, "refused-dials"),
        403,
        "expected every dial refused while the call holds the one instance; log:\n{}",
        server.log()
    );
    server
        .wait_for_log("no guest instance free: call not placed", DEADLINE)
        .unwrap_or_else(|e| panic!("expected the refusal logged: {e}"));
    await_nothing_held(&server);
}

#[test]
fn invites_cancelled_while_waiting_for_a_guest_thread_never_reach_the_guest() {
    let config = format!(
        "{}[limits]\nguest_threads = 1\ncall_deadline_ms = 1000\n",
        misbehave_config()
    );
    let server = Server::start_with(&config);
    // The one guest thread spins for a second on this call's INVITE.
    let mut spinning = Phone::dial(server.sip, "spin", "spinner", &[]);
    assert_eq!(spinning.await_provisional(DEADLINE), Some(100));
    let callers: Vec<RawPeer> = (0..5).map(|_| RawPeer::new(server.sip)).collect();
    for caller in &callers {
        let invite = caller.request("INVITE", "1 INVITE", "", "Max-Forwards: 70\r\n", "");
        caller.send(invite.as_bytes());
    }
    for caller in &callers {
        // CANCEL names the INVITE's transaction: its branch, its CSeq number.
        let cancel = caller
            .request("CANCEL", "1 CANCEL", "", "Max-Forwards: 70\r\n", "")
            .replace("-CANCEL;", "-INVITE;");
        caller.send(cancel.as_bytes());
    }
    for caller in &callers {
        let answers: Vec<String> = std::iter::from_fn(|| caller.answer()).take(2).collect();
        assert!(
            answers.iter().any(|a| a.starts_with("SIP/2.0 487 ")),
            "expected 487 to the cancelled INVITE, got {answers:?}; log:\n{}",
            server.log()
        );
    }
    assert_eq!(spinning.await_answer(), 500, "the spinning call fails");
    await_stat(&server, "guest_mailboxes", 0);
    await_nothing_held(&server);
    let dispatched = scrape(server.control).value(
        "switchyard_guest_dispatch_seconds_count",
        "guest=misbehave,version=1",
    );
    assert_eq!(
        dispatched, 1.0,
        "expected the guest called for the spinning call only"
    );
}

#[test]
fn a_guest_far_behind_on_key_presses_still_gets_its_timer() {
    let server = Server::start_with(&misbehave_config());
    // Its guest starts a 500 ms timer and hangs up when it fires.
    let phone = Phone::call(server.sip, "timer", "presser", &[]);
    // Each press keeps the guest busy 50 ms: 200 presses in a second keep the
    // call's queue full from well before the timer fires until after.
    let pacing = Instant::now();
    for press in 1..=200u32 {
        phone.send_dtmf('4');
        let due = pacing + Duration::from_millis(5) * press;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    assert!(
        phone.await_bye(DEADLINE),
        "expected the timer's hang-up behind the queued presses; log:\n{}",
        server.log()
    );
    assert!(
        stats(&server).get("guest_events_dropped") > 0,
        "expected key presses dropped: the queue was full"
    );
}
