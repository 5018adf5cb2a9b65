//! When a TCP connection has gone too long without progress: idle, stuck inside a message, or
//! reading no more (closed by its peer, or evicted) long enough ago. None of them runs while
//! the connection waits for its owner to take what was read. Sans-IO: the connection's task
//! reports what it read, framed and wrote, and when.

use std::time::{Duration, Instant};

/// Why a connection is closed for want of progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stall {
    /// Nothing was read or written for the idle timeout.
    Idle,
    /// A message began and was not complete within the message timeout.
    Message,
    /// An accepted connection carried no message within the message timeout of its opening:
    /// keepalives alone do not hold a place in the connection table.
    NoMessage,
    /// The connection reads no more (its peer closed its side, or it was evicted), and the
    /// message timeout has passed since the last message it read: the responses still owed
    /// to the peer had that long to be written.
    StoppedReading,
}

/// A connection's two deadlines. Every byte read or written moves the idle deadline; a
/// message must be complete within the message timeout of the read that brought its first
/// byte, and bytes of it arriving meanwhile do not move that deadline: otherwise a peer
/// sending one byte before each idle deadline would hold the connection for ever.
///
/// While the owner has not taken the messages read, the connection reads no more, so the
/// peer can neither finish a message nor keep the connection busy: the time spent waiting is
/// not held against it ([`Deadlines::owner_behind`]).
#[derive(Debug)]
pub(crate) struct Deadlines {
    idle_timeout: Duration,
    message_timeout: Duration,
    idle: Instant,
    last_read: Instant,
    /// A message was framed from the last read: whatever follows it began in that read.
    framed_since_read: bool,
    /// When the first byte of the message being read arrived, while one is.
    started: Option<Instant>,
    /// When an accepted connection that has carried no message yet must have framed one.
    first_message_by: Option<Instant>,
    /// When the read that brought the last message framed happened, if one was.
    last_framed: Option<Instant>,
    /// When a connection that reads no more is closed.
    closing: Option<Instant>,
    /// Since when the owner has not taken the messages read, while it has not.
    behind_since: Option<Instant>,
}

impl Deadlines {
    /// The deadlines of a connection opened at `now`, with nothing read yet.
    pub(crate) fn new(now: Instant, idle_timeout: Duration, message_timeout: Duration) -> Self {
        Self {
            idle_timeout,
            message_timeout,
            idle: now + idle_timeout,
            last_read: now,
            framed_since_read: false,
            started: None,
            first_message_by: None,
            last_framed: None,
            closing: None,
            behind_since: None,
        }
    }

    /// The deadlines of a connection accepted at `now`: as [`Deadlines::new`], and its first
    /// message must be framed within the message timeout.
    pub(crate) fn accepted(
        now: Instant,
        idle_timeout: Duration,
        message_timeout: Duration,
    ) -> Self {
        Self {
            first_message_by: Some(now + message_timeout),
            ..Self::new(now, idle_timeout, message_timeout)
        }
    }

    /// Bytes were read at `now` (and are to be framed next).
    pub(crate) fn read(&mut self, now: Instant) {
        self.used(now);
        self.last_read = now;
        self.framed_since_read = false;
    }

    /// A message was framed from what was read.
    pub(crate) fn framed(&mut self) {
        self.framed_since_read = true;
        self.first_message_by = None;
        self.last_framed = Some(self.last_read);
    }

    /// The connection reads no more from `now` (its peer closed its side, or it was
    /// evicted): no message is under way any more, and the connection stays for writing until
    /// the message timeout has passed since the last message read, at once if none was read
    /// within it.
    pub(crate) fn stopped_reading(&mut self, now: Instant) {
        self.started = None;
        self.first_message_by = None;
        let owed_until = self.last_framed.map(|at| at + self.message_timeout);
        self.closing = Some(owed_until.map_or(now, |until| until.max(now)));
    }

    /// What was read is framed as far as it goes; the framer holds part of a message if
    /// `mid_message`.
    pub(crate) fn settled(&mut self, mid_message: bool) {
        self.started = match self.started {
            _ if !mid_message => None,
            Some(started) if !self.framed_since_read => Some(started),
            _ => Some(self.last_read),
        };
    }

