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
/// A sender stamps every packet of one event with the same RTP timestamp (the event's start,
/// RFC 4733 §2.3.1) and repeats the final packet three times (§2.5.1.4), so a digit is reported
/// on the first packet carrying a newer timestamp than the last event, and never again for
/// that timestamp, unless the sender stamps consecutive keys alike (some gateways do). Then the
/// marker bit, set on the first packet of each event (§2.5.1.2), tells a new press: a marked
/// packet after the last event ended, or a marked packet of another key when the last event's
/// end was lost. Once the last press began with a marked packet, unmarked packets stamped
/// alike are repeats or late packets of earlier presses; from a sender that marks nothing,
/// another key after the end of the last is a new press. An event too long for the 16-bit
/// duration goes on in a new segment, stamped where the last one's duration ended (§2.5.1.3):
/// the same press, not reported again. An older timestamp is a late packet of an earlier
/// event, unless it is so much older that the stream's clock has simply run on past half its
/// range since the last event, or the stream was [`rebased`](Self::rebase) onto a new
/// timeline since. Events other than the 16 DTMF keys (§3.2: flash, tones) are consumed
/// silently.
#[derive(Clone, Copy, Debug)]
pub struct DtmfReceiver {
    last: Option<LastEvent>,
    /// The stream's timestamps may have started again from elsewhere since `last`.
    rebased: bool,
    /// How far after the last segment's timestamp the next segment of one event may be
    /// stamped (see [`set_clock_rates`](Self::set_clock_rates)).
    segment_step: i32,
}

impl Default for DtmfReceiver {
    fn default() -> Self {
        Self::new()
    }
}

/// The latest event of a stream, as its packets have told it so far.
#[derive(Clone, Copy, Debug)]
struct LastEvent {
    ssrc: u32,
    timestamp: u32,
    code: u8,
    /// The longest duration reported for it.
    duration: u16,
    /// Its end bit was seen.
    ended: bool,
    /// Its first packet, the one with the marker bit set (RFC 4733 §2.5.1.2), was seen.
    marked: bool,
}

/// How far short of the 16-bit maximum a segment's last duration seen may be for the next
/// segment to continue it: three 20 ms packets at 48 kHz, in case its last packets were lost.
const SEGMENT_SLACK: u16 = 2880;

/// How much older than the last event a timestamp may be and still be a late packet of an
/// earlier one: 2^24 clock units, about 6 minutes at 48 kHz and 35 at 8 kHz. Beyond, it is
/// a new event on a clock that ran on past half the 32-bit range since.
const MAX_LATE: i32 = 1 << 24;

impl DtmfReceiver {
    /// A receiver that has seen no event, of a stream whose events run on its audio's clock.
    pub fn new() -> Self {
        Self {
            last: None,
            rebased: false,
            segment_step: i32::from(u16::MAX),
        }
    }

    /// Takes the stream's audio to run on a clock of `audio` Hz and its events (their
    /// `a=rtpmap`) on one of `events` Hz. The next segment of a long event is stamped where
    /// the last one's full duration (65535 units of the events' clock) ended, which a sender
    /// may count on the audio's clock: telephone-event at 8 kHz beside 48 kHz Opus is six
    /// times as far on, the most any of our codecs makes it (a wider ratio counts as six).
    pub fn set_clock_rates(&mut self, audio: u32, events: u32) {
        let ratio = audio.div_ceil(events.max(1)).clamp(1, 6);
        self.segment_step = i32::from(u16::MAX) * ratio as i32;
    }

    /// Takes the stream's timestamps to start a new timeline from here (the same SSRC's source
    /// changed: a re-negotiation, a jump of its audio's timestamps): the next event with another
    /// timestamp than the last one's is a new press, however old it looks; a repeat of the last
    /// one (same timestamp) is still only a repeat.
    pub fn rebase(&mut self) {
        self.rebased = self.last.is_some();
    }

