//! Keys a leg sends to its peer: a bounded queue of DTMF keys played one after the other, each
//! as RFC 4733 telephone-events when the leg negotiated them, as ITU-T Q.23 tones in-band
//! otherwise (see [`DualTone`]).

use std::collections::VecDeque;
use std::time::Duration;

use thiserror::Error;

use crate::PACKET_TIME;
use crate::dtmf::KEYS;
use crate::dtmf_tone::DualTone;

/// A leg's RFC 4733 telephone-event format, as negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Its payload type.
    pub payload_type: u8,
    /// Its RTP clock rate (`a=rtpmap`), the unit of the durations it carries (RFC 4733
    /// §2.3.5): usually the audio codec's, though a peer may offer it at 8 kHz alone beside
    /// Opus. Its packets are stamped on the audio stream's timeline all the same.
    pub clock_rate: u32,
}

/// The most keys a leg may have waiting to be sent (the one being sent included).
pub const MAX_PENDING_KEYS: usize = 32;

/// How long each key sounds.
pub const DTMF_KEY_TIME: Duration = Duration::from_millis(100);
/// The silence between two keys.
pub const DTMF_GAP_TIME: Duration = Duration::from_millis(60);

/// Ticks a key sounds (100 ms) and ticks of silence after it (60 ms).
const KEY_TICKS: u16 = (DTMF_KEY_TIME.as_millis() / PACKET_TIME.as_millis()) as u16;
const GAP_TICKS: u16 = (DTMF_GAP_TIME.as_millis() / PACKET_TIME.as_millis()) as u16;
/// RFC 4733 §2.5.1.4: the final packet of an event is sent three times.
const END_PACKETS: u16 = 3;

/// Why keys cannot be sent.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DtmfSendError {
    /// No keys at all.
    #[error("send-dtmf needs at least one key")]
    Empty,
    /// A character that is no DTMF key.
    #[error("{0:?} is not a DTMF key (0-9, *, #, A-D)")]
    NotAKey(char),
    /// The keys would make more than [`MAX_PENDING_KEYS`] wait.
    #[error(
        "{pending} keys are waiting and {asked} more would pass the limit of {max}",
        max = MAX_PENDING_KEYS
    )]
    TooMany {
        /// Keys waiting already.
        pending: usize,
        /// Keys asked for.
        asked: usize,
    },
}

/// Checks `digits` as keys to send after `pending` keys still waiting: 1 to
/// [`MAX_PENDING_KEYS`] of 0-9, *, #, A-D, and no more than [`MAX_PENDING_KEYS`] waiting in
/// all. Returns how many keys they are.
pub fn check_dtmf(digits: &str, pending: usize) -> Result<usize, DtmfSendError> {
    if let Some(bad) = digits.chars().find(|&c| event_code(c).is_none()) {
        return Err(DtmfSendError::NotAKey(bad));
    }
    let asked = digits.len();
    if asked == 0 {
        return Err(DtmfSendError::Empty);
    }
    if pending + asked > MAX_PENDING_KEYS {
        return Err(DtmfSendError::TooMany { pending, asked });
    }
    Ok(asked)
}

// The RFC 4733 event code of a DTMF key.
fn event_code(key: char) -> Option<u8> {
    let key = u8::try_from(key).ok()?;
    KEYS.iter().position(|&k| k == key).map(|code| code as u8)
}

/// What a leg's key sending asks of one tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DtmfStep {
    /// Add the key's tones to what the leg hears.
    Tone,
    /// Send this telephone-event packet in place of the tick's audio.
    Event(EventPacket),
}

/// One RFC 4733 telephone-event packet (§2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EventPacket {
    /// The telephone-event format.
    pub(crate) format: TelephoneEvent,
    /// The event code.
    pub(crate) event: u8,
    /// The first packet of the event: marker bit set, the event's timestamp taken here.
    pub(crate) first: bool,
    /// The end bit.
    pub(crate) end: bool,
    /// The event's duration so far, in 20 ms frames.
    pub(crate) frames: u16,
}

