//! Test harness: a seeded network simulator on virtual time carrying datagrams between the
//! [`Endpoint`] under test and a minimal UAC written with `rsip`.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rsip::headers::ToTypedHeader;
use rsip::prelude::HeadersExt;
use switchyard_sip::sdp;
use switchyard_sip::timer::{T1, T2};
use switchyard_sip::{Endpoint, EndpointConfig, Event};

pub const EP: &str = "127.0.0.1:5060";
pub const UAC: &str = "127.0.0.1:5062";
pub const G711: &[(&str, u32)] = &[("PCMU", 8000), ("PCMA", 8000)];

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn endpoint(seed: u64) -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            user_agent: "switchyard-test".into(),
        },
        seed,
    )
}

pub const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
    c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

/// The fixed base of virtual time: the only clock reading, once per test binary.
pub fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Which node a datagram goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Endpoint,
    Uac,
}

#[derive(Debug)]
struct Packet {
    at: Instant,
    seq: u64,
    to: Node,
    payload: Vec<u8>,
}

/// Decides to lose a datagram going to a node.
pub type DropRule = Box<dyn FnMut(Node, &[u8]) -> bool>;

/// A lossy, duplicating, reordering link with a seeded PRNG.
pub struct Net {
    rng: SmallRng,
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Extra random delay, uniform in [0, jitter]; reorders datagrams sent close together.
    pub jitter: Duration,
    /// Deterministic drops: returns true to lose this datagram.
    pub drop_if: Option<DropRule>,
    /// Datagrams lost so far (randomly or by rule).
    pub lost: u32,
    /// Datagrams duplicated so far.
    pub duplicated: u32,
    in_flight: Vec<Packet>,
    seq: u64,
}

impl Net {
    pub fn perfect(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            loss: 0.0,
            duplicate: 0.0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
            drop_if: None,
            lost: 0,
            duplicated: 0,
            in_flight: Vec::new(),
            seq: 0,
        }
    }

    pub fn lossy(seed: u64, loss: f64, duplicate: f64, jitter: Duration) -> Self {
        Self {
            loss,
            duplicate,
            jitter,
            ..Self::perfect(seed)
        }
    }

    fn send(&mut self, now: Instant, to: Node, payload: Vec<u8>) {
        let ruled_out = self.drop_if.as_mut().is_some_and(|rule| rule(to, &payload));
        if ruled_out || self.rng.random_bool(self.loss) {
            self.lost += 1;
            return;
        }
        let copies = if self.rng.random_bool(self.duplicate) {
            self.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = self.jitter.mul_f64(self.rng.random::<f64>());
            self.seq += 1;
            self.in_flight.push(Packet {
                at: now + self.delay + jitter,
                seq: self.seq,
                to,
                payload: payload.clone(),
            });
        }
    }

    fn next(&self) -> Option<Instant> {
        self.in_flight.iter().map(|p| p.at).min()
    }

    fn pop_due(&mut self, now: Instant) -> Option<Packet> {
        let index = self
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, p)| p.at <= now)
            .min_by_key(|(_, p)| (p.at, p.seq))?
            .0;
        Some(self.in_flight.swap_remove(index))
    }
}

/// A parsed SIP message the UAC received, with what the tests look at.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Duration,
    pub text: String,
    pub message: rsip::SipMessage,
}

impl Received {
    pub fn code(&self) -> Option<u16> {
        match &self.message {
            rsip::SipMessage::Response(r) => Some(r.status_code.code()),
            rsip::SipMessage::Request(_) => None,
        }
    }

    pub fn cseq_method(&self) -> Option<rsip::Method> {
        Some(self.message.cseq_header().ok()?.typed().ok()?.method)
    }

