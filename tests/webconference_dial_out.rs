//! `dialout` against SIPp callees: one behind a proxy that challenges with
//! 407 and then answers (audio both ways), one that declines with 606, and
//! one that only rings (the room hears ringback; `roomDelete` cancels it);
//! a phone that answers into an empty room (it hears `first_participant`);
//! and one muted while it rings, whose answer the room hears (`join_sound`).
//!
//! And who keeps a participant company: a dial-out being placed or ringing
//! counts as a participant (as SEMS counts a ringing callee in its
//! conference), for a looped `first_participant` and for the
//! `lonely_user_timer`, and one that fails leaves the others as a participant
//! leaving would. Its callee is a bare SIP socket that answers only what each
//! test tells it to.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use support::audio::{peak_power, power, rms};
use support::phone::{Listening, Phone, header};
use support::server::Server;
use support::sipp::Sipp;
use support::webconference::{create_room, random_room, server_with, wait_for_participant, wc};

/// Above this a tone is heard (a full-scale sine reads about 1).
const HEARD: f64 = 1e-3;
/// Below this a tone is absent.
const ABSENT: f64 = 1e-4;
/// The ringback prompt's frequencies (North American: 440 + 480 Hz).
const RINGBACK_HZ: [f64; 2] = [440.0, 480.0];
/// One whole ringback cycle (2 s on, 4 s off) and a little more.
const RINGBACK_CYCLE: Duration = Duration::from_millis(6500);
/// What the test phone sends.
const PHONE_HZ: f64 = 1000.0;
/// A prompt heard reads about 0.1 RMS; silence reads ~0.
const PROMPT_HEARD: f64 = 0.01;

/// `dialout` of `callee` in `room`, from `conf@switchyard.test`, with these
/// digest credentials; returns the new participant's call tag.
fn dial_out(server: &Server, room: &str, pin: &str, callee: &Sipp, user: &str, pw: &str) -> String {
    dial_out_to(server, room, pin, &callee.addr.to_string(), user, pw)
}

/// [`dial_out`] of `bob` at `domain`.
fn dial_out_to(
    server: &Server,
    room: &str,
    pin: &str,
    domain: &str,
    user: &str,
    pw: &str,
) -> String {
    let answer = wc(
        server,
        &format!(
            "s.dialout({room:?}, {pin:?}, 'bob', 'conf', 'switchyard.test', {user:?}, {pw:?}, \
             '', {domain:?})"
        ),
    );
    answer
        .strip_prefix("[0, 'OK', '")
        .and_then(|rest| rest.strip_suffix("']"))
        .unwrap_or_else(|| panic!("expected dialout to answer [0, 'OK', tag], got {answer}"))
        .to_owned()
}

/// The power of the ringback tone in `heard`.
fn ringback_power(heard: &[i16]) -> f64 {
    RINGBACK_HZ.iter().map(|&hz| power(heard, hz)).sum()
}

#[test]
fn a_challenged_dial_out_is_connected_with_audio_both_ways() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee_echoing_rtp("uas_407_then_200_wait_bye.xml");
    let tag = dial_out(&server, &room, &pin, &callee, "alice", "secret");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    assert_eq!(
        listed,
        format!("['{tag}', 'sip:bob@{}', 3, '200 OK', 0, '']", callee.addr)
    );

    // The callee sends back what it gets: a caller in the room hears its own
    // tone only if audio flows from the room to the callee and back.
    let phone = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    let heard = phone.talk(PHONE_HZ, Duration::from_secs(3));
    let settled = &heard[heard.len().min(8000)..];
    let echoed = power(settled, PHONE_HZ);
    assert!(
        echoed > HEARD,
        "expected the callee's echo of the room at {PHONE_HZ} Hz above {HEARD}, got {echoed:.2e}"
    );
    assert!(
        ringback_power(settled) < ABSENT,
        "no ringback once the callee answered"
    );

    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a BYE when the room is deleted", &server);
    assert!(
        phone.await_bye(Duration::from_secs(5)),
        "the caller in the room gets a BYE too"
    );
}

#[test]
fn a_declined_dial_out_is_finished_with_its_reason() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_606.xml");
    let tag = dial_out(&server, &room, &pin, &callee, "", "");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 5"),
    );
    assert_eq!(
        listed,
        format!(
            "['{tag}', 'sip:bob@{}', 5, '606 Declined', 0, '']",
            callee.addr
        )
    );
    callee.finish("a 606 answered with an ACK", &server);
}

#[test]
fn a_ringing_dial_out_rings_in_the_room_until_room_delete_cancels_it() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Sipp::callee("uas_ring_until_cancel.xml");
    let tag = dial_out(&server, &room, &pin, &callee, "", "");
    let listed = wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 2"),
    );
    assert_eq!(
        listed,
        format!(
            "['{tag}', 'sip:bob@{}', 2, '180 Ringing', 0, '']",
            callee.addr
        )
    );

    let phone = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    let heard = phone.talk(PHONE_HZ, RINGBACK_CYCLE);
    let ringback = ringback_power(&heard);
    assert!(
        ringback > HEARD,
        "expected the room to hear ringback from the ringing callee above {HEARD}, got {ringback:.2e}"
    );

    assert_eq!(
        wc(&server, &format!("s.roomDelete({room:?}, {pin:?})")),
        "[0, 'OK']"
    );
    callee.finish("a CANCEL when the room is deleted", &server);
    assert!(
        phone.await_bye(Duration::from_secs(5)),
        "the caller in the room gets a BYE"
    );
}

