//! Digest challenges to the BYE, the re-INVITEs and the UPDATEs of a call we placed
//! (RFC 3261 §22.2, §22.3).

use std::time::Instant;

use super::Endpoint;
use crate::auth::Challenger;
use crate::call::CallKey;
use crate::dialog::Parts;
use crate::message::Response;

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
        let Some(call) = call.filter(|_| response.method == rsip::Method::Bye) else {
            return false;
        };
        let Some(credentials) = self.credentials_for(call, response, "BYE") else {
            return false;
        };
        let Some(state) = self.calls.get_mut(&call) else {
            return false;
        };
        let branch = self.ids.branch();
        let (request, destination) = state.dialog.request_with(
            rsip::Method::Bye,
            &branch,
            &self.user_agent,
            &Parts {
                headers: &credentials,
                ..Parts::default()
            },
        );
        let bye = (request, destination);
        self.start_non_invite(now, rsip::Method::Bye, branch, bye, Some(call));
        true
    }

    /// `response` is the final response to the re-INVITE of `call` carrying `offer` (a hold,
    /// a resume, a session refresh). If it is a 401 or 407 that the call's credentials may
    /// answer, the re-INVITE is sent again with credentials, the next CSeq and a new branch
    /// (the first one's transaction acknowledged the challenge), and `true` is returned: the
    /// offer is still under way.
    pub(super) fn answer_reinvite_challenge(
        &mut self,
        now: Instant,
        call: CallKey,
        response: &Response,
        offer: String,
    ) -> bool {
        let Some(credentials) = self.credentials_for(call, response, "INVITE") else {
            return false;
        };
        self.send_reinvite_with(now, call, offer, credentials);
        true
    }

    /// A new request of `call` (not one sent again with credentials) starts: its challenges
    /// are answered as a first request's are.
    pub(super) fn new_request(&mut self, call: CallKey) {
        if let Some(auth) = self.authenticators.get_mut(&call) {
            auth.next_request();
        }
    }

    /// The credentials header lines answering `response`, a 401 or 407 to `call`'s request of
    /// `method`, if the call's credentials may answer it (see
    /// [`Authenticator`](crate::auth::Authenticator)); counted as a use of each nonce, and in
    /// `auth_retries`, since the request is sent again with them.
    pub(super) fn credentials_for(
        &mut self,
        call: CallKey,
        response: &Response,
        method: &str,
    ) -> Option<Vec<(&'static str, String)>> {
        let from = Challenger::of(response.code)?;
        let auth = self.authenticators.get_mut(&call)?;
        let state = self.calls.get(&call)?;
        if !auth.on_challenge(&response.raw, from, method) {
            return None;
        }
        let ids = &mut self.ids;
        let uri = state.dialog.request_uri();
        self.stats.auth_retries += 1;
        Some(auth.headers(method, &uri, || ids.tag()))
    }
}
