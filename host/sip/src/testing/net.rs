//! A lossy, duplicating, reordering datagram link on virtual time, driven by a seeded PRNG.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// One datagram on the simulated network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The sender's address.
    pub from: SocketAddr,
    /// The receiver's address.
    pub to: SocketAddr,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// Decides to lose a datagram (see [`Net::drop_if`]).
type DropRule = Box<dyn FnMut(&Datagram) -> bool>;

/// A datagram on its way, with its delivery time and a sequence number that orders
/// datagrams due at the same instant.
#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    datagram: Datagram,
}

/// A network between any number of addresses, on virtual time: [`Net::send`] a datagram at
/// `now`, then take those due with [`Net::deliver`] once time reaches
/// [`Net::next_delivery`]. Every datagram is delayed by [`Net::delay`] plus a random share
/// of [`Net::jitter`], and may be lost or duplicated. All randomness comes from the seed, so
/// the same sends at the same times give the same deliveries.
pub struct Net {
    rng: SmallRng,
    /// Probability (0..=1) that a datagram is lost.
    pub loss: f64,
    /// Probability (0..=1) that a datagram is delivered twice.
    pub duplicate: f64,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Extra random delay, uniform in [0, jitter]; reorders datagrams sent close together.
    pub jitter: Duration,
    drop_if: Option<DropRule>,
    lost: u32,
    duplicated: u32,
    in_flight: Vec<InFlight>,
    seq: u64,
}

impl Net {
    /// A link that loses, duplicates and reorders nothing, with a 10 ms delay.
    pub fn perfect(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            loss: 0.0,
            duplicate: 0.0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
            drop_if: None,
            lost: 0,
            duplicated: 0,
            in_flight: Vec::new(),
            seq: 0,
        }
    }

    /// A link with a 10 ms delay that loses a `loss` share of datagrams, duplicates a
    /// `duplicate` share and adds up to `jitter` of random delay to each copy.
    pub fn lossy(seed: u64, loss: f64, duplicate: f64, jitter: Duration) -> Self {
        Self {
            loss,
            duplicate,
            jitter,
            ..Self::perfect(seed)
        }
    }

    /// Loses every datagram for which `rule` returns true, before any random loss; the rule
    /// sees every datagram sent from now on, and replaces any earlier rule.
    pub fn drop_if(&mut self, rule: impl FnMut(&Datagram) -> bool + 'static) {
        self.drop_if = Some(Box::new(rule));
    }

    /// Puts `payload` from `from` to `to` on the link at `now`: it is lost, or becomes due
    /// once or twice after the delay. Panics if [`Net::loss`] or [`Net::duplicate`] is outside
    /// 0..=1.
    pub fn send(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, payload: Vec<u8>) {
        let datagram = Datagram { from, to, payload };
        let ruled_out = self.drop_if.as_mut().is_some_and(|rule| rule(&datagram));
        if ruled_out || self.rng.random_bool(self.loss) {
            self.lost += 1;
            return;
        }
        let copies = if self.rng.random_bool(self.duplicate) {
            self.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = self.jitter.mul_f64(self.rng.random::<f64>());
            self.seq += 1;
            self.in_flight.push(InFlight {
                at: now + self.delay + jitter,
                seq: self.seq,
                datagram: datagram.clone(),
            });
        }
    }

    /// When the next datagram is due; `None` when nothing is in flight.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.in_flight.iter().map(|p| p.at).min()
    }

    /// The earliest datagram due by `now` (sent earlier first among those due together), or
    /// `None` when none is.
    pub fn deliver(&mut self, now: Instant) -> Option<Datagram> {
        let index = self
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, p)| p.at <= now)
            .min_by_key(|(_, p)| (p.at, p.seq))?
            .0;
        Some(self.in_flight.swap_remove(index).datagram)
    }

    /// Datagrams lost so far, randomly or by the [`Net::drop_if`] rule.
    pub fn lost(&self) -> u32 {
        self.lost
    }

    /// Datagrams delivered twice so far.
    pub fn duplicated(&self) -> u32 {
        self.duplicated
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{addr, epoch};

    #[test]
    fn delivers_after_the_delay_in_order_and_obeys_the_rule() {
        let (a, b) = (addr("127.0.0.1:1"), addr("127.0.0.1:2"));
        let mut net = Net::perfect(1);
        net.drop_if(|d| d.payload == b"drop");
        let t0 = epoch();
        net.send(t0, a, b, b"one".to_vec());
        net.send(t0, b, a, b"drop".to_vec());
        net.send(t0, b, a, b"two".to_vec());
        assert_eq!(net.lost(), 1);
        assert_eq!(net.next_delivery(), Some(t0 + net.delay));
        assert_eq!(net.deliver(t0 + Duration::from_millis(9)), None);
        let due = t0 + net.delay;
        let first = net.deliver(due).unwrap();
        assert_eq!(
            (first.from, first.to, first.payload),
            (a, b, b"one".to_vec())
        );
        assert_eq!(net.deliver(due).unwrap().payload, b"two");
        assert_eq!((net.deliver(due), net.next_delivery()), (None, None));
    }

    #[test]
    fn the_seed_fixes_loss_duplication_and_jitter() {
        let run = |seed| {
            let mut net = Net::lossy(seed, 0.3, 0.3, Duration::from_millis(50));
            let t0 = epoch();
            for i in 0..100u8 {
                net.send(t0, addr("127.0.0.1:1"), addr("127.0.0.1:2"), vec![i]);
            }
            let end = t0 + Duration::from_secs(1);
            let order: Vec<u8> = std::iter::from_fn(|| net.deliver(end))
                .map(|d| d.payload[0])
                .collect();
            (order, net.lost(), net.duplicated())
        };
        let (order, lost, duplicated) = run(5);
        assert_eq!(run(5), (order.clone(), lost, duplicated));
        assert_ne!(run(6).0, order);
        assert!(lost > 10 && duplicated > 10, "{lost} {duplicated}");
        assert_eq!(order.len() as u32, 100 - lost + duplicated);
        assert!(order.windows(2).any(|w| w[0] > w[1]), "jitter reorders");
    }
}