#[test]
fn a_dial_out_answered_into_an_empty_room_hears_first_participant() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = Listening::new();
    let domain = callee.uri("bob").trim_start_matches("sip:bob@").to_owned();
    let tag = dial_out_to(&server, &room, &pin, &domain, "", "");
    let phone = callee.answer(Duration::from_secs(10));
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3"),
    );
    // Alone in the room, it hears the prompt (about 3 s), not silence.
    let heard = phone.talk(PHONE_HZ, Duration::from_secs(2));
    let level = rms(&heard);
    assert!(
        heard.len() > 8000 && level > 0.01,
        "expected first_participant, heard {} samples at RMS {level:.4}",
        heard.len()
    );
}

/// A callee on its own loopback port that takes one INVITE and answers it
/// only as told: a dial-out kept Connecting (100), Ringing (180), or failing.
struct Callee {
    sip: UdpSocket,
    invite: String,
    server: SocketAddr,
}

impl Callee {
    /// Binds the callee's socket; returns it and its `host:port`, the
    /// `callee_domain` a dial-out reaches it at.
    fn bind() -> (UdpSocket, String) {
        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let domain = sip.local_addr().unwrap().to_string();
        (sip, domain)
    }

    /// Waits up to 10 s for the dial-out's INVITE on `sip` and answers it
    /// `provisional` ("100 Trying", "180 Ringing").
    fn invited(sip: UdpSocket, provisional: &str) -> Callee {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buffer = [0u8; 8192];
        while Instant::now() < deadline {
            let Ok((len, from)) = sip.recv_from(&mut buffer) else {
                continue;
            };
            let message = String::from_utf8_lossy(&buffer[..len]).into_owned();
            if message.starts_with("INVITE ") {
                let callee = Callee {
                    sip,
                    invite: message,
                    server: from,
                };
                callee.respond(provisional);
                return callee;
            }
        }
        panic!("the dial-out's INVITE did not come within 10 s");
    }

    /// Sends the response `status` ("486 Busy Here") to the INVITE.
    fn respond(&self, status: &str) {
        self.respond_with(status, "", "");
    }

