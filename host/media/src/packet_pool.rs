//! Spare buffers: the worker builds every outgoing RTP packet in one taken from here and the
//! shell gives it back once sent, so steady-state sending allocates nothing; a leg keeps the
//! payload buffers of packets it played for the packets it receives next; a recording keeps
//! the sample buffers of the frames its writer wrote.

/// The most spare buffers a worker keeps: more than its packets in one tick in any sane
/// configuration; beyond it, returned buffers are freed.
const MAX_SPARE: usize = 1 << 14;

/// Room reserved in a new buffer: an RTP header and 20 ms of G.711 or G.722, or a typical Opus
/// frame, without growing.
const NEW_CAPACITY: usize = 256;

/// A bounded stack of emptied buffers of `T`.
#[derive(Debug)]
pub(crate) struct BufferPool<T> {
    spare: Vec<Vec<T>>,
    limit: usize,
    // Room reserved in a new buffer.
    new_capacity: usize,
}

/// A pool of packet (or payload) buffers.
pub(crate) type PacketPool = BufferPool<u8>;

impl Default for PacketPool {
    /// A worker's pool: up to [`MAX_SPARE`] buffers.
    fn default() -> Self {
        Self::with_limit(MAX_SPARE)
    }
}

impl PacketPool {
    /// A pool keeping at most `limit` spare packet buffers.
    pub(crate) fn with_limit(limit: usize) -> Self {
        BufferPool::new(limit, NEW_CAPACITY)
    }
}

impl<T> BufferPool<T> {
    /// A pool keeping at most `limit` spare buffers, making new ones with room for
    /// `new_capacity` elements.
    pub(crate) fn new(limit: usize, new_capacity: usize) -> Self {
        BufferPool {
            spare: Vec::new(),
            limit,
            new_capacity,
        }
    }

    /// An empty buffer: a spare one when there is one, else a new one.
    pub(crate) fn take(&mut self) -> Vec<T> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.new_capacity))
    }

    /// Keeps `buffer` (emptied) for a later [`take`](Self::take), unless the pool's limit is
    /// reached.
    pub(crate) fn give(&mut self, mut buffer: Vec<T>) {
        if !self.is_full() {
            buffer.clear();
            self.spare.push(buffer);
        }
    }

    /// Whether the pool keeps as many spare buffers as it may: one given now is freed.
    pub(crate) fn is_full(&self) -> bool {
        self.spare.len() >= self.limit
    }

    /// How many spare buffers are kept.
    #[cfg(test)]
    pub(crate) fn spare(&self) -> usize {
        self.spare.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_given_buffers_emptied() {
        let mut pool = PacketPool::default();
        let mut buffer = pool.take();
        buffer.extend_from_slice(&[1; 300]);
        let address = buffer.as_ptr();
        pool.give(buffer);
        let again = pool.take();
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), address);
        assert!(again.capacity() >= 300);
    }

    #[test]
    fn keeps_at_most_max_spare() {
        let mut pool = PacketPool::default();
        for _ in 0..MAX_SPARE + 10 {
            pool.give(Vec::with_capacity(1));
        }
        assert_eq!(pool.spare(), MAX_SPARE);
    }
}
