//! A connection's stream that gives up on a client that takes too little of what it is
//! sent: writes (or flushes, or shutdowns) that keep waiting on the peer fail with
//! [`io::ErrorKind::TimedOut`], so hyper ends the connection and drops what it was sending
//! (a response, an event stream, a WebSocket) instead of holding it for as long as the
//! client keeps the socket open.
//!
//! The time writes waited is summed, less half the time between waits: a client that takes
//! nothing fails after the limit, and so does one that takes a little now and then but keeps
//! writes waiting most of the time (more than a third of it), which would otherwise hold its
//! connection for as long as it likes. One that keeps up between waits never runs it up.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `S` whose writes fail once they have waited on the peer for longer than its limit,
/// counted as the [module](self) says. Reads are untouched (hyper times out a request's
/// head, the server its body).
pub(crate) struct StallLimit<S> {
    inner: S,
    limit: Duration,
    /// The time writes waited, less half the time between waits, as of `counted_at`.
    waited: Duration,
    counted_at: Instant,
    /// The wait under way: when it started, and when it gives up.
    waiting: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl<S> StallLimit<S> {
    /// `inner` with writes that may wait at most `limit` for the peer.
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        StallLimit {
            inner,
            limit,
            waited: Duration::ZERO,
            counted_at: Instant::now(),
            waiting: None,
        }
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
                let now = Instant::now();
                self.waited += now - since;
                self.counted_at = now;
            }
            return polled;
        }
        if self.waiting.is_none() {
            let now = Instant::now();
            let between = now - self.counted_at;
            self.waited = self.waited.saturating_sub(between / 2);
            self.counted_at = now;
            let left = self.limit.saturating_sub(self.waited);
            self.waiting = Some((now, Box::pin(tokio::time::sleep(left))));
        }
        let Some((_, deadline)) = self.waiting.as_mut() else {
            return Poll::Pending;
        };
        // Polling the deadline registers the task to be woken when it passes.
        match deadline.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took too little of what it was sent: writes waited on it for \
                     {:?}, less half the time between waits",
                    self.limit
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
        this.progress(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progress(cx, polled)
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
    async fn a_peer_that_keeps_up_between_waits_gets_it_all() {
        let (near, mut far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        let reader = tokio::spawn(async move {
            let mut taken = vec![0u8; 64];
            tokio::time::sleep(LIMIT * 7 / 10).await;
            far.read_exact(&mut taken[..32]).await.unwrap();
            tokio::time::sleep(LIMIT * 17 / 10).await;
            far.read_exact(&mut taken[32..]).await.unwrap();
            taken
        });
        // Two waits of 210 ms, 300 ms apart: together over the limit, but the time between
        // takes half of it off.
        near.write_all(&[4; 32]).await.unwrap();
        tokio::time::sleep(LIMIT).await;
        near.write_all(&[5; 32]).await.unwrap();
        let taken = reader.await.unwrap();
        assert_eq!(&taken[..32], &[4; 32]);
        assert_eq!(&taken[32..], &[5; 32]);
    }
}