    pub fn to_tag(&self) -> Option<String> {
        let to = self.message.to_header().unwrap().typed().unwrap();
        to.tag().map(|t| t.to_string())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.text.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    pub fn body(&self) -> String {
        String::from_utf8_lossy(self.message.body()).into_owned()
    }
}

/// A request the UAC retransmits until told to stop.
struct Retransmission {
    name: &'static str,
    payload: Vec<u8>,
    next: Instant,
    interval: Duration,
    /// Timer A doubles without cap (§17.1.1.2); Timer E caps at T2 (§17.1.2.2).
    cap: Option<Duration>,
    give_up: Instant,
}

/// A minimal UAC: one call (INVITE, ACK, CANCEL, BYE) plus stray requests, with RFC 3261
/// client retransmissions.
pub struct Uac {
    pub call_id: String,
    pub from_tag: String,
    pub remote_tag: Option<String>,
    /// Whether to ACK 2xx responses.
    pub ack_2xx: bool,
    /// Whether to answer the endpoint's BYE.
    pub answer_bye: bool,
    pub received: Vec<Received>,
    outbox: Vec<Vec<u8>>,
    retransmissions: Vec<Retransmission>,
    invite_branch: String,
    invite_cseq: u32,
    next_cseq: u32,
    branches: u32,
}

impl Uac {
    pub fn new() -> Self {
        Self {
            call_id: "call-1@127.0.0.1".into(),
            from_tag: "uac-tag".into(),
            remote_tag: None,
            ack_2xx: true,
            answer_bye: true,
            received: Vec::new(),
            outbox: Vec::new(),
            retransmissions: Vec::new(),
            invite_branch: String::new(),
            invite_cseq: 1,
            next_cseq: 1,
            branches: 0,
        }
    }

    fn branch(&mut self) -> String {
        self.branches += 1;
        format!("z9hG4bK-uac-{}", self.branches)
    }

    fn headers(&self, method: &str, branch: &str, cseq: u32, to_tag: Option<&str>) -> String {
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        format!(
            "Via: SIP/2.0/UDP {UAC};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: \"Alice Caller\" <sip:alice@127.0.0.1:5062>;tag={}\r\n\
             To: <sip:conf-1234@{EP}>{to_tag}\r\n\
             Call-ID: {}\r\nCSeq: {cseq} {method}\r\n\
             Contact: <sip:alice@{UAC}>\r\n",
            self.from_tag, self.call_id
        )
    }

