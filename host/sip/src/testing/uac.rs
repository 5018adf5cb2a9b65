//! A minimal UAC: one call (INVITE, ACK, CANCEL, BYE, re-INVITE) plus stray requests, with
//! RFC 3261 client retransmissions, driven sans-IO on virtual time. Its other in-dialog
//! requests and its answers to the endpoint's requests are in `uac_dialog`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rsip::Method;

use super::{Received, Request, audio_offer};
use crate::build::ResponseBuilder;
use crate::timer::{T1, backoff};
use crate::{Transmit, Transport};

/// Who the UAC is and whom it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UacConfig {
    /// The UAC's own address: Via sent-by, Contact and From host.
    pub local: SocketAddr,
    /// The endpoint's address: Request-URI and To host, and where every request goes.
    pub remote: SocketAddr,
    /// The user part of the Request-URI and To URI (the number or name called).
    pub request_user: String,
    /// The user part of the From URI and Contact.
    pub from_user: String,
    /// The From display name, sent quoted when present.
    pub from_display_name: Option<String>,
    /// The Call-ID of every request.
    pub call_id: String,
    /// The From tag.
    pub from_tag: String,
    /// The transport it speaks: what its Transmits, Via and Contact name. Over TCP it
    /// retransmits nothing (§17.1.1.2, §17.1.2.2).
    pub transport: Transport,
}

impl UacConfig {
    /// A UAC at `local` calling `request_user` at the endpoint `remote` as `from_user`: no
    /// display name, Call-ID `uac-<port>@<ip>` of `local`, From tag `uac-tag`, over UDP.
    pub fn new(local: SocketAddr, remote: SocketAddr, request_user: &str, from_user: &str) -> Self {
        Self {
            local,
            remote,
            request_user: request_user.to_owned(),
            from_user: from_user.to_owned(),
            from_display_name: None,
            call_id: format!("uac-{}@{}", local.port(), local.ip()),
            from_tag: "uac-tag".to_owned(),
            transport: Transport::Udp,
        }
    }
}

/// A request the UAC retransmits until a response stops it or it gives up.
#[derive(Debug)]
pub(super) struct Retransmission {
    method: Method,
    payload: Vec<u8>,
    next: Instant,
    interval: Duration,
    /// Timer A doubles without cap (§17.1.1.2); Timer E caps at T2 (§17.1.2.2).
    capped: bool,
    give_up: Instant,
}

/// A minimal UAC for tests, sans-IO like [`Endpoint`](crate::Endpoint): requests are queued by
/// [`Uac::call`], [`Uac::bye`] and the like; the shell sends what [`Uac::poll_transmit`] yields,
/// hands received datagrams to [`Uac::handle_datagram`] and calls [`Uac::handle_timeout`] at
/// [`Uac::poll_timeout`]. It retransmits INVITE (Timer A), BYE and CANCEL (Timer E) until a
/// response stops them or 64*T1 passed, ACKs every final response to its INVITEs and answers
/// the endpoint's BYE with 200 and its CANCEL with 200, and 487 to the re-INVITE it left
/// with a provisional response (each can be switched off), and the endpoint's re-INVITE,
/// UPDATE and OPTIONS with the codes of [`Uac::invite_answers`], [`Uac::update_answers`] and
/// [`Uac::options_answer`] (a 200 to a re-INVITE or UPDATE repeats its Session-Expires). It
/// acknowledges each reliable provisional response (RFC 3262: `Require: 100rel` and an RSeq)
/// with a PRACK, once per RSeq, unless told not to. Everything received is kept.
#[derive(Debug)]
pub struct Uac {
    pub(super) config: UacConfig,
    /// Whether to ACK 2xx responses (default true).
    pub ack_2xx: bool,
    /// Whether to answer the endpoint's BYE with 200 (default true).
    pub answer_bye: bool,
    /// Whether to answer the endpoint's CANCEL with 200, and the re-INVITE it cancels with
    /// 487 if that got only a provisional response (default true).
    pub answer_cancel: bool,
    /// The status codes to answer the endpoint's next INVITEs with, one each (a
    /// retransmission gets the same); 200 (with an SDP answer) once empty.
    pub invite_answers: VecDeque<u16>,
    /// The status code to answer the endpoint's OPTIONS with (default 200).
    pub options_answer: u16,
    /// The status codes to answer the endpoint's next UPDATEs with, one each; 200 once
    /// empty (with an SDP answer if the UPDATE offered one).
    pub update_answers: VecDeque<u16>,
    /// The answer the ACK of a 2xx to an offerless INVITE carries; `None` (the default): an
    /// offer of this UAC's address, as answer.
    pub ack_answer: Option<String>,
    /// Whether to PRACK reliable provisional responses (default true).
    pub prack: bool,
    /// The RSeq of the last reliable provisional response it sent a PRACK for.
    pracked: Option<u32>,
    pub(super) remote_tag: Option<String>,
    received: Vec<Received>,
    pub(super) outbox: VecDeque<Vec<u8>>,
    retransmissions: Vec<Retransmission>,
    pub(super) offer: String,
    pub(super) invite_branch: String,
    pub(super) invite_cseq: u32,
    /// The To tag of the last INVITE: the dialog's for a re-INVITE, none for the first.
    pub(super) invite_to_tag: Option<String>,
    /// The CSeq of the endpoint's last INVITE and the code it got.
    pub(super) answered_invite: Option<(u32, u16)>,
    /// The endpoint's last INVITE, if it got only a provisional response.
    pub(super) unanswered_invite: Option<Request>,
    /// The CSeq number of its next request (default 1; counted on from there).
    pub next_cseq: u32,
    branches: u32,
}

