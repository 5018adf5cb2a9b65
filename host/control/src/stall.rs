//! A connection's stream that gives up on a client that takes nothing it is
//! sent: a write (or flush, or shutdown) that has made no progress for a set
//! time fails with [`io::ErrorKind::TimedOut`], so hyper ends the connection
//! and drops what it was sending (a response, an event stream, a WebSocket)
//! instead of holding it for as long as the client keeps the socket open.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `S` whose writes fail once they have waited on the peer, without progress, for longer than
/// its limit. Reads are untouched (hyper times out a request's head, the server its body).
pub(crate) struct StallLimit<S> {
    inner: S,
    limit: Duration,
    /// When the write waiting now gives up; none while writes go through.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<S> StallLimit<S> {
    /// `inner` with writes that may wait at most `limit` for the peer.
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        StallLimit {
            inner,
            limit,
            deadline: None,
        }
    }

    /// `polled`, a write-side poll of the inner stream: ready ends the wait; pending starts
    /// it (or goes on with it), and fails it once the limit has passed.
    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.deadline = None;
            return polled;
        }
        let limit = self.limit;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        // Polling the deadline registers the task to be woken when it passes.
        match deadline.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client took nothing sent to it for {limit:?}"),
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

    #[tokio::test]
    async fn a_write_the_peer_does_not_take_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        near.write_all(&[1; 16]).await.unwrap();
        let started = std::time::Instant::now();
        let error = tokio::time::timeout(10 * LIMIT, near.write_all(&[2; 16]))
            .await
            .expect("the write gave up")
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= LIMIT, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_peer_that_takes_each_part_within_the_limit_gets_it_all() {
        let (near, mut far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        let reader = tokio::spawn(async move {
            let mut taken = Vec::new();
            for _ in 0..4 {
                // Each wait is under the limit; together they are over it.
                tokio::time::sleep(LIMIT / 2).await;
                let mut chunk = [0u8; 16];
                far.read_exact(&mut chunk).await.unwrap();
                taken.extend_from_slice(&chunk);
            }
            taken
        });
        near.write_all(&[3; 64]).await.unwrap();
        assert_eq!(reader.await.unwrap(), [3; 64]);
    }
}
