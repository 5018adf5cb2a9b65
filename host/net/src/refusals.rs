//! The responses connection tasks write on their own, refusing a message that breaks their
//! stream's framing: counted as they are written, until [`SipSockets::recv`] reports them.
//!
//! [`SipSockets::recv`]: crate::SipSockets::recv

use std::sync::atomic::{AtomicU64, Ordering};

use switchyard_sip::FramingError;
use tokio::sync::Notify;

/// Framing refusals written since they were last taken. Counters rather than a queue: however
/// many connections refuse at once, none is lost and nothing grows.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    bad_requests: AtomicU64,
    too_large: AtomicU64,
    counted: Notify,
}

impl Refusals {
    /// Counts the response to the message that broke the framing with `error`, written:
    /// `513 Message Too Large` for one too large, else `400 Bad Request`.
    pub(crate) fn count(&self, error: &FramingError) {
        let counter = match error {
            FramingError::MessageTooLarge { .. } => &self.too_large,
            _ => &self.bad_requests,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.counted.notify_one();
    }

    /// Waits until some are counted, then takes them: the 400s and the 513s. Cancel-safe:
    /// what is counted stays until taken.
    pub(crate) async fn take(&self) -> (u64, u64) {
        loop {
            self.counted.notified().await;
            // A count may land before the wake-up of an earlier one is taken, and so be taken
            // with it: that wake-up then finds nothing.
            let taken = (
                self.bad_requests.swap(0, Ordering::Relaxed),
                self.too_large.swap(0, Ordering::Relaxed),
            );
            if taken != (0, 0) {
                return taken;
            }
        }
    }
}