impl Uac {
    /// A UAC that has sent nothing yet.
    pub fn new(config: UacConfig) -> Self {
        Self {
            config,
            ack_2xx: true,
            answer_bye: true,
            answer_cancel: true,
            invite_answers: VecDeque::new(),
            options_answer: 200,
            update_answers: VecDeque::new(),
            ack_answer: None,
            prack: true,
            pracked: None,
            remote_tag: None,
            received: Vec::new(),
            outbox: VecDeque::new(),
            retransmissions: Vec::new(),
            offer: String::new(),
            invite_branch: String::new(),
            invite_cseq: 1,
            invite_to_tag: None,
            answered_invite: None,
            unanswered_invite: None,
            next_cseq: 1,
            branches: 0,
        }
    }

    /// Places the call: an INVITE offering [`audio_offer`] at `rtp`.
    pub fn call(&mut self, now: Instant, rtp: SocketAddr) {
        self.invite(now, "", &audio_offer(rtp));
    }

    /// Sends an INVITE outside any dialog with the header lines `extra` (each ending in CRLF)
    /// and `body` (sent as application/sdp when not empty); Timer A retransmits it until any
    /// response (§17.1.1.2). The body is kept for [`Uac::reinvite`].
    pub fn invite(&mut self, now: Instant, extra: &str, body: &str) {
        let branch = self.branch();
        self.invite_cseq = self.take_cseq();
        let invite = self.request("INVITE", &branch, self.invite_cseq, None, extra, body);
        self.invite_branch = branch;
        self.invite_to_tag = None;
        self.offer = body.to_owned();
        self.start(now, Method::Invite, invite, false);
    }

    /// Sends a re-INVITE in the dialog with the last INVITE's body (a session refresh).
    pub fn reinvite(&mut self, now: Instant) {
        let offer = self.offer.clone();
        self.reoffer(now, "", &offer);
    }

    /// Sends a CANCEL of the pending INVITE (or re-INVITE): same branch, CSeq number and To
    /// (§9.1), retransmitted by Timer E until a final response.
    pub fn cancel(&mut self, now: Instant) {
        let branch = self.invite_branch.clone();
        let tag = self.invite_to_tag.clone();
        let cancel = self.request("CANCEL", &branch, self.invite_cseq, tag.as_deref(), "", "");
        self.start(now, Method::Cancel, cancel, true);
    }

    /// Sends a BYE in the dialog, retransmitted by Timer E until a final response.
    pub fn bye(&mut self, now: Instant) {
        let branch = self.branch();
        let cseq = self.take_cseq();
        let tag = self.remote_tag.clone();
        let bye = self.request("BYE", &branch, cseq, tag.as_deref(), "", "");
        self.start(now, Method::Bye, bye, true);
    }