    /// Answers the INVITE (200, PCMU to `rtp`); the ACK it gets is not waited for.
    fn answer(&self, rtp: &UdpSocket) {
        let sip = self.sip.local_addr().unwrap();
        let port = rtp.local_addr().unwrap().port();
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        );
        self.respond_with(
            "200 OK",
            &format!("Contact: <sip:bob@{sip}>\r\nContent-Type: application/sdp\r\n"),
            &sdp,
        );
    }

    /// Sends the response `status` to the INVITE, with `headers` (lines
    /// ended by CRLF) and `body`.
    fn respond_with(&self, status: &str, headers: &str, body: &str) {
        let mut response = format!("SIP/2.0 {status}\r\n");
        for name in ["Via", "From", "Call-ID", "CSeq"] {
            let value = header(&self.invite, name).expect("a header of the INVITE");
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        let to = header(&self.invite, "To").expect("a To header");
        response.push_str(&format!(
            "To: {to};tag=callee1\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ));
        self.sip.send_to(response.as_bytes(), self.server).unwrap();
    }
}

/// A dial-out of `room` to a new callee that answers its INVITE `provisional`.
fn dial_out_answering(server: &Server, room: &str, pin: &str, provisional: &str) -> Callee {
    dial_out_tagged(server, room, pin, provisional).0
}

/// [`dial_out_answering`], with the dial-out's call tag.
fn dial_out_tagged(server: &Server, room: &str, pin: &str, provisional: &str) -> (Callee, String) {
    let (sip, domain) = Callee::bind();
    let tag = dial_out_to(server, room, pin, &domain, "", "");
    let callee = Callee::invited(sip, provisional);
    let status = if provisional.starts_with("180") { 2 } else { 1 };
    wait_for_participant(
        server,
        room,
        pin,
        &format!("p[0] == {tag:?} and p[2] == {status}"),
    );
    (callee, tag)
}

#[test]
fn a_looped_first_participant_prompt_ends_once_someone_is_placed_or_joins() {
    let server = server_with("loop_first_participant_prompt = true\n");
    let room = random_room();
    let pin = create_room(&server, &room);
    let anna = Phone::call(server.sip, &format!("000777{room}"), "anna", &[]);
    let alone = anna.talk(PHONE_HZ, Duration::from_secs(4));
    assert!(
        rms(&alone) > PROMPT_HEARD,
        "expected anna, alone, to hear first_participant, heard RMS {}",
        rms(&alone)
    );

    // A callee being called (no ringback: only 100 Trying) is company: the
    // loop ends before anyone else comes.
    let _callee = dial_out_answering(&server, &room, &pin, "100 Trying");
    let placed = anna.talk(PHONE_HZ, Duration::from_secs(3));
    // The first second leaves the loop time to stop.
    let settled = &placed[placed.len().min(8_000)..];
    let level = rms(settled);
    eprintln!(
        "anna while the dial-out is placed: RMS {level:.4} over {} samples",
        settled.len()
    );
    assert!(
        settled.len() > 12_000 && level < PROMPT_HEARD,
        "expected anna's first_participant loop to end once the dial-out was placed, \
         heard RMS {level}"
    );

    // Then a caller: anna has had company for a while.
    let carol = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    let heard = anna.talk(PHONE_HZ, Duration::from_secs(6));
    // The first 2 s hold carol's join_sound; then the room is silent.
    let settled = &heard[heard.len().min(16_000)..];
    let level = rms(settled);
    eprintln!(
        "anna after carol joined: RMS {level:.4} over {} samples",
        settled.len()
    );
    assert!(
        settled.len() > 24_000 && level < PROMPT_HEARD,
        "expected anna's first_participant loop to have ended, heard RMS {level}"
    );
    carol.hang_up();
    anna.hang_up();
}

#[test]
fn a_participant_waiting_for_a_dial_out_is_alone_only_once_it_fails() {
    let server = server_with("lonely_user_timer = 2\n");
    let room = random_room();
    let pin = create_room(&server, &room);
    let anna = Phone::call(server.sip, &format!("000777{room}"), "anna", &[]);
    let callee = dial_out_answering(&server, &room, &pin, "180 Ringing");
    assert!(
        !anna.await_bye(Duration::from_secs(5)),
        "expected no BYE to anna while the callee rings; log:\n{}",
        server.log()
    );
    callee.respond("486 Busy Here");
    let failed = Instant::now();
    let bye = anna.await_bye_at(Duration::from_secs(10));
    let after = bye.map(|at| at.duration_since(failed));
    eprintln!("anna's BYE after the dial-out failed: {after:?}");
    assert!(
        after.is_some_and(|a| a > Duration::from_millis(1500)),
        "expected a BYE to anna about 2 s after the dial-out failed, got {after:?}; log:\n{}",
        server.log()
    );
}

#[test]
fn a_caller_joining_only_a_dial_out_is_alone_once_it_fails() {
    let server = server_with("lonely_user_timer = 2\n");
    let room = random_room();
    let pin = create_room(&server, &room);
    let callee = dial_out_answering(&server, &room, &pin, "100 Trying");
    let carol = Phone::call(server.sip, &format!("000777{room}"), "carol", &[]);
    assert!(
        !carol.await_bye(Duration::from_secs(4)),
        "expected no BYE to carol while the callee is being called; log:\n{}",
        server.log()
    );
    callee.respond("486 Busy Here");
    assert!(
        carol.await_bye(Duration::from_secs(10)),
        "expected a BYE to carol, left alone by the dial-out that failed; log:\n{}",
        server.log()
    );
}

#[test]
fn a_dial_out_muted_while_it_rings_is_heard_joining_a_room_of_two() {
    let server = Server::start();
    let room = random_room();
    let pin = create_room(&server, &room);
    let anna = Phone::call(server.sip, &format!("000777{room}"), "anna", &[]);
    // first_participant (about 3 s), then bert's join_sound, end before the listening.
    anna.talk(PHONE_HZ, Duration::from_secs(4));
    let bert = Phone::call(server.sip, &format!("000777{room}"), "bert", &[]);
    anna.talk(PHONE_HZ, Duration::from_secs(3));

    let (callee, tag) = dial_out_tagged(&server, &room, &pin, "180 Ringing");
    assert_eq!(
        wc(&server, &format!("s.mute({room:?}, {pin:?}, {tag:?})")),
        "[0, 'OK']"
    );
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let heard = std::thread::scope(|scope| {
        let listening = scope.spawn(|| anna.talk(PHONE_HZ, Duration::from_secs(4)));
        std::thread::sleep(Duration::from_secs(1));
        callee.answer(&rtp);
        listening.join().unwrap()
    });
    wait_for_participant(
        &server,
        &room,
        &pin,
        &format!("p[0] == {tag:?} and p[2] == 3 and p[4] == 1"),
    );
    let (before, after) = heard.split_at(heard.len().min(8000));
    // join_sound: 880 and 1320 Hz; the muted callee's ringback is not heard.
    for hz in [880.0, 1320.0] {
        let (quiet, loud) = (peak_power(before, hz), peak_power(after, hz));
        eprintln!("{hz} Hz peaks at {quiet:.2e} before the answer, {loud:.2e} after");
        assert!(
            quiet < ABSENT,
            "expected no {hz} Hz before the answer, got {quiet}"
        );
        assert!(
            loud > HEARD,
            "expected anna to hear the muted callee's join_sound at {hz} Hz, got {loud}"
        );
    }
    bert.hang_up();
    anna.hang_up();
}
