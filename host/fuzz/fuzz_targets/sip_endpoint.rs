//! The endpoint's whole input: datagrams from two peers, the passing of time, and the
//! shell's commands (answer, reject, hang up, place a call), in any order.
//!
//! The input is a list of steps separated by NUL bytes; a step's first byte says what it
//! is (see [`step`]), so the committed seeds are readable call flows. Afterwards every
//! call is hung up and time runs on: the endpoint must then hold no call and no
//! transaction, whatever came before.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use switchyard_sip::{CallKey, Endpoint, EndpointConfig, Event, OutgoingCall, Transport};

const LOCAL: &str = "127.0.0.1:5060";
const PEER_A: &str = "127.0.0.1:5070";
const PEER_B: &str = "127.0.0.2:5080";
const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

/// The run: the endpoint, the clock, the calls it told us of, and the last request and
/// response it sent (to answer, or to follow up in their dialog).
struct Run {
    endpoint: Endpoint,
    now: Instant,
    calls: Vec<CallKey>,
    last_request: Option<String>,
    last_response: Option<String>,
    cseq: u32,
}

fuzz_target!(|data: &[u8]| {
    let mut run = Run {
        endpoint: Endpoint::new(
            EndpointConfig {
                user_agent: "switchyard-fuzz".into(),
            },
            7,
        ),
        now: Instant::now(),
        calls: Vec::new(),
        last_request: None,
        last_response: None,
        cseq: 100,
    };
    // At most 64 steps, so the calls noted stay few: each step adds one at most.
    for chunk in data.split(|&b| b == 0).take(64) {
        step(&mut run, chunk);
        run.drain();
    }
    for call in std::mem::take(&mut run.calls) {
        let _ = run.endpoint.hangup(run.now, call);
    }
    run.drain();
    // Longer than any transaction's timers (64·T1 is 32 s; a lingering server
    // transaction's Timer J or K is shorter).
    run.advance(Duration::from_secs(70));
    for call in std::mem::take(&mut run.calls) {
        let _ = run.endpoint.hangup(run.now, call);
    }
    run.advance(Duration::from_secs(70));
    assert_eq!(run.endpoint.active_transactions(), 0, "transactions left");
    assert_eq!(run.endpoint.active_calls(), 0, "calls left");
});

/// One step: `A…`/`B…` a datagram from peer A or B, `t…` a message over TCP from peer A;
/// `T` and a byte: that many 100 ms pass; `a` answer, `r` reject, `h` hang up the latest
/// call, `i` place a call to peer A; `R` and a status code (`R180`, `R200 …`): peer A's
/// response to the last request the endpoint sent; `Q` and a method (`QACK`, `QBYE`):
/// peer A's request in the dialog of the last response the endpoint sent. The rest of an
/// `R` or `Q` step is added as header lines.
fn step(run: &mut Run, chunk: &[u8]) {
    let Some((&kind, rest)) = chunk.split_first() else {
        return;
    };
    let local: SocketAddr = LOCAL.parse().unwrap();
    let now = run.now;
    match kind {
        b'A' => run
            .endpoint
            .handle_datagram(now, local, PEER_A.parse().unwrap(), rest),
        b'B' => run
            .endpoint
            .handle_datagram(now, local, PEER_B.parse().unwrap(), rest),
        b't' => {
            run.endpoint
                .handle_message(now, Transport::Tcp, local, PEER_A.parse().unwrap(), rest)
        }
        b'T' => {
            let tenths = rest.first().copied().unwrap_or(1);
            run.advance(Duration::from_millis(100 * u64::from(tenths)));
        }
        b'a' => {
            if let Some(&call) = run.calls.last() {
                let _ = run.endpoint.answer(now, call, SDP.into());
            }
        }
        b'r' => {
            if let Some(&call) = run.calls.last() {
                let code = rest.first().map_or(486, |&b| 300 + u16::from(b) * 2);
                let _ = run.endpoint.reject(now, call, code, "Busy Here");
            }
        }
        b'h' => {
            if let Some(&call) = run.calls.last() {
                let _ = run.endpoint.hangup(now, call);
            }
        }
        b'i' => {
            let call = OutgoingCall {
                request_uri: "sip:b@127.0.0.1:5070".into(),
                from: "sip:a@127.0.0.1".into(),
                to: "sip:b@127.0.0.1".into(),
                headers: Vec::new(),
                route: Vec::new(),
                destination: PEER_A.parse().unwrap(),
                transport: Transport::Udp,
                local,
                sdp_offer: SDP.into(),
                credentials: Some(switchyard_sip::Credentials {
                    username: "a".into(),
                    password: "secret".into(),
                }),
                max_forwards: switchyard_sip::MAX_FORWARDS,
            };
            if let Ok(key) = run.endpoint.invite(now, call) {
                run.calls.push(key);
            }
        }
        b'R' => {
            if let Some(request) = run.last_request.clone() {
                let response = respond(&request, rest);
                run.endpoint
                    .handle_datagram(now, local, PEER_A.parse().unwrap(), &response);
            }
        }
        b'Q' => {
            if let Some(response) = run.last_response.clone() {
                run.cseq += 1;
                let request = follow_up(&response, rest, run.cseq);
                run.endpoint
                    .handle_datagram(now, local, PEER_A.parse().unwrap(), &request);
            }
        }
        _ => {}
    }
}

