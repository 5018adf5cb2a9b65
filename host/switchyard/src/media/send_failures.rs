//! The RTP and RTCP packets the media workers made but could not send, counted by cause and
//! logged at most once per cause every [`LogThrottle::INTERVAL`]: a peer that hears nothing
//! (one-way audio) shows in the metrics and the log, not only in its own complaints.

use std::fmt::Display;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use switchyard_guest::LogThrottle;
use switchyard_media::LegId;

/// Why a packet was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendFailure {
    /// Refused by this host: a firewall rule (`EPERM`) or a broadcast address (`EACCES`). The
    /// sockets are not connected and ask for no ICMP errors (no `IP_RECVERR`), so Linux keeps
    /// a peer's port unreachable from them: it is never counted.
    Refused,
    /// No route to the destination here, or one that rejects it (`ENETUNREACH`,
    /// `EHOSTUNREACH`), the interface down (`ENETDOWN`, `EHOSTDOWN`), or no local address to
    /// send from (`EADDRNOTAVAIL`).
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
#[derive(Debug, Default)]
pub(crate) struct SendFailures {
    counts: [AtomicU64; SendFailure::ALL.len()],
    /// The log lines, one kind per cause.
    logged: LogThrottle,
}

impl SendFailures {
    /// Counts a packet of `leg` to `destination` not sent for `cause`, described by `what`;
    /// logs it as a warning as [`LogThrottle`] lets a line of its cause through.
    pub(crate) fn record(
        &self,
        cause: SendFailure,
        leg: LegId,
        destination: SocketAddr,
        what: &dyn Display,
    ) {
        let count = self.counts[cause as usize].fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(admitted) = self.logged.admit(cause.label(), Instant::now()) {
            tracing::warn!(
                cause = cause.label(),
                ?leg,
                %destination,
                count,
                "an RTP or RTCP packet was not sent ({what}): its peer does not hear it{admitted}"
            );
        }
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
}