    /// Sends `payload` once, as is.
    pub fn send_raw(&mut self, payload: Vec<u8>) {
        self.outbox.push_back(payload);
    }

    /// Sends a `method` request with CSeq 1 and To tag `to_tag` once, without retransmissions;
    /// an INVITE is remembered so that its final response is ACKed.
    pub fn stray(&mut self, method: &str, to_tag: Option<&str>) {
        let branch = self.branch();
        let request = self.request(method, &branch, 1, to_tag, "", "");
        if method == "INVITE" {
            self.invite_branch = branch;
            self.invite_cseq = 1;
            self.invite_to_tag = to_tag.map(str::to_owned);
        }
        self.outbox.push_back(request);
    }

    /// Processes a datagram received at `now`. Panics if it is no SIP message: the endpoint
    /// under test must send only SIP.
    pub fn handle_datagram(&mut self, now: Instant, data: &[u8]) {
        let received = Received::parse(now, data);
        match received.request() {
            None => self.on_response(now, &received),
            Some(request) => match request.method {
                Method::Bye if self.answer_bye => {
                    let ok = ResponseBuilder::new(request, 200, "OK", None, "test-uac").build();
                    self.outbox.push_back(ok);
                }
                Method::Cancel if self.answer_cancel => self.answer_cancel(request),
                Method::Invite | Method::Options | Method::Update => self.answer_request(request),
                _ => {}
            },
        }
        self.received.push(received);
    }

