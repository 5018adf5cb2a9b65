//! The callee's requests in an early dialog of a call we place (§12.1.2, §12.2.2), until the
//! call is answered: UPDATE without an offer (RFC 3311 §5.2), INFO, OPTIONS and BYE are
//! answered as in a confirmed dialog. An offer is refused: until the call is answered its
//! session is the one the callee's answer set up. Once a 2xx came, the dialog it confirmed is
//! the call's and the other forks' early dialogs are gone (their requests get 481).

use std::time::Instant;

use super::Endpoint;
use super::in_dialog::{ok, read_body_offer};
use crate::build::{Extensions, LocalContact};
use crate::call::CallKey;
use crate::dialog::DialogId;
use crate::message::Request;
use crate::method::Method;
use crate::outgoing::{EarlyDialog, Placed};
use crate::reply::Reply;
use crate::session::UpdateReply;
use crate::transaction::ServerKey;

impl Endpoint {
    /// The unanswered placed call with the early dialog `id`: its Call-ID, our From tag as the
    /// To tag, and the To tag of one of its provisional responses as the From tag, unless the
    /// callee ended that dialog.
    pub(super) fn placed_in_early_dialog(&self, id: &DialogId) -> Option<CallKey> {
        let call = *self.placed_call_ids.get(&id.call_id)?;
        let placed = self.placed.get(&call).filter(|p| !p.answered())?;
        let ours = placed.head.from_tag == id.local_tag;
        let live = |d: &EarlyDialog| d.tag == id.remote_tag && !d.ended;
        (ours && placed.early_dialogs.iter().any(live)).then_some(call)
    }

    /// The callee's `request` in an early dialog of the placed call `call`.
    pub(super) fn on_early_request(
        &mut self,
        now: Instant,
        key: ServerKey,
        call: CallKey,
        request: Request,
    ) {
        let Some(early) = self
            .placed
            .get_mut(&call)
            .and_then(|placed| early_dialog_of(placed, &request))
        else {
            return;
        };
        // §17.2.2: a retransmitted UPDATE gets the response it had.
        if request.method == Method::UPDATE
            && let Some(reply) = early
                .update_reply
                .as_ref()
                .filter(|reply| reply.cseq == request.cseq)
        {
            self.out.resend(reply.destination, &reply.response);
            self.stats.request_retransmissions_received += 1;
            return;
        }
        // §12.2.2: a CSeq lower than the last one is answered with 500.
        if !early.remote_cseq.accept(request.cseq) {
            return self.reply(now, key, &request, Reply::CSeqOutOfOrder);
        }
        match request.method {
            Method::UPDATE => self.on_early_update(call, &request),
            Method::INFO => self.on_info(now, key, call, request),
            // §14.2: our INVITE is still under way in this dialog.
            Method::INVITE => self.reply(now, key, &request, Reply::RequestPending),
            // The callee must not end an early dialog with BYE (§15), but one that does ends
            // it for good as §15.1.2 has it: our INVITE still waits for its final response.
            Method::BYE => {
                early.ended = true;
                self.reply(now, key, &request, Reply::Ok);
            }
            // Our INVITE sends no reliable responses to acknowledge.
            Method::PRACK => self.reply(now, key, &request, Reply::NoSuchCall),
            _ => {
                let extensions = Extensions::of(&self.session_timers);
                self.reply(now, key, &request, Reply::Options(extensions))
            }
        }
    }

    /// The callee's UPDATE in an early dialog of `call`: 200 without a body, stating no session
    /// timer (RFC 4028 negotiates one in the INVITE's 2xx); an offer gets 491 while our INVITE's
    /// offer has no answer in that dialog (RFC 3311 §5.2), otherwise 488.
    fn on_early_update(&mut self, call: CallKey, request: &Request) {
        let Some(placed) = self.placed.get_mut(&call) else {
            return;
        };
        let local = placed.head.local;
        let Some(early) = early_dialog_of(placed, request) else {
            return;
        };
        let answered = early.answer.is_some();
        let extensions = Extensions::of(&self.session_timers);
        let response = match read_body_offer(request) {
            Err(refused) => self.compose(Reply::RefusedOffer(refused), request, None),
            Ok(None) => ok(
                request,
                (LocalContact::sip(local), extensions),
                None,
                None,
                &self.user_agent,
            ),
            Ok(Some(_)) if !answered => self.compose(Reply::RequestPending, request, None),
            Ok(Some(_)) => self.compose(Reply::OfferNotAcceptable, request, None),
        };
        self.out.send(request.destination, response.clone());
        let placed = self.placed.get_mut(&call);
        if let Some(early) = placed.and_then(|placed| early_dialog_of(placed, request)) {
            early.update_reply = Some(UpdateReply {
                cseq: request.cseq,
                response,
                destination: request.destination,
            });
        }
    }
}

/// The early dialog of `placed` the callee's `request` is in (its From tag).
fn early_dialog_of<'a>(placed: &'a mut Placed, request: &Request) -> Option<&'a mut EarlyDialog> {
    placed
        .early_dialogs
        .iter_mut()
        .find(|d| d.tag == request.from_tag)
}