    fn request(
        &self,
        method: &str,
        branch: &str,
        cseq: u32,
        to_tag: Option<&str>,
        extra: &str,
        body: &str,
    ) -> Vec<u8> {
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} sip:conf-1234@{EP} SIP/2.0\r\n{}{extra}{content_type}Content-Length: {}\r\n\r\n{body}",
            self.headers(method, branch, cseq, to_tag),
            body.len()
        )
        .into_bytes()
    }

    fn start(&mut self, now: Instant, name: &'static str, payload: Vec<u8>, cap: Option<Duration>) {
        self.outbox.push(payload.clone());
        self.retransmissions.push(Retransmission {
            name,
            payload,
            next: now + T1,
            interval: T1,
            cap,
            give_up: now + T1 * 64,
        });
    }

    fn stop(&mut self, name: &str) {
        self.retransmissions.retain(|r| r.name != name);
    }

    /// Sends the INVITE with `body` (Timer A retransmits it until any response).
    pub fn invite_with(&mut self, now: Instant, extra: &str, body: &str) {
        let branch = self.branch();
        self.invite_cseq = self.next_cseq;
        self.next_cseq += 1;
        let invite = self.request("INVITE", &branch, self.invite_cseq, None, extra, body);
        self.invite_branch = branch;
        self.start(now, "INVITE", invite, None);
    }

    pub fn invite(&mut self, now: Instant) {
        self.invite_with(now, "X-ParticipantID: 42\r\n", OFFER);
    }

    /// CANCEL of the pending INVITE: same branch and CSeq number (§9.1).
    pub fn cancel(&mut self, now: Instant) {
        let branch = self.invite_branch.clone();
        let cancel = self.request("CANCEL", &branch, self.invite_cseq, None, "", "");
        self.start(now, "CANCEL", cancel, Some(T2));
    }

    pub fn bye(&mut self, now: Instant) {
        let branch = self.branch();
        let cseq = self.next_cseq;
        self.next_cseq += 1;
        let tag = self.remote_tag.clone();
        let bye = self.request("BYE", &branch, cseq, tag.as_deref(), "", "");
        self.start(now, "BYE", bye, Some(T2));
    }

    /// A re-INVITE in the dialog (session refresh).
    pub fn reinvite(&mut self, now: Instant) {
        let branch = self.branch();
        self.invite_cseq = self.next_cseq;
        self.next_cseq += 1;
        let tag = self.remote_tag.clone();
        let invite = self.request(
            "INVITE",
            &branch,
            self.invite_cseq,
            tag.as_deref(),
            "",
            OFFER,
        );
        self.invite_branch = branch;
        self.start(now, "INVITE", invite, None);
    }

    /// Sends an arbitrary datagram once.
    pub fn send_raw(&mut self, payload: Vec<u8>) {
        self.outbox.push(payload);
    }

    /// A request outside the call, sent once (an INVITE is remembered for its ACK).
    pub fn stray(&mut self, method: &str, to_tag: Option<&str>) {
        let branch = self.branch();
        let request = self.request(method, &branch, 1, to_tag, "", "");
        if method == "INVITE" {
            self.invite_branch = branch;
            self.invite_cseq = 1;
        }
        self.outbox.push(request);
    }

    fn ack(&self, branch: &str, to_tag: Option<&str>) -> Vec<u8> {
        self.request("ACK", branch, self.invite_cseq, to_tag, "", "")
    }

    fn receive(&mut self, at: Duration, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload).into_owned();
        let message = rsip::SipMessage::try_from(payload).expect("endpoint sent unparseable SIP");
        let received = Received { at, text, message };
        match &received.message {
            rsip::SipMessage::Response(_) => self.on_response(&received),
            rsip::SipMessage::Request(request) => {
                if request.method == rsip::Method::Bye && self.answer_bye {
                    let mut response = String::from("SIP/2.0 200 OK\r\n");
                    for header in request.headers.iter() {
                        if matches!(
                            header,
                            rsip::Header::Via(_)
                                | rsip::Header::From(_)
                                | rsip::Header::To(_)
                                | rsip::Header::CallId(_)
                                | rsip::Header::CSeq(_)
                        ) {
                            response.push_str(&format!("{header}\r\n"));
                        }
                    }
                    response.push_str("Content-Length: 0\r\n\r\n");
                    self.outbox.push(response.into_bytes());
                }
            }
        }
        self.received.push(received);
    }

    fn on_response(&mut self, response: &Received) {
        let code = response.code().unwrap();
        match response.cseq_method() {
            Some(rsip::Method::Invite) => {
                // §17.1.1.2: any response stops INVITE retransmissions.
                self.stop("INVITE");
                if (200..300).contains(&code) {
                    self.remote_tag = response.to_tag();
                    if self.ack_2xx {
                        // §13.2.2.4: every 2xx (retransmission included) is ACKed, new branch.
                        let branch = self.branch();
                        let ack = self.ack(&branch, response.to_tag().as_deref());
                        self.outbox.push(ack);
                    }
                } else if code >= 300 {
                    // §17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch.
                    let branch = self.invite_branch.clone();
                    let ack = self.ack(&branch, response.to_tag().as_deref());
                    self.outbox.push(ack);
                }
            }
            Some(rsip::Method::Bye) if code >= 200 => self.stop("BYE"),
            Some(rsip::Method::Cancel) if code >= 200 => self.stop("CANCEL"),
            _ => {}
        }
    }

    fn next(&self) -> Option<Instant> {
        self.retransmissions
            .iter()
            .map(|r| r.next.min(r.give_up))
            .min()
    }

    fn on_timeout(&mut self, now: Instant) {
        self.retransmissions.retain(|r| r.give_up > now);
        for r in &mut self.retransmissions {
            if r.next <= now {
                self.outbox.push(r.payload.clone());
                r.interval = match r.cap {
                    Some(cap) => (r.interval * 2).min(cap),
                    None => r.interval * 2,
                };
                r.next = now + r.interval;
            }
        }
    }

    /// Responses received with CSeq method `method`, as status codes.
    pub fn codes(&self, method: rsip::Method) -> Vec<u16> {
        self.received
            .iter()
            .filter(|r| r.code().is_some() && r.cseq_method() == Some(method))
            .filter_map(Received::code)
            .collect()
    }

    pub fn last_response(&self, method: rsip::Method) -> Option<&Received> {
        self.received
            .iter()
            .rev()
            .find(|r| r.code().is_some() && r.cseq_method() == Some(method))
    }

    pub fn requests(&self, method: rsip::Method) -> Vec<&Received> {
        self.received
            .iter()
            .filter(|r| matches!(&r.message, rsip::SipMessage::Request(q) if q.method == method))
            .collect()
    }
}

/// What the test's "shell" does with endpoint events.
pub type Shell = Box<dyn FnMut(&mut Endpoint, Instant, &Event)>;

/// Answers every call at once with a G.711 answer.
pub fn answering_shell() -> Shell {
    Box::new(|ep, now, event| {
        if let Event::IncomingCall(call) = event {
            let negotiated = sdp::negotiate(&call.offer, G711).unwrap();
            let answer = sdp::answer(&negotiated, addr("127.0.0.1:40000"), 1);
            ep.answer(now, call.call, answer).unwrap();
        }
    })
}

