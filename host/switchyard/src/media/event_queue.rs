//! The media workers' events on their way to the signaling task, in the order the workers
//! raised them. Every event is bounded by what raised it (a leg ends, times out or is lost
//! once; a talkspurt takes at least its hangover; a prompt list ends once) but for key
//! presses: a peer may send a new RFC 4733 event every packet, up to the worker's 100 a
//! second a leg, and a thousand such legs outrun a signaling task that also serves SIP. So
//! at most [`MAX_QUEUED_KEYS`] key presses wait at once; past them a press is dropped and
//! counted, as a burst of keys the guest's own queue would drop too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use switchyard_media::MediaEvent;
#[cfg(test)]
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// The most key presses waiting for the signaling task at once.
pub(crate) const MAX_QUEUED_KEYS: usize = 4096;

/// The key presses waiting, and those dropped since the start.
#[derive(Debug, Default)]
pub(crate) struct KeyBacklog {
    queued: AtomicUsize,
    dropped: AtomicU64,
}

impl KeyBacklog {
    /// Key presses dropped because [`MAX_QUEUED_KEYS`] were waiting.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The sending end, one clone per worker thread.
#[derive(Debug, Clone)]
pub(crate) struct MediaEventSender {
    events: UnboundedSender<MediaEvent>,
    keys: Arc<KeyBacklog>,
}

/// The receiving end, the signaling task's.
#[derive(Debug)]
pub struct MediaEventReceiver {
    events: UnboundedReceiver<MediaEvent>,
    keys: Arc<KeyBacklog>,
}

/// The receiver is gone: nobody listens any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// A new queue: its sender, its receiver, and the count of what it dropped.
pub(crate) fn media_event_queue() -> (MediaEventSender, MediaEventReceiver, Arc<KeyBacklog>) {
    let (sender, receiver) = unbounded_channel();
    let keys = Arc::new(KeyBacklog::default());
    (
        MediaEventSender {
            events: sender,
            keys: keys.clone(),
        },
        MediaEventReceiver {
            events: receiver,
            keys: keys.clone(),
        },
        keys,
    )
}

impl MediaEventSender {
    /// Queues `event`; a key press past [`MAX_QUEUED_KEYS`] waiting is dropped and counted.
    /// [`Closed`] once the receiver is gone.
    pub(crate) fn send(&self, event: MediaEvent) -> Result<(), Closed> {
        if matches!(event, MediaEvent::Dtmf { .. })
            && self.keys.queued.fetch_add(1, Ordering::AcqRel) >= MAX_QUEUED_KEYS
        {
            self.keys.queued.fetch_sub(1, Ordering::AcqRel);
            self.keys.dropped.fetch_add(1, Ordering::Relaxed);
            return if self.events.is_closed() {
                Err(Closed)
            } else {
                Ok(())
            };
        }
        self.events.send(event).map_err(|_| Closed)
    }
}

impl MediaEventReceiver {
    /// The next event; `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<MediaEvent> {
        let event = self.events.recv().await?;
        Some(self.taken(event))
    }

    /// The next event if one waits.
    #[cfg(test)]
    pub(crate) fn try_recv(&mut self) -> Result<MediaEvent, TryRecvError> {
        let event = self.events.try_recv()?;
        Ok(self.taken(event))
    }

    fn taken(&self, event: MediaEvent) -> MediaEvent {
        if matches!(event, MediaEvent::Dtmf { .. }) {
            self.keys.queued.fetch_sub(1, Ordering::AcqRel);
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_media::{LegId, PlayId};

    fn key(leg: u64) -> MediaEvent {
        MediaEvent::Dtmf {
            leg: LegId(leg),
            digit: '5',
        }
    }

    #[test]
    fn key_presses_past_the_cap_are_dropped_and_counted_while_other_events_still_queue() {
        let (sender, mut receiver, backlog) = media_event_queue();
        for leg in 0..MAX_QUEUED_KEYS as u64 + 10 {
            sender.send(key(leg)).unwrap();
        }
        sender.send(MediaEvent::LegLost { leg: LegId(7) }).unwrap();
        assert_eq!(backlog.dropped(), 10);
        let mut received = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            received.push(event);
        }
        assert_eq!(received.len(), MAX_QUEUED_KEYS + 1);
        assert_eq!(
            received.last(),
            Some(&MediaEvent::LegLost { leg: LegId(7) })
        );
        // Taken from the queue, the keys make room for as many again.
        for leg in 0..MAX_QUEUED_KEYS as u64 {
            sender.send(key(leg)).unwrap();
        }
        assert_eq!(backlog.dropped(), 10);
        sender.send(key(0)).unwrap();
        assert_eq!(backlog.dropped(), 11);
    }

    #[test]
    fn events_arrive_in_the_order_they_were_raised() {
        let (sender, mut receiver, _) = media_event_queue();
        let raised = [
            key(1),
            MediaEvent::PromptDone {
                leg: LegId(1),
                play: PlayId(1),
            },
            key(1),
            MediaEvent::RtpTimeout { leg: LegId(1) },
        ];
        for event in raised.clone() {
            sender.send(event).unwrap();
        }
        let received: Vec<_> = std::iter::from_fn(|| receiver.try_recv().ok()).collect();
        assert_eq!(received, raised);
    }

    #[test]
    fn a_send_after_the_receiver_is_gone_says_so_even_for_a_dropped_key() {
        let (sender, receiver, _) = media_event_queue();
        for leg in 0..MAX_QUEUED_KEYS as u64 {
            sender.send(key(leg)).unwrap();
        }
        drop(receiver);
        assert_eq!(sender.send(key(0)), Err(Closed));
        assert_eq!(
            sender.send(MediaEvent::LegLost { leg: LegId(1) }),
            Err(Closed)
        );
    }
}
