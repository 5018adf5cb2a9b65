//! A call core, its SIP endpoint and any number of test UACs on one seeded
//! network, on virtual time; a scripted guest reacts to the core's guest work.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchyard_core::{
    CallCore, CallEvent, CallId, CoreConfig, Effect, GuestOp, Invite, MediaOp, Network,
    NoMediaAddress, RecordingEnd,
};
use switchyard_media::LegId;
use switchyard_sip::testing::rsip::Method;
use switchyard_sip::testing::{Net, Uac, UacConfig, addr, audio_offer, epoch};
use switchyard_sip::{Endpoint, EndpointConfig, Event as SipEvent, OfferMethod, Transport};

/// The core's SIP address.
pub const SUT: &str = "127.0.0.1:5060";

/// The core's SIP endpoint, seeded with `seed`.
fn core_endpoint(seed: u64) -> Endpoint {
    Endpoint::new(
        EndpointConfig {
            user_agent: "core-under-test".into(),
        },
        seed,
    )
}

/// The most effects, events and messages one [`World::drain`] moves before it takes the
/// core and its peers for an endless exchange.
const MAX_DRAINED: usize = 1_000_000;

/// Hands out RTP ports from 40000 and counts what is still reserved; our address is the
/// loopback one of the peer's family, or `advertise` when set and of that family, or
/// `private` towards 10.0.0.0/8 when set (a second interface). RTP is of either family on
/// our address, or on `rtp_address` (so of its family only) when set, as the shell's
/// sockets bound to one address are. No media address is known at all while `media_unknown`
/// says why.
#[derive(Default)]
pub struct FakeNetwork {
    next_port: u16,
    open: Arc<AtomicI64>,
    reserved: Arc<Mutex<HashMap<LegId, u16>>>,
    advertise: Option<IpAddr>,
    rtp_address: Option<IpAddr>,
    private: Option<IpAddr>,
    media_unknown: Option<String>,
}

impl FakeNetwork {
    /// Advertising `advertise` (a NAT's address).
    pub fn advertising(advertise: IpAddr) -> FakeNetwork {
        FakeNetwork {
            advertise: Some(advertise),
            ..FakeNetwork::default()
        }
    }

    /// With RTP sockets bound to `rtp_address`, so of its family only.
    pub fn with_rtp_address(rtp_address: IpAddr) -> FakeNetwork {
        FakeNetwork {
            rtp_address: Some(rtp_address),
            ..FakeNetwork::default()
        }
    }

    /// Knowing no media address for now, for `reason` (the host out of descriptors).
    pub fn without_media_address_for_now(reason: &str) -> FakeNetwork {
        FakeNetwork {
            media_unknown: Some(reason.to_owned()),
            ..FakeNetwork::default()
        }
    }

    /// The host also having `private` on an interface facing 10.0.0.0/8.
    pub fn with_private_interface(private: IpAddr) -> FakeNetwork {
        FakeNetwork {
            private: Some(private),
            ..FakeNetwork::default()
        }
    }
}

/// Whether `to` is one of the core's SIP addresses: [`SUT`], or its IPv6 loopback twin
/// (where the [`FakeNetwork`] puts our end towards an IPv6 peer).
fn is_core(to: SocketAddr) -> bool {
    to == addr(SUT) || to == addr("[::1]:5060")
}

/// Whether the [`FakeNetwork`] has no route to `peer`: an address of
/// 198.51.100.0/24 (TEST-NET-2, RFC 5737).
pub fn is_unroutable(peer: IpAddr) -> bool {
    matches!(peer, IpAddr::V4(v4) if v4.octets()[..3] == [198, 51, 100])
}

