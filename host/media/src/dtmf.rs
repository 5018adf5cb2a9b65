//! RFC 4733 telephone-event receiver: one digit per key press.

use thiserror::Error;

/// A telephone-event payload that cannot be read.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum DtmfError {
    /// The payload is shorter than the 4-byte event block of RFC 4733 §2.3.
    #[error("telephone-event payload of {0} bytes is shorter than 4")]
    TooShort(usize),
}

/// Turns the RFC 4733 packets of one RTP stream into key presses.
///
/// A sender marks every packet of one event with the same RTP timestamp (the event's start,
/// RFC 4733 §2.3.1) and repeats the final packet three times (§2.5.1.4), so a digit is reported
/// on the first packet carrying a newer timestamp than the last event, and never again for
/// that timestamp. Events other than the 16 DTMF keys (§3.2: flash, tones) are consumed silently.
#[derive(Clone, Copy, Debug, Default)]
pub struct DtmfReceiver {
    last: Option<(u32, u32)>,
}

impl DtmfReceiver {
    /// A receiver that has seen no event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one telephone-event payload sent by `ssrc` with RTP `timestamp`. Returns the key
    /// ('0'–'9', '*', '#', 'A'–'D') when the packet starts a new press, `None` for a repeat of a
    /// known event, an older event, or a non-DTMF event.
    pub fn receive(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<char>, DtmfError> {
        let Some(&event) = payload.first().filter(|_| payload.len() >= 4) else {
            return Err(DtmfError::TooShort(payload.len()));
        };
        let is_new = match self.last {
            Some((last_ssrc, last_ts)) if last_ssrc == ssrc => {
                // Wraparound-safe "later than" on 32-bit RTP timestamps.
                (timestamp.wrapping_sub(last_ts) as i32) > 0
            }
            _ => true,
        };
        if !is_new {
            return Ok(None);
        }
        self.last = Some((ssrc, timestamp));
        Ok(key(event))
    }
}

/// The 16 DTMF keys, each at its RFC 4733 event code (§3.2, Table 3: codes 0–15).
pub(crate) const KEYS: &[u8; 16] = b"0123456789*#ABCD";

// The key of an RFC 4733 event code, if it is a DTMF key's.
fn key(event: u8) -> Option<char> {
    KEYS.get(usize::from(event)).map(|&b| char::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: u8, end: bool, duration: u16) -> [u8; 4] {
        let [hi, lo] = duration.to_be_bytes();
        [code, if end { 0x80 | 10 } else { 10 }, hi, lo]
    }

    #[test]
    fn one_digit_per_press_despite_repeats() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.receive(9, 1000, &event(5, false, 160)), Ok(Some('5')));
        assert_eq!(rx.receive(9, 1000, &event(5, false, 320)), Ok(None));
        for _ in 0..3 {
            assert_eq!(rx.receive(9, 1000, &event(5, true, 800)), Ok(None));
        }
        // Same key again: a new event with a later timestamp.
        assert_eq!(rx.receive(9, 3000, &event(5, true, 800)), Ok(Some('5')));
        // A late repeat of the first press is not a new one.
        assert_eq!(rx.receive(9, 1000, &event(5, true, 800)), Ok(None));
        assert_eq!(rx.receive(9, 5000, &event(11, false, 160)), Ok(Some('#')));
        assert_eq!(rx.receive(9, 7000, &event(16, false, 160)), Ok(None));
    }

    #[test]
    fn timestamps_wrap_and_ssrc_changes_reset() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(
            rx.receive(1, u32::MAX - 10, &event(10, false, 0)),
            Ok(Some('*'))
        );
        assert_eq!(rx.receive(1, 150, &event(1, false, 0)), Ok(Some('1')));
        assert_eq!(rx.receive(2, 150, &event(1, false, 0)), Ok(Some('1')));
    }

    #[test]
    fn short_payload_is_an_error() {
        assert_eq!(
            DtmfReceiver::new().receive(1, 0, &[1, 2, 3]),
            Err(DtmfError::TooShort(3))
        );
    }
}
