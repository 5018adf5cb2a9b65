//! Digest challenges to the BYE, the re-INVITEs and the UPDATEs of a call we placed, and to
//! the BYEs that release the dialogs of its 2xx responses we do not keep or of the call
//! itself once it ended at once (RFC 3261 §22.2, §22.3).

use std::time::Instant;

use super::Endpoint;
use crate::auth::{Authenticator, Challenger};
use crate::call::CallKey;
use crate::dialog::{Dialog, Parts};
use crate::message::Response;
use crate::transaction::TxId;

/// A dialog we do not keep (another fork's) or no longer keep (of a call that ended at once,
/// its session expired or its dialog lost), being ended by a BYE that the placed call's
/// credentials authenticate: kept for as long as that BYE's client transaction lives, to
/// send it again should it be challenged.
#[derive(Debug)]
pub(super) struct Release {
    dialog: Dialog,
    auth: Authenticator,
}

impl Endpoint {
    /// Ends `dialog`, of a 2xx to our INVITE that we do not keep (§13.2.2.4) or of a call that
    /// ended without waiting for its BYE, with a BYE whose outcome no call waits for. With `auth`, sharing the placed call's challenges and nonce
    /// counts ([`Authenticator::share`]), the BYE carries credentials answering the challenges
    /// its INVITE took, and a challenge to it is answered as the call's own BYE's are
    /// ([`Endpoint::answer_release_challenge`]): a proxy may challenge a BYE (§22.3).
    pub(super) fn release(
        &mut self,
        now: Instant,
        mut dialog: Dialog,
        mut auth: Option<Authenticator>,
    ) {
        let branch = self.ids.branch();
        let uri = dialog.request_uri();
        let ids = &mut self.ids;
        let credentials = auth
            .as_mut()
            .map_or_else(Vec::new, |auth| auth.headers("BYE", &uri, || ids.tag()));
        let parts = Parts {
            headers: &credentials,
            ..Parts::default()
        };
        let bye = dialog.request_with(rsip::Method::Bye, &branch, &self.user_agent, &parts);
        let tx = self.start_non_invite(now, rsip::Method::Bye, branch, bye, None);
        if let Some(auth) = auth {
            self.releases.insert(tx, Release { dialog, auth });
        }
    }

    /// `response` is the final response to the BYE of the client transaction `tx`. If that BYE
    /// released a dialog (see [`Endpoint::release`]) and `response` is a 401 or 407 its
    /// credentials may answer (see [`Authenticator`]), the BYE is sent again with them, the
    /// next CSeq and a new branch, and `true` is returned. The release is done with `tx`
    /// either way, so each BYE is answered once at most.
    pub(super) fn answer_release_challenge(
        &mut self,
        now: Instant,
        tx: TxId,
        response: &Response,
    ) -> bool {
        let Some(Release { dialog, mut auth }) = self.releases.remove(&tx) else {
            return false;
        };
        let answered = Challenger::of(response.code)
            .is_some_and(|from| auth.on_challenge(&response.raw, from, "BYE"));
        if answered {
            self.stats.auth_retries += 1;
            self.release(now, dialog, Some(auth));
        }
        answered
    }

    /// `response` is the final response to the BYE of `call`. If it is a 401 or 407 that the
    /// call's credentials may answer (see [`Authenticator`]), the BYE is sent again with
    /// credentials, the next CSeq and a new branch, and `true` is returned: the call goes on
    /// waiting.
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
    /// `method`, if the call's credentials may answer it (see [`Authenticator`]); counted as a
    /// use of each nonce, and in `auth_retries`, since the request is sent again with them.
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