impl Network for FakeNetwork {
    fn local_ip_for(&mut self, peer: IpAddr) -> IpAddr {
        let loopback = if peer.is_ipv4() {
            IpAddr::from(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::from(Ipv6Addr::LOCALHOST)
        };
        let private = self
            .private
            .filter(|_| matches!(peer, IpAddr::V4(v4) if v4.octets()[0] == 10));
        self.advertise
            .filter(|ip| ip.is_ipv4() == peer.is_ipv4())
            .or(private)
            .unwrap_or(loopback)
    }

    fn media_ip_for(&mut self, remote: IpAddr) -> Result<IpAddr, NoMediaAddress> {
        if let Some(reason) = &self.media_unknown {
            return Err(NoMediaAddress::Unknown(reason.clone()));
        }
        match self.rtp_address {
            Some(rtp) if rtp.is_ipv4() != remote.is_ipv4() => Err(NoMediaAddress::NotServed),
            Some(rtp) => Ok(rtp),
            None => Ok(self.local_ip_for(remote)),
        }
    }

    fn advertised_ip(&self, _peer: IpAddr) -> Option<IpAddr> {
        self.advertise
    }

    fn reaches(&mut self, peer: IpAddr) -> bool {
        !is_unroutable(peer)
    }

    fn sip_port_for(&self, _local: IpAddr) -> u16 {
        5060
    }

    fn open_rtp(&mut self, leg: LegId, _local: IpAddr) -> Result<u16, String> {
        self.next_port += 2;
        self.open.fetch_add(1, Ordering::Relaxed);
        let port = 40_000 + self.next_port;
        self.reserved.lock().unwrap().insert(leg, port);
        Ok(port)
    }

    fn close_rtp(&mut self, leg: LegId) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.reserved.lock().unwrap().remove(&leg);
    }
}

/// What a callee endpoint does with each of its SIP events.
pub type CalleeScript = Box<dyn FnMut(&mut Endpoint, Instant, &SipEvent)>;

/// A SIP endpoint the core places calls to, driven by a script.
pub struct Callee {
    pub endpoint: Endpoint,
    pub addr: SocketAddr,
    pub events: Vec<SipEvent>,
    script: CalleeScript,
}

/// What the scripted guest does with one piece of guest work; it may call any
/// core command.
pub type Script = Box<dyn FnMut(&mut CallCore, Instant, &GuestOp)>;

/// The world: core, network, callers, and everything the core emitted.
pub struct World {
    pub core: CallCore,
    pub callees: Vec<Callee>,
    /// `(call, uri)` of every resolution the core asked for.
    pub resolutions: Vec<(CallId, String)>,
    /// While set, the resolutions the core asks for wait in `held` until
    /// [`World::release_resolutions`] answers them, as a slow DNS would.
    pub hold_resolutions: bool,
    /// The resolutions waiting, `(call, uri)`.
    pub held: Vec<(CallId, String)>,
    /// The rooms whose recording the core said ended on its own, in order.
    pub recordings_ended: Vec<(String, RecordingEnd)>,
    /// Each call that left a room for a bridge, and the room.
    pub left_rooms: Vec<(CallId, String)>,
    /// Host parts of URIs the harness's "DNS" knows (`name` or `name:port`),
    /// each with the addresses it resolves to, in order, over UDP.
    pub hosts: HashMap<String, Vec<SocketAddr>>,
    /// RTP ports reserved and not released by the core (opened minus closed;
    /// legs' ports are released by the media worker, not counted here).
    pub open_ports: Arc<AtomicI64>,
    /// The RTP port reserved for each leg and not released by the core.
    pub reserved_ports: Arc<Mutex<HashMap<LegId, u16>>>,
    pub net: Net,
    pub uacs: Vec<Uac>,
    /// Each caller's SIP address.
    pub locals: Vec<SocketAddr>,
    pub now: Instant,
    pub media: Vec<MediaOp>,
    pub guest: Vec<GuestOp>,
    script: Script,
}

impl World {
    pub fn new(config: CoreConfig, net: Net, seed: u64, script: Script) -> World {
        World::on(FakeNetwork::default(), config, net, seed, script)
    }

    /// As [`World::new`], on the core's `network`.
    pub fn on(
        network: FakeNetwork,
        config: CoreConfig,
        net: Net,
        seed: u64,
        script: Script,
    ) -> World {
        World::around(network, config, net, core_endpoint(seed), script)
    }

    /// As [`World::new`], the core's endpoint sending its own offers and session refreshes
    /// by `method`.
    pub fn offering_by(
        method: OfferMethod,
        config: CoreConfig,
        net: Net,
        seed: u64,
        script: Script,
    ) -> World {
        let endpoint = core_endpoint(seed).with_offer_method(method);
        World::around(FakeNetwork::default(), config, net, endpoint, script)
    }

