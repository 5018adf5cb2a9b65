//! Provisional responses the application sends to an offered call (RFC 3261 §13.3.1.1).

use std::time::Instant;

use super::{CallError, Endpoint, TxEntry, inbound, offered};
use crate::build::ResponseBuilder;
use crate::call::CallKey;
use crate::transaction::Transaction;

impl Endpoint {
    /// Sends a provisional response `code` (101..=199, typically `180 Ringing` or
    /// `183 Session Progress`) with reason phrase `reason` to an offered call's INVITE, with
    /// our To tag and Contact (§12.1.1: it creates an early dialog) and, if given, the SDP
    /// answer `sdp` (early media). It is sent once, not reliably (no RFC 3262), and again for
    /// each retransmitted INVITE until the final response. [`CallError::InvalidStatus`] for
    /// another code; the call must wait for an answer ([`CallError::InvalidState`]
    /// otherwise).
    pub fn progress(
        &mut self,
        _now: Instant,
        call: CallKey,
        code: u16,
        reason: &str,
        sdp: Option<String>,
    ) -> Result<(), CallError> {
        if !(101..=199).contains(&code) {
            return Err(CallError::InvalidStatus(code));
        }
        let state = offered(&mut self.calls, call)?;
        if sdp.is_some() && inbound::without_body(&state.invite) {
            // An offer of ours in a provisional response would need it sent reliably (RFC
            // 3262), and an answer needs the caller's offer.
            return Err(CallError::InvalidState {
                call,
                state: "without the caller's offer (early media needs one)",
            });
        }
        let builder = ResponseBuilder::new(
            &state.invite.raw,
            code,
            reason,
            Some(&state.dialog.id().local_tag),
            &self.user_agent,
        )
        .contact(state.local)
        // §12.1.1: a response that makes a dialog (an early one here, with our To tag) copies
        // the Record-Route, so the caller's requests in it take the proxies' path.
        .record_route(&state.invite.raw);
        let response = match &sdp {
            Some(sdp) => builder.sdp(sdp),
            None => builder,
        }
        .build();
        if let Some(TxEntry {
            tx: Transaction::InviteServer(invite),
            ..
        }) = self.transactions.get_mut(&state.invite_tx)
        {
            invite.send_provisional(response, &mut self.out);
        }
        Ok(())
    }
}