    /// The connection was used at `now`: bytes were read or written, or it idled until then
    /// and stays open. It may idle as long again from here.
    pub(crate) fn used(&mut self, now: Instant) {
        self.idle = now + self.idle_timeout;
    }

    /// Whether, at `now`, the owner has yet to take messages read from the connection. Once it
    /// has taken them all, the deadlines of the peer's messages move back by the time it took,
    /// and the connection may idle for the idle timeout from `now`: it was not idle, it held
    /// messages.
    pub(crate) fn owner_behind(&mut self, behind: bool, now: Instant) {
        match (self.behind_since, behind) {
            (None, true) => self.behind_since = Some(now),
            (Some(since), false) => {
                self.behind_since = None;
                let waited = now.saturating_duration_since(since);
                let deadlines = [
                    &mut self.started,
                    &mut self.first_message_by,
                    &mut self.last_framed,
                    &mut self.closing,
                ];
                for at in deadlines.into_iter().flatten() {
                    *at += waited;
                }
                self.used(now);
            }
            _ => {}
        }
    }

    /// The earliest deadline, and what it is for; none while the owner is behind
    /// ([`Deadlines::owner_behind`]).
    pub(crate) fn next(&self) -> Option<(Instant, Stall)> {
        if self.behind_since.is_some() {
            return None;
        }
        let next = match self.started {
            Some(started) if started + self.message_timeout < self.idle => {
                (started + self.message_timeout, Stall::Message)
            }
            _ => (self.idle, Stall::Idle),
        };
        let next = match self.first_message_by {
            Some(by) if by <= next.0 => (by, Stall::NoMessage),
            _ => next,
        };
        match self.closing {
            Some(at) if at <= next.0 => Some((at, Stall::StoppedReading)),
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(180);
    const MESSAGE: Duration = Duration::from_secs(32);

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn keepalives_and_writes_move_only_the_idle_deadline() {
        let start = Instant::now();
        let mut deadlines = Deadlines::new(start, IDLE, MESSAGE);
        assert_eq!(deadlines.next(), Some((at(start, 180), Stall::Idle)));
        deadlines.read(at(start, 100));
        deadlines.settled(false);
        assert_eq!(deadlines.next(), Some((at(start, 280), Stall::Idle)));
        deadlines.used(at(start, 200));
        assert_eq!(deadlines.next(), Some((at(start, 380), Stall::Idle)));
    }

    #[test]
    fn a_trickled_message_must_end_within_the_message_timeout_of_its_first_byte() {
        let start = Instant::now();
        let mut deadlines = Deadlines::new(start, IDLE, MESSAGE);
        deadlines.read(at(start, 10));
        deadlines.settled(true);
        assert_eq!(deadlines.next(), Some((at(start, 42), Stall::Message)));
        for secs in 11..40 {
            deadlines.read(at(start, secs));
            deadlines.settled(true);
            deadlines.used(at(start, secs));
        }
        assert_eq!(
            deadlines.next(),
            Some((at(start, 42), Stall::Message)),
            "later bytes do not extend it"
        );
        deadlines.read(at(start, 40));
        deadlines.framed();
        deadlines.settled(false);
        assert_eq!(
            deadlines.next(),
            Some((at(start, 220), Stall::Idle)),
            "only the idle deadline once it is framed"
        );
    }

    #[test]
    fn the_next_message_in_the_same_read_starts_its_own_deadline() {
        let start = Instant::now();
        let mut deadlines = Deadlines::new(start, IDLE, MESSAGE);
        deadlines.read(at(start, 1));
        deadlines.settled(true);
        deadlines.read(at(start, 20));
        deadlines.framed();
        deadlines.settled(true);
        assert_eq!(deadlines.next(), Some((at(start, 52), Stall::Message)));
        deadlines.read(at(start, 30));
        deadlines.framed();
        deadlines.settled(false);
        assert_eq!(deadlines.next(), Some((at(start, 210), Stall::Idle)));
    }

    #[test]
    fn an_accepted_connection_must_carry_a_message_however_many_keepalives_it_sends() {
        let start = Instant::now();
        let mut deadlines = Deadlines::accepted(start, IDLE, MESSAGE);
        assert_eq!(deadlines.next(), Some((at(start, 32), Stall::NoMessage)));
        // Pings: bytes read, nothing framed.
        for secs in [10, 20, 30] {
            deadlines.read(at(start, secs));
            deadlines.settled(false);
        }
        assert_eq!(deadlines.next(), Some((at(start, 32), Stall::NoMessage)));
        deadlines.read(at(start, 31));
        deadlines.framed();
        deadlines.settled(false);
        assert_eq!(deadlines.next(), Some((at(start, 211), Stall::Idle)));
        // One opened here writes first: it has no such deadline.
        let opened = Deadlines::new(start, IDLE, MESSAGE);
        assert_eq!(opened.next(), Some((at(start, 180), Stall::Idle)));
    }

    #[test]
    fn a_peer_that_closed_is_written_to_for_the_message_timeout_after_its_last_message() {
        let start = Instant::now();
        let mut deadlines = Deadlines::accepted(start, IDLE, MESSAGE);
        deadlines.read(at(start, 10));
        deadlines.framed();
        deadlines.settled(true);
        deadlines.read(at(start, 20));
        deadlines.settled(true);
        deadlines.stopped_reading(at(start, 20));
        assert_eq!(
            deadlines.next(),
            Some((at(start, 42), Stall::StoppedReading)),
            "the half message read meanwhile has no deadline of its own"
        );
        deadlines.used(at(start, 30));
        assert_eq!(
            deadlines.next(),
            Some((at(start, 42), Stall::StoppedReading)),
            "writes do not extend it"
        );
        let mut silent = Deadlines::accepted(start, IDLE, MESSAGE);
        silent.read(at(start, 10));
        silent.settled(false);
        silent.stopped_reading(at(start, 10));
        assert_eq!(
            silent.next(),
            Some((at(start, 10), Stall::StoppedReading)),
            "none owed: at once"
        );
        let mut long_ago = Deadlines::new(start, IDLE, MESSAGE);
        long_ago.read(at(start, 1));
        long_ago.framed();
        long_ago.settled(false);
        long_ago.stopped_reading(at(start, 100));
        assert_eq!(
            long_ago.next(),
            Some((at(start, 100), Stall::StoppedReading))
        );
    }

    #[test]
    fn a_message_timeout_beyond_the_idle_deadline_leaves_the_idle_one() {
        let start = Instant::now();
        let mut deadlines = Deadlines::new(start, Duration::from_secs(5), MESSAGE);
        deadlines.read(start);
        deadlines.settled(true);
        assert_eq!(deadlines.next(), Some((at(start, 5), Stall::Idle)));
    }

    #[test]
    fn no_deadline_runs_while_the_owner_is_behind_and_none_counts_the_wait() {
        let start = Instant::now();
        let mut deadlines = Deadlines::accepted(start, IDLE, MESSAGE);
        deadlines.read(at(start, 10));
        deadlines.framed();
        deadlines.settled(true);
        assert_eq!(deadlines.next(), Some((at(start, 42), Stall::Message)));
        deadlines.owner_behind(true, at(start, 10));
        deadlines.used(at(start, 20));
        deadlines.owner_behind(true, at(start, 400));
        assert_eq!(deadlines.next(), None, "neither the message nor idling");
        deadlines.owner_behind(false, at(start, 500));
        assert_eq!(
            deadlines.next(),
            Some((at(start, 532), Stall::Message)),
            "the half message read has its whole timeout left"
        );
        deadlines.read(at(start, 510));
        deadlines.framed();
        deadlines.settled(false);
        assert_eq!(deadlines.next(), Some((at(start, 690), Stall::Idle)));
        let mut idle = Deadlines::new(start, IDLE, MESSAGE);
        idle.read(at(start, 10));
        idle.framed();
        idle.settled(false);
        idle.owner_behind(true, at(start, 10));
        idle.owner_behind(false, at(start, 1000));
        assert_eq!(
            idle.next(),
            Some((at(start, 1180), Stall::Idle)),
            "idle only from when the owner took its messages"
        );
        idle.stopped_reading(at(start, 1010));
        assert_eq!(
            idle.next(),
            Some((at(start, 1032), Stall::StoppedReading)),
            "the message timeout for its responses from when the owner took the message"
        );
    }
}
