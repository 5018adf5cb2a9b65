//! RFC 3261 timers as data: which timers exist, how long each runs, and a small set of armed
//! timers that a state machine owns.
//!
//! [`Timer::duration`] gives the values for UDP; [`Timer::duration_over`] those for a given
//! transport, where a reliable one sets Timers D, I, J and K to zero.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::transport::Transport;

/// T1, the round-trip time estimate (RFC 3261 §17.1.1.1 and Table 4: 500 ms default).
pub const T1: Duration = Duration::from_millis(500);
/// T2, the maximum retransmit interval for non-INVITE requests and INVITE responses
/// (RFC 3261 §17.1.2.2 and Table 4: 4 s).
pub const T2: Duration = Duration::from_secs(4);
/// T4, the maximum duration a message remains in the network (RFC 3261 §17.1.2.2 and Table 4:
/// 5 s).
pub const T4: Duration = Duration::from_secs(5);

/// A timer the endpoint runs. Letters are those of RFC 3261 Table 4 (Appendix A); the last
/// four are the INVITE server's 200 ms of §17.2.1 and the UAS core's timers of §13.3.1.4 and
/// §13.3.1.1, which the RFC leaves unnamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client request retransmission (§17.1.1.2): T1, doubling without cap.
    A,
    /// INVITE client transaction timeout (§17.1.1.2): 64*T1.
    B,
    /// INVITE client wait for final-response retransmissions (§17.1.1.2): 32 s over UDP.
    D,
    /// Non-INVITE client request retransmission (§17.1.2.2): T1, doubling up to T2.
    E,
    /// Non-INVITE client transaction timeout (§17.1.2.2): 64*T1.
    F,
    /// INVITE server final-response retransmission (§17.2.1): T1, doubling up to T2.
    G,
    /// INVITE server wait for ACK (§17.2.1): 64*T1.
    H,
    /// INVITE server wait for ACK retransmissions (§17.2.1): T4 over UDP.
    I,
    /// Non-INVITE server wait for request retransmissions (§17.2.2): 64*T1 over UDP.
    J,
    /// Non-INVITE client wait for response retransmissions (§17.1.2.2): T4 over UDP.
    K,
    /// INVITE server "Accepted" state lifetime after a 2xx (RFC 6026 §8.7): 64*T1.
    L,
    /// INVITE client "Accepted" state lifetime after a 2xx (RFC 6026 §8.4): 64*T1.
    M,
    /// INVITE server 100 (Trying) for an INVITE the TU has not answered (§17.2.1): 200 ms.
    Trying,
    /// UAS core 2xx retransmission until the ACK arrives (§13.3.1.4): T1, doubling up to T2.
    Retransmit2xx,
    /// UAS core gives up waiting for the ACK of its 2xx (§13.3.1.4): 64*T1.
    AckTimeout,
    /// UAS core repeats its provisional response while the INVITE waits for its final one
    /// (§13.3.1.1: "at every minute", lest a proxy's INVITE timer cancel the call): 60 s.
    RepeatProvisional,
}

impl Timer {
    /// The duration the timer is first armed with (RFC 3261 Table 4, UDP values).
    pub const fn duration(self) -> Duration {
        match self {
            Timer::A | Timer::E | Timer::G | Timer::Retransmit2xx => T1,
            Timer::B | Timer::F | Timer::H | Timer::J | Timer::L | Timer::M | Timer::AckTimeout => {
                T1.saturating_mul(64)
            }
            Timer::D => Duration::from_secs(32),
            Timer::I | Timer::K => T4,
            Timer::RepeatProvisional => Duration::from_secs(60),
            Timer::Trying => Duration::from_millis(200),
        }
    }

    /// The duration the timer is armed with over `transport`: zero for Timers D, I, J and K
    /// over a reliable transport (Table 4), [`Timer::duration`] otherwise.
    pub fn duration_over(self, transport: Transport) -> Duration {
        match self {
            Timer::D | Timer::I | Timer::J | Timer::K if transport.is_reliable() => Duration::ZERO,
            _ => self.duration(),
        }
    }
}

/// The next retransmission interval after one of `current`: doubled, capped at T2
/// (§17.1.2.2 for Timer E, §17.2.1 for Timer G, §13.3.1.4 for 2xx retransmissions).
pub fn backoff(current: Duration) -> Duration {
    current.saturating_mul(2).min(T2)
}

/// The timers one state machine has armed, each at most once.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    armed: Vec<(Timer, Instant)>,
}

impl Timers {
    /// Arms `timer` to fire at `at`, replacing an earlier arming of the same timer.
    pub(crate) fn arm(&mut self, timer: Timer, at: Instant) {
        self.cancel(timer);
        self.armed.push((timer, at));
    }

    /// Disarms `timer` if it is armed.
    pub(crate) fn cancel(&mut self, timer: Timer) {
        self.armed.retain(|(t, _)| *t != timer);
    }

    /// Disarms every timer.
    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    /// The earliest deadline of all armed timers.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.armed.iter().map(|(_, at)| *at).min()
    }

    /// Disarms and returns the earliest timer due at `now`, if any.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (index, _) = self
            .armed
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| *at <= now)
            .min_by_key(|(_, (_, at))| *at)?;
        Some(self.armed.swap_remove(index).0)
    }
}

