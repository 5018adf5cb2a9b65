//! A scripted UAS: it answers the requests of the endpoint's outgoing calls as the test says,
//! sans-IO like the endpoint.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rsip::Method;
use rsip::headers::UntypedHeader;
use rsip::prelude::HeadersExt;

use super::{Received, Request};
use crate::build::{LocalContact, ResponseBuilder};
use crate::transport::TransportAddr;
use crate::{Transmit, Transport};

/// A UAS for tests that answers only when told to, through [`Uas::reply`], except that it
/// answers BYE with 200 and CANCEL with 200 plus 487 to the INVITE if that has no final
/// response yet (both can be switched off). It sends nothing again by itself: no retransmissions, no timers. The shell
/// hands it what arrives at its address ([`Uas::handle_datagram`]) and sends what
/// [`Uas::poll_transmit`] yields. Everything received is kept.
#[derive(Debug)]
pub struct Uas {
    local: SocketAddr,
    /// The To tag its responses add (default `uas-tag`); change it between responses to play
    /// forks.
    pub tag: String,
    /// Whether responses to INVITE (101-299) carry `Contact: <sip:local>` (default true).
    pub contact: bool,
    /// Whether to answer BYE with 200 (default true).
    pub answer_bye: bool,
    /// Whether to answer CANCEL with 200 and the INVITE with 487 (default true).
    pub answer_cancel: bool,
    /// The transport it speaks (default UDP): what its Transmits, Via and Contact name.
    pub transport: Transport,
    /// The CSeq number of its next request (default 1; §8.1.1.5 allows any below 2^31).
    pub next_cseq: u32,
    received: Vec<(SocketAddr, Received)>,
    outbox: VecDeque<Transmit>,
    /// The requests it sent, which number their Via branches.
    sent: u32,
    /// The Via branches of the INVITEs that got a final response.
    finished: Vec<String>,
}

impl Uas {
    /// A UAS at `local` that has received nothing.
    pub fn new(local: SocketAddr) -> Self {
        Self {
            local,
            tag: "uas-tag".into(),
            contact: true,
            answer_bye: true,
            answer_cancel: true,
            transport: Transport::Udp,
            next_cseq: 1,
            received: Vec::new(),
            outbox: VecDeque::new(),
            sent: 0,
            finished: Vec::new(),
        }
    }

    /// Processes a datagram from `source` received at `now`. Panics if it is no SIP message:
    /// the endpoint under test must send only SIP.
    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        let received = Received::parse(now, data);
        let method = received.request().map(|request| request.method);
        self.received.push((source, received));
        match method {
            Some(Method::Bye) if self.answer_bye => self.reply(Method::Bye, 200, "OK", "", ""),
            Some(Method::Cancel) if self.answer_cancel => {
                self.reply(Method::Cancel, 200, "OK", "", "");
                let pending = latest(&self.received, Method::Invite)
                    .is_some_and(|(_, invite)| !self.finished.contains(&branch(invite)));
                if pending {
                    self.reply(Method::Invite, 487, "Request Terminated", "", "");
                }
            }
            _ => {}
        }
    }

    /// Answers the latest `method` request with `code` and `reason`, the header lines `extra`
    /// (each ending in CRLF) and `body` (as application/sdp when not empty): Via, From,
    /// Call-ID and CSeq copied, To copied with [`Uas::tag`] added if it has none (not on 100).
    /// Panics if no such request arrived.
    pub fn reply(&mut self, method: Method, code: u16, reason: &str, extra: &str, body: &str) {
        let (source, request) =
            latest(&self.received, method).unwrap_or_else(|| panic!("no {method} to reply to"));
        if method == Method::Invite && code >= 200 {
            self.finished.push(branch(request));
        }
        let tag = (code > 100).then_some(self.tag.as_str());
        let mut builder = ResponseBuilder::new(request, code, reason, tag, "test-uas");
        if method == Method::Invite && self.contact && (101..300).contains(&code) {
            builder = builder.contact(LocalContact::sip(self.local_addr()));
        }
        for line in extra.split("\r\n").filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').expect("extra lines are `Name: value`");
            builder = builder.extra_headers(&[(name.trim(), value.trim())]);
        }
        if !body.is_empty() {
            builder = builder.sdp(body);
        }
        self.outbox.push_back(Transmit {
            transport: self.transport,
            destination: source,
            source: None,
            reopen: None,
            payload: builder.build(),
        });
    }

    /// Sends a BYE in the dialog of the latest INVITE (the UAS hangs up); see [`Uas::request`].
    pub fn bye(&mut self) {
        self.request(Method::Bye, "", "");
    }

    /// Sends a `method` request in the dialog of the latest INVITE, early or confirmed: to its
    /// Contact, with From and To swapped, [`Uas::tag`] as ours, [`Uas::next_cseq`] (then
    /// counted on), a Via branch of its own, the header lines `extra` (each ending in CRLF) and `body` (as application/sdp when
    /// not empty, unless `extra` has a Content-Type). Sent once; returns its text, to send
    /// again as a retransmission. Panics if no INVITE arrived.
    pub fn request(&mut self, method: Method, extra: &str, body: &str) -> String {
        let (source, invite) = latest(&self.received, Method::Invite).expect("no INVITE");
        let value = |h: Result<&str, rsip::Error>| h.unwrap_or_default().to_owned();
        let target = value(invite.contact_header().map(|h| h.value()));
        let target = target.trim_start_matches('<').trim_end_matches('>');
        let cseq = self.next_cseq;
        self.next_cseq += 1;
        self.sent += 1;
        let typed = extra.to_ascii_lowercase().contains("content-type:");
        let content_type = if body.is_empty() || typed {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        let text = format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/{} {};branch=z9hG4bK-uas-{}\r\n\
             Max-Forwards: 70\r\nFrom: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\n\
             CSeq: {} {method}\r\nContact: {}\r\n{extra}{content_type}\
             Content-Length: {}\r\n\r\n{body}",
            self.transport,
            self.local,
            self.sent,
            value(invite.to_header().map(|h| h.value())),
            self.tag,
            value(invite.from_header().map(|h| h.value())),
            value(invite.call_id_header().map(|h| h.value())),
            cseq,
            LocalContact::sip(self.local_addr()).value(),
            body.len(),
        );
        self.outbox.push_back(Transmit {
            transport: self.transport,
            destination: source,
            source: None,
            reopen: None,
            payload: text.clone().into_bytes(),
        });
        text
    }

    /// Its address and transport, for Contact.
    fn local_addr(&self) -> TransportAddr {
        TransportAddr::new(self.transport, self.local)
    }

    /// The next message to send, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop_front()
    }

    /// Everything received, in order.
    pub fn received(&self) -> impl Iterator<Item = &Received> {
        self.received.iter().map(|(_, r)| r)
    }

    /// The requests received with method `method`, in order.
    pub fn requests(&self, method: Method) -> Vec<&Received> {
        self.received()
            .filter(|r| r.request().is_some_and(|q| q.method == method))
            .collect()
    }
}

/// The branch of `request`'s top Via ("" if it has none).
fn branch(request: &Request) -> String {
    let via = request.via_header().map(|h| h.value()).unwrap_or_default();
    via.split(';')
        .find_map(|p| p.trim().strip_prefix("branch="))
        .unwrap_or_default()
        .to_owned()
}

/// The latest request of `method` in `received`, and where it came from.
fn latest(received: &[(SocketAddr, Received)], method: Method) -> Option<(SocketAddr, &Request)> {
    received.iter().rev().find_map(|(source, r)| {
        r.request()
            .filter(|q| q.method == method)
            .map(|q| (*source, q))
    })
}