impl EventPacket {
    /// The payload (RFC 4733 §2.3): event, E bit and volume (-10 dBm0), duration in units of
    /// the format's clock rate.
    pub(crate) fn payload(&self) -> [u8; 4] {
        /// The volume field: the power level of the tone, as -dBm0 (RFC 4733 §2.3.4).
        const VOLUME: u8 = 10;
        // The rate is the peer's a=rtpmap, whatever it says: no product may overflow.
        let frame_units = u64::from(self.format.clock_rate) * PACKET_TIME.as_millis() as u64 / 1000;
        let duration = (u64::from(self.frames) * frame_units).min(u64::from(u16::MAX)) as u16;
        let [hi, lo] = duration.to_be_bytes();
        let end = if self.end { 0x80 } else { 0 };
        [self.event, end | VOLUME, hi, lo]
    }
}

/// The key being sent and how far it is.
#[derive(Clone, Copy, Debug)]
struct Sending {
    event: u8,
    /// The telephone-event format when it goes as RFC 4733 events, else in-band.
    format: Option<TelephoneEvent>,
    /// Ticks done.
    tick: u16,
}

/// A leg's keys to send, one per 100 ms with 60 ms between, each on one of the leg's ticks.
#[derive(Debug)]
pub(crate) struct DtmfSender {
    queue: VecDeque<u8>,
    sending: Option<Sending>,
    tone: DualTone,
}

impl Default for DtmfSender {
    fn default() -> Self {
        DtmfSender {
            queue: VecDeque::with_capacity(MAX_PENDING_KEYS),
            sending: None,
            tone: DualTone::default(),
        }
    }
}

