//! Test support, behind the `testing` cargo feature: a seeded network simulator ([`Net`]), a
//! minimal UAC ([`Uac`]) for driving whole calls against an [`Endpoint`](crate::Endpoint) on
//! virtual time, and a scripted UAS ([`Uas`]) for the calls it places. Not for production use:
//! [`epoch`] reads the clock once and the UAC and UAS panic on input a correct endpoint never
//! sends. A crate's tests enable it with
//! `switchyard-sip = { workspace = true, features = ["testing"] }` under `[dev-dependencies]`.
//!
//! Everything is sans-IO and deterministic: time is an [`Instant`] the test advances itself,
//! starting at [`epoch`], and every random choice comes from a seed. To run a call, repeat:
//!
//! 1. handle the endpoint's events (answer, reject, hang up, ...);
//! 2. [`Net::send`] whatever [`Endpoint::poll_transmit`](crate::Endpoint::poll_transmit) and
//!    [`Uac::poll_transmit`] yield, each from its own address;
//! 3. move `now` to the earliest of [`Net::next_delivery`],
//!    [`Endpoint::poll_timeout`](crate::Endpoint::poll_timeout) and [`Uac::poll_timeout`];
//! 4. hand each datagram of [`Net::deliver`] to its addressee and run both `handle_timeout`s.
//!
//! One complete call, INVITE → 200 → ACK → BYE → 200, through a link that loses a fifth of the
//! datagrams, duplicates a tenth and reorders some:
//!
//! ```
//! use std::time::Duration;
//! use switchyard_sip::testing::{Net, Uac, UacConfig, addr, epoch, rsip::Method};
//! use switchyard_sip::{Endpoint, EndpointConfig, Event, sdp};
//!
//! let (sut, caller) = (addr("127.0.0.1:5060"), addr("127.0.0.1:5062"));
//! let mut net = Net::lossy(7, 0.2, 0.1, Duration::from_millis(50));
//! let mut ep = Endpoint::new(EndpointConfig { user_agent: "sut".into() }, 7);
//! let mut uac = Uac::new(UacConfig::new(caller, sut, "000777123", "alice"));
//! let mut now = epoch();
//! uac.call(now, addr("127.0.0.1:6000"));
//! while !uac.codes(Method::Bye).contains(&200) {
//!     while let Some(event) = ep.poll_event() {
//!         match event {
//!             Event::IncomingCall(call) => {
//!                 assert_eq!(call.request_user, "000777123");
//!                 let offer = call.offer.as_ref().expect("an offer");
//!                 let codecs = sdp::negotiate(offer, &[("PCMU", 8000)]).unwrap();
//!                 let answer = sdp::answer(&codecs, addr("127.0.0.1:40000"), 1);
//!                 ep.answer(now, call.call, answer).unwrap();
//!             }
//!             // The ACK arrived: the caller hangs up.
//!             Event::CallConfirmed { .. } => uac.bye(now),
//!             _ => {}
//!         }
//!     }
//!     while let Some(t) = ep.poll_transmit() {
//!         net.send(now, sut, t.destination, t.payload);
//!     }
//!     while let Some(t) = uac.poll_transmit() {
//!         net.send(now, caller, t.destination, t.payload);
//!     }
//!     now = [net.next_delivery(), ep.poll_timeout(), uac.poll_timeout()]
//!         .into_iter()
//!         .flatten()
//!         .min()
//!         .expect("the call stalled");
//!     while let Some(datagram) = net.deliver(now) {
//!         if datagram.to == sut {
//!             ep.handle_datagram(now, sut, datagram.from, &datagram.payload);
//!         } else {
//!             uac.handle_datagram(now, &datagram.payload);
//!         }
//!     }
//!     ep.handle_timeout(now);
//!     uac.handle_timeout(now);
//! }
//! assert!(uac.codes(Method::Invite).contains(&200));
//! assert_eq!(ep.active_calls(), 0);
//! ```

mod net;
mod offer;
mod received;
mod simulation;
mod uac;
mod uac_dialog;
mod uas;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

pub use net::{Datagram, Net};
pub use offer::audio_offer;
pub use received::{Message, Received, Request};
/// The `rsip` crate, whose types [`Received`] and the [`Uac`] queries use.
pub use rsip;
pub use simulation::Simulation;
pub use uac::{Uac, UacConfig};
pub use uas::Uas;

/// A response `status` (e.g. "487 Request Terminated") to the request `request` (its text),
/// as a peer sends it: the request's Via, From, To, Call-ID and CSeq lines, and no body.
pub fn response_to(request: &str, status: &str) -> Vec<u8> {
    let mut response = format!("SIP/2.0 {status}\r\n");
    for line in request.lines().skip(1).take_while(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or("").trim();
        if ["Via", "From", "To", "Call-ID", "CSeq"]
            .iter()
            .any(|wanted| wanted.eq_ignore_ascii_case(name))
        {
            response.push_str(line);
            response.push_str("\r\n");
        }
    }
    response.push_str("Content-Length: 0\r\n\r\n");
    response.into_bytes()
}

/// `text` as a socket address. Panics if it is none.
pub fn addr(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is no socket address"))
}

/// The base of virtual time: the clock is read on the first call only, and every call in the
/// process returns the same instant.
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}
