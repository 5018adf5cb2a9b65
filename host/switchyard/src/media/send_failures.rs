//! The RTP and RTCP packets the media workers made but could not send, counted by cause and
//! logged at most once per cause every [`LOG_INTERVAL`]: a peer that hears nothing (one-way
//! audio) shows in the metrics and the log, not only in its own complaints.

use std::fmt::Display;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchyard_media::LegId;

/// The least time between two log lines of one cause.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Why a packet was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendFailure {
    /// Refused: by the peer's host (an ICMP port unreachable reported on the socket), or by
    /// this one (a firewall rule, a broadcast address).
    Refused,
    /// No route to the destination, or its network or host is down.
    Unreachable,
    /// The socket's or the system's buffers were full.
    NoBuffer,
    /// As many sends were in flight to the kernel as a worker allows.
    QueueFull,
    /// The leg had no socket to send from (it had left the worker).
    NoSocket,
    /// Any other error.
    Other,
}

impl SendFailure {
    /// Every cause, in the order of [`SendFailures::counts`].
    pub(crate) const ALL: [SendFailure; 6] = [
        SendFailure::Refused,
        SendFailure::Unreachable,
        SendFailure::NoBuffer,
        SendFailure::QueueFull,
        SendFailure::NoSocket,
        SendFailure::Other,
    ];

    /// The cause's metric label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            SendFailure::Refused => "refused",
            SendFailure::Unreachable => "unreachable",
            SendFailure::NoBuffer => "no_buffer",
            SendFailure::QueueFull => "queue_full",
            SendFailure::NoSocket => "no_socket",
            SendFailure::Other => "other",
        }
    }

    /// The cause of a send that failed with `error`.
    pub(crate) fn of(error: &io::Error) -> SendFailure {
        match error.raw_os_error() {
            Some(libc::ECONNREFUSED | libc::EPERM | libc::EACCES) => SendFailure::Refused,
            Some(
                libc::ENETUNREACH
                | libc::EHOSTUNREACH
                | libc::ENETDOWN
                | libc::EHOSTDOWN
                | libc::EADDRNOTAVAIL,
            ) => SendFailure::Unreachable,
            Some(libc::ENOBUFS | libc::EAGAIN | libc::ENOMEM) => SendFailure::NoBuffer,
            _ => SendFailure::Other,
        }
    }
}

/// The failed sends of every worker, by cause.
#[derive(Debug)]
pub(crate) struct SendFailures {
    counts: [AtomicU64; SendFailure::ALL.len()],
    /// For each cause, when its next line may be logged, in milliseconds since `start`.
    next_log: [AtomicU64; SendFailure::ALL.len()],
    start: Instant,
}

impl Default for SendFailures {
    fn default() -> Self {
        SendFailures {
            counts: Default::default(),
            next_log: Default::default(),
            start: Instant::now(),
        }
    }
}

impl SendFailures {
    /// Counts a packet of `leg` to `destination` not sent for `cause`, described by `what`;
    /// logs it as a warning unless a line of that cause was logged within [`LOG_INTERVAL`].
    pub(crate) fn record(
        &self,
        cause: SendFailure,
        leg: LegId,
        destination: SocketAddr,
        what: &dyn Display,
    ) {
        let count = self.counts[cause as usize].fetch_add(1, Ordering::Relaxed) + 1;
        if self.log_due(cause) {
            tracing::warn!(
                cause = cause.label(),
                ?leg,
                %destination,
                count,
                "an RTP or RTCP packet was not sent ({what}): its peer does not hear it; \
                 at most one such line per cause every {}s",
                LOG_INTERVAL.as_secs()
            );
        }
    }

    /// Whether a line of `cause` may be logged now; if so, the next may be once
    /// [`LOG_INTERVAL`] has passed. Of workers asking at once, one is told yes.
    fn log_due(&self, cause: SendFailure) -> bool {
        let next_log = &self.next_log[cause as usize];
        let now = self.start.elapsed().as_millis() as u64;
        let due = next_log.load(Ordering::Relaxed);
        let next = now + LOG_INTERVAL.as_millis() as u64;
        now >= due
            && next_log
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// The packets not sent for `cause` so far.
    pub(crate) fn count(&self, cause: SendFailure) -> u64 {
        self.counts[cause as usize].load(Ordering::Relaxed)
    }

    /// Each cause's label with its count, in the order of [`SendFailure::ALL`].
    pub(crate) fn counts(&self) -> [(&'static str, u64); SendFailure::ALL.len()] {
        SendFailure::ALL.map(|cause| (cause.label(), self.count(cause)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_of_a_send_has_its_cause() {
        for (errno, cause) in [
            (libc::ECONNREFUSED, SendFailure::Refused),
            (libc::EPERM, SendFailure::Refused),
            (libc::EACCES, SendFailure::Refused),
            (libc::ENETUNREACH, SendFailure::Unreachable),
            (libc::EHOSTUNREACH, SendFailure::Unreachable),
            (libc::EADDRNOTAVAIL, SendFailure::Unreachable),
            (libc::ENOBUFS, SendFailure::NoBuffer),
            (libc::EAGAIN, SendFailure::NoBuffer),
            (libc::EINVAL, SendFailure::Other),
        ] {
            let error = io::Error::from_raw_os_error(errno);
            assert_eq!(SendFailure::of(&error), cause, "{error}");
        }
        assert_eq!(
            SendFailure::of(&io::Error::other("no errno")),
            SendFailure::Other
        );
    }

    #[test]
    fn failures_are_counted_by_cause_and_each_label_is_listed() {
        let failures = SendFailures::default();
        let to = SocketAddr::from(([192, 0, 2, 1], 9));
        for _ in 0..3 {
            failures.record(SendFailure::NoBuffer, LegId(1), to, &"full");
        }
        failures.record(SendFailure::Refused, LegId(2), to, &"refused");
        assert_eq!(
            failures.counts(),
            [
                ("refused", 1),
                ("unreachable", 0),
                ("no_buffer", 3),
                ("queue_full", 0),
                ("no_socket", 0),
                ("other", 0),
            ]
        );
    }

    #[test]
    fn each_cause_is_logged_at_most_once_an_interval() {
        let failures = SendFailures::default();
        assert!(failures.log_due(SendFailure::NoBuffer), "the first at once");
        assert!(!failures.log_due(SendFailure::NoBuffer));
        assert!(failures.log_due(SendFailure::Refused), "each cause its own");
        failures.next_log[SendFailure::NoBuffer as usize].store(0, Ordering::Relaxed);
        assert!(
            failures.log_due(SendFailure::NoBuffer),
            "once the interval is over"
        );
    }
}
