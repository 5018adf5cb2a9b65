//! A call core, its SIP endpoint and any number of test UACs on one seeded
//! network, on virtual time; a scripted guest reacts to the core's guest work.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use switchyard_core::{
    CallCore, CallEvent, CallId, CoreConfig, Effect, GuestOp, Invite, MediaOp, Network,
};
use switchyard_media::LegId;
use switchyard_sip::testing::{Net, Uac, UacConfig, addr, epoch};
use switchyard_sip::{Endpoint, EndpointConfig};

/// The core's SIP address.
pub const SUT: &str = "127.0.0.1:5060";

/// Hands out RTP ports from 40000 and remembers what was released.
#[derive(Default)]
pub struct FakeNetwork {
    next_port: u16,
}

impl Network for FakeNetwork {
    fn local_ip_for(&mut self, _peer: IpAddr) -> IpAddr {
        Ipv4Addr::LOCALHOST.into()
    }

    fn open_rtp(&mut self, _leg: LegId) -> Result<u16, String> {
        self.next_port += 2;
        Ok(40_000 + self.next_port)
    }

    fn close_rtp(&mut self, _leg: LegId) {}
}

/// What the scripted guest does with one piece of guest work; it may call any
/// core command.
pub type Script = Box<dyn FnMut(&mut CallCore, Instant, &GuestOp)>;

/// The world: core, network, callers, and everything the core emitted.
pub struct World {
    pub core: CallCore,
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
        let endpoint = Endpoint::new(
            EndpointConfig {
                user_agent: "core-under-test".into(),
            },
            seed,
        );
        World {
            core: CallCore::new(config, endpoint, Box::new(FakeNetwork::default())),
            net,
            uacs: Vec::new(),
            locals: Vec::new(),
            now: epoch(),
            media: Vec::new(),
            guest: Vec::new(),
            script,
        }
    }

    /// A new caller at 127.0.0.1:(6000 + 2n) dialling `user`; returns its index.
    pub fn dial(&mut self, user: &str, from: &str) -> usize {
        let n = self.uacs.len();
        let local = addr(&format!("127.0.0.1:{}", 6000 + 2 * n));
        let mut config = UacConfig::new(local, addr(SUT), user, from);
        config.call_id = format!("call-{n}@test");
        config.from_tag = format!("tag-{n}");
        let mut uac = Uac::new(config);
        uac.call(self.now, addr(&format!("127.0.0.1:{}", 30_000 + 2 * n)));
        self.uacs.push(uac);
        self.locals.push(local);
        n
    }

    /// Carries out one round: effects, transmits, then time moves to the next
    /// thing due. False when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.step_before(None)
    }

    /// Like [`World::step`], but time moves no further than `limit`.
    fn step_before(&mut self, limit: Option<Instant>) -> bool {
        self.drain();
        let sut = addr(SUT);
        let next = [self.net.next_delivery(), self.core.poll_timeout()]
            .into_iter()
            .chain(self.uacs.iter().map(Uac::poll_timeout))
            .chain(std::iter::once(limit))
            .flatten()
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(datagram) = self.net.deliver(self.now) {
            if datagram.to == sut {
                self.core
                    .handle_datagram(self.now, sut, datagram.from, &datagram.payload);
            } else if let Some(n) = self.locals.iter().position(|l| *l == datagram.to) {
                self.uacs[n].handle_datagram(self.now, &datagram.payload);
            }
        }
        self.core.handle_timeout(self.now);
        for uac in &mut self.uacs {
            uac.handle_timeout(self.now);
        }
        self.drain();
        true
    }

    /// Steps until `done` or until `limit` of virtual time has passed; true if done.
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

    /// Records every effect and sends every datagram queued so far.
    pub fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(effect) = self.core.poll_effect() {
                progressed = true;
                match effect {
                    Effect::Media(op) => self.media.push(op),
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
                progressed = true;
                self.net.send(self.now, sut, t.destination, t.payload);
            }
            for (uac, local) in self.uacs.iter_mut().zip(&self.locals) {
                while let Some(t) = uac.poll_transmit() {
                    progressed = true;
                    self.net.send(self.now, *local, t.destination, t.payload);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// The events the guest of `call` received, in order.
    pub fn events_of(&self, call: CallId) -> Vec<CallEvent> {
        self.guest
            .iter()
            .filter_map(|op| match op {
                GuestOp::Event { call: c, event } if *c == call => Some(*event),
                _ => None,
            })
            .collect()
    }

    /// The calls the guest was offered, in order.
    pub fn invites(&self) -> Vec<Invite> {
        self.guest
            .iter()
            .filter_map(|op| match op {
                GuestOp::Invite(invite) => Some((**invite).clone()),
                GuestOp::Event { .. } => None,
            })
            .collect()
    }
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

/// The room a Request-URI user asks for: `000777<room>`.
pub fn room_of(invite: &Invite) -> &str {
    invite.sip.request_user.trim_start_matches("000777")
}