/// Never acts.
pub fn idle_shell() -> Shell {
    Box::new(|_, _, _| {})
}

/// The endpoint, the UAC and the network between them, on virtual time.
pub struct Sim {
    pub t0: Instant,
    pub now: Instant,
    pub net: Net,
    pub ep: Endpoint,
    pub uac: Uac,
    pub shell: Shell,
    /// Endpoint events with their virtual time.
    pub events: Vec<(Duration, Event)>,
    /// Everything the endpoint sent, with its virtual time.
    pub sent: Vec<(Duration, String)>,
}

impl Sim {
    pub fn new(net: Net, seed: u64, shell: Shell) -> Self {
        let t0 = epoch();
        Self {
            t0,
            now: t0,
            net,
            ep: endpoint(seed),
            uac: Uac::new(),
            shell,
            events: Vec::new(),
            sent: Vec::new(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Moves every queued output onto the network and every event to the shell.
    fn flush(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.ep.poll_event() {
                (self.shell)(&mut self.ep, self.now, &event);
                self.events.push((self.elapsed(), event));
                progressed = true;
            }
            while let Some(transmit) = self.ep.poll_transmit() {
                assert_eq!(transmit.destination, addr(UAC), "endpoint sent elsewhere");
                self.sent.push((
                    self.elapsed(),
                    String::from_utf8_lossy(&transmit.payload).into_owned(),
                ));
                self.net.send(self.now, Node::Uac, transmit.payload);
                progressed = true;
            }
            for payload in std::mem::take(&mut self.uac.outbox) {
                self.net.send(self.now, Node::Endpoint, payload);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// Advances to the next thing that happens; false if nothing will.
    pub fn step(&mut self) -> bool {
        self.flush();
        let next = [self.net.next(), self.ep.poll_timeout(), self.uac.next()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(packet) = self.net.pop_due(self.now) {
            match packet.to {
                Node::Endpoint => {
                    self.ep
                        .handle_datagram(self.now, addr(EP), addr(UAC), &packet.payload)
                }
                Node::Uac => {
                    let at = self.elapsed();
                    self.uac.receive(at, &packet.payload)
                }
            }
        }
        if self.ep.poll_timeout().is_some_and(|t| t <= self.now) {
            self.ep.handle_timeout(self.now);
        }
        if self.uac.next().is_some_and(|t| t <= self.now) {
            self.uac.on_timeout(self.now);
        }
        self.flush();
        true
    }

    /// Steps until `done` holds or virtual time passes `limit`; returns whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Sim) -> bool) -> bool {
        for _ in 0..100_000 {
            if done(self) {
                return true;
            }
            if self.elapsed() > limit || !self.step() {
                return done(self);
            }
        }
        panic!("simulation did not settle within the step bound");
    }

    /// Steps for `duration` of virtual time (or until nothing is scheduled).
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.elapsed() + duration;
        self.run_until(end, |sim| sim.elapsed() >= end);
    }

    /// Steps until nothing is scheduled anywhere (every transaction has ended).
    pub fn settle(&mut self) {
        let limit = self.elapsed() + Duration::from_secs(300);
        self.run_until(limit, |_| false);
    }

    pub fn event_names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|(_, e)| match e {
                Event::IncomingCall(_) => "IncomingCall".to_owned(),
                Event::CallConfirmed { .. } => "CallConfirmed".to_owned(),
                Event::CallEnded { cause, .. } => format!("CallEnded({cause:?})"),
            })
            .collect()
    }

    pub fn has_event(&self, name: &str) -> bool {
        self.event_names().iter().any(|n| n == name)
    }

    /// Virtual times at which the endpoint sent a message whose first line starts with
    /// `start` and that contains `cseq` (e.g. "CSeq: 1 INVITE").
    pub fn sent_times(&self, start: &str, cseq: &str) -> Vec<Duration> {
        self.sent
            .iter()
            .filter(|(_, text)| text.starts_with(start) && text.contains(cseq))
            .map(|(at, _)| *at)
            .collect()
    }
}

/// Differences between consecutive times, in ms.
pub fn gaps_ms(times: &[Duration]) -> Vec<u128> {
    times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect()
}

/// The first call key among the events.
pub fn first_call(sim: &Sim) -> switchyard_sip::CallKey {
    sim.events
        .iter()
        .find_map(|(_, e)| match e {
            Event::IncomingCall(call) => Some(call.call),
            _ => None,
        })
        .expect("no incoming call")
}
