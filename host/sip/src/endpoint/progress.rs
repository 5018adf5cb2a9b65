//! Provisional responses the application sends to an offered call (RFC 3261 §13.3.1.1), sent
//! reliably to a caller that requires it (RFC 3262), and the PRACKs that acknowledge them.

use std::time::Instant;

use super::in_dialog::read_body_offer;
use super::{CallError, Endpoint, Owner, TxEntry, inbound, offered};
use crate::build::ResponseBuilder;
use crate::call::CallKey;
use crate::header_text::texts;
use crate::message::Request;
use crate::prack::{Provisional, RAck, RELIABLE_TAG, Waiting};
use crate::reply::Reply;
use crate::transaction::{ServerKey, Transaction};

impl Endpoint {
    /// Sends a provisional response `code` (101..=199, typically `180 Ringing` or
    /// `183 Session Progress`) with reason phrase `reason` to an offered call's INVITE, with
    /// our To tag and Contact (§12.1.1: it creates an early dialog) and, if given, the SDP
    /// answer `sdp` (early media). It is sent once, and again for each retransmitted INVITE
    /// until the final response; to a caller that required reliable provisional responses
    /// (`Require: 100rel`, RFC 3262) it carries `RSeq` and goes again until the caller's
    /// PRACK, one at a time: one asked for meanwhile waits for that PRACK (only the latest
    /// does, with the session description of one it replaces), as does the 2xx of
    /// [`Endpoint::answer`] if this one carried a session description. Such a caller that
    /// sent no offer gets none (the first reliable response would have to carry our offer,
    /// RFC 3261 §13.2.1; the 2xx does). [`CallError::InvalidStatus`] for
    /// another code; the call must wait for an answer ([`CallError::InvalidState`]
    /// otherwise).
    pub fn progress(
        &mut self,
        now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
        sdp: Option<String>,
    ) -> Result<(), CallError> {
        if !(101..=199).contains(&code) {
            return Err(CallError::InvalidStatus(code));
        }
        let state = offered(&mut self.calls, call)?;
        if sdp.is_some() && inbound::without_offer(&state.invite) {
            // An offer of ours in a provisional response would need it sent reliably (RFC
            // 3262), and an answer needs the caller's offer.
            return Err(CallError::InvalidState {
                call,
                state: "without the caller's offer (early media needs one)",
            });
        }
        if state.reliable.is_some() && inbound::without_offer(&state.invite) {
            // RFC 3261 §13.2.1: without the caller's offer, the first reliable response must
            // carry ours, and the 2xx does.
            return Ok(());
        }
        let provisional = Provisional {
            code,
            reason: reason.to_owned(),
            sdp,
        };
        match state.reliable.as_mut() {
            Some(reliable) if reliable.unacknowledged() => {
                reliable.wait(Waiting::Provisional(provisional));
            }
            _ => self.send_provisional(now, call, &provisional),
        }
        Ok(())
    }

    /// Sends `provisional` to the call's INVITE, reliably if the caller required it.
    fn send_provisional(&mut self, now: Instant, call: CallKey, provisional: &Provisional) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let builder = ResponseBuilder::new(
            &state.invite.raw,
            provisional.code,
            &provisional.reason,
            Some(&state.dialog.id().local_tag),
            &self.user_agent,
        )
        .contact(state.dialog.contact())
        // §12.1.1: a response that makes a dialog (an early one here, with our To tag) copies
        // the Record-Route, so the caller's requests in it take the proxies' path.
        .record_route(&state.invite.raw);
        let sdp = match &state.reliable {
            Some(reliable) if reliable.answer_sent() => None,
            _ => provisional.sdp.as_deref(),
        };
        let rseq = state.reliable.as_mut().map(|reliable| reliable.take_rseq());
        let builder = match rseq {
            // RFC 3262 §3: the response requires its PRACK and is numbered.
            Some(rseq) => builder.extra_headers(&[
                ("Require", RELIABLE_TAG),
                ("RSeq", rseq.to_string().as_str()),
            ]),
            None => builder,
        };
        let response = match sdp {
            Some(sdp) => builder.sdp(sdp),
            None => builder,
        }
        .build();
        match (state.reliable.as_mut(), rseq) {
            (Some(reliable), Some(rseq)) => {
                let numbered = (rseq, sdp.is_some());
                reliable.sent(now, numbered, response.clone(), state.invite.destination);
            }
            // A reliable one is sent again until its PRACK; another needs a new RSeq.
            _ => state.ringing(now, response.clone()),
        }
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&state.invite_tx)
        {
            invite.send_provisional(response, &mut self.out);
        }
        self.reschedule(Owner::Call(call));
    }

    /// A PRACK in an offered call's early dialog (RFC 3262 §4): 200 if it names the reliable
    /// provisional response waiting for it, which then goes no more, and what waited for it
    /// goes; 481 if it names none, whatever its body; 400 without a readable RAck. One that
    /// carries an offer is refused (488, or the status its unusable body calls for), and still
    /// acknowledges the response it names.
    pub(super) fn on_prack(
        &mut self,
        now: Instant,
        key: ServerKey,
        call: CallKey,
        request: Request,
    ) {
        let Some(rack) = rack_of(&request) else {
            return self.reply(now, key, &request, Reply::MalformedRAck);
        };
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let invite_cseq = state.invite.cseq;
        let acknowledged = state
            .reliable
            .as_mut()
            .is_some_and(|reliable| reliable.acknowledge(&rack, invite_cseq));
        // RFC 3262 §4: a PRACK that matches no unacknowledged reliable provisional response
        // gets 481, whatever it carries.
        if !acknowledged {
            return self.reply(now, key, &request, Reply::NoSuchCall);
        }
        // RFC 3262 §5: a PRACK may carry a new offer, to be answered in its 2xx. The session
        // changes only from the call's 2xx on, which carries the application's answer to the
        // INVITE's offer: the offer is refused with 488 (RFC 3264 §6, as an offer in an early
        // UPDATE is, RFC 3311 §5.2), the early session stays. The PRACK still shows the reliable
        // response arrived, so it goes no more.
        let reply = match read_body_offer(&request) {
            Ok(None) => Reply::Ok,
            Ok(Some(_)) => Reply::OfferNotAcceptable,
            Err(refused) => Reply::RefusedOffer(refused),
        };
        self.reply(now, key, &request, reply);
        self.reschedule(Owner::Call(call));
        let next = self
            .calls
            .get_mut(&call)
            .and_then(|state| state.reliable.as_mut())
            .and_then(|reliable| reliable.next());
        match next {
            Some(Waiting::Provisional(provisional)) => {
                self.send_provisional(now, call, &provisional)
            }
            Some(Waiting::Answer(sdp)) => {
                // The call was offered when the 2xx was asked for, and still is.
                let _ = self.answer(now, call, sdp);
            }
            None => {}
        }
    }
}

/// What the RAck of `request`, a PRACK, names; `None` without a readable one.
pub(super) fn rack_of(request: &Request) -> Option<RAck> {
    texts(&request.raw, "RAck").find_map(RAck::parse)
}