    /// Reads one telephone-event payload sent by `ssrc` with RTP `timestamp`, from a stream
    /// whose marker bits are not known: as [`receive_marked`](Self::receive_marked) with the
    /// marker bit clear, so that timestamps and event codes alone tell presses apart.
    pub fn receive(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<char>, DtmfError> {
        self.receive_marked(ssrc, timestamp, false, payload)
    }

    /// Reads one telephone-event payload sent by `ssrc` with RTP `timestamp` and the RTP
    /// `marker` bit. Returns the key ('0'–'9', '*', '#', 'A'–'D') when the packet starts a new
    /// press (a newer timestamp, or the last one's where the marker bit or the event code
    /// tells a new press, as the type's docs say), `None` for a repeat of a known event or a
    /// further segment of it, an older event, or a non-DTMF event.
    pub fn receive_marked(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<Option<char>, DtmfError> {
        let &[code, flags, high, low, ..] = payload else {
            return Err(DtmfError::TooShort(payload.len()));
        };
        let ended = flags & 0x80 != 0;
        let duration = u16::from_be_bytes([high, low]);
        let this = LastEvent {
            ssrc,
            timestamp,
            code,
            duration,
            ended,
            marked: marker,
        };
        let Some(last) = self.last.as_mut().filter(|last| last.ssrc == ssrc) else {
            self.last = Some(this);
            self.rebased = false;
            return Ok(key(code));
        };
        // Wraparound-safe distance between 32-bit RTP timestamps.
        let delta = timestamp.wrapping_sub(last.timestamp) as i32;
        if delta == 0 && !last.restarted_by(code, marker) {
            // Another code tells nothing of the last event: a late packet of an earlier one,
            // or one of another event before the last ended.
            if code == last.code {
                last.duration = last.duration.max(duration);
                last.ended |= ended;
                last.marked |= marker;
            }
            return Ok(None);
        }
        let next_segment = !last.ended
            && code == last.code
            && last.duration >= u16::MAX - SEGMENT_SLACK
            && delta > 0
            && delta <= self.segment_step;
        if next_segment {
            *last = LastEvent {
                marked: last.marked || marker,
                ..this
            };
            return Ok(None);
        }
        if !self.rebased && (-MAX_LATE..0).contains(&delta) {
            return Ok(None);
        }
        *last = this;
        self.rebased = false;
        Ok(key(code))
    }
}

impl LastEvent {
    /// Whether a packet of event `code` stamped as this event, with the marker bit `marker`,
    /// starts a new press: a sender that stamps consecutive keys alike, against RFC 4733
    /// §2.3.1, still sets the marker on the first packet of each (§2.5.1.2).
    fn restarted_by(&self, code: u8, marker: bool) -> bool {
        if code == self.code {
            // The same key again, once this press's own first packet was seen: a marked
            // packet before that is that first packet, come late.
            return marker && self.marked && self.ended;
        }
        // Another key: its first packet, even when this event's end was lost. Unmarked, it
        // is a late packet of an earlier press from a sender that marks its presses; from one
        // that marks none, a new press once this one ended.
        marker || (self.ended && !self.marked)
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
    fn a_press_longer_than_one_segment_is_one_digit() {
        let mut rx = DtmfReceiver::new();
        let start = 48_000;
        assert_eq!(rx.receive(9, start, &event(7, false, 960)), Ok(Some('7')));
        assert_eq!(rx.receive(9, start, &event(7, false, 64_320)), Ok(None));
        // §2.5.1.3: the duration is full; the press goes on in a segment stamped where it ended.
        let next = start + u32::from(u16::MAX);
        assert_eq!(rx.receive(9, next, &event(7, false, 960)), Ok(None));
        assert_eq!(rx.receive(9, next, &event(7, true, 4_800)), Ok(None));
        // The same key pressed again after the end: a new digit.
        let again = next + 9_600;
        assert_eq!(rx.receive(9, again, &event(7, false, 960)), Ok(Some('7')));
    }

    #[test]
    fn a_long_press_at_8_khz_beside_48_khz_audio_is_one_digit_wherever_its_segments_are_stamped() {
        let full = event(4, false, u16::MAX);
        // Each segment stamped where the last one's 65535 units of 8 kHz ended: on the
        // events' clock, or on the 48 kHz audio's.
        for step in [u32::from(u16::MAX), 6 * u32::from(u16::MAX)] {
            let mut rx = DtmfReceiver::new();
            rx.set_clock_rates(48_000, 8_000);
            assert_eq!(rx.receive(9, 0, &event(4, false, 160)), Ok(Some('4')));
            for segment in 0..3 {
                assert_eq!(rx.receive(9, segment * step, &full), Ok(None));
            }
            // Past a full segment's reach: another press.
            let beyond = 2 * step + 6 * u32::from(u16::MAX) + 1;
            assert_eq!(rx.receive(9, beyond, &event(4, false, 160)), Ok(Some('4')));
        }
        // Events on the audio's clock reach one segment's duration, not six.
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.receive(9, 0, &event(4, false, u16::MAX)), Ok(Some('4')));
        let beyond = u32::from(u16::MAX) + 1;
        assert_eq!(rx.receive(9, beyond, &event(4, false, 160)), Ok(Some('4')));
    }

    #[test]
    fn a_press_after_half_the_clock_range_of_quiet_is_still_a_digit() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.receive(3, 1_000, &event(2, true, 800)), Ok(Some('2')));
        // 12.4 h later at 48 kHz the timestamp looks older by the wrapping distance.
        let much_later = 1_000u32.wrapping_add(3_000_000_000);
        assert_eq!(
            rx.receive(3, much_later, &event(3, false, 160)),
            Ok(Some('3'))
        );
        // A late packet of the press before is still only a repeat.
        assert_eq!(
            rx.receive(3, much_later.wrapping_sub(4_000), &event(2, true, 800)),
            Ok(None)
        );
    }

