//! When the kernel took a datagram off the wire (`SO_TIMESTAMPNS`), read from the control data
//! of a multishot receive and put on the monotonic clock the worker runs on. A worker reads its
//! sockets once a tick; without these stamps every packet of a tick would seem to arrive at
//! the tick, and the jitter its RTCP reports would be that of the ticks, not of the network.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One `cmsghdr`: its length (a `size_t`), level and type (`int`s).
const HEADER_LEN: usize = size_of::<libc::cmsghdr>();
/// A `timespec`: seconds and nanoseconds, each 64 bits on the 64-bit Linux this runs on.
const TIMESPEC_LEN: usize = size_of::<libc::timespec>();
const _: () = assert!(TIMESPEC_LEN == 16 && HEADER_LEN == 16);
/// The oldest receive time believed (see [`ClockPair::instant_of`]).
const MAX_AGE: Duration = Duration::from_secs(1);
/// Room for one `SCM_TIMESTAMPNS` control message (`CMSG_SPACE` of a `timespec`).
pub(super) const CONTROL_LEN: usize = HEADER_LEN + TIMESPEC_LEN;

/// The wallclock and the monotonic clock read together, to put the kernel's wallclock stamps
/// on the monotonic clock.
#[derive(Clone, Copy, Debug)]
pub(super) struct ClockPair {
    monotonic: Instant,
    wall: SystemTime,
}

impl ClockPair {
    /// Both clocks now.
    pub(super) fn now() -> ClockPair {
        ClockPair {
            monotonic: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The instant of wallclock time `stamp`: as long before the pair's monotonic reading as
    /// `stamp` is before its wallclock reading, never after it (a stamp ahead of the wallclock
    /// is the clock set back). `None` for a stamp more than [`MAX_AGE`] old: a packet waits a
    /// tick or so to be read, and an older stamp is the clock set forward.
    pub(super) fn instant_of(&self, stamp: SystemTime) -> Option<Instant> {
        let age = self.wall.duration_since(stamp).unwrap_or_default();
        if age > MAX_AGE {
            return None;
        }
        Some(self.monotonic.checked_sub(age).unwrap_or(self.monotonic))
    }
}

/// The kernel's receive time in `control`, the control data of a received datagram; `None`
/// unless it holds a whole `SCM_TIMESTAMPNS` message.
pub(super) fn received_at(control: &[u8]) -> Option<SystemTime> {
    let mut rest = control;
    while rest.len() >= HEADER_LEN {
        let len = usize::from_ne_bytes(rest[..8].try_into().ok()?);
        let level = i32::from_ne_bytes(rest[8..12].try_into().ok()?);
        let kind = i32::from_ne_bytes(rest[12..16].try_into().ok()?);
        if len < HEADER_LEN || len > rest.len() {
            return None;
        }
        if level == libc::SOL_SOCKET && kind == libc::SCM_TIMESTAMPNS && len >= CONTROL_LEN {
            let seconds = i64::from_ne_bytes(rest[HEADER_LEN..HEADER_LEN + 8].try_into().ok()?);
            let nanos = i64::from_ne_bytes(rest[HEADER_LEN + 8..CONTROL_LEN].try_into().ok()?);
            let since_epoch = Duration::new(
                u64::try_from(seconds).ok()?,
                u32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000)?,
            );
            return UNIX_EPOCH.checked_add(since_epoch);
        }
        // The next message starts at the next multiple of a `size_t` (CMSG_ALIGN).
        rest = rest.get(len.next_multiple_of(size_of::<usize>())..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(level: i32, kind: i32, payload: &[u8]) -> Vec<u8> {
        let len = HEADER_LEN + payload.len();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&len.to_ne_bytes());
        bytes.extend_from_slice(&level.to_ne_bytes());
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(payload);
        bytes.resize(len.next_multiple_of(8), 0);
        bytes
    }

    fn timespec(seconds: i64, nanos: i64) -> Vec<u8> {
        [seconds.to_ne_bytes(), nanos.to_ne_bytes()].concat()
    }

    #[test]
    fn the_timestamp_is_read_from_its_control_message() {
        let stamp = message(
            libc::SOL_SOCKET,
            libc::SCM_TIMESTAMPNS,
            &timespec(1_800_000_000, 5),
        );
        assert_eq!(stamp.len(), CONTROL_LEN);
        let expected = UNIX_EPOCH + Duration::new(1_800_000_000, 5);
        assert_eq!(received_at(&stamp), Some(expected));
        // After another message.
        let other = message(libc::IPPROTO_IP, libc::IP_TOS, &[0x10]);
        assert_eq!(
            received_at(&[other, stamp.clone()].concat()),
            Some(expected)
        );
        // None, or not whole, or nonsense.
        assert_eq!(received_at(&[]), None);
        assert_eq!(received_at(&stamp[..20]), None);
        let bad_nanos = message(
            libc::SOL_SOCKET,
            libc::SCM_TIMESTAMPNS,
            &timespec(1, 2_000_000_000),
        );
        assert_eq!(received_at(&bad_nanos), None);
        let before_1970 = message(libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS, &timespec(-1, 0));
        assert_eq!(received_at(&before_1970), None);
    }

    #[test]
    fn a_wallclock_stamp_lands_as_far_back_on_the_monotonic_clock() {
        let pair = ClockPair::now();
        let ago = Duration::from_millis(15);
        assert_eq!(pair.instant_of(pair.wall - ago), Some(pair.monotonic - ago));
        // A stamp ahead of the wallclock (the clock was set back) is now.
        assert_eq!(pair.instant_of(pair.wall + ago), Some(pair.monotonic));
        // One far behind it (the clock was set forward) is not believed.
        assert_eq!(pair.instant_of(pair.wall - Duration::from_secs(30)), None);
    }
}
