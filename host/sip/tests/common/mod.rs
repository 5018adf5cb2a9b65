//! Test harness: the [`Endpoint`] under test and the test UAC, joined by the seeded network
//! simulator of `switchyard_sip::testing` on virtual time.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use switchyard_sip::sdp;
pub use switchyard_sip::testing::{Net, Simulation, Uac, UacConfig, addr, audio_offer, epoch};
use switchyard_sip::{Endpoint, EndpointConfig, Event, Transport};

pub const EP: &str = "127.0.0.1:5060";
pub const UAC: &str = "127.0.0.1:5062";
pub const G711: &[(&str, u32)] = &[("PCMU", 8000), ("PCMA", 8000)];

/// The most events and messages one [`Sim::flush`] moves before it takes the endpoint and
/// the UAC for an endless exchange.
const MAX_FLUSHED: usize = 100_000;

pub fn endpoint(seed: u64) -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            user_agent: "switchyard-test".into(),
        },
        seed,
    )
}

/// The UAC's SDP offer: PCMU and telephone-event, RTP at 127.0.0.1:6000.
pub fn offer() -> String {
    audio_offer(addr("127.0.0.1:6000"))
}

/// The test UAC: "Alice Caller" <sip:alice@UAC> calling conf-1234 at the endpoint over
/// `transport`.
pub fn uac_over(transport: Transport) -> Uac {
    Uac::new(UacConfig {
        from_display_name: Some("Alice Caller".into()),
        call_id: "call-1@127.0.0.1".into(),
        transport,
        ..UacConfig::new(addr(UAC), addr(EP), "conf-1234", "alice")
    })
}

/// The test UAC over UDP.
pub fn uac() -> Uac {
    uac_over(Transport::Udp)
}

/// What the test's "shell" does with endpoint events.
pub type Shell = Box<dyn FnMut(&mut Endpoint, Instant, &Event)>;

/// Answers every call and every later offer at once with a G.711 answer (RTP at
/// 127.0.0.1:40000).
pub fn answering_shell() -> Shell {
    Box::new(|ep, now, event| match event {
        Event::IncomingCall(call) => {
            let offer = call.offer.as_ref().expect("an offer");
            ep.answer(now, call.call, g711_answer(offer)).unwrap();
        }
        Event::SessionOffer { call, offer } => {
            ep.accept_offer(now, *call, g711_answer(offer)).unwrap();
        }
        _ => {}
    })
}

/// A G.711 answer to `offer` with RTP at 127.0.0.1:40000.
pub fn g711_answer(offer: &sdp::Offer) -> String {
    let negotiated = sdp::negotiate(offer, G711).unwrap();
    sdp::answer(&negotiated, addr("127.0.0.1:40000"), 1)
}

