//! Two endpoints, a caller and a callee, and a scripted UAS, joined by the seeded network
//! simulator on virtual time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use switchyard_sip::testing::Simulation;
use switchyard_sip::testing::{Net, Uas, addr, audio_offer, epoch, rsip::Method};
use switchyard_sip::{CallKey, Endpoint, EndpointConfig, Event, OutgoingCall, Transport, sdp};

/// The caller's address.
pub const A: &str = "127.0.0.1:5070";
/// The callee endpoint's address.
pub const B: &str = "127.0.0.1:5060";
/// The scripted UAS's address (it also plays an outbound proxy).
pub const P: &str = "127.0.0.1:5080";

/// The most steps [`Pair::run_for`] takes before it counts as stuck.
const STEP_BOUND: usize = 100_000;
/// The most events and messages one flush moves before it takes the endpoints for an
/// endless exchange.
const MAX_FLUSHED: usize = 100_000;

/// What a test does with an endpoint's events.
pub type Shell = Box<dyn FnMut(&mut Endpoint, Instant, &Event)>;

/// Never acts.
pub fn idle() -> Shell {
    Box::new(|_, _, _| {})
}

/// The callee's SDP answer to `offer`.
pub fn answer_to(offer: &sdp::Offer) -> String {
    let negotiated = sdp::negotiate(offer, &[("PCMU", 8000)]).unwrap();
    sdp::answer(&negotiated, addr("127.0.0.1:40000"), 1)
}

/// A call from "Alice" at [`A`] to `sip:bob@<to>`, sent to `to`.
pub fn call_to(to: &str) -> OutgoingCall {
    OutgoingCall {
        request_uri: format!("sip:bob@{to}"),
        from: "\"Alice\" <sip:alice@127.0.0.1:5070>".into(),
        to: format!("<sip:bob@{to}>"),
        headers: vec![("X-Room".into(), "42".into())],
        route: Vec::new(),
        destination: addr(to),
        transport: Transport::Udp,
        local: addr(A),
        sdp_offer: audio_offer(addr("127.0.0.1:6000")),
        credentials: None,
        max_forwards: switchyard_sip::MAX_FORWARDS,
    }
}

pub struct Pair {
    pub t0: Instant,
    pub now: Instant,
    pub net: Net,
    pub a: Endpoint,
    pub b: Endpoint,
    pub a_shell: Shell,
    pub b_shell: Shell,
    pub a_events: Vec<Event>,
    pub b_events: Vec<Event>,
    /// Everything the caller sent, with its virtual time.
    pub a_sent: Vec<(Duration, String)>,
    /// The scripted UAS at [`P`].
    pub peer: Uas,
}

impl Pair {
    pub fn new(net: Net, b_shell: Shell) -> Self {
        let config = |name: &str| EndpointConfig {
            user_agent: name.into(),
        };
        let t0 = epoch();
        Self {
            t0,
            now: t0,
            net,
            a: Endpoint::new(config("caller"), 11),
            b: Endpoint::new(config("callee"), 22),
            a_shell: idle(),
            b_shell,
            a_events: Vec::new(),
            b_events: Vec::new(),
            a_sent: Vec::new(),
            peer: Uas::new(addr(P)),
        }
    }

    /// Places `call` from the caller.
    pub fn invite(&mut self, call: OutgoingCall) -> CallKey {
        self.a.invite(self.now, call).unwrap()
    }

    /// Sends `payload` from the scripted UAS's address to the caller, as is.
    pub fn peer_send(&mut self, payload: impl Into<Vec<u8>>) {
        self.net.send(self.now, addr(P), addr(A), payload.into());
    }