    /// The next message to send, oldest first; it always goes to [`UacConfig::remote`].
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let payload = self.outbox.pop_front()?;
        Some(Transmit {
            transport: self.config.transport,
            destination: self.config.remote,
            source: None,
            reopen: None,
            payload,
        })
    }

    /// When [`Uac::handle_timeout`] must next be called; `None` when nothing is retransmitted.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.retransmissions
            .iter()
            .map(|r| r.next.min(r.give_up))
            .min()
    }

    /// Retransmits what is due at `now` and gives up on requests unanswered for 64*T1.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.retransmissions.retain(|r| r.give_up > now);
        for r in &mut self.retransmissions {
            if r.next <= now {
                self.outbox.push_back(r.payload.clone());
                r.interval = if r.capped {
                    backoff(r.interval)
                } else {
                    r.interval * 2
                };
                r.next = now + r.interval;
            }
        }
    }

    /// The endpoint's To tag, known once a 2xx to an INVITE arrived.
    pub fn remote_tag(&self) -> Option<&str> {
        self.remote_tag.as_deref()
    }

    /// Everything received, in order.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// The status codes of the responses received with CSeq method `method`, in order.
    pub fn codes(&self, method: Method) -> Vec<u16> {
        self.responses(method).filter_map(Received::code).collect()
    }

    /// The last response received with CSeq method `method`.
    pub fn last_response(&self, method: Method) -> Option<&Received> {
        self.responses(method).next_back()
    }

    /// The requests received with method `method`, in order.
    pub fn requests(&self, method: Method) -> Vec<&Received> {
        self.received
            .iter()
            .filter(|r| r.request().is_some_and(|q| q.method == method))
            .collect()
    }

    fn responses(&self, method: Method) -> impl DoubleEndedIterator<Item = &Received> {
        self.received
            .iter()
            .filter(move |r| r.code().is_some() && r.cseq_method() == Some(method))
    }

    fn on_response(&mut self, now: Instant, response: &Received) {
        let code = response.code().unwrap_or_default();
        match response.cseq_method() {
            Some(Method::Invite) => {
                // §17.1.1.2: any response stops INVITE retransmissions.
                self.stop(Method::Invite);
                if (101..200).contains(&code) {
                    self.prack_if_reliable(now, response);
                }
                if (101..200).contains(&code) && self.remote_tag.is_none() {
                    // §12.1.2: a provisional response with a To tag makes an early dialog.
                    self.remote_tag = response.to_tag();
                } else if (200..300).contains(&code) {
                    self.remote_tag = response.to_tag();
                    if self.ack_2xx {
                        // §13.2.2.4: every 2xx (retransmission included) is ACKed, new branch.
                        let branch = self.branch();
                        let ack = self.ack(&branch, response.to_tag().as_deref(), true);
                        self.outbox.push_back(ack);
                    }
                } else if code >= 300 {
                    // §17.1.1.3: the ACK of a non-2xx reuses the INVITE's branch.
                    let branch = self.invite_branch.clone();
                    let ack = self.ack(&branch, response.to_tag().as_deref(), false);
                    self.outbox.push_back(ack);
                }
            }
            Some(
                method @ (Method::Bye
                | Method::Cancel
                | Method::Update
                | Method::Info
                | Method::PRack),
            ) if code >= 200 => self.stop(method),
            _ => {}
        }
    }

    /// RFC 3262 §4: a PRACK in the early dialog for a reliable provisional response, once for
    /// each RSeq.
    fn prack_if_reliable(&mut self, now: Instant, response: &Received) {
        let reliable = response
            .header("Require")
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == "100rel"));
        let Some(rseq) = response
            .header("RSeq")
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            return;
        };
        if !reliable || !self.prack || self.pracked.is_some_and(|last| rseq <= last) {
            return;
        }
        self.pracked = Some(rseq);
        let branch = self.branch();
        let cseq = self.take_cseq();
        let rack = format!("RAck: {rseq} {} INVITE\r\n", self.invite_cseq);
        let tag = response.to_tag();
        let prack = self.request("PRACK", &branch, cseq, tag.as_deref(), &rack, "");
        self.start(now, Method::PRack, prack, true);
    }

    pub(super) fn start(&mut self, now: Instant, method: Method, payload: Vec<u8>, capped: bool) {
        self.outbox.push_back(payload.clone());
        if self.config.transport.is_reliable() {
            return;
        }
        self.retransmissions.push(Retransmission {
            method,
            payload,
            next: now + T1,
            interval: T1,
            capped,
            // Timers B (§17.1.1.2) and F (§17.1.2.2): 64*T1.
            give_up: now + T1 * 64,
        });
    }

    fn stop(&mut self, method: Method) {
        self.retransmissions.retain(|r| r.method != method);
    }

    pub(super) fn branch(&mut self) -> String {
        self.branches += 1;
        format!("z9hG4bK-uac-{}", self.branches)
    }

    pub(super) fn take_cseq(&mut self) -> u32 {
        self.next_cseq += 1;
        self.next_cseq - 1
    }

    /// The ACK of the last INVITE; that of a 2xx to an offerless one carries the answer to
    /// the 2xx's offer (§13.2.2.4), an offer of this UAC's address.
    fn ack(&self, branch: &str, to_tag: Option<&str>, success: bool) -> Vec<u8> {
        let body = if success && self.offer.is_empty() {
            self.ack_answer
                .clone()
                .unwrap_or_else(|| audio_offer(self.config.local))
        } else {
            String::new()
        };
        self.request("ACK", branch, self.invite_cseq, to_tag, "", &body)
    }

    pub(super) fn request(
        &self,
        method: &str,
        branch: &str,
        cseq: u32,
        to_tag: Option<&str>,
        extra: &str,
        body: &str,
    ) -> Vec<u8> {
        let UacConfig {
            local,
            remote,
            request_user,
            from_user,
            from_display_name,
            call_id,
            from_tag,
            transport,
        } = &self.config;
        let display = from_display_name
            .as_ref()
            .map(|name| format!("\"{name}\" "))
            .unwrap_or_default();
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let contact_transport = match transport {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
            Transport::Tls => ";transport=tls",
        };
        let content_type =
            if body.is_empty() || extra.to_ascii_lowercase().contains("content-type:") {
                ""
            } else {
                "Content-Type: application/sdp\r\n"
            };
        format!(
            "{method} sip:{request_user}@{remote} SIP/2.0\r\n\
             Via: SIP/2.0/{transport} {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: {display}<sip:{from_user}@{local}>;tag={from_tag}\r\n\
             To: <sip:{request_user}@{remote}>{to_tag}\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n\
             Contact: <sip:{from_user}@{local}{contact_transport}>\r\n\
             {extra}{content_type}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }
}