/// Answers to an offer of ours that carry no usable session, each with what it is: a port
/// of 0, a multicast address, SDP that does not parse.
pub fn unusable_answers() -> [(&'static str, String); 3] {
    [
        ("port 0", offer().replace("m=audio 6000", "m=audio 0")),
        ("multicast", audio_offer(addr("224.0.1.75:6000"))),
        ("malformed", "v=0\r\nthis is no SDP\r\n".to_owned()),
    ]
}

/// A 200 to `request` (its text) with the UAC's Contact and `sdp` as its body, as a peer
/// sends it.
pub fn ok_carrying(request: &str, sdp: &str) -> Vec<u8> {
    let head = String::from_utf8(switchyard_sip::testing::response_to(request, "200 OK")).unwrap();
    let head = head.trim_end_matches("Content-Length: 0\r\n\r\n");
    format!(
        "{head}Contact: <sip:alice@{UAC}>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
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
    /// Addresses of the peers [`Sim::send_from`] sent from: responses to them are kept in
    /// `sent` and go no further.
    peers: HashSet<IpAddr>,
    /// The transport every message travels over, both ways.
    transport: Transport,
}

impl Sim {
    pub fn new(net: Net, seed: u64, shell: Shell) -> Self {
        let t0 = epoch();
        Self {
            t0,
            now: t0,
            net,
            ep: endpoint(seed),
            uac: uac(),
            shell,
            events: Vec::new(),
            sent: Vec::new(),
            peers: HashSet::new(),
            transport: Transport::Udp,
        }
    }

    /// Like [`Sim::new`], with every message (the UAC's and the endpoint's) over TCP.
    pub fn over_tcp(net: Net, seed: u64, shell: Shell) -> Self {
        Self {
            uac: uac_over(Transport::Tcp),
            transport: Transport::Tcp,
            ..Self::new(net, seed, shell)
        }
    }

    /// Puts `payload` on the network from `from`, a peer other than the UAC (on another IP
    /// address) that never answers.
    pub fn send_from(&mut self, from: SocketAddr, payload: Vec<u8>) {
        assert_ne!(from.ip(), addr(UAC).ip(), "peers need their own IP address");
        self.peers.insert(from.ip());
        self.net.send(self.now, from, addr(EP), payload);
    }

    /// The UAC's INVITE with an X-ParticipantID header and [`offer`].
    pub fn invite(&mut self) {
        self.uac
            .invite(self.now, "X-ParticipantID: 42\r\n", &offer());
    }

    /// Moves every queued output onto the network and every event to the shell. Panics
    /// after [`MAX_FLUSHED`] of them, taking the two sides for an endless exchange.
    fn flush(&mut self) {
        let mut flushed = 0;
        let mut count = || {
            flushed += 1;
            assert!(
                flushed <= MAX_FLUSHED,
                "the endpoint and the UAC still exchange messages after {MAX_FLUSHED}"
            );
        };
        loop {
            let mut progressed = false;
            while let Some(event) = self.ep.poll_event() {
                (self.shell)(&mut self.ep, self.now, &event);
                self.events.push((self.elapsed(), event));
                count();
                progressed = true;
            }
            while let Some(transmit) = self.ep.poll_transmit() {
                assert_eq!(
                    transmit.transport, self.transport,
                    "sent over another transport"
                );
                let to_uac = transmit.destination == addr(UAC);
                assert!(
                    to_uac || self.peers.contains(&transmit.destination.ip()),
                    "endpoint sent elsewhere: {}",
                    transmit.destination
                );
                self.sent.push((
                    self.elapsed(),
                    String::from_utf8_lossy(&transmit.payload).into_owned(),
                ));
                if to_uac {
                    self.net
                        .send(self.now, addr(EP), transmit.destination, transmit.payload);
                }
                count();
                progressed = true;
            }
            while let Some(transmit) = self.uac.poll_transmit() {
                self.net
                    .send(self.now, addr(UAC), transmit.destination, transmit.payload);
                count();
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// Like [`Sim::step`], but false without advancing if the next thing happens after `end`.
    fn step_by(&mut self, end: Option<Instant>) -> bool {
        self.flush();
        let next = [
            self.net.next_delivery(),
            self.ep.poll_timeout(),
            self.uac.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|next| end.is_none_or(|end| *next <= end)) else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(datagram) = self.net.deliver(self.now) {
            if datagram.to == addr(EP) {
                self.ep.handle_message(
                    self.now,
                    self.transport,
                    addr(EP),
                    datagram.from,
                    &datagram.payload,
                )
            } else {
                self.uac.handle_datagram(self.now, &datagram.payload)
            }
        }
        if self.ep.poll_timeout().is_some_and(|t| t <= self.now) {
            self.ep.handle_timeout(self.now);
        }
        if self.uac.poll_timeout().is_some_and(|t| t <= self.now) {
            self.uac.handle_timeout(self.now);
        }
        self.flush();
        true
    }

    /// Runs everything that happens within `duration` of virtual time, then moves the clock
    /// to its end.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        for _ in 0..100_000 {
            if !self.step_by(Some(end)) {
                self.now = end;
                return;
            }
        }
        panic!("simulation did not settle within the step bound");
    }

    pub fn event_names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|(_, e)| match e {
                Event::IncomingCall(_) => "IncomingCall".to_owned(),
                Event::CallConfirmed { .. } => "CallConfirmed".to_owned(),
                Event::CallEnded { cause, .. } => format!("CallEnded({cause:?})"),
                Event::SessionOffer { .. } => "SessionOffer".to_owned(),
                Event::OfferAnswered { .. } => "OfferAnswered".to_owned(),
                Event::OfferRefused { code, .. } => format!("OfferRefused({code})"),
                Event::UnusableAnswer { no_sdp: false, .. } => "UnusableAnswer".to_owned(),
                Event::UnusableAnswer { no_sdp: true, .. } => "UnusableAnswer(no SDP)".to_owned(),
                Event::Dtmf { digit, .. } => format!("Dtmf({digit})"),
                Event::ProbeResult { code, .. } => format!("ProbeResult({code})"),
                Event::CallProgress { code, .. } => format!("CallProgress({code})"),
                Event::CallAnswered { .. } => "CallAnswered".to_owned(),
                Event::CallFailed { code, .. } => format!("CallFailed({code})"),
            })
            .collect()
    }

    pub fn has_event(&self, name: &str) -> bool {
        self.event_names().iter().any(|n| n == name)
    }

    /// The first line of everything the endpoint sent, in order.
    pub fn first_lines(&self) -> Vec<&str> {
        self.sent
            .iter()
            .map(|(_, text)| text.lines().next().unwrap_or_default())
            .collect()
    }

    /// Loses every `method` request and every BYE the endpoint sends: a peer gone while a
    /// request of ours was under way.
    pub fn lose_requests_and_byes(&mut self, method: &'static str) {
        self.net.drop_if(move |d| {
            let text = String::from_utf8_lossy(&d.payload);
            text.starts_with(&format!("{method} ")) || text.starts_with("BYE ")
        });
    }

    /// Whether the endpoint sent one BYE, retransmitted: every one it sent has the same
    /// CSeq, and there is more than one.
    pub fn sent_one_bye_again_and_again(&self) -> bool {
        let cseqs: Vec<&str> = self
            .sent
            .iter()
            .filter(|(_, text)| text.starts_with("BYE "))
            .filter_map(|(_, text)| text.lines().find(|line| line.starts_with("CSeq:")))
            .collect();
        cseqs.len() > 1 && cseqs.iter().all(|cseq| *cseq == cseqs[0])
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

impl Simulation for Sim {
    fn step(&mut self) -> bool {
        self.step_by(None)
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
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