    /// A world around the core's `endpoint` and `network`.
    fn around(
        network: FakeNetwork,
        config: CoreConfig,
        net: Net,
        endpoint: Endpoint,
        script: Script,
    ) -> World {
        let open_ports = network.open.clone();
        let reserved_ports = network.reserved.clone();
        World {
            core: CallCore::new(config, endpoint, Box::new(network)),
            callees: Vec::new(),
            resolutions: Vec::new(),
            hold_resolutions: false,
            held: Vec::new(),
            recordings_ended: Vec::new(),
            left_rooms: Vec::new(),
            hosts: HashMap::new(),
            open_ports,
            reserved_ports,
            net,
            uacs: Vec::new(),
            locals: Vec::new(),
            now: epoch(),
            media: Vec::new(),
            guest: Vec::new(),
            script,
        }
    }

    /// A new caller at 127.0.0.1:(6000 + 2n) dialling `user`, offering RTP at
    /// 127.0.0.1:(30000 + 2n); returns its index.
    pub fn dial(&mut self, user: &str, from: &str) -> usize {
        let rtp = addr(&format!("127.0.0.1:{}", 30_000 + 2 * self.uacs.len()));
        self.dial_offering(user, from, &audio_offer(rtp))
    }

    /// Like [`World::dial`], with `offer` as the INVITE's SDP.
    pub fn dial_offering(&mut self, user: &str, from: &str, offer: &str) -> usize {
        self.dial_with(user, from, "", offer)
    }

    /// Like [`World::dial_offering`], the INVITE with the header lines `extra` (each ending
    /// in CRLF).
    pub fn dial_with(&mut self, user: &str, from: &str, extra: &str, offer: &str) -> usize {
        let local = addr(&format!("127.0.0.1:{}", 6000 + 2 * self.uacs.len()));
        self.dial_from(local, user, from, extra, offer)
    }

    /// Like [`World::dial_with`], the caller's SIP address `local`.
    pub fn dial_from(
        &mut self,
        local: SocketAddr,
        user: &str,
        from: &str,
        extra: &str,
        offer: &str,
    ) -> usize {
        let n = self.uacs.len();
        let mut config = UacConfig::new(local, addr(SUT), user, from);
        config.call_id = format!("call-{n}@test");
        config.from_tag = format!("tag-{n}");
        let mut uac = Uac::new(config);
        uac.invite(self.now, extra, offer);
        self.uacs.push(uac);
        self.locals.push(local);
        n
    }

    /// A callee endpoint at `addr` (e.g. 127.0.0.1:7000) run by `script`;
    /// returns its index.
    pub fn callee(&mut self, addr: SocketAddr, script: CalleeScript) -> usize {
        let endpoint = Endpoint::new(
            EndpointConfig {
                user_agent: "callee".into(),
            },
            0xca11 + self.callees.len() as u64,
        );
        self.callees.push(Callee {
            endpoint,
            addr,
            events: Vec::new(),
            script,
        });
        self.callees.len() - 1
    }

