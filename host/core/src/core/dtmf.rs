//! DTMF keys a guest sends to a call's peer (`media.send-dtmf`).

use std::time::{Duration, Instant};

use switchyard_media::{DTMF_GAP_TIME, DTMF_KEY_TIME, check_dtmf};

use crate::call::CallId;
use crate::effect::MediaOp;
use crate::{CallCore, CoreError};

/// How long one key takes to send, the silence after it included.
const KEY_CYCLE: Duration = DTMF_KEY_TIME.saturating_add(DTMF_GAP_TIME);

impl CallCore {
    /// Sends `digits` to the peer of a call with media, after the keys it is
    /// still sending (see
    /// [`Worker::send_dtmf`](switchyard_media::Worker::send_dtmf)). Keys that
    /// are no DTMF keys, none, or more than
    /// [`MAX_PENDING_KEYS`](switchyard_media::MAX_PENDING_KEYS) waiting at
    /// `now` are an invalid argument saying which.
    pub fn send_dtmf(&mut self, now: Instant, call: CallId, digits: &str) -> Result<(), CoreError> {
        let worker = self.guest_media_worker(call)?;
        let state = self.call_mut(call)?;
        let busy_until = state.keys_until.filter(|&until| until > now);
        let pending = busy_until.map_or(0, |until| keys_in(until - now));
        let keys =
            check_dtmf(digits, pending).map_err(|e| CoreError::InvalidArgument(e.to_string()))?;
        let start = busy_until.unwrap_or(now);
        state.keys_until = Some(start + KEY_CYCLE * keys as u32);
        self.media(MediaOp::SendDtmf {
            worker,
            leg: call.leg(),
            digits: digits.to_owned(),
        });
        Ok(())
    }
}

/// The keys, whole or begun, that take `time` to send. A key counts as
/// waiting for its whole 160 ms, though the worker is done with it 20 ms
/// early: that makes up for the worker starting it at its next tick.
fn keys_in(time: Duration) -> usize {
    time.as_nanos().div_ceil(KEY_CYCLE.as_nanos()) as usize
}
