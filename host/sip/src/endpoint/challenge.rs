//! Digest challenges to the BYE of a call we placed (RFC 3261 §22.2, §22.3).

use std::time::Instant;

use super::{ClientKey, Endpoint, TxKey};
use crate::auth::Challenger;
use crate::call::CallKey;
use crate::dialog::Parts;
use crate::message::Response;
use crate::transaction::{NonInviteClient, Transaction};

impl Endpoint {
    /// `response` is the final response to the BYE of `call`. If it is a 401 or 407 that the
    /// call's credentials may answer (see [`Authenticator`](crate::auth::Authenticator)), the
    /// BYE is sent again with credentials, the next CSeq and a new branch, and `true` is
    /// returned: the call goes on waiting.
    pub(super) fn answer_bye_challenge(
        &mut self,
        now: Instant,
        call: Option<CallKey>,
        response: &Response,
    ) -> bool {
        let (Some(call), Some(from)) = (call, Challenger::of(response.code)) else {
            return false;
        };
        let (Some(auth), Some(state)) = (
            self.authenticators.get_mut(&call),
            self.calls.get_mut(&call),
        ) else {
            return false;
        };
        if response.method != rsip::Method::Bye || !auth.on_challenge(&response.raw, from, "BYE") {
            return false;
        }
        let branch = self.ids.branch();
        let ids = &mut self.ids;
        let uri = state.dialog.request_uri();
        let credentials = auth.headers("BYE", &uri, || ids.tag());
        let (request, destination) = state.dialog.request_with(
            rsip::Method::Bye,
            &branch,
            &self.user_agent,
            &Parts {
                headers: &credentials,
                ..Parts::default()
            },
        );
        let tx = NonInviteClient::new(now, destination, request, Some(call), &mut self.out);
        let key = ClientKey {
            branch,
            method: rsip::Method::Bye.to_string(),
        };
        self.insert_tx(TxKey::Client(key), Transaction::NonInviteClient(tx));
        self.stats.auth_retries += 1;
        true
    }
}