/// The next deadline of each of many state machines ("owners"), ordered by time.
#[derive(Debug)]
pub(crate) struct Schedule<K> {
    by_time: BTreeSet<(Instant, K)>,
    by_owner: HashMap<K, Instant>,
}

impl<K> Default for Schedule<K> {
    fn default() -> Self {
        Self {
            by_time: BTreeSet::new(),
            by_owner: HashMap::new(),
        }
    }
}

impl<K: Copy + Ord + Hash> Schedule<K> {
    /// Records `owner`'s next deadline, replacing the previous one; `None` forgets the owner.
    pub(crate) fn set(&mut self, owner: K, deadline: Option<Instant>) {
        if let Some(old) = self.by_owner.remove(&owner) {
            self.by_time.remove(&(old, owner));
        }
        if let Some(at) = deadline {
            self.by_owner.insert(owner, at);
            self.by_time.insert((at, owner));
        }
    }

    /// The earliest deadline of any owner.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|(at, _)| *at)
    }

    /// Removes and returns an owner whose deadline is due at `now`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<K> {
        let &(at, owner) = self.by_time.first()?;
        if at > now {
            return None;
        }
        self.by_time.remove(&(at, owner));
        self.by_owner.remove(&owner);
        Some(owner)
    }
}

/// The fixed base of virtual time in unit tests: the crate's only clock reading, once per
/// test binary.
#[cfg(test)]
pub(crate) fn test_epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_rfc3261_table_4() {
        let ms = |t: Timer| t.duration().as_millis();
        assert_eq!(ms(Timer::A), 500);
        assert_eq!(ms(Timer::B), 32_000);
        assert_eq!(ms(Timer::D), 32_000);
        assert_eq!(ms(Timer::M), 32_000);
        assert_eq!(ms(Timer::E), 500);
        assert_eq!(ms(Timer::F), 32_000);
        assert_eq!(ms(Timer::G), 500);
        assert_eq!(ms(Timer::H), 32_000);
        assert_eq!(ms(Timer::I), 5_000);
        assert_eq!(ms(Timer::J), 32_000);
        assert_eq!(ms(Timer::K), 5_000);
        assert_eq!(ms(Timer::L), 32_000);
        assert_eq!(ms(Timer::Retransmit2xx), 500);
        assert_eq!(ms(Timer::AckTimeout), 32_000);
    }

    #[test]
    fn reliable_transports_zero_timers_d_i_j_and_k_only() {
        for timer in [Timer::D, Timer::I, Timer::J, Timer::K] {
            assert_eq!(timer.duration_over(Transport::Tcp), Duration::ZERO);
            assert_eq!(timer.duration_over(Transport::Udp), timer.duration());
        }
        for timer in [Timer::B, Timer::F, Timer::H, Timer::L, Timer::M] {
            assert_eq!(timer.duration_over(Transport::Tcp), timer.duration());
        }
    }

    #[test]
    fn backoff_doubles_up_to_t2() {
        let mut interval = T1;
        let mut seen = vec![interval.as_millis()];
        for _ in 0..5 {
            interval = backoff(interval);
            seen.push(interval.as_millis());
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 4000, 4000]);
    }

    #[test]
    fn timers_pop_in_deadline_order_and_rearm_replaces() {
        let t0 = test_epoch();
        let mut timers = Timers::default();
        timers.arm(Timer::H, t0 + Duration::from_secs(32));
        timers.arm(Timer::G, t0 + Duration::from_secs(1));
        timers.arm(Timer::G, t0 + Duration::from_millis(500));
        assert_eq!(
            timers.next_deadline(),
            Some(t0 + Duration::from_millis(500))
        );
        assert_eq!(timers.pop_expired(t0), None);
        assert_eq!(
            timers.pop_expired(t0 + Duration::from_secs(40)),
            Some(Timer::G)
        );
        assert_eq!(
            timers.pop_expired(t0 + Duration::from_secs(40)),
            Some(Timer::H)
        );
        assert_eq!(timers.pop_expired(t0 + Duration::from_secs(40)), None);
        timers.arm(Timer::I, t0);
        timers.cancel(Timer::I);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn schedule_orders_owners_and_replaces_deadlines() {
        let t0 = test_epoch();
        let s = |ms| t0 + Duration::from_millis(ms);
        let mut schedule = Schedule::default();
        schedule.set(1u32, Some(s(300)));
        schedule.set(2, Some(s(100)));
        schedule.set(3, Some(s(200)));
        schedule.set(2, Some(s(400)));
        schedule.set(3, None);
        assert_eq!(schedule.next(), Some(s(300)));
        assert_eq!(schedule.pop_due(s(250)), None);
        assert_eq!(schedule.pop_due(s(500)), Some(1));
        assert_eq!(schedule.pop_due(s(500)), Some(2));
        assert_eq!(schedule.pop_due(s(500)), None);
        assert_eq!(schedule.next(), None);
    }
}
