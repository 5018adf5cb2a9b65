//! A connection's stream that gives up on a client that takes too little of what it is
//! sent: writes (or flushes, or shutdowns) that keep waiting on the peer fail with
//! [`io::ErrorKind::TimedOut`], so hyper ends the connection and drops what it was sending
//! (a response, an event stream, a WebSocket) instead of holding it for as long as the
//! client keeps the socket open.
//!
//! The client is judged by what it takes, not by how long writes wait on it: time counts
//! only while writes wait, and each time the client has taken another [`MIN_RATE`] bytes a
//! second of the limit, the count starts over. A client that takes nothing fails after the
//! limit, and so does one that takes a little now and then, which would otherwise hold its
//! connection for as long as it likes; one that reads slowly but steadily (a download over
//! a link slower than the server) is served however long its transfer lasts.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The least a client must take of what it is sent, in bytes a second of the limit: 1 KiB/s,
/// below the 1200 B/s of a 9600 bit/s modem, so a client on any link still in use keeps up
/// with it however long its transfer lasts, while one that takes less holds its connection
/// for next to nothing sent: under 30 KiB in the default limit of 30 s.
const MIN_RATE: u64 = 1024;

/// `S` whose writes fail once they have waited on the peer for longer than its limit while
/// it took too little, counted as the [module](self) says. Reads are untouched (hyper times
/// out a request's head, the server its body).
pub(crate) struct StallLimit<S> {
    inner: S,
    limit: Duration,
    /// The bytes the client must take for the count to start over: [`MIN_RATE`] × `limit`.
    quota: u64,
    /// The bytes the client took since the count last started over.
    taken: u64,
    /// The time writes waited since the count last started over, but for the wait under way.
    waited: Duration,
    /// The wait under way: when it started, and when it gives up.
    waiting: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl<S> StallLimit<S> {
    /// `inner` with writes that may wait at most `limit` for the peer between each
    /// [`MIN_RATE`] × `limit` bytes it takes.
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        let quota = limit.as_millis() * u128::from(MIN_RATE) / 1000;
        StallLimit {
            inner,
            limit,
            quota: u64::try_from(quota).unwrap_or(u64::MAX),
            taken: 0,
            waited: Duration::ZERO,
            waiting: None,
        }
    }

    /// `polled`, a write of the inner stream: as [`StallLimit::progress`], and what it
    /// wrote counts as taken by the client, starting the count over once that makes the quota.
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let polled = self.progress(cx, polled);
        if let Poll::Ready(Ok(written)) = polled {
            self.taken = self.taken.saturating_add(written as u64);
            if self.taken >= self.quota {
                self.taken = 0;
                self.waited = Duration::ZERO;
            }
        }
        polled
    }

    /// `polled`, a write-side poll of the inner stream: ready ends the wait, adding it to
    /// the time waited; pending starts it (or goes on with it), and fails it once the time
    /// waited reaches the limit.
    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            if let Some((since, _)) = self.waiting.take() {
                self.waited += since.elapsed();
            }
            return polled;
        }
        let (limit, waited) = (self.limit, self.waited);
        let (_, deadline) = self.waiting.get_or_insert_with(|| {
            let left = limit.saturating_sub(waited);
            (Instant::now(), Box::pin(tokio::time::sleep(left)))
        });
        // Polling the deadline registers the task to be woken when it passes.
        match deadline.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took too little of what it was sent: writes waited on it for \
                     {:?} while it took fewer than {} bytes",
                    self.limit, self.quota
                ),
            ))),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallLimit<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallLimit<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.written(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    const LIMIT: Duration = Duration::from_millis(300);

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_does_not_take_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        near.write_all(&[1; 16]).await.unwrap();
        let started = Instant::now();
        let error = near.write_all(&[2; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_takes_a_little_at_a_time_but_keeps_writes_waiting_fails() {
        let (near, mut far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        tokio::spawn(async move {
            let mut chunk = [0u8; 16];
            // Each wait is under the limit, but writes wait all the time.
            for _ in 0..16 {
                tokio::time::sleep(LIMIT * 4 / 5).await;
                if far.read_exact(&mut chunk).await.is_err() {
                    return;
                }
            }
        });
        let started = Instant::now();
        let error = near.write_all(&[3; 16 * 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        // A wait of 240 ms, then one cut short when the two add up to the limit.
        assert_eq!(started.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_takes_its_quota_between_waits_gets_it_all_however_long_it_takes() {
        const ROUNDS: usize = 10;
        // 1 KiB/s of 300 ms: 307 bytes.
        const SIP: usize = 320;
        let (near, mut far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        let reader = tokio::spawn(async move {
            let mut taken = vec![0u8; SIP * ROUNDS];
            for sip in taken.chunks_mut(SIP) {
                tokio::time::sleep(LIMIT * 2 / 3).await;
                far.read_exact(sip).await.unwrap();
            }
            taken
        });
        let sent: Vec<u8> = (0..SIP * ROUNDS).map(|i| i as u8).collect();
        let started = Instant::now();
        // Writes wait all the time, far longer than the limit in all.
        near.write_all(&sent).await.unwrap();
        assert_eq!(started.elapsed(), LIMIT * 2 / 3 * ROUNDS as u32);
        assert_eq!(reader.await.unwrap(), sent);
    }
}