impl DtmfSender {
    /// Keys not sent to the end yet, the one being sent included.
    pub(crate) fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.sending.is_some())
    }

    /// Queues `digits` after the keys waiting (see [`check_dtmf`]); nothing is queued on error.
    pub(crate) fn push(&mut self, digits: &str) -> Result<(), DtmfSendError> {
        check_dtmf(digits, self.pending())?;
        self.queue.extend(digits.chars().filter_map(event_code));
        Ok(())
    }

    /// Moves on one tick. A key starting now goes as RFC 4733 events when the leg has a
    /// `telephone_event` format, in-band otherwise; it keeps its way to the end, unless
    /// [`cut_event`](Self::cut_event) cuts it short.
    pub(crate) fn next(&mut self, telephone_event: Option<TelephoneEvent>) -> Option<DtmfStep> {
        let sending = match &mut self.sending {
            Some(sending) => {
                sending.tick += 1;
                sending
            }
            None => {
                let event = self.queue.pop_front()?;
                self.tone.restart();
                self.sending.insert(Sending {
                    event,
                    format: telephone_event,
                    tick: 0,
                })
            }
        };
        let tick = sending.tick;
        let step = match sending.format {
            // RFC 4733 §2.5.1.2: an update each tick while the key sounds (the packetizer
            // sends those due at the leg's ptime), its duration growing; then §2.5.1.4: the
            // last one, with the end bit, twice more.
            Some(format) if tick < KEY_TICKS + END_PACKETS - 1 => {
                Some(DtmfStep::Event(EventPacket {
                    format,
                    event: sending.event,
                    first: tick == 0,
                    end: tick + 1 >= KEY_TICKS,
                    frames: (tick + 1).min(KEY_TICKS),
                }))
            }
            None if tick < KEY_TICKS => Some(DtmfStep::Tone),
            _ => None,
        };
        if tick + 1 >= KEY_TICKS + GAP_TICKS {
            self.sending = None;
        }
        step
    }

    /// The telephone-event format of the key being sent, if it goes as RFC 4733 events.
    pub(crate) fn event_format(&self) -> Option<TelephoneEvent> {
        self.sending.and_then(|sending| sending.format)
    }

    /// Cuts the key being sent as RFC 4733 events short, at the duration it sounded: returns
    /// its end packet and how many times it is still to go (RFC 4733 §2.5.1.4: three in all),
    /// to send at once before its stream or format changes; its 60 ms of silence follow on the
    /// next ticks, in place of the rest of it. `None`, and nothing changes, when no event goes
    /// or its end went three times already.
    pub(crate) fn cut_event(&mut self) -> Option<(EventPacket, u16)> {
        let sending = self.sending.as_mut()?;
        let format = sending.format?;
        let ends_sent = (sending.tick + 2).saturating_sub(KEY_TICKS);
        let ends_left = END_PACKETS
            .checked_sub(ends_sent)
            .filter(|&left| left > 0)?;
        let end = EventPacket {
            format,
            event: sending.event,
            first: false,
            end: true,
            frames: (sending.tick + 1).min(KEY_TICKS),
        };
        // Its silence follows as after a key that sounded in full: no packet of it is left.
        sending.format = None;
        sending.tick = KEY_TICKS - 1;
        Some((end, ends_left))
    }

    /// Cuts the key being sent in-band short, at the length it sounded: its 60 ms of silence
    /// follow on the next ticks, in place of the rest of its tone. Nothing changes when no key
    /// goes in-band or its tone is over.
    pub(crate) fn cut_tone(&mut self) {
        if let Some(sending) = self.sending.as_mut().filter(|s| s.format.is_none()) {
            sending.tick = sending.tick.max(KEY_TICKS - 1);
        }
    }

    /// Adds this tick's tones of the key being sent in-band to `out`, at `rate` Hz.
    pub(crate) fn add_tone(&mut self, rate: u32, out: &mut [i16]) {
        if let Some(sending) = &self.sending {
            self.tone.add(sending.event, rate, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert_eq!(check_dtmf("0123456789*#ABCD", 0), Ok(16));
        assert_eq!(check_dtmf("", 0), Err(DtmfSendError::Empty));
        assert_eq!(check_dtmf("12a", 0), Err(DtmfSendError::NotAKey('a')));
        assert_eq!(check_dtmf("1 2", 0), Err(DtmfSendError::NotAKey(' ')));
        assert_eq!(check_dtmf("é", 0), Err(DtmfSendError::NotAKey('é')));
        assert_eq!(check_dtmf("12", 30), Ok(2));
        assert_eq!(
            check_dtmf("123", 30),
            Err(DtmfSendError::TooMany {
                pending: 30,
                asked: 3
            })
        );
    }

    #[test]
    fn durations_count_in_the_event_formats_own_clock() {
        let at = |clock_rate| {
            let mut sender = DtmfSender::default();
            sender.push("5").unwrap();
            let format = TelephoneEvent {
                payload_type: 101,
                clock_rate,
            };
            let Some(DtmfStep::Event(second)) =
                (0..2).filter_map(|_| sender.next(Some(format))).last()
            else {
                panic!("expected events");
            };
            second.payload()
        };
        // The second packet: two 20 ms frames.
        assert_eq!(at(8000), [5, 10, 0x01, 0x40], "320 units at 8 kHz");
        assert_eq!(at(48000), [5, 10, 0x07, 0x80], "1920 units at 48 kHz");
        assert_eq!(
            at(u32::MAX),
            [5, 10, 0xFF, 0xFF],
            "a peer's absurd rate: the most"
        );
    }

    #[test]
    fn a_cut_event_ends_at_its_duration_then_falls_silent() {
        let format = TelephoneEvent {
            payload_type: 101,
            clock_rate: 8000,
        };
        // Cut after `ticks`: the end packet and its times left, then the steps up to the
        // next key's.
        let cut_after = |ticks: usize| {
            let mut sender = DtmfSender::default();
            sender.push("12").unwrap();
            for _ in 0..ticks {
                sender.next(Some(format));
            }
            let cut = sender.cut_event();
            let after: Vec<_> = (0..4).map(|_| sender.next(Some(format))).collect();
            (cut, after)
        };
        let (cut, after) = cut_after(2);
        let (end, times) = cut.expect("an event under way");
        assert_eq!(
            (end.event, end.first, end.end, end.frames),
            (1, false, true, 2)
        );
        assert_eq!(times, 3);
        assert_eq!(after[..3], [None, None, None], "60 ms of silence");
        assert!(matches!(after[3], Some(DtmfStep::Event(e)) if e.event == 2 && e.first));
        // Its end sent twice already: once more, at its full duration.
        let (end, times) = cut_after(6).0.expect("an end still due");
        assert_eq!((end.frames, times), (5, 1));
        assert_eq!(cut_after(7).0, None, "the end went three times");
        let mut in_band = DtmfSender::default();
        in_band.push("1").unwrap();
        in_band.next(None);
        assert_eq!(in_band.cut_event(), None, "no event to cut");
    }

    #[test]
    fn a_key_is_five_ticks_then_three_of_silence() {
        let mut sender = DtmfSender::default();
        sender.push("1").unwrap();
        let steps: Vec<_> = (0..9).map(|_| sender.next(None)).collect();
        let tone = Some(DtmfStep::Tone);
        assert_eq!(
            steps,
            [tone, tone, tone, tone, tone, None, None, None, None]
        );
        assert_eq!(sender.pending(), 0);
    }
}