    #[test]
    fn after_a_rebase_an_older_timestamp_is_a_new_press_and_a_repeat_still_a_repeat() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.receive(4, 900_000, &event(1, true, 800)), Ok(Some('1')));
        rx.rebase();
        assert_eq!(
            rx.receive(4, 900_000, &event(1, true, 800)),
            Ok(None),
            "the last press's end, repeated"
        );
        // The new timeline starts far behind the old one.
        assert_eq!(rx.receive(4, 3_200, &event(2, false, 160)), Ok(Some('2')));
        assert_eq!(rx.receive(4, 3_200, &event(2, true, 800)), Ok(None));
        // From then on, older is late again.
        assert_eq!(rx.receive(4, 1_600, &event(3, true, 800)), Ok(None));
        assert_eq!(rx.receive(4, 9_600, &event(3, false, 160)), Ok(Some('3')));
    }

    #[test]
    fn another_key_stamped_like_the_last_after_its_end_is_a_new_press() {
        let mut rx = DtmfReceiver::new();
        assert_eq!(rx.receive(9, 4000, &event(1, false, 160)), Ok(Some('1')));
        // Another code before the last event ended: part of it, as its timestamp says.
        assert_eq!(rx.receive(9, 4000, &event(2, false, 320)), Ok(None));
        for _ in 0..3 {
            assert_eq!(rx.receive(9, 4000, &event(1, true, 800)), Ok(None));
        }
        // The next key, stamped as the first was.
        assert_eq!(rx.receive(9, 4000, &event(2, false, 160)), Ok(Some('2')));
        assert_eq!(rx.receive(9, 4000, &event(2, false, 320)), Ok(None));
        for _ in 0..3 {
            assert_eq!(rx.receive(9, 4000, &event(2, true, 800)), Ok(None));
        }
        // The same key again, stamped alike: a repeat of its end, not a press.
        assert_eq!(rx.receive(9, 4000, &event(2, true, 800)), Ok(None));
        assert_eq!(rx.receive(9, 4000, &event(3, false, 160)), Ok(Some('3')));
        // Another code's end before the last event ended does not end that event, so the
        // packet repeating it is no press either.
        for _ in 0..2 {
            assert_eq!(rx.receive(9, 4000, &event(0, true, 800)), Ok(None));
        }
    }

    /// The packets of one press of `code`, each with its marker bit: the marked first one, one
    /// more, and the end three times (RFC 4733 §2.5.1.4).
    fn press(code: u8) -> Vec<(bool, [u8; 4])> {
        vec![
            (true, event(code, false, 160)),
            (false, event(code, false, 320)),
            (false, event(code, true, 800)),
            (false, event(code, true, 800)),
            (false, event(code, true, 800)),
        ]
    }

    /// The keys `rx` reports for `packets`, all sent by one SSRC with `timestamp`.
    fn keys_of(rx: &mut DtmfReceiver, timestamp: u32, packets: &[(bool, [u8; 4])]) -> String {
        packets
            .iter()
            .filter_map(|(marker, payload)| {
                rx.receive_marked(9, timestamp, *marker, payload).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_same_key_twice_stamped_alike_is_two_presses_told_by_the_marker() {
        let mut rx = DtmfReceiver::new();
        let packets: Vec<_> = [1, 1, 2, 3].into_iter().flat_map(press).collect();
        assert_eq!(keys_of(&mut rx, 4000, &packets), "1123");
    }

    #[test]
    fn a_key_stamped_alike_after_a_press_whose_end_was_lost_is_a_new_press() {
        let mut rx = DtmfReceiver::new();
        let mut packets = press(1);
        packets.truncate(2);
        packets.extend([2, 2, 3].into_iter().flat_map(press));
        assert_eq!(keys_of(&mut rx, 4000, &packets), "1223");
    }

    #[test]
    fn a_late_end_of_an_earlier_key_stamped_alike_is_no_new_press() {
        let mut rx = DtmfReceiver::new();
        let mut packets: Vec<_> = [1, 2].into_iter().flat_map(press).collect();
        // One of the first press's ends, come after the second press.
        packets.push((false, event(1, true, 800)));
        packets.extend(press(3));
        assert_eq!(keys_of(&mut rx, 4000, &packets), "123");
    }

    #[test]
    fn a_first_packet_come_after_its_press_s_end_is_no_second_press() {
        let mut rx = DtmfReceiver::new();
        let mut packets = press(5);
        // The marked first packet, held up past the press's ends.
        packets.rotate_left(1);
        packets.extend(press(5));
        assert_eq!(keys_of(&mut rx, 4000, &packets), "55");
    }

    #[test]
    fn from_a_sender_that_marks_no_packet_timestamps_and_codes_alone_tell_presses() {
        let mut rx = DtmfReceiver::new();
        let unmarked = |keys: &[u8]| -> Vec<_> {
            keys.iter()
                .flat_map(|&code| press(code))
                .map(|(_, payload)| (false, payload))
                .collect()
        };
        // Without the marker, the same key again is one more repeat of the last press's end.
        assert_eq!(keys_of(&mut rx, 4000, &unmarked(&[1, 1, 2, 3])), "123");
        // Another key before the last press's end was seen is part of that press.
        let mut packets = unmarked(&[4]);
        packets.truncate(2);
        packets.extend(unmarked(&[5]));
        assert_eq!(keys_of(&mut rx, 8000, &packets), "4");
        // Another key after the last press ended is a new press; a late end of an earlier
        // key cannot be told from one.
        let mut packets = unmarked(&[6, 7]);
        packets.push((false, event(6, true, 800)));
        assert_eq!(keys_of(&mut rx, 12_000, &packets), "676");
    }

    #[test]
    fn short_payload_is_an_error() {
        assert_eq!(
            DtmfReceiver::new().receive(1, 0, &[1, 2, 3]),
            Err(DtmfError::TooShort(3))
        );
    }
}
