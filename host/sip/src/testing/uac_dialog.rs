//! The test UAC's requests inside its call beyond BYE (re-INVITE with a new offer, UPDATE,
//! INFO) and its answers to the endpoint's re-INVITE, UPDATE and OPTIONS.

use std::time::Instant;

use rsip::Method;
use rsip::headers::ToTypedHeader;
use rsip::prelude::HeadersExt;

use super::uac::Uac;
use super::{Request, audio_offer};
use crate::build::{LocalContact, ResponseBuilder};
use crate::sdp::{Direction, Offer};
use crate::transport::TransportAddr;

impl Uac {
    /// Sends a re-INVITE in the dialog with the header lines `extra` (each ending in CRLF)
    /// and `body` as its offer (none if empty: the 2xx then brings the endpoint's offer and
    /// the ACK answers it). Timer A retransmits it until any response.
    pub fn reoffer(&mut self, now: Instant, extra: &str, body: &str) {
        let branch = self.branch();
        self.invite_cseq = self.take_cseq();
        self.offer = body.to_owned();
        let tag = self.remote_tag.clone();
        let invite = self.request(
            "INVITE",
            &branch,
            self.invite_cseq,
            tag.as_deref(),
            extra,
            body,
        );
        self.invite_branch = branch;
        self.invite_to_tag = tag;
        self.start(now, Method::Invite, invite, false);
    }

    /// Sends an UPDATE in the dialog with `extra` header lines and `body` (SDP, or none if
    /// empty), retransmitted by Timer E until a final response.
    pub fn update(&mut self, now: Instant, extra: &str, body: &str) {
        self.in_dialog(now, Method::Update, extra, body);
    }

    /// Sends an INFO in the dialog with `extra` header lines (a Content-Type, say) and
    /// `body`, retransmitted by Timer E until a final response.
    pub fn info(&mut self, now: Instant, extra: &str, body: &str) {
        self.in_dialog(now, Method::Info, extra, body);
    }

    /// Sends a PRACK in the (early) dialog with `extra` header lines (its RAck, or none),
    /// retransmitted by Timer E until a final response.
    pub fn prack(&mut self, now: Instant, extra: &str) {
        self.in_dialog(now, Method::PRack, extra, "");
    }

    fn in_dialog(&mut self, now: Instant, method: Method, extra: &str, body: &str) {
        let branch = self.branch();
        let cseq = self.take_cseq();
        let tag = self.remote_tag.clone();
        let request = self.request(
            &method.to_string(),
            &branch,
            cseq,
            tag.as_deref(),
            extra,
            body,
        );
        self.start(now, method, request, true);
    }

    /// Answers the endpoint's INVITE or UPDATE (with the next of [`Uac::invite_answers`] or
    /// [`Uac::update_answers`]; a 200 repeats the request's Session-Expires, and carries an
    /// offer of this UAC's address as the answer unless it answers an UPDATE without offer)
    /// or OPTIONS ([`Uac::options_answer`]).
    pub(super) fn answer_request(&mut self, request: &Request) {
        let builder = |code, reason| ResponseBuilder::new(request, code, reason, None, "test-uac");
        let code = match request.method {
            Method::Options => {
                let response = builder(self.options_answer, "Probe Answer").build();
                return self.outbox.push_back(response);
            }
            Method::Update => self.update_answers.pop_front().unwrap_or(200),
            _ => {
                let cseq = request
                    .cseq_header()
                    .ok()
                    .and_then(|c| c.typed().ok())
                    .map_or(0, |c| c.seq);
                let code = match self.answered_invite {
                    Some((seen, code)) if seen == cseq => code,
                    _ => self.invite_answers.pop_front().unwrap_or(200),
                };
                self.answered_invite = Some((cseq, code));
                self.unanswered_invite = (code < 200).then(|| request.clone());
                code
            }
        };
        let response = if code == 200 {
            // A UAS that supports session timers states the interval (RFC 4028 §9).
            let timer: Vec<(&str, String)> = request
                .headers
                .iter()
                .filter_map(|h| match h {
                    rsip::Header::Other(name, value)
                        if name.eq_ignore_ascii_case("Session-Expires") =>
                    {
                        Some(("Session-Expires", value.clone()))
                    }
                    _ => None,
                })
                .collect();
            let lines: Vec<(&str, &str)> = timer.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let ok = builder(200, "OK")
                .contact(LocalContact::sip(TransportAddr::new(
                    self.config.transport,
                    self.config.local,
                )))
                .extra_headers(&lines);
            let offerless_update = request.method == Method::Update && request.body.is_empty();
            if offerless_update {
                ok.build()
            } else {
                ok.sdp(&self.answer_to(request)).build()
            }
        } else {
            builder(code, "Refused").build()
        };
        self.outbox.push_back(response);
    }

    /// Answers the endpoint's CANCEL with 200 and the INVITE it cancels with 487, if that got
    /// only a provisional response (§9.2).
    pub(super) fn answer_cancel(&mut self, cancel: &Request) {
        let ok = ResponseBuilder::new(cancel, 200, "OK", None, "test-uac").build();
        self.outbox.push_back(ok);
        if let Some(invite) = self.unanswered_invite.take() {
            let terminated =
                ResponseBuilder::new(&invite, 487, "Request Terminated", None, "test-uac");
            self.outbox.push_back(terminated.build());
        }
    }

    /// The SDP the UAC answers the endpoint's `request` with: an offer of its own address
    /// whose direction answers the request's offer (RFC 3264 §6.1: sendonly gets recvonly);
    /// with no readable offer, or a 2xx to an offerless INVITE (whose ACK answers), sendrecv.
    /// While its last offer sent (accepted or not) was sendonly or inactive, the UAC takes
    /// itself to hold the call and receives nothing still (RFC 6337 §5.3: sendrecv gets
    /// sendonly).
    fn answer_to(&self, request: &Request) -> String {
        let answer = Offer::parse(&request.body)
            .ok()
            .and_then(|offer| offer.sole_stream().map(|stream| stream.direction.answer()))
            .unwrap_or(Direction::SendRecv);
        let holds = Offer::parse(self.offer.as_bytes())
            .ok()
            .and_then(|ours| ours.sole_stream().map(|stream| stream.direction.is_hold()))
            .unwrap_or(false);
        let direction = if holds {
            answer.without_receiving()
        } else {
            answer
        };
        format!(
            "{}a={}\r\n",
            audio_offer(self.config.local),
            direction.as_str()
        )
    }
}