    /// Carries out one round: effects, transmits, then time moves to the next
    /// thing due. False when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.step_before(None)
    }

    /// Like [`World::step`], but time moves no further than `limit`.
    fn step_before(&mut self, limit: Option<Instant>) -> bool {
        self.drain();
        let next = [self.net.next_delivery(), self.core.poll_timeout()]
            .into_iter()
            .chain(self.uacs.iter().map(Uac::poll_timeout))
            .chain(self.callees.iter().map(|c| c.endpoint.poll_timeout()))
            .chain(std::iter::once(limit))
            .flatten()
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(datagram) = self.net.deliver(self.now) {
            if is_core(datagram.to) {
                self.core.handle_message(
                    self.now,
                    Transport::Udp,
                    datagram.to,
                    datagram.from,
                    &datagram.payload,
                );
            } else if let Some(n) = self.locals.iter().position(|l| *l == datagram.to) {
                self.uacs[n].handle_datagram(self.now, &datagram.payload);
            } else if let Some(callee) = self.callees.iter_mut().find(|c| c.addr == datagram.to) {
                callee.endpoint.handle_datagram(
                    self.now,
                    callee.addr,
                    datagram.from,
                    &datagram.payload,
                );
            }
        }
        self.core.handle_timeout(self.now);
        for uac in &mut self.uacs {
            uac.handle_timeout(self.now);
        }
        for callee in &mut self.callees {
            callee.endpoint.handle_timeout(self.now);
        }
        self.drain();
        true
    }

    /// Steps until `done` or until `limit` of virtual time has passed; true if done.
    #[must_use = "false means `done` never held within the limit; assert it"]
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&World) -> bool) -> bool {
        let end = self.now + limit;
        for _ in 0..1_000_000 {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        panic!("run_until took a million steps");
    }

    /// Steps until exactly `duration` of virtual time has passed.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_to(self.now + duration);
    }

    /// Steps until the virtual time is exactly `end` (or later, if it already is).
    pub fn run_to(&mut self, end: Instant) {
        for _ in 0..1_000_000 {
            if self.now >= end {
                return;
            }
            self.step_before(Some(end));
        }
        panic!("run_to took a million steps");
    }

    /// Records every effect and sends every datagram queued so far. Panics after
    /// [`MAX_DRAINED`] of them (and of the callees' events), taking the parties for an
    /// endless exchange.
    pub fn drain(&mut self) {
        let mut drained = 0;
        let mut count = || {
            drained += 1;
            assert!(
                drained <= MAX_DRAINED,
                "the core and its peers still exchange messages after {MAX_DRAINED}"
            );
        };
        loop {
            let mut progressed = false;
            while let Some(effect) = self.core.poll_effect() {
                count();
                progressed = true;
                match effect {
                    Effect::Media(op) => self.media.push(op),
                    Effect::RecordingEnded { room, reason } => {
                        self.recordings_ended.push((room, reason))
                    }
                    Effect::LeftRoom { call, room } => self.left_rooms.push((call, room)),
                    Effect::Resolve { call, uri } if self.hold_resolutions => {
                        self.held.push((call, uri));
                    }
                    Effect::Resolve { call, uri } => self.answer_resolution(call, uri),
                    Effect::Guest(op) => {
                        (self.script)(&mut self.core, self.now, &op);
                        // As the shell does when on-invite returns.
                        if let GuestOp::Invite(invite) = &op {
                            self.core.invite_done(self.now, invite.call);
                        }
                        self.guest.push(op);
                    }
                }
            }
            let sut = addr(SUT);
            while let Some(t) = self.core.poll_transmit() {
                count();
                progressed = true;
                let from = t.source.unwrap_or(sut);
                self.net.send(self.now, from, t.destination, t.payload);
            }
            for (uac, local) in self.uacs.iter_mut().zip(&self.locals) {
                while let Some(t) = uac.poll_transmit() {
                    count();
                    progressed = true;
                    self.net.send(self.now, *local, t.destination, t.payload);
                }
            }
            for callee in &mut self.callees {
                while let Some(event) = callee.endpoint.poll_event() {
                    count();
                    progressed = true;
                    (callee.script)(&mut callee.endpoint, self.now, &event);
                    callee.events.push(event);
                }
                while let Some(t) = callee.endpoint.poll_transmit() {
                    count();
                    progressed = true;
                    self.net
                        .send(self.now, callee.addr, t.destination, t.payload);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Answers the resolutions held so far, in order, and drains.
    pub fn release_resolutions(&mut self) {
        for (call, uri) in std::mem::take(&mut self.held) {
            self.answer_resolution(call, uri);
        }
        self.drain();
    }

    fn answer_resolution(&mut self, call: CallId, uri: String) {
        let targets = self.resolve(&uri);
        self.core.resolved(self.now, call, targets);
        self.resolutions.push((call, uri));
    }

    /// What the harness's "DNS" makes of a URI: a host in [`World::hosts`]
    /// resolves to its addresses, an IP-literal host (with its port, 5060 by
    /// default) to itself; any other name fails.
    fn resolve(&self, uri: &str) -> Result<Vec<(Transport, SocketAddr)>, String> {
        let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
        let host_port = rest.rsplit('@').next().unwrap_or(rest);
        let host_port = host_port.split(';').next().unwrap_or(host_port);
        let literal = host_port.parse().or_else(|_| {
            host_port
                .parse::<IpAddr>()
                .map(|ip| SocketAddr::new(ip, 5060))
        });
        let addrs = match (literal, self.hosts.get(host_port)) {
            (Ok(addr), _) => vec![addr],
            (Err(_), Some(addrs)) => addrs.clone(),
            (Err(_), None) => return Err(format!("no such host: {host_port}")),
        };
        Ok(addrs
            .into_iter()
            .map(|addr| (Transport::Udp, addr))
            .collect())
    }

    /// The events the guest of `call` received, in order.
    pub fn events_of(&self, call: CallId) -> Vec<CallEvent> {
        self.guest
            .iter()
            .filter_map(|op| match op {
                GuestOp::Event { call: c, event } if *c == call => Some(event.clone()),
                GuestOp::Dialed { call: c, context } if *c == call => {
                    Some(CallEvent::Dialed(context.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// The calls the guest was offered, in order.
    /// The call the guest placed first (its `Dialed`); panics if none was.
    pub fn placed(&self) -> CallId {
        self.guest
            .iter()
            .find_map(|op| match op {
                GuestOp::Dialed { call, .. } => Some(*call),
                _ => None,
            })
            .expect("a call was placed")
    }

    pub fn invites(&self) -> Vec<Invite> {
        self.guest
            .iter()
            .filter_map(|op| match op {
                GuestOp::Invite(invite) => Some((**invite).clone()),
                GuestOp::Dialed { .. } | GuestOp::Event { .. } | GuestOp::Message { .. } => None,
            })
            .collect()
    }
}

/// Alice and Bob called room 123 of a [`conference`] and were answered.
pub fn two_in_room() -> World {
    let mut world = World::new(CoreConfig::default(), Net::perfect(4), 4, conference());
    world.dial("000777123", "alice");
    world.dial("000777123", "bob");
    assert!(world.run_until(Duration::from_secs(10), |w| {
        w.uacs
            .iter()
            .all(|u| u.codes(Method::Invite).contains(&200))
    }));
    world
}

/// A guest that answers every call and puts it in the room its Request-URI
/// names (`000777<room>`), listed under its From user.
pub fn conference() -> Script {
    Box::new(|core, now, op| {
        if let GuestOp::Invite(invite) = op {
            core.answer(now, invite.call).expect("answer");
            let options = switchyard_core::JoinOptions {
                number: invite.sip.from_user.clone(),
                reason: "entered".into(),
                participant_id: String::new(),
            };
            core.join(now, invite.call, room_of(invite), options)
                .expect("join");
        }
    })
}

/// A guest that answers every call and leaves it alone.
pub fn answer_only() -> Script {
    Box::new(|core, now, op| {
        if let GuestOp::Invite(invite) = op {
            core.answer(now, invite.call).expect("answer");
        }
    })
}

/// A callee that answers every call with a G.711 answer, after ringing (180)
/// if `ring`.
pub fn answering_callee(ring: bool) -> CalleeScript {
    Box::new(move |endpoint, now, event| {
        if let SipEvent::IncomingCall(call) = event {
            if ring {
                endpoint
                    .progress(now, call.call, 180, "Ringing", None)
                    .expect("180");
            }
            endpoint
                .answer(
                    now,
                    call.call,
                    callee_answer(call.offer.as_ref().expect("an offer")),
                )
                .expect("answer");
        }
    })
}

/// The callee's G.711 answer to `offer`, RTP at 127.0.0.1:7100.
pub fn callee_answer(offer: &switchyard_sip::sdp::Offer) -> String {
    callee_answer_at(offer, addr("127.0.0.1:7100"))
}

/// The callee's G.711 answer to `offer`, RTP at `rtp`.
pub fn callee_answer_at(offer: &switchyard_sip::sdp::Offer, rtp: SocketAddr) -> String {
    let negotiated =
        switchyard_sip::sdp::negotiate(offer, &[("PCMU", 8000), ("PCMA", 8000)]).expect("codec");
    switchyard_sip::sdp::answer(&negotiated, rtp, 1)
}

/// The final codes of 300 and over the caller `caller` got to its INVITE, in order.
pub fn refusals(world: &World, caller: usize) -> Vec<u16> {
    world.uacs[caller]
        .codes(Method::Invite)
        .into_iter()
        .filter(|&code| code >= 300)
        .collect()
}

/// The room a Request-URI user asks for: `000777<room>`.
pub fn room_of(invite: &Invite) -> &str {
    invite.sip.request_user.trim_start_matches("000777")
}

/// A seeded xorshift generator, so that a randomized test runs the same operations every
/// time.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (any; 0 is taken as 1).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A number below `n`, which is at least 1.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// One of `items`, which is not empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
