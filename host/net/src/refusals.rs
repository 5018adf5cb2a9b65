//! What connection tasks refuse on their own, a message that breaks their stream's framing:
//! the responses they write, and the messages they drop unanswered that a datagram like them
//! would be counted dropped for, counted until [`SipSockets::recv`] reports them.
//!
//! [`SipSockets::recv`]: crate::SipSockets::recv

use std::sync::atomic::{AtomicU64, Ordering};

use switchyard_sip::FramingError;
use tokio::sync::Notify;

/// Framing refusals since they were last taken. Counters rather than a queue: however many
/// connections refuse at once, none is lost and nothing grows.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    bad_requests: AtomicU64,
    too_large: AtomicU64,
    dropped_unroutable: AtomicU64,
    dropped_too_large: AtomicU64,
    counted: Notify,
}

/// The framing refusals taken at once ([`Refusals::take`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The `400 Bad Request` responses written.
    pub(crate) bad_requests: u64,
    /// The `513 Message Too Large` responses written.
    pub(crate) too_large: u64,
    /// The requests, ACKs included, dropped unanswered within the size limit as no response
    /// can be sent to them.
    pub(crate) dropped_unroutable: u64,
    /// The messages dropped unanswered that were over the size limit, responses included.
    pub(crate) dropped_too_large: u64,
}

impl Refusals {
    /// Counts the response to the message that broke the framing with `error`, written:
    /// `513 Message Too Large` for one too large, else `400 Bad Request`.
    pub(crate) fn count_answered(&self, error: &FramingError) {
        let counter = if error.is_too_large() {
            &self.too_large
        } else {
            &self.bad_requests
        };
        self.add(counter);
    }

    /// Counts the message that broke the framing with `error`, left unanswered, if a datagram
    /// like it would be counted dropped ([`FramingError::is_dropped`]): among those too large
    /// if it is, as the endpoint splits such datagrams, else among the requests without a
    /// route back.
    pub(crate) fn count_unanswered(&self, error: &FramingError) {
        if !error.is_dropped() {
            return;
        }
        let counter = if error.is_too_large() {
            &self.dropped_too_large
        } else {
            &self.dropped_unroutable
        };
        self.add(counter);
    }

    /// Waits until some are counted, then takes them. Cancel-safe: what is counted stays
    /// until taken.
    pub(crate) async fn take(&self) -> Taken {
        loop {
            self.counted.notified().await;
            // A count may land before the wake-up of an earlier one is taken, and so be taken
            // with it: that wake-up then finds nothing.
            let taken = Taken {
                bad_requests: self.bad_requests.swap(0, Ordering::Relaxed),
                too_large: self.too_large.swap(0, Ordering::Relaxed),
                dropped_unroutable: self.dropped_unroutable.swap(0, Ordering::Relaxed),
                dropped_too_large: self.dropped_too_large.swap(0, Ordering::Relaxed),
            };
            if taken != Taken::default() {
                return taken;
            }
        }
    }

    fn add(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        self.counted.notify_one();
    }
}