    /// Moves every queued output onto the network and every event to its shell. Panics after
    /// [`MAX_FLUSHED`] of them, taking the endpoints for an endless exchange.
    fn flush(&mut self) {
        let mut flushed = 0;
        let mut count = || {
            flushed += 1;
            assert!(
                flushed <= MAX_FLUSHED,
                "the endpoints still exchange messages after {MAX_FLUSHED}"
            );
        };
        loop {
            let mut progressed = false;
            while let Some(event) = self.a.poll_event() {
                (self.a_shell)(&mut self.a, self.now, &event);
                self.a_events.push(event);
                count();
                progressed = true;
            }
            while let Some(event) = self.b.poll_event() {
                (self.b_shell)(&mut self.b, self.now, &event);
                self.b_events.push(event);
                count();
                progressed = true;
            }
            while let Some(t) = self.a.poll_transmit() {
                let text = String::from_utf8_lossy(&t.payload).into_owned();
                self.a_sent.push((self.elapsed(), text));
                self.net.send(self.now, addr(A), t.destination, t.payload);
                count();
                progressed = true;
            }
            while let Some(t) = self.b.poll_transmit() {
                self.net.send(self.now, addr(B), t.destination, t.payload);
                count();
                progressed = true;
            }
            while let Some(t) = self.peer.poll_transmit() {
                self.net.send(self.now, addr(P), t.destination, t.payload);
                count();
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// The caller's events by name.
    pub fn a_names(&self) -> Vec<String> {
        names(&self.a_events)
    }

    /// The callee's events by name.
    pub fn b_names(&self) -> Vec<String> {
        names(&self.b_events)
    }

    /// The caller's sent messages whose first line starts with `start`.
    pub fn a_sent_starting(&self, start: &str) -> Vec<&str> {
        self.a_sent
            .iter()
            .filter(|(_, text)| text.starts_with(start))
            .map(|(_, text)| text.as_str())
            .collect()
    }

    /// The requests of `method` that reached the scripted UAS, as text.
    pub fn peer_got(&self, method: Method) -> Vec<&str> {
        self.peer
            .requests(method)
            .into_iter()
            .map(|r| r.text.as_str())
            .collect()
    }
}

impl Pair {
    /// Runs for `duration` of virtual time: whatever is due by then happens, nothing later
    /// (where [`Simulation::run_until`] takes the next thing due, however far off).
    /// Panics if it takes more than [`STEP_BOUND`] steps.
    pub fn run_for(&mut self, duration: Duration) {
        let until = self.now + duration;
        for _ in 0..STEP_BOUND {
            self.flush();
            match self.next_due() {
                Some(at) if at <= until => self.step(),
                _ => return,
            };
        }
        panic!("run_for did not reach its end within {STEP_BOUND} steps");
    }

    /// When the next datagram arrives or an endpoint's timer fires.
    fn next_due(&self) -> Option<Instant> {
        [
            self.net.next_delivery(),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

impl Simulation for Pair {
    fn step(&mut self) -> bool {
        self.flush();
        let Some(next) = self.next_due() else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(d) = self.net.deliver(self.now) {
            let to: SocketAddr = d.to;
            if to == addr(A) {
                self.a
                    .handle_datagram(self.now, addr(A), d.from, &d.payload);
            } else if to == addr(B) {
                self.b
                    .handle_datagram(self.now, addr(B), d.from, &d.payload);
            } else {
                self.peer.handle_datagram(self.now, d.from, &d.payload);
            }
        }
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.flush();
        true
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
    }
}

fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::IncomingCall(_) => "IncomingCall".to_owned(),
            Event::CallConfirmed { .. } => "CallConfirmed".to_owned(),
            Event::CallEnded { cause, .. } => format!("CallEnded({cause:?})"),
            Event::CallProgress { code, answer, .. } => {
                format!(
                    "CallProgress({code}{})",
                    if answer.is_some() { "+sdp" } else { "" }
                )
            }
            Event::CallAnswered { .. } => "CallAnswered".to_owned(),
            Event::CallFailed { code, .. } => format!("CallFailed({code})"),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The value of the first header `name` in `message`.
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The Via branch of `message`'s top Via.
pub fn branch(message: &str) -> &str {
    let via = header(message, "Via").unwrap();
    via.split(';')
        .find_map(|p| p.strip_prefix("branch="))
        .unwrap()
}

/// A response to `request` crafted by hand (for responses [`Uas::reply`] would not send):
/// its Via, From, Call-ID and CSeq, its To with `tag` added unless empty, then `extra` lines
/// (each ending in CRLF) and `body`, as application/sdp unless `extra` gives its Content-Type.
pub fn respond(
    request: &str,
    code: u16,
    reason: &str,
    tag: &str,
    extra: &str,
    body: &str,
) -> String {
    let mut text = format!("SIP/2.0 {code} {reason}\r\n");
    for line in request.lines() {
        let name = line.split(':').next().unwrap_or_default();
        match name {
            "Via" | "From" | "Call-ID" | "CSeq" => text.push_str(&format!("{line}\r\n")),
            "To" if tag.is_empty() => text.push_str(&format!("{line}\r\n")),
            "To" => text.push_str(&format!("{line};tag={tag}\r\n")),
            _ => {}
        }
    }
    let typed = extra.to_ascii_lowercase().contains("content-type:");
    let content_type = if body.is_empty() || typed {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    text.push_str(&format!(
        "{extra}{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    text
}

/// `call` changed by `change`.
pub fn modified(mut call: OutgoingCall, change: impl FnOnce(&mut OutgoingCall)) -> OutgoingCall {
    change(&mut call);
    call
}

/// Runs until the scripted UAS holds `n` requests of `method`, for up to `within` more
/// virtual time; returns the last as text.
pub fn peer_wait_within(pair: &mut Pair, method: Method, n: usize, within: Duration) -> String {
    let limit = pair.elapsed() + within;
    assert!(
        pair.run_until(limit, |p| p.peer_got(method).len() >= n),
        "no {method} #{n}: {:?}",
        pair.a_names()
    );
    pair.peer_got(method)[n - 1].to_owned()
}

/// When endpoint A sent each request starting with `start`, after `since`.
pub fn sent_after(pair: &Pair, start: &str, since: Duration) -> Vec<Duration> {
    pair.a_sent
        .iter()
        .filter(|(at, text)| text.starts_with(start) && *at >= since)
        .map(|(at, _)| *at - since)
        .collect()
}
