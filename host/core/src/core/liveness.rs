//! Whether the peer of a call that sends us no RTP is still there.
//!
//! The media workers hang up a call whose peer stops sending RTP, but a leg
//! that does not receive (we hold the call, or the peer offered `a=recvonly`
//! or `a=inactive`) expects none (RFC 3264 §5.1), a peer that holds the call
//! (`a=sendonly`) may send none, and a session timer
//! (RFC 4028) runs only if the peer asks for one. Such a call is probed with
//! an OPTIONS in its dialog (RFC 3261 §11) every
//! [`CoreConfig::peer_probe_interval`]. A 481 or 408, or no response within
//! Timer F, means the dialog is gone (RFC 3261 §12.2.1.2, RFC 5057 §5.1): the
//! endpoint ends the call ([`EndCause::DialogGone`]), with a BYE unless the peer
//! answered 481, and it is torn down as one the peer hung up. Any other response, 405 or 501 included, shows the
//! peer alive.
//!
//! Calls are probed whether or not a session timer was agreed: the endpoint
//! does not say, and the interval it may agree lasts up to a day
//! ([`SessionTimers::DEFAULT_MAX_INTERVAL`]).
//!
//! [`CoreConfig::peer_probe_interval`]: super::CoreConfig::peer_probe_interval
//! [`EndCause::DialogGone`]: switchyard_sip::EndCause::DialogGone
//! [`SessionTimers::DEFAULT_MAX_INTERVAL`]: switchyard_sip::SessionTimers::DEFAULT_MAX_INTERVAL

use std::time::{Duration, Instant};

use super::CallCore;
use crate::call::{CallId, Phase};
use crate::effect::MediaOp;
use crate::timers::TimerKind;

/// The shortest interval between two probes of one peer.
const MIN_PROBE_INTERVAL: Duration = Duration::from_secs(1);

impl CallCore {
    /// Starts or stops the probes of `call`'s peer as its state now asks:
    /// probed while the call is answered and its peer need not send RTP. A probe
    /// already scheduled keeps its time.
    pub(super) fn watch_peer(&mut self, now: Instant, call: CallId) {
        let interval = self.config.peer_probe_interval.max(MIN_PROBE_INTERVAL);
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        let silent = state.answered()
            && state
                .session
                .as_ref()
                .is_some_and(|session| !session.direction().expects_steady_rtp());
        match (silent, state.probe_timer) {
            (true, None) => {
                let timer = self
                    .timers
                    .schedule(now + interval, TimerKind::PeerProbe(call));
                state.probe_timer = Some(timer);
            }
            (false, Some(timer)) => {
                self.timers.cancel(timer);
                state.probe_timer = None;
            }
            (true, Some(_)) | (false, None) => {}
        }
    }

    /// The probe of `call`'s peer is due: an OPTIONS goes out if the call
    /// still need not send RTP, and the next probe is scheduled.
    pub(super) fn probe_peer(&mut self, now: Instant, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else {
            return;
        };
        state.probe_timer = None;
        let key = state.key;
        self.watch_peer(now, call);
        if self
            .calls
            .get(&call)
            .is_some_and(|c| c.probe_timer.is_some())
        {
            // Refused only while our 2xx waits for its ACK or the call ends;
            // the next probe comes all the same.
            match self.endpoint.probe(now, key) {
                Ok(()) => tracing::debug!(%call, "probing a peer that sends no RTP"),
                Err(e) => tracing::debug!(%call, "peer not probed: {e}"),
            }
        }
    }

    /// Whether `call`, whose peer sent no RTP for the media workers' RTP timeout, is not
    /// answered yet: then the call goes on. Before its 2xx the peer need not send any (RFC 3960
    /// §3: a gateway's caller often sends none, a callee's early media may be silent), so only
    /// the ring timeout limits how long it may ring.
    pub(super) fn silent_before_answer(&self, call: CallId) -> bool {
        self.calls
            .get(&call)
            .is_some_and(|state| matches!(state.phase(), Phase::Offered | Phase::Dialing))
    }

    /// `call` was just answered: its worker counts the RTP timeout afresh from now, so that
    /// the peer has the whole timeout to start sending once answered, however long it was
    /// silent while it rang (see [`silent_before_answer`](Self::silent_before_answer)), and
    /// one still silent after that ends the call. A leg that need not receive steady RTP has
    /// no timeout to count.
    pub(super) fn rearm_rtp_timeout(&mut self, call: CallId) {
        let Some(state) = self.calls.get(&call) else {
            return;
        };
        let (Some(worker), Some(session)) = (state.worker, state.session.as_ref()) else {
            return;
        };
        if !session.direction().expects_steady_rtp() {
            return;
        }
        self.media(MediaOp::RearmRtpTimeout {
            worker,
            leg: call.leg(),
        });
    }
}