/// The headers of `message` named `name` (long form), as whole lines.
fn headers<'m>(message: &'m str, name: &'m str) -> impl Iterator<Item = &'m str> + 'm {
    message
        .split("\r\n")
        .take_while(|line| !line.is_empty())
        .filter(move |line| {
            line.split_once(':')
                .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        })
}

/// Peer A's response to `request`: the status code from the step, its dialog headers
/// copied (RFC 3261 §8.2.6.2), a To tag, an SDP body on a 2xx to an INVITE.
fn respond(request: &str, step: &[u8]) -> Vec<u8> {
    let (code, extra) = step.split_at(step.len().min(3));
    let (code, extra) = (
        String::from_utf8_lossy(code),
        String::from_utf8_lossy(extra),
    );
    let mut out = format!("SIP/2.0 {code} Fuzz\r\n");
    for name in ["Via", "From", "Call-ID", "CSeq"] {
        for line in headers(request, name) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    for line in headers(request, "To") {
        out.push_str(line);
        if !line.contains("tag=") {
            out.push_str(";tag=peer");
        }
        out.push_str("\r\n");
    }
    out.push_str("Contact: <sip:b@127.0.0.1:5070>\r\n");
    out.push_str(extra.trim_start());
    let with_sdp = code.starts_with('2') && request.starts_with("INVITE");
    let body = if with_sdp { SDP } else { "" };
    if with_sdp {
        out.push_str("Content-Type: application/sdp\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// Peer A's request `method` (the step's first word) in the dialog of `response`, which
/// the endpoint sent to it: From and To as in the response, a new Via branch.
fn follow_up(response: &str, step: &[u8], cseq: u32) -> Vec<u8> {
    let step = String::from_utf8_lossy(step);
    let (method, extra) = step.split_once(' ').unwrap_or((&step, ""));
    let method = if method.is_empty() { "BYE" } else { method };
    let mut out = format!(
        "{method} sip:a@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKfuzz{cseq}\r\nMax-Forwards: 70\r\n"
    );
    for name in ["From", "To", "Call-ID"] {
        for line in headers(response, name) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("CSeq: {cseq} {method}\r\n"));
    out.push_str(extra);
    out.push_str("Content-Length: 0\r\n\r\n");
    out.into_bytes()
}

impl Run {
    /// Takes what the endpoint sends and reports, noting the calls it offers.
    fn drain(&mut self) {
        while let Some(transmit) = self.endpoint.poll_transmit() {
            let text = String::from_utf8_lossy(&transmit.payload).into_owned();
            if text.starts_with("SIP/2.0") {
                self.last_response = Some(text);
            } else {
                self.last_request = Some(text);
            }
        }
        while let Some(event) = self.endpoint.poll_event() {
            if let Event::IncomingCall(incoming) = event {
                self.calls.push(incoming.call);
            }
        }
    }

    /// Lets `span` pass, firing every timer that falls due on the way.
    fn advance(&mut self, span: Duration) {
        let end = self.now + span;
        for _ in 0..10_000 {
            match self.endpoint.poll_timeout() {
                Some(due) if due <= end => {
                    self.now = self.now.max(due);
                    self.endpoint.handle_timeout(self.now);
                    self.drain();
                }
                _ => break,
            }
        }
        self.now = end;
        self.endpoint.handle_timeout(self.now);
        self.drain();
    }
}
